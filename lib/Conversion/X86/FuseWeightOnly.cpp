//===- FuseWeightOnly.cpp - 4-bit weight-only matmul on packed codes ------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites y = nn.matmul(x, qc.dequantize(W, s)) with W [K, N] in a 4-bit
// format (int4 symmetric with f32 scales per tensor / per column / per
// block of K; FP4 with f32, E8M0 (MXFP4) or E4M3 scales and a global scale
// (NVFP4)) held by a qc.constant (packed here, at compile time) or a
// qc.unpack (its bytes as they are) into one tagged linalg.generic:
//
//   y[m, n] = sum_k fl32(x[m, k] * fl32(table[code(k, n)] * S[k / B, n]))
//
// with S the f32 scale, 2^(e - 127) for E8M0 or fl32(E4M3 * global),
// summed in order of k in f32, which is exactly what the interpreter does
// for the two ops. The generic is a correct (slow) contraction by itself;
// --qc-x86-lower-weight-only-kernels makes it the vector kernel.
//
//===----------------------------------------------------------------------===//

#include "../LinalgBuilders.h"
#include "Int8Kernels.h"
#include "KernelUtils.h"
#include "WeightOnly.h"
#include "mlir/IR/Matchers.h"
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/NN/IR/NN.h"

namespace qc {
#define GEN_PASS_DEF_X86FUSEWEIGHTONLY
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using namespace qc::linalg_builders;

namespace {

/// The bytes holding W's codes two per byte along N: qc.unpack's input, or
/// a new constant packed from qc.constant codes, each XORed with `flip`
/// (null if neither).
Value packedBytes(OpBuilder &b, Location loc, Value w, uint32_t flip) {
  if (auto u = w.getDefiningOp<UnpackOp>())
    return u.getInput();
  auto c = w.getDefiningOp<qc::ConstantOp>();
  if (!c)
    return {};
  auto codes = llvm::cast<DenseIntElementsAttr>(c.getValue());
  auto shape = codes.getType().getShape();
  int64_t k = shape[0], n = shape[1];
  std::vector<int8_t> bytes(size_t(k * n / 2));
  auto values = codes.getValues<APInt>();
  for (int64_t i = 0; i < k * n; i += 2)
    bytes[size_t(i / 2)] =
        int8_t(((values[size_t(i)].getZExtValue() ^ flip) & 0xF) |
               (((values[size_t(i + 1)].getZExtValue() ^ flip) & 0xF) << 4));
  auto attr = DenseIntElementsAttr::get(
      RankedTensorType::get({k, n / 2}, b.getI8Type()), llvm::ArrayRef(bytes));
  return b.create<arith::ConstantOp>(loc, attr);
}

/// The zero point of every element of `d`'s integer codes when its zero
/// points are one constant value (0 without zero points); nullopt if they
/// vary or are not constant.
std::optional<int64_t> uniformZeroPoint(DequantizeOp d) {
  Value z = d.getZeroPoints();
  if (!z)
    return 0;
  DenseIntElementsAttr attr;
  if (!matchPattern(z, m_Constant(&attr)) || attr.empty())
    return std::nullopt;
  int64_t first = (*attr.value_begin<APInt>()).getSExtValue();
  for (const APInt &v : attr.getValues<APInt>())
    if (v.getSExtValue() != first)
      return std::nullopt;
  return first;
}

/// Why `d` (4-bit codes feeding a matmul as its [K, N] weight) has no
/// packed kernel; empty if it has one.
std::string unsupported(DequantizeOp d) {
  QTensorType qt = d.getInput().getType();
  num::Format f = qt.getNumericFormat();
  SchemeAttr scheme = qt.getScheme();
  if (f.kind() == num::Format::Kind::Fixed)
    return "fixed point";
  // One zero point z for all (unsigned codes with z = 8: onnxruntime's
  // MatMulNBits default) folds into the value table: code - z. Constant
  // ones that differ need constant f32 scales (see zeroPointCorrection).
  if (Value z = d.getZeroPoints()) {
    if (f.kind() != num::Format::Kind::Int)
      return "zero points of a float format";
    if (!uniformZeroPoint(d) &&
        (!matchPattern(z, m_Constant()) ||
         !matchPattern(d.getScales(), m_Constant()) ||
         !llvm::cast<ShapedType>(d.getScales().getType())
              .getElementType()
              .isF32()))
      return "zero points that differ between blocks, without constant f32 "
             "zero points and scales";
  }
  if (f.kind() == num::Format::Kind::Int && !f.isSigned() && !d.getZeroPoints())
    return "unsigned codes without a zero point";
  if (qt.getRank() != 2 || !d.getType().hasStaticShape() ||
      qt.getShape()[1] % 32 != 0)
    return "needs a static [K, N] weight with N a multiple of 32";
  switch (scheme.getGranularity()) {
  case Granularity::per_tensor:
    break;
  case Granularity::per_axis:
    if (scheme.getAxis() != 1)
      return "per-axis scales must be per column";
    break;
  case Granularity::per_block:
    if (scheme.getAxis() != 0)
      return "blocks must run along K";
    break;
  }
  if (FloatFormatAttr sf = scheme.getScaleFormat()) {
    num::FloatFormat sff = sf.getFloatFormat();
    if (!(sff == num::FloatFormat::e8m0fnu()) &&
        !(sff == num::FloatFormat::fp8e4m3fn()))
      return "scale format other than E8M0 and E4M3";
    if (d.getGlobalScale() && sff == num::FloatFormat::e8m0fnu())
      return "E8M0 scales with a global scale";
  }
  return "";
}

struct X86FuseWeightOnlyPass
    : qc::impl::X86FuseWeightOnlyBase<X86FuseWeightOnlyPass> {
  using X86FuseWeightOnlyBase::X86FuseWeightOnlyBase;

  /// The kernel's tag (kWeightOnlyKernel or kWeightOnlyKernelAVX2).
  StringRef tag;
  /// A -fma kernel: the panel path with fused multiply-adds.
  bool fma = false;

  void runOnOperation() override {
    StringRef name = kernel;
    fma = name.consume_back("-fma");
    if ((name != "auto" && name != "avx512" && name != "avx2" &&
         name != "generic") ||
        (fma && name == "generic")) {
      getOperation().emitError("qc-x86-fuse-weight-only: unknown kernel '")
          << kernel
          << "' (expected auto, avx512, avx2 or generic, the first three "
             "also with -fma)";
      return signalPassFailure();
    }
    if (name == "avx512" ||
        (name == "auto" && x86::targetHas(targetCPU, {"avx512f", "avx512bw"})))
      tag = x86::kWeightOnlyKernel;
    else if (name == "avx2" ||
             (name == "auto" && x86::targetHas(targetCPU, {"avx2", "fma"})))
      tag = x86::kWeightOnlyKernelAVX2;
    else
      return;
    SmallVector<nn::MatMulOp> matmuls;
    getOperation().walk([&](nn::MatMulOp mm) { matmuls.push_back(mm); });
    for (nn::MatMulOp mm : matmuls) {
      std::string why = rewrite(mm);
      // An explicit kernel is a promise: a 4-bit weight-only matmul
      // it cannot run is an error, not a quiet generic fallback.
      if (!why.empty() && name != "auto") {
        auto d = mm.getRhs().getDefiningOp<DequantizeOp>();
        mm.emitError("qc-x86-fuse-weight-only: kernel=")
            << kernel << " has no kernel for this matmul with weights "
            << d.getInput().getType() << ": " << why;
        return signalPassFailure();
      }
    }
  }

  /// y - Xg Z for zero points z that differ: Xg [M, G] the sums of x over
  /// each group of K, Z [G, N] = fl32(s * (z - zero)) at compile time (the
  /// kernel subtracted `zero`), as nn ops (so that the product by the
  /// constant Z is the f32 kernel). The sums regroup: the last bits differ
  /// from the interpreter's dequantize-then-matmul, as the kernel's do.
  Value zeroPointCorrection(OpBuilder &b, Location loc, DequantizeOp d, Value x,
                            Value y, int64_t zero, int64_t group) {
    QTensorType qt = d.getInput().getType();
    SchemeAttr scheme = qt.getScheme();
    int64_t k = qt.getShape()[0], n = qt.getShape()[1], groups = k / group;
    int64_t m = llvm::cast<RankedTensorType>(x.getType()).getDimSize(0);
    DenseIntElementsAttr zs;
    DenseFPElementsAttr ss;
    (void)matchPattern(d.getZeroPoints(), m_Constant(&zs));
    (void)matchPattern(d.getScales(), m_Constant(&ss));
    auto zv = llvm::to_vector(
        llvm::map_range(zs.getValues<APInt>(),
                        [](const APInt &v) { return v.getSExtValue(); }));
    auto sv = llvm::to_vector(ss.getValues<float>());
    // Element (g, c) of the scales / zero points: per tensor, per column or
    // per [G, N] block.
    auto at = [&](int64_t g, int64_t c) -> size_t {
      switch (scheme.getGranularity()) {
      case Granularity::per_tensor:
        return 0;
      case Granularity::per_axis:
        return size_t(c);
      case Granularity::per_block:
        return size_t(g * n + c);
      }
      return 0;
    };
    SmallVector<float> corr(size_t(groups * n));
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t c = 0; c < n; ++c)
        corr[size_t(g * n + c)] = sv[at(g, c)] * float(zv[at(g, c)] - zero);
    auto f32 = b.getF32Type();
    Value z = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({groups, n}, f32),
                                    ArrayRef(corr)));
    Value xg = b.create<nn::ReshapeOp>(
        loc, RankedTensorType::get({m, groups, group}, f32), x,
        b.getDenseI64ArrayAttr({m, groups, group}));
    Value sums = b.create<nn::ReduceSumOp>(
        loc, RankedTensorType::get({m, groups}, f32), xg,
        b.getDenseI64ArrayAttr({2}), b.getBoolAttr(false));
    auto yt = RankedTensorType::get({m, n}, f32);
    Value shift = b.create<nn::MatMulOp>(loc, yt, sums, z);
    return b.create<nn::SubOp>(loc, yt, y, shift);
  }

  /// Rewrites `mm` if it is a 4-bit weight-only matmul the kernel runs.
  /// Returns why not for a 4-bit weight-only matmul it cannot run, else "".
  std::string rewrite(nn::MatMulOp mm) {
    auto d = mm.getRhs().getDefiningOp<DequantizeOp>();
    if (!d || d.getInput().getType().getNumericFormat().bits() != 4)
      return "";
    auto xt = llvm::cast<RankedTensorType>(mm.getLhs().getType());
    if (std::string why = unsupported(d); !why.empty())
      return why;
    if (!d->hasOneUse())
      return "the dequantized weight has other uses";
    if (xt.getRank() < 2 || !xt.hasStaticShape())
      return "needs static activations of rank >= 2";
    if (!d.getInput().getDefiningOp<UnpackOp>() &&
        !d.getInput().getDefiningOp<qc::ConstantOp>())
      return "the codes come from neither a qc.constant nor a qc.unpack";
    MLIRContext *ctx = &getContext();
    Location loc = mm.getLoc();
    OpBuilder b(mm);
    QTensorType qt = d.getInput().getType();
    num::Format f = qt.getNumericFormat();
    std::optional<int64_t> uniform = uniformZeroPoint(d);
    // The zero point the value table subtracts: the one value, or for
    // zero points that differ, the middle of the unsigned range (0 for
    // signed codes); the rest is corrected after the kernel.
    int64_t zero = uniform ? *uniform
                   : f.kind() == num::Format::Kind::Int && !f.isSigned() ? 8
                                                                         : 0;
    // Constant unsigned codes with zero point 8 are packed as c ^ 8, whose
    // two's complement value is c - 8: the kernel's arithmetic int4 decode.
    uint32_t flip = f.kind() == num::Format::Kind::Int && !f.isSigned() &&
                            zero == 8 &&
                            d.getInput().getDefiningOp<qc::ConstantOp>()
                        ? 8
                        : 0;
    Value bytes = packedBytes(b, loc, d.getInput(), flip);
    SchemeAttr scheme = qt.getScheme();
    int64_t k = qt.getShape()[0], n = qt.getShape()[1];
    int64_t m = xt.getNumElements() / k;

    // Scales as [G, N] (f32, or E8M0 / E4M3 codes), G = K / B.
    Value s = d.getScales();
    auto st = llvm::cast<RankedTensorType>(s.getType());
    int64_t group = k;
    StringRef scaleKind = "f32";
    if (FloatFormatAttr sf = scheme.getScaleFormat())
      scaleKind =
          sf.getFloatFormat() == num::FloatFormat::e8m0fnu() ? "e8m0" : "e4m3";
    // NVFP4: s = fl32(decode(code) * global), global 1 when absent.
    Value global = d.getGlobalScale();
    if (scaleKind == "e4m3" && !global)
      global = b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                      1.0f));
    switch (scheme.getGranularity()) {
    case Granularity::per_tensor:
      s = elementwise(b, loc,
                      RankedTensorType::get({1, n}, st.getElementType()), {s},
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
      break;
    case Granularity::per_axis:
      s = reshape(b, loc, s, {1, n});
      break;
    case Granularity::per_block:
      group = scheme.getBlock();
      break;
    }

    // The value of each (packed) code; integers minus the zero point.
    SmallVector<float> table;
    for (uint32_t c = 0; c < 16; ++c)
      table.push_back(float(f.kind() == num::Format::Kind::Int
                                ? double(f.codeToInt(c ^ flip) - zero)
                                : f.decode(c)));
    auto tableType = RankedTensorType::get({16}, b.getF32Type());
    auto tableAttr = DenseElementsAttr::get(tableType, llvm::ArrayRef(table));
    Value tableValue = b.create<arith::ConstantOp>(loc, tableAttr);

    Value x = reshape(b, loc, mm.getLhs(), {m, k});
    auto yType = RankedTensorType::get({m, n}, b.getF32Type());
    AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
               dk = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps{
        AffineMap::get(3, 0, {dm, dk}, ctx),
        AffineMap::get(3, 0, {dk, dn.floorDiv(2)}, ctx),
        AffineMap::get(3, 0, {dk.floorDiv(group), dn}, ctx)};
    SmallVector<Value> ins{x, bytes, s};
    if (global) {
      maps.push_back(AffineMap::get(3, 0, {}, ctx));
      ins.push_back(global);
    }
    maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
    SmallVector<utils::IteratorType> its{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction};
    auto gemv = b.create<linalg::GenericOp>(
        loc, yType, ins, ValueRange{empty(b, loc, yType)}, maps, its,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          auto cIdx = [&](int64_t v) {
            return nb.create<arith::ConstantIndexOp>(nl, v);
          };
          Value code =
              nibbleOfColumn(nb, nl, a[1], nb.create<linalg::IndexOp>(nl, 1));
          Value v = nb.create<tensor::ExtractOp>(
              nl, tableValue,
              ValueRange{nb.create<arith::IndexCastUIOp>(nl, nb.getIndexType(),
                                                         code)});
          Value scale = a[2];
          if (scaleKind != "f32") {
            Value c = nb.create<arith::ExtUIOp>(nl, nb.getI32Type(), a[2]);
            scale = scaleKind == "e8m0"
                        ? x86::decodeE8M0(nb, nl, c)
                        : nb.create<arith::MulFOp>(
                              nl, x86::decodeE4M3(nb, nl, c), a[3]);
          }
          Value w = nb.create<arith::MulFOp>(nl, v, scale);
          Value p = nb.create<arith::MulFOp>(nl, a[0], w);
          Value first = nb.create<arith::CmpIOp>(
              nl, arith::CmpIPredicate::eq, nb.create<linalg::IndexOp>(nl, 2),
              cIdx(0));
          Value acc = nb.create<arith::SelectOp>(
              nl, first,
              nb.create<arith::ConstantOp>(nl, nb.getF32FloatAttr(0.0f)),
              a.back());
          nb.create<linalg::YieldOp>(
              nl, ValueRange{nb.create<arith::AddFOp>(nl, acc, p)});
        });
    gemv->setAttr(x86::kKernelAttr, b.getStringAttr(tag));
    gemv->setAttr(x86::kW4TableAttr, tableAttr);
    gemv->setAttr(x86::kW4GroupAttr, b.getI64IntegerAttr(group));
    gemv->setAttr(x86::kW4ScaleAttr, b.getStringAttr(scaleKind));
    if (fma)
      gemv->setAttr(x86::kW4FmaAttr, b.getUnitAttr());
    Value y = gemv.getResult(0);
    if (!uniform)
      y = zeroPointCorrection(b, loc, d, x, y, zero, group);
    y = reshape(b, loc, y,
                llvm::cast<RankedTensorType>(mm.getType()).getShape());
    mm.replaceAllUsesWith(y);
    Value w = d.getInput();
    mm.erase();
    d.erase();
    if (Operation *def = w.getDefiningOp(); def && def->use_empty())
      def->erase();
    return "";
  }
};

} // namespace

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

/// The element of a [K, N] weight's scales / zero points for scale group g
/// (of K) and column c: per tensor, per column or per [G, N] block.
size_t groupElement(SchemeAttr scheme, int64_t g, int64_t c, int64_t n) {
  switch (scheme.getGranularity()) {
  case Granularity::per_tensor:
    return 0;
  case Granularity::per_axis:
    return size_t(c);
  case Granularity::per_block:
    return size_t(g * n + c);
  }
  return 0;
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
      if (rewriteInt8Activations(mm))
        continue;
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
    auto at = [&](int64_t g, int64_t c) {
      return groupElement(scheme, g, c, n);
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

  /// The compute_scales of `fq` if it fake-quantizes its input to int8 with
  /// scales computed from the input itself, symmetric, per block of the
  /// last axis (MatMulNBits at accuracy_level 4); the block in `block`.
  static ComputeScalesOp dynamicInt8Blocks(FakeQuantOp fq, int64_t &block) {
    QTensorType qt = fq.getQuantType();
    SchemeAttr scheme = qt.getScheme();
    num::Format f = qt.getNumericFormat();
    auto cs = fq.getScales().getDefiningOp<ComputeScalesOp>();
    if (!cs || cs.getInput() != fq.getInput() || cs.getQuantType() != qt ||
        cs.getClip() || fq.getZeroPoints() || fq.getGlobalScale() ||
        fq.getRounding() != RoundingMode::nearest_even ||
        f.kind() != num::Format::Kind::Int || f.bits() != 8 || !f.isSigned() ||
        scheme.getGranularity() != Granularity::per_block ||
        scheme.getAxis() != qt.getRank() - 1 || scheme.getScaleFormat() ||
        scheme.getAsymmetric())
      return {};
    block = scheme.getBlock();
    return cs;
  }

  /// Rewrites nn.matmul(qc.fake_quant(x) to int8 per block of K with
  /// dynamic scales, marked kIntegerDotAttr, qc.dequantize(W)) with W
  /// constant int4 / uint4 codes and constant f32 scales, into the int8
  /// kernel (kW4A8Kernel) on x's codes; true if it did. The integer sums run
  /// over the smaller of x's blocks and the weight's scale groups (one a
  /// multiple of the other: MatMulNBits' equal blocks, or per-token x against
  /// grouped or per-column weights), which must be a multiple of 32, with N a
  /// multiple of 8 and AVX2 on the host (the kernel's vpmaddubsw); otherwise
  /// the matmul stays for `rewrite` (the f32 kernel on the fake-quantized x).
  bool rewriteInt8Activations(nn::MatMulOp mm) {
    auto fq = mm.getLhs().getDefiningOp<FakeQuantOp>();
    auto d = mm.getRhs().getDefiningOp<DequantizeOp>();
    int64_t block = 0;
    if (!fq || !d || !d->hasOneUse() || !fq->hasAttr(x86::kIntegerDotAttr))
      return false;
    ComputeScalesOp cs = dynamicInt8Blocks(fq, block);
    if (!cs)
      return false;
    QTensorType qt = d.getInput().getType();
    num::Format f = qt.getNumericFormat();
    SchemeAttr scheme = qt.getScheme();
    auto code = d.getInput().getDefiningOp<qc::ConstantOp>();
    DenseFPElementsAttr scales;
    DenseIntElementsAttr zeroPoints;
    if (f.kind() != num::Format::Kind::Int || f.bits() != 4 || !code ||
        scheme.getScaleFormat() || d.getGlobalScale() ||
        !matchPattern(d.getScales(), m_Constant(&scales)) ||
        !scales.getElementType().isF32() || qt.getRank() != 2 ||
        (d.getZeroPoints() &&
         !matchPattern(d.getZeroPoints(), m_Constant(&zeroPoints))) ||
        (!f.isSigned() && !d.getZeroPoints()))
      return false;
    auto xt = llvm::cast<RankedTensorType>(fq.getType());
    int64_t k = qt.getShape()[0], n = qt.getShape()[1];
    if (!xt.hasStaticShape() || xt.getShape().back() != k)
      return false;
    int64_t m = xt.getNumElements() / k;
    int64_t group = k;
    switch (scheme.getGranularity()) {
    case Granularity::per_tensor:
      break;
    case Granularity::per_axis:
      if (scheme.getAxis() != 1)
        return false;
      break;
    case Granularity::per_block:
      if (scheme.getAxis() != 0)
        return false;
      group = scheme.getBlock();
      break;
    }
    // The blocks of the integer sums: the activations' blocks or the
    // weight's scale groups, whichever are smaller (the larger a multiple
    // of them; per-token activations have one block of K).
    int64_t ablock = block;
    if (group % ablock == 0)
      block = ablock;
    else if (ablock % group == 0)
      block = group;
    else
      return false;
    if (block % 32 || k % ablock || n % 8)
      return false;
    // Element (kr, c) of the scales / zero points: row kr of K.
    auto at = [&](int64_t kr, int64_t c) {
      return groupElement(scheme, kr / group, c, n);
    };
    auto sv = llvm::to_vector(scales.getValues<float>());
    SmallVector<int64_t> zv;
    if (zeroPoints)
      for (const APInt &v : zeroPoints.getValues<APInt>())
        zv.push_back(v.getSExtValue());
    // Unsigned codes u = c (value u - z), or signed c as u = c ^ 8 (value
    // u - 8 - z).
    int64_t offset = f.isSigned() ? 8 : 0;
    auto zeroAt = [&](int64_t kr, int64_t c) {
      return offset + (zv.empty() ? 0 : zv[at(kr, c)]);
    };
    auto codes = llvm::cast<DenseIntElementsAttr>(code.getValue());
    auto cv = llvm::to_vector(
        llvm::map_range(codes.getValues<APInt>(), [&](const APInt &v) {
          return uint8_t((v.getZExtValue() ^ uint64_t(offset)) & 0xF);
        }));
    int64_t blocks = k / block, c8s = n / 8;
    std::vector<int8_t> packed(size_t(n * k / 2));
    for (int64_t c8 = 0; c8 < c8s; ++c8)
      for (int64_t r = 0; r < k / 8; ++r)
        for (int64_t j = 0; j < 8; ++j)
          for (int64_t i = 0; i < 4; ++i) {
            int64_t col = 8 * c8 + j;
            uint8_t lo = cv[size_t((8 * r + i) * n + col)];
            uint8_t hi = cv[size_t((8 * r + 4 + i) * n + col)];
            packed[size_t(((c8 * (k / 8) + r) * 32) + 4 * j + i)] =
                int8_t(lo | (hi << 4));
          }
    std::vector<float> sp(size_t(c8s * blocks * 8));
    std::vector<int32_t> zp(sp.size());
    bool uniform = true;
    for (int64_t c8 = 0; c8 < c8s; ++c8)
      for (int64_t bl = 0; bl < blocks; ++bl)
        for (int64_t j = 0; j < 8; ++j) {
          size_t i = size_t((c8 * blocks + bl) * 8 + j);
          sp[i] = sv[at(bl * block, 8 * c8 + j)];
          zp[i] = int32_t(zeroAt(bl * block, 8 * c8 + j));
          uniform &= zp[i] == zp[0];
        }

    MLIRContext *ctx = &getContext();
    Location loc = mm.getLoc();
    OpBuilder b(mm);
    Type i8 = b.getI8Type(), f32 = b.getF32Type(), i32 = b.getI32Type();
    Value p = b.create<arith::ConstantOp>(
        loc,
        DenseIntElementsAttr::get(RankedTensorType::get({c8s, k / 8, 32}, i8),
                                  ArrayRef(packed)));
    Value s = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(
                 RankedTensorType::get({c8s, blocks, 8}, f32), ArrayRef(sp)));
    // x's codes and scales, [M, K] and [M, K / B].
    Value xq = b.create<QuantizeOp>(loc, fq.getQuantType(), fq.getInput(),
                                    cs.getScales(), Value(), Value(),
                                    RoundingMode::nearest_even, 0);
    auto codesType = RankedTensorType::get(xt.getShape(), i8);
    Value q = reshape(b, loc, b.create<CodesOp>(loc, codesType, xq), {m, k});
    // One activation scale per integer block (repeated where the
    // activations' blocks are larger).
    Value sa = reshape(b, loc, cs.getScales(), {m, k / ablock, 1});
    if (ablock > block)
      sa = b.create<nn::ExpandOp>(
          loc, RankedTensorType::get({m, k / ablock, ablock / block}, f32), sa,
          b.getDenseI64ArrayAttr({m, k / ablock, ablock / block}));
    sa = reshape(b, loc, sa, {m, blocks});
    SmallVector<Value> ins{q, sa, p, s};
    if (!uniform)
      ins.push_back(b.create<arith::ConstantOp>(
          loc,
          DenseIntElementsAttr::get(
              RankedTensorType::get({c8s, blocks, 8}, i32), ArrayRef(zp))));
    AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
               dk = getAffineDimExpr(2, ctx);
    auto perColumnBlock =
        AffineMap::get(3, 0, {dn.floorDiv(8), dk.floorDiv(block), dn % 8}, ctx);
    SmallVector<AffineMap> maps{
        AffineMap::get(3, 0, {dm, dk}, ctx),
        AffineMap::get(3, 0, {dm, dk.floorDiv(block)}, ctx),
        AffineMap::get(
            3, 0, {dn.floorDiv(8), dk.floorDiv(8), (dn % 8) * 4 + dk % 4}, ctx),
        perColumnBlock};
    if (!uniform)
      maps.push_back(perColumnBlock);
    maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
    auto yType = RankedTensorType::get({m, n}, f32);
    SmallVector<utils::IteratorType> its{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction};
    int32_t zero = zp[0];
    auto gemv = b.create<linalg::GenericOp>(
        loc, yType, ins, ValueRange{empty(b, loc, yType)}, maps, its,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          auto c32 = [&](int32_t v) {
            return nb.create<arith::ConstantOp>(nl, nb.getI32IntegerAttr(v));
          };
          Value kIdx = nb.create<arith::IndexCastUIOp>(
              nl, nb.getI32Type(), nb.create<linalg::IndexOp>(nl, 2));
          // The high nibble for rows 4-7 of each 8.
          Value shift = nb.create<arith::MulIOp>(
              nl,
              nb.create<arith::AndIOp>(
                  nl, nb.create<arith::ShRUIOp>(nl, kIdx, c32(2)), c32(1)),
              c32(4));
          Value u = nb.create<arith::AndIOp>(
              nl,
              nb.create<arith::ShRUIOp>(
                  nl, nb.create<arith::ExtUIOp>(nl, nb.getI32Type(), a[2]),
                  shift),
              c32(15));
          Value w = nb.create<arith::SubIOp>(nl, u, uniform ? c32(zero) : a[4]);
          Value t = nb.create<arith::SIToFPOp>(
              nl, nb.getF32Type(),
              nb.create<arith::MulIOp>(
                  nl, nb.create<arith::ExtSIOp>(nl, nb.getI32Type(), a[0]), w));
          Value scale = nb.create<arith::MulFOp>(nl, a[1], a[3]);
          Value first = nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::eq,
                                                 kIdx, c32(0));
          Value acc = nb.create<arith::SelectOp>(
              nl, first,
              nb.create<arith::ConstantOp>(nl, nb.getF32FloatAttr(0.0f)),
              a.back());
          nb.create<linalg::YieldOp>(
              nl, ValueRange{nb.create<arith::AddFOp>(
                      nl, acc, nb.create<arith::MulFOp>(nl, scale, t))});
        });
    gemv->setAttr(x86::kKernelAttr, b.getStringAttr(x86::kW4A8Kernel));
    gemv->setAttr(x86::kW4GroupAttr, b.getI64IntegerAttr(block));
    if (uniform)
      gemv->setAttr(x86::kW4A8ZeroAttr, b.getI64IntegerAttr(zero));
    Value y = reshape(b, loc, gemv.getResult(0),
                      llvm::cast<RankedTensorType>(mm.getType()).getShape());
    mm.replaceAllUsesWith(y);
    mm.erase();
    d.erase();
    if (code->use_empty())
      code->erase();
    if (fq->use_empty())
      fq->erase();
    return true;
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

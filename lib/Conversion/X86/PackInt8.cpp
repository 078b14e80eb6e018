//===- PackInt8.cpp - Compile-time packing for the VNNI GEMM --------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// vpdpbusd multiplies 4 consecutive u8 of one operand with 4 consecutive s8
// of the other and adds the 4 products into one s32 lane. The kernel
// broadcasts 4 activation bytes x[m, 4g..4g+3] to all 16 lanes and loads 16
// columns of weights with their 4 bytes along K adjacent, so the weights are
// packed as Bp[j][g][4c + t] = w[j * NR + c][4g + t] (zero beyond N and K):
// one 64-byte load per 16 columns and K group, and each [j] panel is one
// contiguous stream. The AVX2 kernel does the same with vpmaddwd, which
// multiplies pairs of s16 and adds each pair into one s32 lane: groups of
// 2 values of K, both operands widened to 16 bits when packed (the products
// of u8 and s8 then never saturate, unlike vpmaddubsw's).
//
// Signed activations become unsigned by adding 128 (x ^ 0x80), which the
// correction -128 * colsum(w)[n] undoes; a zero point zx is -zx * colsum(w).
// All of this is wrapping 32-bit arithmetic, as qc.linear specifies, so the
// result equals the interpreter's bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Int8Kernels.h"
#include "KernelUtils.h"

#include "../LinalgBuilders.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace qc::linalg_builders;

namespace qc::x86 {

bool hasVNNI512(StringRef cpu) {
  return targetHas(cpu, {"avx512f", "avx512bw", "avx512vnni"});
}

static Value i32Const(OpBuilder &b, Location loc, int32_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(v));
}

/// `v` padded with `value` at the end of each dimension to `shape`.
static Value padHigh(OpBuilder &b, Location loc, Value v,
                     ArrayRef<int64_t> shape, int64_t value = 0) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  Type e = t.getElementType();
  Value pad = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(e, value));
  return tensor::createPadHighOp(RankedTensorType::get(shape, e), v, pad,
                                 /*nofold=*/false, loc, b);
}

bool hasAVX2(StringRef cpu) { return targetHas(cpu, {"avx2"}); }

FailureOr<const Int8Kernel *> int8KernelNamed(StringRef name, StringRef cpu) {
  if (name == "vnni512" || (name == "auto" && hasVNNI512(cpu)))
    return &kVNNI512;
  if (name == "avx2" || (name == "auto" && hasAVX2(cpu)))
    return &kAVX2;
  if (name == "auto" || name == "generic")
    return static_cast<const Int8Kernel *>(nullptr);
  return failure();
}

Value buildPackedInt8Linear(OpBuilder &b, Location loc,
                            const Int8Kernel &kernel, Value x, bool xSigned,
                            DenseIntElementsAttr w, const num::Format &wf,
                            Value bias, Value zx) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  int64_t m = xt.getDimSize(0), k = xt.getDimSize(1);
  int64_t n = w.getType().getDimSize(0);
  const int64_t nr = kernel.cols(), gs = kernel.group;
  int64_t kp = llvm::alignTo(k, gs), np = llvm::alignTo(n, nr);
  int64_t nb = np / nr, kg = kp / gs;
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Type elt = b.getIntegerType(kernel.elementBits);

  // Packed weights (s8 values, stored in `elt`) and their column sums.
  std::vector<int16_t> packed(size_t(nb * kg * nr * gs), 0);
  std::vector<int32_t> colsum(size_t(n), 0);
  auto codes = w.getValues<APInt>();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      auto v = int8_t(
          wf.codeToInt(uint32_t(codes[size_t(r * k + c)].getZExtValue())));
      int64_t j = r / nr, col = r % nr, g = c / gs, t = c % gs;
      packed[size_t(((j * kg + g) * nr + col) * gs + t)] = v;
      colsum[size_t(r)] += v;
    }
  auto packedType = RankedTensorType::get({nb, kg, nr, gs}, elt);
  DenseIntElementsAttr packedAttr;
  if (kernel.elementBits == 8) {
    std::vector<int8_t> bytes(packed.begin(), packed.end());
    packedAttr = DenseIntElementsAttr::get(packedType, llvm::ArrayRef(bytes));
  } else {
    packedAttr = DenseIntElementsAttr::get(packedType, llvm::ArrayRef(packed));
  }
  Value bp = b.create<arith::ConstantOp>(loc, packedAttr);
  auto sumType = RankedTensorType::get({n}, i32);
  Value cs = b.create<arith::ConstantOp>(
      loc, DenseIntElementsAttr::get(sumType, llvm::ArrayRef(colsum)));

  // Activations as u8 (signed codes + 128), packed by row tiles:
  // Ap[t][g][i][u] = a[t * MR + i][G g + u], so the kernel reads one
  // contiguous G * MR values per K group. K is padded to a multiple of G
  // (signed codes with -128, which the offset turns into 0); the rows of
  // the last tile beyond M are never read. The AVX2 kernel's values are
  // zero-extended to 16 bits.
  int64_t mr = std::min(m, kernel.rows);
  int64_t mt = llvm::divideCeil(m, mr);
  Value a = padHigh(b, loc, x, {m, kp}, xSigned ? -128 : 0);
  a = b.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get({m, kg, gs}, i8), a,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto apType = RankedTensorType::get({mt, kg, mr, gs}, elt);
  Value ap =
      b.create<linalg::GenericOp>(
           loc, apType, ValueRange{a}, ValueRange{empty(b, loc, apType)},
           SmallVector<AffineMap>{
               AffineMap::getMultiDimIdentityMap(3, ctx),
               AffineMap::get(3, 0, {d(0).floorDiv(mr), d(1), d(0) % mr, d(2)},
                              ctx)},
           SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
           [&](OpBuilder &nb, Location nl, ValueRange args) {
             Value v = args[0];
             if (xSigned)
               v = nb.create<arith::XOrIOp>(
                   nl, v,
                   nb.create<arith::ConstantOp>(nl, nb.getI8IntegerAttr(-128)));
             if (elt != i8)
               v = nb.create<arith::ExtUIOp>(nl, elt, v);
             nb.create<linalg::YieldOp>(nl, v);
           })
          .getResult(0);
  if (elt ==
      i8) // Moved 4 bytes at a time, on all threads, after bufferization.
    ap.getDefiningOp()->setAttr(kKernelAttr,
                                b.getStringAttr(xSigned ? kPackS8 : kPackU8));

  // Per column: bias - (128 if signed) * colsum - zx * colsum.
  SmallVector<Value> ins{cs};
  if (bias)
    ins.push_back(bias);
  if (zx)
    ins.push_back(zx);
  Value corr = elementwise(
      b, loc, sumType, ins,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value s = args[0];
        Value v = xSigned
                      ? nb.create<arith::MulIOp>(nl, s, i32Const(nb, nl, -128))
                            .getResult()
                      : i32Const(nb, nl, 0);
        if (bias)
          v = nb.create<arith::AddIOp>(nl, v, args[1]);
        if (zx)
          v = nb.create<arith::SubIOp>(
              nl, v, nb.create<arith::MulIOp>(nl, args.back(), s));
        return v;
      });
  corr = padHigh(b, loc, corr, {np});
  corr = b.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get({nb, nr}, i32), corr,
      SmallVector<ReassociationIndices>{{0, 1}});
  // acc[m, j * NR + c] = corr[j, c] + sum_{g, u}
  //     u8(Ap[m / MR, g, m % MR, u]) * s8(Bp[j, g, c, u])
  // (the AVX2 kernel's operands hold the same values in 16 bits).
  return buildPackedGemm(
      b, loc, kernel, ap, bp, corr, m, n,
      [&](OpBuilder &nb, Location nl, Value acc, Value av, Value bv) -> Value {
        Value u = nb.create<arith::ExtUIOp>(nl, i32, av);
        Value s = nb.create<arith::ExtSIOp>(nl, i32, bv);
        return nb.create<arith::AddIOp>(nl, acc,
                                        nb.create<arith::MulIOp>(nl, u, s));
      });
}

Value buildPackedGemm(
    OpBuilder &b, Location loc, const Int8Kernel &kernel, Value ap, Value bp,
    Value corr, int64_t m, int64_t n,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value, Value)>
        step) {
  MLIRContext *ctx = b.getContext();
  auto apType = llvm::cast<RankedTensorType>(ap.getType());
  auto bpType = llvm::cast<RankedTensorType>(bp.getType());
  int64_t mr = apType.getDimSize(2), nr = bpType.getDimSize(2);
  int64_t np = bpType.getDimSize(0) * nr;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto accType = RankedTensorType::get(
      {m, np}, llvm::cast<RankedTensorType>(corr.getType()).getElementType());
  // Loops (m, j, c, g, u) over rows, column panels, columns in a panel,
  // K groups and values in a group; the sum starts from corr at the first
  // (g, u), so the accumulator needs no initialized buffer (the kernel
  // starts its registers from corr).
  SmallVector<AffineMap> maps{
      AffineMap::get(5, 0, {d(0).floorDiv(mr), d(3), d(0) % mr, d(4)}, ctx),
      AffineMap::get(5, 0, {d(1), d(3), d(2), d(4)}, ctx),
      AffineMap::get(5, 0, {d(1), d(2)}, ctx),
      AffineMap::get(5, 0, {d(0), d(1) * nr + d(2)}, ctx)};
  SmallVector<utils::IteratorType> its(3, utils::IteratorType::parallel);
  its.append(2, utils::IteratorType::reduction);
  auto gemm = b.create<linalg::GenericOp>(
      loc, accType, ValueRange{ap, bp, corr},
      ValueRange{empty(b, loc, accType)}, maps, its,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value first = nb.create<arith::AndIOp>(
            nl,
            nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::eq,
                                     nb.create<linalg::IndexOp>(nl, 3),
                                     nb.create<arith::ConstantIndexOp>(nl, 0)),
            nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::eq,
                                     nb.create<linalg::IndexOp>(nl, 4),
                                     nb.create<arith::ConstantIndexOp>(nl, 0)));
        Value acc = nb.create<arith::SelectOp>(nl, first, args[2], args[3]);
        nb.create<linalg::YieldOp>(nl, step(nb, nl, acc, args[0], args[1]));
      });
  gemm->setAttr(kKernelAttr, b.getStringAttr(kernel.tag));
  Value acc = gemm.getResult(0);
  if (np == n)
    return acc;
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
      sizes{b.getIndexAttr(m), b.getIndexAttr(n)},
      strides(2, b.getIndexAttr(1));
  return b.create<tensor::ExtractSliceOp>(loc, acc, offsets, sizes, strides);
}

} // namespace qc::x86

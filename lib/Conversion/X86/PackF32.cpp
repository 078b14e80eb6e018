//===- PackF32.cpp - Compile-time packing for the f32 GEMM ----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The f32 kernel is the int8 kernels' loop nest with one K value per lane:
// a 12 x 32 tile of f32 accumulators in 24 zmm registers, per value of K two
// 64-byte loads of weights, 12 broadcasts of activations and 24 multiplies
// and 24 adds (AVX2: a 6 x 16 tile in 12 ymm registers, 12 multiplies and
// 12 adds per K value). Weights [K, N] (a constant of the model) are packed
// at compile time as Bp[j][k][c] = w[k][j * NR + c] (zero beyond N), one
// contiguous stream per NR-column panel (32; AVX2: 16); activations at run
// time in row tiles Ap[t][k][i] = x[t * MR + i][k] (MR = 12; AVX2: 6). Every
// output is
// ((0 + x0 w0) + x1 w1) + ... in order of k with a rounded multiply and a
// rounded add (no FMA), the interpreter's arithmetic, so the result is the
// same bit for bit. With the FMA kernels (float-kernel=avx512-fma or
// avx2-fma) each term is one
// fused multiply-add, fl(acc + x w), in the same order: twice the
// arithmetic rate, and the last bits differ from the interpreter's.
//
//
// Convolutions (buildPackedF32Conv) use the same kernel on their im2col
// rows, gathered from the padded input into the row tiles through two
// constant offset tables (one per output pixel, one per (c, i, j)).
//
//===----------------------------------------------------------------------===//

#include "Int8Kernels.h"
#include "KernelUtils.h"

#include "../LinalgBuilders.h"

using namespace mlir;
using namespace qc::linalg_builders;

namespace qc::x86 {

bool hasAVX512F(StringRef cpu) { return targetHas(cpu, {"avx512f"}); }

/// A copy of `v` under the layout `map` gives (a parallel generic over v's
/// two dimensions into a new tensor of `type`).
static Value packed(OpBuilder &b, Location loc, Value v, RankedTensorType type,
                    AffineMap map) {
  MLIRContext *ctx = b.getContext();
  return b
      .create<linalg::GenericOp>(
          loc, type, ValueRange{v}, ValueRange{empty(b, loc, type)},
          SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(2, ctx),
                                 map},
          SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            nb.create<linalg::YieldOp>(nl, args[0]);
          })
      .getResult(0);
}

/// y = x * W for x packed in row tiles ap [M / MR][K][MR][1] and W packed
/// as bp [N / NR][K][NR][1]: the kernel's generic.
static Value gemmOfPacked(OpBuilder &b, Location loc, Value ap, Value bp,
                          int64_t m, int64_t n, const Int8Kernel &kernel) {
  assert(kernel.isFloat() && "an f32 kernel");
  const bool fma = kernel.fma;
  const int64_t nr = kernel.cols();
  int64_t nb = llvm::alignTo(n, nr) / nr;
  Type f32 = b.getF32Type();
  // The accumulators start from +0, as the interpreter's zero-filled C.
  Value zero = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get({nb, nr}, f32),
                                  b.getF32FloatAttr(0.0f)));
  // acc[m, j * NR + c] = zero[j, c] + sum_k Ap[m / MR, k, m % MR, 0] *
  // Bp[j, k, c, 0], in order of k: a rounded product, then a rounded sum
  // (with `fma`, one rounding per term).
  return buildPackedGemm(
      b, loc, kernel, ap, bp, zero, m, n,
      [&](OpBuilder &nb, Location nl, Value acc, Value av, Value bv) -> Value {
        if (fma)
          return nb.create<math::FmaOp>(nl, av, bv, acc);
        return nb.create<arith::AddFOp>(nl, acc,
                                        nb.create<arith::MulFOp>(nl, av, bv));
      });
}

/// y = x * W for f32 x [M, K] and W packed as bp [N / NR][K][NR][1]:
/// x packed at run time in row tiles Ap[t][k][i] = x[t * MR + i][k], then
/// the kernel's generic.
static Value packedF32Gemm(OpBuilder &b, Location loc, Value x, Value bp,
                           int64_t n, const Int8Kernel &kernel) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  int64_t m = xt.getDimSize(0), k = xt.getDimSize(1);
  int64_t mr = std::min(m, kernel.rows);
  int64_t mt = llvm::divideCeil(m, mr);
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value ap =
      packed(b, loc, x, RankedTensorType::get({mt, k, mr, 1}, b.getF32Type()),
             AffineMap::get(2, 0,
                            {d(0).floorDiv(mr), d(1), d(0) % mr,
                             getAffineConstantExpr(0, ctx)},
                            ctx));
  return gemmOfPacked(b, loc, ap, bp, m, n, kernel);
}

/// The constant weights `w` (row-major [K, N], or with `transposed` [N, K])
/// packed as Bp[j][k][c][0] = w[k][j * NR + c] (zero beyond N).
static Value packedConstantWeights(OpBuilder &b, Location loc,
                                   ArrayRef<float> w, int64_t k, int64_t n,
                                   const Int8Kernel &kernel,
                                   bool transposed = false) {
  const int64_t nr = kernel.cols();
  int64_t nb = llvm::alignTo(n, nr) / nr;
  std::vector<float> bytes(size_t(nb * k * nr), 0.0f);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      bytes[size_t(((c / nr) * k + r) * nr + c % nr)] =
          w[size_t(transposed ? c * k + r : r * n + c)];
  auto packedType = RankedTensorType::get({nb, k, nr, 1}, b.getF32Type());
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(packedType, llvm::ArrayRef(bytes)));
}

Value buildPackedF32Matmul(OpBuilder &b, Location loc, Value x,
                           ArrayRef<float> w, int64_t n,
                           const Int8Kernel &kernel, bool transposed) {
  int64_t k = llvm::cast<RankedTensorType>(x.getType()).getDimSize(1);
  Value bp = packedConstantWeights(b, loc, w, k, n, kernel, transposed);
  return packedF32Gemm(b, loc, x, bp, n, kernel);
}

Value buildPackedF32Conv(OpBuilder &b, Location loc, Value x, ArrayRef<float> w,
                         int64_t outChannels, ArrayRef<int64_t> kernelHW,
                         ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                         ArrayRef<int64_t> outHW, const Int8Kernel &kernel,
                         bool weightsLeft) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  int64_t batch = xt.getDimSize(0), channels = xt.getDimSize(1);
  int64_t kh = kernelHW[0], kw = kernelHW[1], oh = outHW[0], ow = outHW[1];
  int64_t k = channels * kh * kw, pixels = batch * oh * ow;
  int64_t hp = xt.getDimSize(2), wp = xt.getDimSize(3);
  // The im2col matrix is gathered from the flattened input straight into
  // the kernel's packed layout [T][K][W][1] (row tiles of activations, or
  // column panels of the right operand: the same form): element (t, k, i)
  // is x[start[t * W + i] + colOffset[k]], where start is the input offset
  // of output pixel t * W + i = (n, oh, ow) (0 beyond the last pixel: such
  // rows or columns are never stored) and colOffset that of k = (c, i, j).
  // Both tables are compile-time constants, so each element costs an add,
  // a load and a store (no division at run time).
  std::vector<int64_t> colOffset;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        colOffset.push_back((c * hp + i * dilations[0]) * wp +
                            j * dilations[1]);
  // 32-bit offsets where the input allows (half the tables' bytes).
  Type offsetType = xt.getNumElements() < (int64_t(1) << 31)
                        ? Type(b.getI32Type())
                        : Type(b.getI64Type());
  auto table = [&](ArrayRef<int64_t> values, ArrayRef<int64_t> shape) {
    SmallVector<APInt> ints;
    for (int64_t v : values)
      ints.push_back(APInt(offsetType.getIntOrFloatBitWidth(), uint64_t(v),
                           /*isSigned=*/true));
    return b.create<arith::ConstantOp>(
        loc,
        DenseElementsAttr::get(RankedTensorType::get(shape, offsetType), ints));
  };
  Value flat = reshape(b, loc, x, {xt.getNumElements()});
  Value cols = table(colOffset, {k});
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto gather = [&](int64_t width) {
    int64_t tiles = llvm::divideCeil(pixels, width);
    std::vector<int64_t> start(size_t(tiles * width), 0);
    for (int64_t r = 0; r < pixels; ++r) {
      int64_t n = r / (oh * ow), y = r % (oh * ow) / ow, x0 = r % ow;
      start[size_t(r)] =
          ((n * channels) * hp + y * strides[0]) * wp + x0 * strides[1];
    }
    auto type = RankedTensorType::get({tiles, k, width, 1}, b.getF32Type());
    return b
        .create<linalg::GenericOp>(
            loc, type, ValueRange{table(start, {tiles, width}), cols},
            ValueRange{empty(b, loc, type)},
            SmallVector<AffineMap>{
                AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                AffineMap::get(3, 0, {d(1)}, ctx),
                AffineMap::get(
                    3, 0, {d(0), d(1), d(2), getAffineConstantExpr(0, ctx)},
                    ctx)},
            SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value at = nb.create<arith::IndexCastOp>(
                  nl, nb.getIndexType(),
                  nb.create<arith::AddIOp>(nl, args[0], args[1]));
              nb.create<linalg::YieldOp>(
                  nl, ValueRange{nb.create<tensor::ExtractOp>(nl, flat, at)});
            })
        .getResult(0);
  };
  if (!weightsLeft) {
    // Pixels as rows: [N * oH * oW, K] x [K, M'] (W [M'][K] transposed).
    Value bp = packedConstantWeights(b, loc, w, k, outChannels, kernel,
                                     /*transposed=*/true);
    return gemmOfPacked(b, loc, gather(std::min(pixels, kernel.rows)), bp,
                        pixels, outChannels, kernel);
  }
  // Output channels as rows: [M', K] x [K, N * oH * oW], W packed in row
  // tiles at compile time, the pixels in column panels.
  int64_t mr = std::min(outChannels, kernel.rows);
  int64_t mt = llvm::divideCeil(outChannels, mr);
  std::vector<float> rows(size_t(mt * k * mr), 0.0f);
  for (int64_t r = 0; r < outChannels; ++r)
    for (int64_t q = 0; q < k; ++q)
      rows[size_t(((r / mr) * k + q) * mr + r % mr)] = w[size_t(r * k + q)];
  Value ap = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(
               RankedTensorType::get({mt, k, mr, 1}, b.getF32Type()),
               llvm::ArrayRef(rows)));
  return gemmOfPacked(b, loc, ap, gather(kernel.cols()), outChannels, pixels,
                      kernel);
}

Value buildRuntimeF32Matmul(OpBuilder &b, Location loc, Value x, Value w,
                            const Int8Kernel &kernel, bool transposedW) {
  MLIRContext *ctx = b.getContext();
  auto wt = llvm::cast<RankedTensorType>(w.getType());
  int64_t k = wt.getDimSize(transposedW ? 1 : 0),
          n = wt.getDimSize(transposedW ? 0 : 1);
  const int64_t nr = kernel.cols();
  int64_t nb = llvm::alignTo(n, nr) / nr;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // W packed at run time by the same layout as constant weights (padding
  // lanes are never read into y); w^T's dimensions are (n, k).
  unsigned kd = transposedW ? 1 : 0, nd = transposedW ? 0 : 1;
  Value bp =
      packed(b, loc, w, RankedTensorType::get({nb, k, nr, 1}, b.getF32Type()),
             AffineMap::get(2, 0,
                            {d(nd).floorDiv(nr), d(kd), d(nd) % nr,
                             getAffineConstantExpr(0, ctx)},
                            ctx));
  return packedF32Gemm(b, loc, x, bp, n, kernel);
}

} // namespace qc::x86

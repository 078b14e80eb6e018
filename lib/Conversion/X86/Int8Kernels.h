//===- Int8Kernels.h - x86 integer GEMM kernels -----------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 VNNI u8 x s8 -> s32 GEMM of qc.linear. QCToLinalg packs the
// constant weights at compile time and emits a linalg.generic on the packed
// layout tagged with kKernelAttr; after bufferization,
// --qc-x86-lower-int8-kernels replaces the tagged op by the register-blocked
// vpdpbusd loop nest. Untagged or not rewritten, the generic is an ordinary
// (slow, exact) contraction on the same operands.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_X86_INT8KERNELS_H
#define QC_LIB_CONVERSION_X86_INT8KERNELS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "qc/Support/Numerics/Format.h"

namespace qc::x86 {

/// One register-blocked u8 x s8 -> s32 kernel (or, with 32-bit elements,
/// the f32 one): its packed layouts and micro-kernel shape. Activations (u8,
/// signed codes + 128) and weights (s8) are packed with `group` consecutive K
/// values per 32-bit lane: Bp [N / NR][K / group][NR][group], Ap [M / MR][K /
/// group][MR][group], in elements of `elementBits` (the AVX2 kernel widens both
/// to 16 bits at packing time, so vpmaddwd sums exact products).
struct Int8Kernel {
  llvm::StringLiteral tag; ///< the kKernelAttr value
  int64_t rows;            ///< MR: rows of activations per micro-kernel
  int64_t lanes;           ///< i32 lanes per vector register
  int64_t vectors;         ///< accumulator vectors per row
  int64_t group;           ///< K values per 32-bit lane
  unsigned elementBits;    ///< 8 (bytes), 16 (widened) or 32 (f32)
  bool fma = false;        ///< f32: one FMA per term (else mul, then add)
  bool isFloat() const { return elementBits == 32; }
  int64_t cols() const { return lanes * vectors; } ///< NR
};

/// AVX-512 VNNI: 12 x 32 tile, 24 zmm accumulators, vpdpbusd on 4 bytes.
constexpr Int8Kernel kVNNI512{"u8s8_vnni512", 12, 16, 2, 4, 8};
/// AVX2: 6 x 16 tile, 12 ymm accumulators, vpmaddwd on 2 widened values.
constexpr Int8Kernel kAVX2{"u8s8_avx2", 6, 8, 2, 2, 16};

/// AVX-512 f32: 12 x 32 tile, 24 zmm accumulators, one K value per lane,
/// a multiply and an add per product (bit-exact, see PackF32.cpp).
constexpr Int8Kernel kF32AVX512{"f32_avx512", 12, 16, 2, 1, 32};
/// The same with one FMA per product and sum: rounds once per term, so the
/// last bits differ from the interpreter's (float-kernel=avx512-fma).
constexpr Int8Kernel kF32AVX512FMA{"f32_avx512_fma", 12, 16, 2, 1, 32, true};
/// AVX2 f32: 6 x 16 tile, 12 ymm accumulators (the AVX2 int8 kernel's
/// shape), a multiply and an add per product (bit-exact).
constexpr Int8Kernel kF32AVX2{"f32_avx2", 6, 8, 2, 1, 32};
/// The same with one FMA per product and sum (float-kernel=avx2-fma).
constexpr Int8Kernel kF32AVX2FMA{"f32_avx2_fma", 6, 8, 2, 1, 32, true};

/// Discardable attribute naming the kernel a linalg.generic stands for.
constexpr llvm::StringLiteral kKernelAttr = "qc.x86_kernel";
/// kKernelAttr values of the byte activation packing ([M, KG, G] codes into
/// row tiles [MT, KG, MR, G]) that X86LowerInt8Kernels replaces by 4-byte
/// moves over threads: u8 codes as they are, s8 codes + 128.
constexpr llvm::StringLiteral kPackU8 = "pack_u8";
constexpr llvm::StringLiteral kPackS8 = "pack_s8";

/// Whether the CPU `cpu` (targetHas: empty is the host) has AVX-512 F/BW
/// and VNNI.
bool hasVNNI512(llvm::StringRef cpu);
/// Whether the CPU `cpu` (empty: the host) has AVX2.
bool hasAVX2(llvm::StringRef cpu);

/// The 8-bit kernel an `int8-kernel` option names for `cpu`: "vnni512",
/// "avx2", or for "auto" the best the CPU has; null for "generic" (or
/// "auto" without AVX2). Fails on another name.
mlir::FailureOr<const Int8Kernel *> int8KernelNamed(llvm::StringRef name,
                                                    llvm::StringRef cpu);

/// acc[m, n] = bias[n] + sum_k (x[m, k] - zx) * w[n, k] for 8-bit integer
/// activation codes x (tensor<MxKxi8>, signed codes when `xSigned`), the
/// constant weight codes `w` ([N, K], format `wf`: signed, at most 8 bits),
/// an optional `bias` (tensor<Nxi32>) and zero point `zx` (tensor<i32>).
/// Emits the packed-operand generic tagged for `kernel`; result
/// tensor<MxNxi32>, exact (wrapping) like the interpreter.
mlir::Value buildPackedInt8Linear(mlir::OpBuilder &b, mlir::Location loc,
                                  const Int8Kernel &kernel, mlir::Value x,
                                  bool xSigned, mlir::DenseIntElementsAttr w,
                                  const num::Format &wf, mlir::Value bias,
                                  mlir::Value zx);

/// The generic tagged for `kernel` over packed operands Ap [MT][KG][MR][G]
/// and Bp [NB][KG][NR][G]: acc[m, j * NR + c] starts from corr[j, c] and
/// takes `step(acc, a, b)` for every (g, u) in order; the result is
/// tensor<MxN> (sliced from the padded NB * NR columns).
mlir::Value buildPackedGemm(
    mlir::OpBuilder &b, mlir::Location loc, const Int8Kernel &kernel,
    mlir::Value ap, mlir::Value bp, mlir::Value corr, int64_t m, int64_t n,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value, mlir::Value, mlir::Value)>
        step);

/// Whether the CPU `cpu` (empty: the host) has AVX-512 F.
bool hasAVX512F(llvm::StringRef cpu);

/// y[m, n] = sum_k x[m, k] * w[k, n] for f32 activations x (tensor<MxKxf32>)
/// and the constant weights `w` (row-major [K, N]; with `transposed`
/// [N, K], as Gemm's transB): the packed-operand
/// generic tagged for `kernel` (kF32AVX512 or kF32AVX2: the interpreter's
/// order and rounding, bit-exact; their FMA variants: same order, one
/// rounding per term). Result tensor<MxNxf32>.
mlir::Value buildPackedF32Matmul(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value x, llvm::ArrayRef<float> w,
                                 int64_t n, const Int8Kernel &kernel,
                                 bool transposed = false);

/// A 2-D convolution (group 1) of the zero-padded f32 input `x`
/// (tensor<NxCxHxWxf32>) by the constant weights `w` (row-major [M][C][kh]
/// [kw]) as the f32 GEMM of the im2col matrix (output pixel (n, oh, ow) by
/// (c, i, j)), gathered from x straight into the kernel's packed layout,
/// and the weights packed at compile time: pixels as rows times W^T
/// (result tensor<(N * oH * oW)xMxf32>), or with `weightsLeft` W times the
/// im2col columns (result tensor<Mx(N * oH * oW)xf32>, NCHW for one
/// image). Every output sums over (c, i, j) in order from +0, as
/// nn.conv's loop nest and the interpreter.
mlir::Value buildPackedF32Conv(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value x, llvm::ArrayRef<float> w,
                               int64_t outChannels,
                               llvm::ArrayRef<int64_t> kernelHW,
                               llvm::ArrayRef<int64_t> strides,
                               llvm::ArrayRef<int64_t> dilations,
                               llvm::ArrayRef<int64_t> outHW,
                               const Int8Kernel &kernel, bool weightsLeft);

/// y = x * w for f32 x (tensor<MxKxf32>) and w (tensor<KxNxf32>; with
/// `transposedW`, w^T as tensor<NxKxf32>) both computed at run time
/// (attention's Q K^T and P V): the same kernel as buildPackedF32Matmul
/// with w packed at run time too (from w^T directly: no transpose pass).
/// Result tensor<MxNxf32>.
mlir::Value buildRuntimeF32Matmul(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value x, mlir::Value w,
                                  const Int8Kernel &kernel,
                                  bool transposedW = false);

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_INT8KERNELS_H

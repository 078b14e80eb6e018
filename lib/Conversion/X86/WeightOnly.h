//===- WeightOnly.h - 4-bit weight-only matmul kernels ----------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// nn.matmul(x, qc.dequantize(W)) with 4-bit weights (int4, FP4 / MXFP4 /
// NVFP4) becomes, with --qc-x86-fuse-weight-only, one linalg.generic on
// the packed codes (two per byte along N, low nibble first: the qc.unpack
// layout), the scales as [G, N] and NVFP4's global scale, tagged
// kWeightOnlyKernel (or kWeightOnlyKernelAVX2); after bufferization
// --qc-x86-lower-weight-only-kernels turns it into AVX-512 code that
// decodes the nibbles with a 16-entry table permute inside the K loop (AVX2:
// in place for int4, by byte lookups for bfloat16-exact tables such as FP4,
// 8-entry permutes otherwise), so f32 weights are never materialized.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_X86_WEIGHTONLY_H
#define QC_LIB_CONVERSION_X86_WEIGHTONLY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringRef.h"

namespace qc::x86 {

constexpr llvm::StringLiteral kWeightOnlyKernel = "w4_f32_avx512";
constexpr llvm::StringLiteral kWeightOnlyKernelAVX2 = "w4_f32_avx2";
/// DenseElementsAttr tensor<16xf32>: the value of each 4-bit code.
constexpr llvm::StringLiteral kW4TableAttr = "qc.w4_table";
/// I64: rows of K per scale group (K itself for one group).
constexpr llvm::StringLiteral kW4GroupAttr = "qc.w4_group";
/// The scales: "f32", or i8 codes of "e8m0" (MXFP4) or "e4m3" (NVFP4,
/// times the global scale, the generic's fourth input).
constexpr llvm::StringLiteral kW4ScaleAttr = "qc.w4_scale";
/// Unit attribute: the panel path (many rows of x) uses fused multiply-adds
/// (kernel=avx512-fma / avx2-fma; not bit-exact with the interpreter).
constexpr llvm::StringLiteral kW4FmaAttr = "qc.w4_fma";

/// 4-bit weights times int8 activations quantized per block of K (onnxruntime's
/// MatMulNBits at accuracy_level 4): y[m, n] = sum over blocks b of
/// fl32(sa[m, b] * S[b, n]) * (sum over k in b of q[m, k] * (u[k, n] - z)),
/// the integer sums exact, on AVX2's vpmaddubsw. Operands: the codes q
/// [M, K] i8, their scales sa [M, K / B], the weight's unsigned codes u
/// packed [N / 8, K / 8, 32] (byte 4j + i of a row holds rows 8r + i (low
/// nibble) and 8r + 4 + i (high) of column 8c + j), the scales S as
/// [N / 8, K / B, 8] f32 and, for zero points that differ, z as
/// [N / 8, K / B, 8] i32 (else kW4A8ZeroAttr).
constexpr llvm::StringLiteral kW4A8Kernel = "w4a8_avx2";
/// I64: the zero point z of every weight code (when it is one value).
constexpr llvm::StringLiteral kW4A8ZeroAttr = "qc.w4a8_zero";
/// Unit attribute on a qc.fake_quant of activations: the matmuls reading
/// it may compute with the codes (integer dot products per block) instead
/// of the fake-quantized floats. The ONNX importer sets it for MatMulNBits
/// at accuracy_level 4, whose int8 compute onnxruntime defines that way.
/// Without it (the PTQ pipeline's simulated quantization) the f32 kernels,
/// bit-exact with the interpreter for prompts, run instead: the integer
/// sums' last-bit differences can flip later activation codes.
constexpr llvm::StringLiteral kIntegerDotAttr = "qc.integer_dot";

/// Replaces the bufferized generic `g` tagged kW4A8Kernel by its AVX2 loop
/// nest (W4A8Kernel.cpp), built at `b`'s insertion point.
void buildW4A8Kernel(mlir::OpBuilder &b, mlir::linalg::GenericOp g);

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_WEIGHTONLY_H

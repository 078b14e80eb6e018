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

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_WEIGHTONLY_H

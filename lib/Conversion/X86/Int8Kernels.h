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

/// Rows of activations per micro-kernel call (MR).
constexpr int64_t kVNNIRows = 12;
/// zmm accumulators per row; NR = 16 * kVNNIVectors output columns.
constexpr int64_t kVNNIVectors = 2;
constexpr int64_t kVNNICols = 16 * kVNNIVectors;
/// Discardable attribute naming the kernel a linalg.generic stands for.
constexpr llvm::StringLiteral kKernelAttr = "qc.x86_kernel";
constexpr llvm::StringLiteral kVNNIKernel = "u8s8_vnni512";

/// Whether the host CPU has AVX-512 F/BW and VNNI.
bool hostHasVNNI512();

/// acc[m, n] = bias[n] + sum_k (x[m, k] - zx) * w[n, k] for 8-bit integer
/// activation codes x (tensor<MxKxi8>, signed codes when `xSigned`), the
/// constant weight codes `w` ([N, K], format `wf`: signed, at most 8 bits),
/// an optional `bias` (tensor<Nxi32>) and zero point `zx` (tensor<i32>).
/// Emits the packed-weight generic tagged for the VNNI kernel; result
/// tensor<MxNxi32>, exact (wrapping) like the interpreter.
mlir::Value buildPackedVNNILinear(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value x, bool xSigned,
                                  mlir::DenseIntElementsAttr w,
                                  const num::Format &wf, mlir::Value bias,
                                  mlir::Value zx);

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_INT8KERNELS_H

//===- KernelUtils.h - Shared pieces of the x86 kernel lowerings -*- C++
//-*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_X86_KERNELUTILS_H
#define QC_LIB_CONVERSION_X86_KERNELUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace qc::x86 {

/// for i in [lo, hi) step `step`: body(builder, i), as an scf.for without
/// results.
void forLoop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lo,
             mlir::Value hi, mlir::Value step,
             llvm::function_ref<void(mlir::OpBuilder &, mlir::Value)> body);

/// The linalg.generic ops under `root` tagged kKernelAttr = `kernel`. Each
/// must be bufferized, with identity-layout operands; otherwise an error
/// names `pass` and this fails.
mlir::FailureOr<llvm::SmallVector<mlir::linalg::GenericOp>>
taggedKernels(mlir::Operation *root, llvm::StringRef kernel,
              llvm::StringRef pass);

/// Whether the host CPU has every one of `features` (LLVM names, e.g.
/// "avx512vnni").
bool hostHas(llvm::ArrayRef<llvm::StringRef> features);

/// Whether the x86 CPU `cpu` (an LLVM CPU name, e.g. "sapphirerapids") has
/// every one of `features`; an empty `cpu` is the host (hostHas), an
/// unknown one has none.
bool targetHas(llvm::StringRef cpu, llvm::ArrayRef<llvm::StringRef> features);

/// The f32 value 2^(e - 127) of E8M0 scale codes `e` (i32 scalar or
/// vector): e = 0 is the subnormal 2^-127, 255 is NaN.
mlir::Value decodeE8M0(mlir::OpBuilder &b, mlir::Location loc, mlir::Value e);

/// The f32 value of FP8 E4M3 (fn: no infinities) codes `c` (i32 scalar or
/// vector holding the byte zero-extended): the exponent and mantissa moved
/// to f32's fields and multiplied by 2^120 (exact, subnormals included),
/// NaN for 0x7F / 0xFF, the sign from bit 7.
mlir::Value decodeE4M3(mlir::OpBuilder &b, mlir::Location loc, mlir::Value c);

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_KERNELUTILS_H

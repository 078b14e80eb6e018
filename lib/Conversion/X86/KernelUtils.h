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

} // namespace qc::x86

#endif // QC_LIB_CONVERSION_X86_KERNELUTILS_H

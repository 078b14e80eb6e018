//===- GPUUtils.h - Helpers of the GPU lowering passes ----------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_GPU_GPUUTILS_H
#define QC_LIB_CONVERSION_GPU_GPUUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qc::gpu {

/// Whether `op`, in host code, reads or writes memory itself or in its
/// regions. Allocations, launches and the gpu dialect's copies do not
/// count: they stay on the host (the copies and launches act on the
/// device).
inline bool hostAccess(mlir::Operation *op) {
  using namespace mlir;
  if (isa<memref::AllocOp, memref::DeallocOp, memref::AllocaOp,
          mlir::gpu::LaunchOp, mlir::gpu::MemcpyOp, mlir::gpu::AllocOp,
          mlir::gpu::DeallocOp, func::ReturnOp>(op))
    return false;
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  if (!effects)
    return true;
  return llvm::any_of(*effects, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect());
  });
}

/// Emits an error on the first op of `func`'s host code (outside
/// gpu.launch) that reads or writes memory; fails if there is one.
mlir::LogicalResult checkNoHostAccess(mlir::func::FuncOp func);

} // namespace qc::gpu

#endif // QC_LIB_CONVERSION_GPU_GPUUTILS_H

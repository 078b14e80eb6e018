//===- GPUMergeKernelModules.cpp - One gpu.module for all kernels ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// --qc-gpu-merge-kernel-modules: gpu-kernel-outlining makes one gpu.module
// per kernel, each with copies of the globals and functions it uses; this
// pass moves every kernel into the first module, keeps one copy of each
// other symbol, and points the launches at the moved kernels.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace qc {
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {

struct GPUMergeKernelModulesPass
    : qc::impl::GPUMergeKernelModulesBase<GPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.size() < 2)
      return;
    gpu::GPUModuleOp target = kernelModules.front();
    SymbolTable targetSymbols(target);
    // (old module, old kernel) -> new kernel name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp from : kernelModules) {
      bool first = from == target;
      for (Operation &op :
           llvm::make_early_inc_range(from.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        auto kernel = dyn_cast<gpu::GPUFuncOp>(&op);
        if (kernel && kernel.isKernel()) {
          // The module's name is unique in the parent module; the kernel's
          // (the host function's name + "_kernel") is not.
          StringAttr name = from.getSymNameAttr();
          renamed[{from.getSymNameAttr(), kernel.getNameAttr()}] = name;
          if (first) {
            targetSymbols.remove(kernel);
            SymbolTable::setSymbolName(kernel, name);
            targetSymbols.insert(kernel);
            continue;
          }
          SymbolTable::setSymbolName(kernel, name);
          kernel->remove();
          targetSymbols.insert(kernel);
          continue;
        }
        if (first)
          continue;
        // Globals and functions the outlining copied into every module that
        // uses them: one copy is enough (they are the same op).
        if (Operation *existing = targetSymbols.lookup(symbol.getName())) {
          if (!OperationEquivalence::isEquivalentTo(
                  existing, &op, OperationEquivalence::ignoreValueEquivalence,
                  nullptr, OperationEquivalence::IgnoreLocations)) {
            op.emitOpError("differs from the symbol of the same name in ")
                << target.getSymName()
                << "; the kernel modules cannot be merged";
            return signalPassFailure();
          }
          continue;
        }
        op.remove();
        targetSymbols.insert(&op);
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr ref = launch.getKernel();
      auto it = renamed.find({ref.getRootReference(), ref.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp from : kernelModules)
      if (from != target)
        from.erase();
  }
};

} // namespace

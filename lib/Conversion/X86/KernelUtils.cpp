//===- KernelUtils.cpp - Shared pieces of the x86 kernel lowerings --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "Int8Kernels.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace qc::x86 {

void forLoop(OpBuilder &b, Location loc, Value lo, Value hi, Value step,
             llvm::function_ref<void(OpBuilder &, Value)> body) {
  b.create<scf::ForOp>(loc, lo, hi, step, ValueRange{},
                       [&](OpBuilder &lb, Location, Value i, ValueRange) {
                         body(lb, i);
                         lb.create<scf::YieldOp>(loc);
                       });
}

FailureOr<SmallVector<linalg::GenericOp>>
taggedKernels(Operation *root, StringRef kernel, StringRef pass) {
  SmallVector<linalg::GenericOp> kernels;
  root->walk([&](linalg::GenericOp g) {
    auto name = g->getAttrOfType<StringAttr>(kKernelAttr);
    if (name && name.getValue() == kernel)
      kernels.push_back(g);
  });
  for (linalg::GenericOp g : kernels) {
    if (!g.hasPureBufferSemantics())
      return g.emitError(pass)
             << ": the " << kernel << " kernel runs after bufferization";
    for (Value v : g->getOperands())
      if (!llvm::cast<MemRefType>(v.getType()).getLayout().isIdentity())
        return g.emitError(pass)
               << ": operands must have the identity layout, got "
               << v.getType();
  }
  return kernels;
}

} // namespace qc::x86

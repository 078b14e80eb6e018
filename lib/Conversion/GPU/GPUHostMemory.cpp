//===- GPUHostMemory.cpp - Device memory for the GPU pipeline -------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// --qc-gpu-host-memory: after convert-parallel-loops-to-gpu, the host code
// of a function allocates, views and launches. Its allocations become
// device allocations, the constants its kernels read are referred to from
// inside the kernels (so they become globals of the GPU module), and with
// host-buffers each public function copies its inputs to the device and
// its outputs back.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "GPUUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace qc {
#define GEN_PASS_DEF_GPUHOSTMEMORY
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {

/// The ops from a memref.get_global to `v` through views (the global
/// first), or nothing if `v` is not a view of a global.
SmallVector<Operation *> globalChain(Value v) {
  SmallVector<Operation *> chain;
  while (Operation *def = v.getDefiningOp()) {
    chain.push_back(def);
    if (isa<memref::GetGlobalOp>(def)) {
      std::reverse(chain.begin(), chain.end());
      return chain;
    }
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else if (auto expand = dyn_cast<memref::ExpandShapeOp>(def))
      v = expand.getSrc();
    else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def))
      v = collapse.getSrc();
    else
      break;
  }
  return {};
}

/// Clones into `launch` the get_global (and views) behind each memref it
/// uses from above, so the outlined kernel reads the GPU module's copy.
void sinkGlobals(gpu::LaunchOp launch) {
  SetVector<Value> above;
  getUsedValuesDefinedAbove(launch.getBody(), above);
  Block &body = launch.getBody().front();
  OpBuilder b(&body, body.begin());
  for (Value v : above) {
    SmallVector<Operation *> chain = globalChain(v);
    if (chain.empty())
      continue;
    IRMapping map;
    for (Operation *op : chain)
      b.clone(*op, map);
    Value inside = map.lookup(v);
    v.replaceUsesWithIf(inside, [&](OpOperand &use) {
      return launch->isProperAncestor(use.getOwner());
    });
  }
}

struct GPUHostMemoryPass : qc::impl::GPUHostMemoryBase<GPUHostMemoryPass> {
  using GPUHostMemoryBase::GPUHostMemoryBase;

  LogicalResult runOnFunction(func::FuncOp func) {
    IRRewriter rewriter(func.getContext());
    SmallVector<gpu::LaunchOp> launches;
    func.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp l : launches)
      sinkGlobals(l);

    // Host allocations become device allocations.
    SmallVector<Operation *> hostOps;
    func->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<memref::AllocOp, memref::DeallocOp, memref::AllocaOp>(op))
        hostOps.push_back(op);
      return WalkResult::advance();
    });
    for (Operation *op : hostOps) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::AllocOp>(
            alloc, alloc.getType(), Type(), ValueRange{},
            alloc.getDynamicSizes(), alloc.getSymbolOperands(), false);
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::DeallocOp>(
            dealloc, Type(), ValueRange{}, dealloc.getMemref());
      } else {
        return op->emitOpError("allocates host stack memory outside a GPU "
                               "kernel; the GPU lowering cannot place it");
      }
    }

    if (hostBuffers && func.isPublic() && !func.isExternal()) {
      unsigned numInputs = func.getNumArguments();
      if (auto n = func->getAttrOfType<IntegerAttr>("qc.gpu.num_inputs"))
        numInputs = n.getInt();
      func->removeAttr("qc.gpu.num_inputs");
      Block &entry = func.getBody().front();
      SmallVector<std::pair<Value, Value>> outputs; // (argument, device)
      SmallVector<Value> device;
      for (BlockArgument arg : entry.getArguments()) {
        auto type = dyn_cast<MemRefType>(arg.getType());
        if (!type)
          continue;
        rewriter.setInsertionPointToStart(&entry);
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            sizes.push_back(
                rewriter.create<memref::DimOp>(arg.getLoc(), arg, d));
        auto buffer = rewriter.create<gpu::AllocOp>(
            arg.getLoc(),
            MemRefType::get(type.getShape(), type.getElementType()), Type(),
            ValueRange{}, sizes, ValueRange{}, false);
        Value d = buffer.getMemref();
        Value used = d;
        if (!type.getLayout().isIdentity())
          used = rewriter.create<memref::CastOp>(arg.getLoc(), type, d);
        arg.replaceUsesWithIf(used, [&](OpOperand &use) {
          return use.getOwner() != buffer &&
                 !isa<memref::DimOp>(use.getOwner()) &&
                 use.getOwner() != used.getDefiningOp();
        });
        device.push_back(d);
        if (arg.getArgNumber() >= numInputs)
          outputs.push_back({arg, d});
        else
          rewriter.create<gpu::MemcpyOp>(arg.getLoc(), Type(), ValueRange{}, d,
                                         arg);
      }
      for (Block &block : func.getBody())
        if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
          rewriter.setInsertionPoint(ret);
          for (auto [arg, d] : outputs)
            rewriter.create<gpu::MemcpyOp>(ret.getLoc(), Type(), ValueRange{},
                                           arg, d);
          for (Value d : device)
            rewriter.create<gpu::DeallocOp>(ret.getLoc(), Type(), ValueRange{},
                                            d);
        }
    }

    // What is left on the host must not touch memory: the host cannot read
    // device buffers.
    return qc::gpu::checkNoHostAccess(func);
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(runOnFunction(func)))
        return signalPassFailure();
  }
};

} // namespace

LogicalResult qc::gpu::checkNoHostAccess(func::FuncOp func) {
  WalkResult bad = func->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<mlir::gpu::LaunchOp>(op))
      return WalkResult::skip();
    if (op == func || op->getNumRegions() != 0 || !hostAccess(op))
      return WalkResult::advance();
    op->emitOpError("reads or writes memory in host code, outside a GPU "
                    "kernel (--qc-gpu-map-parallel-loops puts all such code "
                    "in kernels)");
    return WalkResult::interrupt();
  });
  return failure(bad.wasInterrupted());
}

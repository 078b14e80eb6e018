//===- GPULaunchToLoops.cpp - Run gpu.launch grids on the host ------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// --qc-gpu-launch-to-loops: each gpu.launch becomes scf.for loops over its
// grid and its blocks around the body, so the kernels that the GPU pipeline
// maps run thread by thread on the CPU (GPU emulation, for testing the
// mapping against the interpreter on a machine without a GPU).
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "GPUUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace qc {
#define GEN_PASS_DEF_GPULAUNCHTOLOOPS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {

struct GPULaunchToLoopsPass
    : qc::impl::GPULaunchToLoopsBase<GPULaunchToLoopsPass> {
  void runOnOperation() override {
    // The same check as on the device path: the emulation must not run
    // host code that a GPU could not.
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(qc::gpu::checkNoHostAccess(func)))
        return signalPassFailure();
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches) {
      // Threads of one block run one after the other: exact only if they
      // never wait for each other or share memory.
      WalkResult unsupported = launch.getBody().walk([&](Operation *op) {
        if (isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::AllReduceOp,
                gpu::SubgroupReduceOp, memref::AtomicRMWOp,
                memref::GenericAtomicRMWOp>(op)) {
          op->emitOpError("cannot be emulated thread by thread "
                          "(--qc-gpu-launch-to-loops)");
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      if (unsupported.wasInterrupted() || !launch.getBody().hasOneBlock() ||
          !launch.getWorkgroupAttributions().empty() ||
          !launch.getPrivateAttributions().empty() || launch.getAsyncToken() ||
          launch.getDynamicSharedMemorySize()) {
        if (!unsupported.wasInterrupted())
          launch.emitOpError("with more than one block, memory "
                             "attributions, dynamic shared memory or an "
                             "async token cannot be emulated "
                             "(--qc-gpu-launch-to-loops)");
        return signalPassFailure();
      }
      Location loc = launch.getLoc();
      rewriter.setInsertionPoint(launch);
      Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      // Outermost first: grid z, y, x, then block z, y, x.
      Value bounds[] = {grid.z, grid.y, grid.x, block.z, block.y, block.x};
      SmallVector<Value> ivs;
      for (Value ub : bounds) {
        auto loop = rewriter.create<scf::ForOp>(loc, zero, ub, one);
        ivs.push_back(loop.getInductionVar());
        rewriter.setInsertionPoint(loop.getBody()->getTerminator());
      }
      // The body's arguments: block ids, thread ids, grid sizes, block
      // sizes (x, y, z each).
      Value args[] = {ivs[2], ivs[1], ivs[0], ivs[5],  ivs[4],  ivs[3],
                      grid.x, grid.y, grid.z, block.x, block.y, block.z};
      // Ids and sizes read by ops rather than the body's arguments.
      auto pick = [&](gpu::Dimension d, Value x, Value y, Value z) {
        return d == gpu::Dimension::x ? x : d == gpu::Dimension::y ? y : z;
      };
      launch.getBody().walk([&](Operation *op) {
        Value v;
        if (auto o = dyn_cast<gpu::BlockIdOp>(op))
          v = pick(o.getDimension(), args[0], args[1], args[2]);
        else if (auto o = dyn_cast<gpu::ThreadIdOp>(op))
          v = pick(o.getDimension(), args[3], args[4], args[5]);
        else if (auto o = dyn_cast<gpu::GridDimOp>(op))
          v = pick(o.getDimension(), args[6], args[7], args[8]);
        else if (auto o = dyn_cast<gpu::BlockDimOp>(op))
          v = pick(o.getDimension(), args[9], args[10], args[11]);
        if (v)
          rewriter.replaceOp(op, v);
      });
      Block &body = launch.getBody().front();
      Operation *innerTerminator = &*rewriter.getInsertionPoint();
      rewriter.eraseOp(body.getTerminator());
      rewriter.inlineBlockBefore(&body, innerTerminator, args);
      rewriter.eraseOp(launch);
    }
  }
};

} // namespace

//===- GPUMapParallelLoops.cpp - Map top-level loops to GPU threads -------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// --qc-gpu-map-parallel-loops: every top-level scf.parallel of a bufferized
// function is tiled into blocks of threads and given the mapping attributes
// that convert-parallel-loops-to-gpu reads (last dimension -> x, so that
// consecutive threads touch consecutive addresses); memref.copy becomes such
// a loop; other top-level code that touches memory runs in a one-thread
// loop. After the launch conversion, host code only allocates, views and
// launches.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "GPUUtils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/MathExtras.h"

namespace qc {
#define GEN_PASS_DEF_GPUMAPPARALLELLOOPS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using gpu::Processor;

namespace {

/// CUDA's limit on gridDim.y and gridDim.z.
constexpr int64_t kMaxGridYZ = 65535;

gpu::ParallelLoopDimMappingAttr dimMapping(MLIRContext *ctx, Processor p) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
}

/// Turns every scf.parallel without reductions nested in `root` into
/// scf.for loops (in the order of its dimensions): inside a thread they run
/// sequentially anyway, and convert-parallel-loops-to-gpu only handles
/// nested parallel loops directly in a mapped loop's body.
void nestedToSequential(Operation *root) {
  SmallVector<scf::ParallelOp> nested;
  root->walk([&](scf::ParallelOp p) {
    if (p != root && p.getNumReductions() == 0)
      nested.push_back(p);
  });
  IRRewriter rewriter(root->getContext());
  // Innermost first (post-order walk), so each body moves once.
  for (scf::ParallelOp p : nested) {
    rewriter.setInsertionPoint(p);
    SmallVector<Value> ivs;
    for (auto [lb, ub, step] :
         llvm::zip(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
      auto loop = rewriter.create<scf::ForOp>(p.getLoc(), lb, ub, step);
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    }
    Operation *terminator = &*rewriter.getInsertionPoint();
    Block *body = p.getBody();
    rewriter.eraseOp(body->getTerminator());
    rewriter.inlineBlockBefore(body, terminator, ivs);
    rewriter.eraseOp(p);
  }
}

/// The constant trip count of dimension `d` of `loop`, if it has one.
std::optional<int64_t> tripCount(scf::ParallelOp loop, unsigned d) {
  auto lb = getConstantIntValue(loop.getLowerBound()[d]);
  auto ub = getConstantIntValue(loop.getUpperBound()[d]);
  auto step = getConstantIntValue(loop.getStep()[d]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return *ub <= *lb ? 0 : llvm::divideCeil(*ub - *lb, *step);
}

/// Tiles `loop` into blocks of at most `blockSize` threads and maps it.
void mapParallelLoop(scf::ParallelOp loop, unsigned blockSize) {
  MLIRContext *ctx = loop.getContext();
  unsigned n = loop.getNumLoops();
  // Processors of dimensions n-1, n-2, n-3: x, y, z.
  const Processor blocks[] = {Processor::BlockX, Processor::BlockY,
                              Processor::BlockZ};
  const Processor threads[] = {Processor::ThreadX, Processor::ThreadY,
                               Processor::ThreadZ};
  SmallVector<int64_t> tiles(n, 1);
  SmallVector<int> role(n, -1); // 0, 1, 2: x, y, z; -1: sequential
  int64_t left = blockSize;
  for (unsigned r = 0; r < 3 && r < n; ++r) {
    unsigned d = n - 1 - r;
    std::optional<int64_t> count = tripCount(loop, d);
    // A dynamic y / z extent might exceed the grid's limit: it stays a loop.
    if (r > 0 && !count)
      continue;
    int64_t want =
        count ? int64_t(llvm::PowerOf2Ceil(std::max<int64_t>(*count, 1)))
              : left;
    int64_t t = std::min(left, want);
    if (r > 0 && llvm::divideCeil(*count, t) > kMaxGridYZ)
      continue;
    tiles[d] = t;
    role[d] = int(r);
    left /= t;
  }
  auto [outer, inner] =
      scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
  SmallVector<gpu::ParallelLoopDimMappingAttr> outerMap, innerMap;
  for (unsigned d = 0; d < n; ++d) {
    outerMap.push_back(
        dimMapping(ctx, role[d] < 0 ? Processor::Sequential : blocks[role[d]]));
    innerMap.push_back(dimMapping(ctx, role[d] < 0 ? Processor::Sequential
                                                   : threads[role[d]]));
  }
  (void)gpu::setMappingAttr(outer, outerMap);
  (void)gpu::setMappingAttr(inner, innerMap);
  nestedToSequential(inner);
}

/// A one-iteration scf.parallel around ops [first, last] of a block; fails
/// (with an error) if a value they define is used after them.
LogicalResult wrapInOneThread(Operation *first, Operation *last) {
  Block *block = first->getBlock();
  auto end = std::next(Block::iterator(last));
  for (Operation &op : llvm::make_range(Block::iterator(first), end))
    for (Value v : op.getResults())
      for (Operation *user : v.getUsers()) {
        Operation *inRun = block->findAncestorOpInBlock(*user);
        if (!inRun || inRun->isBeforeInBlock(first) ||
            last->isBeforeInBlock(inRun))
          return op.emitOpError(
              "computes a value on the device that the host code uses "
              "afterwards; it cannot be part of a GPU kernel");
      }
  OpBuilder b(first);
  Location loc = first->getLoc();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  auto loop = b.create<scf::ParallelOp>(loc, ValueRange{zero}, ValueRange{one},
                                        ValueRange{one});
  Operation *terminator = loop.getBody()->getTerminator();
  SmallVector<Operation *> ops;
  for (Operation &op : llvm::make_range(Block::iterator(first), end))
    ops.push_back(&op);
  for (Operation *op : ops)
    op->moveBefore(terminator);
  (void)gpu::setMappingAttr(loop,
                            {dimMapping(loop.getContext(), Processor::BlockX)});
  nestedToSequential(loop);
  return success();
}

/// memref.copy as an element-wise scf.parallel (mapped later like the
/// others).
void copyAsLoop(memref::CopyOp copy) {
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Value from = copy.getSource(), to = copy.getTarget();
  auto type = cast<MemRefType>(from.getType());
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  if (type.getRank() == 0) {
    Value v = b.create<memref::LoadOp>(loc, from);
    b.create<memref::StoreOp>(loc, v, to);
    copy.erase();
    return;
  }
  SmallVector<Value> lbs(type.getRank(), zero), steps(type.getRank(), one);
  SmallVector<Value> ubs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    ubs.push_back(b.createOrFold<memref::DimOp>(loc, from, d));
  b.create<scf::ParallelOp>(
      loc, lbs, ubs, steps, [&](OpBuilder &nb, Location nloc, ValueRange ivs) {
        Value v = nb.create<memref::LoadOp>(nloc, from, ivs);
        nb.create<memref::StoreOp>(nloc, v, to, ivs);
      });
  copy.erase();
}

struct GPUMapParallelLoopsPass
    : qc::impl::GPUMapParallelLoopsBase<GPUMapParallelLoopsPass> {
  using GPUMapParallelLoopsBase::GPUMapParallelLoopsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (blockSize < 32 || blockSize > 1024 || !llvm::isPowerOf2_32(blockSize)) {
      func.emitError("--qc-gpu-map-parallel-loops: block-size ")
          << unsigned(blockSize) << " is not a power of two from 32 to 1024";
      return signalPassFailure();
    }
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("has more than one block at the top level; the GPU "
                       "lowering expects structured control flow");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();

    // Linalg ops become loops here, their parallel dimensions first (the
    // reduction dimensions inside, in their order), so that every element
    // is one thread's sequential loop.
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> linalgOps;
    func.walk([&](linalg::LinalgOp op) { linalgOps.push_back(op); });
    for (linalg::LinalgOp op : linalgOps) {
      if (!op.hasPureBufferSemantics()) {
        op->emitOpError("is not bufferized; --qc-gpu-map-parallel-loops runs "
                        "after bufferization");
        return signalPassFailure();
      }
      SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
      SmallVector<unsigned> order;
      for (unsigned d = 0; d < iterators.size(); ++d)
        if (iterators[d] == utils::IteratorType::parallel)
          order.push_back(d);
      for (unsigned d = 0; d < iterators.size(); ++d)
        if (iterators[d] != utils::IteratorType::parallel)
          order.push_back(d);
      linalg::LinalgOp lowered = op;
      if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
        rewriter.setInsertionPoint(op);
        linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(*op);
        if (!generic) {
          FailureOr<linalg::GenericOp> g =
              linalg::generalizeNamedOp(rewriter, op);
          if (failed(g)) {
            op->emitOpError("has reduction dimensions before parallel ones "
                            "and no generic form to reorder them");
            return signalPassFailure();
          }
          generic = *g;
        }
        FailureOr<linalg::GenericOp> swapped =
            linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(swapped)) {
          generic->emitOpError("cannot put its parallel dimensions first");
          return signalPassFailure();
        }
        lowered = *swapped;
      }
      // An op without loops (0-d operands) runs in a one-thread loop.
      if (lowered.getNumLoops() == 0) {
        rewriter.setInsertionPoint(lowered);
        Location loc = lowered.getLoc();
        Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
        Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
        auto single = rewriter.create<scf::ParallelOp>(
            loc, ValueRange{zero}, ValueRange{one}, ValueRange{one});
        lowered->moveBefore(single.getBody()->getTerminator());
      }
      rewriter.setInsertionPoint(lowered);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, lowered))) {
        lowered->emitOpError("cannot be lowered to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(lowered);
    }

    for (auto copy : llvm::make_early_inc_range(body.getOps<memref::CopyOp>()))
      copyAsLoop(copy);

    // Runs of top-level ops that touch memory and are not a mappable loop.
    auto mappable = [](Operation *op) {
      auto loop = dyn_cast<scf::ParallelOp>(op);
      return loop && loop.getNumReductions() == 0;
    };
    SmallVector<std::pair<Operation *, Operation *>> runs;
    Operation *first = nullptr, *last = nullptr;
    for (Operation &op : body) {
      bool sequential = !mappable(&op) && qc::gpu::hostAccess(&op);
      if (sequential) {
        if (!first)
          first = &op;
        last = &op;
        continue;
      }
      if (first)
        runs.push_back({first, last});
      first = last = nullptr;
    }
    if (first)
      runs.push_back({first, last});
    for (auto [from, to] : runs)
      if (failed(wrapInOneThread(from, to)))
        return signalPassFailure();

    SmallVector<scf::ParallelOp> loops;
    for (auto loop : body.getOps<scf::ParallelOp>())
      if (!loop->hasAttr(gpu::getMappingAttrName()))
        loops.push_back(loop);
    for (scf::ParallelOp loop : loops)
      mapParallelLoop(loop, blockSize);
  }
};

} // namespace

//===- MinimizeAccumulators.cpp - Narrowest safe integer accumulators -----===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Sets the accumulator of every qc.linear and qc.conv with constant weights
// to the
// narrowest width that holds the exact range of each output channel's sums
// over every possible input (num::dotProductRange), as FINN's
// MinimizeAccumulatorWidth does for its MVAUs; warns where the accumulator
// is narrower than that.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Support/Numerics/Accumulator.h"

#include "mlir/IR/Matchers.h"

namespace qc {
#define GEN_PASS_DEF_MINIMIZEACCUMULATORS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

struct MinimizeAccumulatorsPass
    : qc::impl::MinimizeAccumulatorsBase<MinimizeAccumulatorsPass> {
  using MinimizeAccumulatorsBase::MinimizeAccumulatorsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (minBits < 2 || minBits > 64 || multipleOf < 1 || multipleOf > 64)
      return emitError(UnknownLoc::get(ctx))
             << "qc-minimize-accumulators: min-bits must be in [2, 64] and "
                "multiple-of in [1, 64], got "
             << static_cast<int64_t>(minBits) << " and "
             << static_cast<int64_t>(multipleOf);
    return success();
  }

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<LinearOp, qc::ConvOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto l = llvm::dyn_cast<LinearOp>(op))
        minimize(l);
      else
        minimize(llvm::cast<qc::ConvOp>(op));
    }
  }

  /// The widest range over the output channels, and the largest l1 norm of
  /// a channel's weight codes (-1 for weights that are not constants).
  /// None when the bias is not a constant.
  static std::optional<std::pair<num::AccumulatorRange, int64_t>>
  accumulatorRange(Operation *op) {
    auto sums = qc::detail::linearAccumulatorRanges(op);
    if (!sums)
      return std::nullopt;
    num::AccumulatorRange widest = sums->ranges.front();
    for (const num::AccumulatorRange &r : sums->ranges) {
      widest.lo = std::min(widest.lo, r.lo);
      widest.hi = std::max(widest.hi, r.hi);
    }
    return std::make_pair(widest, sums->maxL1);
  }

  /// qc.linear or qc.conv.
  template <typename OpTy> void minimize(OpTy op) {
    auto range = accumulatorRange(op);
    if (!range)
      return;
    auto oldType = llvm::cast<RankedTensorType>(op.getType());
    unsigned width = oldType.getElementTypeBitWidth();
    unsigned exact = num::signedBitsFor(range->first);
    unsigned bits = std::max<unsigned>(exact, unsigned(minBits));
    bits = unsigned((bits + multipleOf - 1) / multipleOf * multipleOf);
    QTensorType xt = op.getInput().getType(), wt = op.getWeight().getType();
    if (remarks) {
      unsigned dataType = num::dataTypeAccumulatorBits(
          wt.getNumericFormat().bits(), xt.getNumericFormat().bits(),
          wt.getStorageType().getNumElements() / wt.getShape()[0]);
      InFlightDiagnostic d = op.emitRemark("qc-minimize-accumulators: '")
                             << qc::detail::layerName(op) << "' needs " << exact
                             << " bits (data-type bound " << dataType
                             << ", accumulator " << width << ")";
      if (range->second >= 0)
        d << "; largest l1 norm of a channel's weight codes " << range->second;
    }
    if (exact > width) {
      op.emitWarning("qc-minimize-accumulators: the ")
          << width << "-bit accumulator of '" << qc::detail::layerName(op)
          << "' can overflow: some input needs " << exact << " bits";
      return;
    }
    if (bits >= width)
      return;

    OpBuilder b(op);
    Type elem = b.getIntegerType(bits);
    if (Value bias = op.getBias()) {
      auto values = qc::detail::constantInts(bias);
      auto biasType = llvm::cast<RankedTensorType>(bias.getType());
      SmallVector<APInt> narrowed;
      for (int64_t v : *values)
        narrowed.emplace_back(bits, uint64_t(v), /*isSigned=*/true);
      Value c = b.create<arith::ConstantOp>(
          bias.getLoc(),
          DenseElementsAttr::get(biasType.clone(elem), ArrayRef(narrowed)));
      op.getBiasMutable().assign(c);
      if (Operation *def = bias.getDefiningOp(); def && def->use_empty())
        def->erase();
    }
    Value acc = op.getResult();
    acc.setType(oldType.clone(elem));
    SmallVector<OpOperand *> others;
    for (OpOperand &use : acc.getUses())
      if (!llvm::isa<nn::CastOp, RescaleOp>(use.getOwner()))
        others.push_back(&use);
    if (!others.empty()) {
      b.setInsertionPointAfter(op);
      Value wide = b.create<nn::CastOp>(
          op.getLoc(), oldType, acc, TypeAttr::get(oldType.getElementType()));
      for (OpOperand *use : others)
        use->set(wide);
    }
    ++numNarrowed;
    numBitsSaved += width - bits;
  }
};

} // namespace

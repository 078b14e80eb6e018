//===- MinimizeAccumulators.cpp - Narrowest safe qc.linear accumulators ---===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Sets the accumulator of every qc.linear with constant weights to the
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

/// The values of a constant integer tensor, sign-extended; none when `v`
/// is not a constant.
std::optional<std::vector<int64_t>> constantInts(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(size_t(attr.getNumElements()));
  for (const APInt &a : attr.getValues<APInt>())
    out.push_back(a.getSExtValue());
  return out;
}

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
    SmallVector<LinearOp> ops;
    getOperation().walk([&](LinearOp op) { ops.push_back(op); });
    for (LinearOp op : ops)
      minimize(op);
  }

  /// The range of the input codes minus the zero point.
  static std::pair<int64_t, int64_t> inputRange(LinearOp op) {
    num::Format xf = op.getInput().getType().getNumericFormat();
    int64_t lo = xf.minInt(), hi = xf.maxInt();
    if (!op.getInputZeroPoint())
      return {lo, hi};
    if (auto zp = constantInts(op.getInputZeroPoint()))
      return {lo - (*zp)[0], hi - (*zp)[0]};
    return {lo - hi, hi - lo};
  }

  /// The widest range over the output channels, and the largest l1 norm of
  /// a channel's weight codes (-1 for weights that are not constants).
  /// None when the bias is not a constant.
  std::optional<std::pair<num::AccumulatorRange, int64_t>>
  accumulatorRange(LinearOp op) {
    auto [xlo, xhi] = inputRange(op);
    QTensorType wt = op.getWeight().getType();
    int64_t n = wt.getShape()[0], k = wt.getShape()[1];
    std::vector<int64_t> bias(size_t(n), 0);
    if (op.getBias()) {
      auto b = constantInts(op.getBias());
      if (!b)
        return std::nullopt;
      bias = *b;
      if (bias.size() == 1)
        bias.assign(size_t(n), bias[0]);
    }
    num::Format wf = wt.getNumericFormat();
    std::vector<int64_t> w;
    if (auto c = op.getWeight().getDefiningOp<qc::ConstantOp>()) {
      auto codes = llvm::cast<DenseIntElementsAttr>(c.getValue());
      w.reserve(size_t(n * k));
      if (codes.isSplat())
        w.assign(size_t(n * k),
                 wf.codeToInt(
                     uint32_t(codes.getSplatValue<APInt>().getZExtValue())));
      else
        for (const APInt &a : codes.getValues<APInt>())
          w.push_back(wf.codeToInt(uint32_t(a.getZExtValue())));
    }
    num::AccumulatorRange widest;
    int64_t l1 = w.empty() ? -1 : 0;
    for (int64_t j = 0; j < n; ++j) {
      num::AccumulatorRange r;
      if (!w.empty()) {
        const int64_t *row = &w[size_t(j * k)];
        r = num::dotProductRange(row, k, 1, xlo, xhi, bias[size_t(j)]);
        int64_t norm = 0;
        for (int64_t t = 0; t < k; ++t)
          norm += std::abs(row[t]);
        l1 = std::max(l1, norm);
      } else {
        // Every weight may be any code of its format.
        __int128 ends[4] = {
            __int128(wf.minInt()) * xlo, __int128(wf.minInt()) * xhi,
            __int128(wf.maxInt()) * xlo, __int128(wf.maxInt()) * xhi};
        r.lo = bias[size_t(j)] + k * *std::min_element(ends, ends + 4);
        r.hi = bias[size_t(j)] + k * *std::max_element(ends, ends + 4);
      }
      // The bias alone is stored in the accumulator type.
      r.lo = std::min<__int128>(r.lo, bias[size_t(j)]);
      r.hi = std::max<__int128>(r.hi, bias[size_t(j)]);
      if (j == 0) {
        widest = r;
      } else {
        widest.lo = std::min(widest.lo, r.lo);
        widest.hi = std::max(widest.hi, r.hi);
      }
    }
    return std::make_pair(widest, l1);
  }

  void minimize(LinearOp op) {
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
          wt.getShape()[1]);
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
      auto values = constantInts(bias);
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

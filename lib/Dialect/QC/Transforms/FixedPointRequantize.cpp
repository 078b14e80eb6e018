//===- FixedPointRequantize.cpp - qc.requantize as multiplier + shift -----===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites qc.requantize with constant f32 scales between integer formats
// into qc.rescale: for each input channel c the ratio s_in[c] / s_out
// becomes an integer multiplier and a shift (qc::fixedPointMultiplier), so
// the requantization needs no float arithmetic.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"

namespace qc {
#define GEN_PASS_DEF_FIXEDPOINTREQUANTIZE
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

struct FixedPointRequantizePass
    : qc::impl::FixedPointRequantizeBase<FixedPointRequantizePass> {
  using FixedPointRequantizeBase::FixedPointRequantizeBase;

  void runOnOperation() override {
    SmallVector<RequantizeOp> ops;
    getOperation().walk([&](RequantizeOp op) { ops.push_back(op); });
    for (RequantizeOp op : ops)
      if (failed(rewrite(op)))
        return signalPassFailure();
  }

  /// Rewrites `op` when it has the form qc.rescale computes; a form it
  /// cannot have is left alone, a scale with no multiplier is an error.
  LogicalResult rewrite(RequantizeOp op) {
    QTensorType in = op.getInput().getType(), out = op.getType();
    SchemeAttr si = in.getScheme(), so = out.getScheme();
    if (!llvm::isa<IntFormatAttr>(in.getFormat()) ||
        !llvm::isa<IntFormatAttr>(out.getFormat()) ||
        in.getNumericFormat().bits() > 32 ||
        so.getGranularity() != Granularity::per_tensor ||
        si.getGranularity() == Granularity::per_block ||
        op.getRounding() != RoundingMode::nearest_even)
      return success();
    // Zero points must be one per tensor (0-d), as qc.rescale takes them.
    for (Value z : {op.getInputZeroPoints(), op.getOutputZeroPoints()})
      if (z && llvm::cast<RankedTensorType>(z.getType()).getRank() != 0)
        return success();
    std::optional<std::vector<float>> sIn =
        qc::detail::constantFloats(op.getInputScales());
    std::optional<std::vector<float>> sOut =
        qc::detail::constantFloats(op.getOutputScales());
    if (!sIn || !sOut)
      return success();
    std::vector<int32_t> multipliers;
    std::vector<int8_t> shifts;
    for (float s : *sIn) {
      double ratio = double(s) / double((*sOut)[0]);
      auto ms = fixedPointMultiplier(ratio);
      if (!ms)
        return op.emitError("qc-fixed-point-requantize: the scale ratio ")
               << ratio << " (" << s << " / " << (*sOut)[0]
               << ") has no 32-bit multiplier with a shift in [0, 62]";
      multipliers.push_back(ms->first);
      shifts.push_back(int8_t(ms->second));
    }
    OpBuilder b(op);
    Location loc = op.getLoc();
    bool perAxis = si.getGranularity() == Granularity::per_axis;
    SmallVector<int64_t> shape;
    if (perAxis)
      shape.push_back(int64_t(multipliers.size()));
    Value m = b.create<arith::ConstantOp>(
        loc,
        DenseIntElementsAttr::get(RankedTensorType::get(shape, b.getI32Type()),
                                  ArrayRef(multipliers)));
    Value sh = b.create<arith::ConstantOp>(
        loc,
        DenseIntElementsAttr::get(RankedTensorType::get(shape, b.getI8Type()),
                                  ArrayRef(shifts)));
    auto r = b.create<RescaleOp>(
        loc, out, op.getInput(), m, sh, op.getInputZeroPoints(),
        op.getOutputZeroPoints(),
        perAxis ? b.getI64IntegerAttr(si.getAxis()) : IntegerAttr());
    op.replaceAllUsesWith(r.getResult());
    op.erase();
    ++numRewritten;
    return success();
  }
};

} // namespace

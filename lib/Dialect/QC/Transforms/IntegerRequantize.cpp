//===- IntegerRequantize.cpp - Float requantization as qc.rescale ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Between two integer layers, --qc-integer-linear leaves the requantization
// in f32:
//
//   acc = qc.linear xq, W                    (i32)
//   y   = nn.cast acc to f32 * sx * sw       (nn.mul, nn.mul)
//   z   = y + b                              (nn.add, optional)
//   r   = nn.relu z                          (optional)
//   q   = qc.quantize r, so [zero_points zo]
//
// This pass writes it the way integer hardware computes it: the bias folded
// into the accumulator as round(b / (sx sw)), then one qc.rescale by the
// ratio sx sw / so as a 31-bit multiplier and a shift per output channel.
// A ReLU becomes the saturation of the rescale: codes of a signed format
// after a ReLU are those of the unsigned format one bit narrower.
//
// qc.conv the same way, its channels on axis 1: the per-channel scales and
// bias of --qc-integer-linear's rewrite are [M] constants reshaped to
// [M, 1, 1].
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "qc/Dialect/NN/IR/NN.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_INTEGERREQUANTIZE
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// The one user of `v` if it has exactly one and it is an OpTy, else null.
template <typename OpTy> OpTy soleUser(Value v) {
  if (!v.hasOneUse())
    return {};
  return llvm::dyn_cast<OpTy>(*v.getUsers().begin());
}

/// The constant operand of a binary op whose other operand is `from`, read
/// as floats, when it has 1 or `n` elements (a scalar or one per channel of
/// a [..., n] result, as a 1-D or 0-d tensor; for channels on axis 1 of an
/// NCHW result, `convChannels`, an [n, 1, 1] reshape of an [n] constant).
std::optional<std::vector<float>> channelConstant(Operation *op, Value from,
                                                  int64_t n,
                                                  bool convChannels = false) {
  Value other =
      op->getOperand(0) == from ? op->getOperand(1) : op->getOperand(0);
  if (op->getOperand(0) == op->getOperand(1))
    return std::nullopt;
  if (auto r = other.getDefiningOp<nn::ReshapeOp>();
      r && convChannels && r.getShape() == ArrayRef<int64_t>{n, 1, 1})
    other = r.getInput();
  auto t = llvm::dyn_cast<RankedTensorType>(other.getType());
  if (!t || t.getRank() > 1)
    return std::nullopt;
  auto values = qc::detail::constantFloats(other);
  if (!values || (values->size() != 1 && int64_t(values->size()) != n))
    return std::nullopt;
  return values;
}

struct IntegerRequantizePass
    : qc::impl::IntegerRequantizeBase<IntegerRequantizePass> {
  using IntegerRequantizeBase::IntegerRequantizeBase;

  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<LinearOp, qc::ConvOp>(op))
        layers.push_back(op);
    });
    for (Operation *op : layers)
      if (failed(rewrite(op)))
        return signalPassFailure();
  }

  /// Rewrites the chain after `lin` (a qc.linear or qc.conv) when it has the
  /// form above; any other form is left alone. A ratio with no multiplier
  /// is an error.
  LogicalResult rewrite(Operation *lin) {
    auto conv = llvm::dyn_cast<qc::ConvOp>(lin);
    auto accType = llvm::cast<RankedTensorType>(lin->getResult(0).getType());
    Value oldBias = conv ? conv.getBias() : llvm::cast<LinearOp>(lin).getBias();
    if (oldBias || !accType.getElementType().isInteger(32))
      return success();
    int64_t axis = conv ? 1 : accType.getRank() - 1;
    int64_t n = accType.getDimSize(axis);
    auto cast = soleUser<nn::CastOp>(lin->getResult(0));
    if (!cast || !getElementTypeOrSelf(cast.getType()).isF32())
      return success();
    auto mulX = soleUser<nn::MulOp>(cast.getResult());
    if (!mulX)
      return success();
    auto sx = channelConstant(mulX, cast.getResult(), 1);
    auto mulW = mulX ? soleUser<nn::MulOp>(mulX.getResult()) : nn::MulOp();
    if (!sx || !mulW)
      return success();
    auto sw = channelConstant(mulW, mulX.getResult(), n, bool(conv));
    if (!sw)
      return success();
    SmallVector<Operation *> chain{cast, mulX, mulW};
    Value last = mulW.getResult();
    std::optional<std::vector<float>> bias;
    if (auto add = soleUser<nn::AddOp>(last)) {
      bias = channelConstant(add, last, n, bool(conv));
      if (!bias)
        return success();
      chain.push_back(add);
      last = add.getResult();
    }
    bool relu = false;
    if (auto r = soleUser<nn::ReluOp>(last)) {
      relu = true;
      chain.push_back(r);
      last = r.getResult();
    }
    auto quant = soleUser<QuantizeOp>(last);
    if (!quant)
      return success();
    QTensorType qt = quant.getType();
    SchemeAttr scheme = qt.getScheme();
    if (!llvm::isa<IntFormatAttr>(qt.getFormat()) ||
        scheme.getGranularity() != Granularity::per_tensor ||
        scheme.getDynamic() || scheme.getScaleFormat() ||
        quant.getGlobalScale() ||
        quant.getRounding() != RoundingMode::nearest_even)
      return success();
    auto so = qc::detail::constantFloats(quant.getScales());
    if (!so || so->size() != 1)
      return success();
    std::optional<int64_t> zeroPoint;
    if (Value z = quant.getZeroPoints()) {
      DenseIntElementsAttr attr;
      if (!matchPattern(z, m_Constant(&attr)) || attr.getNumElements() != 1)
        return success();
      zeroPoint = (*attr.getValues<APInt>().begin()).getSExtValue();
    }

    // The result type: a ReLU is the saturation at the zero point, which
    // the format's range expresses when the zero point is its lowest code
    // (asymmetric), or as the unsigned format one bit narrower (a signed
    // symmetric one: codes 0 .. 2^(w-1) - 1).
    num::Format f = qt.getNumericFormat();
    QTensorType outType = qt;
    if (relu) {
      if (zeroPoint) {
        if (*zeroPoint != f.minInt())
          return success();
      } else if (f.isSigned() && f.bits() >= 3) {
        auto narrower = IntFormatAttr::get(qt.getContext(), f.bits() - 1,
                                           /*isSigned=*/false,
                                           /*narrow=*/false);
        outType =
            QTensorType::get(qt.getContext(), qt.getShape(), narrower, scheme);
      } else if (f.isSigned() || f.minInt() != 0) {
        return success();
      }
    }
    // A new type needs users that accept any integer codes.
    if (outType != qt)
      for (OpOperand &use : quant->getUses())
        if (!(llvm::isa<LinearOp, qc::ConvOp>(use.getOwner()) &&
              use.getOperandNumber() == 0) &&
            !llvm::isa<DequantizeOp>(use.getOwner()))
          return success();

    // The accumulator's scale per channel, the integer bias and the
    // multipliers.
    // The exact range of each channel's sums (the layer has no bias yet).
    auto sums = qc::detail::linearAccumulatorRanges(lin);
    if (!sums)
      return success();
    bool perChannel = sw->size() > 1 || (bias && bias->size() > 1);
    int64_t channels = perChannel ? n : 1;
    std::vector<int32_t> biasCodes, multipliers;
    std::vector<int8_t> shifts;
    for (int64_t c = 0; c < channels; ++c) {
      double scale =
          double((*sx)[0]) * double((*sw)[sw->size() == 1 ? 0 : size_t(c)]);
      if (!(scale > 0) || !std::isfinite(scale))
        return success();
      double b =
          bias ? double((*bias)[bias->size() == 1 ? 0 : size_t(c)]) : 0.0;
      double q = std::nearbyint(b / scale);
      if (!(std::fabs(q) < 2147483648.0))
        return success();
      // With the bias, every channel it applies to must still fit 32 bits.
      for (int64_t j = perChannel ? c : 0; j < (perChannel ? c + 1 : n); ++j) {
        num::AccumulatorRange r = sums->ranges[size_t(j)];
        r.lo += int64_t(q);
        r.hi += int64_t(q);
        if (num::signedBitsFor(r) > 32)
          return success();
      }
      biasCodes.push_back(int32_t(q));
      double ratio = scale / double((*so)[0]);
      auto ms = fixedPointMultiplier(ratio);
      if (!ms)
        return quant.emitError("qc-integer-requantize: the scale ratio ")
               << ratio << " has no 32-bit multiplier with a shift in [0, 62]";
      multipliers.push_back(ms->first);
      shifts.push_back(int8_t(ms->second));
    }

    OpBuilder b(quant);
    Location loc = quant.getLoc();
    Type i32 = b.getI32Type();
    Value biasValue;
    if (bias) {
      // qc.linear's bias is one value per output channel.
      std::vector<int32_t> perOutput(static_cast<size_t>(n));
      for (int64_t c = 0; c < n; ++c)
        perOutput[size_t(c)] = biasCodes[perChannel ? size_t(c) : 0];
      biasValue = b.create<arith::ConstantOp>(
          loc, DenseIntElementsAttr::get(RankedTensorType::get({n}, i32),
                                         ArrayRef(perOutput)));
    }
    Value acc;
    if (conv)
      acc = b.create<qc::ConvOp>(
          conv.getLoc(), accType, conv.getInput(), conv.getWeight(), biasValue,
          conv.getInputZeroPoint(), conv.getStridesAttr(), conv.getPadsAttr(),
          conv.getDilationsAttr(), conv.getGroupAttr());
    else
      acc = b.create<LinearOp>(lin->getLoc(), accType, lin->getOperand(0),
                               lin->getOperand(1), biasValue,
                               llvm::cast<LinearOp>(lin).getInputZeroPoint());
    SmallVector<int64_t> shape;
    if (perChannel)
      shape.push_back(n);
    Value m = b.create<arith::ConstantOp>(
        loc, DenseIntElementsAttr::get(RankedTensorType::get(shape, i32),
                                       ArrayRef(multipliers)));
    Value sh = b.create<arith::ConstantOp>(
        loc,
        DenseIntElementsAttr::get(RankedTensorType::get(shape, b.getI8Type()),
                                  ArrayRef(shifts)));
    auto rescale = b.create<RescaleOp>(
        loc, outType, acc, m, sh, /*input_zero_point=*/Value(),
        quant.getZeroPoints(),
        perChannel ? b.getI64IntegerAttr(axis) : IntegerAttr());
    quant.getResult().replaceAllUsesWith(rescale.getResult());
    quant.erase();
    for (Operation *op : llvm::reverse(chain)) {
      SmallVector<Value> operands(op->getOperands());
      op->erase();
      // The [M, 1, 1] reshapes of the scales and the bias.
      for (Value v : operands)
        if (auto r = v.getDefiningOp<nn::ReshapeOp>(); r && r->use_empty())
          r.erase();
    }
    lin->erase();
    ++numRewritten;
    return success();
  }
};

} // namespace

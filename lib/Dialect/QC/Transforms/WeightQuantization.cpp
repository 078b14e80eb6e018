//===- WeightQuantization.cpp - Shared weight quantization steps ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "WeightQuantization.h"

#include "qc/Support/Numerics/Quantize.h"

using namespace mlir;
using namespace qc;

FailureOr<qc::detail::WeightQuantization> qc::detail::planWeightQuantization(
    Operation *op, unsigned index, ArrayRef<float> values,
    const NamedQuantFormat &named, int64_t group, bool asymmetric,
    int64_t channelAxis, int64_t reduceAxis, StringRef pass) {
  Value w = op->getOperand(index);
  auto type = llvm::cast<RankedTensorType>(w.getType());
  MLIRContext *ctx = op->getContext();
  int64_t block = group ? group : named.nativeBlock;
  int64_t reduceDim = type.getDimSize(reduceAxis);
  if (block && reduceDim % block != 0)
    return op->emitError(pass)
           << ": block size " << block
           << " does not divide the reduction dimension " << reduceDim
           << " of this layer's weight " << type;
  bool asym = asymmetric || named.needsAsymmetric;
  WeightQuantization wq;
  wq.scheme = block ? SchemeAttr::get(ctx, Granularity::per_block, reduceAxis,
                                      block, named.scaleFormat, asym, false)
                    : SchemeAttr::get(ctx, Granularity::per_axis, channelAxis,
                                      0, named.scaleFormat, asym, false);
  wq.type =
      QTensorType::getChecked([&] { return op->emitError(pass) << ": "; }, ctx,
                              type.getShape(), named.element, wq.scheme);
  if (!wq.type)
    return failure();
  auto computed = computeScales(wq.type, values.data());
  if (!computed)
    return op->emitError(pass) << ": cannot compute scales for " << wq.type;
  wq.computed = std::move(*computed);
  wq.scales = wq.computed.scales;
  if (named.scaleFormat)
    wq.scales = num::decodeScales(wq.computed.scaleCodes.data(),
                                  wq.computed.scaleCodes.size(),
                                  named.scaleFormat.getFloatFormat(),
                                  wq.computed.globalScale.value_or(1.0f));
  wq.shape.assign(type.getShape().begin(), type.getShape().end());
  return wq;
}

/// The codes of `values` under `wq` (round to nearest even) as the storage
/// attribute of the qtensor: codes of up to 8 bits go straight into a byte
/// buffer, wider ones through 32-bit codes.
static DenseIntElementsAttr
quantizedCodes(const qc::detail::WeightQuantization &wq,
               ArrayRef<float> values) {
  num::Format fmt = wq.type.getNumericFormat();
  const int32_t *zp =
      wq.computed.zeroPoints.empty() ? nullptr : wq.computed.zeroPoints.data();
  RankedTensorType storage = wq.type.getStorageType();
  if (fmt.bits() >= 2 && fmt.bits() <= 8) {
    std::vector<uint8_t> codes(values.size());
    num::quantize(values.data(), wq.shape, wq.scheme.getNumericScheme(),
                  wq.scales.data(), zp, fmt, num::Rounding::NearestEven, 0,
                  codes.data());
    return llvm::cast<DenseIntElementsAttr>(DenseElementsAttr::getFromRawBuffer(
        storage, ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                                codes.size())));
  }
  std::vector<uint32_t> codes(values.size());
  num::quantize(values.data(), wq.shape, wq.scheme.getNumericScheme(),
                wq.scales.data(), zp, fmt, num::Rounding::NearestEven, 0,
                codes.data());
  return codesAttr(storage, codes);
}

void qc::detail::replaceWeight(Operation *op, unsigned index,
                               const qc::detail::WeightQuantization &wq,
                               ArrayRef<float> values) {
  Value w = op->getOperand(index);
  auto type = llvm::cast<RankedTensorType>(w.getType());
  QTensorType qt = wq.type;
  const ComputedScales &computed = wq.computed;
  OpBuilder b(op);
  Location loc = w.getLoc();
  Value q = b.create<ConstantOp>(loc, qt, quantizedCodes(wq, values));
  RankedTensorType scaleType = qt.getScaleType();
  Value s;
  if (wq.scheme.getScaleFormat())
    s = b.create<arith::ConstantOp>(loc,
                                    codesAttr(scaleType, computed.scaleCodes));
  else
    s = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(scaleType, ArrayRef<float>(wq.scales)));
  Value zp, global;
  if (wq.scheme.getAsymmetric())
    zp = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(qt.getZeroPointType(),
                                    ArrayRef<int32_t>(computed.zeroPoints)));
  if (computed.globalScale)
    global = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                    ArrayRef<float>(*computed.globalScale)));
  Value deq = b.create<DequantizeOp>(loc, type, q, s, zp, global);
  op->setOperand(index, deq);
  if (Operation *def = w.getDefiningOp(); def && def->use_empty())
    def->erase();
}

//===- QuantizeActivations.cpp - Fake-quantize linear-layer inputs --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Inserts qc.fake_quant on the activation input of every linear layer:
// per-token dynamic scales computed at run time by qc.compute_scales, or a
// static per-tensor scale from the layer's calibration statistics.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_QUANTIZEACTIVATIONS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

struct QuantizeActivationsPass
    : qc::impl::QuantizeActivationsBase<QuantizeActivationsPass> {
  using QuantizeActivationsBase::QuantizeActivationsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    named = lookupNamedFormat(ctx, format);
    if (!named)
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-activations: unknown format '" << format
             << "' (expected one of " << namedFormatList() << ")";
    if (scale != "absmax" && scale != "percentile" && scale != "mse")
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-activations: unknown scale rule '" << scale
             << "' (expected absmax, percentile or mse)";
    if (isStatic && named->scaleFormat)
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-activations: '" << format
             << "' has per-block scales, which are computed at run time; "
                "static=true needs an integer or FP8 format";
    if (!(clip > 0 && clip <= 1))
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-activations: clip must be in (0, 1], got "
             << double(clip);
    if (isStatic && clip != 1)
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-activations: clip applies to dynamic scales; "
                "static scales clip with scale=percentile|mse";
    return success();
  }

  /// Dynamic: per token (one scale per row of the last axis), or per block
  /// of the format's native size along it.
  LogicalResult quantizeDynamic(Operation *op, OpOperand &operand,
                                RankedTensorType type,
                                const NamedQuantFormat &f, bool channelsFirst) {
    MLIRContext *ctx = op->getContext();
    int64_t axis = channelsFirst ? 1 : type.getRank() - 1;
    int64_t k = type.getDimSize(axis);
    int64_t block = f.nativeBlock ? f.nativeBlock : k;
    if (k % block != 0)
      return op->emitError("qc-quantize-activations: block size ")
             << block << " does not divide the " << k
             << " input channels of layer '" << qc::detail::layerName(op)
             << "'";
    bool asym = f.needsAsymmetric;
    // Convolution inputs without block scales: one scale per tensor.
    auto scheme =
        channelsFirst && !f.nativeBlock
            ? SchemeAttr::get(ctx, Granularity::per_tensor, 0, 0, nullptr, asym,
                              /*dynamic=*/true)
            : SchemeAttr::get(ctx, Granularity::per_block, axis, block,
                              f.scaleFormat, asym, /*dynamic=*/true);
    auto qt = QTensorType::getChecked(
        [&] { return op->emitError("qc-quantize-activations: "); }, ctx,
        type.getShape(), f.element, scheme);
    if (!qt)
      return failure();
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type zpType = asym ? Type(qt.getZeroPointType()) : Type();
    // Minifloat block scales other than E8M0 (NVFP4) come with a global
    // f32 scale.
    Type globalType;
    if (f.scaleFormat &&
        !(f.scaleFormat.getFloatFormat() == num::FloatFormat::e8m0fnu()))
      globalType = RankedTensorType::get({}, b.getF32Type());
    auto cs = b.create<ComputeScalesOp>(
        loc, qt.getScaleType(), zpType, globalType, operand.get(), qt,
        clip == 1 ? FloatAttr() : b.getF64FloatAttr(clip));
    Value fq = b.create<FakeQuantOp>(loc, type, operand.get(), cs.getScales(),
                                     cs.getZeroPoints(), cs.getGlobalScale(),
                                     qt, RoundingMode::nearest_even, 0);
    operand.set(fq);
    return success();
  }

  /// Static: one scale for the tensor from the calibrated range.
  LogicalResult quantizeStatic(Operation *op, OpOperand &operand,
                               RankedTensorType type,
                               const NamedQuantFormat &f) {
    if (f.scaleFormat)
      return op->emitError("qc-quantize-activations: layer '")
             << qc::detail::layerName(op)
             << "' has a per-block format, whose scales are computed at run "
                "time; static scales need an integer or FP8 format";
    auto cal = op->getAttrOfType<DictionaryAttr>("qc.calibration");
    if (!cal)
      return op->emitError("qc-quantize-activations: layer '")
             << qc::detail::layerName(op)
             << "' has no calibration data; run --qc-calibrate first or use "
                "dynamic activation scales";
    auto get = [&](StringRef key) -> double {
      auto a = llvm::dyn_cast_or_null<FloatAttr>(cal.get(key));
      return a ? a.getValueAsDouble() : NAN;
    };
    MLIRContext *ctx = op->getContext();
    num::Format nf =
        llvm::cast<FormatAttrInterface>(f.element).getNumericFormat();
    bool asym = f.needsAsymmetric;
    float s;
    int32_t zp = 0;
    if (asym) {
      // Range widened to contain 0, as qc.compute_scales does.
      double lo = std::min(get("min"), 0.0), hi = std::max(get("max"), 0.0);
      double qmin = double(nf.minInt()), qmax = double(nf.maxInt());
      s = float((hi - lo) / (qmax - qmin));
      if (!(s > 0))
        s = 1.0f;
      zp = int32_t(
          std::clamp(qmin - std::nearbyint(lo / double(s)), qmin, qmax));
    } else {
      double c = scale == "absmax"       ? get("absmax")
                 : scale == "percentile" ? get("percentile_value")
                                         : get("mse_clip");
      if (std::isnan(c))
        return op->emitError("qc-quantize-activations: layer '")
               << qc::detail::layerName(op) << "' has no '" << scale
               << "' statistic in its calibration data";
      s = float(c / nf.maxValue());
      if (!(s > 0))
        s = 1.0f;
    }
    auto scheme = SchemeAttr::get(ctx, Granularity::per_tensor, 0, 0, nullptr,
                                  asym, /*dynamic=*/false);
    auto qt = QTensorType::get(ctx, type.getShape(), f.element, scheme);
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto scalar = [&](Type elt) { return RankedTensorType::get({}, elt); };
    Value sv = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(scalar(b.getF32Type()), s));
    Value zv;
    if (asym)
      zv = b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(scalar(b.getI32Type()), zp));
    Value fq = b.create<FakeQuantOp>(loc, type, operand.get(), sv, zv, Value(),
                                     qt, RoundingMode::nearest_even, 0);
    operand.set(fq);
    return success();
  }

  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      bool conv = llvm::isa<nn::ConvOp>(op);
      Value x = conv ? op->getOperand(0) : qc::detail::linearLayerInput(op);
      if (!x || x.getDefiningOp<FakeQuantOp>())
        return;
      auto f = qc::detail::layerFormat(op, "activations", *named);
      if (mlir::failed(f)) {
        failed = true;
        return;
      }
      if (!*f)
        return; // Kept in float.
      auto type = llvm::dyn_cast<RankedTensorType>(x.getType());
      if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
          (conv && type.getRank() < 3))
        return;
      OpOperand &operand = op->getOpOperand(0);
      failed |= mlir::failed(
          isStatic ? quantizeStatic(op, operand, type, **f)
                   : quantizeDynamic(op, operand, type, **f, conv));
    });
    if (failed)
      signalPassFailure();
  }

  std::optional<NamedQuantFormat> named;
};

} // namespace

//===- QuantizeWeights.cpp - Round-to-nearest weight quantization ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Replaces the constant weights of linear layers and convolutions with
// constant codes, constant scales and a qc.dequantize, using the scale rule
// of qc.compute_scales and round-to-nearest-even elements. Also home of the
// table of user-facing format names shared by the quantization passes.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "WeightQuantization.h"
#include "qc/Support/Numerics/Quantize.h"

namespace qc {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;

//===----------------------------------------------------------------------===//
// Named formats
//===----------------------------------------------------------------------===//

const char *qc::namedFormatList() {
  return "int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, "
         "mxint8, nvfp4";
}

std::optional<NamedQuantFormat> qc::lookupNamedFormat(MLIRContext *ctx,
                                                      StringRef name) {
  auto saturating = [&](num::FloatFormat f) {
    f.saturate = true;
    return FloatFormatAttr::get(ctx, f);
  };
  auto e8m0 = FloatFormatAttr::get(ctx, num::FloatFormat::e8m0fnu());
  NamedQuantFormat out;
  if (name == "int8" || name == "int4" || name == "int2") {
    unsigned bits = name == "int8" ? 8 : name == "int4" ? 4 : 2;
    out.element = IntFormatAttr::get(ctx, bits, /*isSigned=*/true, false);
  } else if (name == "uint8") {
    out.element = IntFormatAttr::get(ctx, 8, /*isSigned=*/false, false);
    out.needsAsymmetric = true;
  } else if (name == "fp8e4m3") {
    out.element = saturating(num::FloatFormat::fp8e4m3fn());
  } else if (name == "fp8e5m2") {
    out.element = saturating(num::FloatFormat::fp8e5m2());
  } else if (name == "mxfp8" || name == "mxfp6" || name == "mxfp4" ||
             name == "mxint8") {
    if (name == "mxint8")
      out.element = FixedFormatAttr::get(ctx, 8, 6, /*isSigned=*/true,
                                         /*saturate=*/true, /*narrow=*/true);
    else
      out.element =
          saturating(name == "mxfp8"   ? num::FloatFormat::fp8e4m3fn()
                     : name == "mxfp6" ? num::FloatFormat::fp6e2m3fn()
                                       : num::FloatFormat::fp4e2m1fn());
    out.scaleFormat = e8m0;
    out.nativeBlock = 32;
  } else if (name == "nvfp4") {
    out.element = saturating(num::FloatFormat::fp4e2m1fn());
    out.scaleFormat = FloatFormatAttr::get(ctx, num::FloatFormat::fp8e4m3fn());
    out.nativeBlock = 16;
  } else {
    return std::nullopt;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

struct QuantizeWeightsPass
    : qc::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using QuantizeWeightsBase::QuantizeWeightsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    named = lookupNamedFormat(ctx, format);
    if (!named)
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-weights: unknown format '" << format
             << "' (expected one of " << namedFormatList() << ")";
    if (group < 0)
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-weights: group must be >= 0, got "
             << static_cast<int64_t>(group);
    if (asymmetric && !llvm::isa<IntFormatAttr>(named->element))
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-weights: asymmetric scales need an integer "
                "format, got '"
             << format << "'";
    if (!qc::detail::parseWeightScaleRule(scale, mse))
      return emitError(UnknownLoc::get(ctx))
             << "qc-quantize-weights: unknown scale rule '" << scale
             << "' (expected absmax or mse)";
    auto target = qc::detail::parseAccumulatorTarget(
        ctx, accumulatorBits, accumulatorInput, "qc-quantize-weights");
    if (failed(target))
      return failure();
    accumulator = *target;
    return success();
  }

  /// Quantizes operand `index` of `op`, a weight whose output channels run
  /// along `channelAxis` and whose reduction dimension is `reduceAxis`.
  LogicalResult quantizeOperand(Operation *op, unsigned index,
                                int64_t channelAxis, int64_t reduceAxis) {
    // Read the weight in place when it is stored densely.
    std::optional<std::vector<float>> copy;
    std::optional<ArrayRef<float>> values =
        qc::detail::constantFloatsView(op->getOperand(index));
    if (!values) {
      copy = constantFloats(op->getOperand(index));
      if (copy)
        values = ArrayRef<float>(*copy);
    }
    if (!values || values->size() <= 1)
      return success();
    auto f = qc::detail::layerFormat(op, "weights", *named);
    if (failed(f))
      return failure();
    if (!*f)
      return success(); // Kept in float.
    auto wq = qc::detail::planWeightQuantization(
        op, index, *values, **f, group, asymmetric, channelAxis, reduceAxis,
        "qc-quantize-weights", mse);
    if (failed(wq))
      return failure();
    if (accumulator) {
      if (failed(qc::detail::checkAccumulatorTarget(op, *wq,
                                                    "qc-quantize-weights")))
        return failure();
      numFitted += qc::detail::fitAccumulator(*wq, *values, accumulator);
    }
    qc::detail::replaceWeight(op, index, *wq, *values);
    return success();
  }

  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      LogicalResult r = success();
      if (auto mm = llvm::dyn_cast<nn::MatMulOp>(op)) {
        if (mm.getRhs().getType().getRank() == 2)
          r = quantizeOperand(op, 1, /*channelAxis=*/1, /*reduceAxis=*/0);
      } else if (auto gemm = llvm::dyn_cast<nn::GemmOp>(op)) {
        bool t = gemm.getTransB();
        r = quantizeOperand(op, 1, t ? 0 : 1, t ? 1 : 0);
      } else if (auto conv = llvm::dyn_cast<nn::ConvOp>(op)) {
        r = quantizeOperand(op, 1, /*channelAxis=*/0, /*reduceAxis=*/1);
      }
      failed |= mlir::failed(r);
    });
    if (failed)
      signalPassFailure();
  }

  std::optional<NamedQuantFormat> named;
  bool mse = false;
  qc::detail::AccumulatorTarget accumulator;
};

} // namespace

//===- WeightQuantization.h - Shared weight quantization steps --*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The steps every weight quantizer shares (RTN, GPTQ): the qtensor type and
// scales of a weight under a named format and granularity, quantizing one
// row of elements with them, and replacing the weight by constant codes, a
// constant of scales and a qc.dequantize.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_TRANSFORMS_WEIGHTQUANTIZATION_H
#define QC_LIB_DIALECT_QC_TRANSFORMS_WEIGHTQUANTIZATION_H

#include "qc/Dialect/QC/Transforms/Passes.h"

#include <vector>

namespace qc::detail {

/// A weight's quantization: type, scales and the f32 scale of every group.
struct WeightQuantization {
  QTensorType type;
  SchemeAttr scheme;
  ComputedScales computed;
  /// Effective f32 scales (scale codes decoded, times the global scale), in
  /// the layout of the scheme's scale tensor.
  std::vector<float> scales;
  std::vector<int64_t> shape;
};

/// Plans the quantization of `values`, the constant operand `index` of
/// `op`, whose output channels run along `channelAxis` and whose reduction
/// dimension is `reduceAxis`: per channel when `group` is 0 and the format
/// has no native block, else per block of `group` (or the native block)
/// along the reduction dimension. Scales follow qc.compute_scales; with
/// `mse`, each group's scale is instead the rule of qc.compute_scales
/// applied to fl32(r * group) for the clip ratio r in {1, 0.99, ..., 0.5}
/// that minimizes the group's squared quantization error (see
/// searchClipRatios). Emits an error prefixed by `pass` (e.g. a block that
/// does not divide K).
mlir::FailureOr<WeightQuantization>
planWeightQuantization(mlir::Operation *op, unsigned index,
                       llvm::ArrayRef<float> values,
                       const NamedQuantFormat &named, int64_t group,
                       bool asymmetric, int64_t channelAxis, int64_t reduceAxis,
                       llvm::StringRef pass, bool mse = false);

/// Parses a weight scale rule ("absmax" or "mse") into `mse`; false for any
/// other name.
bool parseWeightScaleRule(llvm::StringRef name, bool &mse);

/// Quantizes `values` (the whole weight) under `wq`, rounding to nearest
/// even, and replaces operand `index` of `op` by qc.dequantize(qc.constant
/// codes).
void replaceWeight(mlir::Operation *op, unsigned index,
                   const WeightQuantization &wq, llvm::ArrayRef<float> values);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_WEIGHTQUANTIZATION_H

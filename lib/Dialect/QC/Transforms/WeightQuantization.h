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

/// The accumulator a layer's integer dot products must fit (accumulator-
/// aware quantization, A2Q / AXE): `bits` wide, every input code (minus
/// its zero point) in [xlo, xhi]. `bits` 0: no constraint.
struct AccumulatorTarget {
  unsigned bits = 0;
  int64_t xlo = 0, xhi = 0;
  explicit operator bool() const { return bits != 0; }
};

/// The target of the `accumulator-bits` and `accumulator-input` options
/// (an integer format name of num::Format::parse, e.g. int8 or uint4,
/// whose code range the inputs cover); an error prefixed by `pass` for a
/// width outside [0, 64] or a name that is not an integer format.
mlir::FailureOr<AccumulatorTarget>
parseAccumulatorTarget(mlir::MLIRContext *ctx, int64_t bits,
                       llvm::StringRef input, llvm::StringRef pass);

/// An error (prefixed by `pass`) unless `wq` quantizes to symmetric integer
/// codes with one scale per output channel, the form whose sums an integer
/// accumulator computes.
mlir::LogicalResult checkAccumulatorTarget(mlir::Operation *op,
                                           const WeightQuantization &wq,
                                           llvm::StringRef pass);

/// Raises the scale of every output channel whose round-to-nearest codes
/// could overflow the target accumulator for some input to the smallest
/// f32 scale for which they cannot (a larger scale never enlarges a code,
/// so a bisection over the f32 values finds it). `wq` must pass
/// checkAccumulatorTarget. Returns the number of scales raised.
int64_t fitAccumulator(WeightQuantization &wq, llvm::ArrayRef<float> values,
                       const AccumulatorTarget &target);

/// Quantizes `values` (the whole weight) under `wq`, rounding to nearest
/// even, and replaces operand `index` of `op` by qc.dequantize(qc.constant
/// codes).
void replaceWeight(mlir::Operation *op, unsigned index,
                   const WeightQuantization &wq, llvm::ArrayRef<float> values);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_WEIGHTQUANTIZATION_H

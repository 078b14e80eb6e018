//===- ResidualStream.h - The residual stream of a transformer --*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Finds the residual stream of a transformer on the nn graph: from the
// embedding gather through residual adds to the normalizations that read
// it, with the constant operands that produce it (sources) and, for
// rotations, those that read it (sinks). Shared by the passes that
// transform the stream in place (rotation, LayerNorm -> RMSNorm).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_TRANSFORMS_RESIDUALSTREAM_H
#define QC_LIB_DIALECT_QC_TRANSFORMS_RESIDUALSTREAM_H

#include "ConstantUtils.h"
#include "qc/Dialect/NN/IR/NN.h"

#include <string>
#include <tuple>

namespace qc::detail {

/// What the stream must be able to pass through.
enum class StreamMode {
  /// An orthogonal rotation x -> x Q: the stream may reach unit-gain
  /// RMSNorms over the last axis whose readers are all linear layers with
  /// constant weights (the sinks).
  Rotate,
  /// Mean removal x -> x - mean(x): the stream may reach LayerNorms over the
  /// last axis (whose output does not depend on the mean of its input).
  Center,
};

/// The stream's constant operands and the norms it reaches.
struct StreamPlan {
  /// Sources (rows of length D; `Rows`) and sinks (weights D x N;
  /// `Columns`, Rotate mode only).
  llvm::SmallVector<std::tuple<mlir::Operation *, unsigned, RotationSide>>
      operands;
  /// The normalizations the stream reaches.
  llvm::SmallVector<mlir::Operation *> norms;
};

/// Collects the stream of width `d` starting at `start`. Sources are
/// constant addends, single-use gathers from other constant D-wide tables
/// (learned positions), single-use linear layers with a constant K x D
/// weight (optionally followed by a single-use constant bias add) and other
/// adds of the stream. On failure, `blocker` is the op the stream cannot pass
/// and `why` says why.
mlir::FailureOr<StreamPlan> collectResidualStream(mlir::Value start, int64_t d,
                                                  StreamMode mode,
                                                  mlir::Operation *&blocker,
                                                  std::string &why);

/// Folds a constant per-channel or scalar scale (Gemma's sqrt(D)) applied
/// right after the embedding gather into the table; returns the value that
/// starts the stream.
mlir::Value foldEmbeddingScale(nn::GatherOp gather, int64_t d);

/// The embedding gathers that start residual streams: axis 0 of a constant
/// 2-D table. A stream that adds several (tokens and positions) is found
/// from each; callers skip those a plan already holds (planGathers).
llvm::SmallVector<nn::GatherOp> embeddingGathers(mlir::Operation *root);

/// Where a residual stream starts: the value, its width and the constant
/// operands that produce it (the embedding table's rows; a patch
/// embedding's convolution weight, by output channel, and bias).
struct StreamStart {
  mlir::Operation *op;
  mlir::Value value;
  int64_t d;
  llvm::SmallVector<std::tuple<mlir::Operation *, unsigned, RotationSide>>
      operands;
};

/// The streams of `root`: embedding gathers (their per-channel scales
/// folded into the tables first) and the patch embeddings of vision
/// transformers (a convolution with a constant weight whose output is
/// flattened over the pixels and transposed to [batch, pixels, D]).
llvm::SmallVector<StreamStart> streamStarts(mlir::Operation *root);

/// The result of `use`'s owner when it moves whole tokens of width `d`
/// without mixing their channels: a reshape keeping the last dimension d, a
/// transpose keeping the last axis last, a gather along another axis (the
/// used value must be operand 0). Null otherwise.
mlir::Value tokenMove(mlir::OpOperand &use, int64_t d);

/// The gathers among a plan's sources (embeddings added into the stream).
llvm::SmallVector<mlir::Operation *> planGathers(const StreamPlan &plan);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_RESIDUALSTREAM_H

//===- ConstantUtils.h - Reading and writing constant weights ---*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Helpers shared by the quantization passes to read f32 constants (dense or
// memory-mapped external-data resources) and to build new ones.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_TRANSFORMS_CONSTANTUTILS_H
#define QC_LIB_DIALECT_QC_TRANSFORMS_CONSTANTUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Dialect/QC/Transforms/Passes.h"
#include "qc/Support/Numerics/Accumulator.h"

#include <optional>
#include <string>
#include <vector>

namespace qc::detail {

/// The values of `v` when it is a statically shaped f32 arith.constant
/// (dense or a DenseResourceElementsAttr blob), else nullopt.
std::optional<std::vector<float>> constantFloats(mlir::Value v);

/// Whether `v` is a statically shaped f32 arith.constant (what
/// constantFloats reads), without reading it.
bool isF32Constant(mlir::Value v);

/// A read-only view of the values of `v` when it is a statically shaped
/// f32 arith.constant stored densely (a resource blob or a non-splat dense
/// attribute): no copy. Else nullopt (use constantFloats).
std::optional<llvm::ArrayRef<float>> constantFloatsView(mlir::Value v);

/// Constants of at least this many elements are created as
/// DenseResourceElementsAttr blobs rather than uniqued DenseElementsAttr.
constexpr size_t kResourceThreshold = size_t(1) << 20;

/// A new f32 arith.constant of `type` holding `values` (a resource blob for
/// large constants).
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::RankedTensorType type,
                          llvm::ArrayRef<float> values);

/// How a constant is transformed by a rotation Q of size D.
enum class RotationSide {
  Rows,   ///< Each row r (length D, the last axis) becomes r Q (producers).
  Columns ///< A weight W (D x N) becomes Q^T W (consumers; a convolution's
          ///< D x C x kh x kw weight as D x (C kh kw): its output channels).
};

/// Replaces f32 constant operand `index` of `op` by a new constant holding
/// its values transformed in place by `fn` (built directly in the storage
/// of the new constant; the old constant is erased when unused).
void transformConstant(
    mlir::Operation *op, unsigned index,
    llvm::function_ref<void(llvm::MutableArrayRef<float>)> fn);

/// Replaces f32 constant operand `index` of `op` by its rotated values
/// (a new constant; the old one is erased when unused).
void rotateConstantOperand(mlir::Operation *op, unsigned index,
                           RotationSide side, RotationAttrInterface q);

/// A random orthogonal n x n matrix (row-major): modified Gram-Schmidt on
/// a Gaussian matrix drawn from `seed`.
std::vector<double> randomOrthogonal(int64_t n, uint64_t seed);

/// A randomized Hadamard rotation of order `d` when one exists and
/// `orthogonal` is false; otherwise a random orthogonal matrix, with
/// `fellBack` set when a Hadamard was asked for but `d` has none.
RotationAttrInterface chooseRotation(mlir::MLIRContext *ctx, int64_t d,
                                     bool orthogonal, uint64_t seed,
                                     bool &fellBack);

/// MixQuant's MassDiff channel grouping for block rotations of size
/// `block`: channels sorted by descending `mass` (mean |x|) seed one block
/// each, then every further channel joins the non-full block whose l1 mass
/// is smallest, so the largest block mass (which bounds the max-norm after
/// a block Hadamard) stays small. Returns perm with output position p
/// taking channel perm[p] (as #qc.permutation); blocks are consecutive.
std::vector<int64_t> massDiffPermutation(llvm::ArrayRef<double> mass,
                                         int64_t block);

/// The per-channel mean |x| of a layer's input from its `qc.calibration`
/// attribute, added into `mass` (resized on first use). False when the
/// layer has no calibration or a different channel count.
bool addChannelMass(mlir::Operation *layer, std::vector<double> &mass);

/// The format of a layer's weights or activations (`kind` "weights" or
/// "activations"): the layer's `qc.<kind>` override (set from a calibration
/// table) if any, else `defaultFormat`; nullopt when the override is
/// "float". An unknown override is an error naming the layer.
mlir::FailureOr<std::optional<NamedQuantFormat>>
layerFormat(mlir::Operation *layer, llvm::StringRef kind,
            const NamedQuantFormat &defaultFormat);

/// The activation input of a linear layer: an `nn.matmul` whose right
/// operand is a 2-D weight (a constant or a `qc.dequantize` of constant
/// codes), or an `nn.gemm` without `transA` whose `b` is such a weight.
/// Null for any other op.
mlir::Value linearLayerInput(mlir::Operation *op);

/// The name users know a layer by: the ONNX node name carried in its
/// location, else the op name.
std::string layerName(mlir::Operation *op);

/// The values of a constant integer tensor, sign-extended; none when `v`
/// is not a constant.
std::optional<std::vector<int64_t>> constantInts(mlir::Value v);

/// The exact accumulator ranges of a qc.linear or qc.conv (`op`; its
/// weight read as [N, K], K = C/G * kH * kW for a convolution, whose padded
/// positions add 0, inside every range): per output channel, the
/// extremes of bias + sum_k (x - zx) w over every input code (minus a
/// constant zero point, or any difference of two codes for one known at
/// run time); weights that are not constants count with their format's
/// extremes. `maxL1` is the largest l1 norm of a channel's weight codes (-1
/// without constant weights).
struct LinearAccumulatorRanges {
  std::vector<num::AccumulatorRange> ranges;
  int64_t maxL1 = -1;
};

/// None when the bias is not a constant. Each range also holds the bias
/// alone (it is stored in the accumulator type).
std::optional<LinearAccumulatorRanges>
linearAccumulatorRanges(mlir::Operation *op);

/// A progress bar on stderr when it is a terminal (passes that run the
/// model per sample or per layer take seconds to minutes on large models):
/// `pass: [#####     ] done/total unit`, ended by a newline when destroyed.
class ProgressBar {
public:
  ProgressBar(llvm::StringRef pass, size_t total, llvm::StringRef unit);
  ~ProgressBar();
  /// Shows `done` of the total as finished.
  void update(size_t done);

private:
  std::string pass, unit;
  size_t total;
  bool shown;
};

/// The largest |code| of an integer format (for an asymmetric input, the
/// largest |code - zero point|): the factor of accumulator bounds.
int64_t maxMagnitude(const num::Format &f, bool asymmetric);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_CONSTANTUTILS_H

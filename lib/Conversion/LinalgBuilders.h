//===- LinalgBuilders.h - Shared builders of the linalg lowerings -*- C++
//-*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Static-shape tensor builders that the nn and qc lowerings share:
// destination tensors, elementwise generics with numpy broadcasting in the
// indexing maps, keepdims reductions and reshapes.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_CONVERSION_LINALGBUILDERS_H
#define QC_LIB_CONVERSION_LINALGBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace qc::linalg_builders {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;
using IndexedBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange args,
    mlir::ValueRange indices)>;

/// tensor.empty of a static type.
mlir::Value empty(mlir::OpBuilder &b, mlir::Location loc,
                  mlir::RankedTensorType type);

/// A tensor of `type` filled with zero (the init of a sum).
mlir::Value zeroFilled(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::RankedTensorType type);

/// The map reading a tensor of `operand`'s shape broadcast (numpy, aligned
/// right) to `resultShape`: size-1 dimensions read index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             mlir::RankedTensorType operand,
                             llvm::ArrayRef<int64_t> resultShape);

/// y = body(inputs...) elementwise over `resultType`, inputs broadcast.
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType resultType,
                        mlir::ValueRange inputs, BodyFn body);

/// As elementwise, with the loop indices (linalg.index) passed to the body.
mlir::Value elementwiseIndexed(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::RankedTensorType resultType,
                               mlir::ValueRange inputs, IndexedBodyFn body);

/// y[idx] = body(idx) for every index of `resultType` (gathers: the body
/// extracts from tensors defined above).
mlir::Value
indexedGeneric(mlir::OpBuilder &b, mlir::Location loc,
               mlir::RankedTensorType resultType,
               llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange indices)>
                   body);

/// Row-major reshape to a static shape (collapse to 1-D, then expand).
mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    llvm::ArrayRef<int64_t> shape);

enum class ReduceKind { Sum, SumOfSquares, Max, AbsMax, Min, Prod };

/// Reduction over `axes` (sorted, in [0, rank)) keeping them as size 1.
/// Max and Min start from -inf / +inf (integers: the extreme values); AbsMax
/// from 0 and ignores NaN and infinities (arith.maximumf would propagate
/// NaN); for f32 it is an unsigned max over the sign-cleared bits, which
/// vectorizes.
mlir::Value reduceKeepDims(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value x, llvm::ArrayRef<int64_t> axes,
                           ReduceKind kind);

/// x / divisor elementwise (in x's float type).
mlir::Value divideBy(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                     double divisor);

/// x * factor elementwise (f32).
mlir::Value scaleBy(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                    double factor);

/// The 4-bit code of column `column` (an index) held in `byte` (i8): the
/// low nibble for even columns, the high one for odd (qc.unpack's layout).
mlir::Value nibbleOfColumn(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value byte, mlir::Value column);

/// A 2-D convolution with nn.conv's semantics and no bias (NCHW, weight
/// [M, C/G, kH, kW], pads [top, left, bottom, right]) as one
/// linalg.generic: float or wrapping integer arithmetic by the element type
/// of `out`, the input zero-padded first. Defined with nn.conv's lowering.
mlir::Value convolution(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        mlir::Value w, llvm::ArrayRef<int64_t> pads,
                        llvm::ArrayRef<int64_t> strides,
                        llvm::ArrayRef<int64_t> dilations, int64_t group,
                        mlir::RankedTensorType out);

} // namespace qc::linalg_builders

#endif // QC_LIB_CONVERSION_LINALGBUILDERS_H

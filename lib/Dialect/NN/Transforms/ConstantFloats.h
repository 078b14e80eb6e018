//===- ConstantFloats.h - f32 constants for nn rewrites ---------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Reading and building f32 weight constants in nn graph rewrites: imported
// weights are dense attributes or (large ones) resource blobs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_NN_TRANSFORMS_CONSTANTFLOATS_H
#define QC_LIB_DIALECT_NN_TRANSFORMS_CONSTANTFLOATS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <vector>

namespace qc::nn::detail {

/// The values of an `arith.constant` f32 tensor of static shape (dense,
/// splat or resource blob), row-major; none for anything else.
std::optional<std::vector<float>> readF32Constant(mlir::Value v);

/// An `arith.constant` of `type` holding `values`: a dense attribute, or a
/// resource blob from 2^20 elements on (as the importer stores weights).
mlir::Value f32Constant(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<float> values);

} // namespace qc::nn::detail

#endif // QC_LIB_DIALECT_NN_TRANSFORMS_CONSTANTFLOATS_H

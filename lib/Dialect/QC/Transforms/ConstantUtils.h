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

#include <optional>
#include <vector>

namespace qc::detail {

/// The values of `v` when it is a statically shaped f32 arith.constant
/// (dense or a DenseResourceElementsAttr blob), else nullopt.
std::optional<std::vector<float>> constantFloats(mlir::Value v);

/// A new f32 arith.constant of `type` holding `values`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::RankedTensorType type,
                          llvm::ArrayRef<float> values);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_CONSTANTUTILS_H

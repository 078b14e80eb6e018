//===- NN.h - The nn graph dialect ------------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declares the nn dialect and its operations, plus the shape helpers shared by
// the verifiers, the ONNX importer and the interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_NN_IR_NN_H
#define QC_DIALECT_NN_IR_NN_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qc/Dialect/NN/IR/NNDialect.h.inc"

#define GET_OP_CLASSES
#include "qc/Dialect/NN/IR/NNOps.h.inc"

namespace qc::nn {

/// Numpy multidirectional broadcast of two shapes, or nullopt.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// `axis` in [-rank, rank) mapped to [0, rank), or nullopt.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Sorted, normalized reduction axes (all axes when `axes` is empty), or
/// nullopt when out of range or repeated.
std::optional<llvm::SmallVector<int64_t>>
reductionAxes(llvm::ArrayRef<int64_t> axes, int64_t rank);

} // namespace qc::nn

#endif // QC_DIALECT_NN_IR_NN_H

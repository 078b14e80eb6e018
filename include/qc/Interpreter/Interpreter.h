//===- Interpreter.h - Reference interpreter for nn + qc --------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Executes nn and qc ops (and the arith/func glue the importer emits) on
// concrete tensors. It is the oracle for every lowering and the engine for
// calibration and import-time constant folding. Float ops compute in
// float32; qc ops use Support/Numerics exactly. Constant weights are read in
// place from their attributes, never copied.
//
//===----------------------------------------------------------------------===//

#ifndef QC_INTERPRETER_INTERPRETER_H
#define QC_INTERPRETER_INTERPRETER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace qc::interp {

/// A dense row-major tensor: float32 data, or integer data (bool, integers,
/// and the codes of a !qc.qtensor) held as int64. Float data is either owned
/// or a view of constant storage that outlives the tensor.
class Tensor {
public:
  Tensor() = default;
  /// Allocates an owned tensor of `type` (a ranked tensor or !qc.qtensor).
  static Tensor zeros(mlir::Type type, std::vector<int64_t> shape);
  /// An owned float32 tensor holding a copy of `data` (size(shape) values).
  static Tensor copyOf(mlir::Type type, std::vector<int64_t> shape,
                       const float *data);
  /// A view of float32 data (no copy).
  static Tensor view(mlir::Type type, std::vector<int64_t> shape,
                     const float *data);

  mlir::Type getType() const { return type; }
  const std::vector<int64_t> &getShape() const { return shape; }
  int64_t size() const;
  bool isFloat() const { return floatData; }

  const float *f() const { return fptr; }
  float *fMutable();
  const int64_t *i() const { return ints->data(); }
  int64_t *iMutable() { return ints->data(); }

  /// The same data under another type/shape of equal size (zero copy).
  Tensor reshaped(mlir::Type newType, std::vector<int64_t> newShape) const;

private:
  mlir::Type type;
  std::vector<int64_t> shape;
  bool floatData = false;
  std::shared_ptr<std::vector<float>> floats;
  const float *fptr = nullptr;
  std::shared_ptr<std::vector<int64_t>> ints;
};

/// Reads a constant into a tensor (float32 constants are viewed in place).
mlir::FailureOr<Tensor> fromAttribute(mlir::ElementsAttr attr, mlir::Type type);

struct HostArray;

/// Converts a host array (e.g. read from an .npy file) to a tensor of the
/// ranked tensor `type`, converting the element type; false with `err` set
/// when the shapes differ.
mlir::FailureOr<Tensor> fromHostArray(const HostArray &a, mlir::Type type,
                                      std::string &err);

/// Builds a DenseElementsAttr of `type` from a tensor.
mlir::DenseElementsAttr toAttribute(const Tensor &t,
                                    mlir::RankedTensorType type);

/// Called before each op of the function body with its operand tensors
/// (calibration watches the inputs of linear layers this way). Returning
/// failure stops the run.
using Observer = llvm::function_ref<mlir::LogicalResult(
    mlir::Operation *op, llvm::ArrayRef<Tensor> operands)>;

/// Values whose tensors a run takes as given: the op defining them is not
/// evaluated (e.g. a layer's weight replaced by a candidate quantization
/// without changing the IR).
using Replacements = llvm::DenseMap<mlir::Value, Tensor>;

/// Runs `func` on `inputs`; emits a diagnostic at the failing op and returns
/// failure on an unsupported op or invalid data.
mlir::FailureOr<std::vector<Tensor>> run(mlir::func::FuncOp func,
                                         llvm::ArrayRef<Tensor> inputs,
                                         Observer observe = nullptr,
                                         const Replacements *replace = nullptr);

/// Evaluates one op on operand tensors (import-time folding). Returns
/// failure (with a diagnostic when `emitErrors`) if the op is unsupported.
mlir::FailureOr<std::vector<Tensor>> evaluate(mlir::Operation *op,
                                              llvm::ArrayRef<Tensor> operands,
                                              bool emitErrors = true);

} // namespace qc::interp

#endif // QC_INTERPRETER_INTERPRETER_H

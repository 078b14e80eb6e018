//===- CalibrationData.h - Sample inputs for the interpreter ----*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The calibration directory layout DIR/<sample>/<input>.npy shared by the
// passes that run the model on sample inputs (--qc-calibrate,
// --qc-assign-formats).
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_DIALECT_QC_TRANSFORMS_CALIBRATIONDATA_H
#define QC_LIB_DIALECT_QC_TRANSFORMS_CALIBRATIONDATA_H

#include "qc/Interpreter/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace qc::detail {

/// The function named `entry`, or the module's only defined function when
/// there is none of that name; null otherwise.
mlir::func::FuncOp entryFunction(mlir::ModuleOp module, llvm::StringRef entry);

/// The sample directories of `dir` (named 0, 1, 2, ...), in numeric order;
/// failure with `err` set when there are none or `dir` does not exist.
mlir::FailureOr<std::vector<std::string>> sampleDirs(llvm::StringRef dir,
                                                     std::string &err);

/// The inputs of `func` read from `sampleDir`/<input>.npy, named as the
/// importer records them (`onnx.input_names`, else arg<i>); an error
/// prefixed by `pass` at `func` for a missing or mismatched file.
mlir::FailureOr<std::vector<interp::Tensor>>
readSample(mlir::func::FuncOp func, llvm::StringRef sampleDir,
           llvm::StringRef pass);

} // namespace qc::detail

#endif // QC_LIB_DIALECT_QC_TRANSFORMS_CALIBRATIONDATA_H

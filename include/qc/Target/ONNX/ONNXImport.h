//===- ONNXImport.h - ONNX to nn + qc ---------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (opset 13-23) into a func.func of nn and qc ops.
// Every diagnostic names the ONNX node (its name and op type, kept as the op
// location); a failed import leaves no module.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_ONNX_ONNXIMPORT_H
#define QC_TARGET_ONNX_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace qc {

struct ONNXImportOptions {
  /// Static shapes for graph inputs, pinning symbolic dimensions.
  llvm::StringMap<std::vector<int64_t>> inputShapes;
  /// Shapes of the data a run will feed (quant-run's --input files): they
  /// give the symbolic or missing dimensions of the graph inputs that
  /// `inputShapes` does not name, when their ranks agree.
  llvm::StringMap<std::vector<int64_t>> dataShapes;
  /// Name of the generated function.
  std::string functionName = "main";
  /// Directory holding external-data files (default: the model's).
  std::string externalDataDir;
  /// Fold ops whose operands are all constant when their result has at most
  /// this many elements (shape computations).
  int64_t foldLimit = 4096;
  /// Compute com.microsoft MatMulNBits with f32 activations whatever its
  /// accuracy_level (by default level 4 quantizes the activations to int8
  /// per block of K, as onnxruntime's CPU kernel does).
  bool matMulNBitsFloatActivations = false;
};

/// Parses `NAME=D0xD1x...` into `options.inputShapes`; false on bad syntax.
bool parseInputShape(llvm::StringRef spec, ONNXImportOptions &options,
                     std::string &error);

/// Imports the model in `buffer` (binary or text ONNX). Diagnostics go to the
/// context's handler, located at `filename`.
mlir::OwningOpRef<mlir::ModuleOp> importONNX(llvm::StringRef buffer,
                                             llvm::StringRef filename,
                                             mlir::MLIRContext *context,
                                             const ONNXImportOptions &options);

/// Reads and imports an ONNX file.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
               const ONNXImportOptions &options);

/// The ONNX operators the importer handles ("Add", "com.microsoft:...").
std::vector<std::string> supportedONNXOperators();

/// Fills `options` from the shared `--input-shape` command-line option.
bool getONNXImportOptionsFromCL(ONNXImportOptions &options, std::string &error);

/// Registers `--import-onnx` (with `--input-shape`) for quant-translate.
void registerONNXImportTranslation();

} // namespace qc

#endif // QC_TARGET_ONNX_ONNXIMPORT_H

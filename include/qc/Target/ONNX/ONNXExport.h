//===- ONNXExport.h - nn + qc to ONNX ---------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Writes a function of nn and qc ops as a standard ONNX model (opset 21)
// that onnxruntime runs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_ONNX_ONNXEXPORT_H
#define QC_TARGET_ONNX_ONNXEXPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace qc {

/// Serializes `func` as a binary ONNX model to `os`; a diagnostic names the
/// first op without an ONNX form. With `externalDataPath`, initializers of
/// 1 KiB or more are streamed to that file as ONNX external data (referred
/// to by its file name).
mlir::LogicalResult exportONNX(mlir::func::FuncOp func, llvm::raw_ostream &os,
                               llvm::StringRef externalDataPath = "");

/// Registers `--export-onnx` for quant-translate.
void registerONNXExportTranslation();

} // namespace qc

#endif // QC_TARGET_ONNX_ONNXEXPORT_H

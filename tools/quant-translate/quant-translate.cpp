//===- quant-translate.cpp - QuantC translation driver --------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Translations between MLIR and external formats: the upstream ones (e.g.
// --mlir-to-llvmir) with QuantC's dialects registered, ONNX import/export,
// the CPU object writer, the PTX writer and the HLS C++ emitter.
//
//===----------------------------------------------------------------------===//

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "qc/Target/CPU/CPURunner.h"
#include "qc/Target/GPU/GPURunner.h"
#include "qc/Target/HLSCpp/HLSCppEmitter.h"
#include "qc/Target/ONNX/ONNXExport.h"
#include "qc/Target/ONNX/ONNXImport.h"

int main(int argc, char **argv) {
  mlir::registerAllTranslations();
  qc::registerONNXImportTranslation();
  qc::registerONNXExportTranslation();
  qc::cpu::registerCPUObjectTranslation();
  qc::gpu::registerPTXTranslation();
  qc::registerHLSCppTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "QuantC translation driver\n"));
}

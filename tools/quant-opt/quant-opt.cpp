//===- quant-opt.cpp - QuantC optimizer driver ----------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The pass driver: upstream dialects and passes plus every QuantC dialect,
// pass and pipeline, on top of MlirOptMain. An input ending in .onnx is
// imported first (with --input-shape), so `quant-opt model.onnx -pass...`
// works directly. All logic lives in libraries.
//
//===----------------------------------------------------------------------===//

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "qc/InitAll.h"
#include "qc/Target/ONNX/ONNXImport.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAllPasses();
  qc::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  qc::registerAllDialects(registry);
  // gpu-module-to-binary (--qc-lower-to-gpu) translates the kernels.
  mlir::registerAllToLLVMIRTranslations(registry);

  auto [inputFile, outputFile] = mlir::registerAndParseCLIOptions(
      argc, argv, "QuantC optimizer driver\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  if (llvm::StringRef(inputFile).ends_with(".onnx")) {
    mlir::MLIRContext context(registry);
    qc::ONNXImportOptions options;
    if (!qc::getONNXImportOptionsFromCL(options, error)) {
      llvm::errs() << "quant-opt: error: " << error << "\n";
      return 1;
    }
    auto module = qc::importONNXFile(inputFile, &context, options);
    if (!module)
      return 1;
    // Hand the imported module to the driver as bytecode (fast, exact).
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    if (mlir::failed(mlir::writeBytecodeToFile(*module, os)))
      return 1;
    buffer = llvm::MemoryBuffer::getMemBufferCopy(bytes, inputFile);
  } else {
    buffer = mlir::openInputFile(inputFile, &error);
    if (!buffer) {
      llvm::errs() << "quant-opt: error: " << error << "\n";
      return 1;
    }
  }
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "quant-opt: error: " << error << "\n";
    return 1;
  }
  if (mlir::failed(
          mlir::MlirOptMain(output->os(), std::move(buffer), registry, config)))
    return 1;
  output->keep();
  return 0;
}

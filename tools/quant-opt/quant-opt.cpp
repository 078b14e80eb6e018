//===- quant-opt.cpp - QuantC optimizer driver ----------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The pass driver: upstream dialects and passes plus every QuantC dialect,
// pass and pipeline, on top of MlirOptMain. All logic lives in libraries.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "qc/InitAll.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  qc::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  qc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "QuantC optimizer driver\n", registry));
}

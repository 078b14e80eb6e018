//===- outside-opt.cpp - An opt tool of another project using QuantC ------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Shows how another MLIR project embeds QuantC: register the qc dialect next
// to its own dialects and run its own driver. Built by the tests against an
// installed QuantC found with find_package(QuantC).
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "qc/InitAll.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect>();
  qc::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Outside project using QuantC\n", registry));
}

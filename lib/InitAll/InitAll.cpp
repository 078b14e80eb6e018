//===- InitAll.cpp - Register all QuantC dialects and passes --------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Registration entry points shared by quant-opt, quant-translate and
// projects that embed QuantC.
//
//===----------------------------------------------------------------------===//

#include "qc/InitAll.h"

#include "qc/Conversion/Passes.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/NN/Transforms/Passes.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Dialect/QC/Transforms/Passes.h"

void qc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<qc::QCDialect, qc::nn::NNDialect>();
}

void qc::registerAllPasses() {
  qc::nn::registerNNPasses();
  qc::registerQCPasses();
  qc::registerQCConversionPasses();
  qc::registerLowerToCPUPipeline();
  qc::registerLowerToGPUPipeline();
}

//===- InitAll.h - Register all QuantC dialects and passes ------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// One call for tools and embedding projects to register QuantC's dialects
// (and, as they land, passes and pipelines).
//
//===----------------------------------------------------------------------===//

#ifndef QC_INITALL_H
#define QC_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace qc {

/// Adds every QuantC dialect to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every QuantC pass and pass pipeline with the global registry.
void registerAllPasses();

} // namespace qc

#endif // QC_INITALL_H

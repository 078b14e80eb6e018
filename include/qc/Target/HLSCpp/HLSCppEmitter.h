//===- HLSCppEmitter.h - Vitis HLS C++ from nn + qc -------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Writes a quantized model (one function of nn + qc ops on static shapes) as
// Vitis HLS style C++: codes as ap_int / ap_uint of their format's width,
// integer accumulators as ap_int of theirs, float32 values as float, weights
// as constant arrays, one loop nest per op. The C simulation (any C++
// compiler with the ap_int headers) computes the reference interpreter's
// numbers bit for bit. docs/HLS.md describes the design and its limits.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_HLSCPP_HLSCPPEMITTER_H
#define QC_TARGET_HLSCPP_HLSCPPEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

namespace qc {

/// Writes the top function (the module's only function with a body) and its
/// constants as one C++ source file. Reports an error naming the op, type or
/// format it cannot emit and writes nothing useful then.
mlir::LogicalResult translateToHLSCpp(mlir::ModuleOp module,
                                      llvm::raw_ostream &os);

/// Writes a C++ testbench for the same top function: `main(in_dir,
/// out_dir)` reads every input from `<in_dir>/<name>.bin` (little-endian
/// float32 for float tensors, int32 for integer and quantized ones, row
/// major), calls the top function and writes each output to
/// `<out_dir>/<name>.bin` in the same encoding.
mlir::LogicalResult translateToHLSTestbench(mlir::ModuleOp module,
                                            llvm::raw_ostream &os);

/// Registers `--emit-hls` and `--emit-hls-testbench` with mlir-translate.
void registerHLSCppTranslations();

} // namespace qc

#endif // QC_TARGET_HLSCPP_HLSCPPEMITTER_H

//===- Passes.h - quantization passes ---------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the passes that quantize nn graphs into
// qc operations.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_TRANSFORMS_PASSES_H
#define QC_DIALECT_QC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"

#include <optional>
#include <string>

namespace qc {

#define GEN_PASS_DECL
#include "qc/Dialect/QC/Transforms/Passes.h.inc"

/// A user-facing format name (int8, int4, int2, uint8, fp8e4m3, fp8e5m2,
/// mxfp8, mxfp6, mxfp4, mxint8, nvfp4) resolved to its element format, the
/// storage format of its scales and its native block size.
struct NamedQuantFormat {
  mlir::Attribute element;      ///< A FormatAttrInterface attribute.
  FloatFormatAttr scaleFormat;  ///< Null: f32 scales.
  int64_t nativeBlock = 0;      ///< 32 for MX, 16 for NVFP4, else 0.
  bool needsAsymmetric = false; ///< Unsigned integers.
};

/// Resolves `name`; nullopt for an unknown name. "float" is not a format.
std::optional<NamedQuantFormat> lookupNamedFormat(mlir::MLIRContext *ctx,
                                                  llvm::StringRef name);

/// The accepted names, comma separated, for diagnostics.
const char *namedFormatList();

#define GEN_PASS_REGISTRATION
#include "qc/Dialect/QC/Transforms/Passes.h.inc"

} // namespace qc

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_H

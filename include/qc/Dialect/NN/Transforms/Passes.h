//===- Passes.h - nn transformation passes ----------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declarations and registration of the nn passes.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_NN_TRANSFORMS_PASSES_H
#define QC_DIALECT_NN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "qc/Dialect/NN/IR/NN.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace qc::nn {

#define GEN_PASS_DECL
#include "qc/Dialect/NN/Transforms/Passes.h.inc"

/// Patterns raising decomposed RMSNorm, LayerNorm and GELU to nn ops.
void populateRaiseDecomposedOpsPatterns(mlir::RewritePatternSet &patterns);

/// Rewrites every float16 / bfloat16 nn op under `root` other than casts and
/// data movement into the f32 op with its results rounded back to the narrow
/// type (see --qc-nn-promote-half). With `widen`, data movement too, and
/// round trips f32 -> narrow -> f32 inside the graph are dropped.
void promoteHalfPrecision(mlir::Operation *root, bool widen = false);

#define GEN_PASS_REGISTRATION
#include "qc/Dialect/NN/Transforms/Passes.h.inc"

} // namespace qc::nn

#endif // QC_DIALECT_NN_TRANSFORMS_PASSES_H

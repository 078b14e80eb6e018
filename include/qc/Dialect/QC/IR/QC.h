//===- QC.h - The qc dialect ------------------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declares the qc dialect, its attributes, types and operations. Include this
// one header to use the dialect.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QC_H
#define QC_DIALECT_QC_IR_QC_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qc/Support/Numerics/Format.h"
#include "qc/Support/Numerics/Quantize.h"

#include <optional>

#include "qc/Dialect/QC/IR/QCDialect.h.inc"
#include "qc/Dialect/QC/IR/QCEnums.h.inc"
#include "qc/Dialect/QC/IR/QCInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qc/Dialect/QC/IR/QCAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QC/IR/QCTypes.h.inc"

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.h.inc"

namespace qc {

/// The Numerics rounding mode of a dialect rounding mode.
num::Rounding toNumeric(RoundingMode mode);

/// The dense n x n matrix of a rotation (row i = e_i * R), for tests and
/// for verifying user matrices.
std::vector<double> rotationMatrix(RotationAttrInterface rotation);

/// The storage attribute of `codes` for `type` (tensor<... x iN>): one
/// signless N-bit integer per code, codes below 2^N.
mlir::DenseIntElementsAttr codesAttr(mlir::RankedTensorType type,
                                     llvm::ArrayRef<uint32_t> codes);

/// Scales computed from data by the rule `qt`'s scheme implies: the
/// semantics of qc.compute_scales, shared by its folder and the interpreter.
struct ComputedScales {
  std::vector<float> scales;        ///< f32 scales (no scale format).
  std::vector<uint32_t> scaleCodes; ///< Codes of a minifloat scale format.
  std::vector<int32_t> zeroPoints;  ///< Asymmetric schemes.
  std::optional<float> globalScale; ///< Two-level (NVFP4-style) scales.
};
std::optional<ComputedScales> computeScales(QTensorType qt, const float *x);

/// The integer accumulation of qc.linear: out[i, j] = bias[j] + sum_t
/// (x[i, t] - zx) * w[j, t] over codes, wrapped to `bits` bits in two's
/// complement and sign-extended to int64.
void linearAccumulate(const num::Format &xf, const num::Format &wf,
                      const uint32_t *x, const uint32_t *w, int64_t m,
                      int64_t n, int64_t k, int64_t zx, const int64_t *bias,
                      unsigned bits, int64_t *out);

} // namespace qc

#endif // QC_DIALECT_QC_IR_QC_H

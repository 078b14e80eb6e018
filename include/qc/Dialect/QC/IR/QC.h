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
/// The scales of qc.compute_scales for `x`, with clip ratio `clip` (the
/// rule applied to fl32(clip * x)).
std::optional<ComputedScales> computeScales(QTensorType qt, const float *x,
                                            double clip = 1.0);

/// The integer accumulation of qc.linear: out[i, j] = bias[j] + sum_t
/// (x[i, t] - zx) * w[j, t] over codes, wrapped to `bits` bits in two's
/// complement and sign-extended to int64.
void linearAccumulate(const num::Format &xf, const num::Format &wf,
                      const uint32_t *x, const uint32_t *w, int64_t m,
                      int64_t n, int64_t k, int64_t zx, const int64_t *bias,
                      unsigned bits, int64_t *out);

/// The integer accumulation of qc.conv (NCHW, weight [M, C/G, kH, kW]):
/// out[n, m, i, j] = bias[m] + sum (x - zx) * w over the window, positions
/// outside the input adding 0, wrapped to `bits` bits in two's complement
/// and sign-extended to int64. `xShape` is [N, C, H, W], `outHW` the output
/// size; strides, pads (top, left, bottom, right) and dilations as nn.conv.
void convAccumulate(
    const num::Format &xf, const num::Format &wf, const uint32_t *x,
    const uint32_t *w, llvm::ArrayRef<int64_t> xShape,
    llvm::ArrayRef<int64_t> wShape, llvm::ArrayRef<int64_t> outHW,
    llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> pads,
    llvm::ArrayRef<int64_t> dilations, int64_t group, int64_t zx,
    const int64_t *bias, unsigned bits, int64_t *out);

/// qc.rescale of one value: sat(((x - zin) * multiplier + 2^(shift - 1)) >>
/// shift + zout) in 64-bit two's complement, shift clamped to [0, 62],
/// saturated to [lo, hi].
inline int64_t rescaleValue(int64_t x, int64_t zin, int32_t multiplier,
                            int64_t shift, int64_t zout, int64_t lo,
                            int64_t hi) {
  shift = shift < 0 ? 0 : (shift > 62 ? 62 : shift);
  uint64_t v = uint64_t(x - zin) * uint64_t(int64_t(multiplier));
  if (shift > 0)
    v += uint64_t(1) << (shift - 1);
  int64_t r = int64_t(v) >> shift;
  r += zout;
  return r < lo ? lo : (r > hi ? hi : r);
}

/// A float scale ratio m > 0 as (multiplier, shift) for qc.rescale:
/// multiplier = round(m' * 2^31) in [2^30, 2^31), shift = 31 - e for m =
/// m' * 2^e, m' in [0.5, 1). nullopt when shift would leave [0, 62]
/// (m >= 2^31 or m < 2^-31 * 2^-31) or m is not finite and positive; m = 0
/// gives (0, 0).
std::optional<std::pair<int32_t, int>> fixedPointMultiplier(double m);

} // namespace qc

#endif // QC_DIALECT_QC_IR_QC_H

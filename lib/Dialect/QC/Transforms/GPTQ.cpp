//===- GPTQ.cpp - Hessian-aware weight quantization -----------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// GPTQ (Frantar et al., 2023): quantizes a linear layer's weight one input
// channel at a time and spreads each channel's rounding error over the
// channels not yet quantized, using the inverse of the calibrated input
// Hessian H = X^T X, so that ||X W - X Q|| is minimized rather than
// ||W - Q||. Blocked (lazy batch updates), optionally in activation order.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "WeightQuantization.h"
#include "qc/Support/Numerics/Quantize.h"

#include <cmath>
#include <numeric>

namespace qc {
#define GEN_PASS_DEF_GPTQ
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// sum_k x[k] y[k] over `len` values in 8 interleaved partial sums: they
/// vectorize, where one running sum is a chain of dependent adds (4 cycles
/// each: the unblocked Cholesky of a 2048 x 2048 Hessian took 2.6 s).
double dot(const double *x, const double *y, int64_t len) {
  double part[8] = {};
  int64_t k = 0;
  for (; k + 8 <= len; k += 8)
    for (int64_t j = 0; j < 8; ++j)
      part[j] += x[k + j] * y[k + j];
  for (; k < len; ++k)
    part[k % 8] += x[k] * y[k];
  double s = 0.0;
  for (double p : part)
    s += p;
  return s;
}

/// In-place Cholesky factorization of the symmetric n x n matrix `a` into
/// its lower factor L (a = L L^T). False if `a` is not positive definite.
/// Column j's entries below the diagonal are independent dot products of
/// rows: split over the hardware threads for large n.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    const double *rj = &a[size_t(j * n)];
    double d = a[size_t(j * n + j)] - dot(rj, rj, j);
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[size_t(j * n + j)] = d;
    // Rows below j, as dot products of length j: threads once there is
    // enough work per column to pay for them.
    int64_t grain = std::max<int64_t>(16, (1 << 18) / std::max<int64_t>(1, j));
    num::parallelFor(n - j - 1, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = j + 1 + b; i < j + 1 + e; ++i) {
        double *ri = &a[size_t(i * n)];
        ri[j] = (ri[j] - dot(ri, rj, j)) / d;
      }
    });
    for (int64_t k = j + 1; k < n; ++k)
      a[size_t(j * n + k)] = 0;
  }
  return true;
}

/// The upper Cholesky factor U of H^-1 (H^-1 = U^T U), as GPTQ uses it:
/// row i of U holds the error propagation weights of channel i onto the
/// later channels. False if H is not positive definite.
///
/// With P the reversal permutation and P H P = L L^T, H = U' U'^T for the
/// upper triangular U' = P L P, so U = U'^-1 = P L^-1 P: one Cholesky
/// factorization and one triangular inverse, without forming H^-1.
bool inverseCholeskyUpper(const std::vector<double> &h, int64_t n,
                          std::vector<double> &u) {
  std::vector<double> r(size_t(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      r[size_t(i * n + j)] = h[size_t((n - 1 - i) * n + (n - 1 - j))];
  if (!cholesky(r, n))
    return false;
  // L^-1 by forward substitution: row i = (e_i - sum_k L[i][k] row k) /
  // L[i][i], over contiguous rows.
  std::vector<double> linv(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double *ri = &linv[size_t(i * n)];
    ri[i] = 1.0;
    for (int64_t k = 0; k < i; ++k) {
      double c = r[size_t(i * n + k)];
      const double *rk = &linv[size_t(k * n)];
      for (int64_t j = 0; j <= k; ++j)
        ri[j] -= c * rk[j];
    }
    double d = r[size_t(i * n + i)];
    for (int64_t j = 0; j <= i; ++j)
      ri[j] /= d;
  }
  u.assign(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      u[size_t(i * n + j)] = linv[size_t((n - 1 - i) * n + (n - 1 - j))];
  return true;
}

struct GPTQPass : qc::impl::GPTQBase<GPTQPass> {
  using GPTQBase::GPTQBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    named = lookupNamedFormat(ctx, format);
    if (!named)
      return emitError(UnknownLoc::get(ctx))
             << "qc-gptq: unknown format '" << format << "' (expected one of "
             << namedFormatList() << ")";
    if (group < 0 || blockSize <= 0)
      return emitError(UnknownLoc::get(ctx))
             << "qc-gptq: group must be >= 0 and block > 0, got group "
             << static_cast<int64_t>(group) << " and block "
             << static_cast<int64_t>(blockSize);
    if (!(damp > 0))
      return emitError(UnknownLoc::get(ctx))
             << "qc-gptq: damp must be > 0, got " << double(damp);
    if (asymmetric && !llvm::isa<IntFormatAttr>(named->element))
      return emitError(UnknownLoc::get(ctx))
             << "qc-gptq: asymmetric scales need an integer format, got '"
             << format << "'";
    if (!qc::detail::parseWeightScaleRule(scale, mse))
      return emitError(UnknownLoc::get(ctx))
             << "qc-gptq: unknown scale rule '" << scale
             << "' (expected absmax or mse)";
    return success();
  }

  LogicalResult quantizeLayer(Operation *op) {
    auto gemm = llvm::dyn_cast<nn::GemmOp>(op);
    bool transposed = gemm && gemm.getTransB();
    auto values = qc::detail::constantFloats(op->getOperand(1));
    if (!values)
      return success(); // Already quantized, or not a float constant.
    auto f = qc::detail::layerFormat(op, "weights", *named);
    if (failed(f))
      return failure();
    if (!*f) {
      op->removeAttr("qc.hessian");
      return success(); // Kept in float.
    }
    auto hAttr = op->getAttrOfType<DenseElementsAttr>("qc.hessian");
    if (!hAttr)
      return op->emitError("qc-gptq: layer '")
             << qc::detail::layerName(op)
             << "' has no Hessian; run --qc-calibrate with hessian=true first";
    auto wType = llvm::cast<RankedTensorType>(op->getOperand(1).getType());
    int64_t k = wType.getDimSize(transposed ? 1 : 0);
    int64_t n = wType.getDimSize(transposed ? 0 : 1);
    if (hAttr.getType().getShape() != ArrayRef<int64_t>{k, k})
      return op->emitError("qc-gptq: the Hessian of layer '")
             << qc::detail::layerName(op) << "' is not " << k << "x" << k;

    auto wq = qc::detail::planWeightQuantization(
        op, 1, *values, **f, group, asymmetric, transposed ? 0 : 1,
        transposed ? 1 : 0, "qc-gptq", mse);
    if (failed(wq))
      return failure();

    // Work on W as K x N doubles.
    std::vector<double> w(size_t(k * n));
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        w[size_t(i * n + j)] =
            (*values)[size_t(transposed ? j * k + i : i * n + j)];
    std::vector<double> h;
    h.reserve(size_t(k * k));
    for (float v : hAttr.getValues<float>())
      h.push_back(v);

    // Dead inputs (never non-zero) carry no information: zero them.
    for (int64_t i = 0; i < k; ++i)
      if (h[size_t(i * k + i)] == 0) {
        h[size_t(i * k + i)] = 1;
        for (int64_t j = 0; j < n; ++j)
          w[size_t(i * n + j)] = 0;
      }
    // Processing order: descending Hessian diagonal with act-order.
    std::vector<int64_t> perm(static_cast<size_t>(k));
    std::iota(perm.begin(), perm.end(), 0);
    if (actOrder)
      std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
        double da = h[size_t(a * k + a)], db = h[size_t(b * k + b)];
        return da > db || (da == db && a < b);
      });
    std::vector<double> hp(size_t(k * k)), wp(size_t(k * n));
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = 0; j < k; ++j)
        hp[size_t(i * k + j)] = h[size_t(perm[i] * k + perm[j])];
      std::copy_n(&w[size_t(perm[i] * n)], n, &wp[size_t(i * n)]);
    }
    double meanDiag = 0;
    for (int64_t i = 0; i < k; ++i)
      meanDiag += hp[size_t(i * k + i)];
    meanDiag /= double(k);
    std::vector<double> u;
    double lambda = damp * meanDiag;
    bool ok = false;
    for (int attempt = 0; attempt < 6 && !ok; ++attempt, lambda *= 10) {
      std::vector<double> damped = hp;
      for (int64_t i = 0; i < k; ++i)
        damped[size_t(i * k + i)] += lambda;
      ok = inverseCholeskyUpper(damped, k, u);
    }
    if (!ok)
      return op->emitError("qc-gptq: the Hessian of layer '")
             << qc::detail::layerName(op)
             << "' is not positive definite even with damping";

    // Quantize-dequantize of one input channel (a row of N values) with the
    // scales of original channel `row`.
    num::Format fmt = wq->type.getNumericFormat();
    num::Scheme rowScheme{num::Granularity::PerAxis, 1, 0};
    std::vector<int64_t> rowShape = {1, n};
    bool perBlock = wq->scheme.getGranularity() == Granularity::per_block;
    int64_t blk = wq->scheme.getBlock();
    std::vector<float> rowIn(static_cast<size_t>(n)),
        rowScales(static_cast<size_t>(n)), rowOut(static_cast<size_t>(n));
    std::vector<int32_t> rowZp(static_cast<size_t>(n));
    std::vector<uint32_t> rowCodes(static_cast<size_t>(n));
    const auto &zps = wq->computed.zeroPoints;
    auto quantizeRow = [&](int64_t row, const double *in, double *out) {
      for (int64_t j = 0; j < n; ++j) {
        // Scale layout: [N] per channel; [K/B, N] or [N, K/B] per block.
        size_t s = !perBlock    ? size_t(j)
                   : transposed ? size_t(j * (k / blk) + row / blk)
                                : size_t((row / blk) * n + j);
        rowScales[size_t(j)] = wq->scales[s];
        rowZp[size_t(j)] = zps.empty() ? 0 : zps[s];
        rowIn[size_t(j)] = float(in[j]);
      }
      num::quantize(rowIn.data(), rowShape, rowScheme, rowScales.data(),
                    zps.empty() ? nullptr : rowZp.data(), fmt,
                    num::Rounding::NearestEven, 0, rowCodes.data());
      num::dequantize(rowCodes.data(), rowShape, rowScheme, rowScales.data(),
                      zps.empty() ? nullptr : rowZp.data(), fmt, rowOut.data());
      for (int64_t j = 0; j < n; ++j)
        out[j] = rowOut[size_t(j)];
    };

    std::vector<double> q(size_t(k * n)), err(size_t(blockSize * n));
    for (int64_t start = 0; start < k; start += blockSize) {
      int64_t end = std::min<int64_t>(k, start + blockSize);
      for (int64_t i = start; i < end; ++i) {
        double *wi = &wp[size_t(i * n)];
        double *qi = &q[size_t(i * n)];
        quantizeRow(perm[size_t(i)], wi, qi);
        double d = u[size_t(i * k + i)];
        double *e = &err[size_t((i - start) * n)];
        for (int64_t j = 0; j < n; ++j)
          e[j] = (wi[j] - qi[j]) / d;
        for (int64_t r = i + 1; r < end; ++r) {
          double c = u[size_t(i * k + r)];
          double *wr = &wp[size_t(r * n)];
          for (int64_t j = 0; j < n; ++j)
            wr[j] -= c * e[j];
        }
      }
      // Lazy batch update of the remaining channels.
      for (int64_t r = end; r < k; ++r) {
        double *wr = &wp[size_t(r * n)];
        for (int64_t i = start; i < end; ++i) {
          double c = u[size_t(i * k + r)];
          const double *e = &err[size_t((i - start) * n)];
          for (int64_t j = 0; j < n; ++j)
            wr[j] -= c * e[j];
        }
      }
    }

    // The quantized weight in the original layout; its values are exactly
    // codes times scales, so quantizing them again yields those codes.
    std::vector<float> result(values->size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        result[size_t(transposed ? j * k + perm[i] : perm[i] * n + j)] =
            float(q[size_t(i * n + j)]);
    qc::detail::replaceWeight(op, 1, *wq, result);
    op->removeAttr("qc.hessian");
    return success();
  }

  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](Operation *op) {
      if (qc::detail::linearLayerInput(op))
        failed |= mlir::failed(quantizeLayer(op));
      else if (llvm::isa<nn::ConvOp>(op))
        failed |= mlir::failed(quantizeConvolution(op));
    });
    if (failed)
      signalPassFailure();
  }

  /// Convolutions have no Hessian here: round to nearest, and say so.
  LogicalResult quantizeConvolution(Operation *op) {
    auto values = qc::detail::constantFloats(op->getOperand(1));
    if (!values || values->size() <= 1)
      return success();
    auto f = qc::detail::layerFormat(op, "weights", *named);
    if (failed(f))
      return failure();
    if (!*f)
      return success();
    auto wq = qc::detail::planWeightQuantization(
        op, 1, *values, **f, group, asymmetric, /*channelAxis=*/0,
        /*reduceAxis=*/1, "qc-gptq", mse);
    if (failed(wq))
      return failure();
    qc::detail::replaceWeight(op, 1, *wq, *values);
    op->emitRemark("qc-gptq: convolution '")
        << qc::detail::layerName(op)
        << "' quantized with round-to-nearest (GPTQ covers linear layers)";
    return success();
  }

  std::optional<NamedQuantFormat> named;
  bool mse = false;
};

} // namespace

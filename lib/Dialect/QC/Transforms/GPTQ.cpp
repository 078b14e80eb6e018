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
#include "qc/Support/Numerics/Accumulator.h"
#include "qc/Support/Numerics/LinearAlgebra.h"
#include "qc/Support/Numerics/Quantize.h"

#include <numeric>

namespace qc {
#define GEN_PASS_DEF_GPTQ
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// GPTQ's error propagation weights: the upper Cholesky factor U of H^-1
/// (H^-1 = U^T U), whose row i spreads channel i's rounding error over the
/// later channels. With P the reversal permutation and P H P = L L^T,
/// H = U' U'^T for the upper triangular U' = P L P, so U = U'^-1 = P L^-1 P:
/// one Cholesky factorization and one triangular inverse, without forming
/// H^-1. `inv` receives L^-1 (U[i][j] = inv[(k-1-i) k + (k-1-j)]). False if
/// H + lambda I is not positive definite.
bool reversedInverseCholesky(const std::vector<double> &h, int64_t k,
                             double lambda, std::vector<double> &inv) {
  inv.resize(size_t(k * k));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      inv[size_t(i * k + j)] = h[size_t((k - 1 - i) * k + (k - 1 - j))];
  for (int64_t i = 0; i < k; ++i)
    inv[size_t(i * k + i)] += lambda;
  if (!num::choleskyLower(inv.data(), k))
    return false;
  num::invertLowerTriangular(inv.data(), k);
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
    auto target = qc::detail::parseAccumulatorTarget(
        ctx, accumulatorBits, accumulatorInput, "qc-gptq");
    if (failed(target))
      return failure();
    accumulator = *target;
    return success();
  }

  LogicalResult quantizeLayer(Operation *op) {
    auto gemm = llvm::dyn_cast<nn::GemmOp>(op);
    // A convolution's weight [M, C, kH, kW] is [N, K] with K = C kH kW, the
    // order of its patch Hessian: the layout of a transposed Gemm weight.
    bool isConv = llvm::isa<nn::ConvOp>(op);
    bool transposed = (gemm && gemm.getTransB()) || isConv;
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
    int64_t n = wType.getDimSize(transposed ? 0 : 1);
    int64_t k = wType.getNumElements() / n;
    if (hAttr.getType().getShape() != ArrayRef<int64_t>{k, k})
      return op->emitError("qc-gptq: the Hessian of layer '")
             << qc::detail::layerName(op) << "' is not " << k << "x" << k;

    auto wq = qc::detail::planWeightQuantization(
        op, 1, *values, **f, group, asymmetric, transposed ? 0 : 1,
        transposed ? 1 : 0, "qc-gptq", mse);
    if (failed(wq))
      return failure();
    // Block scales of a convolution run along C, not along its patches.
    if (isConv && wq->scheme.getGranularity() == Granularity::per_block)
      return roundConvolution(op, *values, *wq);
    // AXE: each output channel's accumulator budget, spent one input
    // channel at a time in processing order; a code the budget cannot
    // afford is clamped and its error fed forward like a rounding error.
    std::vector<num::AccumulatorBudget> budgets;
    if (accumulator) {
      if (failed(qc::detail::checkAccumulatorTarget(op, *wq, "qc-gptq")))
        return failure();
      qc::detail::fitAccumulator(*wq, *values, accumulator);
      budgets.reserve(size_t(n));
      for (int64_t j = 0; j < n; ++j)
        budgets.emplace_back(accumulator.bits, accumulator.xlo,
                             accumulator.xhi);
    }

    // Work on W as K x N doubles.
    std::vector<double> w(size_t(k * n));
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        w[size_t(i * n + j)] =
            (*values)[size_t(transposed ? j * k + i : i * n + j)];
    // Dead inputs (never non-zero) carry no information: zero them.
    auto hValues = hAttr.getValues<float>();
    for (int64_t i = 0; i < k; ++i)
      if (hValues[size_t(i * k + i)] == 0)
        for (int64_t j = 0; j < n; ++j)
          w[size_t(i * n + j)] = 0;
    // The processing order and the inverse factor depend on the Hessian
    // alone: layers reading the same tensor (q/k/v, gate/up) share them.
    const void *key = hAttr.getAsOpaquePointer();
    if (factorKey != key) {
      factorKey = nullptr;
      if (failed(factorHessian(op, hAttr, k)))
        return failure();
      factorKey = key;
    }
    const std::vector<int64_t> &perm = factorPerm;
    const std::vector<double> &inv = factorInv;
    // U[i][j], the weight of channel i's error on channel j >= i.
    auto u = [&](int64_t i, int64_t j) {
      return inv[size_t((k - 1 - i) * k + (k - 1 - j))];
    };
    std::vector<double> wp(size_t(k * n));
    for (int64_t i = 0; i < k; ++i)
      std::copy_n(&w[size_t(perm[size_t(i)] * n)], n, &wp[size_t(i * n)]);
    w = {};

    // Quantize-dequantize of input channel `row` (original numbering) for
    // columns [j0, j1), with that channel's scales; `buf` is scratch.
    num::Format fmt = wq->type.getNumericFormat();
    num::Scheme rowScheme{num::Granularity::PerAxis, 1, 0};
    bool perBlock = wq->scheme.getGranularity() == Granularity::per_block;
    int64_t blk = wq->scheme.getBlock();
    const auto &zps = wq->computed.zeroPoints;
    struct RowBuffers {
      std::vector<float> in, scales, out;
      std::vector<int32_t> zp;
      std::vector<uint32_t> codes;
    };
    auto quantizeRow = [&](int64_t row, const double *in, double *out,
                           int64_t j0, int64_t j1, RowBuffers &buf) {
      size_t len = size_t(j1 - j0);
      buf.in.resize(len), buf.scales.resize(len), buf.out.resize(len);
      buf.zp.resize(len), buf.codes.resize(len);
      for (int64_t j = j0; j < j1; ++j) {
        // Scale layout: [N] per channel; [K/B, N] or [N, K/B] per block.
        size_t s = !perBlock    ? size_t(j)
                   : transposed ? size_t(j * (k / blk) + row / blk)
                                : size_t((row / blk) * n + j);
        buf.scales[size_t(j - j0)] = wq->scales[s];
        buf.zp[size_t(j - j0)] = zps.empty() ? 0 : zps[s];
        buf.in[size_t(j - j0)] = float(in[j]);
      }
      std::vector<int64_t> shape = {1, j1 - j0};
      int32_t *zp = zps.empty() ? nullptr : buf.zp.data();
      num::quantize(buf.in.data(), shape, rowScheme, buf.scales.data(), zp, fmt,
                    num::Rounding::NearestEven, 0, buf.codes.data());
      for (int64_t j = j0; !budgets.empty() && j < j1; ++j) {
        uint32_t &code = buf.codes[size_t(j - j0)];
        num::AccumulatorBudget &budget = budgets[size_t(j)];
        int64_t q = budget.clamp(fmt.codeToInt(code));
        budget.take(q);
        code = fmt.intToCode(q);
      }
      num::dequantize(buf.codes.data(), shape, rowScheme, buf.scales.data(), zp,
                      fmt, buf.out.data());
      for (int64_t j = j0; j < j1; ++j)
        out[j] = buf.out[size_t(j - j0)];
    };

    std::vector<double> q(size_t(k * n)), err(size_t(blockSize * n)), ut;
    for (int64_t start = 0; start < k; start += blockSize) {
      int64_t end = std::min<int64_t>(k, start + blockSize);
      // Within the block, every output column is independent: split them
      // over the threads.
      num::parallelFor(n, 256, [&](int64_t j0, int64_t j1) {
        RowBuffers buf;
        for (int64_t i = start; i < end; ++i) {
          double *wi = &wp[size_t(i * n)];
          double *qi = &q[size_t(i * n)];
          quantizeRow(perm[size_t(i)], wi, qi, j0, j1, buf);
          double d = u(i, i);
          double *e = &err[size_t((i - start) * n)];
          for (int64_t j = j0; j < j1; ++j)
            e[j] = (wi[j] - qi[j]) / d;
          for (int64_t r = i + 1; r < end; ++r) {
            double c = u(i, r);
            double *wr = &wp[size_t(r * n)];
            for (int64_t j = j0; j < j1; ++j)
              wr[j] -= c * e[j];
          }
        }
      });
      // Lazy batch update of the remaining channels, one product:
      // W[end:] -= U[start:end, end:]^T E.
      int64_t rest = k - end, bs = end - start;
      if (rest == 0)
        continue;
      ut.resize(size_t(rest * bs));
      for (int64_t i = 0; i < bs; ++i)
        for (int64_t r = 0; r < rest; ++r)
          ut[size_t(r * bs + i)] = u(start + i, end + r);
      num::gemmSubtract(rest, n, bs, ut.data(), bs, err.data(), n,
                        /*transB=*/false, &wp[size_t(end * n)], n);
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

  /// The processing order and the inverse Cholesky factor of the damped
  /// Hessian of `op` (k x k), into factorPerm and factorInv.
  LogicalResult factorHessian(Operation *op, DenseElementsAttr hAttr,
                              int64_t k) {
    std::vector<double> h(size_t(k * k));
    {
      size_t idx = 0;
      for (float v : hAttr.getValues<float>())
        h[idx++] = v;
    }
    // Dead inputs: a unit diagonal keeps H positive definite.
    for (int64_t i = 0; i < k; ++i)
      if (h[size_t(i * k + i)] == 0)
        h[size_t(i * k + i)] = 1;
    // Processing order: descending Hessian diagonal with act-order.
    factorPerm.resize(size_t(k));
    std::iota(factorPerm.begin(), factorPerm.end(), 0);
    if (actOrder) {
      std::sort(factorPerm.begin(), factorPerm.end(),
                [&](int64_t a, int64_t b) {
                  double da = h[size_t(a * k + a)], db = h[size_t(b * k + b)];
                  return da > db || (da == db && a < b);
                });
      std::vector<double> hp(size_t(k * k));
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j)
          hp[size_t(i * k + j)] =
              h[size_t(factorPerm[size_t(i)] * k + factorPerm[size_t(j)])];
      h = std::move(hp);
    }
    double meanDiag = 0;
    for (int64_t i = 0; i < k; ++i)
      meanDiag += h[size_t(i * k + i)];
    meanDiag /= double(k);
    double lambda = damp * meanDiag;
    for (int attempt = 0; attempt < 6; ++attempt, lambda *= 10)
      if (reversedInverseCholesky(h, k, lambda, factorInv))
        return success();
    return op->emitError("qc-gptq: the Hessian of layer '")
           << qc::detail::layerName(op)
           << "' is not positive definite even with damping";
  }

  /// One warning when layers were calibrated on fewer token rows than they
  /// have inputs (K): their Hessians X^T X have rank < K, and GPTQ then
  /// fits the calibration tokens rather than the data (measured on a
  /// Hugging Face Llama, 128 rows for K = 344: worse than round-to-nearest;
  /// 1024 rows: better).
  void warnFewRows(ArrayRef<Operation *> layers) {
    Operation *first = nullptr;
    int64_t count = 0, firstRows = 0, firstK = 0;
    for (Operation *op : layers) {
      auto h = op->getAttrOfType<DenseElementsAttr>("qc.hessian");
      auto cal = op->getAttrOfType<DictionaryAttr>("qc.calibration");
      auto rows = cal ? cal.getAs<IntegerAttr>("hessian_rows") : IntegerAttr();
      if (!rows && cal)
        rows = cal.getAs<IntegerAttr>("rows");
      if (!h || !rows || h.getType().getRank() != 2)
        continue;
      int64_t k = h.getType().getDimSize(0);
      if (rows.getInt() >= k)
        continue;
      if (!first) {
        first = op;
        firstRows = rows.getInt();
        firstK = k;
      }
      ++count;
    }
    if (first)
      first->emitWarning("qc-gptq: ")
          << count << " of " << layers.size()
          << " layers were calibrated on fewer token rows than they have "
             "inputs (first: '"
          << qc::detail::layerName(first) << "', " << firstRows << " rows for "
          << firstK
          << " inputs); their Hessians are rank-deficient and GPTQ fits the "
             "calibration tokens: calibrate on more samples";
  }

  void runOnOperation() override {
    factorKey = nullptr;
    bool failed = false;
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (qc::detail::linearLayerInput(op) ||
          (llvm::isa<nn::ConvOp>(op) && op->hasAttr("qc.hessian")))
        layers.push_back(op);
      else if (llvm::isa<nn::ConvOp>(op))
        failed |= mlir::failed(quantizeConvolution(op));
    });
    warnFewRows(layers);
    // A progress bar on a terminal: a layer of a 7B-class model takes
    // seconds to minutes.
    {
      qc::detail::ProgressBar bar("qc-gptq", layers.size(), "layers");
      for (auto [i, op] : llvm::enumerate(layers)) {
        failed |= mlir::failed(quantizeLayer(op));
        bar.update(i + 1);
      }
    }
    factorKey = nullptr;
    factorPerm = {};
    factorInv = {};
    if (failed)
      signalPassFailure();
  }

  /// Convolutions without a patch Hessian (grouped ones, or calibrated
  /// without hessian=true) or with weight groups round to nearest, and say
  /// so; the others go through quantizeLayer.
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
    return roundConvolution(op, *values, *wq);
  }

  LogicalResult roundConvolution(Operation *op, ArrayRef<float> values,
                                 qc::detail::WeightQuantization &wq) {
    op->removeAttr("qc.hessian");
    if (accumulator) {
      if (failed(qc::detail::checkAccumulatorTarget(op, wq, "qc-gptq")))
        return failure();
      qc::detail::fitAccumulator(wq, values, accumulator);
    }
    qc::detail::replaceWeight(op, 1, wq, values);
    op->emitRemark("qc-gptq: convolution '")
        << qc::detail::layerName(op)
        << "' quantized with round-to-nearest (GPTQ needs its patch Hessian: "
           "one group, no weight groups)";
    return success();
  }

  std::optional<NamedQuantFormat> named;
  bool mse = false;
  qc::detail::AccumulatorTarget accumulator;
  /// The last factored Hessian (its attribute storage), its processing
  /// order and L^-1 (see reversedInverseCholesky).
  const void *factorKey = nullptr;
  std::vector<int64_t> factorPerm;
  std::vector<double> factorInv;
};

} // namespace

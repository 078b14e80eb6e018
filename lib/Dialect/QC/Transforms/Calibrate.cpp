//===- Calibrate.cpp - Activation statistics from sample inputs -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Runs the interpreter over a directory of sample inputs and records, for
// the activation input of every linear layer, the statistics the
// quantization passes need: range, a percentile, an MSE-optimal clipping
// value, per-channel min / max / mean |x| and optionally the Hessian X^T X
// (for a convolution, over its im2col patches: X holds one row of C * kH * kW
// inputs per output position, in the weight's [c, kh, kw] order).
// Memory is fixed per layer (a log-spaced histogram of |x| instead of the
// samples), so any number of samples can be used.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "CalibrationData.h"
#include "ConstantUtils.h"
#include "qc/Interpreter/Interpreter.h"
#include "qc/Interpreter/NPY.h"
#include "qc/Support/Numerics/Format.h"
#include "qc/Support/Numerics/LinearAlgebra.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <cstring>

namespace qc {
#define GEN_PASS_DEF_CALIBRATE
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// Histogram bins of |x|: the top 13 bits of a non-negative float32 (8
/// exponent bits and 5 mantissa bits), so every bin spans 1/32 of an octave
/// and the whole float range is covered with fixed memory.
constexpr unsigned kBinShift = 18;
constexpr size_t kNumBins = size_t(1) << (31 - kBinShift);

float binLower(size_t bin) {
  uint32_t bits = uint32_t(bin) << kBinShift;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// Running statistics of one layer's input.
struct LayerStats {
  Operation *op = nullptr;
  int64_t channels = 0;
  int64_t rows = 0;
  float lo = INFINITY, hi = -INFINITY;
  std::vector<float> channelMin, channelMax;
  std::vector<double> channelAbsSum;
  std::vector<uint64_t> histogram;
  /// -X^T X, lower triangle (column <= row), K x K: batches of rows are
  /// subtracted by the packed double GEMM.
  std::vector<double> hessian;
  int64_t hessianK = 0;    ///< K: channels, or C * kH * kW (patches).
  int64_t hessianRows = 0; ///< Rows (tokens or patches) added.
  /// Rows not yet in `hessian`, transposed: K x kBatch, row i holding
  /// input i of each pending row.
  std::vector<double> pending;
  int64_t pendingRows = 0;
  static constexpr int64_t kBatch = 256;
  /// A convolution's window, for its patch Hessian (group 1 only).
  nn::ConvOp conv;

  void init(Operation *layer, int64_t k, bool withHessian) {
    op = layer;
    channels = k;
    channelMin.assign(size_t(k), INFINITY);
    channelMax.assign(size_t(k), -INFINITY);
    channelAbsSum.assign(size_t(k), 0.0);
    histogram.assign(kNumBins, 0);
    if (withHessian) {
      hessianK = k;
      hessian.assign(size_t(k * k), 0.0);
    }
  }

  /// The Hessian of `c`'s im2col patches (K = C kH kW) as well.
  void initPatches(nn::ConvOp c) {
    auto w = llvm::cast<RankedTensorType>(c.getWeight().getType());
    conv = c;
    hessianK = w.getNumElements() / w.getDimSize(0);
    hessian.assign(size_t(hessianK * hessianK), 0.0);
  }

  /// Adds x x^T for one row of the Hessian's inputs (in batches).
  void addOuter(const float *x) {
    int64_t k = hessianK;
    if (pending.empty())
      pending.assign(size_t(k * kBatch), 0.0);
    for (int64_t i = 0; i < k; ++i)
      pending[size_t(i * kBatch + pendingRows)] = x[i];
    ++hessianRows;
    if (++pendingRows == kBatch)
      flush();
  }

  /// hessian -= P P^T over the pending rows (P: K x pendingRows).
  void flush() {
    if (pendingRows == 0)
      return;
    int64_t k = hessianK;
    num::gemmSubtract(k, k, pendingRows, pending.data(), kBatch, pending.data(),
                      kBatch, /*transB=*/true, hessian.data(), k,
                      num::GemmShape::LowerC);
    pendingRows = 0;
  }

  /// The patches of `x` ([N, C, H, W]) that `conv`'s outputs read, positions
  /// outside the image 0, each added to the Hessian.
  void addPatches(const float *x, ArrayRef<int64_t> xs) {
    auto ws = llvm::cast<RankedTensorType>(conv.getWeight().getType());
    auto ys = llvm::cast<RankedTensorType>(conv.getType()).getShape();
    int64_t c = xs[1], h = xs[2], wd = xs[3];
    int64_t kh = ws.getDimSize(2), kw = ws.getDimSize(3);
    ArrayRef<int64_t> st = conv.getStrides(), pad = conv.getPads(),
                      dil = conv.getDilations();
    std::vector<float> patch(static_cast<size_t>(hessianK));
    for (int64_t n = 0; n < xs[0]; ++n)
      for (int64_t i = 0; i < ys[2]; ++i)
        for (int64_t j = 0; j < ys[3]; ++j) {
          float *p = patch.data();
          for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                int64_t yy = i * st[0] - pad[0] + u * dil[0];
                int64_t xx = j * st[1] - pad[1] + v * dil[1];
                *p++ = yy < 0 || yy >= h || xx < 0 || xx >= wd
                           ? 0.0f
                           : x[((n * c + ci) * h + yy) * wd + xx];
              }
          addOuter(patch.data());
        }
  }

  /// One value of channel c.
  void record(int64_t c, float v) {
    channelMin[size_t(c)] = std::min(channelMin[size_t(c)], v);
    channelMax[size_t(c)] = std::max(channelMax[size_t(c)], v);
    channelAbsSum[size_t(c)] += std::fabs(v);
    uint32_t bits;
    float a = std::fabs(v);
    std::memcpy(&bits, &a, sizeof bits);
    ++histogram[std::min<size_t>(bits >> kBinShift, kNumBins - 1)];
  }

  void updateRange() {
    for (int64_t c = 0; c < channels; ++c) {
      lo = std::min(lo, channelMin[size_t(c)]);
      hi = std::max(hi, channelMax[size_t(c)]);
    }
  }

  /// A tensor whose channels are its last axis (rows x K), with the
  /// Hessian update.
  void add(const float *x, int64_t n) {
    int64_t k = channels;
    for (int64_t r = 0; r < n / k; ++r) {
      const float *row = x + r * k;
      for (int64_t c = 0; c < k; ++c)
        record(c, row[c]);
      if (!hessian.empty())
        addOuter(row);
      ++rows;
    }
    updateRange();
  }

  /// A tensor whose channels are axis 1 (N x C x spatial, `inner` spatial
  /// elements per channel), as convolutions read them.
  void addChannelsFirst(const float *x, int64_t n, int64_t inner) {
    for (int64_t i0 = 0; i0 < n; i0 += inner) {
      int64_t c = (i0 / inner) % channels;
      for (int64_t i = i0; i < i0 + inner; ++i)
        record(c, x[i]);
    }
    rows += n / channels;
    updateRange();
  }

  float absmax() const { return std::max(std::fabs(lo), std::fabs(hi)); }

  /// The smallest bin edge below which `rank` percent of |x| lie.
  float percentile(double rank) const {
    uint64_t total = 0;
    for (uint64_t c : histogram)
      total += c;
    double target = rank / 100.0 * double(total);
    uint64_t seen = 0;
    for (size_t b = 0; b < kNumBins; ++b) {
      seen += histogram[b];
      if (double(seen) >= target && histogram[b])
        return std::min(binLower(b + 1), absmax());
    }
    return absmax();
  }

  /// The clipping value c minimizing the expected squared error of
  /// quantizing |x| with scale c / max(format): clipped values cost
  /// (|x| - c)^2, the others the rounding noise step^2 / 12 of the format's
  /// local code spacing at |x|. Candidates are c = absmax * 2^(-j/16).
  float mseClip(const num::Format &format) const {
    float amax = absmax();
    if (!(amax > 0))
      return amax;
    double fmax = format.maxValue();
    auto localStep = [&](double u) {
      uint32_t code = format.encode(u);
      double v = format.decode(code);
      double up = code == format.encode(fmax) ? v - format.decode(code - 1)
                                              : format.decode(code + 1) - v;
      return std::fabs(up);
    };
    double bestErr = INFINITY;
    float best = amax;
    for (int j = 0; j <= 16 * 12; ++j) {
      double c = double(amax) * std::exp2(-j / 16.0);
      double s = c / fmax;
      double err = 0;
      for (size_t b = 0; b < kNumBins; ++b) {
        if (!histogram[b])
          continue;
        double mid = 0.5 * (double(binLower(b)) + double(binLower(b + 1)));
        mid = std::min(mid, double(amax));
        double e;
        if (mid >= c) {
          e = (mid - c) * (mid - c);
        } else {
          double step = localStep(mid / s) * s;
          e = step * step / 12.0;
        }
        err += e * double(histogram[b]);
      }
      if (err < bestErr) {
        bestErr = err;
        best = float(c);
      }
    }
    return best;
  }
};

struct CalibratePass : qc::impl::CalibrateBase<CalibratePass> {
  using CalibrateBase::CalibrateBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (data.empty())
      return emitError(UnknownLoc::get(ctx))
             << "qc-calibrate: no calibration data (set data=DIR with "
                "DIR/<sample>/<input>.npy)";
    if (!(percentile > 0 && percentile <= 100))
      return emitError(UnknownLoc::get(ctx))
             << "qc-calibrate: percentile must be in (0, 100], got "
             << double(percentile);
    auto named = lookupNamedFormat(ctx, mseFormat);
    if (!named)
      return emitError(UnknownLoc::get(ctx))
             << "qc-calibrate: unknown mse-format '" << mseFormat
             << "' (expected one of " << namedFormatList() << ")";
    mseNumeric =
        llvm::cast<FormatAttrInterface>(named->element).getNumericFormat();
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = qc::detail::entryFunction(module, entry);
    if (!func) {
      module.emitError("qc-calibrate: no function @") << entry;
      return signalPassFailure();
    }
    if (failed(calibrate(func)))
      signalPassFailure();
  }

  LogicalResult calibrate(func::FuncOp func) {
    std::string err;
    auto dirs = qc::detail::sampleDirs(data, err);
    if (failed(dirs))
      return func.emitError("qc-calibrate: ") << err;
    size_t count = dirs->size();
    if (samples > 0)
      count = std::min(count, size_t(samples));

    // The layers to watch.
    std::vector<LayerStats> stats;
    llvm::DenseMap<Operation *, size_t> index;
    // Convolution inputs have their channels on axis 1: `inner` elements per
    // channel and image (0 for linear layers).
    llvm::DenseMap<Operation *, int64_t> inner;
    func.walk([&](Operation *op) {
      bool conv = llvm::isa<nn::ConvOp>(op);
      Value x = conv ? op->getOperand(0) : qc::detail::linearLayerInput(op);
      auto t = x ? llvm::dyn_cast<RankedTensorType>(x.getType()) : nullptr;
      if (!t || !t.hasStaticShape() || !t.getElementType().isF32() ||
          (conv && t.getRank() < 3))
        return;
      index[op] = stats.size();
      stats.emplace_back();
      if (conv) {
        inner[op] = t.getNumElements() / (t.getDimSize(0) * t.getDimSize(1));
        stats.back().init(op, t.getDimSize(1), /*withHessian=*/false);
        // Grouped convolutions would need one Hessian per group.
        auto c = llvm::cast<nn::ConvOp>(op);
        if (hessian && c.getGroup() == 1 && t.getRank() == 4)
          stats.back().initPatches(c);
      } else {
        stats.back().init(op, t.getShape().back(), hessian);
      }
    });

    {
      qc::detail::ProgressBar bar("qc-calibrate", count, "samples");
      for (size_t s = 0; s < count; ++s) {
        auto inputs = qc::detail::readSample(func, (*dirs)[s], "qc-calibrate");
        if (failed(inputs))
          return failure();
        auto observe = [&](Operation *op, ArrayRef<interp::Tensor> operands) {
          auto it = index.find(op);
          if (it == index.end())
            return success();
          LayerStats &st = stats[it->second];
          if (int64_t in = inner.lookup(op)) {
            st.addChannelsFirst(operands[0].f(), operands[0].size(), in);
            if (st.conv)
              st.addPatches(operands[0].f(), operands[0].getShape());
          } else
            st.add(operands[0].f(), operands[0].size());
          return success();
        };
        if (failed(interp::run(func, *inputs, observe)))
          return failure();
        bar.update(s + 1);
      }
    }

    for (LayerStats &st : stats) {
      st.flush();
      record(st, count);
    }
    if (!table.empty() && failed(writeTable(func, stats, count)))
      return failure();
    return success();
  }

  /// Stores the statistics of one layer as attributes of the layer.
  void record(const LayerStats &st, size_t count) {
    Builder b(st.op->getContext());
    auto vec = RankedTensorType::get({st.channels}, b.getF32Type());
    std::vector<float> mean(size_t(st.channels));
    for (size_t c = 0; c < mean.size(); ++c)
      mean[c] = st.rows ? float(st.channelAbsSum[c] / double(st.rows)) : 0.f;
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("samples", b.getI64IntegerAttr(int64_t(count))),
        b.getNamedAttr("rows", b.getI64IntegerAttr(st.rows)),
        b.getNamedAttr("min", b.getF32FloatAttr(st.lo)),
        b.getNamedAttr("max", b.getF32FloatAttr(st.hi)),
        b.getNamedAttr("absmax", b.getF32FloatAttr(st.absmax())),
        b.getNamedAttr("percentile", b.getF32FloatAttr(float(percentile))),
        b.getNamedAttr("percentile_value",
                       b.getF32FloatAttr(st.percentile(percentile))),
        b.getNamedAttr("mse_format", b.getStringAttr(mseFormat)),
        b.getNamedAttr("mse_clip", b.getF32FloatAttr(st.mseClip(mseNumeric))),
        b.getNamedAttr("channel_min",
                       DenseElementsAttr::get(vec, ArrayRef(st.channelMin))),
        b.getNamedAttr("channel_max",
                       DenseElementsAttr::get(vec, ArrayRef(st.channelMax))),
        b.getNamedAttr("channel_mean_abs",
                       DenseElementsAttr::get(vec, ArrayRef(mean)))};
    // A convolution's Hessian has one row per patch (output position).
    if (st.conv)
      attrs.push_back(
          b.getNamedAttr("hessian_rows", b.getI64IntegerAttr(st.hessianRows)));
    st.op->setAttr("qc.calibration", b.getDictionaryAttr(attrs));
    if (!st.hessian.empty()) {
      int64_t k = st.hessianK;
      std::vector<float> h(size_t(k * k));
      double inv = st.hessianRows ? 1.0 / double(st.hessianRows) : 0.0;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = i; j < k; ++j)
          // 0 - (-sum): no negative zeros.
          h[size_t(i * k + j)] = h[size_t(j * k + i)] =
              float((0.0 - st.hessian[size_t(j * k + i)]) * inv);
      st.op->setAttr(
          "qc.hessian",
          DenseElementsAttr::get(RankedTensorType::get({k, k}, b.getF32Type()),
                                 ArrayRef(h)));
    }
  }

  /// Writes the user-editable JSON table of ranges.
  LogicalResult writeTable(func::FuncOp func, ArrayRef<LayerStats> stats,
                           size_t count) {
    llvm::json::Array layers;
    for (const LayerStats &st : stats) {
      auto cal = st.op->getAttrOfType<DictionaryAttr>("qc.calibration");
      auto f = [&](StringRef key) {
        return double(llvm::cast<FloatAttr>(cal.get(key)).getValueAsDouble());
      };
      layers.push_back(
          llvm::json::Object{{"name", qc::detail::layerName(st.op)},
                             {"op", st.op->getName().getStringRef()},
                             {"min", f("min")},
                             {"max", f("max")},
                             {"absmax", f("absmax")},
                             {"percentile", f("percentile_value")},
                             {"mse_clip", f("mse_clip")}});
    }
    llvm::json::Object root{{"version", 1},
                            {"samples", int64_t(count)},
                            {"percentile", double(percentile)},
                            {"mse_format", mseFormat},
                            {"layers", std::move(layers)}};
    std::string errorMessage;
    auto out = mlir::openOutputFile(table, &errorMessage);
    if (!out)
      return func.emitError("qc-calibrate: ") << errorMessage;
    out->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
              << "\n";
    out->keep();
    return success();
  }

  num::Format mseNumeric = num::Format::integer(8, true);
};

} // namespace

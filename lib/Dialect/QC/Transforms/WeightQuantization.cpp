//===- WeightQuantization.cpp - Shared weight quantization steps ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "WeightQuantization.h"

#include "qc/Support/Numerics/Accumulator.h"
#include "qc/Support/Numerics/Quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace qc;

bool qc::detail::parseWeightScaleRule(StringRef name, bool &mse) {
  if (name != "absmax" && name != "mse")
    return false;
  mse = name == "mse";
  return true;
}

/// sum_k (a[k] - b[k])^2 in double, in 8 interleaved partial sums (which
/// vectorize; one running sum would be a chain of dependent adds).
static double squaredError(ArrayRef<float> a, ArrayRef<float> b) {
  double part[8] = {};
  size_t n = a.size(), k = 0;
  for (; k + 8 <= n; k += 8)
    for (size_t j = 0; j < 8; ++j) {
      double d = double(a[k + j]) - double(b[k + j]);
      part[j] += d * d;
    }
  for (; k < n; ++k) {
    double d = double(a[k]) - double(b[k]);
    part[0] += d * d;
  }
  double err = 0.0;
  for (double p : part)
    err += p;
  return err;
}

/// Replaces the scales of every group of `wq` (planned by the absmax rule)
/// by the rule applied to fl32(r * group), r = fl32(1 - i / 100) for i in
/// [0, 50], keeping the r whose round-to-nearest-even quantization has the
/// smallest squared error over the group (the largest r on ties). The
/// global scale of two-level formats stays that of the whole weight. Groups
/// holding NaN or infinity, or only zeros, keep their scales.
static void searchClipRatios(qc::detail::WeightQuantization &wq,
                             ArrayRef<float> x) {
  num::Format fmt = wq.type.getNumericFormat();
  num::Scheme ns = wq.scheme.getNumericScheme();
  num::ScaleMap groups(wq.shape, ns);
  FloatFormatAttr sfa = wq.scheme.getScaleFormat();
  num::FloatFormat sf;
  if (sfa) {
    sf = sfa.getFloatFormat();
    sf.saturate = true;
  }
  bool e8m0 = sfa && !sf.hasSign && !sf.hasZero;
  bool asym = wq.scheme.getAsymmetric();
  float global = wq.computed.globalScale.value_or(1.0f);
  float top = float(fmt.maxValue());
  int emax = e8m0 ? num::emaxOf(fmt) : 0;
  const std::vector<int64_t> one = {1};
  num::parallelFor(groups.count(), 1, [&](int64_t begin, int64_t end) {
    std::vector<float> v, deq;
    std::vector<uint32_t> codes;
    for (int64_t g = begin; g < end; ++g) {
      groups.gather(x.data(), g, v);
      float amax = 0.0f, lo = 0.0f, hi = 0.0f;
      bool finite = true;
      for (float f : v) {
        finite &= std::isfinite(f);
        amax = std::max(amax, std::fabs(f));
        lo = std::min(lo, f);
        hi = std::max(hi, f);
      }
      if (!finite || amax == 0.0f)
        continue;
      std::vector<int64_t> shape = {int64_t(v.size())};
      codes.resize(v.size());
      deq.resize(v.size());
      double bestErr = std::numeric_limits<double>::infinity();
      float bestScale = 0.0f, bestEff = 0.0f, lastEff = -1.0f;
      int32_t bestZp = 0, lastZp = 0;
      uint32_t bestCode = 0;
      for (int i = 0; i <= 50; ++i) {
        float r = float(1.0 - i / 100.0);
        float ra = r * amax;
        float scale = 1.0f, eff;
        int32_t zp = 0;
        uint32_t code = 0;
        if (!sfa && asym) {
          float range[2] = {r * lo, r * hi};
          num::minMaxScales(range, {2}, num::Scheme{}, fmt, &scale, &zp);
          eff = scale;
        } else if (!sfa) {
          scale = ra == 0.0f ? 1.0f : ra / top; // The absmax rule.
          eff = scale;
        } else {
          if (e8m0) {
            uint8_t c;
            num::mxScales(&ra, one, 0, 1, emax, &c);
            code = c;
          } else {
            code = num::encodeFloat((ra / top) / global, sf);
          }
          eff = num::decodeScales(&code, 1, sf, global)[0];
        }
        if (i > 0 && eff == lastEff && zp == lastZp)
          continue; // The same quantization as the previous ratio.
        lastEff = eff;
        lastZp = zp;
        num::quantize(v.data(), shape, num::Scheme{}, &eff,
                      asym ? &zp : nullptr, fmt, num::Rounding::NearestEven, 0,
                      codes.data());
        num::dequantize(codes.data(), shape, num::Scheme{}, &eff,
                        asym ? &zp : nullptr, fmt, deq.data());
        double err = squaredError(v, deq);
        if (err < bestErr) {
          bestErr = err;
          bestScale = scale;
          bestEff = eff;
          bestZp = zp;
          bestCode = code;
        }
      }
      size_t gi = size_t(g);
      wq.scales[gi] = bestEff;
      if (sfa) {
        wq.computed.scaleCodes[gi] = bestCode;
      } else {
        wq.computed.scales[gi] = bestScale;
        if (asym)
          wq.computed.zeroPoints[gi] = bestZp;
      }
    }
  });
}

FailureOr<qc::detail::WeightQuantization> qc::detail::planWeightQuantization(
    Operation *op, unsigned index, ArrayRef<float> values,
    const NamedQuantFormat &named, int64_t group, bool asymmetric,
    int64_t channelAxis, int64_t reduceAxis, StringRef pass, bool mse) {
  Value w = op->getOperand(index);
  auto type = llvm::cast<RankedTensorType>(w.getType());
  MLIRContext *ctx = op->getContext();
  int64_t block = group ? group : named.nativeBlock;
  int64_t reduceDim = type.getDimSize(reduceAxis);
  if (block && reduceDim % block != 0)
    return op->emitError(pass)
           << ": block size " << block
           << " does not divide the reduction dimension " << reduceDim
           << " of this layer's weight " << type;
  bool asym = asymmetric || named.needsAsymmetric;
  WeightQuantization wq;
  wq.scheme = block ? SchemeAttr::get(ctx, Granularity::per_block, reduceAxis,
                                      block, named.scaleFormat, asym, false)
                    : SchemeAttr::get(ctx, Granularity::per_axis, channelAxis,
                                      0, named.scaleFormat, asym, false);
  wq.type =
      QTensorType::getChecked([&] { return op->emitError(pass) << ": "; }, ctx,
                              type.getShape(), named.element, wq.scheme);
  if (!wq.type)
    return failure();
  auto computed = computeScales(wq.type, values.data());
  if (!computed)
    return op->emitError(pass) << ": cannot compute scales for " << wq.type;
  wq.computed = std::move(*computed);
  wq.scales = wq.computed.scales;
  if (named.scaleFormat)
    wq.scales = num::decodeScales(wq.computed.scaleCodes.data(),
                                  wq.computed.scaleCodes.size(),
                                  named.scaleFormat.getFloatFormat(),
                                  wq.computed.globalScale.value_or(1.0f));
  wq.shape.assign(type.getShape().begin(), type.getShape().end());
  if (mse)
    searchClipRatios(wq, values);
  return wq;
}

FailureOr<qc::detail::AccumulatorTarget>
qc::detail::parseAccumulatorTarget(MLIRContext *ctx, int64_t bits,
                                   StringRef input, StringRef pass) {
  if (bits == 0)
    return AccumulatorTarget{};
  if (bits < 2 || bits > 64)
    return emitError(UnknownLoc::get(ctx))
           << pass << ": accumulator-bits must be 0 (none) or in [2, 64], got "
           << bits;
  std::optional<num::Format> f = num::Format::parse(input.str());
  if (!f || f->kind() != num::Format::Kind::Int)
    return emitError(UnknownLoc::get(ctx))
           << pass << ": accumulator-input must name an integer format (e.g. "
           << "int8, uint8, int4), got '" << input << "'";
  return AccumulatorTarget{unsigned(bits), f->minInt(), f->maxInt()};
}

LogicalResult qc::detail::checkAccumulatorTarget(Operation *op,
                                                 const WeightQuantization &wq,
                                                 StringRef pass) {
  if (llvm::isa<IntFormatAttr>(wq.type.getFormat()) &&
      !wq.scheme.getAsymmetric() && !wq.scheme.getScaleFormat() &&
      wq.scheme.getGranularity() == Granularity::per_axis)
    return success();
  return op->emitError(pass)
         << ": accumulator-bits needs symmetric integer weights with one "
            "scale per output channel, got "
         << wq.type;
}

/// Whether the round-to-nearest codes of `v` under `scale` fit `t` for
/// every input.
static bool fitsAccumulator(ArrayRef<float> v, float scale,
                            const num::Format &fmt,
                            const qc::detail::AccumulatorTarget &t,
                            std::vector<uint32_t> &codes,
                            std::vector<int64_t> &ints) {
  std::vector<int64_t> shape = {int64_t(v.size())};
  codes.resize(v.size());
  ints.resize(v.size());
  num::quantize(v.data(), shape, num::Scheme{}, &scale, nullptr, fmt,
                num::Rounding::NearestEven, 0, codes.data());
  for (size_t i = 0; i < v.size(); ++i)
    ints[i] = fmt.codeToInt(codes[i]);
  num::AccumulatorRange r =
      num::dotProductRange(ints.data(), int64_t(ints.size()), 1, t.xlo, t.xhi);
  return num::signedBitsFor(r) <= t.bits;
}

/// The smallest f32 scale >= `scale` under which the codes of `v` fit `t`
/// (every scale above it does too).
static float smallestFittingScale(ArrayRef<float> v, float scale,
                                  const num::Format &fmt,
                                  const qc::detail::AccumulatorTarget &t) {
  std::vector<uint32_t> codes;
  std::vector<int64_t> ints;
  auto fits = [&](float s) {
    return fitsAccumulator(v, s, fmt, t, codes, ints);
  };
  if (!(scale > 0.0f) || !std::isfinite(scale) || fits(scale))
    return scale;
  // Positive f32 values are ordered as their bit patterns.
  auto bitsOf = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  };
  auto floatOf = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  uint32_t lo = bitsOf(scale), hi = bitsOf(std::numeric_limits<float>::max());
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    (fits(floatOf(mid)) ? hi : lo) = mid;
  }
  return floatOf(hi);
}

int64_t qc::detail::fitAccumulator(WeightQuantization &wq,
                                   ArrayRef<float> values,
                                   const AccumulatorTarget &target) {
  num::Format fmt = wq.type.getNumericFormat();
  num::ScaleMap channels(wq.shape, wq.scheme.getNumericScheme());
  std::vector<uint8_t> raised(size_t(channels.count()), 0);
  num::parallelFor(channels.count(), 1, [&](int64_t begin, int64_t end) {
    std::vector<float> v;
    for (int64_t c = begin; c < end; ++c) {
      channels.gather(values.data(), c, v);
      float s = wq.scales[size_t(c)];
      float fitted = smallestFittingScale(v, s, fmt, target);
      if (fitted == s)
        continue;
      wq.scales[size_t(c)] = fitted;
      wq.computed.scales[size_t(c)] = fitted;
      raised[size_t(c)] = 1;
    }
  });
  return std::count(raised.begin(), raised.end(), 1);
}

/// The codes of `values` under `wq` (round to nearest even) as the storage
/// attribute of the qtensor: codes of up to 8 bits go straight into a byte
/// buffer, wider ones through 32-bit codes.
static DenseIntElementsAttr
quantizedCodes(const qc::detail::WeightQuantization &wq,
               ArrayRef<float> values) {
  num::Format fmt = wq.type.getNumericFormat();
  const int32_t *zp =
      wq.computed.zeroPoints.empty() ? nullptr : wq.computed.zeroPoints.data();
  RankedTensorType storage = wq.type.getStorageType();
  if (fmt.bits() >= 2 && fmt.bits() <= 8) {
    std::vector<uint8_t> codes(values.size());
    num::quantize(values.data(), wq.shape, wq.scheme.getNumericScheme(),
                  wq.scales.data(), zp, fmt, num::Rounding::NearestEven, 0,
                  codes.data());
    return llvm::cast<DenseIntElementsAttr>(DenseElementsAttr::getFromRawBuffer(
        storage, ArrayRef<char>(reinterpret_cast<const char *>(codes.data()),
                                codes.size())));
  }
  std::vector<uint32_t> codes(values.size());
  num::quantize(values.data(), wq.shape, wq.scheme.getNumericScheme(),
                wq.scales.data(), zp, fmt, num::Rounding::NearestEven, 0,
                codes.data());
  return codesAttr(storage, codes);
}

void qc::detail::replaceWeight(Operation *op, unsigned index,
                               const qc::detail::WeightQuantization &wq,
                               ArrayRef<float> values) {
  Value w = op->getOperand(index);
  auto type = llvm::cast<RankedTensorType>(w.getType());
  QTensorType qt = wq.type;
  const ComputedScales &computed = wq.computed;
  OpBuilder b(op);
  Location loc = w.getLoc();
  Value q = b.create<ConstantOp>(loc, qt, quantizedCodes(wq, values));
  RankedTensorType scaleType = qt.getScaleType();
  Value s;
  if (wq.scheme.getScaleFormat())
    s = b.create<arith::ConstantOp>(loc,
                                    codesAttr(scaleType, computed.scaleCodes));
  else
    s = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(scaleType, ArrayRef<float>(wq.scales)));
  Value zp, global;
  if (wq.scheme.getAsymmetric())
    zp = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(qt.getZeroPointType(),
                                    ArrayRef<int32_t>(computed.zeroPoints)));
  if (computed.globalScale)
    global = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                    ArrayRef<float>(*computed.globalScale)));
  Value deq = b.create<DequantizeOp>(loc, type, q, s, zp, global);
  op->setOperand(index, deq);
  if (Operation *def = w.getDefiningOp(); def && def->use_empty())
    def->erase();
}

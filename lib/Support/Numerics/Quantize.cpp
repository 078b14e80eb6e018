//===- Quantize.cpp - Bulk quantization over tensors ----------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Bulk loops over row-major tensors. Every element goes through the scalar
// encoders of Format.cpp, so the bulk and scalar paths cannot disagree;
// decoding uses a table of the format's values when it has at most 2^16
// codes.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Quantize.h"
#include "qc/Support/Numerics/Multiversion.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <functional>
#include <thread>

using namespace qc::num;

//===----------------------------------------------------------------------===//
// Threading
//===----------------------------------------------------------------------===//

void qc::num::parallelFor(int64_t n, int64_t grain,
                          const std::function<void(int64_t, int64_t)> &body) {
  // hardware_concurrency() reads /sys on every call (glibc): ask once.
  static const int64_t hardwareThreads =
      std::max(1u, std::thread::hardware_concurrency());
  int64_t threads = hardwareThreads;
  if (n <= 0)
    return;
  if (threads == 1 || n < 2 * std::max<int64_t>(grain, 1)) {
    body(0, n);
    return;
  }
  threads = std::min(threads, n / std::max<int64_t>(grain, 1));
  std::vector<std::thread> pool;
  int64_t chunk = (n + threads - 1) / threads;
  for (int64_t t = 1; t < threads; ++t) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e)
      pool.emplace_back(body, b, e);
  }
  body(0, std::min(n, chunk));
  for (std::thread &t : pool)
    t.join();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

AxisView AxisView::of(const std::vector<int64_t> &shape, int axis) {
  AxisView v;
  for (int i = 0, e = int(shape.size()); i < e; ++i) {
    if (i < axis)
      v.outer *= shape[i];
    else if (i == axis)
      v.dim = shape[i];
    else
      v.inner *= shape[i];
  }
  return v;
}

std::vector<int64_t> qc::num::scaleShape(const std::vector<int64_t> &shape,
                                         const Scheme &scheme) {
  switch (scheme.granularity) {
  case Granularity::PerTensor:
    return {};
  case Granularity::PerAxis:
    return {shape[scheme.axis]};
  case Granularity::PerBlock: {
    std::vector<int64_t> s = shape;
    s[scheme.axis] = (s[scheme.axis] + scheme.blockSize - 1) / scheme.blockSize;
    return s;
  }
  }
  return {};
}

ScaleMap::ScaleMap(const std::vector<int64_t> &shape, const Scheme &s)
    : g(s.granularity) {
  if (g == Granularity::PerTensor) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    view.dim = n;
  } else {
    view = AxisView::of(shape, s.axis);
  }
  if (g == Granularity::PerBlock) {
    blockSize = s.blockSize;
    numBlocks = (view.dim + blockSize - 1) / blockSize;
  }
}

int64_t ScaleMap::count() const {
  switch (g) {
  case Granularity::PerTensor:
    return 1;
  case Granularity::PerAxis:
    return view.dim;
  case Granularity::PerBlock:
    return view.outer * numBlocks * view.inner;
  }
  return 1;
}

void ScaleMap::gather(const float *x, int64_t s,
                      std::vector<float> &out) const {
  out.clear();
  auto at = [&](int64_t o, int64_t d, int64_t i) {
    return x[(o * view.dim + d) * view.inner + i];
  };
  switch (g) {
  case Granularity::PerTensor:
    out.assign(x, x + view.size());
    return;
  case Granularity::PerAxis:
    for (int64_t o = 0; o < view.outer; ++o)
      for (int64_t i = 0; i < view.inner; ++i)
        out.push_back(at(o, s, i));
    return;
  case Granularity::PerBlock: {
    int64_t o = s / (numBlocks * view.inner),
            rest = s % (numBlocks * view.inner);
    int64_t b = rest / view.inner, i = rest % view.inner;
    for (int64_t d = b * blockSize, e = std::min(view.dim, d + blockSize);
         d < e; ++d)
      out.push_back(at(o, d, i));
    return;
  }
  }
}

namespace {

constexpr int64_t kGrain = 1 << 16;

/// Runs fn(elementIndex, scaleIndex) over every element, in parallel and
/// without a division per element.
template <typename Fn> void forEachElement(const ScaleMap &map, Fn fn) {
  const AxisView &v = map.view;
  if (map.g == Granularity::PerTensor) {
    parallelFor(v.size(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t idx = b; idx < e; ++idx)
        fn(idx, 0);
    });
    return;
  }
  if (v.inner == 1 && map.g == Granularity::PerBlock) {
    // Blocks along the minor axis: contiguous runs sharing one scale.
    int64_t grainOuter =
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, v.dim));
    parallelFor(v.outer, grainOuter, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t blk = 0; blk < map.numBlocks; ++blk) {
          int64_t si = o * map.numBlocks + blk;
          int64_t first = o * v.dim + blk * map.blockSize;
          int64_t last = o * v.dim + std::min(v.dim, (blk + 1) * map.blockSize);
          for (int64_t idx = first; idx < last; ++idx)
            fn(idx, si);
        }
    });
    return;
  }
  int64_t rows = v.outer * v.dim;
  int64_t grainRows =
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, v.inner));
  parallelFor(rows, grainRows, [&](int64_t b, int64_t e) {
    int64_t o = b / v.dim, d = b % v.dim;
    int64_t blk = d / map.blockSize, inBlk = d % map.blockSize;
    for (int64_t r = b; r < e; ++r) {
      int64_t base = r * v.inner;
      if (map.g == Granularity::PerAxis) {
        for (int64_t i = 0; i < v.inner; ++i)
          fn(base + i, d);
      } else {
        int64_t si = (o * map.numBlocks + blk) * v.inner;
        for (int64_t i = 0; i < v.inner; ++i)
          fn(base + i, si + i);
      }
      if (++inBlk == map.blockSize) {
        inBlk = 0;
        ++blk;
      }
      if (++d == v.dim) {
        d = 0;
        blk = 0;
        inBlk = 0;
        ++o;
      }
    }
  });
}

/// Runs fn(first, count, scaleIndex, perElement) over runs of contiguous
/// elements [first, first + count), in parallel: the run shares the scale
/// scaleIndex, or (perElement) element first + k has scale scaleIndex + k.
/// The bulk loops hand whole runs to vectorized kernels.
template <typename Fn> void forEachRun(const ScaleMap &map, Fn fn) {
  const AxisView &v = map.view;
  if (map.g == Granularity::PerTensor) {
    parallelFor(v.size(), kGrain,
                [&](int64_t b, int64_t e) { fn(b, e - b, 0, false); });
    return;
  }
  if (v.inner == 1) {
    // Per-axis on the minor axis: a row of scales per outer index; blocks
    // along the minor axis: contiguous runs sharing one scale.
    int64_t grainOuter =
        std::max<int64_t>(1, kGrain / std::max<int64_t>(1, v.dim));
    parallelFor(v.outer, grainOuter, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        if (map.g == Granularity::PerAxis) {
          fn(o * v.dim, v.dim, 0, true);
          continue;
        }
        for (int64_t blk = 0; blk < map.numBlocks; ++blk) {
          int64_t first = o * v.dim + blk * map.blockSize;
          int64_t last = o * v.dim + std::min(v.dim, (blk + 1) * map.blockSize);
          fn(first, last - first, o * map.numBlocks + blk, false);
        }
      }
    });
    return;
  }
  int64_t rows = v.outer * v.dim;
  int64_t grainRows =
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, v.inner));
  parallelFor(rows, grainRows, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / v.dim, d = r % v.dim;
      if (map.g == Granularity::PerAxis)
        fn(r * v.inner, v.inner, d, false);
      else
        fn(r * v.inner, v.inner,
           (o * map.numBlocks + d / map.blockSize) * v.inner, true);
    }
  });
}

/// Integer quantization with a zero point: round, add, saturate.
uint32_t encodeInt(const Format &fmt, float v, int64_t zp, Rounding mode,
                   uint64_t rnd) {
  int64_t lo = fmt.minInt(), hi = fmt.maxInt();
  if (std::isnan(v))
    return fmt.intToCode(std::clamp(zp, lo, hi));
  double r = roundToIntegral(double(v), mode, rnd) + double(zp);
  int64_t q = r <= double(lo) ? lo : r >= double(hi) ? hi : int64_t(r);
  return fmt.intToCode(q);
}

/// encodeInt for nearest-even and at most 16 bits, branch free: after
/// clamping to +-2^17, (v + 1.5 * 2^23) - 1.5 * 2^23 rounds half-to-even.
QC_ALWAYS_INLINE uint32_t encodeIntFast(float v, int32_t zp, int32_t lo,
                                        int32_t hi, uint32_t mask) {
  v = v != v ? 0.0f : std::clamp(v, -131072.0f, 131072.0f);
  constexpr float kMagic = 12582912.0f;
  int32_t q = int32_t((v + kMagic) - kMagic) + zp;
  return uint32_t(std::clamp(q, lo, hi)) & mask;
}

/// The integer range and code mask of a format, for encodeIntFast.
struct IntRange {
  int32_t lo, hi;
  uint32_t mask;
};

/// codes[k] = encodeIntFast(x[k] / s, zp) over a run: one scale and zero
/// point for the run, or (perElement) s[k] and zp[k]. Division, not a
/// reciprocal multiply: the same bits as the scalar encoder.
template <typename CodeT>
QC_ALWAYS_INLINE void
encodeIntRunImpl(const float *x, int64_t n, const float *s, const int32_t *zp,
                 bool perElement, IntRange r, CodeT *out) {
  if (!perElement) {
    float scale = s[0];
    int32_t z = zp ? zp[0] : 0;
    for (int64_t k = 0; k < n; ++k)
      out[k] = CodeT(encodeIntFast(x[k] / scale, z, r.lo, r.hi, r.mask));
  } else if (zp) {
    for (int64_t k = 0; k < n; ++k)
      out[k] = CodeT(encodeIntFast(x[k] / s[k], zp[k], r.lo, r.hi, r.mask));
  } else {
    for (int64_t k = 0; k < n; ++k)
      out[k] = CodeT(encodeIntFast(x[k] / s[k], 0, r.lo, r.hi, r.mask));
  }
}

QC_MULTIVERSION void encodeIntRun(const float *x, int64_t n, const float *s,
                                  const int32_t *zp, bool perElement,
                                  IntRange r, uint8_t *out) {
  encodeIntRunImpl(x, n, s, zp, perElement, r, out);
}

QC_MULTIVERSION void encodeIntRun(const float *x, int64_t n, const float *s,
                                  const int32_t *zp, bool perElement,
                                  IntRange r, uint32_t *out) {
  encodeIntRunImpl(x, n, s, zp, perElement, r, out);
}

template <typename CodeT>
void quantizeImpl(const float *x, const std::vector<int64_t> &shape,
                  const Scheme &scheme, const float *scales,
                  const int32_t *zeroPoints, const Format &fmt, Rounding mode,
                  uint64_t seed, CodeT *codes) {
  ScaleMap map(shape, scheme);
  bool isInt = fmt.kind() == Format::Kind::Int;
  if (mode == Rounding::NearestEven && isInt && fmt.bits() <= 16) {
    IntRange r{int32_t(fmt.minInt()), int32_t(fmt.maxInt()), fmt.mask()};
    forEachRun(map, [&](int64_t first, int64_t n, int64_t si, bool perElem) {
      encodeIntRun(x + first, n, scales + si,
                   zeroPoints ? zeroPoints + si : nullptr, perElem, r,
                   codes + first);
    });
    return;
  }
  if (mode == Rounding::NearestEven && fmt.kind() == Format::Kind::Float) {
    Float32Encoder enc(fmt.floatFormat());
    if (enc.valid()) {
      forEachElement(map, [&](int64_t idx, int64_t si) {
        codes[idx] = CodeT(enc.encode(x[idx] / scales[si]));
      });
      return;
    }
  }
  bool stochastic = mode == Rounding::Stochastic;
  forEachElement(map, [&](int64_t idx, int64_t si) {
    float v = x[idx] / scales[si];
    uint64_t rnd = stochastic ? stochasticBits(seed, uint64_t(idx)) : 0;
    uint32_t c =
        isInt ? encodeInt(fmt, v, zeroPoints ? zeroPoints[si] : 0, mode, rnd)
              : fmt.encode(double(v), mode, rnd);
    codes[idx] = CodeT(c);
  });
}

/// Values of every code when the format has at most 2^16 of them.
std::vector<float> decodeTable(const Format &fmt) {
  std::vector<float> lut;
  if (fmt.bits() > 16)
    return lut;
  lut.resize(size_t(1) << fmt.bits());
  for (uint32_t c = 0; c < lut.size(); ++c)
    lut[c] = float(fmt.decode(c));
  return lut;
}

template <typename CodeT>
void dequantizeImpl(const CodeT *codes, const std::vector<int64_t> &shape,
                    const Scheme &scheme, const float *scales,
                    const int32_t *zeroPoints, const Format &fmt, float *out) {
  ScaleMap map(shape, scheme);
  uint32_t mask = fmt.mask();
  if (fmt.kind() == Format::Kind::Int) {
    // Sign-extend with shifts (inline; codeToInt is out of line).
    unsigned up = 64 - fmt.bits();
    bool isSigned = fmt.isSigned();
    forEachElement(map, [&](int64_t idx, int64_t si) {
      uint64_t c = uint64_t(uint32_t(codes[idx]) & mask);
      int64_t q = isSigned ? int64_t(c << up) >> up : int64_t(c);
      int64_t z = zeroPoints ? zeroPoints[si] : 0;
      out[idx] = float(q - z) * scales[si];
    });
    return;
  }
  std::vector<float> lut = decodeTable(fmt);
  if (lut.empty()) {
    forEachElement(map, [&](int64_t idx, int64_t si) {
      out[idx] = float(fmt.decode(uint32_t(codes[idx]) & mask)) * scales[si];
    });
    return;
  }
  const float *table = lut.data();
  forEachElement(map, [&](int64_t idx, int64_t si) {
    out[idx] = table[uint32_t(codes[idx]) & mask] * scales[si];
  });
}
} // namespace

void qc::num::quantize(const float *x, const std::vector<int64_t> &shape,
                       const Scheme &scheme, const float *scales,
                       const int32_t *zeroPoints, const Format &fmt,
                       Rounding mode, uint64_t seed, uint32_t *codes) {
  quantizeImpl(x, shape, scheme, scales, zeroPoints, fmt, mode, seed, codes);
}

void qc::num::quantize(const float *x, const std::vector<int64_t> &shape,
                       const Scheme &scheme, const float *scales,
                       const int32_t *zeroPoints, const Format &fmt,
                       Rounding mode, uint64_t seed, uint8_t *codes) {
  assert(fmt.bits() <= 8 && "8-bit storage for a wider format");
  quantizeImpl(x, shape, scheme, scales, zeroPoints, fmt, mode, seed, codes);
}

void qc::num::dequantize(const uint32_t *codes,
                         const std::vector<int64_t> &shape,
                         const Scheme &scheme, const float *scales,
                         const int32_t *zeroPoints, const Format &fmt,
                         float *out) {
  dequantizeImpl(codes, shape, scheme, scales, zeroPoints, fmt, out);
}

void qc::num::dequantize(const uint8_t *codes,
                         const std::vector<int64_t> &shape,
                         const Scheme &scheme, const float *scales,
                         const int32_t *zeroPoints, const Format &fmt,
                         float *out) {
  dequantizeImpl(codes, shape, scheme, scales, zeroPoints, fmt, out);
}

namespace {
/// |a|, with NaN and infinities counting as 0.
QC_ALWAYS_INLINE float finiteAbs(float a) {
  a = std::fabs(a);
  return a <= FLT_MAX ? a : 0.0f;
}

/// max(m, max_k finiteAbs(x[k])), in 16 lanes (max is exact and the lanes
/// hold no NaN, so the order does not matter).
QC_MULTIVERSION float absmaxRun(const float *x, int64_t n, float m) {
  float lane[16] = {};
  int64_t k = 0;
  for (; k + 16 <= n; k += 16)
    for (int j = 0; j < 16; ++j)
      lane[j] = std::max(lane[j], finiteAbs(x[k + j]));
  for (; k < n; ++k)
    m = std::max(m, finiteAbs(x[k]));
  for (float l : lane)
    m = std::max(m, l);
  return m;
}

/// m[k] = max(m[k], finiteAbs(x[k])).
QC_MULTIVERSION void absmaxAccumulate(float *m, const float *x, int64_t n) {
  for (int64_t k = 0; k < n; ++k)
    m[k] = std::max(m[k], finiteAbs(x[k]));
}
} // namespace

std::vector<float> qc::num::absmaxScales(const float *x,
                                         const std::vector<int64_t> &shape,
                                         const Scheme &scheme,
                                         const Format &fmt) {
  ScaleMap map(shape, scheme);
  const AxisView &v = map.view;
  int64_t n = 1;
  for (int64_t d : scaleShape(shape, scheme))
    n *= d;
  std::vector<float> amax(static_cast<size_t>(n), 0.0f);
  switch (map.g) {
  case Granularity::PerTensor: {
    std::vector<float> partial(64, 0.0f);
    int64_t chunk = (v.size() + 63) / 64;
    parallelFor(64, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t first = std::min(v.size(), c * chunk);
        int64_t last = std::min(v.size(), first + chunk);
        partial[size_t(c)] = absmaxRun(x + first, last - first, 0.0f);
      }
    });
    amax[0] = *std::max_element(partial.begin(), partial.end());
    break;
  }
  case Granularity::PerAxis:
    // Each range of scales [b, e) is owned by one task, which walks the
    // outer index outermost so that every row segment it reads is
    // contiguous (a per-column absmax of a row-major matrix).
    parallelFor(v.dim, 64, [&](int64_t b, int64_t e) {
      for (int64_t o = 0; o < v.outer; ++o) {
        if (v.inner == 1) {
          absmaxAccumulate(amax.data() + b, x + o * v.dim + b, e - b);
          continue;
        }
        for (int64_t d = b; d < e; ++d)
          amax[size_t(d)] = absmaxRun(x + (o * v.dim + d) * v.inner, v.inner,
                                      amax[size_t(d)]);
      }
    });
    break;
  case Granularity::PerBlock:
    // Each (outer, block) row of scales is owned by one task.
    parallelFor(v.outer * map.numBlocks, 64, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t o = r / map.numBlocks, blk = r % map.numBlocks;
        float *dst = amax.data() + r * v.inner;
        int64_t d = blk * map.blockSize,
                dEnd = std::min(v.dim, d + map.blockSize);
        if (v.inner == 1) {
          dst[0] = absmaxRun(x + o * v.dim + d, dEnd - d, dst[0]);
          continue;
        }
        for (; d < dEnd; ++d)
          absmaxAccumulate(dst, x + (o * v.dim + d) * v.inner, v.inner);
      }
    });
    break;
  }
  float top = float(fmt.maxValue());
  for (float &s : amax)
    s = s == 0.0f ? 1.0f : s / top;
  return amax;
}

void qc::num::minMaxScales(const float *x, const std::vector<int64_t> &shape,
                           const Scheme &scheme, const Format &fmt,
                           float *scales, int32_t *zeroPoints) {
  ScaleMap map(shape, scheme);
  int64_t n = 1;
  for (int64_t d : scaleShape(shape, scheme))
    n *= d;
  std::vector<float> lo(static_cast<size_t>(n), 0.0f), hi(size_t(n), 0.0f);
  const AxisView &v = map.view;
  for (int64_t r = 0, rows = v.outer * v.dim; r < rows; ++r) {
    int64_t o = r / v.dim, d = r % v.dim;
    for (int64_t i = 0; i < v.inner; ++i) {
      float a = x[r * v.inner + i];
      size_t si = size_t(map.index(o, d, i));
      if (!std::isfinite(a))
        continue;
      lo[si] = std::min(lo[si], a);
      hi[si] = std::max(hi[si], a);
    }
  }
  double qmin = double(fmt.minInt()), qmax = double(fmt.maxInt());
  for (size_t g = 0; g < size_t(n); ++g) {
    if (hi[g] == lo[g]) {
      scales[g] = 1.0f;
      zeroPoints[g] = 0;
      continue;
    }
    float s = float((double(hi[g]) - double(lo[g])) / (qmax - qmin));
    scales[g] = s;
    double z = qmin - roundToIntegral(double(lo[g] / s), Rounding::NearestEven);
    zeroPoints[g] = int32_t(std::clamp(z, qmin, qmax));
  }
}

std::vector<float> qc::num::decodeScales(const uint32_t *codes, size_t n,
                                         const FloatFormat &scaleFormat,
                                         float globalScale) {
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i)
    s[i] = float(decodeFloat(codes[i], scaleFormat)) * globalScale;
  return s;
}

//===----------------------------------------------------------------------===//
// MX
//===----------------------------------------------------------------------===//

int qc::num::emaxOf(const Format &f) {
  if (f.kind() == Format::Kind::Float)
    return f.floatFormat().maxExponent();
  int e;
  std::frexp(f.maxValue(), &e);
  return e - 1;
}

Format MXFormat::elementFormat() const {
  auto sat = [](FloatFormat f) {
    f.saturate = true;
    return Format::minifloat(f);
  };
  switch (element) {
  case MXElement::FP8E4M3:
    return sat(FloatFormat::fp8e4m3fn());
  case MXElement::FP8E5M2:
    return sat(FloatFormat::fp8e5m2());
  case MXElement::FP6E2M3:
    return sat(FloatFormat::fp6e2m3fn());
  case MXElement::FP6E3M2:
    return sat(FloatFormat::fp6e3m2fn());
  case MXElement::FP4E2M1:
    return sat(FloatFormat::fp4e2m1fn());
  case MXElement::INT8:
    return Format::fixed(8, 6, /*isSigned=*/true, /*saturate=*/true,
                         /*narrow=*/true);
  }
  return Format::integer(8, true);
}

int MXFormat::emaxElem() const { return emaxOf(elementFormat()); }

double MXFormat::bitsPerElement() const {
  return double(elementFormat().bits()) + 8.0 / double(blockSize);
}

const char *MXFormat::name() const {
  switch (element) {
  case MXElement::FP8E4M3:
    return "mxfp8e4m3";
  case MXElement::FP8E5M2:
    return "mxfp8e5m2";
  case MXElement::FP6E2M3:
    return "mxfp6e2m3";
  case MXElement::FP6E3M2:
    return "mxfp6e3m2";
  case MXElement::FP4E2M1:
    return "mxfp4";
  case MXElement::INT8:
    return "mxint8";
  }
  return "?";
}

namespace {
/// Runs fn(firstIndex, count, stride, scaleIndex) for every block of
/// `blockSize` along `axis`.
template <typename Fn>
void forEachBlock(const std::vector<int64_t> &shape, int axis,
                  int64_t blockSize, Fn fn) {
  AxisView v = AxisView::of(shape, axis);
  int64_t nb = (v.dim + blockSize - 1) / blockSize;
  int64_t grain = std::max<int64_t>(1, kGrain / (blockSize * v.inner));
  parallelFor(v.outer * nb, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t o = r / nb, blk = r % nb;
      int64_t d0 = blk * blockSize;
      int64_t count = std::min(blockSize, v.dim - d0);
      for (int64_t i = 0; i < v.inner; ++i)
        fn((o * v.dim + d0) * v.inner + i, count, v.inner, r * v.inner + i);
    }
  });
}

/// Max |x| over a whole tensor in parallel, ignoring NaN and infinities.
float tensorAbsMax(const float *x, int64_t n) {
  std::vector<float> partial(64, 0.0f);
  int64_t chunk = (n + 63) / 64;
  parallelFor(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      float m = 0.0f;
      for (int64_t i = c * chunk, end = std::min(n, i + chunk); i < end; ++i) {
        float a = std::fabs(x[i]);
        m = a > m && a <= FLT_MAX ? a : m;
      }
      partial[size_t(c)] = m;
    }
  });
  return *std::max_element(partial.begin(), partial.end());
}

/// Max |x| over a strided block; false if it holds NaN or infinity.
bool blockAbsMax(const float *x, int64_t first, int64_t count, int64_t stride,
                 float &amax) {
  amax = 0.0f;
  bool finite = true;
  for (int64_t k = 0; k < count; ++k) {
    float a = std::fabs(x[first + k * stride]);
    if (!(a <= FLT_MAX))
      finite = false;
    else if (a > amax)
      amax = a;
  }
  return finite;
}
} // namespace

void qc::num::mxScales(const float *x, const std::vector<int64_t> &shape,
                       int axis, int64_t blockSize, int emaxElem,
                       uint8_t *scales) {
  forEachBlock(shape, axis, blockSize,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 float amax;
                 if (!blockAbsMax(x, first, count, stride, amax)) {
                   scales[si] = 0xFF;
                   return;
                 }
                 int sharedExp = -127;
                 if (amax > 0.0f) {
                   int e;
                   std::frexp(amax, &e); // amax = f * 2^e, f in [0.5, 1).
                   sharedExp = std::clamp(e - 1 - emaxElem, -127, 127);
                 }
                 scales[si] = uint8_t(sharedExp + 127);
               });
}

void qc::num::mxQuantize(const float *x, const std::vector<int64_t> &shape,
                         int axis, const MXFormat &fmt, Rounding mode,
                         uint64_t seed, uint8_t *elements, uint8_t *scales) {
  Format ef = fmt.elementFormat();
  mxScales(x, shape, axis, fmt.blockSize, fmt.emaxElem(), scales);
  bool stochastic = mode == Rounding::Stochastic;
  bool isFloat = ef.kind() == Format::Kind::Float;
  Float32Encoder fast(isFloat ? ef.floatFormat() : FloatFormat());
  bool useFast = mode == Rounding::NearestEven && isFloat && fast.valid();
  bool useFastInt =
      mode == Rounding::NearestEven && fmt.element == MXElement::INT8;
  forEachBlock(shape, axis, fmt.blockSize,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 uint8_t s = scales[si];
                 if (s == 0xFF) {
                   for (int64_t k = 0; k < count; ++k)
                     elements[first + k * stride] = 0;
                   return;
                 }
                 // x * 2^-shared_exp: exact in float32 except for results
                 // below float32's normal range, which lie far below half of
                 // the smallest element subnormal and encode to zero either
                 // way.
                 float inv = std::ldexp(1.0f, 127 - int(s));
                 for (int64_t k = 0; k < count; ++k) {
                   int64_t idx = first + k * stride;
                   float v = x[idx] * inv;
                   if (useFast) {
                     elements[idx] = uint8_t(fast.encode(v));
                     continue;
                   }
                   if (useFastInt) {
                     // MXINT8: round(v * 64) in the narrow int8 range.
                     elements[idx] =
                         uint8_t(encodeIntFast(v * 64.0f, 0, -127, 127, 0xFF));
                     continue;
                   }
                   uint64_t rnd =
                       stochastic ? stochasticBits(seed, uint64_t(idx)) : 0;
                   elements[idx] = uint8_t(ef.encode(double(v), mode, rnd));
                 }
               });
}

float qc::num::twoLevelScales(const float *x, const std::vector<int64_t> &shape,
                              int axis, int64_t blockSize,
                              const Format &element,
                              const FloatFormat &scaleFormat,
                              uint32_t *scales) {
  FloatFormat sf = scaleFormat;
  sf.saturate = true;
  float emaxv = float(element.maxValue());
  float smax = float(decodeFloat(sf.maxFiniteCode(), sf));
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  float amax = tensorAbsMax(x, n);
  float global = amax == 0.0f ? 1.0f : amax / (emaxv * smax);
  Float32Encoder fast(sf);
  forEachBlock(shape, axis, blockSize,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 float bmax;
                 blockAbsMax(x, first, count, stride, bmax);
                 float v = (bmax / emaxv) / global;
                 scales[si] =
                     fast.valid() ? fast.encode(v) : encodeFloat(v, sf);
               });
  return global;
}

void qc::num::mxDequantize(const uint8_t *elements, const uint8_t *scales,
                           const std::vector<int64_t> &shape, int axis,
                           const MXFormat &fmt, float *out) {
  std::vector<float> lut = decodeTable(fmt.elementFormat());
  uint32_t mask = fmt.elementFormat().mask();
  forEachBlock(shape, axis, fmt.blockSize,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 uint8_t s = scales[si];
                 // The product of two floats is rounded once: the same as
                 // rounding the exact value.
                 float scale = s == 0xFF ? NAN : std::ldexp(1.0f, int(s) - 127);
                 for (int64_t k = 0; k < count; ++k) {
                   int64_t idx = first + k * stride;
                   out[idx] = lut[elements[idx] & mask] * scale;
                 }
               });
}

void qc::num::nvfp4Quantize(const float *x, const std::vector<int64_t> &shape,
                            int axis, float tensorScale, Rounding mode,
                            uint64_t seed, uint8_t *elements, uint8_t *scales,
                            float *tensorScaleOut) {
  FloatFormat e2m1 = FloatFormat::fp4e2m1fn(), e4m3 = FloatFormat::fp8e4m3fn();
  e2m1.saturate = e4m3.saturate = true;
  AxisView v = AxisView::of(shape, axis);
  std::vector<uint32_t> codes(size_t(v.outer * ((v.dim + 15) / 16) * v.inner));
  float global = twoLevelScales(x, shape, axis, 16, Format::minifloat(e2m1),
                                e4m3, codes.data());
  if (tensorScale > 0.0f) {
    // A given tensor scale: recompute the block codes against it.
    global = tensorScale;
    forEachBlock(shape, axis, 16,
                 [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                   float bmax;
                   blockAbsMax(x, first, count, stride, bmax);
                   codes[size_t(si)] =
                       encodeFloat((bmax / 6.0f) / global, e4m3);
                 });
  }
  if (tensorScaleOut)
    *tensorScaleOut = global;
  bool stochastic = mode == Rounding::Stochastic;
  Float32Encoder fast(e2m1);
  bool useFast = mode == Rounding::NearestEven && fast.valid();
  forEachBlock(shape, axis, 16,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 uint32_t sc = codes[size_t(si)];
                 scales[si] = uint8_t(sc);
                 float eff = float(decodeFloat(sc, e4m3)) * global;
                 for (int64_t k = 0; k < count; ++k) {
                   int64_t idx = first + k * stride;
                   if (eff == 0.0f) {
                     elements[idx] = 0;
                     continue;
                   }
                   float v = x[idx] / eff;
                   if (useFast) {
                     elements[idx] = uint8_t(fast.encode(v));
                     continue;
                   }
                   uint64_t rnd =
                       stochastic ? stochasticBits(seed, uint64_t(idx)) : 0;
                   elements[idx] = uint8_t(encodeFloat(v, e2m1, mode, rnd));
                 }
               });
}

void qc::num::nvfp4Dequantize(const uint8_t *elements, const uint8_t *scales,
                              const std::vector<int64_t> &shape, int axis,
                              float tensorScale, float *out) {
  FloatFormat e4m3 = FloatFormat::fp8e4m3fn();
  std::vector<float> lut =
      decodeTable(Format::minifloat(FloatFormat::fp4e2m1fn()));
  forEachBlock(shape, axis, 16,
               [&](int64_t first, int64_t count, int64_t stride, int64_t si) {
                 float eff = float(decodeFloat(scales[si], e4m3)) * tensorScale;
                 for (int64_t k = 0; k < count; ++k) {
                   int64_t idx = first + k * stride;
                   out[idx] = lut[elements[idx] & 0xF] * eff;
                 }
               });
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

namespace {
template <typename CodeT>
void packImpl(const CodeT *codes, size_t n, unsigned bits, uint8_t *out) {
  std::fill(out, out + packedBytes(n, bits), uint8_t(0));
  uint64_t mask = bits >= 32 ? 0xFFFFFFFFull : ((1ull << bits) - 1);
  for (size_t i = 0; i < n; ++i) {
    uint64_t c = uint64_t(codes[i]) & mask;
    size_t bit = i * bits;
    for (unsigned done = 0; done < bits;) {
      size_t byte = (bit + done) / 8;
      unsigned off = unsigned((bit + done) % 8);
      unsigned take = std::min(8 - off, bits - done);
      out[byte] |= uint8_t(((c >> done) & ((1u << take) - 1)) << off);
      done += take;
    }
  }
}

template <typename CodeT>
void unpackImpl(const uint8_t *in, size_t n, unsigned bits, CodeT *codes) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t c = 0;
    size_t bit = i * bits;
    for (unsigned done = 0; done < bits;) {
      size_t byte = (bit + done) / 8;
      unsigned off = unsigned((bit + done) % 8);
      unsigned take = std::min(8 - off, bits - done);
      c |= uint64_t((in[byte] >> off) & ((1u << take) - 1)) << done;
      done += take;
    }
    codes[i] = CodeT(c);
  }
}
} // namespace

void qc::num::packBits(const uint32_t *codes, size_t n, unsigned bits,
                       uint8_t *out) {
  packImpl(codes, n, bits, out);
}
void qc::num::packBits(const uint8_t *codes, size_t n, unsigned bits,
                       uint8_t *out) {
  packImpl(codes, n, bits, out);
}
void qc::num::unpackBits(const uint8_t *in, size_t n, unsigned bits,
                         uint32_t *codes) {
  unpackImpl(in, n, bits, codes);
}
void qc::num::unpackBits(const uint8_t *in, size_t n, unsigned bits,
                         uint8_t *codes) {
  unpackImpl(in, n, bits, codes);
}

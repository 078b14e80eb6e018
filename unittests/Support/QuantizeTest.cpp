//===- QuantizeTest.cpp - Bulk quantization, MX, NVFP4, packing -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Scale layouts, ONNX rounding order, thread-count independence, MX and
// NVFP4 edge cases and sub-byte packing. The bit-exact comparisons against
// ml_dtypes and an independent NumPy OCP implementation live in
// python/tests.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Quantize.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

using namespace qc::num;

namespace {

TEST(Quantize, PerAxisWithZeroPointRoundsFirst) {
  // ONNX QuantizeLinear: round(x / s) + zp; 0.5 rounds to 0 before zp = 1.
  std::vector<float> x = {0.5f, 1.5f, -2.5f, 100.f, 1.0f, 2.0f};
  std::vector<float> s = {1.0f, 0.5f};
  std::vector<int32_t> zp = {1, -3};
  Format f = Format::integer(8, true);
  std::vector<uint32_t> q(6);
  quantize(x.data(), {2, 3}, {Granularity::PerAxis, 0, 0}, s.data(), zp.data(),
           f, Rounding::NearestEven, 0, q.data());
  std::vector<int64_t> want = {1, 3, -1, -1, -1, 1};
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(f.codeToInt(q[i]), want[i]) << i;
  // Row 1: 100/0.5 = 200 -> +(-3) = 197 saturates to 127.
  EXPECT_EQ(f.codeToInt(q[3]), 127);
  EXPECT_EQ(f.codeToInt(q[4]), -1); // 2 - 3
  EXPECT_EQ(f.codeToInt(q[5]), 1);  // 4 - 3
  std::vector<float> y(6);
  dequantize(q.data(), {2, 3}, {Granularity::PerAxis, 0, 0}, s.data(),
             zp.data(), f, y.data());
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 2.0f);
  EXPECT_EQ(y[3], 65.0f);
}

TEST(Quantize, PerBlockScaleLayout) {
  // shape 2x5, blocks of 2 along axis 1 -> scale shape 2x3 (last partial).
  std::vector<int64_t> shape = {2, 5};
  Scheme sc{Granularity::PerBlock, 1, 2};
  EXPECT_EQ(scaleShape(shape, sc), (std::vector<int64_t>{2, 3}));
  std::vector<float> x(10);
  for (int i = 0; i < 10; ++i)
    x[size_t(i)] = float(i + 1);
  Format f = Format::integer(4, true);
  std::vector<float> s = absmaxScales(x.data(), shape, sc, f);
  EXPECT_EQ(s, (std::vector<float>{2.f / 7, 4.f / 7, 5.f / 7, 7.f / 7, 9.f / 7,
                                   10.f / 7}));
  std::vector<uint32_t> q(10);
  quantize(x.data(), shape, sc, s.data(), nullptr, f, Rounding::NearestEven, 0,
           q.data());
  // The block maximum maps to 7 in every block.
  for (int i : {1, 3, 4, 6, 8, 9})
    EXPECT_EQ(f.codeToInt(q[size_t(i)]), 7) << i;
}

TEST(Quantize, ScaleMapGroups) {
  // Every element is in the group of its scale index, groups are numbered
  // like the scale tensor, and gather lists a group's elements in order.
  std::vector<int64_t> shape = {3, 10, 2};
  std::vector<float> x(60);
  for (int i = 0; i < 60; ++i)
    x[size_t(i)] = float(i);
  struct Case {
    Scheme scheme;
    int64_t count;
  };
  for (Case c : {Case{{Granularity::PerTensor, 0, 0}, 1},
                 Case{{Granularity::PerAxis, 1, 0}, 10},
                 Case{{Granularity::PerBlock, 1, 4}, 3 * 3 * 2},
                 Case{{Granularity::PerBlock, 0, 2}, 2 * 10 * 2}}) {
    ScaleMap map(shape, c.scheme);
    ASSERT_EQ(map.count(), c.count);
    int64_t scales = 1;
    for (int64_t d : scaleShape(shape, c.scheme))
      scales *= d;
    EXPECT_EQ(map.count(), scales);
    std::vector<std::vector<float>> want(size_t(map.count()));
    const AxisView &v = map.view;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t d = 0; d < v.dim; ++d)
        for (int64_t i = 0; i < v.inner; ++i)
          want[size_t(map.index(o, d, i))].push_back(
              x[size_t((o * v.dim + d) * v.inner + i)]);
    std::vector<float> got;
    for (int64_t g = 0; g < map.count(); ++g) {
      map.gather(x.data(), g, got);
      std::vector<float> sorted = want[size_t(g)];
      std::sort(sorted.begin(), sorted.end()); // gather is row-major
      EXPECT_EQ(got, sorted) << "group " << g;
    }
  }
  // Blocks of 4 along axis 1: group 1 of row 0 holds x[0, 4..7, 0].
  ScaleMap blocks(shape, Scheme{Granularity::PerBlock, 1, 4});
  std::vector<float> g2;
  blocks.gather(x.data(), 2, g2);
  EXPECT_EQ(g2, (std::vector<float>{8, 10, 12, 14}));
  blocks.gather(x.data(), 4, g2); // the partial last block of row 0
  EXPECT_EQ(g2, (std::vector<float>{16, 18}));
}

TEST(Quantize, AsymmetricMinMax) {
  std::vector<float> x = {-1.0f, 0.0f, 3.0f, 2.0f};
  float s;
  int32_t z;
  Format u8 = Format::integer(8, false);
  minMaxScales(x.data(), {4}, {}, u8, &s, &z);
  EXPECT_EQ(s, 4.0f / 255);
  EXPECT_EQ(z, 64); // 0 - round(-1 / (4/255)) = round(63.75)
}

TEST(Quantize, ThreadIndependentStochastic) {
  // Large enough to run on several threads; must equal the scalar path.
  const int64_t n = 1 << 20;
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[size_t(i)] = float(std::sin(double(i))) * 3.0f;
  Format f = Format::minifloat(FloatFormat::fp4e2m1fn());
  float one = 1.0f;
  std::vector<uint8_t> q(static_cast<size_t>(n));
  quantize(x.data(), {n}, {}, &one, nullptr, f, Rounding::Stochastic, 77,
           q.data());
  for (int64_t i = 0; i < n; i += 997)
    ASSERT_EQ(q[size_t(i)], f.encode(x[size_t(i)], Rounding::Stochastic,
                                     stochasticBits(77, uint64_t(i))));
}

TEST(MX, EdgeCases) {
  MXFormat fp4{MXElement::FP4E2M1, 32};
  std::vector<float> x(4 * 32, 0.0f);
  // Block 0: max 6 -> shared_exp = 2 - 2 = 0.
  x[0] = 6.0f;
  x[1] = -1.5f;
  // Block 1: max 7 (not a power of two): shared_exp 0, 7 saturates to 6.
  x[32] = 7.0f;
  x[33] = 0.1f;
  // Block 2: NaN.
  x[64] = NAN;
  x[65] = 1.0f;
  // Block 3: all zeros.
  std::vector<uint8_t> e(x.size()), s(4);
  mxQuantize(x.data(), {int64_t(x.size())}, 0, fp4, Rounding::NearestEven, 0,
             e.data(), s.data());
  EXPECT_EQ(s[0], 127);
  EXPECT_EQ(e[0], 0x7);
  EXPECT_EQ(e[1], 0xB); // -1.5
  EXPECT_EQ(s[1], 127);
  EXPECT_EQ(e[32], 0x7);
  EXPECT_EQ(e[33], 0x0);
  EXPECT_EQ(s[2], 0xFF);
  EXPECT_EQ(s[3], 0);
  std::vector<float> y(x.size());
  mxDequantize(e.data(), s.data(), {int64_t(x.size())}, 0, fp4, y.data());
  EXPECT_EQ(y[32], 6.0f);
  EXPECT_TRUE(std::isnan(y[65]));
  EXPECT_EQ(y[100], 0.0f);
}

TEST(MX, ScaleClampAndInt8) {
  // A block max of 2^-140: floor(log2) - emax = -140 - 8 clamps to -127.
  MXFormat e4m3{MXElement::FP8E4M3, 32};
  std::vector<float> x(32, 0.0f);
  x[0] = std::ldexp(1.0f, -140);
  std::vector<uint8_t> e(32), s(1);
  mxQuantize(x.data(), {32}, 0, e4m3, Rounding::NearestEven, 0, e.data(),
             s.data());
  EXPECT_EQ(s[0], 0);
  // 2^-140 / 2^-127 = 2^-13, below half the smallest E4M3 subnormal 2^-9.
  EXPECT_EQ(e[0], 0);
  MXFormat i8{MXElement::INT8, 32};
  EXPECT_EQ(i8.emaxElem(), 0);
  std::vector<float> v(32, 0.0f);
  v[0] = 1.0f;
  v[1] = -0.5f;
  v[2] = 1.999f;
  mxQuantize(v.data(), {32}, 0, i8, Rounding::NearestEven, 0, e.data(),
             s.data());
  EXPECT_EQ(s[0], 127);
  EXPECT_EQ(int8_t(e[0]), 64);
  EXPECT_EQ(int8_t(e[1]), -32);
  EXPECT_EQ(int8_t(e[2]), 127); // 127.94 saturates (narrow range)
  EXPECT_NEAR((MXFormat{MXElement::FP4E2M1, 32}.bitsPerElement()), 4.25, 1e-12);
}

TEST(NVFP4, TwoLevelScales) {
  std::vector<float> x(32, 0.0f);
  x[0] = 6.0f;
  x[1] = -3.0f;
  x[16] = 0.75f;
  std::vector<uint8_t> e(32), s(2);
  float g;
  nvfp4Quantize(x.data(), {32}, 0, 0.0f, Rounding::NearestEven, 0, e.data(),
                s.data(), &g);
  EXPECT_EQ(g, 6.0f / (6.0f * 448.0f));
  EXPECT_EQ(s[0], 0x7E); // block scale 448 (max E4M3)
  EXPECT_EQ(e[0], 0x7);
  EXPECT_EQ(e[1], 0xD); // -3
  std::vector<float> y(32);
  nvfp4Dequantize(e.data(), s.data(), {32}, 0, g, y.data());
  EXPECT_NEAR(y[0], 6.0f, 1e-5f);
  EXPECT_NEAR(y[16], 0.75f, 0.1f);
}

TEST(Pack, RoundTripAllWidths) {
  for (unsigned bits = 1; bits <= 32; ++bits) {
    std::vector<uint32_t> codes(101), back(101);
    for (size_t i = 0; i < codes.size(); ++i)
      codes[i] = uint32_t(stochasticBits(bits, i)) &
                 (bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1);
    std::vector<uint8_t> packed(packedBytes(codes.size(), bits));
    packBits(codes.data(), codes.size(), bits, packed.data());
    unpackBits(packed.data(), codes.size(), bits, back.data());
    EXPECT_EQ(codes, back) << bits;
  }
  uint8_t nib[3] = {0x1, 0xF, 0x7}, out[2];
  packBits(nib, 3, 4, out);
  EXPECT_EQ(out[0], 0xF1); // element 0 in the low nibble
  EXPECT_EQ(out[1], 0x07);
}

} // namespace

namespace {

std::vector<float> randomFloats(uint64_t seed, int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint64_t r = stochasticBits(seed, uint64_t(i));
    uint32_t bits = uint32_t(r);
    if (i % 3 == 0) {
      // Values in and around the small formats' range: exponent -30..30.
      int e = int((r >> 32) % 61) - 30;
      bits = (bits & 0x807FFFFFu) | (uint32_t(127 + e) << 23);
    }
    std::memcpy(&x[size_t(i)], &bits, 4);
  }
  return x;
}

// The nearest-even fast paths of the bulk API (Float32Encoder, the int
// magic-number rounding) agree bit for bit with the scalar encoders.
TEST(Quantize, FastPathsMatchScalar) {
  const int64_t n = 1 << 21;
  std::vector<float> x = randomFloats(3, n);
  float one = 1.0f;
  for (const char *name :
       {"fp8e4m3fn", "fp8e4m3fn_sat", "fp8e5m2", "fp8e5m2_sat", "fp8e4m3fnuz",
        "fp8e4m3fnuz_sat", "fp8e5m2fnuz", "fp6e2m3fn", "fp6e3m2fn", "fp4e2m1fn",
        "fp4e2m1fn_sat", "fp16", "bf16"}) {
    Format f = *Format::parse(name);
    ASSERT_TRUE(Float32Encoder(f.floatFormat()).valid()) << name;
    std::vector<uint32_t> q(static_cast<size_t>(n));
    quantize(x.data(), {n}, {}, &one, nullptr, f, Rounding::NearestEven, 0,
             q.data());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(q[size_t(i)], encodeFloat(x[size_t(i)], f.floatFormat()))
          << name << " x = " << x[size_t(i)];
  }
  for (const char *name :
       {"int8", "uint8", "int4", "int2_narrow", "int16", "uint16_narrow"}) {
    Format f = *Format::parse(name);
    float s = 0.37f;
    int32_t zp = f.isSigned() ? -1 : 3;
    std::vector<uint32_t> q(static_cast<size_t>(n));
    quantize(x.data(), {n}, {}, &s, &zp, f, Rounding::NearestEven, 0, q.data());
    for (int64_t i = 0; i < n; ++i) {
      float v = x[size_t(i)] / s;
      int64_t want = std::isnan(v)
                         ? zp
                         : std::clamp<double>(
                               roundToIntegral(v, Rounding::NearestEven) + zp,
                               double(f.minInt()), double(f.maxInt()));
      ASSERT_EQ(f.codeToInt(q[size_t(i)]), want)
          << name << " x = " << x[size_t(i)];
    }
  }
}

// The scale index of element `idx` of `shape` under `s`, from coordinates.
static int64_t naiveScaleIndex(const std::vector<int64_t> &shape,
                               const Scheme &s, int64_t idx) {
  if (s.granularity == Granularity::PerTensor)
    return 0;
  std::vector<int64_t> c(shape.size()), sshape = scaleShape(shape, s);
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) {
    c[size_t(i)] = idx % shape[size_t(i)];
    idx /= shape[size_t(i)];
  }
  if (s.granularity == Granularity::PerAxis)
    return c[size_t(s.axis)];
  c[size_t(s.axis)] /= s.blockSize;
  int64_t si = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    si = si * sshape[i] + c[i];
  return si;
}

// The vectorized run loops (per tensor, per axis on inner and outer axes,
// blocks along and across the minor axis, with and without zero points, byte
// and word codes) and absmaxScales agree with element-by-element references.
TEST(Quantize, RunLayoutsMatchElementwise) {
  const std::vector<int64_t> shape = {5, 7, 37};
  const int64_t n = 5 * 7 * 37;
  std::vector<float> x = randomFloats(11, n);
  x[3] = NAN;
  x[40] = INFINITY;
  Format f = *Format::parse("int4");
  std::vector<Scheme> schemes = {{}};
  for (int axis = 0; axis < 3; ++axis) {
    schemes.push_back({Granularity::PerAxis, axis, 0});
    schemes.push_back({Granularity::PerBlock, axis, 2});
    schemes.push_back({Granularity::PerBlock, axis, 4});
  }
  for (const Scheme &s : schemes) {
    std::vector<float> scales = absmaxScales(x.data(), shape, s, f);
    std::vector<float> amax(scales.size(), 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      float a = std::fabs(x[size_t(i)]);
      float &m = amax[size_t(naiveScaleIndex(shape, s, i))];
      if (a <= FLT_MAX)
        m = std::max(m, a);
    }
    for (size_t k = 0; k < scales.size(); ++k)
      ASSERT_EQ(scales[k], amax[k] == 0.0f ? 1.0f : amax[k] / 7.0f)
          << "axis " << s.axis << " scale " << k;
    std::vector<int32_t> zps(scales.size());
    for (size_t k = 0; k < zps.size(); ++k)
      zps[k] = int32_t(k % 5) - 2;
    for (bool withZp : {false, true}) {
      const int32_t *zp = withZp ? zps.data() : nullptr;
      std::vector<uint8_t> q8(static_cast<size_t>(n));
      std::vector<uint32_t> q32(static_cast<size_t>(n));
      quantize(x.data(), shape, s, scales.data(), zp, f, Rounding::NearestEven,
               0, q8.data());
      quantize(x.data(), shape, s, scales.data(), zp, f, Rounding::NearestEven,
               0, q32.data());
      for (int64_t i = 0; i < n; ++i) {
        int64_t si = naiveScaleIndex(shape, s, i);
        int64_t z = zp ? zp[si] : 0;
        float v = x[size_t(i)] / scales[size_t(si)];
        int64_t want = std::isnan(v)
                           ? std::clamp<int64_t>(z, -8, 7)
                           : int64_t(std::clamp<double>(
                                 roundToIntegral(v, Rounding::NearestEven) + z,
                                 -8.0, 7.0));
        ASSERT_EQ(f.codeToInt(q8[size_t(i)]), want)
            << "granularity " << int(s.granularity) << " axis " << s.axis
            << " element " << i;
        ASSERT_EQ(q32[size_t(i)], uint32_t(q8[size_t(i)]));
      }
    }
  }
}

TEST(Quantize, Float32EncoderEligibility) {
  EXPECT_FALSE(Float32Encoder(FloatFormat::e8m0fnu()).valid());
  FloatFormat noSub = FloatFormat::fp8e4m3fn();
  noSub.subnormals = false;
  EXPECT_FALSE(Float32Encoder(noSub).valid());
  FloatFormat wide = FloatFormat::fp16();
  wide.expBits = 11; // Binades beyond float32.
  EXPECT_FALSE(Float32Encoder(wide).valid());
}

} // namespace

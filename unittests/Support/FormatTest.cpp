//===- FormatTest.cpp - Element formats -----------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Scalar encode/decode of integers, fixed point and minifloats: exact values,
// every rounding mode, overflow policies, and FP16/BF16 against independent
// oracles (the compiler's _Float16 conversion and the BF16 bit trick).
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Format.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace qc::num;

namespace {

Format fmt(const char *name) {
  auto f = Format::parse(name);
  EXPECT_TRUE(f) << name;
  return *f;
}

double rt(const char *name, double x, Rounding r = Rounding::NearestEven) {
  Format f = fmt(name);
  return f.decode(f.encode(x, r));
}

TEST(Format, PresetRanges) {
  EXPECT_EQ(fmt("fp8e4m3fn").maxValue(), 448.0);
  EXPECT_EQ(fmt("fp8e5m2").maxValue(), 57344.0);
  EXPECT_EQ(fmt("fp6e2m3fn").maxValue(), 7.5);
  EXPECT_EQ(fmt("fp6e3m2fn").maxValue(), 28.0);
  EXPECT_EQ(fmt("fp4e2m1fn").maxValue(), 6.0);
  EXPECT_EQ(fmt("e8m0fnu").maxValue(), std::ldexp(1.0, 127));
  EXPECT_EQ(fmt("e8m0fnu").minValue(), std::ldexp(1.0, -127));
  EXPECT_EQ(fmt("fp16").maxValue(), 65504.0);
  EXPECT_EQ(FloatFormat::fp8e4m3fn().maxExponent(), 8);
  EXPECT_EQ(FloatFormat::fp8e5m2().maxExponent(), 15);
  EXPECT_EQ(FloatFormat::fp6e3m2fn().maxExponent(), 4);
  EXPECT_EQ(FloatFormat::fp6e2m3fn().maxExponent(), 2);
  EXPECT_EQ(FloatFormat::fp4e2m1fn().maxExponent(), 2);
}

TEST(Format, FP4AllCodes) {
  const double pos[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  Format f = fmt("fp4e2m1fn");
  for (uint32_t c = 0; c < 16; ++c) {
    double v = f.decode(c);
    EXPECT_EQ(std::fabs(v), pos[c & 7]);
    EXPECT_EQ(std::signbit(v), c >= 8);
    EXPECT_EQ(f.encode(v), c);
  }
}

TEST(Format, IntegerRanges) {
  EXPECT_EQ(fmt("int8").minInt(), -128);
  EXPECT_EQ(fmt("int8_narrow").minInt(), -127);
  EXPECT_EQ(fmt("uint4").maxInt(), 15);
  EXPECT_EQ(fmt("uint4_narrow").maxInt(), 14);
  EXPECT_EQ(fmt("int32").maxInt(), 2147483647);
  EXPECT_EQ(fmt("int1").minInt(), -1);
  EXPECT_EQ(rt("int4", 100), 7);
  EXPECT_EQ(rt("int4", -100), -8);
  EXPECT_EQ(rt("int4_narrow", -100), -7);
  EXPECT_EQ(rt("uint8", -3), 0);
  EXPECT_EQ(fmt("int4").encode(-1), 0xFu);
}

TEST(Format, RoundingModesOnIntegers) {
  struct Case {
    double x;
    double even, away, zero, floor, ceil;
  } cases[] = {{2.5, 2, 3, 2, 2, 3},    {-2.5, -2, -3, -2, -3, -2},
               {3.5, 4, 4, 3, 3, 4},    {-0.5, -0.0, -1, -0.0, -1, -0.0},
               {2.4999, 2, 2, 2, 2, 3}, {-7.75, -8, -8, -7, -8, -7},
               {1e-300, 0, 0, 0, 0, 1}};
  for (const Case &c : cases) {
    EXPECT_EQ(rt("int16", c.x, Rounding::NearestEven), c.even) << c.x;
    EXPECT_EQ(rt("int16", c.x, Rounding::NearestAway), c.away) << c.x;
    EXPECT_EQ(rt("int16", c.x, Rounding::TowardZero), c.zero) << c.x;
    EXPECT_EQ(rt("int16", c.x, Rounding::Floor), c.floor) << c.x;
    EXPECT_EQ(rt("int16", c.x, Rounding::Ceil), c.ceil) << c.x;
  }
}

TEST(Format, RoundingModesOnMinifloats) {
  // FP4 neighbours of 2.5 are 2 (mantissa 0, even) and 3.
  EXPECT_EQ(rt("fp4e2m1fn", 2.5, Rounding::NearestEven), 2);
  EXPECT_EQ(rt("fp4e2m1fn", 2.5, Rounding::NearestAway), 3);
  EXPECT_EQ(rt("fp4e2m1fn", 2.5, Rounding::TowardZero), 2);
  EXPECT_EQ(rt("fp4e2m1fn", -2.5, Rounding::Floor), -3);
  EXPECT_EQ(rt("fp4e2m1fn", -2.5, Rounding::Ceil), -2);
  // 3.5 lies between 3 (odd) and 4 (even).
  EXPECT_EQ(rt("fp4e2m1fn", 3.5, Rounding::NearestEven), 4);
  // Subnormal region of FP4: quantum 0.5; 0.25 ties to 0.
  EXPECT_EQ(rt("fp4e2m1fn", 0.25), 0);
  EXPECT_EQ(rt("fp4e2m1fn", 0.26), 0.5);
  EXPECT_EQ(rt("fp4e2m1fn", 0.75), 1.0);
  // E4M3 subnormals: quantum 2^-9.
  EXPECT_EQ(rt("fp8e4m3fn", std::ldexp(3.0, -10)), std::ldexp(2.0, -9));
  EXPECT_EQ(rt("fp8e4m3fn", std::ldexp(1.0, -10)), 0.0);
}

TEST(Format, StochasticIsUnbiasedAndReproducible) {
  Format f = fmt("int8");
  double sum = 0;
  for (uint64_t i = 0; i < 100000; ++i)
    sum += f.decode(f.encode(0.3, Rounding::Stochastic, stochasticBits(42, i)));
  EXPECT_NEAR(sum / 100000, 0.3, 0.01);
  EXPECT_EQ(f.encode(0.3, Rounding::Stochastic, stochasticBits(42, 7)),
            f.encode(0.3, Rounding::Stochastic, stochasticBits(42, 7)));
  // Exact values never move.
  for (uint64_t i = 0; i < 1000; ++i)
    EXPECT_EQ(
        f.decode(f.encode(5.0, Rounding::Stochastic, stochasticBits(1, i))),
        5.0);
}

TEST(Format, OverflowPolicies) {
  Format e4m3 = fmt("fp8e4m3fn");
  EXPECT_EQ(e4m3.encode(1000), 0x7Fu); // NaN (no inf).
  EXPECT_EQ(e4m3.encode(-1000), 0xFFu);
  EXPECT_EQ(e4m3.encode(464), 0x7Eu); // Below the midpoint 464: 448.
  EXPECT_EQ(e4m3.encode(465), 0x7Fu);
  EXPECT_EQ(e4m3.encode(470, Rounding::TowardZero), 0x7Eu);
  Format e4m3s = fmt("fp8e4m3fn_sat");
  EXPECT_EQ(e4m3s.encode(1000), 0x7Eu);
  EXPECT_EQ(e4m3s.encode(-std::numeric_limits<double>::infinity()), 0xFEu);
  EXPECT_TRUE(std::isnan(
      e4m3s.decode(e4m3s.encode(std::numeric_limits<double>::quiet_NaN()))));
  Format e5m2 = fmt("fp8e5m2");
  EXPECT_EQ(e5m2.encode(1e6), 0x7Cu); // inf
  EXPECT_EQ(fmt("fp8e5m2_sat").encode(1e6), 0x7Bu);
  // Saturating formats clamp infinities as ONNX's saturate=1 does, even
  // when the format has them.
  EXPECT_EQ(fmt("fp8e5m2_sat").encode(std::numeric_limits<double>::infinity()),
            0x7Bu);
  EXPECT_EQ(fmt("fp8e5m2_sat").encode(-std::numeric_limits<double>::infinity()),
            0xFBu);
  EXPECT_EQ(fmt("fp8e5m2").encode(-std::numeric_limits<double>::infinity()),
            0xFCu);
  EXPECT_EQ(fmt("fp6e3m2fn").encode(1e6), 0x1Fu); // no specials: saturates
  EXPECT_EQ(fmt("fp8e5m2").encode(1e6, Rounding::Floor), 0x7Bu);
}

TEST(Format, E8M0) {
  Format f = fmt("e8m0fnu");
  EXPECT_EQ(f.encode(1.0), 127u);
  EXPECT_EQ(f.encode(0.25), 125u);
  // No mantissa bits: half-to-even on the significand sends 1.5 to 2, so
  // every tie 1.5 * 2^k rounds up (as ml_dtypes does).
  EXPECT_EQ(f.encode(1.5), 128u);
  EXPECT_EQ(f.encode(3.0), 129u);
  EXPECT_EQ(f.encode(1.49), 127u);
  EXPECT_EQ(f.encode(0.0), 0xFFu);
  EXPECT_EQ(f.encode(-1.0), 0xFFu);
  EXPECT_EQ(f.encode(std::ldexp(1.25, -127)), 0u);
  EXPECT_EQ(f.encode(std::ldexp(1.0, -140)), 0u);
  EXPECT_TRUE(std::isnan(f.decode(0xFF)));
  EXPECT_EQ(f.decode(0), std::ldexp(1.0, -127));
}

TEST(Format, NoSubnormals) {
  FloatFormat ff = FloatFormat::fp8e4m3fn();
  ff.subnormals = false;
  Format f = Format::minifloat(ff);
  double minNormal = std::ldexp(1.0, -6);
  EXPECT_EQ(f.decode(f.encode(0.6 * minNormal)), minNormal);
  EXPECT_EQ(f.decode(f.encode(0.4 * minNormal)), 0.0);
  EXPECT_EQ(f.decode(f.encode(0.5 * minNormal)), 0.0); // tie to even (zero)
  EXPECT_EQ(f.decode(0x01), 0.0); // subnormal codes read as zero
}

TEST(Format, FixedPoint) {
  EXPECT_EQ(rt("fixed8_4", 1.03125), 1.0); // 16.5 ties to 16
  EXPECT_EQ(rt("fixed8_4", 100), 127.0 / 16);
  EXPECT_EQ(rt("fixed8_4_wrap", 8.0), -8.0);
  EXPECT_EQ(rt("fixed8_4_wrap", 8.0625), -7.9375);
  EXPECT_EQ(rt("ufixed8_8", 0.5), 0.5);
  EXPECT_EQ(rt("ufixed8_8", -1), 0.0);
  EXPECT_EQ(rt("fixed8_6_narrow", -5), -127.0 / 64);
}

TEST(Format, ParseAndName) {
  for (const char *n :
       {"int4", "uint8", "int8_narrow", "uint3_narrow", "fixed8_4",
        "ufixed16_8", "fixed12_3_wrap", "fixed8_6_narrow", "fp8e4m3fn",
        "fp8e5m2_sat", "fp6e2m3fn", "fp6e3m2fn", "fp4e2m1fn_sat", "e8m0fnu",
        "fp16", "bf16"})
    EXPECT_EQ(fmt(n).name(), n);
  for (const char *bad : {"int0", "int33", "int", "fixed8", "fp9",
                          "int1_narrow", "uint8_sat", "fixed8_4_wrap_narrow"})
    EXPECT_FALSE(Format::parse(bad)) << bad;
}

#if defined(__FLT16_MAX__)
TEST(Format, FP16AgainstCompiler) {
  Format f = fmt("fp16");
  for (uint32_t c = 0; c < 65536; ++c) {
    _Float16 h;
    uint16_t b = uint16_t(c);
    std::memcpy(&h, &b, 2);
    double want = double(h);
    double got = f.decode(c);
    if (std::isnan(want))
      ASSERT_TRUE(std::isnan(got));
    else
      ASSERT_EQ(got, want) << c;
  }
  for (uint64_t i = 0; i < 2000000; ++i) {
    uint32_t bits = uint32_t(stochasticBits(5, i));
    float x;
    std::memcpy(&x, &bits, 4);
    if (std::isnan(x))
      continue;
    _Float16 h = _Float16(x);
    uint16_t want;
    std::memcpy(&want, &h, 2);
    ASSERT_EQ(f.encode(x), want) << x;
  }
}
#endif

TEST(Format, BF16AgainstBitTrick) {
  Format f = fmt("bf16");
  for (uint64_t i = 0; i < 2000000; ++i) {
    uint32_t bits = uint32_t(stochasticBits(6, i));
    float x;
    std::memcpy(&x, &bits, 4);
    if (std::isnan(x))
      continue;
    uint32_t want = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
    ASSERT_EQ(f.encode(x), want) << x;
  }
}

TEST(Rounding, RoundToIntegral) {
  EXPECT_EQ(roundToIntegral(0.5, Rounding::NearestEven), 0.0);
  EXPECT_EQ(roundToIntegral(1.5, Rounding::NearestEven), 2.0);
  EXPECT_EQ(roundToIntegral(-1.5, Rounding::NearestAway), -2.0);
  EXPECT_EQ(roundToIntegral(4503599627370497.0, Rounding::Floor),
            4503599627370497.0);
  EXPECT_TRUE(std::isinf(roundToIntegral(INFINITY, Rounding::Ceil)));
  for (Rounding r :
       {Rounding::NearestEven, Rounding::NearestAway, Rounding::TowardZero,
        Rounding::Floor, Rounding::Ceil, Rounding::Stochastic})
    EXPECT_EQ(parseRounding(toString(r)), r);
}

} // namespace

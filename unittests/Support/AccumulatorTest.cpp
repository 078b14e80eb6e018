//===- AccumulatorTest.cpp - Accumulator ranges and budgets ---------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Hand-computed ranges and widths, and the budget checked against every
// input of small dot products: the codes a greedy quantizer picks within
// the budget never overflow, and one step past either limit would.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Accumulator.h"

#include "gtest/gtest.h"

#include <random>
#include <vector>

using namespace qc::num;

namespace {

AccumulatorRange range(std::vector<int64_t> w, int64_t xlo, int64_t xhi,
                       int64_t bias = 0) {
  return dotProductRange(w.data(), int64_t(w.size()), 1, xlo, xhi, bias);
}

/// The extremes of the dot product over the input box [xlo, xhi]^k, by
/// evaluating it at every corner of the box (where a linear function takes
/// its extremes).
AccumulatorRange bruteForce(const std::vector<int64_t> &w, int64_t xlo,
                            int64_t xhi, int64_t bias) {
  AccumulatorRange r{INT64_MAX, INT64_MIN};
  for (uint64_t corner = 0; corner < (uint64_t(1) << w.size()); ++corner) {
    __int128 s = bias;
    for (size_t t = 0; t < w.size(); ++t)
      s += __int128(w[t]) * ((corner >> t) & 1 ? xhi : xlo);
    r.lo = std::min(r.lo, s);
    r.hi = std::max(r.hi, s);
  }
  return r;
}

bool fits(const AccumulatorRange &r, unsigned bits) {
  return r.lo >= -(__int128(1) << (bits - 1)) &&
         r.hi <= (__int128(1) << (bits - 1)) - 1;
}

TEST(Accumulator, ExactRangeByHand) {
  // Signed int8 inputs: 3*127 + 2*128 + 127 and -(3*128 + 2*127 + 128).
  AccumulatorRange r = range({3, -2, 1}, -128, 127);
  EXPECT_EQ(int64_t(r.hi), 764);
  EXPECT_EQ(int64_t(r.lo), -766);
  EXPECT_EQ(signedBitsFor(r), 11u);
  // Unsigned 8-bit inputs: positive weights reach the top, negative the
  // bottom.
  r = range({3, -2, 1}, 0, 255);
  EXPECT_EQ(int64_t(r.hi), 1020);
  EXPECT_EQ(int64_t(r.lo), -510);
  EXPECT_EQ(signedBitsFor(r), 11u);
  // The bias shifts the range; a stride walks a column.
  std::vector<int64_t> w = {1, 9, -1, 9, 2, 9};
  r = dotProductRange(w.data(), 3, 2, 0, 15, 1000);
  EXPECT_EQ(int64_t(r.hi), 1000 + 45);
  EXPECT_EQ(int64_t(r.lo), 1000 - 15);
  EXPECT_EQ(signedBitsFor(r), 12u);
  // An input range without zero (x - zero point in [1, 4]).
  r = range({2, -3}, 1, 4);
  EXPECT_EQ(int64_t(r.hi), 8 - 3);
  EXPECT_EQ(int64_t(r.lo), 2 - 12);
}

TEST(Accumulator, SignedBits) {
  EXPECT_EQ(signedBitsFor({0, 0}), 1u);
  EXPECT_EQ(signedBitsFor({-1, 0}), 1u);
  EXPECT_EQ(signedBitsFor({0, 1}), 2u);
  EXPECT_EQ(signedBitsFor({-128, 127}), 8u);
  EXPECT_EQ(signedBitsFor({-129, 0}), 9u);
  EXPECT_EQ(signedBitsFor({0, 128}), 9u);
  EXPECT_EQ(signedBitsFor({-(__int128(1) << 63), 0}), 64u);
  EXPECT_EQ(signedBitsFor({0, __int128(1) << 63}), 65u);
}

TEST(Accumulator, DataTypeAndA2QBounds) {
  EXPECT_EQ(dataTypeAccumulatorBits(8, 8, 1), 16u);
  EXPECT_EQ(dataTypeAccumulatorBits(8, 8, 3), 18u);
  EXPECT_EQ(dataTypeAccumulatorBits(4, 8, 4096), 24u);
  EXPECT_EQ(dataTypeAccumulatorBits(4, 8, 4097), 25u);
  // floor((2^15 - 1) * 2^(1 - 8)) and floor((2^15 - 1) * 2^-8).
  EXPECT_EQ(a2qL1Bound(16, 8, true), 255);
  EXPECT_EQ(a2qL1Bound(16, 8, false), 127);
  EXPECT_EQ(a2qL1Bound(32, 4, true), 268435455);
  // The l1 bound is sufficient: codes at it fit, by the exact range.
  std::vector<int64_t> w = {100, -100, 55};
  EXPECT_TRUE(fits(range(w, -128, 127), 16));
  EXPECT_TRUE(fits(range({127}, 0, 255), 16));
  EXPECT_FALSE(fits(range({129}, 0, 255), 16));
}

TEST(Accumulator, BudgetKeepsEveryInputInRange) {
  std::mt19937_64 rng(7);
  const std::pair<int64_t, int64_t> inputs[] = {
      {-8, 7}, {-7, 7}, {0, 15}, {-15, 15}, {0, 3}, {1, 4}, {-4, -1}, {0, 0}};
  for (int trial = 0; trial < 400; ++trial) {
    auto [xlo, xhi] = inputs[trial % std::size(inputs)];
    unsigned bits = 4 + unsigned(rng() % 7);
    int64_t half = int64_t(1) << (bits - 1);
    int64_t bias = int64_t(rng() % uint64_t(half)) - half / 2;
    AccumulatorBudget budget(bits, xlo, xhi, bias);
    std::vector<int64_t> codes;
    for (int t = 0; t < 5; ++t) {
      int64_t lo = budget.lowest(), hi = budget.highest();
      ASSERT_LE(lo, 0);
      ASSERT_GE(hi, 0);
      // The limits are tight: one more step either way can overflow.
      if (xlo != 0 || xhi != 0) {
        std::vector<int64_t> over = codes;
        over.push_back(hi + 1);
        EXPECT_FALSE(fits(bruteForce(over, xlo, xhi, bias), bits));
        over.back() = lo - 1;
        EXPECT_FALSE(fits(bruteForce(over, xlo, xhi, bias), bits));
      }
      int64_t want = int64_t(rng() % 41) - 20;
      int64_t q = budget.clamp(want);
      budget.take(q);
      codes.push_back(q);
      AccumulatorRange exact = bruteForce(codes, xlo, xhi, bias);
      ASSERT_TRUE(fits(exact, bits));
      AccumulatorRange r = budget.range();
      EXPECT_TRUE(r.lo == exact.lo && r.hi == exact.hi);
      AccumulatorRange d = range(codes, xlo, xhi, bias);
      EXPECT_TRUE(d.lo == exact.lo && d.hi == exact.hi);
    }
  }
}

} // namespace

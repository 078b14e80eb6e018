//===- HadamardTest.cpp - Hadamard matrices and transforms ----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Every base matrix and every order K * 2^m <= 32768 satisfies
// H * H^T = n * I in exact integer arithmetic.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Rounding.h"

#include "gtest/gtest.h"

using namespace qc::num;

namespace {

std::vector<int64_t> allOrders(int64_t limit) {
  std::vector<int64_t> out;
  for (int64_t k : hadamardBaseOrders())
    for (int64_t n = k; n <= limit; n *= 2)
      if (factorHadamardOrder(n)->first == k)
        out.push_back(n);
  return out;
}

TEST(Hadamard, BaseMatricesAreHadamardExactly) {
  for (int64_t k : hadamardBaseOrders()) {
    const auto &h = hadamardBase(k);
    ASSERT_EQ(int64_t(h.size()), k * k) << "K = " << k;
    for (int8_t v : h)
      ASSERT_TRUE(v == 1 || v == -1) << "K = " << k;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        int64_t s = 0;
        for (int64_t t = 0; t < k; ++t)
          s += h[size_t(i * k + t)] * h[size_t(j * k + t)];
        ASSERT_EQ(s, i == j ? k : 0)
            << "K = " << k << " (" << i << "," << j << ")";
      }
  }
}

TEST(Hadamard, FactorizationPicksSmallestBase) {
  EXPECT_EQ(factorHadamardOrder(4096), std::make_pair(int64_t(1), 12u));
  EXPECT_EQ(factorHadamardOrder(11008), std::make_pair(int64_t(172), 6u));
  EXPECT_EQ(factorHadamardOrder(14336), std::make_pair(int64_t(28), 9u));
  EXPECT_EQ(factorHadamardOrder(40), std::make_pair(int64_t(20), 1u));
  EXPECT_FALSE(factorHadamardOrder(0));
  EXPECT_FALSE(factorHadamardOrder(24 * 7));
  EXPECT_FALSE(factorHadamardOrder(100));
}

// Dense H * H^T = n I for every order up to 1024, through the dense matrix.
TEST(Hadamard, DenseOrthogonalUpTo1024) {
  for (int64_t n : allOrders(1024)) {
    std::vector<int8_t> h = hadamardMatrix(n);
    ASSERT_EQ(int64_t(h.size()), n * n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i; j < n; ++j) {
        int64_t s = 0;
        for (int64_t t = 0; t < n; ++t)
          s += h[size_t(i * n + t)] * h[size_t(j * n + t)];
        ASSERT_EQ(s, i == j ? n : 0) << "n = " << n;
      }
  }
}

// For every order up to 32768: (x H) H^T = n x for random integer vectors,
// in exact arithmetic (all partial sums stay below 2^53), using the fast
// transform. A wrong matrix passes one vector with probability <= 2^-21.
TEST(Hadamard, FreivaldsOrthogonalUpTo32768) {
  for (int64_t n : allOrders(32768)) {
    for (uint64_t trial = 0; trial < 8; ++trial) {
      std::vector<double> x(static_cast<size_t>(n)), y;
      for (int64_t i = 0; i < n; ++i)
        x[size_t(i)] = double(
            int64_t(stochasticBits(trial + 1, uint64_t(i)) % (1u << 21)) -
            (1 << 20));
      y = x;
      hadamardTransformRows(y.data(), 1, n, /*transpose=*/false, 1.0);
      hadamardTransformRows(y.data(), 1, n, /*transpose=*/true, 1.0);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(y[size_t(i)], double(n) * x[size_t(i)]) << "n = " << n;
    }
  }
}

// The fast transform computes x * H for the dense H of hadamardMatrix.
TEST(Hadamard, FastTransformMatchesDense) {
  for (int64_t n : {12, 24, 64, 172, 344, 156, 52 * 4, 40, 80}) {
    std::vector<int8_t> h = hadamardMatrix(n);
    std::vector<double> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      x[size_t(i)] = double(int64_t(stochasticBits(9, uint64_t(i)) % 101) - 50);
    for (bool transpose : {false, true}) {
      std::vector<double> y = x;
      hadamardTransformRows(y.data(), 1, n, transpose, 1.0);
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t i = 0; i < n; ++i)
          s += x[size_t(i)] *
               (transpose ? h[size_t(j * n + i)] : h[size_t(i * n + j)]);
        ASSERT_EQ(y[size_t(j)], s) << "n = " << n << " j = " << j;
      }
    }
  }
}

// The Kronecker structure of the assembled matrix.
TEST(Hadamard, DenseIsKroneckerProduct) {
  for (int64_t n : {24, 112, 344, 2496}) {
    auto [k, m] = *factorHadamardOrder(n);
    int64_t p = int64_t(1) << m;
    std::vector<int8_t> h = hadamardMatrix(n);
    const auto &hk = hadamardBase(k);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int s = __builtin_popcountll(uint64_t((i % p) & (j % p))) & 1 ? -1 : 1;
        ASSERT_EQ(h[size_t(i * n + j)], s * hk[size_t((i / p) * k + j / p)]);
      }
  }
}

} // namespace

TEST(Hadamard, ColumnTransformMatchesRowTransformOfTranspose) {
  // Every column of an n x cols block (inside a wider matrix) transformed
  // in place equals the row transform of the transposed block: the same
  // butterflies in the same order, so the results are identical.
  for (int64_t n : {1, 2, 16, 24, 40, 172, 344}) {
    for (bool transpose : {false, true}) {
      int64_t cols = 5, stride = 9;
      std::vector<double> m(size_t(n * stride));
      for (size_t i = 0; i < m.size(); ++i)
        m[i] = double(int64_t(stochasticBits(7, uint64_t(i)) % 101) - 50);
      std::vector<double> t(size_t(cols * n));
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < cols; ++c)
          t[size_t(c * n + i)] = m[size_t(i * stride + 2 + c)];
      std::vector<double> before = m;
      hadamardTransformRows(t.data(), cols, n, transpose, 0.5);
      hadamardTransformColumns(m.data() + 2, n, cols, stride, transpose, 0.5);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < stride; ++c) {
          double got = m[size_t(i * stride + c)];
          if (c < 2 || c >= 2 + cols)
            EXPECT_EQ(got, before[size_t(i * stride + c)]); // Untouched.
          else
            EXPECT_EQ(got, t[size_t((c - 2) * n + i)]) << n << " " << i;
        }
    }
  }
}

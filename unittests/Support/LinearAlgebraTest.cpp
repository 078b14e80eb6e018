//===- LinearAlgebraTest.cpp - Blocked GEMM, Cholesky, triangular inverse -===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The general product is checked bit for bit against a triple loop that
// sums in the documented order (one fused multiply-add per term, kKC = 256
// terms per partial sum). The triangular shapes, the factorization and the
// inverse are checked by their defining identities, at sizes that straddle
// the register tile, the packed block and the factorization block.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/LinearAlgebra.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace qc::num;

namespace {

std::vector<double> randomMatrix(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist;
  std::vector<double> m(size_t(rows * cols));
  for (double &v : m)
    v = dist(gen);
  return m;
}

/// C - A op(B), summing each entry in blocks of 256 fused terms.
std::vector<double> referenceProduct(int64_t m, int64_t n, int64_t k,
                                     const std::vector<double> &a,
                                     const std::vector<double> &b, bool transB,
                                     std::vector<double> c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p0 = 0; p0 < k; p0 += 256) {
        double acc = 0;
        for (int64_t p = p0; p < std::min(k, p0 + 256); ++p)
          acc = std::fma(a[size_t(i * k + p)],
                         transB ? b[size_t(j * k + p)] : b[size_t(p * n + j)],
                         acc);
        c[size_t(i * n + j)] -= acc;
      }
  return c;
}

TEST(LinearAlgebra, GemmSubtractIsExact) {
  struct Case {
    int64_t m, n, k;
  };
  for (GemmIsa isa : {GemmIsa::Avx512, GemmIsa::Fma, GemmIsa::Baseline})
    for (Case s : {Case{1, 1, 1}, Case{3, 17, 5}, Case{37, 45, 300},
                   Case{130, 1100, 257}, Case{9, 513, 600}})
      for (bool transB : {false, true}) {
        // The host may lack the ISA: the cap then picks the next lower one.
        GemmIsa previous = limitGemmIsa(isa);
        auto a = randomMatrix(s.m, s.k, 1), b = randomMatrix(s.k, s.n, 2),
             c = randomMatrix(s.m, s.n, 3);
        auto want = referenceProduct(s.m, s.n, s.k, a, b, transB, c);
        gemmSubtract(s.m, s.n, s.k, a.data(), s.k, b.data(), transB ? s.k : s.n,
                     transB, c.data(), s.n);
        limitGemmIsa(previous);
        for (size_t i = 0; i < c.size(); ++i)
          ASSERT_EQ(c[i], want[i])
              << s.m << "x" << s.n << "x" << s.k << " at " << i
              << (transB ? " transB" : "") << " ISA " << int(isa);
      }
}

TEST(LinearAlgebra, GemmSubtractStridedOperands) {
  // Sub-matrices of larger row-major arrays.
  int64_t m = 21, n = 40, k = 33, ld = 70;
  auto big = randomMatrix(ld, ld, 4);
  auto cBig = randomMatrix(m, ld, 5);
  std::vector<double> a(size_t(m * k)), b(size_t(k * n)), c(size_t(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p)
      a[size_t(i * k + p)] = big[size_t(i * ld + p + 3)];
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      b[size_t(p * n + j)] = big[size_t((p + 30) * ld + j + 20)];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[size_t(i * n + j)] = cBig[size_t(i * ld + j + 7)];
  auto want = referenceProduct(m, n, k, a, b, false, c);
  gemmSubtract(m, n, k, big.data() + 3, ld, big.data() + 30 * ld + 20, ld,
               false, cBig.data() + 7, ld);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      ASSERT_EQ(cBig[size_t(i * ld + j + 7)], want[size_t(i * n + j)]);
}

TEST(LinearAlgebra, GemmSubtractTriangularShapes) {
  for (int64_t m : {5, 64, 301, 600}) {
    auto a = randomMatrix(m, m, 6), b = randomMatrix(m, m, 7),
         c = randomMatrix(m, m, 8);
    // LowerC: the lower triangle of C equals the full product's.
    auto full = c, lower = c;
    gemmSubtract(m, m, m, a.data(), m, b.data(), m, true, full.data(), m);
    gemmSubtract(m, m, m, a.data(), m, b.data(), m, true, lower.data(), m,
                 GemmShape::LowerC);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j <= i; ++j)
        ASSERT_EQ(lower[size_t(i * m + j)], full[size_t(i * m + j)]);
    // LowerA: equals the product with A's upper triangle zeroed.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = i + 1; p < m; ++p)
        a[size_t(i * m + p)] = 0;
    auto general = c, tri = c;
    gemmSubtract(m, m, m, a.data(), m, b.data(), m, false, general.data(), m);
    gemmSubtract(m, m, m, a.data(), m, b.data(), m, false, tri.data(), m,
                 GemmShape::LowerA);
    for (size_t i = 0; i < tri.size(); ++i)
      ASSERT_NEAR(tri[i], general[i], 1e-12 * (1 + std::fabs(general[i])));
  }
}

/// A well-conditioned symmetric positive definite matrix G G^T / n + I.
std::vector<double> spd(int64_t n, unsigned seed) {
  auto g = randomMatrix(n, n, seed);
  std::vector<double> a(size_t(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < n; ++p)
        s += g[size_t(i * n + p)] * g[size_t(j * n + p)];
      a[size_t(i * n + j)] = s / double(n) + (i == j);
    }
  return a;
}

TEST(LinearAlgebra, CholeskyReproducesTheMatrix) {
  for (int64_t n : {1, 2, 127, 128, 129, 300, 531}) {
    auto a = spd(n, unsigned(n));
    auto l = a;
    ASSERT_TRUE(choleskyLower(l.data(), n)) << n;
    double worst = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        if (j > i)
          ASSERT_EQ(l[size_t(i * n + j)], 0.0) << n;
        double s = 0;
        for (int64_t p = 0; p <= std::min(i, j); ++p)
          s += l[size_t(i * n + p)] * l[size_t(j * n + p)];
        worst = std::max(worst, std::fabs(s - a[size_t(i * n + j)]));
      }
    EXPECT_LT(worst, 1e-12) << n;
  }
}

TEST(LinearAlgebra, CholeskyRejectsIndefinite) {
  int64_t n = 200;
  auto a = spd(n, 9);
  a[size_t(150 * n + 150)] = -1.0;
  EXPECT_FALSE(choleskyLower(a.data(), n));
  std::vector<double> zero(4, 0.0);
  EXPECT_FALSE(choleskyLower(zero.data(), 2));
}

TEST(LinearAlgebra, TriangularInverse) {
  for (int64_t n : {1, 3, 128, 129, 257, 530}) {
    auto l = spd(n, unsigned(100 + n));
    ASSERT_TRUE(choleskyLower(l.data(), n));
    auto x = l;
    invertLowerTriangular(x.data(), n);
    double worst = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        if (j > i)
          ASSERT_EQ(x[size_t(i * n + j)], 0.0) << n;
        double s = 0;
        for (int64_t p = j; p <= i; ++p)
          s += l[size_t(i * n + p)] * x[size_t(p * n + j)];
        worst = std::max(worst, std::fabs(s - (i == j)));
      }
    EXPECT_LT(worst, 1e-12) << n;
  }
}

} // namespace

//===- RotationTest.cpp - qc rotation attributes --------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Every rotation attribute applies an orthogonal matrix, its transpose is its
// inverse, and compositions multiply.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace qc;

namespace {

class RotationTest : public ::testing::Test {
protected:
  RotationTest() { ctx.loadDialect<QCDialect>(); }
  MLIRContext ctx;

  static void expectOrthogonal(RotationAttrInterface r) {
    int64_t n = r.getOrder();
    std::vector<double> m = rotationMatrix(r);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t t = 0; t < n; ++t)
          s += m[size_t(i * n + t)] * m[size_t(j * n + t)];
        ASSERT_NEAR(s, i == j ? 1.0 : 0.0, 1e-12) << i << "," << j;
      }
  }
};

TEST_F(RotationTest, AllKindsAreOrthogonal) {
  expectOrthogonal(HadamardAttr::get(&ctx, 12, 0));
  expectOrthogonal(HadamardAttr::get(&ctx, 172, 5));
  expectOrthogonal(BlockHadamardAttr::get(&ctx, 64, 16, 3));
  expectOrthogonal(PermutationAttr::get(&ctx, {3, 0, 2, 1}));
  expectOrthogonal(TransposeAttr::get(&ctx, HadamardAttr::get(&ctx, 40, 9)));
  expectOrthogonal(
      RotationSeqAttr::get(&ctx, {PermutationAttr::get(&ctx, {1, 0, 3, 2}),
                                  HadamardAttr::get(&ctx, 4, 1)}));
}

TEST_F(RotationTest, TransposeIsInverse) {
  auto h = HadamardAttr::get(&ctx, 24, 11);
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i)
    x[size_t(i)] = std::sin(i + 1.0);
  std::vector<double> y = x;
  h.applyToRows(y.data(), 1, false);
  TransposeAttr::get(&ctx, h).applyToRows(y.data(), 1, false);
  for (int i = 0; i < 24; ++i)
    EXPECT_NEAR(y[size_t(i)], x[size_t(i)], 1e-12);
}

TEST_F(RotationTest, PermutationDefinition) {
  std::vector<double> x = {10, 11, 12, 13};
  PermutationAttr::get(&ctx, {2, 0, 1, 3}).applyToRows(x.data(), 1, false);
  EXPECT_EQ(x, (std::vector<double>{12, 10, 11, 13}));
}

TEST_F(RotationTest, SequenceIsProduct) {
  auto a = HadamardAttr::get(&ctx, 8, 2);
  auto b = PermutationAttr::get(&ctx, {7, 6, 5, 4, 3, 2, 1, 0});
  auto seq = RotationSeqAttr::get(&ctx, {a, b});
  std::vector<double> ma = rotationMatrix(a), mb = rotationMatrix(b),
                      ms = rotationMatrix(seq);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double s = 0;
      for (int t = 0; t < 8; ++t)
        s += ma[size_t(i * 8 + t)] * mb[size_t(t * 8 + j)];
      EXPECT_NEAR(ms[size_t(i * 8 + j)], s, 1e-12);
    }
}

} // namespace

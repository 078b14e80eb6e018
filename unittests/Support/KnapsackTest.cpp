//===- KnapsackTest.cpp - Exact multiple-choice knapsack ------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The solver against every combination of small random instances, and the
// cases at the edges: an exact fit, an infeasible budget, ties.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Knapsack.h"

#include "gtest/gtest.h"

#include <random>

using namespace qc::num;

namespace {

using Groups = std::vector<std::vector<KnapsackOption>>;

/// The least error within the budget over every combination (infinity if
/// none fits).
double bruteForce(const Groups &groups, int64_t budget) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<size_t> pick(groups.size(), 0);
  while (true) {
    int64_t cost = 0;
    double error = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      cost += groups[g][pick[g]].cost;
      error += groups[g][pick[g]].error;
    }
    if (cost <= budget)
      best = std::min(best, error);
    size_t g = 0;
    while (g < groups.size() && ++pick[g] == groups[g].size())
      pick[g++] = 0;
    if (g == groups.size())
      return best;
  }
}

TEST(Knapsack, MatchesBruteForce) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    Groups groups(1 + rng() % 7);
    int64_t cheapest = 0, dearest = 0;
    for (auto &options : groups) {
      options.resize(1 + rng() % 4);
      int64_t lo = INT64_MAX, hi = 0;
      for (KnapsackOption &o : options) {
        // Costs repeat often (layers of one shape); errors are in steps of
        // 1/8 so that ties happen.
        o.cost = int64_t(rng() % 6) * 16;
        o.error = double(rng() % 40) / 8;
        lo = std::min(lo, o.cost);
        hi = std::max(hi, o.cost);
      }
      cheapest += lo;
      dearest += hi;
    }
    int64_t budget =
        cheapest + int64_t(rng() % uint64_t(dearest - cheapest + 20)) - 10;
    double want = bruteForce(groups, budget);
    auto got = solveMultipleChoiceKnapsack(groups, budget);
    if (budget < cheapest) {
      EXPECT_FALSE(got.has_value());
      continue;
    }
    ASSERT_TRUE(got.has_value());
    int64_t cost = 0;
    double error = 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      cost += groups[g][size_t((*got)[g])].cost;
      error += groups[g][size_t((*got)[g])].error;
    }
    EXPECT_LE(cost, budget);
    EXPECT_EQ(error, want);
  }
}

TEST(Knapsack, EdgeCases) {
  // Two layers, 4 or 8 bits: 100 and 300 elements. A budget of exactly
  // 4 * 100 + 8 * 300 takes the wide format for the big layer.
  Groups groups = {{{400, 5.0}, {800, 1.0}}, {{1200, 9.0}, {2400, 2.0}}};
  EXPECT_EQ(*solveMultipleChoiceKnapsack(groups, 2800),
            (std::vector<int>{0, 1}));
  EXPECT_EQ(*solveMultipleChoiceKnapsack(groups, 2799),
            (std::vector<int>{1, 0}));
  EXPECT_EQ(*solveMultipleChoiceKnapsack(groups, 3200),
            (std::vector<int>{1, 1}));
  EXPECT_FALSE(solveMultipleChoiceKnapsack(groups, 1599).has_value());
  // Equal errors: the cheaper option.
  Groups tie = {{{8, 1.0}, {4, 1.0}}};
  EXPECT_EQ(*solveMultipleChoiceKnapsack(tie, 100), (std::vector<int>{1}));
  EXPECT_FALSE(solveMultipleChoiceKnapsack({{}}, 100).has_value());
  EXPECT_EQ(solveMultipleChoiceKnapsack({}, 0)->size(), 0u);
}

} // namespace

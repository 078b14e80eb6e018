//===- Knapsack.h - Exact multiple-choice knapsack ---------------*- C++
//-*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Per-layer format choice under a bit budget: every layer takes exactly one
// of its options (a format with its cost in bits and the error it causes),
// the summed cost stays within the budget and the summed error is the
// smallest possible.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_KNAPSACK_H
#define QC_SUPPORT_NUMERICS_KNAPSACK_H

#include <cstdint>
#include <optional>
#include <vector>

namespace qc::num {

/// One choice of a group: its cost (>= 0) and its error.
struct KnapsackOption {
  int64_t cost = 0;
  double error = 0;
};

/// Picks one option of every group so that the summed cost is at most
/// `budget` and the summed error is minimal (ties: the smaller cost, then
/// the earlier options). Exact: a dynamic program over the Pareto frontier
/// of (cost, error) of the groups seen so far, keeping every state that no
/// other state beats in both. None when even the cheapest options exceed
/// the budget or a group has no option.
std::optional<std::vector<int>> solveMultipleChoiceKnapsack(
    const std::vector<std::vector<KnapsackOption>> &groups, int64_t budget);

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_KNAPSACK_H

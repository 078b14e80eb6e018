//===- Knapsack.cpp - Exact multiple-choice knapsack ----------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Knapsack.h"

#include <algorithm>
#include <cstddef>
#include <limits>

using namespace qc::num;

namespace {

/// A partial solution: its cost and error, the option it took in the last
/// group and the state of the group before it.
struct State {
  int64_t cost;
  double error;
  int option;
  int32_t parent;
};

} // namespace

std::optional<std::vector<int>> qc::num::solveMultipleChoiceKnapsack(
    const std::vector<std::vector<KnapsackOption>> &groups, int64_t budget) {
  // frontiers[g]: the states after choosing in groups 0..g-1, sorted by
  // cost with strictly decreasing error.
  std::vector<std::vector<State>> frontiers(1, {State{0, 0.0, -1, -1}});
  for (const std::vector<KnapsackOption> &options : groups) {
    const std::vector<State> &prev = frontiers.back();
    std::vector<State> next;
    next.reserve(prev.size() * options.size());
    for (size_t p = 0; p < prev.size(); ++p)
      for (size_t o = 0; o < options.size(); ++o) {
        int64_t cost = prev[p].cost + options[o].cost;
        if (cost <= budget)
          next.push_back(State{cost, prev[p].error + options[o].error, int(o),
                               int32_t(p)});
      }
    if (next.empty())
      return std::nullopt;
    // Sort by cost, then error, then the earlier choice; keep each state
    // whose error is below that of every cheaper one.
    std::stable_sort(next.begin(), next.end(),
                     [](const State &a, const State &b) {
                       if (a.cost != b.cost)
                         return a.cost < b.cost;
                       return a.error < b.error;
                     });
    std::vector<State> frontier;
    double best = std::numeric_limits<double>::infinity();
    for (const State &s : next)
      if (s.error < best) {
        frontier.push_back(s);
        best = s.error;
      }
    frontiers.push_back(std::move(frontier));
  }
  // The last frontier's cheapest state of least error is its last one.
  std::vector<int> choice(groups.size());
  int32_t at = int32_t(frontiers.back().size()) - 1;
  for (size_t g = groups.size(); g > 0; --g) {
    const State &s = frontiers[g][size_t(at)];
    choice[g - 1] = s.option;
    at = s.parent;
  }
  return choice;
}

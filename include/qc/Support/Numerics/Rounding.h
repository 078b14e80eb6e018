//===- Rounding.h - Rounding modes of QuantC numerics -----------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Rounding modes shared by every format, and the seeded counter-based random
// source used for stochastic rounding. Plain C++: no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_ROUNDING_H
#define QC_SUPPORT_NUMERICS_ROUNDING_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace qc::num {

/// How a value between two representable neighbours is resolved.
enum class Rounding : uint8_t {
  NearestEven, ///< Nearest; ties to the neighbour with an even code (IEEE).
  NearestAway, ///< Nearest; ties away from zero (C's std::round).
  TowardZero,  ///< Truncate the magnitude.
  Floor,       ///< Toward negative infinity.
  Ceil,        ///< Toward positive infinity.
  Stochastic,  ///< Up with probability equal to the discarded fraction.
};

/// Canonical spelling of a rounding mode: "nearest_even", "nearest_away",
/// "toward_zero", "floor", "ceil", "stochastic".
std::string_view toString(Rounding mode);

/// Parses the canonical spelling of a rounding mode.
std::optional<Rounding> parseRounding(std::string_view name);

/// Uniform 64 random bits for element `index` of a stochastic rounding stream
/// seeded with `seed`. Counter based (SplitMix64 of seed and index), so the
/// result does not depend on traversal order or threading.
inline uint64_t stochasticBits(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + index + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  // One more round decorrelates neighbouring indices of nearby seeds.
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  return z ^ (z >> 31);
}

/// Decides whether a truncated magnitude must be incremented.
///
/// The exact magnitude is `n + rem / 2^shift` with 0 <= rem < 2^shift and
/// shift >= 1; `negative` is the sign of the value. For shift > 64 the
/// stochastic threshold is truncated to 64 bits (probability error < 2^-64).
inline bool roundIncrement(uint64_t n, uint64_t rem, unsigned shift,
                           bool negative, Rounding mode, uint64_t random) {
  if (rem == 0)
    return false;
  switch (mode) {
  case Rounding::NearestEven:
  case Rounding::NearestAway: {
    if (shift > 63)
      return false; // rem < 2^63 < half.
    uint64_t half = uint64_t(1) << (shift - 1);
    if (rem != half)
      return rem > half;
    return mode == Rounding::NearestAway || (n & 1);
  }
  case Rounding::TowardZero:
    return false;
  case Rounding::Floor:
    return negative;
  case Rounding::Ceil:
    return !negative;
  case Rounding::Stochastic: {
    uint64_t threshold = shift <= 64
                             ? (shift == 64 ? rem : rem << (64 - shift))
                             : (shift - 64 >= 64 ? 0 : rem >> (shift - 64));
    return random < threshold;
  }
  }
  return false;
}

/// Rounds `v` to an integral value (as a double) in the given mode. Exact for
/// every finite double; NaN and infinities are returned unchanged.
double roundToIntegral(double v, Rounding mode, uint64_t random = 0);

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_ROUNDING_H

//===- Accumulator.cpp - Accumulator ranges and bit-width bounds ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Accumulator.h"

#include <algorithm>
#include <cassert>
#include <limits>

using namespace qc::num;

namespace {

using Wide = __int128;

Wide powerOfTwo(unsigned e) { return Wide(1) << e; }

/// floor(a / b) for a >= 0, b > 0, capped to int64_t.
int64_t cappedQuotient(Wide a, int64_t b) {
  Wide q = a / b;
  return q > Wide(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : int64_t(q);
}

} // namespace

AccumulatorRange qc::num::dotProductRange(const int64_t *w, int64_t k,
                                          int64_t stride, int64_t xlo,
                                          int64_t xhi, int64_t bias) {
  assert(xlo <= xhi && "empty input range");
  AccumulatorRange r{bias, bias};
  for (int64_t t = 0; t < k; ++t) {
    Wide a = Wide(w[t * stride]) * xlo, b = Wide(w[t * stride]) * xhi;
    r.lo += std::min(a, b);
    r.hi += std::max(a, b);
  }
  return r;
}

unsigned qc::num::signedBitsFor(const AccumulatorRange &r) {
  for (unsigned p = 1; p < 127; ++p)
    if (r.lo >= -powerOfTwo(p - 1) && r.hi <= powerOfTwo(p - 1) - 1)
      return p;
  return 127;
}

unsigned qc::num::dataTypeAccumulatorBits(unsigned wBits, unsigned xBits,
                                          int64_t k) {
  unsigned log = 0;
  while ((int64_t(1) << log) < k)
    ++log;
  return wBits + xBits + log;
}

int64_t qc::num::a2qL1Bound(unsigned accBits, unsigned xBits, bool xSigned) {
  Wide top = (powerOfTwo(accBits - 1) - 1) << (xSigned ? 1 : 0);
  Wide bound = top >> xBits;
  return bound > Wide(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : int64_t(bound);
}

AccumulatorBudget::AccumulatorBudget(unsigned accBits, int64_t xlo, int64_t xhi,
                                     int64_t bias)
    : accMin(-powerOfTwo(accBits - 1)), accMax(powerOfTwo(accBits - 1) - 1),
      lo(bias), hi(bias), xlo(xlo), xhi(xhi) {
  assert(xlo <= xhi && "empty input range");
  assert(bias >= accMin && bias <= accMax && "bias outside the accumulator");
}

// A code q >= 0 adds q * xhi to the largest sum and q * xlo to the smallest;
// a code q = -p < 0 adds p * -xlo and -p * xhi. Only the terms that move a
// bound outwards limit q.
int64_t AccumulatorBudget::highest() const {
  int64_t q = std::numeric_limits<int64_t>::max();
  if (xhi > 0)
    q = std::min(q, cappedQuotient(accMax - hi, xhi));
  if (xlo < 0)
    q = std::min(q, cappedQuotient(lo - accMin, -xlo));
  return q;
}

int64_t AccumulatorBudget::lowest() const {
  int64_t p = std::numeric_limits<int64_t>::max();
  if (xlo < 0)
    p = std::min(p, cappedQuotient(accMax - hi, -xlo));
  if (xhi > 0)
    p = std::min(p, cappedQuotient(lo - accMin, xhi));
  return -p;
}

int64_t AccumulatorBudget::clamp(int64_t q) const {
  return std::clamp(q, lowest(), highest());
}

void AccumulatorBudget::take(int64_t q) {
  assert(q >= lowest() && q <= highest() && "code outside the budget");
  Wide a = Wide(q) * xlo, b = Wide(q) * xhi;
  lo += std::min(a, b);
  hi += std::max(a, b);
}

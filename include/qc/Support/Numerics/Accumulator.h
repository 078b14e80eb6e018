//===- Accumulator.h - Accumulator ranges and bit-width bounds --*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Exact ranges of integer dot products and the accumulator widths they need
// (the "exact range per output channel" bound of accumulator-aware
// quantization), the data-type worst case, A2Q's l1-norm bound, and the
// running budget with which a quantizer picks weight codes one at a time so
// that no input can overflow a P-bit accumulator (AXE's hard constraint).
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_ACCUMULATOR_H
#define QC_SUPPORT_NUMERICS_ACCUMULATOR_H

#include <cstdint>

namespace qc::num {

/// A closed integer range, wide enough for any dot product of 32-bit codes
/// over up to 2^60 terms.
struct AccumulatorRange {
  __int128 lo = 0, hi = 0;
};

/// The range of bias + sum_t w[t * stride] * x[t] over t < k when every
/// x[t] may take any value in [xlo, xhi] (xlo <= xhi) independently of the
/// others: each term contributes its own extremes.
AccumulatorRange dotProductRange(const int64_t *w, int64_t k, int64_t stride,
                                 int64_t xlo, int64_t xhi, int64_t bias = 0);

/// The smallest P >= 1 such that the P-bit two's complement range
/// [-2^(P-1), 2^(P-1) - 1] holds `r` (at most 127).
unsigned signedBitsFor(const AccumulatorRange &r);

/// The data-type worst case for k products of a `wBits`-bit and an
/// `xBits`-bit integer: wBits + xBits + ceil(log2 k) (k >= 1).
unsigned dataTypeAccumulatorBits(unsigned wBits, unsigned xBits, int64_t k);

/// A2Q's sufficient condition for N-bit inputs (signed when `xSigned`) and
/// a P-bit signed accumulator: the largest l1 norm of the weight codes,
/// floor((2^(P-1) - 1) * 2^(s - N)) with s = 1 for signed inputs.
int64_t a2qL1Bound(unsigned accBits, unsigned xBits, bool xSigned);

/// The budget of one output channel of a P-bit signed accumulator whose
/// weight codes are chosen one input at a time, every input ranging over
/// [xlo, xhi]: after any sequence of take(q) with q in [lowest(), highest()],
/// no input can push the sum outside the accumulator. A code of 0 always
/// fits, so a greedy quantizer (round, then clamp) never gets stuck.
class AccumulatorBudget {
public:
  /// `bias` starts the sum; it must itself fit in `accBits` bits.
  AccumulatorBudget(unsigned accBits, int64_t xlo, int64_t xhi,
                    int64_t bias = 0);

  /// The smallest and the largest code the next input's weight may take.
  int64_t lowest() const;
  int64_t highest() const;
  int64_t clamp(int64_t q) const;
  /// Commits weight code `q` (which must lie in [lowest(), highest()]).
  void take(int64_t q);
  /// The range the committed codes reach.
  AccumulatorRange range() const { return {lo, hi}; }

private:
  __int128 accMin, accMax, lo, hi;
  int64_t xlo, xhi;
};

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_ACCUMULATOR_H

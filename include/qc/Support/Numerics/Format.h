//===- Format.h - Element number formats ------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The element formats QuantC quantizes to: integers of 1-32 bits, fixed point
// and minifloats eXmY. Every format maps a real value to a code (an unsigned
// bit pattern of `bits()` bits, two's complement for signed integers) and
// back. This is the single source of numeric truth of the project: the
// dialect folders, the interpreter and the emitters all call it.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_FORMAT_H
#define QC_SUPPORT_NUMERICS_FORMAT_H

#include "qc/Support/Numerics/Rounding.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace qc::num {

/// Which codes of a minifloat are reserved for non-finite values.
enum class FloatSpecials : uint8_t {
  IEEE,    ///< All-ones exponent: infinity (mantissa 0) and NaN (otherwise).
  NaNOnly, ///< "FN": only the all-ones code (per sign) is NaN; no infinity.
  None,    ///< Every code is finite; no infinity and no NaN.
  /// "FNUZ": the negative-zero code (sign bit alone) is the only NaN; no
  /// infinity and no negative zero (a zero result is +0).
  NegZeroNaN,
};

/// A minifloat eXmY: value = (-1)^s * 2^(e - bias) * 1.m, or subnormal
/// 2^(1 - bias) * 0.m when e == 0 (if `hasZero`).
struct FloatFormat {
  unsigned expBits = 0;
  unsigned manBits = 0;
  int bias = 0;
  FloatSpecials specials = FloatSpecials::None;
  /// Codes with a zero exponent field and non-zero mantissa are subnormals;
  /// when false, values below the smallest normal round to {0, min normal}.
  bool subnormals = true;
  /// Out-of-range values clamp to the largest finite value instead of
  /// becoming infinity / NaN (OCP MX elements, ONNX `saturate=1`).
  bool saturate = false;
  /// A sign bit is present (E8M0 has none).
  bool hasSign = true;
  /// The zero exponent field encodes zero and subnormals; when false (E8M0)
  /// it is an ordinary binade and the format has no zero.
  bool hasZero = true;

  unsigned bits() const { return unsigned(hasSign) + expBits + manBits; }
  /// Smallest normal unbiased exponent.
  int minExponent() const { return hasZero ? 1 - bias : -bias; }
  /// Largest normal unbiased exponent of a finite value.
  int maxExponent() const;
  /// Magnitude code (sign bit clear) of the largest finite value.
  uint32_t maxFiniteCode() const;
  bool hasNaN() const { return specials != FloatSpecials::None; }
  bool hasInf() const { return specials == FloatSpecials::IEEE; }
  bool operator==(const FloatFormat &o) const;

  // Presets.
  static FloatFormat fp8e4m3fn();
  static FloatFormat fp8e5m2();
  static FloatFormat fp8e4m3fnuz();
  static FloatFormat fp8e5m2fnuz();
  static FloatFormat fp6e2m3fn();
  static FloatFormat fp6e3m2fn();
  static FloatFormat fp4e2m1fn();
  static FloatFormat e8m0fnu();
  static FloatFormat fp16();
  static FloatFormat bf16();
};

/// The preset of a name: fp8e4m3fn, fp8e5m2, fp8e4m3fnuz, fp8e5m2fnuz,
/// fp6e2m3fn, fp6e3m2fn,
/// fp4e2m1fn, e8m0fnu, fp16, bf16.
std::optional<FloatFormat> floatPreset(std::string_view name);

/// The preset name of `f` ignoring its `saturate` flag, or null.
const char *floatPresetName(const FloatFormat &f);

/// Encodes `x` into `f` with the given rounding. `random` feeds stochastic
/// rounding (see stochasticBits). Non-saturating overflow follows IEEE: to
/// infinity when the format has one, else to NaN when it has one, else to the
/// largest finite value; rounding toward zero never overflows.
uint32_t encodeFloat(double x, const FloatFormat &f,
                     Rounding mode = Rounding::NearestEven,
                     uint64_t random = 0);

/// Decodes a code of `f` (bits above `f.bits()` are ignored).
double decodeFloat(uint32_t code, const FloatFormat &f);

/// Encoder of float32 values into one minifloat with nearest-even rounding,
/// specialised at construction: integer rounding on the float32 bits in the
/// normal range and the FPU's own round-to-nearest-even (adding a power of
/// two whose ulp is the subnormal quantum) below it. Bit-identical to
/// encodeFloat (tested over random bit patterns) and much faster. Requires the
/// default floating-point environment (round to nearest). Formats it does not
/// handle (no zero, unsigned, no subnormals, binades outside float32's normal
/// range) report !valid(); use encodeFloat for them.
class Float32Encoder {
public:
  explicit Float32Encoder(const FloatFormat &f);
  bool valid() const { return ok; }

  /// The constants of the bit-level algorithm of encode(), for code
  /// generators that emit the same algorithm (the CPU lowering).
  struct Params {
    uint32_t shift, roundBias, offset, minNormalBits, maxMag, signShift,
        magicBits;
    float magic;
    uint32_t nanCode[2], infCode[2], overflowCode[2];
    /// The code of a zero magnitude per sign ({0, sign bit}; FNUZ: {0, 0}).
    uint32_t zeroCode[2];
  };
  Params params() const {
    return {shift,
            roundBias,
            offset,
            minNormalBits,
            maxMag,
            signShift,
            magicBits,
            magic,
            {nanCode[0], nanCode[1]},
            {infCode[0], infCode[1]},
            {overflowCode[0], overflowCode[1]},
            {zeroCode[0], zeroCode[1]}};
  }

  uint32_t encode(float x) const {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    uint32_t sign = b >> 31, a = b & 0x7FFFFFFFu;
    if (a >= 0x7F800000u)
      return a > 0x7F800000u ? nanCode[sign] : infCode[sign];
    uint32_t mag;
    if (a >= minNormalBits) {
      mag = ((a + roundBias + ((a >> shift) & 1)) >> shift) - offset;
    } else {
      float y = std::fabs(x) + magic;
      uint32_t yb;
      std::memcpy(&yb, &y, sizeof yb);
      mag = yb - magicBits;
    }
    if (mag > maxMag)
      return overflowCode[sign];
    if (mag == 0)
      return zeroCode[sign];
    return mag | (sign << signShift);
  }

private:
  bool ok = false;
  uint32_t shift = 0, roundBias = 0, offset = 0, minNormalBits = 0;
  uint32_t maxMag = 0, signShift = 0, magicBits = 0;
  float magic = 0;
  uint32_t nanCode[2] = {0, 0}, infCode[2] = {0, 0}, overflowCode[2] = {0, 0};
  uint32_t zeroCode[2] = {0, 0};
};

/// Any element format: integer, fixed point or minifloat.
class Format {
public:
  enum class Kind : uint8_t { Int, Fixed, Float };

  /// Integer of `bits` (1-32) bits; `narrow` drops the most negative code
  /// (signed) or the largest code (unsigned).
  static Format integer(unsigned bits, bool isSigned, bool narrow = false);
  /// Fixed point: `bits` total bits of which `fracBits` are fractional
  /// (value = code * 2^-fracBits). Overflow saturates or wraps; `narrow`
  /// drops the most negative (signed) or largest (unsigned) code.
  static Format fixed(unsigned bits, int fracBits, bool isSigned,
                      bool saturate = true, bool narrow = false);
  static Format minifloat(const FloatFormat &f);

  /// Parses a format name: int<N>, uint<N>, int<N>_narrow,
  /// fixed<N>_<F> / ufixed<N>_<F> (suffix _wrap or _narrow), fp8e4m3fn,
  /// fp8e5m2, fp6e2m3fn, fp6e3m2fn, fp4e2m1fn, e8m0fnu, fp16, bf16 (minifloats
  /// take the suffix _sat for saturating overflow).
  static std::optional<Format> parse(std::string_view name);
  /// The canonical name accepted by parse (when the format has one).
  std::string name() const;

  Kind kind() const { return k; }
  unsigned bits() const { return nbits; }
  bool isSigned() const { return sign; }
  bool isNarrow() const { return narrow; }
  int fracBits() const { return frac; }
  bool saturates() const { return sat; }
  const FloatFormat &floatFormat() const { return ff; }

  /// Integer range of the codes for Int and Fixed (as signed values).
  int64_t minInt() const;
  int64_t maxInt() const;
  /// Largest finite representable value.
  double maxValue() const;
  /// Smallest (most negative) finite representable value.
  double minValue() const;

  /// Encodes a real value (already divided by any scale) into a code.
  uint32_t encode(double x, Rounding mode = Rounding::NearestEven,
                  uint64_t random = 0) const;
  /// Decodes a code into its real value.
  double decode(uint32_t code) const;
  /// The signed integer a code of an Int/Fixed format stands for.
  int64_t codeToInt(uint32_t code) const;
  /// The code of an in-range integer of an Int/Fixed format.
  uint32_t intToCode(int64_t v) const { return uint32_t(uint64_t(v) & mask()); }
  uint32_t mask() const {
    return nbits >= 32 ? 0xFFFFFFFFu : ((1u << nbits) - 1);
  }

  bool operator==(const Format &o) const;
  bool operator!=(const Format &o) const { return !(*this == o); }

private:
  Kind k = Kind::Int;
  unsigned nbits = 8;
  bool sign = true;
  bool narrow = false;
  int frac = 0;
  bool sat = true;
  FloatFormat ff;
};

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_FORMAT_H

//===- Format.cpp - Element number formats --------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Encoding works on the bits of an IEEE binary64 with integer arithmetic, so
// every rounding is exact: the value is split into an integer significand and
// a power of two, the significand is shifted to the quantum of the target
// binade and rounded once from the discarded bits.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Format.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace qc::num;

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

std::string_view qc::num::toString(Rounding mode) {
  switch (mode) {
  case Rounding::NearestEven:
    return "nearest_even";
  case Rounding::NearestAway:
    return "nearest_away";
  case Rounding::TowardZero:
    return "toward_zero";
  case Rounding::Floor:
    return "floor";
  case Rounding::Ceil:
    return "ceil";
  case Rounding::Stochastic:
    return "stochastic";
  }
  return "?";
}

std::optional<Rounding> qc::num::parseRounding(std::string_view name) {
  for (Rounding r :
       {Rounding::NearestEven, Rounding::NearestAway, Rounding::TowardZero,
        Rounding::Floor, Rounding::Ceil, Rounding::Stochastic})
    if (toString(r) == name)
      return r;
  return std::nullopt;
}

double qc::num::roundToIntegral(double v, Rounding mode, uint64_t random) {
  if (!std::isfinite(v) || std::fabs(v) >= 4503599627370496.0) // 2^52
    return v;
  bool neg = std::signbit(v);
  double mag = std::fabs(v);
  double fl = std::floor(mag);
  double frac = mag - fl; // Exact; compared exactly below.
  bool inc = false;
  if (frac != 0.0) {
    switch (mode) {
    case Rounding::NearestEven:
      inc = frac > 0.5 || (frac == 0.5 && std::fmod(fl, 2.0) == 1.0);
      break;
    case Rounding::NearestAway:
      inc = frac >= 0.5;
      break;
    case Rounding::TowardZero:
      break;
    case Rounding::Floor:
      inc = neg;
      break;
    case Rounding::Ceil:
      inc = !neg;
      break;
    case Rounding::Stochastic:
      // Up with probability frac, at 2^-64 resolution (frac < 1).
      inc = random < uint64_t(std::ldexp(frac, 64));
      break;
    }
  }
  double r = fl + (inc ? 1.0 : 0.0);
  return neg ? -r : r;
}

//===----------------------------------------------------------------------===//
// FloatFormat
//===----------------------------------------------------------------------===//

static uint64_t bitsOf(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

int FloatFormat::maxExponent() const {
  return int(maxFiniteCode() >> manBits) - bias;
}

uint32_t FloatFormat::maxFiniteCode() const {
  uint32_t allOnes = (1u << (expBits + manBits)) - 1;
  switch (specials) {
  case FloatSpecials::IEEE:
    return allOnes - (1u << manBits); // Exponent all-ones minus one.
  case FloatSpecials::NaNOnly:
    return allOnes - 1;
  case FloatSpecials::None:
  case FloatSpecials::NegZeroNaN: // every magnitude is finite
    return allOnes;
  }
  return allOnes;
}

bool FloatFormat::operator==(const FloatFormat &o) const {
  return expBits == o.expBits && manBits == o.manBits && bias == o.bias &&
         specials == o.specials && subnormals == o.subnormals &&
         saturate == o.saturate && hasSign == o.hasSign && hasZero == o.hasZero;
}

static FloatFormat makeFloat(unsigned e, unsigned m, int bias,
                             FloatSpecials s) {
  FloatFormat f;
  f.expBits = e;
  f.manBits = m;
  f.bias = bias;
  f.specials = s;
  return f;
}

FloatFormat FloatFormat::fp8e4m3fn() {
  return makeFloat(4, 3, 7, FloatSpecials::NaNOnly);
}
FloatFormat FloatFormat::fp8e5m2() {
  return makeFloat(5, 2, 15, FloatSpecials::IEEE);
}
FloatFormat FloatFormat::fp8e4m3fnuz() {
  return makeFloat(4, 3, 8, FloatSpecials::NegZeroNaN);
}
FloatFormat FloatFormat::fp8e5m2fnuz() {
  return makeFloat(5, 2, 16, FloatSpecials::NegZeroNaN);
}
FloatFormat FloatFormat::fp6e2m3fn() {
  return makeFloat(2, 3, 1, FloatSpecials::None);
}
FloatFormat FloatFormat::fp6e3m2fn() {
  return makeFloat(3, 2, 3, FloatSpecials::None);
}
FloatFormat FloatFormat::fp4e2m1fn() {
  return makeFloat(2, 1, 1, FloatSpecials::None);
}
FloatFormat FloatFormat::e8m0fnu() {
  FloatFormat f = makeFloat(8, 0, 127, FloatSpecials::NaNOnly);
  f.hasSign = false;
  f.hasZero = false;
  f.subnormals = false;
  return f;
}
FloatFormat FloatFormat::fp16() {
  return makeFloat(5, 10, 15, FloatSpecials::IEEE);
}
FloatFormat FloatFormat::bf16() {
  return makeFloat(8, 7, 127, FloatSpecials::IEEE);
}

namespace {
struct Preset {
  const char *name;
  FloatFormat (*make)();
};
const Preset kPresets[] = {{"fp8e4m3fn", FloatFormat::fp8e4m3fn},
                           {"fp8e5m2", FloatFormat::fp8e5m2},
                           {"fp8e4m3fnuz", FloatFormat::fp8e4m3fnuz},
                           {"fp8e5m2fnuz", FloatFormat::fp8e5m2fnuz},
                           {"fp6e2m3fn", FloatFormat::fp6e2m3fn},
                           {"fp6e3m2fn", FloatFormat::fp6e3m2fn},
                           {"fp4e2m1fn", FloatFormat::fp4e2m1fn},
                           {"e8m0fnu", FloatFormat::e8m0fnu},
                           {"fp16", FloatFormat::fp16},
                           {"bf16", FloatFormat::bf16}};
} // namespace

std::optional<FloatFormat> qc::num::floatPreset(std::string_view name) {
  for (const Preset &p : kPresets)
    if (name == p.name)
      return p.make();
  return std::nullopt;
}

const char *qc::num::floatPresetName(const FloatFormat &f) {
  FloatFormat plain = f;
  plain.saturate = false;
  for (const Preset &p : kPresets)
    if (p.make() == plain)
      return p.name;
  return nullptr;
}

namespace {
/// Helper carrying the per-format constants of one encode call.
struct Encoder {
  const FloatFormat &f;
  uint32_t signBit;
  uint32_t maxMag;

  explicit Encoder(const FloatFormat &f)
      : f(f), signBit(f.hasSign ? 1u << (f.expBits + f.manBits) : 0),
        maxMag(f.maxFiniteCode()) {}

  uint32_t withSign(uint32_t mag, bool neg) const {
    // FNUZ has no negative zero (its code is the NaN).
    if (mag == 0 && f.specials == FloatSpecials::NegZeroNaN)
      return 0;
    return neg ? (mag | signBit) : mag;
  }
  uint32_t nanCode(bool neg) const {
    if (f.specials == FloatSpecials::NegZeroNaN)
      return signBit;
    // IEEE: the canonical quiet NaN (all-ones exponent, top mantissa bit);
    // FN: the all-ones code.
    uint32_t mag = f.hasInf() ? (((1u << f.expBits) - 1) << f.manBits) |
                                    (f.manBits ? 1u << (f.manBits - 1) : 0)
                              : (1u << (f.expBits + f.manBits)) - 1;
    return withSign(mag, neg && f.hasSign);
  }
  uint32_t infCode(bool neg) const {
    return withSign(((1u << f.expBits) - 1) << f.manBits, neg);
  }
  /// Result for a value beyond the largest finite one (after rounding).
  uint32_t overflow(bool neg, Rounding mode) const {
    bool towardZero = mode == Rounding::TowardZero ||
                      (mode == Rounding::Floor && !neg) ||
                      (mode == Rounding::Ceil && neg);
    if (f.saturate || towardZero || f.specials == FloatSpecials::None)
      return withSign(maxMag, neg);
    if (f.hasInf())
      return infCode(neg);
    return nanCode(neg);
  }
  /// Result for a value below the smallest representable magnitude of a
  /// format without zero (E8M0): clamps to the smallest code.
  uint32_t underflowNoZero() const { return 0; }
};
} // namespace

uint32_t qc::num::encodeFloat(double x, const FloatFormat &f, Rounding mode,
                              uint64_t random) {
  Encoder enc(f);
  uint64_t b = bitsOf(x);
  bool neg = (b >> 63) != 0;
  if (std::isnan(x)) {
    if (f.hasNaN())
      return enc.nanCode(neg);
    // No NaN code: a zero whose sign bit is the complement of the NaN's (the
    // convention of ml_dtypes, and so of JAX).
    return enc.withSign(0, !neg && f.hasSign);
  }
  if (!f.hasZero && x == 0)
    return f.hasNaN() ? enc.nanCode(false) : enc.underflowNoZero();
  if (neg && !f.hasSign) {
    // Unsigned format: negative values have no code.
    if (x == 0)
      return 0;
    return f.hasNaN() ? enc.nanCode(false) : 0;
  }
  neg = neg && f.hasSign;
  if (std::isinf(x)) {
    // Saturating conversions clamp infinities too (ONNX saturate=1, CUDA's
    // __NV_SATFINITE), also in formats that have them.
    if (f.hasInf() && !f.saturate)
      return enc.infCode(neg);
    if (f.saturate || !f.hasNaN())
      return enc.withSign(enc.maxMag, neg);
    return enc.nanCode(neg);
  }
  if (x == 0)
    return enc.withSign(0, neg);

  // |x| = sig * 2^ex exactly.
  int biased = int((b >> 52) & 0x7FF);
  uint64_t sig = b & ((uint64_t(1) << 52) - 1);
  int ex;
  if (biased == 0) {
    ex = -1074;
  } else {
    sig |= uint64_t(1) << 52;
    ex = biased - 1075;
  }
  int lg = ex + (63 - __builtin_clzll(sig)); // floor(log2 |x|)
  int emin = f.minExponent();
  int emax = f.maxExponent();
  if (lg > emax)
    return enc.overflow(neg, mode);

  const unsigned m = f.manBits;
  // Exponent of the binade whose quantum applies. Below the normal range the
  // quantum is that of the smallest binade (subnormals), or the smallest
  // normal itself when subnormals are disabled.
  int et = lg < emin ? emin : lg;
  int quantumExp = et - int(m);
  if (lg < emin && !(f.subnormals && f.hasZero))
    quantumExp = emin;
  unsigned shift = unsigned(quantumExp - ex); // > 0 since m < 52.
  uint64_t n, rem;
  if (shift >= 64) {
    n = 0;
    rem = sig;
  } else {
    n = sig >> shift;
    rem = sig & ((uint64_t(1) << shift) - 1);
  }
  n += roundIncrement(n, rem, shift, neg, mode, random) ? 1 : 0;

  uint32_t mag;
  if (lg < emin && !(f.subnormals && f.hasZero)) {
    // n is 0 or 1 in units of the smallest normal.
    if (n == 0)
      return f.hasZero ? enc.withSign(0, neg) : enc.underflowNoZero();
    mag = f.hasZero ? (1u << m) : 0;
  } else if (f.hasZero) {
    // code = (et - emin) * 2^m + n covers subnormals (et == emin, n < 2^m)
    // and the carry of n to 2^(m+1) into the next binade.
    mag = uint32_t((uint64_t(et - emin) << m) + n);
  } else {
    mag = uint32_t((uint64_t(et - emin) << m) + n - (uint64_t(1) << m));
  }
  if (mag > enc.maxMag)
    return enc.overflow(neg, mode);
  return enc.withSign(mag, neg);
}

double qc::num::decodeFloat(uint32_t code, const FloatFormat &f) {
  unsigned magBits = f.expBits + f.manBits;
  uint32_t mag = code & ((1u << magBits) - 1);
  bool neg = f.hasSign && ((code >> magBits) & 1);
  uint32_t allOnesExp = (1u << f.expBits) - 1;
  uint32_t e = mag >> f.manBits;
  uint32_t man = mag & ((1u << f.manBits) - 1);
  double v;
  if (f.specials == FloatSpecials::IEEE && e == allOnesExp) {
    v = man == 0 ? std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::quiet_NaN();
  } else if (f.specials == FloatSpecials::NaNOnly &&
             mag == (1u << magBits) - 1) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (f.specials == FloatSpecials::NegZeroNaN && neg && mag == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  } else if (f.hasZero && e == 0) {
    v = f.subnormals ? std::ldexp(double(man), f.minExponent() - int(f.manBits))
                     : 0.0;
  } else {
    v = std::ldexp(double((1u << f.manBits) + man),
                   int(e) - f.bias - int(f.manBits));
  }
  return neg ? -v : v;
}

//===----------------------------------------------------------------------===//
// Float32Encoder
//===----------------------------------------------------------------------===//

Float32Encoder::Float32Encoder(const FloatFormat &f) {
  int emin = f.minExponent();
  int m = int(f.manBits);
  // The quantum of the subnormal range must be a normal float32 ulp, and
  // every binade of the format must lie in float32's normal range.
  int magicExp = emin - m + 23;
  if (!f.hasZero || !f.hasSign || !f.subnormals || f.expBits > 8 || m > 22 ||
      emin < -126 || magicExp < -126 || magicExp > 127)
    return;
  shift = uint32_t(23 - m);
  roundBias = (1u << (shift - 1)) - 1;
  // Float32 biased exponent of the smallest normal minus its code field 1.
  offset = uint32_t((127 + emin - 1)) << m;
  minNormalBits = uint32_t(127 + emin) << 23;
  magic = std::ldexp(1.0f, emin - m + 23);
  std::memcpy(&magicBits, &magic, sizeof magicBits);
  maxMag = f.maxFiniteCode();
  signShift = f.expBits + f.manBits;
  double huge = std::ldexp(1.0, f.maxExponent() + 2);
  for (int s = 0; s < 2; ++s) {
    double sign = s ? -1.0 : 1.0;
    nanCode[s] = encodeFloat(
        std::copysign(std::numeric_limits<double>::quiet_NaN(), sign), f);
    infCode[s] = encodeFloat(sign * std::numeric_limits<double>::infinity(), f);
    overflowCode[s] = encodeFloat(sign * huge, f);
    zeroCode[s] = encodeFloat(sign * 0.0, f);
  }
  ok = true;
}

//===----------------------------------------------------------------------===//
// Format
//===----------------------------------------------------------------------===//

Format Format::integer(unsigned bits, bool isSigned, bool narrow) {
  Format r;
  r.k = Kind::Int;
  r.nbits = bits;
  r.sign = isSigned;
  r.narrow = narrow;
  return r;
}

Format Format::fixed(unsigned bits, int fracBits, bool isSigned, bool saturate,
                     bool narrow) {
  Format r;
  r.narrow = narrow;
  r.k = Kind::Fixed;
  r.nbits = bits;
  r.sign = isSigned;
  r.frac = fracBits;
  r.sat = saturate;
  return r;
}

Format Format::minifloat(const FloatFormat &f) {
  Format r;
  r.k = Kind::Float;
  r.nbits = f.bits();
  r.sign = f.hasSign;
  r.sat = f.saturate;
  r.ff = f;
  return r;
}

static std::optional<unsigned> parseUnsigned(std::string_view s) {
  if (s.empty() || s.size() > 4)
    return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + unsigned(c - '0');
  }
  return v;
}

static bool consumeSuffix(std::string_view &s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix)
    return false;
  s.remove_suffix(suffix.size());
  return true;
}

std::optional<Format> Format::parse(std::string_view name) {
  std::string_view s = name;
  bool sat = consumeSuffix(s, "_sat");
  if (auto f = floatPreset(s)) {
    f->saturate = sat;
    return minifloat(*f);
  }
  if (sat)
    return std::nullopt;
  s = name;
  bool narrow = consumeSuffix(s, "_narrow");
  bool wrap = consumeSuffix(s, "_wrap");
  auto startsWith = [&](std::string_view p) {
    if (s.substr(0, p.size()) != p)
      return false;
    s.remove_prefix(p.size());
    return true;
  };
  if (!wrap && (startsWith("uint") || startsWith("int"))) {
    bool isSigned = name[0] == 'i';
    auto bits = parseUnsigned(s);
    if (!bits || *bits < 1 || *bits > 32 || (isSigned && *bits < 2 && narrow))
      return std::nullopt;
    return integer(*bits, isSigned, narrow);
  }
  if (!(narrow && wrap) && (startsWith("ufixed") || startsWith("fixed"))) {
    bool isSigned = name[0] == 'f';
    size_t us = s.find('_');
    if (us == std::string_view::npos)
      return std::nullopt;
    auto bits = parseUnsigned(s.substr(0, us));
    auto fracBits = parseUnsigned(s.substr(us + 1));
    if (!bits || !fracBits || *bits < 1 || *bits > 32 || *fracBits > 64)
      return std::nullopt;
    return fixed(*bits, int(*fracBits), isSigned, !wrap, narrow);
  }
  return std::nullopt;
}

std::string Format::name() const {
  switch (k) {
  case Kind::Int:
    return std::string(sign ? "int" : "uint") + std::to_string(nbits) +
           (narrow ? "_narrow" : "");
  case Kind::Fixed:
    return std::string(sign ? "fixed" : "ufixed") + std::to_string(nbits) +
           "_" + std::to_string(frac) + (sat ? "" : "_wrap") +
           (narrow ? "_narrow" : "");
  case Kind::Float:
    if (const char *preset = floatPresetName(ff))
      return std::string(preset) + (ff.saturate ? "_sat" : "");
    return "e" + std::to_string(ff.expBits) + "m" + std::to_string(ff.manBits) +
           "b" + std::to_string(ff.bias);
  }
  return "?";
}

int64_t Format::minInt() const {
  if (!sign)
    return 0;
  int64_t lo = -(int64_t(1) << (nbits - 1));
  return narrow ? lo + 1 : lo;
}

int64_t Format::maxInt() const {
  if (!sign) {
    int64_t hi = (int64_t(1) << nbits) - 1;
    return narrow ? hi - 1 : hi;
  }
  return (int64_t(1) << (nbits - 1)) - 1;
}

double Format::maxValue() const {
  switch (k) {
  case Kind::Int:
    return double(maxInt());
  case Kind::Fixed:
    return std::ldexp(double(maxInt()), -frac);
  case Kind::Float:
    return decodeFloat(ff.maxFiniteCode(), ff);
  }
  return 0;
}

double Format::minValue() const {
  switch (k) {
  case Kind::Int:
    return double(minInt());
  case Kind::Fixed:
    return std::ldexp(double(minInt()), -frac);
  case Kind::Float:
    return ff.hasSign ? -maxValue() : decodeFloat(0, ff);
  }
  return 0;
}

int64_t Format::codeToInt(uint32_t code) const {
  uint64_t c = code & mask();
  if (sign && nbits < 64 && (c >> (nbits - 1)) & 1)
    return int64_t(c) - (int64_t(1) << nbits);
  return int64_t(c);
}

uint32_t Format::encode(double x, Rounding mode, uint64_t random) const {
  if (k == Kind::Float)
    return encodeFloat(x, ff, mode, random);
  double v = k == Kind::Fixed ? std::ldexp(x, frac) : x;
  if (std::isnan(v))
    return 0;
  double r = roundToIntegral(v, mode, random);
  int64_t lo = minInt(), hi = maxInt();
  if (k == Kind::Fixed && !sat) {
    // Two's complement wrap-around modulo 2^bits.
    if (!std::isfinite(r) || std::fabs(r) >= 9.2e18)
      return 0;
    return intToCode(int64_t(r));
  }
  int64_t q = r <= double(lo) ? lo : r >= double(hi) ? hi : int64_t(r);
  return intToCode(q);
}

double Format::decode(uint32_t code) const {
  switch (k) {
  case Kind::Int:
    return double(codeToInt(code));
  case Kind::Fixed:
    return std::ldexp(double(codeToInt(code)), -frac);
  case Kind::Float:
    return decodeFloat(code, ff);
  }
  return 0;
}

bool Format::operator==(const Format &o) const {
  if (k != o.k)
    return false;
  switch (k) {
  case Kind::Int:
    return nbits == o.nbits && sign == o.sign && narrow == o.narrow;
  case Kind::Fixed:
    return nbits == o.nbits && sign == o.sign && frac == o.frac &&
           sat == o.sat && narrow == o.narrow;
  case Kind::Float:
    return ff == o.ff;
  }
  return false;
}

//===- QCAttrs.cpp - qc attributes ----------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Parsing, printing and verification of the format, scheme and rotation
// attributes. Rotation application lives in QCRotations.cpp.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace qc;

#include "qc/Dialect/QC/IR/QCEnums.cpp.inc"
#include "qc/Dialect/QC/IR/QCInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qc/Dialect/QC/IR/QCAttrs.cpp.inc"

void QCDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qc/Dialect/QC/IR/QCAttrs.cpp.inc"
      >();
}

namespace {
/// Parses `(`,` keyword)*` until `>`, calling onKeyword for each; onKeyword
/// may parse `= value` itself and returns failure on an unknown keyword.
ParseResult
parseOptionList(AsmParser &parser,
                llvm::function_ref<ParseResult(StringRef, SMLoc)> onKeyword) {
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef kw;
    if (parser.parseKeyword(&kw) || onKeyword(kw, loc))
      return failure();
  }
  return parser.parseGreater();
}
} // namespace

//===----------------------------------------------------------------------===//
// IntFormatAttr
//===----------------------------------------------------------------------===//

Attribute IntFormatAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned width;
  bool isSigned = true, narrow = false;
  if (parser.parseLess() || parser.parseInteger(width) ||
      parseOptionList(parser, [&](StringRef kw, SMLoc kwLoc) -> ParseResult {
        if (kw == "unsigned")
          isSigned = false;
        else if (kw == "narrow")
          narrow = true;
        else
          return parser.emitError(kwLoc, "unknown integer format option '")
                 << kw << "'";
        return success();
      }))
    return {};
  return parser.getChecked<IntFormatAttr>(loc, parser.getContext(), width,
                                          isSigned, narrow);
}

void IntFormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << getWidth();
  if (!getIsSigned())
    printer << ", unsigned";
  if (getNarrow())
    printer << ", narrow";
  printer << ">";
}

LogicalResult
IntFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      unsigned width, bool isSigned, bool narrow) {
  if (width < 1 || width > 32)
    return emitError() << "(C1) integer width must be in [1, 32], got "
                       << width;
  if (isSigned && narrow && width < 2)
    return emitError() << "(C2) a signed narrow integer needs width >= 2";
  return success();
}

num::Format IntFormatAttr::getNumericFormat() const {
  return num::Format::integer(getWidth(), getIsSigned(), getNarrow());
}

//===----------------------------------------------------------------------===//
// FixedFormatAttr
//===----------------------------------------------------------------------===//

Attribute FixedFormatAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  unsigned width;
  int64_t frac;
  bool isSigned = true, saturate = true, narrow = false;
  if (parser.parseLess() || parser.parseInteger(width) || parser.parseComma() ||
      parser.parseInteger(frac) ||
      parseOptionList(parser, [&](StringRef kw, SMLoc kwLoc) -> ParseResult {
        if (kw == "unsigned")
          isSigned = false;
        else if (kw == "wrap")
          saturate = false;
        else if (kw == "narrow")
          narrow = true;
        else
          return parser.emitError(kwLoc, "unknown fixed-point option '")
                 << kw << "'";
        return success();
      }))
    return {};
  return parser.getChecked<FixedFormatAttr>(loc, parser.getContext(), width,
                                            frac, isSigned, saturate, narrow);
}

void FixedFormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << getWidth() << ", " << getFrac();
  if (!getIsSigned())
    printer << ", unsigned";
  if (!getSaturate())
    printer << ", wrap";
  if (getNarrow())
    printer << ", narrow";
  printer << ">";
}

LogicalResult
FixedFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned width, int64_t frac, bool isSigned,
                        bool saturate, bool narrow) {
  if (width < 1 || width > 32)
    return emitError() << "(C1) fixed-point width must be in [1, 32], got "
                       << width;
  if (frac < 0 || frac > 64)
    return emitError() << "(C2) fractional bits must be in [0, 64], got "
                       << frac;
  if (!saturate && narrow)
    return emitError() << "(C3) 'wrap' and 'narrow' are exclusive";
  return success();
}

num::Format FixedFormatAttr::getNumericFormat() const {
  return num::Format::fixed(getWidth(), int(getFrac()), getIsSigned(),
                            getSaturate(), getNarrow());
}

//===----------------------------------------------------------------------===//
// FloatFormatAttr
//===----------------------------------------------------------------------===//

namespace {
FloatSpecials specialsToAttr(num::FloatSpecials s) {
  switch (s) {
  case num::FloatSpecials::IEEE:
    return FloatSpecials::ieee;
  case num::FloatSpecials::NaNOnly:
    return FloatSpecials::fn;
  case num::FloatSpecials::None:
    return FloatSpecials::none;
  case num::FloatSpecials::NegZeroNaN:
    return FloatSpecials::fnuz;
  }
  return FloatSpecials::none;
}

num::FloatSpecials specialsToNumeric(FloatSpecials s) {
  switch (s) {
  case FloatSpecials::ieee:
    return num::FloatSpecials::IEEE;
  case FloatSpecials::fn:
    return num::FloatSpecials::NaNOnly;
  case FloatSpecials::none:
    return num::FloatSpecials::None;
  case FloatSpecials::fnuz:
    return num::FloatSpecials::NegZeroNaN;
  }
  return num::FloatSpecials::None;
}
} // namespace

FloatFormatAttr FloatFormatAttr::get(MLIRContext *ctx,
                                     const num::FloatFormat &f) {
  return get(ctx, f.expBits, f.manBits, f.bias, specialsToAttr(f.specials),
             f.subnormals, f.saturate, f.hasSign, f.hasZero);
}

num::FloatFormat FloatFormatAttr::getFloatFormat() const {
  num::FloatFormat f;
  f.expBits = getExp();
  f.manBits = getMan();
  f.bias = int(getBias());
  f.specials = specialsToNumeric(getSpecials());
  f.subnormals = getSubnormals();
  f.saturate = getSaturate();
  f.hasSign = getHasSign();
  f.hasZero = getHasZero();
  return f;
}

num::Format FloatFormatAttr::getNumericFormat() const {
  return num::Format::minifloat(getFloatFormat());
}

Attribute FloatFormatAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseLess() || parser.parseKeyword(&name))
    return {};
  num::FloatFormat f;
  if (auto preset = num::floatPreset(name)) {
    f = *preset;
  } else {
    unsigned e, m;
    StringRef rest = name;
    if (!rest.consume_front("e") || rest.consumeInteger(10, e) ||
        !rest.consume_front("m") || rest.consumeInteger(10, m) ||
        !rest.empty()) {
      parser.emitError(loc, "expected a minifloat preset (fp8e4m3fn, "
                            "fp8e5m2, fp6e2m3fn, fp6e3m2fn, fp4e2m1fn, "
                            "e8m0fnu, fp16, bf16) or e<E>m<M>, got '")
          << name << "'";
      return {};
    }
    f.expBits = e;
    f.manBits = m;
    f.bias = e >= 1 && e < 32 ? (1 << (e - 1)) - 1 : 0;
    f.specials = num::FloatSpecials::IEEE;
  }
  if (parseOptionList(parser, [&](StringRef kw, SMLoc kwLoc) -> ParseResult {
        if (kw == "bias") {
          int64_t b;
          if (parser.parseEqual() || parser.parseInteger(b))
            return failure();
          f.bias = int(b);
        } else if (kw == "specials") {
          StringRef s;
          if (parser.parseEqual() || parser.parseKeyword(&s))
            return failure();
          auto sp = symbolizeFloatSpecials(s);
          if (!sp)
            return parser.emitError(kwLoc, "specials must be ieee, fn, none or fnuz");
          f.specials = specialsToNumeric(*sp);
        } else if (kw == "no_subnormals") {
          f.subnormals = false;
        } else if (kw == "saturate") {
          f.saturate = true;
        } else if (kw == "unsigned") {
          f.hasSign = false;
        } else if (kw == "no_zero") {
          f.hasZero = false;
        } else {
          return parser.emitError(kwLoc, "unknown minifloat option '")
                 << kw << "'";
        }
        return success();
      }))
    return {};
  return parser.getChecked<FloatFormatAttr>(
      loc, parser.getContext(), f.expBits, f.manBits, int64_t(f.bias),
      specialsToAttr(f.specials), f.subnormals, f.saturate, f.hasSign,
      f.hasZero);
}

void FloatFormatAttr::print(AsmPrinter &printer) const {
  num::FloatFormat f = getFloatFormat();
  printer << "<";
  if (const char *preset = num::floatPresetName(f)) {
    printer << preset << (f.saturate ? ", saturate>" : ">");
    return;
  }
  printer << "e" << f.expBits << "m" << f.manBits << ", bias = " << f.bias
          << ", specials = " << stringifyFloatSpecials(getSpecials());
  if (!f.subnormals)
    printer << ", no_subnormals";
  if (f.saturate)
    printer << ", saturate";
  if (!f.hasSign)
    printer << ", unsigned";
  if (!f.hasZero)
    printer << ", no_zero";
  printer << ">";
}

LogicalResult
FloatFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        unsigned exp, unsigned man, int64_t bias,
                        FloatSpecials specials, bool subnormals, bool saturate,
                        bool hasSign, bool hasZero) {
  if (exp < 1 || exp > 11 || man > 23)
    return emitError() << "(C1) minifloat needs 1 <= exp <= 11 and man <= "
                          "23, got e"
                       << exp << "m" << man;
  if (unsigned(hasSign) + exp + man > 32)
    return emitError() << "(C2) minifloat wider than 32 bits";
  num::FloatFormat f;
  f.expBits = exp;
  f.manBits = man;
  f.bias = int(bias);
  f.specials = specialsToNumeric(specials);
  f.subnormals = subnormals;
  f.hasSign = hasSign;
  f.hasZero = hasZero;
  // The largest finite code must lie in a normal binade.
  if ((f.maxFiniteCode() >> man) == 0 && hasZero)
    return emitError() << "(C3) minifloat has no finite normal binade";
  if (std::abs(bias) > 1000)
    return emitError() << "(C3) minifloat bias out of range";
  if (!hasZero && (hasSign || subnormals))
    return emitError() << "(C4) a minifloat without zero must be unsigned with "
                          "no_subnormals";
  return success();
}

//===----------------------------------------------------------------------===//
// SchemeAttr
//===----------------------------------------------------------------------===//

SchemeAttr SchemeAttr::getPerTensor(MLIRContext *ctx) {
  return get(ctx, Granularity::per_tensor, 0, 0, FloatFormatAttr(), false,
             false);
}

num::Scheme SchemeAttr::getNumericScheme() const {
  num::Scheme s;
  s.axis = int(getAxis());
  s.blockSize = getBlock();
  switch (getGranularity()) {
  case Granularity::per_tensor:
    s.granularity = num::Granularity::PerTensor;
    break;
  case Granularity::per_axis:
    s.granularity = num::Granularity::PerAxis;
    break;
  case Granularity::per_block:
    s.granularity = num::Granularity::PerBlock;
    break;
  }
  return s;
}

SmallVector<int64_t> SchemeAttr::getScaleShape(ArrayRef<int64_t> shape) const {
  switch (getGranularity()) {
  case Granularity::per_tensor:
    return {};
  case Granularity::per_axis:
    return {shape[getAxis()]};
  case Granularity::per_block: {
    SmallVector<int64_t> s(shape);
    int64_t &d = s[getAxis()];
    if (!ShapedType::isDynamic(d))
      d = (d + getBlock() - 1) / getBlock();
    return s;
  }
  }
  return {};
}

Attribute SchemeAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef g;
  if (parser.parseLess() || parser.parseKeyword(&g))
    return {};
  auto gran = symbolizeGranularity(g);
  if (!gran) {
    parser.emitError(loc, "expected per_tensor, per_axis or per_block, got '")
        << g << "'";
    return {};
  }
  int64_t axis = 0, block = 0;
  FloatFormatAttr scale;
  bool asymmetric = false, dynamic = false;
  if (parseOptionList(parser, [&](StringRef kw, SMLoc kwLoc) -> ParseResult {
        if (kw == "axis")
          return failure(parser.parseEqual() || parser.parseInteger(axis));
        if (kw == "block")
          return failure(parser.parseEqual() || parser.parseInteger(block));
        if (kw == "scale") {
          if (parser.parseEqual())
            return failure();
          Attribute a;
          SMLoc aLoc = parser.getCurrentLocation();
          if (parser.parseAttribute(a))
            return failure();
          scale = llvm::dyn_cast<FloatFormatAttr>(a);
          if (!scale)
            return parser.emitError(aLoc,
                                    "scale format must be a #qc.float format");
          return success();
        }
        if (kw == "asymmetric") {
          asymmetric = true;
          return success();
        }
        if (kw == "dynamic") {
          dynamic = true;
          return success();
        }
        return parser.emitError(kwLoc, "unknown scheme option '") << kw << "'";
      }))
    return {};
  return parser.getChecked<SchemeAttr>(loc, parser.getContext(), *gran, axis,
                                       block, scale, asymmetric, dynamic);
}

void SchemeAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyGranularity(getGranularity());
  if (getGranularity() != Granularity::per_tensor)
    printer << ", axis = " << getAxis();
  if (getGranularity() == Granularity::per_block)
    printer << ", block = " << getBlock();
  if (getScaleFormat())
    printer << ", scale = " << getScaleFormat();
  if (getAsymmetric())
    printer << ", asymmetric";
  if (getDynamic())
    printer << ", dynamic";
  printer << ">";
}

LogicalResult SchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Granularity granularity, int64_t axis,
                                 int64_t block, FloatFormatAttr scaleFormat,
                                 bool asymmetric, bool dynamic) {
  if (axis < 0)
    return emitError() << "(C1) scheme axis must be >= 0, got " << axis;
  if (granularity == Granularity::per_block && block < 1)
    return emitError() << "(C2) per_block needs block >= 1, got " << block;
  if (granularity != Granularity::per_block && block != 0)
    return emitError() << "(C2) only per_block takes a block size";
  if (granularity == Granularity::per_tensor && axis != 0)
    return emitError() << "(C3) per_tensor takes no axis";
  if (scaleFormat && scaleFormat.getFloatFormat().bits() > 16)
    return emitError() << "(C4) scale format wider than 16 bits";
  return success();
}

//===----------------------------------------------------------------------===//
// Rotations
//===----------------------------------------------------------------------===//

/// Parses `<` size (`,` key `=` int)* `>` for the Hadamard attributes.
static ParseResult parseSizeAndKeys(AsmParser &parser, int64_t &size,
                                    llvm::StringMap<int64_t> &keys) {
  if (parser.parseLess() || parser.parseInteger(size))
    return failure();
  return parseOptionList(parser, [&](StringRef kw, SMLoc loc) -> ParseResult {
    if (!keys.count(kw))
      return parser.emitError(loc, "unknown rotation option '") << kw << "'";
    return failure(parser.parseEqual() || parser.parseInteger(keys[kw]));
  });
}

Attribute HadamardAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t size;
  llvm::StringMap<int64_t> keys{{"seed", 0}};
  if (parseSizeAndKeys(parser, size, keys))
    return {};
  return parser.getChecked<HadamardAttr>(loc, parser.getContext(), size,
                                         uint64_t(keys["seed"]));
}

void HadamardAttr::print(AsmPrinter &printer) const {
  printer << "<" << getSize();
  if (getSeed())
    printer << ", seed = " << getSeed();
  printer << ">";
}

LogicalResult HadamardAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t size, uint64_t) {
  if (!num::factorHadamardOrder(size))
    return emitError() << "(C1) no Hadamard matrix of order " << size
                       << ": the order must be K * 2^m with K in {1, 12, 20, "
                          "28, 36, 40, 44, 52, 60, 108, 140, 152, 156, 172}";
  return success();
}

Attribute BlockHadamardAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  int64_t size;
  llvm::StringMap<int64_t> keys{{"block", 0}, {"seed", 0}};
  if (parseSizeAndKeys(parser, size, keys))
    return {};
  return parser.getChecked<BlockHadamardAttr>(
      loc, parser.getContext(), size, keys["block"], uint64_t(keys["seed"]));
}

void BlockHadamardAttr::print(AsmPrinter &printer) const {
  printer << "<" << getSize() << ", block = " << getBlock();
  if (getSeed())
    printer << ", seed = " << getSeed();
  printer << ">";
}

LogicalResult
BlockHadamardAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t size, int64_t block, uint64_t) {
  if (!num::factorHadamardOrder(block))
    return emitError() << "(C1) no Hadamard matrix of order " << block
                       << " for the block";
  if (size < 1 || size % block)
    return emitError() << "(C2) block " << block << " does not divide size "
                       << size;
  return success();
}

LogicalResult
PermutationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        ArrayRef<int64_t> perm) {
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(perm.size()) || seen[size_t(p)])
      return emitError() << "(C1) not a permutation of 0.."
                         << int64_t(perm.size()) - 1 << ": index " << p;
    seen[size_t(p)] = true;
  }
  if (perm.empty())
    return emitError() << "(C1) empty permutation";
  return success();
}

LogicalResult
OrthogonalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       DenseFPElementsAttr matrix) {
  auto type = matrix.getType();
  if (type.getRank() != 2 || type.getDimSize(0) != type.getDimSize(1) ||
      !(type.getElementType().isF32() || type.getElementType().isF64()))
    return emitError() << "(C1) orthogonal matrix must be a square 2-D f32 "
                          "or f64 constant";
  int64_t n = type.getDimSize(0);
  std::vector<double> m;
  m.reserve(size_t(n * n));
  for (APFloat v : matrix.getValues<APFloat>())
    m.push_back(v.convertToDouble());
  // Probe vectors: |M^T (M v) - v| <= 1e-5 |v|, with v = e_0, e_{n-1} and
  // two pseudo-random sign vectors (exhaustive for n <= 64).
  std::vector<std::vector<double>> probes;
  if (n <= 64) {
    for (int64_t i = 0; i < n; ++i) {
      probes.emplace_back(size_t(n), 0.0);
      probes.back()[size_t(i)] = 1.0;
    }
  } else {
    for (uint64_t seed : {1ull, 2ull}) {
      probes.emplace_back(size_t(n));
      for (int64_t i = 0; i < n; ++i)
        probes.back()[size_t(i)] =
            (num::stochasticBits(seed, uint64_t(i)) & 1) ? -1.0 : 1.0;
    }
  }
  std::vector<double> u(static_cast<size_t>(n)), z(static_cast<size_t>(n));
  for (const auto &v : probes) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i)
        s += v[size_t(i)] * m[size_t(i * n + j)];
      u[size_t(j)] = s;
    }
    double err = 0, norm = 0;
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int64_t j = 0; j < n; ++j)
        s += u[size_t(j)] * m[size_t(i * n + j)];
      err += (s - v[size_t(i)]) * (s - v[size_t(i)]);
      norm += v[size_t(i)] * v[size_t(i)];
    }
    if (std::sqrt(err) > 1e-5 * std::sqrt(norm))
      return emitError() << "(C2) matrix is not orthogonal: |M^T M v - v| / "
                            "|v| = "
                         << std::sqrt(err / norm) << " > 1e-5";
  }
  return success();
}

LogicalResult
TransposeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      Attribute rotation) {
  if (!llvm::isa<RotationAttrInterface>(rotation) ||
      llvm::isa<TransposeAttr>(rotation))
    return emitError() << "(C1) transpose takes a rotation that is not "
                          "itself a transpose";
  return success();
}

LogicalResult
RotationSeqAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        ArrayRef<Attribute> rotations) {
  if (rotations.size() < 2)
    return emitError() << "(C1) a rotation sequence needs at least two "
                          "rotations";
  int64_t size = -1;
  for (Attribute a : rotations) {
    auto r = llvm::dyn_cast<RotationAttrInterface>(a);
    if (!r)
      return emitError() << "(C1) " << a << " is not a rotation";
    if (size >= 0 && r.getOrder() != size)
      return emitError() << "(C2) rotation sizes differ: " << size << " vs "
                         << r.getOrder();
    size = r.getOrder();
  }
  return success();
}

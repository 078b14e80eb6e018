//===- QCToLinalg.cpp - Lower qc ops to linalg on storage tensors ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Quantized tensors become their storage tensors; the arithmetic of each op
// is the numerics library's, element for element, so integer codes are
// bit-exact with the interpreter. checkQCLowerable rejects, with the op and
// the format named, everything that has no lowering yet.
//
//===----------------------------------------------------------------------===//

#include "../LinalgBuilders.h"
#include "../X86/Int8Kernels.h"
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Quantize.h"
#include "qc/Support/Numerics/Rounding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cfloat>
#include <cmath>

namespace qc {
#define GEN_PASS_DEF_CONVERTQCTOLINALG
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using namespace qc::linalg_builders;

namespace {

Value f32(OpBuilder &b, Location loc, double v) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(float(v)));
}

/// The map from element indices of `shape` to the scale group of `scheme`
/// (per tensor: rank 0; per axis: the axis; per block: the block index).
AffineMap scaleMap(MLIRContext *ctx, int64_t rank, SchemeAttr scheme) {
  switch (scheme.getGranularity()) {
  case Granularity::per_tensor:
    return AffineMap::get(unsigned(rank), 0, {}, ctx);
  case Granularity::per_axis:
    return AffineMap::get(unsigned(rank), 0,
                          {getAffineDimExpr(unsigned(scheme.getAxis()), ctx)},
                          ctx);
  case Granularity::per_block: {
    SmallVector<AffineExpr> e;
    for (int64_t i = 0; i < rank; ++i) {
      AffineExpr d = getAffineDimExpr(unsigned(i), ctx);
      e.push_back(i == scheme.getAxis() ? d.floorDiv(scheme.getBlock()) : d);
    }
    return AffineMap::get(unsigned(rank), 0, e, ctx);
  }
  }
  return {};
}

/// A generic over the elements of `type` reading `elementwise` operands
/// with the identity map and `grouped` operands with the scale map.
Value groupedGeneric(OpBuilder &b, Location loc, RankedTensorType type,
                     SchemeAttr scheme, ValueRange elementwiseIns,
                     ValueRange groupedIns, ValueRange scalarIns, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx);
  SmallVector<AffineMap> maps(elementwiseIns.size(), id);
  for (size_t i = 0; i < groupedIns.size(); ++i)
    maps.push_back(scaleMap(ctx, rank, scheme));
  for (size_t i = 0; i < scalarIns.size(); ++i)
    maps.push_back(AffineMap::get(unsigned(rank), 0, {}, ctx));
  maps.push_back(id);
  SmallVector<Value> ins(elementwiseIns);
  ins.append(groupedIns.begin(), groupedIns.end());
  ins.append(scalarIns.begin(), scalarIns.end());
  SmallVector<utils::IteratorType> its(size_t(rank),
                                       utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, type, ins, ValueRange{empty(b, loc, type)}, maps, its,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            nb.create<linalg::YieldOp>(nl,
                                       ValueRange{body(nb, nl, a.drop_back())});
          })
      .getResult(0);
}

Value i32c(OpBuilder &b, Location loc, uint32_t v);

/// The integer value (i32) of a code held in a container (i8 / i16 / i32,
/// raw code bits zero-extended, see qc::cpuStorageType): sign-extended from
/// the format's width for signed formats.
Value codeToI32(OpBuilder &b, Location loc, Value code, const num::Format &f) {
  Type i32 = b.getI32Type();
  Value q = code.getType() == i32
                ? code
                : b.create<arith::ExtUIOp>(loc, i32, code).getResult();
  unsigned bits = f.bits();
  if (!f.isSigned() || bits >= 32)
    return q;
  unsigned sh = 32 - bits;
  return b.create<arith::ShRSIOp>(
      loc, b.create<arith::ShLIOp>(loc, q, i32c(b, loc, sh)), i32c(b, loc, sh));
}

/// fl32(fl32(q - zp) * s).
Value dequantizeScalar(OpBuilder &b, Location loc, Value q, Value s, Value zp) {
  if (zp)
    q = b.create<arith::SubIOp>(loc, q, zp);
  Value qf = b.create<arith::SIToFPOp>(loc, b.getF32Type(), q);
  return b.create<arith::MulFOp>(loc, qf, s);
}

/// The quantized integer (as f32) of x under scale s and zero point zp:
/// v = fl32(x / s); NaN -> zp; round half to even; + zp; saturate. The
/// numerics library does the same in double; the integers involved are
/// below 2^17, exact in f32, and values beyond saturate either way.
Value roundSaturate(OpBuilder &b, Location loc, Value v, Value zp,
                    const num::Format &f);

Value quantizeToIntF32(OpBuilder &b, Location loc, Value x, Value s, Value zp,
                       const num::Format &f) {
  return roundSaturate(b, loc, b.create<arith::DivFOp>(loc, x, s), zp, f);
}

/// round_half_even(v) + zp saturated to the format's integer range, NaN ->
/// zp, as f32.
Value roundSaturate(OpBuilder &b, Location loc, Value v, Value zp,
                    const num::Format &f) {
  Value r = b.create<math::RoundEvenOp>(loc, v);
  Value zf = zp ? b.create<arith::SIToFPOp>(loc, b.getF32Type(), zp).getResult()
                : f32(b, loc, 0.0);
  Value q = b.create<arith::AddFOp>(loc, r, zf);
  Value isNan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, v, v);
  q = b.create<arith::SelectOp>(loc, isNan, zf, q);
  Value lo = f32(b, loc, double(f.minInt())),
        hi = f32(b, loc, double(f.maxInt()));
  Value below = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, q, lo);
  q = b.create<arith::SelectOp>(loc, below, lo, q);
  Value above = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, q, hi);
  return b.create<arith::SelectOp>(loc, above, hi, q);
}

/// Formats whose codes f32 does not hold exactly everywhere they meet
/// arithmetic (more than 16 bits): they round, offset and saturate in f64.
bool isWide(const num::Format &f) {
  return f.kind() != num::Format::Kind::Float && f.bits() > 16;
}

/// The code (i64, the integer before masking) of f32 `v` rounded half to
/// even (exact in f32) plus the zero point, as num::Format::encode does in
/// double: NaN -> zp; saturate to [minInt, maxInt], or for a wrapping fixed
/// format 0 when |r| >= 9.2e18 or infinite and the low bits otherwise.
Value wideIntegerCode(OpBuilder &b, Location loc, Value v, Value zp,
                      const num::Format &f) {
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  auto d = [&](double c) {
    return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(c));
  };
  Value q = b.create<arith::ExtFOp>(
      loc, f64, b.create<math::RoundEvenOp>(loc, v).getResult());
  Value zf = zp ? b.create<arith::SIToFPOp>(loc, f64, zp).getResult() : d(0.0);
  q = b.create<arith::AddFOp>(loc, q, zf); // exact: integers below 2^54
  Value isNan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, v, v);
  if (f.kind() == num::Format::Kind::Fixed && !f.saturates()) {
    Value big =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGE,
                                b.create<math::AbsFOp>(loc, q), d(9.2e18));
    Value bad = b.create<arith::OrIOp>(loc, isNan, big);
    Value safe = b.create<arith::SelectOp>(loc, bad, d(0.0), q);
    return b.create<arith::FPToSIOp>(loc, i64, safe);
  }
  q = b.create<arith::SelectOp>(loc, isNan, zf, q);
  q = b.create<arith::MaximumFOp>(loc, q, d(double(f.minInt())));
  q = b.create<arith::MinimumFOp>(loc, q, d(double(f.maxInt())));
  return b.create<arith::FPToSIOp>(loc, i64, q);
}

/// The integer value (i64) of a wide format's code: sign-extended from the
/// format's width, or zero-extended for unsigned formats.
Value wideCodeToI64(OpBuilder &b, Location loc, Value code,
                    const num::Format &f) {
  Type i64 = b.getI64Type();
  Value q = b.create<arith::ExtUIOp>(loc, i64, code);
  if (!f.isSigned())
    return q;
  Value sh = b.create<arith::ConstantOp>(
      loc, b.getI64IntegerAttr(int64_t(64 - f.bits())));
  return b.create<arith::ShRSIOp>(loc, b.create<arith::ShLIOp>(loc, q, sh), sh);
}

/// Whether a qtensor type has a CPU lowering: integer and fixed-point
/// formats of at most 32 bits, minifloats of at most 16 bits that
/// Float32Encoder takes, scale formats of at most 8 bits. Fills `why`
/// otherwise.
bool lowerableQType(QTensorType qt, std::string &why) {
  num::Format f = qt.getNumericFormat();
  switch (f.kind()) {
  case num::Format::Kind::Int:
    if (f.bits() > 32) {
      why = "integer formats wider than 32 bits have no CPU lowering";
      return false;
    }
    break;
  case num::Format::Kind::Float:
    // Up to 8 bits decode through a table, up to 16 (fp16, bf16, ...) by
    // building the float32 bits, which needs every finite binade inside
    // float32's normal range.
    if (f.bits() > 16 || !num::Float32Encoder(f.floatFormat()).valid() ||
        (f.bits() > 8 && f.floatFormat().maxExponent() > 127)) {
      why = "only minifloats of at most 16 bits with a zero, a sign, "
            "subnormals and binades within float32's have a CPU lowering";
      return false;
    }
    break;
  case num::Format::Kind::Fixed:
    if (f.bits() > 32) {
      why = "fixed-point formats wider than 32 bits have no CPU lowering";
      return false;
    }
    break;
  }
  if (FloatFormatAttr sf = qt.getScheme().getScaleFormat())
    if (sf.getFloatFormat().bits() > 8) {
      why = "scale formats wider than 8 bits have no CPU lowering";
      return false;
    }
  return true;
}

/// A constant table of the f32 values of every code of a format of at most
/// 8 bits (decodeFloat, as the interpreter's lookup tables).
Value decodeTable(OpBuilder &b, Location loc, const num::Format &f) {
  unsigned n = 1u << f.bits();
  std::vector<float> t(n);
  for (unsigned c = 0; c < n; ++c)
    t[c] = float(f.decode(c));
  return b.create<arith::ConstantOp>(
      loc,
      DenseElementsAttr::get(
          RankedTensorType::get({int64_t(n)}, b.getF32Type()), ArrayRef(t)));
}

/// decodeFloat of a minifloat code (iN) of more than 8 bits, as float32
/// bits: sign, rebased exponent and shifted mantissa for normal codes,
/// mantissa * 2^(emin - m) for subnormal ones, then the format's specials.
/// Exact for the formats lowerableQType admits (their values are float32
/// values).
Value decodeMinifloatBits(OpBuilder &b, Location loc, Value code,
                          const num::FloatFormat &f) {
  Type i32 = b.getI32Type();
  Value c = code.getType() == i32
                ? code
                : b.create<arith::ExtUIOp>(loc, i32, code).getResult();
  unsigned m = f.manBits, magBits = f.expBits + f.manBits;
  auto k = [&](uint32_t v) { return i32c(b, loc, v); };
  Value mag = b.create<arith::AndIOp>(loc, c, k((1u << magBits) - 1));
  Value e = b.create<arith::ShRUIOp>(loc, mag, k(m));
  Value man = b.create<arith::AndIOp>(loc, mag, k((1u << m) - 1));
  Value sign = b.create<arith::ShLIOp>(
      loc,
      b.create<arith::AndIOp>(loc, b.create<arith::ShRUIOp>(loc, c, k(magBits)),
                              k(1)),
      k(31));
  // Normal: (e - bias + 127) << 23 | man << (23 - m).
  Value normal = b.create<arith::OrIOp>(
      loc,
      b.create<arith::ShLIOp>(
          loc, b.create<arith::AddIOp>(loc, e, k(uint32_t(127 - f.bias))),
          k(23)),
      b.create<arith::ShLIOp>(loc, man, k(23 - m)));
  // Subnormal: man * 2^(emin - m), exact in float32.
  Value subF = b.create<arith::MulFOp>(
      loc, b.create<arith::UIToFPOp>(loc, b.getF32Type(), man),
      f32(b, loc, std::ldexp(1.0, f.minExponent() - int(m))));
  Value sub = b.create<arith::BitcastOp>(loc, i32, subF);
  Value isSub = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, e, k(0));
  Value bits = b.create<arith::SelectOp>(loc, isSub, sub, normal);
  uint32_t allOnesExp = (1u << f.expBits) - 1;
  if (f.specials == num::FloatSpecials::IEEE) {
    Value top = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, e,
                                        k(allOnesExp));
    Value inf = b.create<arith::SelectOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, man, k(0)),
        k(0x7F800000u), k(0x7FC00000u));
    bits = b.create<arith::SelectOp>(loc, top, inf, bits);
  } else if (f.specials == num::FloatSpecials::NaNOnly) {
    Value nan = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, mag,
                                        k((1u << magBits) - 1));
    bits = b.create<arith::SelectOp>(loc, nan, k(0x7FC00000u), bits);
  }
  bits = b.create<arith::OrIOp>(loc, bits, sign);
  if (f.specials == num::FloatSpecials::NegZeroNaN) {
    // The negative-zero code is the NaN.
    Value nan = b.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq,
        b.create<arith::AndIOp>(loc, c, k((2u << magBits) - 1)),
        k(1u << magBits));
    bits = b.create<arith::SelectOp>(loc, nan, k(0x7FC00000u), bits);
  }
  return b.create<arith::BitcastOp>(loc, b.getF32Type(), bits);
}

/// table[code & mask] for an iN code.
Value lookup(OpBuilder &b, Location loc, Value table, Value code,
             unsigned bits) {
  Value i = code;
  Type i32 = b.getI32Type();
  if (code.getType() != i32)
    i = b.create<arith::ExtUIOp>(loc, i32, code);
  i = b.create<arith::AndIOp>(
      loc, i,
      b.create<arith::ConstantOp>(
          loc, b.getI32IntegerAttr(int32_t((1u << bits) - 1))));
  Value idx = b.create<arith::IndexCastUIOp>(loc, b.getIndexType(), i);
  return b.create<tensor::ExtractOp>(loc, table, ValueRange{idx});
}

Value i32c(OpBuilder &b, Location loc, uint32_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(int32_t(v)));
}

/// Float32Encoder::encode, op for op: the code (i32) of f32 x.
Value encodeMinifloat(OpBuilder &b, Location loc, Value x,
                      const num::Float32Encoder::Params &p) {
  Type i32 = b.getI32Type();
  Value bits = b.create<arith::BitcastOp>(loc, i32, x);
  Value sign = b.create<arith::ShRUIOp>(loc, bits, i32c(b, loc, 31));
  Value a = b.create<arith::AndIOp>(loc, bits, i32c(b, loc, 0x7FFFFFFFu));
  auto ucmp = [&](arith::CmpIPredicate pred, Value l, uint32_t r) {
    return b.create<arith::CmpIOp>(loc, pred, l, i32c(b, loc, r));
  };
  Value isNeg = ucmp(arith::CmpIPredicate::ne, sign, 0);
  auto perSign = [&](const uint32_t(&c)[2]) {
    return b.create<arith::SelectOp>(loc, isNeg, i32c(b, loc, c[1]),
                                     i32c(b, loc, c[0]));
  };
  // Normal range: round half to even at bit `shift`, rebias.
  Value odd = b.create<arith::AndIOp>(
      loc, b.create<arith::ShRUIOp>(loc, a, i32c(b, loc, p.shift)),
      i32c(b, loc, 1));
  Value rounded = b.create<arith::AddIOp>(
      loc, b.create<arith::AddIOp>(loc, a, i32c(b, loc, p.roundBias)), odd);
  Value normal = b.create<arith::SubIOp>(
      loc, b.create<arith::ShRUIOp>(loc, rounded, i32c(b, loc, p.shift)),
      i32c(b, loc, p.offset));
  // Subnormal range: |x| + magic rounds to the subnormal quantum.
  Value y = b.create<arith::AddFOp>(
      loc, b.create<math::AbsFOp>(loc, x),
      b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(p.magic)));
  Value sub = b.create<arith::SubIOp>(
      loc, b.create<arith::BitcastOp>(loc, i32, y), i32c(b, loc, p.magicBits));
  Value mag = b.create<arith::SelectOp>(
      loc, ucmp(arith::CmpIPredicate::uge, a, p.minNormalBits), normal, sub);
  Value code = b.create<arith::OrIOp>(
      loc, mag, b.create<arith::ShLIOp>(loc, sign, i32c(b, loc, p.signShift)));
  // FNUZ: a zero magnitude is +0 for either sign (its -0 code is the NaN).
  if (p.zeroCode[1] != (1u << p.signShift))
    code = b.create<arith::SelectOp>(
        loc, ucmp(arith::CmpIPredicate::eq, mag, 0), perSign(p.zeroCode), code);
  code = b.create<arith::SelectOp>(
      loc, ucmp(arith::CmpIPredicate::ugt, mag, p.maxMag),
      perSign(p.overflowCode), code);
  Value special = b.create<arith::SelectOp>(
      loc, ucmp(arith::CmpIPredicate::ugt, a, 0x7F800000u), perSign(p.nanCode),
      perSign(p.infCode));
  return b.create<arith::SelectOp>(
      loc, ucmp(arith::CmpIPredicate::uge, a, 0x7F800000u), special, code);
}

/// What the scalar bodies of quantize / dequantize / fake_quant need for
/// one quantized type: the element and scale decode tables and the element
/// encoder.
struct QuantScalars {
  num::Format format;
  bool hasZp = false, hasGlobal = false;
  Value elementTable, scaleTable; // minifloat elements / scale codes
  num::Float32Encoder::Params encoder{};
  unsigned scaleBits = 0;

  QuantScalars(OpBuilder &b, Location loc, QTensorType qt, bool zp, bool global)
      : format(qt.getNumericFormat()), hasZp(zp), hasGlobal(global) {
    if (format.kind() == num::Format::Kind::Float && format.bits() <= 8)
      elementTable = decodeTable(b, loc, format);
    if (format.kind() == num::Format::Kind::Float)
      encoder = num::Float32Encoder(format.floatFormat()).params();
    if (FloatFormatAttr sf = qt.getScheme().getScaleFormat()) {
      scaleTable =
          decodeTable(b, loc, num::Format::minifloat(sf.getFloatFormat()));
      scaleBits = sf.getFloatFormat().bits();
    }
  }

  /// Operand layout of the bodies: [elementwise..., scales, zp?, global?].
  Value scale(OpBuilder &b, Location loc, ValueRange a, size_t first) const {
    Value s = a[first];
    if (scaleTable) {
      // fl32(decode(code) * global), global 1 when absent.
      s = lookup(b, loc, scaleTable, s, scaleBits);
      if (hasGlobal)
        s = b.create<arith::MulFOp>(loc, s, a[first + 1 + (hasZp ? 1 : 0)]);
    }
    return s;
  }
  Value zeroPoint(ValueRange a, size_t first) const {
    return hasZp ? a[first + 1] : Value();
  }

  /// The code (i32) of x under scale s: integers as before, minifloats
  /// through the encoder of fl32(x / s).
  Value encode(OpBuilder &b, Location loc, Value x, Value s, Value zp) const {
    if (format.kind() == num::Format::Kind::Float)
      return encodeMinifloat(b, loc, b.create<arith::DivFOp>(loc, x, s),
                             encoder);
    Value v = b.create<arith::DivFOp>(loc, x, s);
    if (format.kind() == num::Format::Kind::Fixed) {
      // v * 2^frac is exact in f32 (or overflows, which saturates, or
      // wraps to 0 beyond 9.2e18, as in double).
      v = b.create<arith::MulFOp>(
          loc, v, f32(b, loc, std::ldexp(1.0, int(format.fracBits()))));
      zp = Value();
    }
    if (isWide(format) ||
        (format.kind() == num::Format::Kind::Fixed && !format.saturates())) {
      Value q = wideIntegerCode(b, loc, v, zp, format);
      Value mask = b.create<arith::ConstantOp>(
          loc, b.getI64IntegerAttr(int64_t(format.mask())));
      return b.create<arith::TruncIOp>(loc, b.getI32Type(),
                                       b.create<arith::AndIOp>(loc, q, mask));
    }
    Value q = roundSaturate(b, loc, v, zp, format);
    Value i = b.create<arith::FPToSIOp>(loc, b.getI32Type(), q);
    return b.create<arith::AndIOp>(loc, i, i32c(b, loc, format.mask()));
  }

  /// fl32(fl32(q - zp) * s) or fl32(decode(q) * s) for an iN / i32 code.
  Value decode(OpBuilder &b, Location loc, Value code, Value s,
               Value zp) const {
    if (format.kind() == num::Format::Kind::Float)
      return b.create<arith::MulFOp>(
          loc,
          format.bits() <= 8
              ? lookup(b, loc, elementTable, code, format.bits())
              : decodeMinifloatBits(b, loc, code, format.floatFormat()),
          s);
    if (format.kind() == num::Format::Kind::Fixed) {
      // code * 2^-frac: one rounding of the integer to f32, then an exact
      // power-of-two scaling (as ldexp in double, then float).
      Value i = isWide(format) ? wideCodeToI64(b, loc, code, format)
                               : codeToI32(b, loc, code, format);
      Value v = b.create<arith::SIToFPOp>(loc, b.getF32Type(), i);
      v = b.create<arith::MulFOp>(
          loc, v, f32(b, loc, std::ldexp(1.0, -int(format.fracBits()))));
      return b.create<arith::MulFOp>(loc, v, s);
    }
    if (isWide(format)) {
      // fl32(q - zp) from the exact 64-bit difference.
      Value q = wideCodeToI64(b, loc, code, format);
      if (zp)
        q = b.create<arith::SubIOp>(
            loc, q, b.create<arith::ExtSIOp>(loc, b.getI64Type(), zp));
      Value qf = b.create<arith::SIToFPOp>(loc, b.getF32Type(), q);
      return b.create<arith::MulFOp>(loc, qf, s);
    }
    return dequantizeScalar(b, loc, codeToI32(b, loc, code, format), s, zp);
  }
};

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<qc::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(qc::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getValue());
    return success();
  }
};

/// A generic over `resultType` (the shape of `input`) for one quantized type
/// `qt`: the body gets the element, its effective f32 scale (decoded scale
/// code times the global scale) and its zero point (null when symmetric).
Value quantGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType, QTensorType qt,
    Value input, Value scales, Value zp, Value global,
    llvm::function_ref<Value(OpBuilder &, Location, const QuantScalars &,
                             Value x, Value s, Value zp)>
        body) {
  QuantScalars q(b, loc, qt, bool(zp), bool(global));
  SmallVector<Value> grouped{scales}, scalar;
  if (zp)
    grouped.push_back(zp);
  if (global)
    scalar.push_back(global);
  return groupedGeneric(b, loc, resultType, qt.getScheme(), {input}, grouped,
                        scalar, [&](OpBuilder &nb, Location l, ValueRange a) {
                          return body(nb, l, q, a[0], q.scale(nb, l, a, 1),
                                      q.zeroPoint(a, 1));
                        });
}

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto qt = llvm::cast<QTensorType>(op.getInput().getType());
    rewriter.replaceOp(
        op, quantGeneric(rewriter, op.getLoc(),
                         llvm::cast<RankedTensorType>(op.getType()), qt,
                         adaptor.getInput(), adaptor.getScales(),
                         adaptor.getZeroPoints(), adaptor.getGlobalScale(),
                         [](OpBuilder &b, Location l, const QuantScalars &q,
                            Value code, Value s,
                            Value zp) { return q.decode(b, l, code, s, zp); }));
    return success();
  }
};

/// The codes (storage tensor) of f32 `x` quantized to `qt`.
Value quantizeToStorage(OpBuilder &builder, Location loc, QTensorType qt,
                        Value x, Value scales, Value zp, Value global) {
  RankedTensorType storage = cpuStorageType(qt);
  return quantGeneric(builder, loc, storage, qt, x, scales, zp, global,
                      [&](OpBuilder &b, Location l, const QuantScalars &q,
                          Value v, Value s, Value z) -> Value {
                        Value c = q.encode(b, l, v, s, z);
                        if (storage.getElementType() == b.getI32Type())
                          return c;
                        return b.create<arith::TruncIOp>(
                            l, storage.getElementType(), c);
                      });
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, quantizeToStorage(
                rewriter, op.getLoc(), llvm::cast<QTensorType>(op.getType()),
                adaptor.getInput(), adaptor.getScales(),
                adaptor.getZeroPoints(), adaptor.getGlobalScale()));
    return success();
  }
};

/// The codes are the storage bits (8-64-bit formats have no padding).
struct CodesLowering : OpConversionPattern<CodesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CodesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value in = adaptor.getInput();
    if (in.getType() != op.getType())
      in = rewriter.create<tensor::BitcastOp>(op.getLoc(), op.getType(), in);
    rewriter.replaceOp(op, in);
    return success();
  }
};

/// Codes two per byte (low nibble first along the last axis) to one code
/// per i8 container.
struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    Location loc = op.getLoc();
    RankedTensorType storage = cpuStorageType(op.getType());
    unsigned rank = unsigned(storage.getRank());
    SmallVector<AffineExpr> in;
    for (unsigned i = 0; i + 1 < rank; ++i)
      in.push_back(getAffineDimExpr(i, ctx));
    in.push_back(getAffineDimExpr(rank - 1, ctx).floorDiv(2));
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, in, ctx),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Value y = rewriter
                  .create<linalg::GenericOp>(
                      loc, storage, ValueRange{adaptor.getInput()},
                      ValueRange{empty(rewriter, loc, storage)}, maps,
                      SmallVector<utils::IteratorType>(
                          rank, utils::IteratorType::parallel),
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        Value code = nibbleOfColumn(
                            b, l, a[0], b.create<linalg::IndexOp>(l, rank - 1));
                        b.create<linalg::YieldOp>(l, code);
                      })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// quantize_out(dequantize_in(q)) in f32, as the two ops (one generic each;
/// elementwise fusion makes them one loop).
struct RequantizeLowering : OpConversionPattern<RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto in = llvm::cast<QTensorType>(op.getInput().getType());
    auto out = llvm::cast<QTensorType>(op.getType());
    auto f32Type = RankedTensorType::get(in.getShape(), rewriter.getF32Type());
    Value mid = quantGeneric(
        rewriter, loc, f32Type, in, adaptor.getInput(),
        adaptor.getInputScales(), adaptor.getInputZeroPoints(), Value(),
        [](OpBuilder &b, Location l, const QuantScalars &q, Value code, Value s,
           Value zp) { return q.decode(b, l, code, s, zp); });
    rewriter.replaceOp(op, quantizeToStorage(rewriter, loc, out, mid,
                                             adaptor.getOutputScales(),
                                             adaptor.getOutputZeroPoints(),
                                             Value()));
    return success();
  }
};

/// qc.rescale in 64-bit integer arithmetic, elementwise (bit-exact with
/// qc::rescaleValue).
struct RescaleLowering : OpConversionPattern<RescaleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RescaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<QTensorType>(op.getType());
    RankedTensorType storage = cpuStorageType(out);
    auto qin = llvm::dyn_cast<QTensorType>(op.getInput().getType());
    std::optional<num::Format> inFormat;
    if (qin)
      inFormat = qin.getNumericFormat();
    num::Format f = out.getNumericFormat();
    int64_t rank = out.getRank();
    // Per-axis multipliers and shifts as [1, .., C, .., 1] to broadcast.
    auto perAxis = [&](Value v) -> Value {
      std::optional<int64_t> axis = op.getAxis();
      if (!axis)
        return v;
      SmallVector<int64_t> shape(rank, 1);
      shape[*axis] = out.getShape()[*axis];
      return reshape(rewriter, loc, v, shape);
    };
    SmallVector<Value> ins{adaptor.getInput(), perAxis(adaptor.getMultiplier()),
                           perAxis(adaptor.getShift())};
    if (adaptor.getInputZeroPoint())
      ins.push_back(adaptor.getInputZeroPoint());
    if (adaptor.getOutputZeroPoint())
      ins.push_back(adaptor.getOutputZeroPoint());
    bool hasZin = bool(adaptor.getInputZeroPoint());
    bool hasZout = bool(adaptor.getOutputZeroPoint());
    Value y = elementwise(
        rewriter, loc, storage, ins,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Type i64 = b.getI64Type();
          auto c = [&](int64_t v) -> Value {
            return b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(v));
          };
          auto ext = [&](Value v) -> Value {
            return b.create<arith::ExtSIOp>(l, i64, v);
          };
          Value x = inFormat ? ext(codeToI32(b, l, a[0], *inFormat))
                             : (a[0].getType() == i64 ? a[0] : ext(a[0]));
          size_t next = 3;
          if (hasZin)
            x = b.create<arith::SubIOp>(l, x, ext(a[next++]));
          Value sh = b.create<arith::MinSIOp>(
              l, b.create<arith::MaxSIOp>(l, ext(a[2]), c(0)), c(62));
          Value v = b.create<arith::MulIOp>(l, x, ext(a[1]));
          Value half = b.create<arith::ShRUIOp>(
              l, b.create<arith::ShLIOp>(l, c(1), sh), c(1));
          Value r = b.create<arith::ShRSIOp>(
              l, b.create<arith::AddIOp>(l, v, half), sh);
          if (hasZout)
            r = b.create<arith::AddIOp>(l, r, ext(a[next]));
          r = b.create<arith::MinSIOp>(
              l, b.create<arith::MaxSIOp>(l, r, c(f.minInt())), c(f.maxInt()));
          r = b.create<arith::AndIOp>(l, r, c(int64_t(f.mask())));
          return b.create<arith::TruncIOp>(l, storage.getElementType(), r);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct FakeQuantLowering : OpConversionPattern<FakeQuantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FakeQuantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op,
        quantGeneric(
            rewriter, op.getLoc(), llvm::cast<RankedTensorType>(op.getType()),
            op.getQuantType(), adaptor.getInput(), adaptor.getScales(),
            adaptor.getZeroPoints(), adaptor.getGlobalScale(),
            [](OpBuilder &b, Location l, const QuantScalars &q, Value x,
               Value s, Value zp) -> Value {
              if (q.format.kind() == num::Format::Kind::Int &&
                  !isWide(q.format)) {
                // Stay in f32: q - zp is a small integer, exact.
                Value v = quantizeToIntF32(b, l, x, s, zp, q.format);
                if (zp)
                  v = b.create<arith::SubFOp>(
                      l, v, b.create<arith::SIToFPOp>(l, b.getF32Type(), zp));
                return b.create<arith::MulFOp>(l, v, s);
              }
              return q.decode(b, l, q.encode(b, l, x, s, zp), s, zp);
            }));
    return success();
  }
};

/// fl32(amax / divisor), 1 where amax is 0: the scale rule of
/// num::absmaxScales and of the NVFP4 global scale.
Value absmaxOver(OpBuilder &b, Location loc, RankedTensorType type, Value amax,
                 double divisor) {
  return elementwise(
      b, loc, type, {amax},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value isZero = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ,
                                                a[0], f32(nb, l, 0.0));
        Value q = nb.create<arith::DivFOp>(l, a[0], f32(nb, l, divisor));
        return nb.create<arith::SelectOp>(l, isZero, f32(nb, l, 1.0), q);
      });
}

/// The group-wise reduction of x to the scale shape of `scheme`.
Value reduceToScaleShape(OpBuilder &b, Location loc, Value x, SchemeAttr scheme,
                         RankedTensorType scaleType, ReduceKind kind) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  Value r;
  switch (scheme.getGranularity()) {
  case Granularity::per_tensor:
  case Granularity::per_axis: {
    SmallVector<int64_t> axes;
    for (int64_t i = 0; i < xt.getRank(); ++i)
      if (scheme.getGranularity() == Granularity::per_tensor ||
          i != scheme.getAxis())
        axes.push_back(i);
    r = reduceKeepDims(b, loc, x, axes, kind);
    break;
  }
  case Granularity::per_block: {
    // x viewed as [..., nb, B, ...], reduced over B.
    int64_t axis = scheme.getAxis(), block = scheme.getBlock();
    SmallVector<int64_t> shape(xt.getShape());
    shape[size_t(axis)] /= block;
    shape.insert(shape.begin() + axis + 1, block);
    r = reduceKeepDims(b, loc, reshape(b, loc, x, shape), {axis + 1}, kind);
    break;
  }
  }
  return reshape(b, loc, r, scaleType.getShape());
}

/// qc.compute_scales as qc::computeScales defines it:
/// - f32 symmetric: absmax / max(format), 1 for a group without finite
///   non-zero values;
/// - E8M0 (MX): clamp(floor(log2 absmax) - emax_elem, -127, 127) + 127 from
///   the exponent field of absmax, 0xFF for a block holding NaN or infinity;
/// - other minifloat scales (NVFP4): global = absmax(x) / (max(format) *
///   max(scale format)) (1 for all zero), code = encode_sat(fl32(absmax_b /
///   max(format)) / global).
struct ComputeScalesLowering : OpConversionPattern<ComputeScalesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ComputeScalesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    QTensorType qt = op.getQuantType();
    SchemeAttr scheme = qt.getScheme();
    num::Format fmt = qt.getNumericFormat();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    auto scaleType = llvm::cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getScales().getType()));
    auto f32Type =
        RankedTensorType::get(scaleType.getShape(), rewriter.getF32Type());
    // With a clip ratio c, the rule reads fl32(c * x), whose absmax is
    // fl32(c * absmax(x)) (rounding is monotone).
    float clip = float(op.getClipRatio());
    auto clipped = [&](Value m) {
      if (clip == 1.0f)
        return m;
      return elementwise(
          rewriter, loc, llvm::cast<RankedTensorType>(m.getType()), {m},
          [&](OpBuilder &b, Location l, ValueRange a) {
            return b.create<arith::MulFOp>(l, f32(b, l, clip), a[0])
                .getResult();
          });
    };
    Value amax = clipped(reduceToScaleShape(rewriter, loc, x, scheme, f32Type,
                                            ReduceKind::AbsMax));
    FloatFormatAttr sf = scheme.getScaleFormat();
    if (!sf) {
      double top = fmt.maxValue();
      Value s = absmaxOver(rewriter, loc, scaleType, amax, top);
      rewriter.replaceOp(op, s);
      return success();
    }
    Type codeElem = scaleType.getElementType();
    num::FloatFormat sff = sf.getFloatFormat();
    if (!sff.hasSign && !sff.hasZero) {
      // E8M0: a flag per block for NaN / infinity.
      Value nonFinite = elementwise(
          rewriter, loc, xt, {x},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value abs = b.create<math::AbsFOp>(l, a[0]);
            Value finite = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLE,
                                                   abs, f32(b, l, FLT_MAX));
            return b.create<arith::SelectOp>(l, finite, f32(b, l, 0.0),
                                             f32(b, l, 1.0));
          });
      Value flag = reduceToScaleShape(rewriter, loc, nonFinite, scheme, f32Type,
                                      ReduceKind::Max);
      int emax = num::emaxOf(fmt);
      Value codes = elementwise(
          rewriter, loc, scaleType, {amax, flag},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value bits = b.create<arith::BitcastOp>(l, b.getI32Type(), a[0]);
            Value e = b.create<arith::ShRUIOp>(l, bits, i32c(b, l, 23));
            // e - 127 - emax, clamped to [-127, 127], + 127.
            Value shared =
                b.create<arith::SubIOp>(l, e, i32c(b, l, uint32_t(127 + emax)));
            shared =
                b.create<arith::MaxSIOp>(l, shared, i32c(b, l, uint32_t(-127)));
            shared = b.create<arith::MinSIOp>(l, shared, i32c(b, l, 127));
            Value code = b.create<arith::AddIOp>(l, shared, i32c(b, l, 127));
            Value bad = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                a[1], f32(b, l, 0.0));
            code = b.create<arith::SelectOp>(l, bad, i32c(b, l, 0xFF), code);
            return b.create<arith::TruncIOp>(l, codeElem, code);
          });
      rewriter.replaceOp(op, {codes});
      return success();
    }
    // Two-level scales (NVFP4-style).
    num::FloatFormat satFormat = sff;
    satFormat.saturate = true;
    float emaxv = float(fmt.maxValue());
    float smax = float(num::decodeFloat(satFormat.maxFiniteCode(), satFormat));
    float denom = emaxv * smax;
    SmallVector<int64_t> all;
    for (int64_t i = 0; i < xt.getRank(); ++i)
      all.push_back(i);
    auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
    Value tmax = clipped(
        reshape(rewriter, loc,
                reduceKeepDims(rewriter, loc, x, all, ReduceKind::AbsMax), {}));
    Value global = absmaxOver(rewriter, loc, scalarType, tmax, denom);
    num::Float32Encoder::Params enc = num::Float32Encoder(satFormat).params();
    Value codes = elementwise(
        rewriter, loc, scaleType, {amax, global},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = b.create<arith::DivFOp>(
              l, b.create<arith::DivFOp>(l, a[0], f32(b, l, emaxv)), a[1]);
          Value code = encodeMinifloat(b, l, v, enc);
          return b.create<arith::TruncIOp>(l, codeElem, code);
        });
    rewriter.replaceOp(op, {codes, global});
    return success();
  }
};

/// The dense matrix R (n x n, row i = e_i R) of any rotation, in f32.
DenseElementsAttr denseRotation(RotationAttrInterface r, MLIRContext *ctx) {
  int64_t n = r.getOrder();
  std::vector<double> m(size_t(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    m[size_t(i * n + i)] = 1.0;
  r.applyToRows(m.data(), n, false);
  return DenseElementsAttr::get(
      RankedTensorType::get({n, n}, Float64Type::get(ctx)), ArrayRef(m));
}

/// y[.., j, ..] = sum_r x[.., r, ..] m[r, j] along `axis`, summed over r in
/// order. Loops: the dims before the axis, r, j, the dims after: the inner
/// loops run along contiguous rows of m and y, which LLVM vectorizes.
Value contractAlong(OpBuilder &b, Location loc, Value x, int64_t axis,
                    Value m) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  unsigned loops = unsigned(rank + 1);
  auto dim = [&](int64_t l) { return getAffineDimExpr(unsigned(l), ctx); };
  SmallVector<AffineExpr> xe, oe;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t l = d < axis ? d : d + 1;
    xe.push_back(d == axis ? dim(axis) : dim(l));
    oe.push_back(dim(l));
  }
  SmallVector<utils::IteratorType> its(loops, utils::IteratorType::parallel);
  its[size_t(axis)] = utils::IteratorType::reduction;
  return b
      .create<linalg::GenericOp>(
          loc, xt, ValueRange{x, m}, ValueRange{zeroFilled(b, loc, xt)},
          ArrayRef<AffineMap>{
              AffineMap::get(loops, 0, xe, ctx),
              AffineMap::get(loops, 0, {dim(axis), dim(axis + 1)}, ctx),
              AffineMap::get(loops, 0, oe, ctx)},
          its,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value prod = nb.create<arith::MulFOp>(nl, a[0], a[1]);
            nb.create<linalg::YieldOp>(
                nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], prod)});
          })
      .getResult(0);
}

/// x of shape S with S[axis] = n viewed as [..., k, p, ...] and the K x K
/// mix y[.., c, d, ..] = sum_a z[.., a, d, ..] HK[a][c] (HK^T: transposed).
Value mixHadamardBase(OpBuilder &b, Location loc, Value x, int64_t axis,
                      int64_t k, int64_t p, bool transposed) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(xt.getShape());
  shape[size_t(axis)] = k;
  shape.insert(shape.begin() + axis + 1, p);
  Value view = reshape(b, loc, x, shape);
  const std::vector<int8_t> &hk = num::hadamardBase(k);
  std::vector<double> h(size_t(k * k));
  for (int64_t a = 0; a < k; ++a)
    for (int64_t c = 0; c < k; ++c)
      h[size_t(a * k + c)] =
          double(transposed ? hk[size_t(c * k + a)] : hk[size_t(a * k + c)]);
  Value hc = b.create<arith::ConstantOp>(
      loc,
      DenseElementsAttr::get(
          RankedTensorType::get({k, k}, Float64Type::get(ctx)), ArrayRef(h)));
  Value y = contractAlong(b, loc, view, axis, hc);
  return reshape(b, loc, y, xt.getShape());
}

/// Multiplies every fibre along `axis` (length n) by the sign vector of
/// `seed` (element i negated when stochasticBits(seed, i) is odd).
Value flipSigns(OpBuilder &b, Location loc, Value x, int64_t axis, int64_t n,
                uint64_t seed) {
  if (!seed)
    return x;
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  std::vector<double> sign(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    sign[size_t(i)] = (num::stochasticBits(seed, uint64_t(i)) & 1) ? -1.0 : 1.0;
  SmallVector<int64_t> shape{n};
  for (int64_t i = axis + 1; i < xt.getRank(); ++i)
    shape.push_back(1);
  Value sc = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get(shape, b.getF64Type()),
                                  ArrayRef(sign)));
  return elementwise(b, loc, xt, {x, sc},
                     [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       return nb.create<arith::MulFOp>(nl, a[0], a[1]);
                     });
}

/// The randomized Hadamard of order n = K 2^m along `axis`, as
/// HadamardAttr::applyToRows: signs, the m butterfly stages (one generic
/// each), the K x K mix, then 1/sqrt(n); `transposed` uses H_K^T and flips
/// the signs last (the inverse rotation).
Value hadamard(OpBuilder &b, Location loc, Value x, int64_t axis, int64_t n,
               uint64_t seed, bool transposed) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  auto [k, m] = *num::factorHadamardOrder(n);
  int64_t p = int64_t(1) << m;
  if (!transposed)
    x = flipSigns(b, loc, x, axis, n, seed);
  MLIRContext *ctx = b.getContext();
  for (int64_t h = 1; h < p; h <<= 1) {
    // The axis viewed as [n / 2h, 2, h]: element (g, 0, j) pairs with
    // (g, 1, j); y(g, 0, j) = x0 + x1, y(g, 1, j) = x0 - x1.
    SmallVector<int64_t> shape(xt.getShape());
    shape[size_t(axis)] = n / (2 * h);
    shape.insert(shape.begin() + axis + 1, {2, h});
    Value view = reshape(b, loc, x, shape);
    auto vt = llvm::cast<RankedTensorType>(view.getType());
    int64_t rank = vt.getRank();
    SmallVector<AffineExpr> lo, hi, id;
    for (int64_t d = 0; d < rank; ++d) {
      AffineExpr e = getAffineDimExpr(unsigned(d), ctx);
      id.push_back(e);
      lo.push_back(d == axis + 1 ? getAffineConstantExpr(0, ctx) : e);
      hi.push_back(d == axis + 1 ? getAffineConstantExpr(1, ctx) : e);
    }
    SmallVector<utils::IteratorType> its(size_t(rank),
                                         utils::IteratorType::parallel);
    Value y =
        b.create<linalg::GenericOp>(
             loc, vt, ValueRange{view, view}, ValueRange{empty(b, loc, vt)},
             ArrayRef<AffineMap>{AffineMap::get(unsigned(rank), 0, lo, ctx),
                                 AffineMap::get(unsigned(rank), 0, hi, ctx),
                                 AffineMap::get(unsigned(rank), 0, id, ctx)},
             its,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value s = nb.create<linalg::IndexOp>(nl, uint64_t(axis + 1));
               Value isLow = nb.create<arith::CmpIOp>(
                   nl, arith::CmpIPredicate::eq, s,
                   nb.create<arith::ConstantIndexOp>(nl, 0));
               Value sum = nb.create<arith::AddFOp>(nl, a[0], a[1]);
               Value diff = nb.create<arith::SubFOp>(nl, a[0], a[1]);
               nb.create<linalg::YieldOp>(
                   nl, ValueRange{
                           nb.create<arith::SelectOp>(nl, isLow, sum, diff)});
             })
            .getResult(0);
    x = reshape(b, loc, y, xt.getShape());
  }
  if (k > 1)
    x = mixHadamardBase(b, loc, x, axis, k, p, transposed);
  x = scaleBy(b, loc, x, 1.0 / std::sqrt(double(n)));
  if (transposed)
    x = flipSigns(b, loc, x, axis, n, seed);
  return x;
}

/// y = x R along `axis` with the dense matrix of the rotation.
Value denseRotate(OpBuilder &b, Location loc, Value x, int64_t axis,
                  RotationAttrInterface rot) {
  Value rc =
      b.create<arith::ConstantOp>(loc, denseRotation(rot, b.getContext()));
  return contractAlong(b, loc, x, axis, rc);
}

Value rotate(OpBuilder &b, Location loc, Value x, int64_t axis,
             Attribute rotation) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  bool transposed = false;
  Attribute inner = rotation;
  if (auto t = llvm::dyn_cast<TransposeAttr>(rotation)) {
    transposed = true;
    inner = t.getRotation();
  }
  if (auto seq = llvm::dyn_cast<RotationSeqAttr>(inner); seq && !transposed) {
    for (Attribute r : seq.getRotations())
      x = rotate(b, loc, x, axis, r);
    return x;
  }
  if (auto h = llvm::dyn_cast<HadamardAttr>(inner))
    return hadamard(b, loc, x, axis, h.getSize(), h.getSeed(), transposed);
  if (auto bh = llvm::dyn_cast<BlockHadamardAttr>(inner)) {
    // Contiguous blocks along the axis: view it as [n / block, block].
    SmallVector<int64_t> shape(xt.getShape());
    shape[size_t(axis)] = bh.getSize() / bh.getBlock();
    shape.insert(shape.begin() + axis + 1, bh.getBlock());
    Value view = reshape(b, loc, x, shape);
    view = hadamard(b, loc, view, axis + 1, bh.getBlock(), bh.getSeed(),
                    transposed);
    return reshape(b, loc, view, xt.getShape());
  }
  return denseRotate(b, loc, x, axis,
                     llvm::cast<RotationAttrInterface>(rotation));
}

/// Rotations run in f64 and round to f32 once, as RotationAttrInterface's
/// applyToRows (the interpreter): bit-exact with it.
struct RotateLowering : OpConversionPattern<RotateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RotateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto t = llvm::cast<RankedTensorType>(op.getType());
    Type f64 = rewriter.getF64Type();
    Value wide =
        elementwise(rewriter, loc, RankedTensorType::get(t.getShape(), f64),
                    {adaptor.getInput()},
                    [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                      return b.create<arith::ExtFOp>(l, f64, a[0]);
                    });
    Value y = rotate(rewriter, loc, wide, op.getAxis(), op.getRotation());
    y = elementwise(rewriter, loc, t, {y},
                    [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                      return b.create<arith::TruncFOp>(l, t.getElementType(),
                                                       a[0]);
                    });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The constant behind `v` (through the casts that keep constant codes
/// opaque), if any.
DenseIntElementsAttr constantCodes(Value v) {
  while (auto c = v.getDefiningOp<UnrealizedConversionCastOp>())
    v = c.getInputs()[0];
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return {};
  return attr;
}

/// qc.linear: the packed VNNI kernel where it applies, else a contraction
/// over the codes in the accumulator's wrapping arithmetic.
struct LinearLowering : OpConversionPattern<LinearOp> {
  LinearLowering(const TypeConverter &converter, MLIRContext *ctx,
                 const x86::Int8Kernel *kernel)
      : OpConversionPattern(converter, ctx), kernel(kernel) {}

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    num::Format xf = op.getInput().getType().getNumericFormat();
    num::Format wf = op.getWeight().getType().getNumericFormat();
    auto rt = llvm::cast<RankedTensorType>(op.getType());
    int64_t n = op.getWeight().getType().getShape()[0];
    int64_t k = op.getWeight().getType().getShape()[1];
    Value x0 = adaptor.getInput();
    int64_t m = cast<RankedTensorType>(x0.getType()).getNumElements() / k;
    Value x = reshape(rewriter, loc, x0, {m, k});
    DenseIntElementsAttr w = constantCodes(adaptor.getWeight());
    Value y;
    if (kernel && w && xf.bits() == 8 && wf.isSigned() && wf.bits() <= 8 &&
        rt.getElementType().isInteger(32))
      y = x86::buildPackedInt8Linear(rewriter, loc, *kernel, x, xf.isSigned(),
                                     w, wf, adaptor.getBias(),
                                     adaptor.getInputZeroPoint());
    else
      y = contraction(rewriter, loc, x, adaptor.getWeight(), xf, wf,
                      adaptor.getBias(), adaptor.getInputZeroPoint(),
                      RankedTensorType::get({m, n}, rt.getElementType()));
    rewriter.replaceOp(op, reshape(rewriter, loc, y, rt.getShape()));
    return success();
  }

  /// acc[m, n] = bias[n] + sum_k (x[m, k] - zx) * w[n, k], wrapping: in i32
  /// for accumulators of at most 32 bits (the products and sums are then
  /// exact modulo 2^32), in i64 otherwise, truncated to the accumulator.
  static Value contraction(OpBuilder &b, Location loc, Value x, Value w,
                           const num::Format &xf, const num::Format &wf,
                           Value bias, Value zx, RankedTensorType type) {
    MLIRContext *ctx = b.getContext();
    Type acc = type.getElementType();
    Type wide =
        acc.getIntOrFloatBitWidth() <= 32 ? b.getI32Type() : b.getI64Type();
    Value init = bias ? elementwise(b, loc, type, {bias},
                                    [](OpBuilder &, Location, ValueRange a) {
                                      return a[0];
                                    })
                      : zeroFilled(b, loc, type);
    AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
               dk = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps{AffineMap::get(3, 0, {dm, dk}, ctx),
                                AffineMap::get(3, 0, {dn, dk}, ctx)};
    SmallVector<Value> ins{x, w};
    if (zx) {
      maps.push_back(AffineMap::get(3, 0, {}, ctx));
      ins.push_back(zx);
    }
    maps.push_back(AffineMap::get(3, 0, {dm, dn}, ctx));
    SmallVector<utils::IteratorType> its{utils::IteratorType::parallel,
                                         utils::IteratorType::parallel,
                                         utils::IteratorType::reduction};
    return b
        .create<linalg::GenericOp>(
            loc, type, ins, ValueRange{init}, maps, its,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value xi = codeToI32(nb, nl, a[0], xf);
              if (zx)
                xi = nb.create<arith::SubIOp>(nl, xi, a[2]);
              Value wi = codeToI32(nb, nl, a[1], wf);
              if (wide != nb.getI32Type()) {
                xi = nb.create<arith::ExtSIOp>(nl, wide, xi);
                wi = nb.create<arith::ExtSIOp>(nl, wide, wi);
              }
              Value p = nb.create<arith::MulIOp>(nl, xi, wi);
              if (p.getType() != acc)
                p = nb.create<arith::TruncIOp>(nl, acc, p);
              nb.create<linalg::YieldOp>(
                  nl, ValueRange{nb.create<arith::AddIOp>(nl, a.back(), p)});
            })
        .getResult(0);
  }

  const x86::Int8Kernel *kernel; // null: the generic contraction
};

/// qc.conv: with 8-bit activations, constant signed weights of at most 8
/// bits, one group and an i32 accumulator, the im2col rows of the codes
/// (padded positions holding the zero point's code) through the packed int8
/// GEMM of qc.linear, put back in NCHW. Otherwise both operands' codes as
/// integers (the input minus its zero point, so that the zero padding of
/// nn.conv's loop nest is padding with the zero point), the convolution in
/// i32 (accumulators of at most 32 bits: products and sums exact modulo
/// 2^32) or i64, then the bias and the truncation to the accumulator.
struct ConvLowering : OpConversionPattern<qc::ConvOp> {
  ConvLowering(const TypeConverter &converter, MLIRContext *ctx,
               const x86::Int8Kernel *kernel)
      : OpConversionPattern(converter, ctx), kernel(kernel) {}

  /// The packed-kernel form, or null where it does not apply.
  Value packedConv(OpBuilder &b, Location loc, qc::ConvOp op,
                   OpAdaptor adaptor) const {
    num::Format xf = op.getInput().getType().getNumericFormat();
    num::Format wf = op.getWeight().getType().getNumericFormat();
    auto rt = llvm::cast<RankedTensorType>(op.getType());
    DenseIntElementsAttr w = constantCodes(adaptor.getWeight());
    if (!kernel || !w || xf.bits() != 8 || !wf.isSigned() || wf.bits() > 8 ||
        op.getGroup() != 1 || !rt.getElementType().isInteger(32))
      return Value();
    auto xt = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    auto wt = op.getWeight().getType();
    int64_t batch = xt.getDimSize(0), c = xt.getDimSize(1),
            h = xt.getDimSize(2), wd = xt.getDimSize(3);
    int64_t m = wt.getShape()[0], kh = wt.getShape()[2], kw = wt.getShape()[3];
    int64_t oh = rt.getDimSize(2), ow = rt.getDimSize(3);
    int64_t rows = batch * oh * ow, k = c * kh * kw;
    ArrayRef<int64_t> st = op.getStrides(), pad = op.getPads(),
                      dil = op.getDilations();
    Type i8 = xt.getElementType();
    // The code a padded position holds: the zero point's (0 without one).
    Value zx = adaptor.getInputZeroPoint();
    Value padCode;
    if (zx)
      padCode = b.create<arith::TruncIOp>(
          loc, i8, b.create<tensor::ExtractOp>(loc, zx, ValueRange{}));
    else
      padCode = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i8, 0));
    Value x = adaptor.getInput();
    auto idx = [&](OpBuilder &nb, Location l, int64_t v) -> Value {
      return nb.create<arith::ConstantIndexOp>(l, v);
    };
    Value cols = indexedGeneric(
        b, loc, RankedTensorType::get({rows, k}, i8),
        [&](OpBuilder &nb, Location l, ValueRange ij) -> Value {
          auto div = [&](Value a, int64_t d) {
            return nb.create<arith::DivUIOp>(l, a, idx(nb, l, d)).getResult();
          };
          auto rem = [&](Value a, int64_t d) {
            return nb.create<arith::RemUIOp>(l, a, idx(nb, l, d)).getResult();
          };
          auto mulAdd = [&](Value a, int64_t s, Value o, int64_t d) {
            // a * s + o * d
            Value as = nb.create<arith::MulIOp>(l, a, idx(nb, l, s));
            Value od = nb.create<arith::MulIOp>(l, o, idx(nb, l, d));
            return nb.create<arith::AddIOp>(l, as, od).getResult();
          };
          Value p = ij[0], q = ij[1];
          Value n = div(p, oh * ow), oy = rem(div(p, ow), oh), ox = rem(p, ow);
          Value ci = div(q, kh * kw), u = rem(div(q, kw), kh), v = rem(q, kw);
          // Positions before the padding are negative: compare in signed
          // index arithmetic, y = oy * s0 + u * d0 - pad0.
          Value yy = nb.create<arith::SubIOp>(l, mulAdd(oy, st[0], u, dil[0]),
                                              idx(nb, l, pad[0]));
          Value xx = nb.create<arith::SubIOp>(l, mulAdd(ox, st[1], v, dil[1]),
                                              idx(nb, l, pad[1]));
          auto inside = [&](Value a, int64_t hi) {
            Value ge = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, a,
                                                idx(nb, l, 0));
            Value lt = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, a,
                                                idx(nb, l, hi));
            return nb.create<arith::AndIOp>(l, ge, lt).getResult();
          };
          Value in = nb.create<arith::AndIOp>(l, inside(yy, h), inside(xx, wd));
          // Clamped indices keep the extract in bounds; the select drops it.
          auto clamp = [&](Value a, int64_t hi) {
            Value lo = nb.create<arith::MaxSIOp>(l, a, idx(nb, l, 0));
            return nb.create<arith::MinSIOp>(l, lo, idx(nb, l, hi - 1))
                .getResult();
          };
          Value e = nb.create<tensor::ExtractOp>(
              l, x, ValueRange{n, ci, clamp(yy, h), clamp(xx, wd)});
          return nb.create<arith::SelectOp>(l, in, e, padCode);
        });
    DenseIntElementsAttr w2 = llvm::cast<DenseIntElementsAttr>(
        w.reshape(RankedTensorType::get({m, k}, w.getElementType())));
    Value y = x86::buildPackedInt8Linear(b, loc, *kernel, cols, xf.isSigned(),
                                         w2, wf, adaptor.getBias(), zx);
    // [N * oH * oW, M] -> [N, M, oH, oW].
    MLIRContext *ctx = b.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineMap in =
        AffineMap::get(4, 0, {d(0) * (oh * ow) + d(2) * ow + d(3), d(1)}, ctx);
    return b
        .create<linalg::GenericOp>(
            loc, rt, ValueRange{y}, ValueRange{empty(b, loc, rt)},
            SmallVector<AffineMap>{in,
                                   AffineMap::getMultiDimIdentityMap(4, ctx)},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [](OpBuilder &nb, Location l, ValueRange a) {
              nb.create<linalg::YieldOp>(l, a[0]);
            })
        .getResult(0);
  }

  LogicalResult
  matchAndRewrite(qc::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    num::Format xf = op.getInput().getType().getNumericFormat();
    num::Format wf = op.getWeight().getType().getNumericFormat();
    if (xf.bits() > 16 || wf.bits() > 16)
      return rewriter.notifyMatchFailure(op, "codes over 16 bits");
    if (Value packed = packedConv(rewriter, loc, op, adaptor)) {
      rewriter.replaceOp(op, packed);
      return success();
    }
    auto rt = llvm::cast<RankedTensorType>(op.getType());
    Type acc = rt.getElementType();
    Type wide = acc.getIntOrFloatBitWidth() <= 32 ? rewriter.getI32Type()
                                                  : rewriter.getI64Type();
    auto widen = [&](Value v, const num::Format &f, Value zp) {
      auto t = llvm::cast<RankedTensorType>(v.getType());
      SmallVector<Value> ins{v};
      if (zp)
        ins.push_back(zp);
      return elementwise(rewriter, loc, t.clone(wide), ins,
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value i = codeToI32(b, l, a[0], f);
                           if (a.size() > 1)
                             i = b.create<arith::SubIOp>(l, i, a[1]);
                           if (i.getType() != wide)
                             i = b.create<arith::ExtSIOp>(l, wide, i);
                           return i;
                         });
    };
    Value x = widen(adaptor.getInput(), xf, adaptor.getInputZeroPoint());
    Value w = widen(adaptor.getWeight(), wf, Value());
    Value y = convolution(rewriter, loc, x, w, op.getPads(), op.getStrides(),
                          op.getDilations(), op.getGroup(), rt.clone(wide));
    Value bias = adaptor.getBias();
    if (bias || wide != acc) {
      SmallVector<Value> ins{y};
      if (bias)
        ins.push_back(
            reshape(rewriter, loc, bias, {1, rt.getDimSize(1), 1, 1}));
      y = elementwise(rewriter, loc, rt, ins,
                      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                        Value v = a[0];
                        if (wide != acc)
                          v = b.create<arith::TruncIOp>(l, acc, v);
                        if (a.size() > 1)
                          v = b.create<arith::AddIOp>(l, v, a[1]);
                        return v;
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }

  const x86::Int8Kernel *kernel; // null: the generic loops
};

/// Why the int8 kernels cannot run `op` ("" if they can): they need 8-bit
/// activations, constant signed weights of at most 8 bits and a 32-bit
/// accumulator.
template <typename OpTy> std::string noInt8Kernel(OpTy op) {
  if constexpr (std::is_same_v<OpTy, qc::ConvOp>)
    if (op.getGroup() != 1)
      return "the convolution has more than one group";
  if (op.getInput().getType().getNumericFormat().bits() != 8)
    return "the activations are not 8-bit";
  num::Format wf = op.getWeight().getType().getNumericFormat();
  if (!wf.isSigned() || wf.bits() > 8)
    return "the weights are not signed integers of at most 8 bits";
  if (!op.getWeight().template getDefiningOp<qc::ConstantOp>())
    return "the weights are not a qc.constant (they are packed at compile "
           "time)";
  if (!op.getType().getElementType().isInteger(32))
    return "the accumulator is not i32";
  return "";
}

struct ConvertQCToLinalgPass
    : qc::impl::ConvertQCToLinalgBase<ConvertQCToLinalgPass> {
  using ConvertQCToLinalgBase::ConvertQCToLinalgBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkQCLowerable(module)))
      return signalPassFailure();
    auto named = x86::int8KernelNamed(int8Kernel, targetCPU);
    if (failed(named)) {
      module.emitError("qc-convert-qc-to-linalg: unknown int8-kernel '")
          << int8Kernel << "' (expected auto, vnni512, avx2 or generic)";
      return signalPassFailure();
    }
    const x86::Int8Kernel *kernel = *named;
    // An explicit kernel is a promise: a qc.linear it cannot run is an
    // error, not a quiet generic fallback.
    if (int8Kernel == "vnni512" || int8Kernel == "avx2") {
      auto check = [&](auto op) {
        std::string why = noInt8Kernel(op);
        if (why.empty())
          return WalkResult::advance();
        op.emitError("qc-convert-qc-to-linalg: int8-kernel=")
            << int8Kernel << " has no kernel for this " << op->getName()
            << " with input " << op.getInput().getType() << ", weight "
            << op.getWeight().getType() << " and accumulator "
            << op.getType().getElementType() << ": " << why;
        return WalkResult::interrupt();
      };
      WalkResult r = module.walk([&](Operation *op) {
        if (auto l = llvm::dyn_cast<LinearOp>(op))
          return check(l);
        if (auto c = llvm::dyn_cast<qc::ConvOp>(op))
          return check(c);
        return WalkResult::advance();
      });
      if (r.wasInterrupted())
        return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    // Constant codes become storage constants first, behind a cast: the
    // conversion would otherwise fold qc.dequantize of a constant into f32
    // weights at compile time, and the compiled code must keep the codes
    // (4-32x smaller) and dequantize them inside the loops that use them.
    module.walk([&](qc::ConstantOp c) {
      OpBuilder b(c);
      RankedTensorType container =
          cpuStorageType(llvm::cast<QTensorType>(c.getType()));
      auto value = llvm::cast<DenseIntElementsAttr>(c.getValue());
      unsigned width = container.getElementTypeBitWidth();
      Attribute codesAttr =
          value.getType() == container
              ? Attribute(value)
              : Attribute(value.mapValues(
                    container.getElementType(),
                    [&](const APInt &v) { return v.zext(width); }));
      Value codes =
          b.create<arith::ConstantOp>(c.getLoc(), cast<TypedAttr>(codesAttr));
      Value q =
          b.create<UnrealizedConversionCastOp>(c.getLoc(), c.getType(), codes)
              .getResult(0);
      c.replaceAllUsesWith(q);
      c.erase();
    });
    TypeConverter converter;
    converter.addConversion([](Type t) { return t; });
    converter.addConversion(
        [](QTensorType t) -> Type { return cpuStorageType(t); });
    ConversionTarget target(*ctx);
    target.addIllegalDialect<QCDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    // Quantized tensors at function boundaries become their storage
    // tensors (the codes).
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    RewritePatternSet patterns(ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    patterns.add<ConstantLowering, DequantizeLowering, QuantizeLowering,
                 FakeQuantLowering, ComputeScalesLowering, RotateLowering>(
        converter, ctx);
    patterns.add<RequantizeLowering, RescaleLowering, UnpackLowering,
                 CodesLowering>(converter, ctx);
    patterns.add<LinearLowering>(converter, ctx, kernel);
    patterns.add<ConvLowering>(converter, ctx, kernel);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

RankedTensorType qc::cpuStorageType(QTensorType qt) {
  RankedTensorType storage = qt.getStorageType();
  unsigned bits = storage.getElementTypeBitWidth();
  unsigned container = bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 32 ? 32 : 64;
  if (container == bits)
    return storage;
  return RankedTensorType::get(storage.getShape(),
                               IntegerType::get(qt.getContext(), container));
}

LogicalResult qc::checkQCLowerable(Operation *root) {
  bool ok = true;
  auto reject = [&](Operation *op, const Twine &why) {
    op->emitError("qc-lower-to-cpu: ") << op->getName() << ": " << why;
    ok = false;
  };
  root->walk([&](Operation *op) {
    if (auto f = llvm::dyn_cast<func::FuncOp>(op)) {
      // Quantized arguments and results pass their codes.
      SmallVector<Type> types(f.getArgumentTypes());
      llvm::append_range(types, f.getResultTypes());
      for (Type t : types)
        if (auto qt = llvm::dyn_cast<QTensorType>(t)) {
          std::string why;
          if (!lowerableQType(qt, why))
            reject(op, Twine("boundary type with format ") +
                           qt.getNumericFormat().name() + ": " + why);
        }
      return;
    }
    if (!llvm::isa<QCDialect>(op->getDialect()))
      return;
    if (auto r = llvm::dyn_cast<RequantizeOp>(op)) {
      if (r.getRounding() != RoundingMode::nearest_even)
        return reject(op, "only nearest-even rounding has a CPU lowering");
      for (auto t : {llvm::cast<QTensorType>(r.getInput().getType()),
                     llvm::cast<QTensorType>(r.getType())}) {
        std::string why;
        if (!lowerableQType(t, why))
          return reject(op, Twine("format ") + t.getNumericFormat().name() +
                                ": " + why);
      }
      return;
    }
    // qc.rescale: integer formats (at most 32 bits) on both sides, all
    // lowered.
    if (llvm::isa<RescaleOp>(op))
      return;
    if (llvm::isa<LinearOp, qc::ConvOp>(op)) {
      for (Value v : {op->getOperand(0), op->getOperand(1)})
        if (QTensorType t = llvm::cast<QTensorType>(v.getType());
            t.getNumericFormat().bits() > 16)
          return reject(op, Twine("format ") + t.getNumericFormat().name() +
                                ": integer formats wider than 16 bits have "
                                "no CPU lowering yet");
      return;
    }
    QTensorType qt;
    if (auto q = llvm::dyn_cast<QuantizeOp>(op)) {
      qt = llvm::cast<QTensorType>(q.getType());
      if (q.getRounding() != RoundingMode::nearest_even)
        return reject(op, "only nearest-even rounding has a CPU lowering");
    } else if (auto d = llvm::dyn_cast<DequantizeOp>(op)) {
      qt = llvm::cast<QTensorType>(d.getInput().getType());
    } else if (auto fq = llvm::dyn_cast<FakeQuantOp>(op)) {
      qt = fq.getQuantType();
      if (fq.getRounding() != RoundingMode::nearest_even)
        return reject(op, "only nearest-even rounding has a CPU lowering");
    } else if (auto cs = llvm::dyn_cast<ComputeScalesOp>(op)) {
      qt = cs.getQuantType();
      if (qt.getScheme().getAsymmetric())
        return reject(op, "asymmetric dynamic scales have no CPU lowering "
                          "yet");
      if (FloatFormatAttr sf = qt.getScheme().getScaleFormat()) {
        num::FloatFormat sff = sf.getFloatFormat();
        sff.saturate = true;
        bool e8m0 = !sff.hasSign && !sff.hasZero;
        if (!e8m0 && !num::Float32Encoder(sff).valid())
          return reject(op, "scale format has no CPU encoder");
      }
    } else if (auto u = llvm::dyn_cast<UnpackOp>(op)) {
      qt = u.getType();
    } else if (auto c = llvm::dyn_cast<qc::ConstantOp>(op)) {
      qt = llvm::cast<QTensorType>(c.getType());
    } else if (auto r = llvm::dyn_cast<RotateOp>(op)) {
      auto t = llvm::cast<RankedTensorType>(r.getType());
      if (!t.hasStaticShape() || !t.getElementType().isF32())
        reject(op, "needs a static f32 tensor");
      return;
    }
    if (!qt)
      return;
    std::string why;
    if (!lowerableQType(qt, why))
      reject(op, Twine("format ") + qt.getNumericFormat().name() + ": " + why);
  });
  return success(ok);
}

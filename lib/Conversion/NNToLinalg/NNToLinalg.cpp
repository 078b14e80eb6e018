//===- NNToLinalg.cpp - Lower nn ops to linalg on tensors -----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// One conversion pattern per op family. Shapes are static (checked first by
// checkNNLowerable), so every tensor.empty and slice is static; broadcasting
// is expressed in indexing maps. The shared builders (elementwise generics,
// keepdims reductions, reshapes) live in LinalgBuilders.h so that the qc
// lowering uses the same ones.
//
//===----------------------------------------------------------------------===//

#include "../LinalgBuilders.h"
#include "../X86/Int8Kernels.h"
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

namespace qc {
#define GEN_PASS_DEF_CONVERTNNTOLINALG
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::nn;
using namespace qc::linalg_builders;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Value floatConst(OpBuilder &b, Location loc, Type t, double v) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(t, v));
}

Value intConst(OpBuilder &b, Location loc, Type t, int64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, v));
}

/// Whether operand `i` (result `i`) of `op` was an unsigned integer, as
/// --qc-nn-signless recorded it.
bool unsignedAt(Operation *op, StringRef attr, unsigned i) {
  auto flags = op->getAttrOfType<DenseBoolArrayAttr>(attr);
  return flags && i < flags.size() && flags[i];
}
bool unsignedOperand(Operation *op, unsigned i) {
  return unsignedAt(op, qc::kUnsignedOperandsAttr, i);
}
bool unsignedResult(Operation *op) {
  return unsignedAt(op, qc::kUnsignedResultsAttr, 0);
}

/// select(x < 0, 0, x): ReLU that maps NaN to 0, as the interpreter.
Value relu(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  if (llvm::isa<FloatType>(t)) {
    Value zero = floatConst(b, loc, t, 0.0);
    Value pos =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
    return b.create<arith::SelectOp>(loc, pos, x, zero);
  }
  Value zero = intConst(b, loc, t, 0);
  Value pos = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, zero);
  return b.create<arith::SelectOp>(loc, pos, x, zero);
}

/// Float -> integer of `width` bits: truncate toward zero, saturate, NaN -> 0
/// (the interpreter's rule; arith.fptosi alone is poison out of range).
/// Unsigned targets saturate to [0, 2^w - 1].
Value floatToInt(OpBuilder &b, Location loc, Value x, IntegerType to,
                 bool isUnsigned) {
  unsigned w = to.getWidth();
  Type ft = x.getType();
  Value t = b.create<math::TruncOp>(loc, x);
  if (w == 1) {
    Value zero = floatConst(b, loc, ft, 0.0);
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero);
  }
  double hi = std::ldexp(1.0, isUnsigned ? int(w) : int(w) - 1);
  // hi - 1 may not be representable in f32 (w > 24): compare against hi and
  // select the integer bound instead of clamping in float.
  Value lo = floatConst(b, loc, ft, isUnsigned ? -1.0 : -hi),
        top = floatConst(b, loc, ft, hi);
  Value isNan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  Value below = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLE, t, lo);
  Value above = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, t, top);
  Value safe = b.create<arith::SelectOp>(
      loc,
      b.create<arith::OrIOp>(loc, isNan,
                             b.create<arith::OrIOp>(loc, below, above)),
      floatConst(b, loc, ft, 0.0), t);
  Value i = isUnsigned ? b.create<arith::FPToUIOp>(loc, to, safe).getResult()
                       : b.create<arith::FPToSIOp>(loc, to, safe).getResult();
  APInt maxV = isUnsigned ? APInt::getMaxValue(w) : APInt::getSignedMaxValue(w);
  APInt minV = isUnsigned ? APInt::getZero(w) : APInt::getSignedMinValue(w);
  Value maxC = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(to, maxV));
  Value minC = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(to, minV));
  i = b.create<arith::SelectOp>(loc, above, maxC, i);
  i = b.create<arith::SelectOp>(loc, below, minC, i);
  return b.create<arith::SelectOp>(loc, isNan, intConst(b, loc, to, 0), i);
}

/// f64 -> f32 rounded to odd: truncated toward zero, then the last bit set
/// when the result is inexact. A second rounding to a format with at most
/// 22 significant bits (f16, bf16) then equals one rounding of the f64.
Value truncToOddF32(OpBuilder &b, Location loc, Value x) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Value r = b.create<arith::TruncFOp>(loc, f32, x); // nearest even
  Value back = b.create<arith::ExtFOp>(loc, x.getType(), r);
  // Inexact when r != x (NaN compares unordered: keep r, a NaN).
  Value inexact =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, back, x);
  // |r| rounded away from |x| when |back| > |x|: step the bits toward zero
  // (r is then never zero; infinity steps to the largest finite value).
  Value away = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT,
                                       b.create<math::AbsFOp>(loc, back),
                                       b.create<math::AbsFOp>(loc, x));
  Value bits = b.create<arith::BitcastOp>(loc, i32, r);
  Value down = b.create<arith::SubIOp>(loc, bits, intConst(b, loc, i32, 1));
  Value toward = b.create<arith::SelectOp>(loc, away, down, bits);
  Value odd = b.create<arith::OrIOp>(loc, toward, intConst(b, loc, i32, 1));
  Value res = b.create<arith::SelectOp>(loc, inexact, odd, bits);
  return b.create<arith::BitcastOp>(loc, f32, res);
}

/// Converts a scalar to `to`; integers are unsigned where the flags say so
/// (bool is always unsigned 0 / 1).
Value castScalar(OpBuilder &b, Location loc, Value x, Type to,
                 bool fromUnsigned = false, bool toUnsigned = false) {
  Type from = x.getType();
  auto fromInt = llvm::dyn_cast<IntegerType>(from);
  auto toInt = llvm::dyn_cast<IntegerType>(to);
  if (from == to && (!fromInt || fromUnsigned == toUnsigned))
    return x;
  if (!fromInt && !toInt) { // float -> float, rounded once
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth() ||
        (from.isF16() && to.isBF16()) || (from.isBF16() && to.isF16())) {
      // f16 <-> bf16 have the same width but neither contains the other:
      // through f32, exact, then one rounding.
      if (from.getIntOrFloatBitWidth() == to.getIntOrFloatBitWidth())
        x = b.create<arith::ExtFOp>(loc, b.getF32Type(), x);
      else
        return b.create<arith::ExtFOp>(loc, to, x);
    }
    if (x.getType().isF64() && to.getIntOrFloatBitWidth() < 32)
      x = truncToOddF32(b, loc, x);
    return b.create<arith::TruncFOp>(loc, to, x);
  }
  if (!fromInt)
    return floatToInt(b, loc, x, toInt, toUnsigned);
  bool zext = fromUnsigned || fromInt.getWidth() == 1;
  if (!toInt)
    return zext ? b.create<arith::UIToFPOp>(loc, to, x).getResult()
                : b.create<arith::SIToFPOp>(loc, to, x).getResult();
  if (toInt.getWidth() == 1)
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, x,
                                   intConst(b, loc, from, 0));
  if (fromInt.getWidth() == toInt.getWidth())
    return x; // same bits, reinterpreted
  if (fromInt.getWidth() < toInt.getWidth())
    return zext ? b.create<arith::ExtUIOp>(loc, to, x).getResult()
                : b.create<arith::ExtSIOp>(loc, to, x).getResult();
  return b.create<arith::TruncIOp>(loc, to, x);
}

/// Integer a / b rounded toward zero (unsigned: divui) without the traps
/// of the hardware: b == 0 gives 0, and the signed minimum / -1 wraps.
Value intDivide(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  Type t = x.getType();
  Value zero = intConst(b, loc, t, 0), one = intConst(b, loc, t, 1);
  Value byZero =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, zero);
  Value safe = b.create<arith::SelectOp>(loc, byZero, one, y);
  Value q;
  if (isUnsigned) {
    q = b.create<arith::DivUIOp>(loc, x, safe);
  } else if (t.getIntOrFloatBitWidth() == 1) {
    q = x; // i1 / 1
  } else {
    // MIN / -1 overflows (and traps on x86): its wrapped result is MIN,
    // which is -x as well.
    Value minusOne = intConst(b, loc, t, -1);
    Value byMinusOne =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, safe, minusOne);
    Value divisor = b.create<arith::SelectOp>(loc, byMinusOne, one, safe);
    Value quot = b.create<arith::DivSIOp>(loc, x, divisor);
    Value neg = b.create<arith::SubIOp>(loc, zero, x);
    q = b.create<arith::SelectOp>(loc, byMinusOne, neg, quot);
  }
  return b.create<arith::SelectOp>(loc, byZero, zero, q);
}

/// FOp on float operands, IOp on integers.
template <typename FOp, typename IOp>
Value floatOrInt(OpBuilder &b, Location loc, bool isFloat, ValueRange a) {
  if (isFloat)
    return b.create<FOp>(loc, a[0], a[1]);
  return b.create<IOp>(loc, a[0], a[1]);
}

/// An ordered float or a signed integer comparison of a[0] with a[1].
Value compare(OpBuilder &b, Location loc, bool isFloat, arith::CmpFPredicate fp,
              arith::CmpIPredicate ip, ValueRange a) {
  if (isFloat)
    return b.create<arith::CmpFOp>(loc, fp, a[0], a[1]);
  return b.create<arith::CmpIOp>(loc, ip, a[0], a[1]);
}

/// The scalar computation of an elementwise nn op on its (already
/// broadcast) operands, or null when `op` is not elementwise.
Value elementwiseScalar(Operation *op, OpBuilder &b, Location loc, ValueRange a,
                        Type outElem) {
  Type t = a.empty() ? Type() : a[0].getType();
  bool isFloat = t && llvm::isa<FloatType>(t);
  bool isUnsigned = !isFloat && unsignedOperand(op, 0);
  auto f = [&](double v) { return floatConst(b, loc, t, v); };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) -> Value {
        if (isFloat)
          return b.create<arith::NegFOp>(loc, a[0]);
        return b.create<arith::SubIOp>(loc, intConst(b, loc, t, 0), a[0]);
      })
      .Case([&](AbsOp) -> Value {
        if (isFloat)
          return b.create<math::AbsFOp>(loc, a[0]);
        if (isUnsigned)
          return a[0];
        return b.create<math::AbsIOp>(loc, a[0]);
      })
      .Case([&](ExpOp) { return b.create<math::ExpOp>(loc, a[0]); })
      .Case([&](FloorOp) { return b.create<math::FloorOp>(loc, a[0]); })
      .Case([&](CeilOp) { return b.create<math::CeilOp>(loc, a[0]); })
      .Case([&](RoundOp) { return b.create<math::RoundEvenOp>(loc, a[0]); })
      .Case([&](SignOp) -> Value {
        if (isFloat) {
          // x > 0 ? 1 : x < 0 ? -1 : x == 0 ? +0 : x (NaN stays).
          auto cmp = [&](arith::CmpFPredicate p) {
            return b.create<arith::CmpFOp>(loc, p, a[0], f(0.0));
          };
          Value zeroOrNaN = b.create<arith::SelectOp>(
              loc, cmp(arith::CmpFPredicate::OEQ), f(0.0), a[0]);
          return b.create<arith::SelectOp>(
              loc, cmp(arith::CmpFPredicate::OGT), f(1.0),
              b.create<arith::SelectOp>(loc, cmp(arith::CmpFPredicate::OLT),
                                        f(-1.0), zeroOrNaN));
        }
        Value zero = intConst(b, loc, t, 0);
        Value pos = b.create<arith::CmpIOp>(
            loc,
            isUnsigned ? arith::CmpIPredicate::ne : arith::CmpIPredicate::sgt,
            a[0], zero);
        Value neg = b.create<arith::CmpIOp>(
            loc,
            isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt,
            a[0], zero);
        return b.create<arith::SubIOp>(loc,
                                       b.create<arith::ExtUIOp>(loc, t, pos),
                                       b.create<arith::ExtUIOp>(loc, t, neg));
      })
      .Case([&](LogOp) { return b.create<math::LogOp>(loc, a[0]); })
      .Case([&](SqrtOp) { return b.create<math::SqrtOp>(loc, a[0]); })
      .Case([&](ReciprocalOp) {
        return b.create<arith::DivFOp>(loc, f(1.0), a[0]);
      })
      .Case([&](TanhOp) { return b.create<math::TanhOp>(loc, a[0]); })
      .Case([&](SigmoidOp) -> Value {
        // x >= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x), as the interpreter,
        // with one exponential and one division: e = e^-|x| is e^-x in the
        // first case and e^x in the second (the same bits), the numerator
        // is chosen before dividing, and NaN stays NaN.
        Value one = f(1.0);
        Value e = b.create<math::ExpOp>(
            loc,
            b.create<arith::NegFOp>(loc, b.create<math::AbsFOp>(loc, a[0])));
        Value d = b.create<arith::AddFOp>(loc, one, e);
        Value ge = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, a[0],
                                           f(0.0));
        Value num = b.create<arith::SelectOp>(loc, ge, one, e);
        return b.create<arith::DivFOp>(loc, num, d);
      })
      .Case([&](ErfOp) { return b.create<math::ErfOp>(loc, a[0]); })
      .Case([&](ReluOp) { return isUnsigned ? a[0] : relu(b, loc, a[0]); })
      .Case([&](CosOp) { return b.create<math::CosOp>(loc, a[0]); })
      .Case([&](SinOp) { return b.create<math::SinOp>(loc, a[0]); })
      .Case([&](TanOp) { return b.create<math::TanOp>(loc, a[0]); })
      .Case([&](AsinOp) { return b.create<math::AsinOp>(loc, a[0]); })
      .Case([&](AcosOp) { return b.create<math::AcosOp>(loc, a[0]); })
      .Case([&](AtanOp) { return b.create<math::AtanOp>(loc, a[0]); })
      .Case([&](SinhOp) { return b.create<math::SinhOp>(loc, a[0]); })
      .Case([&](CoshOp) { return b.create<math::CoshOp>(loc, a[0]); })
      .Case([&](AsinhOp) { return b.create<math::AsinhOp>(loc, a[0]); })
      .Case([&](AcoshOp) { return b.create<math::AcoshOp>(loc, a[0]); })
      .Case([&](AtanhOp) { return b.create<math::AtanhOp>(loc, a[0]); })
      .Case([&](LeakyReluOp o) -> Value {
        Value alpha = f(o.getAlpha().convertToDouble());
        Value ge = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, a[0],
                                           f(0.0));
        return b.create<arith::SelectOp>(
            loc, ge, a[0], b.create<arith::MulFOp>(loc, alpha, a[0]));
      })
      .Case([&](ClipOp o) -> Value {
        // NaN stays NaN; an absent bound does not clamp.
        Value x = a[0];
        if (o.getMin()) {
          Value lo = f(o.getMin()->convertToDouble());
          Value lt =
              b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, lo);
          x = b.create<arith::SelectOp>(loc, lt, lo, x);
        }
        if (o.getMax()) {
          Value hi = f(o.getMax()->convertToDouble());
          Value gt =
              b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, hi);
          x = b.create<arith::SelectOp>(loc, gt, hi, x);
        }
        return x;
      })
      .Case([&](GeluOp o) -> Value {
        Value x = a[0], half = f(0.5), one = f(1.0);
        Value hx = b.create<arith::MulFOp>(loc, half, x);
        Value inner;
        if (o.getApproximate() == "tanh") {
          // ((0.044715 x) x) x, the interpreter's association.
          Value x3 = b.create<arith::MulFOp>(
              loc,
              b.create<arith::MulFOp>(
                  loc, b.create<arith::MulFOp>(loc, f(0.044715), x), x),
              x);
          inner = b.create<math::TanhOp>(
              loc,
              b.create<arith::MulFOp>(loc, f(0.7978845608028654),
                                      b.create<arith::AddFOp>(loc, x, x3)));
        } else {
          inner = b.create<math::ErfOp>(
              loc, b.create<arith::MulFOp>(loc, x, f(0.7071067811865476)));
        }
        return b.create<arith::MulFOp>(
            loc, hx, b.create<arith::AddFOp>(loc, one, inner));
      })
      .Case([&](CastOp) {
        return castScalar(b, loc, a[0], outElem, isUnsigned,
                          unsignedResult(op));
      })
      .Case([&](AddOp) {
        return floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, isFloat, a);
      })
      .Case([&](SubOp) {
        return floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, isFloat, a);
      })
      .Case([&](MulOp) {
        return floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, isFloat, a);
      })
      .Case([&](DivOp) -> Value {
        if (isFloat)
          return b.create<arith::DivFOp>(loc, a[0], a[1]);
        return intDivide(b, loc, a[0], a[1], isUnsigned);
      })
      .Case([&](FModOp) -> Value {
        // LLVM's frem: C's fmod (exact).
        return b.create<arith::RemFOp>(loc, a[0], a[1]);
      })
      .Case([&](PowOp) -> Value {
        if (isFloat)
          return b.create<math::PowFOp>(loc, a[0], a[1]);
        // math.ipowi divides 1 by the base for negative exponents (undefined
        // for a zero base); 0 ^ negative gives 0 here, as a division by
        // zero does (the interpreter reports both).
        Value zero = intConst(b, loc, t, 0);
        Value bad = b.create<arith::AndIOp>(
            loc,
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, a[0], zero),
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, a[1],
                                    zero));
        Value base =
            b.create<arith::SelectOp>(loc, bad, intConst(b, loc, t, 1), a[0]);
        Value r = b.create<math::IPowIOp>(loc, base, a[1]);
        return b.create<arith::SelectOp>(loc, bad, zero, r);
      })
      .Case([&](AndOp) { return b.create<arith::AndIOp>(loc, a[0], a[1]); })
      .Case([&](OrOp) { return b.create<arith::OrIOp>(loc, a[0], a[1]); })
      .Case([&](XorOp) { return b.create<arith::XOrIOp>(loc, a[0], a[1]); })
      .Case([&](NotOp) {
        return b.create<arith::XOrIOp>(
            loc, a[0], intConst(b, loc, t, t.isInteger(1) ? 1 : -1));
      })
      .Case([&](BitShiftOp o) -> Value {
        // Amounts of the width or more (unsigned) give 0: LLVM's shifts
        // are poison there.
        unsigned w = t.getIntOrFloatBitWidth();
        Value shifted =
            o.getDirection() == "left"
                ? b.create<arith::ShLIOp>(loc, a[0], a[1]).getResult()
                : b.create<arith::ShRUIOp>(loc, a[0], a[1]).getResult();
        Value tooFar = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge,
                                               a[1], intConst(b, loc, t, w));
        return b.create<arith::SelectOp>(loc, tooFar, intConst(b, loc, t, 0),
                                         shifted);
      })
      .Case([&](MaxOp) -> Value {
        if (isFloat)
          return b.create<arith::MaximumFOp>(loc, a[0], a[1]);
        if (isUnsigned)
          return b.create<arith::MaxUIOp>(loc, a[0], a[1]);
        return b.create<arith::MaxSIOp>(loc, a[0], a[1]);
      })
      .Case([&](MinOp) -> Value {
        if (isFloat)
          return b.create<arith::MinimumFOp>(loc, a[0], a[1]);
        if (isUnsigned)
          return b.create<arith::MinUIOp>(loc, a[0], a[1]);
        return b.create<arith::MinSIOp>(loc, a[0], a[1]);
      })
      .Case([&](EqualOp) {
        return compare(b, loc, isFloat, arith::CmpFPredicate::OEQ,
                       arith::CmpIPredicate::eq, a);
      })
      .Case([&](LessOp) {
        return compare(b, loc, isFloat, arith::CmpFPredicate::OLT,
                       isUnsigned ? arith::CmpIPredicate::ult
                                  : arith::CmpIPredicate::slt,
                       a);
      })
      .Case([&](GreaterOp) {
        return compare(b, loc, isFloat, arith::CmpFPredicate::OGT,
                       isUnsigned ? arith::CmpIPredicate::ugt
                                  : arith::CmpIPredicate::sgt,
                       a);
      })
      .Case([&](WhereOp) {
        return b.create<arith::SelectOp>(loc, a[0], a[1], a[2]);
      })
      .Case([&](ExpandOp) { return a[0]; })
      .Default([](Operation *) { return Value(); });
}

bool isElementwise(Operation *op) {
  return isa<AndOp, OrOp, XorOp, NotOp, BitShiftOp, NegOp, AbsOp, ExpOp, LogOp,
             SqrtOp, ReciprocalOp, TanhOp, FloorOp, CeilOp, RoundOp, SignOp,
             SigmoidOp, ErfOp, ReluOp, CosOp, SinOp, TanOp, AsinOp, AcosOp,
             AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp, AtanhOp, LeakyReluOp,
             ClipOp, GeluOp, CastOp, AddOp, SubOp, MulOp, DivOp, PowOp, FModOp,
             MaxOp, MinOp, EqualOp, LessOp, GreaterOp, WhereOp, ExpandOp>(op);
}

/// Every elementwise op (and nn.expand, a broadcast of its input).
struct ElementwiseLowering : ConversionPattern {
  ElementwiseLowering(MLIRContext *ctx)
      : ConversionPattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isElementwise(op))
      return failure();
    auto type = llvm::cast<RankedTensorType>(op->getResult(0).getType());
    Value y = elementwise(rewriter, op->getLoc(), type, operands,
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return elementwiseScalar(op, b, loc, args,
                                                     type.getElementType());
                          });
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// The values of an f32 constant (dense or a resource blob) as one array:
/// a view of the attribute's data, or of `splat` filled for a splat
/// constant; nothing for other values. (No copy of the weights.)
std::optional<ArrayRef<float>> constantFloats(Value v,
                                              std::vector<float> &splat) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  if (auto dense = llvm::dyn_cast<DenseFPElementsAttr>(c.getValue())) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    if (dense.isSplat()) {
      splat.assign(size_t(dense.getNumElements()),
                   dense.getSplatValue<float>());
      return ArrayRef<float>(splat);
    }
    ArrayRef<char> raw = dense.getRawData();
    return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                           size_t(dense.getNumElements()));
  }
  if (auto blob = llvm::dyn_cast<DenseF32ResourceElementsAttr>(c.getValue()))
    return blob.tryGetAsArrayRef();
  return std::nullopt;
}

/// The body of a product-sum generic: yields out + a * b, float or
/// wrapping integer arithmetic by the element type.
void multiplyAccumulate(OpBuilder &b, Location l, ValueRange a) {
  Value sum;
  if (llvm::isa<FloatType>(a[2].getType()))
    sum = b.create<arith::AddFOp>(l, a[2],
                                  b.create<arith::MulFOp>(l, a[0], a[1]));
  else
    sum = b.create<arith::AddIOp>(l, a[2],
                                  b.create<arith::MulIOp>(l, a[0], a[1]));
  b.create<linalg::YieldOp>(l, ValueRange{sum});
}

/// numpy's matmul of `lhs` by `rhs` (1-D promotion, broadcast batch
/// dimensions) as one linalg.generic, float or wrapping integer arithmetic
/// by the element type of `out`.
Value buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  RankedTensorType out) {
  auto lt = llvm::cast<RankedTensorType>(lhs.getType());
  auto rt = llvm::cast<RankedTensorType>(rhs.getType());
  // numpy promotion of 1-D operands.
  if (lt.getRank() == 1)
    lhs = reshape(b, loc, lhs, {1, lt.getDimSize(0)});
  if (rt.getRank() == 1)
    rhs = reshape(b, loc, rhs, {rt.getDimSize(0), 1});
  lt = llvm::cast<RankedTensorType>(lhs.getType());
  rt = llvm::cast<RankedTensorType>(rhs.getType());
  SmallVector<int64_t> batch =
      *broadcastShapes(lt.getShape().drop_back(2), rt.getShape().drop_back(2));
  int64_t nb = int64_t(batch.size());
  int64_t m = lt.getDimSize(lt.getRank() - 2);
  int64_t n = rt.getDimSize(rt.getRank() - 1);
  MLIRContext *ctx = b.getContext();
  auto operandMap = [&](RankedTensorType t, AffineExpr r, AffineExpr c) {
    SmallVector<AffineExpr> e;
    int64_t tb = t.getRank() - 2;
    for (int64_t i = 0; i < tb; ++i) {
      int64_t d = nb - tb + i;
      e.push_back(t.getDimSize(i) == 1 && batch[size_t(d)] != 1
                      ? getAffineConstantExpr(0, ctx)
                      : getAffineDimExpr(unsigned(d), ctx));
    }
    e.push_back(r);
    e.push_back(c);
    return AffineMap::get(unsigned(nb + 3), 0, e, ctx);
  };
  // Loop order batch..., m, k, n: every output accumulates over k in
  // order (the interpreter's order, so the sums are bit-exact), and the
  // innermost loop runs along contiguous rows of the weight and the
  // output, which the LLVM loop vectorizer turns into vector code.
  AffineExpr dm = getAffineDimExpr(unsigned(nb), ctx),
             dk = getAffineDimExpr(unsigned(nb + 1), ctx),
             dn = getAffineDimExpr(unsigned(nb + 2), ctx);
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < nb; ++i)
    outExprs.push_back(getAffineDimExpr(unsigned(i), ctx));
  outExprs.push_back(dm);
  outExprs.push_back(dn);
  SmallVector<int64_t> shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  Type elem = out.getElementType();
  auto accType = RankedTensorType::get(shape, elem);
  Value init = zeroFilled(b, loc, accType);
  SmallVector<utils::IteratorType> its(size_t(nb + 1),
                                       utils::IteratorType::parallel);
  its.push_back(utils::IteratorType::reduction);
  its.push_back(utils::IteratorType::parallel);
  Value y = b.create<linalg::GenericOp>(
                 loc, accType, ValueRange{lhs, rhs}, ValueRange{init},
                 ArrayRef<AffineMap>{
                     operandMap(lt, dm, dk), operandMap(rt, dk, dn),
                     AffineMap::get(unsigned(nb + 3), 0, outExprs, ctx)},
                 its, multiplyAccumulate)
                .getResult(0);
  if (accType != out)
    y = reshape(b, loc, y, out.getShape());
  return y;
}

/// The packed f32 kernel of a non-generic `choice`.
const qc::x86::Int8Kernel &f32KernelOf(qc::F32MatmulKernel choice) {
  switch (choice) {
  case qc::F32MatmulKernel::AVX512FMA:
    return qc::x86::kF32AVX512FMA;
  case qc::F32MatmulKernel::AVX2:
    return qc::x86::kF32AVX2;
  case qc::F32MatmulKernel::AVX2FMA:
    return qc::x86::kF32AVX2FMA;
  default:
    return qc::x86::kF32AVX512;
  }
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  MatMulLowering(MLIRContext *ctx, qc::F32MatmulKernel f32Kernel)
      : OpConversionPattern(ctx), f32Kernel(f32Kernel) {}
  qc::F32MatmulKernel f32Kernel;

  const qc::x86::Int8Kernel &kernel() const { return f32KernelOf(f32Kernel); }

  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lt = llvm::cast<RankedTensorType>(lhs.getType());
    auto rt = llvm::cast<RankedTensorType>(rhs.getType());
    // x @ W with constant f32 weights: the packed AVX-512 / AVX2 kernel (same
    // arithmetic and order, or with FMAs; see PackF32.cpp), batch
    // dimensions as rows.
    if (f32Kernel != qc::F32MatmulKernel::Generic && rt.getRank() == 2 &&
        lt.getRank() >= 2 && lt.getElementType().isF32() &&
        rt.getElementType().isF32()) {
      std::vector<float> splat;
      if (std::optional<ArrayRef<float>> w = constantFloats(rhs, splat)) {
        int64_t k = rt.getDimSize(0), n = rt.getDimSize(1);
        int64_t rows = lt.getNumElements() / k;
        Value x = reshape(rewriter, loc, lhs, {rows, k});
        Value y =
            qc::x86::buildPackedF32Matmul(rewriter, loc, x, *w, n, kernel());
        auto out = llvm::cast<RankedTensorType>(op.getType());
        rewriter.replaceOp(op, reshape(rewriter, loc, y, out.getShape()));
        return success();
      }
    }
    // rhs = a transpose of the last two dimensions (Q K^T): the kernel
    // packs from the transpose's input.
    Value rhsT;
    if (auto t = op.getRhs().getDefiningOp<TransposeOp>()) {
      ArrayRef<int64_t> perm = t.getPerm();
      int64_t r = int64_t(perm.size());
      bool lastTwo = r >= 2 && perm[size_t(r - 1)] == r - 2 &&
                     perm[size_t(r - 2)] == r - 1;
      for (int64_t i = 0; i + 2 < r; ++i)
        lastTwo &= perm[size_t(i)] == i;
      if (lastTwo)
        rhsT = rewriter.getRemappedValue(t.getInput());
    }
    if (Value y = runtimeKernel(rewriter, loc, lhs, rhs, rhsT, op.getType())) {
      rewriter.replaceOp(op, y);
      return success();
    }
    rewriter.replaceOp(op,
                       buildMatmul(rewriter, loc, lhs, rhs,
                                   llvm::cast<RankedTensorType>(op.getType())));
    return success();
  }

  /// Both operands computed at run time (attention's Q K^T and P V), f32,
  /// at least kRuntimeKernelMacs multiply-adds: the f32 kernel with both
  /// operands packed at run time, per matrix of equal batch dimensions
  /// (an scf.for over the batch), or with x's batch as rows against a 2-D
  /// w. Null where it does not apply (the generic loops then).
  /// `rhsT`, when not null, is rhs with its last two dimensions swapped
  /// (rhs is its transpose): the kernel packs from it instead.
  Value runtimeKernel(OpBuilder &b, Location loc, Value lhs, Value rhs,
                      Value rhsT, Type outType) const {
    constexpr int64_t kRuntimeKernelMacs = 1 << 15;
    auto lt = llvm::cast<RankedTensorType>(lhs.getType());
    auto rt = llvm::cast<RankedTensorType>(rhs.getType());
    auto out = llvm::cast<RankedTensorType>(outType);
    if (f32Kernel == qc::F32MatmulKernel::Generic || !lt.hasStaticShape() ||
        !rt.hasStaticShape() || !lt.getElementType().isF32() ||
        !rt.getElementType().isF32() || lt.getRank() < 2 || rt.getRank() < 2 ||
        out.getNumElements() == 0)
      return {};
    int64_t k = rt.getDimSize(rt.getRank() - 2),
            n = rt.getDimSize(rt.getRank() - 1);
    int64_t m = lt.getDimSize(lt.getRank() - 2);
    if (lt.getNumElements() / k * k * n < kRuntimeKernelMacs || k == 0)
      return {};
    bool transposed = bool(rhsT);
    if (rt.getRank() == 2) {
      Value y = qc::x86::buildRuntimeF32Matmul(
          b, loc, reshape(b, loc, lhs, {lt.getNumElements() / k, k}),
          transposed ? rhsT : rhs, kernel(), transposed);
      return reshape(b, loc, y, out.getShape());
    }
    if (lt.getRank() != rt.getRank() ||
        lt.getShape().drop_back(2) != rt.getShape().drop_back(2))
      return {};
    int64_t batch = lt.getNumElements() / (m * k);
    Value x3 = reshape(b, loc, lhs, {batch, m, k});
    Value w3 = transposed ? reshape(b, loc, rhsT, {batch, n, k})
                          : reshape(b, loc, rhs, {batch, k, n});
    auto yType = RankedTensorType::get({batch, m, n}, b.getF32Type());
    Value init = empty(b, loc, yType);
    auto idx = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v);
    };
    auto loop = b.create<scf::ForOp>(
        loc, idx(0), idx(batch), idx(1), ValueRange{init},
        [&](OpBuilder &lb, Location ll, Value bi, ValueRange acc) {
          auto slice = [&](Value v, int64_t r, int64_t c) -> Value {
            SmallVector<OpFoldResult> offsets{bi, lb.getIndexAttr(0),
                                              lb.getIndexAttr(0)};
            SmallVector<OpFoldResult> sizes{
                lb.getIndexAttr(1), lb.getIndexAttr(r), lb.getIndexAttr(c)};
            SmallVector<OpFoldResult> strides(3, lb.getIndexAttr(1));
            return lb.create<tensor::ExtractSliceOp>(
                ll, RankedTensorType::get({r, c}, lb.getF32Type()), v, offsets,
                sizes, strides);
          };
          Value y = qc::x86::buildRuntimeF32Matmul(lb, ll, slice(x3, m, k),
                                                   transposed ? slice(w3, n, k)
                                                              : slice(w3, k, n),
                                                   kernel(), transposed);
          SmallVector<OpFoldResult> offsets{bi, lb.getIndexAttr(0),
                                            lb.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes{
              lb.getIndexAttr(1), lb.getIndexAttr(m), lb.getIndexAttr(n)};
          SmallVector<OpFoldResult> strides(3, lb.getIndexAttr(1));
          Value next = lb.create<tensor::InsertSliceOp>(ll, y, acc[0], offsets,
                                                        sizes, strides);
          lb.create<scf::YieldOp>(ll, next);
        });
    return reshape(b, loc, loop.getResult(0), out.getShape());
  }
};

/// x - z elementwise in i32 (z absent: x), each widened by whether
/// operand xi / zi of `op` was unsigned; z broadcasts.
Value centeredI32(OpBuilder &rewriter, Location loc, Operation *op, Value x,
                  Value z, unsigned xi, unsigned zi) {
  Type i32 = rewriter.getI32Type();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  SmallVector<Value> ins{x};
  if (z)
    ins.push_back(z);
  bool xu = unsignedOperand(op, xi), zu = unsignedOperand(op, zi);
  return elementwise(rewriter, loc, xt.clone(i32), ins,
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       auto widen = [&](Value e, bool isUnsigned) -> Value {
                         if (isUnsigned)
                           return b.create<arith::ExtUIOp>(l, i32, e);
                         return b.create<arith::ExtSIOp>(l, i32, e);
                       };
                       Value w = widen(v[0], xu);
                       if (v.size() > 1)
                         w = b.create<arith::SubIOp>(l, w, widen(v[1], zu));
                       return w;
                     });
}

/// (a - za) (b - zb) in i32: the operands are widened (by their recorded
/// signedness) and centered elementwise, then multiplied like nn.matmul.
struct MatMulIntegerLowering : OpConversionPattern<MatMulIntegerOp> {
  MatMulIntegerLowering(MLIRContext *ctx, const qc::x86::Int8Kernel *kernel)
      : OpConversionPattern(ctx), kernel(kernel) {}
  const qc::x86::Int8Kernel *kernel;

  /// The weight [K, N] as the packed kernel's [N, K] signed codes, when
  /// it is a constant int8 matrix with zero point 0 (none, or constant
  /// zeros). The kernel also needs one zero point for all rows of `a`.
  DenseIntElementsAttr kernelWeight(MatMulIntegerOp op, Value b,
                                    Value zb) const {
    DenseIntElementsAttr w, z;
    auto bt = llvm::cast<RankedTensorType>(b.getType());
    if (!kernel || bt.getRank() != 2 || unsignedOperand(op, 1) ||
        !matchPattern(b, m_Constant(&w)))
      return {};
    if (zb && (!matchPattern(zb, m_Constant(&z)) ||
               llvm::any_of(z.getValues<APInt>(),
                            [](const APInt &v) { return !v.isZero(); })))
      return {};
    int64_t k = bt.getDimSize(0), n = bt.getDimSize(1);
    auto values = w.getValues<APInt>();
    SmallVector<APInt> t;
    t.reserve(size_t(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < k; ++i)
        t.push_back(values[size_t(i * n + j)]);
    return DenseIntElementsAttr::get(
        RankedTensorType::get({n, k}, bt.getElementType()), t);
  }

  LogicalResult
  matchAndRewrite(MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    Value za = adaptor.getAZeroPoint();
    bool scalarZa =
        !za || llvm::cast<RankedTensorType>(za.getType()).getNumElements() == 1;
    DenseIntElementsAttr w =
        scalarZa ? kernelWeight(op, adaptor.getB(), adaptor.getBZeroPoint())
                 : DenseIntElementsAttr();
    if (w) {
      // Rows of `a` by the packed weights; the zero point of `a` as the
      // kernel's i32 scalar (its column-sum correction).
      auto at = llvm::cast<RankedTensorType>(adaptor.getA().getType());
      int64_t k = w.getType().getDimSize(1);
      Value x =
          reshape(rewriter, loc, adaptor.getA(), {at.getNumElements() / k, k});
      Value zx;
      if (za)
        zx = centeredI32(rewriter, loc, op, reshape(rewriter, loc, za, {}),
                         Value(), 2, 2);
      Value y = qc::x86::buildPackedInt8Linear(
          rewriter, loc, *kernel, x, !unsignedOperand(op, 0), w,
          qc::num::Format::integer(8, true), Value(), zx);
      rewriter.replaceOp(op, reshape(rewriter, loc, y, out.getShape()));
      return success();
    }
    unsigned zbIndex = op.getAZeroPoint() ? 3 : 2;
    Value a = centeredI32(rewriter, loc, op, adaptor.getA(),
                          adaptor.getAZeroPoint(), 0, 2);
    Value b = centeredI32(rewriter, loc, op, adaptor.getB(),
                          adaptor.getBZeroPoint(), 1, zbIndex);
    rewriter.replaceOp(op, buildMatmul(rewriter, loc, a, b, out));
    return success();
  }
};

struct GemmLowering : OpConversionPattern<GemmOp> {
  GemmLowering(MLIRContext *ctx, qc::F32MatmulKernel f32Kernel)
      : OpConversionPattern(ctx), f32Kernel(f32Kernel) {}
  qc::F32MatmulKernel f32Kernel;

  /// A * B for f32 A (not transposed) and constant f32 B (a fully connected
  /// layer, B often transposed): the packed f32 kernel (PackF32.cpp; the
  /// same sums in the same order). Null where it does not apply.
  Value packedProduct(OpBuilder &b, Location loc, GemmOp op, Value a,
                      Value bv) const {
    if (f32Kernel == qc::F32MatmulKernel::Generic || op.getTransA() ||
        !llvm::cast<RankedTensorType>(a.getType()).getElementType().isF32())
      return Value();
    auto bt = llvm::cast<RankedTensorType>(bv.getType());
    std::vector<float> splat;
    std::optional<ArrayRef<float>> w;
    if (bt.getElementType().isF32())
      w = constantFloats(bv, splat);
    if (!w)
      return Value();
    int64_t n = bt.getDimSize(op.getTransB() ? 0 : 1);
    return qc::x86::buildPackedF32Matmul(b, loc, a, *w, n,
                                         f32KernelOf(f32Kernel),
                                         /*transposed=*/op.getTransB());
  }

  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    // Loops m, k, n (see MatMulLowering).
    AffineExpr m = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx),
               n = getAffineDimExpr(2, ctx);
    auto map = [&](AffineExpr r, AffineExpr c, bool trans) {
      return AffineMap::get(
          3, 0, trans ? ArrayRef<AffineExpr>{c, r} : ArrayRef<AffineExpr>{r, c},
          ctx);
    };
    Value ab = packedProduct(rewriter, loc, op, adaptor.getA(), adaptor.getB());
    if (!ab)
      ab = rewriter
               .create<linalg::GenericOp>(
                   loc, out, ValueRange{adaptor.getA(), adaptor.getB()},
                   ValueRange{zeroFilled(rewriter, loc, out)},
                   ArrayRef<AffineMap>{map(m, k, op.getTransA()),
                                       map(k, n, op.getTransB()),
                                       AffineMap::get(3, 0, {m, n}, ctx)},
                   ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                                 utils::IteratorType::reduction,
                                                 utils::IteratorType::parallel},
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Value p = b.create<arith::MulFOp>(l, a[0], a[1]);
                     b.create<linalg::YieldOp>(
                         l, ValueRange{b.create<arith::AddFOp>(l, a[2], p)});
                   })
               .getResult(0);
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    SmallVector<Value> ins{ab};
    if (adaptor.getC())
      ins.push_back(adaptor.getC());
    Value y = elementwise(
        rewriter, loc, out, ins, [&](OpBuilder &b, Location l, ValueRange a) {
          Type t = a[0].getType();
          Value v = a[0];
          if (alpha != 1.0)
            v = b.create<arith::MulFOp>(l, floatConst(b, l, t, alpha), v);
          if (a.size() > 1) {
            Value c = a[1];
            if (beta != 1.0)
              c = b.create<arith::MulFOp>(l, floatConst(b, l, t, beta), c);
            v = b.create<arith::AddFOp>(l, v, c);
          }
          return v;
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// `x` ([N, C, H, W]) zero-padded by pads [top, left, bottom, right].
Value padSpatially(OpBuilder &b, Location loc, Value x,
                   ArrayRef<int64_t> pads) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  if (llvm::none_of(pads, [](int64_t p) { return p != 0; }))
    return x;
  // x inserted into a new tensor and only the borders zero-filled
  // (tensor.pad fills the whole tensor first, then copies x over it: a
  // second pass over every padded convolution input).
  int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), h = xt.getDimSize(2),
          w = xt.getDimSize(3);
  int64_t hp = h + pads[0] + pads[2], wp = w + pads[1] + pads[3];
  Value padded =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{n, c, hp, wp}, elem);
  auto insert = [&](Value part, ArrayRef<int64_t> at, ArrayRef<int64_t> size) {
    MLIRContext *ctx = b.getContext();
    padded = b.create<tensor::InsertSliceOp>(
        loc, part, padded, getAsIndexOpFoldResult(ctx, at),
        getAsIndexOpFoldResult(ctx, size),
        getAsIndexOpFoldResult(ctx, ArrayRef<int64_t>{1, 1, 1, 1}));
  };
  insert(x, {0, 0, pads[0], pads[1]}, {n, c, h, w});
  Value zero = llvm::isa<FloatType>(elem) ? floatConst(b, loc, elem, 0.0)
                                          : intConst(b, loc, elem, 0);
  auto border = [&](ArrayRef<int64_t> at, ArrayRef<int64_t> size) {
    if (llvm::is_contained(size, 0))
      return;
    Value part = b.create<linalg::FillOp>(
                      loc, ValueRange{zero},
                      ValueRange{b.create<tensor::EmptyOp>(loc, size, elem)})
                     .getResult(0);
    insert(part, at, size);
  };
  border({0, 0, 0, 0}, {n, c, pads[0], wp});                // top rows
  border({0, 0, pads[0] + h, 0}, {n, c, pads[2], wp});      // bottom rows
  border({0, 0, pads[0], 0}, {n, c, h, pads[1]});           // left columns
  border({0, 0, pads[0], pads[1] + w}, {n, c, h, pads[3]}); // right columns
  return padded;
}

/// A 2-D convolution (nn.conv's semantics, no bias) of `x` by `w` as one
/// linalg.generic: float or wrapping integer arithmetic by the element
/// type, the input zero-padded first.
Value buildConv(OpBuilder &b, Location loc, Value x, Value w,
                ArrayRef<int64_t> pads, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dil, int64_t group, RankedTensorType out) {
  MLIRContext *ctx = b.getContext();
  auto wt = llvm::cast<RankedTensorType>(w.getType());
  x = padSpatially(b, loc, x, pads);
  // Every output accumulates over c, kh, kw in order, as the
  // interpreter's im2col GEMM, whatever the loop order. Dense convolutions
  // (which reach this nest only with run-time weights or without a packed
  // kernel) loop n, m, c, kh, kw, oh, ow: the innermost loop runs along
  // output rows. Grouped and depthwise ones (a few input channels per
  // output) loop n, m, oh, ow, c, kh, kw: LLVM unrolls the small window
  // loops and vectorizes along the output row with the sums in registers
  // (depthwise 3 x 3 over 32 x 112^2: 0.79 -> see Performance.md) instead
  // of re-reading and re-writing the output plane once per tap. The input
  // channel of output channel m in group g = m floordiv (M / G) is
  // g * (C / G) + c.
  int64_t mPerGroup = out.getDimSize(1) / group;
  int64_t cPerGroup = wt.getDimSize(1);
  // Loop positions of n, m, c, kh, kw, oh, ow.
  std::array<unsigned, 7> at =
      group == 1 ? std::array<unsigned, 7>{0, 1, 2, 3, 4, 5, 6}
                 : std::array<unsigned, 7>{0, 1, 4, 5, 6, 2, 3};
  enum { N, M, C, KH, KW, OH, OW };
  auto d = [&](unsigned role) { return getAffineDimExpr(at[role], ctx); };
  AffineExpr inC = d(M).floorDiv(mPerGroup) * cPerGroup + d(C);
  AffineMap xMap =
      AffineMap::get(7, 0,
                     {d(N), inC, d(OH) * strides[0] + d(KH) * dil[0],
                      d(OW) * strides[1] + d(KW) * dil[1]},
                     ctx);
  AffineMap wMap = AffineMap::get(7, 0, {d(M), d(C), d(KH), d(KW)}, ctx);
  AffineMap oMap = AffineMap::get(7, 0, {d(N), d(M), d(OH), d(OW)}, ctx);
  auto par = utils::IteratorType::parallel,
       red = utils::IteratorType::reduction;
  SmallVector<utils::IteratorType> iterators(7, par);
  for (unsigned role : {C, KH, KW})
    iterators[at[role]] = red;
  // Each sum starts from 0 at its first term (c = kh = kw = 0) instead of
  // reading a zero-filled output: the same additions, without a pass that
  // fills the output first.
  return b
      .create<linalg::GenericOp>(
          loc, out, ValueRange{x, w}, ValueRange{empty(b, loc, out)},
          ArrayRef<AffineMap>{xMap, wMap, oMap}, iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value first;
            for (unsigned role : {C, KH, KW}) {
              Value zero = nb.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::eq,
                  nb.create<linalg::IndexOp>(l, at[role]),
                  nb.create<arith::ConstantIndexOp>(l, 0));
              first = first ? nb.create<arith::AndIOp>(l, first, zero) : zero;
            }
            Type t = a[2].getType();
            Value zero = llvm::isa<FloatType>(t) ? floatConst(nb, l, t, 0.0)
                                                 : intConst(nb, l, t, 0);
            multiplyAccumulate(
                nb, l,
                {a[0], a[1], nb.create<arith::SelectOp>(l, first, zero, a[2])});
          })
      .getResult(0);
}

struct ConvLowering : OpConversionPattern<ConvOp> {
  ConvLowering(MLIRContext *ctx, qc::F32MatmulKernel f32Kernel)
      : OpConversionPattern(ctx), f32Kernel(f32Kernel) {}
  qc::F32MatmulKernel f32Kernel;

  /// f32 by constant weights, one group: the packed f32 GEMM over the
  /// im2col rows (PackF32.cpp; the same sums in the same order), its
  /// [N * oH * oW, M] result put back in [N, M, oH, oW]. Null where it does
  /// not apply.
  Value gemmConv(OpBuilder &b, Location loc, ConvOp op, Value x, Value w,
                 RankedTensorType out) const {
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    auto wt = llvm::cast<RankedTensorType>(w.getType());
    if (f32Kernel == qc::F32MatmulKernel::Generic || op.getGroup() != 1 ||
        !xt.getElementType().isF32() || !wt.getElementType().isF32())
      return Value();
    std::vector<float> splat;
    std::optional<ArrayRef<float>> weights = constantFloats(w, splat);
    if (!weights)
      return Value();
    int64_t batch = out.getDimSize(0), m = out.getDimSize(1),
            oh = out.getDimSize(2), ow = out.getDimSize(3);
    // Output channels as the GEMM's rows (the result is NCHW already for
    // one image) unless the pixels would leave more than an eighth of the
    // kernel's column panels empty (a 7 x 7 output: 49 of 64 columns);
    // then pixels as rows and the result read across.
    const qc::x86::Int8Kernel &kernel = f32KernelOf(f32Kernel);
    int64_t pixels = batch * oh * ow;
    bool weightsLeft =
        8 * (int64_t(llvm::alignTo(pixels, kernel.cols())) - pixels) <= pixels;
    Value product = qc::x86::buildPackedF32Conv(
        b, loc, padSpatially(b, loc, x, op.getPads()), *weights, m,
        {wt.getDimSize(2), wt.getDimSize(3)}, op.getStrides(),
        op.getDilations(), {oh, ow}, kernel, weightsLeft);
    // The product ([M, N * oH * oW] or [N * oH * oW, M]) read as [N, M,
    // oH, oW] by one generic (its input map an affine function of the
    // output's indices, so that the bias and the elementwise ops after the
    // convolution fuse into it).
    MLIRContext *ctx = b.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineExpr pixel = d(0) * (oh * ow) + d(2) * ow + d(3);
    AffineMap productMap = weightsLeft
                               ? AffineMap::get(4, 0, {d(1), pixel}, ctx)
                               : AffineMap::get(4, 0, {pixel, d(1)}, ctx);
    return b
        .create<linalg::GenericOp>(
            loc, out, ValueRange{product}, ValueRange{empty(b, loc, out)},
            SmallVector<AffineMap>{productMap,
                                   AffineMap::getMultiDimIdentityMap(4, ctx)},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              nb.create<linalg::YieldOp>(nl, args[0]);
            })
        .getResult(0);
  }

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    Value y = gemmConv(rewriter, loc, op, adaptor.getInput(),
                       adaptor.getWeight(), out);
    if (!y)
      y = buildConv(rewriter, loc, adaptor.getInput(), adaptor.getWeight(),
                    op.getPads(), op.getStrides(), op.getDilations(),
                    op.getGroup(), out);
    if (Value bias = adaptor.getBias()) {
      // bias[m] broadcast over n, h, w.
      Value b4 = reshape(
          rewriter, loc, bias,
          {1, llvm::cast<RankedTensorType>(bias.getType()).getDimSize(0), 1,
           1});
      y = elementwise(rewriter, loc, out, {y, b4},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::AddFOp>(l, a[0], a[1]);
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// (x - zx) (w - zw[m]) summed in i32: both operands widened by their
/// recorded signedness and centered, then nn.conv's loop nest (padding the
/// centered input with 0 is padding x with its zero point).
struct ConvIntegerLowering : OpConversionPattern<ConvIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    unsigned zwIndex = op.getXZeroPoint() ? 3 : 2;
    Value zw = adaptor.getWZeroPoint();
    if (zw) {
      // One per output channel: [M] -> [M, 1, 1, 1].
      auto zt = llvm::cast<RankedTensorType>(zw.getType());
      zw = reshape(rewriter, loc, zw, {zt.getNumElements(), 1, 1, 1});
    }
    Value x = centeredI32(rewriter, loc, op, adaptor.getInput(),
                          adaptor.getXZeroPoint(), 0, 2);
    Value w =
        centeredI32(rewriter, loc, op, adaptor.getWeight(), zw, 1, zwIndex);
    rewriter.replaceOp(
        op, buildConv(rewriter, loc, x, w, op.getPads(), op.getStrides(),
                      op.getDilations(), op.getGroup(),
                      llvm::cast<RankedTensorType>(op.getType())));
    return success();
  }
};

/// Max and average pooling: the input padded (with -inf for max, 0 for
/// average) up to what the output needs (explicit pads plus the ceil-mode
/// overhang), a window reduction, and for average pooling a division by the
/// per-position element count, computed at compile time as the interpreter
/// counts it.
template <typename OpTy> struct PoolLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr bool isMax = std::is_same_v<OpTy, MaxPoolOp>;
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    auto out = llvm::cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> k = op.getKernelShape(), s = op.getStrides(),
                      p = op.getPads(), d = op.getDilations();
    Type elem = xt.getElementType();
    int64_t h = xt.getDimSize(2), w = xt.getDimSize(3);
    int64_t oh = out.getDimSize(2), ow = out.getDimSize(3);
    int64_t needH = (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1;
    int64_t needW = (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1;
    int64_t highH = std::max<int64_t>(0, needH - h - p[0]);
    int64_t highW = std::max<int64_t>(0, needW - w - p[1]);
    double padValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    auto padded = RankedTensorType::get({xt.getDimSize(0), xt.getDimSize(1),
                                         h + p[0] + highH, w + p[1] + highW},
                                        elem);
    if (padded != xt)
      x = rewriter.create<tensor::PadOp>(
          loc, padded, x,
          ArrayRef<OpFoldResult>{
              rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
              rewriter.getIndexAttr(p[0]), rewriter.getIndexAttr(p[1])},
          ArrayRef<OpFoldResult>{
              rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
              rewriter.getIndexAttr(highH), rewriter.getIndexAttr(highW)},
          floatConst(rewriter, loc, elem, padValue));
    auto dim = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    AffineMap xMap =
        AffineMap::get(6, 0,
                       {dim(0), dim(1), dim(2) * s[0] + dim(4) * d[0],
                        dim(3) * s[1] + dim(5) * d[1]},
                       ctx);
    AffineMap winMap = AffineMap::get(6, 0, {dim(4), dim(5)}, ctx);
    AffineMap oMap =
        AffineMap::get(6, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx);
    Value window = rewriter.create<tensor::EmptyOp>(
        loc, ArrayRef<int64_t>{k[0], k[1]}, elem);
    Value init =
        rewriter
            .create<linalg::FillOp>(
                loc, ValueRange{floatConst(rewriter, loc, elem, padValue)},
                ValueRange{empty(rewriter, loc, out)})
            .getResult(0);
    auto par = utils::IteratorType::parallel,
         red = utils::IteratorType::reduction;
    Value y =
        rewriter
            .create<linalg::GenericOp>(
                loc, out, ValueRange{x, window}, ValueRange{init},
                ArrayRef<AffineMap>{xMap, winMap, oMap},
                ArrayRef<utils::IteratorType>{par, par, par, par, red, red},
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value r;
                  if (isMax) {
                    // IEEE maximum, as nn.reduce_max: NaN propagates.
                    r = b.create<arith::MaximumFOp>(l, a[2], a[0]);
                  } else {
                    r = b.create<arith::AddFOp>(l, a[2], a[0]);
                  }
                  b.create<linalg::YieldOp>(l, ValueRange{r});
                })
            .getResult(0);
    if constexpr (!isMax) {
      bool includePad = op.getCountIncludePad();
      std::vector<float> count(static_cast<size_t>(oh * ow));
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t cnt = 0, padCnt = 0;
          for (int64_t u = 0; u < k[0]; ++u)
            for (int64_t v = 0; v < k[1]; ++v) {
              int64_t yy = i * s[0] - p[0] + u * d[0];
              int64_t xx = j * s[1] - p[1] + v * d[1];
              if (yy >= -p[0] && yy < h + p[2] && xx >= -p[1] && xx < w + p[3])
                ++padCnt;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                ++cnt;
            }
          count[size_t(i * ow + j)] = float(includePad ? padCnt : cnt);
        }
      Value counts = rewriter.create<arith::ConstantOp>(
          loc,
          DenseElementsAttr::get(RankedTensorType::get({1, 1, oh, ow}, elem),
                                 ArrayRef(count)));
      y = elementwise(rewriter, loc, out, {y, counts},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::DivFOp>(l, a[0], a[1]);
                      });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions, softmax, normalizations
//===----------------------------------------------------------------------===//

/// The axes of a reduction op normalized to [0, rank), sorted; all axes
/// when empty.
SmallVector<int64_t> reductionAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> r;
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i)
      r.push_back(i);
  for (int64_t a : axes)
    r.push_back(*normalizeAxis(a, rank));
  llvm::sort(r);
  return r;
}

template <typename OpTy> struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> axes = reductionAxes(op.getAxes(), xt.getRank());
    Value y;
    constexpr bool isProd = std::is_same_v<OpTy, ReduceProdOp>;
    ReduceKind kind = isProd ? ReduceKind::Prod : ReduceKind::Sum;
    if constexpr (std::is_same_v<OpTy, ReduceMaxOp>) {
      y = reduceKeepDims(rewriter, loc, x, axes, ReduceKind::Max);
    } else if (!xt.getElementType().isF32()) {
      y = reduceKeepDims(rewriter, loc, x, axes, kind);
      if constexpr (std::is_same_v<OpTy, ReduceMeanOp>) {
        int64_t count = 1;
        for (int64_t a : axes)
          count *= xt.getDimSize(a);
        auto yt = llvm::cast<RankedTensorType>(y.getType());
        y = elementwise(rewriter, loc, yt, {y},
                        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                          Type t = a[0].getType();
                          if (llvm::isa<FloatType>(t))
                            return b.create<arith::DivFOp>(
                                l, a[0], floatConst(b, l, t, double(count)));
                          return b.create<arith::DivSIOp>(
                              l, a[0], intConst(b, l, t, count));
                        });
      }
    } else {
      // f32 sums accumulate in f64 (and means divide there), as the
      // interpreter: one rounding to f32 at the end.
      Type f64 = rewriter.getF64Type();
      Value wide = elementwise(
          rewriter, loc, RankedTensorType::get(xt.getShape(), f64), {x},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return b.create<arith::ExtFOp>(l, f64, a[0]);
          });
      y = reduceKeepDims(rewriter, loc, wide, axes, kind);
      int64_t count = 1;
      for (int64_t a : axes)
        count *= xt.getDimSize(a);
      bool mean = std::is_same_v<OpTy, ReduceMeanOp>;
      auto yt = llvm::cast<RankedTensorType>(y.getType());
      y = elementwise(
          rewriter, loc,
          RankedTensorType::get(yt.getShape(), rewriter.getF32Type()), {y},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value v = a[0];
            if (mean)
              v = b.create<arith::DivFOp>(l, v,
                                          floatConst(b, l, f64, double(count)));
            return b.create<arith::TruncFOp>(l, b.getF32Type(), v);
          });
    }
    auto out = llvm::cast<RankedTensorType>(op.getType());
    if (llvm::cast<RankedTensorType>(y.getType()) != out)
      y = reshape(rewriter, loc, y, out.getShape());
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// A reduction of `axis` of a tensor of `inShape` to size 1, kept (the
/// nn.arg_max / nn.top_k generics): the result shape, the result's indexing
/// map (that dimension at 0) and the iterator types.
struct KeptAxisReduction {
  SmallVector<int64_t> shape;
  AffineMap outMap;
  SmallVector<utils::IteratorType> its;
};
KeptAxisReduction keptAxisReduction(ArrayRef<int64_t> inShape, int64_t axis,
                                    MLIRContext *ctx) {
  int64_t rank = int64_t(inShape.size());
  KeptAxisReduction r{SmallVector<int64_t>(inShape), {}, {}};
  r.shape[size_t(axis)] = 1;
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < rank; ++i) {
    outExprs.push_back(i == axis ? getAffineConstantExpr(0, ctx)
                                 : getAffineDimExpr(unsigned(i), ctx));
    r.its.push_back(i == axis ? utils::IteratorType::reduction
                              : utils::IteratorType::parallel);
  }
  r.outMap = AffineMap::get(unsigned(rank), 0, outExprs, ctx);
  return r;
}

/// nn.arg_max: one reduction generic carrying the best value and its index;
/// an element replaces the best when it is larger (or equal, for the last
/// index) or NaN over a number (NaN over NaN for the last index), as the
/// interpreter.
struct ArgMaxLowering : OpConversionPattern<ArgMaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    int64_t rank = xt.getRank(), axis = op.getAxis();
    if (axis < 0)
      axis += rank;
    Type elem = xt.getElementType();
    bool isFloat = llvm::isa<FloatType>(elem);
    bool isUnsigned = !isFloat && unsignedOperand(op, 0);
    bool last = op.getSelectLastIndex();
    auto [shape, outMap, its] = keptAxisReduction(xt.getShape(), axis, ctx);
    Type i64 = rewriter.getI64Type();
    auto valType = RankedTensorType::get(shape, elem);
    auto idxType = RankedTensorType::get(shape, i64);
    // The lowest value: below every element, so index 0 wins unless another
    // element beats it.
    Value lowest;
    if (isFloat)
      lowest = floatConst(rewriter, loc, elem,
                          -std::numeric_limits<double>::infinity());
    else
      lowest = rewriter.create<arith::ConstantOp>(
          loc, rewriter.getIntegerAttr(
                   elem, isUnsigned
                             ? APInt::getMinValue(elem.getIntOrFloatBitWidth())
                             : APInt::getSignedMinValue(
                                   elem.getIntOrFloatBitWidth())));
    Value zero =
        rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(0));
    Value valInit =
        rewriter
            .create<linalg::FillOp>(loc, ValueRange{lowest},
                                    ValueRange{empty(rewriter, loc, valType)})
            .getResult(0);
    Value idxInit =
        rewriter
            .create<linalg::FillOp>(loc, ValueRange{zero},
                                    ValueRange{empty(rewriter, loc, idxType)})
            .getResult(0);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{valType, idxType}, ValueRange{x},
        ValueRange{valInit, idxInit},
        SmallVector<AffineMap>{
            AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx), outMap,
            outMap},
        its, [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0], best = a[1], bestIdx = a[2];
          Value take;
          if (isFloat) {
            auto cmp = [&](arith::CmpFPredicate p, Value lhs, Value rhs) {
              return b.create<arith::CmpFOp>(l, p, lhs, rhs);
            };
            Value vNaN = cmp(arith::CmpFPredicate::UNO, v, v);
            Value bestNaN = cmp(arith::CmpFPredicate::UNO, best, best);
            Value bestNum = b.create<arith::XOrIOp>(
                l, bestNaN,
                b.create<arith::ConstantOp>(l, b.getBoolAttr(true)));
            // NaN wins over a number (over NaN too for the last index).
            Value nanWins =
                last ? vNaN : b.create<arith::AndIOp>(l, vNaN, bestNum);
            Value beats = cmp(last ? arith::CmpFPredicate::OGE
                                   : arith::CmpFPredicate::OGT,
                              v, best);
            take = b.create<arith::OrIOp>(
                l, nanWins, b.create<arith::AndIOp>(l, bestNum, beats));
          } else {
            arith::CmpIPredicate p = isUnsigned
                                         ? (last ? arith::CmpIPredicate::uge
                                                 : arith::CmpIPredicate::ugt)
                                         : (last ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sgt);
            take = b.create<arith::CmpIOp>(l, p, v, best);
          }
          Value k = b.create<arith::IndexCastOp>(
              l, i64, b.create<linalg::IndexOp>(l, uint64_t(axis)));
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::SelectOp>(l, take, v, best),
                            b.create<arith::SelectOp>(l, take, k, bestIdx)});
        });
    Value y = generic.getResult(1);
    auto out = llvm::cast<RankedTensorType>(op.getType());
    if (idxType != out)
      y = reshape(rewriter, loc, y, out.getShape());
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The most k nn.top_k lowers (k passes over the input, unrolled).
constexpr int64_t kMaxTopK = 256;

/// nn.top_k as k chained value-and-index reductions along the axis: pass j
/// picks the best element strictly after pass j - 1's pick in the order
/// (value, with NaN above every number; then the lower index), so the
/// picks come out best first, as the interpreter's stable sort. O(k n).
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    int64_t rank = xt.getRank();
    int64_t axis = *normalizeAxis(op.getAxis(), rank);
    int64_t k = op.getK();
    if (k > kMaxTopK)
      return rewriter.notifyMatchFailure(op, "k too large");
    Type elem = xt.getElementType();
    bool isFloat = llvm::isa<FloatType>(elem);
    bool isUnsigned = !isFloat && unsignedOperand(op, 0);
    bool largest = op.getLargest();
    Type i64 = rewriter.getI64Type();
    auto [shape, outMap, its] = keptAxisReduction(xt.getShape(), axis, ctx);
    AffineMap idMap = AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx);
    auto valType = RankedTensorType::get(shape, elem);
    auto idxType = RankedTensorType::get(shape, i64);
    Value zeroV = isFloat ? floatConst(rewriter, loc, elem, 0.0)
                          : intConst(rewriter, loc, elem, 0);
    Value none =
        rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(-1));
    auto fill = [&](Value v, RankedTensorType t) {
      return rewriter
          .create<linalg::FillOp>(loc, ValueRange{v},
                                  ValueRange{empty(rewriter, loc, t)})
          .getResult(0);
    };
    auto outV = llvm::cast<RankedTensorType>(op.getValues().getType());
    auto outI = llvm::cast<RankedTensorType>(op.getIndices().getType());
    Value values = empty(rewriter, loc, outV.clone(elem));
    Value indices = empty(rewriter, loc, outI);
    Value prevV, prevI;
    for (int64_t j = 0; j < k; ++j) {
      SmallVector<Value> ins{x};
      SmallVector<AffineMap> maps{idMap};
      if (j > 0) {
        ins.append({prevV, prevI});
        maps.append({outMap, outMap});
      }
      maps.append({outMap, outMap});
      auto generic = rewriter.create<linalg::GenericOp>(
          loc, TypeRange{valType, idxType}, ins,
          ValueRange{fill(zeroV, valType), fill(none, idxType)}, maps, its,
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value v = a[0];
            Value i = b.create<arith::IndexCastOp>(
                l, i64, b.create<linalg::IndexOp>(l, uint64_t(axis)));
            Value bestV = a[a.size() - 2], bestI = a[a.size() - 1];
            auto gt = [&](Value p, Value q) -> Value {
              if (!isFloat)
                return b.create<arith::CmpIOp>(l,
                                               isUnsigned
                                                   ? arith::CmpIPredicate::ugt
                                                   : arith::CmpIPredicate::sgt,
                                               p, q);
              Value pNaN =
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, p, p);
              Value qNum =
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::ORD, q, q);
              return b.create<arith::OrIOp>(
                  l, b.create<arith::AndIOp>(l, pNaN, qNum),
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, p, q));
            };
            auto eq = [&](Value p, Value q) -> Value {
              if (!isFloat)
                return b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, p,
                                               q);
              Value bothNaN = b.create<arith::AndIOp>(
                  l,
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, p, p),
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, q, q));
              return b.create<arith::OrIOp>(
                  l, bothNaN,
                  b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, p, q));
            };
            // (pv, pi) comes before (qv, qi) in the output order.
            auto before = [&](Value pv, Value pi, Value qv, Value qi) {
              Value first = largest ? gt(pv, qv) : gt(qv, pv);
              Value tie = b.create<arith::AndIOp>(
                  l, eq(pv, qv),
                  b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, pi,
                                          qi));
              return b.create<arith::OrIOp>(l, first, tie);
            };
            Value take = b.create<arith::OrIOp>(
                l,
                b.create<arith::CmpIOp>(
                    l, arith::CmpIPredicate::slt, bestI,
                    b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(0))),
                before(v, i, bestV, bestI));
            if (j > 0) // only after the previous pick
              take = b.create<arith::AndIOp>(l, take, before(a[1], a[2], v, i));
            b.create<linalg::YieldOp>(
                l, ValueRange{b.create<arith::SelectOp>(l, take, v, bestV),
                              b.create<arith::SelectOp>(l, take, i, bestI)});
          });
      prevV = generic.getResult(0);
      prevI = generic.getResult(1);
      SmallVector<OpFoldResult> offs(size_t(rank), rewriter.getIndexAttr(0)),
          sizes, strides(size_t(rank), rewriter.getIndexAttr(1));
      offs[size_t(axis)] = rewriter.getIndexAttr(j);
      for (int64_t d : shape)
        sizes.push_back(rewriter.getIndexAttr(d));
      values = rewriter.create<tensor::InsertSliceOp>(loc, prevV, values, offs,
                                                      sizes, strides);
      indices = rewriter.create<tensor::InsertSliceOp>(loc, prevI, indices,
                                                       offs, sizes, strides);
    }
    rewriter.replaceOp(op, ValueRange{values, indices});
    return success();
  }
};

struct GlobalAveragePoolLowering : OpConversionPattern<GlobalAveragePoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GlobalAveragePoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t i = 2; i < xt.getRank(); ++i) {
      axes.push_back(i);
      count *= xt.getDimSize(i);
    }
    Value y = reduceKeepDims(rewriter, op.getLoc(), x, axes, ReduceKind::Sum);
    rewriter.replaceOp(op, divideBy(rewriter, op.getLoc(), y, double(count)));
    return success();
  }
};

template <typename OpTy> struct SoftmaxLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), xt.getRank());
    constexpr bool isLog = std::is_same_v<OpTy, LogSoftmaxOp>;
    Value mx = reduceKeepDims(rewriter, loc, x, {axis}, ReduceKind::Max);
    Value e = elementwise(rewriter, loc, xt, {x, mx},
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
                            return b.create<math::ExpOp>(l, d);
                          });
    Value s = reduceKeepDims(rewriter, loc, e, {axis}, ReduceKind::Sum);
    Value y;
    if (isLog)
      y = elementwise(rewriter, loc, xt, {x, mx, s},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        Value d = b.create<arith::SubFOp>(l, a[0], a[1]);
                        return b.create<arith::SubFOp>(
                            l, d, b.create<math::LogOp>(l, a[2]));
                      });
    else
      y = elementwise(rewriter, loc, xt, {e, s},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        return b.create<arith::DivFOp>(l, a[0], a[1]);
                      });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Axes [axis, rank) and their element count.
std::pair<SmallVector<int64_t>, int64_t> trailingAxes(RankedTensorType t,
                                                      int64_t axisAttr) {
  int64_t axis = *normalizeAxis(axisAttr, t.getRank());
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = axis; i < t.getRank(); ++i) {
    axes.push_back(i);
    count *= t.getDimSize(i);
  }
  return {axes, count};
}

/// LayerNorm and RMSNorm as the interpreter computes them, in f32:
/// mean = sum(x) / N (0 for RMSNorm), var = sum((x - mean)^2) / N,
/// inv = 1 / sqrt(var + eps), y = (x - mean) * inv * g (+ b).
Value normalize(ConversionPatternRewriter &rewriter, Location loc, Value x,
                int64_t axisAttr, double eps, Value scale, Value bias,
                bool rms) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  auto [axes, count] = trailingAxes(xt, axisAttr);
  Value d = x;
  if (!rms) {
    Value mean = divideBy(
        rewriter, loc, reduceKeepDims(rewriter, loc, x, axes, ReduceKind::Sum),
        double(count));
    d = elementwise(rewriter, loc, xt, {x, mean},
                    [](OpBuilder &b, Location l, ValueRange a) -> Value {
                      return b.create<arith::SubFOp>(l, a[0], a[1]);
                    });
  }
  Value var =
      divideBy(rewriter, loc,
               reduceKeepDims(rewriter, loc, d, axes, ReduceKind::SumOfSquares),
               double(count));
  Value inv = elementwise(
      rewriter, loc, llvm::cast<RankedTensorType>(var.getType()), {var},
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Type t = a[0].getType();
        Value den = b.create<math::SqrtOp>(
            l, b.create<arith::AddFOp>(l, a[0], floatConst(b, l, t, eps)));
        return b.create<arith::DivFOp>(l, floatConst(b, l, t, 1.0), den);
      });
  SmallVector<Value> ins{d, inv, scale};
  if (bias)
    ins.push_back(bias);
  return elementwise(rewriter, loc, xt, ins,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       Value v = b.create<arith::MulFOp>(
                           l, b.create<arith::MulFOp>(l, a[0], a[1]), a[2]);
                       if (a.size() > 3)
                         v = b.create<arith::AddFOp>(l, v, a[3]);
                       return v;
                     });
}

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, normalize(rewriter, op.getLoc(), adaptor.getInput(), op.getAxis(),
                      op.getEpsilon().convertToDouble(), adaptor.getScale(),
                      adaptor.getBias(), /*rms=*/false));
    return success();
  }
};

struct RMSNormLowering : OpConversionPattern<RMSNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, normalize(rewriter, op.getLoc(), adaptor.getInput(), op.getAxis(),
                      op.getEpsilon().convertToDouble(), adaptor.getScale(),
                      Value(), /*rms=*/true));
    return success();
  }
};

struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto xt = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    // [C] parameters as [C, 1, ..., 1] so that they broadcast on axis 1.
    SmallVector<int64_t> pshape(size_t(xt.getRank() - 1), 1);
    pshape[0] = xt.getDimSize(1);
    auto param = [&](Value v) { return reshape(rewriter, loc, v, pshape); };
    double eps = op.getEpsilon().convertToDouble();
    // A constant f32 variance: sqrt(var + eps) computed here, per channel
    // (f32 sum and correctly rounded square root: the loop's own values),
    // so the loop does not take a square root per element (it did for
    // every pixel once the NCHW loop of a convolution, which the batch
    // norm fuses into, runs along the channels).
    Value variance = adaptor.getVariance();
    bool denominators = false;
    std::vector<float> splat;
    if (xt.getElementType().isF32())
      if (std::optional<ArrayRef<float>> var =
              constantFloats(variance, splat)) {
        std::vector<float> den;
        for (float v : *var)
          den.push_back(std::sqrt(v + float(eps)));
        variance = rewriter.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(
                     llvm::cast<RankedTensorType>(variance.getType()),
                     llvm::ArrayRef(den)));
        denominators = true;
      }
    Value y = elementwise(
        rewriter, loc, xt,
        {adaptor.getInput(), param(adaptor.getMean()), param(variance),
         param(adaptor.getScale()), param(adaptor.getBias())},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Type t = a[0].getType();
          Value den = denominators
                          ? a[2]
                          : b.create<math::SqrtOp>(
                                l, b.create<arith::AddFOp>(
                                       l, a[2], floatConst(b, l, t, eps)));
          Value v = b.create<arith::DivFOp>(
              l, b.create<arith::SubFOp>(l, a[0], a[1]), den);
          return b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, v, a[3]),
                                         a[4]);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshape(rewriter, op.getLoc(), adaptor.getInput(),
                                   op.getType().getShape()));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto out = llvm::cast<RankedTensorType>(op.getType());
    Value init = empty(rewriter, op.getLoc(), out);
    Operation *t = rewriter.create<linalg::TransposeOp>(
        op.getLoc(), adaptor.getInput(), init, op.getPerm());
    rewriter.replaceOp(op, t->getResult(0));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), out.getRank());
    Value y = empty(rewriter, loc, out);
    int64_t offset = 0;
    for (Value in : adaptor.getInputs()) {
      auto t = llvm::cast<RankedTensorType>(in.getType());
      SmallVector<OpFoldResult> offs(size_t(out.getRank()),
                                     rewriter.getIndexAttr(0));
      offs[size_t(axis)] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides;
      for (int64_t d : t.getShape()) {
        sizes.push_back(rewriter.getIndexAttr(d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      y = rewriter.create<tensor::InsertSliceOp>(loc, in, y, offs, sizes,
                                                 strides);
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct SplitLowering : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto in = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = *normalizeAxis(op.getAxis(), in.getRank());
    SmallVector<Value> results;
    int64_t offset = 0;
    for (Value r : op->getResults()) {
      auto t = llvm::cast<RankedTensorType>(r.getType());
      SmallVector<OpFoldResult> offs(size_t(in.getRank()),
                                     rewriter.getIndexAttr(0));
      offs[size_t(axis)] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides;
      for (int64_t d : t.getShape()) {
        sizes.push_back(rewriter.getIndexAttr(d));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      results.push_back(rewriter.create<tensor::ExtractSliceOp>(
          loc, t, adaptor.getInput(), offs, sizes, strides));
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      SmallVector<OpFoldResult> offs, sizes, strides;
      for (int64_t i = 0; i < out.getRank(); ++i) {
        offs.push_back(rewriter.getIndexAttr(starts[size_t(i)]));
        sizes.push_back(rewriter.getIndexAttr(out.getDimSize(i)));
        strides.push_back(rewriter.getIndexAttr(steps[size_t(i)]));
      }
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, out, adaptor.getInput(), offs, sizes, strides);
      return success();
    }
    // Negative steps: index arithmetic per element.
    Value src = adaptor.getInput();
    Value y = indexedGeneric(
        rewriter, loc, out, [&](OpBuilder &b, Location l, ValueRange idx) {
          SmallVector<Value> at;
          for (int64_t i = 0; i < out.getRank(); ++i) {
            Value start =
                b.create<arith::ConstantIndexOp>(l, starts[size_t(i)]);
            Value step = b.create<arith::ConstantIndexOp>(l, steps[size_t(i)]);
            at.push_back(b.create<arith::AddIOp>(
                l, start, b.create<arith::MulIOp>(l, idx[size_t(i)], step)));
          }
          return b.create<tensor::ExtractOp>(l, src, at);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// A gather index `raw` (an integer) as a position along an axis of `dim`:
/// negative ones count from the end. Indices out of [-dim, dim) are an
/// error in ONNX (the interpreter reports them); compiled code has no
/// error channel, so it clamps them into the axis, as XLA's gather does,
/// and never reads outside the input.
static Value axisIndex(OpBuilder &b, Location l, Value raw, int64_t dim) {
  Value k = b.create<arith::IndexCastOp>(l, b.getIndexType(), raw);
  Value zero = b.create<arith::ConstantIndexOp>(l, 0);
  Value neg = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, k, zero);
  Value wrapped =
      b.create<arith::AddIOp>(l, k, b.create<arith::ConstantIndexOp>(l, dim));
  k = b.create<arith::SelectOp>(l, neg, wrapped, k);
  return b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, k, zero),
                                  b.create<arith::ConstantIndexOp>(l, dim - 1));
}

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    Value src = adaptor.getInput(), indices = adaptor.getIndices();
    auto st = llvm::cast<RankedTensorType>(src.getType());
    auto it = llvm::cast<RankedTensorType>(indices.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), st.getRank());
    int64_t ir = it.getRank();
    int64_t dim = st.getDimSize(axis);
    Value y = indexedGeneric(
        rewriter, loc, out, [&](OpBuilder &b, Location l, ValueRange idx) {
          // Output index: [i_0..i_{axis-1}, j_0..j_{ir-1}, k...].
          SmallVector<Value> jidx(idx.begin() + axis, idx.begin() + axis + ir);
          Value k = axisIndex(
              b, l, b.create<tensor::ExtractOp>(l, indices, jidx), dim);
          SmallVector<Value> at(idx.begin(), idx.begin() + axis);
          at.push_back(k);
          at.append(idx.begin() + axis + ir, idx.end());
          return b.create<tensor::ExtractOp>(l, src, at);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// y[idx] = x[idx with position axis replaced by indices[idx]]: one
/// generic over the output with tensor.extract of the index and the
/// element (out-of-range indices clamped, as for nn.gather).
struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    Value src = adaptor.getInput(), indices = adaptor.getIndices();
    auto st = llvm::cast<RankedTensorType>(src.getType());
    int64_t axis = *normalizeAxis(op.getAxis(), st.getRank());
    int64_t dim = st.getDimSize(axis);
    Value y = indexedGeneric(
        rewriter, loc, out, [&](OpBuilder &b, Location l, ValueRange idx) {
          Value k = axisIndex(
              b, l, b.create<tensor::ExtractOp>(l, indices, idx), dim);
          SmallVector<Value> at(idx.begin(), idx.end());
          at[size_t(axis)] = k;
          return b.create<tensor::ExtractOp>(l, src, at);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The scatter reductions on elements `old` and `update`: "add", "mul",
/// "max" and "min" (IEEE 754-2019 maximum / minimum on floats, as the
/// interpreter's; unsigned compares for unsigned integer tensors); "none"
/// keeps the update.
static Value scatterCombine(OpBuilder &b, Location l, StringRef reduction,
                            bool isUnsigned, Value old, Value update) {
  if (reduction == "none")
    return update;
  if (llvm::isa<FloatType>(update.getType())) {
    if (reduction == "add")
      return b.create<arith::AddFOp>(l, old, update);
    if (reduction == "mul")
      return b.create<arith::MulFOp>(l, old, update);
    if (reduction == "max")
      return b.create<arith::MaximumFOp>(l, old, update);
    return b.create<arith::MinimumFOp>(l, old, update);
  }
  if (reduction == "add")
    return b.create<arith::AddIOp>(l, old, update);
  if (reduction == "mul")
    return b.create<arith::MulIOp>(l, old, update);
  if (reduction == "max")
    return isUnsigned ? b.create<arith::MaxUIOp>(l, old, update).getResult()
                      : b.create<arith::MaxSIOp>(l, old, update).getResult();
  return isUnsigned ? b.create<arith::MinUIOp>(l, old, update).getResult()
                    : b.create<arith::MinSIOp>(l, old, update).getResult();
}

/// Scatters: y = x, then one write (or read, combine and write) per update
/// in the row-major order of the interpreter, by an scf.for nest over
/// `shape` carrying y (bufferization writes it in place). `position`
/// gives the element of y for the nest's indices and the update's
/// element index. Out-of-range indices are clamped into the axis (see
/// axisIndex): compiled code has no error channel and never writes
/// outside y.
static Value scatterNest(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value x,
    StringRef reduction, bool isUnsigned, Value updates,
    llvm::function_ref<std::pair<SmallVector<Value>, SmallVector<Value>>(
        OpBuilder &, Location, ValueRange)>
        position) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : shape) {
    lbs.push_back(b.create<arith::ConstantIndexOp>(loc, 0));
    ubs.push_back(b.create<arith::ConstantIndexOp>(loc, d));
    steps.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{x},
      [&](OpBuilder &nb, Location l, ValueRange ivs,
          ValueRange acc) -> scf::ValueVector {
        auto [at, from] = position(nb, l, ivs);
        Value v = nb.create<tensor::ExtractOp>(l, updates, from);
        if (reduction != "none")
          v = scatterCombine(nb, l, reduction, isUnsigned,
                             nb.create<tensor::ExtractOp>(l, acc[0], at), v);
        return {nb.create<tensor::InsertOp>(l, v, acc[0], at)};
      });
  return nest.results[0];
}

struct ScatterElementsLowering : OpConversionPattern<ScatterElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value indices = adaptor.getIndices();
    auto xt = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t axis = *normalizeAxis(op.getAxis(), xt.getRank());
    bool isUnsigned = unsignedOperand(op, 0);
    Value y = scatterNest(
        rewriter, op.getLoc(),
        llvm::cast<RankedTensorType>(indices.getType()).getShape(),
        adaptor.getInput(), op.getReduction(), isUnsigned, adaptor.getUpdates(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at(ivs.begin(), ivs.end());
          at[size_t(axis)] =
              axisIndex(b, l, b.create<tensor::ExtractOp>(l, indices, ivs),
                        xt.getDimSize(axis));
          return std::make_pair(at, SmallVector<Value>(ivs.begin(), ivs.end()));
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The nest runs over indices' leading dimensions and then the slice's
/// (x's dimensions from k on).
struct ScatterNDLowering : OpConversionPattern<ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value indices = adaptor.getIndices();
    auto xt = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    auto it = llvm::cast<RankedTensorType>(indices.getType());
    int64_t k = it.getShape().back(), lead = it.getRank() - 1;
    SmallVector<int64_t> shape(it.getShape().drop_back());
    llvm::append_range(shape, xt.getShape().drop_front(k));
    bool isUnsigned = unsignedOperand(op, 0);
    Value y = scatterNest(
        rewriter, op.getLoc(), shape, adaptor.getInput(), op.getReduction(),
        isUnsigned, adaptor.getUpdates(),
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          SmallVector<Value> at, tuple(ivs.begin(), ivs.begin() + lead);
          for (int64_t j = 0; j < k; ++j) {
            tuple.push_back(b.create<arith::ConstantIndexOp>(l, j));
            at.push_back(
                axisIndex(b, l, b.create<tensor::ExtractOp>(l, indices, tuple),
                          xt.getDimSize(j)));
            tuple.pop_back();
          }
          at.append(ivs.begin() + lead, ivs.end());
          return std::make_pair(at, SmallVector<Value>(ivs.begin(), ivs.end()));
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// y[..., i, ...] = sum over p of x[..., p, ...] for p <= i (exclusive:
/// p < i; reverse: p >= i or p > i), from -0 (the identity of addition) or
/// 0, in the interpreter's sequential order, so bit-exact, with O(L) work
/// per line. Along the innermost axis: a loop nest over the lines, each
/// scanned with a scalar sum (contiguous reads). Along an outer axis: an
/// scf.for over the axis carries the running sums of every line (a slice
/// of size 1 along the axis) and y; step j reads the slice at p = j
/// (reverse: L - 1 - j), writes y's slice at p (the sums after adding it;
/// exclusive: before) and adds it, one elementwise generic over the
/// contiguous inner dimensions. (A select over the whole axis per output
/// element was O(L^2): 15 ms for a QLinearSoftmax of 12 x 128 x 128, now
/// 0.7 ms.)
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = out.getRank();
    int64_t axis = *normalizeAxis(op.getAxis(), rank);
    int64_t len = out.getDimSize(axis);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    Type elem = out.getElementType();
    bool isFloat = llvm::isa<FloatType>(elem);
    SmallVector<int64_t> lineShape(out.getShape());
    lineShape[size_t(axis)] = 1;
    auto lineType = RankedTensorType::get(lineShape, elem);
    Value identity = isFloat ? floatConst(rewriter, loc, elem, -0.0)
                             : intConst(rewriter, loc, elem, 0);
    auto add = [&](OpBuilder &b, Location l, Value a, Value v) -> Value {
      return isFloat ? b.create<arith::AddFOp>(l, a, v).getResult()
                     : b.create<arith::AddIOp>(l, a, v).getResult();
    };
    if (axis == rank - 1) {
      // Along the innermost axis the lines are contiguous: a nest over the
      // lines, each scanned in order with a scalar sum (a step per position
      // over all lines would stride through memory).
      SmallVector<Value> lbs, ubs, steps;
      for (int64_t d = 0; d < rank - 1; ++d) {
        lbs.push_back(rewriter.create<arith::ConstantIndexOp>(loc, 0));
        ubs.push_back(
            rewriter.create<arith::ConstantIndexOp>(loc, out.getDimSize(d)));
        steps.push_back(rewriter.create<arith::ConstantIndexOp>(loc, 1));
      }
      Value x = adaptor.getInput();
      scf::LoopNest nest = scf::buildLoopNest(
          rewriter, loc, lbs, ubs, steps, ValueRange{empty(rewriter, loc, out)},
          [&](OpBuilder &nb, Location l, ValueRange ivs,
              ValueRange acc) -> scf::ValueVector {
            auto scan = nb.create<scf::ForOp>(
                l, nb.create<arith::ConstantIndexOp>(l, 0),
                nb.create<arith::ConstantIndexOp>(l, len),
                nb.create<arith::ConstantIndexOp>(l, 1),
                ValueRange{identity, acc[0]},
                [&](OpBuilder &b, Location sl, Value j, ValueRange carried) {
                  Value p = j;
                  if (reverse)
                    p = b.create<arith::SubIOp>(
                        sl, b.create<arith::ConstantIndexOp>(sl, len - 1), j);
                  SmallVector<Value> at(ivs.begin(), ivs.end());
                  at.push_back(p);
                  Value next = add(b, sl, carried[0],
                                   b.create<tensor::ExtractOp>(sl, x, at));
                  Value y = b.create<tensor::InsertOp>(
                      sl, exclusive ? carried[0] : next, carried[1], at);
                  b.create<scf::YieldOp>(sl, ValueRange{next, y});
                });
            return {scan.getResult(1)};
          });
      rewriter.replaceOp(op, nest.results[0]);
      return success();
    }
    Value sums =
        rewriter
            .create<linalg::FillOp>(loc, ValueRange{identity},
                                    ValueRange{empty(rewriter, loc, lineType)})
            .getResult(0);
    SmallVector<OpFoldResult> sizes, strides;
    for (int64_t d : lineShape) {
      sizes.push_back(rewriter.getIndexAttr(d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    AffineMap id = AffineMap::getMultiDimIdentityMap(unsigned(rank),
                                                     rewriter.getContext());
    SmallVector<utils::IteratorType> its(size_t(rank),
                                         utils::IteratorType::parallel);
    Value x = adaptor.getInput();
    auto loop = rewriter.create<scf::ForOp>(
        loc, rewriter.create<arith::ConstantIndexOp>(loc, 0),
        rewriter.create<arith::ConstantIndexOp>(loc, len),
        rewriter.create<arith::ConstantIndexOp>(loc, 1),
        ValueRange{sums, empty(rewriter, loc, out)},
        [&](OpBuilder &b, Location l, Value j, ValueRange acc) {
          Value p = j;
          if (reverse)
            p = b.create<arith::SubIOp>(
                l, b.create<arith::ConstantIndexOp>(l, len - 1), j);
          SmallVector<OpFoldResult> offsets(size_t(rank), b.getIndexAttr(0));
          offsets[size_t(axis)] = p;
          Value slice = b.create<tensor::ExtractSliceOp>(
              l, lineType, x, offsets, sizes, strides);
          Value y = acc[1];
          if (exclusive)
            y = b.create<tensor::InsertSliceOp>(l, acc[0], y, offsets, sizes,
                                                strides);
          Value next = b.create<linalg::GenericOp>(
                            l, lineType, ValueRange{slice}, ValueRange{acc[0]},
                            ArrayRef<AffineMap>{id, id}, its,
                            [&](OpBuilder &gb, Location gl, ValueRange a) {
                              Value sum =
                                  isFloat
                                      ? gb.create<arith::AddFOp>(gl, a[1], a[0])
                                            .getResult()
                                      : gb.create<arith::AddIOp>(gl, a[1], a[0])
                                            .getResult();
                              gb.create<linalg::YieldOp>(gl, sum);
                            })
                           .getResult(0);
          if (!exclusive)
            y = b.create<tensor::InsertSliceOp>(l, next, y, offsets, sizes,
                                                strides);
          b.create<scf::YieldOp>(l, ValueRange{next, y});
        });
    rewriter.replaceOp(op, loop.getResult(1));
    return success();
  }
};

struct TriluLowering : OpConversionPattern<TriluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = llvm::cast<RankedTensorType>(op.getType());
    int64_t rank = out.getRank(), k = op.getK();
    bool upper = op.getUpper();
    Value y = elementwiseIndexed(
        rewriter, loc, out, {adaptor.getInput()},
        [&](OpBuilder &b, Location l, ValueRange a, ValueRange idx) -> Value {
          // Keep where j - i >= k (upper) or j - i <= k (lower).
          Value diff = b.create<arith::SubIOp>(l, idx[size_t(rank - 1)],
                                               idx[size_t(rank - 2)]);
          Value kc = b.create<arith::ConstantIndexOp>(l, k);
          Value keep = b.create<arith::CmpIOp>(
              l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, kc);
          Type t = a[0].getType();
          Value zero = llvm::isa<FloatType>(t) ? floatConst(b, l, t, 0.0)
                                               : intConst(b, l, t, 0);
          return b.create<arith::SelectOp>(l, keep, a[0], zero);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertNNToLinalgPass
    : qc::impl::ConvertNNToLinalgBase<ConvertNNToLinalgPass> {
  using ConvertNNToLinalgBase::ConvertNNToLinalgBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(qc::checkNNLowerable(module)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<NNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    using K = qc::F32MatmulKernel;
    std::optional<K> f32Kernel =
        llvm::StringSwitch<std::optional<K>>(floatKernel)
            .Case("auto", qc::x86::hasAVX512F(targetCPU) ? K::AVX512
                          : qc::x86::hasAVX2(targetCPU)  ? K::AVX2
                                                         : K::Generic)
            .Case("avx512", K::AVX512)
            .Case("avx512-fma", K::AVX512FMA)
            .Case("avx2", K::AVX2)
            .Case("avx2-fma", K::AVX2FMA)
            .Case("generic", K::Generic)
            .Default(std::nullopt);
    if (!f32Kernel) {
      emitError(module.getLoc(), "qc-convert-nn-to-linalg: unknown "
                                 "float-kernel '")
          << floatKernel
          << "' (expected auto, avx512, avx512-fma, avx2, avx2-fma or generic)";
      return signalPassFailure();
    }
    auto int8 = qc::x86::int8KernelNamed(int8Kernel, targetCPU);
    if (failed(int8)) {
      emitError(module.getLoc(), "qc-convert-nn-to-linalg: unknown "
                                 "int8-kernel '")
          << int8Kernel << "' (expected auto, vnni512, avx2 or generic)";
      return signalPassFailure();
    }
    qc::nn::promoteHalfPrecision(module);
    qc::populateNNToLinalgPatterns(patterns, *f32Kernel, *int8);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

Value qc::linalg_builders::convolution(OpBuilder &b, Location loc, Value x,
                                       Value w, ArrayRef<int64_t> pads,
                                       ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> dilations,
                                       int64_t group, RankedTensorType out) {
  return buildConv(b, loc, x, w, pads, strides, dilations, group, out);
}

void qc::populateNNToLinalgPatterns(RewritePatternSet &patterns,
                                    F32MatmulKernel f32Kernel,
                                    const x86::Int8Kernel *int8Kernel) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ElementwiseLowering>(ctx);
  patterns.add<MatMulLowering>(ctx, f32Kernel);
  patterns.add<ConvLowering, GemmLowering>(ctx, f32Kernel);
  patterns.add<MatMulIntegerLowering>(ctx, int8Kernel);
  patterns.add<ConvIntegerLowering>(ctx);
  patterns.add<PoolLowering<MaxPoolOp>, PoolLowering<AveragePoolOp>,
               ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
               ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceProdOp>,
               ArgMaxLowering, GlobalAveragePoolLowering,
               SoftmaxLowering<SoftmaxOp>, SoftmaxLowering<LogSoftmaxOp>,
               LayerNormLowering, RMSNormLowering, BatchNormLowering,
               ReshapeLowering, TransposeLowering, ConcatLowering,
               SplitLowering, SliceLowering, GatherLowering, TriluLowering,
               CumSumLowering, GatherElementsLowering, TopKLowering,
               ScatterElementsLowering, ScatterNDLowering>(ctx);
}

LogicalResult qc::checkNNLowerable(Operation *root) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (!llvm::isa<NNDialect>(op->getDialect()))
      return;
    if (auto topk = llvm::dyn_cast<TopKOp>(op);
        topk && topk.getK() > kMaxTopK) {
      op->emitError("qc-lower-to-cpu: ")
          << op->getName() << " with k = " << topk.getK()
          << " has no CPU lowering (k passes over the input; at most "
          << kMaxTopK << ")";
      ok = false;
      return;
    }
    SmallVector<Type> types(op->getOperandTypes());
    llvm::append_range(types, op->getResultTypes());
    for (Type t : types) {
      auto rt = llvm::dyn_cast<RankedTensorType>(t);
      if (!rt)
        continue;
      if (!rt.hasStaticShape()) {
        op->emitError("qc-lower-to-cpu: ")
            << op->getName() << " has a dynamic shape " << rt
            << "; the CPU lowering needs static shapes";
        ok = false;
        return;
      }
      Type e = rt.getElementType();
      if (e.isUnsignedInteger()) {
        op->emitError("qc-lower-to-cpu: ")
            << op->getName() << " on unsigned element type " << e
            << " needs --qc-nn-signless first";
        ok = false;
        return;
      }
      bool supported = e.isF32() || e.isF16() || e.isBF16() || e.isF64() ||
                       e.isSignlessInteger();
      if (!supported) {
        op->emitError("qc-lower-to-cpu: ")
            << op->getName() << " on element type " << e
            << " has no CPU lowering (f32, f16, bf16, f64, signless "
               "integers and i1 do)";
        ok = false;
        return;
      }
    }
  });
  return success(ok);
}

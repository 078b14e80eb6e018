//===- LinalgBuilders.cpp - Shared builders of the linalg lowerings -------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "LinalgBuilders.h"

#include <cfloat>
#include <limits>

using namespace mlir;

namespace qc::linalg_builders {

Value empty(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

static Value scalarConst(OpBuilder &b, Location loc, Type t, double v) {
  if (llvm::isa<FloatType>(t))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(t, v));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(t, int64_t(v)));
}

Value zeroFilled(OpBuilder &b, Location loc, RankedTensorType type) {
  Value zero = scalarConst(b, loc, type.getElementType(), 0.0);
  return b
      .create<linalg::FillOp>(loc, ValueRange{zero},
                              ValueRange{empty(b, loc, type)})
      .getResult(0);
}

AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operand,
                       ArrayRef<int64_t> resultShape) {
  int64_t rank = int64_t(resultShape.size()), r = operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < r; ++i) {
    int64_t d = rank - r + i;
    exprs.push_back(operand.getDimSize(i) == 1 && resultShape[size_t(d)] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(unsigned(d), ctx));
  }
  return AffineMap::get(unsigned(rank), 0, exprs, ctx);
}

/// A parallel generic over `resultType` reading `inputs` broadcast; the body
/// gets the inputs and, when `withIndices`, the loop indices.
static Value parallelGeneric(OpBuilder &b, Location loc,
                             RankedTensorType resultType, ValueRange inputs,
                             bool withIndices, IndexedBodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(ctx, llvm::cast<RankedTensorType>(in.getType()),
                                resultType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx));
  SmallVector<utils::IteratorType> its(size_t(rank),
                                       utils::IteratorType::parallel);
  return b
      .create<linalg::GenericOp>(
          loc, resultType, inputs, ValueRange{empty(b, loc, resultType)}, maps,
          its,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            SmallVector<Value> idx;
            if (withIndices)
              for (int64_t i = 0; i < rank; ++i)
                idx.push_back(nb.create<linalg::IndexOp>(nl, uint64_t(i)));
            Value v = body(nb, nl, args.drop_back(), idx);
            nb.create<linalg::YieldOp>(nl, ValueRange{v});
          })
      .getResult(0);
}

Value elementwiseIndexed(OpBuilder &b, Location loc,
                         RankedTensorType resultType, ValueRange inputs,
                         IndexedBodyFn body) {
  return parallelGeneric(b, loc, resultType, inputs, /*withIndices=*/true,
                         body);
}

Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  return parallelGeneric(b, loc, resultType, inputs, /*withIndices=*/false,
                         [&](OpBuilder &nb, Location nl, ValueRange args,
                             ValueRange) { return body(nb, nl, args); });
}

Value indexedGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return elementwiseIndexed(b, loc, resultType, {},
                            [&](OpBuilder &nb, Location nl, ValueRange,
                                ValueRange idx) { return body(nb, nl, idx); });
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  auto flatType =
      RankedTensorType::get({t.getNumElements()}, t.getElementType());
  auto outType = RankedTensorType::get(shape, t.getElementType());
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> r;
    if (rank == 0)
      return r;
    ReassociationIndices g;
    for (int64_t i = 0; i < rank; ++i)
      g.push_back(i);
    r.push_back(g);
    return r;
  };
  // Rank 0 <-> rank 1 goes through an empty reassociation.
  Value flat = v;
  if (t.getRank() != 1)
    flat = t.getRank() == 0
               ? b.create<tensor::ExpandShapeOp>(
                      loc, flatType, v, SmallVector<ReassociationIndices>{})
                     .getResult()
               : b.create<tensor::CollapseShapeOp>(loc, flatType, v,
                                                   allDims(t.getRank()))
                     .getResult();
  if (outType.getRank() == 1)
    return flat;
  if (outType.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(
        loc, outType, flat, SmallVector<ReassociationIndices>{});
  return b.create<tensor::ExpandShapeOp>(loc, outType, flat,
                                         allDims(outType.getRank()));
}

Value reduceKeepDims(OpBuilder &b, Location loc, Value x,
                     ArrayRef<int64_t> axes, ReduceKind kind) {
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  int64_t rank = xt.getRank();
  SmallVector<int64_t> shape(xt.getShape());
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> its;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    if (reduced)
      shape[size_t(i)] = 1;
    outExprs.push_back(reduced ? getAffineConstantExpr(0, ctx)
                               : getAffineDimExpr(unsigned(i), ctx));
    its.push_back(reduced ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  }
  auto outType = RankedTensorType::get(shape, elem);
  bool isFloat = llvm::isa<FloatType>(elem);
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx),
      AffineMap::get(unsigned(rank), 0, outExprs, ctx)};
  if (kind == ReduceKind::AbsMax && elem.isF32()) {
    // On the bits: for |v| (sign cleared) the IEEE encodings order like
    // the values, and the finite ones are those <= FLT_MAX's, so
    //   r = max_u(r, (bits(v) & 0x7fffffff) <= 0x7f7fffff ? that : 0)
    // skips NaN and infinities and is exact in any order -- an integer max
    // reduction, which the loop vectorizer widens (the float
    // compare-and-select chain below, or a maxnum, it leaves scalar).
    Type i32 = b.getI32Type();
    auto bitsType = RankedTensorType::get(shape, i32);
    Value zero = b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(0));
    Value acc = b.create<linalg::FillOp>(loc, ValueRange{zero},
                                         ValueRange{empty(b, loc, bitsType)})
                    .getResult(0);
    Value bits =
        b.create<linalg::GenericOp>(
             loc, bitsType, ValueRange{x}, ValueRange{acc}, maps, its,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               auto c = [&](int32_t v) {
                 return nb.create<arith::ConstantOp>(nl,
                                                     nb.getI32IntegerAttr(v));
               };
               Value m = nb.create<arith::AndIOp>(
                   nl, nb.create<arith::BitcastOp>(nl, i32, a[0]),
                   c(0x7fffffff));
               Value finite = nb.create<arith::CmpIOp>(
                   nl, arith::CmpIPredicate::ule, m, c(0x7f7fffff));
               Value v = nb.create<arith::SelectOp>(nl, finite, m, c(0));
               nb.create<linalg::YieldOp>(
                   nl, nb.create<arith::MaxUIOp>(nl, a[1], v).getResult());
             })
            .getResult(0);
    return elementwise(b, loc, outType, {bits},
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                         return nb.create<arith::BitcastOp>(nl, elem, a[0]);
                       });
  }
  Value init;
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::SumOfSquares:
  case ReduceKind::AbsMax:
    init = scalarConst(b, loc, elem, 0.0);
    break;
  case ReduceKind::Prod:
    init = scalarConst(b, loc, elem, 1.0);
    break;
  case ReduceKind::Max:
  case ReduceKind::Min: {
    bool isMax = kind == ReduceKind::Max;
    if (isFloat) {
      double inf = std::numeric_limits<double>::infinity();
      init = scalarConst(b, loc, elem, isMax ? -inf : inf);
    } else {
      unsigned w = elem.getIntOrFloatBitWidth();
      APInt v = w == 1  ? (isMax ? APInt(1, 0) : APInt(1, 1))
                : isMax ? APInt::getSignedMinValue(w)
                        : APInt::getSignedMaxValue(w);
      init = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(elem, v));
    }
    break;
  }
  }
  Value acc = b.create<linalg::FillOp>(loc, ValueRange{init},
                                       ValueRange{empty(b, loc, outType)})
                  .getResult(0);
  return b
      .create<linalg::GenericOp>(
          loc, outType, ValueRange{x}, ValueRange{acc}, maps, its,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value v = a[0], r = a[1], out;
            switch (kind) {
            case ReduceKind::Sum:
              out = isFloat ? nb.create<arith::AddFOp>(nl, r, v).getResult()
                            : nb.create<arith::AddIOp>(nl, r, v).getResult();
              break;
            case ReduceKind::Prod:
              out = isFloat ? nb.create<arith::MulFOp>(nl, r, v).getResult()
                            : nb.create<arith::MulIOp>(nl, r, v).getResult();
              break;
            case ReduceKind::SumOfSquares:
              out = nb.create<arith::AddFOp>(
                  nl, r, nb.create<arith::MulFOp>(nl, v, v));
              break;
            case ReduceKind::Max:
              // Booleans are unsigned (true > false).
              out = isFloat ? nb.create<arith::MaximumFOp>(nl, r, v).getResult()
                    : elem.isInteger(1)
                        ? nb.create<arith::MaxUIOp>(nl, r, v).getResult()
                        : nb.create<arith::MaxSIOp>(nl, r, v).getResult();
              break;
            case ReduceKind::Min:
              out = isFloat ? nb.create<arith::MinimumFOp>(nl, r, v).getResult()
                    : elem.isInteger(1)
                        ? nb.create<arith::MinUIOp>(nl, r, v).getResult()
                        : nb.create<arith::MinSIOp>(nl, r, v).getResult();
              break;
            case ReduceKind::AbsMax: {
              // |v| > r and |v| finite ? |v| : r -- NaN and infinities are
              // skipped, as the numerics library's absmax.
              Value a = nb.create<math::AbsFOp>(nl, v);
              Value gt =
                  nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::OGT, a, r);
              Value finite = nb.create<arith::CmpFOp>(
                  nl, arith::CmpFPredicate::OLE, a,
                  scalarConst(nb, nl, a.getType(), FLT_MAX));
              out = nb.create<arith::SelectOp>(
                  nl, nb.create<arith::AndIOp>(nl, gt, finite), a, r);
              break;
            }
            }
            nb.create<linalg::YieldOp>(nl, ValueRange{out});
          })
      .getResult(0);
}

Value divideBy(OpBuilder &b, Location loc, Value x, double divisor) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  return elementwise(b, loc, t, {x},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       Value d = scalarConst(nb, nl, a[0].getType(), divisor);
                       return nb.create<arith::DivFOp>(nl, a[0], d);
                     });
}

Value scaleBy(OpBuilder &b, Location loc, Value x, double factor) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  return elementwise(b, loc, t, {x},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       Value f = scalarConst(nb, nl, a[0].getType(), factor);
                       return nb.create<arith::MulFOp>(nl, a[0], f);
                     });
}

Value nibbleOfColumn(OpBuilder &b, Location loc, Value byte, Value column) {
  Type i8 = b.getI8Type();
  Value odd = b.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::ne,
      b.create<arith::RemUIOp>(loc, column,
                               b.create<arith::ConstantIndexOp>(loc, 2)),
      b.create<arith::ConstantIndexOp>(loc, 0));
  Value four = b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i8, 4));
  Value shifted = b.create<arith::SelectOp>(
      loc, odd, b.create<arith::ShRUIOp>(loc, byte, four), byte);
  return b.create<arith::AndIOp>(
      loc, shifted, b.create<arith::ConstantOp>(loc, b.getIntegerAttr(i8, 15)));
}

} // namespace qc::linalg_builders

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
#include "qc/Conversion/Passes.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Rounding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
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
                     ValueRange groupedIns, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(unsigned(rank), ctx);
  SmallVector<AffineMap> maps(elementwiseIns.size(), id);
  for (size_t i = 0; i < groupedIns.size(); ++i)
    maps.push_back(scaleMap(ctx, rank, scheme));
  maps.push_back(id);
  SmallVector<Value> ins(elementwiseIns);
  ins.append(groupedIns.begin(), groupedIns.end());
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

/// The integer code value of a storage element: sign- or zero-extended to
/// i32 by the format's signedness.
Value codeToI32(OpBuilder &b, Location loc, Value code, const num::Format &f) {
  Type i32 = b.getI32Type();
  if (code.getType() == i32)
    return code;
  if (f.isSigned())
    return b.create<arith::ExtSIOp>(loc, i32, code);
  return b.create<arith::ExtUIOp>(loc, i32, code);
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
Value quantizeToIntF32(OpBuilder &b, Location loc, Value x, Value s, Value zp,
                       const num::Format &f) {
  Value v = b.create<arith::DivFOp>(loc, x, s);
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

/// Whether a qtensor type has a CPU lowering: integer formats of at most 16
/// bits with f32 scales. Fills `why` otherwise.
bool lowerableQType(QTensorType qt, std::string &why) {
  num::Format f = qt.getNumericFormat();
  if (f.kind() != num::Format::Kind::Int) {
    why = "only integer formats have a CPU lowering yet";
    return false;
  }
  if (f.bits() > 16) {
    why = "integer formats wider than 16 bits have no CPU lowering yet";
    return false;
  }
  if (qt.getScheme().getScaleFormat()) {
    why = "minifloat scale formats (MX, NVFP4) have no CPU lowering yet";
    return false;
  }
  return true;
}

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

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto qt = llvm::cast<QTensorType>(op.getInput().getType());
    num::Format f = qt.getNumericFormat();
    SmallVector<Value> grouped{adaptor.getScales()};
    bool hasZp = bool(adaptor.getZeroPoints());
    if (hasZp)
      grouped.push_back(adaptor.getZeroPoints());
    Value y = groupedGeneric(
        rewriter, op.getLoc(), llvm::cast<RankedTensorType>(op.getType()),
        qt.getScheme(), {adaptor.getInput()}, grouped,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value q = codeToI32(b, l, a[0], f);
          return dequantizeScalar(b, l, q, a[1], hasZp ? a[2] : Value());
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto qt = llvm::cast<QTensorType>(op.getType());
    num::Format f = qt.getNumericFormat();
    SmallVector<Value> grouped{adaptor.getScales()};
    bool hasZp = bool(adaptor.getZeroPoints());
    if (hasZp)
      grouped.push_back(adaptor.getZeroPoints());
    RankedTensorType storage = qt.getStorageType();
    Value y = groupedGeneric(
        rewriter, op.getLoc(), storage, qt.getScheme(), {adaptor.getInput()},
        grouped, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value q =
              quantizeToIntF32(b, l, a[0], a[1], hasZp ? a[2] : Value(), f);
          Value i = b.create<arith::FPToSIOp>(l, b.getI32Type(), q);
          if (storage.getElementType() == b.getI32Type())
            return i;
          return b.create<arith::TruncIOp>(l, storage.getElementType(), i);
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
    QTensorType qt = op.getQuantType();
    num::Format f = qt.getNumericFormat();
    SmallVector<Value> grouped{adaptor.getScales()};
    bool hasZp = bool(adaptor.getZeroPoints());
    if (hasZp)
      grouped.push_back(adaptor.getZeroPoints());
    Value y = groupedGeneric(
        rewriter, op.getLoc(), llvm::cast<RankedTensorType>(op.getType()),
        qt.getScheme(), {adaptor.getInput()}, grouped,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zp = hasZp ? a[2] : Value();
          Value q = quantizeToIntF32(b, l, a[0], a[1], zp, f);
          // fl32(fl32(q - zp) * s); q - zp is a small integer, exact in f32.
          if (zp)
            q = b.create<arith::SubFOp>(
                l, q, b.create<arith::SIToFPOp>(l, b.getF32Type(), zp));
          return b.create<arith::MulFOp>(l, q, a[1]);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Symmetric f32 scales: s = absmax(group) / max(format), 1 for a group
/// without finite non-zero values.
struct ComputeScalesLowering : OpConversionPattern<ComputeScalesOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ComputeScalesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    QTensorType qt = op.getQuantType();
    SchemeAttr scheme = qt.getScheme();
    Value x = adaptor.getInput();
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    auto scaleType = llvm::cast<RankedTensorType>(op.getScales().getType());
    // Reduce to the scale shape: per tensor over all axes, per axis over
    // the others, per block over blocks (x viewed as [..., nb, B, ...]).
    Value amax;
    switch (scheme.getGranularity()) {
    case Granularity::per_tensor:
    case Granularity::per_axis: {
      SmallVector<int64_t> axes;
      for (int64_t i = 0; i < xt.getRank(); ++i)
        if (scheme.getGranularity() == Granularity::per_tensor ||
            i != scheme.getAxis())
          axes.push_back(i);
      amax = reduceKeepDims(rewriter, loc, x, axes, ReduceKind::AbsMax);
      break;
    }
    case Granularity::per_block: {
      int64_t axis = scheme.getAxis(), block = scheme.getBlock();
      SmallVector<int64_t> shape(xt.getShape());
      shape[size_t(axis)] /= block;
      shape.insert(shape.begin() + axis + 1, block);
      Value view = reshape(rewriter, loc, x, shape);
      amax =
          reduceKeepDims(rewriter, loc, view, {axis + 1}, ReduceKind::AbsMax);
      break;
    }
    }
    amax = reshape(rewriter, loc, amax, scaleType.getShape());
    double top = qt.getNumericFormat().maxValue();
    Value s = elementwise(
        rewriter, loc, scaleType, {amax},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value zero = f32(b, l, 0.0);
          Value isZero =
              b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, a[0], zero);
          Value q = b.create<arith::DivFOp>(l, a[0], f32(b, l, top));
          return b.create<arith::SelectOp>(l, isZero, f32(b, l, 1.0), q);
        });
    rewriter.replaceOp(op, s);
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
  std::vector<float> mf(m.begin(), m.end());
  return DenseElementsAttr::get(
      RankedTensorType::get({n, n}, Float32Type::get(ctx)), ArrayRef(mf));
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
  auto vt = llvm::cast<RankedTensorType>(view.getType());
  const std::vector<int8_t> &hk = num::hadamardBase(k);
  std::vector<float> h(size_t(k * k));
  for (int64_t a = 0; a < k; ++a)
    for (int64_t c = 0; c < k; ++c)
      h[size_t(a * k + c)] =
          float(transposed ? hk[size_t(c * k + a)] : hk[size_t(a * k + c)]);
  Value hc = b.create<arith::ConstantOp>(
      loc,
      DenseElementsAttr::get(
          RankedTensorType::get({k, k}, Float32Type::get(ctx)), ArrayRef(h)));
  int64_t rank = vt.getRank();
  // Loops: the view's dims, then the reduction dim r (over a).
  AffineExpr r = getAffineDimExpr(unsigned(rank), ctx);
  SmallVector<AffineExpr> xe;
  for (int64_t i = 0; i < rank; ++i)
    xe.push_back(i == axis ? r : getAffineDimExpr(unsigned(i), ctx));
  AffineMap xMap = AffineMap::get(unsigned(rank + 1), 0, xe, ctx);
  AffineMap hMap = AffineMap::get(
      unsigned(rank + 1), 0, {r, getAffineDimExpr(unsigned(axis), ctx)}, ctx);
  SmallVector<AffineExpr> oe;
  for (int64_t i = 0; i < rank; ++i)
    oe.push_back(getAffineDimExpr(unsigned(i), ctx));
  AffineMap oMap = AffineMap::get(unsigned(rank + 1), 0, oe, ctx);
  SmallVector<utils::IteratorType> its(size_t(rank),
                                       utils::IteratorType::parallel);
  its.push_back(utils::IteratorType::reduction);
  Value y =
      b.create<linalg::GenericOp>(
           loc, vt, ValueRange{view, hc}, ValueRange{zeroFilled(b, loc, vt)},
           ArrayRef<AffineMap>{xMap, hMap, oMap}, its,
           [&](OpBuilder &nb, Location nl, ValueRange a) {
             Value prod = nb.create<arith::MulFOp>(nl, a[0], a[1]);
             nb.create<linalg::YieldOp>(
                 nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], prod)});
           })
          .getResult(0);
  return reshape(b, loc, y, xt.getShape());
}

/// Multiplies every fibre along `axis` (length n) by the sign vector of
/// `seed` (element i negated when stochasticBits(seed, i) is odd).
Value flipSigns(OpBuilder &b, Location loc, Value x, int64_t axis, int64_t n,
                uint64_t seed) {
  if (!seed)
    return x;
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  std::vector<float> sign(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    sign[size_t(i)] =
        (num::stochasticBits(seed, uint64_t(i)) & 1) ? -1.0f : 1.0f;
  SmallVector<int64_t> shape{n};
  for (int64_t i = axis + 1; i < xt.getRank(); ++i)
    shape.push_back(1);
  Value sc = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get(shape, b.getF32Type()),
                                  ArrayRef(sign)));
  return elementwise(b, loc, xt, {x, sc},
                     [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       return nb.create<arith::MulFOp>(nl, a[0], a[1]);
                     });
}

/// The randomized Hadamard of order n = K 2^m along `axis`: signs, the m
/// butterfly stages (one generic each, partner element i xor h), the K x K
/// mix, then 1/sqrt(n). `transposed` applies H^T D instead of H D... i.e.
/// the inverse order, as HadamardAttr::applyToRows.
Value hadamard(OpBuilder &b, Location loc, Value x, int64_t axis, int64_t n,
               uint64_t seed, bool transposed) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  auto [k, m] = *num::factorHadamardOrder(n);
  int64_t p = int64_t(1) << m;
  if (!transposed)
    x = flipSigns(b, loc, x, axis, n, seed);
  for (int64_t h = 1; h < p; h <<= 1) {
    Value src = x;
    x = elementwiseIndexed(
        b, loc, xt, {src},
        [&](OpBuilder &nb, Location nl, ValueRange a, ValueRange idx) -> Value {
          Value i = idx[size_t(axis)];
          Value hc = nb.create<arith::ConstantIndexOp>(nl, h);
          Value partner = nb.create<arith::XOrIOp>(nl, i, hc);
          SmallVector<Value> at(idx.begin(), idx.end());
          at[size_t(axis)] = partner;
          Value other = nb.create<tensor::ExtractOp>(nl, src, at);
          Value bit = nb.create<arith::AndIOp>(nl, i, hc);
          Value isLow = nb.create<arith::CmpIOp>(
              nl, arith::CmpIPredicate::eq, bit,
              nb.create<arith::ConstantIndexOp>(nl, 0));
          Value sum = nb.create<arith::AddFOp>(nl, a[0], other);
          Value diff = nb.create<arith::SubFOp>(nl, other, a[0]);
          return nb.create<arith::SelectOp>(nl, isLow, sum, diff);
        });
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
  MLIRContext *ctx = b.getContext();
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  Value rc = b.create<arith::ConstantOp>(loc, denseRotation(rot, ctx));
  AffineExpr r = getAffineDimExpr(unsigned(rank), ctx);
  SmallVector<AffineExpr> xe, oe;
  for (int64_t i = 0; i < rank; ++i) {
    xe.push_back(i == axis ? r : getAffineDimExpr(unsigned(i), ctx));
    oe.push_back(getAffineDimExpr(unsigned(i), ctx));
  }
  SmallVector<utils::IteratorType> its(size_t(rank),
                                       utils::IteratorType::parallel);
  its.push_back(utils::IteratorType::reduction);
  return b
      .create<linalg::GenericOp>(
          loc, xt, ValueRange{x, rc}, ValueRange{zeroFilled(b, loc, xt)},
          ArrayRef<AffineMap>{
              AffineMap::get(unsigned(rank + 1), 0, xe, ctx),
              AffineMap::get(unsigned(rank + 1), 0,
                             {r, getAffineDimExpr(unsigned(axis), ctx)}, ctx),
              AffineMap::get(unsigned(rank + 1), 0, oe, ctx)},
          its,
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value prod = nb.create<arith::MulFOp>(nl, a[0], a[1]);
            nb.create<linalg::YieldOp>(
                nl, ValueRange{nb.create<arith::AddFOp>(nl, a[2], prod)});
          })
      .getResult(0);
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

struct RotateLowering : OpConversionPattern<RotateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RotateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, rotate(rewriter, op.getLoc(), adaptor.getInput(),
                                  op.getAxis(), op.getRotation()));
    return success();
  }
};

struct ConvertQCToLinalgPass
    : qc::impl::ConvertQCToLinalgBase<ConvertQCToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkQCLowerable(module)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    converter.addConversion([](Type t) { return t; });
    converter.addConversion(
        [](QTensorType t) -> Type { return t.getStorageType(); });
    ConversionTarget target(*ctx);
    target.addIllegalDialect<QCDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<ConstantLowering, DequantizeLowering, QuantizeLowering,
                 FakeQuantLowering, ComputeScalesLowering, RotateLowering>(
        converter, ctx);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

LogicalResult qc::checkQCLowerable(Operation *root) {
  bool ok = true;
  auto reject = [&](Operation *op, const Twine &why) {
    op->emitError("qc-lower-to-cpu: ") << op->getName() << ": " << why;
    ok = false;
  };
  root->walk([&](Operation *op) {
    if (auto f = llvm::dyn_cast<func::FuncOp>(op)) {
      SmallVector<Type> types(f.getArgumentTypes());
      llvm::append_range(types, f.getResultTypes());
      for (Type t : types)
        if (llvm::isa<QTensorType>(t))
          reject(op, "quantized tensors at function boundaries have no CPU "
                     "calling convention yet");
      return;
    }
    if (!llvm::isa<QCDialect>(op->getDialect()))
      return;
    if (isa<RequantizeOp, LinearOp>(op))
      return reject(op, "has no CPU lowering yet");
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

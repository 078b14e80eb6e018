//===- NNOps.cpp - nn operations ------------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Result-type inference (which doubles as shape verification) for every nn
// op, plus the few verifiers that check attributes only.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/NN/IR/NN.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace qc::nn;

#include "qc/Dialect/NN/IR/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qc/Dialect/NN/IR/NNOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "qc/Dialect/NN/IR/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

std::optional<SmallVector<int64_t>>
qc::nn::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::optional<int64_t> qc::nn::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

static RankedTensorType rtt(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

// While an op is parsed, ODS infers its result types before the attributes
// are moved into properties: every attribute read here therefore falls back
// to the attribute dictionary, and default-valued ones to their defaults.
template <typename AttrT, typename Adaptor>
static AttrT lookup(Adaptor &adaptor, AttrT fromProperties, StringRef name) {
  if (fromProperties)
    return fromProperties;
  if (DictionaryAttr dict = adaptor.getAttributes())
    return dict.template getAs<AttrT>(name);
  return AttrT();
}
static bool boolOr(BoolAttr a, bool def) { return a ? a.getValue() : def; }
static int64_t intOr(IntegerAttr a, int64_t def) {
  return a ? a.getInt() : def;
}
static SmallVector<int64_t> arrayOr(DenseI64ArrayAttr a,
                                    ArrayRef<int64_t> def) {
  return a ? SmallVector<int64_t>(a.asArrayRef()) : SmallVector<int64_t>(def);
}
#define NN_ATTR(NAME, KEY) lookup(adaptor, adaptor.get##NAME##Attr(), KEY)

static LogicalResult same(Value v, SmallVectorImpl<Type> &out) {
  out.push_back(v.getType());
  return success();
}

// Ops with SameOperandsAndResultType get inferReturnTypes from ODS.

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("(C1) approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &out) {
  TypeAttr to = NN_ATTR(To, "to");
  if (!to)
    return failure();
  out.push_back(
      RankedTensorType::get(rtt(adaptor.getInput()).getShape(), to.getValue()));
  return success();
}

/// Broadcast result of two operands with a result element type.
static LogicalResult inferBroadcast(std::optional<Location> loc, Value lhs,
                                    Value rhs, Type resultElem,
                                    SmallVectorImpl<Type> &out) {
  auto a = rtt(lhs), b = rtt(rhs);
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc,
                             "(C2) operands have different element "
                             "types: ",
                             a.getElementType(), " vs ", b.getElementType());
  auto shape = qc::nn::broadcastShapes(a.getShape(), b.getShape());
  if (!shape)
    return emitOptionalError(loc, "(C1) shapes [", a.getShape(), "] and [",
                             b.getShape(), "] do not broadcast");
  out.push_back(RankedTensorType::get(*shape, resultElem ? resultElem
                                                         : a.getElementType()));
  return success();
}

#define BINARY_INFERENCE(OP, ELEM)                                             \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,          \
      SmallVectorImpl<Type> &out) {                                            \
    (void)ctx;                                                                 \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), ELEM, out); \
  }

BINARY_INFERENCE(AddOp, Type())
BINARY_INFERENCE(SubOp, Type())
BINARY_INFERENCE(MulOp, Type())
BINARY_INFERENCE(DivOp, Type())
BINARY_INFERENCE(PowOp, Type())
BINARY_INFERENCE(FModOp, Type())
BINARY_INFERENCE(MaxOp, Type())
BINARY_INFERENCE(MinOp, Type())
BINARY_INFERENCE(AndOp, Type())
BINARY_INFERENCE(OrOp, Type())
BINARY_INFERENCE(XorOp, Type())
BINARY_INFERENCE(BitShiftOp, Type())

LogicalResult BitShiftOp::verify() {
  if (rtt(getLhs()).getElementType().isInteger(1))
    return emitOpError("(C2) bit_shift of i1 tensors");
  if (getDirection() != "left" && getDirection() != "right")
    return emitOpError("(C3) direction must be \"left\" or \"right\", got \"")
           << getDirection() << "\"";
  return success();
}
BINARY_INFERENCE(EqualOp, IntegerType::get(ctx, 1))
BINARY_INFERENCE(LessOp, IntegerType::get(ctx, 1))
BINARY_INFERENCE(GreaterOp, IntegerType::get(ctx, 1))
#undef BINARY_INFERENCE

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &out) {
  SmallVector<Type> xy;
  if (failed(
          inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), Type(), xy)))
    return failure();
  auto c = rtt(adaptor.getCondition());
  auto shape = broadcastShapes(c.getShape(),
                               llvm::cast<RankedTensorType>(xy[0]).getShape());
  if (!shape)
    return emitOptionalError(loc, "(C1) condition shape [", c.getShape(),
                             "] does not broadcast");
  out.push_back(RankedTensorType::get(*shape, getElementTypeOrSelf(xy[0])));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

/// The result shape of numpy's matmul of `a` by `b` (nn.matmul's C1-C3).
static FailureOr<SmallVector<int64_t>> matmulShape(std::optional<Location> loc,
                                                   RankedTensorType a,
                                                   RankedTensorType b) {
  if (a.getRank() < 1 || b.getRank() < 1)
    return emitOptionalError(loc, "(C1) matmul operands need rank >= 1");
  SmallVector<int64_t> sa(a.getShape()), sb(b.getShape());
  bool promoteA = sa.size() == 1, promoteB = sb.size() == 1;
  if (promoteA)
    sa.insert(sa.begin(), 1);
  if (promoteB)
    sb.push_back(1);
  int64_t k = sa.back(), kb = sb[sb.size() - 2];
  if (k != kb)
    return emitOptionalError(loc, "(C2) contracted dimensions differ: ", k,
                             " vs ", kb);
  auto batch =
      broadcastShapes(ArrayRef(sa).drop_back(2), ArrayRef(sb).drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "(C3) batch dimensions do not broadcast");
  SmallVector<int64_t> shape(*batch);
  if (!promoteA)
    shape.push_back(sa[sa.size() - 2]);
  if (!promoteB)
    shape.push_back(sb.back());
  return shape;
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto a = rtt(adaptor.getLhs());
  auto shape = matmulShape(loc, a, rtt(adaptor.getRhs()));
  if (failed(shape))
    return failure();
  out.push_back(RankedTensorType::get(*shape, a.getElementType()));
  return success();
}

LogicalResult MatMulIntegerOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &out) {
  auto shape = matmulShape(loc, rtt(adaptor.getA()), rtt(adaptor.getB()));
  if (failed(shape))
    return failure();
  out.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 32)));
  return success();
}

/// A zero point of an integer op has its operand's element type.
static LogicalResult verifyZeroPointType(Operation *op, StringRef constraint,
                                         Value x, Value zp, StringRef name) {
  auto xt = rtt(x), zt = rtt(zp);
  if (zt.getElementType() == xt.getElementType())
    return success();
  return op->emitOpError(constraint)
         << name << "_zero_point has element type " << zt.getElementType()
         << ", not its operand's " << xt.getElementType();
}

LogicalResult MatMulIntegerOp::verify() {
  auto check = [&](Value x, Value zp, StringRef name) -> LogicalResult {
    if (!zp)
      return success();
    if (failed(verifyZeroPointType(*this, "(C1) ", x, zp, name)))
      return failure();
    auto xt = rtt(x), zt = rtt(zp);
    auto shape = broadcastShapes(zt.getShape(), xt.getShape());
    if (!shape || ArrayRef<int64_t>(*shape) != xt.getShape())
      return emitOpError("(C3) ")
             << name << "_zero_point of shape [" << zt.getShape()
             << "] does not broadcast to the operand's shape [" << xt.getShape()
             << "]";
    return success();
  };
  if (failed(check(getA(), getAZeroPoint(), "a")) ||
      failed(check(getB(), getBZeroPoint(), "b")))
    return failure();
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &out) {
  auto a = rtt(adaptor.getA()), b = rtt(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "(C1) gemm operands must be 2-D");
  bool transA = boolOr(NN_ATTR(TransA, "transA"), false);
  bool transB = boolOr(NN_ATTR(TransB, "transB"), false);
  int64_t m = transA ? a.getDimSize(1) : a.getDimSize(0);
  int64_t k = transA ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = transB ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = transB ? b.getDimSize(0) : b.getDimSize(1);
  if (k != kb)
    return emitOptionalError(loc, "(C1) inner dimensions differ: ", k, " vs ",
                             kb);
  if (adaptor.getC()) {
    auto c = rtt(adaptor.getC());
    auto shape = broadcastShapes(c.getShape(), {m, n});
    if (!shape || (*shape)[0] != m || (*shape)[1] != n)
      return emitOptionalError(loc, "(C2) c of shape [", c.getShape(),
                               "] does not broadcast to [", m, ", ", n, "]");
  }
  out.push_back(RankedTensorType::get({m, n}, a.getElementType()));
  return success();
}

/// Output size of a sliding window; 0 or less when empty.
static int64_t windowOutput(int64_t in, int64_t padBegin, int64_t padEnd,
                            int64_t kernel, int64_t stride, int64_t dilation,
                            bool ceilMode) {
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // ONNX: with ceil_mode the last window must start inside the input or the
  // left padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> pads,
                                      ArrayRef<int64_t> dilations,
                                      StringRef constraint) {
  auto positive = [](ArrayRef<int64_t> v) {
    return llvm::all_of(v, [](int64_t x) { return x > 0; });
  };
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4 ||
      !positive(strides) || !positive(dilations) ||
      llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, constraint,
                             " strides and dilations need 2 positive entries "
                             "and pads 4 non-negative");
  return success();
}

/// The output shape [N, M, H', W'] of a 2-D convolution (nn.conv's C1-C4).
template <typename Adaptor>
static FailureOr<SmallVector<int64_t>> convShape(std::optional<Location> loc,
                                                 Adaptor adaptor) {
  auto x = rtt(adaptor.getInput()), w = rtt(adaptor.getWeight());
  int64_t g = intOr(NN_ATTR(Group, "group"), 1);
  if (x.getRank() != 4 || w.getRank() != 4)
    return emitOptionalError(loc, "(C1) conv needs a 4-D input [N, C, H, W] "
                                  "and a 4-D weight [M, C/group, kH, kW]");
  if (g < 1 || x.getDimSize(1) % g || w.getDimSize(0) % g)
    return emitOptionalError(loc, "(C2) channels ", x.getDimSize(1), " and ",
                             w.getDimSize(0), " are not multiples of group ",
                             g);
  if (w.getDimSize(1) * g != x.getDimSize(1))
    return emitOptionalError(loc, "(C1) weight has ", w.getDimSize(1),
                             " input channels per group, expected ",
                             x.getDimSize(1) / g);
  SmallVector<int64_t> s = arrayOr(NN_ATTR(Strides, "strides"), {1, 1});
  SmallVector<int64_t> p = arrayOr(NN_ATTR(Pads, "pads"), {0, 0, 0, 0});
  SmallVector<int64_t> d = arrayOr(NN_ATTR(Dilations, "dilations"), {1, 1});
  if (failed(checkWindowAttrs(loc, s, p, d, "(C3)")))
    return failure();
  int64_t h = windowOutput(x.getDimSize(2), p[0], p[2], w.getDimSize(2), s[0],
                           d[0], false);
  int64_t wd = windowOutput(x.getDimSize(3), p[1], p[3], w.getDimSize(3), s[1],
                            d[1], false);
  if (h <= 0 || wd <= 0)
    return emitOptionalError(loc, "(C4) empty output (", h, "x", wd, ")");
  return SmallVector<int64_t>{x.getDimSize(0), w.getDimSize(0), h, wd};
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &out) {
  auto shape = convShape(loc, adaptor);
  if (failed(shape))
    return failure();
  auto w = rtt(adaptor.getWeight());
  if (adaptor.getBias()) {
    auto b = rtt(adaptor.getBias());
    if (b.getRank() != 1 || b.getDimSize(0) != w.getDimSize(0))
      return emitOptionalError(loc, "(C5) bias must be [", w.getDimSize(0),
                               "]");
  }
  out.push_back(
      RankedTensorType::get(*shape, rtt(adaptor.getInput()).getElementType()));
  return success();
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *ctx,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &out) {
  auto shape = convShape(loc, adaptor);
  if (failed(shape))
    return failure();
  out.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult ConvIntegerOp::verify() {
  auto check = [&](Value x, Value zp, StringRef name,
                   int64_t perChannel) -> LogicalResult {
    if (!zp)
      return success();
    if (failed(verifyZeroPointType(*this, "(C5) ", x, zp, name)))
      return failure();
    auto zt = rtt(zp);
    bool ok =
        zt.getNumElements() == 1 ||
        (perChannel > 0 && zt.getRank() == 1 && zt.getDimSize(0) == perChannel);
    if (!ok)
      return emitOpError("(C6) ")
             << name << "_zero_point of shape [" << zt.getShape()
             << "] must have one element"
             << (perChannel > 0 ? " or be [" + std::to_string(perChannel) + "]"
                                : std::string());
    return success();
  };
  return success(succeeded(check(getInput(), getXZeroPoint(), "x", 0)) &&
                 succeeded(check(getWeight(), getWZeroPoint(), "w",
                                 getWeight().getType().getDimSize(0))));
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// Verifies that `param` broadcasts to the dimensions [axis, rank) of x.
static LogicalResult verifyNormParam(Operation *op, Value x, Value param,
                                     int64_t axis, StringRef what) {
  auto t = rtt(x);
  auto a = normalizeAxis(axis, t.getRank());
  if (!a)
    return op->emitOpError("(C1) axis ")
           << axis << " out of range for rank " << t.getRank();
  if (!param)
    return success();
  ArrayRef<int64_t> norm = t.getShape().drop_front(*a);
  auto shape = broadcastShapes(rtt(param).getShape(), norm);
  if (!shape || ArrayRef<int64_t>(*shape) != norm)
    return op->emitOpError("(C2) ")
           << what << " of shape [" << rtt(param).getShape()
           << "] does not broadcast to the normalized dimensions [" << norm
           << "]";
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  return same(adaptor.getInput(), out);
}

LogicalResult LayerNormOp::verify() {
  if (failed(
          verifyNormParam(*this, getInput(), getScale(), getAxis(), "scale")))
    return failure();
  return verifyNormParam(*this, getInput(), getBias(), getAxis(), "bias");
}

LogicalResult RMSNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &out) {
  return same(adaptor.getInput(), out);
}

LogicalResult RMSNormOp::verify() {
  return verifyNormParam(*this, getInput(), getScale(), getAxis(), "scale");
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  return same(adaptor.getInput(), out);
}

LogicalResult BatchNormOp::verify() {
  auto x = rtt(getInput());
  if (x.getRank() < 2)
    return emitOpError("(C1) input needs rank >= 2");
  int64_t c = x.getDimSize(1);
  for (Value v : {getScale(), getBias(), getMean(), getVariance()}) {
    auto t = rtt(v);
    if (t.getRank() != 1 || t.getDimSize(0) != c)
      return emitOpError("(C1) scale, bias, mean and variance must be [")
             << c << "]";
  }
  return success();
}

static LogicalResult verifyAxis(Operation *op, Value x, int64_t axis) {
  if (!normalizeAxis(axis, rtt(x).getRank()))
    return op->emitOpError("(C1) axis ")
           << axis << " out of range for rank " << rtt(x).getRank();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getInput(), getAxis());
}
LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getInput(), getAxis());
}

//===----------------------------------------------------------------------===//
// Reductions and pooling
//===----------------------------------------------------------------------===//

/// Normalized reduction axes (all axes when empty), or nullopt.
std::optional<SmallVector<int64_t>>
qc::nn::reductionAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i)
      out.push_back(i);
    return out;
  }
  for (int64_t a : axes) {
    auto n = normalizeAxis(a, rank);
    if (!n || llvm::is_contained(out, *n))
      return std::nullopt;
    out.push_back(*n);
  }
  llvm::sort(out);
  return out;
}

static LogicalResult inferReduce(std::optional<Location> loc, Value input,
                                 ArrayRef<int64_t> axes, bool keepdims,
                                 SmallVectorImpl<Type> &out) {
  auto t = rtt(input);
  auto norm = reductionAxes(axes, t.getRank());
  if (!norm)
    return emitOptionalError(loc, "(C1) invalid reduction axes [", axes,
                             "] for rank ", t.getRank());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    if (!llvm::is_contained(*norm, i))
      shape.push_back(t.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  out.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

#define REDUCE_INFERENCE(OP)                                                   \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &out) {                                            \
    return inferReduce(loc, adaptor.getInput(),                                \
                       arrayOr(NN_ATTR(Axes, "axes"), {}),                     \
                       boolOr(NN_ATTR(Keepdims, "keepdims"), true), out);      \
  }
REDUCE_INFERENCE(ReduceMeanOp)
REDUCE_INFERENCE(ReduceSumOp)
REDUCE_INFERENCE(ReduceProdOp)
REDUCE_INFERENCE(ReduceMaxOp)
#undef REDUCE_INFERENCE

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto t = rtt(adaptor.getInput());
  if (t.getElementType().isInteger(1))
    return emitOptionalError(loc, "(C1) the input must not be boolean");
  int64_t axis = intOr(NN_ATTR(Axis, "axis"), 0);
  if (axis < -t.getRank() || axis >= t.getRank())
    return emitOptionalError(loc, "(C1) axis ", axis,
                             " is out of range for rank ", t.getRank());
  SmallVector<Type> reduced;
  if (failed(inferReduce(loc, adaptor.getInput(), {axis},
                         boolOr(NN_ATTR(Keepdims, "keepdims"), true), reduced)))
    return failure();
  out.push_back(llvm::cast<RankedTensorType>(reduced[0])
                    .clone(IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &out) {
  auto t = rtt(adaptor.getInput());
  if (t.getElementType().isInteger(1))
    return emitOptionalError(loc, "(C1) the input must not be boolean");
  int64_t axisAttr = intOr(NN_ATTR(Axis, "axis"), -1);
  auto axis = normalizeAxis(axisAttr, t.getRank());
  if (!axis)
    return emitOptionalError(loc, "(C1) axis ", axisAttr,
                             " is out of range for rank ", t.getRank());
  IntegerAttr kAttr = NN_ATTR(K, "k");
  if (!kAttr)
    return emitOptionalError(loc, "needs k");
  int64_t k = kAttr.getInt();
  if (k < 0 || (!t.isDynamicDim(*axis) && k > t.getDimSize(*axis)))
    return emitOptionalError(loc, "(C2) k = ", k, " is not in [0, ",
                             t.getDimSize(*axis), "]");
  SmallVector<int64_t> shape(t.getShape());
  shape[size_t(*axis)] = k;
  out.push_back(RankedTensorType::get(shape, t.getElementType()));
  out.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

static LogicalResult inferPool(std::optional<Location> loc, Value input,
                               ArrayRef<int64_t> k, ArrayRef<int64_t> s,
                               ArrayRef<int64_t> p, ArrayRef<int64_t> d,
                               bool ceilMode, SmallVectorImpl<Type> &out) {
  auto x = rtt(input);
  if (x.getRank() != 4)
    return emitOptionalError(loc, "(C1) pooling needs a 4-D NCHW input");
  if (k.size() != 2 || llvm::any_of(k, [](int64_t v) { return v <= 0; }) ||
      failed(checkWindowAttrs(loc, s, p, d, "(C2)")))
    return emitOptionalError(loc, "(C2) kernel_shape needs 2 positive entries");
  int64_t h =
      windowOutput(x.getDimSize(2), p[0], p[2], k[0], s[0], d[0], ceilMode);
  int64_t w =
      windowOutput(x.getDimSize(3), p[1], p[3], k[1], s[1], d[1], ceilMode);
  if (h <= 0 || w <= 0)
    return emitOptionalError(loc, "(C3) empty output (", h, "x", w, ")");
  out.push_back(RankedTensorType::get({x.getDimSize(0), x.getDimSize(1), h, w},
                                      x.getElementType()));
  return success();
}

#define POOL_INFERENCE(OP)                                                     \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &out) {                                            \
    return inferPool(loc, adaptor.getInput(),                                  \
                     arrayOr(NN_ATTR(KernelShape, "kernel_shape"), {}),        \
                     arrayOr(NN_ATTR(Strides, "strides"), {1, 1}),             \
                     arrayOr(NN_ATTR(Pads, "pads"), {0, 0, 0, 0}),             \
                     arrayOr(NN_ATTR(Dilations, "dilations"), {1, 1}),         \
                     boolOr(NN_ATTR(CeilMode, "ceil_mode"), false), out);      \
  }
POOL_INFERENCE(MaxPoolOp)
POOL_INFERENCE(AveragePoolOp)
#undef POOL_INFERENCE

LogicalResult GlobalAveragePoolOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  if (x.getRank() < 3)
    return emitOptionalError(loc, "(C1) global pooling needs rank >= 3");
  SmallVector<int64_t> shape(x.getShape().take_front(2));
  shape.append(size_t(x.getRank() - 2), 1);
  out.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  DenseI64ArrayAttr shapeAttr = NN_ATTR(Shape, "shape");
  if (!shapeAttr)
    return failure();
  ArrayRef<int64_t> shape = shapeAttr.asArrayRef();
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return emitOptionalError(loc, "(C1) reshape dimensions must be >= 0");
    n *= d;
  }
  if (n != x.getNumElements())
    return emitOptionalError(loc, "(C1) cannot reshape ", x.getNumElements(),
                             " elements to [", shape, "]");
  out.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  DenseI64ArrayAttr permAttr = NN_ATTR(Perm, "perm");
  if (!permAttr)
    return failure();
  ArrayRef<int64_t> perm = permAttr.asArrayRef();
  SmallVector<bool> seen(x.getRank(), false);
  SmallVector<int64_t> shape;
  if (int64_t(perm.size()) != x.getRank())
    return emitOptionalError(loc, "(C1) perm has ", perm.size(),
                             " entries for rank ", x.getRank());
  for (int64_t p : perm) {
    if (p < 0 || p >= x.getRank() || seen[p])
      return emitOptionalError(loc, "(C1) perm [", perm,
                               "] is not a permutation");
    seen[p] = true;
    shape.push_back(x.getDimSize(p));
  }
  out.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  DenseI64ArrayAttr target = NN_ATTR(Shape, "shape");
  if (!target)
    return failure();
  auto shape = broadcastShapes(x.getShape(), target.asArrayRef());
  if (!shape)
    return emitOptionalError(loc, "(C1) [", x.getShape(),
                             "] does not broadcast with [", target.asArrayRef(),
                             "]");
  out.push_back(RankedTensorType::get(*shape, x.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "(C1) concat needs an input");
  auto first = rtt(inputs.front());
  IntegerAttr axisAttr = NN_ATTR(Axis, "axis");
  if (!axisAttr)
    return failure();
  auto axis = normalizeAxis(axisAttr.getInt(), first.getRank());
  if (!axis)
    return emitOptionalError(loc, "(C2) axis ", axisAttr.getInt(),
                             " out of range for rank ", first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (Value v : inputs) {
    auto t = rtt(v);
    if (t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "(C1) inputs differ in rank or element "
                                    "type");
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (i != *axis && t.getDimSize(i) != first.getDimSize(i))
        return emitOptionalError(loc, "(C2) dimension ", i,
                                 " differs: ", t.getDimSize(i), " vs ",
                                 first.getDimSize(i));
    shape[*axis] += t.getDimSize(*axis);
  }
  out.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  IntegerAttr axisAttr = NN_ATTR(Axis, "axis");
  DenseI64ArrayAttr sizesAttr = NN_ATTR(Sizes, "sizes");
  if (!axisAttr || !sizesAttr)
    return failure();
  auto axis = normalizeAxis(axisAttr.getInt(), x.getRank());
  if (!axis)
    return emitOptionalError(loc, "(C1) axis ", axisAttr.getInt(),
                             " out of range for rank ", x.getRank());
  int64_t total = 0;
  for (int64_t s : sizesAttr.asArrayRef()) {
    if (s < 0)
      return emitOptionalError(loc, "(C2) split sizes must be non-negative");
    total += s;
    SmallVector<int64_t> shape(x.getShape());
    shape[*axis] = s;
    out.push_back(RankedTensorType::get(shape, x.getElementType()));
  }
  if (total != x.getDimSize(*axis))
    return emitOptionalError(loc, "(C2) split sizes sum to ", total,
                             " but the axis has ", x.getDimSize(*axis));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput());
  DenseI64ArrayAttr startsAttr = NN_ATTR(Starts, "starts");
  DenseI64ArrayAttr stepsAttr = NN_ATTR(Steps, "steps");
  DenseI64ArrayAttr sizesAttr = NN_ATTR(Sizes, "sizes");
  if (!startsAttr || !stepsAttr || !sizesAttr)
    return failure();
  ArrayRef<int64_t> starts = startsAttr.asArrayRef(),
                    steps = stepsAttr.asArrayRef(),
                    sizes = sizesAttr.asArrayRef();
  int64_t r = x.getRank();
  if (int64_t(starts.size()) != r || int64_t(steps.size()) != r ||
      int64_t(sizes.size()) != r)
    return emitOptionalError(loc, "(C1) starts, steps and sizes need ", r,
                             " entries");
  for (int64_t i = 0; i < r; ++i) {
    int64_t last = starts[i] + (sizes[i] - 1) * steps[i];
    if (steps[i] == 0 || sizes[i] < 0 ||
        (sizes[i] > 0 && (starts[i] < 0 || starts[i] >= x.getDimSize(i) ||
                          last < 0 || last >= x.getDimSize(i))))
      return emitOptionalError(loc, "(C1) slice of dimension ", i,
                               " out of range");
  }
  out.push_back(RankedTensorType::get(sizes, x.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput()), idx = rtt(adaptor.getIndices());
  int64_t axisAttr = intOr(NN_ATTR(Axis, "axis"), 0);
  auto axis = normalizeAxis(axisAttr, x.getRank());
  if (!axis)
    return emitOptionalError(loc, "(C1) axis ", axisAttr,
                             " out of range for rank ", x.getRank());
  SmallVector<int64_t> shape(x.getShape().take_front(*axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, x.getShape().drop_front(*axis + 1));
  out.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

/// gather_elements / scatter_elements: (C1) the axis is in range; (C2)
/// indices of x's rank, no dimension but the axis larger than x's.
static LogicalResult verifyElementIndices(std::optional<Location> loc,
                                          RankedTensorType x,
                                          RankedTensorType idx,
                                          int64_t axisAttr) {
  auto axis = normalizeAxis(axisAttr, x.getRank());
  if (!axis)
    return emitOptionalError(loc, "(C1) axis ", axisAttr,
                             " out of range for rank ", x.getRank());
  if (idx.getRank() != x.getRank())
    return emitOptionalError(loc, "(C2) indices have rank ", idx.getRank(),
                             ", the input ", x.getRank());
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (d != *axis && idx.getDimSize(d) > x.getDimSize(d))
      return emitOptionalError(loc, "(C2) indices dimension ", d, " (",
                               idx.getDimSize(d), ") exceeds the input's (",
                               x.getDimSize(d), ")");
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput()), idx = rtt(adaptor.getIndices());
  if (failed(
          verifyElementIndices(loc, x, idx, intOr(NN_ATTR(Axis, "axis"), 0))))
    return failure();
  out.push_back(RankedTensorType::get(idx.getShape(), x.getElementType()));
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *,
                                                  std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput()), idx = rtt(adaptor.getIndices()),
       upd = rtt(adaptor.getUpdates());
  if (idx.getShape() != upd.getShape())
    return emitOptionalError(loc, "(C2) indices ", idx, " and updates ", upd,
                             " differ in shape");
  if (failed(
          verifyElementIndices(loc, x, idx, intOr(NN_ATTR(Axis, "axis"), 0))))
    return failure();
  if (upd.getElementType() != x.getElementType())
    return emitOptionalError(loc, "(C3) updates of ", upd.getElementType(),
                             " into ", x.getElementType());
  out.push_back(x);
  return success();
}

/// Scatter reductions: one of the five names, and only "none" on i1.
static LogicalResult verifyReduction(Operation *op, StringRef reduction,
                                     Type elem, StringRef constraint) {
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return op->emitOpError("(")
           << constraint
           << ") reduction must be \"none\", \"add\", \"mul\", \"max\" or "
              "\"min\", got \""
           << reduction << "\"";
  if (reduction != "none" && elem.isInteger(1))
    return op->emitOpError("(")
           << constraint << ") reduction \"" << reduction << "\" on i1 tensors";
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  return verifyReduction(*this, getReduction(),
                         rtt(getInput()).getElementType(), "C4");
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto x = rtt(adaptor.getInput()), idx = rtt(adaptor.getIndices()),
       upd = rtt(adaptor.getUpdates());
  int64_t k = idx.getRank() ? idx.getShape().back() : 0;
  if (idx.getRank() < 1 || ShapedType::isDynamic(k) || k < 1 || k > x.getRank())
    return emitOptionalError(loc, "(C1) indices ", idx,
                             " need rank >= 1 and a last dimension in [1, ",
                             x.getRank(), "]");
  SmallVector<int64_t> want(idx.getShape().drop_back());
  llvm::append_range(want, x.getShape().drop_front(k));
  if (upd.getShape() != ArrayRef<int64_t>(want) ||
      upd.getElementType() != x.getElementType())
    return emitOptionalError(loc, "(C2) updates ", upd, " must be ",
                             RankedTensorType::get(want, x.getElementType()));
  out.push_back(x);
  return success();
}

LogicalResult ScatterNDOp::verify() {
  return verifyReduction(*this, getReduction(),
                         rtt(getInput()).getElementType(), "C3");
}

LogicalResult CumSumOp::verify() {
  return verifyAxis(*this, getInput(), getAxis());
}

LogicalResult TriluOp::verify() {
  if (rtt(getInput()).getRank() < 2)
    return emitOpError("(C1) trilu needs rank >= 2");
  return success();
}

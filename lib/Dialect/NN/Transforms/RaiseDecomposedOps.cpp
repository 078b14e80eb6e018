//===- RaiseDecomposedOps.cpp - Raise decomposed norms and GELU -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Pattern-matches the elementwise chains exporters emit for RMSNorm,
// LayerNorm and GELU and replaces them with nn.rms_norm, nn.layer_norm and
// nn.gelu. Matching is structural and strict (last-axis reductions with
// keepdims, scalar constant epsilons, constant gains that broadcast to the
// normalized dimension); unmatched chains are left alone.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/NN/Transforms/Passes.h"

#include "ConstantFloats.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <cstring>

namespace qc::nn {
#define GEN_PASS_DEF_RAISEDECOMPOSEDOPS
#include "qc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace qc::nn

using namespace mlir;
using namespace qc::nn;

namespace {

/// The value of a single-element float constant.
std::optional<double> scalarConstant(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto d = llvm::dyn_cast<DenseFPElementsAttr>(c.getValue());
  if (!d || !(d.isSplat() || d.getNumElements() == 1))
    return std::nullopt;
  return (*d.getValues<APFloat>().begin()).convertToDouble();
}

bool isScalar(Value v, double want) {
  auto c = scalarConstant(v);
  return c && std::fabs(*c - want) <= 1e-4 * std::fabs(want);
}

/// True when `op` reduces over the last axis only, keeping dimensions.
bool reducesLastAxis(ReduceMeanOp op) {
  int64_t rank =
      llvm::cast<RankedTensorType>(op.getInput().getType()).getRank();
  ArrayRef<int64_t> axes = op.getAxes();
  return op.getKeepdims() && axes.size() == 1 &&
         (axes[0] == -1 || axes[0] == rank - 1);
}

/// Matches x^2 as pow(x, 2) or mul(x, x), returning x.
Value matchSquare(Value v) {
  if (auto p = v.getDefiningOp<PowOp>())
    return isScalar(p.getRhs(), 2.0) ? p.getLhs() : Value();
  if (auto m = v.getDefiningOp<MulOp>())
    return m.getLhs() == m.getRhs() ? m.getLhs() : Value();
  return Value();
}

/// Matches sqrt(mean(t^2) + eps) over the last axis; returns (t, eps).
std::optional<std::pair<Value, double>> matchRootMeanSquare(Value v) {
  auto sqrt = v.getDefiningOp<SqrtOp>();
  if (!sqrt)
    return std::nullopt;
  auto add = sqrt.getInput().getDefiningOp<AddOp>();
  if (!add)
    return std::nullopt;
  for (auto [mean, eps] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())}) {
    auto e = scalarConstant(eps);
    auto m = mean.getDefiningOp<ReduceMeanOp>();
    if (!e || !m || !reducesLastAxis(m))
      continue;
    if (Value t = matchSquare(m.getInput()))
      return std::make_pair(t, *e);
  }
  return std::nullopt;
}

/// Matches t * (1 / d), t * reciprocal(d) or t / d where d matches
/// `denominator`; returns (t, eps).
std::optional<std::pair<Value, double>> matchNormalized(
    Value v, llvm::function_ref<std::optional<std::pair<Value, double>>(Value)>
                 denominator) {
  if (auto div = v.getDefiningOp<DivOp>()) {
    if (auto d = denominator(div.getRhs()); d && d->first == div.getLhs())
      return d;
    return std::nullopt;
  }
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  for (auto [t, r] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())}) {
    Value den;
    if (auto div = r.getDefiningOp<DivOp>(); div && isScalar(div.getLhs(), 1.0))
      den = div.getRhs();
    else if (auto rec = r.getDefiningOp<ReciprocalOp>())
      den = rec.getInput();
    if (!den)
      continue;
    if (auto d = denominator(den); d && d->first == t)
      return d;
  }
  return std::nullopt;
}

/// For LayerNorm, t = x - mean(x): returns x.
Value matchCentered(Value t) {
  auto sub = t.getDefiningOp<SubOp>();
  if (!sub)
    return Value();
  auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
  if (!mean || !reducesLastAxis(mean) || mean.getInput() != sub.getLhs())
    return Value();
  return sub.getLhs();
}

/// A constant that can serve as the gain / bias over the last dimension.
bool isLastDimParam(Value p, Value x) {
  if (!p.getDefiningOp<arith::ConstantOp>())
    return false;
  auto pt = llvm::cast<RankedTensorType>(p.getType());
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  if (pt.getElementType() != xt.getElementType() || xt.getRank() < 1)
    return false;
  auto shape = broadcastShapes(pt.getShape(), {xt.getShape().back()});
  return shape && shape->size() == 1 && (*shape)[0] == xt.getShape().back();
}

Value ones(PatternRewriter &rewriter, Location loc, Value x) {
  auto xt = llvm::cast<RankedTensorType>(x.getType());
  auto type =
      RankedTensorType::get({xt.getShape().back()}, xt.getElementType());
  return rewriter.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(
               type, rewriter.getFloatAttr(xt.getElementType(), 1.0)));
}

/// The RMSNorm core x * 1/sqrt(mean(x^2) + eps) (or x / sqrt(...)).
std::optional<std::pair<Value, double>> matchRMSCore(Value v) {
  return matchNormalized(v, [](Value d) { return matchRootMeanSquare(d); });
}

/// core * w  ->  nn.rms_norm(x, w).
struct RaiseRMSNorm : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [c, w] : {std::pair(op.getLhs(), op.getRhs()),
                        std::pair(op.getRhs(), op.getLhs())}) {
      auto m = matchRMSCore(c);
      if (!m || !isLastDimParam(w, m->first) ||
          m->first.getType() != op.getType())
        continue;
      rewriter.replaceOpWithNewOp<RMSNormOp>(
          op, op.getType(), m->first, w, rewriter.getI64IntegerAttr(-1),
          rewriter.getF32FloatAttr(float(m->second)));
      return success();
    }
    return failure();
  }
};

/// A core without a gain  ->  nn.rms_norm(x, ones). Skipped when a gain
/// multiplication follows (RaiseRMSNorm takes the whole chain).
template <typename RootOp> struct RaiseBareRMSNorm : OpRewritePattern<RootOp> {
  using OpRewritePattern<RootOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(RootOp op,
                                PatternRewriter &rewriter) const override {
    auto m = matchRMSCore(op.getResult());
    if (!m || op.getType() != m->first.getType())
      return failure();
    if (op->hasOneUse())
      if (auto user = llvm::dyn_cast<MulOp>(*op->getUsers().begin())) {
        Value other =
            user.getLhs() == op.getResult() ? user.getRhs() : user.getLhs();
        if (isLastDimParam(other, m->first))
          return failure();
      }
    rewriter.replaceOpWithNewOp<RMSNormOp>(
        op, op.getType(), m->first, ones(rewriter, op.getLoc(), m->first),
        rewriter.getI64IntegerAttr(-1),
        rewriter.getF32FloatAttr(float(m->second)));
    return success();
  }
};

/// ((x - mean) / sqrt(var + eps)) * g + b  ->  nn.layer_norm(x, g, b).
struct RaiseLayerNorm : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [scaled, b] : {std::pair(op.getLhs(), op.getRhs()),
                             std::pair(op.getRhs(), op.getLhs())}) {
      auto mul = scaled.getDefiningOp<MulOp>();
      if (!mul)
        continue;
      for (auto [norm, g] : {std::pair(mul.getLhs(), mul.getRhs()),
                             std::pair(mul.getRhs(), mul.getLhs())}) {
        // The denominator is the root mean square of the centered input.
        auto m = matchNormalized(norm, [](Value d) {
          auto rms = matchRootMeanSquare(d);
          if (!rms || !matchCentered(rms->first))
            return std::optional<std::pair<Value, double>>();
          return rms;
        });
        if (!m)
          continue;
        Value x = matchCentered(m->first);
        if (!x || !isLastDimParam(g, x) || !isLastDimParam(b, x) ||
            x.getType() != op.getType())
          continue;
        rewriter.replaceOpWithNewOp<LayerNormOp>(
            op, op.getType(), x, g, b, rewriter.getI64IntegerAttr(-1),
            rewriter.getF32FloatAttr(float(m->second)));
        return success();
      }
    }
    return failure();
  }
};

/// Collects the factors of a product tree whose inner multiplications have
/// no other users.
void collectFactors(Value v, bool root, SmallVectorImpl<Value> &factors) {
  auto mul = v.getDefiningOp<MulOp>();
  if (mul && (root || v.hasOneUse()) && mul.getLhs().getType() == v.getType() &&
      mul.getRhs().getType() == v.getType()) {
    collectFactors(mul.getLhs(), false, factors);
    collectFactors(mul.getRhs(), false, factors);
    return;
  }
  if (auto m = v.getDefiningOp<MulOp>(); m && (root || v.hasOneUse())) {
    // Scalar constants broadcast: still part of the product.
    if (isScalar(m.getLhs(), 0.5) || isScalar(m.getRhs(), 0.5)) {
      collectFactors(m.getLhs(), false, factors);
      collectFactors(m.getRhs(), false, factors);
      return;
    }
  }
  factors.push_back(v);
}

/// 1 + erf(x / sqrt 2) (or erf(x * 1/sqrt 2) + 1); returns x.
Value matchErfTerm(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return Value();
  for (auto [e, one] : {std::pair(add.getLhs(), add.getRhs()),
                        std::pair(add.getRhs(), add.getLhs())}) {
    auto erf = e.getDefiningOp<ErfOp>();
    if (!erf || !isScalar(one, 1.0))
      continue;
    Value arg = erf.getInput();
    if (auto div = arg.getDefiningOp<DivOp>();
        div && isScalar(div.getRhs(), std::sqrt(2.0)))
      return div.getLhs();
    if (auto mul = arg.getDefiningOp<MulOp>()) {
      if (isScalar(mul.getRhs(), 1.0 / std::sqrt(2.0)))
        return mul.getLhs();
      if (isScalar(mul.getLhs(), 1.0 / std::sqrt(2.0)))
        return mul.getRhs();
    }
  }
  return Value();
}

/// The other operand of a binary op `op` one of whose operands is the
/// scalar constant `c`.
template <typename Op> Value otherThanScalar(Op op, double c) {
  if (isScalar(op.getRhs(), c))
    return op.getLhs();
  if (isScalar(op.getLhs(), c))
    return op.getRhs();
  return Value();
}

/// x^3 as pow(x, 3), x * x * x or (x * x) * x; returns x.
Value matchCube(Value v) {
  if (auto p = v.getDefiningOp<PowOp>())
    return isScalar(p.getRhs(), 3.0) ? p.getLhs() : Value();
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return Value();
  for (auto [sq, x] : {std::pair(mul.getLhs(), mul.getRhs()),
                       std::pair(mul.getRhs(), mul.getLhs())})
    if (matchSquare(sq) == x)
      return x;
  return Value();
}

/// 1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)), either order of each sum
/// and product (the tanh form of GELU, as torch exports
/// gelu(approximate='tanh') and Hugging Face's gelu_new); returns x.
Value matchTanhTerm(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return Value();
  Value t = otherThanScalar(add, 1.0);
  auto tanh = t ? t.getDefiningOp<TanhOp>() : TanhOp();
  auto scaled = tanh ? tanh.getInput().getDefiningOp<MulOp>() : MulOp();
  Value inner =
      scaled ? otherThanScalar(scaled, std::sqrt(2.0 / M_PI)) : Value();
  auto sum = inner ? inner.getDefiningOp<AddOp>() : AddOp();
  if (!sum)
    return Value();
  for (auto [x, cubic] : {std::pair(sum.getLhs(), sum.getRhs()),
                          std::pair(sum.getRhs(), sum.getLhs())}) {
    auto c = cubic.getDefiningOp<MulOp>();
    Value cube = c ? otherThanScalar(c, 0.044715) : Value();
    if (cube && matchCube(cube) == x)
      return x;
  }
  return Value();
}

/// x * 0.5 * (1 + erf(x / sqrt 2)) in any association  ->  nn.gelu(x), and
/// x * 0.5 * (1 + tanh(...))  ->  nn.gelu(x) {approximate = "tanh"}.
struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    collectFactors(op.getResult(), true, factors);
    if (factors.size() != 3)
      return failure();
    Value half, term, x;
    bool tanhForm = false;
    for (Value f : factors) {
      if (!half && isScalar(f, 0.5)) {
        half = f;
      } else if (!term && matchErfTerm(f)) {
        term = f;
      } else if (!term && matchTanhTerm(f)) {
        term = f;
        tanhForm = true;
      } else {
        x = f;
      }
    }
    if (!half || !term || !x ||
        (tanhForm ? matchTanhTerm(term) : matchErfTerm(term)) != x ||
        x.getType() != op.getType())
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(
        op, op.getType(), x,
        rewriter.getStringAttr(tanhForm ? "tanh" : "none"));
    return success();
  }
};

/// A linear layer over flattened tokens, as exporters write torch's addmm
/// (Hugging Face's Conv1D in GPT-2) and Linear on 2-D views:
///
///   reshape(gemm(reshape(x : [d..., K] -> [T, K]), w, b) -> [d..., N])
///
/// with alpha = 1, no transA and a bias that is absent or a row ([N] or
/// [1, N], beta = 1)  ->  nn.matmul(x, w) (+ nn.add b) on x's own shape,
/// the form the quantization passes take for a linear layer. A transposed
/// weight gets an nn.transpose (folded when the weight is a constant).
/// Without the reshapes (a 2-D input, or a result read otherwise), the gemm
/// alone becomes the matmul and add. The same values: y = 1 * (a w) + 1 * b
/// is (a w) + b.
struct RaiseFlattenedGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    auto at = llvm::cast<RankedTensorType>(op.getA().getType());
    auto yt = llvm::cast<RankedTensorType>(op.getType());
    if (op.getTransA() || op.getAlpha().convertToFloat() != 1.0f ||
        !at.hasStaticShape() || !yt.hasStaticShape())
      return failure();
    int64_t k = at.getDimSize(1), n = yt.getDimSize(1);
    Value c = op.getC();
    if (c) {
      auto ct = llvm::cast<RankedTensorType>(c.getType());
      if (op.getBeta().convertToFloat() != 1.0f || ct.getRank() < 1 ||
          ct.getShape().back() != n ||
          (ct.getRank() == 2 && ct.getDimSize(0) != 1) || ct.getRank() > 2)
        return failure();
    }
    // The tokens' own shape, when a reshape flattened them and another
    // restores them.
    Value x = op.getA();
    Operation *replaced = op;
    auto flatten = op.getA().getDefiningOp<ReshapeOp>();
    if (flatten && op->hasOneUse())
      if (auto restore = llvm::dyn_cast<ReshapeOp>(*op->getUsers().begin())) {
        auto xt = llvm::cast<RankedTensorType>(flatten.getInput().getType());
        auto rt = llvm::cast<RankedTensorType>(restore.getType());
        if (xt.hasStaticShape() && rt.hasStaticShape() && xt.getRank() >= 2 &&
            xt.getShape().back() == k && rt.getRank() == xt.getRank() &&
            rt.getShape().back() == n &&
            xt.getShape().drop_back() == rt.getShape().drop_back()) {
          x = flatten.getInput();
          replaced = restore;
        }
      }
    Location loc = op.getLoc();
    Value w = op.getB();
    if (op.getTransB()) {
      // A constant weight's transpose folds (FoldConstantTranspose).
      auto wt = llvm::cast<RankedTensorType>(w.getType());
      auto tt = RankedTensorType::get({wt.getDimSize(1), wt.getDimSize(0)},
                                      wt.getElementType());
      w = rewriter.create<TransposeOp>(loc, tt, w,
                                       rewriter.getDenseI64ArrayAttr({1, 0}));
    }
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape().drop_back());
    shape.push_back(n);
    auto outType = RankedTensorType::get(shape, yt.getElementType());
    Value y = rewriter.create<MatMulOp>(loc, outType, x, w);
    if (c)
      y = rewriter.create<AddOp>(loc, outType, y, c);
    rewriter.replaceOp(replaced, y);
    if (replaced != op.getOperation())
      rewriter.eraseOp(op);
    return success();
  }
};

/// A reshape to the shape it has (exporters write them around products)
/// is its input.
struct DropIdentityReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getInput().getType() != op.getType())
      return failure();
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// The transpose of a constant 2-D f32 matrix (a tied LM head reads the
/// embedding table as W^T) is the transposed constant, so that the linear
/// layer it feeds has a constant weight.
struct FoldConstantTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto cst = op.getInput().getDefiningOp<arith::ConstantOp>();
    auto type = llvm::cast<RankedTensorType>(op.getType());
    if (!cst || !type.getElementType().isF32() || type.getRank() != 2 ||
        !type.hasStaticShape() || op.getPerm() != ArrayRef<int64_t>{1, 0})
      return failure();
    auto read = qc::nn::detail::readF32Constant(cst);
    if (!read)
      return failure();
    const std::vector<float> &values = *read;
    size_t n = values.size();
    int64_t rows = type.getDimSize(1), cols = type.getDimSize(0);
    std::vector<float> out(n);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        out[size_t(j * rows + i)] = values[size_t(i * cols + j)];
    rewriter.replaceOp(
        op, qc::nn::detail::f32Constant(rewriter, op.getLoc(), type, out));
    return success();
  }
};

struct RaiseDecomposedOpsPass
    : qc::nn::impl::RaiseDecomposedOpsBase<RaiseDecomposedOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseDecomposedOpsPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void qc::nn::populateRaiseDecomposedOpsPatterns(RewritePatternSet &patterns) {
  // The whole-chain patterns take precedence over the bare core.
  patterns.add<RaiseRMSNorm, RaiseLayerNorm, RaiseGelu>(patterns.getContext(),
                                                        /*benefit=*/2);
  patterns.add<RaiseBareRMSNorm<MulOp>, RaiseBareRMSNorm<DivOp>,
               RaiseFlattenedGemm, DropIdentityReshape, FoldConstantTranspose>(
      patterns.getContext(), /*benefit=*/1);
}

//===- FoldBatchNorm.cpp - BatchNormalization into convolutions -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// y = batch_norm(conv(x, W, b)) with constant parameters becomes
// conv(x, W', b'), per output channel m with s = scale[m] /
// sqrt(var[m] + eps):
//
//   W'[m] = W[m] * s,   b'[m] = (b[m] - mean[m]) * s + bias[m]
//
// (in double, each rounded once to f32). Quantizers then see the weights
// the convolution really applies, as every PTQ tool arranges, and the
// deployed model has no per-element normalization left.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/NN/Transforms/Passes.h"

#include "ConstantFloats.h"
#include "qc/Dialect/NN/IR/NN.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace qc::nn {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "qc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace qc::nn

using namespace mlir;
using namespace qc::nn;

namespace {

struct FoldIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "not the only user of a conv");
    auto wType = llvm::cast<RankedTensorType>(conv.getWeight().getType());
    auto w = qc::nn::detail::readF32Constant(conv.getWeight());
    auto scale = qc::nn::detail::readF32Constant(bn.getScale());
    auto shift = qc::nn::detail::readF32Constant(bn.getBias());
    auto mean = qc::nn::detail::readF32Constant(bn.getMean());
    auto var = qc::nn::detail::readF32Constant(bn.getVariance());
    std::optional<std::vector<float>> b;
    if (conv.getBias())
      b = qc::nn::detail::readF32Constant(conv.getBias());
    int64_t m = wType.getDimSize(0);
    auto perChannel = [&](const std::optional<std::vector<float>> &v) {
      return v && int64_t(v->size()) == m;
    };
    if (!w || !perChannel(scale) || !perChannel(shift) || !perChannel(mean) ||
        !perChannel(var) || (conv.getBias() && !perChannel(b)))
      return rewriter.notifyMatchFailure(bn, "non-constant f32 parameters");
    int64_t inner = wType.getNumElements() / m;
    double eps = double(bn.getEpsilon().convertToFloat());
    std::vector<float> bias(static_cast<size_t>(m));
    for (int64_t c = 0; c < m; ++c) {
      double s = double((*scale)[c]) / std::sqrt(double((*var)[c]) + eps);
      for (int64_t i = 0; i < inner; ++i) {
        float &v = (*w)[size_t(c * inner + i)];
        v = float(double(v) * s);
      }
      double b0 = b ? double((*b)[c]) : 0.0;
      bias[size_t(c)] = float((b0 - double((*mean)[c])) * s + (*shift)[c]);
    }
    Location loc = conv.getLoc();
    Value wFolded = qc::nn::detail::f32Constant(rewriter, loc, wType, *w);
    Value bFolded = qc::nn::detail::f32Constant(
        rewriter, loc, RankedTensorType::get({m}, rewriter.getF32Type()), bias);
    auto folded = rewriter.create<ConvOp>(
        loc, conv.getType(), conv.getInput(), wFolded, bFolded,
        conv.getStridesAttr(), conv.getPadsAttr(), conv.getDilationsAttr(),
        conv.getGroupAttr());
    folded->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FoldBatchNormPass : qc::nn::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

//===- LayerNormToRMSNorm.cpp - Mean-free residual streams ----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Subtracts the mean from everything that writes the residual stream of a
// pre-LayerNorm transformer, so the stream is zero-mean and every LayerNorm
// reading it becomes an RMSNorm, which commutes with rotations.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ResidualStream.h"

namespace qc {
#define GEN_PASS_DEF_LAYERNORMTORMSNORM
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// Subtracts from every row (length d) of constant operand `index` of `op`
/// its mean.
void centerRows(Operation *op, unsigned index, int64_t d) {
  qc::detail::transformConstant(op, index, [&](MutableArrayRef<float> v) {
    for (size_t r = 0; r + size_t(d) <= v.size(); r += size_t(d)) {
      double sum = 0;
      for (int64_t j = 0; j < d; ++j)
        sum += v[r + size_t(j)];
      float mean = float(sum / double(d));
      for (int64_t j = 0; j < d; ++j)
        v[r + size_t(j)] -= mean;
    }
  });
}

/// Subtracts from each column of constant operand `index` of `op` (D x
/// ..., the output channels of a patch embedding's convolution) its mean
/// over the D rows.
void centerColumns(Operation *op, unsigned index, int64_t d) {
  qc::detail::transformConstant(op, index, [&](MutableArrayRef<float> v) {
    size_t n = v.size() / size_t(d);
    for (size_t c = 0; c < n; ++c) {
      double sum = 0;
      for (int64_t r = 0; r < d; ++r)
        sum += v[size_t(r) * n + c];
      float mean = float(sum / double(d));
      for (int64_t r = 0; r < d; ++r)
        v[size_t(r) * n + c] -= mean;
    }
  });
}

struct LayerNormToRMSNormPass
    : qc::impl::LayerNormToRMSNormBase<LayerNormToRMSNormPass> {
  using LayerNormToRMSNormBase::LayerNormToRMSNormBase;

  void runOnOperation() override {
    llvm::DenseSet<Operation *> done;
    for (qc::detail::StreamStart &s :
         qc::detail::streamStarts(getOperation())) {
      if (done.contains(s.op))
        continue;
      int64_t d = s.d;
      Operation *blocker = nullptr;
      std::string why;
      auto plan = qc::detail::collectResidualStream(
          s.value, d, qc::detail::StreamMode::Center, blocker, why);
      if (failed(plan)) {
        // A stream that already feeds RMSNorms (Llama) needs no conversion.
        if (llvm::isa<nn::RMSNormOp>(blocker))
          continue;
        blocker->emitRemark("qc-layernorm-to-rmsnorm: residual stream of ")
            << s.op->getLoc() << " not converted: " << why;
        continue;
      }
      for (Operation *g : qc::detail::planGathers(*plan))
        done.insert(g);
      if (plan->norms.empty())
        continue;
      // LayerNorm ignores the mean of its input, so centering the stream
      // changes nothing the model computes; then mean(x) = 0 and
      // LayerNorm(x) = RMSNorm(x) with the same gain, epsilon and bias.
      for (auto [op, index, side] : s.operands) {
        if (side == qc::detail::RotationSide::Rows)
          centerRows(op, index, d);
        else
          centerColumns(op, index, d);
      }
      for (auto [op, index, side] : plan->operands)
        centerRows(op, index, d);
      for (Operation *op : plan->norms) {
        auto ln = llvm::cast<nn::LayerNormOp>(op);
        OpBuilder b(ln);
        Value y = b.create<nn::RMSNormOp>(
            ln.getLoc(), ln.getType(), ln.getInput(), ln.getScale(),
            ln.getAxisAttr(), ln.getEpsilonAttr());
        if (Value bias = ln.getBias())
          y = b.create<nn::AddOp>(ln.getLoc(), y, bias);
        ln.getResult().replaceAllUsesWith(y);
        ln.erase();
      }
    }
  }
};

} // namespace

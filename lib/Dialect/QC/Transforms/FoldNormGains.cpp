//===- FoldNormGains.cpp - Fold norm gains into linear layers -------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Makes RMSNorm / LayerNorm rotation-invariant by moving their per-channel
// gain (and LayerNorm bias) into the weights of the linear layers reading
// them.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "ResidualStream.h"

namespace qc {
#define GEN_PASS_DEF_FOLDNORMGAINS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;
using qc::detail::floatConstant;

namespace {

/// Whether a norm over `axis` of a `rank`-D input normalizes only the last
/// dimension.
bool lastAxisOnly(int64_t axis, int64_t rank) {
  return axis == -1 || axis == rank - 1;
}

/// Folds `gain` (and `bias`, when present) of a norm with result `out` into
/// its readers. Returns false (and changes nothing) when a reader is not a
/// matmul with a constant D x N weight.
bool foldInto(Value out, ArrayRef<float> gain, ArrayRef<float> bias) {
  int64_t d = int64_t(gain.size());
  SmallVector<nn::MatMulOp> readers;
  // Readers through ops that move whole tokens (qc::detail::tokenMove:
  // the per-channel map commutes with them).
  SmallVector<Value> reads{out};
  for (size_t r = 0; r < reads.size(); ++r)
    for (OpOperand &use : reads[r].getUses()) {
      Operation *user = use.getOwner();
      if (Value moved = qc::detail::tokenMove(use, d)) {
        reads.push_back(moved);
        continue;
      }
      auto mm = llvm::dyn_cast<nn::MatMulOp>(user);
      if (!mm || mm.getLhs() != reads[r] || mm.getRhs() == reads[r])
        return false;
      auto wType = mm.getRhs().getType();
      if (wType.getRank() != 2 || wType.getDimSize(0) != d ||
          !mm.getRhs().getDefiningOp<arith::ConstantOp>() ||
          !wType.getElementType().isF32())
        return false;
      readers.push_back(mm);
    }
  if (readers.empty())
    return false;
  for (nn::MatMulOp mm : readers) {
    int64_t n = mm.getRhs().getType().getDimSize(1);
    // (n * g + b) W = (n * g) W + b W: the constant row b W, from the
    // original weight.
    std::vector<float> rowF;
    if (!bias.empty()) {
      std::vector<float> w = *constantFloats(mm.getRhs());
      std::vector<double> row(static_cast<size_t>(n), 0.0);
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < n; ++j)
          row[size_t(j)] +=
              double(bias[size_t(i)]) * double(w[size_t(i * n + j)]);
      rowF.assign(row.begin(), row.end());
    }
    qc::detail::transformConstant(mm, 1, [&](MutableArrayRef<float> w) {
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < n; ++j)
          w[size_t(i * n + j)] *= gain[size_t(i)];
    });
    if (bias.empty())
      continue;
    OpBuilder b(mm);
    b.setInsertionPointAfter(mm);
    Value c = floatConstant(b, mm.getLoc(),
                            RankedTensorType::get({n}, b.getF32Type()), rowF);
    auto add = b.create<nn::AddOp>(mm.getLoc(), mm.getResult(), c);
    mm.getResult().replaceAllUsesExcept(add.getResult(), add);
  }
  return true;
}

/// Replaces `operand` of `op` with a constant of ones of its type.
void setOnes(Operation *op, OpOperand &operand) {
  OpBuilder b(op);
  auto type = llvm::cast<RankedTensorType>(operand.get().getType());
  Value old = operand.get();
  operand.set(b.create<arith::ConstantOp>(old.getLoc(),
                                          DenseElementsAttr::get(type, 1.0f)));
  if (Operation *def = old.getDefiningOp(); def && def->use_empty())
    def->erase();
}

struct FoldNormGainsPass : qc::impl::FoldNormGainsBase<FoldNormGainsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<nn::RMSNormOp, nn::LayerNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *op : norms) {
      auto inType = llvm::cast<RankedTensorType>(op->getOperand(0).getType());
      if (!inType.hasStaticShape() || inType.getRank() < 1)
        continue;
      int64_t d = inType.getShape().back();
      auto vectorOf = [&](Value v) -> std::optional<std::vector<float>> {
        auto values = constantFloats(v);
        if (!values || int64_t(values->size()) != d)
          return std::nullopt;
        return values;
      };
      if (auto rms = llvm::dyn_cast<nn::RMSNormOp>(op)) {
        auto g = vectorOf(rms.getScale());
        if (!lastAxisOnly(rms.getAxis(), inType.getRank()) || !g)
          continue;
        if (foldInto(rms.getResult(), *g, {}))
          setOnes(op, rms.getScaleMutable());
        continue;
      }
      auto ln = llvm::cast<nn::LayerNormOp>(op);
      auto g = vectorOf(ln.getScale());
      std::optional<std::vector<float>> bias;
      if (ln.getBias() && !(bias = vectorOf(ln.getBias())))
        continue;
      if (!lastAxisOnly(ln.getAxis(), inType.getRank()) || !g)
        continue;
      if (!foldInto(ln.getResult(), *g,
                    bias ? ArrayRef<float>(*bias) : ArrayRef<float>()))
        continue;
      setOnes(op, ln.getScaleMutable());
      if (Value b = ln.getBias()) {
        ln.getBiasMutable().clear();
        if (Operation *def = b.getDefiningOp(); def && def->use_empty())
          def->erase();
      }
    }
  }
};

} // namespace

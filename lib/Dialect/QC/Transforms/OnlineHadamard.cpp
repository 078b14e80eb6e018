//===- OnlineHadamard.cpp - Run-time Hadamard before linear layers --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Rotates the input of linear layers whose input is not a rotated residual
// stream (the MLP down projection, the attention output projection) with a
// run-time Hadamard transform, and folds its inverse into the weight.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "qc/Support/Numerics/Hadamard.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace qc {
#define GEN_PASS_DEF_ONLINEHADAMARD
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// The constant operands to permute (as rows of length K) so that `x`, the
/// K-channel input of a linear layer, comes out channel-permuted: a
/// backward walk through elementwise ops to linear layers with constant
/// weights (the MLP gate/up projections). Fails with the op that breaks
/// the walk (anything not elementwise, a value also used outside the
/// region, a broadcast operand other than a scalar or a K-vector constant).
FailureOr<SmallVector<std::pair<Operation *, unsigned>>>
permutableProducers(Operation *layer, Value x, int64_t k, Operation *&blocker) {
  SmallVector<std::pair<Operation *, unsigned>> operands;
  llvm::SetVector<Value> region;
  llvm::SmallPtrSet<Operation *, 16> regionOps;
  region.insert(x);
  auto fail = [&](Operation *op) {
    blocker = op;
    return failure();
  };
  for (size_t i = 0; i < region.size(); ++i) {
    Value v = region[i];
    Operation *def = v.getDefiningOp();
    if (!def)
      return fail(layer);
    auto type = llvm::dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getShape().back() != k)
      return fail(def);
    regionOps.insert(def);
    if (auto mm = llvm::dyn_cast<nn::MatMulOp>(def)) {
      if (mm.getRhs().getType().getRank() != 2 ||
          !qc::detail::isF32Constant(mm.getRhs()))
        return fail(def);
      operands.emplace_back(def, 1);
      continue;
    }
    if (llvm::isa<nn::SigmoidOp, nn::TanhOp, nn::ReluOp, nn::GeluOp, nn::ErfOp,
                  nn::NegOp, nn::ExpOp, nn::AbsOp>(def)) {
      region.insert(def->getOperand(0));
      continue;
    }
    if (llvm::isa<nn::MulOp, nn::AddOp, nn::SubOp, nn::DivOp>(def)) {
      for (unsigned o = 0; o < 2; ++o) {
        Value in = def->getOperand(o);
        if (in.getType() == v.getType()) {
          region.insert(in);
          continue;
        }
        auto t = llvm::cast<RankedTensorType>(in.getType());
        if (t.getNumElements() == 1)
          continue;
        if (t.getRank() >= 1 && t.getShape().back() == k &&
            qc::detail::isF32Constant(in) && t.getNumElements() == k) {
          operands.emplace_back(def, o);
          continue;
        }
        return fail(def);
      }
      continue;
    }
    return fail(def);
  }
  // Values inside the region may only feed the region (and x the layer).
  for (Value v : region)
    for (Operation *user : v.getUsers())
      if (!(v == x ? user == layer : regionOps.contains(user)))
        return fail(user);
  return operands;
}

struct OnlineHadamardPass : qc::impl::OnlineHadamardBase<OnlineHadamardPass> {
  using OnlineHadamardBase::OnlineHadamardBase;

  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      Value x = qc::detail::linearLayerInput(op);
      if (!x || !qc::detail::isF32Constant(op->getOperand(1)))
        return;
      Operation *def = x.getDefiningOp();
      if (def && llvm::isa<RotateOp>(def))
        return;
      if (!allLayers && def && llvm::isa<nn::RMSNormOp, nn::LayerNormOp>(def))
        return;
      if (auto gemm = llvm::dyn_cast<nn::GemmOp>(op); gemm && gemm.getTransB())
        return;
      layers.push_back(op);
    });
    MLIRContext *ctx = &getContext();
    for (Operation *op : layers) {
      Value x = op->getOperand(0);
      auto type = llvm::cast<RankedTensorType>(x.getType());
      int64_t k = type.getShape().back();
      int64_t order = block > 0 ? int64_t(block) : k;
      if (ShapedType::isDynamic(k) || !num::factorHadamardOrder(order) ||
          k % order != 0) {
        op->emitRemark("qc-online-hadamard: no Hadamard matrix of order ")
            << order << " for the " << k << " input channels of '"
            << qc::detail::layerName(op) << "'; left unrotated";
        continue;
      }
      if (permute) {
        // MixQuant: group the channels by MassDiff, folding the permutation
        // into the producers and this layer's weight rows.
        std::vector<double> mass;
        if (!qc::detail::addChannelMass(op, mass)) {
          op->emitError("qc-online-hadamard: permute=true needs calibrated "
                        "channel statistics (run --qc-calibrate first); "
                        "layer '")
              << qc::detail::layerName(op) << "' has none";
          return signalPassFailure();
        }
        Operation *blocker = nullptr;
        auto producers = permutableProducers(op, x, k, blocker);
        if (failed(producers)) {
          blocker->emitRemark("qc-online-hadamard: the input channels of '")
              << qc::detail::layerName(op)
              << "' are not permuted: the permutation cannot pass this op";
        } else {
          auto p = PermutationAttr::get(
              ctx, qc::detail::massDiffPermutation(mass, order));
          for (auto [producer, index] : *producers)
            qc::detail::rotateConstantOperand(
                producer, index, qc::detail::RotationSide::Rows, p);
          qc::detail::rotateConstantOperand(
              op, 1, qc::detail::RotationSide::Columns, p);
        }
      }
      RotationAttrInterface h =
          block > 0 ? RotationAttrInterface(
                          BlockHadamardAttr::get(ctx, k, block, seed))
                    : RotationAttrInterface(HadamardAttr::get(ctx, k, seed));
      OpBuilder b(op);
      Value r = b.create<RotateOp>(op->getLoc(), x, h,
                                   b.getI64IntegerAttr(type.getRank() - 1));
      op->setOperand(0, r);
      qc::detail::rotateConstantOperand(op, 1,
                                        qc::detail::RotationSide::Columns, h);
    }
    if (queryKey)
      rotateQueriesAndKeys();
  }

  /// QuaRot R3: Q K^T = (Q H)(K H)^T, so rotating queries and keys along the
  /// head dimension right before the attention scores changes nothing but
  /// what a quantized KV cache would store.
  void rotateQueriesAndKeys() {
    SmallVector<std::pair<nn::MatMulOp, nn::TransposeOp>> scores;
    getOperation().walk([&](nn::MatMulOp mm) {
      auto kt = mm.getRhs().getDefiningOp<nn::TransposeOp>();
      if (!kt || !kt->hasOneUse() || mm.getLhs().getDefiningOp<RotateOp>())
        return;
      ArrayRef<int64_t> perm = kt.getPerm();
      int64_t r = int64_t(perm.size());
      if (r < 2 || perm[size_t(r - 1)] != r - 2 || perm[size_t(r - 2)] != r - 1)
        return;
      for (int64_t i = 0; i < r - 2; ++i)
        if (perm[size_t(i)] != i)
          return;
      auto q = llvm::cast<RankedTensorType>(mm.getLhs().getType());
      auto k = llvm::cast<RankedTensorType>(kt.getInput().getType());
      if (q.getShape().back() != k.getShape().back() ||
          ShapedType::isDynamic(q.getShape().back()))
        return;
      scores.emplace_back(mm, kt);
    });
    for (auto [mm, kt] : scores) {
      int64_t hd =
          llvm::cast<RankedTensorType>(mm.getLhs().getType()).getShape().back();
      if (!num::factorHadamardOrder(hd)) {
        mm->emitRemark("qc-online-hadamard: no Hadamard matrix of order ")
            << hd << " for the queries and keys of these attention scores";
        continue;
      }
      auto h = HadamardAttr::get(&getContext(), hd, seed);
      auto rotate = [&](OpBuilder &b, Value v) {
        auto t = llvm::cast<RankedTensorType>(v.getType());
        return b.create<RotateOp>(v.getLoc(), v, h,
                                  b.getI64IntegerAttr(t.getRank() - 1));
      };
      OpBuilder b(kt);
      kt->setOperand(0, rotate(b, kt.getInput()));
      b.setInsertionPoint(mm);
      mm->setOperand(0, rotate(b, mm.getLhs()));
    }
  }
};

} // namespace

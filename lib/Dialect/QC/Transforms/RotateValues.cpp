//===- RotateValues.cpp - Per-head rotation of attention values -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// QuaRot / SpinQuant R2: a Hadamard rotation of every attention head's
// values, folded into the value projection's output columns and the output
// projection's input rows. Attention mixes value rows (tokens), never the
// channels of a head, so the rotation passes through it unchanged.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "qc/Support/Numerics/Hadamard.h"

namespace qc {
#define GEN_PASS_DEF_ROTATEVALUES
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

int64_t lastDim(Value v) {
  return llvm::cast<RankedTensorType>(v.getType()).getShape().back();
}

/// A linear layer with a constant f32 2-D weight.
bool isConstantLinear(Operation *op) {
  auto mm = llvm::dyn_cast_or_null<nn::MatMulOp>(op);
  return mm && mm.getRhs().getType().getRank() == 2 &&
         qc::detail::isF32Constant(mm.getRhs());
}

/// The path from a value projection to the output projection.
struct ValuePath {
  Operation *vProj = nullptr; ///< Weight rows get the rotation.
  Operation *vBias = nullptr; ///< Bias add (operand biasIndex).
  unsigned biasIndex = 0;
  Operation *oProj = nullptr;    ///< Weight gets R^T W.
  bool reachedAttention = false; ///< Passed a matmul as its values.
};

/// Follows the head-split value tensor `start` (last dimension `hd`) to the
/// output projection. Fails with the op that breaks head-wise structure.
LogicalResult followValues(Value start, int64_t hd, ValuePath &path,
                           Operation *&blocker) {
  SmallVector<Value> work{start};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      blocker = user;
      if (auto r = llvm::dyn_cast<nn::ReshapeOp>(user)) {
        int64_t in = lastDim(r.getInput()), out = lastDim(r.getResult());
        if (in % hd || out % hd || (in != hd && out != hd))
          return failure();
        if (out == hd) {
          work.push_back(r.getResult());
          continue;
        }
        // Heads merged back: the output projection must read this.
        for (OpOperand &u : r.getResult().getUses()) {
          blocker = u.getOwner();
          if (u.getOperandNumber() != 0 || !isConstantLinear(u.getOwner()) ||
              path.oProj || !path.reachedAttention)
            return failure();
          path.oProj = u.getOwner();
        }
        continue;
      }
      if (auto t = llvm::dyn_cast<nn::TransposeOp>(user)) {
        ArrayRef<int64_t> perm = t.getPerm();
        if (perm.empty() || perm.back() != int64_t(perm.size()) - 1)
          return failure();
        work.push_back(t.getResult());
        continue;
      }
      if (auto e = llvm::dyn_cast<nn::ExpandOp>(user)) {
        if (lastDim(e.getResult()) != hd)
          return failure();
        work.push_back(e.getResult());
        continue;
      }
      if (auto mm = llvm::dyn_cast<nn::MatMulOp>(user)) {
        // probs @ V: rows of V are mixed, channels are not.
        if (use.getOperandNumber() != 1 || mm.getLhs() == v ||
            lastDim(mm.getResult()) != hd)
          return failure();
        path.reachedAttention = true;
        work.push_back(mm.getResult());
        continue;
      }
      return failure();
    }
  }
  return success(path.oProj != nullptr);
}

struct RotateValuesPass : qc::impl::RotateValuesBase<RotateValuesPass> {
  using RotateValuesBase::RotateValuesBase;

  void runOnOperation() override {
    SmallVector<std::pair<ValuePath, int64_t>> paths;
    getOperation().walk([&](nn::ReshapeOp split) {
      // A projection (optionally biased) whose output is split into heads.
      Value in = split.getInput();
      int64_t hd = lastDim(split.getResult());
      if (!in.hasOneUse() || lastDim(in) % hd || lastDim(in) == hd)
        return;
      ValuePath path;
      Operation *def = in.getDefiningOp();
      if (auto add = llvm::dyn_cast_or_null<nn::AddOp>(def)) {
        for (unsigned i = 0; i < 2; ++i) {
          Operation *mm = add.getOperand(i).getDefiningOp();
          Value bias = add.getOperand(1 - i);
          if (isConstantLinear(mm) && add.getOperand(i).hasOneUse() &&
              qc::detail::isF32Constant(bias) &&
              llvm::cast<RankedTensorType>(bias.getType()).getNumElements() ==
                  lastDim(in)) {
            path.vProj = mm;
            path.vBias = add;
            path.biasIndex = 1 - i;
          }
        }
      } else if (isConstantLinear(def)) {
        path.vProj = def;
      }
      if (!path.vProj || !num::factorHadamardOrder(hd))
        return;
      Operation *blocker = nullptr;
      if (failed(followValues(split.getResult(), hd, path, blocker))) {
        if (path.reachedAttention)
          blocker->emitRemark("qc-rotate-values: the values of '")
              << qc::detail::layerName(path.vProj)
              << "' are not rotated: this op does not keep heads apart";
        return;
      }
      paths.emplace_back(path, hd);
    });
    MLIRContext *ctx = &getContext();
    for (auto &[path, hd] : paths) {
      auto vType =
          llvm::cast<RankedTensorType>(path.vProj->getOperand(1).getType());
      auto oType =
          llvm::cast<RankedTensorType>(path.oProj->getOperand(1).getType());
      auto rv = BlockHadamardAttr::get(ctx, vType.getDimSize(1), hd, seed);
      auto ro = BlockHadamardAttr::get(ctx, oType.getDimSize(0), hd, seed);
      qc::detail::rotateConstantOperand(path.vProj, 1,
                                        qc::detail::RotationSide::Rows, rv);
      if (path.vBias)
        qc::detail::rotateConstantOperand(path.vBias, path.biasIndex,
                                          qc::detail::RotationSide::Rows, rv);
      qc::detail::rotateConstantOperand(path.oProj, 1,
                                        qc::detail::RotationSide::Columns, ro);
    }
  }
};

} // namespace

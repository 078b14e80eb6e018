//===- PromoteHalf.cpp - float16 / bfloat16 nn ops computed in f32 --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The meaning of an nn op on float16 or bfloat16 tensors (the interpreter's
// and the CPU lowering's): the same op on the values widened to f32, its
// result rounded once to the narrow type, to nearest even. Elementwise
// arithmetic is then correctly rounded, and contractions, reductions,
// normalizations and softmax accumulate in f32 (reductions in f64, as for
// f32 tensors) instead of rounding every partial sum to 11 or 8 bits, as
// onnxruntime's and PyTorch's CPU kernels do.
//
// This rewrite makes that explicit: operands are widened by `nn.cast` (a
// dense or resource constant is converted at compile time instead, so
// constant weights reach the f32 kernels), the op is recreated on f32, and
// each narrow result is rounded back by an `nn.cast`. Casts and data
// movement, which are exact in any type, are left alone. With `widen` (the
// first step of the PTQ pipeline, whose passes work on f32), data movement
// is widened too and the round trips f32 -> narrow -> f32 left between ops
// are dropped: the graph computes in f32 between its narrow arguments and
// results.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace qc::nn {
#define GEN_PASS_DEF_PROMOTEHALF
#include "qc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace qc::nn

using namespace mlir;
using namespace qc::nn;

namespace {

bool isHalf(Type t) {
  auto rt = llvm::dyn_cast<RankedTensorType>(t);
  return rt && (rt.getElementType().isF16() || rt.getElementType().isBF16());
}

/// Ops that only move, select or convert values: exact in any type.
bool exactInAnyType(Operation *op) {
  return isa<CastOp, ReshapeOp, TransposeOp, ExpandOp, ConcatOp, SplitOp,
             SliceOp, GatherOp, GatherElementsOp, TriluOp, WhereOp>(op);
}

/// A narrow float constant converted to f32 (exactly), or null when `v` is
/// not one.
Value widenConstant(OpBuilder &b, Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return Value();
  auto rt = llvm::cast<RankedTensorType>(v.getType());
  auto wide = rt.clone(b.getF32Type());
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(cst.getValue())) {
    auto attr = dense.mapValues(b.getF32Type(), [](const APFloat &x) {
      APFloat y = x;
      bool lost;
      y.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      return y.bitcastToAPInt();
    });
    return b.create<arith::ConstantOp>(cst.getLoc(), wide, attr);
  }
  auto blob = llvm::dyn_cast<DenseResourceElementsAttr>(cst.getValue());
  AsmResourceBlob *data = blob ? blob.getRawHandle().getBlob() : nullptr;
  if (!data || data->getData().size() != size_t(rt.getNumElements()) * 2)
    return Value();
  ArrayRef<char> bytes = data->getData();
  std::vector<float> values(size_t(rt.getNumElements()));
  const llvm::fltSemantics &sem =
      rt.getElementType().isF16() ? APFloat::IEEEhalf() : APFloat::BFloat();
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t bits;
    memcpy(&bits, bytes.data() + 2 * i, 2);
    values[i] = APFloat(sem, APInt(16, bits)).convertToFloat();
  }
  auto wideBlob =
      HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(values));
  auto attr = DenseResourceElementsAttr::get(
      wide, blob.getRawHandle().getKey().str() + "_f32", std::move(wideBlob));
  return b.create<arith::ConstantOp>(cst.getLoc(), wide, attr);
}

struct PromoteHalfPass : qc::nn::impl::PromoteHalfBase<PromoteHalfPass> {
  using PromoteHalfBase::PromoteHalfBase;
  void runOnOperation() override {
    qc::nn::promoteHalfPrecision(getOperation(), widen);
  }
};

} // namespace

void qc::nn::promoteHalfPrecision(Operation *root, bool widen) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (llvm::isa<NNDialect>(op->getDialect()) && !isa<CastOp>(op) &&
        (widen || !exactInAnyType(op)) &&
        (llvm::any_of(op->getOperandTypes(), isHalf) ||
         llvm::any_of(op->getResultTypes(), isHalf)))
      ops.push_back(op);
  });
  OpBuilder b(root->getContext());
  // Constants widened once, however many ops read them.
  llvm::DenseMap<Value, Value> widened;
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      if (!isHalf(v.getType())) {
        operands.push_back(v);
        continue;
      }
      Value &w = widened[v];
      if (!w) {
        if (v.getDefiningOp<arith::ConstantOp>()) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointAfterValue(v);
          w = widenConstant(b, v);
        }
        if (!w) {
          auto wide =
              llvm::cast<RankedTensorType>(v.getType()).clone(b.getF32Type());
          // A cast of a block argument or a result is placed where the
          // value is defined, so that every reader can share it.
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointAfterValue(v);
          w = b.create<CastOp>(op->getLoc(), wide, v,
                               TypeAttr::get(b.getF32Type()));
        }
      }
      operands.push_back(w);
    }
    SmallVector<Type> types;
    for (Type t : op->getResultTypes())
      types.push_back(
          isHalf(t) ? llvm::cast<RankedTensorType>(t).clone(b.getF32Type())
                    : t);
    Operation *wide = b.create(op->getLoc(), op->getName().getIdentifier(),
                               operands, types, op->getAttrs());
    b.setInsertionPointAfter(wide);
    for (auto [old, now] : llvm::zip(op->getResults(), wide->getResults())) {
      Value result = now;
      if (old.getType() != now.getType()) {
        Type elem =
            llvm::cast<RankedTensorType>(old.getType()).getElementType();
        result = b.create<CastOp>(op->getLoc(), old.getType(), now,
                                  TypeAttr::get(elem));
      }
      old.replaceAllUsesWith(result);
    }
    op->erase();
  }
  // Narrow constants that only fed promoted ops are dead now.
  for (auto [v, w] : widened)
    if (v.use_empty())
      if (Operation *def = v.getDefiningOp<arith::ConstantOp>())
        def->erase();
  if (widen) {
    // cast(cast(x : f32 -> narrow) -> f32) is x: the graph keeps f32.
    SmallVector<CastOp> casts;
    root->walk([&](CastOp c) { casts.push_back(c); });
    for (CastOp outer : casts) {
      auto inner = outer.getInput().getDefiningOp<CastOp>();
      if (inner && outer.getType() == inner.getInput().getType() &&
          isHalf(inner.getType()) &&
          llvm::cast<RankedTensorType>(outer.getType())
              .getElementType()
              .isF32())
        outer.replaceAllUsesWith(inner.getInput());
    }
    for (CastOp c : llvm::reverse(casts))
      if (c->use_empty())
        c->erase();
  }
}

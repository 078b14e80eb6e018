//===- ResidualStream.cpp - The residual stream of a transformer ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "ResidualStream.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;
using qc::detail::isF32Constant;
using qc::detail::transformConstant;
using Role = qc::detail::RotationSide;

namespace {

/// Whether `v` is a constant whose values are all 1.
bool isOnes(Value v) {
  auto values = constantFloats(v);
  return values && llvm::all_of(*values, [](float f) { return f == 1.0f; });
}

/// Whether `mm` has a constant 2-D f32 weight.
bool hasConstantMatrixWeight(nn::MatMulOp mm) {
  return mm.getRhs().getType().getRank() == 2 &&
         mm.getRhs().getDefiningOp<arith::ConstantOp>() &&
         mm.getRhs().getType().getElementType().isF32();
}

/// Whether `v` is a constant whose last dimension is `d`.
bool isConstantRows(Value v, int64_t d) {
  return v.getDefiningOp<arith::ConstantOp>() &&
         llvm::cast<RankedTensorType>(v.getType()).getShape().back() == d;
}

} // namespace

/// Multiplies the table by the scale and drops the nn.mul.
Value qc::detail::foldEmbeddingScale(nn::GatherOp gather, int64_t d) {
  Value out = gather.getResult();
  if (!out.hasOneUse())
    return out;
  auto mul = llvm::dyn_cast<nn::MulOp>(*out.getUsers().begin());
  if (!mul)
    return out;
  Value scale = mul.getLhs() == out ? mul.getRhs() : mul.getLhs();
  auto s = constantFloats(scale);
  if (!s || int64_t(s->size()) != d || !isF32Constant(gather.getInput()) ||
      llvm::cast<RankedTensorType>(scale.getType()).getShape().back() != d ||
      mul.getType() != gather.getType())
    return out;
  transformConstant(gather, 0, [&](MutableArrayRef<float> table) {
    for (size_t i = 0; i < table.size(); ++i)
      table[i] *= (*s)[i % size_t(d)];
  });
  mul.getResult().replaceAllUsesWith(out);
  mul.erase();
  if (Operation *def = scale.getDefiningOp(); def && def->use_empty())
    def->erase();
  return out;
}

SmallVector<nn::GatherOp> qc::detail::embeddingGathers(Operation *root) {
  SmallVector<nn::GatherOp> gathers;
  root->walk([&](nn::GatherOp g) {
    if (g.getAxis() == 0 && g.getInput().getType().getRank() == 2 &&
        isF32Constant(g.getInput()))
      gathers.push_back(g);
  });
  return gathers;
}

FailureOr<qc::detail::StreamPlan>
qc::detail::collectResidualStream(Value start, int64_t d, StreamMode mode,
                                  Operation *&blocker, std::string &why) {
  StreamPlan plan;
  llvm::SetVector<Value> stream;
  stream.insert(start);
  auto fail = [&](Operation *op, const Twine &reason) {
    blocker = op;
    why = reason.str();
    return failure();
  };
  // A linear layer feeding the stream: its weight's rows are sources.
  auto linearSource = [&](Value v) -> nn::MatMulOp {
    auto mm = v.getDefiningOp<nn::MatMulOp>();
    if (mm && hasConstantMatrixWeight(mm) && v.hasOneUse() &&
        mm.getRhs().getType().getDimSize(1) == d)
      return mm;
    return {};
  };
  for (size_t i = 0; i < stream.size(); ++i) {
    Value v = stream[i];
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto add = llvm::dyn_cast<nn::AddOp>(user)) {
        if (add.getType() != v.getType())
          return fail(user, "a residual add broadcasts the stream");
        unsigned otherIndex = 1 - use.getOperandNumber();
        Value other = add.getOperand(otherIndex);
        if (!stream.contains(other)) {
          auto biasAdd = other.getDefiningOp<nn::AddOp>();
          if (nn::MatMulOp mm = linearSource(other)) {
            plan.operands.emplace_back(mm, 1, Role::Rows);
          } else if (isConstantRows(other, d)) {
            plan.operands.emplace_back(add, otherIndex, Role::Rows);
          } else if (biasAdd && other.hasOneUse() &&
                     ((linearSource(biasAdd.getLhs()) &&
                       isConstantRows(biasAdd.getRhs(), d)) ||
                      (linearSource(biasAdd.getRhs()) &&
                       isConstantRows(biasAdd.getLhs(), d)))) {
            // A biased projection: x W + b.
            unsigned mmIndex = linearSource(biasAdd.getLhs()) ? 0 : 1;
            plan.operands.emplace_back(
                biasAdd.getOperand(mmIndex).getDefiningOp(), 1, Role::Rows);
            plan.operands.emplace_back(biasAdd, 1 - mmIndex, Role::Rows);
          } else if (!biasAdd) {
            return fail(user, "a residual add has an operand that is not "
                              "a linear layer with a constant weight");
          }
        }
        stream.insert(add.getResult());
        continue;
      }
      if (mode == StreamMode::Center) {
        if (auto norm = llvm::dyn_cast<nn::LayerNormOp>(user)) {
          int64_t rank = norm.getType().getRank();
          int64_t axis = static_cast<int64_t>(norm.getAxis());
          if (!(axis == -1 || axis == rank - 1))
            return fail(user, "the LayerNorm is not over the last axis");
          plan.norms.push_back(norm);
          continue;
        }
        return fail(user, "the stream reaches '" +
                              user->getName().getStringRef() +
                              "', which depends on its mean");
      }
      if (auto norm = llvm::dyn_cast<nn::RMSNormOp>(user)) {
        int64_t rank = norm.getType().getRank();
        int64_t axis = static_cast<int64_t>(norm.getAxis());
        if (!(axis == -1 || axis == rank - 1))
          return fail(user, "the norm is not over the last axis");
        if (!isOnes(norm.getScale()))
          return fail(user, "the norm has a gain (run --qc-fold-norm-gains "
                            "first)");
        plan.norms.push_back(norm);
        for (OpOperand &nu : norm.getResult().getUses()) {
          auto mm = llvm::dyn_cast<nn::MatMulOp>(nu.getOwner());
          if (!mm || nu.getOperandNumber() != 0 || !hasConstantMatrixWeight(mm))
            return fail(nu.getOwner(), "a norm of the stream is read by "
                                       "something other than a linear "
                                       "layer with a constant weight");
          plan.operands.emplace_back(mm, 1, Role::Columns);
        }
        continue;
      }
      if (llvm::isa<nn::LayerNormOp>(user))
        return fail(user, "a LayerNorm reads the stream (run "
                          "--qc-layernorm-to-rmsnorm first)");
      return fail(user, "the stream reaches '" +
                            user->getName().getStringRef() + "'");
    }
  }
  // An add counted as stream because both operands are stream values must
  // really have both in the stream.
  for (Value v : stream)
    if (auto add = v.getDefiningOp<nn::AddOp>())
      for (Value o : add->getOperands())
        if (!stream.contains(o) && o.getDefiningOp<nn::AddOp>() &&
            !llvm::any_of(plan.operands, [&](auto &t) {
              return std::get<0>(t) == o.getDefiningOp();
            }))
          return fail(add, "a residual add mixes in another add's result");
  return plan;
}

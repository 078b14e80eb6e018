//===- ResidualStream.cpp - The residual stream of a transformer ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "ResidualStream.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <functional>

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
  // Scales in a row fold one after the other: the same f32 products in the
  // same order, computed once.
  while (out.hasOneUse()) {
    auto mul = llvm::dyn_cast<nn::MulOp>(*out.getUsers().begin());
    if (!mul)
      break;
    Value scale = mul.getLhs() == out ? mul.getRhs() : mul.getLhs();
    // Per channel (a D-vector) or one scalar (Gemma's sqrt(D)).
    auto s = constantFloats(scale);
    auto st = llvm::cast<RankedTensorType>(scale.getType());
    bool perChannel = s && int64_t(s->size()) == d && st.getRank() >= 1 &&
                      st.getShape().back() == d;
    bool scalar = s && s->size() == 1;
    if (!(perChannel || scalar) || !isF32Constant(gather.getInput()) ||
        mul.getType() != gather.getType())
      break;
    transformConstant(gather, 0, [&](MutableArrayRef<float> table) {
      for (size_t i = 0; i < table.size(); ++i)
        table[i] *= (*s)[scalar ? 0 : i % size_t(d)];
    });
    mul.getResult().replaceAllUsesWith(out);
    mul.erase();
    if (Operation *def = scale.getDefiningOp(); def && def->use_empty())
      def->erase();
  }
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

SmallVector<qc::detail::StreamStart> qc::detail::streamStarts(Operation *root) {
  SmallVector<StreamStart> starts;
  for (nn::GatherOp g : embeddingGathers(root)) {
    int64_t d = g.getInput().getType().getDimSize(1);
    StreamStart s{g, foldEmbeddingScale(g, d), d, {}};
    s.operands.emplace_back(g, 0, Role::Rows);
    starts.push_back(std::move(s));
  }
  root->walk([&](nn::ConvOp conv) {
    auto yt = llvm::cast<RankedTensorType>(conv.getType());
    if (yt.getRank() != 4 || !isF32Constant(conv.getWeight()) ||
        !conv.getResult().hasOneUse() || conv.getGroup() != 1)
      return;
    int64_t d = yt.getDimSize(1);
    // [B, D, H, W] -> [B, D, H W] -> [B, H W, D].
    auto flat = llvm::dyn_cast<nn::ReshapeOp>(*conv->getUsers().begin());
    if (!flat || !flat.getResult().hasOneUse())
      return;
    auto ft = llvm::cast<RankedTensorType>(flat.getType());
    if (ft.getRank() != 3 || ft.getDimSize(0) != yt.getDimSize(0) ||
        ft.getDimSize(1) != d)
      return;
    auto tr = llvm::dyn_cast<nn::TransposeOp>(*flat->getUsers().begin());
    if (!tr || tr.getPerm() != ArrayRef<int64_t>{0, 2, 1})
      return;
    StreamStart s{conv, tr.getResult(), d, {}};
    s.operands.emplace_back(conv, 1, Role::Columns);
    if (Value bias = conv.getBias()) {
      if (!isConstantRows(bias, d))
        return;
      s.operands.emplace_back(conv, 2, Role::Rows);
    }
    starts.push_back(std::move(s));
  });
  return starts;
}

Value qc::detail::tokenMove(OpOperand &use, int64_t d) {
  Operation *op = use.getOwner();
  auto in = llvm::dyn_cast<RankedTensorType>(use.get().getType());
  if (!in || in.getRank() == 0 || in.getShape().back() != d ||
      use.getOperandNumber() != 0 || op->getNumResults() != 1)
    return Value();
  auto out = llvm::cast<RankedTensorType>(op->getResult(0).getType());
  if (out.getRank() == 0 || out.getShape().back() != d)
    return Value();
  int64_t last = in.getRank() - 1;
  if (llvm::isa<nn::ReshapeOp>(op))
    return op->getResult(0);
  if (auto t = llvm::dyn_cast<nn::TransposeOp>(op);
      t && !t.getPerm().empty() && t.getPerm().back() == last)
    return op->getResult(0);
  if (auto g = llvm::dyn_cast<nn::GatherOp>(op);
      g && g.getAxis() != -1 && g.getAxis() != last)
    return op->getResult(0);
  return Value();
}

SmallVector<Operation *>
qc::detail::planGathers(const qc::detail::StreamPlan &plan) {
  SmallVector<Operation *> gathers;
  for (auto [op, index, role] : plan.operands)
    if (llvm::isa<nn::GatherOp>(op))
      gathers.push_back(op);
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
  // A linear layer feeding the stream, directly or through single-use
  // token moves (tokens flattened for the product and restored after it,
  // torchvision's transposed attention): its weight's rows are sources.
  auto linearSource = [&](Value v) -> nn::MatMulOp {
    while (v.hasOneUse() && v.getDefiningOp() &&
           v.getDefiningOp()->getNumOperands() > 0 &&
           tokenMove(v.getDefiningOp()->getOpOperand(0), d) == v)
      v = v.getDefiningOp()->getOperand(0);
    auto mm = v.getDefiningOp<nn::MatMulOp>();
    if (mm && hasConstantMatrixWeight(mm) && v.hasOneUse() &&
        mm.getRhs().getType().getDimSize(1) == d)
      return mm;
    return {};
  };
  using Operand = std::tuple<Operation *, unsigned, RotationSide>;
  // Adds of sources (biased projections x W + b; Phi's parallel attention
  // and MLP outputs summed before the residual add).
  llvm::SmallPtrSet<Operation *, 8> sourceAdds;
  // Appends the sources `v` (operand `index` of `user`, not a stream
  // value) is made of; false, appending nothing, when it is anything else.
  std::function<bool(Value, Operation *, unsigned, SmallVectorImpl<Operand> &)>
      sourcesOf = [&](Value v, Operation *user, unsigned index,
                      SmallVectorImpl<Operand> &out) -> bool {
    if (stream.contains(v))
      return false;
    if (nn::MatMulOp mm = linearSource(v)) {
      out.emplace_back(mm, 1, Role::Rows);
      return true;
    }
    if (isConstantRows(v, d)) {
      out.emplace_back(user, index, Role::Rows);
      return true;
    }
    if (auto table = v.getDefiningOp<nn::GatherOp>();
        table && v.hasOneUse() && table.getAxis() == 0 &&
        isF32Constant(table.getInput()) &&
        table.getInput().getType().getRank() == 2 &&
        table.getInput().getType().getDimSize(1) == d) {
      // Another embedding added in (learned positions, token types): its
      // table's rows are sources.
      out.emplace_back(table, 0, Role::Rows);
      return true;
    }
    auto add = v.getDefiningOp<nn::AddOp>();
    if (!add || !v.hasOneUse())
      return false;
    size_t mark = out.size();
    if (sourcesOf(add.getLhs(), add, 0, out) &&
        sourcesOf(add.getRhs(), add, 1, out)) {
      sourceAdds.insert(add);
      return true;
    }
    out.resize(mark);
    return false;
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
        // Another add that is not made of sources is taken for a stream
        // value reached later (checked below).
        if (!stream.contains(other) &&
            !sourcesOf(other, add, otherIndex, plan.operands) &&
            !other.getDefiningOp<nn::AddOp>())
          return fail(user, "a residual add has an operand that is not "
                            "a linear layer with a constant weight");
        stream.insert(add.getResult());
        continue;
      }
      if (Value moved = tokenMove(use, d)) {
        // A reshape, transpose or gather of whole tokens (OPT's MLP on
        // [tokens, D]) does not mix channels.
        stream.insert(moved);
        continue;
      }
      if (auto cat = llvm::dyn_cast<nn::ConcatOp>(user)) {
        // Tokens joined along another axis (a vision transformer's class
        // token): the constant operands are sources.
        auto ct = llvm::cast<RankedTensorType>(cat.getType());
        int64_t axis =
            cat.getAxis() < 0 ? cat.getAxis() + ct.getRank() : cat.getAxis();
        if (axis == ct.getRank() - 1)
          return fail(user, "the stream is concatenated along its channels");
        for (OpOperand &o : cat->getOpOperands()) {
          if (o.get() == v)
            continue;
          if (!isConstantRows(o.get(), d))
            return fail(user, "the stream is concatenated with something "
                              "other than constant rows");
          plan.operands.emplace_back(cat, o.getOperandNumber(), Role::Rows);
        }
        stream.insert(cat.getResult());
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
        // Its readers, through token moves (reshapes, torchvision's
        // transposes, a classifier's gather of the class token).
        SmallVector<Value> reads{norm.getResult()};
        for (size_t r = 0; r < reads.size(); ++r)
          for (OpOperand &nu : reads[r].getUses()) {
            if (Value moved = tokenMove(nu, d)) {
              reads.push_back(moved);
              continue;
            }
            auto mm = llvm::dyn_cast<nn::MatMulOp>(nu.getOwner());
            if (!mm || nu.getOperandNumber() != 0 ||
                !hasConstantMatrixWeight(mm))
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
            !sourceAdds.contains(o.getDefiningOp()) &&
            !llvm::any_of(plan.operands, [&](auto &t) {
              return std::get<0>(t) == o.getDefiningOp();
            }))
          return fail(add, "a residual add mixes in another add's result");
  return plan;
}

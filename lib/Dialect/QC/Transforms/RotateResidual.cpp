//===- RotateResidual.cpp - Rotate the residual stream --------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Finds the residual stream of a pre-norm transformer (embedding, residual
// adds, unit-gain RMSNorms) and folds an orthogonal rotation of it into the
// weights of its sources and sinks. The whole region is checked before
// anything changes: a region with a user the rotation cannot pass is left
// alone with a remark.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "qc/Support/Numerics/Hadamard.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <random>

namespace qc {
#define GEN_PASS_DEF_ROTATERESIDUAL
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;
using qc::detail::floatConstant;

namespace {

/// How a constant operand of an op is transformed by the rotation Q.
enum class Role {
  Rows,   ///< Each row r (length D) becomes r Q (sources).
  Columns ///< W (D x N) becomes Q^T W (sinks).
};

struct Plan {
  SmallVector<std::tuple<Operation *, unsigned, Role>> operands;
};

/// A random orthogonal n x n matrix: modified Gram-Schmidt on a Gaussian
/// matrix drawn from `seed` (the Q factor of its QR decomposition).
std::vector<double> randomOrthogonal(int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> m(size_t(n * n));
  for (double &v : m)
    v = normal(gen);
  for (int64_t i = 0; i < n; ++i) {
    double *row = &m[size_t(i * n)];
    for (int64_t j = 0; j < i; ++j) {
      const double *prev = &m[size_t(j * n)];
      double dot = 0;
      for (int64_t k = 0; k < n; ++k)
        dot += row[k] * prev[k];
      for (int64_t k = 0; k < n; ++k)
        row[k] -= dot * prev[k];
    }
    double norm = 0;
    for (int64_t k = 0; k < n; ++k)
      norm += row[k] * row[k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < n; ++k)
      row[k] /= norm;
  }
  return m;
}

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

struct RotateResidualPass : qc::impl::RotateResidualBase<RotateResidualPass> {
  using RotateResidualBase::RotateResidualBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (rotation != "hadamard" && rotation != "orthogonal")
      return emitError(UnknownLoc::get(ctx))
             << "qc-rotate-residual: unknown rotation '" << rotation
             << "' (expected hadamard or orthogonal)";
    return success();
  }

  /// Folds a constant per-channel scale applied right after the embedding
  /// gather into the table. Returns the value that starts the stream.
  Value foldEmbeddingScale(nn::GatherOp gather, int64_t d) {
    Value out = gather.getResult();
    if (!out.hasOneUse())
      return out;
    auto mul = llvm::dyn_cast<nn::MulOp>(*out.getUsers().begin());
    if (!mul)
      return out;
    Value scale = mul.getLhs() == out ? mul.getRhs() : mul.getLhs();
    auto s = constantFloats(scale);
    auto table = constantFloats(gather.getInput());
    if (!s || int64_t(s->size()) != d || !table ||
        llvm::cast<RankedTensorType>(scale.getType()).getShape().back() != d ||
        mul.getType() != gather.getType())
      return out;
    for (size_t i = 0; i < table->size(); ++i)
      (*table)[i] *= (*s)[i % size_t(d)];
    OpBuilder b(gather);
    Value oldTable = gather.getInput();
    gather.getInputMutable().assign(floatConstant(
        b, oldTable.getLoc(), llvm::cast<RankedTensorType>(oldTable.getType()),
        *table));
    mul.getResult().replaceAllUsesWith(out);
    mul.erase();
    for (Value v : {oldTable, scale})
      if (Operation *def = v.getDefiningOp(); def && def->use_empty())
        def->erase();
    return out;
  }

  /// Collects the stream starting at `start`; on failure returns the op
  /// that blocks the rotation.
  FailureOr<Plan> collect(Value start, int64_t d, Operation *&blocker,
                          std::string &why) {
    Plan plan;
    llvm::SetVector<Value> stream;
    stream.insert(start);
    auto fail = [&](Operation *op, const Twine &reason) {
      blocker = op;
      why = reason.str();
      return failure();
    };
    for (size_t i = 0; i < stream.size(); ++i) {
      Value v = stream[i];
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (auto add = llvm::dyn_cast<nn::AddOp>(user)) {
          if (add.getType() != v.getType())
            return fail(user, "a residual add broadcasts the stream");
          Value other = add.getOperand(1 - use.getOperandNumber());
          if (!stream.contains(other)) {
            auto mm = other.getDefiningOp<nn::MatMulOp>();
            if (mm && hasConstantMatrixWeight(mm) && other.hasOneUse() &&
                mm.getRhs().getType().getDimSize(1) == d) {
              plan.operands.emplace_back(mm, 1, Role::Rows);
            } else if (auto c = other.getDefiningOp<arith::ConstantOp>();
                       c && llvm::cast<RankedTensorType>(other.getType())
                                    .getShape()
                                    .back() == d) {
              plan.operands.emplace_back(add, 1 - use.getOperandNumber(),
                                         Role::Rows);
            } else if (!other.getDefiningOp<nn::AddOp>()) {
              return fail(user, "a residual add has an operand that is not "
                                "a linear layer with a constant weight");
            }
          }
          stream.insert(add.getResult());
          continue;
        }
        if (auto norm = llvm::dyn_cast<nn::RMSNormOp>(user)) {
          int64_t rank = norm.getType().getRank();
          int64_t axis = static_cast<int64_t>(norm.getAxis());
          if (!(axis == -1 || axis == rank - 1))
            return fail(user, "the norm is not over the last axis");
          if (!isOnes(norm.getScale()))
            return fail(user, "the norm has a gain (run --qc-fold-norm-gains "
                              "first)");
          for (OpOperand &nu : norm.getResult().getUses()) {
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
        return fail(user, "the stream reaches '" +
                              user->getName().getStringRef() + "'");
      }
    }
    // An add counted as stream because both operands are stream values must
    // really have both in the stream.
    for (Value v : stream)
      if (auto add = v.getDefiningOp<nn::AddOp>())
        for (Value o : add->getOperands())
          if (!stream.contains(o) && o.getDefiningOp<nn::AddOp>())
            return fail(add, "a residual add mixes in another add's result");
    return plan;
  }

  void runOnOperation() override {
    SmallVector<nn::GatherOp> gathers;
    getOperation().walk([&](nn::GatherOp g) {
      if (g.getAxis() == 0 && g.getInput().getType().getRank() == 2 &&
          constantFloats(g.getInput()))
        gathers.push_back(g);
    });
    MLIRContext *ctx = &getContext();
    for (nn::GatherOp gather : gathers) {
      int64_t d = gather.getInput().getType().getDimSize(1);
      Value start = foldEmbeddingScale(gather, d);
      Operation *blocker = nullptr;
      std::string why;
      FailureOr<Plan> plan = collect(start, d, blocker, why);
      if (failed(plan)) {
        blocker->emitRemark("qc-rotate-residual: residual stream of ")
            << gather->getLoc() << " not rotated: " << why;
        continue;
      }
      // The rotation.
      RotationAttrInterface q;
      if (rotation == "hadamard" && num::factorHadamardOrder(d)) {
        q = HadamardAttr::get(ctx, d, seed);
      } else {
        if (rotation == "hadamard")
          gather->emitRemark("qc-rotate-residual: no Hadamard matrix of order ")
              << d << "; using a random orthogonal matrix";
        std::vector<double> m = randomOrthogonal(d, seed);
        std::vector<float> mf(m.begin(), m.end());
        auto type = RankedTensorType::get({d, d}, Float32Type::get(ctx));
        q = OrthogonalAttr::get(
            ctx, llvm::cast<DenseFPElementsAttr>(
                     DenseElementsAttr::get(type, ArrayRef<float>(mf))));
      }
      apply(gather, 0, Role::Rows, q);
      for (auto [op, index, role] : plan->operands)
        apply(op, index, role, q);
    }
  }

  /// Replaces constant operand `index` of `op` by its rotated values.
  void apply(Operation *op, unsigned index, Role role,
             RotationAttrInterface q) {
    Value old = op->getOperand(index);
    auto type = llvm::cast<RankedTensorType>(old.getType());
    std::vector<float> values = *constantFloats(old);
    int64_t d = q.getOrder();
    std::vector<double> work(values.begin(), values.end());
    if (role == Role::Rows) {
      q.applyToRows(work.data(), int64_t(work.size()) / d, false);
      std::copy(work.begin(), work.end(), values.begin());
    } else {
      // Q^T W = (W^T Q)^T: rotate the columns of W as rows of W^T.
      int64_t n = type.getDimSize(1);
      std::vector<double> t(work.size());
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < n; ++j)
          t[size_t(j * d + i)] = work[size_t(i * n + j)];
      q.applyToRows(t.data(), n, false);
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < n; ++j)
          values[size_t(i * n + j)] = float(t[size_t(j * d + i)]);
    }
    OpBuilder b(op);
    op->setOperand(index, floatConstant(b, old.getLoc(), type, values));
    if (Operation *def = old.getDefiningOp(); def && def->use_empty())
      def->erase();
  }
};

} // namespace

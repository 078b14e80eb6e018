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
#include "qc/Interpreter/NPY.h"
#include "qc/Support/Numerics/Hadamard.h"

#include "llvm/ADT/SetVector.h"

namespace qc {
#define GEN_PASS_DEF_ROTATERESIDUAL
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;
using qc::detail::floatConstant;

namespace {

using Role = qc::detail::RotationSide;

struct Plan {
  SmallVector<std::tuple<Operation *, unsigned, Role>> operands;
};

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
    if (StringRef(rotation).ends_with(".npy"))
      return loadUserRotation(ctx);
    if (rotation != "hadamard" && rotation != "orthogonal")
      return emitError(UnknownLoc::get(ctx))
             << "qc-rotate-residual: unknown rotation '" << rotation
             << "' (expected hadamard, orthogonal or a .npy file)";
    if (block < 0 || (block > 0 && !num::factorHadamardOrder(block)))
      return emitError(UnknownLoc::get(ctx))
             << "qc-rotate-residual: block must be 0 (full) or a Hadamard "
                "order K * 2^m, got "
             << static_cast<int64_t>(block);
    if (block > 0 && rotation == "orthogonal")
      return emitError(UnknownLoc::get(ctx))
             << "qc-rotate-residual: block rotations are Hadamard; "
                "rotation=orthogonal takes no block";
    return success();
  }

  /// Reads a user rotation (e.g. learned SpinQuant R1) from an .npy file
  /// and checks that it is square and orthogonal to 1e-5.
  LogicalResult loadUserRotation(MLIRContext *ctx) {
    auto error = [&]() {
      return emitError(UnknownLoc::get(ctx))
             << "qc-rotate-residual: rotation '" << rotation << "' ";
    };
    if (block > 0)
      return error() << "is a matrix; it takes no block";
    interp::HostArray a;
    std::string err;
    if (!interp::readNpy(rotation, a, err))
      return error() << "cannot be read: " << err;
    if (a.shape.size() != 2 || a.shape[0] != a.shape[1] || a.shape[0] == 0)
      return error() << "must be a square 2-D matrix";
    if (a.dtype != "f4" && a.dtype != "f8")
      return error() << "must hold float32 or float64 values, not '" << a.dtype
                     << "'";
    int64_t n = a.shape[0];
    std::vector<double> m(size_t(n * n));
    for (size_t i = 0; i < m.size(); ++i)
      m[i] = interp::readAsDouble(a, int64_t(i));
    double worst = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j) {
        double dot = 0;
        for (int64_t k = 0; k < n; ++k)
          dot += m[size_t(k * n + i)] * m[size_t(k * n + j)];
        worst = std::max(worst, std::fabs(dot - (i == j ? 1.0 : 0.0)));
      }
    if (!(worst <= 1e-5))
      return error() << "is not orthogonal: max |Q^T Q - I| = " << worst
                     << " (tolerance 1e-5)";
    std::vector<float> mf(m.begin(), m.end());
    auto type = RankedTensorType::get({n, n}, Float32Type::get(ctx));
    userRotation = OrthogonalAttr::get(
        ctx, llvm::cast<DenseFPElementsAttr>(
                 DenseElementsAttr::get(type, ArrayRef<float>(mf))));
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
      if (block > 0 && d % block != 0) {
        gather->emitError("qc-rotate-residual: block size ")
            << static_cast<int64_t>(block)
            << " does not divide the residual stream width " << d;
        return signalPassFailure();
      }
      // The rotations, applied in order: an optional MassDiff permutation,
      // then the (block) Hadamard or orthogonal matrix.
      SmallVector<RotationAttrInterface, 2> rotations;
      if (permute) {
        std::vector<double> mass;
        for (auto [op, index, role] : plan->operands)
          if (role == Role::Columns && !qc::detail::addChannelMass(op, mass)) {
            op->emitError("qc-rotate-residual: permute=true needs calibrated "
                          "channel statistics (run --qc-calibrate first); "
                          "layer '")
                << qc::detail::layerName(op) << "' has none";
            return signalPassFailure();
          }
        if (!mass.empty())
          rotations.push_back(PermutationAttr::get(
              ctx, qc::detail::massDiffPermutation(mass, block ? block : d)));
      }
      if (userRotation) {
        if (userRotation.getOrder() != d) {
          gather->emitError("qc-rotate-residual: rotation '")
              << rotation << "' is " << userRotation.getOrder() << "x"
              << userRotation.getOrder()
              << " but the residual stream has width " << d;
          return signalPassFailure();
        }
        rotations.push_back(userRotation);
      } else if (block > 0) {
        rotations.push_back(BlockHadamardAttr::get(ctx, d, block, seed));
      } else {
        bool fellBack = false;
        rotations.push_back(qc::detail::chooseRotation(
            ctx, d, rotation == "orthogonal", seed, fellBack));
        if (fellBack)
          gather->emitRemark("qc-rotate-residual: no Hadamard matrix of order ")
              << d << "; using a random orthogonal matrix";
      }
      for (RotationAttrInterface q : rotations) {
        qc::detail::rotateConstantOperand(gather, 0, Role::Rows, q);
        for (auto [op, index, role] : plan->operands)
          qc::detail::rotateConstantOperand(op, index, role, q);
      }
    }
  }

  RotationAttrInterface userRotation;
};

} // namespace

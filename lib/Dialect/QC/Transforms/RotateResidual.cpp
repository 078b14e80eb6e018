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
#include "ResidualStream.h"
#include "qc/Interpreter/NPY.h"
#include "qc/Support/Numerics/Hadamard.h"

namespace qc {
#define GEN_PASS_DEF_ROTATERESIDUAL
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

using Role = qc::detail::RotationSide;
using qc::detail::StreamMode;

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

  void runOnOperation() override {
    SmallVector<qc::detail::StreamStart> starts =
        qc::detail::streamStarts(getOperation());
    MLIRContext *ctx = &getContext();
    llvm::DenseSet<Operation *> done;
    for (qc::detail::StreamStart &s : starts) {
      if (done.contains(s.op))
        continue;
      int64_t d = s.d;
      Operation *blocker = nullptr;
      std::string why;
      auto plan = qc::detail::collectResidualStream(
          s.value, d, StreamMode::Rotate, blocker, why);
      if (failed(plan)) {
        blocker->emitRemark("qc-rotate-residual: residual stream of ")
            << s.op->getLoc() << " not rotated: " << why;
        continue;
      }
      if (block > 0 && d % block != 0) {
        s.op->emitError("qc-rotate-residual: block size ")
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
          s.op->emitError("qc-rotate-residual: rotation '")
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
          s.op->emitRemark("qc-rotate-residual: no Hadamard matrix of order ")
              << d << "; using a random orthogonal matrix";
      }
      for (Operation *g : qc::detail::planGathers(*plan))
        done.insert(g);
      for (RotationAttrInterface q : rotations) {
        for (auto [op, index, role] : s.operands)
          qc::detail::rotateConstantOperand(op, index, role, q);
        for (auto [op, index, role] : plan->operands)
          qc::detail::rotateConstantOperand(op, index, role, q);
      }
    }
  }

  RotationAttrInterface userRotation;
};

} // namespace

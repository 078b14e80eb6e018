//===- SmoothQuant.cpp - Migrate activation outliers into weights ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// SmoothQuant (Xiao et al., ICML 2023): divides every input channel j of a
// group of linear layers by s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) and
// multiplies the weights' row j by s_j, folding 1/s into the op that
// produces X (a normalization's gain and bias, or the up projection of a
// gated MLP), so activations become easier to quantize at no run-time cost.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_SMOOTHQUANT
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;
using qc::detail::constantFloats;

namespace {

/// Multiplies (or divides) constant operand `index` of `op` by `s` per
/// channel: channel = row for a [k, N] matrix (`rowsOfMatrix`), else the
/// last axis.
void scaleConstant(Operation *op, unsigned index, ArrayRef<double> s,
                   bool rowsOfMatrix, bool divide) {
  qc::detail::transformConstant(op, index, [&](MutableArrayRef<float> v) {
    size_t k = s.size();
    size_t n = rowsOfMatrix ? v.size() / k : 1;
    for (size_t i = 0; i < v.size(); ++i) {
      size_t ch = rowsOfMatrix ? i / n : i % k;
      v[i] = float(divide ? double(v[i]) / s[ch] : double(v[i]) * s[ch]);
    }
  });
}

struct SmoothQuantPass : qc::impl::SmoothQuantBase<SmoothQuantPass> {
  using SmoothQuantBase::SmoothQuantBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (!(alpha > 0 && alpha < 1))
      return emitError(UnknownLoc::get(ctx))
             << "qc-smooth-quant: alpha must be in (0, 1), got "
             << double(alpha);
    return success();
  }

  /// The smoothing factors of the channels of `x`, read by `readers`
  /// (linear layers with constant [K, N] weights); empty with a remark when
  /// a reader lacks calibration.
  std::vector<double> factors(Value x, ArrayRef<Operation *> readers,
                              bool &failed) {
    int64_t k = llvm::cast<RankedTensorType>(x.getType()).getShape().back();
    std::vector<double> xmax(size_t(k), 0.0), wmax(size_t(k), 0.0);
    for (Operation *r : readers) {
      auto cal = r->getAttrOfType<DictionaryAttr>("qc.calibration");
      auto lo = cal ? llvm::dyn_cast_or_null<DenseElementsAttr>(
                          cal.get("channel_min"))
                    : nullptr;
      auto hi = cal ? llvm::dyn_cast_or_null<DenseElementsAttr>(
                          cal.get("channel_max"))
                    : nullptr;
      if (!lo || !hi || lo.getNumElements() != k) {
        r->emitError("qc-smooth-quant: layer '")
            << qc::detail::layerName(r)
            << "' has no calibrated channel ranges; run --qc-calibrate first";
        failed = true;
        return {};
      }
      auto los = lo.getValues<float>(), his = hi.getValues<float>();
      for (int64_t j = 0; j < k; ++j)
        xmax[size_t(j)] = std::max({xmax[size_t(j)], std::fabs(double(los[j])),
                                    std::fabs(double(his[j]))});
      std::vector<float> w = *constantFloats(r->getOperand(1));
      size_t n = w.size() / size_t(k);
      for (size_t i = 0; i < w.size(); ++i)
        wmax[i / n] = std::max(wmax[i / n], std::fabs(double(w[i])));
    }
    std::vector<double> s(size_t(k), 1.0);
    for (size_t j = 0; j < s.size(); ++j)
      if (xmax[j] > 0 && wmax[j] > 0)
        s[j] = std::max(1e-5, std::pow(xmax[j], double(alpha)) /
                                  std::pow(wmax[j], 1.0 - double(alpha)));
    return s;
  }

  /// The readers of `x` if all are linear layers (matmul) with constant
  /// f32 [K, N] weights reading it as their input.
  static std::optional<SmallVector<Operation *>> linearReaders(Value x) {
    SmallVector<Operation *> readers;
    for (OpOperand &use : x.getUses()) {
      auto mm = llvm::dyn_cast<nn::MatMulOp>(use.getOwner());
      if (!mm || use.getOperandNumber() != 0 ||
          mm.getRhs().getType().getRank() != 2 ||
          !qc::detail::isF32Constant(mm.getRhs()))
        return std::nullopt;
      readers.push_back(mm);
    }
    if (readers.empty())
      return std::nullopt;
    return readers;
  }

  void runOnOperation() override {
    bool failed = false;
    SmallVector<Operation *> norms, gated;
    getOperation().walk([&](Operation *op) {
      if (llvm::isa<nn::RMSNormOp, nn::LayerNormOp>(op))
        norms.push_back(op);
      else if (llvm::isa<nn::MulOp>(op))
        gated.push_back(op);
    });
    // Normalizations over the last axis with a constant per-channel gain:
    // 1/s goes into the gain (and bias).
    for (Operation *norm : norms) {
      Value x = norm->getResult(0);
      auto type = llvm::cast<RankedTensorType>(x.getType());
      int64_t axis = int64_t(norm->getAttrOfType<IntegerAttr>("axis").getInt());
      int64_t k = type.getShape().back();
      auto gain = constantFloats(norm->getOperand(1));
      auto readers = linearReaders(x);
      if ((axis != -1 && axis != type.getRank() - 1) || !gain ||
          int64_t(gain->size()) != k || !readers)
        continue;
      bool hasBias = norm->getNumOperands() > 2;
      if (hasBias && !qc::detail::isF32Constant(norm->getOperand(2)))
        continue;
      std::vector<double> s = factors(x, *readers, failed);
      if (s.empty())
        continue;
      scaleConstant(norm, 1, s, false, /*divide=*/true);
      if (hasBias)
        scaleConstant(norm, 2, s, false, /*divide=*/true);
      for (Operation *r : *readers) {
        scaleConstant(r, 1, s, true, /*divide=*/false);
        r->removeAttr("qc.calibration"); // Its ranges are those of X, not X/s.
      }
    }
    // Gated MLPs: down(act(gate) * up): 1/s goes into the up projection's
    // output columns.
    for (Operation *mul : gated) {
      Value x = mul->getResult(0);
      auto readers = linearReaders(x);
      if (!readers)
        continue;
      for (unsigned o = 0; o < 2; ++o) {
        auto up = mul->getOperand(o).getDefiningOp<nn::MatMulOp>();
        if (!up || !up->hasOneUse() || up.getRhs().getType().getRank() != 2 ||
            !qc::detail::isF32Constant(up.getRhs()) ||
            up.getType() != llvm::cast<RankedTensorType>(x.getType()))
          continue;
        std::vector<double> s = factors(x, *readers, failed);
        if (s.empty())
          break;
        // Columns of W_up (K_in x K) divided by s: rows of length K.
        scaleConstant(up, 1, s, false, /*divide=*/true);
        for (Operation *r : *readers) {
          scaleConstant(r, 1, s, true, /*divide=*/false);
          r->removeAttr("qc.calibration");
        }
        break;
      }
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace

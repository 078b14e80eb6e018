//===- PTQPipeline.cpp - The user-facing post-training pipeline -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// --qc-ptq-pipeline: validates the options quantization engineers give
// (w=, a=, rotate=, gptq=, calib=, ...) and runs the individual passes in
// the order the methods need: raise, fold norms, rotate, calibrate, quantize
// weights (RTN or GPTQ), quantize activations.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "WeightQuantization.h"
#include "qc/Dialect/NN/Transforms/Passes.h"
#include "qc/Support/Numerics/Hadamard.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"

namespace qc {
#define GEN_PASS_DEF_PTQPIPELINE
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

struct PTQPipelinePass : qc::impl::PTQPipelineBase<PTQPipelinePass> {
  using PTQPipelineBase::PTQPipelineBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto error = [&]() {
      return emitError(UnknownLoc::get(ctx)) << "qc-ptq-pipeline: ";
    };
    for (auto [key, value] :
         {std::pair<StringRef, StringRef>{"w", weights}, {"a", activations}})
      if (value != "float" && !lookupNamedFormat(ctx, value))
        return error() << "unknown format " << key << "=" << value
                       << " (expected float, " << namedFormatList() << ")";
    if (rotate != "none" && rotate != "hadamard" && rotate != "orthogonal" &&
        rotate != "mixquant" && !StringRef(rotate).ends_with(".npy"))
      return error() << "unknown rotate=" << rotate
                     << " (expected none, hadamard, orthogonal, mixquant or "
                        "an .npy file holding an orthogonal matrix)";
    if (block < 0 || (block > 0 && !num::factorHadamardOrder(block)))
      return error() << "block must be 0 (full Hadamard) or a Hadamard order "
                        "K * 2^m, got "
                     << static_cast<int64_t>(block);
    if (block > 0 && rotate != "hadamard" && rotate != "mixquant")
      return error() << "block=" << static_cast<int64_t>(block)
                     << " needs rotate=hadamard or rotate=mixquant";
    if (queryKey && rotate == "none")
      return error() << "qk-rotate=true needs a rotation (rotate=hadamard, "
                        "orthogonal, mixquant or a file)";
    if (rotate == "mixquant" && calib.empty())
      return error() << "missing calibration data: rotate=mixquant needs "
                        "calib=DIR for its permutations";
    if (weightGroup < 0)
      return error() << "w-group must be >= 0, got "
                     << static_cast<int64_t>(weightGroup);
    if (smoothQuant != 0 && !(smoothQuant > 0 && smoothQuant < 1))
      return error() << "smoothquant must be 0 (off) or in (0, 1), got "
                     << double(smoothQuant);
    bool mse;
    if (!qc::detail::parseWeightScaleRule(weightScale, mse))
      return error() << "unknown w-scale=" << weightScale
                     << " (expected absmax or mse)";
    if (!(activationClip > 0 && activationClip <= 1))
      return error() << "a-clip must be in (0, 1], got "
                     << double(activationClip);
    if (activationClip != 1 && staticActivations)
      return error() << "a-clip applies to dynamic activation scales; static "
                        "scales clip with a-scale=percentile|mse";
    if (weightBits < 0)
      return error() << "w-bits must be >= 0, got " << double(weightBits);
    if (weightBits > 0 && calib.empty())
      return error() << "missing calibration data: w-bits needs calib=DIR "
                        "to measure each layer's error";
    if (accumulatorBits != 0) {
      auto symmetricInt = [](StringRef f) {
        return f == "int8" || f == "int4" || f == "int2";
      };
      SmallVector<StringRef> weightFormats;
      if (weightBits > 0)
        StringRef(weightCandidates).split(weightFormats, ',');
      else
        weightFormats.push_back(weights);
      if (!llvm::all_of(weightFormats, symmetricInt) ||
          !symmetricInt(activations) || weightGroup != 0)
        return error() << "acc-bits needs integer codes on both sides of the "
                          "sums: w and a in int8, int4, int2 and w-group=0, "
                          "got w="
                       << weights << " a=" << activations
                       << " w-group=" << static_cast<int64_t>(weightGroup);
      if (accumulatorBits < 2 || accumulatorBits > 64)
        return error() << "acc-bits must be 0 (none) or in [2, 64], got "
                       << static_cast<int64_t>(accumulatorBits);
    }
    if (gptq && weights == "float" && weightBits == 0)
      return error() << "gptq=true needs a weight format (w=float)";
    // Static activation ranges may come from a table instead.
    bool needsCalibration =
        gptq || smoothQuant > 0 || rotate == "mixquant" ||
        (staticActivations && activations != "float" && table.empty());
    if (needsCalibration && calib.empty())
      return error() << "missing calibration data: "
                     << (gptq              ? "gptq=true"
                         : smoothQuant > 0 ? "smoothquant"
                                           : "a-static=true")
                     << " needs calib=DIR (DIR/<sample>/<input>.npy)";
    for (auto [key, value] :
         {std::pair<StringRef, StringRef>{"first", first}, {"last", last}})
      if (!value.empty() && value != "float" && !lookupNamedFormat(ctx, value))
        return error() << "unknown format " << key << "=" << value
                       << " (expected float, " << namedFormatList() << ")";
    if (!table.empty() && !llvm::sys::fs::exists(table))
      return error() << "calibration table '" << table << "' does not exist";
    if (!calib.empty() && !llvm::sys::fs::is_directory(calib))
      return error() << "calibration directory '" << calib
                     << "' does not exist";
    return success();
  }

  void runOnOperation() override {
    OpPassManager pm(ModuleOp::getOperationName());
    // float16 / bfloat16 models are quantized in f32 (their arguments and
    // results keep their types).
    pm.addPass(qc::nn::createPromoteHalf(qc::nn::PromoteHalfOptions{true}));
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(qc::nn::createRaiseDecomposedOps());
    if (foldBatchNorm)
      fn.addPass(qc::nn::createFoldBatchNorm());
    if (rotate != "none") {
      bool mixquant = rotate == "mixquant";
      int64_t b = mixquant && block == 0 ? 32 : int64_t(block);
      fn.addPass(createFoldNormGains());
      fn.addPass(createLayerNormToRMSNorm());
      if (mixquant) {
        // Channel statistics of the float model for the permutations.
        CalibrateOptions c;
        c.data = calib;
        c.samples = samples;
        pm.addPass(createCalibrate(c));
      }
      RotateResidualOptions r;
      r.rotation = rotate == "orthogonal" || StringRef(rotate).ends_with(".npy")
                       ? std::string(rotate)
                       : "hadamard";
      r.seed = seed;
      r.block = b;
      r.permute = mixquant;
      OnlineHadamardOptions o;
      o.seed = seed;
      o.block = b;
      o.permute = mixquant;
      o.queryKey = queryKey;
      OpPassManager &rot = pm.nest<func::FuncOp>();
      rot.addPass(createRotateResidual(r));
      rot.addPass(createRotateValues(RotateValuesOptions{seed}));
      rot.addPass(createOnlineHadamard(o));
    }
    bool quantizeActs = activations != "float";
    auto calibrate = [&](bool hessian) {
      CalibrateOptions c;
      c.data = calib;
      c.samples = samples;
      c.hessian = hessian;
      // The MSE clipping search assumes the activation format (per-tensor
      // static scales exist only for integer and FP8 formats).
      if (quantizeActs &&
          lookupNamedFormat(&getContext(), activations)->nativeBlock == 0)
        c.mseFormat = activations;
      pm.addPass(createCalibrate(c));
    };
    if (smoothQuant > 0) {
      calibrate(false);
      SmoothQuantOptions sq;
      sq.alpha = smoothQuant;
      pm.nest<func::FuncOp>().addPass(createSmoothQuant(sq));
    }
    if (gptq || (staticActivations && quantizeActs))
      calibrate(gptq);
    if (!table.empty() || !first.empty() || !last.empty()) {
      LoadCalibrationOptions l;
      l.table = table;
      l.first = first;
      l.last = last;
      pm.nest<func::FuncOp>().addPass(createLoadCalibration(l));
    }
    if (weightBits > 0) {
      AssignFormatsOptions a;
      a.data = calib;
      a.samples = samples;
      a.candidates = weightCandidates;
      a.bits = weightBits;
      a.group = weightGroup;
      pm.addPass(createAssignFormats(a));
    }
    if (weights != "float" || weightBits > 0) {
      // With w-bits every layer has its format; the quantizers' default
      // then only needs to be a format.
      std::string format =
          weights == "float" && weightBits > 0 ? "int8" : std::string(weights);
      if (gptq) {
        GPTQOptions g;
        g.format = format;
        g.group = weightGroup;
        g.actOrder = actOrder;
        g.scale = weightScale;
        g.accumulatorBits = accumulatorBits;
        g.accumulatorInput = activations;
        pm.nest<func::FuncOp>().addPass(createGPTQ(g));
      } else {
        QuantizeWeightsOptions q;
        q.format = format;
        q.group = weightGroup;
        q.scale = weightScale;
        q.accumulatorBits = accumulatorBits;
        q.accumulatorInput = activations;
        pm.nest<func::FuncOp>().addPass(createQuantizeWeights(q));
      }
    }
    if (quantizeActs) {
      QuantizeActivationsOptions q;
      q.format = activations;
      q.isStatic = staticActivations;
      q.scale = activationScale;
      q.clip = activationClip;
      pm.nest<func::FuncOp>().addPass(createQuantizeActivations(q));
    }
    pm.addPass(createCSEPass());
    if (failed(runPipeline(pm, getOperation())))
      signalPassFailure();
  }
};

} // namespace

//===- GPURunner.cpp - Run modules lowered for NVIDIA GPUs ----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/GPU/GPURunner.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"

using namespace mlir;

qc::cpu::JITTarget qc::gpu::jitTarget(const qc::LowerToGPUOptions &options) {
  qc::cpu::JITTarget target;
  target.name = options.emulate ? "--target=gpu-emulated" : "--target=gpu";
  target.buildPipeline = [options](OpPassManager &pm) {
    qc::buildLowerToGPUPipeline(pm, options);
  };
  if (!options.emulate) {
    target.symbols = runtimeSymbols();
    target.takeRuntimeError = takeRuntimeError;
  }
  return target;
}

/// Writes the PTX of every gpu.binary in `module` (one, after
/// --qc-lower-to-gpu); fails with an error if there is none or an object is
/// not PTX text.
static LogicalResult emitPTX(ModuleOp module, llvm::raw_ostream &os) {
  unsigned count = 0;
  for (auto binary : module.getOps<mlir::gpu::BinaryOp>()) {
    for (Attribute a : binary.getObjects()) {
      auto object = llvm::cast<mlir::gpu::ObjectAttr>(a);
      if (object.getFormat() != mlir::gpu::CompilationTarget::Assembly)
        return binary.emitError("--emit-ptx: the object for ")
               << object.getTarget()
               << " is not PTX text (lower with --qc-lower-to-gpu)";
      StringRef text = object.getObject().getValue();
      // The NVPTX serializer ends the text with a NUL for the driver.
      text = text.rtrim(StringRef("\0", 1));
      if (count++)
        os << "\n";
      os << "// gpu.binary @" << binary.getSymName() << "\n" << text;
      if (!text.ends_with("\n"))
        os << "\n";
    }
  }
  if (count == 0 && module->hasAttr(qc::kGPUChipAttr)) {
    // Lowered, but every output was a constant: no kernel to write.
    os << "// no GPU kernels (the module computes nothing on the GPU)\n";
    return success();
  }
  if (count == 0)
    return module.emitError("--emit-ptx: the module has no gpu.binary (run "
                            "--qc-lower-to-gpu first)");
  return success();
}

void qc::gpu::registerPTXTranslation() {
  TranslateFromMLIRRegistration reg(
      "emit-ptx", "Write the PTX of a module lowered by --qc-lower-to-gpu",
      emitPTX, [](DialectRegistry &registry) {
        qc::cpu::registerCPUTargetDialects(registry);
        registry.insert<qc::QCDialect, qc::nn::NNDialect>();
      });
}

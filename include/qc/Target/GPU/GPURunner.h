//===- GPURunner.h - Run modules lowered for NVIDIA GPUs --------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// quant-run --target=gpu: --qc-lower-to-gpu, then the host code is
// JIT-compiled like the CPU target's and calls QuantC's implementation of
// MLIR's mgpu* runtime functions (the CUDA driver API, loaded at run time).
// --target=gpu-emulated runs the same kernels as loops on the host.
// quant-translate --emit-ptx writes the kernels' PTX.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_GPU_GPURUNNER_H
#define QC_TARGET_GPU_GPURUNNER_H

#include "qc/Conversion/Passes.h"
#include "qc/Target/CPU/CPURunner.h"

#include <string>
#include <utility>
#include <vector>

namespace qc::gpu {

/// The mgpu* functions (name, address) that the host code of
/// --qc-lower-to-gpu calls; the JIT resolves them here.
std::vector<std::pair<std::string, void *>> runtimeSymbols();

/// The first error a runtime function met since the last call ("" if
/// none); the calls after an error do nothing.
std::string takeRuntimeError();

/// Loads the CUDA driver and opens GPU 0; returns an error message, or ""
/// and the GPU's sm_XY name in `chip`.
std::string openDevice(std::string *chip = nullptr);

/// How quant-run compiles a module for --target=gpu (`options.emulate`
/// false: PTX and the CUDA driver) or --target=gpu-emulated.
qc::cpu::JITTarget jitTarget(const qc::LowerToGPUOptions &options);

/// Registers `--emit-ptx` (quant-translate): the PTX of a module lowered by
/// --qc-lower-to-gpu.
void registerPTXTranslation();

} // namespace qc::gpu

#endif // QC_TARGET_GPU_GPURUNNER_H

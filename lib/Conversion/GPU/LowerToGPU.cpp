//===- LowerToGPU.cpp - The --qc-lower-to-gpu pipeline --------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// nn + qc -> linalg on tensors -> bufferized memrefs (the CPU pipeline's
// first half, with its generic kernels) -> parallel loops -> tiled and
// mapped to blocks and threads -> gpu.launch -> device memory -> kernels
// outlined into one gpu.module -> NVVM -> PTX in a gpu.binary; the host
// code calls MLIR's mgpu* runtime functions (lib/Target/GPU implements
// them on the CUDA driver API). With `emulate`, the launches become loops
// on the host instead and the module is lowered like the CPU target's.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

namespace {

/// Records on each public function the number of its arguments before
/// bufferization appends the out-parameters (`qc.gpu.num_inputs`), so that
/// --qc-gpu-host-memory knows which buffers to copy back.
struct RecordInputsPass
    : PassWrapper<RecordInputsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(RecordInputsPass)
  StringRef getArgument() const final { return "qc-gpu-record-inputs"; }
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        f->setAttr("qc.gpu.num_inputs",
                   IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                    f.getNumArguments()));
  }
};

/// Sets `qc.gpu_chip` on the module: the GPU --qc-lower-to-gpu compiled
/// for.
struct MarkLoweredPass : PassWrapper<MarkLoweredPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MarkLoweredPass)
  MarkLoweredPass(std::string chip) : chip(std::move(chip)) {}
  StringRef getArgument() const final { return "qc-gpu-mark-lowered"; }
  void runOnOperation() override {
    getOperation()->setAttr(qc::kGPUChipAttr,
                            StringAttr::get(&getContext(), chip));
  }
  std::string chip;
};

/// Math functions that convert-gpu-to-nvvm (LLVM 19) has no pattern for
/// become calls of libdevice's implementations (`__nv_<name>f` for f32,
/// `__nv_<name>` for f64), which gpu-module-to-binary links.
struct LibdeviceCallsPass
    : PassWrapper<LibdeviceCallsPass, OperationPass<gpu::GPUModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LibdeviceCallsPass)
  StringRef getArgument() const final { return "qc-gpu-libdevice-calls"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }
  static StringRef libdeviceName(Operation *op) {
    return llvm::TypeSwitch<Operation *, StringRef>(op)
        .Case([](math::AcosOp) { return "acos"; })
        .Case([](math::AcoshOp) { return "acosh"; })
        .Case([](math::AsinOp) { return "asin"; })
        .Case([](math::AsinhOp) { return "asinh"; })
        .Case([](math::AtanhOp) { return "atanh"; })
        .Case([](math::CoshOp) { return "cosh"; })
        .Case([](math::SinhOp) { return "sinh"; })
        .Default([](Operation *) { return StringRef(); });
  }
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (!libdeviceName(op).empty() && op->getNumOperands() == 1 &&
          (op->getResult(0).getType().isF32() ||
           op->getResult(0).getType().isF64()))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      Type type = op->getResult(0).getType();
      std::string name = ("__nv_" + libdeviceName(op)).str();
      if (type.isF32())
        name += "f";
      // An llvm.func: convert-gpu-to-nvvm gives func.func declarations C
      // wrappers (_mlir_ciface_), which libdevice does not have.
      auto callee = symbols.lookup<LLVM::LLVMFuncOp>(name);
      if (!callee) {
        OpBuilder b(module.getBodyRegion());
        callee = b.create<LLVM::LLVMFuncOp>(
            module.getLoc(), name, LLVM::LLVMFunctionType::get(type, {type}));
        symbols.insert(callee);
      }
      OpBuilder b(op);
      auto call =
          b.create<LLVM::CallOp>(op->getLoc(), callee, op->getOperands());
      op->replaceAllUsesWith(call);
      op->erase();
    }
  }
};

/// The CUDA toolkit with libdevice: `configured`, else the usual
/// environment variables, else /usr/local/cuda; "" if none has it.
std::string findCUDAToolkit(StringRef configured) {
  SmallVector<std::string> candidates;
  if (!configured.empty())
    candidates.push_back(configured.str());
  else {
    for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
      if (const char *v = std::getenv(var))
        candidates.push_back(v);
    candidates.push_back("/usr/local/cuda");
  }
  for (const std::string &dir : candidates) {
    SmallString<256> bc(dir);
    llvm::sys::path::append(bc, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(bc))
      return dir;
  }
  return "";
}

/// Fails with an error naming the first libdevice function a kernel calls
/// when no CUDA toolkit with libdevice was found (the PTX would call an
/// undefined function).
struct CheckLibdevicePass
    : PassWrapper<CheckLibdevicePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckLibdevicePass)
  CheckLibdevicePass(std::string toolkit, std::string configured)
      : toolkit(std::move(toolkit)), configured(std::move(configured)) {}
  StringRef getArgument() const final { return "qc-gpu-check-libdevice"; }
  void runOnOperation() override {
    if (!toolkit.empty())
      return;
    getOperation().walk([&](LLVM::LLVMFuncOp f) {
      if (!f.isExternal() || !f.getName().starts_with("__nv_"))
        return WalkResult::advance();
      f.emitError("the GPU kernels call libdevice's ")
          << f.getName()
          << ", but no CUDA toolkit with nvvm/libdevice/libdevice.10.bc was "
             "found ("
          << (configured.empty()
                  ? std::string("$CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, "
                                "/usr/local/cuda")
                  : "cuda-path=" + configured)
          << "); install the CUDA toolkit or set --qc-lower-to-gpu's "
             "cuda-path";
      signalPassFailure();
      return WalkResult::interrupt();
    });
  }
  std::string toolkit, configured;
};

struct LowerToGPUPipelineOptions
    : PassPipelineOptions<LowerToGPUPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("The NVIDIA GPU to compile for (sm_70, sm_80, sm_90, "
                     "...)"),
      llvm::cl::init("sm_80")};
  Option<unsigned> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block (a power of two from 32 to 1024)"),
      llvm::cl::init(256)};
  Option<bool> hostBuffers{
      *this, "host-buffers",
      llvm::cl::desc("Entry points take host arrays (copied to the device "
                     "and back in each call); off: device buffers"),
      llvm::cl::init(true)};
  Option<bool> emulate{
      *this, "emulate",
      llvm::cl::desc("Run the kernels' grids as loops on the host CPU "
                     "instead of emitting PTX (checks the mapping without "
                     "a GPU)"),
      llvm::cl::init(false)};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("The CUDA toolkit with nvvm/libdevice/libdevice.10.bc "
                     "(default: $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, "
                     "/usr/local/cuda)"),
      llvm::cl::init("")};
};

} // namespace

void qc::buildLowerToGPUPipeline(OpPassManager &pm,
                                 const LowerToGPUOptions &options) {
  LowerToCPUOptions front;
  front.int8Kernel = "generic";
  front.weightOnlyKernel = "generic";
  front.floatKernel = "generic";
  if (!options.emulate)
    pm.addPass(std::make_unique<RecordInputsPass>());
  buildLowerToBuffersPipeline(pm, front);
  GPUMapParallelLoopsOptions map;
  map.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createGPUMapParallelLoops(map));
  pm.addPass(createParallelLoopToGpuPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  if (options.emulate) {
    pm.addPass(createGPULaunchToLoops());
    LowerToCPUOptions back;
    buildLoopsToLLVMPipeline(pm, back);
    return;
  }
  // Tells --emit-ptx that a module without kernels (all of its outputs
  // constant) was lowered nonetheless.
  pm.addPass(std::make_unique<MarkLoweredPass>(options.chip));
  // f16 / bf16 math functions compute in f32 (as on the CPU); math.ipowi
  // becomes a function, which the outlining copies into the GPU module.
  pm.addPass(math::createMathLegalizeToF32());
  pm.addPass(createConvertMathToFuncs());
  GPUHostMemoryOptions memory;
  memory.hostBuffers = options.hostBuffers;
  pm.addPass(createGPUHostMemory(memory));
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGPUMergeKernelModules());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());

  // The kernels: NVVM, then (below) PTX.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(std::make_unique<LibdeviceCallsPass>());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createConvertSCFToCFPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.indexBitwidth = 64;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(nvvm));
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());

  // The host code: mgpu* calls.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createEmitCInterfacePass());
  GpuToLLVMConversionPassOptions host;
  pm.addPass(createGpuToLLVMConversionPass(host));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  std::string toolkit = findCUDAToolkit(options.cudaPath);
  pm.addPass(std::make_unique<CheckLibdevicePass>(toolkit, options.cudaPath));
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void qc::registerLowerToGPUPipeline() {
  PassRegistration<RecordInputsPass>();
  PassRegistration<LibdeviceCallsPass>();
  PassPipelineRegistration<LowerToGPUPipelineOptions>(
      "qc-lower-to-gpu",
      "Lower nn + qc to GPU kernels (NVVM, PTX in a gpu.binary) and host "
      "code calling MLIR's mgpu* runtime functions; public functions get "
      "the C entry point _mlir_ciface_<name>",
      [](OpPassManager &pm, const LowerToGPUPipelineOptions &o) {
        LowerToGPUOptions options;
        options.chip = o.chip;
        options.blockSize = o.blockSize;
        options.hostBuffers = o.hostBuffers;
        options.emulate = o.emulate;
        options.cudaPath = o.cudaPath;
        qc::buildLowerToGPUPipeline(pm, options);
      });
}

//===- CPURunner.cpp - JIT-compile and run a module on the host -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/CPU/CPURunner.h"

#include "qc/Conversion/Passes.h"
#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Support/Numerics/Format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <climits>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace mlir;
using qc::interp::Tensor;

namespace {
/// Calls f(W()) with the unsigned integer type W of `bytes` bytes (1, 2, 4
/// or 8) and returns true; false for other sizes. Lets the conversions
/// below run one loop per storage width instead of a memcpy of a run-time
/// size per element (which was most of the measured time of a small GEMM
/// with an i32 result in quant-run --repeat).
template <typename F> bool withWord(size_t bytes, F f) {
  switch (bytes) {
  case 1:
    f(uint8_t());
    return true;
  case 2:
    f(uint16_t());
    return true;
  case 4:
    f(uint32_t());
    return true;
  case 8:
    f(uint64_t());
    return true;
  default:
    return false;
  }
}

/// One tensor of the C interface: its buffer and memref descriptor
/// {allocated, aligned, offset, sizes[R], strides[R]} (all 8-byte words).
struct Buffer {
  Type boundary;         // the function's type: a tensor or a !qc.qtensor
  RankedTensorType type; // what the compiled code sees (qtensor: codes)
  /// Not zero-filled: inputs are filled, results written by the function.
  /// f32 arguments have none: the descriptor points at the caller's array,
  /// which the compiled function never writes (`qc-read-only-arguments`).
  std::unique_ptr<char[]> data;
  std::vector<int64_t> descriptor;
  void *descriptorPtr = nullptr;

  Buffer(Type b, bool argument) : boundary(b), type(storageOf(b)) {
    RankedTensorType t = type;
    if (!argument || !t.getElementType().isF32())
      data.reset(new char[std::max<size_t>(
          1, size_t(t.getNumElements()) * elementBytes(t.getElementType()))]);
    int64_t rank = t.getRank();
    descriptor.assign(size_t(3 + 2 * rank), 0);
    point(data.get());
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      descriptor[size_t(3 + i)] = t.getDimSize(i);
      descriptor[size_t(3 + rank + i)] = stride;
      stride *= t.getDimSize(i);
    }
    descriptorPtr = descriptor.data();
  }

  /// Sets the descriptor's allocated and aligned pointers.
  void point(const void *p) {
    std::memcpy(&descriptor[0], &p, sizeof(void *));
    std::memcpy(&descriptor[1], &p, sizeof(void *));
  }

  static RankedTensorType storageOf(Type t) {
    if (auto qt = llvm::dyn_cast<qc::QTensorType>(t))
      return qc::cpuStorageType(qt);
    return llvm::cast<RankedTensorType>(t);
  }

  static qc::num::FloatFormat halfFormat(Type e) {
    return e.isF16() ? qc::num::FloatFormat::fp16()
                     : qc::num::FloatFormat::bf16();
  }

  static size_t elementBytes(Type e) {
    if (e.isInteger(1))
      return 1;
    return (e.getIntOrFloatBitWidth() + 7) / 8;
  }

  void fill(const Tensor &t) {
    Type e = type.getElementType();
    int64_t n = type.getNumElements();
    if (e.isF32()) { // no copy: the function reads the array in place
      point(t.f());
      return;
    }
    if (e.isF64()) { // held as f32 by the interpreter: exact
      for (int64_t i = 0; i < n; ++i) {
        double v = t.f()[i];
        std::memcpy(data.get() + size_t(i) * 8, &v, 8);
      }
      return;
    }
    if (e.isF16() || e.isBF16()) { // rounded to nearest even
      qc::num::FloatFormat f = halfFormat(e);
      for (int64_t i = 0; i < n; ++i) {
        auto code = uint16_t(qc::num::encodeFloat(t.f()[i], f));
        std::memcpy(data.get() + size_t(i) * 2, &code, 2);
      }
      return;
    }
    size_t w = elementBytes(e);
    const int64_t *in = t.i();
    bool done = withWord(w, [&](auto word) { // truncating stores
      using W = decltype(word);
      for (int64_t i = 0; i < n; ++i) {
        auto v = W(uint64_t(in[i]));
        std::memcpy(data.get() + size_t(i) * sizeof(W), &v, sizeof(W));
      }
    });
    if (done)
      return;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = in[i];
      std::memcpy(data.get() + size_t(i) * w, &v, w); // little endian
    }
  }

  Tensor toTensor() const {
    Type e = type.getElementType();
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    if (e.isF32()) // (a !qc.qtensor's codes are integers)
      return Tensor::copyOf(boundary, shape,
                            reinterpret_cast<const float *>(data.get()));
    Tensor t = Tensor::zeros(boundary, shape);
    bool codes = llvm::isa<qc::QTensorType>(boundary);
    int64_t n = type.getNumElements();
    size_t w = elementBytes(e);
    unsigned bits = e.getIntOrFloatBitWidth();
    if (e.isF64()) { // to the interpreter's f32, rounded to nearest even
      for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, data.get() + size_t(i) * 8, 8);
        t.fMutable()[i] = float(v);
      }
      return t;
    }
    if (e.isF16() || e.isBF16()) { // exact in f32
      qc::num::FloatFormat f = halfFormat(e);
      for (int64_t i = 0; i < n; ++i) {
        uint16_t code;
        std::memcpy(&code, data.get() + size_t(i) * 2, 2);
        t.fMutable()[i] = float(qc::num::decodeFloat(code, f));
      }
      return t;
    }
    bool zext = !codes && getElementTypeOrSelf(boundary).isUnsignedInteger();
    // Raw codes and unsigned integers are masked to `bits`, the others
    // sign-extended from it.
    bool masked = bits == 1 || ((codes || zext) && bits < 64);
    uint64_t mask = bits < 64 ? (uint64_t(1) << bits) - 1 : ~uint64_t(0);
    unsigned shift = bits < 64 ? 64 - bits : 0;
    int64_t *out = t.iMutable();
    auto extend = [&](uint64_t v) {
      return masked ? int64_t(v & mask) : int64_t(v << shift) >> shift;
    };
    bool done = withWord(w, [&](auto word) {
      using W = decltype(word);
      for (int64_t i = 0; i < n; ++i) {
        W v;
        std::memcpy(&v, data.get() + size_t(i) * sizeof(W), sizeof(W));
        out[i] = extend(uint64_t(v));
      }
    });
    if (!done)
      for (int64_t i = 0; i < n; ++i) {
        uint64_t v = 0;
        std::memcpy(&v, data.get() + size_t(i) * w, w); // little endian
        out[i] = extend(v);
      }
    return t;
  }
};

bool supportedBoundaryType(Type t) {
  if (auto qt = llvm::dyn_cast<qc::QTensorType>(t))
    t = qc::cpuStorageType(qt);
  auto rt = llvm::dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.hasStaticShape())
    return false;
  Type e = rt.getElementType();
  return e.isF32() || e.isF16() || e.isBF16() || e.isF64() ||
         (e.isInteger() && e.getIntOrFloatBitWidth() <= 64);
}
} // namespace

bool qc::cpu::retainFreedMemory() {
#if defined(__GLIBC__)
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit hosts.
  return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 &&
         mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#else
  return false;
#endif
}

void qc::cpu::registerCPUTargetDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // Builtin, LLVM and OpenMP, and gpu.binary / gpu.launch_func of modules
  // lowered by --qc-lower-to-gpu.
  registerAllToLLVMIRTranslations(registry);
}

/// Caps the trip count of the loops LLVM unrolls completely
/// (`-unroll-full-max-count`, unlimited by default) at 4, unless it was set
/// on the command line. The lowering's elementwise loop nests have small
/// constant trip counts (e.g. 16 x 32 for a RoPE half); unrolled completely
/// they became straight-line blocks of thousands of scalar loads and stores
/// that the loop vectorizer never saw (the SLP vectorizer cannot reorder
/// them past stores that may alias) and on which the machine scheduler's
/// dependence graph is quadratic: 41 s of JIT compilation for the hidden-256
/// Llama-style decoder. A global LLVM option: it applies to every LLVM
/// pipeline of the process from the first CPU compilation on.
static void limitFullUnrolling() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("unroll-full-max-count");
  if (it != options.end() && it->second->getNumOccurrences() == 0)
    (void)it->second->addOccurrence(0, "unroll-full-max-count", "4");
}

/// The host's target machine at -O3, or an error on `module`. With a
/// non-empty `cpu`, the machine of that x86-64 CPU (its features, not the
/// host's) for the host's operating system: cross-compilation for a
/// deployment target.
static FailureOr<std::unique_ptr<llvm::TargetMachine>>
hostTargetMachine(ModuleOp module, bool forObjectFile = false,
                  StringRef cpu = {}) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    limitFullUnrolling();
    return true;
  }();
  (void)initialized;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return module.emitError("cannot detect the host: ")
           << llvm::toString(builder.takeError());
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  if (!cpu.empty()) {
    if (builder->getTargetTriple().getArch() != llvm::Triple::x86_64 ||
        llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None)
      return module.emitError("cannot compile for the CPU '")
             << cpu << "' on this " << builder->getTargetTriple().str()
             << " host (an x86-64 CPU name of LLVM's is expected)";
    SmallVector<StringRef> names;
    llvm::X86::getFeaturesForCPU(cpu, names, /*NeedPlus=*/true);
    llvm::SubtargetFeatures features;
    for (StringRef name : names)
      features.AddFeature(name);
    builder->setCPU(cpu.str());
    builder->getFeatures() = features;
  }
  if (forObjectFile) {
    // Linkable into executables and shared libraries.
    builder->setCodeModel(llvm::CodeModel::Small);
    builder->setRelocationModel(llvm::Reloc::PIC_);
  }
  auto tm = builder->createTargetMachine();
  if (!tm)
    return module.emitError("no target machine for the host: ")
           << llvm::toString(tm.takeError());
  return std::move(*tm);
}

LogicalResult qc::cpu::emitHostObject(ModuleOp module, llvm::raw_ostream &os) {
  Operation *notLowered = nullptr;
  module.walk([&](Operation *op) {
    if (op != module && !notLowered &&
        !llvm::isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
      notLowered = op;
  });
  if (notLowered)
    return notLowered->emitError("--mlir-to-cpu-object: ")
           << notLowered->getName()
           << " is not in the LLVM dialect (run quant-opt --qc-lower-to-cpu "
              "first)";
  // A module lowered with target-cpu is compiled for that CPU.
  StringRef cpu;
  if (auto attr = module->getAttrOfType<StringAttr>(qc::kTargetCPUAttr))
    cpu = attr.getValue();
  auto tm = hostTargetMachine(module, /*forObjectFile=*/true, cpu);
  if (failed(tm))
    return failure();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return module.emitError("--mlir-to-cpu-object: the module is not in the "
                            "LLVM dialect (run --qc-lower-to-cpu first)");
  // Only the C entry points are exported: the functions they wrap (named
  // after the model's functions, e.g. `main`) become internal.
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration() &&
        llvmModule->getFunction(("_mlir_ciface_" + f.getName()).str()))
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  llvmModule->setTargetTriple((*tm)->getTargetTriple().str());
  llvmModule->setDataLayout((*tm)->createDataLayout());
  if (auto err = makeOptimizingTransformer(3, 0, tm->get())(llvmModule.get()))
    return module.emitError("--mlir-to-cpu-object: ")
           << llvm::toString(std::move(err));
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream objStream(buffer);
  llvm::legacy::PassManager codegen;
  if ((*tm)->addPassesToEmitFile(codegen, objStream, nullptr,
                                 llvm::CodeGenFileType::ObjectFile))
    return module.emitError("--mlir-to-cpu-object: the host target cannot "
                            "emit object files");
  codegen.run(*llvmModule);
  os.write(buffer.data(), buffer.size());
  return success();
}

void qc::cpu::registerCPUObjectTranslation() {
  TranslateFromMLIRRegistration reg(
      "mlir-to-cpu-object",
      "Write a host object file for an LLVM-dialect module (the output of "
      "--qc-lower-to-cpu); public functions have C entry points "
      "_mlir_ciface_<name>",
      [](Operation *op, llvm::raw_ostream &os) {
        auto module = llvm::dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expected a module"), failure();
        return emitHostObject(module, os);
      },
      [](DialectRegistry &registry) {
        // Every dialect parses, so a module that was not lowered gets the
        // error below rather than a parse error.
        registerCPUTargetDialects(registry);
        registry.insert<qc::QCDialect, qc::nn::NNDialect>();
      });
}

struct qc::cpu::CompiledModule::Impl {
  OwningOpRef<ModuleOp> lowered;
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  std::unique_ptr<ExecutionEngine> engine;
  std::string entry;
  std::string targetName;
  std::function<std::string()> takeRuntimeError;
  SmallVector<Type> argTypes, resultTypes;
  /// The C interface's buffers (arguments, then results), kept from one
  /// run to the next: fresh ones page-faulted on every run.
  std::vector<Buffer> buffers;
};

qc::cpu::CompiledModule::~CompiledModule() = default;

FailureOr<std::unique_ptr<qc::cpu::CompiledModule>>
qc::cpu::CompiledModule::compile(ModuleOp module, StringRef entry,
                                 const qc::LowerToCPUOptions &lowering) {
  JITTarget target;
  target.name = "--target=cpu";
  target.buildPipeline = [lowering](OpPassManager &pm) {
    qc::buildLowerToCPUPipeline(pm, lowering);
  };
  // OpenMP's runtime, for modules lowered with threads > 1.
  if (lowering.threads > 1)
    target.sharedLibs.push_back(QC_LIBOMP_PATH);
  return compile(module, entry, target);
}

FailureOr<std::unique_ptr<qc::cpu::CompiledModule>>
qc::cpu::CompiledModule::compile(ModuleOp module, StringRef entry,
                                 const JITTarget &target) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return module.emitError("quant-run: no function @") << entry;
  auto impl = std::make_unique<Impl>();
  impl->entry = entry.str();
  impl->targetName = target.name;
  impl->takeRuntimeError = target.takeRuntimeError;
  for (Type t : func.getArgumentTypes()) {
    if (!supportedBoundaryType(t))
      return func.emitError(target.name + ": argument type ")
             << t << " has no calling convention (static f32, f16, bf16, "
             << "f64, integer or quantized tensors)";
    impl->argTypes.push_back(t);
  }
  for (Type t : func.getResultTypes()) {
    if (!supportedBoundaryType(t))
      return func.emitError(target.name + ": result type ")
             << t << " has no calling convention (static f32, f16, bf16, "
             << "f64, integer or quantized tensors)";
    impl->resultTypes.push_back(t);
  }
  MLIRContext *ctx = module.getContext();
  impl->lowered = OwningOpRef<ModuleOp>(module.clone());
  // Only the entry (and what it calls) is needed; other public functions
  // would be compiled too, which is harmless.
  PassManager pm(ctx);
  target.buildPipeline(pm);
  if (failed(pm.run(*impl->lowered)))
    return failure();

  DialectRegistry registry;
  registerCPUTargetDialects(registry);
  ctx->appendDialectRegistry(registry);

  // Optimize for the host: without a target machine the LLVM pipeline has
  // no vector cost model and leaves the loops scalar.
  auto tm = hostTargetMachine(module);
  if (failed(tm))
    return failure();
  impl->targetMachine = std::move(*tm);
  ExecutionEngineOptions options;
  options.transformer =
      makeOptimizingTransformer(3, 0, impl->targetMachine.get());
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // `perf` sees the JIT-compiled functions (a /tmp/perf-<pid>.map).
  options.enablePerfNotificationListener = true;
  SmallVector<StringRef> libs(target.sharedLibs.begin(),
                              target.sharedLibs.end());
  options.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(*impl->lowered, options);
  if (!engine) {
    std::string msg = llvm::toString(engine.takeError());
    return module.emitError(target.name + ": JIT compilation failed: ") << msg;
  }
  impl->engine = std::move(*engine);
  if (!target.symbols.empty()) {
    auto symbols = target.symbols;
    impl->engine->registerSymbols(
        [symbols](llvm::orc::MangleAndInterner interner) {
          llvm::orc::SymbolMap map;
          for (const auto &[name, address] : symbols)
            map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                   llvm::JITSymbolFlags::Exported};
          return map;
        });
  }
  auto result = std::make_unique<CompiledModule>();
  result->impl = std::move(impl);
  return result;
}

FailureOr<std::vector<Tensor>>
qc::cpu::CompiledModule::run(ArrayRef<Tensor> args) {
  std::vector<Buffer> &buffers = impl->buffers;
  if (buffers.empty()) {
    buffers.reserve(impl->argTypes.size() + impl->resultTypes.size());
    for (Type t : impl->argTypes)
      buffers.emplace_back(t, /*argument=*/true);
    for (Type t : impl->resultTypes)
      buffers.emplace_back(t, /*argument=*/false);
  }
  for (size_t i = 0; i < impl->argTypes.size(); ++i) {
    if (args[i].size() != buffers[i].type.getNumElements()) {
      llvm::errs() << "quant-run: error: argument " << i
                   << " has the wrong number of elements\n";
      return failure();
    }
    buffers[i].fill(args[i]);
  }
  SmallVector<void *> packed;
  for (Buffer &b : buffers)
    packed.push_back(&b.descriptorPtr);
  if (auto err =
          impl->engine->invokePacked("_mlir_ciface_" + impl->entry, packed)) {
    llvm::errs() << "quant-run: error: " << llvm::toString(std::move(err))
                 << "\n";
    return failure();
  }
  if (impl->takeRuntimeError) {
    std::string error = impl->takeRuntimeError();
    if (!error.empty()) {
      llvm::errs() << "quant-run: error: " << impl->targetName << ": " << error
                   << "\n";
      return failure();
    }
  }
  std::vector<Tensor> results;
  for (size_t i = impl->argTypes.size(); i < buffers.size(); ++i)
    results.push_back(buffers[i].toTensor());
  return results;
}

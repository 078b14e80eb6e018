//===- quant-run.cpp - Run a QuantC module on data ------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Runs a module (.mlir, or .onnx imported on the fly) with the reference
// interpreter, or compiled for the host CPU (--target=cpu: --qc-lower-to-cpu
// and a JIT), on .npy / ONNX TensorProto .pb inputs, writes the outputs as
// .npy and, with --expected, prints error metrics per output.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"
#include "qc/InitAll.h"
#include "qc/Interpreter/Interpreter.h"
#include "qc/Interpreter/NPY.h"
#include "qc/Support/Numerics/Format.h"
#include "qc/Target/CPU/CPURunner.h"
#include "qc/Target/GPU/GPURunner.h"
#include "qc/Target/ONNX/ModelLoader.h"
#include "qc/Target/ONNX/ONNXImport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace qc::interp;

static llvm::cl::opt<std::string>
    inputFile(llvm::cl::Positional, llvm::cl::desc("<module.mlir|model.onnx>"),
              llvm::cl::init(""));
static llvm::cl::opt<bool>
    listOps("list-onnx-ops",
            llvm::cl::desc("Print the supported ONNX operators and exit"));
static llvm::cl::opt<bool>
    importOnly("import-only",
               llvm::cl::desc("Import / parse and verify the module, print "
                              "its op count and exit"));
static llvm::cl::list<std::string>
    inputs("input", llvm::cl::desc("NAME=file.npy|file.pb (repeatable)"));
static llvm::cl::list<std::string>
    expected("expected", llvm::cl::desc("NAME=file.npy|file.pb (repeatable)"));
static llvm::cl::opt<std::string>
    outputDir("output-dir", llvm::cl::desc("Directory for <output>.npy"),
              llvm::cl::init(""));
static llvm::cl::opt<std::string>
    entry("entry", llvm::cl::desc("Function to run"), llvm::cl::init("main"));
enum class Target { Interp, CPU, GPU, GPUEmulated };
static llvm::cl::opt<Target> target(
    "target", llvm::cl::desc("How to run the module"),
    llvm::cl::values(clEnumValN(Target::Interp, "interp",
                                "the reference interpreter (default)"),
                     clEnumValN(Target::CPU, "cpu",
                                "compiled for the host CPU (--qc-lower-to-cpu "
                                "+ JIT)"),
                     clEnumValN(Target::GPU, "gpu",
                                "compiled for the NVIDIA GPU 0 "
                                "(--qc-lower-to-gpu, PTX JIT-compiled by the "
                                "CUDA driver)"),
                     clEnumValN(Target::GPUEmulated, "gpu-emulated",
                                "the --target=gpu kernels run thread by "
                                "thread on the host CPU (no GPU needed)")),
    llvm::cl::init(Target::Interp));
static llvm::cl::opt<unsigned>
    repeat("repeat",
           llvm::cl::desc("Run N times and print the mean latency of one run "
                          "(after one warm-up run)"),
           llvm::cl::init(0));
static llvm::cl::opt<unsigned>
    threads("cpu-threads",
            llvm::cl::desc("--target=cpu: threads of the parallel loops "
                           "(OpenMP when above 1)"),
            llvm::cl::init(1));
static llvm::cl::opt<std::string> int8Kernel(
    "cpu-int8-kernel",
    llvm::cl::desc("--target=cpu: kernel of 8-bit qc.linear (auto, vnni512, "
                   "avx2, generic; --qc-lower-to-cpu's int8-kernel)"),
    llvm::cl::init("auto"));
static llvm::cl::opt<std::string> weightOnlyKernel(
    "cpu-weight-only-kernel",
    llvm::cl::desc("--target=cpu: kernel of 4-bit weight-only matmuls (auto, "
                   "avx512, avx2, generic; with -fma: the prompt path with "
                   "FMAs, not bit-exact)"),
    llvm::cl::init("auto"));
static llvm::cl::opt<std::string> floatKernel(
    "cpu-float-kernel",
    llvm::cl::desc("--target=cpu: kernel of f32 matmuls by constant weights "
                   "or of two run-time operands (auto, avx512, avx512-fma, "
                   "avx2, avx2-fma, generic)"),
    llvm::cl::init("auto"));
static llvm::cl::opt<bool> integerLinear(
    "cpu-integer-linear",
    llvm::cl::desc("--target=cpu: run fake-quantized integer layers as "
                   "qc.linear (--qc-integer-linear; changes the last bits)"),
    llvm::cl::init(false));
static llvm::cl::opt<bool> vectorMath(
    "cpu-vector-math",
    llvm::cl::desc("--target=cpu: polynomial approximations of exp, tanh, "
                   "erf, ... that vectorize (--qc-lower-to-cpu's vector-math; "
                   "changes the last bits)"),
    llvm::cl::init(false));
static llvm::cl::opt<std::string> gpuChip(
    "gpu-chip",
    llvm::cl::desc("--target=gpu: the sm_XY to compile for (default: GPU "
                   "0's)"),
    llvm::cl::init(""));
static llvm::cl::opt<unsigned> gpuBlockSize(
    "gpu-block-size",
    llvm::cl::desc("--target=gpu, gpu-emulated: threads per block"),
    llvm::cl::init(256));
static llvm::cl::opt<double>
    maxRelL2("max-rel-l2",
             llvm::cl::desc("Exit with 1 when an output's relative L2 error "
                            "exceeds this"),
             llvm::cl::init(-1.0));

namespace {

int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant-run: error: " << msg << "\n";
  return 1;
}

bool loadArray(const std::string &path, HostArray &a, std::string &err) {
  if (llvm::StringRef(path).ends_with(".pb")) {
    std::string name;
    return qc::onnx_import::readTensorProto(path, a.dtype, a.shape, a.data,
                                            name, err);
  }
  return readNpy(path, a, err);
}

/// The .npy dtype of a plain tensor's elements: f32 / f16 / f64, bool and
/// integers of 8 to 64 bits as themselves (signless and signed as signed);
/// bf16 (no NumPy dtype) as f4 and other integer widths as i8.
std::string npyType(Type type) {
  Type e = getElementTypeOrSelf(type);
  if (e.isF16())
    return "f2";
  if (e.isF64())
    return "f8";
  if (llvm::isa<FloatType>(e))
    return "f4";
  auto it = llvm::dyn_cast<IntegerType>(e);
  if (!it || llvm::isa<qc::QTensorType>(type))
    return "i8";
  if (it.getWidth() == 1)
    return "b1";
  unsigned w = it.getWidth();
  if (w != 8 && w != 16 && w != 32 && w != 64)
    return "i8";
  return (it.isUnsigned() ? "u" : "i") + std::to_string(w / 8);
}

HostArray toHost(const Tensor &t) {
  HostArray a;
  a.shape = t.getShape();
  a.dtype = npyType(t.getType());
  if (t.isFloat()) {
    size_t n = size_t(t.size());
    if (a.dtype == "f4") {
      a.data.resize(n * 4);
      std::memcpy(a.data.data(), t.f(), a.data.size());
    } else if (a.dtype == "f8") {
      a.data.resize(n * 8);
      for (size_t i = 0; i < n; ++i) {
        double v = t.f()[i];
        std::memcpy(a.data.data() + i * 8, &v, 8);
      }
    } else { // f2: rounded to nearest even (exact for f16 values)
      a.data.resize(n * 2);
      for (size_t i = 0; i < n; ++i) {
        auto code = uint16_t(
            qc::num::encodeFloat(t.f()[i], qc::num::FloatFormat::fp16()));
        std::memcpy(a.data.data() + i * 2, &code, 2);
      }
    }
  } else if (a.dtype != "i8") {
    // Narrower integers: the low bytes of each (wrapped) value.
    size_t w = a.dtype == "b1" ? 1 : size_t(a.dtype[1] - '0');
    a.data.resize(size_t(t.size()) * w);
    for (int64_t i = 0; i < t.size(); ++i) {
      int64_t v = t.i()[i];
      std::memcpy(a.data.data() + size_t(i) * w, &v, w); // little endian
    }
  } else {
    a.data.resize(size_t(t.size()) * 8);
    std::memcpy(a.data.data(), t.i(), a.data.size());
    // Integer codes of a quantized tensor are written as their values.
    if (auto qt = llvm::dyn_cast<qc::QTensorType>(t.getType())) {
      qc::num::Format f = qt.getNumericFormat();
      if (f.kind() == qc::num::Format::Kind::Int) {
        for (int64_t i = 0; i < t.size(); ++i) {
          int64_t v = f.codeToInt(uint32_t(t.i()[i]));
          std::memcpy(a.data.data() + i * 8, &v, 8);
        }
      } else {
        // Minifloat / fixed-point codes are written as their float values.
        a.dtype = "f4";
        a.data.resize(size_t(t.size()) * 4);
        for (int64_t i = 0; i < t.size(); ++i) {
          float v = float(f.decode(uint32_t(t.i()[i])));
          std::memcpy(a.data.data() + i * 4, &v, 4);
        }
      }
    }
  }
  return a;
}

std::string sanitize(llvm::StringRef name) {
  std::string s;
  for (char c : name)
    s.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                        c == '-' || c == '.'
                    ? c
                    : '_');
  return s;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --help lists quant-run's options; LLVM's and MLIR's are still accepted
  // but not listed.
  static llvm::cl::OptionCategory category("quant-run options");
  llvm::StringMap<llvm::cl::Option *> &registered =
      llvm::cl::getRegisteredOptions();
  for (llvm::StringRef name :
       {"list-onnx-ops", "import-only", "input", "expected", "output-dir",
        "entry", "target", "repeat", "cpu-threads", "cpu-int8-kernel",
        "cpu-weight-only-kernel", "cpu-float-kernel", "cpu-integer-linear",
        "cpu-vector-math", "gpu-chip", "gpu-block-size", "max-rel-l2",
        "input-shape", "matmulnbits-float-activations"})
    if (llvm::cl::Option *o = registered.lookup(name))
      o->addCategory(category);
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "quant-run: run a QuantC module or an ONNX model with the "
      "reference interpreter or compiled for the host CPU or an NVIDIA "
      "GPU\n");
  if (listOps) {
    for (const std::string &op : qc::supportedONNXOperators())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputFile.empty())
    return fail("no input file (see --help)");
  DialectRegistry registry;
  qc::registerAllDialects(registry);
  registry.insert<func::FuncDialect, arith::ArithDialect>();
  if (target != Target::Interp)
    qc::cpu::registerCPUTargetDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  OwningOpRef<ModuleOp> module;
  // The --input files, read once: an ONNX model's symbolic dimensions
  // come from their shapes, then they become the arguments.
  std::vector<std::pair<std::string, HostArray>> arrays;
  for (const std::string &spec : inputs) {
    auto [name, path] = llvm::StringRef(spec).split('=');
    if (path.empty())
      return fail("--input expects NAME=FILE, got '" + spec + "'");
    HostArray a;
    std::string err;
    if (!loadArray(path.str(), a, err))
      return fail(err);
    arrays.emplace_back(name.str(), std::move(a));
  }
  if (llvm::StringRef(inputFile).ends_with(".onnx")) {
    qc::ONNXImportOptions opts;
    std::string err;
    if (!qc::getONNXImportOptionsFromCL(opts, err))
      return fail(err);
    for (const auto &[name, a] : arrays)
      if (!opts.inputShapes.count(name))
        opts.dataShapes[name] =
            std::vector<int64_t>(a.shape.begin(), a.shape.end());
    module = qc::importONNXFile(inputFile, &ctx, opts);
  } else {
    module = parseSourceFile<ModuleOp>(inputFile, &ctx);
  }
  if (!module)
    return 1;
  if (importOnly) {
    int64_t count = 0;
    module->walk([&](Operation *) { ++count; });
    llvm::outs() << "imported " << count << " ops\n";
    return 0;
  }
  auto func = module->lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return fail("no function @" + entry + " in '" + inputFile + "'");

  // Names of the arguments and results.
  SmallVector<std::string> argNames, resNames;
  auto inNames = func->getAttrOfType<ArrayAttr>("onnx.input_names");
  auto outNames = func->getAttrOfType<ArrayAttr>("onnx.output_names");
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    argNames.push_back(inNames && i < inNames.size()
                           ? llvm::cast<StringAttr>(inNames[i]).str()
                           : "arg" + std::to_string(i));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    resNames.push_back(outNames && i < outNames.size()
                           ? llvm::cast<StringAttr>(outNames[i]).str()
                           : "output" + std::to_string(i));

  std::vector<Tensor> args(func.getNumArguments());
  std::vector<bool> given(func.getNumArguments(), false);
  for (const auto &[name, a] : arrays) {
    auto it = llvm::find(argNames, name);
    if (it == argNames.end())
      return fail("'" + name + "' is not an input of @" + entry);
    size_t idx = size_t(it - argNames.begin());
    std::string err;
    auto t = fromHostArray(a, func.getArgument(unsigned(idx)).getType(), err);
    if (failed(t))
      return fail("input '" + name + "': " + err);
    args[idx] = *t;
    given[idx] = true;
  }
  for (size_t i = 0; i < args.size(); ++i)
    if (!given[i])
      return fail("missing --input " + argNames[i] + "=FILE");

  FailureOr<std::vector<Tensor>> results;
  std::unique_ptr<qc::cpu::CompiledModule> compiled;
  auto runOnce = [&]() -> FailureOr<std::vector<Tensor>> {
    if (compiled)
      return compiled->run(args);
    return run(func, args);
  };
  if (target == Target::CPU) {
    qc::LowerToCPUOptions options;
    options.threads = threads;
    options.int8Kernel = int8Kernel;
    options.weightOnlyKernel = weightOnlyKernel;
    options.integerLinear = integerLinear;
    options.floatKernel = floatKernel;
    options.vectorMath = vectorMath;
    auto c = qc::cpu::CompiledModule::compile(*module, entry, options);
    if (failed(c))
      return 1;
    compiled = std::move(*c);
    // Reuse the compiled code's freed buffers from run to run.
    (void)qc::cpu::retainFreedMemory();
  }
  if (target == Target::GPU || target == Target::GPUEmulated) {
    qc::LowerToGPUOptions options;
    options.emulate = target == Target::GPUEmulated;
    options.blockSize = gpuBlockSize;
    if (!gpuChip.empty())
      options.chip = gpuChip;
    if (!options.emulate) {
      std::string chip;
      std::string error = qc::gpu::openDevice(&chip);
      if (!error.empty())
        return fail("--target=gpu: " + error);
      if (gpuChip.empty())
        options.chip = chip;
    }
    auto c = qc::cpu::CompiledModule::compile(*module, entry,
                                              qc::gpu::jitTarget(options));
    if (failed(c))
      return 1;
    compiled = std::move(*c);
  }
  results = runOnce();
  if (failed(results))
    return 1;
  if (repeat > 0) {
    auto start = std::chrono::steady_clock::now();
    for (unsigned r = 0; r < repeat; ++r)
      if (failed(runOnce()))
        return 1;
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    llvm::outs() << llvm::format("latency: %.6f s per run (mean of %u)\n",
                                 secs / repeat, unsigned(repeat));
  }

  if (!outputDir.empty()) {
    if (auto ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (size_t i = 0; i < results->size(); ++i) {
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, sanitize(resNames[i]) + ".npy");
      std::string err;
      if (!writeNpy(std::string(path), toHost((*results)[i]), err))
        return fail(err);
    }
  }

  bool exceeded = false;
  for (const std::string &spec : expected) {
    auto [name, path] = llvm::StringRef(spec).split('=');
    auto it = llvm::find(resNames, name.str());
    if (it == resNames.end())
      return fail("'" + name + "' is not an output of @" + entry);
    const Tensor &y = (*results)[size_t(it - resNames.begin())];
    HostArray e;
    std::string err;
    if (!loadArray(path.str(), e, err))
      return fail(err);
    if (e.shape != y.getShape())
      return fail("expected '" + name + "' has a different shape");
    double maxAbs = 0, diff2 = 0, ref2 = 0, dot = 0, y2 = 0;
    int64_t differing = 0;
    for (int64_t i = 0; i < y.size(); ++i) {
      double a = y.isFloat() ? double(y.f()[i]) : double(y.i()[i]);
      double b = readAsDouble(e, i);
      if (a != b && !(std::isnan(a) && std::isnan(b)))
        ++differing;
      if (std::isnan(a) || std::isnan(b))
        continue;
      maxAbs = std::max(maxAbs, std::fabs(a - b));
      diff2 += (a - b) * (a - b);
      ref2 += b * b;
      dot += a * b;
      y2 += a * a;
    }
    double relL2 = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
    double cosine = (ref2 > 0 && y2 > 0) ? dot / std::sqrt(ref2 * y2) : 1.0;
    llvm::outs() << llvm::format("%s: max_abs_err=%.6g rel_l2=%.6g "
                                 "cosine=%.9f differing=%lld/%lld\n",
                                 name.str().c_str(), maxAbs, relL2, cosine,
                                 (long long)differing, (long long)y.size());
    if (maxRelL2 >= 0 && relL2 > maxRelL2)
      exceeded = true;
  }
  return exceeded ? 1 : 0;
}

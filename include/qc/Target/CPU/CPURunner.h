//===- CPURunner.h - JIT-compile and run a module on the host ---*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// quant-run --target=cpu: lowers a copy of the module with
// --qc-lower-to-cpu, JIT-compiles it for the host CPU (its own ISA
// extensions) and calls the entry's C interface with the interpreter's
// tensors, so every test can compare the compiled code with the
// interpreter on the same inputs.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_CPU_CPURUNNER_H
#define QC_TARGET_CPU_CPURUNNER_H

#include "qc/Conversion/Passes.h"
#include "qc/Interpreter/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qc::cpu {

/// Registers the dialects and interface implementations (bufferization,
/// translation to LLVM IR) that --qc-lower-to-cpu and the JIT need; call it
/// on the registry of the context that holds the module.
void registerCPUTargetDialects(mlir::DialectRegistry &registry);

/// Writes a host object file (ELF on Linux) for a module already in the
/// LLVM dialect (the output of --qc-lower-to-cpu), optimized at -O3 for the
/// host CPU. Each public function `f` is callable from C as
/// `void _mlir_ciface_f(Desc *in..., Desc *out...)` (docs/CPU.md).
mlir::LogicalResult emitHostObject(mlir::ModuleOp module,
                                   llvm::raw_ostream &os);

/// Registers the `--mlir-to-cpu-object` translation (quant-translate).
void registerCPUObjectTranslation();

/// Makes the C library keep freed memory for reuse (glibc: no mmap for
/// blocks up to 32 MiB, no trimming of the heap) and returns whether it
/// could. The compiled code allocates its intermediate buffers with malloc
/// and frees them before returning; glibc hands blocks above its mmap
/// threshold back to the system, so each call page-faulted them in again
/// (MobileNetV2 at 224 x 224: 45 -> 20 ms per run). quant-run calls it
/// before running compiled code; a program that calls an object's entry
/// point repeatedly may call it (or set the same mallopt parameters).
bool retainFreedMemory();

/// How a module becomes host code for the JIT: its pipeline to the LLVM
/// dialect, the runtime functions its code calls (name, address), shared
/// libraries to load, and a check after each call for errors the runtime
/// recorded (an empty string: none).
struct JITTarget {
  /// For messages: "--target=cpu", "--target=gpu", ...
  std::string name;
  std::function<void(mlir::OpPassManager &)> buildPipeline;
  std::vector<std::pair<std::string, void *>> symbols;
  std::vector<std::string> sharedLibs;
  std::function<std::string()> takeRuntimeError;
};

/// A module compiled for the host, callable many times.
class CompiledModule {
public:
  ~CompiledModule();
  /// Lowers a clone of `module` with `target`'s pipeline and JIT-compiles
  /// function `entry` (its C interface).
  static mlir::FailureOr<std::unique_ptr<CompiledModule>>
  compile(mlir::ModuleOp module, llvm::StringRef entry,
          const JITTarget &target);

  /// Lowers a clone of `module` and JIT-compiles function `entry`. Errors
  /// (ops or types without a CPU lowering, JIT failures) are emitted as
  /// diagnostics on the module's context.
  /// `options.threads` > 1 runs the parallel loops on that many OpenMP
  /// threads (libomp, loaded into the process); the kernel options are
  /// --qc-lower-to-cpu's.
  static mlir::FailureOr<std::unique_ptr<CompiledModule>>
  compile(mlir::ModuleOp module, llvm::StringRef entry,
          const qc::LowerToCPUOptions &options = {});

  /// Runs the entry on `args` (shapes and element types of its signature):
  /// passes f32 arrays in place (the compiled code never writes its
  /// arguments) and copies the others into the C interface's buffers,
  /// calls the compiled code and copies the results out. The buffers are
  /// allocated by the first run and reused (one run at a time per
  /// CompiledModule).
  mlir::FailureOr<std::vector<qc::interp::Tensor>>
  run(llvm::ArrayRef<qc::interp::Tensor> args);

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

} // namespace qc::cpu

#endif // QC_TARGET_CPU_CPURUNNER_H

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

#include "qc/Interpreter/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <memory>
#include <vector>

namespace qc::cpu {

/// Registers the dialects and interface implementations (bufferization,
/// translation to LLVM IR) that --qc-lower-to-cpu and the JIT need; call it
/// on the registry of the context that holds the module.
void registerCPUTargetDialects(mlir::DialectRegistry &registry);

/// A module compiled for the host, callable many times.
class CompiledModule {
public:
  ~CompiledModule();
  /// Lowers a clone of `module` and JIT-compiles function `entry`. Errors
  /// (ops or types without a CPU lowering, JIT failures) are emitted as
  /// diagnostics on the module's context.
  static mlir::FailureOr<std::unique_ptr<CompiledModule>>
  compile(mlir::ModuleOp module, llvm::StringRef entry);

  /// Runs the entry on `args` (shapes and element types of its signature).
  mlir::FailureOr<std::vector<qc::interp::Tensor>>
  run(llvm::ArrayRef<qc::interp::Tensor> args);

  struct Impl;

private:
  std::unique_ptr<Impl> impl;
};

} // namespace qc::cpu

#endif // QC_TARGET_CPU_CPURUNNER_H

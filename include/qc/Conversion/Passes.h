//===- Passes.h - QuantC conversion passes ----------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Lowerings of nn and qc to upstream dialects, and the CPU pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_H
#define QC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "qc/Dialect/QC/IR/QC.h"

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace qc {

#define GEN_PASS_DECL
#include "qc/Conversion/Passes.h.inc"

/// After func-to-llvm: puts `llvm.noalias` on the pointer arguments that
/// --qc-outline-loop-nests found no other argument can reach
/// (`qc-apply-noalias-args`; part of --qc-lower-to-cpu).
std::unique_ptr<mlir::Pass> createApplyNoAliasArgsPass();
void registerApplyNoAliasArgsPass();

/// Set by --qc-nn-signless on nn ops whose meaning depends on the sign:
/// which operands / results were unsigned integers (boolean arrays).
constexpr llvm::StringLiteral kUnsignedOperandsAttr = "qc.unsigned_operands";
constexpr llvm::StringLiteral kUnsignedResultsAttr = "qc.unsigned_results";

/// How f32 matmuls by constant weights are lowered.
namespace x86 {
struct Int8Kernel;
} // namespace x86

enum class F32MatmulKernel {
  Generic,   ///< the m, k, n loops
  AVX512,    ///< the packed AVX-512 kernel: a rounded product and a rounded
             ///< sum per term, bit-exact with the interpreter
  AVX512FMA, ///< the same kernel with one FMA per term (rounds once)
  AVX2,      ///< the packed AVX2 kernel (6 x 16 tile), bit-exact
  AVX2FMA    ///< the AVX2 kernel with one FMA per term
};

/// Patterns lowering nn ops to linalg/tensor/arith/math on tensors; with an
/// AVX-512 or AVX2 `f32Kernel`, f32 matmuls by constant weights become the
/// packed kernel's tagged op (lowered by --qc-x86-lower-int8-kernels).
/// With an `int8Kernel`, nn.matmul_integer by a constant int8 weight with
/// zero point 0 becomes that packed kernel's tagged op.
void populateNNToLinalgPatterns(
    mlir::RewritePatternSet &patterns,
    F32MatmulKernel f32Kernel = F32MatmulKernel::Generic,
    const x86::Int8Kernel *int8Kernel = nullptr);

/// Emits an error on every nn op that populateNNToLinalgPatterns cannot
/// lower (naming the op and why); fails if there is one.
mlir::LogicalResult checkNNLowerable(mlir::Operation *root);

/// Emits an error on every qc op with no CPU lowering (naming the op and the
/// format); fails if there is one.
mlir::LogicalResult checkQCLowerable(mlir::Operation *root);

/// The tensor that holds the codes of a quantized type in compiled code:
/// the storage tensor with sub-byte (and other non-power-of-two) integers
/// widened to i8 / i16 / i32 containers holding the raw code bits
/// zero-extended, so that loads are byte-aligned and vectorize. Function
/// arguments and results of quantized types use it too.
mlir::RankedTensorType cpuStorageType(qc::QTensorType type);

/// Options of the CPU pipeline.
struct LowerToCPUOptions {
  /// Add `llvm.emit_c_interface` to public functions (the documented C entry
  /// points `_mlir_ciface_<name>`).
  bool emitCInterface = true;
  /// Kernel of 8-bit qc.linear: "auto", "vnni512", "avx2" or "generic" (see
  /// --qc-convert-qc-to-linalg).
  std::string int8Kernel = "auto";
  /// Kernel of 4-bit weight-only matmuls: "auto", "avx512", "avx2" or
  /// "generic" (see --qc-x86-fuse-weight-only).
  std::string weightOnlyKernel = "auto";
  /// Kernel of f32 matmuls (by constant weights, or of two run-time
  /// operands): "auto", "avx512",
  /// "avx512-fma", "avx2", "avx2-fma" or "generic" (see
  /// --qc-convert-nn-to-linalg).
  std::string floatKernel = "auto";
  /// Run --qc-integer-linear first: fake-quantized layers with integer
  /// weights become qc.linear (the int8 kernels). Off by default: exact
  /// integer sums change the last bits of each layer, which can flip a
  /// later quantizer's code, so results then differ from the interpreter
  /// running the module as it is.
  bool integerLinear = false;
  /// Replace f32 exp, log, tanh, erf, sin, cos, ... by MLIR's polynomial
  /// approximations (math-polynomial-approximation): the loops around them
  /// vectorize instead of calling libm per element. Off by default: the
  /// approximations differ from libm (and so from the interpreter) in the
  /// last bits.
  bool vectorMath = false;
  /// Threads of the parallel loops (the int8 kernels' column panels); 1
  /// runs everything on the calling thread, more uses OpenMP (link the
  /// object with -lomp).
  unsigned threads = 1;
  /// The x86 CPU to compile for (an LLVM CPU name, e.g. "sapphirerapids"):
  /// the `auto` kernels are those it supports, and the module records it
  /// (kTargetCPUAttr) for `--mlir-to-cpu-object`. Empty: the host.
  std::string targetCPU;
};

/// The module attribute (a string) naming the CPU that `--qc-lower-to-cpu`
/// compiled for; `--mlir-to-cpu-object` emits code for it.
constexpr llvm::StringLiteral kTargetCPUAttr = "qc.target_cpu";

/// nn + qc -> linalg -> bufferized memrefs (results as out-parameters) ->
/// loops -> LLVM dialect.
void buildLowerToCPUPipeline(mlir::OpPassManager &pm,
                             const LowerToCPUOptions &options = {});

/// Registers --qc-lower-to-cpu.
void registerLowerToCPUPipeline();

/// The first half of --qc-lower-to-cpu: nn + qc -> linalg on tensors ->
/// bufferized memrefs (results as out-parameters, identity layouts) with
/// buffer deallocation. The GPU pipeline shares it (generic kernels).
void buildLowerToBuffersPipeline(mlir::OpPassManager &pm,
                                 const LowerToCPUOptions &options);

/// The second half: linalg on buffers -> loops -> LLVM dialect for the
/// host (libm calls, `_mlir_ciface_` entry points with emitCInterface).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm,
                              const LowerToCPUOptions &options);

/// Marks public functions `llvm.emit_c_interface`.
std::unique_ptr<mlir::Pass> createEmitCInterfacePass();

/// The module attribute (a string, sm_XY) naming the GPU that
/// --qc-lower-to-gpu compiled for.
constexpr llvm::StringLiteral kGPUChipAttr = "qc.gpu_chip";

/// Options of the GPU pipeline (--qc-lower-to-gpu).
struct LowerToGPUOptions {
  /// The NVIDIA GPU the PTX is for (an sm_XY name of LLVM's NVPTX target).
  std::string chip = "sm_80";
  /// Threads per block of the mapped loop nests (a power of two, 32-1024).
  unsigned blockSize = 256;
  /// The entry points take and return host arrays: each call copies the
  /// inputs to device memory and the outputs back. Off: they take device
  /// pointers (memref descriptors of device memory).
  bool hostBuffers = true;
  /// Instead of NVVM and PTX, run the kernels' grids as loops on the host
  /// CPU (the same kernels, block by block, thread by thread; host memory
  /// stands in for device memory): what quant-run --target=gpu-emulated
  /// compiles, to check the GPU mapping without a GPU.
  bool emulate = false;
  /// The CUDA toolkit whose libdevice (nvvm/libdevice/libdevice.10.bc) the
  /// kernels' math functions are linked from. Empty: $CUDA_HOME,
  /// $CUDA_PATH, $CUDA_ROOT, then /usr/local/cuda.
  std::string cudaPath;
};

/// nn + qc -> linalg -> bufferized memrefs -> parallel loops mapped to GPU
/// blocks and threads -> gpu.launch -> kernels outlined into one
/// gpu.module -> NVVM -> PTX (gpu.binary); the host side calls MLIR's
/// `mgpu*` runtime functions (lib/Target/GPU provides them).
void buildLowerToGPUPipeline(mlir::OpPassManager &pm,
                             const LowerToGPUOptions &options = {});

/// Registers --qc-lower-to-gpu.
void registerLowerToGPUPipeline();

#define GEN_PASS_REGISTRATION
#include "qc/Conversion/Passes.h.inc"

} // namespace qc

#endif // QC_CONVERSION_PASSES_H

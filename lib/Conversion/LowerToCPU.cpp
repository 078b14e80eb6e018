//===- LowerToCPU.cpp - The --qc-lower-to-cpu pipeline --------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// nn + qc -> linalg on tensors -> elementwise fusion -> One-Shot
// Bufferize (function boundaries with identity layouts, results turned into
// out-parameters) -> buffer deallocation -> loops -> LLVM dialect. Every
// public function gets `llvm.emit_c_interface`, so its C entry point is
// `void _mlir_ciface_<name>(args..., outs...)` with every tensor passed as
// a pointer to a memref descriptor {allocated, aligned, offset, sizes[R],
// strides[R]} (docs/CPU.md).
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"
#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"

#include "X86/Int8Kernels.h"
#include "qc/Dialect/QC/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;

namespace {
/// Marks public functions `llvm.emit_c_interface`.
struct EmitCInterfacePass
    : PassWrapper<EmitCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmitCInterfacePass)
  StringRef getArgument() const final { return "qc-emit-c-interface"; }
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        f->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
  }
};

/// Elementwise fusion that fuses a producer into a consumer with reduction
/// loops (a contraction) only when the producer computes from constants
/// alone: weight dequantization, which then reads the codes and scales
/// inside the contraction's loop and never materializes the f32 weights
/// (the same arithmetic per element, so still bit-exact). Other producers
/// would be recomputed once per reduction step.
struct FuseElementwisePass
    : PassWrapper<FuseElementwisePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FuseElementwisePass)
  StringRef getArgument() const final { return "qc-fuse-elementwise"; }
  StringRef getDescription() const final {
    return "Fuse elementwise linalg producers into their consumers; into "
           "contractions only producers of constants (weight "
           "dequantization)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect, tensor::TensorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          auto consumer = llvm::dyn_cast<linalg::LinalgOp>(operand->getOwner());
          Operation *producer = operand->get().getDefiningOp();
          // One live use: a consumer fused earlier in this rewrite stays
          // behind, dead, until the driver erases it, and must not keep
          // its producer from fusing into the new op (a convolution's
          // NCHW transpose into its bias + activation).
          if (!consumer || !producer ||
              llvm::any_of(producer->getUsers(), [&](Operation *user) {
                return user != consumer.getOperation() &&
                       !isOpTriviallyDead(user);
              }))
            return false;
          // Kernel-tagged generics keep their operands (their lowering
          // expects the packed layouts).
          if (consumer->hasAttr(qc::x86::kKernelAttr) ||
              producer->hasAttr(qc::x86::kKernelAttr))
            return false;
          if (consumer.getNumLoops() == consumer.getNumParallelLoops())
            return true;
          return llvm::all_of(producer->getOperands(), [](Value v) {
            return v.getDefiningOp<arith::ConstantOp>() ||
                   v.getDefiningOp<tensor::EmptyOp>();
          });
        });
    // Kernel-tagged generics are not roots of any pattern: linalg's
    // FoldScalarOrSplatConstant ignores the control function and would
    // rebuild them without their tag, folding a scalar or splat operand
    // (NVFP4's global scale, an all-equal packed weight) into the body.
    SmallVector<Operation *> ops;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op->hasAttr(qc::x86::kKernelAttr))
        return WalkResult::skip();
      if (op != getOperation().getOperation())
        ops.push_back(op);
      return WalkResult::advance();
    });
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};

/// Inlines the `memref.alloca_scope` that --convert-scf-to-openmp wraps
/// around each parallel loop body when the body allocates nothing on the
/// stack: the scope must hold one block, and the nested scf.for loops still
/// have to become branches.
struct InlineAllocaScopesPass
    : PassWrapper<InlineAllocaScopesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(InlineAllocaScopesPass)
  StringRef getArgument() const final { return "qc-inline-alloca-scopes"; }
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp s) {
      bool allocates = false;
      s.getBodyRegion().walk([&](memref::AllocaOp) { allocates = true; });
      if (!allocates)
        scopes.push_back(s);
    });
    IRRewriter rewriter(&getContext());
    for (memref::AllocaScopeOp s : scopes) {
      Block &body = s.getBodyRegion().front();
      Operation *ret = body.getTerminator();
      SmallVector<Value> results(ret->getOperands());
      rewriter.eraseOp(ret);
      rewriter.inlineBlockBefore(&body, s);
      rewriter.replaceOp(s, results);
    }
  }
};

/// Gives every constant memref.global of rank > 1 a flat 1-D type, and
/// every memref.get_global of it a memref.expand_shape back to the original
/// shape. The LLVM translation builds a rank-R global as nested arrays, one
/// uniqued constant per innermost row: a packed weight of shape
/// 8x256x32x1 became 65536 one-element arrays, which every LLVM pass that
/// walks references (the call graph) and the context's destructor visit. A
/// flat global is one ConstantDataArray. Addressing is unchanged: the
/// descriptor built from the global points at its first element either way.
struct FlattenConstantGlobalsPass
    : PassWrapper<FlattenConstantGlobalsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FlattenConstantGlobalsPass)
  StringRef getArgument() const final { return "qc-flatten-constant-globals"; }
  StringRef getDescription() const final {
    return "Give constant memref.globals of rank > 1 a flat 1-D type (one "
           "LLVM constant array each)";
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<MemRefType> original;
    for (auto g : module.getOps<memref::GlobalOp>()) {
      MemRefType type = g.getType();
      auto init =
          llvm::dyn_cast_or_null<DenseElementsAttr>(g.getInitialValueAttr());
      if (!g.getConstant() || !init || type.getRank() < 2 ||
          !type.hasStaticShape() || !type.getLayout().isIdentity())
        continue;
      auto flat =
          MemRefType::get({type.getNumElements()}, type.getElementType(),
                          AffineMap(), type.getMemorySpace());
      g.setType(flat);
      g.setInitialValueAttr(init.reshape(RankedTensorType::get(
          {type.getNumElements()}, init.getType().getElementType())));
      original[g.getSymName()] = type;
    }
    if (original.empty())
      return;
    module.walk([&](memref::GetGlobalOp get) {
      auto it = original.find(get.getName());
      if (it == original.end())
        return;
      MemRefType type = it->second;
      OpBuilder b(get);
      auto flat = b.create<memref::GetGlobalOp>(
          get.getLoc(),
          MemRefType::get({type.getNumElements()}, type.getElementType(),
                          AffineMap(), type.getMemorySpace()),
          get.getName());
      ReassociationIndices all =
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
      Value shaped = b.create<memref::ExpandShapeOp>(
          get.getLoc(), type, flat, ArrayRef<ReassociationIndices>{all});
      get.replaceAllUsesWith(shaped);
      get.erase();
    });
  }
};

/// arith.extf / truncf on bf16 as integer code (truncf rounds to nearest
/// even, NaN stays NaN), so no runtime library conversion is called (LLVM
/// 19 calls __truncsfbf2 on hosts without AVX512-BF16, which libgcc 12
/// does not have).
struct ExpandBF16Pass : PassWrapper<ExpandBF16Pass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ExpandBF16Pass)
  StringRef getArgument() const final { return "qc-expand-bf16"; }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

/// math.exp, log, tanh, erf, sin, cos, ... on f32 become MLIR's polynomial
/// approximations (arithmetic only, so the loops around them vectorize).
struct PolynomialMathPass
    : PassWrapper<PolynomialMathPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PolynomialMathPass)
  StringRef getArgument() const final { return "qc-polynomial-math"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, math::MathDialect,
                    vector::VectorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

LogicalResult linalgCopy(OpBuilder &b, Location loc, Value from, Value to) {
  b.create<linalg::CopyOp>(loc, from, to);
  return success();
}

/// Returns a copy (a new buffer) of every function argument a function
/// returns, and of every buffer it returns more than once (a graph output
/// listed twice, or equal results CSE merged). BufferResultsToOutParams
/// with hoistStaticAllocs expects each returned buffer to be defined by an
/// op of its own (LLVM 19 crashes on a block argument or a repeated
/// value); the copy is what it would have made anyway.
struct CopyReturnedArgumentsPass
    : PassWrapper<CopyReturnedArgumentsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CopyReturnedArgumentsPass)
  StringRef getArgument() const final { return "qc-copy-returned-arguments"; }
  void runOnOperation() override {
    getOperation().walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 8> seen;
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = llvm::dyn_cast<MemRefType>(operand.get().getType());
        bool repeated = !seen.insert(operand.get()).second;
        if (!type || !(llvm::isa<BlockArgument>(operand.get()) || repeated) ||
            !type.hasStaticShape() || !type.getLayout().isIdentity())
          continue;
        Value copy = b.create<memref::AllocOp>(ret.getLoc(), type);
        (void)linalgCopy(b, ret.getLoc(), operand.get(), copy);
        operand.set(copy);
      }
    });
  }
};

/// With threads > 1: each large linalg.generic (at least kMinIterations
/// iterations; the kernels have their own parallel loops) becomes loops
/// whose outermost loop of more than one iteration among its leading
/// parallel dimensions is an scf.parallel (OpenMP later); the inner loops
/// stay sequential so that LLVM still vectorizes the innermost one. The
/// arithmetic of every element is unchanged. Before, everything but the
/// kernels (the im2col gathers, depthwise convolutions, the NCHW loops
/// with batch norms and activations, softmaxes) ran on one thread.
struct ParallelOuterLoopsPass
    : PassWrapper<ParallelOuterLoopsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ParallelOuterLoopsPass)
  static constexpr int64_t kMinIterations = 1 << 16;
  StringRef getArgument() const final { return "qc-parallel-outer-loops"; }
  StringRef getDescription() const final {
    return "Lower large linalg.generic ops to loops whose outermost parallel "
           "loop is an scf.parallel";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<scf::SCFDialect>();
  }
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->hasAttr(qc::x86::kKernelAttr) || !op.hasPureBufferSemantics())
        return;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      int64_t total = 1;
      for (int64_t r : ranges) {
        if (ShapedType::isDynamic(r))
          return;
        total *= r;
      }
      if (total < kMinIterations)
        return;
      auto iterators = op.getIteratorTypesArray();
      for (unsigned i = 0; i < ranges.size(); ++i) {
        if (iterators[i] != utils::IteratorType::parallel)
          return;
        if (ranges[i] > 1) {
          work.push_back({op, i});
          return;
        }
      }
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, dim] : work) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops))
        continue;
      // The loops compute the op now, whether or not one becomes parallel.
      rewriter.eraseOp(op);
      if (loops->size() <= dim)
        continue;
      auto loop = llvm::dyn_cast<scf::ForOp>((*loops)[dim]);
      if (!loop || loop.getNumResults() != 0)
        continue;
      rewriter.setInsertionPoint(loop);
      auto par = rewriter.create<scf::ParallelOp>(
          loop.getLoc(), ValueRange{loop.getLowerBound()},
          ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
      Block *body = loop.getBody();
      rewriter.eraseOp(body->getTerminator());
      rewriter.inlineBlockBefore(body, par.getBody()->getTerminator(),
                                 par.getInductionVars());
      rewriter.eraseOp(loop);
    }
  }
};

/// Marks the tensor arguments of public functions `bufferization.writable =
/// false`: the compiled entry points never write their inputs. One-shot
/// bufferization otherwise reuses an argument's buffer for a result computed
/// in place from it (a ScatterElements into a graph input wrote the caller's
/// array), so a second call with the same inputs saw changed data. Where
/// an op would write in place, the buffer is copied first.
struct ReadOnlyArgumentsPass
    : PassWrapper<ReadOnlyArgumentsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ReadOnlyArgumentsPass)
  StringRef getArgument() const final { return "qc-read-only-arguments"; }
  StringRef getDescription() const final {
    return "Mark the tensor arguments of public functions non-writable for "
           "one-shot bufferization";
  }
  void runOnOperation() override {
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      if (!f.isPublic() || f.isExternal())
        continue;
      for (unsigned i = 0, e = f.getNumArguments(); i < e; ++i)
        if (llvm::isa<TensorType>(f.getArgument(i).getType()))
          f.setArgAttr(i,
                       bufferization::BufferizationDialect::kWritableAttrName,
                       readOnly);
    }
  }
};

/// Folds the dequantization of constant codes that a convolution takes as
/// its weight, or a Gemm as B (what --qc-quantize-weights makes of a CNN's
/// weights and classifier), into an f32 constant, qc.dequantize's folder's
/// values (the interpreter's), so that they run on the packed f32 kernel
/// instead of dequantizing each weight inside their loop nest. Weights
/// feeding nn.matmul are left to the int8 and weight-only kernels.
struct FoldConvWeightsPass
    : PassWrapper<FoldConvWeightsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FoldConvWeightsPass)
  StringRef getArgument() const final { return "qc-fold-conv-weights"; }
  StringRef getDescription() const final {
    return "Fold constant dequantized convolution and Gemm weights into f32 "
           "constants";
  }
  void runOnOperation() override {
    auto fold = [](Operation *user, OpOperand &weight) {
      auto deq = weight.get().getDefiningOp<qc::DequantizeOp>();
      if (!deq)
        return;
      SmallVector<OpFoldResult> folded;
      if (failed(deq->fold(folded)) || folded.size() != 1)
        return;
      auto attr = llvm::dyn_cast_if_present<DenseElementsAttr>(
          llvm::dyn_cast_if_present<Attribute>(folded.front()));
      if (!attr)
        return;
      OpBuilder b(user);
      weight.assign(b.create<arith::ConstantOp>(deq.getLoc(), attr));
      if (deq->use_empty())
        deq->erase();
    };
    getOperation().walk([&](Operation *op) {
      if (auto conv = llvm::dyn_cast<qc::nn::ConvOp>(op))
        fold(op, conv.getWeightMutable());
      else if (auto gemm = llvm::dyn_cast<qc::nn::GemmOp>(op))
        fold(op, gemm.getBMutable());
    });
  }
};

/// Checks that the pipeline's target-cpu names an x86-64 CPU LLVM knows and
/// records it on the module (kTargetCPUAttr).
struct SetTargetCPUPass
    : PassWrapper<SetTargetCPUPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SetTargetCPUPass)
  explicit SetTargetCPUPass(std::string cpu) : cpu(std::move(cpu)) {}
  StringRef getArgument() const final { return "qc-set-target-cpu"; }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) ==
        llvm::X86::CK_None) {
      module.emitError("qc-lower-to-cpu: unknown target-cpu '")
          << cpu
          << "' (an x86-64 CPU name of LLVM's, e.g. sapphirerapids, znver4, "
             "x86-64-v3)";
      return signalPassFailure();
    }
    module->setAttr(qc::kTargetCPUAttr, StringAttr::get(&getContext(), cpu));
  }
  std::string cpu;
};

struct LowerToCPUPipelineOptions
    : PassPipelineOptions<LowerToCPUPipelineOptions> {
  Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Give public functions the C entry point "
                     "_mlir_ciface_<name> (memref descriptors)"),
      llvm::cl::init(true)};
  Option<std::string> int8Kernel{
      *this, "int8-kernel",
      llvm::cl::desc("Kernel of 8-bit qc.linear: auto, vnni512, avx2 or "
                     "generic"),
      llvm::cl::init("auto")};
  Option<std::string> weightOnlyKernel{
      *this, "weight-only-kernel",
      llvm::cl::desc("Kernel of 4-bit weight-only matmuls: auto, avx512, "
                     "avx2 or generic; auto-fma, avx512-fma, avx2-fma: the "
                     "prompt path (6+ rows) with FMAs, not bit-exact"),
      llvm::cl::init("auto")};
  Option<std::string> floatKernel{
      *this, "float-kernel",
      llvm::cl::desc("Kernel of f32 matmuls (constant weights, or two run-time "
                     "operands): auto, "
                     "avx512, avx512-fma (one FMA per term: faster, not "
                     "bit-exact with the interpreter), avx2, avx2-fma or "
                     "generic"),
      llvm::cl::init("auto")};
  Option<bool> integerLinear{
      *this, "integer-linear",
      llvm::cl::desc("Compute fake-quantized layers with integer weights as "
                     "qc.linear (--qc-integer-linear) on the int8 kernels; "
                     "changes the last bits, see docs/CPU.md"),
      llvm::cl::init(false)};
  Option<bool> vectorMath{
      *this, "vector-math",
      llvm::cl::desc("Polynomial approximations of f32 exp, log, tanh, erf, "
                     "sin, cos, ... that vectorize (last bits differ from "
                     "libm), instead of libm calls"),
      llvm::cl::init(false)};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads of the parallel loops; above 1 they run on "
                     "OpenMP (link with -lomp)"),
      llvm::cl::init(1)};
  Option<std::string> targetCPU{
      *this, "target-cpu",
      llvm::cl::desc("Compile for this x86 CPU (an LLVM CPU name, e.g. "
                     "sapphirerapids, znver4, x86-64-v4) instead of the "
                     "host: `auto` kernels are the ones it has, and "
                     "--mlir-to-cpu-object emits code for it"),
      llvm::cl::init("")};
};
} // namespace

void qc::buildLowerToBuffersPipeline(OpPassManager &pm,
                                     const LowerToCPUOptions &options) {
  if (!options.targetCPU.empty())
    pm.addPass(std::make_unique<SetTargetCPUPass>(options.targetCPU));
  pm.addPass(createConvertNNToSignless());
  if (options.integerLinear)
    // Matmuls only: the fake-quantized convolutions stay on the f32
    // convolution kernel, faster than qc.conv's im2col rows into the int8
    // GEMM (ResNet-18 W8A8 at 224 x 224: 59-63 against 75-103 ms, one
    // thread, Zen 3; docs/CPU.md).
    pm.addNestedPass<func::FuncOp>(
        createIntegerLinear(IntegerLinearOptions{/*convolutions=*/false}));
  X86FuseWeightOnlyOptions weightOnly;
  weightOnly.kernel = options.weightOnlyKernel;
  weightOnly.targetCPU = options.targetCPU;
  pm.addPass(createX86FuseWeightOnly(weightOnly));
  pm.addPass(std::make_unique<FoldConvWeightsPass>());
  ConvertQCToLinalgOptions qcOptions;
  qcOptions.int8Kernel = options.int8Kernel;
  qcOptions.targetCPU = options.targetCPU;
  pm.addPass(createConvertQCToLinalg(qcOptions));
  ConvertNNToLinalgOptions nnOptions;
  nnOptions.floatKernel = options.floatKernel;
  nnOptions.int8Kernel = options.int8Kernel;
  nnOptions.targetCPU = options.targetCPU;
  pm.addPass(createConvertNNToLinalg(nnOptions));
  if (options.vectorMath)
    pm.addPass(std::make_unique<PolynomialMathPass>());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(std::make_unique<FuseElementwisePass>());
  pm.addPass(createCSEPass());

  pm.addPass(std::make_unique<ReadOnlyArgumentsPass>());
  bufferization::OneShotBufferizationOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  bufferize.memCpyFn = linalgCopy;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.memCpyFn = linalgCopy;
  // A returned buffer allocated in the function becomes the caller's
  // out-parameter itself instead of being copied into it.
  outParams.hoistStaticAllocs = true;
  pm.addPass(std::make_unique<CopyReturnedArgumentsPass>());
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
}

void qc::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                  const LowerToCPUOptions &options) {
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createOutlineLoopNests());
  // bf16 arithmetic and f16 / bf16 math functions compute in f32, rounded
  // after each op; then bf16 conversions become integer code.
  pm.addPass(math::createMathLegalizeToF32());
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  std::string bf16 = "bf16";
  emulate.sourceTypeStrs = ArrayRef<std::string>(bf16);
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  pm.addPass(std::make_unique<ExpandBF16Pass>());
  pm.addPass(createConvertMathToFuncs()); // math.ipowi
  pm.addPass(createLowerAffinePass());
  if (options.threads > 1) {
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = options.threads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
    pm.addPass(std::make_unique<InlineAllocaScopesPass>());
  }
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(std::make_unique<FlattenConstantGlobalsPass>());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (options.emitCInterface)
    pm.addPass(std::make_unique<EmitCInterfacePass>());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (options.threads > 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createApplyNoAliasArgsPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

std::unique_ptr<Pass> qc::createEmitCInterfacePass() {
  return std::make_unique<EmitCInterfacePass>();
}

void qc::buildLowerToCPUPipeline(OpPassManager &pm,
                                 const LowerToCPUOptions &options) {
  buildLowerToBuffersPipeline(pm, options);
  X86LowerInt8KernelsOptions int8Lowering;
  int8Lowering.threads = options.threads;
  pm.addPass(createX86LowerInt8Kernels(int8Lowering));
  pm.addNestedPass<func::FuncOp>(createX86LowerWeightOnlyKernels());
  if (options.threads > 1)
    pm.addNestedPass<func::FuncOp>(std::make_unique<ParallelOuterLoopsPass>());
  buildLoopsToLLVMPipeline(pm, options);
}

void qc::registerLowerToCPUPipeline() {
  PassRegistration<FuseElementwisePass>();
  PassRegistration<ExpandBF16Pass>();
  PassRegistration<FlattenConstantGlobalsPass>();
  PassRegistration<ReadOnlyArgumentsPass>();
  PassRegistration<FoldConvWeightsPass>();
  PassRegistration<ParallelOuterLoopsPass>();
  registerApplyNoAliasArgsPass();
  PassRegistration<PolynomialMathPass>();
  PassPipelineRegistration<LowerToCPUPipelineOptions>(
      "qc-lower-to-cpu",
      "Lower nn + qc to the LLVM dialect for the host CPU (linalg -> "
      "bufferized memrefs -> loops -> LLVM); public functions get the C "
      "entry point _mlir_ciface_<name>",
      [](OpPassManager &pm, const LowerToCPUPipelineOptions &o) {
        LowerToCPUOptions options;
        options.emitCInterface = o.emitCInterface;
        options.int8Kernel = o.int8Kernel;
        options.integerLinear = o.integerLinear;
        options.vectorMath = o.vectorMath;
        options.threads = o.threads;
        options.weightOnlyKernel = o.weightOnlyKernel;
        options.floatKernel = o.floatKernel;
        options.targetCPU = o.targetCPU;
        qc::buildLowerToCPUPipeline(pm, options);
      });
}

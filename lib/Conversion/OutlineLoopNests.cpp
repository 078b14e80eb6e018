//===- OutlineLoopNests.cpp - One private function per loop nest ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Moves every top-level loop nest of a function into a private function,
// shared by all nests that differ only in the values they use from outside
// (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace qc {
#define GEN_PASS_DEF_OUTLINELOOPNESTS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {

/// Marks the LLVM pointer arguments of an outlined nest that may be
/// `noalias` (see noAliasPointers); qc-apply-noalias-args applies it once
/// the function is an llvm.func.
constexpr llvm::StringLiteral kNoAliasArgsAttr = "qc.noalias_args";

struct OutlineLoopNestsPass
    : qc::impl::OutlineLoopNestsBase<OutlineLoopNestsPass> {
  void runOnOperation() override {
    // The functions of this module only (a pass instance may run again).
    shared.clear();
    nextIndex = 0;
    ModuleOp module = getOperation();
    SmallVector<Operation *> nests;
    for (auto f : module.getOps<func::FuncOp>()) {
      if (f.isExternal() || f.getSymName().starts_with("__qc_"))
        continue;
      for (Block &block : f.getBody())
        for (Operation &op : block)
          if (isa<scf::ForOp, scf::ParallelOp, scf::ForallOp>(op) &&
              op.getNumResults() == 0)
            nests.push_back(&op);
    }
    for (Operation *nest : nests)
      outline(nest);
  }

  /// Replaces `nest` by a call of the function holding it.
  void outline(Operation *nest) {
    // What the nest reads from outside, in order of first use.
    llvm::SetVector<Value> captured;
    for (Value v : nest->getOperands())
      captured.insert(v);
    nest->walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        if (!nest->isAncestor(v.getParentRegion()->getParentOp()))
          captured.insert(v);
    });
    SmallVector<Value> args;
    SmallVector<Operation *> constants;
    for (Value v : captured) {
      Operation *def = v.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>() &&
          def->getNumOperands() == 0 && def->getNumResults() == 1)
        constants.push_back(def);
      else
        args.push_back(v);
    }

    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    Location loc = nest->getLoc();
    SmallVector<int64_t> noalias = noAliasPointers(args);
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    auto f = mb.create<func::FuncOp>(
        loc, "__qc_loop_nest",
        mb.getFunctionType(ValueRange(args).getTypes(), TypeRange{}));
    Block *entry = f.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [v, arg] : llvm::zip(args, entry->getArguments()))
      map.map(v, arg);
    for (Operation *c : constants)
      b.clone(*c, map);
    b.clone(*nest, map);
    b.create<func::ReturnOp>(loc);
    if (!noalias.empty())
      f->setAttr(kNoAliasArgsAttr, DenseI64ArrayAttr::get(ctx, noalias));

    // Nests that print the same (the function is still unnamed, arguments
    // are numbered, SSA names are local) are the same function.
    std::string key;
    {
      llvm::raw_string_ostream os(key);
      f->print(os, OpPrintingFlags().useLocalScope());
    }
    auto [it, inserted] = shared.try_emplace(key, nullptr);
    if (inserted) {
      // A fresh name, also when the module already has outlined nests.
      std::string name;
      do
        name = ("__qc_loop_nest_" + Twine(nextIndex++)).str();
      while (module.lookupSymbol(name));
      f.setSymName(name);
      f.setPrivate();
      f->setAttr("llvm.linkage",
                 LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      f->setAttr("no_inline", UnitAttr::get(ctx));
      it->second = f;
    } else {
      f.erase();
      f = it->second;
    }
    OpBuilder cb(nest);
    cb.create<func::CallOp>(loc, f, args);
    nest->erase();
  }

  /// The positions, among the LLVM arguments that `args` become (a memref
  /// of rank R: allocated and aligned pointer, offset, R sizes, R strides),
  /// of the pointers of every memref argument whose buffer no other
  /// argument can reach. Each memref argument is traced through view ops to
  /// its base: an allocation or a global (distinct from everything else), an
  /// argument of the enclosing function (the caller's buffers may overlap
  /// each other, but not the allocations), or anything else (which may be
  /// an alias of any of them: then no pointer is marked). An argument is
  /// marked when no other argument has its base and the base is an
  /// allocation or a global, or the only base among the caller's buffers.
  /// In `main` LLVM knew that distinct allocations do not overlap; without
  /// `noalias` on the outlined function's pointers it would not, and would
  /// vectorize less.
  static SmallVector<int64_t> noAliasPointers(ArrayRef<Value> args) {
    enum class Base { Fresh, Caller, Unknown };
    // Base buffer of each memref argument: a global by name (two
    // memref.get_global of one symbol are one buffer), else a value.
    auto base = [](Value v) -> std::pair<const void *, Base> {
      while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
        v = view.getViewSource();
      if (auto g = v.getDefiningOp<memref::GetGlobalOp>())
        return {g.getNameAttr().getAsOpaquePointer(), Base::Fresh};
      Base kind = Base::Unknown;
      if (v.getDefiningOp<memref::AllocOp>() ||
          v.getDefiningOp<memref::AllocaOp>())
        kind = Base::Fresh;
      else if (auto arg = dyn_cast<BlockArgument>(v))
        if (arg.getOwner()->isEntryBlock() &&
            isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
          kind = Base::Caller;
      return {v.getAsOpaquePointer(), kind};
    };
    SmallVector<std::pair<const void *, Base>> bases;
    llvm::DenseMap<const void *, int> uses;
    llvm::SmallPtrSet<const void *, 4> caller;
    for (Value v : args) {
      if (!isa<MemRefType>(v.getType()))
        continue;
      bases.push_back(base(v));
      auto [key, kind] = bases.back();
      if (kind == Base::Unknown)
        return {};
      ++uses[key];
      if (kind == Base::Caller)
        caller.insert(key);
    }
    SmallVector<int64_t> pointers;
    int64_t pos = 0;
    const auto *next = bases.begin();
    for (Value v : args) {
      auto type = dyn_cast<MemRefType>(v.getType());
      if (!type) {
        pos += isa<UnrankedMemRefType>(v.getType()) ? 2 : 1;
        continue;
      }
      auto [key, kind] = *next++;
      if (uses[key] == 1 && (kind == Base::Fresh || caller.size() == 1))
        pointers.append({pos, pos + 1});
      pos += 3 + 2 * type.getRank();
    }
    return pointers;
  }

  llvm::StringMap<func::FuncOp> shared;
  int64_t nextIndex = 0;
};

/// Puts `llvm.noalias` on the arguments that qc-outline-loop-nests listed
/// in `qc.noalias_args` (func-to-llvm drops it from memref arguments, so it
/// is applied after the conversion, to the pointers themselves).
struct ApplyNoAliasArgsPass
    : PassWrapper<ApplyNoAliasArgsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ApplyNoAliasArgsPass)
  StringRef getArgument() const final { return "qc-apply-noalias-args"; }
  StringRef getDescription() const final {
    return "Mark the llvm.func arguments listed in qc.noalias_args noalias";
  }
  void runOnOperation() override {
    for (auto f : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      auto list = f->getAttrOfType<DenseI64ArrayAttr>(kNoAliasArgsAttr);
      if (!list)
        continue;
      for (int64_t i : list.asArrayRef())
        if (i < int64_t(f.getNumArguments()) &&
            isa<LLVM::LLVMPointerType>(f.getArgument(i).getType()))
          f.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                       UnitAttr::get(f.getContext()));
      f->removeAttr(kNoAliasArgsAttr);
    }
  }
};

} // namespace

std::unique_ptr<Pass> qc::createApplyNoAliasArgsPass() {
  return std::make_unique<ApplyNoAliasArgsPass>();
}

void qc::registerApplyNoAliasArgsPass() {
  PassRegistration<ApplyNoAliasArgsPass>();
}

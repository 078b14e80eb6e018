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
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace qc {
#define GEN_PASS_DEF_OUTLINELOOPNESTS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;

namespace {

struct OutlineLoopNestsPass
    : qc::impl::OutlineLoopNestsBase<OutlineLoopNestsPass> {
  void runOnOperation() override {
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

    // Nests that print the same (the function is still unnamed, arguments
    // are numbered, SSA names are local) are the same function.
    std::string key;
    {
      llvm::raw_string_ostream os(key);
      f->print(os, OpPrintingFlags().useLocalScope());
    }
    auto [it, inserted] = shared.try_emplace(key, nullptr);
    if (inserted) {
      f.setSymName(("__qc_loop_nest_" + Twine(shared.size() - 1)).str());
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

  llvm::StringMap<func::FuncOp> shared;
};

} // namespace

//===- NNSignless.cpp - Unsigned integer tensors to signless ones ---------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// arith (and so the whole CPU lowering) computes on signless integers only:
// the signedness of an operation lives in the operation (divui / divsi,
// cmpi ult / slt, uitofp / sitofp, extui / extsi), not in the type. This
// pass retypes every unsigned integer tensor of the module (function
// signatures, block arguments, results, constants, nn.cast targets) to the
// signless type of the same width, which keeps the bits and the calling
// convention, and records on each nn op whose meaning depends on the sign
// which of its operands and results were unsigned
// (`qc.unsigned_operands` / `qc.unsigned_results`, boolean arrays). Ops
// for which signedness does not matter (wrapping add / sub / mul, equality,
// data movement) are only retyped. An nn op on unsigned tensors that the
// lowering cannot give unsigned meaning gets an error naming it, and the
// module is left unchanged.
//
//===----------------------------------------------------------------------===//

#include "qc/Conversion/Passes.h"
#include "qc/Dialect/NN/IR/NN.h"

#include "mlir/IR/DialectResourceBlobManager.h"

namespace qc {
#define GEN_PASS_DEF_CONVERTNNTOSIGNLESS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::nn;

namespace {

/// The signless counterpart of an unsigned integer (or a tensor of them);
/// null for other types.
Type signless(Type t) {
  if (auto it = llvm::dyn_cast<IntegerType>(t))
    return it.isUnsigned() ? IntegerType::get(t.getContext(), it.getWidth())
                           : Type();
  if (auto rt = llvm::dyn_cast<RankedTensorType>(t))
    if (Type e = signless(rt.getElementType()))
      return rt.clone(e);
  return Type();
}

bool isUnsigned(Type t) { return bool(signless(t)); }

/// Ops whose result bits do not depend on whether the integers are signed:
/// wrapping arithmetic, equality, selection and data movement (gather
/// indices are always signed).
bool signAgnostic(Operation *op) {
  return isa<AddOp, SubOp, MulOp, NegOp, AndOp, OrOp, XorOp, NotOp, BitShiftOp,
             EqualOp, WhereOp, ExpandOp, ReshapeOp, TransposeOp, ConcatOp,
             SplitOp, SliceOp, GatherOp, TriluOp, CumSumOp, GatherElementsOp>(
      op);
}

/// Ops the lowering gives unsigned meaning when marked.
/// (Integer nn.pow is not among them: math.ipowi is signed.)
bool signAware(Operation *op) {
  return isa<DivOp, MaxOp, MinOp, LessOp, GreaterOp, CastOp, AbsOp, ReluOp,
             SignOp, ArgMaxOp, TopKOp, ScatterElementsOp, ScatterNDOp,
             MatMulIntegerOp, ConvIntegerOp>(op);
}

struct ConvertNNToSignlessPass
    : qc::impl::ConvertNNToSignlessBase<ConvertNNToSignlessPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Check first so that a failure leaves the module unchanged.
    bool ok = true;
    module.walk([&](Operation *op) {
      if (auto cst = llvm::dyn_cast<arith::ConstantOp>(op)) {
        if (isUnsigned(cst.getType()) &&
            !llvm::isa<DenseElementsAttr, DenseResourceElementsAttr>(
                cst.getValue())) {
          cst.emitError("qc-nn-signless: constant of unsigned type ")
              << cst.getType()
              << " is neither dense elements nor a resource blob";
          ok = false;
        }
        return;
      }
      if (!llvm::isa<NNDialect>(op->getDialect()))
        return;
      bool any = llvm::any_of(op->getOperandTypes(), isUnsigned) ||
                 llvm::any_of(op->getResultTypes(), isUnsigned);
      if (any && !signAgnostic(op) && !signAware(op)) {
        SmallVector<Type> types(op->getOperandTypes());
        llvm::append_range(types, op->getResultTypes());
        Type t = *llvm::find_if(types, isUnsigned);
        op->emitError("qc-nn-signless: ")
            << op->getName() << " on unsigned integer type " << t
            << " has no CPU lowering (only signed and signless integers do)";
        ok = false;
      }
    });
    if (!ok)
      return signalPassFailure();

    // Mark every op before retyping any (operands are results of others).
    Builder b(module.getContext());
    module.walk([&](Operation *op) {
      if (!llvm::isa<NNDialect>(op->getDialect()) || !signAware(op))
        return;
      auto mark = [&](TypeRange types, StringRef name) {
        SmallVector<bool> flags;
        for (Type t : types)
          flags.push_back(isUnsigned(t));
        if (llvm::is_contained(flags, true))
          op->setAttr(name, b.getDenseBoolArrayAttr(flags));
      };
      mark(op->getOperandTypes(), qc::kUnsignedOperandsAttr);
      mark(op->getResultTypes(), qc::kUnsignedResultsAttr);
    });
    module.walk([&](Operation *op) {
      if (auto cast = llvm::dyn_cast<CastOp>(op))
        if (Type t = signless(cast.getTo()))
          cast.setTo(t);
      if (auto cst = llvm::dyn_cast<arith::ConstantOp>(op)) {
        if (auto dense = llvm::dyn_cast<DenseElementsAttr>(cst.getValue()))
          if (Type t = signless(dense.getType()))
            cst.setValueAttr(dense.bitcast(
                llvm::cast<RankedTensorType>(t).getElementType()));
        // A resource blob (external data) keeps its bytes under the new
        // type.
        if (auto blob =
                llvm::dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
          if (Type t = signless(blob.getType()))
            cst.setValueAttr(DenseResourceElementsAttr::get(
                llvm::cast<ShapedType>(t), blob.getRawHandle()));
      }
      if (auto func = llvm::dyn_cast<func::FuncOp>(op)) {
        auto convert = [](TypeRange types) {
          SmallVector<Type> out;
          for (Type t : types)
            out.push_back(signless(t) ? signless(t) : t);
          return out;
        };
        FunctionType ft = func.getFunctionType();
        func.setFunctionType(b.getFunctionType(convert(ft.getInputs()),
                                               convert(ft.getResults())));
      }
      for (Region &r : op->getRegions())
        for (Block &block : r)
          for (BlockArgument a : block.getArguments())
            if (Type t = signless(a.getType()))
              a.setType(t);
      for (OpResult r : op->getResults())
        if (Type t = signless(r.getType()))
          r.setType(t);
    });
  }
};

} // namespace

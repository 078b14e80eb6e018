//===- KernelUtils.cpp - Shared pieces of the x86 kernel lowerings --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "Int8Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

#include <cmath>

using namespace mlir;

namespace qc::x86 {

void forLoop(OpBuilder &b, Location loc, Value lo, Value hi, Value step,
             llvm::function_ref<void(OpBuilder &, Value)> body) {
  b.create<scf::ForOp>(loc, lo, hi, step, ValueRange{},
                       [&](OpBuilder &lb, Location, Value i, ValueRange) {
                         body(lb, i);
                         lb.create<scf::YieldOp>(loc);
                       });
}

FailureOr<SmallVector<linalg::GenericOp>>
taggedKernels(Operation *root, StringRef kernel, StringRef pass) {
  SmallVector<linalg::GenericOp> kernels;
  root->walk([&](linalg::GenericOp g) {
    auto name = g->getAttrOfType<StringAttr>(kKernelAttr);
    if (name && name.getValue() == kernel)
      kernels.push_back(g);
  });
  for (linalg::GenericOp g : kernels) {
    if (!g.hasPureBufferSemantics())
      return g.emitError(pass)
             << ": the " << kernel << " kernel runs after bufferization";
    for (Value v : g->getOperands())
      if (!llvm::cast<MemRefType>(v.getType()).getLayout().isIdentity())
        return g.emitError(pass)
               << ": operands must have the identity layout, got "
               << v.getType();
  }
  return kernels;
}

bool hostHas(ArrayRef<StringRef> features) {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  return llvm::all_of(features, [&](StringRef f) { return host.lookup(f); });
}

bool targetHas(StringRef cpu, ArrayRef<StringRef> features) {
  if (cpu.empty())
    return hostHas(features);
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None)
    return false;
  SmallVector<StringRef> has;
  llvm::X86::getFeaturesForCPU(cpu, has);
  return llvm::all_of(features,
                      [&](StringRef f) { return llvm::is_contained(has, f); });
}

Value decodeE8M0(OpBuilder &b, Location loc, Value e) {
  Type t = e.getType();
  auto c = [&](int32_t v) -> Value {
    TypedAttr a = b.getI32IntegerAttr(v);
    if (auto vt = llvm::dyn_cast<VectorType>(t))
      a = DenseElementsAttr::get(vt, a);
    return b.create<arith::ConstantOp>(loc, a);
  };
  // 2^(e - 127) is e in f32's exponent field, but for e = 0 (2^-127, a
  // subnormal) and e = 255 (NaN). Those are found by float compares of
  // that f32 (0 and infinity): on the integer code, LLVM narrows the
  // compares to bytes and widens each mask back by a lane-crossing
  // vpmovsxbd, slow on Zen 3.
  Type f32 = b.getF32Type();
  if (auto vt = llvm::dyn_cast<VectorType>(t))
    f32 = VectorType::get(vt.getShape(), f32);
  auto f = [&](float v) -> Value {
    TypedAttr a = b.getF32FloatAttr(v);
    if (auto vt = llvm::dyn_cast<VectorType>(f32))
      a = DenseElementsAttr::get(vt, a);
    return b.create<arith::ConstantOp>(loc, a);
  };
  Value shifted = b.create<arith::BitcastOp>(
      loc, f32, b.create<arith::ShLIOp>(loc, e, c(23)));
  auto eq = [&](float v) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, shifted,
                                   f(v));
  };
  Value zero = eq(0.0f), inf = eq(INFINITY);
  Value v =
      b.create<arith::SelectOp>(loc, zero, f(std::ldexp(1.0f, -127)), shifted);
  return b.create<arith::SelectOp>(loc, inf, f(NAN), v);
}

Value decodeE4M3(OpBuilder &b, Location loc, Value c) {
  Type t = c.getType();
  Type f32 = b.getF32Type();
  auto vt = llvm::dyn_cast<VectorType>(t);
  if (vt)
    f32 = VectorType::get(vt.getShape(), f32);
  auto i = [&](int32_t v) -> Value {
    TypedAttr a = b.getI32IntegerAttr(v);
    if (vt)
      a = DenseElementsAttr::get(vt, a);
    return b.create<arith::ConstantOp>(loc, a);
  };
  auto f = [&](float v) -> Value {
    TypedAttr a = b.getF32FloatAttr(v);
    if (vt)
      a = DenseElementsAttr::get(llvm::cast<ShapedType>(f32), a);
    return b.create<arith::ConstantOp>(loc, a);
  };
  Value mag = b.create<arith::AndIOp>(loc, c, i(0x7F));
  Value v = b.create<arith::MulFOp>(
      loc,
      b.create<arith::BitcastOp>(loc, f32,
                                 b.create<arith::ShLIOp>(loc, mag, i(20))),
      f(0x1p120f));
  // Magnitude 0x7F (NaN) is the one whose bits decode to 480 (a float
  // compare: an integer one LLVM narrows to bytes, see decodeE8M0).
  Value nan =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, v, f(480.0f));
  v = b.create<arith::SelectOp>(loc, nan, f(NAN), v);
  Value sign = b.create<arith::ShLIOp>(
      loc, b.create<arith::AndIOp>(loc, c, i(0x80)), i(24));
  return b.create<arith::BitcastOp>(
      loc, f32,
      b.create<arith::OrIOp>(loc, b.create<arith::BitcastOp>(loc, t, v), sign));
}

} // namespace qc::x86

//===- KernelUtils.cpp - Shared pieces of the x86 kernel lowerings --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "Int8Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
  // 2^(e - 127) is e in f32's exponent field, but for e = 0 (2^-127, the
  // subnormal with bits 1 << 22) and e = 255 (NaN; the field gives
  // infinity). Two operations fix both, with no compare: an unsigned max
  // with 1 << 22 (only e = 0 is below it), then m * 0 + m, which is m for
  // every finite m and NaN for infinity. (Compares and selects took four,
  // with more constants held.)
  Type f32 = b.getF32Type();
  if (auto vt = llvm::dyn_cast<VectorType>(t))
    f32 = VectorType::get(vt.getShape(), f32);
  TypedAttr zeroAttr = b.getF32FloatAttr(0.0f);
  if (auto vt = llvm::dyn_cast<VectorType>(f32))
    zeroAttr = DenseElementsAttr::get(vt, zeroAttr);
  Value bits = b.create<arith::MaxUIOp>(
      loc, b.create<arith::ShLIOp>(loc, e, c(23)), c(1 << 22));
  Value m = b.create<arith::BitcastOp>(loc, f32, bits);
  return b.create<math::FmaOp>(loc, m,
                               b.create<arith::ConstantOp>(loc, zeroAttr), m);
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
  // With the code in the top byte, an arithmetic shift right by 4 and a
  // mask leave f32 bits with E4M3's sign in the sign bit and its exponent
  // and mantissa bits 7 places below f32's (bits 26-20): times 2^120 that
  // is the value for normals (bias 7 vs 127) and subnormals alike.
  Value top = b.create<arith::ShLIOp>(loc, c, i(24));
  Value bits = b.create<arith::AndIOp>(
      loc, b.create<arith::ShRSIOp>(loc, top, i(4)), i(int32_t(0x87F00000u)));
  Value v = b.create<arith::MulFOp>(
      loc, b.create<arith::BitcastOp>(loc, f32, bits), f(0x1p120f));
  // Magnitude 0x7F (NaN) is the one that decodes to +-480, the one whose
  // square (exact: at most 8 significant bits) is 230400. (A float
  // compare: on the integer code LLVM narrows compares to bytes and widens
  // the masks back by lane-crossing vpmovsxbd, slow on Zen 3.)
  Value nan =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                              b.create<arith::MulFOp>(loc, v, v), f(230400.0f));
  return b.create<arith::SelectOp>(loc, nan, f(NAN), v);
}

} // namespace qc::x86

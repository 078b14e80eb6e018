//===- ConstantUtils.cpp - Reading and writing constant weights -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "ConstantUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

std::optional<std::vector<float>> qc::detail::constantFloats(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto type = llvm::dyn_cast<RankedTensorType>(c.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> raw = blob->getData();
    if (raw.size() < size_t(type.getNumElements()) * sizeof(float))
      return std::nullopt;
    const auto *p = reinterpret_cast<const float *>(raw.data());
    return std::vector<float>(p, p + type.getNumElements());
  }
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(c.getValue())) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  return std::nullopt;
}

Value qc::detail::floatConstant(OpBuilder &b, Location loc,
                                RankedTensorType type, ArrayRef<float> values) {
  return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, values));
}

//===- ConstantFloats.cpp - f32 constants for nn rewrites -----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "ConstantFloats.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

std::optional<std::vector<float>> qc::nn::detail::readF32Constant(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto type = llvm::dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || !type.hasStaticShape() || !type.getElementType().isF32())
    return std::nullopt;
  size_t n = size_t(type.getNumElements());
  std::vector<float> values;
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() < n * sizeof(float))
      return std::nullopt;
    values.resize(n);
    std::memcpy(values.data(), blob->getData().data(), n * sizeof(float));
  } else if (auto dense = llvm::dyn_cast<DenseFPElementsAttr>(cst.getValue())) {
    values.assign(dense.getValues<float>().begin(),
                  dense.getValues<float>().end());
  } else {
    return std::nullopt;
  }
  return values;
}

Value qc::nn::detail::f32Constant(OpBuilder &b, Location loc,
                                  RankedTensorType type,
                                  ArrayRef<float> values) {
  Attribute attr;
  if (values.size() < (size_t(1) << 20))
    attr = DenseElementsAttr::get(type, values);
  else
    attr = DenseResourceElementsAttr::get(
        type, "qc_weight",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  return b.create<arith::ConstantOp>(loc, type, llvm::cast<TypedAttr>(attr));
}

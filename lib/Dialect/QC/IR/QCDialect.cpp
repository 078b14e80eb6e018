//===- QCDialect.cpp - The qc dialect -------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Dialect registration and constant materialization.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace qc;

#include "qc/Dialect/QC/IR/QCDialect.cpp.inc"

void QCDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
}

Operation *QCDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (auto qt = dyn_cast<QTensorType>(type)) {
    auto codes = dyn_cast<DenseIntElementsAttr>(value);
    if (!codes || codes.getType() != qt.getStorageType())
      return nullptr;
    return builder.create<ConstantOp>(loc, qt, codes);
  }
  if (auto typed = dyn_cast<TypedAttr>(value))
    if (typed.getType() == type)
      return builder.create<arith::ConstantOp>(loc, type, typed);
  return nullptr;
}

num::Rounding qc::toNumeric(RoundingMode mode) {
  switch (mode) {
  case RoundingMode::nearest_even:
    return num::Rounding::NearestEven;
  case RoundingMode::nearest_away:
    return num::Rounding::NearestAway;
  case RoundingMode::toward_zero:
    return num::Rounding::TowardZero;
  case RoundingMode::floor:
    return num::Rounding::Floor;
  case RoundingMode::ceil:
    return num::Rounding::Ceil;
  case RoundingMode::stochastic:
    return num::Rounding::Stochastic;
  }
  return num::Rounding::NearestEven;
}

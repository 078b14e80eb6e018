//===- QCTypes.td - qc types -------------------------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The quantized tensor type.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCTYPES_TD
#define QC_DIALECT_QC_IR_QCTYPES_TD

include "qc/Dialect/QC/IR/QCAttrs.td"

def QC_QTensorType : TypeDef<QC_Dialect, "QTensor"> {
  let mnemonic = "qtensor";
  let summary = "Tensor of codes of a number format under a scheme.";
  let description = [{
    A ranked tensor whose elements are codes of `format` (any attribute
    implementing FormatAttrInterface), quantized under `scheme` (per-tensor
    f32 symmetric static when omitted). The scales are not part of the type:
    ops take them as operands of the scale type the scheme derives (f32, or
    i8 codes for a minifloat scale format). Storage is a signless integer of
    the format's width per element (`getStorageType`).

    Constraints:
    (C1) `format` implements FormatAttrInterface.
    (C2) per_axis / per_block axis < rank.
    (C3) a static dimension along a per_block axis is a multiple of the block.
    (C4) `asymmetric` only with an integer format.
    (C5) every static dimension is positive.

    Example: `!qc.qtensor<128x4096, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 128>>`
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::Attribute":$format, "::qc::SchemeAttr":$scheme);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return int64_t(getShape().size()); }
    /// The format as its interface.
    ::qc::FormatAttrInterface getFormatAttr() const;
    ::qc::num::Format getNumericFormat() const;
    /// tensor<shape x iN>: one signless integer of the format's width per code.
    ::mlir::RankedTensorType getStorageType() const;
    /// Shape of the scale tensor.
    ::llvm::SmallVector<int64_t> getScaleShape() const;
    /// tensor<scaleShape x f32>, or x i8 for a minifloat scale format.
    ::mlir::RankedTensorType getScaleType() const;
    /// tensor<scaleShape x i32>.
    ::mlir::RankedTensorType getZeroPointType() const;
    /// Float tensor type of the same shape.
    ::mlir::RankedTensorType getExpressedType(::mlir::Type elementType) const;
  }];
}

#endif // QC_DIALECT_QC_IR_QCTYPES_TD

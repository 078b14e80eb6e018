//===- QCTypes.cpp - qc types ---------------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The quantized tensor type: syntax, verification and the storage, scale and
// zero-point types it derives.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qc;

#define GET_TYPEDEF_CLASSES
#include "qc/Dialect/QC/IR/QCTypes.cpp.inc"

void QCDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "qc/Dialect/QC/IR/QCTypes.cpp.inc"
      >();
}

Type QTensorType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Attribute format;
  SchemeAttr scheme;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseAttribute(format))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc sLoc = parser.getCurrentLocation();
    Attribute s;
    if (parser.parseAttribute(s))
      return {};
    scheme = llvm::dyn_cast<SchemeAttr>(s);
    if (!scheme) {
      parser.emitError(sLoc, "expected a #qc.scheme");
      return {};
    }
  } else {
    scheme = SchemeAttr::getPerTensor(parser.getContext());
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QTensorType>(loc, parser.getContext(), shape, format,
                                        scheme);
}

void QTensorType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(
      getShape(), printer,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          printer << "?";
        else
          printer << d;
      },
      "x");
  printer << ", " << getFormat();
  if (getScheme() != SchemeAttr::getPerTensor(getContext()))
    printer << ", " << getScheme();
  printer << ">";
}

LogicalResult QTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Attribute format,
                                  SchemeAttr scheme) {
  auto fmt = llvm::dyn_cast<FormatAttrInterface>(format);
  if (!fmt)
    return emitError() << "(C1) " << format
                       << " is not a number format (#qc.int, #qc.fixed, "
                          "#qc.float)";
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) && d <= 0)
      return emitError() << "(C5) dimensions must be positive, got " << d;
  int64_t axis = scheme.getAxis();
  if (scheme.getGranularity() != Granularity::per_tensor &&
      axis >= int64_t(shape.size()))
    return emitError() << "(C2) scheme axis " << axis
                       << " out of range for rank " << shape.size();
  if (scheme.getGranularity() == Granularity::per_block) {
    int64_t d = shape[size_t(axis)];
    if (!ShapedType::isDynamic(d) && d % scheme.getBlock())
      return emitError() << "(C3) block size " << scheme.getBlock()
                         << " does not divide dimension " << axis << " of size "
                         << d;
  }
  if (scheme.getAsymmetric() && !llvm::isa<IntFormatAttr>(format))
    return emitError() << "(C4) asymmetric (zero-point) quantization needs an "
                          "integer format";
  return success();
}

FormatAttrInterface QTensorType::getFormatAttr() const {
  return llvm::cast<FormatAttrInterface>(getFormat());
}

num::Format QTensorType::getNumericFormat() const {
  return getFormatAttr().getNumericFormat();
}

RankedTensorType QTensorType::getStorageType() const {
  return RankedTensorType::get(
      getShape(),
      IntegerType::get(getContext(), getFormatAttr().getBitWidth()));
}

SmallVector<int64_t> QTensorType::getScaleShape() const {
  return getScheme().getScaleShape(getShape());
}

RankedTensorType QTensorType::getScaleType() const {
  Type elem = Float32Type::get(getContext());
  if (FloatFormatAttr sf = getScheme().getScaleFormat())
    elem = IntegerType::get(getContext(),
                            sf.getFloatFormat().bits() <= 8 ? 8 : 16);
  return RankedTensorType::get(getScaleShape(), elem);
}

RankedTensorType QTensorType::getZeroPointType() const {
  return RankedTensorType::get(getScaleShape(),
                               IntegerType::get(getContext(), 32));
}

RankedTensorType QTensorType::getExpressedType(Type elementType) const {
  return RankedTensorType::get(getShape(), elementType);
}

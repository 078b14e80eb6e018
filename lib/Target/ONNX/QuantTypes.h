//===- QuantTypes.h - ONNX element types of qc formats ----------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The one table mapping ONNX quantized element types (int4 ... float8) to
// Numerics formats, used by the importer and the exporter alike.
//
//===----------------------------------------------------------------------===//

#ifndef QC_LIB_TARGET_ONNX_QUANTTYPES_H
#define QC_LIB_TARGET_ONNX_QUANTTYPES_H

#include "qc/Support/Numerics/Format.h"

#include <cstdint>
#include <optional>

namespace qc::onnx_types {

/// The Numerics format of an ONNX quantized element type (minifloats
/// non-saturating), or nullopt.
inline std::optional<num::Format> formatOf(int32_t onnxType) {
  switch (onnxType) {
  case 2:
    return num::Format::integer(8, false); // UINT8
  case 3:
    return num::Format::integer(8, true); // INT8
  case 4:
    return num::Format::integer(16, false); // UINT16
  case 5:
    return num::Format::integer(16, true); // INT16
  case 6:
    return num::Format::integer(32, true); // INT32 (DQ of biases)
  case 21:
    return num::Format::integer(4, false); // UINT4
  case 22:
    return num::Format::integer(4, true); // INT4
  case 17:
    return num::Format::minifloat(num::FloatFormat::fp8e4m3fn());
  case 18:
    return num::Format::minifloat(num::FloatFormat::fp8e4m3fnuz());
  case 19:
    return num::Format::minifloat(num::FloatFormat::fp8e5m2());
  case 20:
    return num::Format::minifloat(num::FloatFormat::fp8e5m2fnuz());
  case 23:
    return num::Format::minifloat(num::FloatFormat::fp4e2m1fn());
  case 24:
    return num::Format::minifloat(num::FloatFormat::e8m0fnu()); // FLOAT8E8M0
  default:
    return std::nullopt;
  }
}

/// The ONNX element type storing codes of `f` (saturation ignored), or 0.
inline int32_t onnxTypeOf(const num::Format &f) {
  for (int32_t t : {2, 3, 4, 5, 6, 21, 22, 17, 18, 19, 20, 23, 24}) {
    std::optional<num::Format> g = formatOf(t);
    num::Format plain = f;
    if (f.kind() == num::Format::Kind::Float) {
      num::FloatFormat ff = f.floatFormat();
      ff.saturate = false;
      plain = num::Format::minifloat(ff);
    }
    if (g && *g == plain)
      return t;
  }
  return 0;
}

} // namespace qc::onnx_types

#endif // QC_LIB_TARGET_ONNX_QUANTTYPES_H

//===- Tensor.cpp - Interpreter tensors -----------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Storage of interpreter tensors and their conversion from and to constant
// attributes. Float32 constants are viewed in place.
//
//===----------------------------------------------------------------------===//

#include "qc/Interpreter/Interpreter.h"
#include "qc/Interpreter/NPY.h"

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace qc::interp;

static bool holdsFloats(Type type) {
  if (auto t = llvm::dyn_cast<RankedTensorType>(type))
    return llvm::isa<FloatType>(t.getElementType());
  return false; // !qc.qtensor codes are integers.
}

int64_t Tensor::size() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor Tensor::zeros(Type type, std::vector<int64_t> shape) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.floatData = holdsFloats(type);
  if (t.floatData) {
    t.floats = std::make_shared<std::vector<float>>(size_t(t.size()), 0.0f);
    t.fptr = t.floats->data();
  } else {
    t.ints = std::make_shared<std::vector<int64_t>>(size_t(t.size()), 0);
  }
  return t;
}

Tensor Tensor::copyOf(Type type, std::vector<int64_t> shape,
                      const float *data) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.floatData = true;
  // Copied straight from `data` (no zero fill first).
  t.floats = std::make_shared<std::vector<float>>(data, data + t.size());
  t.fptr = t.floats->data();
  return t;
}

Tensor Tensor::view(Type type, std::vector<int64_t> shape, const float *data) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.floatData = true;
  t.fptr = data;
  return t;
}

float *Tensor::fMutable() {
  // Views of constants are read-only; every kernel writes to a fresh tensor.
  assert(floats && fptr == floats->data() && "writing to a constant view");
  return floats->data();
}

Tensor Tensor::reshaped(Type newType, std::vector<int64_t> newShape) const {
  Tensor t = *this;
  t.type = newType;
  t.shape = std::move(newShape);
  return t;
}

FailureOr<Tensor> qc::interp::fromAttribute(ElementsAttr attr, Type type) {
  std::vector<int64_t> shape(attr.getShapedType().getShape().begin(),
                             attr.getShapedType().getShape().end());
  if (auto qt = llvm::dyn_cast<qc::QTensorType>(type))
    shape.assign(qt.getShape().begin(), qt.getShape().end());
  Type elem = attr.getShapedType().getElementType();
  // Weights from ONNX external data: a (memory-mapped) resource blob.
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> raw = blob->getData();
    if (holdsFloats(type) && elem.isF32())
      return Tensor::view(type, shape,
                          reinterpret_cast<const float *>(raw.data()));
    if (!elem.isIntOrIndex() || elem.isInteger(1))
      return failure();
    Tensor t = Tensor::zeros(type, shape);
    unsigned bytes = elem.getIntOrFloatBitWidth() / 8;
    bool zext = elem.isUnsignedInteger();
    for (int64_t i = 0, n = t.size(); i < n; ++i) {
      int64_t v = 0;
      std::memcpy(&v, raw.data() + size_t(i) * bytes, bytes);
      if (!zext && bytes < 8)
        v = (v << (64 - 8 * bytes)) >> (64 - 8 * bytes);
      t.iMutable()[i] = v;
    }
    return t;
  }
  auto dense = llvm::dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  if (holdsFloats(type)) {
    if (elem.isF32() && !dense.isSplat())
      return Tensor::view(
          type, shape,
          reinterpret_cast<const float *>(dense.getRawData().data()));
    Tensor t = Tensor::zeros(type, shape);
    float *out = t.fMutable();
    int64_t i = 0, n = t.size();
    if (dense.isSplat()) {
      float v = float(dense.getSplatValue<APFloat>().convertToDouble());
      std::fill(out, out + n, v);
      return t;
    }
    for (const APFloat &v : dense.getValues<APFloat>()) {
      bool lost;
      APFloat c = v;
      c.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      out[i++] = c.convertToFloat();
    }
    return t;
  }
  if (!elem.isIntOrIndex())
    return failure();
  Tensor t = Tensor::zeros(type, shape);
  int64_t *out = t.iMutable();
  bool zext = elem.isInteger(1) || elem.isUnsignedInteger() ||
              llvm::isa<qc::QTensorType>(type);
  int64_t i = 0, n = t.size();
  if (dense.isSplat()) {
    APInt v = dense.getSplatValue<APInt>();
    std::fill(out, out + n,
              zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
    return t;
  }
  for (const APInt &v : dense.getValues<APInt>())
    out[i++] = zext ? int64_t(v.getZExtValue()) : v.getSExtValue();
  return t;
}

DenseElementsAttr qc::interp::toAttribute(const Tensor &t,
                                          RankedTensorType type) {
  Type elem = type.getElementType();
  int64_t n = t.size();
  if (t.isFloat()) {
    if (elem.isF32())
      return DenseElementsAttr::get(type, ArrayRef<float>(t.f(), size_t(n)));
    std::vector<APFloat> vals;
    vals.reserve(size_t(n));
    auto &sem = llvm::cast<FloatType>(elem).getFloatSemantics();
    for (int64_t i = 0; i < n; ++i) {
      bool lost;
      APFloat v(t.f()[i]);
      v.convert(sem, APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(v);
    }
    return DenseElementsAttr::get(type, vals);
  }
  unsigned width = elem.getIntOrFloatBitWidth();
  std::vector<APInt> vals;
  vals.reserve(size_t(n));
  for (int64_t i = 0; i < n; ++i)
    vals.emplace_back(width, uint64_t(t.i()[i]), /*isSigned=*/true);
  return DenseElementsAttr::get(type, vals);
}

FailureOr<Tensor> qc::interp::fromHostArray(const HostArray &a, Type type,
                                            std::string &err) {
  auto t = llvm::cast<RankedTensorType>(type);
  if (std::vector<int64_t>(t.getShape().begin(), t.getShape().end()) !=
      a.shape) {
    std::string got, want;
    for (int64_t d : a.shape)
      got += std::to_string(d) + "x";
    for (int64_t d : t.getShape())
      want += std::to_string(d) + "x";
    err = "shape " + got.substr(0, got.size() - 1) + " does not match " +
          want.substr(0, want.size() - 1);
    return failure();
  }
  Tensor x = Tensor::zeros(type, a.shape);
  if (x.isFloat()) {
    for (int64_t i = 0; i < x.size(); ++i)
      x.fMutable()[i] = float(readAsDouble(a, i));
    return x;
  }
  // Integer tensors: integer arrays exactly (not through a double, which
  // holds 53 bits); float arrays only where they hold integers.
  bool ints = isIntegerArray(a);
  for (int64_t i = 0; i < x.size(); ++i) {
    if (ints) {
      x.iMutable()[i] = readAsInt64(a, i);
      continue;
    }
    double v = readAsDouble(a, i);
    if (!(v >= -0x1p63 && v < 0x1p63) || v != std::trunc(v)) {
      err = "element " + std::to_string(i) + " of the " + a.dtype +
            " array is " + std::to_string(v) +
            ", not an integer that the input's integer type holds";
      return failure();
    }
    x.iMutable()[i] = int64_t(v);
  }
  return x;
}

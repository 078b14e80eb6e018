//===- QCOps.cpp - qc operations ------------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Verifiers, folders and canonicalizations of the qc operations. Every
// folder computes through Support/Numerics, so folded constants are
// bit-identical to what the interpreter and the lowerings produce.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstring>

using namespace mlir;
using namespace qc;

#define GET_OP_CLASSES
#include "qc/Dialect/QC/IR/QCOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// Static shape as the Numerics vector, or nullopt when dynamic.
std::optional<std::vector<int64_t>> staticShape(ArrayRef<int64_t> shape) {
  for (int64_t d : shape)
    if (ShapedType::isDynamic(d))
      return std::nullopt;
  return std::vector<int64_t>(shape.begin(), shape.end());
}

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<float> toFloats(DenseElementsAttr a) {
  auto range = a.getValues<float>();
  return std::vector<float>(range.begin(), range.end());
}

std::vector<uint32_t> toCodes(DenseElementsAttr a) {
  std::vector<uint32_t> out;
  out.reserve(size_t(a.getNumElements()));
  for (const APInt &v : a.getValues<APInt>())
    out.push_back(uint32_t(v.getZExtValue()));
  return out;
}

std::vector<int32_t> toInt32s(DenseElementsAttr a) {
  std::vector<int32_t> out;
  out.reserve(size_t(a.getNumElements()));
  for (const APInt &v : a.getValues<APInt>())
    out.push_back(int32_t(v.getSExtValue()));
  return out;
}

/// Effective f32 scales from a constant scale operand (and global scale).
std::optional<std::vector<float>>
effectiveScales(QTensorType qt, Attribute scales, Attribute global) {
  auto s = llvm::dyn_cast_or_null<DenseElementsAttr>(scales);
  if (!s)
    return std::nullopt;
  FloatFormatAttr sf = qt.getScheme().getScaleFormat();
  if (!sf)
    return toFloats(s);
  float g = 1.0f;
  if (global) {
    auto ga = llvm::dyn_cast<DenseElementsAttr>(global);
    if (!ga)
      return std::nullopt;
    g = *ga.getValues<float>().begin();
  }
  std::vector<uint32_t> codes = toCodes(s);
  return num::decodeScales(codes.data(), codes.size(), sf.getFloatFormat(), g);
}

/// Constant zero points, an empty vector when the operand is absent, or
/// nullopt when present but not constant.
std::optional<std::vector<int32_t>> zeroPointValues(Value operand,
                                                    Attribute attr) {
  if (!operand)
    return std::vector<int32_t>();
  auto a = llvm::dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!a)
    return std::nullopt;
  return toInt32s(a);
}

/// Verifies the scale, zero-point and global-scale operands of `qt`.
LogicalResult verifyScaleOperands(Operation *op, QTensorType qt, Value scales,
                                  Value zeroPoints, Value global,
                                  StringRef what = "") {
  auto expected = qt.getScaleType();
  auto actual = llvm::cast<RankedTensorType>(scales.getType());
  if (actual.getElementType() != expected.getElementType() ||
      failed(verifyCompatibleShape(actual.getShape(), expected.getShape())))
    return op->emitOpError("(C2) ") << what << "scales must have type "
                                    << expected << ", got " << actual;
  bool asym = qt.getScheme().getAsymmetric();
  if (asym != bool(zeroPoints))
    return op->emitOpError("(C3) ")
           << what
           << (asym ? "zero points are required by the asymmetric scheme"
                    : "zero points need an asymmetric scheme");
  if (zeroPoints &&
      failed(verifyCompatibleShape(
          llvm::cast<RankedTensorType>(zeroPoints.getType()).getShape(),
          qt.getZeroPointType().getShape())))
    return op->emitOpError("(C3) ")
           << what << "zero points must have type " << qt.getZeroPointType();
  if (global && !qt.getScheme().getScaleFormat())
    return op->emitOpError("(C4) a global scale needs a minifloat scale "
                           "format");
  return success();
}

LogicalResult verifySameShape(Operation *op, ArrayRef<int64_t> a,
                              ArrayRef<int64_t> b) {
  if (failed(verifyCompatibleShape(a, b)))
    return op->emitOpError("(C1) shapes differ: [")
           << a << "] vs [" << b << "]";
  return success();
}

/// Quantizes constant floats to codes of `qt`.
std::optional<std::vector<uint32_t>>
quantizeConstant(QTensorType qt, DenseElementsAttr input, Attribute scales,
                 Value zpOperand, Attribute zp, Attribute global,
                 RoundingMode rounding, uint64_t seed) {
  auto shape = staticShape(qt.getShape());
  auto s = effectiveScales(qt, scales, global);
  auto z = zeroPointValues(zpOperand, zp);
  if (!shape || !s || !z || !input)
    return std::nullopt;
  std::vector<float> x = toFloats(input);
  std::vector<uint32_t> codes(x.size());
  num::quantize(x.data(), *shape, qt.getScheme().getNumericScheme(), s->data(),
                z->empty() ? nullptr : z->data(), qt.getNumericFormat(),
                toNumeric(rounding), seed, codes.data());
  return codes;
}

/// Dequantizes codes of `qt` to floats.
std::optional<std::vector<float>>
dequantizeCodes(QTensorType qt, const std::vector<uint32_t> &codes,
                Attribute scales, Value zpOperand, Attribute zp,
                Attribute global) {
  auto shape = staticShape(qt.getShape());
  auto s = effectiveScales(qt, scales, global);
  auto z = zeroPointValues(zpOperand, zp);
  if (!shape || !s || !z)
    return std::nullopt;
  std::vector<float> out(codes.size());
  num::dequantize(codes.data(), *shape, qt.getScheme().getNumericScheme(),
                  s->data(), z->empty() ? nullptr : z->data(),
                  qt.getNumericFormat(), out.data());
  return out;
}
} // namespace

DenseIntElementsAttr qc::codesAttr(RankedTensorType type,
                                   ArrayRef<uint32_t> codes) {
  unsigned w = type.getElementTypeBitWidth();
  if (w == 1 || w > 32) {
    std::vector<APInt> vals;
    vals.reserve(codes.size());
    for (uint32_t c : codes)
      vals.emplace_back(w, uint64_t(c), /*isSigned=*/false);
    return llvm::cast<DenseIntElementsAttr>(DenseElementsAttr::get(type, vals));
  }
  // Integers of 2..32 bits are stored in 1, 2 or 4 bytes per element (the
  // codes in the low bits): build that raw buffer directly instead of one
  // APInt per element, which matters for whole-model weight quantization.
  size_t bytes = w <= 8 ? 1 : w <= 16 ? 2 : 4;
  std::vector<char> raw(codes.size() * bytes);
  for (size_t i = 0; i < codes.size(); ++i) {
    uint32_t c = codes[i];
    std::memcpy(raw.data() + i * bytes, &c, bytes); // Little endian.
  }
  return llvm::cast<DenseIntElementsAttr>(
      DenseElementsAttr::getFromRawBuffer(type, raw));
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType().getStorageType())
    return emitOpError("(C1) value must have the storage type ")
           << getType().getStorageType() << ", got " << getValue().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp / FakeQuantOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  QTensorType qt = getType();
  if (failed(verifySameShape(*this, getInput().getType().getShape(),
                             qt.getShape())))
    return failure();
  return verifyScaleOperands(*this, qt, getScales(), getZeroPoints(),
                             getGlobalScale());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  auto codes = quantizeConstant(
      getType(), llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()),
      adaptor.getScales(), getZeroPoints(), adaptor.getZeroPoints(),
      adaptor.getGlobalScale(), getRounding(), uint64_t(getSeed()));
  if (!codes)
    return {};
  return codesAttr(getType().getStorageType(), *codes);
}

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

LogicalResult UnpackOp::verify() {
  QTensorType qt = getType();
  if (qt.getNumericFormat().bits() != 4)
    return emitOpError("(C1) the result format must have 4 bits, got ")
           << qt.getNumericFormat().name();
  auto in = getInput().getType();
  ArrayRef<int64_t> shape = qt.getShape();
  if (shape.empty() || ShapedType::isDynamic(shape.back()) ||
      shape.back() % 2 != 0 || in.getRank() != qt.getRank())
    return emitOpError("(C2) needs a result of static, even last dimension "
                       "and an input of the same rank");
  SmallVector<int64_t> expected(shape);
  expected.back() /= 2;
  if (failed(verifyCompatibleShape(in.getShape(), expected)))
    return emitOpError("(C2) input must have shape [")
           << expected << "], got [" << in.getShape() << "]";
  return success();
}

OpFoldResult UnpackOp::fold(FoldAdaptor adaptor) {
  auto in = llvm::dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getInput());
  if (!in || !getType().getStorageType().hasStaticShape())
    return {};
  std::vector<uint32_t> codes;
  codes.reserve(size_t(in.getNumElements()) * 2);
  for (const APInt &b : in.getValues<APInt>()) {
    uint32_t v = uint32_t(b.getZExtValue());
    codes.push_back(v & 0xF);
    codes.push_back((v >> 4) & 0xF);
  }
  return codesAttr(getType().getStorageType(), codes);
}

LogicalResult CodesOp::verify() {
  QTensorType qt = getInput().getType();
  num::Format f = qt.getNumericFormat();
  unsigned bits = f.bits();
  if (f.kind() != num::Format::Kind::Int ||
      !llvm::is_contained({8u, 16u, 32u, 64u}, bits))
    return emitOpError("(C1) needs an integer format of 8, 16, 32 or 64 "
                       "bits, got ")
           << f.name();
  auto rt = getResult().getType();
  if (failed(verifySameShape(*this, rt.getShape(), qt.getShape())))
    return failure();
  auto et = llvm::cast<IntegerType>(rt.getElementType());
  // Signless for an unsigned format too once --qc-nn-signless ran.
  bool want = f.isSigned() ? et.isSignless() : !et.isSigned();
  if (et.getWidth() != bits || !want)
    return emitOpError("(C2) the codes of ")
           << f.name() << " are " << (f.isSigned() ? "i" : "ui") << bits
           << ", not " << et;
  return success();
}

OpFoldResult CodesOp::fold(FoldAdaptor adaptor) {
  auto in = llvm::dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getInput());
  if (!in)
    return {};
  return in.bitcast(getResult().getType().getElementType());
}

LogicalResult DequantizeOp::verify() {
  QTensorType qt = getInput().getType();
  if (failed(verifySameShape(*this, getResult().getType().getShape(),
                             qt.getShape())))
    return failure();
  return verifyScaleOperands(*this, qt, getScales(), getZeroPoints(),
                             getGlobalScale());
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  auto in = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!in)
    return {};
  auto out = dequantizeCodes(getInput().getType(), toCodes(in),
                             adaptor.getScales(), getZeroPoints(),
                             adaptor.getZeroPoints(), adaptor.getGlobalScale());
  if (!out)
    return {};
  return DenseElementsAttr::get(getType(), ArrayRef<float>(*out));
}

LogicalResult FakeQuantOp::verify() {
  auto qt = llvm::cast<QTensorType>(getQuantType());
  if (failed(verifySameShape(*this, getInput().getType().getShape(),
                             qt.getShape())))
    return failure();
  return verifyScaleOperands(*this, qt, getScales(), getZeroPoints(),
                             getGlobalScale());
}

OpFoldResult FakeQuantOp::fold(FoldAdaptor adaptor) {
  auto qt = llvm::cast<QTensorType>(getQuantType());
  auto codes = quantizeConstant(
      qt, llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()),
      adaptor.getScales(), getZeroPoints(), adaptor.getZeroPoints(),
      adaptor.getGlobalScale(), getRounding(), uint64_t(getSeed()));
  if (!codes)
    return {};
  auto out = dequantizeCodes(qt, *codes, adaptor.getScales(), getZeroPoints(),
                             adaptor.getZeroPoints(), adaptor.getGlobalScale());
  if (!out)
    return {};
  return DenseElementsAttr::get(getType(), ArrayRef<float>(*out));
}

//===----------------------------------------------------------------------===//
// ComputeScalesOp
//===----------------------------------------------------------------------===//

static bool isE8M0(FloatFormatAttr f) {
  return f && f.getFloatFormat() == num::FloatFormat::e8m0fnu();
}

LogicalResult ComputeScalesOp::verify() {
  auto qt = llvm::cast<QTensorType>(getQuantType());
  if (failed(verifySameShape(*this, getInput().getType().getShape(),
                             qt.getShape())))
    return failure();
  SchemeAttr scheme = qt.getScheme();
  FloatFormatAttr sf = scheme.getScaleFormat();
  if (getScales().getType() != qt.getScaleType())
    return emitOpError("(C2) scales must have type ") << qt.getScaleType();
  if (scheme.getAsymmetric() != bool(getZeroPoints()))
    return emitOpError("(C2) a zero-point result exists iff the scheme is "
                       "asymmetric");
  bool needsGlobal = sf && !isE8M0(sf);
  if (needsGlobal != bool(getGlobalScale()))
    return emitOpError("(C2) a global-scale result exists iff the scale "
                       "format is a minifloat other than E8M0");
  if (isE8M0(sf) && scheme.getGranularity() != Granularity::per_block)
    return emitOpError("(C3) E8M0 (MX) scales need the per_block granularity");
  if (scheme.getAsymmetric() && sf)
    return emitOpError("(C4) an asymmetric scheme needs f32 scales");
  double clip = getClipRatio();
  if (!(clip > 0.0 && clip <= 1.0))
    return emitOpError("(C5) clip must be in (0, 1], got ") << clip;
  return success();
}

std::optional<ComputedScales> qc::computeScales(QTensorType qt, const float *x,
                                                double clip) {
  auto shape = staticShape(qt.getShape());
  if (!shape)
    return std::nullopt;
  std::vector<float> clipped;
  if (clip != 1.0) {
    // Every rule reads the input through its absmax, min and max, which
    // commute with the (monotone) rounded product.
    size_t n = 1;
    for (int64_t d : *shape)
      n *= size_t(d);
    float c = float(clip);
    clipped.resize(n);
    for (size_t i = 0; i < n; ++i)
      clipped[i] = c * x[i];
    x = clipped.data();
  }
  SchemeAttr scheme = qt.getScheme();
  num::Scheme ns = scheme.getNumericScheme();
  num::Format fmt = qt.getNumericFormat();
  FloatFormatAttr sf = scheme.getScaleFormat();
  size_t count = size_t(qt.getScaleType().getNumElements());
  ComputedScales out;
  if (!sf) {
    if (scheme.getAsymmetric()) {
      out.scales.resize(count);
      out.zeroPoints.resize(count);
      num::minMaxScales(x, *shape, ns, fmt, out.scales.data(),
                        out.zeroPoints.data());
    } else {
      out.scales = num::absmaxScales(x, *shape, ns, fmt);
    }
    return out;
  }
  out.scaleCodes.resize(count);
  if (isE8M0(sf)) {
    std::vector<uint8_t> c(count);
    num::mxScales(x, *shape, int(scheme.getAxis()), scheme.getBlock(),
                  num::emaxOf(fmt), c.data());
    out.scaleCodes.assign(c.begin(), c.end());
    return out;
  }
  if (ns.granularity != num::Granularity::PerBlock)
    return std::nullopt; // Two-level scales are defined per block.
  out.globalScale =
      num::twoLevelScales(x, *shape, ns.axis, ns.blockSize, fmt,
                          sf.getFloatFormat(), out.scaleCodes.data());
  return out;
}

LogicalResult ComputeScalesOp::fold(FoldAdaptor adaptor,
                                    SmallVectorImpl<OpFoldResult> &results) {
  auto input = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  auto qt = llvm::cast<QTensorType>(getQuantType());
  if (!input)
    return failure();
  std::vector<float> x = toFloats(input);
  auto computed = computeScales(qt, x.data(), getClipRatio());
  if (!computed)
    return failure();
  RankedTensorType scaleType = qt.getScaleType();
  if (qt.getScheme().getScaleFormat())
    results.push_back(codesAttr(scaleType, computed->scaleCodes));
  else
    results.push_back(
        DenseElementsAttr::get(scaleType, ArrayRef<float>(computed->scales)));
  if (getZeroPoints())
    results.push_back(DenseElementsAttr::get(
        qt.getZeroPointType(), ArrayRef<int32_t>(computed->zeroPoints)));
  if (getGlobalScale())
    results.push_back(DenseElementsAttr::get(
        RankedTensorType::get({}, Float32Type::get(getContext())),
        *computed->globalScale));
  return success();
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult RequantizeOp::verify() {
  QTensorType in = getInput().getType(), out = getType();
  if (failed(verifySameShape(*this, in.getShape(), out.getShape())))
    return failure();
  if (in.getScheme().getScaleFormat() || out.getScheme().getScaleFormat())
    return emitOpError("(C2) requantize needs f32 scales on both sides");
  if (failed(verifyScaleOperands(*this, in, getInputScales(),
                                 getInputZeroPoints(), Value(), "input ")))
    return failure();
  return verifyScaleOperands(*this, out, getOutputScales(),
                             getOutputZeroPoints(), Value(), "output ");
}

OpFoldResult RequantizeOp::fold(FoldAdaptor adaptor) {
  auto in = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!in)
    return {};
  auto mid = dequantizeCodes(getInput().getType(), toCodes(in),
                             adaptor.getInputScales(), getInputZeroPoints(),
                             adaptor.getInputZeroPoints(), Attribute());
  if (!mid)
    return {};
  auto midAttr = DenseElementsAttr::get(
      getInput().getType().getExpressedType(Float32Type::get(getContext())),
      ArrayRef<float>(*mid));
  auto codes = quantizeConstant(
      getType(), midAttr, adaptor.getOutputScales(), getOutputZeroPoints(),
      adaptor.getOutputZeroPoints(), Attribute(), getRounding(), 0);
  if (!codes)
    return {};
  return codesAttr(getType().getStorageType(), *codes);
}

//===----------------------------------------------------------------------===//
// RescaleOp
//===----------------------------------------------------------------------===//

LogicalResult RescaleOp::verify() {
  QTensorType out = getType();
  ArrayRef<int64_t> inShape;
  if (auto q = llvm::dyn_cast<QTensorType>(getInput().getType())) {
    if (!llvm::isa<IntFormatAttr>(q.getFormat()))
      return emitOpError("(C1) a quantized input needs an integer format");
    inShape = q.getShape();
  } else {
    auto t = llvm::cast<RankedTensorType>(getInput().getType());
    unsigned bits = t.getElementTypeBitWidth();
    if (bits < 2 || bits > 32)
      return emitOpError("(C1) an integer input must have 2 to 32 bits, got ")
             << bits;
    inShape = t.getShape();
  }
  if (failed(verifySameShape(*this, inShape, out.getShape())))
    return failure();
  if (!llvm::isa<IntFormatAttr>(out.getFormat()) ||
      out.getScheme().getGranularity() != Granularity::per_tensor ||
      out.getScheme().getScaleFormat())
    return emitOpError("(C2) the result needs an integer format and a "
                       "per_tensor scheme");
  if (out.getScheme().getAsymmetric() != bool(getOutputZeroPoint()))
    return emitOpError("(C2) output_zero_point is required iff the result "
                       "scheme is asymmetric");
  auto mt = llvm::cast<RankedTensorType>(getMultiplier().getType());
  auto st = llvm::cast<RankedTensorType>(getShift().getType());
  if (mt.getShape() != st.getShape())
    return emitOpError("(C3) multiplier and shift must have the same shape");
  if (std::optional<int64_t> axis = getAxis()) {
    if (*axis < 0 || *axis >= int64_t(inShape.size()))
      return emitOpError("(C3) axis ")
             << *axis << " out of range for rank " << inShape.size();
    if (mt.getRank() != 1 ||
        failed(verifyCompatibleShape(mt.getShape(), {inShape[*axis]})))
      return emitOpError("(C3) with axis ")
             << *axis << " multiplier and shift must be [" << inShape[*axis]
             << "]";
  } else if (mt.getRank() != 0) {
    return emitOpError("(C3) without axis multiplier and shift must be 0-d");
  }
  return success();
}

std::optional<std::pair<int32_t, int>> qc::fixedPointMultiplier(double m) {
  if (m == 0)
    return std::pair<int32_t, int>{0, 0};
  if (!(m > 0) || !std::isfinite(m))
    return std::nullopt;
  int e = 0;
  double frac = std::frexp(m, &e); // m = frac * 2^e, frac in [0.5, 1)
  auto q = int64_t(std::llround(std::ldexp(frac, 31)));
  if (q == (int64_t(1) << 31)) {
    q /= 2;
    ++e;
  }
  int shift = 31 - e;
  if (shift < 0 || shift > 62)
    return std::nullopt;
  return std::pair<int32_t, int>{int32_t(q), shift};
}

//===----------------------------------------------------------------------===//
// RotateOp
//===----------------------------------------------------------------------===//

LogicalResult RotateOp::verify() {
  auto type = getInput().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= type.getRank())
    return emitOpError("(C1) axis ")
           << axis << " out of range for rank " << type.getRank();
  int64_t d = type.getDimSize(axis);
  if (!ShapedType::isDynamic(d) && d != getRotation().getOrder())
    return emitOpError("(C2) dimension ")
           << axis << " has size " << d << " but the rotation has order "
           << getRotation().getOrder();
  return success();
}

/// Applies `r` to every fibre of `data` (row-major `shape`) along `axis`.
static void rotateAlongAxis(std::vector<double> &data,
                            const std::vector<int64_t> &shape, int64_t axis,
                            RotationAttrInterface r) {
  num::AxisView v = num::AxisView::of(shape, int(axis));
  if (v.inner == 1) {
    r.applyToRows(data.data(), v.outer, false);
    return;
  }
  std::vector<double> buf(static_cast<size_t>(v.dim * v.inner));
  for (int64_t o = 0; o < v.outer; ++o) {
    double *blk = data.data() + o * v.dim * v.inner;
    for (int64_t d = 0; d < v.dim; ++d)
      for (int64_t i = 0; i < v.inner; ++i)
        buf[size_t(i * v.dim + d)] = blk[d * v.inner + i];
    r.applyToRows(buf.data(), v.inner, false);
    for (int64_t d = 0; d < v.dim; ++d)
      for (int64_t i = 0; i < v.inner; ++i)
        blk[d * v.inner + i] = buf[size_t(i * v.dim + d)];
  }
}

OpFoldResult RotateOp::fold(FoldAdaptor adaptor) {
  auto input = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  auto shape = staticShape(getType().getShape());
  if (!input || !shape)
    return {};
  std::vector<double> data;
  data.reserve(size_t(numElements(*shape)));
  for (float f : input.getValues<float>())
    data.push_back(double(f));
  rotateAlongAxis(data, *shape, getAxis(), getRotation());
  std::vector<float> out(data.begin(), data.end());
  return DenseElementsAttr::get(getType(), ArrayRef<float>(out));
}

namespace {
/// True when `b` is the transpose of `a` (so a then b is the identity).
bool cancels(Attribute a, Attribute b) {
  if (auto t = llvm::dyn_cast<TransposeAttr>(b))
    if (t.getRotation() == a)
      return true;
  if (auto t = llvm::dyn_cast<TransposeAttr>(a))
    if (t.getRotation() == b)
      return true;
  // A permutation's transpose may be spelled as the inverse permutation.
  auto pa = llvm::dyn_cast<PermutationAttr>(a),
       pb = llvm::dyn_cast<PermutationAttr>(b);
  if (pa && pb && pa.getPerm().size() == pb.getPerm().size()) {
    for (size_t j = 0; j < pb.getPerm().size(); ++j)
      if (pa.getPerm()[size_t(pb.getPerm()[j])] != int64_t(j))
        return false;
    return true;
  }
  return false;
}

/// rotate(rotate(x, A), B) along one axis: cancel, merge permutations, or
/// compose into one rotation sequence.
struct ComposeRotations : public OpRewritePattern<RotateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RotateOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<RotateOp>();
    if (!inner || inner.getAxis() != op.getAxis())
      return failure();
    Attribute a = inner.getRotation(), b = op.getRotation();
    if (cancels(a, b)) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    if (!inner->hasOneUse())
      return failure();
    Attribute composed;
    auto pa = llvm::dyn_cast<PermutationAttr>(a),
         pb = llvm::dyn_cast<PermutationAttr>(b);
    if (pa && pb) {
      // (x P_A P_B)[j] = x[A[B[j]]].
      SmallVector<int64_t> c;
      for (int64_t j : pb.getPerm())
        c.push_back(pa.getPerm()[size_t(j)]);
      composed = PermutationAttr::get(getContext(), c);
    } else {
      SmallVector<Attribute> seq;
      for (Attribute r : {a, b}) {
        if (auto s = llvm::dyn_cast<RotationSeqAttr>(r))
          llvm::append_range(seq, s.getRotations());
        else
          seq.push_back(r);
      }
      composed = RotationSeqAttr::get(getContext(), seq);
    }
    rewriter.replaceOpWithNewOp<RotateOp>(
        op, op.getType(), inner.getInput(),
        llvm::cast<RotationAttrInterface>(composed), op.getAxisAttr());
    return success();
  }
};
} // namespace

void RotateOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<ComposeRotations>(context);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// The constraints qc.linear and qc.conv share, (C2)-(C5): integer formats,
/// a symmetric weight, a 2-64-bit accumulator, a bias of `channels`
/// accumulator values (`name`: N or M), an input zero point iff the input
/// is asymmetric, and then per tensor.
static LogicalResult
verifyIntegerAccumulation(Operation *op, QTensorType x, QTensorType w,
                          RankedTensorType result, Value bias, Value zeroPoint,
                          int64_t channels, StringRef name) {
  if (!llvm::isa<IntFormatAttr>(x.getFormat()) ||
      !llvm::isa<IntFormatAttr>(w.getFormat()))
    return op->emitOpError("(C2) ")
           << op->getName() << " needs integer formats";
  if (w.getScheme().getAsymmetric())
    return op->emitOpError("(C2) the weight scheme must be symmetric");
  unsigned bits = result.getElementTypeBitWidth();
  if (bits < 2 || bits > 64)
    return op->emitOpError("(C3) accumulator must have 2 to 64 bits, got ")
           << bits;
  if (bias) {
    auto bt = llvm::cast<RankedTensorType>(bias.getType());
    if (bt.getRank() != 1 || bt.getElementType() != result.getElementType() ||
        failed(verifyCompatibleShape(bt.getShape(), {channels})))
      return op->emitOpError("(C4) bias must be [")
             << name << "] of the accumulator type";
  }
  bool asym = x.getScheme().getAsymmetric();
  if (asym != bool(zeroPoint))
    return op->emitOpError("(C5) input_zero_point is required iff the input "
                           "scheme is asymmetric");
  if (asym && x.getScheme().getGranularity() != Granularity::per_tensor)
    return op->emitOpError("(C5) an asymmetric input must be per_tensor");
  return success();
}

LogicalResult LinearOp::verify() {
  QTensorType x = getInput().getType(), w = getWeight().getType();
  auto result = getType();
  if (x.getRank() < 1 || w.getRank() != 2)
    return emitOpError("(C1) input must be [..., K] and weight [N, K]");
  int64_t k = x.getShape().back(), kw = w.getShape()[1], n = w.getShape()[0];
  if (failed(verifyCompatibleShape({k}, {kw})))
    return emitOpError("(C1) input has K = ")
           << k << " but weight has K = " << kw;
  SmallVector<int64_t> expected(x.getShape().drop_back());
  expected.push_back(n);
  if (failed(verifyCompatibleShape(result.getShape(), expected)))
    return emitOpError("(C1) result must have shape [")
           << expected << "], got [" << result.getShape() << "]";
  return verifyIntegerAccumulation(*this, x, w, result, getBias(),
                                   getInputZeroPoint(), n, "N");
}

void qc::linearAccumulate(const num::Format &xf, const num::Format &wf,
                          const uint32_t *x, const uint32_t *w, int64_t m,
                          int64_t n, int64_t k, int64_t zx, const int64_t *bias,
                          unsigned bits, int64_t *out) {
  unsigned up = 64 - bits;
  num::parallelFor(m, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < n; ++j) {
        // Unsigned arithmetic, so the wrap to `bits` bits is modular.
        uint64_t acc = bias ? uint64_t(bias[j]) : 0;
        for (int64_t t = 0; t < k; ++t)
          acc += uint64_t((xf.codeToInt(x[i * k + t]) - zx) *
                          wf.codeToInt(w[j * k + t]));
        out[i * n + j] = int64_t(acc << up) >> up;
      }
  });
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  QTensorType x = getInput().getType(), w = getWeight().getType();
  auto result = getType();
  if (x.getRank() != 4 || w.getRank() != 4 || result.getRank() != 4)
    return emitOpError("(C1) input, weight and result must be 4-D "
                       "([N, C, H, W], [M, C/G, kH, kW], [N, M, oH, oW])");
  ArrayRef<int64_t> s = getStrides(), p = getPads(), d = getDilations();
  int64_t g = getGroup();
  if (s.size() != 2 || d.size() != 2 || p.size() != 4 ||
      llvm::any_of(s, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(d, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(p, [](int64_t v) { return v < 0; }))
    return emitOpError("(C6) strides and dilations must be 2 positive "
                       "values and pads 4 non-negative ones");
  ArrayRef<int64_t> xs = x.getShape(), ws = w.getShape();
  if (llvm::any_of(xs, ShapedType::isDynamic) ||
      llvm::any_of(ws, ShapedType::isDynamic))
    return emitOpError("(C1) input and weight shapes must be static");
  if (g < 1 || xs[1] % g || ws[0] % g)
    return emitOpError("(C6) channels ")
           << xs[1] << " and " << ws[0] << " are not multiples of group " << g;
  if (ws[1] * g != xs[1])
    return emitOpError("(C1) the weight has ")
           << ws[1] << " input channels per group, expected " << xs[1] / g;
  auto size = [](int64_t in, int64_t lo, int64_t hi, int64_t k, int64_t st,
                 int64_t dil) {
    return (in + lo + hi - dil * (k - 1) - 1) / st + 1;
  };
  SmallVector<int64_t> expected{xs[0], ws[0],
                                size(xs[2], p[0], p[2], ws[2], s[0], d[0]),
                                size(xs[3], p[1], p[3], ws[3], s[1], d[1])};
  if (expected[2] <= 0 || expected[3] <= 0 ||
      failed(verifyCompatibleShape(result.getShape(), expected)))
    return emitOpError("(C1) result must have shape [")
           << expected << "], got [" << result.getShape() << "]";
  return verifyIntegerAccumulation(*this, x, w, result, getBias(),
                                   getInputZeroPoint(), ws[0], "M");
}

void qc::convAccumulate(const num::Format &xf, const num::Format &wf,
                        const uint32_t *x, const uint32_t *w,
                        ArrayRef<int64_t> xShape, ArrayRef<int64_t> wShape,
                        ArrayRef<int64_t> outHW, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                        int64_t group, int64_t zx, const int64_t *bias,
                        unsigned bits, int64_t *out) {
  int64_t c = xShape[1], h = xShape[2], wd = xShape[3];
  int64_t m = wShape[0], cg = wShape[1], kh = wShape[2], kw = wShape[3];
  int64_t mg = m / group, oh = outHW[0], ow = outHW[1];
  unsigned up = 64 - bits;
  num::parallelFor(xShape[0] * m, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t n = t / m, mi = t % m, first = mi / mg * cg;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          // Unsigned arithmetic, so the wrap to `bits` bits is modular.
          uint64_t acc = bias ? uint64_t(bias[mi]) : 0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t u = 0; u < kh; ++u) {
              int64_t yy = i * strides[0] - pads[0] + u * dilations[0];
              if (yy < 0 || yy >= h)
                continue;
              for (int64_t v = 0; v < kw; ++v) {
                int64_t xx = j * strides[1] - pads[1] + v * dilations[1];
                if (xx < 0 || xx >= wd)
                  continue;
                int64_t xv =
                    xf.codeToInt(x[((n * c + first + ci) * h + yy) * wd + xx]) -
                    zx;
                int64_t wv =
                    wf.codeToInt(w[((mi * cg + ci) * kh + u) * kw + v]);
                acc += uint64_t(xv * wv);
              }
            }
          out[(t * oh + i) * ow + j] = int64_t(acc << up) >> up;
        }
    }
  });
}

OpFoldResult LinearOp::fold(FoldAdaptor adaptor) {
  auto xa = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  auto wa = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getWeight());
  auto shape = staticShape(getType().getShape());
  if (!xa || !wa || !shape || (getBias() && !adaptor.getBias()) ||
      (getInputZeroPoint() && !adaptor.getInputZeroPoint()))
    return {};
  std::vector<uint32_t> xc = toCodes(xa), wc = toCodes(wa);
  int64_t n = getWeight().getType().getShape()[0];
  int64_t k = getWeight().getType().getShape()[1];
  int64_t m = int64_t(xc.size()) / k;
  int64_t zx = 0;
  if (auto z = llvm::dyn_cast_or_null<DenseElementsAttr>(
          adaptor.getInputZeroPoint()))
    zx = (*z.getValues<APInt>().begin()).getSExtValue();
  std::vector<int64_t> bias;
  if (auto b = llvm::dyn_cast_or_null<DenseElementsAttr>(adaptor.getBias()))
    for (const APInt &v : b.getValues<APInt>())
      bias.push_back(v.getSExtValue());
  unsigned p = getType().getElementTypeBitWidth();
  std::vector<int64_t> acc(static_cast<size_t>(m * n));
  linearAccumulate(getInput().getType().getNumericFormat(),
                   getWeight().getType().getNumericFormat(), xc.data(),
                   wc.data(), m, n, k, zx, bias.empty() ? nullptr : bias.data(),
                   p, acc.data());
  std::vector<APInt> out;
  out.reserve(acc.size());
  for (int64_t v : acc)
    out.emplace_back(p, uint64_t(v), /*isSigned=*/true);
  return DenseElementsAttr::get(getType(), out);
}

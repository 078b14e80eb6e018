//===- Quantize.h - Bulk quantization over tensors --------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Scaled quantization of whole row-major float32 tensors: per tensor, per
// axis and per block, OCP MX block formats and NVFP4, and packing of sub-byte
// codes. Large tensors are processed on all hardware threads; results do not
// depend on the thread count (stochastic rounding is counter based).
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_QUANTIZE_H
#define QC_SUPPORT_NUMERICS_QUANTIZE_H

#include "qc/Support/Numerics/Format.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace qc::num {

/// How scales are shared across a tensor.
enum class Granularity : uint8_t { PerTensor, PerAxis, PerBlock };

/// A quantization scheme over a row-major tensor.
struct Scheme {
  Granularity granularity = Granularity::PerTensor;
  /// Axis of PerAxis / PerBlock.
  int axis = 0;
  /// Elements per block along `axis` (PerBlock); the last block of a
  /// dimension that is not a multiple is partial.
  int64_t blockSize = 0;
};

/// A tensor seen as [outer, dim, inner] around one axis.
struct AxisView {
  int64_t outer = 1, dim = 1, inner = 1;
  static AxisView of(const std::vector<int64_t> &shape, int axis);
  int64_t size() const { return outer * dim * inner; }
};

/// The scales of a scheme over a row-major tensor of `shape`: which scale
/// each element uses, numbered in the row-major order of the scale tensor
/// (scaleShape), and the elements that share one.
struct ScaleMap {
  AxisView view; ///< [outer, dim, inner] (per tensor: [1, size, 1])
  Granularity g;
  int64_t blockSize = 1, numBlocks = 1;

  ScaleMap(const std::vector<int64_t> &shape, const Scheme &s);
  /// Scale index of the element at (o, d, i) of the view.
  int64_t index(int64_t o, int64_t d, int64_t i) const {
    switch (g) {
    case Granularity::PerTensor:
      return 0;
    case Granularity::PerAxis:
      return d;
    case Granularity::PerBlock:
      return (o * numBlocks + d / blockSize) * view.inner + i;
    }
    return 0;
  }
  /// Number of scales.
  int64_t count() const;
  /// The elements of `x` that use scale `s`, in row-major order.
  void gather(const float *x, int64_t s, std::vector<float> &out) const;
};

/// Shape of the scale (and zero point) tensor of `scheme` for `shape`.
std::vector<int64_t> scaleShape(const std::vector<int64_t> &shape,
                                const Scheme &scheme);

/// Quantizes x into codes of `fmt`: code = encode(fl32(x / s)) for floats
/// and fixed point; for integers q = round(fl32(x / s)) + zp saturated to
/// the range (ONNX QuantizeLinear order: round, then add the zero point).
/// `zeroPoints` may be null (all zero). `seed` drives stochastic rounding:
/// element i uses stochasticBits(seed, i).
void quantize(const float *x, const std::vector<int64_t> &shape,
              const Scheme &scheme, const float *scales,
              const int32_t *zeroPoints, const Format &fmt, Rounding mode,
              uint64_t seed, uint32_t *codes);

/// The same into 8-bit code storage (fmt.bits() <= 8).
void quantize(const float *x, const std::vector<int64_t> &shape,
              const Scheme &scheme, const float *scales,
              const int32_t *zeroPoints, const Format &fmt, Rounding mode,
              uint64_t seed, uint8_t *codes);

/// Dequantizes: fl32(fl32(q - zp) * s) for integers, fl32(decode(q) * s)
/// otherwise.
void dequantize(const uint32_t *codes, const std::vector<int64_t> &shape,
                const Scheme &scheme, const float *scales,
                const int32_t *zeroPoints, const Format &fmt, float *out);
void dequantize(const uint8_t *codes, const std::vector<int64_t> &shape,
                const Scheme &scheme, const float *scales,
                const int32_t *zeroPoints, const Format &fmt, float *out);

/// Scales that map the absolute maximum of each scale group onto the
/// largest value of `fmt` (symmetric, zero point 0); a group of zeros gets
/// scale 1.
std::vector<float> absmaxScales(const float *x,
                                const std::vector<int64_t> &shape,
                                const Scheme &scheme, const Format &fmt);

/// Asymmetric integer scales from min/max per scale group (range widened to
/// include 0): s = (max - min) / (qmax - qmin), zp = clamp(qmin -
/// round_half_even(min / s)); a constant group gets s = 1, zp = 0.
void minMaxScales(const float *x, const std::vector<int64_t> &shape,
                  const Scheme &scheme, const Format &fmt, float *scales,
                  int32_t *zeroPoints);

/// Effective float scales of scale codes stored in a minifloat scale format:
/// fl32(decode(code) * globalScale).
std::vector<float> decodeScales(const uint32_t *codes, size_t n,
                                const FloatFormat &scaleFormat,
                                float globalScale);

//===----------------------------------------------------------------------===//
// OCP Microscaling (MX) and NVFP4
//===----------------------------------------------------------------------===//

/// The element formats of the OCP MX specification v1.0.
enum class MXElement : uint8_t {
  FP8E4M3,
  FP8E5M2,
  FP6E2M3,
  FP6E3M2,
  FP4E2M1,
  INT8
};

/// An MX block format: elements, their largest normal exponent (emax_elem)
/// and the block size (32 in the specification).
struct MXFormat {
  MXElement element = MXElement::FP4E2M1;
  int64_t blockSize = 32;

  /// The saturating element format (MXINT8: fixed point 8.6, narrow).
  Format elementFormat() const;
  /// emax_elem of the specification (E4M3: 8, E5M2: 15, E3M2: 4, E2M3: 2,
  /// E2M1: 2, INT8: 0).
  int emaxElem() const;
  /// Effective bits per element including the shared 8-bit scale.
  double bitsPerElement() const;
  /// "mxfp8e4m3", "mxfp8e5m2", "mxfp6e2m3", "mxfp6e3m2", "mxfp4", "mxint8".
  const char *name() const;
};

/// OCP MX quantization along `axis`: per block, shared_exp =
/// floor(log2(max|v|)) - emax_elem clamped to [-127, 127]; scale code =
/// shared_exp + 127 (E8M0); elements = encode_sat(v / 2^shared_exp). A block
/// holding NaN or infinity gets the NaN scale 0xFF and zero elements; an
/// all-zero block gets scale code 0.
void mxQuantize(const float *x, const std::vector<int64_t> &shape, int axis,
                const MXFormat &fmt, Rounding mode, uint64_t seed,
                uint8_t *elements, uint8_t *scales);

/// The shared-scale rule of mxQuantize alone: E8M0 codes for the blocks of
/// `blockSize` along `axis` for an element format whose largest normal
/// exponent is `emaxElem`.
void mxScales(const float *x, const std::vector<int64_t> &shape, int axis,
              int64_t blockSize, int emaxElem, uint8_t *scales);

/// Largest normal exponent of an element format (floor(log2(max value))).
int emaxOf(const Format &element);

/// Two-level scales generalizing NVFP4 to any element / scale format pair:
/// global = amax(x) / (max(elem) * max(scaleFmt)) (1 when amax is 0), block
/// code = encode_sat(fl32(amax_b / max(elem)) / global). Returns global.
float twoLevelScales(const float *x, const std::vector<int64_t> &shape,
                     int axis, int64_t blockSize, const Format &element,
                     const FloatFormat &scaleFormat, uint32_t *scales);

/// Inverse of mxQuantize: decode(element) * 2^(scale - 127); NaN for scale
/// 0xFF.
void mxDequantize(const uint8_t *elements, const uint8_t *scales,
                  const std::vector<int64_t> &shape, int axis,
                  const MXFormat &fmt, float *out);

/// NVFP4: E2M1 elements in blocks of 16 with an E4M3 block scale and a
/// float32 tensor scale. If `tensorScale` <= 0 it is computed as
/// amax(x) / (6 * 448) (1 when amax is 0) and returned through
/// `tensorScaleOut`. Block scale code = encode_e4m3_sat(fl32(amax_b / 6) /
/// tensorScale); elements = encode_e2m1_sat(fl32(v / fl32(s_b * tensorScale)))
/// (zero when the effective scale is zero).
void nvfp4Quantize(const float *x, const std::vector<int64_t> &shape, int axis,
                   float tensorScale, Rounding mode, uint64_t seed,
                   uint8_t *elements, uint8_t *scales, float *tensorScaleOut);

/// Inverse of nvfp4Quantize: fl32(e2m1(e) * fl32(e4m3(s) * tensorScale)).
void nvfp4Dequantize(const uint8_t *elements, const uint8_t *scales,
                     const std::vector<int64_t> &shape, int axis,
                     float tensorScale, float *out);

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// Bytes needed for `n` codes of `bits` bits.
inline size_t packedBytes(size_t n, unsigned bits) {
  return (n * bits + 7) / 8;
}

/// Packs `n` codes of `bits` (1-32) bits into a little-endian bit stream:
/// code i occupies bits [i*bits, (i+1)*bits), so for 4-bit codes element 0
/// is the low nibble of byte 0 (the ONNX int4 order).
void packBits(const uint32_t *codes, size_t n, unsigned bits, uint8_t *out);
void packBits(const uint8_t *codes, size_t n, unsigned bits, uint8_t *out);

/// Inverse of packBits.
void unpackBits(const uint8_t *in, size_t n, unsigned bits, uint32_t *codes);
void unpackBits(const uint8_t *in, size_t n, unsigned bits, uint8_t *codes);

//===----------------------------------------------------------------------===//
// Threading
//===----------------------------------------------------------------------===//

/// Runs body(begin, end) over [0, n) in chunks on up to the hardware thread
/// count; serial when n < grain.
void parallelFor(int64_t n, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body);

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_QUANTIZE_H

//===- Numerics.cpp - C API over QuantC numerics --------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Thin wrappers: argument checking and conversion only.
//
//===----------------------------------------------------------------------===//

#include "qc-c/Numerics.h"

#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Quantize.h"

#include <cstring>

using namespace qc::num;

static bool toRounding(int r, Rounding &out) {
  if (r < 0 || r > 5)
    return false;
  out = Rounding(r);
  return true;
}

static bool toMX(const char *name, int64_t block, MXFormat &out) {
  static const std::pair<const char *, MXElement> names[] = {
      {"fp8e4m3", MXElement::FP8E4M3}, {"fp8e5m2", MXElement::FP8E5M2},
      {"fp6e2m3", MXElement::FP6E2M3}, {"fp6e3m2", MXElement::FP6E3M2},
      {"fp4e2m1", MXElement::FP4E2M1}, {"int8", MXElement::INT8}};
  for (auto &[n, e] : names)
    if (name && std::strcmp(name, n) == 0 && block > 0) {
      out.element = e;
      out.blockSize = block;
      return true;
    }
  return false;
}

int qcFormatBits(const char *format) {
  auto f = format ? Format::parse(format) : std::nullopt;
  return f ? int(f->bits()) : -1;
}

int qcEncode(const char *format, const double *x, size_t n, int rounding,
             uint64_t seed, uint32_t *codes) {
  auto f = format ? Format::parse(format) : std::nullopt;
  Rounding mode;
  if (!f || !toRounding(rounding, mode))
    return -1;
  for (size_t i = 0; i < n; ++i)
    codes[i] = f->encode(x[i], mode, stochasticBits(seed, i));
  return 0;
}

int qcDecode(const char *format, const uint32_t *codes, size_t n, double *out) {
  auto f = format ? Format::parse(format) : std::nullopt;
  if (!f)
    return -1;
  for (size_t i = 0; i < n; ++i)
    out[i] = f->decode(codes[i]);
  return 0;
}

int qcMXQuantize(const char *element, const float *x, int64_t rows,
                 int64_t cols, int64_t blockSize, int rounding,
                 uint8_t *elements, uint8_t *scales) {
  MXFormat fmt;
  Rounding mode;
  if (!toMX(element, blockSize, fmt) || !toRounding(rounding, mode) ||
      rows < 0 || cols <= 0)
    return -1;
  mxQuantize(x, {rows, cols}, 1, fmt, mode, 0, elements, scales);
  return 0;
}

int qcMXDequantize(const char *element, const uint8_t *elements,
                   const uint8_t *scales, int64_t rows, int64_t cols,
                   int64_t blockSize, float *out) {
  MXFormat fmt;
  if (!toMX(element, blockSize, fmt) || rows < 0 || cols <= 0)
    return -1;
  mxDequantize(elements, scales, {rows, cols}, 1, fmt, out);
  return 0;
}

int qcNVFP4Quantize(const float *x, int64_t rows, int64_t cols,
                    float tensorScale, uint8_t *elements, uint8_t *scales,
                    float *tensorScaleOut) {
  if (rows < 0 || cols <= 0)
    return -1;
  nvfp4Quantize(x, {rows, cols}, 1, tensorScale, Rounding::NearestEven, 0,
                elements, scales, tensorScaleOut);
  return 0;
}

int qcNVFP4Dequantize(const uint8_t *elements, const uint8_t *scales,
                      int64_t rows, int64_t cols, float tensorScale,
                      float *out) {
  if (rows < 0 || cols <= 0)
    return -1;
  nvfp4Dequantize(elements, scales, {rows, cols}, 1, tensorScale, out);
  return 0;
}

int qcHadamardMatrix(int64_t n, int8_t *out) {
  std::vector<int8_t> h = hadamardMatrix(n);
  if (h.empty())
    return -1;
  std::memcpy(out, h.data(), h.size());
  return 0;
}

/*===- Numerics.h - C API over QuantC numerics --------------------*- C -*-===*\
|*                                                                            *|
|* Part of the QuantC project.                                                *|
|*                                                                            *|
|* A small, stable C interface to Support/Numerics for bindings (the Python   *|
|* package loads it with ctypes). Functions return 0 on success and a         *|
|* negative value on bad arguments (unknown format name, bad sizes).          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QC_C_NUMERICS_H
#define QC_C_NUMERICS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rounding modes, in qc::num::Rounding order. */
enum {
  QC_ROUND_NEAREST_EVEN = 0,
  QC_ROUND_NEAREST_AWAY = 1,
  QC_ROUND_TOWARD_ZERO = 2,
  QC_ROUND_FLOOR = 3,
  QC_ROUND_CEIL = 4,
  QC_ROUND_STOCHASTIC = 5
};

/* Width in bits of a named format (see qc::num::Format::parse), or -1. */
int qcFormatBits(const char *format);

/* codes[i] = encode(x[i]) (no scale); stochastic bits from (seed, i). */
int qcEncode(const char *format, const double *x, size_t n, int rounding,
             uint64_t seed, uint32_t *codes);

/* out[i] = decode(codes[i]). */
int qcDecode(const char *format, const uint32_t *codes, size_t n, double *out);

/* OCP MX along the last axis of a rows x cols tensor. `element` is one of
   fp8e4m3, fp8e5m2, fp6e2m3, fp6e3m2, fp4e2m1, int8. */
int qcMXQuantize(const char *element, const float *x, int64_t rows,
                 int64_t cols, int64_t blockSize, int rounding,
                 uint8_t *elements, uint8_t *scales);
int qcMXDequantize(const char *element, const uint8_t *elements,
                   const uint8_t *scales, int64_t rows, int64_t cols,
                   int64_t blockSize, float *out);

/* NVFP4 along the last axis; tensorScale <= 0 computes it. */
int qcNVFP4Quantize(const float *x, int64_t rows, int64_t cols,
                    float tensorScale, uint8_t *elements, uint8_t *scales,
                    float *tensorScaleOut);
int qcNVFP4Dequantize(const uint8_t *elements, const uint8_t *scales,
                      int64_t rows, int64_t cols, float tensorScale,
                      float *out);

/* Dense n x n +-1 Hadamard matrix H_K (x) H_2^m; -1 if n has none. */
int qcHadamardMatrix(int64_t n, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* QC_C_NUMERICS_H */

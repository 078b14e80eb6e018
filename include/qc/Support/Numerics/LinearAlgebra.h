//===- LinearAlgebra.h - Dense double-precision kernels ---------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The dense linear algebra that compile-time quantization needs on matrices
// as large as a layer's input Hessian (K x K with K up to the MLP width, e.g.
// 11008): a cache-blocked, register-tiled, threaded C -= A B, and the
// blocked Cholesky factorization and triangular inverse built on it, so that
// their O(K^3) work runs at matrix-multiply speed rather than at the speed
// of one memory stream per row.
//
// Every product term is one fused multiply-add in a fixed order whatever
// the host ISA, so results are the same bits on every x86-64 machine.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_LINEARALGEBRA_H
#define QC_SUPPORT_NUMERICS_LINEARALGEBRA_H

#include <cstdint>

namespace qc::num {

/// The parts of a product that gemmSubtract needs to touch.
enum class GemmShape {
  /// Every entry of C and of A.
  General,
  /// Only C's lower triangle (column <= row) is wanted: tiles wholly above
  /// the diagonal are skipped; entries just above it, inside tiles that
  /// straddle it, are updated as well.
  LowerC,
  /// A is square (m == k) and lower triangular: for row i only A[i][0..i]
  /// contributes. Entries above A's diagonal inside a row tile are still
  /// read and must hold zero.
  LowerA,
};

/// C -= A * op(B). A is m x k with row stride `lda`; op(B) is k x n: B
/// itself (k x n, row stride `ldb`) or, with `transB`, the transpose of the
/// n x k matrix B. C is m x n with row stride `ldc` and must not overlap A
/// or B. Row tiles of C are split over the hardware threads.
void gemmSubtract(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                  const double *b, int64_t ldb, bool transB, double *c,
                  int64_t ldc, GemmShape shape = GemmShape::General);

/// sum_k x[k] y[k] over `len` values, in 8 interleaved partial sums (they
/// vectorize; one running sum would be a chain of dependent adds).
double dot(const double *x, const double *y, int64_t len);

/// The kernels gemmSubtract picks from, by the host's ISA.
enum class GemmIsa { Baseline, Fma, Avx512 };

/// Caps the kernel gemmSubtract uses at `isa` (tests run every kernel on one
/// host this way); returns the previous cap. All kernels give the same bits.
GemmIsa limitGemmIsa(GemmIsa isa);

/// In-place Cholesky factorization of the symmetric n x n row-major matrix
/// `a` (its lower triangle is read): `a` becomes the lower factor L with
/// a = L L^T, and its upper triangle is zeroed. Returns false when a pivot
/// is not positive (`a` is not positive definite); `a` is then partly
/// overwritten.
bool choleskyLower(double *a, int64_t n);

/// In-place inverse of the non-singular lower triangular n x n row-major
/// matrix `l`, whose upper triangle must be zero (and stays zero).
void invertLowerTriangular(double *l, int64_t n);

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_LINEARALGEBRA_H

//===- Hadamard.h - Hadamard matrices and fast transforms -------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Hadamard matrices of order n = K * 2^m, H_n = H_K (x) H_{2^m}, for the base
// orders K used by QuaRot-style rotations, and the fast transform that applies
// them in O(n log n + n K) without forming H_n.
//
//===----------------------------------------------------------------------===//

#ifndef QC_SUPPORT_NUMERICS_HADAMARD_H
#define QC_SUPPORT_NUMERICS_HADAMARD_H

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace qc::num {

/// The base orders K with a K x K Hadamard matrix: 1, 12, 20, 28, 36, 40, 44,
/// 52, 60, 108, 140, 152, 156, 172.
const std::vector<int64_t> &hadamardBaseOrders();

/// Splits n = K * 2^m with K a base order, choosing the smallest K.
std::optional<std::pair<int64_t, unsigned>> factorHadamardOrder(int64_t n);

/// The K x K +-1 base matrix, row major. K must be a base order.
/// Constructions: Paley I (K-1 a prime = 3 mod 4: 12, 20, 44, 60, 108, 140,
/// 152), Paley II (K/2-1 a prime power = 1 mod 4: 28, 36, 52 over GF(25)),
/// Sylvester doubling (40 = 2 * 20), Baumert-Hall with four 13 x 13
/// circulants (156) and Williamson with circulants of order 43 (172).
const std::vector<int8_t> &hadamardBase(int64_t k);

/// The dense n x n +-1 matrix H_K (x) H_{2^m} (for tests and references).
std::vector<int8_t> hadamardMatrix(int64_t n);

/// In place y = x * H (or x * H^T when `transpose`) for `rows` contiguous row
/// vectors of length n, then multiplied by `scale` (1/sqrt(n) makes it
/// orthonormal). n must factor as K * 2^m.
template <typename T>
void hadamardTransformRows(T *x, int64_t rows, int64_t n, bool transpose,
                           double scale);

/// The same transform applied to every column of an n x cols block of a
/// row-major matrix with row stride `stride` (each column, as a row vector
/// c, becomes c H, scaled): the butterflies combine whole row segments, so
/// the work is contiguous and needs no transpose. Callers tile wide
/// matrices into blocks of a few dozen columns to stay in cache.
template <typename T>
void hadamardTransformColumns(T *x, int64_t n, int64_t cols, int64_t stride,
                              bool transpose, double scale);

} // namespace qc::num

#endif // QC_SUPPORT_NUMERICS_HADAMARD_H

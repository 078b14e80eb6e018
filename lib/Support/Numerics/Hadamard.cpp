//===- Hadamard.cpp - Hadamard matrices and fast transforms ---------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Base matrices are constructed, not stored, wherever a classical
// construction exists (Paley I / II over GF(q)); the two orders without one
// among the base list (156, 172) are built from published circulant first
// rows (Baumert-Hall 1965; Williamson matrices of order 43 from Hall 1983).
// Every matrix is checked against H * H^T = K * I by the unit tests.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Multiversion.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <mutex>
#include <string>

using namespace qc::num;

namespace {
using Matrix = std::vector<int8_t>;

/// The finite field GF(p^k), k <= 3, elements encoded as base-p digits.
class GaloisField {
public:
  GaloisField(int p, int k) : p(p), k(k) {
    q = 1;
    for (int i = 0; i < k; ++i)
      q *= p;
    if (k > 1)
      findModulus();
    squares.assign(size_t(q), false);
    for (int a = 1; a < q; ++a)
      squares[size_t(mul(a, a))] = true;
  }
  int size() const { return q; }
  /// Quadratic character: 0, +1 for non-zero squares, -1 otherwise.
  int chi(int a) const { return a == 0 ? 0 : squares[size_t(a)] ? 1 : -1; }
  int sub(int a, int b) const {
    int r = 0, scale = 1;
    for (int i = 0; i < k; ++i, a /= p, b /= p, scale *= p)
      r += (((a % p) - (b % p) + p) % p) * scale;
    return r;
  }

private:
  int p, k, q;
  std::array<int, 4> modulus{}; // Monic: x^k + m[k-1] x^(k-1) + ... + m[0].
  std::vector<bool> squares;

  std::array<int, 4> digits(int a) const {
    std::array<int, 4> d{};
    for (int i = 0; i < k; ++i, a /= p)
      d[size_t(i)] = a % p;
    return d;
  }
  int mul(int a, int b) const {
    if (k == 1)
      return int((int64_t(a) * b) % p);
    std::array<int, 8> prod{};
    auto da = digits(a), db = digits(b);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        prod[size_t(i + j)] =
            (prod[size_t(i + j)] + da[size_t(i)] * db[size_t(j)]) % p;
    // Reduce with x^k = -(m[k-1] x^(k-1) + ... + m[0]).
    for (int d = 2 * k - 2; d >= k; --d) {
      int c = prod[size_t(d)];
      prod[size_t(d)] = 0;
      for (int i = 0; i < k; ++i)
        prod[size_t(d - k + i)] =
            ((prod[size_t(d - k + i)] - c * modulus[size_t(i)]) % p + p) % p;
    }
    int r = 0;
    for (int i = k - 1; i >= 0; --i)
      r = r * p + prod[size_t(i)];
    return r;
  }
  /// A monic polynomial of degree k <= 3 without roots is irreducible.
  void findModulus() {
    for (int code = 0; code < q; ++code) {
      auto m = digits(code);
      bool hasRoot = false;
      for (int x = 0; x < p && !hasRoot; ++x) {
        int v = 1;
        for (int i = k - 1; i >= 0; --i)
          v = (v * x + m[size_t(i)]) % p;
        hasRoot = v == 0;
      }
      if (!hasRoot) {
        modulus = m;
        return;
      }
    }
    assert(false && "no irreducible polynomial");
  }
};

/// Paley I: q = 3 mod 4, order q + 1, H = I + [[0, 1^T], [-1, Q]].
Matrix paleyI(int p, int k) {
  GaloisField f(p, k);
  int q = f.size(), n = q + 1;
  Matrix h(size_t(n) * size_t(n));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      int s;
      if (i == 0)
        s = j == 0 ? 0 : 1;
      else if (j == 0)
        s = -1;
      else
        s = f.chi(f.sub(i - 1, j - 1));
      h[size_t(i) * size_t(n) + size_t(j)] = int8_t(s + (i == j ? 1 : 0));
    }
  return h;
}

/// Paley II: q = 1 mod 4, order 2(q + 1), from the symmetric conference
/// matrix C = [[0, 1^T], [1, Q]]: 0 -> [[1,-1],[-1,-1]], +-1 ->
/// +-[[1,1],[1,-1]].
Matrix paleyII(int p, int k) {
  GaloisField f(p, k);
  int q = f.size(), c = q + 1, n = 2 * c;
  Matrix h(size_t(n) * size_t(n));
  for (int i = 0; i < c; ++i)
    for (int j = 0; j < c; ++j) {
      int s =
          (i == 0 || j == 0) ? (i == j ? 0 : 1) : f.chi(f.sub(i - 1, j - 1));
      int blk[2][2];
      if (s == 0) {
        blk[0][0] = 1, blk[0][1] = -1, blk[1][0] = -1, blk[1][1] = -1;
      } else {
        blk[0][0] = s, blk[0][1] = s, blk[1][0] = s, blk[1][1] = -s;
      }
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          h[size_t(2 * i + a) * size_t(n) + size_t(2 * j + b)] =
              int8_t(blk[a][b]);
    }
  return h;
}

/// Sylvester doubling [[H, H], [H, -H]].
Matrix doubled(const Matrix &base, int k) {
  int n = 2 * k;
  Matrix h(size_t(n) * size_t(n));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      int8_t v = base[size_t(i % k) * size_t(k) + size_t(j % k)];
      h[size_t(i) * size_t(n) + size_t(j)] =
          (i >= k && j >= k) ? int8_t(-v) : v;
    }
  return h;
}

/// Fills block (bi, bj) of an order-(blocks * m) matrix with the circulant
/// whose first row is `row` ('+' / '-'), negated when `neg`.
void putCirculant(Matrix &h, int n, int bi, int bj, const char *row, int m,
                  bool neg) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      int v = row[(j - i + m) % m] == '+' ? 1 : -1;
      h[size_t(bi * m + i) * size_t(n) + size_t(bj * m + j)] =
          int8_t(neg ? -v : v);
    }
}

/// An array of circulant blocks: `layout` has blocks^2 letters A-D, lower
/// case for a negated block; `rows` holds the four first rows.
Matrix blockCirculant(const char *layout, int blocks,
                      const std::array<const char *, 4> &rows, int m) {
  int n = blocks * m;
  Matrix h(size_t(n) * size_t(n));
  for (int bi = 0; bi < blocks; ++bi)
    for (int bj = 0; bj < blocks; ++bj) {
      char c = layout[bi * blocks + bj];
      bool neg = c >= 'a';
      int which = (neg ? c - 'a' : c - 'A');
      putCirculant(h, n, bi, bj, rows[size_t(which)], m, neg);
    }
  return h;
}

/// Baumert-Hall array of order 12 with circulants of order 13.
Matrix hadamard156() {
  static const char *layout = "AAABbCcdBCdd"
                              "AaBabdDcbdcc"
                              "AbaAdDbBcdCc"
                              "BAaaDDDCCbbc"
                              "BdDDAAACcBcB"
                              "BCdDAaCadCBb"
                              "DcBbAcaABCDd"
                              "cdcdCAaadBbb"
                              "DcbbbCCdAAAD"
                              "dbCCCBBdAaDa"
                              "CbcCDbdbAdaA"
                              "cddCcbBBDAaa";
  return blockCirculant(
      layout, 12,
      {"++--+-++-+--+", "+---++++++---", "+++-++--++-++", "++-+-++++-+-+"}, 13);
}

/// Williamson array [[A,B,C,D],[-B,A,-D,C],[-C,D,A,-B],[-D,-C,B,A]] with
/// the Williamson matrices of order 43.
Matrix hadamard172() {
  return blockCirculant("ABCDbAdCcDAbdcBA", 4,
                        {"++---++++-+--+--++--------++--+--+-++++---+",
                         "+++-+-++--+-+-++++-+----+-++++-+-+--++-+-++",
                         "++-++++++----+-+--++-++-++--+-+----++++++-+",
                         "+---++--++++-+-+++-++--++-+++-+-++++--++---"},
                        43);
}

Matrix buildBase(int64_t k) {
  switch (k) {
  case 1:
    return Matrix{1};
  case 12:
    return paleyI(11, 1);
  case 20:
    return paleyI(19, 1);
  case 28:
    return paleyII(13, 1);
  case 36:
    return paleyII(17, 1);
  case 40:
    return doubled(paleyI(19, 1), 20);
  case 44:
    return paleyI(43, 1);
  case 52:
    return paleyII(5, 2);
  case 60:
    return paleyI(59, 1);
  case 108:
    return paleyI(107, 1);
  case 140:
    return paleyI(139, 1);
  case 152:
    return paleyI(151, 1);
  case 156:
    return hadamard156();
  case 172:
    return hadamard172();
  default:
    return {};
  }
}
} // namespace

const std::vector<int64_t> &qc::num::hadamardBaseOrders() {
  static const std::vector<int64_t> orders = {1,  12, 20,  28,  36,  40,  44,
                                              52, 60, 108, 140, 152, 156, 172};
  return orders;
}

std::optional<std::pair<int64_t, unsigned>>
qc::num::factorHadamardOrder(int64_t n) {
  if (n <= 0)
    return std::nullopt;
  for (int64_t k : hadamardBaseOrders()) {
    if (n % k)
      continue;
    int64_t rest = n / k;
    if ((rest & (rest - 1)) == 0)
      return std::make_pair(k, unsigned(__builtin_ctzll(uint64_t(rest))));
  }
  return std::nullopt;
}

const std::vector<int8_t> &qc::num::hadamardBase(int64_t k) {
  static std::mutex mu;
  static std::map<int64_t, Matrix> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(k);
  if (it == cache.end())
    it = cache.emplace(k, buildBase(k)).first;
  return it->second;
}

std::vector<int8_t> qc::num::hadamardMatrix(int64_t n) {
  auto f = factorHadamardOrder(n);
  if (!f)
    return {};
  auto [k, m] = *f;
  const Matrix &hk = hadamardBase(k);
  int64_t p = int64_t(1) << m;
  Matrix h(size_t(n) * size_t(n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      // H_{2^m}[b][d] = (-1)^popcount(b & d).
      int64_t a = i / p, b = i % p, c = j / p, d = j % p;
      int s = __builtin_popcountll(uint64_t(b & d)) & 1 ? -1 : 1;
      h[size_t(i * n + j)] = int8_t(s * hk[size_t(a * k + c)]);
    }
  return h;
}

namespace {
/// (u, v) <- (u + v, u - v), elementwise over n values.
template <typename T>
QC_ALWAYS_INLINE void butterflyImpl(T *u, T *v, int64_t n) {
  for (int64_t c = 0; c < n; ++c) {
    T s = u[c], t = v[c];
    u[c] = s + t;
    v[c] = s - t;
  }
}

/// Up to three butterfly stages at once (radix 2^stages) over the vectors
/// v_k = base + k * step, k < 2^stages, each of `len` contiguous values:
/// stage s pairs v_k with v_{k + 2^s}. Each value is loaded and stored once
/// for all the stages; the additions are those of the stages one by one, so
/// the result is bit for bit that of the radix-2 butterflies.
template <typename T, int Stages>
QC_ALWAYS_INLINE void radixPassImpl(T *base, int64_t step, int64_t len) {
  constexpr int R = 1 << Stages;
  for (int64_t c = 0; c < len; ++c) {
    T v[R];
    for (int k = 0; k < R; ++k)
      v[k] = base[k * step + c];
    for (int h = 1; h < R; h <<= 1)
      for (int k = 0; k < R; ++k)
        if (!(k & h)) {
          T a = v[k], b = v[k + h];
          v[k] = a + b;
          v[k + h] = a - b;
        }
    for (int k = 0; k < R; ++k)
      base[k * step + c] = v[k];
  }
}

template <typename T>
QC_ALWAYS_INLINE void radixPassDispatch(T *base, int64_t step, int64_t len,
                                        int stages) {
  switch (stages) {
  case 1:
    return radixPassImpl<T, 1>(base, step, len);
  case 2:
    return radixPassImpl<T, 2>(base, step, len);
  default:
    return radixPassImpl<T, 3>(base, step, len);
  }
}

/// The number of stages (at most three) of the next sweep from stage h of
/// a length-p transform.
inline int sweepStages(int64_t h, int64_t p) {
  int stages = 0;
  while (stages < 3 && (h << stages) < p)
    ++stages;
  return stages;
}

/// The Walsh-Hadamard butterflies of one length-p segment (p a power of
/// two): the first three stages inside groups of eight, the others three
/// at a time over contiguous runs of h values.
template <typename T>
QC_ALWAYS_INLINE void walshHadamardImpl(T *seg, int64_t p) {
  int64_t h = 1;
  if (p >= 8) {
    for (int64_t g = 0; g < p; g += 8) {
      T *a = seg + g;
      for (int64_t j = 0; j < 8; j += 2)
        butterflyImpl(a + j, a + j + 1, 1);
      for (int64_t j = 0; j < 8; j += 4)
        butterflyImpl(a + j, a + j + 2, 2);
      butterflyImpl(a, a + 4, 4);
    }
    h = 8;
  }
  while (h < p) {
    int stages = sweepStages(h, p);
    for (int64_t i = 0; i < p; i += h << stages)
      radixPassDispatch(seg + i, h, h, stages);
    h <<= stages;
  }
}

/// x[k] *= scale (scale in double, rounded once to T per element).
template <typename T>
QC_ALWAYS_INLINE void scaleImpl(T *x, int64_t n, double scale) {
  for (int64_t k = 0; k < n; ++k)
    x[k] = T(x[k] * scale);
}

QC_MULTIVERSION void radixPass(float *base, int64_t step, int64_t len,
                               int stages) {
  radixPassDispatch(base, step, len, stages);
}
QC_MULTIVERSION void radixPass(double *base, int64_t step, int64_t len,
                               int stages) {
  radixPassDispatch(base, step, len, stages);
}
QC_MULTIVERSION void walshHadamard(float *seg, int64_t p) {
  walshHadamardImpl(seg, p);
}
QC_MULTIVERSION void walshHadamard(double *seg, int64_t p) {
  walshHadamardImpl(seg, p);
}
QC_MULTIVERSION void scaleBy(float *x, int64_t n, double scale) {
  scaleImpl(x, n, scale);
}
QC_MULTIVERSION void scaleBy(double *x, int64_t n, double scale) {
  scaleImpl(x, n, scale);
}
} // namespace

template <typename T>
void qc::num::hadamardTransformRows(T *x, int64_t rows, int64_t n,
                                    bool transpose, double scale) {
  auto f = factorHadamardOrder(n);
  assert(f && "order without a Hadamard factorization");
  auto [k, m] = *f;
  int64_t p = int64_t(1) << m;
  const Matrix &hk = hadamardBase(k);
  std::vector<T> tmp(k > 1 ? size_t(n) : 0);
  for (int64_t r = 0; r < rows; ++r) {
    T *row = x + r * n;
    // Walsh-Hadamard butterflies on every length-2^m segment.
    for (int64_t a = 0; a < k; ++a)
      walshHadamard(row + a * p, p);
    if (k > 1) {
      // y[c, :] = sum_a H_K[a][c] z[a, :]   (transpose: H_K[c][a]).
      std::fill(tmp.begin(), tmp.end(), T(0));
      for (int64_t c = 0; c < k; ++c) {
        T *out = tmp.data() + c * p;
        for (int64_t a = 0; a < k; ++a) {
          int8_t s = transpose ? hk[size_t(c * k + a)] : hk[size_t(a * k + c)];
          const T *in = row + a * p;
          if (s > 0)
            for (int64_t d = 0; d < p; ++d)
              out[d] += in[d];
          else
            for (int64_t d = 0; d < p; ++d)
              out[d] -= in[d];
        }
      }
      std::copy(tmp.begin(), tmp.end(), row);
    }
    if (scale != 1.0)
      scaleBy(row, n, scale);
  }
}

template <typename T>
void qc::num::hadamardTransformColumns(T *x, int64_t n, int64_t cols,
                                       int64_t stride, bool transpose,
                                       double scale) {
  auto f = factorHadamardOrder(n);
  assert(f && "order without a Hadamard factorization");
  auto [k, m] = *f;
  int64_t p = int64_t(1) << m;
  auto row = [&](int64_t i) { return x + i * stride; };
  // Three stages per sweep over the block (radix 8): a third of the
  // memory traffic of one stage per sweep.
  for (int64_t h = 1; h < p;) {
    int stages = sweepStages(h, p);
    for (int64_t a = 0; a < k; ++a)
      for (int64_t i = 0; i < p; i += h << stages)
        for (int64_t j = i; j < i + h; ++j)
          radixPass(row(a * p + j), h * stride, cols, stages);
    h <<= stages;
  }
  if (k > 1) {
    const Matrix &hk = hadamardBase(k);
    std::vector<T> tmp(size_t(n * cols), T(0));
    for (int64_t c = 0; c < k; ++c)
      for (int64_t a = 0; a < k; ++a) {
        int8_t s = transpose ? hk[size_t(c * k + a)] : hk[size_t(a * k + c)];
        for (int64_t d = 0; d < p; ++d) {
          T *out = tmp.data() + (c * p + d) * cols;
          const T *in = row(a * p + d);
          if (s > 0)
            for (int64_t e = 0; e < cols; ++e)
              out[e] += in[e];
          else
            for (int64_t e = 0; e < cols; ++e)
              out[e] -= in[e];
        }
      }
    for (int64_t i = 0; i < n; ++i)
      std::copy_n(tmp.data() + i * cols, cols, row(i));
  }
  if (scale != 1.0)
    for (int64_t i = 0; i < n; ++i)
      scaleBy(row(i), cols, scale);
}

template void qc::num::hadamardTransformRows<float>(float *, int64_t, int64_t,
                                                    bool, double);
template void qc::num::hadamardTransformColumns<float>(float *, int64_t,
                                                       int64_t, int64_t, bool,
                                                       double);
template void qc::num::hadamardTransformColumns<double>(double *, int64_t,
                                                        int64_t, int64_t, bool,
                                                        double);
template void qc::num::hadamardTransformRows<double>(double *, int64_t, int64_t,
                                                     bool, double);

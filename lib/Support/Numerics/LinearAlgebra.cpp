//===- LinearAlgebra.cpp - Dense double-precision kernels -----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// gemmSubtract follows the usual structure of a blocked matrix multiply: B
// is packed, kKC rows by kNC columns at a time, into panels of kNR columns
// that a register tile of 4 or 8 x kNR accumulators walks with unit stride, and
// the packed block (1 MiB) stays in L2 while every row tile of C streams
// past it. The Cholesky factorization and the triangular inverse are the
// right-looking / backward block algorithms of LAPACK's dpotrf and dtrtri:
// all but O(n^2 nb) of their work is such a product.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/LinearAlgebra.h"
#include "qc/Support/Numerics/Multiversion.h"
#include "qc/Support/Numerics/Quantize.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

using namespace qc::num;

namespace {

constexpr int64_t kNR = 16;  // Columns of C in one register tile.
constexpr int64_t kKC = 256; // Depth of one packed block of B.
constexpr int64_t kNC = 512; // Columns of one packed block of B.
constexpr int64_t kNB = 128; // Block size of the factorizations.

/// One packed block of B and the part of the product it feeds.
struct Block {
  const double *a; // A at row 0, column pc.
  int64_t lda;
  const double *packed; // kc x nc of op(B) as panels of kc x kNR.
  double *c;            // C at row 0, column jc.
  int64_t ldc;
  int64_t m, nc, kc, jc, pc;
  int64_t rowBegin; // First row with work (a multiple of the tile's rows).
  int64_t numTiles; // Row tiles from rowBegin on.
  GemmShape shape;
};

/// C[0 .. mr) x [0 .. nr) -= A[0 .. mr) x [0 .. kc) * panel, with MR x kNR
/// accumulators. Rows of A past `mr` repeat row mr-1 and the panel's columns
/// past `nr` are zero padding; neither is written back.
template <int64_t MR>
QC_ALWAYS_INLINE void registerTile(const double *a, int64_t lda, int64_t mr,
                                   const double *panel, int64_t kc, double *c,
                                   int64_t ldc, int64_t nr) {
  // Eight-lane vectors, which each ISA maps onto its own registers (one
  // zmm, two ymm, or four xmm and libm's fma).
  using V = double __attribute__((ext_vector_type(8)));
  constexpr int64_t kLanes = 8, kCols = kNR / kLanes;
  const double *rows[MR];
  for (int64_t r = 0; r < MR; ++r)
    rows[r] = a + std::min(r, mr - 1) * lda;
  V acc[MR][kCols] = {};
  for (int64_t p = 0; p < kc; ++p) {
    V bv[kCols];
    for (int64_t j = 0; j < kCols; ++j)
      __builtin_memcpy(&bv[j], panel + p * kNR + j * kLanes, sizeof(V));
    for (int64_t r = 0; r < MR; ++r) {
      V av = rows[r][p];
      for (int64_t j = 0; j < kCols; ++j)
        acc[r][j] = __builtin_elementwise_fma(av, bv[j], acc[r][j]);
    }
  }
  for (int64_t r = 0; r < mr; ++r)
    for (int64_t j = 0; j < nr; ++j)
      c[r * ldc + j] -= acc[r][j / kLanes][j % kLanes];
}

/// Row tiles [t0, t1) of one block, MR rows each. Tile t is taken in zigzag
/// order (0, last, 1, last - 1, ...) so that contiguous ranges of t carry
/// equal work when the shape is triangular.
template <int64_t MR>
QC_ALWAYS_INLINE void runRowTiles(const Block &blk, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1; ++t) {
    int64_t tile = t % 2 == 0 ? t / 2 : blk.numTiles - 1 - t / 2;
    int64_t i0 = blk.rowBegin + tile * MR;
    int64_t mr = std::min(MR, blk.m - i0);
    int64_t kc = blk.kc;
    if (blk.shape == GemmShape::LowerA) {
      // Terms past the diagonal are zeros: dropping them changes no bits.
      kc = std::min(kc, i0 + mr - blk.pc);
      if (kc <= 0)
        continue;
    }
    for (int64_t j = 0; j < blk.nc; j += kNR) {
      if (blk.shape == GemmShape::LowerC && blk.jc + j > i0 + mr - 1)
        break;
      registerTile<MR>(blk.a + i0 * blk.lda, blk.lda, mr,
                       blk.packed + j * blk.kc, kc, blk.c + i0 * blk.ldc + j,
                       blk.ldc, std::min(kNR, blk.nc - j));
    }
  }
}

/// The row-tile loop compiled for one ISA, and its tile height: 8 rows (16
/// zmm accumulators) with AVX-512, 4 rows (16 ymm) with AVX2 + FMA, 4 rows
/// of libm fma calls otherwise. The tile height changes no result.
struct TileKernel {
  int64_t rows;
  void (*run)(const Block &, int64_t, int64_t);
};

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx512f"))) void
runRowTilesAvx512(const Block &blk, int64_t t0, int64_t t1) {
  runRowTiles<8>(blk, t0, t1);
}
__attribute__((target("fma"))) void runRowTilesFma(const Block &blk, int64_t t0,
                                                   int64_t t1) {
  runRowTiles<4>(blk, t0, t1);
}
#endif
void runRowTilesBaseline(const Block &blk, int64_t t0, int64_t t1) {
  runRowTiles<4>(blk, t0, t1);
}

std::atomic<int> isaLimit{int(GemmIsa::Avx512)};

TileKernel hostTileKernel() {
  static const GemmIsa host = [] {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx512f"))
      return GemmIsa::Avx512;
    if (__builtin_cpu_supports("fma"))
      return GemmIsa::Fma;
#endif
    return GemmIsa::Baseline;
  }();
  switch (std::min(int(host), isaLimit.load())) {
#if defined(__x86_64__) && defined(__clang__)
  case int(GemmIsa::Avx512):
    return {8, runRowTilesAvx512};
  case int(GemmIsa::Fma):
    return {4, runRowTilesFma};
#endif
  default:
    return {4, runRowTilesBaseline};
  }
}

/// Packs op(B)[pc .. pc+kc) x [jc .. jc+nc) into panels of kc x kNR,
/// zero-padding the last panel.
void packB(const double *b, int64_t ldb, bool transB, int64_t pc, int64_t kc,
           int64_t jc, int64_t nc, double *packed) {
  int64_t panels = (nc + kNR - 1) / kNR;
  parallelFor(panels, 16, [&](int64_t p0, int64_t p1) {
    for (int64_t q = p0; q < p1; ++q) {
      double *panel = packed + q * kNR * kc;
      int64_t j0 = q * kNR, nr = std::min(kNR, nc - j0);
      if (transB) {
        for (int64_t j = 0; j < kNR; ++j) {
          const double *col = b + (jc + j0 + std::min(j, nr - 1)) * ldb + pc;
          for (int64_t p = 0; p < kc; ++p)
            panel[p * kNR + j] = j < nr ? col[p] : 0.0;
        }
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          const double *row = b + (pc + p) * ldb + jc + j0;
          for (int64_t j = 0; j < kNR; ++j)
            panel[p * kNR + j] = j < nr ? row[std::min(j, nr - 1)] : 0.0;
        }
      }
    }
  });
}

/// In-place inverse of the lower triangular nb x nb block at `l` (row
/// stride ld), row by row: x_i = (e_i - sum_{q<i} L[i][q] x_q) / L[i][i].
void invertDiagonalBlock(double *l, int64_t ld, int64_t nb) {
  std::vector<double> row(static_cast<size_t>(nb));
  for (int64_t i = 0; i < nb; ++i) {
    double *li = l + i * ld;
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t q = 0; q < i; ++q) {
      double c = li[q];
      const double *xq = l + q * ld;
      for (int64_t j = 0; j <= q; ++j)
        row[size_t(j)] -= c * xq[j];
    }
    row[size_t(i)] += 1.0;
    double d = li[i];
    for (int64_t j = 0; j <= i; ++j)
      li[j] = row[size_t(j)] / d;
  }
}

} // namespace

double qc::num::dot(const double *x, const double *y, int64_t len) {
  double part[8] = {};
  int64_t k = 0;
  for (; k + 8 <= len; k += 8)
    for (int64_t j = 0; j < 8; ++j)
      part[j] += x[k + j] * y[k + j];
  for (; k < len; ++k)
    part[k % 8] += x[k] * y[k];
  double s = 0.0;
  for (double p : part)
    s += p;
  return s;
}

GemmIsa qc::num::limitGemmIsa(GemmIsa isa) {
  return GemmIsa(isaLimit.exchange(int(isa)));
}

void qc::num::gemmSubtract(int64_t m, int64_t n, int64_t k, const double *a,
                           int64_t lda, const double *b, int64_t ldb,
                           bool transB, double *c, int64_t ldc,
                           GemmShape shape) {
  if (m <= 0 || n <= 0 || k <= 0)
    return;
  TileKernel kernel = hostTileKernel();
  int64_t mr = kernel.rows;
  std::vector<double> packed(static_cast<size_t>(kKC * kNC));
  for (int64_t jc = 0; jc < n; jc += kNC) {
    int64_t nc = std::min(kNC, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKC) {
      int64_t kc = std::min(kKC, k - pc);
      int64_t rowBegin = 0;
      if (shape == GemmShape::LowerC)
        rowBegin = jc / mr * mr;
      else if (shape == GemmShape::LowerA)
        rowBegin = pc / mr * mr;
      if (rowBegin >= m)
        continue;
      packB(b, ldb, transB, pc, kc, jc, nc, packed.data());
      Block blk{a + pc, lda,      packed.data(),
                c + jc, ldc,      m,
                nc,     kc,       jc,
                pc,     rowBegin, (m - rowBegin + mr - 1) / mr,
                shape};
      parallelFor(blk.numTiles, 32 / mr,
                  [&](int64_t t0, int64_t t1) { kernel.run(blk, t0, t1); });
    }
  }
}

bool qc::num::choleskyLower(double *a, int64_t n) {
  for (int64_t j0 = 0; j0 < n; j0 += kNB) {
    int64_t j1 = std::min(n, j0 + kNB);
    // The diagonal block, unblocked (earlier blocks' updates are applied).
    for (int64_t j = j0; j < j1; ++j) {
      double *rj = a + j * n;
      double d = rj[j] - dot(rj + j0, rj + j0, j - j0);
      if (!(d > 0))
        return false;
      d = std::sqrt(d);
      rj[j] = d;
      for (int64_t i = j + 1; i < j1; ++i) {
        double *ri = a + i * n;
        ri[j] = (ri[j] - dot(ri + j0, rj + j0, j - j0)) / d;
      }
    }
    // The panel below it: each row solves x L11^T = a_row.
    parallelFor(n - j1, 64, [&](int64_t b, int64_t e) {
      for (int64_t i = j1 + b; i < j1 + e; ++i) {
        double *ri = a + i * n;
        for (int64_t j = j0; j < j1; ++j) {
          const double *rj = a + j * n;
          ri[j] = (ri[j] - dot(ri + j0, rj + j0, j - j0)) / rj[j];
        }
      }
    });
    // The trailing matrix: A22 -= L21 L21^T, lower triangle.
    gemmSubtract(n - j1, n - j1, j1 - j0, a + j1 * n + j0, n, a + j1 * n + j0,
                 n, /*transB=*/true, a + j1 * n + j1, n, GemmShape::LowerC);
  }
  for (int64_t i = 0; i < n; ++i)
    std::fill(a + i * n + i + 1, a + (i + 1) * n, 0.0);
  return true;
}

void qc::num::invertLowerTriangular(double *l, int64_t n) {
  if (n <= 0)
    return;
  // Backward over diagonal blocks: with L22 already inverted in place,
  // X21 = -L22^-1 L21 L11^-1.
  std::vector<double> t;
  for (int64_t j0 = (n - 1) / kNB * kNB; j0 >= 0; j0 -= kNB) {
    int64_t j1 = std::min(n, j0 + kNB), jb = j1 - j0, m = n - j1;
    double *l11 = l + j0 * n + j0, *l21 = l + j1 * n + j0;
    invertDiagonalBlock(l11, n, jb);
    if (m == 0)
      continue;
    // gemmSubtract only subtracts: t = 0 - L22^-1 L21, negated, then
    // X21 = 0 - t L11^-1.
    t.assign(static_cast<size_t>(m * jb), 0.0);
    gemmSubtract(m, jb, m, l + j1 * n + j1, n, l21, n, /*transB=*/false,
                 t.data(), jb, GemmShape::LowerA);
    for (double &v : t)
      v = -v;
    for (int64_t i = 0; i < m; ++i)
      std::fill(l21 + i * n, l21 + i * n + jb, 0.0);
    gemmSubtract(m, jb, jb, t.data(), jb, l11, n, /*transB=*/false, l21, n);
  }
}

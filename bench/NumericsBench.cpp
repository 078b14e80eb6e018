//===- NumericsBench.cpp - Throughput of Support/Numerics -----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Three benchmarks, each against a baseline measured in the same run:
//  1. quantize + dequantize of N float32 values (default 2^26) per format,
//     against a memcpy of the same bytes on the same number of threads;
//  2. folding a Hadamard rotation into an n x n constant (default 4096): the
//     fast transform against a dense (cache-blocked) matrix product;
//  3. the double-precision kernels of GPTQ (n x n, default 4096): the
//     blocked product against a register-only FMA loop on every thread (the
//     peak), and the blocked Cholesky factorization and triangular inverse
//     against the unblocked dot-product forms.
// Prints best-of-R wall times; ratios are what to compare across machines.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/LinearAlgebra.h"
#include "qc/Support/Numerics/Quantize.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace qc::num;

namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Fn> double bestOf(int reps, Fn fn) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    fn();
    best = std::min(best, now() - t0);
  }
  return best;
}

/// Parallel memcpy over the same threads the bulk APIs use.
void parallelCopy(const float *src, float *dst, int64_t n) {
  parallelFor(n, 1 << 20, [&](int64_t b, int64_t e) {
    std::memcpy(dst + b, src + b, size_t(e - b) * sizeof(float));
  });
}

/// Buffers allocated once, outside the timed region.
struct Workspace {
  std::vector<uint8_t> codes, scaleCodes;
};

struct Case {
  std::string name;
  std::function<void(const std::vector<float> &, std::vector<float> &,
                     Workspace &)>
      qdq;
};

std::vector<Case> makeCases(int64_t n) {
  std::vector<Case> cases;
  auto shape = std::vector<int64_t>{n / 4096, 4096};
  auto scalar = [&](const char *fmtName, Scheme scheme) {
    Format f = *Format::parse(fmtName);
    return Case{std::string(fmtName) +
                    (scheme.granularity == Granularity::PerAxis ? " per-channel"
                     : scheme.granularity == Granularity::PerBlock
                         ? " group-" + std::to_string(scheme.blockSize)
                         : " per-tensor"),
                [f, scheme, shape](const std::vector<float> &x,
                                   std::vector<float> &y, Workspace &w) {
                  std::vector<float> s =
                      absmaxScales(x.data(), shape, scheme, f);
                  quantize(x.data(), shape, scheme, s.data(), nullptr, f,
                           Rounding::NearestEven, 0, w.codes.data());
                  dequantize(w.codes.data(), shape, scheme, s.data(), nullptr,
                             f, y.data());
                }};
  };
  cases.push_back(scalar("int8", {Granularity::PerAxis, 0, 0}));
  cases.push_back(scalar("int4", {Granularity::PerBlock, 1, 128}));
  cases.push_back(scalar("fp8e4m3fn_sat", {Granularity::PerTensor, 0, 0}));
  cases.push_back(scalar("fp8e5m2_sat", {Granularity::PerTensor, 0, 0}));
  cases.push_back(scalar("fp6e2m3fn", {Granularity::PerTensor, 0, 0}));
  cases.push_back(scalar("fp4e2m1fn", {Granularity::PerTensor, 0, 0}));
  for (MXElement e : {MXElement::FP8E4M3, MXElement::FP6E3M2,
                      MXElement::FP4E2M1, MXElement::INT8}) {
    MXFormat fmt{e, 32};
    cases.push_back(
        Case{fmt.name(), [fmt, shape](const std::vector<float> &x,
                                      std::vector<float> &y, Workspace &w) {
               mxQuantize(x.data(), shape, 1, fmt, Rounding::NearestEven, 0,
                          w.codes.data(), w.scaleCodes.data());
               mxDequantize(w.codes.data(), w.scaleCodes.data(), shape, 1, fmt,
                            y.data());
             }});
  }
  cases.push_back(Case{"nvfp4", [shape](const std::vector<float> &x,
                                        std::vector<float> &y, Workspace &w) {
                         float g;
                         nvfp4Quantize(x.data(), shape, 1, 0.0f,
                                       Rounding::NearestEven, 0, w.codes.data(),
                                       w.scaleCodes.data(), &g);
                         nvfp4Dequantize(w.codes.data(), w.scaleCodes.data(),
                                         shape, 1, g, y.data());
                       }});
  return cases;
}

void benchQuantize(int64_t n, int reps) {
  std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[size_t(i)] =
        float(std::sin(double(i) * 0.001) * 3.0 + (i % 997 == 0 ? 40.0 : 0.0));
  parallelCopy(x.data(), y.data(), n); // Touch the pages.
  double tCopy = bestOf(reps, [&] { parallelCopy(x.data(), y.data(), n); });
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::printf("quantize+dequantize of %lld float32 (%.0f MiB), %u threads, "
              "best of %d\n",
              (long long)n, double(n) * 4 / (1 << 20), threads, reps);
  std::printf("memcpy baseline (same threads): %.4f s (%.2f GB/s)\n", tCopy,
              double(n) * 4 / tCopy / 1e9);
  std::printf("%-26s %12s %14s %16s\n", "format", "time (s)", "Melem/s",
              "time / memcpy");
  Workspace w;
  w.codes.assign(size_t(n), 0);
  w.scaleCodes.assign(size_t(n / 16), 0);
  for (const Case &c : makeCases(n)) {
    double t = bestOf(reps, [&] { c.qdq(x, y, w); });
    std::printf("%-26s %12.4f %14.1f %15.1fx\n", c.name.c_str(), t,
                double(n) / t / 1e6, t / tCopy);
  }
}

/// C = A * B for n x n row-major matrices, cache-blocked, multi-threaded.
void denseMatmul(const float *a, const float *b, float *c, int64_t n) {
  constexpr int64_t KB = 256, JB = 512;
  std::fill(c, c + n * n, 0.0f);
  parallelFor(n, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t kb = 0; kb < n; kb += KB)
      for (int64_t jb = 0; jb < n; jb += JB)
        for (int64_t i = i0; i < i1; ++i) {
          float *ci = c + i * n;
          for (int64_t k = kb; k < std::min(n, kb + KB); ++k) {
            float aik = a[i * n + k];
            const float *bk = b + k * n;
            for (int64_t j = jb; j < std::min(n, jb + JB); ++j)
              ci[j] += aik * bk[j];
          }
        }
  });
}

void benchHadamard(int64_t n, int reps) {
  std::vector<float> w(static_cast<size_t>(n * n)), fast,
      dense(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n * n; ++i)
    w[size_t(i)] = float(std::cos(double(i) * 0.37));
  std::vector<int8_t> h8 = hadamardMatrix(n);
  std::vector<float> h(h8.size());
  float scale = float(1.0 / std::sqrt(double(n)));
  for (size_t i = 0; i < h8.size(); ++i)
    h[i] = float(h8[i]) * scale;
  double tFast = bestOf(reps, [&] {
    fast = w;
    parallelFor(n, 64, [&](int64_t b, int64_t e) {
      hadamardTransformRows(fast.data() + b * n, e - b, n, false,
                            1.0 / std::sqrt(double(n)));
    });
  });
  double tDense =
      bestOf(1, [&] { denseMatmul(w.data(), h.data(), dense.data(), n); });
  double maxErr = 0;
  for (int64_t i = 0; i < n * n; ++i)
    maxErr =
        std::max(maxErr, double(std::fabs(fast[size_t(i)] - dense[size_t(i)])));
  auto f = factorHadamardOrder(n);
  std::printf("\nfold a Hadamard (n = %lld = %lld * 2^%u) into an n x n "
              "float32 constant (W * H)\n",
              (long long)n, (long long)f->first, f->second);
  std::printf("fast transform: %.4f s   dense blocked matmul: %.4f s   "
              "dense / fast = %.1fx   max |diff| = %.2e\n",
              tFast, tDense, tDense / tFast, maxErr);
}

/// `iters` rounds of 16 independent fused multiply-add chains in
/// registers; returns a value that depends on all of them.
template <int Lanes>
__attribute__((always_inline)) inline double fmaChains(int64_t iters) {
  using V = double __attribute__((ext_vector_type(Lanes)));
  V acc[16], x = 1.0000001, y = 0.9999999;
  for (int j = 0; j < 16; ++j)
    acc[j] = double(j);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < 16; ++j)
      acc[j] = __builtin_elementwise_fma(acc[j], x, y);
  double s = 0;
  for (int j = 0; j < 16; ++j)
    s += acc[j][0];
  return s;
}

#if defined(__x86_64__) && defined(__clang__)
__attribute__((target("avx512f"))) double fmaChainsAvx512(int64_t iters) {
  return fmaChains<8>(iters);
}
__attribute__((target("fma"))) double fmaChainsFma(int64_t iters) {
  return fmaChains<4>(iters);
}
#endif

/// Double-precision FMAs per second of the register-only chains on every
/// thread at once (best of two): the peak the product kernel is measured
/// against. 0 without FMA hardware.
double fmaPeak() {
  double (*chains)(int64_t) = nullptr;
  int lanes = 0;
#if defined(__x86_64__) && defined(__clang__)
  if (__builtin_cpu_supports("avx512f"))
    chains = fmaChainsAvx512, lanes = 8;
  else if (__builtin_cpu_supports("fma"))
    chains = fmaChainsFma, lanes = 4;
#endif
  if (!chains)
    return 0;
  constexpr int64_t kIters = 1 << 25;
  int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> sink(static_cast<size_t>(threads));
  double best = 0;
  for (int rep = 0; rep < 2; ++rep) {
    double t0 = now();
    parallelFor(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t)
        sink[size_t(t)] = chains(kIters);
    });
    double t = now() - t0;
    best = std::max(best, double(threads * kIters) * 16 * lanes / t);
  }
  return sink[0] == 42.0 ? 0 : best;
}

/// The unblocked forms: each entry one dot product over a row of the
/// matrix, rows split over the threads.
bool unblockedCholesky(double *a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double *rj = a + j * n;
    double d = rj[j] - dot(rj, rj, j);
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    rj[j] = d;
    parallelFor(n - j - 1, std::max<int64_t>(16, (1 << 18) / (j + 1)),
                [&](int64_t b, int64_t e) {
                  for (int64_t i = j + 1 + b; i < j + 1 + e; ++i)
                    a[i * n + j] = (a[i * n + j] - dot(a + i * n, rj, j)) / d;
                });
  }
  return true;
}

/// Lower triangular inverse by forward substitution over whole rows.
void unblockedInverse(const double *l, double *x, int64_t n) {
  std::fill(x, x + n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    double *xi = x + i * n;
    xi[i] = 1.0;
    for (int64_t k = 0; k < i; ++k) {
      double c = l[i * n + k];
      const double *xk = x + k * n;
      for (int64_t j = 0; j <= k; ++j)
        xi[j] -= c * xk[j];
    }
    for (int64_t j = 0; j <= i; ++j)
      xi[j] /= l[i * n + i];
  }
}

void benchLinearAlgebra(int64_t n, int reps) {
  std::printf("\nGPTQ's double-precision kernels, n = %lld, %u threads\n",
              (long long)n, std::max(1u, std::thread::hardware_concurrency()));
  double peak = fmaPeak();
  if (peak > 0)
    std::printf("register-only FMA peak (all threads): %.1f GFMA/s\n",
                peak / 1e9);
  // C -= A B with the depth GPTQ's lazy batches use (128) and the
  // factorizations' block (128) and packing depth (256).
  for (int64_t depth : {128, 256}) {
    std::vector<double> a(size_t(n * depth)), b(size_t(depth * n)),
        c(size_t(n * n), 0.0);
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = std::cos(double(i) * 0.37), b[i] = std::sin(double(i) * 0.11);
    double t = bestOf(reps, [&] {
      gemmSubtract(n, n, depth, a.data(), depth, b.data(), n, false, c.data(),
                   n);
    });
    double rate = double(n) * n * depth / t;
    std::printf("product %lld x %lld x %lld: %.4f s, %.1f GFMA/s", (long long)n,
                (long long)n, (long long)depth, t, rate / 1e9);
    if (peak > 0)
      std::printf(", %.2f of peak", rate / peak);
    std::printf("\n");
  }
  // A symmetric positive definite matrix: B B^T / depth + I.
  int64_t depth = 64;
  std::vector<double> g(size_t(n * depth)), spd(size_t(n * n), 0.0);
  for (size_t i = 0; i < g.size(); ++i)
    g[i] = std::cos(double(i) * 0.7311) + 0.1 * std::sin(double(i));
  gemmSubtract(n, n, depth, g.data(), depth, g.data(), depth, true, spd.data(),
               n);
  for (int64_t i = 0; i < n * n; ++i)
    spd[size_t(i)] = -spd[size_t(i)] / double(depth) + (i % (n + 1) == 0);
  std::vector<double> work, other(size_t(n * n));
  double cubic = double(n) * n * n / 6; // FMAs of each.
  double tBlocked = bestOf(reps, [&] {
    work = spd;
    choleskyLower(work.data(), n);
  });
  double tInv = bestOf(reps, [&] {
    other = work;
    invertLowerTriangular(other.data(), n);
  });
  std::vector<double> ref = spd;
  double tUnblocked = bestOf(1, [&] { unblockedCholesky(ref.data(), n); });
  double maxDiff = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      maxDiff = std::max(
          maxDiff, std::fabs(ref[size_t(i * n + j)] - work[size_t(i * n + j)]));
  std::vector<double> refInv(size_t(n * n));
  double tInvUnblocked =
      bestOf(1, [&] { unblockedInverse(work.data(), refInv.data(), n); });
  double maxInvDiff = 0;
  for (size_t i = 0; i < refInv.size(); ++i)
    maxInvDiff = std::max(maxInvDiff, std::fabs(refInv[i] - other[i]));
  std::printf("Cholesky: blocked %.4f s (%.1f GFMA/s), unblocked %.4f s, "
              "unblocked / blocked = %.1fx, max |diff| = %.1e\n",
              tBlocked, cubic / tBlocked / 1e9, tUnblocked,
              tUnblocked / tBlocked, maxDiff);
  std::printf("triangular inverse: blocked %.4f s (%.1f GFMA/s), unblocked "
              "%.4f s, unblocked / blocked = %.1fx, max |diff| = %.1e\n",
              tInv, cubic / tInv / 1e9, tInvUnblocked, tInvUnblocked / tInv,
              maxInvDiff);
}

} // namespace

int main(int argc, char **argv) {
  int64_t n = int64_t(1) << 26, hn = 4096, ln = 4096;
  int reps = 3;
  bool runQ = true, runH = true, runL = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--elements" && i + 1 < argc)
      n = std::atoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--hadamard" && i + 1 < argc)
      hn = std::atoll(argv[++i]);
    else if (a == "--linalg" && i + 1 < argc)
      ln = std::atoll(argv[++i]);
    else if (a == "--only-quantize")
      runH = runL = false;
    else if (a == "--only-hadamard")
      runQ = runL = false;
    else if (a == "--only-linalg")
      runQ = runH = false;
    else {
      std::fprintf(stderr, "usage: qc-bench-numerics [--elements N] [--reps R] "
                           "[--hadamard N] [--linalg N] "
                           "[--only-quantize|--only-hadamard|--only-linalg]\n");
      return 2;
    }
  }
  if (n % 4096 || n <= 0 || !factorHadamardOrder(hn) || ln <= 0) {
    std::fprintf(stderr, "error: --elements must be a positive multiple of "
                         "4096, --hadamard an order K * 2^m and --linalg "
                         "positive\n");
    return 2;
  }
  if (runQ)
    benchQuantize(n, reps);
  if (runH)
    benchHadamard(hn, reps);
  if (runL)
    benchLinearAlgebra(ln, reps);
  return 0;
}

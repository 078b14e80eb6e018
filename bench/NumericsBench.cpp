//===- NumericsBench.cpp - Throughput of Support/Numerics -----------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Two benchmarks, each against a baseline measured in the same run:
//  1. quantize + dequantize of N float32 values (default 2^26) per format,
//     against a memcpy of the same bytes on the same number of threads;
//  2. folding a Hadamard rotation into an n x n constant (default 4096): the
//     fast transform against a dense (cache-blocked) matrix product.
// Prints best-of-R wall times; ratios are what to compare across machines.
//
//===----------------------------------------------------------------------===//

#include "qc/Support/Numerics/Hadamard.h"
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

} // namespace

int main(int argc, char **argv) {
  int64_t n = int64_t(1) << 26, hn = 4096;
  int reps = 3;
  bool runQ = true, runH = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--elements" && i + 1 < argc)
      n = std::atoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--hadamard" && i + 1 < argc)
      hn = std::atoll(argv[++i]);
    else if (a == "--only-quantize")
      runH = false;
    else if (a == "--only-hadamard")
      runQ = false;
    else {
      std::fprintf(stderr,
                   "usage: qc-bench-numerics [--elements N] [--reps R] "
                   "[--hadamard N] [--only-quantize|--only-hadamard]\n");
      return 2;
    }
  }
  if (n % 4096 || n <= 0 || !factorHadamardOrder(hn)) {
    std::fprintf(stderr, "error: --elements must be a positive multiple of "
                         "4096 and --hadamard an order K * 2^m\n");
    return 2;
  }
  if (runQ)
    benchQuantize(n, reps);
  if (runH)
    benchHadamard(hn, reps);
  return 0;
}

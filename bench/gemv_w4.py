#!/usr/bin/env python3
"""4-bit weight-only GEMV compiled by QuantC against the memory's read
bandwidth.

For each shape K x N in {4096 x 4096, 4096 x 11008} and format (int4 with
f32 scales per group of 128 along K; MXFP4: FP4 E2M1 with E8M0 scales per
block of 32; NVFP4: E4M3 scales per block of 16 and a constant global
scale), builds y = x @ dequantize(unpack(bytes), scales) with the
packed weights as a function argument, lowers it with `quant-opt
--qc-lower-to-cpu` (threads=1 and 2), writes a host object and links it
into a C driver. The driver allocates enough layers of random packed
weights and scales for >= 1 GiB in total and runs the GEMV over every
layer in turn, so the weights come from DRAM. In the same run a
read-only sum over a 1 GiB buffer (AVX-512 loads, or AVX2 ones with
--kernel avx2; 1 and 2 threads)
measures the read bandwidth. Each round times 1 and 2 threads (in
alternating order), then the read bandwidth; each rate is the best round,
each ratio the median over rounds of the ratio within a round. Bytes counted: codes and scales read per layer. One layer's result
is checked against numpy (float64) to 1e-5 relative L2 (the kernel sums
each block of K rows with FMAs before scaling, so it is not bit-exact with
the interpreter; tests bound the difference).

To time on another machine, `--target-cpu CPU --build-only DIR` compiles
the programs for that CPU into DIR (with libomp) and `--prebuilt DIR`
there times them (Python with NumPy and ml_dtypes; no compiler, no QuantC
build), as in bench/gemm_int8.py.

Usage: bench/gemv_w4.py [--rounds 5] [--gib 1.0] [--kernel avx512|avx2]
                        [--shapes KxN ...] [--passes P]
                        [--target-cpu CPU] [--build-only DIR | --prebuilt DIR]
Needs clang-19 and, to time, an AVX-512 (or, with --kernel avx2, an AVX2)
host.
"""

import argparse
import pathlib
import subprocess
import sys

import ml_dtypes
import numpy as np

import prebuilt

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "build" / "bin"

BW_C = r"""
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX512F__ /* 64-byte loads */
typedef __m512i V;
#define W 64
#define LOAD(q) _mm512_load_si512(q)
#define ADD _mm512_add_epi32
#define ZERO _mm512_setzero_si512()
static long long reduce(V v) { return _mm512_reduce_add_epi32(v); }
#else /* AVX2: 32-byte loads */
typedef __m256i V;
#define W 32
#define LOAD(q) _mm256_load_si256((const __m256i *)(q))
#define ADD _mm256_add_epi32
#define ZERO _mm256_setzero_si256()
static long long reduce(V v) {
  int t[8];
  _mm256_storeu_si256((__m256i *)t, v);
  long long s = 0;
  for (int i = 0; i < 8; ++i) s += t[i];
  return s;
}
#endif
/* Read-only sum over a buffer: bytes per second with the given threads. */
static double run(const char *p, size_t n, int threads) {
  double t0 = omp_get_wtime();
  long long total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total)
  for (size_t c = 0; c < n; c += 1 << 20) {
    V a0 = ZERO, a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = c; i < c + (1 << 20); i += 4 * W) {
      a0 = ADD(a0, LOAD(p + i));
      a1 = ADD(a1, LOAD(p + i + W));
      a2 = ADD(a2, LOAD(p + i + 2 * W));
      a3 = ADD(a3, LOAD(p + i + 3 * W));
    }
    total += reduce(ADD(ADD(a0, a1), ADD(a2, a3)));
  }
  double secs = omp_get_wtime() - t0;
  volatile long long sink = total; (void)sink;
  return n / secs;
}
int main(int argc, char **argv) {
  size_t n = (size_t)atof(argv[1]);
  n &= ~(size_t)((1 << 20) - 1);
  char *p = aligned_alloc(64, n);
  memset(p, 1, n);
  run(p, n, 1);
  printf("%.6e %.6e\n", run(p, n, 1), run(p, n, 2));
  return 0;
}
"""

DRIVER_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef struct { void *a, *d; int64_t off, s[2], st[2]; } D2;
void _mlir_ciface_main(D2 *x, D2 *b, D2 *s, D2 *y);
static D2 desc(void *p, int64_t r, int64_t c) {
  D2 d = {p, p, 0, {r, c}, {c, 1}};
  return d;
}
/* argv: K N G scaleBytes layers rounds xfile [outfile bfile sfile] */
int main(int argc, char **argv) {
  long k = atol(argv[1]), n = atol(argv[2]), g = atol(argv[3]);
  long sb = atol(argv[4]), layers = atol(argv[5]), rounds = atol(argv[6]);
  float *x = malloc(k * 4), *y = malloc(n * 4);
  FILE *f = fopen(argv[7], "rb");
  if (!f || fread(x, 4, k, f) != (size_t)k) return 2;
  fclose(f);
  size_t wbytes = (size_t)k * n / 2, sbytes = (size_t)g * n * sb;
  char **w = malloc(layers * sizeof(char *)), **s = malloc(layers * sizeof(char *));
  srand(1);
  uint64_t st = 88172645463325252ull;
  for (long l = 0; l < layers; ++l) {
    w[l] = aligned_alloc(64, wbytes);
    s[l] = aligned_alloc(64, (sbytes + 63) / 64 * 64);
    for (size_t i = 0; i < wbytes / 8; ++i) {  /* xorshift64 */
      st ^= st << 13; st ^= st >> 7; st ^= st << 17;
      ((uint64_t *)w[l])[i] = st;
    }
    for (size_t i = 0; i < sbytes; ++i)  /* valid, moderate scales */
      s[l][i] = sb == 1 ? (char)(120 + rand() % 7) : 0; /* E8M0 or E4M3 */
    if (sb == 4)
      for (size_t i = 0; i < sbytes / 4; ++i) ((float *)s[l])[i] = 0.01f * (1 + rand() % 7);
  }
  if (argc > 10) {  /* the layer the caller checks */
    FILE *fb = fopen(argv[9], "rb"), *fs = fopen(argv[10], "rb");
    if (fread(w[0], 1, wbytes, fb) != wbytes || fread(s[0], 1, sbytes, fs) != sbytes) return 3;
    fclose(fb); fclose(fs);
  }
  D2 dx = desc(x, 1, k), dy = desc(y, 1, n);
  for (long l = 0; l < layers; ++l) {  /* warm-up: page in, start threads */
    D2 db = desc(w[l], k, n / 2), ds = desc(s[l], g, n);
    _mlir_ciface_main(&dx, &db, &ds, &dy);
  }
  if (argc > 10) {
    D2 db = desc(w[0], k, n / 2), ds = desc(s[0], g, n);
    _mlir_ciface_main(&dx, &db, &ds, &dy);
    FILE *o = fopen(argv[8], "wb"); fwrite(y, 4, n, o); fclose(o);
  }
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long r = 0; r < rounds; ++r)
    for (long l = 0; l < layers; ++l) {
      D2 db = desc(w[l], k, n / 2), ds = desc(s[l], g, n);
      _mlir_ciface_main(&dx, &db, &ds, &dy);
    }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  printf("%.6e\n", (double)(wbytes + sbytes) * layers * rounds / secs);
  return 0;
}
"""

FORMATS = {
    # name: (qtensor format, scale element, scale bytes, group)
    "int4": ("#qc.int<4>, #qc.scheme<per_block, axis = 0, block = 128>", "f32", 4, 128),
    "mxfp4": ("#qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, "
              "scale = #qc.float<e8m0fnu>>", "i8", 1, 32),
    "nvfp4": ("#qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 16, "
              "scale = #qc.float<fp8e4m3fn>>", "i8", 1, 16),
}
NVFP4_GLOBAL = 0.0078125  # the per-tensor scale, a constant of the model
SHAPES = [(4096, 4096), (4096, 11008)]


def sh(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return r.stdout


def decode(fmt, codes):
    if fmt == "int4":
        return np.where(codes > 7, codes.astype(np.int64) - 16, codes).astype(np.float64)
    mag = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6])
    return np.where(codes >= 8, -mag[codes & 7], mag[codes & 7])


def build_all(args, tmp):
    """Writes the programs into `tmp`; returns the manifest."""
    (tmp / "bw.c").write_text(BW_C)
    (tmp / "driver.c").write_text(DRIVER_C)
    omp = prebuilt.OMP_LINK
    isa = "-mavx512f" if args.kernel == "avx512" else "-mavx2"
    sh(["clang-19", "-O2", isa, "-fopenmp", tmp / "bw.c", "-o", tmp / "bw", *omp])
    target = f" target-cpu={args.target_cpu}" if args.target_cpu else ""
    cases = []
    for k, n in args.shapes:
        for fmt, (qf, selt, sbytes, group) in FORMATS.items():
            g = k // group
            qt = f"!qc.qtensor<{k}x{n}, {qf}>"
            st = f"tensor<{g}x{n}x{selt}>"
            src = tmp / f"{fmt}-{k}x{n}.mlir"
            gdef, gs, gt = "", "", ""
            if fmt == "nvfp4":
                gdef = f"  %g = arith.constant dense<{NVFP4_GLOBAL}> : tensor<f32>\n"
                gs, gt = " global_scale %g", ", tensor<f32>"
            src.write_text(
                f"func.func @main(%x: tensor<1x{k}xf32>, %b: tensor<{k}x{n // 2}xi8>, "
                f"%s: {st}) -> tensor<1x{n}xf32> {{\n{gdef}"
                f"  %w = qc.unpack %b : tensor<{k}x{n // 2}xi8> -> {qt}\n"
                f"  %d = qc.dequantize %w, %s{gs} : ({qt}, {st}{gt}) -> tensor<{k}x{n}xf32>\n"
                f"  %y = nn.matmul %x, %d : tensor<1x{k}xf32>, tensor<{k}x{n}xf32>\n"
                f"  return %y : tensor<1x{n}xf32>\n}}\n")
            exes = {}
            for t in (1, 2):
                ll, obj = tmp / f"{fmt}{n}t{t}.ll.mlir", tmp / f"{fmt}{n}t{t}.o"
                sh([BIN / "quant-opt", src,
                    f"--qc-lower-to-cpu=weight-only-kernel={args.kernel} threads={t}{target}",
                    "-o", ll])
                sh([BIN / "quant-translate", "--mlir-to-cpu-object", ll, "-o", obj])
                exes[str(t)] = f"{fmt}{n}t{t}"
                sh(["clang-19", "-O2", tmp / "driver.c", obj, "-o", tmp / exes[str(t)], *omp])
                ll.unlink()
                obj.unlink()
            src.unlink()
            cases.append({"fmt": fmt, "k": k, "n": n, "exes": exes})
    return {"kernel": args.kernel, "target_cpu": args.target_cpu, "cases": cases}


def time_all(args, tmp, manifest):
    kernel = manifest["kernel"]
    if {"avx512": "avx512f", "avx2": "avx2"}[kernel] not in open("/proc/cpuinfo").read().split():
        sys.exit(f"this host cannot run the {kernel} kernel")
    rng = np.random.default_rng(0)
    rows = []
    for case in manifest["cases"]:
        fmt, k, n, exes = case["fmt"], case["k"], case["n"], case["exes"]
        _, _, sbytes, group = FORMATS[fmt]
        g = k // group
        x = rng.standard_normal(k).astype(np.float32)
        (tmp / "x.bin").write_bytes(x.tobytes())
        layer = k * n // 2 + g * n * sbytes
        layers = int(np.ceil(args.gib * 2**30 / layer))
        # Check one layer against numpy.
        codes = rng.integers(0, 16, (k, n)).astype(np.uint8)
        packed = codes[:, 0::2] | (codes[:, 1::2] << 4)
        if fmt == "int4":
            scales = (rng.integers(1, 8, (g, n)) * 0.01).astype(np.float32)
            sval = scales.astype(np.float64)
        elif fmt == "mxfp4":
            scales = rng.integers(120, 128, (g, n)).astype(np.uint8)
            sval = 2.0 ** (scales.astype(np.float64) - 127)
        else:  # E4M3 codes 0x01 (subnormal) .. 0x7E, times the global
            scales = rng.integers(1, 0x7F, (g, n)).astype(np.uint8)
            sval = (scales.view(ml_dtypes.float8_e4m3fn).astype(np.float64)
                    * NVFP4_GLOBAL)
        (tmp / "b.bin").write_bytes(packed.tobytes())
        (tmp / "s.bin").write_bytes(scales.tobytes())
        sh([tmp / exes["2"], k, n, g, sbytes, 2, 1, tmp / "x.bin", tmp / "y.bin",
            tmp / "b.bin", tmp / "s.bin"])
        y = np.fromfile(tmp / "y.bin", dtype=np.float32)
        wf = decode(fmt, codes) * np.repeat(sval, group, axis=0)
        want = x.astype(np.float64) @ wf
        err = np.linalg.norm(y - want) / np.linalg.norm(want)
        assert err <= 1e-5, (fmt, n, err)
        r = {"bw1": [], "bw2": [], 1: [], 2: []}
        for i in range(args.rounds):
            for t in ((1, 2) if i % 2 == 0 else (2, 1)):
                r[t].append(float(sh([tmp / exes[str(t)], k, n, g, sbytes, layers,
                                      args.passes, tmp / "x.bin"])))
            bw1, bw2 = map(float, sh([tmp / "bw", args.gib * 2**30]).split())
            r["bw1"].append(bw1)
            r["bw2"].append(bw2)
        rows.append((f"{fmt} {k}x{n}", layers * layer / 2**30,
                     {key: np.array(v) for key, v in r.items()}))
    target = f", compiled for {manifest['target_cpu']}" if manifest["target_cpu"] else ""
    print(f"4-bit weight-only GEMV (x[1, K] @ W[K, N], packed codes, {kernel} kernel), "
          f"GB/s of codes + scales{target}")
    print(f"{'case':>18} {'GiB':>5} {'read BW 1T':>10} {'GEMV 1T':>8} {'ratio':>6} "
          f"{'read BW 2T':>10} {'GEMV 2T':>8} {'ratio':>6}")
    for name, gib, r in rows:
        print(f"{name:>18} {gib:>5.2f} {r['bw1'].max() / 1e9:>10.2f} "
              f"{r[1].max() / 1e9:>8.2f} {np.median(r[1] / r['bw1']):>6.2f} "
              f"{r['bw2'].max() / 1e9:>10.2f} {r[2].max() / 1e9:>8.2f} "
              f"{np.median(r[2] / r['bw2']):>6.2f}")
    print(f"(read BW: read-only {kernel.upper()} sum over the same number of bytes, "
          "same round; "
          "GB/s: the best round; ratio: the median over rounds of the ratio within a round)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--shapes", nargs="+", default=SHAPES,
                    type=lambda v: tuple(int(d) for d in v.split("x")),
                    help="K x N shapes (default 4096x4096 4096x11008); with a "
                         "small --gib (one layer) a shape that fits the caches "
                         "times the kernel without DRAM")
    ap.add_argument("--passes", type=int, default=1,
                    help="timed passes over the layers (more for cache-resident shapes)")
    ap.add_argument("--kernel", choices=["avx512", "avx2"], default="avx512",
                    help="weight-only-kernel; the read baseline uses the same vector width")
    prebuilt.add_arguments(ap)
    args = ap.parse_args()
    prebuilt.run(args, build_all, time_all, sources=("bw.c", "driver.c"))


if __name__ == "__main__":
    main()

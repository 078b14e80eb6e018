#!/usr/bin/env python3
"""u8 x s8 -> s32 GEMM compiled by QuantC against the per-core VNNI peak
(or, with --kernel avx2, the AVX2 vpmaddwd kernel against its own peak).

For each M = N = K in --sizes, builds `qc.linear` of u8 activations and
constant s8 weights, lowers it with `quant-opt --qc-lower-to-cpu` (threads=1
and threads=2), writes host objects with `quant-translate
--mlir-to-cpu-object`, links them into a C driver and times the C entry
point. In the same run, a register-only microbenchmark (24 independent
vpdpbusd chains, no memory operands) measures the per-core peak. Each
round measures the peak, 1 thread and 2 threads (in alternating order) and
the peak on two cores back to back; each rate is the best round, each
ratio the median over rounds of the ratios within a round (the VMs' clocks
drift run to run, and a ratio of two best rounds taken at different times
is noisier than the ratio of neighbours). The first size is checked bit for bit
against numpy.

Prints GMAC/s, the fraction of the peak (1 thread) and the 2-thread
speed-up, and the two-core peak (the register-only program on both cores at
once): the speed-up the VM allows at that moment, and the fraction of it the
two-thread GEMM reaches. The issue asks >= 70% of peak and >= 1.8x. The AVX2 peak is 8
independent vpmaddwd + vpaddd ymm chains, each on its own pair of operands
(16 MACs per vpmaddwd).

To time on another machine (one with dedicated cores, say), build for it
here: `--target-cpu` compiles the kernels and the objects for that CPU
(`--qc-lower-to-cpu="target-cpu=..."`) and `--build-only DIR` writes the
programs, libomp, the first size's input and its expected result into DIR;
`--prebuilt DIR` on the other machine times them (it needs Python with
NumPy, no compiler and no QuantC build).

Usage: bench/gemm_int8.py [--sizes 1024 2048 4096] [--rounds 5] [--kernel vnni512|avx2]
                          [--target-cpu CPU] [--build-only DIR | --prebuilt DIR]
Needs clang-19 (the drivers) and, to time, an AVX-512 VNNI (or AVX2) host.
"""

import argparse
import hashlib
import pathlib
import subprocess
import sys

import numpy as np

import prebuilt

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "build" / "bin"

# A register-only peak: CHAINS independent accumulator chains of one
# instruction (no memory operands), MACS multiply-adds per instruction. The
# operands a[NA] and b[NB] are opaque to the compiler on every iteration,
# and every chain multiplies a different pair, so no product is shared or
# hoisted (with one a and b, 12 `acc += madd(a, b)` chains compile to one
# vpmaddwd and 12 vpaddd).
PEAK_TEMPLATE = r"""
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
__attribute__((target("TARGET"))) static double run(long iters) {
  VEC acc[CHAINS];
  for (int i = 0; i < CHAINS; ++i) acc[i] = SET1(i);
  VEC a[NA], b[NB];
  for (int i = 0; i < NA; ++i) a[i] = SET1(A_BITS + i);
  for (int i = 0; i < NB; ++i) b[i] = SET1(B_BITS + i);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long it = 0; it < iters; ++it) {
#pragma clang loop unroll(full)
    for (int i = 0; i < CHAINS; ++i) acc[i] = STEP;
    for (int i = 0; i < NA; ++i) __asm__ volatile("" : "+v"(a[i]));
    for (int i = 0; i < NB; ++i) __asm__ volatile("" : "+v"(b[i]));
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  VEC s = acc[0];
  for (int i = 1; i < CHAINS; ++i) s = ADD(s, acc[i]);
  volatile VEC sink = s; (void)sink;
  double secs = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  return (double)iters * CHAINS * MACS / secs;
}
int main(void) { run(2000000); printf("%.6e\n", run(20000000)); }
"""


def peak_c(kernel):
    """The peak program of `kernel`: 24 vpdpbusd zmm chains (64 MACs each)
    or 8 vpmaddwd + vpaddd ymm chains (16 MACs each; 8 accumulators and 6
    operands fit the 16 ymm registers)."""
    if kernel == "vnni512":
        subs = {"TARGET": "avx512f,avx512vnni", "VEC": "__m512i", "CHAINS": "24",
                "SET1": "_mm512_set1_epi32", "A_BITS": "0x01020304", "B_BITS": "0x05060708",
                "STEP": "_mm512_dpbusd_epi32(acc[i], a[0], b[0])",
                "ADD": "_mm512_add_epi32", "MACS": "64", "NA": "1", "NB": "1"}
    else:
        subs = {"TARGET": "avx2", "VEC": "__m256i", "CHAINS": "8",
                "SET1": "_mm256_set1_epi32", "A_BITS": "0x00010002", "B_BITS": "0x00030004",
                "STEP": "_mm256_add_epi32(acc[i], _mm256_madd_epi16(a[i % 4], b[i / 4]))",
                "ADD": "_mm256_add_epi32", "MACS": "16", "NA": "4", "NB": "2"}
    text = PEAK_TEMPLATE
    for k, v in subs.items():
        text = text.replace(k, v)
    return text


DRIVER_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef struct { void *a, *d; int64_t off, s[2], st[2]; } D2;
void _mlir_ciface_main(D2 *x, D2 *y);
int main(int argc, char **argv) {
  long n = atol(argv[1]), reps = atol(argv[2]);
  uint8_t *x = malloc(n * n); int32_t *y = malloc(n * n * 4);
  FILE *f = fopen(argv[3], "rb");
  if (!f || fread(x, 1, n * n, f) != (size_t)(n * n)) return 2;
  fclose(f);
  D2 dx = {x, x, 0, {n, n}, {n, 1}}, dy = {y, y, 0, {n, n}, {n, 1}};
  _mlir_ciface_main(&dx, &dy);
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long r = 0; r < reps; ++r) _mlir_ciface_main(&dx, &dy);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  printf("%.6e\n", (double)n * n * n * reps / s);
  if (argc > 4) { FILE *o = fopen(argv[4], "wb"); fwrite(y, 4, n * n, o); fclose(o); }
  return 0;
}
"""


def peak_two(exe):
    """The two-core peak: the register-only program on both cores at once
    (the sum of their rates). On this VM the second vCPU does not always
    deliver a full core: this is the ceiling of any two-thread speed-up."""
    procs = [subprocess.Popen([exe], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    return sum(float(p.communicate()[0]) for p in procs)


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return r.stdout


def build(n, threads, w, tmp, kernel, target_cpu):
    xt = f"!qc.qtensor<{n}x{n}, #qc.int<8, unsigned>>"
    wt = f"!qc.qtensor<{n}x{n}, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>"
    src = tmp / f"gemm{n}.mlir"
    if not src.exists():
        src.write_text(
            f"func.func @main(%x: {xt}) -> tensor<{n}x{n}xi32> {{\n"
            f'  %w = qc.constant dense<"0x{w.tobytes().hex()}"> : '
            f"tensor<{n}x{n}xi8> : {wt}\n"
            f"  %y = qc.linear %x, %w : ({xt}, {wt}) -> tensor<{n}x{n}xi32>\n"
            f"  return %y : tensor<{n}x{n}xi32>\n}}\n")
    ll = tmp / f"gemm{n}-t{threads}.ll.mlir"
    obj = tmp / f"gemm{n}-t{threads}.o"
    exe = tmp / f"gemm{n}-t{threads}"
    target = f" target-cpu={target_cpu}" if target_cpu else ""
    sh([BIN / "quant-opt", src,
        f"--qc-lower-to-cpu=int8-kernel={kernel} threads={threads}{target}", "-o", ll])
    sh([BIN / "quant-translate", "--mlir-to-cpu-object", ll, "-o", obj])
    sh(["clang-19", "-O2", tmp / "driver.c", obj, "-o", exe, *prebuilt.OMP_LINK])
    obj.unlink()
    ll.unlink()
    return exe.name


def build_all(args, tmp):
    """Writes the programs into `tmp`; returns the manifest."""
    (tmp / "peak.c").write_text(peak_c(args.kernel))
    (tmp / "driver.c").write_text(DRIVER_C)
    sh(["clang-19", "-O2", tmp / "peak.c", "-o", tmp / "peak"])
    rng = np.random.default_rng(0)
    manifest = {"kernel": args.kernel, "target_cpu": args.target_cpu, "sizes": {}}
    for i, n in enumerate(args.sizes):
        w = rng.integers(-128, 128, (n, n)).astype(np.int8)
        x = rng.integers(0, 256, (n, n)).astype(np.uint8)
        manifest["sizes"][str(n)] = {str(t): build(n, t, w, tmp, args.kernel, args.target_cpu)
                                     for t in (1, 2)}
        if i == 0:  # the result the first size is checked against
            (tmp / "check-x.bin").write_bytes(x.tobytes())
            want = (x.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int32)
            manifest["check"] = {"n": n, "sha256": hashlib.sha256(want.tobytes()).hexdigest()}
        (tmp / f"gemm{n}.mlir").unlink()
    return manifest


def time_all(args, tmp, manifest):
    kernel = manifest["kernel"]
    flags = open("/proc/cpuinfo").read().split()
    if {"vnni512": "avx512_vnni", "avx2": "avx2"}[kernel] not in flags:
        sys.exit(f"this host cannot run the {kernel} kernel")
    check = manifest["check"]
    n = check["n"]
    exe2 = tmp / manifest["sizes"][str(n)]["2"]
    sh([exe2, str(n), "1", tmp / "check-x.bin", tmp / "check-y.bin"])
    got = hashlib.sha256((tmp / "check-y.bin").read_bytes()).hexdigest()
    assert got == check["sha256"], "wrong result"
    rng = np.random.default_rng(1)
    rows = []
    for size, exes in manifest["sizes"].items():
        n = int(size)
        (tmp / "x.bin").write_bytes(rng.integers(0, 256, (n, n)).astype(np.uint8).tobytes())
        reps = max(2, round(1e11 / n**3))  # a few tenths of a second each
        r = {"peak": [], "peak2": [], 1: [], 2: []}
        for i in range(args.rounds):
            r["peak"].append(float(sh([tmp / "peak"])))
            for t in ((1, 2) if i % 2 == 0 else (2, 1)):
                r[t].append(float(sh([tmp / exes[str(t)], str(n), str(reps), tmp / "x.bin"])))
            r["peak2"].append(peak_two(tmp / "peak"))
        rows.append((n, {k: np.array(v) for k, v in r.items()}))
    name = {"vnni512": "AVX-512 VNNI", "avx2": "AVX2"}[kernel]
    target = f", compiled for {manifest['target_cpu']}" if manifest["target_cpu"] else ""
    print(f"u8 x s8 -> s32 GEMM (qc.linear, {name} kernel{target}), M = N = K, "
          f"{args.rounds} rounds")
    print(f"{'size':>6} {'peak GMAC/s':>12} {'1T GMAC/s':>10} {'1T/peak':>8} "
          f"{'2T GMAC/s':>10} {'2T/1T':>6} {'2T/2T-peak':>10} {'peak 2T/1T':>10}")
    for n, r in rows:
        med = np.median
        print(f"{n:>6} {r['peak'].max() / 1e9:>12.1f} {r[1].max() / 1e9:>10.1f} "
              f"{med(r[1] / r['peak']):>8.2f} {r[2].max() / 1e9:>10.1f} "
              f"{med(r[2] / r[1]):>6.2f} {med(r[2] / r['peak2']):>10.2f} "
              f"{med(r['peak2'] / r['peak']):>10.2f}")
    print("(GMAC/s: the best round; ratios: the median over rounds of the ratio of "
          "figures measured back to back in one round, which cancels the clock's drift)")
    print("(2T-peak: the peak program on two cores at once, the sum of the two rates; "
          "peak 2T/1T is the two-core scaling the machine gave)")
    print("(peak: 24 independent vpdpbusd zmm chains on registers, one core)"
          if kernel == "vnni512" else
          "(peak: 8 independent vpmaddwd + vpaddd ymm chains on registers, one core)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--kernel", choices=["vnni512", "avx2"], default="vnni512")
    prebuilt.add_arguments(ap)
    args = ap.parse_args()
    prebuilt.run(args, build_all, time_all, sources=("peak.c", "driver.c"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Issue rates of the vector instructions the 4-bit weight-only decode uses,
and of the AVX2 kernel's per-row instruction mixes, on this host.

Each measurement is a register-only loop of independent instructions (12
destination registers, sources never written) written in inline assembly,
compiled with clang-19 and timed; the clock is measured in the same run by
a chain of dependent integer adds (one per cycle). Prints instructions per
cycle for single instructions and pairs (two instructions sharing a pipe
show the rate of one), and cycles per 32 bytes of codes for the mixes:

  int4 (AVX2, in place):  7 vpslld, 7 vpand, 8 vcvtdq2ps, 8 FMA (as vmulps,
                          same pipes, no accumulator chain)
  int4 offset codes:      an alternative measured, not used: 1 vpxor,
                          1 vpsrld, 8 vpand, 8 vcvtdq2ps, 8 FMA
  FP4 (AVX2, vpshufb):    3 index ops, 4 vpshufb, 4 vpunpck, 4 vpslld,
                          4 vpblendw, 8 FMA (as vmulps)
  per-16-byte decode:     the int4 mix of the earlier kernel (vpmovzxbd,
                          two shifts per code, conversions, FMAs)

Usage: bench/x86_decode_mix.py   (needs clang-19 and an AVX2 host)
"""

import pathlib
import subprocess
import sys
import tempfile

OPS = {
    "vpshufb": "vpshufb %%ymm14, %%ymm15, %%ymm{d}",
    "vpunpcklbw": "vpunpcklbw %%ymm14, %%ymm15, %%ymm{d}",
    "vpslld": "vpslld $16, %%ymm15, %%ymm{d}",
    "vpsrlw": "vpsrlw $4, %%ymm15, %%ymm{d}",
    "vpsrld": "vpsrld $16, %%ymm15, %%ymm{d}",
    "vpblendw": "vpblendw $0xaa, %%ymm14, %%ymm15, %%ymm{d}",
    "vpand": "vpand %%ymm14, %%ymm15, %%ymm{d}",
    "vpxor": "vpxor %%ymm14, %%ymm15, %%ymm{d}",
    "vmulps": "vmulps %%ymm14, %%ymm15, %%ymm{d}",
    "vcvtdq2ps": "vcvtdq2ps %%ymm15, %%ymm{d}",
    "vpermps": "vpermps %%ymm14, %%ymm15, %%ymm{d}",
    "vpmovzxbd": "vpmovzxbd %%xmm15, %%ymm{d}",
}
SINGLES = list(OPS)
PAIRS = [("vpshufb", "vpslld"), ("vpshufb", "vmulps"), ("vpslld", "vmulps"),
         ("vcvtdq2ps", "vmulps"), ("vcvtdq2ps", "vpslld"), ("vpand", "vmulps")]
INT4 = ["vpslld", "vcvtdq2ps", "vmulps"] + ["vpslld", "vpand", "vcvtdq2ps", "vmulps"] * 6 + \
       ["vpand", "vcvtdq2ps", "vmulps"]
FP4 = ["vpand", "vpsrlw", "vpshufb", "vpshufb", "vpand", "vpunpcklbw", "vpunpcklbw", "vpslld",
       "vpblendw", "vmulps", "vmulps", "vpslld", "vpblendw", "vmulps", "vmulps", "vpshufb",
       "vpshufb", "vpunpcklbw", "vpunpcklbw", "vpslld", "vpblendw", "vmulps", "vmulps",
       "vpslld", "vpblendw", "vmulps", "vmulps"]
OLD_INT4 = (["vpmovzxbd", "vpmovzxbd"] + ["vpslld"] * 4 + ["vpslld"] * 4 + ["vcvtdq2ps"] * 4 +
            ["vmulps"] * 4) * 2
INT4_OFFSET = ["vpxor", "vpsrld"] + ["vpand", "vcvtdq2ps", "vmulps"] * 8
MIXES = [("int4, in place (per 32 B)", INT4), ("FP4, vpshufb (per 32 B)", FP4),
         ("int4, per-16-byte decode (per 32 B)", OLD_INT4),
         ("int4, offset codes (per 32 B)", INT4_OFFSET)]


def loop(name, seq, kind):
    body = "\\n\\t".join(OPS[o].format(d=i % 12) for i, o in enumerate(seq))
    clobber = ",".join(f'"xmm{i}"' for i in range(12))
    return (f'  {{ long n = N; double t = now();\n'
            f'    __asm__ volatile("1:\\n\\t{body}\\n\\tdec %0\\n\\tjnz 1b" : "+r"(n) :: {clobber});\n'
            f'    t = now() - t; printf("{kind}\\t{name}\\t%.3f\\n", {len(seq)}.0 * N / (t * hz)); }}\n')


def main():
    src = ['#include <stdio.h>', '#include <time.h>',
           'static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);'
           ' return t.tv_sec + 1e-9 * t.tv_nsec; }',
           'int main(void) {', '  const long N = 20000000;',
           '  long c = 400000000; double t0 = now();',
           '  __asm__ volatile("1: add $1,%%rax; add $1,%%rax; add $1,%%rax; add $1,%%rax;'
           ' sub $4,%0; jnz 1b" : "+r"(c) :: "rax");',
           '  double hz = 400000000 / (now() - t0);',
           '  printf("clock\\t%.3f GHz\\n", hz * 1e-9);']
    for o in SINGLES:
        src.append(loop(o, [o] * 12, "ipc"))
    for a, b in PAIRS:
        src.append(loop(f"{a} + {b}", [a, b] * 6, "ipc"))
    for name, seq in MIXES:
        src.append(loop(name, seq, "mix").replace(f"{len(seq)}.0 * N / (t * hz)",
                                                 "t * hz / N"))
    src.append("  return 0;\n}\n")
    with tempfile.TemporaryDirectory() as tmp:
        c, exe = pathlib.Path(tmp) / "mix.c", pathlib.Path(tmp) / "mix"
        c.write_text("\n".join(src))
        subprocess.run(["clang-19", "-O2", str(c), "-o", str(exe)], check=True)
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        kind, *rest = line.split("\t")
        if kind == "clock":
            print(f"clock (dependent adds): {rest[0]}")
        elif kind == "ipc":
            print(f"  {rest[0]:<28} {float(rest[1]):5.2f} per cycle")
        else:
            print(f"  {rest[0]:<38} {float(rest[1]):5.2f} cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())

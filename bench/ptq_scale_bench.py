#!/usr/bin/env python3
"""Rotation folding + RTN of a large decoder, against one read of its weights.

Generates a Llama-style decoder with random float32 weights in an ONNX
external-data file (default: the shape of Llama-3.2-1B -- hidden 2048, 32
heads with 8 KV heads, intermediate 8192, 16 layers -- with an untied
32000-token vocabulary: 1.1 B parameters, 4.1 GiB), then measures in the
same run:
  - one read of the weights file (the baseline, through the page cache),
  - quant-opt --qc-ptq-pipeline="w=int4 rotate=hadamard" printing to
    /dev/null (--mlir-timing reports the pass time),
and prints the ratio. docs/Performance.md records the results.

Usage: ptq_scale_bench.py [--hidden 2048] [--intermediate 8192] [--layers 16]
       [--vocab 32000] [--dir DIR] [--keep]
"""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import onnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=8192)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--options", default="w=int4 rotate=hadamard")
    ap.add_argument("--dir")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    d = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="qc-scale-"))
    d.mkdir(parents=True, exist_ok=True)
    heads = args.hidden // 64
    t0 = time.time()
    with open(d / "weights.bin", "wb") as f:
        m = models.llama(hidden=args.hidden, heads=heads, kv_heads=max(1, heads // 4),
                         intermediate=args.intermediate, layers=args.layers,
                         vocab=args.vocab, external=(f, "weights.bin"))
    onnx.save(m, str(d / "model.onnx"))
    size = os.path.getsize(d / "weights.bin")
    params = size // 4
    print(f"model: {params / 1e9:.3f} B parameters, {size / 2**30:.2f} GiB of weights "
          f"(generated in {time.time() - t0:.1f} s)")

    # Baseline: one read of the weights (twice; the second, warm read counts).
    for _ in range(2):
        t = time.perf_counter()
        buf = bytearray(64 << 20)
        with open(d / "weights.bin", "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
        read = time.perf_counter() - t
    print(f"one read of the weights: {read:.2f} s ({size / read / 2**30:.2f} GiB/s)")

    cmd = [str(ROOT / "build" / "bin" / "quant-opt"), str(d / "model.onnx"),
           f"--qc-ptq-pipeline={args.options}", "--mlir-timing",
           "--mlir-disable-threading", "-o", "/dev/null"]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    total = time.perf_counter() - t
    if r.returncode:
        print(r.stderr[-3000:])
        sys.exit(1)
    m = re.search(r"([0-9.]+) \([ 0-9.]+%\)\s+'builtin.module' Pipeline|"
                  r"([0-9.]+) \([ 0-9.]+%\)\s+PTQPipeline", r.stderr)
    passes = float(next(g for g in m.groups() if g)) if m else float("nan")
    print(r.stderr)
    print(f"quant-opt {args.options}: {total:.2f} s end to end (import, passes, printing); "
          f"passes {passes:.2f} s")
    print(f"ratio passes / one read: {passes / read:.2f} (required <= 10); "
          f"end to end / one read: {total / read:.2f}")
    if not args.keep and not args.dir:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()

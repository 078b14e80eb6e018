#!/usr/bin/env python3
"""Speed of --qc-gptq on a decoder of real width.

Generates the outlier decoder (2 layers) at --hidden / --intermediate, one
calibration sample, and runs `quant-opt --qc-ptq-pipeline="w=int4 gptq=true"`
with --mlir-timing. GPTQ's dense work per linear layer with K inputs and N
outputs is K^3/3 fused multiply-adds for the Cholesky factorization and the
triangular inverse of its Hessian (once per distinct input: q/k/v and
gate/up share one) plus K^2 N / 2 for the error updates. The pass's rate
over that work is printed against the rate of the double-precision product
kernel it is built on (qc-bench-numerics --only-linalg), measured in the same
run, and against the register-only FMA peak.

Usage: bench/gptq_speed.py [--hidden 2048] [--intermediate 11008] [--reps 1]
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402

BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"


def dense_work(model):
    """FMAs of GPTQ's linear algebra over the model's linear layers."""
    weights = {i.name: tuple(i.dims) for i in model.graph.initializer}
    factor_inputs, update = {}, 0.0
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm") or node.input[1] not in weights:
            continue
        shape = weights[node.input[1]]
        if len(shape) != 2:
            continue
        trans_b = any(a.name == "transB" and a.i for a in node.attribute)
        k, n = (shape[1], shape[0]) if trans_b else shape
        factor_inputs[node.input[0]] = k
        update += k * k * n / 2
    factor = sum(k ** 3 / 3 for k in factor_inputs.values())
    return factor, update


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=11008)
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args()
    heads = max(4, args.hidden // 64)
    model = models.llama(hidden=args.hidden, heads=heads, kv_heads=max(2, heads // 4),
                         intermediate=args.intermediate, outliers=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qc-gptq-bench-"))
    onnx.save(model, str(tmp / "model.onnx"))
    (tmp / "calib" / "0").mkdir(parents=True)
    for name, value in models.sample_inputs(model, seed=0).items():
        np.save(tmp / "calib" / "0" / f"{name}.npy", value)
    factor, update = dense_work(model)

    kernels = subprocess.run([str(BIN / "qc-bench-numerics"), "--only-linalg",
                              "--linalg", "2048", "--reps", "3"],
                             check=True, capture_output=True, text=True).stdout
    peak = re.search(r"peak \(all threads\): ([\d.]+) GFMA/s", kernels)
    product = re.search(r"x 128: [\d.]+ s, ([\d.]+) GFMA/s", kernels)
    peak = float(peak.group(1)) if peak else None
    product = float(product.group(1))

    print(f"outlier decoder: hidden {args.hidden}, MLP {args.intermediate}, 2 layers, "
          f"{os.cpu_count()} threads")
    print(f"GPTQ dense work: factorizations {factor / 1e9:.0f} GFMA, "
          f"updates {update / 1e9:.0f} GFMA")
    print(f"product kernel (2048 x 2048 x 128) in this run: {product:.1f} GFMA/s"
          + (f"; register-only peak {peak:.1f} GFMA/s" if peak else ""))
    for rep in range(args.reps):
        t0 = time.time()
        r = subprocess.run([str(BIN / "quant-opt"), str(tmp / "model.onnx"),
                            f"--qc-ptq-pipeline=w=int4 gptq=true calib={tmp / 'calib'}",
                            "--mlir-timing", "-o", os.devnull],
                           capture_output=True, text=True)
        wall = time.time() - t0
        if r.returncode:
            sys.exit(r.stderr)
        gptq = re.search(r"^\s*([\d.]+) \(\s*[\d.]+%\)\s+GPTQ$", r.stderr, re.M)
        calib = re.search(r"^\s*([\d.]+) \(\s*[\d.]+%\)\s+Calibrate$", r.stderr, re.M)
        t = float(gptq.group(1))
        rate = (factor + update) / t / 1e9
        print(f"run {rep + 1}: pipeline {wall:.1f} s (calibration {float(calib.group(1)):.1f} s), "
              f"--qc-gptq {t:.1f} s = {rate:.1f} GFMA/s = {rate / product:.2f} of the "
              "product kernel" + (f", {rate / peak:.2f} of peak" if peak else ""))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Per-layer weight formats under a bit budget (--qc-assign-formats).

On the outlier decoder (weights only, activations float, or with
--activations int8), prints for each budget the bits per weight reached,
the formats chosen and the relative L2 error of the logits against the
float model in onnxruntime on inputs that are not calibration samples,
for both error metrics (output: the model run with one layer quantized at
a time; hessian: each layer's calibrated Hessian), next to the uniform
int4 and int8 models.

Usage: bench/mixed_precision.py [--hidden 64] [--calib 8] [--eval 4]
       [--budgets 4.5,5,6,7] [--candidates int4,int8] [--activations float]
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402

BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"
REMARK = re.compile(r"qc-assign-formats: (.*); ([0-9.]+) bits per weight")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--calib", type=int, default=8)
    ap.add_argument("--eval", type=int, default=4)
    ap.add_argument("--budgets", default="4.5,5,6,7")
    ap.add_argument("--candidates", default="int4,int8")
    ap.add_argument("--activations", default="float")
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qc-mixed-bench-"))
    heads = max(4, args.hidden // 64)
    model = models.llama(hidden=args.hidden, heads=heads, kv_heads=max(2, heads // 4),
                         intermediate=172 * 8 * max(1, args.hidden // 256), outliers=True)
    onnx.save(model, tmp / "model.onnx")
    calib = tmp / "calib"
    for i in range(args.calib):
        (calib / str(i)).mkdir(parents=True)
        for k, v in models.sample_inputs(model, seed=i).items():
            np.save(calib / str(i) / f"{k}.npy", v)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    evals = [models.sample_inputs(model, seed=1000 + i) for i in range(args.eval)]
    refs = [session.run(None, e)[0].astype(np.float64) for e in evals]
    for i, e in enumerate(evals):
        for k, v in e.items():
            np.save(tmp / f"eval{i}_{k}.npy", v)

    def run(passes):
        out = tmp / "q.mlir"
        r = subprocess.run([str(BIN / "quant-opt"), str(tmp / "model.onnx"), *passes,
                            "-o", str(out)], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(r.stderr)
        got = []
        for i, e in enumerate(evals):
            cmd = [str(BIN / "quant-run"), str(out), "--output-dir", str(tmp / "out")]
            for k in e:
                cmd += ["--input", f"{k}={tmp / f'eval{i}_{k}.npy'}"]
            subprocess.run(cmd, check=True, capture_output=True)
            got.append(np.load(tmp / "out" / "logits.npy").astype(np.float64))
        g = np.concatenate([x.ravel() for x in got])
        ref = np.concatenate([x.ravel() for x in refs])
        m = REMARK.search(r.stderr)
        return float(np.linalg.norm(g - ref) / np.linalg.norm(ref)), m

    acts = f"a={args.activations}"
    print(f"outlier decoder, hidden {args.hidden}; {args.calib} calibration samples, "
          f"{args.eval} evaluation samples; activations {args.activations}; "
          f"candidates {args.candidates}")
    print("| weights | bits per weight | formats | rel. L2 error of the logits |")
    print("|---|---|---|---|")
    for fmt in args.candidates.split(","):
        err, _ = run([f"--qc-ptq-pipeline=w={fmt} {acts} calib={calib}"])
        print(f"| all {fmt} | | | {err:.4f} |", flush=True)
    for b in args.budgets.split(","):
        err, m = run([f"--qc-ptq-pipeline=w-bits={b} w-candidates={args.candidates} "
                      f"{acts} calib={calib}"])
        print(f"| budget {b}, metric=output | {m.group(2)} | {m.group(1)} | {err:.4f} |",
              flush=True)
        err, m = run([f"--qc-calibrate=data={calib} hessian=true",
                      f"--qc-assign-formats=bits={b} candidates={args.candidates} "
                      "metric=hessian",
                      f"--qc-ptq-pipeline=w={args.candidates.split(',')[0]} {acts} "
                      f"calib={calib}"])
        print(f"| budget {b}, metric=hessian | {m.group(2)} | {m.group(1)} | {err:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()

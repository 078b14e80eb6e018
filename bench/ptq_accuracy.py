#!/usr/bin/env python3
"""Accuracy of --qc-ptq-pipeline on the outlier decoder.

For each format (W8A8, W4A8, W4A4: integer weights per output channel and
per-token dynamic activations; MXFP4, MXFP6, NVFP4 for both) and method
(RTN, RTN + Hadamard, RTN + block-16 Hadamard, GPTQ, GPTQ + Hadamard,
MixQuant with blocks of 16 and 32), prints the relative L2 error and the cosine
similarity of the logits against onnxruntime running the float model, on
inputs that are not calibration samples. Then checks the orderings the
methods promise (see docs/Performance.md for recorded results).

Usage: bench/ptq_accuracy.py [--hidden 64] [--intermediate N] [--calib 8]
       [--eval 4] [--formats W4A4,...] [--methods RTN,RTN+Had,...]
       [--options "w-scale=mse a-clip=0.9"]
(--formats/--methods run a subset, e.g. for wide models; the checks whose
cells were not measured are skipped.)
"""

import argparse
import os
import pathlib
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

FORMATS = [
    ("W8A8", "w=int8 a=int8"),
    ("W4A8", "w=int4 a=int8"),
    ("W4A4", "w=int4 a=int4"),
    ("MXFP4", "w=mxfp4 a=mxfp4"),
    ("MXFP6", "w=mxfp6 a=mxfp6"),
    ("NVFP4", "w=nvfp4 a=nvfp4"),
]
METHODS = [
    ("RTN", "rotate=none"),
    ("RTN+Had", "rotate=hadamard"),
    ("RTN+Had16", "rotate=hadamard block=16"),
    ("GPTQ", "rotate=none gptq=true"),
    ("GPTQ+Had", "rotate=hadamard gptq=true"),
    ("MixQ16", "rotate=mixquant block=16"),
    ("MixQ32", "rotate=mixquant block=32"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--intermediate", type=int,
                    help="MLP width (default 1376 per 256 of hidden, at least 1376; "
                         "Llama-2-7B: 11008 at hidden 4096)")
    ap.add_argument("--calib", type=int, default=8, help="calibration samples")
    ap.add_argument("--eval", type=int, default=4, help="evaluation samples")
    ap.add_argument("--options", default="",
                    help="pipeline options added to every cell, e.g. the QuaRot "
                         "RTN recipe 'w-scale=mse a-clip=0.9'")
    ap.add_argument("--formats", help="comma-separated subset of " +
                    ",".join(f for f, _ in FORMATS))
    ap.add_argument("--methods", help="comma-separated subset of " +
                    ",".join(m for m, _ in METHODS))
    args = ap.parse_args()
    formats = [f for f in FORMATS
               if not args.formats or f[0] in args.formats.split(",")]
    methods = [m for m in METHODS
               if not args.methods or m[0] in args.methods.split(",")]
    if not formats or not methods:
        ap.error("no format or method selected")
    heads = max(4, args.hidden // 64)
    inter = args.intermediate or 172 * 8 * max(1, args.hidden // 256)
    model = models.llama(hidden=args.hidden, heads=heads, kv_heads=max(2, heads // 4),
                         intermediate=inter,
                         outliers=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qc-ptq-bench-"))
    onnx.save(model, str(tmp / "model.onnx"))
    calib = tmp / "calib"
    for i in range(args.calib):
        (calib / str(i)).mkdir(parents=True)
        for name, value in models.sample_inputs(model, seed=i).items():
            np.save(calib / str(i) / f"{name}.npy", value)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    evals = [models.sample_inputs(model, seed=1000 + i) for i in range(args.eval)]
    refs = [session.run(None, e)[0] for e in evals]
    for i, e in enumerate(evals):
        for name, value in e.items():
            np.save(tmp / f"eval{i}_{name}.npy", value)

    def measure(options):
        out = tmp / "q.mlir"
        subprocess.run([str(BIN / "quant-opt"), str(tmp / "model.onnx"),
                        f"--qc-ptq-pipeline={options} {args.options} calib={calib}",
                        "-o", str(out)],
                       check=True, capture_output=True, text=True)
        got = []
        for i, e in enumerate(evals):
            cmd = [str(BIN / "quant-run"), str(out), "--output-dir", str(tmp / "out")]
            for name in e:
                cmd += ["--input", f"{name}={tmp / f'eval{i}_{name}.npy'}"]
            subprocess.run(cmd, check=True, capture_output=True)
            got.append(np.load(tmp / "out" / "logits.npy").astype(np.float64))
        g = np.concatenate([x.ravel() for x in got])
        r = np.concatenate([x.ravel() for x in refs]).astype(np.float64)
        rel = float(np.linalg.norm(g - r) / np.linalg.norm(r))
        cos = float(g @ r / (np.linalg.norm(g) * np.linalg.norm(r)))
        return rel, cos

    print(f"outlier decoder: hidden {args.hidden}, {heads} heads, MLP {inter}, 2 layers; "
          f"{args.calib} calibration samples, {args.eval} evaluation samples")
    if args.options:
        print(f"options of every cell: {args.options}")
    print("cells: relative L2 error of the logits / cosine vs float (onnxruntime)")
    print("| format | " + " | ".join(m for m, _ in methods) + " |")
    print("|---|" + "---|" * len(methods))
    results = {}
    for fname, fopts in formats:
        cells = []
        for mname, mopts in methods:
            rel, cos = measure(f"{fopts} {mopts}")
            results[(fname, mname)] = rel
            cells.append(f"{rel:.4f} / {cos:.4f}")
        print(f"| {fname} | " + " | ".join(cells) + " |", flush=True)

    print()
    if not args.formats and not args.methods:
        float_err = max(measure(f"w=float a=float {m}")[0]
                        for m in ["rotate=hadamard", "rotate=mixquant block=16"])
        print(f"float equivalence (w=float a=float, Hadamard and MixQuant b16): "
              f"max rel L2 {float_err:.2e} (required <= 1e-4)")

    def have(*keys):
        return all(k in results for k in keys)

    for plain, rotated in [("RTN", "RTN+Had"), ("GPTQ", "GPTQ+Had")]:
        if have(("W4A4", plain), ("W4A4", rotated)):
            cut = results[("W4A4", plain)] / results[("W4A4", rotated)]
            print(f"W4A4: Hadamard cuts the {plain} error {cut:.2f}x "
                  f"(required >= 3x): {'PASS' if cut >= 3 else 'FAIL'}")
    if have(("W4A4", "MixQ16"), ("W4A4", "RTN+Had16")):
        mix, blk = results[("W4A4", "MixQ16")], results[("W4A4", "RTN+Had16")]
        print(f"W4A4: MixQuant b16 {mix:.4f} vs block-16 Hadamard {blk:.4f}: "
              f"{'PASS' if mix < blk else 'FAIL'}")
    for f in ["W4A8", "W4A4"]:
        if have((f, "GPTQ+Had"), (f, "RTN+Had")):
            g, r = results[(f, "GPTQ+Had")], results[(f, "RTN+Had")]
            print(f"{f}: GPTQ+Had {g:.4f} vs RTN+Had {r:.4f}: "
                  f"{'PASS' if g < r else 'FAIL'}")


if __name__ == "__main__":
    main()

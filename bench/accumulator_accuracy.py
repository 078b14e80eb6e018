#!/usr/bin/env python3
"""Accuracy under a bound on the accumulator width (A2Q / AXE).

For each model and format, quantizes with --qc-ptq-pipeline, computes the
layers as integer sums (--qc-integer-linear) and measures the widest
accumulator the model needs (--qc-minimize-accumulators, exact range per
output channel). Then, for a range of accumulator widths P, compares:

  overflow  the unconstrained RTN model with every accumulator cut to P
            bits (two's complement wrap-around: what a narrow accumulator
            does to a model quantized without the bound);
  RTN-fit   acc-bits=P with round-to-nearest (channel scales raised until
            no input can overflow);
  GPTQ-AXE  acc-bits=P with GPTQ (codes clamped to each channel's budget,
            the clamping error fed forward; act-order).

and checks that every constrained model needs at most P bits. Cells: the
relative L2 error of the outputs against the float model (onnxruntime) on
inputs that are not calibration samples, and for the classifier MLPs the
share of inputs whose argmax agrees with the float model.

The ResNet (`--models resnet`: models.resnet(batch=8, size=16), six
convolutions as qc.conv and a linear head) has no Hessian for its
convolutions: GPTQ-AXE fits them like RTN-fit and runs GPTQ on the head.

Usage: bench/accumulator_accuracy.py [--models mlp,mnist,decoder,resnet]
       [--calib 32] [--eval 256]
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

LINEAR = re.compile(r"qc\.(?:linear|conv) .*-> tensor<[0-9x]*xi(\d+)>")


def run(*cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{r.stderr}")
    return r


class Model:
    def __init__(self, name, model, tmp, calib, evals, batch_inputs):
        self.name, self.tmp = name, tmp / name
        self.tmp.mkdir()
        self.path = self.tmp / "model.onnx"
        onnx.save(model, self.path)
        self.output = model.graph.output[0].name
        self.classifier = name != "decoder"
        self.calib = self.tmp / "calib"
        for i in range(calib):
            (self.calib / str(i)).mkdir(parents=True)
            for k, v in batch_inputs(1000 + i).items():
                np.save(self.calib / str(i) / f"{k}.npy", v)
        session = ort.InferenceSession(model.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        self.evals = []
        self.refs = []
        for i in range(evals):
            feeds = batch_inputs(i)
            files = {}
            for k, v in feeds.items():
                f = self.tmp / f"eval{i}_{k}.npy"
                np.save(f, v)
                files[k] = f
            self.evals.append(files)
            self.refs.append(session.run(None, feeds)[0].astype(np.float64))

    def quantize(self, options, tag):
        q = self.tmp / f"{tag}.mlir"
        run(BIN / "quant-opt", self.path,
            f"--qc-ptq-pipeline={options} calib={self.calib}", "-o", q)
        integer = self.tmp / f"{tag}.int.mlir"
        run(BIN / "quant-opt", q, "--qc-integer-linear", "-o", integer)
        return integer

    def needed_bits(self, module):
        out = self.tmp / "min.mlir"
        run(BIN / "quant-opt", module, "--qc-minimize-accumulators", "-o", out)
        widths = [int(m.group(1)) for m in LINEAR.finditer(out.read_text())]
        if not widths:
            raise SystemExit(f"{self.name}: no qc.linear / qc.conv in {module}")
        return max(widths), len(widths)

    def measure(self, module):
        got = []
        for files in self.evals:
            cmd = [BIN / "quant-run", module, "--output-dir", self.tmp / "out"]
            for k, f in files.items():
                cmd += ["--input", f"{k}={f}"]
            run(*cmd)
            got.append(np.load(self.tmp / "out" / f"{self.output}.npy").astype(np.float64))
        g = np.concatenate([x.ravel() for x in got])
        r = np.concatenate([x.ravel() for x in self.refs])
        rel = float(np.linalg.norm(g - r) / np.linalg.norm(r))
        if not self.classifier:
            return rel, None
        agree = np.mean([np.array_equal(np.argmax(a, -1), np.argmax(b, -1))
                         if a.ndim == 1 else np.mean(np.argmax(a, -1) == np.argmax(b, -1))
                         for a, b in zip(got, self.refs)])
        return rel, float(agree)


def truncate(module, bits, out):
    """`module` with every qc.linear / qc.conv accumulator (and the nn.cast
    reading it)
    retyped to `bits` bits: the sums then wrap at that width."""
    text = module.read_text()
    acc = set()
    lines = []
    for line in text.splitlines():
        m = re.match(r"\s*(%\S+) = qc\.(?:linear|conv) ", line)
        if m:
            acc.add(m.group(1))
            line = re.sub(r"-> tensor<([0-9x]*)xi32>", rf"-> tensor<\1xi{bits}>", line)
        m = re.match(r"\s*%\S+ = nn\.cast (%\S+) to f32 : tensor<([0-9x]*)xi32>", line)
        if m and m.group(1) in acc:
            line = line.replace("xi32>", f"xi{bits}>")
        lines.append(line)
    out.write_text("\n".join(lines) + "\n")
    return out


def cell(result):
    rel, agree = result
    return f"{rel:.4f}" + (f" / {agree:.3f}" if agree is not None else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp,mnist,decoder")
    ap.add_argument("--calib", type=int, default=32, help="calibration batches")
    ap.add_argument("--eval", type=int, default=8, help="evaluation batches")
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qc-acc-bench-"))

    def features(shape):
        return lambda seed: {"input": np.random.default_rng(seed)
                             .standard_normal(shape).astype(np.float32)}

    built = []
    for name in args.models.split(","):
        if name == "mlp":  # hls4ml's jet tagging MLP
            m = models.mlp(batch=64)
            built.append(Model("mlp", m, tmp, args.calib, args.eval, features((64, 16))))
        elif name == "mnist":  # an MNIST-sized MLP (K = 784)
            m = models.mlp(batch=64, dims=(784, 256, 128, 10))
            built.append(Model("mnist", m, tmp, args.calib, args.eval, features((64, 784))))
        elif name == "resnet":  # a small ResNet, 8 images of 16 x 16 per batch
            m = models.resnet(batch=8, size=16)
            built.append(Model("resnet", m, tmp, args.calib, args.eval,
                               features((8, 3, 16, 16))))
        elif name == "decoder":
            m = models.llama(outliers=True)
            built.append(Model("decoder", m, tmp, args.calib, args.eval,
                               lambda seed, m=m: models.sample_inputs(m, seed=seed)))
        else:
            ap.error(f"unknown model {name}")

    print("cells: relative L2 error vs float (onnxruntime)"
          " [/ share of argmax agreeing with float, classifiers]")
    failures = 0
    for model in built:
        for fname, fopts in [("W8A8", "w=int8 a=int8"), ("W4A8", "w=int4 a=int8"),
                             ("W4A4", "w=int4 a=int4")]:
            rtn = model.quantize(fopts, "rtn")
            need_rtn, layers = model.needed_bits(rtn)
            base = model.measure(rtn)
            gptq = model.quantize(f"{fopts} gptq=true act-order=true", "gptq")
            need_gptq, _ = model.needed_bits(gptq)
            base_gptq = model.measure(gptq)
            print(f"\n{model.name} {fname} ({layers} integer layers): unconstrained RTN "
                  f"{cell(base)} needs {need_rtn} bits, GPTQ {cell(base_gptq)} "
                  f"needs {need_gptq} bits")
            print("| P | overflow | RTN-fit | GPTQ-AXE |")
            print("|---|---|---|---|")
            for p in range(need_rtn - 1, need_rtn - 9, -1):
                wrapped = model.measure(truncate(rtn, p, model.tmp / "wrap.mlir"))
                cells = [cell(wrapped)]
                for tag, extra in [("fit", ""), ("axe", " gptq=true act-order=true")]:
                    module = model.quantize(f"{fopts} acc-bits={p}{extra}", tag)
                    need, _ = model.needed_bits(module)
                    if need > p:
                        print(f"FAIL: {tag} at acc-bits={p} needs {need} bits")
                        failures += 1
                    cells.append(cell(model.measure(module)))
                print(f"| {p} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nbound checks: {'PASS' if failures == 0 else f'{failures} FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

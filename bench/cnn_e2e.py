#!/usr/bin/env python3
"""End-to-end latency of a CNN: ResNet-18's or MobileNetV2's topology
(quantc.models.resnet18 / mobilenet_v2, random weights, BatchNormalization
after every convolution) at 224 x 224, QuantC's CPU code against
onnxruntime in the same run, one thread:

  - float: QuantC (quant-run --target=cpu: convolutions on the packed f32
    kernel over im2col rows) against onnxruntime on the same ONNX model;
  - W8A8 (--qc-ptq-pipeline="w=int8 a=int8": int8 weights per output
    channel, dynamic per-tensor int8 activations): QuantC (the weights
    folded into f32 constants, the same kernel) against onnxruntime on
    QuantC's Q/DQ export of that model and on the float model.

Prints each latency and the ratios QuantC / onnxruntime. docs/Performance.md
records the results.

Usage: bench/cnn_e2e.py [--model resnet18|mobilenet_v2] [--size 224]
                        [--repeat 10] [--threads 1]
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_util import BUILD, ROOT, ort_ms, quantc_ms  # noqa: E402

sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["resnet18", "mobilenet_v2"], default="resnet18")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    model = getattr(models, a.model)(size=a.size)
    feeds = {"input": np.random.default_rng(0).standard_normal(
        (1, 3, a.size, a.size)).astype(np.float32)}
    threads = [f"--cpu-threads={a.threads}"]
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        path = tmp / "r18.onnx"
        onnx.save(model, str(path))
        q = tmp / "q.mlir"
        subprocess.run([str(BUILD / "bin" / "quant-opt"), str(path),
                        "--qc-ptq-pipeline=w=int8 a=int8", "-o", str(q)], check=True)
        qdq = tmp / "qdq.onnx"
        subprocess.run([str(BUILD / "bin" / "quant-translate"), "--export-onnx", str(q),
                        "-o", str(qdq)], check=True)
        f_qc = quantc_ms(path, feeds, tmp, a.repeat, threads)
        f_ort = ort_ms(path, feeds, a.repeat, a.threads)
        q_qc = quantc_ms(q, feeds, tmp, a.repeat, threads)
        q_ort = ort_ms(qdq, feeds, a.repeat, a.threads)
        print(f"{a.model} topology, {a.size} x {a.size}, batch 1, {a.threads} thread(s)")
        print("| model | QuantC | onnxruntime (same model) | ratio | onnxruntime float | ratio |")
        print("|---|---|---|---|---|---|")
        print(f"| float | {f_qc:.1f} ms | {f_ort:.1f} ms | {f_qc / f_ort:.2f} | {f_ort:.1f} ms "
              f"| {f_qc / f_ort:.2f} |")
        print(f"| W8A8 | {q_qc:.1f} ms | {q_ort:.1f} ms (Q/DQ export) | {q_qc / q_ort:.2f} "
              f"| {f_ort:.1f} ms | {q_qc / f_ort:.2f} |")


if __name__ == "__main__":
    main()

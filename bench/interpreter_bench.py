#!/usr/bin/env python3
"""Times QuantC's import + reference interpreter on a ~100M-parameter
Llama-style decoder (random weights) against onnxruntime on the same model in
the same run, and checks the outputs agree.

Usage: interpreter_bench.py [--quant-run PATH] [--hidden 1024] [--layers 8]
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quant-run", default=str(ROOT / "build" / "bin" / "quant-run"))
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--seq", type=int, default=16)
    args = ap.parse_args()
    model = models.llama(seq=args.seq, hidden=args.hidden, heads=16, kv_heads=4,
                         layers=args.layers, intermediate=172 * 16, vocab=4096)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    tmp = pathlib.Path(tempfile.mkdtemp())
    path = tmp / "decoder.onnx"
    onnx.save(model, str(path))
    inputs = models.sample_inputs(model)
    np.save(tmp / "ids.npy", inputs["input_ids"])

    t0 = time.perf_counter()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = sess.run(None, inputs)[0]
    t_ort = time.perf_counter() - t0
    np.save(tmp / "want.npy", want)

    t0 = time.perf_counter()
    res = subprocess.run([args.quant_run, str(path), "--input", f"input_ids={tmp / 'ids.npy'}",
                          "--expected", f"logits={tmp / 'want.npy'}"],
                         check=True, capture_output=True, text=True)
    t_qc = time.perf_counter() - t0
    print(f"model: Llama-style decoder, {params / 1e6:.1f}M parameters "
          f"({params * 4 / 2**20:.0f} MiB float32), seq {args.seq}")
    print(f"onnxruntime load + run: {t_ort:.2f} s")
    print(f"quant-run import + interpret: {t_qc:.2f} s  (ratio {t_qc / t_ort:.2f}x onnxruntime)")
    print("agreement: " + res.stdout.strip())


if __name__ == "__main__":
    main()

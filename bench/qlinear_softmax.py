#!/usr/bin/env python3
"""com.microsoft QLinearSoftmax (what quantize_static writes for a
transformer's attention softmax) compiled by QuantC against onnxruntime's
own kernel, on the same model in the same run.

For each shape [heads, sequence, sequence] (uint8 codes, softmax over the
last axis), runs `quant-run --target=cpu --repeat R` and onnxruntime
(one thread each) in alternating rounds, checks that the outputs agree bit
for bit, and prints each latency (the best round) and the ratio QuantC /
onnxruntime (the median over rounds of the ratio within a round).

Usage: bench/qlinear_softmax.py [--rounds 3] [--repeat 50] [--shapes HxS ...]
"""

import argparse
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUANT_RUN = ROOT / "build" / "bin" / "quant-run"


def model(heads, seq):
    node = helper.make_node("QLinearSoftmax", ["x", "sx", "zx", "sy", "zy"], ["y"],
                            domain="com.microsoft", axis=-1, opset=13)
    inits = [numpy_helper.from_array(np.array(0.06, np.float32), "sx"),
             numpy_helper.from_array(np.array(0, np.uint8), "zx"),
             numpy_helper.from_array(np.array(1 / 256, np.float32), "sy"),
             numpy_helper.from_array(np.array(0, np.uint8), "zy")]
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g", [vi("x", TensorProto.UINT8, [heads, seq, seq])],
                          [vi("y", TensorProto.UINT8, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--shapes", nargs="+", default=["12x128", "12x384"])
    args = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    print(f"{'heads x seq':>12} {'QuantC ms':>10} {'onnxruntime ms':>15} {'ratio':>6}")
    for shape in args.shapes:
        heads, seq = (int(v) for v in shape.split("x"))
        m = model(heads, seq)
        path = tmp / f"sm{shape}.onnx"
        onnx.save(m, str(path))
        x = np.random.default_rng(0).integers(0, 256, (heads, seq, seq)).astype(np.uint8)
        np.save(tmp / "x.npy", x)
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        want = sess.run(None, {"x": x})[0]
        qc, ref, ratios = [], [], []
        for _ in range(args.rounds):
            r = subprocess.run([str(QUANT_RUN), str(path), "--target=cpu", "--input",
                                f"x={tmp / 'x.npy'}", "--output-dir", str(tmp / "out"),
                                "--repeat", str(args.repeat)],
                               capture_output=True, text=True, check=True)
            q = float(re.search(r"latency: ([0-9.e-]+) s", r.stdout).group(1))
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                sess.run(None, {"x": x})
            o = (time.perf_counter() - t0) / args.repeat
            qc.append(q)
            ref.append(o)
            ratios.append(q / o)
        got = np.load(tmp / "out" / "y.npy")
        if not np.array_equal(got, want):
            sys.exit(f"{shape}: QuantC's output differs from onnxruntime's")
        print(f"{shape:>12} {min(qc) * 1e3:>10.3f} {min(ref) * 1e3:>15.3f} "
              f"{np.median(ratios):>6.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""com.microsoft MatMulNBits (onnxruntime's int4 weight-only matmul, what
onnxruntime-genai's int4 models and onnxruntime's MatMulNBits quantizer
write) compiled by QuantC against onnxruntime, by the number of rows M.

One MatMulNBits node, K x N = 4096 x 4096 (--k, --n), 4-bit codes in blocks
of 32 along K with f32 scales, without zero points (8 implied) and with
per-block zero points (--zero-points). For each M in --rows, in the same
run, one thread: QuantC (quant-run --target=cpu --repeat N: the weight-only
kernel, one decode per row below 6 rows, a decoded panel per block of
weights from 6 rows on) and onnxruntime 1.x (CPU execution provider,
intra_op_num_threads=1) with accuracy_level 0 (float activations: the same
arithmetic) and 4 (int8 activations per block of K), each model in both.
Prints the latencies, QuantC's GFLOP/s at level 0 and the ratios QuantC /
onnxruntime per level. docs/Performance.md records the results.

Usage: bench/matmulnbits.py [--rows 1 4 8 16 64] [--k 4096] [--n 4096]
                            [--zero-points] [--repeat 30]
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_util import ort_ms, quantc_ms  # noqa: E402


def model(m, k, n, zero_points, level, rng):
    blocks = k // 32
    codes = rng.integers(0, 16, (n, k)).astype(np.uint8)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).reshape(n, blocks, 16)
    inits = [numpy_helper.from_array(packed, "B"),
             numpy_helper.from_array(rng.uniform(0.01, 0.05, n * blocks).astype(np.float32), "S")]
    names = ["A", "B", "S"]
    if zero_points:
        z = rng.integers(0, 16, (n, blocks + blocks % 2)).astype(np.uint8)
        inits.append(numpy_helper.from_array((z[:, 0::2] | (z[:, 1::2] << 4)).ravel(), "Z"))
        names.append("Z")
    attrs = dict(K=k, N=n, bits=4, block_size=32)
    if level:
        attrs["accuracy_level"] = level
    node = helper.make_node("MatMulNBits", names, ["Y"], domain="com.microsoft", **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT,
                                                                       [1, m, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, m, n])],
                          inits)
    mp = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid("com.microsoft", 1)])
    mp.ir_version = 8
    return mp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1, 4, 8, 16, 64])
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--zero-points", action="store_true")
    ap.add_argument("--repeat", type=int, default=30)
    a = ap.parse_args()
    print(f"MatMulNBits {a.k} x {a.n}, 4-bit, blocks of 32, "
          f"{'per-block zero points' if a.zero_points else 'no zero points'}; one thread")
    print("| M | QuantC level 0 | GFLOP/s | onnxruntime level 0 | ratio | QuantC level 4 | "
          "onnxruntime level 4 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for m in a.rows:
            ms = {}
            for level in (0, 4):
                path = tmp / f"m{level}.onnx"
                onnx.save(model(m, a.k, a.n, a.zero_points, level, np.random.default_rng(m)),
                          str(path))
            feeds = {"A": np.random.default_rng(1).standard_normal((1, m, a.k)).astype(np.float32)}
            q = {level: quantc_ms(tmp / f"m{level}.onnx", feeds, tmp, a.repeat)
                 for level in (0, 4)}
            for level in (0, 4):
                ms[level] = ort_ms(tmp / f"m{level}.onnx", feeds, a.repeat)
            gflops = 2 * m * a.k * a.n / (q[0] * 1e-3) / 1e9
            print(f"| {m} | {q[0]:.3f} ms | {gflops:.1f} | {ms[0]:.3f} ms | {q[0] / ms[0]:.2f} | "
                  f"{q[4]:.3f} ms | {ms[4]:.3f} ms | {q[4] / ms[4]:.2f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Import of a model with >= 1 GiB of ONNX external-data weights.

Generates a chain of MatMul layers whose float32 weights (16 x 4096 x 4096 =
1 GiB by default) live in one external-data file, then measures in the same
run:
  - reading the weights file once (the baseline),
  - `quant-run --import-only` (ONNX import + verification): wall time and
    peak resident memory (from wait4).
Prints peak RSS / weight bytes and import time / read time.

Usage: external_data_bench.py [--quant-run PATH] [--layers 16] [--dim 4096]
       [--dir DIR]
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = pathlib.Path(__file__).resolve().parents[1]


def build(directory, layers, dim):
    inits, nodes = [], []
    x = "x"
    with open(directory / "weights.bin", "wb") as f:
        for i in range(layers):
            w = ((np.arange(dim * dim, dtype=np.int64) * (i + 7)) % 251).astype(np.float32)
            w = (w - 125.0) * (1.0 / (125.0 * np.sqrt(dim)))
            offset = f.tell()
            f.write(w.astype("<f4").tobytes())
            t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[dim, dim],
                            data_location=TensorProto.EXTERNAL)
            for k, v in (("location", "weights.bin"), ("offset", str(offset)),
                         ("length", str(dim * dim * 4))):
                e = t.external_data.add()
                e.key, e.value = k, v
            inits.append(t)
            nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"h{i}"], name=f"layer{i}"))
            x = f"h{i}"
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, dim])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, dim])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 10
    with open(directory / "model.onnx", "wb") as f:
        f.write(m.SerializeToString())
    return layers * dim * dim * 4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quant-run", default=str(ROOT / "build" / "bin" / "quant-run"))
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--dir")
    args = ap.parse_args()
    directory = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="quantc-ext-"))
    directory.mkdir(parents=True, exist_ok=True)
    weight_bytes = build(directory, args.layers, args.dim)

    buf = bytearray(64 << 20)
    t0 = time.perf_counter()
    with open(directory / "weights.bin", "rb", buffering=0) as f:
        while f.readinto(buf):
            pass
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    proc = subprocess.Popen([args.quant_run, str(directory / "model.onnx"), "--import-only"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    t_import = time.perf_counter() - t0
    out = proc.stdout.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("import failed: " + proc.stderr.read().decode())
    rss = usage.ru_maxrss * 1024
    print(f"weights: {weight_bytes / 2**30:.2f} GiB in external data ({args.layers} x "
          f"{args.dim}x{args.dim} float32); {out}")
    print(f"read the weights file once: {t_read:.3f} s")
    print(f"import (quant-run --import-only): {t_import:.3f} s, peak RSS {rss / 2**20:.0f} MiB")
    print(f"peak RSS / weight bytes = {rss / weight_bytes:.3f}   "
          f"import time / read time = {t_import / t_read:.3f}")
    if not args.dir:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()

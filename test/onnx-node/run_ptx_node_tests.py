#!/usr/bin/env python3
"""Compiles the ONNX backend node tests for NVIDIA GPUs: every test that
`quant-run --target=gpu-emulated` runs (run_node_tests.py) is lowered with
`quant-opt --qc-lower-to-gpu` (shapes pinned from its first data set, as
quant-run does), its PTX written with `quant-translate --emit-ptx` and
assembled by the CUDA toolkit's `ptxas` for the chosen GPU.

This checks that the kernels are valid PTX for the GPU; that they compute
the right numbers is what --target=gpu-emulated (the same kernels run on the
host) and, on a machine with a GPU, --target=gpu check.

Usage: run_ptx_node_tests.py [--jobs N] [--filter REGEX] [--chip sm_XY]
                             [--ptxas PATH]
Prints one line per failure and "PTX node tests: N assembled, M failed,
J without kernels, K not lowered".
"""

import argparse
import collections
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import onnx

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run_node_tests import bake, graph_ops, node_test_dirs, shape_inputs  # noqa: E402


def run(cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True)


def one(test_dir, chip, ptxas):
    model = onnx.load(str(test_dir / "model.onnx"), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    # Inputs that decide shapes become constants, as run_node_tests.py
    # does for quant-run.
    baked = shape_inputs(model, inputs)
    data = sorted(test_dir.glob("test_data_set_*"))
    with tempfile.TemporaryDirectory() as tmp:
        t = pathlib.Path(tmp)
        model_path = test_dir / "model.onnx"
        if baked and data:
            model_path = t / "model.onnx"
            bake(model, inputs, baked, data[0], model_path)
        cmd = [BIN / "quant-opt", model_path, f"--qc-lower-to-gpu=chip={chip}"]
        for i, name in enumerate(inputs):
            pb = data[0] / f"input_{i}.pb" if data else None
            if name in baked or pb is None or not pb.exists():
                continue
            tensor = onnx.TensorProto()
            tensor.ParseFromString(pb.read_bytes())
            if tensor.dims:
                cmd += ["--input-shape",
                        f"{name}=" + "x".join(str(d) for d in tensor.dims)]
        r = run(cmd + ["-o", t / "g.mlir"])
        if r.returncode < 0 or "Stack dump" in r.stderr:
            return "failed", "CRASH " + r.stderr[:300]
        if r.returncode:
            m = re.search(r"error: (.*)", r.stderr)
            return "not lowered", (m.group(1) if m else r.stderr.strip())[:120]
        r = run([BIN / "quant-translate", "--emit-ptx", t / "g.mlir", "-o", t / "k.ptx"])
        if r.returncode:
            return "failed", "emit-ptx: " + r.stderr[:300]
        if ".entry" not in (t / "k.ptx").read_text():
            return "no kernels", ""
        r = run([ptxas, f"-arch={chip}", t / "k.ptx", "-o", t / "k.cubin"])
        if r.returncode:
            return "failed", "ptxas: " + r.stderr[:300]
    return "assembled", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", default="")
    ap.add_argument("--chip", default="sm_80")
    ap.add_argument("--ptxas", default=shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas")
    args = ap.parse_args()
    if not pathlib.Path(args.ptxas).exists():
        sys.exit(f"ptxas not found ({args.ptxas}): install the CUDA toolkit or pass --ptxas")
    supported = set(run([BIN / "quant-run", "--list-onnx-ops"]).stdout.split())
    dirs = []
    for d in node_test_dirs():
        if not re.search(args.filter, d.name):
            continue
        model = onnx.load(str(d / "model.onnx"), load_external_data=False)
        if model.graph.node and not graph_ops(model.graph) - supported:
            dirs.append(d)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for d, res in zip(dirs, ex.map(lambda d: one(d, args.chip, args.ptxas), dirs)):
            results[d.name] = res
            if res[0] == "failed":
                print(f"FAIL {d.name}: {res[1]}", flush=True)
    counts = collections.Counter(r[0] for r in results.values())
    why = collections.Counter(r[1] for r in results.values() if r[0] == "not lowered")
    if why:
        print("not lowered:", "; ".join(f"{k} ({v})" for k, v in why.most_common(8)))
    print(f"PTX node tests ({args.chip}): {counts['assembled']} assembled, "
          f"{counts['failed']} failed, {counts['no kernels']} without kernels, "
          f"{counts['not lowered']} not lowered")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

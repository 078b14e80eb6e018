#!/usr/bin/env python3
"""Runs the ONNX backend node tests shipped in the `onnx` package through
QuantC: import -> reference interpreter (quant-run) -> compare with the
expected outputs (rtol 1e-3, atol 1e-5; exact for integer and bool outputs).

A test is *supported* when every operator of its model is in
`quant-run --list-onnx-ops`; the others are counted as unsupported and not
run. A supported test that fails must be listed with its reason in
exceptions.txt next to this script, otherwise the run fails; an exception
that passes is reported as stale (and fails the run too, so the list stays
true).

With --target=cpu every test runs compiled for the host CPU
(--qc-lower-to-cpu + JIT) instead of interpreted; tests excepted for the
interpreter stay excepted, and CPU-only failures (element types without a
CPU lowering) are listed in exceptions-cpu.txt.

Usage: run_node_tests.py --quant-run PATH [--jobs N] [--filter REGEX]
                         [--status-table FILE] [--target interp|cpu]
Prints one line per failure and a summary "node tests: N passed, ...".
"""

import argparse
import collections
import concurrent.futures
import glob
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent


def node_test_dirs():
    root = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
    return sorted(p for p in root.iterdir() if (p / "model.onnx").exists())


def load_exceptions(name="exceptions.txt"):
    out = {}
    path = HERE / name
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(":")
        out[name.strip()] = reason.strip()
    return out


def op_key(node):
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}:{node.op_type}"


def graph_ops(graph):
    """The operator keys of `graph`'s nodes and of the nodes of their
    subgraphs (If branches, Loop and Scan bodies)."""
    ops = set()
    for n in graph.node:
        ops.add(op_key(n))
        for a in n.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                ops |= graph_ops(g)
    return ops


def compare(got, want):
    if want.dtype.kind in "biu":
        return np.array_equal(got.astype(np.int64), want.astype(np.int64)), "exact"
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    if got.shape != want.shape:
        return False, f"shape {got.shape} vs {want.shape}"
    ok = np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True)
    with np.errstate(invalid="ignore"):
        err = np.abs(got - want)
    finite = err[np.isfinite(err)]
    return ok, f"max abs err {finite.max() if finite.size else 0:.3g}"


# Inputs that parameterize shapes (axes, starts, split sizes, clip bounds,
# ...). QuantC compiles static graphs, so when a node test feeds them at run
# time they are baked into the model as initializers before import.
SHAPE_PARAMS = {
    ("Reshape", 1), ("Expand", 1), ("Slice", 1), ("Slice", 2), ("Slice", 3),
    ("Slice", 4), ("Split", 1), ("ReduceSum", 1), ("ReduceMean", 1), ("ReduceProd", 1),
    ("ReduceMax", 1), ("ReduceMin", 1), ("ReduceL1", 1), ("ReduceL2", 1),
    ("ReduceSumSquare", 1), ("ReduceLogSum", 1), ("ReduceLogSumExp", 1),
    ("Squeeze", 1), ("Unsqueeze", 1), ("Trilu", 1),
    ("Clip", 1), ("Clip", 2), ("ConstantOfShape", 0), ("Range", 0),
    ("Range", 1), ("Range", 2), ("Dropout", 1), ("Dropout", 2), ("Pad", 1),
    ("Pad", 2), ("Pad", 3), ("Resize", 1), ("Resize", 2), ("Resize", 3), ("Tile", 1), ("TopK", 1),
    ("OneHot", 1), ("HannWindow", 0), ("HammingWindow", 0), ("BlackmanWindow", 0),
    ("CenterCropPad", 1), ("RNN", 4), ("GRU", 4), ("LSTM", 4),
    ("DFT", 1), ("DFT", 2), ("AffineGrid", 1), ("STFT", 1), ("STFT", 3), ("Compress", 1),
    ("Col2Im", 1), ("Col2Im", 2), ("MaxUnpool", 2), ("Upsample", 1),
    ("MelWeightMatrix", 0), ("MelWeightMatrix", 1), ("MelWeightMatrix", 2),
    ("MelWeightMatrix", 3), ("MelWeightMatrix", 4),
    # Loop's trip count and condition decide how many iterations it unrolls
    # to, hence its scan outputs' shapes.
    ("Loop", 0), ("Loop", 1),
    # Quantization parameters are compile-time constants in QuantC (the
    # codes DequantizeLinear reads are fed at run time, as every type's
    # graph input).
    ("QuantizeLinear", 1), ("QuantizeLinear", 2),
    ("DequantizeLinear", 1), ("DequantizeLinear", 2),
}


def shape_inputs(model, inputs):
    """The graph inputs (among `inputs`) that decide shapes: QuantC needs
    them as constants (SHAPE_PARAMS, and scalar integer inputs such as
    window sizes and counts)."""
    baked = {inp for n in model.graph.node for k, inp in enumerate(n.input)
             if inp in inputs and (n.op_type, k) in SHAPE_PARAMS}
    for vi in model.graph.input:
        tt = vi.type.tensor_type
        if (vi.name in inputs and tt.elem_type in (onnx.TensorProto.INT32, onnx.TensorProto.INT64)
                and tt.HasField("shape") and len(tt.shape.dim) == 0):
            baked.add(vi.name)
    return baked


def bake(model, inputs, baked, data_set, path):
    """Saves to `path` a copy of `model` whose `baked` inputs are
    initializers holding `data_set`'s values."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [i for i in m.graph.input if i.name not in baked]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    for i, name in enumerate(inputs):
        if name in baked:
            t = onnx.load_tensor(str(data_set / f"input_{i}.pb"))
            t.name = name
            m.graph.initializer.append(t)
    onnx.save(m, str(path))


def run_one(test_dir, quant_run, target="interp"):
    model = onnx.load(str(test_dir / "model.onnx"), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    baked = shape_inputs(model, inputs)
    for ds in sorted(test_dir.glob("test_data_set_*")):
        with tempfile.TemporaryDirectory() as out:
            model_path = test_dir / "model.onnx"
            if baked:
                model_path = pathlib.Path(out) / "model.onnx"
                bake(model, inputs, baked, ds, model_path)
            cmd = [quant_run, str(model_path), "--output-dir", out, f"--target={target}"]
            for i, name in enumerate(inputs):
                if name in baked:
                    continue
                pb = ds / f"input_{i}.pb"
                if not pb.exists():
                    return False, f"missing {pb.name}"
                t = onnx.TensorProto()
                t.ParseFromString(pb.read_bytes())
                cmd += ["--input", f"{name}={pb}"]
                # Pin symbolic dims with the data's shape.
                cmd += ["--input-shape", f"{name}=" + "x".join(str(d) for d in t.dims)] if t.dims else []
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode < 0 or "Stack dump" in res.stderr:
                return False, "CRASH: " + res.stderr.strip()[:300]
            if res.returncode != 0:
                err = (res.stderr.strip().splitlines() or ["quant-run failed"])[0]
                return False, err[:300]
            for i, name in enumerate(outputs):
                want = numpy_helper.to_array(onnx.load_tensor(str(ds / f"output_{i}.pb")))
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                got = np.load(os.path.join(out, safe + ".npy"))
                ok, detail = compare(got, want)
                if not ok:
                    return False, f"output '{name}' differs ({detail})"
    return True, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quant-run", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--filter", default="")
    ap.add_argument("--status-table")
    ap.add_argument("--target", choices=["interp", "cpu", "gpu-emulated"], default="interp")
    args = ap.parse_args()

    supported = set(subprocess.run([args.quant_run, "--list-onnx-ops"], capture_output=True,
                                   text=True, check=True).stdout.split())
    exceptions = load_exceptions()
    exception_file = "exceptions.txt"
    if args.target == "cpu":
        cpu_only = load_exceptions("exceptions-cpu.txt")
        stale_cpu = set(cpu_only) & set(exceptions)
        if stale_cpu:
            print(f"exceptions-cpu.txt repeats interpreter exceptions: {sorted(stale_cpu)}")
            return 1
        exceptions.update(cpu_only)
        exception_file = "exceptions.txt / exceptions-cpu.txt"
    if args.target == "gpu-emulated":
        # The GPU pipeline shares the CPU pipeline's lowering to buffers.
        cpu_only = load_exceptions("exceptions-cpu.txt")
        gpu_only = load_exceptions("exceptions-gpu.txt")
        stale_gpu = set(gpu_only) & (set(exceptions) | set(cpu_only))
        if stale_gpu:
            print(f"exceptions-gpu.txt repeats other exceptions: {sorted(stale_gpu)}")
            return 1
        exceptions.update(cpu_only)
        exceptions.update(gpu_only)
        exception_file = "exceptions.txt / exceptions-cpu.txt / exceptions-gpu.txt"
    tests, unsupported = [], collections.Counter()
    per_op = collections.defaultdict(lambda: [0, 0, 0])  # passed, failed, excepted
    for d in node_test_dirs():
        if args.filter and not re.search(args.filter, d.name):
            continue
        model = onnx.load(str(d / "model.onnx"), load_external_data=False)
        ops = {op_key(n) for n in model.graph.node}
        missing = graph_ops(model.graph) - supported
        if missing or not ops:
            unsupported.update(missing)
            continue
        main_op = model.graph.node[-1].op_type if len(ops) > 1 else next(iter(ops))
        tests.append((d, main_op))

    passed = failed = excepted = stale = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, d, args.quant_run, args.target): (d, op)
                   for d, op in tests}
        for f in concurrent.futures.as_completed(futures):
            d, op = futures[f]
            ok, why = f.result()
            name = d.name
            if ok and name in exceptions:
                stale += 1
                print(f"STALE EXCEPTION: {name} passes; remove it from {exception_file}")
            elif ok:
                passed += 1
                per_op[op][0] += 1
            elif name in exceptions and not why.startswith("CRASH"):
                excepted += 1
                per_op[op][2] += 1
            else:
                failed += 1
                per_op[op][1] += 1
                print(f"FAIL: {name}: {why}")
    total_unsupported = sum(1 for d in node_test_dirs()
                            if not args.filter or re.search(args.filter, d.name)) - len(tests)
    label = "node tests" if args.target == "interp" else f"node tests ({args.target})"
    print(f"{label}: {passed} passed, {failed} failed, {excepted} excepted "
          f"(listed in {exception_file}), {total_unsupported} unsupported, "
          f"{stale} stale exceptions")
    if args.status_table:
        with open(args.status_table, "w") as f:
            f.write("| ONNX op | node tests passed | excepted (see exceptions.txt) | failed |\n|---|---|---|---|\n")
            for op in sorted(per_op):
                p, fl, e = per_op[op]
                f.write(f"| {op} | {p} | {e} | {fl} |\n")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Runs the ONNX backend node tests through the HLS C++ emitter: every test
whose model `quant-translate --emit-hls` accepts is compiled with its
`--emit-hls-testbench` (clang++-19, the ap_int headers of hls4ml),
C-simulated on each of its data sets and compared bit for bit with the
reference interpreter (`quant-run` on the same imported module).

Not part of the test suite (it compiles several hundred designs: about
25 minutes with 2 jobs); docs/HLS.md records its last result.

Usage: run_hls_node_tests.py [--jobs N] [--filter REGEX]
Prints one line per failure, then the counts: passed (bit-exact), failed,
not emitted (with the ops the emitter named most often), not imported.
"""

import argparse
import collections
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from run_node_tests import node_test_dirs  # noqa: E402


def ap_types():
    import importlib.util
    spec = importlib.util.find_spec("hls4ml")
    if spec is None:
        sys.exit("hls4ml (the ap_int headers) is missing: run scripts/setup.sh")
    return pathlib.Path(spec.origin).parent / "templates" / "vivado" / "ap_types"


def run(cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True)


def one(test_dir, include):
    model = onnx.load(str(test_dir / "model.onnx"), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    with tempfile.TemporaryDirectory() as tmp:
        t = pathlib.Path(tmp)
        if run([BIN / "quant-translate", "--import-onnx", test_dir / "model.onnx",
                "-o", t / "m.mlir"]).returncode:
            return "not imported", ""
        r = run([BIN / "quant-translate", "--emit-hls", t / "m.mlir", "-o", t / "d.cpp"])
        if r.returncode < 0 or "Stack dump" in r.stderr:
            return "failed", "CRASH " + r.stderr[:300]
        if r.returncode:
            m = re.search(r"'([a-z_.]+)' op unable to emit", r.stderr)
            return "not emitted", m.group(1) if m else r.stderr.strip()[:80]
        r = run([BIN / "quant-translate", "--emit-hls-testbench", t / "m.mlir",
                 "-o", t / "tb.cpp"])
        if r.returncode:
            return "failed", "testbench: " + r.stderr[:300]
        r = run(["clang++-19", "-std=c++17", "-O1", "-ffp-contract=off",
                 "-Wno-unknown-pragmas", f"-I{include}", t / "d.cpp", t / "tb.cpp",
                 "-o", t / "sim"])
        if r.returncode:
            return "failed", "compile: " + r.stderr[:300]
        # The ports' file names, in order, as the testbench spells them.
        tb = (t / "tb.cpp").read_text()
        files_in = re.findall(r'readFile\(in \+ "/([^"]+)\.bin"', tb)
        files_out = re.findall(r'writeFile\(out \+ "/([^"]+)\.bin"', tb)
        for ds in sorted(test_dir.glob("test_data_set_*")):
            for d in ("in", "out", "ref"):
                (t / d).mkdir(exist_ok=True)
            cmd = [BIN / "quant-run", t / "m.mlir", "--output-dir", t / "ref"]
            for i, (name, file) in enumerate(zip(inputs, files_in)):
                a = numpy_helper.to_array(onnx.load_tensor(str(ds / f"input_{i}.pb")))
                np.save(t / f"{i}.npy", a)
                cmd += ["--input", f"{name}={t / f'{i}.npy'}"]
                (a if a.dtype == np.float32 else a.astype(np.int32)).tofile(
                    t / "in" / f"{file}.bin")
            r = run(cmd)
            if r.returncode:
                return "interpreter failed", r.stderr.strip()[:200]
            r = run([t / "sim", t / "in", t / "out"])
            if r.returncode:
                return "failed", "simulation: " + r.stderr[:300]
            for name, file in zip(outputs, files_out):
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                want = np.load(t / "ref" / f"{safe}.npy").ravel()
                if want.dtype == np.float32:
                    got = np.fromfile(t / "out" / f"{file}.bin", np.float32)
                    same = got.shape == want.shape and np.array_equal(
                        got.view(np.uint32), want.view(np.uint32))
                else:
                    got = np.fromfile(t / "out" / f"{file}.bin", np.int32)
                    same = got.shape == want.shape and np.array_equal(
                        got, want.astype(np.int64).astype(np.int32))
                if not same:
                    return "failed", f"{ds.name} output '{name}' differs"
    return "passed", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    include = ap_types()
    dirs = [d for d in node_test_dirs() if re.search(args.filter, d.name)]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for d, res in zip(dirs, ex.map(lambda d: one(d, include), dirs)):
            results[d.name] = res
            if res[0] == "failed":
                print(f"FAIL {d.name}: {res[1]}", flush=True)
    counts = collections.Counter(r[0] for r in results.values())
    ops = collections.Counter(r[1] for r in results.values() if r[0] == "not emitted")
    print("not emitted, by the op named:", ", ".join(f"{k} {v}" for k, v in ops.most_common(12)))
    print("HLS node tests: " + ", ".join(f"{counts[k]} {k}" for k in
          ("passed", "failed", "not emitted", "not imported", "interpreter failed")))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Timing helpers shared by the benchmarks: onnxruntime's latency on one
thread and QuantC's (quant-run --target=cpu --repeat N)."""
import os
import pathlib
import re
import subprocess
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build"))


def ort_ms(path, feeds, repeat, threads=1):
    """Mean latency (ms) of onnxruntime's CPU execution provider on the
    model at `path`, after one warm-up run."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    s.run(None, feeds)
    t = time.perf_counter()
    for _ in range(repeat):
        s.run(None, feeds)
    return (time.perf_counter() - t) / repeat * 1e3


def quantc_ms(path, feeds, tmp, repeat, extra=()):
    """Mean latency (ms) quant-run --target=cpu --repeat prints for the
    model at `path` on `feeds` (saved as .npy files under `tmp`)."""
    cmd = [str(BUILD / "bin" / "quant-run"), str(path), "--target=cpu", "--repeat",
           str(repeat), *extra]
    for name, value in feeds.items():
        f = pathlib.Path(tmp) / f"{name}.npy"
        np.save(f, value)
        cmd += ["--input", f"{name}={f}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(re.search(r"latency: ([0-9.e-]+) s", out.stdout + out.stderr).group(1)) * 1e3

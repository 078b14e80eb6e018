"""Helpers shared by the pass tests: run the QuantC tools on generated
models and compare outputs."""

import os
import pathlib
import subprocess

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"


def rel_l2(a, b):
    """Relative L2 error of `a` against the reference `b`."""
    return float(np.linalg.norm(a.astype(np.float64) - b) / np.linalg.norm(b))


def quant_run(module, inputs, tmp, output, extra=()):
    """Runs `module` (.mlir or .onnx) in quant-run with the options `extra`
    (e.g. --target=cpu) on `inputs` (name -> array) and returns the output
    named `output`."""
    out = tmp / ("out" + "".join(extra).replace("-", "_").replace("=", "_"))
    cmd = [str(BIN / "quant-run"), str(module), "--output-dir", str(out), *extra]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.load(out / f"{output}.npy")

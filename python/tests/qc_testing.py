"""Helpers shared by the pass tests: run the QuantC tools on generated
models and compare outputs."""

import functools
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


def run_outputs(module, inputs, tmp, target, extra=()):
    """All outputs (name -> array) of quant-run on `module` with
    --target=`target` and the options `extra`, and the finished process."""
    tag = "".join(extra).replace("-", "_").replace("=", "_")
    out = tmp / f"out-{target}{tag}"
    cmd = [str(BIN / "quant-run"), str(module), "--output-dir", str(out),
           f"--target={target}", *extra]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {p.stem: np.load(p) for p in out.glob("*.npy")}, r


@functools.lru_cache(maxsize=None)
def ort_u8s8_saturates():
    """Whether onnxruntime's u8 x s8 integer kernels saturate on this host.

    Without VNNI, onnxruntime's x86 u8 x s8 GEMM multiplies with vpmaddubsw,
    which adds pairs of products into int16 with saturation (its docs: "might
    suffer from saturation issues"); it also turns int8 Q/DQ activations
    into uint8 ones. Its MatMulInteger and fused Q/DQ layers then differ from
    the exact result. Probed rather than guessed: one MatMulInteger whose
    pair sums (2 * 255 * 127) exceed int16."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    b = np.full((64, 16), 127, np.int8)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "probe",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [4, 16])],
        [numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    y = session.run(None, {"a": np.full((4, 64), 255, np.uint8)})[0]
    return not np.all(y == 255 * 127 * 64)


def hex_dense(a):
    """An MLIR dense attribute holding `a`'s bytes exactly (hex form)."""
    return f'dense<"0x{np.ascontiguousarray(a).tobytes().hex().upper()}">'

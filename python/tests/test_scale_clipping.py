"""Clipped scales against independent numpy oracles.

- `--qc-quantize-weights scale=mse` (and GPTQ's scales): per scale group,
  the clip ratio r = fl32(1 - i/100), i = 0..50, whose round-to-nearest
  quantization has the smallest squared error. The oracle repeats the search
  with numpy and ml_dtypes; quant-run reads the dequantized weight back
  exactly (the model multiplies the identity by it).
- `qc.compute_scales ... clip c` / `--qc-quantize-activations clip=c`:
  scales of fl32(c * x); checked against numpy, on the CPU target against
  the interpreter bit for bit, and through ONNX export in onnxruntime.
"""

import subprocess

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from qc_testing import BIN, quant_run, rel_l2
from quantc import models

F32 = np.float32
RATIOS = [F32(1 - i / 100) for i in range(51)]


def identity_model(w):
    """Y = X @ W with W a constant: X = I gives back the (quantized) W."""
    k, n = w.shape
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [k, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [k, n])],
        [numpy_helper.from_array(w, "w")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)


def heavy_tailed(k, n, seed):
    # Student-t columns: absmax far above the bulk, where clipping pays.
    return np.random.default_rng(seed).standard_t(3, (k, n)).astype(F32)


def dequantized(w, options, tmp):
    onnx.save(identity_model(w), str(tmp / "m.onnx"))
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp / "m.onnx"), options, "-o",
                        str(tmp / "q.mlir")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return quant_run(tmp / "q.mlir", {"x": np.eye(w.shape[0], dtype=F32)}, tmp, "y")


def search(group, candidates):
    """The candidate (a function r -> dequantized group) with the smallest
    squared error, the first on ties; also returns the chosen index."""
    best, best_err, best_i = None, np.inf, None
    for i, r in enumerate(RATIOS):
        d = candidates(r)
        err = float(((group.astype(np.float64) - d) ** 2).sum())
        if err < best_err:
            best, best_err, best_i = d, err, i
    return best, best_i


def int4_sym(g, r):
    s = F32(r * np.abs(g).max()) / F32(7)
    return (np.clip(np.rint(g / s), -8, 7).astype(F32) * s).astype(F32)


def uint8_asym(g, r):
    lo, hi = F32(r * min(F32(0), g.min())), F32(r * max(F32(0), g.max()))
    s = F32((float(hi) - float(lo)) / 255)
    zp = int(np.clip(0 - np.rint(lo / s), 0, 255))
    q = np.clip(np.rint(g / s) + zp, 0, 255)
    return ((q - zp).astype(F32) * s).astype(F32)


def fp4(v):
    return np.clip(v, -6, 6).astype(ml_dtypes.float4_e2m1fn).astype(F32)


def mxfp4(g, r):
    _, e = np.frexp(F32(r * np.abs(g).max()))
    scale = F32(2.0) ** np.clip(e - 1 - 2, -127, 127)
    return (fp4(g / scale) * scale).astype(F32)


def nvfp4(global_scale):
    def quantize(g, r):
        v = F32(F32(r * np.abs(g).max()) / F32(6)) / global_scale
        code = np.clip(v, 0, 448).astype(ml_dtypes.float8_e4m3fn).astype(F32)
        eff = F32(code * global_scale)
        if eff == 0:
            return np.zeros_like(g)
        return (fp4(g / eff) * eff).astype(F32)
    return quantize


@pytest.mark.parametrize("fmt,group", [("int4", 0), ("int4", 32), ("uint8", 0),
                                       ("mxfp4", 32), ("nvfp4", 16)])
def test_mse_weight_scales_match_oracle(fmt, group, tmp_path):
    w = heavy_tailed(64, 24, seed=7)
    # A block where a finer MX exponent pays: clipping 1.0 to 0.75 costs
    # 0.0625, while 31 values of 0.1875 lie between the coarse grid's 0.125
    # and 0.25 (0.0039 each) and on the fine grid.
    w[:32, 0] = [1.0] + [0.1875] * 31
    got = dequantized(w, f"--qc-quantize-weights=format={fmt} group={group} scale=mse",
                      tmp_path)
    absmax = dequantized(w, f"--qc-quantize-weights=format={fmt} group={group}", tmp_path)
    rule = {"int4": int4_sym, "uint8": uint8_asym, "mxfp4": mxfp4,
            "nvfp4": nvfp4(F32(np.abs(w).max() / F32(6 * 448)))}[fmt]
    want = np.empty_like(w)
    chosen = []
    size = group or w.shape[0]
    for j in range(w.shape[1]):
        for b in range(0, w.shape[0], size):
            col = w[b:b + size, j]
            want[b:b + size, j], i = search(col, lambda r: rule(col, r))
            chosen.append(i)
    np.testing.assert_array_equal(got, want)
    err = lambda d: float(((d.astype(np.float64) - w) ** 2).sum())
    if fmt == "uint8":
        # 255 steps: clipping a heavy tail costs more than it saves.
        assert err(got) <= err(absmax)
        return
    # At 4 bits the search clipped somewhere and lowered the error.
    assert max(chosen) > 0
    assert err(got) < err(absmax)


def test_gptq_uses_searched_scales(tmp_path):
    """GPTQ with scale=mse quantizes onto the searched grid: every column of
    the result is a multiple of that column's searched int4 scale."""
    model = models.llama()
    onnx.save(model, str(tmp_path / "m.onnx"))
    calib = tmp_path / "calib" / "0"
    calib.mkdir(parents=True)
    for n, v in models.sample_inputs(model).items():
        np.save(calib / f"{n}.npy", v)
    out = {}
    for rule in ["absmax", "mse"]:
        r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                            f"--qc-ptq-pipeline=w=int4 gptq=true w-scale={rule} "
                            f"calib={tmp_path / 'calib'}", "-o", str(tmp_path / f"{rule}.mlir")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        out[rule] = (tmp_path / f"{rule}.mlir").read_text()
    assert out["absmax"] != out["mse"]
    inputs = models.sample_inputs(model, seed=3)
    ref = ort.InferenceSession(model.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    err = {rule: rel_l2(quant_run(tmp_path / f"{rule}.mlir", inputs, tmp_path, "logits"), ref)
           for rule in out}
    assert err["mse"] < err["absmax"]


def test_bad_scale_rule(tmp_path):
    onnx.save(identity_model(np.ones((4, 4), F32)), str(tmp_path / "m.onnx"))
    for option in ["--qc-quantize-weights=scale=l3", "--qc-gptq=scale=l3",
                   "--qc-ptq-pipeline=w-scale=l3", "--qc-ptq-pipeline=a=int8 a-clip=1.5",
                   "--qc-quantize-activations=clip=0"]:
        r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"), option, "-o",
                            str(tmp_path / "q.mlir")], capture_output=True, text=True)
        assert r.returncode != 0, option
        assert ("l3" in r.stderr or "(0, 1]" in r.stderr), (option, r.stderr)
        assert "Stack dump" not in r.stderr
        assert not (tmp_path / "q.mlir").exists()


CLIP_TYPES = {
    "int4": ("!qc.qtensor<4x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 64, "
             "dynamic>>", "tensor<4x1xf32>", ""),
    "mxfp4": ("!qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, "
              "axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>>", "tensor<4x2xi8>", ""),
    "nvfp4": ("!qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, "
              "axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>", "tensor<4x4xi8>",
              " global_scale tensor<f32>"),
}


def clip_module(kind, clip, tmp):
    qt, st, gt = CLIP_TYPES[kind]
    res = "%s, %g" if gt else "%s"
    ops = "%s global_scale %g" if gt else "%s"
    types = f"{st}, tensor<f32>" if gt else st
    text = (f"func.func @main(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {{\n"
            f"{res} = qc.compute_scales %x for {qt} clip {clip} : tensor<4x64xf32> -> {st}{gt}\n"
            f"%y = qc.fake_quant %x, {ops} as {qt} : (tensor<4x64xf32>, {types}) -> "
            f"tensor<4x64xf32>\nreturn %y : tensor<4x64xf32>\n}}\n")
    (tmp / "m.mlir").write_text(text)
    return tmp / "m.mlir"


def clip_input():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 64)) * np.logspace(-2, 1, 64)).astype(F32)
    x[0, 3] = 50.0  # an outlier the clip saturates
    return x


def test_clipped_dynamic_scales_match_numpy(tmp_path):
    x = clip_input()
    got = quant_run(clip_module("int4", 0.9, tmp_path), {"arg0": x}, tmp_path, "output0")
    s = (F32(0.9) * np.abs(x).max(axis=1, keepdims=True)).astype(F32) / F32(7)
    want = (np.clip(np.rint(x / s), -8, 7) * s).astype(F32)
    np.testing.assert_array_equal(got, want)
    assert got[0, 3] == F32(7) * s[0, 0] < 50.0


@pytest.mark.parametrize("kind", sorted(CLIP_TYPES))
def test_clipped_dynamic_scales_cpu_matches_interpreter(kind, tmp_path):
    module = clip_module(kind, 0.8, tmp_path)
    x = clip_input()
    want = quant_run(module, {"arg0": x}, tmp_path, "output0")
    got = quant_run(module, {"arg0": x}, tmp_path, "output0", ["--target=cpu"])
    np.testing.assert_array_equal(got, want)
    unclipped = clip_module(kind, 1.0, tmp_path)
    assert not np.array_equal(quant_run(unclipped, {"arg0": x}, tmp_path, "output0"), want)


def test_clipped_activations_export_to_onnxruntime(tmp_path):
    model = models.llama(outliers=True)
    onnx.save(model, str(tmp_path / "m.onnx"))
    mlir = tmp_path / "q.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                    "--qc-ptq-pipeline=w=int4 a=int4 rotate=hadamard w-scale=mse a-clip=0.9",
                    "-o", str(mlir)], check=True, capture_output=True, text=True)
    assert "clip 9.000000e-01" in mlir.read_text()
    out = tmp_path / "q.onnx"
    subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(mlir), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    inputs = models.sample_inputs(model, seed=4)
    got = quant_run(mlir, inputs, tmp_path, "logits")
    want = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert rel_l2(got, want) <= 1e-5

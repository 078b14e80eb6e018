"""Quantized ONNX models: Q/DQ import into qc ops and export back.

- A ResNet quantized by onnxruntime's quantize_static (QDQ, int8 per-channel
  weights, uint8 activations) imports into qc.quantize / qc.dequantize and
  matches onnxruntime running the same Q/DQ graph without fusions.
- A hand-built blocked int4 DequantizeLinear (opset 21 block_size) is
  integer-exact: the dequantized weights match onnxruntime bit for bit.
- Both export back (quant-translate --export-onnx) to models onnxruntime
  runs with the same results.
"""

import os
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from qc_testing import ort_u8s8_saturates
from quantc import models

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build"))
BIN = BUILD / "bin"


def ort_run(model, inputs, optimize=True):
    opts = ort.SessionOptions()
    if not optimize:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"]).run(None, inputs)


def quant_run(path, inputs, outputs, tmp, extra=()):
    cmd = [str(BIN / "quant-run"), str(path), *extra, "--output-dir", str(tmp / "out")]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [np.load(tmp / "out" / f"{o}.npy") for o in outputs]


def rel_l2(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b) / np.linalg.norm(b))


def export_roundtrip(onnx_path, tmp):
    mlir = tmp / "imported.mlir"
    subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(onnx_path), "-o", str(mlir)],
                   check=True, capture_output=True)
    out = tmp / "exported.onnx"
    subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(mlir), "-o", str(out)],
                   check=True, capture_output=True)
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    return model, mlir.read_text()


@pytest.fixture(scope="module")
def static_resnet(tmp_path_factory):
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    tmp = tmp_path_factory.mktemp("qdq")
    model = models.resnet()
    float_path, q_path = tmp / "float.onnx", tmp / "int8.onnx"
    onnx.save(model, str(float_path))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([models.sample_inputs(model, seed=s) for s in range(4)])

        def get_next(self):
            return next(self.data, None)

    quantize_static(str(float_path), str(q_path), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8)
    return onnx.load(str(q_path)), q_path


def test_ort_static_qdq_imports_and_matches(static_resnet, tmp_path):
    q_model, q_path = static_resnet
    ops = {n.op_type for n in q_model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    mlir = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(q_path)],
                          check=True, capture_output=True, text=True).stdout
    assert "qc.quantize" in mlir and "qc.dequantize" in mlir
    assert "#qc.scheme<per_axis, axis = 0>" in mlir  # per-channel int8 weights
    inputs = models.sample_inputs(q_model, seed=9)
    want = ort_run(q_model, inputs, optimize=False)[0]
    got = quant_run(q_path, inputs, ["logits"], tmp_path)[0]
    # Float convolutions accumulate in a different order, which can move an
    # activation across a rounding boundary by one code; the Q/DQ semantics
    # themselves are exact (next test).
    assert rel_l2(got, want) <= 1e-3


def test_ort_static_qdq_export_roundtrip(static_resnet, tmp_path):
    q_model, q_path = static_resnet
    exported, _ = export_roundtrip(q_path, tmp_path)
    inputs = models.sample_inputs(q_model, seed=3)
    want = ort_run(q_model, inputs, optimize=False)[0]
    got = ort_run(exported, inputs, optimize=False)[0]
    assert rel_l2(got, want) <= 1e-3


def blocked_int4_model():
    rng = np.random.default_rng(5)
    k, n, block = 64, 16, 32
    codes = rng.integers(-8, 8, (k, n)).astype(np.int8)
    zp = rng.integers(-2, 3, (k // block, n)).astype(np.int8)
    packed = np.zeros(((k * n + 1) // 2,), np.uint8)
    flat = (codes.ravel() & 0xF).astype(np.uint8)
    packed[:] = flat[0::2] | (flat[1::2] << 4)
    w = TensorProto(name="w", data_type=TensorProto.INT4, dims=[k, n], raw_data=packed.tobytes())
    zflat = (zp.ravel() & 0xF).astype(np.uint8)
    zpk = zflat[0::2] | (zflat[1::2] << 4)
    z = TensorProto(name="w_zp", data_type=TensorProto.INT4, dims=[k // block, n],
                    raw_data=zpk.tobytes())
    s = numpy_helper.from_array(rng.uniform(0.01, 0.1, (k // block, n)).astype(np.float32), "w_scale")
    nodes = [helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["w_f"], name="dq",
                              axis=0, block_size=block),
             helper.make_node("MatMul", ["x", "w_f"], ["y"], name="mm")]
    g = helper.make_graph(nodes, "int4", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, k])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, n]),
                           helper.make_tensor_value_info("w_f", TensorProto.FLOAT, [k, n])],
                          [w, z, s])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


def test_blocked_int4_dequantize_is_exact(tmp_path):
    model = blocked_int4_model()
    path = tmp_path / "int4.onnx"
    onnx.save(model, str(path))
    mlir = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path)],
                          check=True, capture_output=True, text=True).stdout
    assert "#qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>" in mlir
    inputs = {"x": np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32)}
    # Unfused: with optimizations onnxruntime turns DQ + MatMul into an int4
    # kernel that may quantize the activations.
    want_y, want_w = ort_run(model, inputs, optimize=False)
    got_y, got_w = quant_run(path, inputs, ["y", "w_f"], tmp_path)
    assert np.array_equal(got_w, want_w)  # integer-exact: bit for bit
    assert rel_l2(got_y, want_y) <= 1e-6
    exported, _ = export_roundtrip(path, tmp_path)
    ex_y, ex_w = ort_run(exported, inputs, optimize=False)
    assert np.array_equal(ex_w, want_w)
    assert rel_l2(ex_y, want_y) <= 1e-6


@pytest.mark.parametrize("make", [models.resnet, models.bert, models.llama],
                         ids=["resnet", "bert", "llama"])
def test_float_models_export_roundtrip(make, tmp_path):
    model = make()
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    exported, _ = export_roundtrip(path, tmp_path)
    inputs = models.sample_inputs(model)
    assert rel_l2(ort_run(exported, inputs)[0], ort_run(model, inputs)[0]) <= 1e-5


def test_export_error_names_the_op(tmp_path):
    src = tmp_path / "mx.mlir"
    src.write_text('''
func.func @main(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  %s = qc.compute_scales %x for !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : tensor<2x32xf32> -> tensor<2x1xi8>
  %y = qc.fake_quant %x, %s as !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>> : (tensor<2x32xf32>, tensor<2x1xi8>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}
''')
    out = tmp_path / "mx.onnx"
    res = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(src), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "'qc.compute_scales' op only symmetric f32 dynamic scales have an ONNX form" in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("with_zp,bias", [(False, False), (True, True)])
def test_matmulnbits_matches_onnxruntime(with_zp, bias, tmp_path):
    """com.microsoft MatMulNBits (onnxruntime's int4 weight-only format)
    imports into qc.constant + qc.dequantize + nn.matmul."""
    rng = np.random.default_rng(11)
    k, n, block = 128, 24, 32
    blocks = k // block
    codes = rng.integers(0, 16, (n, k)).astype(np.uint8)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).reshape(n, blocks, block // 2)
    scales = rng.uniform(0.01, 0.05, (n * blocks,)).astype(np.float32)
    inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales, "S")]
    inputs = ["A", "B", "S"]
    if with_zp:
        z = rng.integers(0, 16, (n, blocks)).astype(np.uint8)
        inits.append(numpy_helper.from_array((z[:, 0::2] | (z[:, 1::2] << 4)).ravel(), "Z"))
        inputs.append("Z")
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "bias"))
        inputs += ["", "bias"] if with_zp else ["", "", "bias"]
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft", name="mnb",
                            K=k, N=n, bits=4, block_size=block)
    g = helper.make_graph([node], "mnb", [helper.make_tensor_value_info("A", TensorProto.FLOAT, [3, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, n])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 10
    path = tmp_path / "mnb.onnx"
    onnx.save(m, str(path))
    mlir = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path)],
                          check=True, capture_output=True, text=True).stdout
    assert "#qc.int<4, unsigned>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>" in mlir
    inputs = {"A": rng.standard_normal((3, k)).astype(np.float32)}
    want = ort_run(m, inputs)[0]
    got = quant_run(path, inputs, ["Y"], tmp_path)[0]
    assert rel_l2(got, want) <= 1e-5


@pytest.mark.parametrize("with_zp,bias", [(False, False), (True, True)])
def test_matmulnbits_float16(with_zp, bias, tmp_path):
    """MatMulNBits of a float16 model (float16 A, scales and bias, as
    onnxruntime's MatMulNBits quantizer writes them, in raw_data): computed
    in f32 and rounded once to float16, within one float16 step of
    onnxruntime and of a float64 oracle (the f32 sum order may move a result
    across a rounding boundary)."""
    rng = np.random.default_rng(12)
    k, n, block, rows = 256, 40, 64, 5
    blocks = k // block
    codes = rng.integers(0, 16, (n, k)).astype(np.uint8)
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).reshape(n, blocks, block // 2)
    scales = rng.uniform(0.01, 0.05, (n, blocks)).astype(np.float16)
    zps = np.full((n, blocks), 8, np.uint8)
    inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales.ravel(), "S")]
    inputs = ["A", "B", "S"]
    if with_zp:
        zps = rng.integers(0, 16, (n, blocks)).astype(np.uint8)
        inits.append(numpy_helper.from_array((zps[:, 0::2] | (zps[:, 1::2] << 4)).ravel(), "Z"))
        inputs.append("Z")
    b = rng.standard_normal(n).astype(np.float16)
    if bias:
        inits.append(numpy_helper.from_array(b, "bias"))
        inputs += ["", "bias"]
    assert all(t.HasField("raw_data") for t in inits)
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft", name="mnb",
                            K=k, N=n, bits=4, block_size=block)
    g = helper.make_graph([node], "mnb",
                          [helper.make_tensor_value_info("A", TensorProto.FLOAT16, [rows, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT16, [rows, n])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 10
    path = tmp_path / "mnb16.onnx"
    onnx.save(m, str(path))
    a = rng.standard_normal((rows, k)).astype(np.float16)
    got = quant_run(path, {"A": a}, ["Y"], tmp_path)[0]
    assert got.dtype == np.float16
    w = (codes.astype(np.float64) - np.repeat(zps, block, axis=1)) * \
        np.repeat(scales.astype(np.float64), block, axis=1)
    oracle = (a.astype(np.float64) @ w.T + (b.astype(np.float64) if bias else 0)).astype(np.float16)

    def steps(x, y):
        # Distance in float16 steps (ordered bit patterns; both are finite).
        def ordered(v):
            i = v.view(np.int16).astype(np.int64)
            return np.where(i < 0, -(i & 0x7FFF), i)
        return int(np.abs(ordered(x) - ordered(y)).max())

    assert steps(got, oracle) <= 1
    assert steps(got, ort_run(m, {"A": a})[0]) <= 1


@pytest.mark.parametrize("target", ["interp", "cpu"])
def test_float16_qdq(target, tmp_path):
    """A float16 QDQ model (float16 activations and scales, as onnxruntime's
    quantizer writes for fp16 models). QuantizeLinear quantizes the exactly
    widened values in f32: round(x / s) to nearest even, once. (ONNX's
    reference divides in float16 first, which rounds twice; onnxruntime
    1.23 truncates toward zero: see docs/Status.md.) DequantizeLinear
    returns the scale's type, the exact product rounded once. Both are
    checked bit for bit against NumPy; a float16 MatMul of dequantized
    per-channel weights is within one float16 step of onnxruntime."""
    rng = np.random.default_rng(21)
    rows, k, n = 6, 64, 24
    f16 = TensorProto.FLOAT16
    sv, zv = np.float16(0.0213), -5
    w = rng.integers(-127, 128, (k, n)).astype(np.int8)
    sw = rng.uniform(0.002, 0.02, n).astype(np.float16)
    inits = [numpy_helper.from_array(np.array(sv), "s"),
             numpy_helper.from_array(np.array(zv, np.int8), "z"),
             numpy_helper.from_array(sw, "sw"), numpy_helper.from_array(w, "w")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"], name="dq"),
             helper.make_node("DequantizeLinear", ["w", "sw"], ["wf"], name="dqw", axis=1),
             helper.make_node("MatMul", ["x", "wf"], ["y"], name="mm")]
    g = helper.make_graph(nodes, "qdq16", [helper.make_tensor_value_info("x", f16, [rows, k])],
                          [helper.make_tensor_value_info("q", TensorProto.INT8, [rows, k]),
                           helper.make_tensor_value_info("d", f16, [rows, k]),
                           helper.make_tensor_value_info("y", f16, [rows, n])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    onnx.checker.check_model(m, full_check=True)
    path = tmp_path / "qdq16.onnx"
    onnx.save(m, str(path))
    # Values on and near ties of x / s, and beyond the int8 range.
    s = np.float64(sv)
    x = rng.integers(-140, 140, (rows, k)) + rng.choice([0.0, 0.5, 0.49, 0.51], (rows, k))
    x = (x * s).astype(np.float16)
    inputs = {"x": x}
    extra = ["--target=cpu"] if target == "cpu" else []
    q, d, y = quant_run(path, inputs, ["q", "d", "y"], tmp_path, extra)
    # f32 division of the float16 values, rounded to nearest even.
    ratio = (x.astype(np.float32) / np.float32(sv)).astype(np.float64)
    want_q = np.clip(np.rint(ratio) + zv, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(q, want_q)
    assert d.dtype == np.float16 and y.dtype == np.float16
    np.testing.assert_array_equal(d, ((want_q.astype(np.float64) - zv) * s).astype(np.float16))
    ry = ort_run(m, inputs)[2]
    step = np.abs(y.astype(np.float64) - ry) / np.spacing(np.abs(y))
    assert step.max() <= 1


def qonnx_model(op, inputs, inits, attrs, shape=(2, 4, 3)):
    node = helper.make_node(op, ["x"] + inputs, ["y"], domain="qonnx.custom_op.general",
                            name="q", **attrs)
    g = helper.make_graph([node], "qonnx", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))],
                          [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("qonnx.custom_op.general", 1)])
    m.ir_version = 10
    return m


def qonnx_quant_ref(x, scale, bits, signed, narrow, rounding):
    """QONNX Quant reference (zero point 0): clamp(x / scale) then round."""
    lo = -(2 ** (bits - 1)) + (1 if narrow else 0) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1 - (1 if narrow else 0)
    y = np.clip((x / scale).astype(np.float32), lo, hi)
    y = {"ROUND": np.round, "FLOOR": np.floor, "CEIL": np.ceil, "ROUND_TO_ZERO": np.trunc}[rounding](y)
    return (y * scale).astype(np.float32)


@pytest.mark.parametrize("bits,signed,narrow,rounding,per_channel", [
    (8, 1, 0, "ROUND", False), (4, 1, 1, "ROUND", True), (3, 0, 0, "FLOOR", True),
    (5, 1, 0, "CEIL", False), (2, 1, 0, "ROUND_TO_ZERO", True)])
def test_qonnx_quant(bits, signed, narrow, rounding, per_channel, tmp_path):
    rng = np.random.default_rng(bits)
    scale = rng.uniform(0.05, 0.2, (1, 4, 1)) if per_channel else np.array(0.1)
    m = qonnx_model("Quant", ["s", "z", "b"], {"s": scale, "z": 0.0, "b": float(bits)},
                    {"signed": signed, "narrow": narrow, "rounding_mode": rounding})
    path = tmp_path / "q.onnx"
    onnx.save(m, str(path))
    x = (rng.standard_normal((2, 4, 3)) * 2).astype(np.float32)
    x.flat[0] = np.float32(scale.flat[0]) * 1.5  # a tie
    got = quant_run(path, {"x": x}, ["y"], tmp_path)[0]
    want = qonnx_quant_ref(x, np.asarray(scale, np.float32), bits, signed, narrow, rounding)
    assert np.array_equal(got, want)


def test_qonnx_bipolar_and_trunc(tmp_path):
    x = np.random.default_rng(3).standard_normal((2, 4, 3)).astype(np.float32) * 4
    m = qonnx_model("BipolarQuant", ["s"], {"s": 0.5}, {})
    onnx.save(m, str(tmp_path / "b.onnx"))
    got = quant_run(tmp_path / "b.onnx", {"x": x}, ["y"], tmp_path)[0]
    assert np.array_equal(got, np.where(x >= 0, 0.5, -0.5).astype(np.float32))
    m = qonnx_model("Trunc", ["s", "z", "ib", "ob"], {"s": 0.125, "z": 0.0, "ib": 8.0, "ob": 4.0},
                    {"rounding_mode": "FLOOR"})
    onnx.save(m, str(tmp_path / "t.onnx"))
    got = quant_run(tmp_path / "t.onnx", {"x": x}, ["y"], tmp_path)[0]
    grid = np.round(x / np.float32(0.125))
    want = np.clip(np.floor(grid / 16), -8, 7) * np.float32(0.125 * 16)
    assert np.array_equal(got, want.astype(np.float32))


def test_qonnx_nonzero_zero_point_is_diagnosed(tmp_path):
    m = qonnx_model("Quant", ["s", "z", "b"], {"s": 0.1, "z": 1.0, "b": 8.0}, {})
    onnx.save(m, str(tmp_path / "q.onnx"))
    res = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(tmp_path / "q.onnx")],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "node 'q' (qonnx.custom_op.general:Quant): non-zero zero points" in res.stderr


def test_qonnx_float_quant_fp8(tmp_path):
    """FloatQuant with the FP8 E4M3FN parameters (saturating) equals
    ml_dtypes' float8_e4m3fn after clipping to +-448."""
    import ml_dtypes
    m = qonnx_model("FloatQuant", ["s", "e", "m", "b", "mx"],
                    {"s": 0.05, "e": 4.0, "m": 3.0, "b": 7.0, "mx": 448.0},
                    {"has_nan": 1, "has_inf": 0, "saturation": 1})
    onnx.save(m, str(tmp_path / "f.onnx"))
    x = (np.random.default_rng(4).standard_normal((2, 4, 3)) * 8).astype(np.float32)
    x.flat[0] = 1000.0  # saturates
    got = quant_run(tmp_path / "f.onnx", {"x": x}, ["y"], tmp_path)[0]
    scaled = np.clip(x / np.float32(0.05), -448, 448)
    want = (scaled.astype(ml_dtypes.float8_e4m3fn).astype(np.float32) * np.float32(0.05))
    assert np.array_equal(got, want.astype(np.float32))
    bad = qonnx_model("FloatQuant", ["s", "e", "m", "b", "mx"],
                      {"s": 0.05, "e": 4.0, "m": 3.0, "b": 7.0, "mx": 240.0},
                      {"has_nan": 1})
    onnx.save(bad, str(tmp_path / "bad.onnx"))
    res = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(tmp_path / "bad.onnx")],
                         capture_output=True, text=True)
    assert res.returncode == 1 and "max_val 240 differs from the largest value 448" in res.stderr


def test_blocked_int4_quantize_dequantize_is_exact(tmp_path):
    """QuantizeLinear -> DequantizeLinear with int4 blocks of 16 along the
    last axis (opset 21): integer-exact, so bit for bit equal to
    onnxruntime, codes included."""
    rng = np.random.default_rng(12)
    scale = rng.uniform(0.05, 0.3, (4, 4)).astype(np.float32)
    zp = rng.integers(-3, 4, (4, 4)).astype(np.int8)
    zflat = (zp.ravel() & 0xF).astype(np.uint8)
    z = TensorProto(name="zp", data_type=TensorProto.INT4, dims=[4, 4],
                    raw_data=(zflat[0::2] | (zflat[1::2] << 4)).tobytes())
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="q", axis=1, block_size=16),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dq", axis=1, block_size=16)]
    g = helper.make_graph(nodes, "qdq4", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])],
                          [numpy_helper.from_array(scale, "s"), z])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    path = tmp_path / "qdq4.onnx"
    onnx.save(m, str(path))
    x = (rng.standard_normal((4, 64)) * 1.5).astype(np.float32)
    x[0, :16] = scale[0, 0] * (np.arange(16) - 8 + 0.5)  # exact ties
    want = ort_run(m, {"x": x})[0]
    got = quant_run(path, {"x": x}, ["y"], tmp_path)[0]
    assert np.array_equal(got, want)


@pytest.mark.parametrize("options", ["w=int8 a=int8", "w=int4 a=int8",
                                     "w=int8 a=uint8 a-static=true"],
                         ids=["w8a8", "w4a8", "w8a8-uint8-static"])
def test_integer_linear_exports_as_matmulinteger(options, tmp_path):
    """After --qc-integer-linear the decoder's layers are qc.linear on the
    codes; they export as MatMulInteger (4-bit weights cast to int8, the
    input zero point in the input's type) and onnxruntime matches the
    interpreter on the integer module."""
    model = models.llama(outliers=True)
    onnx.save(model, str(tmp_path / "m.onnx"))
    calib = tmp_path / "calib"
    for i in range(2):
        (calib / str(i)).mkdir(parents=True)
        for name, value in models.sample_inputs(model, seed=20 + i).items():
            np.save(calib / str(i) / f"{name}.npy", value)
    mlir, out = tmp_path / "il.mlir", tmp_path / "il.onnx"
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                    f"--qc-ptq-pipeline={options} calib={calib}", "--qc-integer-linear",
                    "-o", str(mlir)], check=True)
    assert mlir.read_text().count("qc.linear") == 15
    subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(mlir), "-o", str(out)],
                   check=True)
    exported = onnx.load(str(out))
    ops = [n.op_type for n in exported.graph.node]
    # The 15 linear layers; the attention products stay float MatMuls.
    assert ops.count("MatMulInteger") == 15 and ops.count("MatMul") == 4
    used = {i for n in exported.graph.node for i in n.input}
    assert all(t.name in used for t in exported.graph.initializer)
    inputs = models.sample_inputs(model, seed=1)
    want = quant_run(mlir, inputs, ["logits"], tmp_path)[0]
    got = ort_run(exported, inputs)[0]
    if "a=uint8" in options and ort_u8s8_saturates():
        # onnxruntime's u8 x s8 MatMulInteger saturates on this host (no
        # VNNI): the ONNX reference evaluator is the exact oracle.
        got = ReferenceEvaluator(exported).run(None, inputs)[0]
    err = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert err <= 1e-5, err


def test_integer_linear_export_errors(tmp_path):
    """An accumulator other than i32 has no MatMulInteger form."""
    src = tmp_path / "acc16.mlir"
    src.write_text('''
func.func @main(%x: tensor<2x8xf32>, %s: tensor<f32>) -> tensor<2x4xi16> {
  %q = qc.quantize %x, %s : (tensor<2x8xf32>, tensor<f32>) -> !qc.qtensor<2x8, #qc.int<8>>
  %w = qc.constant dense<1> : tensor<4x8xi8> : !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %y = qc.linear %q, %w : (!qc.qtensor<2x8, #qc.int<8>>, !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<2x4xi16>
  return %y : tensor<2x4xi16>
}
''')
    out = tmp_path / "acc16.onnx"
    res = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(src), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert ("'qc.linear' op only an i32 accumulator has an ONNX form (MatMulInteger); "
            "got 'i16'") in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("xfmt,wdecl,message", [
    ("#qc.int<4>", "%w = qc.constant dense<1> : tensor<3x2x1x1xi8> : !qc.qtensor<3x2x1x1, #qc.int<8>>",
     "'qc.conv' op ConvInteger takes 8-bit inputs; the input format is #qc.int<4>"),
    ("#qc.int<8>", "%w = qc.quantize %wf, %s : (tensor<3x2x1x1xf32>, tensor<f32>) -> !qc.qtensor<3x2x1x1, #qc.int<8>>",
     "'qc.conv' op the weight must be constant signed codes of at most 8 bits to export; got #qc.int<8>"),
])
def test_integer_conv_export_errors(xfmt, wdecl, message, tmp_path):
    """qc.conv exports as ConvInteger only with 8-bit inputs and constant
    signed weight codes of at most 8 bits: otherwise an error naming the op
    and the format, and no file."""
    src = tmp_path / "conv.mlir"
    src.write_text(f'''
func.func @main(%x: tensor<1x2x4x4xf32>, %wf: tensor<3x2x1x1xf32>, %s: tensor<f32>) -> tensor<1x3x4x4xi32> {{
  %q = qc.quantize %x, %s : (tensor<1x2x4x4xf32>, tensor<f32>) -> !qc.qtensor<1x2x4x4, {xfmt}>
  {wdecl}
  %y = qc.conv %q, %w : (!qc.qtensor<1x2x4x4, {xfmt}>, !qc.qtensor<3x2x1x1, #qc.int<8>>) -> tensor<1x3x4x4xi32>
  return %y : tensor<1x3x4x4xi32>
}}
''')
    out = tmp_path / "conv.onnx"
    res = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(src), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 1 and message in res.stderr, res.stderr
    assert not out.exists()

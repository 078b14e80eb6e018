"""onnxruntime's quantized ONNX forms: MatMulInteger (nn.matmul_integer),
QLinearMatMul and DynamicQuantizeLinear (decomposed at import), and
DequantizeLinear / QuantizeLinear of integer tensors computed at run time.

The integer products are exact, so every comparison is exact: against a
NumPy reference of the ONNX definitions (int64 sums wrapped to int32,
float32 requantization as onnxruntime's kernels), against onnxruntime where
its kernels are exact, and on both QuantC targets. onnxruntime's AVX2
u8 x s8 kernels saturate 16-bit pair sums (vpmaddubsw), so its outputs are
only compared where that cannot happen (uint8 weights, 7-bit
`reduce_range` weights, or small values)."""

import zlib

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import assert_exact_everywhere, export_roundtrip, run_targets

TYPES = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def ort_run(model, inputs, optimize=True):
    import onnxruntime as ort

    so = ort.SessionOptions()
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    data = model if isinstance(model, str) else model.SerializeToString()
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"]).run(None, inputs)


def codes(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def matmul_integer_ref(a, b, za, zb):
    """(a - za) @ (b - zb) in int64, wrapped to int32; a 1-D per-row zero
    point of a 2-D `a` subtracts along rows."""
    a = a.astype(np.int64)
    b = b.astype(np.int64)
    if za is not None:
        za = za.astype(np.int64)
        a = a - (za.reshape(-1, 1) if za.ndim == 1 and za.size > 1 else za)
    if zb is not None:
        b = b - zb.astype(np.int64)
    return np.matmul(a, b).astype(np.int32)


def matmul_integer_model(a, b, za, zb):
    vi = helper.make_tensor_value_info
    names = ["a", "b", "za" if za is not None else "", "zb" if zb is not None else ""]
    while names[-1] == "":
        names.pop()
    ins = [vi("a", TYPES[a.dtype.type], a.shape), vi("b", TYPES[b.dtype.type], b.shape)]
    inits = [numpy_helper.from_array(v, n) for v, n in [(za, "za"), (zb, "zb")] if v is not None]
    g = helper.make_graph([helper.make_node("MatMulInteger", names, ["y"], name="mmi")], "g",
                          ins, [vi("y", TensorProto.INT32, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


CASES = [
    # (a type, b type, a shape, b shape, zero points)
    (np.uint8, np.int8, (5, 24), (24, 7), "none"),
    (np.uint8, np.int8, (5, 24), (24, 7), "scalar"),
    (np.uint8, np.uint8, (5, 24), (24, 7), "scalar"),
    (np.int8, np.int8, (5, 24), (24, 7), "scalar"),
    (np.uint8, np.int8, (5, 24), (24, 7), "per-column"),
    (np.uint8, np.int8, (5, 24), (24, 7), "per-row"),
    (np.int8, np.uint8, (2, 3, 5, 24), (24, 7), "scalar"),
    (np.uint8, np.int8, (2, 5, 24), (2, 24, 7), "per-column"),
    (np.uint8, np.int8, (24,), (24, 7), "scalar"),
    (np.uint8, np.int8, (5, 24), (24,), "scalar"),
]


@pytest.mark.parametrize("ta,tb,sa,sb,zps", CASES,
                         ids=[f"{c[0].__name__}x{c[1].__name__}-{len(c[2])}d{len(c[3])}d-{c[4]}"
                              for c in CASES])
def test_matmul_integer(ta, tb, sa, sb, zps, tmp_path):
    rng = np.random.default_rng(3)
    a, b = codes(rng, ta, sa), codes(rng, tb, sb)
    za = zb = None
    if zps != "none":
        za = codes(rng, ta, (sa[-2],) if zps == "per-row" else ())
        zb = codes(rng, tb, (sb[-1],) if zps == "per-column" else ())
    model = matmul_integer_model(a, b, za, zb)
    want = matmul_integer_ref(a, b, za, zb)
    inputs = {"a": a, "b": b}
    for target, outs in run_targets(model, inputs, tmp_path).items():
        assert outs["y"].dtype == np.int32
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    exported = export_roundtrip(tmp_path)
    # onnxruntime's MatMulInteger takes a scalar zero point of A only, has
    # no s8 x u8 kernel, and its u8 x s8 kernel may saturate: compared with
    # small values.
    if zps != "per-row" and len(sb) == 2 and len(sa) >= 2 and (ta, tb) != (np.int8, np.uint8):
        small = {"a": (a // 4).astype(ta), "b": (b // 4).astype(tb)}
        ref = matmul_integer_ref(small["a"], small["b"], za, zb)
        np.testing.assert_array_equal(ort_run(model, small)[0], ref, err_msg="onnxruntime")
        np.testing.assert_array_equal(ort_run(str(exported), small)[0], ref, err_msg="export")


@pytest.mark.parametrize("ta", [np.uint8, np.int8])
@pytest.mark.parametrize("zb", ["none", "zeros", "nonzero", "zeros, per-row A"])
def test_matmul_integer_constant_weight(ta, zb, tmp_path):
    """A constant int8 weight with zero point 0 runs on the packed int8
    kernel of the CPU target (`nn-matmul-integer-kernel.mlir`), with the
    zero point of A a run-time input; a non-zero weight zero point takes
    the generic nest, and so does a per-row zero point of A (the kernel
    takes one). All exact. K = 70 is not a multiple of the kernel's K
    group, N = 37 not of its columns, M = 2 x 9 not of its rows."""
    rng = np.random.default_rng(21)
    per_row = zb.endswith("per-row A")
    a = codes(rng, ta, (9, 70) if per_row else (2, 9, 70))
    w = codes(rng, np.int8, (70, 37))
    za = codes(rng, ta, (9,) if per_row else ())
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array(w, "w")]
    names = ["a", "w", "za"]
    zw = None
    if zb != "none":
        zw = np.zeros(37, np.int8) if zb.startswith("zeros") else codes(rng, np.int8, (37,))
        inits.append(numpy_helper.from_array(zw, "zw"))
        names.append("zw")
    g = helper.make_graph([helper.make_node("MatMulInteger", names, ["y"], name="mmi")], "g",
                          [vi("a", TYPES[ta], a.shape), vi("za", TYPES[ta], za.shape)],
                          [vi("y", TensorProto.INT32, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    want = matmul_integer_ref(a, w, za, zw)
    for target, outs in run_targets(model, {"a": a, "za": za}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def test_matmul_integer_wraps(tmp_path):
    """Sums beyond int32 wrap (two's complement, as nn.matmul_integer
    defines them): 40000 products of 255 * -255."""
    k = 40000
    a = np.full((1, k), 255, np.uint8)
    b = np.full((k, 2), -128, np.int8)
    zb = np.array(127, np.int8)
    model = matmul_integer_model(a, b, None, zb)
    want = matmul_integer_ref(a, b, None, zb)
    assert int(want[0, 0]) == ((-255 * 255 * k + 2**31) % 2**32) - 2**31
    for target, outs in run_targets(model, {"a": a, "b": b}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def qlinear_ref(a, sa, za, b, sb, zb, sy, zy):
    """onnxruntime's QLinearMatMul: the exact int32 product times the f32
    multiplier a_scale * b_scale / y_scale, rounded to nearest even, plus
    the zero point, saturated."""
    acc = matmul_integer_ref(a, b, za, zb)
    m = (sa.astype(np.float32) * sb.astype(np.float32) / sy.astype(np.float32)).astype(np.float32)
    y = np.rint(acc.astype(np.float32) * m) + np.float32(zy)
    info = np.iinfo(zy.dtype)
    return np.clip(y, info.min, info.max).astype(zy.dtype)


@pytest.mark.parametrize("ta,tb,tout,per_column", [
    (np.uint8, np.uint8, np.uint8, False), (np.uint8, np.int8, np.uint8, True),
    (np.int8, np.int8, np.int8, False), (np.uint8, np.uint8, np.int8, True)])
def test_qlinear_matmul(ta, tb, tout, per_column, tmp_path):
    """Saturating outputs on both ends (y_scale picked so that about a
    tenth of the outputs clip)."""
    rng = np.random.default_rng(7)
    a, b = codes(rng, ta, (3, 6, 32)), codes(rng, tb, (32, 9))
    sa = np.array(0.02, np.float32)
    za = codes(rng, ta, ())
    sb = (rng.random(9 if per_column else ()) * 0.01 + 0.005).astype(np.float32)
    zb = codes(rng, tb, (9,) if per_column else ())
    acc = matmul_integer_ref(a, b, za, zb).astype(np.float64) * sa * sb
    sy = np.array(np.percentile(np.abs(acc), 90) / 127, np.float32)
    zy = np.array(3 if tout == np.int8 else 130, tout)
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array(v, n) for v, n in
             [(sa, "sa"), (za, "za"), (sb, "sb"), (zb, "zb"), (sy, "sy"), (zy, "zy")]]
    node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"],
                            ["y"], name="qmm")
    g = helper.make_graph([node], "g", [vi("a", TYPES[ta], a.shape), vi("b", TYPES[tb], b.shape)],
                          [vi("y", TYPES[tout], None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    want = qlinear_ref(a, sa, za, b, sb, zb, sy, zy)
    assert 0 < np.mean((want == np.iinfo(tout).min) | (want == np.iinfo(tout).max)) < 0.5
    inputs = {"a": a, "b": b}
    for target, outs in run_targets(model, inputs, tmp_path).items():
        assert outs["y"].dtype == tout
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    exported = export_roundtrip(tmp_path)
    # onnxruntime's exact u8 x u8 kernel (its QLinearMatMul has no uint8
    # inputs with an int8 output).
    if ta == tb == tout == np.uint8:
        np.testing.assert_array_equal(ort_run(model, inputs)[0], want, err_msg="onnxruntime")
        np.testing.assert_array_equal(ort_run(str(exported), inputs)[0], want, err_msg="export")


def test_dynamic_quantize_linear(tmp_path):
    """y, y_scale and y_zero_point of ONNX's definition, including inputs
    all above 0 (the range is stretched to 0), a negative-only one and all
    zeros."""
    vi = helper.make_tensor_value_info
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"], name="dq")
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [4, 33])],
                          [vi("y", TensorProto.UINT8, None), vi("s", TensorProto.FLOAT, None),
                           vi("z", TensorProto.UINT8, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    rng = np.random.default_rng(1)
    for x in [rng.standard_normal((4, 33)) * 3, rng.random((4, 33)) + 2, -rng.random((4, 33)),
              np.zeros((4, 33))]:
        x = x.astype(np.float32)
        lo, hi = min(np.float32(0), x.min()), max(np.float32(0), x.max())
        # All zeros: scale 1 (onnxruntime; ONNX's body would divide 0 by 0).
        s = np.float32((hi - lo) / np.float32(255)) if hi > lo else np.float32(1)
        z = np.uint8(np.rint(np.clip(np.float32(0) - lo / s, 0, 255)))
        y = np.clip(np.rint(x / s) + np.float32(z), 0, 255).astype(np.uint8)
        for got in [dict(zip("ysz", ort_run(model, {"x": x})))] + list(
                run_targets(model, {"x": x}, tmp_path).values()):
            np.testing.assert_array_equal(got["y"], y)
            assert got["s"] == s and got["z"] == z and got["z"].dtype == np.uint8


def calibration(rng, shape, batches=4):
    """An onnxruntime.quantization calibration reader of `batches` normal
    inputs `x` of `shape`."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"x": rng.standard_normal(shape).astype(np.float32)}
                            for _ in range(batches)])

        def get_next(self):
            return next(self.it, None)

    return Reader()


def float_model(nodes, xshape, weights):
    """A float32 opset-17 model of `nodes` from input `x` of `xshape` to
    output `y`, with the initializers `weights` (name: array)."""
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, xshape)],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in weights.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def check_quantize_static(nodes, xshape, weights, ops, rng, tmp_path, **options):
    """The float model of `nodes` quantized by onnxruntime's quantize_static
    in the QOperator format (per-channel 7-bit int8 weights, uint8
    activations; `options` override) contains `ops` and gives onnxruntime's
    output bit for bit on both targets."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    onnx.save(float_model(nodes, xshape, weights), str(tmp_path / "f.onnx"))
    kwargs = dict(quant_format=QuantFormat.QOperator, per_channel=True, reduce_range=True,
                  weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
    kwargs.update(options)
    quantize_static(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"),
                    calibration(rng, tuple(xshape)), **kwargs)
    model = onnx.load(str(tmp_path / "q.onnx"))
    assert set(ops) <= {n.op_type for n in model.graph.node}
    x = rng.standard_normal(xshape).astype(np.float32)
    want = ort_run(model, {"x": x}, optimize=False)[0]
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def mlp(rng, d=64, h=128):
    """A float MatMul + Add + Relu + MatMul model."""
    w1 = (rng.standard_normal((d, h)) * 0.1).astype(np.float32)
    b1 = (rng.standard_normal(h) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((h, d)) * 0.1).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"]),
             helper.make_node("Add", ["h0", "b1"], ["h1"]),
             helper.make_node("Relu", ["h1"], ["h2"]),
             helper.make_node("MatMul", ["h2", "w2"], ["y"])]
    return float_model(nodes, [4, d], {"w1": w1, "b1": b1, "w2": w2})


@pytest.mark.parametrize("form", ["dynamic-s8", "dynamic-u8", "qoperator-per-channel",
                                  "qoperator-per-tensor"])
def test_onnxruntime_quantized_models(form, tmp_path):
    """Models written by onnxruntime.quantization (quantize_dynamic:
    DynamicQuantizeLinear + MatMulInteger; quantize_static in the QOperator
    format: QuantizeLinear + QLinearMatMul + DequantizeLinear) give
    onnxruntime's outputs bit for bit on both targets, and export back."""
    from onnxruntime.quantization import (QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)

    rng = np.random.default_rng(0)
    onnx.save(mlp(rng), str(tmp_path / "f.onnx"))
    q = tmp_path / "q.onnx"
    if form.startswith("dynamic"):
        quantize_dynamic(str(tmp_path / "f.onnx"), str(q),
                         weight_type=QuantType.QInt8 if form.endswith("s8") else QuantType.QUInt8)
        ops = {"DynamicQuantizeLinear", "MatMulInteger"}
    else:
        # 7-bit weights keep onnxruntime's u8 x s8 kernel exact.
        quantize_static(str(tmp_path / "f.onnx"), str(q), calibration(rng, (4, 64)),
                        quant_format=QuantFormat.QOperator, op_types_to_quantize=["MatMul"],
                        per_channel=form.endswith("per-channel"), reduce_range=True,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
        ops = {"QuantizeLinear", "QLinearMatMul", "DequantizeLinear"}
    model = onnx.load(str(q))
    assert ops <= {n.op_type for n in model.graph.node}
    x = rng.standard_normal((4, 64)).astype(np.float32)
    want = ort_run(model, {"x": x}, optimize=False)[0]
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    np.testing.assert_array_equal(ort_run(str(export_roundtrip(tmp_path)), {"x": x})[0], want,
                                  err_msg="export")


def test_dequantize_run_time_integers(tmp_path):
    """DequantizeLinear of a uint8 graph input (per axis) and of an int32
    one: (x - zero point) in int32, times the scale in f32."""
    rng = np.random.default_rng(2)
    x = codes(rng, np.uint8, (3, 4, 5))
    s = (rng.random(4) * 0.1).astype(np.float32)
    z = codes(rng, np.uint8, (4,))
    x32 = rng.integers(-2**31, 2**31, (7,)).astype(np.int32)
    s32 = np.array(1e-3, np.float32)
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1, name="dq"),
             helper.make_node("DequantizeLinear", ["x32", "s32"], ["y32"], name="dq32")]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.UINT8, x.shape),
                                       vi("x32", TensorProto.INT32, x32.shape)],
                          [vi("y", TensorProto.FLOAT, None), vi("y32", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(s, "s"), numpy_helper.from_array(z, "z"),
                           numpy_helper.from_array(s32, "s32")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    want = ((x.astype(np.int32) - z.reshape(1, 4, 1)).astype(np.float32) * s.reshape(1, 4, 1))
    want32 = x32.astype(np.float32) * s32
    inputs = {"x": x, "x32": x32}
    ort_y, ort_y32 = ort_run(model, inputs)
    np.testing.assert_array_equal(ort_y, want)
    np.testing.assert_array_equal(ort_y32, want32)
    for target, outs in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
        np.testing.assert_array_equal(outs["y32"], want32, err_msg=target)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_dequantize_run_time_blocked(dtype, tmp_path):
    """Blocked DequantizeLinear (opset 21 block_size, blocks of 3 along axis
    1 of 8, the last one short) of a graph input: each scale and zero point
    repeated over its block, (x - zero point) * scale bit for bit
    onnxruntime on both targets."""
    rng = np.random.default_rng(3)
    x = codes(rng, dtype, (4, 8, 5))
    s = (rng.random((4, 3, 5)) * 0.1 + 0.01).astype(np.float32)
    z = codes(rng, dtype, (4, 3, 5))
    vi = helper.make_tensor_value_info
    g = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1, block_size=3,
                          name="dq")], "g", [vi("x", TYPES[dtype], x.shape)],
        [vi("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(s, "s"), numpy_helper.from_array(z, "z")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    rep = lambda p: np.repeat(p, 3, axis=1)[:, :8]  # noqa: E731
    want = (x.astype(np.int32) - rep(z)).astype(np.float32) * rep(s)
    np.testing.assert_array_equal(ort_run(model, {"x": x})[0], want, err_msg="onnxruntime")
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def conv_integer_ref(x, w, zx, zw, pads=(0, 0, 0, 0), strides=(1, 1), dilations=(1, 1), group=1):
    """ONNX ConvInteger in int64 (x padded with its zero point), wrapped to
    int32; 2-D NCHW."""
    xc = x.astype(np.int64) - (0 if zx is None else np.int64(zx))
    wc = w.astype(np.int64) - (0 if zw is None else zw.astype(np.int64).reshape(-1, 1, 1, 1))
    xc = np.pad(xc, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = xc.shape
    m, cg, kh, kw = w.shape
    oh = (h - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (wd - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    y = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for u in range(kh):
        for v in range(kw):
            patch = xc[:, :, u * dilations[0]:u * dilations[0] + strides[0] * oh:strides[0],
                       v * dilations[1]:v * dilations[1] + strides[1] * ow:strides[1]]
            for g in range(group):
                y[:, g * mg:(g + 1) * mg] += np.einsum(
                    "nchw,mc->nmhw", patch[:, g * cg:(g + 1) * cg], wc[g * mg:(g + 1) * mg, :, u, v])
    return y.astype(np.int32)


def conv_model(op, x, w, names, attrs, out_type, inits):
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node(op, names, ["y"], name="conv", **attrs)], "g",
                          [vi("x", TYPES[x.dtype.type], x.shape), vi("w", TYPES[w.dtype.type], w.shape)],
                          [vi("y", out_type, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


CONV_CASES = [
    # (x type, w type, attrs, zero points)
    (np.uint8, np.int8, {}, "none"),
    (np.uint8, np.uint8, {"pads": [1, 1, 1, 1]}, "scalar"),
    (np.uint8, np.int8, {"pads": [1, 0, 2, 1], "strides": [2, 1], "dilations": [1, 2]}, "per-channel"),
    (np.int8, np.int8, {"group": 2, "pads": [1, 1, 1, 1]}, "per-channel"),
]


@pytest.mark.parametrize("tx,tw,attrs,zps", CONV_CASES,
                         ids=[f"{c[0].__name__}x{c[1].__name__}-{i}" for i, c in enumerate(CONV_CASES)])
def test_conv_integer(tx, tw, attrs, zps, tmp_path):
    """Padding adds (zx - zx) = 0, i.e. x is padded with its zero point;
    per-output-channel weight zero points."""
    rng = np.random.default_rng(9)
    group = attrs.get("group", 1)
    x, w = codes(rng, tx, (2, 4, 7, 8)), codes(rng, tw, (6, 4 // group, 3, 3))
    zx = zw = None
    names = ["x", "w"]
    inits = {}
    if zps != "none":
        zx = codes(rng, tx, ())
        zw = codes(rng, tw, (6,) if zps == "per-channel" else ())
        names += ["zx", "zw"]
        inits = {"zx": zx, "zw": zw}
    model = conv_model("ConvInteger", x, w, names, attrs, TensorProto.INT32, inits)
    want = conv_integer_ref(x, w, zx, zw, attrs.get("pads", (0, 0, 0, 0)),
                            attrs.get("strides", (1, 1)), attrs.get("dilations", (1, 1)), group)
    for target, outs in run_targets(model, {"x": x, "w": w}, tmp_path).items():
        assert outs["y"].dtype == np.int32
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    # onnxruntime's ConvInteger is u8 x u8 (exact) with scalar zero points;
    # the export moves int8 operands to uint8, so all but the per-channel
    # zero points run there.
    exported = export_roundtrip(tmp_path)
    if zps != "per-channel":
        np.testing.assert_array_equal(ort_run(str(exported), {"x": x, "w": w})[0], want,
                                      err_msg="export")
    if tx == tw == np.uint8:
        np.testing.assert_array_equal(ort_run(model, {"x": x, "w": w})[0], want, err_msg="onnxruntime")


def test_conv_integer_1d(tmp_path):
    """A 1-D ConvInteger runs as 2-D with a height of 1."""
    rng = np.random.default_rng(4)
    x, w = codes(rng, np.uint8, (1, 3, 9)), codes(rng, np.uint8, (5, 3, 4))
    zx = np.array(17, np.uint8)
    model = conv_model("ConvInteger", x, w, ["x", "w", "zx"], {"pads": [2, 1]}, TensorProto.INT32,
                       {"zx": zx})
    want = conv_integer_ref(x[:, :, None], w[:, :, None], zx, None, (0, 2, 0, 1))[:, :, 0]
    for target, outs in run_targets(model, {"x": x, "w": w}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    np.testing.assert_array_equal(ort_run(model, {"x": x, "w": w})[0], want, err_msg="onnxruntime")


@pytest.mark.parametrize("tx,tw", [(np.uint8, np.uint8), (np.uint8, np.int8), (np.int8, np.int8)])
def test_qlinear_conv(tx, tw, tmp_path):
    """Per-channel weight scales and zero points, an int32 bias added to
    the accumulator before the requantization, ~10% saturated outputs."""
    rng = np.random.default_rng(12)
    x, w = codes(rng, tx, (2, 3, 6, 6)), codes(rng, tw, (5, 3, 3, 3))
    sx, zx = np.array(0.05, np.float32), codes(rng, tx, ())
    sw = (rng.random(5) * 0.01 + 0.005).astype(np.float32)
    # One value per channel, all equal (symmetric int8 as onnxruntime
    # writes it; onnxruntime's kernels need equal ones).
    zw = np.full(5, 0 if tw == np.int8 else 131, tw)
    bias = rng.integers(-2000, 2000, 5).astype(np.int32)
    acc = conv_integer_ref(x, w, zx, zw, (1, 1, 1, 1)).astype(np.int64) + bias.reshape(1, 5, 1, 1)
    sy = np.array(np.percentile(np.abs(acc * sx * sw.reshape(1, 5, 1, 1)), 90) / 127, np.float32)
    zy = np.array(120 if tx == np.uint8 else -4, tx)
    m = (sx * sw / sy).astype(np.float32).reshape(1, 5, 1, 1)
    info = np.iinfo(tx)
    want = np.clip(np.rint(acc.astype(np.int32).astype(np.float32) * m) + np.float32(zy),
                   info.min, info.max).astype(tx)
    assert 0 < np.mean((want == info.min) | (want == info.max)) < 0.5
    inits = {"sx": sx, "zx": zx, "sw": sw, "zw": zw, "sy": sy, "zy": zy, "b": bias}
    model = conv_model("QLinearConv", x, w, ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"],
                       {"pads": [1, 1, 1, 1]}, TYPES[tx], inits)
    for target, outs in run_targets(model, {"x": x, "w": w}, tmp_path).items():
        assert outs["y"].dtype == tx
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    np.testing.assert_array_equal(ort_run(str(export_roundtrip(tmp_path)), {"x": x, "w": w})[0],
                                  want, err_msg="export")
    if tx == tw == np.uint8:
        np.testing.assert_array_equal(ort_run(model, {"x": x, "w": w})[0], want, err_msg="onnxruntime")


def cnn(rng):
    """Conv (bias, padded) + Relu + Conv (stride 2)."""
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.2).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((4, 8, 3, 3)) * 0.2).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["h0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["h0"], ["h1"]),
             helper.make_node("Conv", ["h1", "w2"], ["y"], strides=[2, 2])]
    return float_model(nodes, [2, 3, 10, 10], {"w1": w1, "b1": b1, "w2": w2})


@pytest.mark.parametrize("form", ["dynamic", "qoperator"])
def test_onnxruntime_quantized_cnn(form, tmp_path):
    """onnxruntime.quantization on a CNN: quantize_dynamic (uint8 weights:
    DynamicQuantizeLinear + ConvInteger) and quantize_static QOperator per
    channel (QLinearConv) give onnxruntime's outputs bit for bit."""
    from onnxruntime.quantization import (QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)

    rng = np.random.default_rng(0)
    onnx.save(cnn(rng), str(tmp_path / "f.onnx"))
    q = tmp_path / "q.onnx"
    if form == "dynamic":
        quantize_dynamic(str(tmp_path / "f.onnx"), str(q), weight_type=QuantType.QUInt8,
                         op_types_to_quantize=["Conv"])
        op = "ConvInteger"
    else:
        quantize_static(str(tmp_path / "f.onnx"), str(q), calibration(rng, (2, 3, 10, 10)),
                        quant_format=QuantFormat.QOperator, op_types_to_quantize=["Conv"],
                        per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8)
        op = "QLinearConv"
    model = onnx.load(str(q))
    assert op in {n.op_type for n in model.graph.node}
    x = rng.standard_normal((2, 3, 10, 10)).astype(np.float32)
    want = ort_run(model, {"x": x}, optimize=False)[0]
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    np.testing.assert_array_equal(ort_run(str(export_roundtrip(tmp_path)), {"x": x})[0], want,
                                  err_msg="export")


def contrib_model(node, inputs, out_type, inits):
    """A model of one com.microsoft `node` reading graph inputs `inputs`
    (name: array) and initializers `inits`, writing `y`."""
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g", [vi(k, TYPES[v.dtype.type], v.shape)
                                        for k, v in inputs.items()],
                          [vi("y", out_type, None)],
                          [numpy_helper.from_array(np.array(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def check_against_onnxruntime(model, inputs, tmp_path):
    assert_exact_everywhere(model, inputs, ort_run(model, inputs), tmp_path)


BROADCASTS = [((8, 32, 64), (8, 32, 64)), ((8, 32, 64), (32, 1)), ((32, 1), (8, 32, 64))]


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("shapes", BROADCASTS, ids=["same", "b-broadcast", "a-broadcast"])
def test_qlinear_binary(op, dtype, shapes, tmp_path):
    """com.microsoft QLinearAdd / QLinearMul bit for bit onnxruntime's
    (16k elements per case). QLinearMul adds the output zero point before
    rounding, which decides rare ties: rounding first differed from
    onnxruntime on 1 of 61440 elements with A broadcast in a trial."""
    rng = np.random.default_rng(zlib.crc32(f"{op}{dtype.__name__}{shapes}".encode()))
    a, b = codes(rng, dtype, shapes[0]), codes(rng, dtype, shapes[1])
    sa = np.array(rng.random() * 0.1 + 0.001, np.float32)
    sb = np.array(rng.random() * 0.1 + 0.001, np.float32)
    # Output scales that saturate some results.
    sc = np.array(sa * sb * (rng.random() * 100 + 20) if op == "QLinearMul"
                  else (sa + sb) * (rng.random() * 0.4 + 0.6), np.float32)
    za, zb, zc = codes(rng, dtype, ()), codes(rng, dtype, ()), codes(rng, dtype, ())
    node = helper.make_node(op, ["a", "sa", "za", "b", "sb", "zb", "sc", "zc"], ["y"], name="q",
                            domain="com.microsoft")
    inputs = {"a": a, "b": b}
    model = contrib_model(node, inputs, TYPES[dtype],
                          dict(sa=sa, za=za, sb=sb, zb=zb, sc=sc, zc=zc))
    want = ort_run(model, inputs)[0]
    info = np.iinfo(dtype)
    assert 0 < np.mean((want == info.min) | (want == info.max)) < 0.9  # some saturate
    check_against_onnxruntime(model, inputs, tmp_path)


def test_onnxruntime_quantized_residual(tmp_path):
    """quantize_static QOperator of a residual block (Conv, Relu, Conv,
    Add of the input, Mul by a constant): QLinearConv, QLinearAdd and
    QLinearMul, onnxruntime's outputs bit for bit on both targets."""
    rng = np.random.default_rng(3)
    w1 = (rng.standard_normal((4, 4, 3, 3)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((4, 4, 3, 3)) * 0.2).astype(np.float32)
    k = (rng.random((1, 4, 1, 1)) + 0.5).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["h0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["h0"], ["h1"]),
             helper.make_node("Conv", ["h1", "w2"], ["h2"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["h2", "x"], ["h3"]),
             helper.make_node("Mul", ["h3", "k"], ["y"])]
    check_quantize_static(nodes, [2, 4, 8, 8], {"w1": w1, "w2": w2, "k": k},
                          {"QLinearConv", "QLinearAdd", "QLinearMul"}, rng, tmp_path,
                          op_types_to_quantize=["Conv", "Add", "Mul"])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("channels_last", [0, 1])
def test_qlinear_global_average_pool(dtype, channels_last, tmp_path):
    """The exact int32 sum over the spatial axes, then
    round((sum - zx N) * (sx / (sy N))) + zy saturated: onnxruntime's
    outputs bit for bit (512 channels of 63 values)."""
    rng = np.random.default_rng(8 + channels_last)
    x = codes(rng, dtype, (8, 7, 9, 64) if channels_last else (8, 64, 7, 9))
    sx = np.float32(0.05)
    inits = dict(sx=sx, zx=codes(rng, dtype, ()), sy=np.float32(sx * 0.3),
                 zy=codes(rng, dtype, ()))
    node = helper.make_node("QLinearGlobalAveragePool", ["x", "sx", "zx", "sy", "zy"], ["y"],
                            name="gap", domain="com.microsoft", channels_last=channels_last)
    check_against_onnxruntime(contrib_model(node, {"x": x}, TYPES[dtype], inits), {"x": x},
                              tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_concat(dtype, tmp_path):
    """Each input requantized to the output's scale and zero point (one
    input already has them and is copied), then concatenated."""
    rng = np.random.default_rng(6)
    a, b, c = codes(rng, dtype, (4, 16, 8)), codes(rng, dtype, (4, 5, 8)), codes(rng, dtype, (4, 3, 8))
    zy = codes(rng, dtype, ())
    inits = dict(sy=np.float32(0.05), zy=zy, sa=np.float32(0.07), za=codes(rng, dtype, ()),
                 sb=np.float32(0.031), zb=codes(rng, dtype, ()), sc=np.float32(0.05), zc=zy)
    node = helper.make_node("QLinearConcat", ["sy", "zy", "a", "sa", "za", "b", "sb", "zb",
                                              "c", "sc", "zc"], ["y"], name="cat",
                            domain="com.microsoft", axis=1)
    inputs = {"a": a, "b": b, "c": c}
    check_against_onnxruntime(contrib_model(node, inputs, TYPES[dtype], inits), inputs, tmp_path)


def test_onnxruntime_quantized_resnet(tmp_path):
    """quantize_static in the QOperator format with its default operator
    set on a residual block with a 1x1 branch, concatenation, global
    average pooling and a MatMul head: QuantizeLinear, QLinearConv,
    QLinearAdd, QLinearConcat, QLinearGlobalAveragePool, QLinearMatMul and
    DequantizeLinear, onnxruntime's output bit for bit on both targets."""
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    w3 = (rng.standard_normal((4, 8, 1, 1)) * 0.3).astype(np.float32)
    wf = (rng.standard_normal((12, 5)) * 0.3).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["h0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["h0"], ["h1"]),
             helper.make_node("Conv", ["h1", "w2"], ["h2"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["h2", "x"], ["h3"]),
             helper.make_node("Relu", ["h3"], ["h4"]),
             helper.make_node("Conv", ["h4", "w3"], ["h5"]),
             helper.make_node("Concat", ["h4", "h5"], ["h6"], axis=1),
             helper.make_node("GlobalAveragePool", ["h6"], ["h7"]),
             helper.make_node("Flatten", ["h7"], ["h8"]),
             helper.make_node("MatMul", ["h8", "wf"], ["y"])]
    check_quantize_static(nodes, [2, 8, 8, 8], {"w1": w1, "w2": w2, "w3": w3, "wf": wf},
                          {"QLinearConv", "QLinearAdd", "QLinearConcat",
                           "QLinearGlobalAveragePool", "QLinearMatMul"}, rng, tmp_path)


def qgemm_ref(a, sa, za, b, sb, zb, c, sy, zy, alpha, ydtype):
    """onnxruntime's QGemm: the exact int32 product plus C, then
    sat(round(acc * (alpha * sa * sb / sy)) + zy) in float32 (per-column
    sb), or the float acc * (alpha * sa * sb) without y_zero_point."""
    acc = matmul_integer_ref(a, b, za, zb)
    if c is not None:
        acc = (acc.astype(np.int64) + c).astype(np.int32)
    m = (np.float32(alpha) * sa * sb).astype(np.float32)
    if sy is not None:
        m = (m / sy).astype(np.float32)
    y = acc.astype(np.float32) * m
    if zy is None:
        return y
    info = np.iinfo(ydtype)
    return np.clip(np.rint(y) + np.float32(zy), info.min, info.max).astype(ydtype)


QGEMM_CASES = [
    # (A type, B type, transA, transB, per-column, C shape, output, alpha)
    (np.uint8, np.int8, 0, 1, True, "n", "requant", 1.0),
    (np.uint8, np.int8, 0, 0, False, "mn", "requant", 1.0),
    (np.uint8, np.uint8, 1, 0, False, "m1", "requant", 0.75),
    (np.int8, np.int8, 0, 1, True, "n", "requant", 1.0),
    (np.uint8, np.int8, 0, 1, True, "none", "float", 1.0),
    (np.uint8, np.uint8, 1, 1, False, "1n", "float", 2.5),
    (np.int8, np.int8, 0, 0, False, "n", "float-y-scale", 1.0),
]


@pytest.mark.parametrize("ta,tb,trans_a,trans_b,per_column,cshape,out,alpha", QGEMM_CASES,
                         ids=[f"{c[0].__name__}x{c[1].__name__}-t{c[2]}{c[3]}-"
                              f"{'col' if c[4] else 'tensor'}-c{c[5]}-{c[6]}-a{c[7]}"
                              for c in QGEMM_CASES])
def test_qgemm(ta, tb, trans_a, trans_b, per_column, cshape, out, alpha, tmp_path):
    """com.microsoft QGemm (what quantize_static writes for Gemm):
    transposes, per-column b scales and zero points, every C broadcast,
    alpha, requantized or float output; onnxruntime's outputs bit for bit
    on both targets. int8 weights are 7-bit where A is uint8 (onnxruntime's
    u8 x s8 AVX2 kernel saturates 16-bit pair sums otherwise)."""
    rng = np.random.default_rng(zlib.crc32(f"{ta}{tb}{trans_a}{trans_b}{cshape}{out}".encode()))
    m, k, n = 7, 70, 13
    a = codes(rng, ta, (m, k))
    b = codes(rng, tb, (k, n))
    if ta == np.uint8 and tb == np.int8:
        b = (b // 2).astype(np.int8)
    za = codes(rng, ta, ())
    zb = codes(rng, tb, (n,) if per_column else ())
    if tb == np.int8:
        zb = np.zeros_like(zb)  # onnxruntime: symmetric int8 weights
    sa = np.float32(0.02)
    sb = (rng.random(n if per_column else ()) * 0.02 + 0.005).astype(np.float32)
    c = None
    if cshape != "none":
        shape = {"n": (n,), "mn": (m, n), "m1": (m, 1), "1n": (1, n)}[cshape]
        c = rng.integers(-20000, 20000, shape).astype(np.int32)
    sy = zy = None
    if out == "requant":
        # [10th, 90th percentile] (widened to hold 0) in range, the rest
        # saturate.
        y = qgemm_ref(a, sa, za, b, sb, zb, c, None, None, alpha, ta)
        lo, hi = np.percentile(y, [10, 90])
        lo, hi = min(lo, 0.0), max(hi, 0.0)
        info = np.iinfo(ta)
        sy = np.float32((hi - lo) / 255)
        zy = np.array(np.clip(np.rint(info.min - lo / sy), info.min, info.max), ta)
    elif out == "float-y-scale":
        sy = np.float32(0.3)
    inits = dict(sa=sa, za=za, sb=sb, zb=zb, b=b.T.copy() if trans_b else b)
    names = ["a", "sa", "za", "b", "sb", "zb", "c" if c is not None else ""]
    if c is not None:
        inits["c"] = c
    if sy is not None:
        names.append("sy")
        inits["sy"] = sy
    if zy is not None:
        names.append("zy")
        inits["zy"] = zy
    while names[-1] == "":
        names.pop()
    node = helper.make_node("QGemm", names, ["y"], name="qg", domain="com.microsoft",
                            transA=trans_a, transB=trans_b, alpha=alpha)
    inputs = {"a": a.T.copy() if trans_a else a}
    model = contrib_model(node, inputs, TYPES[ta] if zy is not None else TensorProto.FLOAT,
                          inits)
    want = qgemm_ref(a, sa, za, b, sb, zb, c, sy, zy, alpha, ta)
    if zy is not None:
        info = np.iinfo(ta)
        assert 0 < np.mean((want == info.min) | (want == info.max)) < 0.5  # some saturate
    np.testing.assert_array_equal(ort_run(model, inputs)[0], want, err_msg="onnxruntime")
    check_against_onnxruntime(model, inputs, tmp_path)


@pytest.mark.parametrize("op", ["QLinearSigmoid", "QLinearLeakyRelu"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("zero_points", [True, False])
def test_qlinear_activation(op, dtype, zero_points, tmp_path):
    """com.microsoft QLinearSigmoid / QLinearLeakyRelu on every code:
    dequantized, the float activation, quantized to the output's scale and
    zero point, as onnxruntime's lookup table is built. onnxruntime's
    sigmoid is a polynomial approximation (MlasComputeLogistic), QuantC's
    ONNX's Sigmoid; on these 256 codes they give the same output codes."""
    rng = np.random.default_rng(zlib.crc32(f"{op}{dtype}{zero_points}".encode()))
    info = np.iinfo(dtype)
    x = np.arange(info.min, info.max + 1, dtype=np.int64).astype(dtype).reshape(4, 8, 8)
    sx = np.float32(0.0731 if op == "QLinearSigmoid" else 0.0213)
    sy = np.float32(1 / 256 if op == "QLinearSigmoid" else 0.0171)
    inits = dict(sx=sx, sy=sy)
    # (onnxruntime reads input 4 unchecked: an empty name, not none)
    names = ["x", "sx", "", "sy", ""]
    if zero_points:
        inits.update(zx=codes(rng, dtype, ()), zy=codes(rng, dtype, ()))
        names = ["x", "sx", "zx", "sy", "zy"]
    attrs = {"alpha": 0.1} if op == "QLinearLeakyRelu" else {}
    node = helper.make_node(op, names, ["y"], name="act", domain="com.microsoft", **attrs)
    inputs = {"x": x}
    check_against_onnxruntime(contrib_model(node, inputs, TYPES[dtype], inits), inputs, tmp_path)


QAVGPOOL_CASES = [
    # (input shape, attributes)
    ((2, 8, 9, 11), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ((2, 8, 9, 11), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=1)),
    ((2, 8, 9, 11), dict(kernel_shape=[2, 3], strides=[1, 2], pads=[0, 1, 1, 0], ceil_mode=1)),
    ((2, 8, 13), dict(kernel_shape=[4], strides=[3], pads=[2, 1])),
    ((2, 9, 11, 8), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         channels_last=1)),
]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("shape,attrs", QAVGPOOL_CASES,
                         ids=["pads", "count-pad", "ceil", "1d", "channels-last"])
def test_qlinear_average_pool(dtype, shape, attrs, tmp_path):
    """com.microsoft QLinearAveragePool (what quantize_static writes for
    AveragePool): the codes dequantized, the float average, then
    round(y / sy + zy) saturated; onnxruntime's outputs bit for bit."""
    rng = np.random.default_rng(zlib.crc32(f"{dtype}{shape}{attrs}".encode()))
    x = codes(rng, dtype, shape)
    inits = dict(sx=np.float32(0.037), zx=codes(rng, dtype, ()), sy=np.float32(0.029),
                 zy=codes(rng, dtype, ()))
    node = helper.make_node("QLinearAveragePool", ["x", "sx", "zx", "sy", "zy"], ["y"],
                            name="ap", domain="com.microsoft", **attrs)
    inputs = {"x": x}
    check_against_onnxruntime(contrib_model(node, inputs, TYPES[dtype], inits), inputs, tmp_path)


QSOFTMAX_CASES = [
    # (input shape, attributes, x scale, y scale, y zero point)
    ((4, 6, 128), dict(axis=-1, opset=13), 0.0625, 1 / 256, None),
    ((3, 5, 37), dict(axis=-1, opset=17), 0.0083, 1 / 255, "random"),
    ((2, 7, 9), dict(axis=1, opset=13), 0.21, 0.0031, "random"),
    ((3, 4, 5), dict(opset=12), 0.047, 1 / 256, None),
    ((3, 4, 5), dict(axis=1, opset=12), 0.047, 1 / 256, None),
    ((2, 3, 4, 6), dict(axis=2, opset=11), 0.11, 1 / 128, "random"),
    ((5, 1000), dict(axis=-1, opset=13), 0.37, 1 / 256, None),
    ((6, 2), dict(axis=-1, opset=13), 0.5, 1 / 256, None),
]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
@pytest.mark.parametrize("shape,attrs,sx,sy,zy", QSOFTMAX_CASES,
                         ids=["attention", "zp", "inner-axis", "opset12-default", "opset12-flatten",
                              "opset11-axis2", "wide", "pairs"])
def test_qlinear_softmax(dtype, shape, attrs, sx, sy, zy, tmp_path):
    """com.microsoft QLinearSoftmax (what quantize_static writes for
    Softmax): onnxruntime's f32 exponential table read at 255 - (max - x),
    its f32 sum in order, floor(1 / y_scale), the rounded quotient plus the
    zero point clamped at 255 (int8: then wrapped, as onnxruntime casts);
    onnxruntime's outputs bit for bit on both targets and through the
    export. The input zero point does not matter (softmax is
    shift-invariant, onnxruntime ignores it)."""
    rng = np.random.default_rng(zlib.crc32(f"{dtype}{shape}{attrs}".encode()))
    x = codes(rng, dtype, shape)
    inits = dict(sx=np.float32(sx), zx=codes(rng, dtype, ()), sy=np.float32(sy))
    names = ["x", "sx", "zx", "sy"]
    if zy is not None:
        inits["zy"] = codes(rng, dtype, ())
        names.append("zy")
    elif dtype == np.int8:  # -128: the codes fill [-128, 127]
        inits["zy"] = np.int8(-128)
        names.append("zy")
    else:  # (a required input in onnxruntime's schema)
        inits["zy"] = np.uint8(0)
        names.append("zy")
    node = helper.make_node("QLinearSoftmax", names, ["y"], name="sm", domain="com.microsoft",
                            **attrs)
    inputs = {"x": x}
    check_against_onnxruntime(contrib_model(node, inputs, TYPES[dtype], inits), inputs, tmp_path)


def test_qlinear_softmax_int8_wraps(tmp_path):
    """int8 with output zero point 0: onnxruntime's quotients above 127
    wrap to negative codes (its cast to int8), which QuantC reproduces."""
    x = np.array([[5, 5], [-100, 100], [0, 127], [3, 3]], np.int8)
    inits = dict(sx=np.float32(0.5), sy=np.float32(1 / 256), zy=np.int8(0))
    node = helper.make_node("QLinearSoftmax", ["x", "sx", "", "sy", "zy"], ["y"], name="sm",
                            domain="com.microsoft", axis=-1, opset=13)
    model = contrib_model(node, {"x": x}, TensorProto.INT8, inits)
    want = ort_run(model, {"x": x})[0]
    assert (want < 0).any()  # the wrap is exercised
    check_against_onnxruntime(model, {"x": x}, tmp_path)


@pytest.mark.parametrize("arch", ["bert", "llama"])
def test_onnxruntime_quantized_transformers(arch, tmp_path):
    """The hidden-64 BERT-style encoder and Llama-style decoder through
    quantize_static in the QOperator format (its default operator set:
    QLinearMatMul / Add / Mul / Softmax / Sigmoid / Concat between
    QuantizeLinear and DequantizeLinear) give onnxruntime's outputs: the
    decoder bit for bit on both targets; the encoder ends in float
    LayerNormalization, whose sums onnxruntime orders its own way (within
    1e-6 relative L2, as the float model)."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from qc_testing import rel_l2
    from quantc import models

    model = (models.bert(hidden=64, heads=4, layers=2, ffn=256) if arch == "bert" else
             models.llama(hidden=64, heads=4, kv_heads=2, layers=2, intermediate=172))
    onnx.save(model, str(tmp_path / "f.onnx"))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([models.sample_inputs(model, seed=s) for s in range(4)])

        def get_next(self):
            return next(self.batches, None)

    quantize_static(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"), Reader(),
                    quant_format=QuantFormat.QOperator, per_channel=True, reduce_range=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
    q = onnx.load(str(tmp_path / "q.onnx"))
    assert {"QLinearSoftmax", "QLinearMatMul", "QLinearAdd"} <= {n.op_type for n in q.graph.node}
    inputs = models.sample_inputs(model, seed=7)
    want = ort_run(q, inputs, optimize=False)
    names = [o.name for o in q.graph.output]
    for target, outs in run_targets(q, inputs, tmp_path).items():
        for name, w in zip(names, want):
            if arch == "llama":
                np.testing.assert_array_equal(outs[name], w, err_msg=target)
            else:
                assert rel_l2(outs[name], w) < 1e-6, target


def test_onnxruntime_quantized_classifier(tmp_path):
    """quantize_static in the QOperator format with its default operator
    set on a CNN classifier with LeakyRelu, AveragePool, Sigmoid and a Gemm
    head (transB, bias): QLinearConv, QLinearLeakyRelu, QLinearAveragePool,
    QLinearSigmoid and QGemm, onnxruntime's output bit for bit on both
    targets."""
    rng = np.random.default_rng(5)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    wg = (rng.standard_normal((10, 8 * 4 * 4)) * 0.1).astype(np.float32)
    bg = (rng.standard_normal(10) * 0.1).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["h0"], pads=[1, 1, 1, 1]),
             helper.make_node("LeakyRelu", ["h0"], ["h1"], alpha=0.1),
             helper.make_node("AveragePool", ["h1"], ["h2"], kernel_shape=[2, 2],
                              strides=[2, 2]),
             helper.make_node("Conv", ["h2", "w2"], ["h3"], pads=[1, 1, 1, 1]),
             helper.make_node("Sigmoid", ["h3"], ["h4"]),
             helper.make_node("Flatten", ["h4"], ["h5"]),
             helper.make_node("Gemm", ["h5", "wg", "bg"], ["y"], transB=1)]
    check_quantize_static(nodes, [2, 3, 8, 8], {"w1": w1, "w2": w2, "wg": wg, "bg": bg},
                          {"QLinearConv", "QLinearLeakyRelu", "QLinearAveragePool",
                           "QLinearSigmoid", "QGemm"}, rng, tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_where(dtype, tmp_path):
    """com.microsoft QLinearWhere (what quantize_static writes for Where):
    X and Y requantized to Z's parameters (X already has them: copied),
    selected by a broadcast condition; onnxruntime's outputs bit for bit."""
    rng = np.random.default_rng(31)
    cond = rng.random((4, 1, 16)) < 0.5
    x, y = codes(rng, dtype, (4, 8, 16)), codes(rng, dtype, (8, 16))
    zz = codes(rng, dtype, ())
    inits = dict(sx=np.float32(0.05), zx=zz, sy=np.float32(0.083), zy=codes(rng, dtype, ()),
                 sz=np.float32(0.05), zz=zz)
    node = helper.make_node("QLinearWhere", ["c", "x", "sx", "zx", "y", "sy", "zy", "sz", "zz"],
                            ["z"], name="w", domain="com.microsoft")
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g", [vi("c", TensorProto.BOOL, cond.shape),
                                        vi("x", TYPES[dtype], x.shape),
                                        vi("y", TYPES[dtype], y.shape)],
                          [vi("z", TYPES[dtype], None)],
                          [numpy_helper.from_array(np.array(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    inputs = {"c": cond, "x": x, "y": y}
    want = ort_run(m, inputs)
    assert not np.array_equal(want[0], np.where(cond, x, y))  # y requantized
    if dtype == np.uint8:
        check_against_onnxruntime(m, inputs, tmp_path)
        return
    # onnxruntime has no int8 Where kernel for the export (ONNX allows it).
    for target, outs in run_targets(m, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["z"], want[0], err_msg=target)


def test_onnxruntime_quantized_maxpool_cnn(tmp_path):
    """quantize_static QOperator of a CNN with a MaxPool after the stem and
    a Gemm head: MaxPool and Flatten run on the uint8 codes between
    QLinearConv, QLinearGlobalAveragePool and QGemm; onnxruntime's output
    bit for bit on both targets."""
    rng = np.random.default_rng(12)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    wg = (rng.standard_normal((5, 8)) * 0.3).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w1"], ["h0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["h0"], ["h1"]),
             helper.make_node("MaxPool", ["h1"], ["h2"], kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["h2", "w2"], ["h3"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["h3"], ["h4"]),
             helper.make_node("GlobalAveragePool", ["h4"], ["h5"]),
             helper.make_node("Flatten", ["h5"], ["h6"]),
             helper.make_node("Gemm", ["h6", "wg"], ["y"], transB=1)]
    check_quantize_static(nodes, [2, 3, 12, 12], {"w1": w1, "w2": w2, "wg": wg},
                          {"QLinearConv", "MaxPool", "QLinearGlobalAveragePool", "QGemm"},
                          rng, tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_quantized_codes_moved(dtype, tmp_path):
    """A QuantizeLinear output read by ordinary ONNX ops (Transpose,
    Reshape, MaxPool with padding) is its integer tensor: they move the
    codes, and DequantizeLinear reads them back; exact on both targets
    against onnxruntime and through the export."""
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 3, 6, 6)) * 3).astype(np.float32)
    inits = dict(s=np.float32(0.05), z=codes(rng, dtype, ()), s2=np.float32(0.07))
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
             helper.make_node("Transpose", ["q"], ["t"], perm=[0, 1, 3, 2]),
             helper.make_node("MaxPool", ["t"], ["p"], kernel_shape=[2, 2], pads=[1, 1, 0, 0]),
             helper.make_node("Reshape", ["p", "shape"], ["r"]),
             helper.make_node("DequantizeLinear", ["r", "s2", "z"], ["y"], name="dq")]
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, x.shape)],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array(v), k) for k, v in inits.items()]
                          + [numpy_helper.from_array(np.array([2, -1], np.int64), "shape")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    check_against_onnxruntime(m, {"x": x}, tmp_path)

"""HannWindow, HammingWindow, BlackmanWindow (constants of a constant size,
periodic or symmetric, float32 and float64) and EyeLike (a constant of the
input's shape, any diagonal, dtype), built at import: against NumPy's
windows and eye and onnxruntime, on both targets and through the export."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import export_roundtrip, run_targets


def numpy_window(op, n, periodic):
    m = n + 1 if periodic else n
    i = np.arange(m)
    x = 2 * np.pi * i / (m - 1)
    w = {"HannWindow": 0.5 - 0.5 * np.cos(x),
         "HammingWindow": 25 / 46 - 21 / 46 * np.cos(x),
         "BlackmanWindow": 0.42 - 0.5 * np.cos(x) + 0.08 * np.cos(2 * x)}[op]
    return w[:n] if periodic else w


@pytest.mark.parametrize("op", ["HannWindow", "HammingWindow", "BlackmanWindow"])
@pytest.mark.parametrize("periodic", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_window(op, periodic, dtype, tmp_path):
    import onnxruntime as ort

    n = 10
    t = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    vi = helper.make_tensor_value_info
    node = helper.make_node(op, ["n"], ["y"], name="w", periodic=periodic, output_datatype=t)
    x = vi("x", TensorProto.FLOAT, [1])  # an unused input: quant-run needs one
    g = helper.make_graph([node, helper.make_node("Identity", ["x"], ["z"], name="id")], "g",
                          [x], [vi("y", t, None), vi("z", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array(n, np.int64), "n")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    inputs = {"x": np.zeros(1, np.float32)}
    want = numpy_window(op, n, periodic).astype(dtype)
    ort_y = ort.InferenceSession(model.SerializeToString(),
                                 providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_allclose(ort_y, want, rtol=1e-6, atol=1e-7, err_msg="onnxruntime")
    for target, outs in run_targets(model, inputs, tmp_path).items():
        assert outs["y"].dtype == dtype, target
        # quant-run holds f64 tensors in f32 (CPU.md): float32 accuracy.
        np.testing.assert_allclose(outs["y"], want, rtol=1e-6, atol=1e-7, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg="export")


@pytest.mark.parametrize("k", [0, 2, -1, 5])
@pytest.mark.parametrize("dtype", [None, TensorProto.INT32])
def test_eyelike(k, dtype, tmp_path):
    import onnxruntime as ort

    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    vi = helper.make_tensor_value_info
    attrs = {"k": k} | ({} if dtype is None else {"dtype": dtype})
    node = helper.make_node("EyeLike", ["x"], ["y"], name="eye", **attrs)
    out_t = TensorProto.FLOAT if dtype is None else dtype
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [3, 4])], [vi("y", out_t, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 8
    want = np.eye(3, 4, k, dtype=np.float32 if dtype is None else np.int32)
    got = ort.InferenceSession(model.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want, err_msg="onnxruntime")
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        assert outs["y"].dtype == want.dtype, target
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want, err_msg="export")

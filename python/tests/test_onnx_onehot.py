"""OneHot, imported as nn ops (indices, float ones truncated and negative
ones wrapped, compared with 0 .. depth - 1 along the new axis; values[1]
where equal, values[0] elsewhere): exactly a NumPy reference (and onnxruntime where it has the kernel) on both targets and
through the export, for every axis, float and int64 indices (out of range
ones give all values[0]) and float and int32 outputs with run-time
values."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import export_roundtrip, run_targets


@pytest.mark.parametrize("axis", [0, 1, -1, -3])
@pytest.mark.parametrize("itype,vtype", [(np.int64, np.float32), (np.float32, np.int32)])
def test_onehot(axis, itype, vtype, tmp_path):
    import onnxruntime as ort

    depth = 5
    idx = np.array([[0, 4, -1], [-5, 7, 2]], itype)  # 7: out of range
    if itype == np.float32:
        idx = idx + np.array([[0.7, 0.2, -0.6], [-0.9, 0.0, 0.4]], np.float32)
    values = np.array([3, -2], vtype)
    T = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32}
    vi = helper.make_tensor_value_info
    node = helper.make_node("OneHot", ["i", "depth", "v"], ["y"], name="oh", axis=axis)
    g = helper.make_graph([node], "g", [vi("i", T[itype], [2, 3]), vi("v", T[vtype], [2])],
                          [vi("y", T[vtype], None)],
                          [numpy_helper.from_array(np.array(depth, np.int64), "depth")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 8
    inputs = {"i": idx, "v": values}
    k = np.trunc(idx).astype(np.int64)
    k = np.where(k < 0, k + depth, k)
    a = axis % 3
    hot = np.expand_dims(k, a) == np.arange(depth).reshape([depth if d == a else 1
                                                            for d in range(3)])
    want = np.where(hot, values[1], values[0]).astype(vtype)
    for target, outs in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    if itype == np.int64:  # onnxruntime has no float-index, int32-value OneHot
        got = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, inputs)[0]
        np.testing.assert_array_equal(got, want, err_msg="onnxruntime")
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_array_equal(got, want, err_msg="export")

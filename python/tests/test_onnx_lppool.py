"""LpPool, imported as |x|^p (nn.abs, nn.mul for p = 2, nn.pow), an
nn.average_pool that counts the padding times the window's size, and the
p-th root: against ONNX's reference evaluator within 1e-5 on both targets
and through the export into onnxruntime, for p = 1, 2, 3 with padding,
strides, dilations and 1-D windows."""

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from test_onnx_activations import export_roundtrip, run_targets

CASES = [
    # input shape, attributes
    ((1, 2, 9, 8), dict(kernel_shape=[3, 2], p=2)),
    ((2, 3, 10, 10), dict(kernel_shape=[3, 3], p=1, strides=[2, 2], pads=[1, 1, 1, 1])),
    ((1, 2, 12, 11), dict(kernel_shape=[2, 3], p=3, dilations=[2, 1])),
    ((1, 4, 16), dict(kernel_shape=[4], p=2, strides=[3], pads=[2, 1])),
]


@pytest.mark.parametrize("shape,attrs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_lppool(shape, attrs, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(np.float32)
    vi = helper.make_tensor_value_info
    node = helper.make_node("LpPool", ["x"], ["y"], name="lp", **attrs)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, list(shape))],
                          [vi("y", TensorProto.FLOAT, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        assert outs["y"].shape == want.shape, target
        np.testing.assert_allclose(outs["y"], want, rtol=1e-5, atol=1e-6, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg="export")

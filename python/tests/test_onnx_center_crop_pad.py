"""CenterCropPad, imported as nn.slice / nn.concat with zeros: exactly ONNX's
reference evaluator on both targets and through the export into
onnxruntime, cropping and padding by odd and even amounts on chosen
(negative) axes, float and int64 data."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from test_onnx_activations import export_roundtrip, run_targets

CASES = [
    # input shape, target shape, axes
    ((5, 6, 3), (3, 9, 3), None),
    ((4, 7, 3), (7, 4), [0, 1]),
    ((3, 8, 5), (5, 2), [-1, -2]),
    ((2, 5), (2, 5), None),
]


@pytest.mark.parametrize("shape,target,axes", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_center_crop_pad(shape, target, axes, dtype, tmp_path):
    import onnxruntime as ort

    x = np.arange(np.prod(shape)).reshape(shape).astype(dtype) + 1
    t = TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT64
    vi = helper.make_tensor_value_info
    attrs = {} if axes is None else {"axes": axes}
    node = helper.make_node("CenterCropPad", ["x", "s"], ["y"], name="ccp", **attrs)
    g = helper.make_graph([node], "g", [vi("x", t, list(shape))], [vi("y", t, None)],
                          [numpy_helper.from_array(np.array(target, np.int64), "s")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target_name, outs in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target_name)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want, err_msg="export")

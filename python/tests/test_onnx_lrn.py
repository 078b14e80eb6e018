"""LRN (local response normalization of AlexNet, GoogLeNet and the other
classic CNNs of the ONNX model zoo), imported as x^2, its window over the
channels summed from shifted copies (zeros outside), then
x / (bias + alpha / size * sum)^beta.

Checked within 1e-6 relative L2 on both targets against the operator's
formula in float64 and, where onnxruntime runs it (4-D input, odd size),
against onnxruntime, also through the export. (ONNX's reference evaluator,
onnx 1.19, loops over the batch instead of the channels and gets every
channel from the batch size on wrong; the node tests' expected outputs
come from the formula.)"""

import math

import numpy as np
import pytest
from onnx import TensorProto, helper

from qc_testing import rel_l2
from test_onnx_activations import export_roundtrip, run_targets

CASES = [
    # input shape, attributes
    ((2, 8, 5, 6), dict(size=5)),
    ((1, 6, 7, 7), dict(size=4, alpha=2e-3, beta=0.5, bias=2.0)),
    ((2, 3, 9), dict(size=1, alpha=0.1)),
    ((1, 3, 4, 4), dict(size=9, alpha=1e-2, beta=1.1, bias=0.5)),
    ((1, 6, 3, 3), dict(size=3, alpha=0.5)),
]


def lrn_formula(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    sq = x.astype(np.float64) ** 2
    lo, hi = math.floor((size - 1) / 2), math.ceil((size - 1) / 2)
    c = x.shape[1]
    window = np.stack([sq[:, max(0, i - lo):min(c, i + hi + 1)].sum(axis=1)
                       for i in range(c)], axis=1)
    return x / (bias + alpha / size * window) ** beta


@pytest.mark.parametrize("shape,attrs", CASES,
                         ids=["alexnet", "even-size", "1d", "wide", "strong"])
def test_lrn(shape, attrs, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(len(shape) + attrs["size"])
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    want = lrn_formula(x, **attrs)
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("LRN", ["x"], ["y"], name="lrn", **attrs)], "g",
                          [vi("x", TensorProto.FLOAT, shape)], [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    for target, outs in run_targets(m, {"x": x}, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-6, target
    if len(shape) != 4 or attrs["size"] % 2 == 0:
        return  # onnxruntime's kernel takes 4-D inputs and odd sizes only
    ref = ort.InferenceSession(m.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert rel_l2(ref, want) < 1e-6, "onnxruntime"
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert rel_l2(got, want) < 1e-6, "export"

"""GridSample (spatial transformers, optical flow, deformable attention)
and AffineGrid, imported as nn ops in the order of ONNX's reference: per
spatial dimension
the denormalized coordinate, the border / reflection adjustment, the taps
of the mode (nearest, linear, cubic) gathered from the flattened spatial
axes, combined innermost dimension first.

Every mode x padding_mode x align_corners combination on a grid reaching
50% beyond the image (so every padding rule is exercised), 2-D against
ONNX's reference evaluator and onnxruntime, 3-D against the reference,
within 1e-5 relative L2 on both targets (the reference sums its dot
products in float32 with numpy, onnxruntime its own way). onnxruntime
follows PyTorch for cubic sampling with border padding (each tap clamped,
the coordinate not), which differs from ONNX's reference where the grid
leaves the image; QuantC follows the reference there."""

import itertools

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from qc_testing import rel_l2
from test_onnx_activations import run_targets

MODES = ["nearest", "linear", "cubic"]
PADDINGS = ["zeros", "border", "reflection"]


def grid_model(xshape, gshape, **attrs):
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("GridSample", ["x", "g"], ["y"], name="gs", **attrs)],
                          "g", [vi("x", TensorProto.FLOAT, xshape),
                                vi("g", TensorProto.FLOAT, gshape)],
                          [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    return m


@pytest.mark.parametrize("mode,padding,align",
                         list(itertools.product(MODES, PADDINGS, [0, 1])))
def test_grid_sample_2d(mode, padding, align, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(len(mode) * 7 + len(padding) + align)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    g = rng.uniform(-1.5, 1.5, (2, 4, 6, 2)).astype(np.float32)
    m = grid_model(x.shape, g.shape, mode=mode, padding_mode=padding, align_corners=align)
    feeds = {"x": x, "g": g}
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    ref = ort.InferenceSession(m.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    if (mode, padding) == ("cubic", "border"):
        # onnxruntime (as PyTorch) clamps each cubic tap, not the
        # coordinate first: different where the grid leaves the image.
        assert rel_l2(ref, want) > 1e-3
    else:
        assert rel_l2(ref, want) < 1e-5, "onnxruntime"
    for target, outs in run_targets(m, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target


@pytest.mark.parametrize("mode,padding", [("nearest", "zeros"), ("linear", "border"),
                                          ("linear", "reflection"), ("cubic", "zeros")])
def test_grid_sample_3d(mode, padding, tmp_path):
    rng = np.random.default_rng(len(mode) + len(padding))
    x = rng.standard_normal((1, 2, 4, 5, 3)).astype(np.float32)
    g = rng.uniform(-1.3, 1.3, (1, 3, 2, 4, 3)).astype(np.float32)
    m = grid_model(x.shape, g.shape, mode=mode, padding_mode=padding)
    feeds = {"x": x, "g": g}
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    for target, outs in run_targets(m, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target


@pytest.mark.parametrize("align", [0, 1])
@pytest.mark.parametrize("dims", [2, 3])
def test_spatial_transformer(dims, align, tmp_path):
    """AffineGrid (theta times the constant homogeneous coordinates) feeding
    GridSample, a spatial transformer: against ONNX's reference evaluator
    (and onnxruntime in 2-D) within 1e-5 relative L2 on both targets."""
    import onnxruntime as ort

    rng = np.random.default_rng(dims * 2 + align)
    spatial = [5, 6] if dims == 2 else [3, 4, 5]
    x = rng.standard_normal([2, 3, *spatial]).astype(np.float32)
    eye = np.eye(dims, dims + 1, dtype=np.float32)
    theta = (eye + rng.uniform(-0.3, 0.3, (2, dims, dims + 1))).astype(np.float32)
    out = [2, 3, *[s + 1 for s in spatial]]
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=align),
             helper.make_node("GridSample", ["x", "grid"], ["y"], align_corners=align)]
    g = helper.make_graph(nodes, "stn", [vi("x", TensorProto.FLOAT, x.shape),
                                         vi("theta", TensorProto.FLOAT, theta.shape)],
                          [vi("y", TensorProto.FLOAT, None), vi("grid", TensorProto.FLOAT, None)],
                          [helper.make_tensor("size", TensorProto.INT64, [len(out)], out)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    feeds = {"x": x, "theta": theta}
    want = ReferenceEvaluator(m).run(None, feeds)
    if dims == 2:
        ref = ort.InferenceSession(m.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, feeds)
        for r, w in zip(ref, want):
            assert rel_l2(r, w) < 1e-5, "onnxruntime"
    for target, outs in run_targets(m, feeds, tmp_path).items():
        assert rel_l2(outs["grid"], want[1]) < 1e-6, target
        assert rel_l2(outs["y"], want[0]) < 1e-5, target

"""RoiAlign (Faster / Mask R-CNN region features) and DeformConv
(deformable convolution networks), imported as nn ops.

RoiAlign against onnxruntime and ONNX's reference evaluator: rois partly
outside the image, spatial_scale, both coordinate transformation modes,
avg and max, sampling ratios 1-3, several images. DeformConv against the
reference (onnxruntime 1.23 has no DeformConv kernel): offsets that push
samples outside the image, masks, bias, groups, offset groups, strides,
dilations and padding. Both within 1e-5 relative L2 on both targets; the
export (nn ops) runs in onnxruntime with the same results."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from qc_testing import rel_l2
from test_onnx_activations import export_roundtrip, run_targets

vi = helper.make_tensor_value_info


def ort_run(model, feeds):
    import onnxruntime as ort
    return ort.InferenceSession(model.SerializeToString() if isinstance(model, onnx.ModelProto)
                                else str(model),
                                providers=["CPUExecutionProvider"]).run(None, feeds)


def roi_model(x, rois, opset=16, **attrs):
    g = helper.make_graph(
        [helper.make_node("RoiAlign", ["x", "rois", "idx"], ["y"], name="roi", **attrs)], "g",
        [vi("x", TensorProto.FLOAT, x.shape), vi("rois", TensorProto.FLOAT, rois.shape),
         vi("idx", TensorProto.INT64, [rois.shape[0]])],
        [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def roi_feeds(seed, scale):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 9, 11)).astype(np.float32)
    # Boxes in input coordinates (1 / scale of the feature map), some
    # reaching past the image, one degenerate, one entirely outside.
    lo = rng.uniform(-3, 8, (7, 2)) / scale
    hi = lo + rng.uniform(0.2, 7, (7, 2)) / scale
    rois = np.concatenate([lo, hi], axis=1).astype(np.float32)
    rois[5] = [2 / scale, 3 / scale, 2 / scale, 3 / scale]
    rois[6] = [30 / scale, 30 / scale, 40 / scale, 45 / scale]
    idx = rng.integers(0, 2, 7).astype(np.int64)
    return {"x": x, "rois": rois, "idx": idx}


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("transform", ["half_pixel", "output_half_pixel"])
@pytest.mark.parametrize("ratio", [1, 2, 3])
def test_roi_align(mode, transform, ratio, tmp_path):
    scale = 0.5
    feeds = roi_feeds(ratio * 3 + len(mode) + len(transform), scale)
    m = roi_model(feeds["x"], feeds["rois"], mode=mode, coordinate_transformation_mode=transform,
                  output_height=4, output_width=3, sampling_ratio=ratio, spatial_scale=scale)
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    assert want.shape == (7, 3, 4, 3)
    assert rel_l2(ort_run(m, feeds)[0], want) < 1e-5, "onnxruntime"
    for target, outs in run_targets(m, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target
    # The roi outside the image pools zeros.
    assert not want[6].any()


def test_roi_align_opset10_and_export(tmp_path):
    """Opset 10's RoiAlign has no coordinate_transformation_mode (its rois
    are output_half_pixel); the exported nn ops run in onnxruntime."""
    feeds = roi_feeds(5, 1.0)
    m = roi_model(feeds["x"], feeds["rois"], opset=10, output_height=2, output_width=5,
                  sampling_ratio=2)
    want = ort_run(m, feeds)[0]
    outs = run_targets(m, feeds, tmp_path)
    for target, o in outs.items():
        assert rel_l2(o["y"], want) < 1e-5, target
    exported = export_roundtrip(tmp_path)
    assert "RoiAlign" not in {n.op_type for n in onnx.load(str(exported)).graph.node}
    assert rel_l2(ort_run(exported, feeds)[0], want) < 1e-5


def deform_model(shapes, bias, mask, **attrs):
    names = ["x", "w", "offset"] + (["b"] if bias else [""] if mask else []) + \
        (["mask"] if mask else [])
    inputs = [vi(k, TensorProto.FLOAT, s) for k, s in shapes.items()]
    g = helper.make_graph([helper.make_node("DeformConv", names, ["y"], name="dc", **attrs)],
                          "g", inputs, [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    return m


CASES = {
    "plain": dict(c=3, oc=4, k=(3, 3), attrs=dict(pads=[1, 1, 1, 1])),
    "mask_bias": dict(c=2, oc=3, k=(2, 3), bias=True, mask=True, attrs={}),
    "mask_only": dict(c=2, oc=2, k=(3, 3), mask=True, attrs=dict(pads=[0, 1, 2, 1])),
    "groups": dict(c=4, oc=6, k=(3, 3), bias=True, attrs=dict(group=2, offset_group=2,
                                                              pads=[1, 1, 1, 1])),
    "offset_groups": dict(c=4, oc=2, k=(2, 2), mask=True, attrs=dict(offset_group=4)),
    "strided_dilated": dict(c=2, oc=3, k=(3, 2), bias=True,
                            attrs=dict(strides=[2, 1], dilations=[1, 2], pads=[1, 0, 1, 2])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_deform_conv(case, tmp_path):
    spec = CASES[case]
    attrs = dict(spec["attrs"])
    c, oc, (kh, kw) = spec["c"], spec["oc"], spec["k"]
    group, og = attrs.get("group", 1), attrs.get("offset_group", 1)
    rng = np.random.default_rng(len(case))
    h, w = 6, 7
    st, dl = attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1])
    pd = attrs.get("pads", [0, 0, 0, 0])
    oh = (h + pd[0] + pd[2] - dl[0] * (kh - 1) - 1) // st[0] + 1
    ow = (w + pd[1] + pd[3] - dl[1] * (kw - 1) - 1) // st[1] + 1
    feeds = {"x": rng.standard_normal((2, c, h, w)).astype(np.float32),
             "w": rng.standard_normal((oc, c // group, kh, kw)).astype(np.float32),
             # up to 2.5 pixels: many samples leave the image
             "offset": rng.uniform(-2.5, 2.5, (2, og * 2 * kh * kw, oh, ow)).astype(np.float32)}
    if spec.get("bias"):
        feeds["b"] = rng.standard_normal(oc).astype(np.float32)
    if spec.get("mask"):
        feeds["mask"] = rng.uniform(0, 1, (2, og * kh * kw, oh, ow)).astype(np.float32)
    m = deform_model({k: v.shape for k, v in feeds.items()}, spec.get("bias"), spec.get("mask"),
                     kernel_shape=[kh, kw], **attrs)
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    assert want.shape == (2, oc, oh, ow)
    for target, outs in run_targets(m, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target
    if case == "groups":
        # onnxruntime has no DeformConv kernel; QuantC's export runs there.
        exported = export_roundtrip(tmp_path)
        assert rel_l2(ort_run(exported, feeds)[0], want) < 1e-5

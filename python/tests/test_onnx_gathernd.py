"""GatherND, imported as nn ops (index tuples as row-major positions plus
batch offsets, then one nn.gather of the flattened data): exactly
onnxruntime on both targets and through the export, for tuples of every
length, batch_dims 0 to 2, negative indices, float and int64 data. Also the
other gathers by compile-time positions: Compress with a constant
condition, Col2Im, and ReverseSequence's run-time ones."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import assert_exact_everywhere, run_targets

CASES = [
    # data shape, indices shape (last: tuple length), batch_dims
    ((4, 5, 6), (3, 1), 0),
    ((4, 5, 6), (2, 3, 2), 0),
    ((4, 5, 6), (7, 3), 0),
    ((3, 5, 6), (3, 4, 1), 1),
    ((3, 5, 6, 2), (3, 2), 1),
    ((2, 3, 4, 5), (2, 3, 6, 2), 2),
]


@pytest.mark.parametrize("dshape,ishape,b", CASES, ids=[str(i) for i in range(len(CASES))])
def test_gathernd(dshape, ishape, b, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(6)
    x = rng.standard_normal(dshape).astype(np.float32)
    xi = rng.integers(-100, 100, dshape).astype(np.int64)
    k = ishape[-1]
    dims = np.array(dshape[b:b + k])
    idx = (rng.integers(0, 1 << 20, ishape) % dims - dims * rng.integers(0, 2, ishape)).astype(np.int64)
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("GatherND", ["x", "i"], ["y"], name="g", batch_dims=b),
             helper.make_node("GatherND", ["xi", "i"], ["yi"], name="gi", batch_dims=b)]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, list(dshape)),
                                       vi("xi", TensorProto.INT64, list(dshape)),
                                       vi("i", TensorProto.INT64, list(ishape))],
                          [vi("y", TensorProto.FLOAT, None), vi("yi", TensorProto.INT64, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    inputs = {"x": x, "xi": xi, "i": idx}
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)
    assert_exact_everywhere(model, inputs, want, tmp_path)


@pytest.mark.parametrize("axis,cond", [(0, [1, 0, 1]), (1, [0, 1, 1, 0, 1]), (-1, [1, 0]),
                                       (None, [0, 1, 0, 0, 1, 1, 0, 1]), (1, [1, 1])],
                         ids=["axis0", "axis1", "negative", "flattened", "short-condition"])
def test_compress(axis, cond, tmp_path):
    """Compress with a constant condition (it decides the output's shape):
    the kept positions gathered along the axis, or from the flattened input
    without one (a condition shorter than the axis keeps only its length);
    numpy.compress bit for bit on both targets and through the export."""
    x = np.arange(3 * 5 * 4, dtype=np.float32).reshape(3, 5, 4)
    c = np.array(cond, bool)
    want = np.compress(c, x, axis=axis)
    attrs = {} if axis is None else {"axis": axis}
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("Compress", ["x", "c"], ["y"], name="cp", **attrs)],
                          "g", [vi("x", TensorProto.FLOAT, x.shape)],
                          [vi("y", TensorProto.FLOAT, None)], [numpy_helper.from_array(c, "c")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    assert_exact_everywhere(m, {"x": x}, [want], tmp_path)


@pytest.mark.parametrize("image,block,attrs", [
    ([5, 6], [2, 3], {}),
    ([7, 8], [3, 2], dict(strides=[2, 3], dilations=[2, 1], pads=[1, 0, 2, 1])),
    ([4, 5, 3], [2, 2, 2], dict(strides=[1, 2, 1], pads=[0, 1, 1, 1, 0, 0])),
], ids=["2d", "2d-strided-dilated-padded", "3d"])
def test_col2im(image, block, attrs, tmp_path):
    """Col2Im (torch's Fold): each kernel offset's blocks spread to their
    image positions and added in the reference's order: ONNX's reference
    evaluator bit for bit on both targets (onnxruntime within 1e-6 in 2-D)."""
    import onnxruntime as ort
    from onnx.reference import ReferenceEvaluator

    d = len(image)
    dil = attrs.get("dilations", [1] * d)
    st = attrs.get("strides", [1] * d)
    pads = attrs.get("pads", [0] * 2 * d)
    blocks = [(image[i] + pads[i] + pads[i + d] - dil[i] * (block[i] - 1) - 1) // st[i] + 1
              for i in range(d)]
    x = np.random.default_rng(d).standard_normal(
        (2, 3 * int(np.prod(block)), int(np.prod(blocks)))).astype(np.float32)
    vi = helper.make_tensor_value_info
    g = helper.make_graph(
        [helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="c2i", **attrs)], "g",
        [vi("x", TensorProto.FLOAT, x.shape)], [vi("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(image, np.int64), "image"),
         numpy_helper.from_array(np.array(block, np.int64), "block")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    if d == 2:
        ref = ort.InferenceSession(m.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        np.testing.assert_allclose(ref, want, rtol=1e-6, atol=1e-6, err_msg="onnxruntime")
    for target, outs in run_targets(m, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


@pytest.mark.parametrize("time_axis,lens", [(0, [4, 1, 6, 2]), (1, [2, 5, 3, 6])],
                         ids=["time-major", "batch-major"])
def test_reverse_sequence(time_axis, lens, tmp_path):
    """ReverseSequence with the lengths fed at run time (1 to the full
    length): numpy bit for bit on both targets and onnxruntime."""
    import onnxruntime as ort

    batch_axis = 1 - time_axis
    shape = [6, 4, 3] if time_axis == 0 else [4, 6, 3]
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    seq = np.array(lens, np.int64)
    want = x.copy()
    for b, n in enumerate(lens):
        if time_axis == 0:
            want[:n, b] = x[:n, b][::-1]
        else:
            want[b, :n] = x[b, :n][::-1]
    vi = helper.make_tensor_value_info
    g = helper.make_graph(
        [helper.make_node("ReverseSequence", ["x", "lens"], ["y"], name="rs",
                          time_axis=time_axis, batch_axis=batch_axis)], "g",
        [vi("x", TensorProto.FLOAT, shape), vi("lens", TensorProto.INT64, [4])],
        [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    feeds = {"x": x, "lens": seq}
    ref = ort.InferenceSession(m.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_array_equal(ref, want, err_msg="onnxruntime")
    for target, outs in run_targets(m, feeds, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)

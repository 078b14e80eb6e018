"""Operators that QuantC imports as nn ops, from LLM exports (CumSum as
nn.cumsum: position ids from attention masks; opset-23 Attention and
RotaryEmbedding, decomposed in the order of ONNX's reference), from
convolutional decoders (ConvTranspose as a direct nn.conv) and GatherElements
(nn.gather_elements), against ONNX's
reference evaluator or onnxruntime on both targets and through the export
into onnxruntime."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from test_onnx_activations import assert_exact_everywhere, export_roundtrip, run_targets


def cumsum_model(dtype, shape, axis, exclusive, reverse):
    vi = helper.make_tensor_value_info
    node = helper.make_node("CumSum", ["x", "axis"], ["y"], name="cs",
                            exclusive=int(exclusive), reverse=int(reverse))
    g = helper.make_graph([node], "g", [vi("x", dtype, shape)], [vi("y", dtype, shape)],
                          [numpy_helper.from_array(np.array(axis, np.int64), "axis")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 9
    return model


def sequential_cumsum(x, axis, exclusive, reverse):
    """NumPy's cumsum (in order, in the element type), exclusive shifted
    in with an empty sum of -0 (floats) or 0."""
    v = np.flip(x, axis) if reverse else x
    with np.errstate(invalid="ignore", over="ignore"):
        y = np.cumsum(v, axis=axis, dtype=x.dtype)
    if exclusive:
        first = np.full_like(np.take(y, [0], axis=axis),
                             -0.0 if x.dtype.kind == "f" else 0)
        y = np.concatenate([first, np.delete(y, -1, axis=axis)], axis=axis)
    return np.flip(y, axis) if reverse else y


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_float(exclusive, reverse, tmp_path):
    """f32 along each axis: each partial sum rounds in f32, bit for bit with
    NumPy's sequential cumsum on both targets (−0 first terms kept: the sum
    starts from −0), values equal to ONNX's reference and onnxruntime's."""
    import onnxruntime as ort

    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 7)).astype(np.float32)
    x[0, :, 0] = [1e8, 1.0, -1e8, 3.0, 0.5]  # sums that round
    x[1, 0, :] = -0.0
    x[2, 1, :3] = [np.inf, -np.inf, np.nan]
    for axis in (0, 1, -1):
        model = cumsum_model(TensorProto.FLOAT, list(x.shape), axis, exclusive, reverse)
        want = sequential_cumsum(x, axis, exclusive, reverse)
        ref = ReferenceEvaluator(model).run(None, {"x": x})[0]
        np.testing.assert_array_equal(want, ref)
        for target, outs in run_targets(model, {"x": x}, tmp_path).items():
            got = outs["y"]
            np.testing.assert_array_equal(got.view(np.uint32)[~np.isnan(got)],
                                          want.view(np.uint32)[~np.isnan(want)],
                                          err_msg=f"{target} axis {axis}")
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                                   providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        np.testing.assert_array_equal(got, want, err_msg=f"onnxruntime axis {axis}")


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_cumsum_int_wraps(dtype, tmp_path):
    """Integer sums wrap at the type's width (as NumPy's), on both targets;
    the HF position-id pattern cumsum(mask) - 1 on an int64 mask."""
    info = np.iinfo(dtype)
    x = np.array([[info.max, 1, 5, info.min, -1, 7],
                  [1, 1, 0, 1, 1, 0]], dtype)
    onnx_type = TensorProto.INT32 if dtype == np.int32 else TensorProto.INT64
    for exclusive, reverse in [(False, False), (True, False), (False, True), (True, True)]:
        model = cumsum_model(onnx_type, [2, 6], 1, exclusive, reverse)
        want = sequential_cumsum(x, 1, exclusive, reverse)
        for target, outs in run_targets(model, {"x": x}, tmp_path).items():
            np.testing.assert_array_equal(outs["y"], want, err_msg=f"{target} {exclusive} {reverse}")


def attention_model(q_shape, k_shape, v_shape, attrs, mask=None, past=None,
                    outputs=("y",)):
    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    inputs = [vi("q", F, q_shape), vi("k", F, k_shape), vi("v", F, v_shape)]
    names = ["q", "k", "v"]
    if mask is not None:
        inputs.append(vi("m", mask[0], mask[1]))
        names.append("m")
    if past is not None:
        names += ["pk", "pv"] if mask is not None else ["", "pk", "pv"]
        inputs += [vi("pk", F, past[0]), vi("pv", F, past[1])]
    outs = {"y": 0, "pk_out": 1, "pv_out": 2, "qk": 3}
    node_outs = [""] * (max(outs[o] for o in outputs) + 1)
    for o in outputs:
        node_outs[outs[o]] = o
    node = helper.make_node("Attention", names, node_outs, name="attn", **attrs)
    g = helper.make_graph([node], "g", inputs, [vi(o, F, None) for o in outputs])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    return model


@pytest.mark.parametrize("causal", [False, True])
def test_attention_gqa_past(causal, tmp_path):
    """Opset-23 Attention on 3-D inputs: 8 query heads over 2 KV heads
    (GQA) and a KV cache of 5; without causal, a bool mask shorter than the
    KV length (padded with -inf), softcap and the qk output after softcap;
    causal (after the past), an additive mask and the qk output with the
    mask. Against ONNX's reference on both targets (softmax's exp differs
    from NumPy's in the last bits: 1e-5) and, exported, in onnxruntime.
    (ONNX's reference turns a bool mask into NaN when is_causal is set,
    0 * -inf, so causal takes the additive mask here.)"""
    import onnxruntime as ort

    rng = np.random.default_rng(4)
    B, S, P, D = 2, 3, 5, 4
    q = rng.standard_normal((B, S, 8 * D)).astype(np.float32)
    k = rng.standard_normal((B, S, 2 * D)).astype(np.float32)
    v = rng.standard_normal((B, S, 2 * D)).astype(np.float32)
    pk = rng.standard_normal((B, 2, P, D)).astype(np.float32)
    pv = rng.standard_normal((B, 2, P, D)).astype(np.float32)
    if causal:
        m = rng.standard_normal((B, 1, S, P + S)).astype(np.float32)
        mask = (TensorProto.FLOAT, [B, 1, S, P + S])
        attrs = {"is_causal": 1, "qk_matmul_output_mode": 1}
    else:
        m = rng.random((S, P + S - 2)) > 0.3
        m[:, 0] = True
        mask = (TensorProto.BOOL, [S, P + S - 2])
        attrs = {"softcap": 2.5, "qk_matmul_output_mode": 2}
    outputs = ("y", "pk_out", "pv_out", "qk")
    model = attention_model([B, S, 8 * D], [B, S, 2 * D], [B, S, 2 * D],
                            {"q_num_heads": 8, "kv_num_heads": 2, **attrs}, mask=mask,
                            past=([B, 2, P, D], [B, 2, P, D]), outputs=outputs)
    inputs = {"q": q, "k": k, "v": v, "m": m, "pk": pk, "pv": pv}
    want = dict(zip(outputs, ReferenceEvaluator(model).run(None, inputs)))
    assert not np.isnan(want["y"]).any()
    for target, got in run_targets(model, inputs, tmp_path).items():
        for o in outputs:
            np.testing.assert_allclose(got[o], want[o], rtol=1e-5, atol=1e-5,
                                       err_msg=f"{target} {o}")
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(list(outputs), inputs)
    for o, val in zip(outputs, got):
        np.testing.assert_allclose(val, want[o], rtol=1e-5, atol=1e-5, err_msg=f"onnxruntime {o}")


@pytest.mark.parametrize("interleaved", [False, True])
def test_rotary_embedding_partial(interleaved, tmp_path):
    """Opset-23 RotaryEmbedding on 3-D input with position_ids, rotating the
    first 6 of 8 entries per head: bit for bit ONNX's reference (the same
    multiplications and additions in the same order) on both targets."""
    rng = np.random.default_rng(6)
    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    x = rng.standard_normal((2, 5, 3 * 8)).astype(np.float32)
    cos = rng.standard_normal((16, 3)).astype(np.float32)
    sin = rng.standard_normal((16, 3)).astype(np.float32)
    pos = rng.integers(0, 16, (2, 5)).astype(np.int64)
    node = helper.make_node("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"], name="rope",
                            num_heads=3, rotary_embedding_dim=6, interleaved=int(interleaved))
    g = helper.make_graph([node], "g", [vi("x", F, [2, 5, 24]), vi("cos", F, [16, 3]),
                                        vi("sin", F, [16, 3]),
                                        vi("pos", TensorProto.INT64, [2, 5])],
                          [vi("y", F, [2, 5, 24])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    inputs = {"x": x, "cos": cos, "sin": sin, "pos": pos}
    want = ReferenceEvaluator(model).run(None, inputs)[0]
    for target, got in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(got["y"], want, err_msg=target)


CONVT_CASES = [
    # input shape, weight shape, attributes
    ([1, 2, 5, 4], [2, 3, 3, 3], {"strides": [2, 3]}),
    ([2, 4, 4, 5], [4, 2, 3, 2], {"strides": [2, 1], "dilations": [2, 1], "group": 2,
                                  "pads": [1, 0, 2, 1], "output_padding": [1, 0]}),
    ([2, 1, 5, 5], [1, 2, 2, 2], {"pads": [2, 1, 2, 3]}),  # pads beyond the kernel: a crop
    ([1, 3, 4, 4], [3, 2, 3, 3], {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ([1, 3, 4, 4], [3, 2, 4, 3], {"strides": [2, 3], "auto_pad": "SAME_LOWER"}),
    ([1, 2, 3, 3], [2, 2, 3, 3], {"strides": [3, 2], "output_shape": [10, 8]}),
    ([2, 3, 7], [3, 4, 3], {"strides": [2], "pads": [1, 2]}),  # 1-D
]


@pytest.mark.parametrize("case", range(len(CONVT_CASES)))
def test_conv_transpose(case, tmp_path):
    """ConvTranspose (strides, dilations, groups, pads beyond the kernel,
    output_padding, SAME_UPPER / SAME_LOWER, output_shape, 1-D) as a direct
    nn.conv on the zero-interleaved input with the regrouped, flipped
    weight (folded at import: no transpose or slice of the weight remains):
    against onnxruntime running the ConvTranspose model (ONNX's reference
    evaluator mishandles groups) on both targets (sums in another order:
    1e-5), and the export in onnxruntime."""
    import onnxruntime as ort
    import subprocess

    from qc_testing import BIN

    xs, ws, attrs = CONVT_CASES[case]
    rng = np.random.default_rng(case)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[1] * attrs.get("group", 1)).astype(np.float32)
    vi = helper.make_tensor_value_info
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="ct", **attrs)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, xs)],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        assert outs["y"].shape == want.shape, target
        np.testing.assert_allclose(outs["y"], want, rtol=1e-5, atol=1e-5, err_msg=target)
    ir = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(tmp_path / "m.onnx")],
                        capture_output=True, text=True, check=True).stdout
    assert "nn.conv" in ir and "nn.transpose" not in ir
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg="onnxruntime")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis, tmp_path):
    """GatherElements (nn.gather_elements) with negative indices, on float
    and int64 data: exactly onnxruntime running the model on both targets,
    and the export in onnxruntime; indices smaller than the data in the
    other dimensions (which ONNX allows and its reference evaluator does
    not)."""
    import onnxruntime as ort

    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    xi = rng.integers(-1000, 1000, (3, 4, 5)).astype(np.int64)
    ishape = [2, 3, 4]
    dim = x.shape[axis]
    ishape[axis] = 6
    idx = rng.integers(-dim, dim, ishape).astype(np.int64)
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("GatherElements", ["x", "i"], ["y"], name="ge", axis=axis),
             helper.make_node("GatherElements", ["xi", "i"], ["yi"], name="gei", axis=axis)]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, list(x.shape)),
                                       vi("xi", TensorProto.INT64, list(xi.shape)),
                                       vi("i", TensorProto.INT64, ishape)],
                          [vi("y", TensorProto.FLOAT, None), vi("yi", TensorProto.INT64, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 9
    inputs = {"x": x, "xi": xi, "i": idx}
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)
    wrapped = np.where(idx < 0, idx + dim, idx)
    sub = tuple(slice(0, n) for n in ishape)  # NumPy needs the other dimensions equal
    sub = tuple(slice(None) if a == axis % 3 else s for a, s in enumerate(sub))
    np.testing.assert_array_equal(want[0], np.take_along_axis(x[sub], wrapped, axis))
    assert_exact_everywhere(model, inputs, want, tmp_path)


def test_hardmax_and_lp_normalization(tmp_path):
    """Hardmax (one-hot of the first maximum; ties pick the first, NaN is
    the largest) exactly, and LpNormalization with p = 1 (sum of |x|:
    ONNX's reference evaluator sums x, which is not a norm for negative
    values; onnxruntime takes |x|) and p = 2, on both targets against
    NumPy; the model and its export in onnxruntime (without NaN)."""
    import onnxruntime as ort

    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    x = np.array([[1.0, 3.0, 3.0, -2.0], [np.nan, 5.0, np.nan, 1.0], [-1.0, -0.5, -4.0, 2.0]],
                 np.float32)
    nodes = [helper.make_node("Hardmax", ["x"], ["h1"], name="h1", axis=1),
             helper.make_node("Hardmax", ["x"], ["h0"], name="h0", axis=0),
             helper.make_node("LpNormalization", ["x"], ["l1"], name="l1", p=1, axis=1),
             helper.make_node("LpNormalization", ["x"], ["l2"], name="l2", axis=0)]
    outs = ["h1", "h0", "l1", "l2"]
    g = helper.make_graph(nodes, "g", [vi("x", F, [3, 4])], [vi(o, F, None) for o in outs])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 9

    def hardmax(v, axis):
        y = np.zeros_like(v)
        np.put_along_axis(y, np.expand_dims(np.argmax(v, axis=axis), axis), 1, axis=axis)
        return y

    want = {"h1": hardmax(x, 1), "h0": hardmax(x, 0),
            "l1": x / np.abs(x).sum(axis=1, keepdims=True),
            "l2": x / np.sqrt((x * x).sum(axis=0, keepdims=True))}
    assert want["h1"][1, 0] == 1 and want["h1"][0, 1] == 1  # NaN first; first of the tie
    for target, got in run_targets(model, {"x": x}, tmp_path).items():
        for o in ("h1", "h0"):
            np.testing.assert_array_equal(got[o], want[o], err_msg=f"{target} {o}")
        for o in ("l1", "l2"):
            np.testing.assert_allclose(got[o], want[o], rtol=1e-6, err_msg=f"{target} {o}")
    # onnxruntime's ArgMax skips NaN (NumPy's and QuantC's pick it): its
    # check runs without NaN.
    x = np.nan_to_num(x, nan=7.0)
    want = {"h1": hardmax(x, 1), "h0": hardmax(x, 0),
            "l1": x / np.abs(x).sum(axis=1, keepdims=True),
            "l2": x / np.sqrt((x * x).sum(axis=0, keepdims=True))}
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(outs, {"x": x})
    ref = ort.InferenceSession(model.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(outs, {"x": x})
    for o, v, r in zip(outs, got, ref):
        np.testing.assert_allclose(r, want[o], rtol=1e-6, err_msg=f"onnxruntime (model) {o}")
        np.testing.assert_allclose(v, want[o], rtol=1e-6, err_msg=f"onnxruntime (export) {o}")


@pytest.mark.parametrize("largest", [True, False])
def test_top_k(largest, tmp_path):
    """TopK (nn.top_k: k chained value-and-index reductions on the CPU) on
    rows with ties, NaN, ±0 and ±inf along each axis, float and int32: values
    and indices exactly ONNX's reference (equal values: the lower index
    first; NaN above every number) on both targets; the export in
    onnxruntime (without NaN, which onnxruntime orders differently). An
    MoE-router shape (k = 2 of 8 experts) too."""
    import onnxruntime as ort

    rng = np.random.default_rng(12)
    x = rng.integers(-3, 4, (4, 6, 8)).astype(np.float32)  # many ties
    x[0, 0, :4] = [np.nan, 1.0, np.nan, np.inf]
    x[1, 2, :3] = [-0.0, 0.0, -np.inf]
    xi = rng.integers(-5, 5, (4, 6, 8)).astype(np.int32)
    vi = helper.make_tensor_value_info
    for axis, k in [(2, 3), (1, 6), (0, 2), (-1, 8), (2, 0)]:
        nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"], name="t", axis=axis,
                                  largest=int(largest)),
                 helper.make_node("TopK", ["xi", "k"], ["vi", "ii"], name="ti", axis=axis,
                                  largest=int(largest))]
        g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [4, 6, 8]),
                                           vi("xi", TensorProto.INT32, [4, 6, 8])],
                              [vi("v", TensorProto.FLOAT, None), vi("i", TensorProto.INT64, None),
                               vi("vi", TensorProto.INT32, None), vi("ii", TensorProto.INT64, None)],
                              [numpy_helper.from_array(np.array([k], np.int64), "k")])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
        model.ir_version = 9
        inputs = {"x": x, "xi": xi}
        want = dict(zip(["v", "i", "vi", "ii"], ReferenceEvaluator(model).run(None, inputs)))
        for target, got in run_targets(model, inputs, tmp_path).items():
            for o in want:
                np.testing.assert_array_equal(got[o], want[o], err_msg=f"{target} {o} axis {axis}")
        clean = {"x": np.nan_to_num(x, nan=9.0), "xi": xi}
        ref = dict(zip(["v", "i", "vi", "ii"], ReferenceEvaluator(model).run(None, clean)))
        got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                                   providers=["CPUExecutionProvider"]).run(list(ref), clean)
        for o, val in zip(ref, got):
            np.testing.assert_array_equal(val, ref[o], err_msg=f"onnxruntime {o} axis {axis}")


def test_same_value_returned_twice(tmp_path):
    """Two graph outputs that are one value (Identity of the same tensor),
    and two empty outputs (TopK with k = 0, which CSE merges): the CPU
    pipeline returns a copy for each repeat (it crashed in
    BufferResultsToOutParams before)."""
    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    nodes = [helper.make_node("Exp", ["x"], ["e"], name="exp"),
             helper.make_node("Identity", ["e"], ["a"], name="a"),
             helper.make_node("Identity", ["e"], ["b"], name="b"),
             helper.make_node("TopK", ["x", "k"], ["v", "i"], name="t")]
    g = helper.make_graph(nodes, "g", [vi("x", F, [2, 3])],
                          [vi("a", F, [2, 3]), vi("b", F, [2, 3]), vi("v", F, [2, 0]),
                           vi("i", TensorProto.INT64, [2, 0])],
                          [numpy_helper.from_array(np.array([0], np.int64), "k")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 9
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for target, got in run_targets(model, {"x": x}, tmp_path).items():
        np.testing.assert_allclose(got["a"], np.exp(x), rtol=1e-6, err_msg=target)
        np.testing.assert_array_equal(got["b"], got["a"], err_msg=target)
        assert got["v"].shape == (2, 0) and got["i"].shape == (2, 0), target


def test_reduce_prod(tmp_path):
    """ReduceProd (nn.reduce_prod): f32 multiplied in f64 and rounded once
    (bit for bit that model, on both targets; 1 over an empty axis), int32
    wrapping as NumPy's product; the export in onnxruntime (which rounds
    every product in f32: 1e-5)."""
    import onnxruntime as ort

    rng = np.random.default_rng(8)
    x = rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)
    x[0, 0, 0] = -0.0
    xi = rng.integers(-40, 40, (3, 4, 5)).astype(np.int32)
    vi = helper.make_tensor_value_info
    axes = numpy_helper.from_array(np.array([1, -1], np.int64), "axes")
    nodes = [helper.make_node("ReduceProd", ["x", "axes"], ["p"], name="p", keepdims=0),
             helper.make_node("ReduceProd", ["xi", "axes"], ["pi"], name="pi", keepdims=1)]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [3, 4, 5]),
                                       vi("xi", TensorProto.INT32, [3, 4, 5])],
                          [vi("p", TensorProto.FLOAT, None), vi("pi", TensorProto.INT32, None)],
                          [axes])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    want_p = np.prod(x.astype(np.float64), axis=(1, 2)).astype(np.float32)
    with np.errstate(over="ignore"):
        want_pi = np.prod(xi, axis=(1, 2), keepdims=True, dtype=np.int32)
    for target, got in run_targets(model, {"x": x, "xi": xi}, tmp_path).items():
        np.testing.assert_array_equal(got["p"].view(np.uint32), want_p.view(np.uint32),
                                      err_msg=target)
        np.testing.assert_array_equal(got["pi"], want_pi, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x, "xi": xi})
    np.testing.assert_allclose(got[0], want_p, rtol=1e-5)
    np.testing.assert_array_equal(got[1], want_pi)


@pytest.mark.parametrize("mode,axis,writes", [
    ("linear", -2, [0, 3, 5]),
    ("circular", -2, [6, 1, 7]),
    ("linear", 2, None),
    ("circular", 1, [4, 0, 3]),
], ids=["linear", "circular-wrap", "no-indices", "circular-axis1"])
def test_tensor_scatter(mode, axis, writes, tmp_path):
    """TensorScatter (opset 24's KV-cache update) of a [3, 5, 8, 4] cache by
    an update of 3 positions per batch at its write index, linear or
    wrapping around the cache: ONNX's reference evaluator bit for bit on
    both targets. (The reference takes the whole index modulo the cache
    length in circular mode, the batch too, so the batch stays below it.)"""
    rng = np.random.default_rng(len(mode) + (axis % 4))
    past = rng.standard_normal((3, 5, 8, 4)).astype(np.float32)
    ushape = list(past.shape)
    ushape[axis] = min(3, past.shape[axis] - 1)
    update = rng.standard_normal(ushape).astype(np.float32)
    vi = helper.make_tensor_value_info
    inputs = [vi("past", TensorProto.FLOAT, past.shape), vi("update", TensorProto.FLOAT, ushape)]
    names = ["past", "update"]
    feeds = {"past": past, "update": update}
    if writes is not None:
        feeds["w"] = np.array(writes, np.int64)
        inputs.append(vi("w", TensorProto.INT64, [3]))
        names.append("w")
    g = helper.make_graph([helper.make_node("TensorScatter", names, ["y"], name="ts",
                                            mode=mode, axis=axis)], "g", inputs,
                          [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 24)])
    m.ir_version = 11
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    for target, outs in run_targets(m, feeds, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def if_model(rank_test):
    """y = If(rank(x) == rank_test) then relu(x) * w + bias (reads outer
    values and its own initializer, and a nested If on a constant) else
    x - 1: the condition folds from x's shape at import."""
    vi = helper.make_tensor_value_info
    inner_then = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"])], "inner_then", [],
        [vi("r", TensorProto.FLOAT, None)])
    inner_else = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["r2"])], "inner_else", [],
        [vi("r2", TensorProto.FLOAT, None)])
    then = helper.make_graph(
        [helper.make_node("Constant", [], ["t"], value=helper.make_tensor("", TensorProto.BOOL,
                                                                          [], [True])),
         helper.make_node("If", ["t"], ["a"], then_branch=inner_then, else_branch=inner_else),
         helper.make_node("Mul", ["a", "w"], ["b"]),
         helper.make_node("Add", ["b", "bias"], ["y_then"])],
        "then", [], [vi("y_then", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array([0.5, -1.0, 2.0], np.float32), "bias")])
    other = helper.make_graph(
        [helper.make_node("Sub", ["x", "one"], ["y_else"])], "else", [],
        [vi("y_else", TensorProto.FLOAT, None)])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Size", ["s"], ["rank"]),
             helper.make_node("Equal", ["rank", "want"], ["cond"]),
             helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then,
                              else_branch=other)]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [2, 3])],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array(rank_test, np.int64), "want"),
                           numpy_helper.from_array(np.array([1.5, 2.0, -0.5], np.float32), "w"),
                           numpy_helper.from_array(np.array(1.0, np.float32), "one")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


@pytest.mark.parametrize("rank_test", [2, 3], ids=["then", "else"])
def test_if_known_at_compile_time(rank_test, tmp_path):
    """If whose condition folds from shapes at import: the branch taken is
    imported inline (its own initializers, outer values, a nested If), bit
    for bit onnxruntime on both targets and through the export."""
    m = if_model(rank_test)
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.25]], np.float32)
    want = ort_run_plain(m, {"x": x})
    assert_exact_everywhere(m, {"x": x}, want, tmp_path)


def ort_run_plain(model, inputs):
    import onnxruntime as ort

    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)


@pytest.mark.parametrize("cond", [True, False])
def test_if_runtime_condition(cond, tmp_path):
    """If on a condition known only at run time (a graph input): both
    branches (each reading the outer x, one with its own initializer) are
    imported and nn.where picks each output; bit for bit onnxruntime on
    both targets and through the export, for either value."""
    vi = helper.make_tensor_value_info
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Mul", ["r", "two"], ["t"]),
         helper.make_node("Shape", ["x"], ["ts"])],
        "then", [], [vi("t", TensorProto.FLOAT, [2, 3]), vi("ts", TensorProto.INT64, [2])],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two")])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"]),
         helper.make_node("Constant", [], ["es"],
                          value=numpy_helper.from_array(np.array([7, 8], np.int64)))],
        "else", [], [vi("e", TensorProto.FLOAT, [2, 3]), vi("es", TensorProto.INT64, [2])])
    g = helper.make_graph(
        [helper.make_node("If", ["c"], ["y", "s"], name="if", then_branch=then_g,
                          else_branch=else_g)],
        "g", [vi("c", TensorProto.BOOL, []), vi("x", TensorProto.FLOAT, [2, 3])],
        [vi("y", TensorProto.FLOAT, [2, 3]), vi("s", TensorProto.INT64, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    inputs = {"c": np.array(cond), "x": np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.25]],
                                                 np.float32)}
    want = ort_run_plain(m, inputs)
    assert_exact_everywhere(m, inputs, want, tmp_path)


# (state shapes, scan input shapes, scan_input_axes, directions, output axes,
# output directions); each scan element has the states' shape
SCAN_CASES = {
    "rnn-like": ([(2, 4)], [(5, 2, 4)], [0], [0], [0], [0]),
    "axis1-reverse": ([(3,), (3,)], [(3, 6)], [1], [1], [1], [0]),
    "two-inputs": ([(4,)], [(4, 7), (7, 4)], [1, -2], [0, 1], [-1], [1]),
}


@pytest.mark.parametrize("name", list(SCAN_CASES))
def test_scan_unrolled(name, tmp_path):
    """Scan over a sequence of static length, unrolled at import (the body
    imported once per step): a recurrence with a body initializer, state
    and scan outputs, input / output axes (negative too) and directions;
    bit for bit onnxruntime on both targets and through the export."""
    states, xs, in_axes, in_dirs, out_axes, out_dirs = SCAN_CASES[name]
    vi = helper.make_tensor_value_info
    rng = np.random.default_rng(len(name))
    feeds, body_in = {}, []
    for j, s in enumerate(states):
        feeds[f"s{j}"] = rng.standard_normal(s).astype(np.float32)
        body_in.append(vi(f"bs{j}", TensorProto.FLOAT, None))
    for i, s in enumerate(xs):
        feeds[f"x{i}"] = rng.standard_normal(s).astype(np.float32)
        body_in.append(vi(f"bx{i}", TensorProto.FLOAT, None))
    # the elements' sum, then new state j = max(state j * w + sum, -state j)
    body_nodes, total = [], "bx0"
    for i in range(1, len(xs)):
        body_nodes.append(helper.make_node("Add", [total, f"bx{i}"], [f"t{i}"]))
        total = f"t{i}"
    outs = []
    for j in range(len(states)):
        body_nodes += [helper.make_node("Mul", [f"bs{j}", "w"], [f"m{j}"]),
                       helper.make_node("Add", [f"m{j}", total], [f"a{j}"]),
                       helper.make_node("Neg", [f"bs{j}"], [f"n{j}"]),
                       helper.make_node("Max", [f"a{j}", f"n{j}"], [f"ns{j}"])]
        outs.append(vi(f"ns{j}", TensorProto.FLOAT, None))
    body_nodes.append(helper.make_node("Mul", ["ns0", "w"], ["so"]))
    outs.append(vi("so", TensorProto.FLOAT, None))
    body = helper.make_graph(body_nodes, "body", body_in, outs,
                             [numpy_helper.from_array(np.array(0.75, np.float32), "w")])
    names_out = [f"y{j}" for j in range(len(states))] + ["z"]
    node = helper.make_node("Scan", list(feeds), names_out, name="scan", body=body,
                            num_scan_inputs=len(xs), scan_input_axes=in_axes,
                            scan_input_directions=in_dirs, scan_output_axes=out_axes,
                            scan_output_directions=out_dirs)
    g = helper.make_graph([node], "g",
                          [vi(k, TensorProto.FLOAT, v.shape) for k, v in feeds.items()],
                          [vi(o, TensorProto.FLOAT, None) for o in names_out])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    want = ort_run_plain(m, feeds)
    assert_exact_everywhere(m, feeds, want, tmp_path)


@pytest.mark.parametrize("cond", ["input", "absent", "constant-in-body"])
def test_loop_unrolled(cond, tmp_path):
    """Loop with a trip count known at compile time and a condition that
    stays true (an initializer passed through the body, absent, or a
    Constant in the body), unrolled at import: the iteration number cast and
    used, a loop-carried value, an outer value read by the body and a scan
    output stacked along a new first axis; bit for bit onnxruntime on both
    targets and through the export."""
    vi = helper.make_tensor_value_info
    body_nodes = [helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
                  helper.make_node("Mul", ["x", "fi"], ["xi"]),
                  helper.make_node("Add", ["acc_in", "xi"], ["acc_out"]),
                  helper.make_node("Mul", ["acc_out", "half"], ["scan_out"])]
    if cond == "constant-in-body":
        body_nodes.append(helper.make_node(
            "Constant", [], ["c_out"], value=helper.make_tensor("", TensorProto.BOOL, [], [True])))
    else:
        body_nodes.append(helper.make_node("Identity", ["c_in"], ["c_out"]))
    body = helper.make_graph(
        body_nodes, "body",
        [vi("i", TensorProto.INT64, []), vi("c_in", TensorProto.BOOL, []),
         vi("acc_in", TensorProto.FLOAT, None)],
        [vi("c_out", TensorProto.BOOL, []), vi("acc_out", TensorProto.FLOAT, None),
         vi("scan_out", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(0.5, np.float32), "half")])
    inits = [numpy_helper.from_array(np.array(4, np.int64), "M")]
    if cond == "input":
        inits.append(numpy_helper.from_array(np.array(True), "keep"))
    node = helper.make_node("Loop", ["M", "keep" if cond == "input" else "", "acc0"],
                            ["acc", "scans"], name="loop", body=body)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [2, 3]),
                                        vi("acc0", TensorProto.FLOAT, [2, 3])],
                          [vi("acc", TensorProto.FLOAT, [2, 3]),
                           vi("scans", TensorProto.FLOAT, [4, 2, 3])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    rng = np.random.default_rng(3)
    feeds = {"x": rng.standard_normal((2, 3)).astype(np.float32),
             "acc0": rng.standard_normal((2, 3)).astype(np.float32)}
    want = ort_run_plain(m, feeds)
    assert_exact_everywhere(m, feeds, want, tmp_path)

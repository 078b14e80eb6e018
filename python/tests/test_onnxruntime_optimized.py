"""Models as onnxruntime saves them after its graph optimizations
(SessionOptions.optimized_model_filepath at ORT_ENABLE_EXTENDED): its
com.microsoft fusions FusedMatMul, SkipLayerNormalization, Gelu, QuickGelu,
MatMulIntegerToFloat and DynamicQuantizeMatMul, and SimplifiedLayerNormalization
in the ONNX domain; the fused Attention and the QAttention quantize_dynamic
makes of it.

The integer fusions are exact: MatMulIntegerToFloat / DynamicQuantizeMatMul
give onnxruntime's outputs bit for bit, and a quantize_dynamic model imports
to the same results whether onnxruntime optimized it or not. The float
fusions compute what the unfused graph does, within float rounding of
onnxruntime (its Gelu and sigmoid are MLAS polynomials)."""

import zlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from quantc import models
from test_onnx_activations import export_roundtrip, run_targets
from test_onnx_qoperator import check_against_onnxruntime, codes, contrib_model, ort_run


def rel_l2(got, want):
    return float(np.linalg.norm(got.astype(np.float64) - want) / np.linalg.norm(want))


MMITF_CASES = [
    # (A type, B type, A shape, per-column B, zero points, bias)
    (np.uint8, np.int8, (16, 48), True, False, True),
    (np.uint8, np.uint8, (2, 9, 48), False, True, True),
    (np.uint8, np.int8, (5, 48), False, True, False),
]


@pytest.mark.parametrize("ta,tb,shape,per_column,zps,bias", MMITF_CASES,
                         ids=["u8s8-col-bias", "u8u8-3d-zp-bias", "u8s8-zp"])
def test_matmul_integer_to_float(ta, tb, shape, per_column, zps, bias, tmp_path):
    """com.microsoft MatMulIntegerToFloat: f32(exact i32 product) * (sa *
    sb) + bias, onnxruntime's outputs bit for bit (7-bit int8 weights keep
    its AVX2 kernel exact)."""
    rng = np.random.default_rng(zlib.crc32(f"{ta}{tb}{shape}{per_column}{zps}".encode()))
    n = 24
    a = codes(rng, ta, shape)
    b = codes(rng, tb, (shape[-1], n))
    if tb == np.int8:
        b = (b // 2).astype(np.int8)
    inits = dict(b=b, sa=np.float32(0.013),
                 sb=(rng.random(n if per_column else ()) * 0.01 + 0.002).astype(np.float32))
    names = ["a", "b", "sa", "sb", "", "", ""]
    if zps:
        inits.update(za=codes(rng, ta, ()), zb=codes(rng, tb, ()) if tb == np.uint8
                     else np.array(0, np.int8))
        names[4:6] = ["za", "zb"]
    if bias:
        inits["bias"] = rng.standard_normal(n).astype(np.float32)
        names[6] = "bias"
    while names[-1] == "":
        names.pop()
    node = helper.make_node("MatMulIntegerToFloat", names, ["y"], name="mmf",
                            domain="com.microsoft")
    inputs = {"a": a}
    check_against_onnxruntime(contrib_model(node, inputs, TensorProto.FLOAT, inits), inputs,
                              tmp_path)


@pytest.mark.parametrize("wtype", [np.int8, np.uint8])
def test_dynamic_quantize_matmul(wtype, tmp_path):
    """com.microsoft DynamicQuantizeMatMul: A quantized as
    DynamicQuantizeLinear, then MatMulIntegerToFloat; onnxruntime's outputs
    bit for bit."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((3, 10, 40)) * 2).astype(np.float32)
    b = codes(rng, wtype, (40, 24))
    if wtype == np.int8:
        b = (b // 2).astype(np.int8)
    inits = dict(b=b, sb=np.float32(0.011), zb=np.array(0 if wtype == np.int8 else 131, wtype),
                 bias=rng.standard_normal(24).astype(np.float32))
    node = helper.make_node("DynamicQuantizeMatMul", ["x", "b", "sb", "zb", "bias"], ["y"],
                            name="dqm", domain="com.microsoft")
    vi = helper.make_tensor_value_info
    m = contrib_model(node, {}, TensorProto.FLOAT, inits)
    m.graph.input.append(vi("x", TensorProto.FLOAT, x.shape))
    check_against_onnxruntime(m, {"x": x}, tmp_path)


FLOAT_CASES = [
    ("FusedMatMul", dict(alpha=0.125, transB=1), [(2, 3, 5, 8), (2, 3, 7, 8)]),
    ("FusedMatMul", dict(alpha=2.0, transA=1), [(8, 5), (8, 7)]),
    ("SkipLayerNormalization", dict(epsilon=1e-5), [(2, 6, 32), (2, 6, 32), (32,), (32,),
                                                    (32,)]),
    ("SkipSimplifiedLayerNormalization", dict(epsilon=1e-6), [(2, 6, 32), (2, 6, 32), (32,)]),
    ("Gelu", {}, [(4, 64)]),
    ("FastGelu", {}, [(4, 64), (64,)]),
    ("BiasGelu", {}, [(4, 64), (64,)]),
    ("QuickGelu", {}, [(4, 64)]),
    ("QuickGelu", dict(alpha=1.0), [(4, 64)]),
]


@pytest.mark.parametrize("op,attrs,shapes", FLOAT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(FLOAT_CASES)])
def test_float_fusions(op, attrs, shapes, tmp_path):
    """onnxruntime's float fusions against onnxruntime within 2e-6
    relative L2 (the sums of FusedMatMul and the norms, and the MLAS
    polynomials of its Gelu / sigmoid, round differently); the skip norms'
    output 3 (input + skip + bias) exactly."""
    rng = np.random.default_rng(zlib.crc32(f"{op}{attrs}".encode()))
    names = [f"i{k}" for k in range(len(shapes))]
    inputs = {k: (rng.standard_normal(s) * 2).astype(np.float32) for k, s in zip(names, shapes)}
    outs = ["y"]
    if op.startswith("Skip"):
        outs = ["y", "", "", "s"]
    node = helper.make_node(op, names, outs, name="f", domain="com.microsoft", **attrs)
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g",
                          [vi(k, TensorProto.FLOAT, v.shape) for k, v in inputs.items()],
                          [vi(o, TensorProto.FLOAT, None) for o in outs if o])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    want = ort_run(m, inputs)
    for target, got in run_targets(m, inputs, tmp_path).items():
        assert rel_l2(got["y"], want[0]) < 2e-6, target
        if op.startswith("Skip"):
            np.testing.assert_array_equal(got["s"], want[1], err_msg=target)


def optimized(model, tmp_path, name):
    """`model` as onnxruntime saves it after ORT_ENABLE_EXTENDED."""
    import onnxruntime as ort

    src, dst = tmp_path / f"{name}.onnx", tmp_path / f"{name}-opt.onnx"
    onnx.save(model, str(src))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = str(dst)
    ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
    return onnx.load(str(dst))


def transformer(arch):
    """The hidden-64 BERT-style encoder or Llama-style decoder."""
    return (models.bert(hidden=64, heads=4, layers=2, ffn=256) if arch == "bert" else
            models.llama(hidden=64, heads=4, kv_heads=2, layers=2, intermediate=172))


def check_fused(model, fused, want_ops, tmp_path, exact):
    """`fused` (`model` after an onnxruntime fusion) has `want_ops` and runs
    on both targets within 1e-5 relative L2 of onnxruntime and equal to
    the unfused model's outputs (bit for bit when `exact`, else within
    1e-5)."""
    ops = {n.op_type for n in fused.graph.node}
    assert want_ops <= ops, ops
    inputs = models.sample_inputs(model, seed=1)
    names = [o.name for o in model.graph.output]
    ref = ort_run(fused, inputs)
    for d in ["unfused", "fused"]:
        (tmp_path / d).mkdir()
    unfused = run_targets(model, inputs, tmp_path / "unfused")
    for target, got in run_targets(fused, inputs, tmp_path / "fused").items():
        for name, r in zip(names, ref):
            if exact:
                np.testing.assert_array_equal(got[name], unfused[target][name],
                                              err_msg=f"{target} {name}")
            assert rel_l2(got[name], unfused[target][name]) < 1e-5, (target, name)
            assert rel_l2(got[name], r) < 1e-5, (target, name)


@pytest.mark.parametrize("arch", ["bert", "llama"])
@pytest.mark.parametrize("quantized", [False, True], ids=["float", "quantize_dynamic"])
def test_onnxruntime_optimized_models(arch, quantized, tmp_path):
    """The BERT-style encoder and the Llama-style decoder, float or
    quantize_dynamic'ed, after onnxruntime's extended optimizations: the
    fused model imports and runs on both targets; quantized, it gives the
    unfused model's outputs bit for bit; both within 1e-5 relative L2 of
    onnxruntime (7-bit weights: with 8-bit ones onnxruntime's own AVX2
    kernel saturates, 2.7e-2 on this BERT, Status.md)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = transformer(arch)
    if quantized:
        onnx.save(model, str(tmp_path / "f.onnx"))
        quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"),
                         weight_type=QuantType.QInt8, reduce_range=True)
        model = onnx.load(str(tmp_path / "q.onnx"))
    want = {"FusedMatMul"} | ({"SkipLayerNormalization", "Gelu"} if arch == "bert" else
                              {"SimplifiedLayerNormalization", "QuickGelu"})
    if quantized:
        want |= {"MatMulIntegerToFloat", "DynamicQuantizeMatMul"}
    check_fused(model, optimized(model, tmp_path, "m"), want, tmp_path, exact=quantized)


@pytest.mark.parametrize("arch", ["bert", "llama"])
def test_transformers_optimizer_models(arch, tmp_path):
    """The encoder and decoder after onnxruntime.transformers.optimizer
    (the fusion script users run before deploying a transformer):
    SkipLayerNormalization + BiasGelu (BERT), SkipSimplifiedLayerNormalization
    + SimplifiedLayerNormalization (Llama, as GPT-2); both targets within
    1e-5 relative L2 of onnxruntime and of the unfused model."""
    from onnxruntime.transformers import optimizer

    model = transformer(arch)
    onnx.save(model, str(tmp_path / "f.onnx"))
    fused = optimizer.optimize_model(str(tmp_path / "f.onnx"),
                                     model_type="bert" if arch == "bert" else "gpt2",
                                     num_heads=4, hidden_size=64, opt_level=0).model
    want = ({"SkipLayerNormalization", "BiasGelu"} if arch == "bert" else
            {"SkipSimplifiedLayerNormalization", "SimplifiedLayerNormalization"})
    check_fused(model, fused, want, tmp_path, exact=False)


ATTENTION_CASES = {
    # name: (mask_index, attributes, qkv_hidden_sizes, attention_bias)
    "no-mask": (None, {}, None, False),
    "end-positions": (np.array([4, 6], np.int32), {}, None, False),
    "end-zero": (np.array([0, 5], np.int32), {}, None, False),
    "start-end": (np.array([5, 6, 1, 0], np.int32), {}, None, False),
    "raw-2d": (np.array([[1, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0]], np.int32), {}, None, False),
    "raw-3d": ("3d", {}, None, False),
    "causal": (None, dict(unidirectional=1), None, False),
    "causal-end": (np.array([3, 6], np.int32), dict(unidirectional=1), None, False),
    "scale-filter": (np.array([4, 5], np.int32), dict(scale=0.3, mask_filter_value=-50.0),
                     None, False),
    "qkv-sizes": (None, {}, [16, 16, 8], False),
    "attention-bias": (None, {}, None, True),
}


@pytest.mark.parametrize("case,quantized", [
    (case, quantized) for case in ATTENTION_CASES for quantized in (False, True)
    # quantize_dynamic makes QAttention only of the default Attention
    if not (quantized and (ATTENTION_CASES[case][2] or ATTENTION_CASES[case][3]))])
def test_contrib_attention(case, quantized, tmp_path):
    """com.microsoft Attention (onnxruntime.transformers' fused self-attention
    of BERT-style models) and the QAttention that quantize_dynamic makes of
    it (7-bit symmetric weights keep onnxruntime's u8 x s8 kernel exact):
    every mask form onnxruntime's CPU kernel takes (end positions, with
    start positions, raw 2-D / 3-D 0 / 1 with a fully masked row, none),
    unidirectional, scale, mask_filter_value (an additive -50 still counts),
    qkv_hidden_sizes and attention_bias; both targets within 1e-6 relative
    L2 of onnxruntime (its softmax is MLAS's polynomial exponential) and the
    export within 1e-6 in onnxruntime."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    mask, attrs, sizes, abias = ATTENTION_CASES[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    b, s, d, heads = 2, 6, 16, 4
    total = sum(sizes) if sizes else 3 * d
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array((rng.standard_normal((d, total)) * 0.3).astype(np.float32),
                                     "w"),
             numpy_helper.from_array((rng.standard_normal(total) * 0.1).astype(np.float32), "b")]
    feeds = {"x": rng.standard_normal((b, s, d)).astype(np.float32)}
    names = ["x", "w", "b", ""]
    if isinstance(mask, str):  # 3-D, the diagonal kept
        mask = (rng.integers(0, 2, (b, s, s)) | np.eye(s, dtype=np.int64)).astype(np.int32)
    if mask is not None:
        feeds["mask"] = mask
        names[3] = "mask"
    if abias:
        feeds["ab"] = rng.standard_normal((1, heads, s, s)).astype(np.float32)
        names += ["", "ab"]
    while names[-1] == "":
        names.pop()
    if sizes:
        attrs = dict(attrs, qkv_hidden_sizes=sizes)
    node = helper.make_node("Attention", names, ["y"], name="att", domain="com.microsoft",
                            num_heads=heads, **attrs)
    graph = helper.make_graph(
        [node], "g", [vi(k, TensorProto.FLOAT if v.dtype == np.float32 else TensorProto.INT32,
                         v.shape) for k, v in feeds.items()],
        [vi("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    if quantized:
        onnx.save(model, str(tmp_path / "f.onnx"))
        quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"),
                         weight_type=QuantType.QInt8, reduce_range=True)
        model = onnx.load(str(tmp_path / "q.onnx"))
        assert "QAttention" in {n.op_type for n in model.graph.node}
    want = ort_run(model, feeds)[0]
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-6, target
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert rel_l2(got, want) < 1e-6, "export"


def fused_bert(rng, segments, b=2, s=7, h=32, heads=4, ffn=64, vocab=50):
    """One BERT layer as onnxruntime.transformers' BERT optimization writes
    it: EmbedLayerNormalization (word, position and, unless DistilBERT-like,
    segment embeddings; the mask's count per batch as mask_index) ->
    Attention (mask_index) -> MatMul -> SkipLayerNormalization -> MatMul ->
    BiasGelu -> MatMul -> SkipLayerNormalization; right-padded batches."""
    def f(*shape, sc=0.2):
        return (rng.standard_normal(shape) * sc).astype(np.float32)
    inits = dict(wemb=f(vocab, h, sc=1.0), pemb=f(16, h), g0=1 + f(h), b0=f(h),
                 wqkv=f(h, 3 * h), bqkv=f(3 * h), wo=f(h, h), bo=f(h), g1=1 + f(h), b1=f(h),
                 w1=f(h, ffn), bf1=f(ffn), w2=f(ffn, h), bf2=f(h), g2=1 + f(h), b2=f(h))
    if segments:
        inits["semb"] = f(2, h)
    ms = "com.microsoft"
    embed = ["ids", "seg" if segments else "", "wemb", "pemb", "semb" if segments else "",
             "g0", "b0", "mask"]
    nodes = [
        helper.make_node("EmbedLayerNormalization", embed, ["emb", "mi"], domain=ms,
                         epsilon=1e-12),
        helper.make_node("Attention", ["emb", "wqkv", "bqkv", "mi"], ["att"], domain=ms,
                         num_heads=heads),
        helper.make_node("MatMul", ["att", "wo"], ["ao"]),
        helper.make_node("SkipLayerNormalization", ["ao", "emb", "g1", "b1", "bo"], ["h1"],
                         domain=ms, epsilon=1e-12),
        helper.make_node("MatMul", ["h1", "w1"], ["f1"]),
        helper.make_node("BiasGelu", ["f1", "bf1"], ["f2"], domain=ms),
        helper.make_node("MatMul", ["f2", "w2"], ["f3"]),
        helper.make_node("SkipLayerNormalization", ["f3", "h1", "g2", "b2", "bf2"], ["y"],
                         domain=ms, epsilon=1e-12)]
    feeds = {"ids": rng.integers(0, vocab, (b, s)).astype(np.int32),
             "mask": (np.arange(s)[None] < np.array([[s], [s - 3]])).astype(np.int32)}
    if segments:
        feeds["seg"] = rng.integers(0, 2, (b, s)).astype(np.int32)
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "bert", [vi(k, TensorProto.INT32, [b, s]) for k in feeds],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid(ms, 1)])
    m.ir_version = 8
    return m, feeds


@pytest.mark.parametrize("quantized", [False, True], ids=["float", "quantize_dynamic"])
@pytest.mark.parametrize("segments", [True, False], ids=["bert", "distilbert"])
def test_fused_bert_layer(segments, quantized, tmp_path):
    """A BERT layer in onnxruntime.transformers' fused form, float and
    quantize_dynamic'ed (QEmbedLayerNormalization with uint8 tables,
    QAttention, DynamicQuantizeLinear + MatMulInteger; 7-bit weights): both
    targets within 1e-6 relative L2 of onnxruntime (observed about 2e-7;
    onnxruntime's softmax and Gelu are MLAS polynomials)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model, feeds = fused_bert(np.random.default_rng(11 + segments), segments)
    if quantized:
        onnx.save(model, str(tmp_path / "f.onnx"))
        quantize_dynamic(str(tmp_path / "f.onnx"), str(tmp_path / "q.onnx"),
                         weight_type=QuantType.QInt8, reduce_range=True,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
        model = onnx.load(str(tmp_path / "q.onnx"))
        assert {"QEmbedLayerNormalization", "QAttention", "MatMulInteger"} <= {
            n.op_type for n in model.graph.node}
    want = ort_run(model, feeds)[0]
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-6, target

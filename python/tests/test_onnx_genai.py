"""The com.microsoft operators of onnxruntime-genai's decoders
(GroupQueryAttention with its KV cache and rotary embedding, RotaryEmbedding)
against onnxruntime's CPU kernels, on both QuantC targets and through the
export."""

import zlib

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import export_roundtrip, run_targets
from test_onnx_qoperator import ort_run


def rel_l2(got, want):
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def rope_caches(rows, half, base=10000.0):
    inv = 1.0 / base ** (np.arange(half, dtype=np.float64) / half)
    ang = np.outer(np.arange(rows, dtype=np.float64), inv)
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def model_of(nodes, feeds, outputs, inits=()):
    vi = helper.make_tensor_value_info
    types = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int32): TensorProto.INT32,
             np.dtype(np.int64): TensorProto.INT64}
    graph = helper.make_graph(nodes, "g", [vi(k, types[v.dtype], v.shape) for k, v in feeds.items()],
                              [vi(o, TensorProto.FLOAT, None) for o in outputs], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    return model


# name: (batch, S, past, T, seqlens_k, attributes, options); seqlens_k
# None: every sequence full (T - 1).
GQA_CASES = {
    "prompt": (2, 5, 0, 5, None, {}, {}),
    "prompt-padded": (2, 5, 0, 5, [4, 2], {}, {}),
    "prompt-rotary": (2, 6, 0, 6, [5, 3], dict(do_rotary=1), {}),
    "prompt-rotary-interleaved": (1, 6, 0, 6, None, dict(do_rotary=1, rotary_interleaved=1), {}),
    "prompt-partial-rotary": (2, 4, 0, 4, None, dict(do_rotary=1), dict(half=8)),
    "prompt-packed": (2, 5, 0, 5, None, dict(do_rotary=1), dict(packed=True)),
    "prompt-empty-past": (1, 4, 0, 4, None, dict(do_rotary=1), dict(empty_past=True)),
    "prompt-max-past": (2, 4, 9, 4, [3, 1], dict(do_rotary=1), {}),
    "decode": (1, 1, 7, 8, None, dict(do_rotary=1), {}),
    "decode-ragged": (3, 1, 7, 8, [7, 3, 5], dict(do_rotary=1), {}),
    "decode-max-past": (2, 1, 10, 6, [5, 2], dict(do_rotary=1), {}),
    "decode-packed": (2, 1, 6, 7, [6, 4], dict(do_rotary=1, rotary_interleaved=1),
                      dict(packed=True)),
    "continue": (1, 3, 5, 8, None, dict(do_rotary=1), {}),
    "window": (2, 7, 0, 7, None, dict(local_window_size=3), {}),
    "decode-window": (2, 1, 8, 9, [8, 5], dict(local_window_size=2, do_rotary=1), {}),
    "softcap-scale": (2, 5, 0, 5, None, dict(softcap=2.0, scale=0.4), {}),
    "smooth": (2, 1, 4, 5, [4, 2], dict(smooth_softmax=1), {}),
    "head-sink": (2, 1, 4, 5, [4, 3], {}, dict(sink=True)),
    "mha": (2, 1, 4, 5, None, dict(do_rotary=1), dict(kv_heads=4)),
    "position-ids": (2, 1, 4, 5, [4, 3], dict(do_rotary=1), dict(positions=True)),
}


def gqa_case(name):
    b, s, past, total, seqlens, attrs, opt = GQA_CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    heads, kv, size = 4, opt.get("kv_heads", 2), 16
    if seqlens is None:
        seqlens = [total - 1] * b
    feeds = {}
    if opt.get("packed"):
        feeds["q"] = rng.standard_normal((b, s, (heads + 2 * kv) * size)).astype(np.float32)
        names = ["q", "", ""]
    else:
        feeds["q"] = rng.standard_normal((b, s, heads * size)).astype(np.float32)
        feeds["k"] = rng.standard_normal((b, s, kv * size)).astype(np.float32)
        feeds["v"] = rng.standard_normal((b, s, kv * size)).astype(np.float32)
        names = ["q", "k", "v"]
    if past or opt.get("empty_past"):
        feeds["pk"] = rng.standard_normal((b, kv, past, size)).astype(np.float32)
        feeds["pv"] = rng.standard_normal((b, kv, past, size)).astype(np.float32)
        names += ["pk", "pv"]
    else:
        names += ["", ""]
    feeds["seqlens"] = np.array(seqlens, np.int32)
    names += ["seqlens", "total"]
    inits = [numpy_helper.from_array(np.array(total, np.int32), "total")]
    if attrs.get("do_rotary"):
        cos, sin = rope_caches(max(total, past) + 4, opt.get("half", size // 2))
        inits += [numpy_helper.from_array(cos, "cos"), numpy_helper.from_array(sin, "sin")]
        names += ["cos", "sin"]
    if opt.get("positions"):
        feeds["pos"] = rng.integers(0, total + 4, (b, s)).astype(np.int64)
        names += [""] * (9 - len(names)) + ["pos"]
    if opt.get("sink"):
        inits.append(numpy_helper.from_array(rng.standard_normal(heads).astype(np.float32), "sink"))
        names += [""] * (11 - len(names)) + ["sink"]
    while names[-1] == "":
        names.pop()
    node = helper.make_node("GroupQueryAttention", names, ["y", "present_k", "present_v"],
                            name="gqa", domain="com.microsoft", num_heads=heads,
                            kv_num_heads=kv, **attrs)
    return model_of([node], feeds, ["y", "present_k", "present_v"], inits), feeds


def valid_rows(y, seqlens, first):
    """y without the rows of a first prompt past each sequence's length
    (seqlens_k + 1): onnxruntime computes their scores only up to that
    length and reads unset memory after it (NaN at times)."""
    if not first:
        return y
    return y[np.arange(y.shape[1])[None, :] <= seqlens[:, None]]


@pytest.mark.parametrize("name", list(GQA_CASES))
def test_group_query_attention(name, tmp_path):
    """com.microsoft GroupQueryAttention as onnxruntime's CPU kernel computes
    it: the first prompt (with padded sequences, empty or longer past
    buffers), one-token decoding with ragged past lengths, a continued
    prompt, packed QKV, rotary (halves, interleaved, partial), local window,
    softcap and scale, smooth softmax, head sinks and equal head counts;
    output and present K / V within 1e-6 relative L2 of onnxruntime on both
    targets and through the export (its softmax is MLAS's polynomial)."""
    model, feeds = gqa_case(name)
    want = ort_run(model, feeds)
    names = ["y", "present_k", "present_v"]
    first = GQA_CASES[name][1] == GQA_CASES[name][3]
    def check(outs, where):
        for n, w in zip(names, want):
            g = outs[n]
            assert g.shape == w.shape, (where, n)
            if n == "y":
                g = valid_rows(g, feeds["seqlens"], first)
                w = valid_rows(w, feeds["seqlens"], first)
            assert rel_l2(g, w) < 1e-6, (where, n, rel_l2(g, w))
    for target, outs in run_targets(model, feeds, tmp_path).items():
        check(outs, target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)
    check(dict(zip(names, got)), "export")


# name: (input shape, position_ids shape (None: one offset), attributes)
ROTARY_CASES = {
    "3d": ((2, 5, 64), (2, 5), dict(num_heads=4)),
    "3d-offset": ((1, 5, 64), None, dict(num_heads=4)),
    "3d-interleaved": ((2, 3, 64), (2, 3), dict(num_heads=4, interleaved=1)),
    "3d-no-heads": ((2, 4, 64), (2, 4), {}),
    "3d-partial": ((2, 4, 64), (2, 4), dict(num_heads=2, rotary_embedding_dim=16)),
    "4d": ((2, 4, 5, 16), (2, 5), {}),
    "4d-offset-interleaved": ((1, 2, 6, 32), None, dict(interleaved=1)),
}


@pytest.mark.parametrize("name", list(ROTARY_CASES))
def test_contrib_rotary_embedding(name, tmp_path):
    """com.microsoft RotaryEmbedding (inputs input, position_ids, cos_cache,
    sin_cache): 3-D and 4-D input, per-token position_ids or one offset,
    halves or interleaved pairs, partial rotary_embedding_dim, num_heads
    derived from the caches; within 1e-6 relative L2 of onnxruntime on both
    targets and through the export (one ulp apart: onnxruntime's MLAS
    rotary kernel fuses the multiply-adds)."""
    shape, pshape, attrs = ROTARY_CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    size = shape[-1] if len(shape) == 4 else shape[2] // attrs.get("num_heads", 4)
    half = attrs.get("rotary_embedding_dim", size) // 2
    cos, sin = rope_caches(16, half)
    seq = shape[2] if len(shape) == 4 else shape[1]
    feeds = {"x": rng.standard_normal(shape).astype(np.float32),
             "pos": (rng.integers(0, 16 - (1 if pshape else seq), pshape or (1,))
                     .astype(np.int64))}
    node = helper.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["y"], name="rope",
                            domain="com.microsoft", **attrs)
    model = model_of([node], feeds, ["y"], [numpy_helper.from_array(cos, "cos"),
                                            numpy_helper.from_array(sin, "sin")])
    want = ort_run(model, feeds)[0]
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-6, target
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert rel_l2(got, want) < 1e-6, "export"


def test_genai_decoder_generates_as_onnxruntime(tmp_path):
    """The Llama-style decoder as onnxruntime-genai's model builder writes it
    for int4 on the CPU (`quantc.models.genai_llama`: MatMulNBits,
    GroupQueryAttention with rotary and a KV cache, Skip/Simplified
    LayerNormalization; shapes taken from the inputs): a 6-token prompt of
    two sequences with an empty cache, then 3 greedy decoding steps, each
    feeding the previous step's present K / V back (QuantC's own on QuantC,
    onnxruntime's on onnxruntime). The same tokens, and logits and caches
    within 1e-5 relative L2, on both targets."""
    from quantc import models

    model = models.genai_llama()
    rng = np.random.default_rng(5)
    names = [o.name for o in model.graph.output]
    feeds = models.genai_inputs(model, 2, 6, 0, rng)
    state = {t: dict(feeds) for t in ("ort", "interp", "cpu")}
    for step in range(4):
        want = dict(zip(names, ort_run(model, state["ort"])))
        for target in ("interp", "cpu"):
            outs = run_targets(model, state[target], tmp_path / f"{step}", targets=[target])[target]
            for n in names:
                assert rel_l2(outs[n], want[n]) < 1e-5, (step, target, n)
            state[target] = next_step(model, state[target], outs)
        state["ort"] = next_step(model, state["ort"], want)
        for target in ("interp", "cpu"):
            np.testing.assert_array_equal(state[target]["input_ids"], state["ort"]["input_ids"])


def next_step(model, feeds, outs):
    """The inputs of the next decoding step: the greedy token, the mask one
    longer, the present K / V as the past."""
    new = {"input_ids": outs["logits"][:, -1].argmax(-1)[:, None].astype(np.int64),
           "attention_mask": np.concatenate(
               [feeds["attention_mask"], np.ones((feeds["attention_mask"].shape[0], 1),
                                                 np.int64)], axis=1)}
    for vi in model.graph.input:
        if vi.name.startswith("past_key_values."):
            new[vi.name] = outs[vi.name.replace("past_key_values.", "present.")]
    return new


def test_genai_decoder_ragged_batch(tmp_path):
    """One decoding step of `genai_llama` for two sequences of different
    lengths in one batch (attention_mask [[1] * 7, [1] * 5 + [0, 0]]): the
    second reads its first 4 cached rows, writes its new row at 4 and zeros
    after; logits and present K / V within 1e-5 relative L2 of onnxruntime
    on both targets."""
    from quantc import models

    model = models.genai_llama(seed=11)
    feeds = models.genai_inputs(model, 2, 1, 6, np.random.default_rng(8), seqlens=[7, 5])
    names = [o.name for o in model.graph.output]
    want = ort_run(model, feeds)
    for target, outs in run_targets(model, feeds, tmp_path).items():
        for n, w in zip(names, want):
            assert rel_l2(outs[n], w) < 1e-5, (target, n)


# (M, K, N, block, zero points: None / "8" (all 8, written out) / "blocks")
NBITS_CASES = [(1, 256, 64, 32, None), (5, 256, 96, 32, "8"), (1, 512, 64, 128, "blocks"),
               (7, 256, 64, 32, "blocks"), (3, 64, 32, 16, "blocks"),
               (2, 80, 64, 32, "blocks"), (6, 200, 32, 64, None)]


def nbits_model(m, k, n, block, zp, rng, bits=4, level=0):
    """A MatMulNBits node with random codes, scales and zero points (K not
    a multiple of block: the last block padded, its extra codes random)."""
    blocks = -(-k // block)
    codes = rng.integers(0, 1 << bits, (n, blocks * block)).astype(np.uint8)
    if bits == 4:
        packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).reshape(n, blocks, block // 2)
    else:
        packed = codes.reshape(n, blocks, block)
    inits = [numpy_helper.from_array(packed, "B"),
             numpy_helper.from_array(rng.uniform(0.01, 0.05, n * blocks).astype(np.float32),
                                     "S")]
    names = ["A", "B", "S"]
    if zp:
        mid = 1 << (bits - 1)
        if bits == 4:
            z = (np.full((n, blocks + blocks % 2), mid, np.uint8) if zp == "8"
                 else rng.integers(0, 16, (n, blocks + blocks % 2)).astype(np.uint8))
            z = (z[:, 0::2] | (z[:, 1::2] << 4)).ravel()
        else:
            z = (np.full((n, blocks), mid, np.uint8) if zp == "8"
                 else rng.integers(0, 256, (n, blocks)).astype(np.uint8)).ravel()
        inits.append(numpy_helper.from_array(z, "Z"))
        names.append("Z")
    node = helper.make_node("MatMulNBits", names, ["y"], domain="com.microsoft", name="mnb",
                            K=k, N=n, bits=bits, block_size=block, accuracy_level=level)
    feeds = {"A": rng.standard_normal((1, m, k)).astype(np.float32)}
    return model_of([node], feeds, ["y"], inits), feeds


@pytest.mark.parametrize("m,k,n,block,zp", NBITS_CASES)
def test_matmulnbits_cpu_kernel(m, k, n, block, zp, tmp_path):
    """MatMulNBits on the CPU runs the 4-bit weight-only kernel (the float
    weights are never materialized): without zero points (8 implied), with
    all 8 written out (both a table of code - 8: the codes are packed as
    code ^ 8, two's complement int4), and with zero points per block (the
    kernel on code - 8, then minus the group sums of x times fl(s * (z -
    8)), a small f32 product); within 1e-5 relative L2 of onnxruntime (the
    kernel sums each block before scaling) on both targets."""
    import subprocess

    from qc_testing import BIN

    model, feeds = nbits_model(m, k, n, block, zp,
                               np.random.default_rng(m * 1000 + k + n + block))
    want = ort_run(model, feeds)[0]
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target
    ir = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"), "--qc-lower-to-cpu",
                         "--mlir-print-ir-after=qc-x86-fuse-weight-only", "-o", "/dev/null"],
                        capture_output=True, text=True, check=True).stderr
    assert 'qc.x86_kernel = "w4_f32_avx' in ir, "no weight-only kernel"
    assert "qc.dequantize" not in ir.split("IR Dump After")[-1]


# (M, K, N, block, zero points, bits)
LEVEL4_CASES = [(1, 256, 64, 32, None, 4), (6, 512, 96, 32, "blocks", 4),
                (2, 256, 64, 128, "8", 4), (3, 128, 32, 16, None, 4),
                (9, 256, 64, 64, "blocks", 4), (2, 256, 48, 32, "blocks", 8),
                (1, 128, 32, 16, None, 8), (5, 192, 40, 64, "blocks", 4),
                (4, 1024, 256, 32, "8", 4), (13, 256, 64, 32, None, 4),
                (3, 200, 32, 64, "blocks", 4), (1, 80, 64, 32, None, 8)]


@pytest.mark.parametrize("m,k,n,block,zp,bits", LEVEL4_CASES)
def test_matmulnbits_accuracy_level_4(m, k, n, block, zp, bits, tmp_path):
    """accuracy_level 4 (onnxruntime-genai's CPU default): A quantized to
    int8 per block of block_size along K (s = absmax / 127, round half to
    even), as onnxruntime's CPU kernel for 4- and 8-bit weights. Both
    targets (the CPU's int8 kernel, on one and two threads)
    and the export within 1e-5 relative L2 of onnxruntime's level 4, which
    differs from its level 0 by ~5e-3 here; --matmulnbits-float-activations
    computes level 0 instead."""
    import subprocess

    from qc_testing import BIN

    rng = np.random.default_rng(m * 1000 + k + n + block + bits)
    model, feeds = nbits_model(m, k, n, block, zp, rng, bits=bits, level=4)
    want = ort_run(model, feeds)[0]
    level0 = onnx_copy_level(model, 0)
    want0 = ort_run(level0, feeds)[0]
    assert rel_l2(want, want0) > 1e-3
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert rel_l2(outs["y"], want) < 1e-5, target
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert rel_l2(got, want) < 1e-5, "export"
    # Blocks of a multiple of 32 and 4-bit weights: the int8 kernel on A's
    # codes (vpmaddubsw, tiles of 3 rows), also on two threads.
    ir = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"), "--qc-lower-to-cpu",
                         "--mlir-print-ir-after=qc-x86-fuse-weight-only", "-o", "/dev/null"],
                        capture_output=True, text=True, check=True).stderr
    assert ('"w4a8_avx2"' in ir) == (block % 32 == 0 and bits == 4)
    out = tmp_path / "threads"
    subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), "--target=cpu",
                    "--cpu-threads=2", "--input", f"A={tmp_path / 'A.npy'}", "--output-dir",
                    str(out)], check=True, capture_output=True)
    assert rel_l2(np.load(out / "y.npy"), want) < 1e-5
    for target in ("interp", "cpu"):
        out = tmp_path / f"float-{target}"
        subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), f"--target={target}",
                        "--matmulnbits-float-activations", "--input",
                        f"A={tmp_path / 'A.npy'}", "--output-dir", str(out)],
                       check=True, capture_output=True)
        assert rel_l2(np.load(out / "y.npy"), want0) < 1e-5, target


def onnx_copy_level(model, level):
    """`model` with every MatMulNBits at accuracy_level `level`."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for node in copy.graph.node:
        for a in node.attribute:
            if a.name == "accuracy_level":
                a.i = level
    return copy


# (bits, rows, width, block, zero points, scales dtype, indices shape)
GBQ_CASES = [(4, 50, 64, 32, False, np.float32, (2, 3)),
             (4, 40, 96, 32, True, np.float32, (7,)),
             (4, 20, 128, 16, True, np.float16, (2, 2, 2)),
             (8, 30, 64, 32, True, np.float32, (1, 4)),
             (8, 30, 64, 16, False, np.float16, (5,))]


@pytest.mark.parametrize("bits,rows,width,block,zp,sdtype,ishape", GBQ_CASES)
def test_gather_block_quantized(bits, rows, width, block, zp, sdtype, ishape, tmp_path):
    """com.microsoft GatherBlockQuantized (onnxruntime-genai's int4 shared
    embeddings): uint8 data with 4-bit codes two per byte (or 8-bit), f32 or
    float16 scales per block along the row, zero points packed the same way
    or implied (8, 128), any index shape; with an odd count of blocks
    onnxruntime reads the 4-bit zero points as one nibble stream (row r,
    block g at nibble r * blocks + g), not row by row as their shape
    suggests, and so does QuantC; onnxruntime's output bit for bit on both targets and
    through the export (only the gathered rows are decoded)."""
    rng = np.random.default_rng(bits * 100 + rows + width + block)
    groups = width // block
    codes = rng.integers(0, 1 << bits, (rows, width)).astype(np.uint8)
    data = codes if bits == 8 else (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
    inits = [numpy_helper.from_array(data, "D"),
             numpy_helper.from_array(rng.uniform(0.01, 1, (rows, groups)).astype(sdtype), "S")]
    names = ["D", "idx", "S"]
    if zp:
        z = rng.integers(0, 1 << bits, (rows, groups + (groups % 2 if bits == 4 else 0)))
        z = z.astype(np.uint8)
        packed = z if bits == 8 else (z[:, 0::2] | (z[:, 1::2] << 4)).astype(np.uint8)
        inits.append(numpy_helper.from_array(packed, "Z"))
        names.append("Z")
    node = helper.make_node("GatherBlockQuantized", names, ["y"], name="gbq",
                            domain="com.microsoft", bits=bits, block_size=block)
    feeds = {"idx": rng.integers(-rows, rows, ishape).astype(np.int64)}
    vi = helper.make_tensor_value_info
    out_type = TensorProto.FLOAT if sdtype == np.float32 else TensorProto.FLOAT16
    graph = helper.make_graph([node], "g", [vi("idx", TensorProto.INT64, ishape)],
                              [vi("y", out_type, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    want = ort_run(model, feeds)[0]
    for target, outs in run_targets(model, feeds, tmp_path).items():
        assert outs["y"].dtype == want.dtype, target
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_array_equal(got, want, err_msg="export")


def test_genai_decoder_fixed_length_cache(tmp_path):
    """The same decoder with a KV cache of fixed length (16): the attention
    mask is [1, 16] with ones for the tokens so far, so total_sequence_length
    (the mask's width) is 16 at every step and the past / present K / V keep
    [1, kv heads, 16, head size]: the prompt (5 tokens, a continued prompt
    for GroupQueryAttention: past_b = seqlens_k + 1 - S = 0) and every
    decoding step have one shape each, so a compiled step serves the whole
    generation. 4 greedy steps feeding present back: onnxruntime's tokens,
    logits and caches within 1e-5 on both targets."""
    from quantc import models

    model = models.genai_llama(seed=13)
    names = [o.name for o in model.graph.output]
    rng = np.random.default_rng(3)
    length, prompt = 16, 5

    def step_inputs(ids, done, past):
        mask = np.zeros((1, length), np.int64)
        mask[0, :done] = 1
        return {"input_ids": ids, "attention_mask": mask, **past}

    past = {vi.name: np.zeros((1, 2, length, 16), np.float32)
            for vi in model.graph.input if vi.name.startswith("past_key_values.")}
    ids = rng.integers(0, 100, (1, prompt)).astype(np.int64)
    state = {t: step_inputs(ids, prompt, past) for t in ("ort", "interp", "cpu")}
    done = prompt
    for step in range(5):
        results = {"ort": dict(zip(names, ort_run(model, state["ort"])))}
        for target in ("interp", "cpu"):
            results[target] = run_targets(model, state[target], tmp_path / f"{step}",
                                          targets=[target])[target]
            for n in names:
                want = results["ort"][n]
                assert results[target][n].shape == want.shape, (step, n)
                assert rel_l2(results[target][n], want) < 1e-5, (step, target, n)
        done += 1
        for key, outs in results.items():
            token = outs["logits"][:, -1].argmax(-1)[:, None].astype(np.int64)
            state[key] = step_inputs(token, done, {
                n: outs[n.replace("past_key_values.", "present.")] for n in past})
        for target in ("interp", "cpu"):
            np.testing.assert_array_equal(state[target]["input_ids"], state["ort"]["input_ids"])


# name: (S, L, past, options)
MHA_CASES = {
    "self": (5, 5, 0, {}),
    "bias": (5, 5, 0, dict(bias=True)),
    "cross": (3, 7, 0, dict(bias=True)),
    "end-positions": (4, 6, 0, dict(mask="1d")),
    "raw-2d": (4, 6, 0, dict(mask="2d")),
    "raw-3d": (4, 6, 0, dict(mask="3d")),
    "attention-bias": (4, 6, 0, dict(abias=True)),
    "causal": (5, 5, 0, dict(attrs=dict(unidirectional=1))),
    "past": (1, 1, 6, dict(bias=True)),
    "past-causal-mask": (3, 3, 4, dict(attrs=dict(unidirectional=1), mask="2d")),
    "kv-per-head": (2, 9, 0, dict(bnsh=True)),
    "narrow-v": (4, 6, 0, dict(v_hidden=16, bias=True)),
    "scale-filter": (4, 6, 0, dict(mask="1d", attrs=dict(scale=0.3, mask_filter_value=-50.0))),
}


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multi_head_attention(name, tmp_path):
    """com.microsoft MultiHeadAttention (onnxruntime.transformers' fused
    attention of encoder-decoder, CLIP and diffusion models) as its CPU
    kernel computes it: self and cross attention, the Q / K / V bias,
    the key_padding_mask forms its CPU kernel takes (end positions, raw
    2-D / 3-D; it refuses Attention's [2B] start positions), attention_bias, unidirectional (with a past: keys after
    past + i), past / present K / V, key / value given per head (cached
    cross attention), a narrower V, scale with mask_filter_value; output
    and presents within 1e-6 relative L2 of onnxruntime on both targets
    and through the export."""
    s, kv, past, opt = MHA_CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    b, heads, hidden = 2, 4, 32
    vh = opt.get("v_hidden", hidden)
    feeds = {"q": rng.standard_normal((b, s, hidden)).astype(np.float32)}
    if opt.get("bnsh"):
        feeds["k"] = rng.standard_normal((b, heads, kv, hidden // heads)).astype(np.float32)
        feeds["v"] = rng.standard_normal((b, heads, kv, hidden // heads)).astype(np.float32)
    else:
        feeds["k"] = rng.standard_normal((b, kv, hidden)).astype(np.float32)
        feeds["v"] = rng.standard_normal((b, kv, vh)).astype(np.float32)
    names = ["q", "k", "v"]
    inits = []
    total = past + kv
    if opt.get("bias"):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(2 * hidden + vh) * 0.5).astype(np.float32), "bias"))
        names.append("bias")
    mask = opt.get("mask")
    if mask:
        names += [""] * (4 - len(names)) + ["mask"]
        if mask == "1d":
            feeds["mask"] = np.array([total - 2, total], np.int32)
        elif mask == "2b":
            feeds["mask"] = np.array([total - 1, total, 1, 0], np.int32)
        elif mask == "2d":
            m = rng.integers(0, 2, (b, total)).astype(np.int32)
            m[:, 0] = 1
            feeds["mask"] = m
        else:
            m = rng.integers(0, 2, (b, s, total)).astype(np.int32)
            m[:, :, 0] = 1
            feeds["mask"] = m
    if opt.get("abias"):
        names += [""] * (5 - len(names)) + ["ab"]
        feeds["ab"] = rng.standard_normal((1, heads, s, total)).astype(np.float32)
    outputs = ["y"]
    if past:
        names += [""] * (6 - len(names)) + ["pk", "pv"]
        feeds["pk"] = rng.standard_normal((b, heads, past, hidden // heads)).astype(np.float32)
        feeds["pv"] = rng.standard_normal((b, heads, past, vh // heads)).astype(np.float32)
        outputs += ["present_k", "present_v"]
    while names[-1] == "":
        names.pop()
    node = helper.make_node("MultiHeadAttention", names, outputs, name="mha",
                            domain="com.microsoft", num_heads=heads, **opt.get("attrs", {}))
    model = model_of([node], feeds, outputs, inits)
    want = ort_run(model, feeds)
    for target, outs in run_targets(model, feeds, tmp_path).items():
        for n, w in zip(outputs, want):
            assert outs[n].shape == w.shape, (target, n)
            assert rel_l2(outs[n], w) < 1e-6, (target, n, rel_l2(outs[n], w))
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, feeds)
    for n, g, w in zip(outputs, got, want):
        assert rel_l2(g, w) < 1e-6, ("export", n)

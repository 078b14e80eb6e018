"""BitwiseAnd / Or / Xor / Not (nn.and / or / xor / not on integers) and
BitShift (nn.bit_shift) on signed and unsigned integers with broadcasting:
exactly NumPy and onnxruntime on both targets and through the export;
shifts by the width or more give 0 (ONNX leaves them open; LLVM's shifts
would be poison there)."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import export_roundtrip, run_targets

TYPES = {np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.int32: TensorProto.INT32,
         np.uint16: TensorProto.UINT16, np.uint32: TensorProto.UINT32, np.int64: TensorProto.INT64,
         np.uint64: TensorProto.UINT64}


def run_all(model, inputs, want, tmp_path, ort_too=True):
    import onnxruntime as ort

    if ort_too:
        got = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, inputs)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w, err_msg="onnxruntime")
    for target, outs in run_targets(model, inputs, tmp_path).items():
        for o, w in zip(model.graph.output, want):
            assert outs[o.name].dtype == w.dtype, target
            np.testing.assert_array_equal(outs[o.name], w, err_msg=f"{target} {o.name}")
    if ort_too:
        got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                                   providers=["CPUExecutionProvider"]).run(None, inputs)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w, err_msg="export")


def random_ints(rng, dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint16, np.int64, np.uint64],
                         ids=lambda t: t.__name__)
def test_bitwise(dtype, tmp_path):
    rng = np.random.default_rng(4)
    a, b = random_ints(rng, dtype, (3, 5)), random_ints(rng, dtype, (5,))
    vi = helper.make_tensor_value_info
    t = TYPES[dtype]
    nodes = [helper.make_node(f"Bitwise{op}", ["a", "b"], [op.lower()], name=op)
             for op in ("And", "Or", "Xor")]
    nodes.append(helper.make_node("BitwiseNot", ["a"], ["not"], name="Not"))
    g = helper.make_graph(nodes, "g", [vi("a", t, [3, 5]), vi("b", t, [5])],
                          [vi(o, t, None) for o in ("and", "or", "xor", "not")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    want = [a & b, a | b, a ^ b, ~a]
    run_all(model, {"a": a, "b": b}, want, tmp_path)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint32, np.uint64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
def test_bit_shift(dtype, direction, tmp_path):
    rng = np.random.default_rng(9)
    bits = np.iinfo(dtype).bits
    x = random_ints(rng, dtype, (4, 6))
    s = rng.integers(0, bits, (6,)).astype(dtype)
    vi = helper.make_tensor_value_info
    t = TYPES[dtype]
    node = helper.make_node("BitShift", ["x", "s"], ["y"], name="bs", direction=direction)
    g = helper.make_graph([node], "g", [vi("x", t, [4, 6]), vi("s", t, [6])], [vi("y", t, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 8
    want = (x << s) if direction == "LEFT" else (x >> s)
    run_all(model, {"x": x, "s": s}, [want.astype(dtype)], tmp_path)

    # Amounts of the width or more (and huge ones): 0 on both targets.
    s2 = np.array([bits, bits + 1, np.iinfo(dtype).max, 0, 1, bits - 1], dtype)
    want2 = np.where(s2 >= bits, 0, (x << np.minimum(s2, bits - 1)) if direction == "LEFT"
                     else (x >> np.minimum(s2, bits - 1))).astype(dtype)
    run_all(model, {"x": x, "s": s2}, [want2], tmp_path, ort_too=False)

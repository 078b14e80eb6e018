"""Einsum, imported as nn ops (diagonals by nn.gather, sums by
nn.reduce_sum, each pair of operands one batched nn.matmul, transposes
and reshapes around them), against numpy.einsum in float64 on both
targets and through the export into onnxruntime."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import export_roundtrip, run_targets

CASES = [
    # equation, operand shapes
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 5, 8), (1, 2, 6, 8)]),
    ("bhqk,bhkd->bhqd", [(1, 2, 5, 6), (1, 2, 6, 8)]),
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),  # implicit output: the trace
    ("...ii->...i", [(2, 3, 4, 4)]),
    ("i,i", [(7,), (7,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ab,bc", [(3, 4), (4, 5)]),  # implicit: ac
    ("bij,bjk", [(2, 3, 4), (2, 4, 5)]),  # implicit: ik, b summed
    ("Ab,bC->CA", [(3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # broadcast ellipsis
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bi,bi->b", [(4, 6), (4, 6)]),
    ("ijk,kj->i", [(2, 3, 4), (4, 3)]),
    (" b i j , b j k -> b i k ", [(2, 3, 4), (2, 4, 5)]),  # spaces
]


def model_of(eq, shapes):
    vi = helper.make_tensor_value_info
    names = [f"x{i}" for i in range(len(shapes))]
    node = helper.make_node("Einsum", names, ["y"], name="es", equation=eq)
    g = helper.make_graph([node], "g", [vi(nm, TensorProto.FLOAT, list(s))
                                       for nm, s in zip(names, shapes)],
                          [vi("y", TensorProto.FLOAT, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 8
    return model, names


@pytest.mark.parametrize("eq,shapes", CASES, ids=[c[0].replace(" ", "") for c in CASES])
def test_einsum(eq, shapes, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(len(eq))
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    model, names = model_of(eq, shapes)
    want = np.einsum(eq.replace(" ", ""), *[x.astype(np.float64) for x in xs])
    inputs = dict(zip(names, xs))
    for target, outs in run_targets(model, inputs, tmp_path).items():
        got = outs["y"]
        assert got.shape == want.shape, target
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg="export")

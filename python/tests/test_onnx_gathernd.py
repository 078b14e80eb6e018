"""GatherND, imported as nn ops (index tuples as row-major positions plus
batch offsets, then one nn.gather of the flattened data): exactly
onnxruntime on both targets and through the export, for tuples of every
length, batch_dims 0 to 2, negative indices, float and int64 data."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import assert_exact_everywhere

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

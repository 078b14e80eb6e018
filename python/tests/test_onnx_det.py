"""Det as Gaussian elimination with partial pivoting (nn ops, unrolled):
batches of random matrices of orders 1-8 against numpy's LAPACK
determinant in float64 and against onnxruntime, plus matrices that need
row swaps and singular ones (exactly 0), on both targets."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from qc_testing import rel_l2
from test_onnx_activations import run_targets


def det_model(shape):
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("Det", ["x"], ["y"], name="det")], "g",
                          [vi("x", TensorProto.FLOAT, shape)], [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 22)])
    m.ir_version = 9
    return m


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 5, 5), (6, 8, 8)])
def test_det_random(shape, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(shape[-1])
    x = rng.standard_normal(shape).astype(np.float32)
    want = np.linalg.det(x.astype(np.float64))
    m = det_model(x.shape)
    ref = ort.InferenceSession(m.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert rel_l2(ref, want) < 1e-5, "onnxruntime"
    for target, outs in run_targets(m, {"x": x}, tmp_path).items():
        assert outs["y"].shape == want.shape
        assert rel_l2(outs["y"], want) < 1e-5, target


def test_det_pivoting_and_singular(tmp_path):
    x = np.zeros((5, 3, 3), np.float32)
    x[0] = [[0, 1, 0], [1, 0, 0], [0, 0, 1]]   # one swap: -1
    x[1] = [[0, 0, 2], [0, 3, 0], [4, 0, 0]]   # -24
    x[2] = [[1, 2, 3], [0, 0, 0], [4, 5, 6]]   # a zero row
    x[3] = [[0, 1, 2], [0, 3, 4], [0, 5, 6]]   # a zero column
    x[4] = [[1e-30, 1, 0], [1, 1, 0], [0, 0, 1]]  # tiny pivot avoided: -1
    want = np.array([-1, -24, 0, 0, -1], np.float32)
    for target, outs in run_targets(det_model(x.shape), {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)

"""ONNX Mod of floats (fmod = 1) as nn.fmod: C's fmod, exact, so equal to
NumPy's fmod bit for bit on both targets and through the export into
onnxruntime, with mixed signs, zeros, infinities, NaN, subnormals and
quotients far beyond 2^24 (where a - trunc(a / b) * b would be wrong)."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import assert_exact_everywhere

TYPES = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16}


# float64 is left out: the interpreter computes float64 ops in float32
# (the CPU target in float64), so only float32 / float16 compare exactly.
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_fmod_exact(dtype, tmp_path):
    rng = np.random.default_rng(4)
    a = (rng.standard_normal(2000) * np.exp2(rng.integers(-10, 30, 2000))).astype(dtype)
    b = (rng.standard_normal(2000) * np.exp2(rng.integers(-10, 10, 2000))).astype(dtype)
    special_a = np.array([0.0, -0.0, 5.5, -5.5, np.inf, -np.inf, np.nan, 3.0, 1e4, -7.25, 6e-8],
                         dtype)
    special_b = np.array([3.0, 3.0, 0.0, -0.0, 2.0, 2.0, 1.0, np.inf, -np.inf, 0.5, 1e-7], dtype)
    a, b = np.concatenate([a, special_a]), np.concatenate([b, special_b])
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("Mod", ["a", "b"], ["y"], fmod=1)], "g",
                          [vi("a", TYPES[dtype], a.shape), vi("b", TYPES[dtype], b.shape)],
                          [vi("y", TYPES[dtype], None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    with np.errstate(invalid="ignore"):
        want = np.fmod(a, b)
    assert_exact_everywhere(m, {"a": a, "b": b}, [want], tmp_path)

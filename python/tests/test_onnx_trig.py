"""Trigonometric and hyperbolic ONNX ops (Sin, Cos, Tan, Asin, Acos, Atan,
Sinh, Cosh, Asinh, Acosh, Atanh) as nn ops: f32 on both targets (the
interpreter's C library functions, the compiled code's libm calls) within
a few ulp of NumPy in float64, with the domain edges (NaN outside it,
infinities at atanh(+-1), NaN in, signed zeros), and through the export
into onnxruntime."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import export_roundtrip, run_targets

OPS = {
    "Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Asin": np.arcsin, "Acos": np.arccos,
    "Atan": np.arctan, "Sinh": np.sinh, "Cosh": np.cosh, "Asinh": np.arcsinh,
    "Acosh": np.arccosh, "Atanh": np.arctanh,
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_trig(op, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.uniform(-3, 3, 40), rng.uniform(-1, 1, 40), rng.uniform(1, 20, 20),
        [0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 30.0, np.nan, np.inf, -np.inf, 1e-30, -1e-30],
    ]).astype(np.float32)
    vi = helper.make_tensor_value_info
    node = helper.make_node(op, ["x"], ["y"], name="t")
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [x.size])],
                          [vi("y", TensorProto.FLOAT, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    with np.errstate(all="ignore"):
        want = OPS[op](x.astype(np.float64))
    inputs = {"x": x}

    def check(got, what):
        assert got.dtype == np.float32, what
        with np.errstate(all="ignore"):
            w32 = want.astype(np.float32)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(w32), err_msg=what)
        fin = np.isfinite(w32)
        np.testing.assert_array_equal(got[~fin & ~np.isnan(w32)], w32[~fin & ~np.isnan(w32)],
                                      err_msg=what)
        # Within 4 ulp of the float64 value (or 1e-37 absolute near 0).
        ulp = np.spacing(np.abs(w32[fin]))
        err = np.abs(got[fin].astype(np.float64) - want[fin])
        assert np.all(err <= 4 * ulp + 1e-37), (what, np.max(err / ulp))
        zeros = fin & (w32 == 0)
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(w32[zeros]), err_msg=what)

    for target, outs in run_targets(model, inputs, tmp_path).items():
        check(outs["y"], target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert got.shape == x.shape
    # onnxruntime's own implementations: NaN positions and 1e-5 otherwise.
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want.astype(np.float32)))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=1e-5, atol=1e-6)

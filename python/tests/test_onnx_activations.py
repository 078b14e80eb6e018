"""ONNX activations that QuantC imports as formulas of nn ops (HardSigmoid,
HardSwish, PRelu, Elu, Selu, Celu, ThresholdedRelu, Shrink, Softplus, Softsign,
Mish, Swish),
the variadic Max / Min / Sum / Mean and GlobalMaxPool, against ONNX's
reference evaluator on both targets, with ±0, ±inf, NaN and large values.
Formulas without exp / log are exact; with them, NumPy's exp / log differ
from libm's expf / logf in the last bit (NumPy's exp(-1) is 1 ulp below
the correctly rounded value), which the cancellation in exp(x) - 1 can
magnify, so those are within 1e-6 relative or absolute; NaN positions
always match."""

import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from qc_testing import BIN

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -3.0, 3.0, 2.9, -2.9, 1e-30, -1e-30, 40.0, -40.0,
                    88.0, 100.0, -100.0, np.inf, -np.inf, np.nan, 3e38, -3e38], np.float32)

CASES = [
    ("HardSigmoid", {}, True),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.6}, True),
    ("HardSwish", {}, True),
    ("PRelu", {}, True),
    ("Elu", {"alpha": 0.7}, False),
    ("Selu", {}, False),
    ("Celu", {"alpha": 1.5}, False),
    ("ThresholdedRelu", {"alpha": 0.9}, True),
    ("Shrink", {}, True),
    ("Shrink", {"lambd": 2.9, "bias": 1.5}, True),
    ("Mish", {}, False),
    ("Swish", {"alpha": 0.75}, False),
    ("Softplus", {}, False),
    ("Softsign", {}, True),
]


def run_targets(model, inputs, tmp_path, targets=("interp", "cpu")):
    """Runs `model` (saved as m.onnx) on both targets (or `targets`):
    {target: {output name: array}}."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    results = {}
    for target in targets:
        out = tmp_path / target
        cmd = [str(BIN / "quant-run"), str(path), f"--target={target}", "--output-dir", str(out)]
        for name, value in inputs.items():
            np.save(tmp_path / f"{name}.npy", value)
            cmd += ["--input", f"{name}={tmp_path / (name + '.npy')}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        results[target] = {o.name: np.load(out / f"{o.name}.npy") for o in model.graph.output}
    return results


def export_roundtrip(tmp_path):
    """m.onnx (written by run_targets) imported and exported again: the
    exported model's path, checked by onnx.checker."""
    out = tmp_path / "e.onnx"
    subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(tmp_path / "m.onnx"),
                    "-o", str(tmp_path / "m.mlir")], check=True, capture_output=True)
    subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(tmp_path / "m.mlir"),
                    "-o", str(out)], check=True, capture_output=True)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    return out


def assert_exact_everywhere(model, inputs, want, tmp_path):
    """Every output of `model` (`want`: arrays in graph output order) equal,
    with its dtype, on both QuantC targets and in onnxruntime running the
    export of the imported module."""
    import onnxruntime as ort

    names = [o.name for o in model.graph.output]
    for target, outs in run_targets(model, inputs, tmp_path).items():
        for name, w in zip(names, want):
            assert outs[name].dtype == w.dtype, (target, name)
            np.testing.assert_array_equal(outs[name], w, err_msg=f"{target} {name}")
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)
    for name, g, w in zip(names, got, want):
        np.testing.assert_array_equal(g, w, err_msg=f"export {name}")


def run_both(model, inputs, tmp_path):
    """The output `y` on both targets: {target: array}."""
    return {t: outs["y"] for t, outs in run_targets(model, inputs, tmp_path).items()}


def assert_matches(got, want, exact):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op,attrs,exact", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_activation_matches_reference(op, attrs, exact, tmp_path):
    rng = np.random.default_rng(1)
    x = np.concatenate([SPECIAL, (rng.standard_normal(43) * 4).astype(np.float32)])
    x = x.reshape(1, 4, 16)
    inputs, inits = ["x"], []
    if op == "PRelu":
        # One slope per channel, broadcast as PyTorch exports it.
        inits.append(numpy_helper.from_array(np.array([[0.25], [-0.5], [0.0], [2.0]],
                                                      np.float32), "slope"))
        inputs.append("slope")
    node = helper.make_node(op, inputs, ["y"], name="act", **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                      [1, 4, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 16])],
                          inits)
    opset = {"Mish": 22, "Swish": 24}.get(op, 17)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 11 if opset > 21 else 9
    with np.errstate(all="ignore"):
        want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        assert_matches(got, want, exact)


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
def test_variadic_matches_reference(op, tmp_path):
    """Three broadcasting inputs, folded from the left; Max / Min propagate
    NaN and order -0 below +0, as NumPy's maximum / minimum."""
    rng = np.random.default_rng(2)
    a = np.concatenate([SPECIAL, rng.standard_normal(3).astype(np.float32)]).reshape(4, 6)
    b = np.array([0.0, -0.0, np.nan, 1.0, -np.inf, 0.5], np.float32)
    c = rng.standard_normal((4, 1)).astype(np.float32)
    node = helper.make_node(op, ["a", "b", "c"], ["y"], name="v")
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g", [vi("a", TensorProto.FLOAT, [4, 6]),
                                        vi("b", TensorProto.FLOAT, [6]),
                                        vi("c", TensorProto.FLOAT, [4, 1])],
                          [vi("y", TensorProto.FLOAT, [4, 6])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    inputs = {"a": a, "b": b, "c": c}
    with np.errstate(all="ignore"):
        want = ReferenceEvaluator(model).run(None, inputs)[0]
    for target, got in run_both(model, inputs, tmp_path).items():
        assert_matches(got, want, True)
        if op in ("Max", "Min"):
            # Signed zeros: max(+0, -0) is +0, min is -0 (the first row
            # pairs a's 0.0 / -0.0 with b's 0.0 / -0.0).
            assert np.signbit(got[0, 1]) == (op == "Min" or np.signbit(want[0, 1]))


def test_integer_max_min_and_global_max_pool(tmp_path):
    """Max / Min on int32 (signed) and uint8 (unsigned on the CPU through
    --qc-nn-signless); GlobalMaxPool on a 1-D and a 2-D feature map."""
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("Max", ["i", "j"], ["y"], name="max"),
             helper.make_node("Min", ["u", "v"], ["umin"], name="min"),
             helper.make_node("GlobalMaxPool", ["f"], ["gmp"], name="gmp")]
    g = helper.make_graph(nodes, "g", [vi("i", TensorProto.INT32, [5]), vi("j", TensorProto.INT32, [5]),
                                       vi("u", TensorProto.UINT8, [4]), vi("v", TensorProto.UINT8, [4]),
                                       vi("f", TensorProto.FLOAT, [2, 3, 4, 5])],
                          [vi("y", TensorProto.INT32, [5]), vi("umin", TensorProto.UINT8, [4]),
                           vi("gmp", TensorProto.FLOAT, [2, 3, 1, 1])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    rng = np.random.default_rng(3)
    f = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    f[1, 2, 3, 4] = np.nan
    inputs = {"i": np.array([-2**31, 5, -7, 2**31 - 1, 0], np.int32),
              "j": np.array([3, -5, -8, 0, 0], np.int32),
              "u": np.array([200, 3, 255, 128], np.uint8), "v": np.array([100, 250, 0, 127], np.uint8),
              "f": f}
    want = ReferenceEvaluator(model).run(None, inputs)
    for target, outs in run_targets(model, inputs, tmp_path).items():
        for name, w in zip(["y", "umin", "gmp"], want):
            np.testing.assert_array_equal(outs[name], w, err_msg=f"{target} {name}")


def test_export_runs_in_onnxruntime(tmp_path):
    """The imported formulas and nn.max / nn.min export to ONNX that
    onnxruntime runs to quant-run's values (finite inputs: onnxruntime's own
    NaN handling in Max / Min is not the point here)."""
    import onnxruntime as ort

    vi = helper.make_tensor_value_info
    slope = numpy_helper.from_array(np.array([[[0.25]], [[-0.5]], [[2.0]]], np.float32), "slope")
    nodes = [helper.make_node("HardSwish", ["x"], ["h"], name="hs"),
             helper.make_node("PRelu", ["h", "slope"], ["p"], name="pr"),
             helper.make_node("Elu", ["p"], ["e"], name="elu", alpha=0.5),
             helper.make_node("Max", ["e", "x"], ["m"], name="max"),
             helper.make_node("Min", ["m", "h", "p"], ["n"], name="min"),
             helper.make_node("Softplus", ["n"], ["s"], name="sp"),
             helper.make_node("GlobalMaxPool", ["s"], ["y"], name="gmp")]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [2, 3, 4, 5])],
                          [vi("y", TensorProto.FLOAT, [2, 3, 1, 1])], [slope])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    x = (np.random.default_rng(4).standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)
    got = run_both(model, {"x": x}, tmp_path)
    np.testing.assert_array_equal(got["cpu"], got["interp"])
    out = export_roundtrip(tmp_path)
    ref = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got["interp"], ref, rtol=1e-6, atol=1e-7)


PAD_CASES = [
    ("constant", [1, 0, 2, 3, 0, 1], None, 2.5),
    ("constant", [0, -1, 1, 0, 2, -2], None, None),   # negative pads crop
    ("edge", [2, 1, 0, 1, 3, 2], None, None),
    ("reflect", [1, 2, 3, 1, 0, 2], None, None),
    ("wrap", [1, 3, 2, 0, 2, 4], None, None),
    ("reflect", [2, 1, 1, 2], [-1, 0], None),          # axes (opset 18)
]


@pytest.mark.parametrize("mode,pads,axes,value", PAD_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PAD_CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_pad_matches_numpy(mode, pads, axes, value, dtype, tmp_path):
    """Pad in every mode, as slices and concatenations, equals numpy.pad
    (ONNX's reference) bit for bit on both targets."""
    x = np.arange(3 * 4 * 5).reshape(3, 4, 5).astype(dtype)
    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT8
    inits = [numpy_helper.from_array(np.array(pads, np.int64), "pads")]
    inputs = ["x", "pads"]
    if value is not None:
        inits.append(numpy_helper.from_array(np.array(value, dtype), "value"))
        inputs.append("value")
    if axes is not None:
        if value is None:
            inputs.append("")
        inits.append(numpy_helper.from_array(np.array(axes, np.int64), "axes"))
        inputs.append("axes")
    node = helper.make_node("Pad", inputs, ["y"], name="pad", mode=mode)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx_type, [3, 4, 5])],
                          [helper.make_tensor_value_info("y", onnx_type, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    # numpy.pad with the crops applied first.
    ax = axes if axes is not None else list(range(3))
    ax = [a % 3 for a in ax]
    n = len(ax)
    want = x
    for i, a in enumerate(ax):
        b, e = pads[i], pads[i + n]
        sl = [slice(None)] * 3
        sl[a] = slice(max(0, -b), want.shape[a] - max(0, -e))
        want = want[tuple(sl)]
        width = [(0, 0)] * 3
        width[a] = (max(0, b), max(0, e))
        kw = {"constant_values": value or 0} if mode == "constant" else {}
        want = np.pad(want, width, mode=mode, **kw)
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=target)


def test_pad_errors(tmp_path):
    """Reflecting more than the axis holds (NumPy would reflect again) and
    pads of the wrong length are diagnosed, naming the node."""
    vi = helper.make_tensor_value_info
    for pads, mode, message in [
            ([3, 0, 0, 0, 0, 0], "reflect",
             "reflect padding of 3 along axis 0 of size 3 is not supported (at most 2)"),
            ([1, 1], "constant", "pads has 2 entries, expected 6")]:
        node = helper.make_node("Pad", ["x", "pads"], ["y"], name="pad", mode=mode)
        g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [3, 4, 5])],
                              [vi("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.array(pads, np.int64), "pads")])
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        path = tmp_path / "bad.onnx"
        onnx.save(model, str(path))
        r = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path), "-o",
                            str(tmp_path / "bad.mlir")], capture_output=True, text=True)
        assert r.returncode == 1 and f"node 'pad' (Pad): {message}" in r.stderr, r.stderr
        assert not (tmp_path / "bad.mlir").exists()


RESIZE_CASES = [
    # (mode, coordinate_transformation_mode, nearest_mode, scales, sizes)
    ("nearest", "asymmetric", "floor", [1, 1, 2, 2], None),  # torch nearest 2x
    ("nearest", "half_pixel", "round_prefer_floor", [1, 1, 1.7, 0.6], None),
    ("nearest", "align_corners", "round_prefer_ceil", None, [1, 2, 7, 3]),
    ("nearest", "pytorch_half_pixel", "ceil", [1, 1, 0.5, 3.0], None),
    ("nearest", "half_pixel_symmetric", "round_prefer_floor", [1, 1, 1.5, 0.8], None),
    ("linear", "pytorch_half_pixel", "", [1, 1, 2, 2], None),  # torch bilinear 2x
    ("linear", "align_corners", "", None, [1, 2, 9, 4]),
    ("linear", "half_pixel", "", [1, 1, 0.6, 2.5], None),
    ("linear", "asymmetric", "", [1, 1, 1.25, 0.75], None),
    ("cubic", "half_pixel", "", [1, 1, 1.7, 0.7], None),
    ("cubic", "align_corners", "", None, [1, 2, 8, 3]),
    ("cubic", "asymmetric", {"cubic_coeff_a": -0.5, "exclude_outside": 1}, [1, 1, 2, 2], None),
    ("cubic", "pytorch_half_pixel", {"antialias": 1}, [1, 1, 0.6, 0.45], None),
    ("linear", "half_pixel", {"antialias": 1}, None, [1, 2, 3, 2]),
    # (axes: the reference's exclude_outside divides integer coefficients
    # in place, which fails on an axis left as it is)
    ("linear", "half_pixel", {"exclude_outside": 1, "axes": [2, 3]}, [1.5, 2.5], None),
    ("linear", "tf_crop_and_resize", {"roi": [0, 0, 0.2, 0.1, 1, 1, 0.9, 1.3]}, None,
     [1, 2, 4, 7]),
    ("cubic", "tf_crop_and_resize",
     {"roi": [0, 0, -0.2, 0.1, 1, 1, 0.9, 0.8], "extrapolation_value": 7.5}, [1, 1, 1.3, 0.9],
     None),
    # (ONNX's reference picks the neighbour one column off here; onnxruntime
    # and QuantC agree: the oracle is onnxruntime, exactly)
    ("nearest", "tf_crop_and_resize", {"roi": [0, 0, 0.3, -0.1, 1, 1, 1.2, 0.7]}, None,
     [1, 2, 4, 5]),
]


@pytest.mark.parametrize("mode,ctm,nearest,scales,sizes", RESIZE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(RESIZE_CASES)])
def test_resize_matches_reference(mode, ctm, nearest, scales, sizes, tmp_path):
    """Resize (nearest: gathers with indices computed at compile time, as
    ONNX's reference computes them, so exact; linear / cubic, antialiased
    or not, exclude_outside, tf_crop_and_resize with extrapolation: per tap
    a gather weighted in f32, within 1e-6 of the reference's float64 sums)
    on both targets, up and down, with scales or sizes; onnxruntime agrees
    with the reference within 1e-5 where it runs the case the same way."""
    import onnxruntime as ort

    x = np.random.default_rng(6).standard_normal((1, 2, 5, 6)).astype(np.float32)
    extra = dict(nearest) if isinstance(nearest, dict) else {}
    nearest = "" if isinstance(nearest, dict) else nearest
    roi = extra.pop("roi", None)
    inits = []
    inputs = ["x", ""]
    if roi is not None:
        inits.append(numpy_helper.from_array(np.array(roi, np.float32), "roi"))
        inputs[1] = "roi"
    if scales is not None:
        inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
        inputs.append("scales")
    else:
        inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
        inputs += ["", "sizes"]
    attrs = {"mode": mode, "coordinate_transformation_mode": ctm, **extra}
    if nearest:
        attrs["nearest_mode"] = nearest
    node = helper.make_node("Resize", inputs, ["y"], name="resize", **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                      [1, 2, 5, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    if mode == "nearest" and ctm == "tf_crop_and_resize":
        want = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    else:
        want = ReferenceEvaluator(model).run(None, {"x": x})[0].astype(np.float32)
    # onnxruntime refuses exclude_outside for linear without antialias and
    # samples cubic tf_crop_and_resize its own way (off by up to 1.2 here).
    if not ((mode == "linear" and attrs.get("exclude_outside") and not attrs.get("antialias"))
            or (mode == "cubic" and ctm == "tf_crop_and_resize")):
        ref = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        np.testing.assert_allclose(ref, want, rtol=1e-5, atol=1e-5, err_msg="onnxruntime")
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        assert got.shape == want.shape, target
        if mode == "nearest":
            np.testing.assert_array_equal(got, want, err_msg=target)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=target)


def test_resize_unsupported_is_diagnosed(tmp_path):
    vi = helper.make_tensor_value_info
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", mode="area")
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")])
    path = tmp_path / "cubic.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)]), str(path))
    r = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "node 'up' (Resize): unknown mode 'area'" in r.stderr


@pytest.mark.parametrize("op", ["Floor", "Ceil", "Round", "Sign"])
def test_rounding_ops_match_reference(op, tmp_path):
    """Floor, Ceil, Round (ties to even) and Sign bit for bit against ONNX's
    reference on ties, ±0, ±inf, NaN and values beyond 2^23."""
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 2.5000002, 0.0, -0.0, 1.0, -7.0,
                  8388609.0, -8388609.5, 3e38, -3e38, np.inf, -np.inf, np.nan, 1e-40, -1e-40,
                  0.7, -0.7, 123.456], np.float32)
    node = helper.make_node(op, ["x"], ["y"], name="r")
    vi = helper.make_tensor_value_info
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [24])],
                          [vi("y", TensorProto.FLOAT, [24])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=target)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=target)


def test_sign_of_integers(tmp_path):
    """Sign of signed and unsigned integers (uint64 above 2^63 is positive)."""
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("Sign", ["i"], ["y"], name="s"),
             helper.make_node("Sign", ["u"], ["v"], name="t")]
    g = helper.make_graph(nodes, "g", [vi("i", TensorProto.INT32, [5]), vi("u", TensorProto.UINT64, [3])],
                          [vi("y", TensorProto.INT32, [5]), vi("v", TensorProto.UINT64, [3])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    inputs = {"i": np.array([-2**31, -1, 0, 1, 2**31 - 1], np.int32),
              "u": np.array([0, 2**63 + 5, 1], np.uint64)}
    for target, outs in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], [-1, -1, 0, 1, 1], err_msg=target)
        np.testing.assert_array_equal(outs["v"], [0, 1, 1], err_msg=target)


def test_pytorch_fake_quant_graph(tmp_path):
    """A fake quantizer as plain PyTorch exports it (x / s, Round, Clip,
    Mul): bit for bit with NumPy on both targets."""
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"),
             numpy_helper.from_array(np.array(-8.0, np.float32), "lo"),
             numpy_helper.from_array(np.array(7.0, np.float32), "hi")]
    nodes = [helper.make_node("Div", ["x", "s"], ["d"], name="div"),
             helper.make_node("Round", ["d"], ["r"], name="round"),
             helper.make_node("Clip", ["r", "lo", "hi"], ["c"], name="clip"),
             helper.make_node("Mul", ["c", "s"], ["y"], name="mul")]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [64])],
                          [vi("y", TensorProto.FLOAT, [64])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    x = (np.random.default_rng(8).standard_normal(64) * 0.3).astype(np.float32)
    x[:8] = np.float32(0.05) * np.array([0.5, 1.5, 2.5, -0.5, -2.5, 7.5, -8.5, 100], np.float32)
    s = np.float32(0.05)
    want = (np.clip(np.rint(x / s), -8, 7) * s).astype(np.float32)
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=target)


def test_logic_and_predicates(tmp_path):
    """And, Or, Xor, Not (nn ops on booleans), LessOrEqual and
    GreaterOrEqual (strict compare or Equal: false with NaN), IsNaN and IsInf
    (all three detection settings) against ONNX's reference on both targets,
    and through the export into onnxruntime."""
    import onnxruntime as ort

    vi = helper.make_tensor_value_info
    B, F = TensorProto.BOOL, TensorProto.FLOAT
    nodes = [helper.make_node("And", ["p", "q"], ["and"], name="and"),
             helper.make_node("Or", ["p", "q"], ["or"], name="or"),
             helper.make_node("Xor", ["p", "q"], ["xor"], name="xor"),
             helper.make_node("Not", ["p"], ["not"], name="not"),
             helper.make_node("LessOrEqual", ["a", "b"], ["le"], name="le"),
             helper.make_node("GreaterOrEqual", ["a", "b"], ["ge"], name="ge"),
             helper.make_node("IsNaN", ["a"], ["nan"], name="isnan"),
             helper.make_node("IsInf", ["a"], ["inf"], name="isinf"),
             helper.make_node("IsInf", ["a"], ["pinf"], name="ispinf", detect_negative=0),
             helper.make_node("IsInf", ["a"], ["ninf"], name="isninf", detect_positive=0)]
    outs = ["and", "or", "xor", "not", "le", "ge", "nan", "inf", "pinf", "ninf"]
    g = helper.make_graph(nodes, "g", [vi("p", B, [2, 4]), vi("q", B, [4]),
                                       vi("a", F, [8]), vi("b", F, [8])],
                          [vi(o, B, None) for o in outs])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    inputs = {"p": np.array([[1, 0, 1, 0], [1, 1, 0, 0]], bool),
              "q": np.array([1, 1, 0, 0], bool),
              "a": np.array([1.0, 2.0, np.nan, np.inf, -np.inf, -0.0, 3.0, np.nan], np.float32),
              "b": np.array([1.0, 1.0, 1.0, np.inf, 0.0, 0.0, np.nan, np.nan], np.float32)}
    want = dict(zip(outs, ReferenceEvaluator(model).run(None, inputs)))
    for target, results in run_targets(model, inputs, tmp_path).items():
        for o in outs:
            np.testing.assert_array_equal(results[o], want[o], err_msg=f"{target} {o}")
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(outs, inputs)
    for o, v in zip(outs, got):
        np.testing.assert_array_equal(v, want[o], err_msg=f"onnxruntime {o}")


@pytest.mark.parametrize("op", ["ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                                "ReduceLogSum", "ReduceLogSumExp"])
def test_reductions_match_reference(op, tmp_path):
    """The reductions imported as formulas around nn.reduce_sum /
    nn.reduce_max, on both targets: ReduceMin (-max(-x)) exactly, NaN
    included; the sums within 1e-6 (QuantC accumulates in f64,
    NumPy pairwise in f32)."""
    rng = np.random.default_rng(9)
    x = rng.uniform(0.1, 2.0, (3, 4, 5)).astype(np.float32)
    if op == "ReduceMin":
        x = rng.standard_normal((3, 4, 5)).astype(np.float32)
        x[0, 0, :] = [0.0, -0.0, 1.0, 2.0, 3.0]
        x[1, 2, 3] = np.nan
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array(np.array([1, -1], np.int64), "axes")]
    node = helper.make_node(op, ["x", "axes"], ["y"], name="r", keepdims=0)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [3, 4, 5])],
                          [vi("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        if op == "ReduceMin":
            np.testing.assert_array_equal(got, want, err_msg=target)
            finite = ~np.isnan(want)
            np.testing.assert_array_equal(np.signbit(got[finite]), np.signbit(want[finite]),
                                          err_msg=target)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=target)


@pytest.mark.parametrize("op,attrs,inits", [
    ("Tile", {}, {"repeats": np.array([2, 1, 3], np.int64)}),
    ("DepthToSpace", {"blocksize": 2, "mode": "DCR"}, {}),
    ("DepthToSpace", {"blocksize": 2, "mode": "CRD"}, {}),
    ("SpaceToDepth", {"blocksize": 2}, {}),
], ids=["tile", "d2s-dcr", "d2s-crd", "s2d"])
def test_data_movement_matches_reference(op, attrs, inits, tmp_path):
    """Tile (concatenated copies), DepthToSpace and SpaceToDepth (reshape,
    transpose, reshape) bit for bit against ONNX's reference."""
    shape = [2, 3, 4] if op == "Tile" else [1, 8, 4, 6]
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    vi = helper.make_tensor_value_info
    node = helper.make_node(op, ["x"] + list(inits), ["y"], name="m", **attrs)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, shape)],
                          [vi("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=target)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("last", [0, 1])
@pytest.mark.parametrize("axis,keepdims", [(1, 1), (-1, 0), (0, 0)])
def test_arg_max_min_match_reference(op, last, axis, keepdims, tmp_path):
    """nn.arg_max (ArgMin as the ArgMax of -x): ties (first or last index),
    NaN (counts as the largest; for ArgMin the smallest, as NumPy), ±inf,
    signed zeros, on both targets against ONNX's reference."""
    x = np.array([[[1.0, 3.0, 3.0, -1.0], [np.nan, 2.0, np.nan, 5.0], [-np.inf, -np.inf, -np.inf, -np.inf]],
                  [[0.0, -0.0, 0.0, -0.0], [7.0, np.inf, 7.0, np.inf], [2.0, 1.0, 2.0, 1.0]]],
                 np.float32)
    vi = helper.make_tensor_value_info
    node = helper.make_node(op, ["x"], ["y"], name="a", axis=axis, keepdims=keepdims,
                            select_last_index=last)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, [2, 3, 4])],
                          [vi("y", TensorProto.INT64, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=target)


def test_arg_max_integers_and_export(tmp_path):
    """ArgMax of int8 and uint8 (unsigned on the CPU through
    --qc-nn-signless), and the export into onnxruntime."""
    import onnxruntime as ort

    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("ArgMax", ["i"], ["y"], name="ai", axis=1, keepdims=0),
             helper.make_node("ArgMax", ["u"], ["v"], name="au", axis=1, keepdims=0,
                              select_last_index=1)]
    g = helper.make_graph(nodes, "g", [vi("i", TensorProto.INT8, [2, 4]),
                                       vi("u", TensorProto.UINT8, [2, 4])],
                          [vi("y", TensorProto.INT64, [2]), vi("v", TensorProto.INT64, [2])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    inputs = {"i": np.array([[-128, -128, -5, -128], [3, 127, 127, -1]], np.int8),
              "u": np.array([[200, 3, 255, 255], [0, 0, 0, 0]], np.uint8)}
    for target, outs in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], [2, 1], err_msg=target)
        np.testing.assert_array_equal(outs["v"], [3, 3], err_msg=target)
    ref = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)
    np.testing.assert_array_equal(ref[0], [2, 1])
    np.testing.assert_array_equal(ref[1], [3, 3])


@pytest.mark.parametrize("op,shape,groups,per_group", [
    ("InstanceNormalization", [2, 3, 5, 4], None, False),
    ("InstanceNormalization", [2, 4, 7], None, False),
    ("GroupNormalization", [2, 6, 3, 4], 3, False),   # opset 21: per channel
    ("GroupNormalization", [1, 8, 5], 2, True),       # opset 18: per group
], ids=["instance-2d", "instance-1d", "group-21", "group-18"])
def test_instance_group_norm_match_reference(op, shape, groups, per_group, tmp_path):
    """InstanceNormalization and GroupNormalization (one nn.layer_norm per
    instance / group, then the per-channel affine) within 1e-5 of ONNX's
    reference on both targets."""
    rng = np.random.default_rng(10)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    count = groups if per_group else shape[1]
    inits = [numpy_helper.from_array(rng.standard_normal(count).astype(np.float32), "s"),
             numpy_helper.from_array(rng.standard_normal(count).astype(np.float32), "b")]
    attrs = {"epsilon": 1e-3}
    if groups:
        attrs["num_groups"] = groups
    vi = helper.make_tensor_value_info
    node = helper.make_node(op, ["x", "s", "b"], ["y"], name="norm", **attrs)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, shape)],
                          [vi("y", TensorProto.FLOAT, shape)], inits)
    opset = 18 if per_group else 21
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=target)


@pytest.mark.parametrize("axes", [None, [1], [0, 1, 2, 3]], ids=["default", "channels", "all"])
def test_mean_variance_normalization(axes, tmp_path):
    """MeanVarianceNormalization as ONNX's function body ((x - mean) /
    (sqrt(mean(x^2) - mean^2) + 1e-9)): the reference within 1e-6 on both
    targets."""
    x = (np.random.default_rng(4).standard_normal((2, 3, 4, 5)) * 3 + 1).astype(np.float32)
    attrs = {} if axes is None else {"axes": axes}
    g = helper.make_graph([helper.make_node("MeanVarianceNormalization", ["x"], ["y"],
                                            name="mvn", **attrs)], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=target)


@pytest.mark.parametrize("bins,dft,rate,lo,hi", [(8, 64, 16000, 0.0, 8000.0),
                                                 (10, 400, 16000, 20.0, 7600.0)],
                         ids=["small", "whisper-like"])
def test_mel_weight_matrix(bins, dft, rate, lo, hi, tmp_path):
    """MelWeightMatrix (constant inputs) as a constant built like ONNX's
    reference (its filters, not all zero), feeding a MatMul: the reference
    within 1e-6 on both targets."""
    vi = helper.make_tensor_value_info
    inits = [numpy_helper.from_array(np.array(bins, np.int64), "bins"),
             numpy_helper.from_array(np.array(dft, np.int64), "dft"),
             numpy_helper.from_array(np.array(rate, np.int64), "rate"),
             numpy_helper.from_array(np.array(lo, np.float32), "lo"),
             numpy_helper.from_array(np.array(hi, np.float32), "hi")]
    nodes = [helper.make_node("MelWeightMatrix", ["bins", "dft", "rate", "lo", "hi"], ["m"]),
             helper.make_node("MatMul", ["x", "m"], ["y"])]
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [3, dft // 2 + 1])],
                          [vi("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    x = np.random.default_rng(2).random((3, dft // 2 + 1)).astype(np.float32)
    ref = ReferenceEvaluator(model)
    weights = ReferenceEvaluator(helper.make_model(
        helper.make_graph([nodes[0]], "w", [], [vi("m", TensorProto.FLOAT, None)], inits),
        opset_imports=[helper.make_opsetid("", 17)])).run(None, {})[0]
    assert weights.any()
    want = ref.run(None, {"x": x})[0]
    for target, got in run_both(model, {"x": x}, tmp_path).items():
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=target)

"""ScatterElements (nn.scatter_elements) and ScatterND (nn.scatter_nd),
with every reduction of opset 18, against a sequential NumPy reference
(updates applied in row-major order, each step rounding in the element
type), onnxruntime, both QuantC targets and the export into onnxruntime.
Repeated indices make the order of the reductions visible; "none" uses
distinct ones (which update wins is the order's, not ONNX's)."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import export_roundtrip, run_targets

REDUCTIONS = ["none", "add", "mul", "max", "min"]
ONNX_TYPES = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64,
              np.uint8: TensorProto.UINT8}


def combine(reduction, old, new):
    """One step of a scatter reduction in the element type; integers wrap.
    Float max / min are IEEE 754-2019 maximum / minimum: NaN propagates (as
    in NumPy's) and +0 is above -0 (NumPy's pick either zero)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = {"none": lambda: new, "add": lambda: old + new, "mul": lambda: old * new,
             "max": lambda: np.maximum(old, new), "min": lambda: np.minimum(old, new)
             }[reduction]()
    if reduction in ("max", "min") and np.asarray(old).dtype.kind == "f":
        zeros = (old == 0) & (new == 0)
        neg_old = np.signbit(old)
        pick = (new if reduction == "max" else old, old if reduction == "max" else new)
        r = np.where(zeros, np.where(neg_old, *pick), r).astype(np.asarray(old).dtype)
    return r


def scatter_elements_ref(x, idx, upd, axis, reduction):
    y = x.copy()
    axis %= x.ndim
    for p in np.ndindex(idx.shape):
        at = list(p)
        at[axis] = idx[p] % x.shape[axis]  # negative indices count from the end
        y[tuple(at)] = combine(reduction, y[tuple(at)], upd[p])
    return y


def scatter_nd_ref(x, idx, upd, reduction):
    y = x.copy()
    k = idx.shape[-1]
    for p in np.ndindex(idx.shape[:-1]):
        at = tuple(int(i) % n for i, n in zip(idx[p], x.shape[:k]))
        y[at] = combine(reduction, y[at], upd[p])
    return y


def model_of(op, dtype, xshape, ishape, ushape, **attrs):
    vi = helper.make_tensor_value_info
    t = ONNX_TYPES[dtype]
    node = helper.make_node(op, ["x", "i", "u"], ["y"], name="sc", **attrs)
    g = helper.make_graph([node], "g", [vi("x", t, xshape), vi("i", TensorProto.INT64, ishape),
                                        vi("u", t, ushape)], [vi("y", t, None)])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def data(rng, dtype, shape, reduction):
    if dtype == np.float32:
        v = rng.standard_normal(shape).astype(np.float32)
        if reduction == "mul":
            v = (1 + 0.1 * v).astype(np.float32)
        return v
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.integers(-1000, 1000, shape).astype(np.int64)


def check(model, inputs, want, tmp_path):
    import onnxruntime as ort

    ort_y = ort.InferenceSession(model.SerializeToString(),
                                 providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_array_equal(ort_y, want, err_msg="onnxruntime")
    for target, outs in run_targets(model, inputs, tmp_path).items():
        assert outs["y"].dtype == want.dtype
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    np.testing.assert_array_equal(got, want, err_msg="export")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scatter_elements(axis, dtype, reduction, tmp_path):
    """Indices smaller than the data besides the axis, negative ones, and
    (with a reduction) each target element hit several times."""
    rng = np.random.default_rng(11)
    xshape = [4, 5, 6]
    dim = xshape[axis]
    ishape = [3, 4, 5]
    ishape[axis] = 2 * dim if reduction != "none" else dim
    if reduction == "none":  # a permutation along the axis: distinct targets
        idx = np.argsort(rng.random(ishape), axis=axis).astype(np.int64)
        idx[idx % 2 == 1] -= dim
    else:
        idx = rng.integers(-dim, dim, ishape).astype(np.int64)
    x = data(rng, dtype, xshape, reduction)
    u = data(rng, dtype, ishape, reduction)
    model = model_of("ScatterElements", dtype, xshape, ishape, ishape, axis=axis,
                     **({} if reduction == "none" else {"reduction": reduction}))
    want = scatter_elements_ref(x, idx, u, axis, reduction)
    check(model, {"x": x, "i": idx, "u": u}, want, tmp_path)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_scatter_nd(reduction, tmp_path):
    """A KV-cache write (k = 2 of rank 3: rows of 8 values at (batch,
    position)) with negative positions, and k = rank (single elements);
    with a reduction, tuples repeat."""
    rng = np.random.default_rng(5)
    x = data(rng, np.float32, [2, 6, 8], reduction)
    if reduction == "none":
        idx = np.array([[[0, 1], [1, -1]], [[1, 0], [0, -2]]], np.int64)
    else:
        idx = np.stack([rng.integers(0, 2, (3, 4)), rng.integers(-6, 6, (3, 4))],
                       axis=-1).astype(np.int64)
    u = data(rng, np.float32, list(idx.shape[:-1]) + [8], reduction)
    attrs = {} if reduction == "none" else {"reduction": reduction}
    model = model_of("ScatterND", np.float32, [2, 6, 8], list(idx.shape), list(u.shape), **attrs)
    check(model, {"x": x, "i": idx, "u": u}, scatter_nd_ref(x, idx, u, reduction), tmp_path)

    idx3 = np.array([[0, 5, 7], [1, -1, 0], [0, 5, 7], [1, 2, -3]], np.int64)
    if reduction == "none":
        idx3 = idx3[1:]
    u3 = data(rng, np.float32, [len(idx3)], reduction)
    model = model_of("ScatterND", np.float32, [2, 6, 8], list(idx3.shape), [len(idx3)], **attrs)
    check(model, {"x": x, "i": idx3, "u": u3}, scatter_nd_ref(x, idx3, u3, reduction), tmp_path)


@pytest.mark.parametrize("reduction", ["max", "min", "add"])
def test_scatter_unsigned(reduction, tmp_path):
    """uint8 data: max / min compare unsigned (200 > 100), add wraps at 8
    bits, on both targets."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (3, 7)).astype(np.uint8)
    idx = rng.integers(-7, 7, (3, 9)).astype(np.int64)
    u = rng.integers(0, 256, (3, 9)).astype(np.uint8)
    u[0, :2] = [200, 100]
    model = model_of("ScatterElements", np.uint8, [3, 7], [3, 9], [3, 9], axis=1,
                     reduction=reduction)
    want = scatter_elements_ref(x, idx, u, 1, reduction)
    inputs = {"x": x, "i": idx, "u": u}
    for target, outs in run_targets(model, inputs, tmp_path).items():
        np.testing.assert_array_equal(outs["y"], want, err_msg=target)


def test_scatter_float_special_values(tmp_path):
    """NaN propagates through max / min, -0 and +0 order as IEEE maximum /
    minimum, and float add rounds at each step in update order."""
    x = np.array([[1.0, 0.0, -0.0, 5.0]], np.float32)
    idx = np.array([[0, 1, 2, 3, 3, 0]], np.int64)
    u = np.array([[np.nan, -0.0, 0.0, 1e30, -1e30, 2.0]], np.float32)
    for reduction in ["max", "min", "add"]:
        model = model_of("ScatterElements", np.float32, [1, 4], [1, 6], [1, 6], axis=1,
                         reduction=reduction)
        want = scatter_elements_ref(x, idx, u, 1, reduction)
        inputs = {"x": x, "i": idx, "u": u}
        for target, outs in run_targets(model, inputs, tmp_path).items():
            got = outs["y"]
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=target)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=target)
            np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)],
                                          err_msg=target)


@pytest.mark.parametrize("op", ["ScatterElements", "ScatterND"])
def test_scatter_out_of_range_indices(op, tmp_path):
    """An index outside [-dim, dim): the interpreter reports it, naming the
    op, and exits 1 with no output; the compiled code (no error channel)
    clamps it into the axis, as nn.gather does."""
    import subprocess

    from qc_testing import BIN

    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    if op == "ScatterElements":
        idx, u = np.array([[1, 5]], np.int64), np.array([[7.0, 8.0]], np.float32)
        model = model_of(op, np.float32, [2, 5], [1, 2], [1, 2], axis=1)
        name, clamped = "scatter_elements index 5 out of range [-5, 5)", x.copy()
        clamped[0, 1], clamped[0, 4] = 7.0, 8.0
    else:
        idx, u = np.array([[-3]], np.int64), np.array([[7, 7, 7, 7, 7]], np.float32)
        model = model_of(op, np.float32, [2, 5], [1, 1], [1, 5])
        name, clamped = "scatter_nd index -3 out of range [-2, 2)", x.copy()
        clamped[0] = 7.0
    path = tmp_path / "m.onnx"
    import onnx
    onnx.save(model, str(path))
    cmd = [str(BIN / "quant-run"), str(path), "--output-dir", str(tmp_path / "out")]
    for k, v in {"x": x, "i": idx, "u": u}.items():
        np.save(tmp_path / f"{k}.npy", v)
        cmd += ["--input", f"{k}={tmp_path / (k + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 1 and name in r.stderr, r.stderr
    assert not (tmp_path / "out" / "y.npy").exists()
    r = subprocess.run(cmd + ["--target=cpu"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), clamped)

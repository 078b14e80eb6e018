"""ONNX Cast / CastLike to and from the 8- and 4-bit types (float8 E4M3FN /
E5M2 / E4M3FNUZ / E5M2FNUZ, float4 E2M1, int4, uint4) as plain graph values: graph inputs of
these types are `!qc.qtensor` codes with a unit scale, casts to them are
qc.quantize, casts from them qc.dequantize.

Every result is compared bit for bit on both targets against ml_dtypes
(the minifloats' round-to-nearest-even, saturating as ONNX's `saturate=1`
by clamping first) and against ONNX's int4 rule (truncate toward zero,
wrap modulo 16)."""

import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import run_targets

FORMATS = {
    TensorProto.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn,
    TensorProto.FLOAT8E5M2: ml_dtypes.float8_e5m2,
    TensorProto.FLOAT8E4M3FNUZ: ml_dtypes.float8_e4m3fnuz,
    TensorProto.FLOAT8E5M2FNUZ: ml_dtypes.float8_e5m2fnuz,
    TensorProto.FLOAT4E2M1: ml_dtypes.float4_e2m1fn,
    TensorProto.INT4: ml_dtypes.int4,
    TensorProto.UINT4: ml_dtypes.uint4,
}


def values(rng):
    """Normal values over a wide range, every code's neighbourhood (ties
    included, through halfway points of the float8 grids), specials."""
    x = rng.standard_normal(4000) * np.exp2(rng.integers(-12, 12, 4000))
    grid = np.unique(np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e5m2)
                     .astype(np.float64))
    grid = grid[np.isfinite(grid)]
    mids = (grid[1:] + grid[:-1]) / 2
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 448.0, 464.0, 480.0, 57344.0,
               61440.0, 6.0, 7.0, -8.5, 7.9, 15.5, -16.0, 1e-10]
    return np.concatenate([x, grid, mids, special]).astype(np.float32)


def reference(x, to, saturate):
    dt = FORMATS[to]
    if to in (TensorProto.INT4, TensorProto.UINT4):
        # Values beyond int32 (and NaN, infinities) have no defined result.
        valid = np.abs(x) < 2.0 ** 31
        w = np.trunc(x[valid]).astype(np.int64) & 15
        out = np.zeros_like(x)
        out[valid] = (w ^ 8) - 8 if to == TensorProto.INT4 else w
        return out, valid
    if saturate:
        big = float(ml_dtypes.finfo(dt).max)
        x = np.where(np.isnan(x), x, np.clip(x, -big, big))
    return x.astype(dt).astype(np.float32), np.ones(x.shape, bool)


@pytest.mark.parametrize("to,saturate", [
    (TensorProto.FLOAT8E4M3FN, 1), (TensorProto.FLOAT8E4M3FN, 0),
    (TensorProto.FLOAT8E5M2, 1), (TensorProto.FLOAT8E5M2, 0),
    (TensorProto.FLOAT8E4M3FNUZ, 1), (TensorProto.FLOAT8E4M3FNUZ, 0),
    (TensorProto.FLOAT8E5M2FNUZ, 1), (TensorProto.FLOAT8E5M2FNUZ, 0),
    (TensorProto.FLOAT4E2M1, 1), (TensorProto.INT4, 1), (TensorProto.UINT4, 1)],
    ids=["e4m3fn", "e4m3fn-nosat", "e5m2", "e5m2-nosat", "e4m3fnuz", "e4m3fnuz-nosat",
         "e5m2fnuz", "e5m2fnuz-nosat", "e2m1", "int4", "uint4"])
def test_cast_roundtrip(to, saturate, tmp_path):
    """float32 -> format -> float32 (Cast, then CastLike of a graph input of
    the format): the format's values, bit for bit (NaN where ml_dtypes has
    NaN; int4 only from finite values)."""
    rng = np.random.default_rng(int(to) * 2 + saturate)
    x = values(rng)
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("Cast", ["x"], ["q"], to=to, saturate=saturate),
             helper.make_node("CastLike", ["q", "f"], ["y"])]
    if to in (TensorProto.INT4, TensorProto.UINT4):
        nodes[0] = helper.make_node("Cast", ["x"], ["q"], to=to)
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, x.shape)],
                          [vi("y", TensorProto.FLOAT, None), vi("q", to, None)],
                          [numpy_helper.from_array(np.zeros(1, np.float32), "f")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    m.ir_version = 11
    want, valid = reference(x, to, saturate)
    for target, outs in run_targets(m, {"x": x}, tmp_path).items():
        got = outs["y"]
        np.testing.assert_array_equal(np.isnan(got[valid]), np.isnan(want[valid]), err_msg=target)
        ok = valid & ~np.isnan(want)
        np.testing.assert_array_equal(got[ok].view(np.uint32), want[ok].view(np.uint32),
                                      err_msg=target)
        # The graph output of the format: its values (quant-run writes
        # minifloat codes as their float values, integers as integers).
        np.testing.assert_array_equal(outs["q"].astype(np.float32)[ok], want[ok], err_msg=target)


def run_with_tensor_file(model, tensor, tmp_path):
    """quant-run of `model` on both targets with its input x read from the
    TensorProto `tensor` (saved as x.pb): {target: output directory}."""
    import onnx
    import subprocess

    from qc_testing import BIN
    onnx.save(model, str(tmp_path / "m.onnx"))
    (tmp_path / "x.pb").write_bytes(tensor.SerializeToString())
    dirs = {}
    for target in ["interp", "cpu"]:
        out = tmp_path / target
        r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), f"--target={target}",
                            "--input", f"x={tmp_path / 'x.pb'}", "--output-dir", str(out)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        dirs[target] = out
    return dirs


@pytest.mark.parametrize("frm", [TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT4E2M1,
                                 TensorProto.INT4],
                         ids=["e4m3fn", "e2m1", "int4"])
def test_format_graph_input(frm, tmp_path):
    """A graph input of the format (every code, from a TensorProto file)
    cast to float16 and to int8 (int4) / float32: the codes' values."""
    bits = 4 if frm != TensorProto.FLOAT8E4M3FN else 8
    codes = np.arange(2 ** bits, dtype=np.uint8)
    if frm == TensorProto.INT4:
        want = ((codes.astype(np.int64) ^ 8) - 8).astype(np.float32)
    elif frm == TensorProto.FLOAT4E2M1:
        magnitude = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], np.float32)[codes % 8]
        want = np.where(codes >= 8, -magnitude, magnitude).astype(np.float32)
    else:
        want = codes.view(ml_dtypes.float8_e4m3fn).astype(np.float32)
    tensor = helper.make_tensor("x", frm, [len(codes)],
                                codes.tobytes() if bits == 8 else
                                bytes((codes[0::2] | (codes[1::2] << 4)).astype(np.uint8)),
                                raw=True)
    vi = helper.make_tensor_value_info
    second = TensorProto.INT8 if frm == TensorProto.INT4 else TensorProto.FLOAT
    g = helper.make_graph([helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
                           helper.make_node("Cast", ["x"], ["y"], to=second)], "g",
                          [vi("x", frm, [len(codes)])],
                          [vi("h", TensorProto.FLOAT16, None), vi("y", second, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    m.ir_version = 11
    for target, out in run_with_tensor_file(m, tensor, tmp_path).items():
        h, y = np.load(out / "h.npy"), np.load(out / "y.npy")
        assert h.dtype == np.float16 and y.dtype == (np.int8 if second == TensorProto.INT8
                                                     else np.float32)
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(h), nan, err_msg=target)
        np.testing.assert_array_equal(h[~nan].astype(np.float32), want[~nan], err_msg=target)
        np.testing.assert_array_equal(y[~nan].astype(np.float32), want[~nan], err_msg=target)


def pack_codes(codes, bits):
    """TensorProto raw data of 8- or 4-bit codes (4-bit: two per byte, the
    first in the low nibble)."""
    flat = codes.reshape(-1).astype(np.uint8)
    if bits == 8:
        return flat.tobytes()
    flat = np.concatenate([flat, np.zeros(len(flat) % 2, np.uint8)])
    return bytes((flat[0::2] | (flat[1::2] << 4)).astype(np.uint8))


def code_values(frm, codes):
    if frm == TensorProto.INT4:
        return ((codes.astype(np.int64) ^ 8) - 8).astype(np.float32)
    if frm == TensorProto.UINT4:
        return codes.astype(np.float32)
    if frm == TensorProto.FLOAT4E2M1:
        magnitude = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6], np.float32)[codes % 8]
        return np.where(codes >= 8, -magnitude, magnitude).astype(np.float32)
    return codes.view(ml_dtypes.float8_e4m3fn).astype(np.float32)


@pytest.mark.parametrize("frm", [TensorProto.INT4, TensorProto.UINT4,
                                 TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT4E2M1],
                         ids=["int4", "uint4", "e4m3fn", "e2m1"])
@pytest.mark.parametrize("granularity", ["tensor", "axis", "blocked"])
def test_dequantize_graph_input(frm, granularity, tmp_path):
    """DequantizeLinear of codes fed at run time (a graph input of the
    format) with its own per-tensor, per-axis (axis 1) or blocked (blocks
    of 4 along axis 1, the last one short) scales and, for the integer
    formats, zero points: (value - zero point) * scale, one rounding, bit
    for bit on both targets."""
    import onnx

    rng = np.random.default_rng(frm * 7 + len(granularity))
    bits = 8 if frm == TensorProto.FLOAT8E4M3FN else 4
    shape = (6, 10)
    codes = rng.integers(0, 2 ** bits, shape).astype(np.uint8)
    if frm == TensorProto.FLOAT8E4M3FN:
        codes[(codes & 0x7F) == 0x7F] = 0x3C  # no NaN codes
    pshape = {"tensor": (), "axis": (10,), "blocked": (6, 3)}[granularity]
    scale = (rng.random(pshape) * 0.2 + 0.01).astype(np.float32)
    integer = frm in (TensorProto.INT4, TensorProto.UINT4)
    zp = (rng.integers(-8, 8, pshape) if frm == TensorProto.INT4 else
          rng.integers(0, 16, pshape)).astype(np.int64) if integer else None
    expand = {"tensor": lambda p: p, "axis": lambda p: p,
              "blocked": lambda p: np.repeat(p, 4, axis=1)[:, :10]}[granularity]
    vals = code_values(frm, codes)
    want = ((vals - (expand(zp).astype(np.float32) if integer else 0)) * expand(scale))
    want = want.astype(np.float32)
    tensor = helper.make_tensor("x", frm, list(shape), pack_codes(codes, bits), raw=True)
    inits = [numpy_helper.from_array(scale, "s")]
    names = ["x", "s"]
    if integer:
        inits.append(helper.make_tensor("z", frm, list(pshape),
                                        pack_codes(zp.astype(np.uint8) & 15, 4), raw=True))
        names.append("z")
    attrs = {"axis": 1}
    if granularity == "blocked":
        attrs["block_size"] = 4
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("DequantizeLinear", names, ["y"], **attrs)], "g",
                          [vi("x", frm, list(shape))], [vi("y", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)])
    m.ir_version = 11
    from onnx.reference import ReferenceEvaluator
    np.testing.assert_array_equal(
        ReferenceEvaluator(m).run(None, {"x": onnx.numpy_helper.to_array(tensor)})[0], want,
        err_msg="ONNX's reference")
    for target, out in run_with_tensor_file(m, tensor, tmp_path).items():
        np.testing.assert_array_equal(np.load(out / "y.npy"), want, err_msg=target)

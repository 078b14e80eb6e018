"""quant-run --target=cpu on unsigned integer, f16, bf16 and f64 tensors:
exact results against numpy / ml_dtypes and the interpreter, including the
cases where a signed lowering or a double rounding would differ."""

import subprocess

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from qc_testing import BIN
from quantc import models


def run(module, inputs, tmp, target):
    out = tmp / f"out-{target}"
    cmd = [str(BIN / "quant-run"), str(module), "--output-dir", str(out),
           f"--target={target}"]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {p.stem: np.load(p) for p in out.glob("*.npy")}


UNSIGNED = """
func.func @main(%a: tensor<8xui8>, %b: tensor<8xui8>, %x: tensor<8xf32>,
                %u: tensor<8xui32>, %v: tensor<8xui32>)
    -> (tensor<8xui8>, tensor<8xi1>, tensor<8xi1>, tensor<8xf32>, tensor<8xui8>,
        tensor<8xui8>, tensor<8xui8>, tensor<8xi32>, tensor<8xui8>, tensor<8xui32>,
        tensor<8xi1>, tensor<8xf32>) {
  %0 = nn.div %a, %b : tensor<8xui8>, tensor<8xui8>
  %1 = nn.less %a, %b : tensor<8xui8>, tensor<8xui8>
  %2 = nn.greater %a, %b : tensor<8xui8>, tensor<8xui8>
  %3 = nn.cast %a to f32 : tensor<8xui8>
  %4 = nn.add %a, %b : tensor<8xui8>, tensor<8xui8>
  %5 = nn.sub %a, %b : tensor<8xui8>, tensor<8xui8>
  %6 = nn.mul %a, %b : tensor<8xui8>, tensor<8xui8>
  %7 = nn.cast %a to i32 : tensor<8xui8>
  %8 = nn.cast %x to ui8 : tensor<8xf32>
  %9 = nn.div %u, %v : tensor<8xui32>, tensor<8xui32>
  %10 = nn.less %u, %v : tensor<8xui32>, tensor<8xui32>
  %11 = nn.cast %u to f32 : tensor<8xui32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11
      : tensor<8xui8>, tensor<8xi1>, tensor<8xi1>, tensor<8xf32>, tensor<8xui8>,
        tensor<8xui8>, tensor<8xui8>, tensor<8xi32>, tensor<8xui8>, tensor<8xui32>,
        tensor<8xi1>, tensor<8xf32>
}
"""


def test_unsigned_integers(tmp_path):
    """Values >= 2^(w-1) (negative if read as signed) and wrapping results:
    the CPU computes unsigned division, comparison and conversion, and both
    targets wrap at the width."""
    (tmp_path / "u.mlir").write_text(UNSIGNED)
    a = np.array([200, 255, 7, 128, 0, 130, 99, 250], np.uint8)
    b = np.array([3, 1, 200, 127, 5, 129, 100, 2], np.uint8)
    x = np.array([0.0, 1.9, 127.5, 128.2, 254.9, 255.0, 3.0, 200.7], np.float32)
    u = np.array([4000000000, 7, 2**31, 2**31 + 5, 9, 3000000000, 1, 2**32 - 1],
                 np.uint32)
    v = np.array([3, 2**31 + 1, 2, 2**31, 10, 7, 1, 2**31], np.uint32)
    inputs = {"arg0": a, "arg1": b, "arg2": x, "arg3": u, "arg4": v}
    want = {
        "output0": a // b,
        "output1": a < b,
        "output2": a > b,
        "output3": a.astype(np.float32),
        "output4": a + b,  # numpy wraps uint8 too
        "output5": a - b,
        "output6": a * b,
        "output7": a.astype(np.int32),
        "output8": np.trunc(x).astype(np.uint8),
        "output9": u // v,
        "output10": u < v,
        "output11": u.astype(np.float32),
    }
    for target in ("cpu", "interp"):
        got = run(tmp_path / "u.mlir", inputs, tmp_path, target)
        assert got.keys() == want.keys()
        for k, w in want.items():
            # quant-run writes each output with its declared dtype.
            assert got[k].dtype == w.dtype, (target, k, got[k].dtype)
            np.testing.assert_array_equal(got[k], w, err_msg=f"{target} {k}")


INT64 = """
func.func @main(%u: tensor<8xui64>, %v: tensor<8xui64>, %a: tensor<8xi64>, %b: tensor<8xi64>,
                %x: tensor<8xi32>, %e: tensor<8xi32>)
    -> (tensor<8xui64>, tensor<8xi1>, tensor<8xi1>, tensor<8xf32>, tensor<8xi64>,
        tensor<8xi64>, tensor<8xi64>, tensor<8xf32>, tensor<8xi32>) {
  %0 = nn.div %u, %v : tensor<8xui64>, tensor<8xui64>
  %1 = nn.less %u, %v : tensor<8xui64>, tensor<8xui64>
  %2 = nn.greater %u, %v : tensor<8xui64>, tensor<8xui64>
  %3 = nn.cast %u to f32 : tensor<8xui64>
  %4 = nn.div %a, %b : tensor<8xi64>, tensor<8xi64>
  %5 = nn.add %a, %b : tensor<8xi64>, tensor<8xi64>
  %6 = nn.mul %a, %b : tensor<8xi64>, tensor<8xi64>
  %7 = nn.cast %a to f32 : tensor<8xi64>
  %8 = nn.pow %x, %e : tensor<8xi32>, tensor<8xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<8xui64>, tensor<8xi1>, tensor<8xi1>,
      tensor<8xf32>, tensor<8xi64>, tensor<8xi64>, tensor<8xi64>, tensor<8xf32>, tensor<8xi32>
}
"""


def test_64_bit_integers_and_integer_pow(tmp_path):
    """Values that a signed or double-based interpreter got wrong (found by
    differential fuzzing against the CPU): uint64 division and comparison
    above 2^63, int64 MIN / -1 and overflowing sums (wrap), conversions of
    64-bit integers to f32 rounded once, and integer pow by repeated
    squaring wrapping at the width, negative exponents giving 0 except for
    bases 1 and -1. Both targets, bit for bit."""
    (tmp_path / "i.mlir").write_text(INT64)
    top = 2**64 - 1
    u = np.array([15, top, 2**63 + 7, 2**63, 10, 1, 2**64 - 2**40, 2**53 + 2**29 + 1], np.uint64)
    v = np.array([top, 3, 2**63, 2**63 + 1, 3, top, 2**63 - 1, 1], np.uint64)
    lo, hi = -(2**63), 2**63 - 1
    a = np.array([lo, lo, hi, 7, -7, 2**53 + 2**29 + 1, -(2**62) - 1, 5], np.int64)
    b = np.array([-1, 1, 1, -2, 2, 3, 2, -1], np.int64)
    x = np.array([3, 7, 2, -3, 1, -1, 5, -1], np.int32)
    e = np.array([40, 31, -1, 3, -5, -3, 0, 4], np.int32)
    inputs = {"arg0": u, "arg1": v, "arg2": a, "arg3": b, "arg4": x, "arg5": e}

    def ipow(base, exp, bits=32):
        if exp < 0:
            return 1 if base == 1 else (-1 if exp % 2 else 1) if base == -1 else 0
        r = pow(int(base), int(exp), 2**bits)
        return r - 2**bits if r >= 2**(bits - 1) else r

    def wrap64(values):
        return np.array([(int(t) + 2**63) % 2**64 - 2**63 for t in values], np.int64)

    with np.errstate(over="ignore"):
        want = {
            "output0": u // v,
            "output1": u < v,
            "output2": u > v,
            "output3": u.astype(np.float32),
            # Truncating division; MIN / -1 wraps to MIN.
            "output4": wrap64([(-1 if (p < 0) != (q < 0) else 1) * (abs(p) // abs(q))
                               for p, q in zip(a.tolist(), b.tolist())]),
            "output5": wrap64([p + q for p, q in zip(a.tolist(), b.tolist())]),
            "output6": wrap64([p * q for p, q in zip(a.tolist(), b.tolist())]),
            "output7": a.astype(np.float32),
            "output8": np.array([ipow(p, q) for p, q in zip(x, e)], np.int32),
        }
    # numpy converts 64-bit integers to f32 in one rounding: 2^53 + 2^29 + 1
    # rounds up to 2^53 + 2^30 (through a double it would tie down to 2^53).
    assert want["output3"][7] == np.float32(2**53 + 2**30)
    for target in ("cpu", "interp"):
        got = run(tmp_path / "i.mlir", inputs, tmp_path, target)
        for k, w in want.items():
            assert got[k].dtype == w.dtype, (target, k, got[k].dtype)
            np.testing.assert_array_equal(got[k], w, err_msg=f"{target} {k}")


def test_saturating_casts_to_64_bits(tmp_path):
    """f32 -> i64 / ui64 saturate at the type's range (2^63 - 1 is not a
    double: the interpreter's clamp to it gave -2^63 for +inf)."""
    text = ("func.func @main(%x: tensor<8xf32>) -> (tensor<8xi64>, tensor<8xui64>) {\n"
            "%0 = nn.cast %x to i64 : tensor<8xf32>\n"
            "%1 = nn.cast %x to ui64 : tensor<8xf32>\n"
            "return %0, %1 : tensor<8xi64>, tensor<8xui64>\n}\n")
    (tmp_path / "c.mlir").write_text(text)
    x = np.array([np.inf, -np.inf, np.nan, 2.0**63, -(2.0**63), 1.5e19, 2.0**64, -1.5],
                 np.float32)
    lo, hi = -(2**63), 2**63 - 1
    want_i = np.array([hi, lo, 0, hi, lo, hi, hi, -1], np.int64)
    want_u = np.array([2**64 - 1, 0, 0, 2**63, 0, 15000000520515485696, 2**64 - 1, 0],
                      np.uint64)
    assert int(np.float32(1.5e19)) == 15000000520515485696
    for target in ("cpu", "interp"):
        got = run(tmp_path / "c.mlir", {"arg0": x}, tmp_path, target)
        np.testing.assert_array_equal(got["output0"], want_i, err_msg=target)
        np.testing.assert_array_equal(got["output1"], want_u, err_msg=target)


def test_integer_zero_to_negative_power(tmp_path):
    """0 ^ -1: the interpreter reports it, the compiled code gives 0 (as for a
    division by zero) instead of math.ipowi's undefined 1 / 0."""
    text = ("func.func @main(%x: tensor<2xi32>, %e: tensor<2xi32>) -> tensor<2xi32> {\n"
            "%0 = nn.pow %x, %e : tensor<2xi32>, tensor<2xi32>\n"
            "return %0 : tensor<2xi32>\n}\n")
    (tmp_path / "p.mlir").write_text(text)
    inputs = {"arg0": np.array([0, 2], np.int32), "arg1": np.array([-1, 3], np.int32)}
    got = run(tmp_path / "p.mlir", inputs, tmp_path, "cpu")
    np.testing.assert_array_equal(got["output0"], [0, 8])
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "p.mlir"), "--input",
                        f"arg0={tmp_path / 'arg0.npy'}", "--input", f"arg1={tmp_path / 'arg1.npy'}"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "integer zero raised to a negative power" in r.stderr


def test_pow_integer_base_float_exponent(tmp_path):
    """ONNX Pow(int32, float): the power in float, converted back (4 ^ 0.5 =
    2, as ONNX's reference), saturating like Cast."""
    g = helper.make_graph([helper.make_node("Pow", ["x", "y"], ["z"], name="pow")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.INT32, [6]),
                           helper.make_tensor_value_info("y", TensorProto.FLOAT, [6])],
                          [helper.make_tensor_value_info("z", TensorProto.INT32, [6])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              str(tmp_path / "pow.onnx"))
    x = np.array([4, 2, 3, 9, 3, 27], np.int32)
    y = np.array([0.5, 5.0, 3e38, 1.5, -1.0, 1 / 3], np.float32)
    want = np.array([2, 32, 2**31 - 1, 27, 0, 3], np.int32)
    for target in ("cpu", "interp"):
        got = run(tmp_path / "pow.onnx", {"x": x, "y": y}, tmp_path, target)
        np.testing.assert_array_equal(got["z"], want, err_msg=target)


FLOATS = """
func.func @main(%x: tensor<6xf32>, %y: tensor<6xf32>, %p: tensor<4xf32>, %q: tensor<4xf32>)
    -> (tensor<6xf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xf16>, tensor<6xf64>,
        tensor<4xf16>, tensor<4xbf16>) {
  %0 = nn.cast %x to f16 : tensor<6xf32>
  %1 = nn.cast %x to bf16 : tensor<6xf32>
  %yb = nn.cast %y to bf16 : tensor<6xf32>
  %2 = nn.add %1, %yb : tensor<6xbf16>, tensor<6xbf16>
  %yh = nn.cast %y to f16 : tensor<6xf32>
  %3 = nn.mul %0, %yh : tensor<6xf16>, tensor<6xf16>
  %4 = nn.cast %x to f64 : tensor<6xf32>
  %pd = nn.cast %p to f64 : tensor<4xf32>
  %qd = nn.cast %q to f64 : tensor<4xf32>
  %c = nn.add %pd, %qd : tensor<4xf64>, tensor<4xf64>
  %5 = nn.cast %c to f16 : tensor<4xf64>
  %6 = nn.cast %c to bf16 : tensor<4xf64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<6xf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xf16>,
      tensor<6xf64>, tensor<4xf16>, tensor<4xbf16>
}
"""


def test_half_bfloat_double(tmp_path):
    """f16 / bf16 arithmetic rounds after each op (bf16 through integer code,
    no runtime library), casts round to nearest even, and f64 -> f16 / bf16
    rounds once: 1 + 2^-11 + 2^-40 is just above a tie of f16 (and 1 + 2^-8
    + 2^-49 of bf16), which a rounding through f32 to nearest would lose."""
    (tmp_path / "f.mlir").write_text(FLOATS)
    x = np.array([1.0009765625, 3.14159265, -65519.0, 1e-8, 70000.0,
                  0.33333334], np.float32)
    y = np.array([2.5, -1.0e-3, 0.5, 3.0, 1.0, 1.0e5], np.float32)
    bf = ml_dtypes.bfloat16
    # Sums computed in f64 at run time (constants would be folded at
    # compile time by APFloat, which rounds once anyway).
    p = np.array([1 + 2.0**-11, 1 + 2.0**-8, -(1 + 2.0**-11), 3e38], np.float32)
    q = np.array([2.0**-40, 2.0**-49, -(2.0**-40), 3e38], np.float32)
    c = p.astype(np.float64) + q
    assert c[0] == 1 + 2.0**-11 + 2.0**-40 and c[1] == 1 + 2.0**-8 + 2.0**-49
    with np.errstate(over="ignore"):
        want = {
            "output0": x.astype(np.float16),  # 70000 -> inf, 1e-8 -> 0
            "output1": x.astype(bf),
            "output2": (x.astype(bf).astype(np.float32)
                        + y.astype(bf).astype(np.float32)).astype(bf),
            "output3": (x.astype(np.float16).astype(np.float32)
                        * y.astype(np.float16).astype(np.float32)).astype(np.float16),
            "output4": x.astype(np.float64),
            # Correctly rounded: up (not the tie's even 1.0); beyond f32's
            # range, inf.
            "output5": np.array([1 + 2.0**-10, 1 + 2.0**-8, -(1 + 2.0**-10), np.inf]),
            "output6": np.array([1.0, 1 + 2.0**-7, -1.0, np.inf]),
        }
    # numpy rounds f64 -> f16 once too; ml_dtypes rounds f64 -> bf16 through
    # f32 and gets 1.0 for c[1].
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(c.astype(np.float16), want["output5"])
    assert c[1].astype(bf) == 1.0
    inputs = {"arg0": x, "arg1": y, "arg2": p, "arg3": q}
    with np.errstate(over="ignore"):
        want = {k: np.asarray(w).astype(np.float32) for k, w in want.items()}
    got = run(tmp_path / "f.mlir", inputs, tmp_path, "cpu")
    assert got.keys() == want.keys()
    dtypes = {"output0": np.float16, "output3": np.float16, "output4": np.float64,
              "output5": np.float16}  # bf16 (no NumPy dtype) as float32
    for k, w in want.items():
        assert got[k].dtype == dtypes.get(k, np.float32), (k, got[k].dtype)
        np.testing.assert_array_equal(got[k], w, err_msg=k)
    # The interpreter holds f16 / bf16 in f32 and rounds every result to
    # its type: it agrees on those; it holds f64 in f32 too, so the f64 sums
    # (output5, output6) differ.
    interp = run(tmp_path / "f.mlir", inputs, tmp_path, "interp")
    for k in ("output0", "output1", "output2", "output3", "output4"):
        np.testing.assert_array_equal(interp[k], got[k], err_msg=k)


HALF_OPS = """
func.func @main(%x: tensor<8xf16>, %y: tensor<8xf16>, %u: tensor<1x4096xf16>,
                %v: tensor<4096x1xf16>, %p: tensor<8xbf16>, %q: tensor<8xbf16>)
    -> (tensor<8xf16>, tensor<1x1xf16>, tensor<1xf16>, tensor<1x1xf16>, tensor<8xbf16>) {
  %s = nn.add %x, %y : tensor<8xf16>, tensor<8xf16>
  %0 = nn.sub %s, %x : tensor<8xf16>, tensor<8xf16>
  %1 = nn.matmul %u, %v : tensor<1x4096xf16>, tensor<4096x1xf16>
  %2 = nn.reduce_sum %u {axes = array<i64: 1>, keepdims = false} : tensor<1x4096xf16>
  %3 = nn.reduce_mean %u {axes = array<i64: 1>} : tensor<1x4096xf16>
  %sb = nn.add %p, %q : tensor<8xbf16>, tensor<8xbf16>
  %4 = nn.sub %sb, %p : tensor<8xbf16>, tensor<8xbf16>
  return %0, %1, %2, %3, %4 : tensor<8xf16>, tensor<1x1xf16>, tensor<1xf16>, tensor<1x1xf16>,
      tensor<8xbf16>
}
"""


def test_half_ops_compute_in_f32_and_round_once(tmp_path):
    """A float16 / bfloat16 op is the f32 op with its result rounded once
    (--qc-nn-promote-half), on both targets: (1 + 2^-11) - 1 is 0 in float16
    (the sum rounds to 1), (1 + 2^-8) - 1 is 0 in bfloat16, and a matmul or
    sum of 4096 ones is 4096 (an f16 accumulator would stop at 2048)."""
    (tmp_path / "h.mlir").write_text(HALF_OPS)
    bf = ml_dtypes.bfloat16
    inputs = {"arg0": np.ones(8, np.float16),
              "arg1": np.full(8, 2.0**-11, np.float16),
              "arg2": np.ones((1, 4096), np.float16),
              "arg3": np.ones((4096, 1), np.float16),
              # bfloat16 inputs are given as f32 arrays and rounded on entry.
              "arg4": np.ones(8, np.float32),
              "arg5": np.full(8, 2.0**-8, np.float32)}
    want = {"output0": np.zeros(8), "output1": [[4096.0]], "output2": [4096.0],
            "output3": [[1.0]], "output4": np.zeros(8)}
    assert (np.float16(1) + np.float16(2.0**-11)) == 1 and bf(1) + bf(2.0**-8) == 1
    for target in ("cpu", "interp"):
        got = run(tmp_path / "h.mlir", inputs, tmp_path, target)
        for k, w in want.items():
            np.testing.assert_array_equal(got[k], np.asarray(w, got[k].dtype),
                                          err_msg=f"{target} {k}")


@pytest.mark.parametrize("name,dtype", [("llama", "float16"), ("bert", "float16"),
                                        ("gpt", "float16"), ("resnet", "float16"),
                                        ("llama", "bfloat16")])
def test_half_models_cpu_equals_interpreter(name, dtype, tmp_path):
    """float16 / bfloat16 versions of the test models (as fp16 exports
    come): the compiled code equals the interpreter bit for bit, and float16
    stays within 5e-3 relative L2 of onnxruntime (which rounds between other
    ops; measured 7e-4 to 1.1e-3)."""
    elem = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.BFLOAT16
    model = models.half(getattr(models, name)(), elem)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    inputs = models.sample_inputs(model, seed=5)
    cpu = run(path, inputs, tmp_path, "cpu")
    interp = run(path, inputs, tmp_path, "interp")
    assert cpu.keys() == interp.keys()
    for k in cpu:
        np.testing.assert_array_equal(cpu[k], interp[k], err_msg=k)
    if dtype == "float16":
        # onnxruntime's optimizer fails on the float16 Llama graph
        # (SimplifiedLayerNormFusion); run it unoptimized.
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(model.SerializeToString(), so,
                                    providers=["CPUExecutionProvider"])
        ref = sess.run(None, inputs)[0].astype(np.float64)
        out = model.graph.output[0].name
        assert cpu[out].dtype == np.float16
        got = cpu[out].astype(np.float64)
        assert np.linalg.norm(got - ref) / np.linalg.norm(ref) <= 5e-3


def test_uint8_image_preprocessing(tmp_path):
    """An ONNX graph as exporters write image preprocessing: a uint8 image,
    Cast to float, scaled and shifted, a uint8 mask comparison; CPU,
    interpreter and onnxruntime agree exactly."""
    img = helper.make_tensor_value_info("img", TensorProto.UINT8, [1, 3, 4, 4])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
    bright = helper.make_tensor_value_info("bright", TensorProto.BOOL, [1, 3, 4, 4])
    half = helper.make_tensor_value_info("half", TensorProto.UINT8, [1, 3, 4, 4])
    nodes = [
        helper.make_node("Cast", ["img"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["f", "s"], ["g"]),
        helper.make_node("Sub", ["g", "m"], ["y"]),
        helper.make_node("Greater", ["img", "t"], ["bright"]),
        helper.make_node("Div", ["img", "two"], ["half"]),
    ]
    inits = [
        onnx.numpy_helper.from_array(np.array(255.0, np.float32), "s"),
        onnx.numpy_helper.from_array(np.array([0.485, 0.456, 0.406], np.float32)
                                     .reshape(1, 3, 1, 1), "m"),
        onnx.numpy_helper.from_array(np.array(127, np.uint8), "t"),
        onnx.numpy_helper.from_array(np.array(2, np.uint8), "two"),
    ]
    graph = helper.make_graph(nodes, "pre", [img], [out, bright, half], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "pre.onnx"))
    x = np.random.default_rng(0).integers(0, 256, (1, 3, 4, 4)).astype(np.uint8)
    ref = ort.InferenceSession(model.SerializeToString(),
                               providers=["CPUExecutionProvider"]).run(None, {"img": x})
    for target in ("cpu", "interp"):
        got = run(tmp_path / "pre.onnx", {"img": x}, tmp_path, target)
        np.testing.assert_array_equal(got["y"], ref[0], err_msg=target)
        np.testing.assert_array_equal(got["bright"].astype(bool), ref[1],
                                      err_msg=target)
        np.testing.assert_array_equal(got["half"], ref[2].astype(got["half"].dtype),
                                      err_msg=target)

"""quant-run's --input files: conversions to the function's argument types
and the errors for files that do not fit (both targets)."""

import subprocess

import numpy as np
import pytest

from qc_testing import BIN

IDENTITY = """
func.func @main(%ids: tensor<4xi64>, %x: tensor<4xf32>) -> (tensor<4xi64>, tensor<4xf32>) {
  return %ids, %x : tensor<4xi64>, tensor<4xf32>
}
"""


def quant_run(tmp, ids, x=None, target="interp"):
    (tmp / "m.mlir").write_text(IDENTITY)
    np.save(tmp / "ids.npy", ids)
    np.save(tmp / "x.npy", np.arange(4, dtype=np.float32) if x is None else x)
    out = tmp / f"out-{target}"
    r = subprocess.run([str(BIN / "quant-run"), str(tmp / "m.mlir"), f"--target={target}",
                        "--input", f"arg0={tmp / 'ids.npy'}", "--input",
                        f"arg1={tmp / 'x.npy'}", "--output-dir", str(out)],
                       capture_output=True, text=True)
    return r, out


@pytest.mark.parametrize("target", ["interp", "cpu"])
def test_int64_inputs_are_exact(target, tmp_path):
    """Integer arrays reach integer arguments exactly, also past 2^53 where a
    double would round them."""
    ids = np.array([2**53 + 1, -(2**62) - 3, 2**63 - 1, -(2**63)], np.int64)
    r, out = quant_run(tmp_path, ids, target=target)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(out / "output0.npy"), ids)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int8, np.uint32, np.bool_])
def test_narrower_integer_arrays_widen(dtype, tmp_path):
    ids = np.array([0, 1, 1, 0]) if dtype == np.bool_ else np.array([0, 1, 100, 127])
    r, out = quant_run(tmp_path, ids.astype(dtype))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(out / "output0.npy"), ids.astype(np.int64))


def test_integral_floats_convert(tmp_path):
    r, out = quant_run(tmp_path, np.array([0.0, -3.0, 7.0, 2.0**40], np.float32))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(out / "output0.npy"), [0, -3, 7, 2**40])


@pytest.mark.parametrize("value,shown", [(1.5, "1.500000"), (np.nan, "nan"),
                                         (np.inf, "inf"), (2.0**63, "9223372036854775808")])
def test_non_integer_floats_are_errors(value, shown, tmp_path):
    r, out = quant_run(tmp_path, np.array([0.0, value, 1.0, 2.0], np.float64))
    assert r.returncode == 1
    assert (f"input 'arg0': element 1 of the f8 array is {shown}" in r.stderr
            and "not an integer" in r.stderr), r.stderr
    assert not out.exists()


def test_file_errors(tmp_path):
    r, out = quant_run(tmp_path, np.zeros((2, 2), np.int64))
    assert r.returncode == 1 and "input 'arg0': shape 2x2 does not match 4" in r.stderr
    (tmp_path / "ids.npy").write_bytes(b"\x93NUMPY\x01\x00\xff\xff{garbage")
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.mlir"), "--input",
                        f"arg0={tmp_path / 'ids.npy'}", "--input", f"arg1={tmp_path / 'x.npy'}"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "truncated header" in r.stderr
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.mlir"), "--input",
                        f"arg1={tmp_path / 'x.npy'}"], capture_output=True, text=True)
    assert r.returncode == 1 and "missing --input arg0=FILE" in r.stderr
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.mlir"), "--input",
                        f"nosuch={tmp_path / 'x.npy'}"], capture_output=True, text=True)
    assert r.returncode == 1 and "'nosuch' is not an input of @main" in r.stderr


def test_symbolic_dimensions_come_from_the_input_files(tmp_path):
    """A model with symbolic dimensions runs on the shapes of its --input
    files (no --input-shape needed), on both targets; a file whose shape
    disagrees with a declared static dimension is a clear error."""
    import onnx
    from onnx import TensorProto, helper

    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"], name="add")], "g",
                          [vi("a", TensorProto.FLOAT, ["batch", 3]),
                           vi("b", TensorProto.FLOAT, ["batch", 3])],
                          [vi("y", TensorProto.FLOAT, ["batch", 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(tmp_path / "m.onnx"))
    rng = np.random.default_rng(0)
    for batch in (1, 4):
        a, b = (rng.standard_normal((batch, 3)).astype(np.float32) for _ in range(2))
        np.save(tmp_path / "a.npy", a)
        np.save(tmp_path / "b.npy", b)
        for target in ("interp", "cpu"):
            subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"),
                            f"--target={target}", "--input", f"a={tmp_path / 'a.npy'}",
                            "--input", f"b={tmp_path / 'b.npy'}", "--output-dir",
                            str(tmp_path / "out")], check=True, capture_output=True)
            np.testing.assert_array_equal(np.load(tmp_path / "out" / "y.npy"), a + b)
    np.save(tmp_path / "b.npy", np.zeros((4, 5), np.float32))
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), "--input",
                        f"a={tmp_path / 'a.npy'}", "--input", f"b={tmp_path / 'b.npy'}"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "input 'b'" in r.stderr and "4x5" in r.stderr.replace(" ", ""), r.stderr

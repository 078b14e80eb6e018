"""quant-run --target=cpu --cpu-vector-math (--qc-lower-to-cpu
"vector-math=true"): polynomial exp / tanh / erf / log / sigmoid against the
interpreter's libm values, special values exact, and the float models within
the CPU target's 1e-5 bound."""

import onnx
import numpy as np
import pytest

from qc_testing import rel_l2
from quantc import models
from test_cpu_target import MODELS, compare_targets, run

FUNCS = """
func.func @main(%x: tensor<80xf32>) -> (tensor<80xf32>, tensor<80xf32>, tensor<80xf32>,
                                        tensor<80xf32>, tensor<80xf32>) {
  %0 = nn.exp %x : tensor<80xf32>
  %1 = nn.tanh %x : tensor<80xf32>
  %2 = nn.erf %x : tensor<80xf32>
  %3 = nn.log %x : tensor<80xf32>
  %4 = nn.sigmoid %x : tensor<80xf32>
  return %0, %1, %2, %3, %4 : tensor<80xf32>, tensor<80xf32>, tensor<80xf32>,
      tensor<80xf32>, tensor<80xf32>
}
"""


def test_functions_close_to_libm(tmp_path):
    """Within 4 ulp-sized relative errors (measured: at most 2.4e-7) of
    libm where the result is a normal float; overflow to inf, underflow to
    0, NaN, infinities and signed zeros as libm."""
    (tmp_path / "f.mlir").write_text(FUNCS)
    special = np.array([0.0, -0.0, 1.0, -1.0, 88.7, 89.0, -87.0, -104.0, -200.0,
                        200.0, np.inf, -np.inf, np.nan, 1e-30, 3.14159, 20.0],
                       np.float32)
    x = np.concatenate([special, np.random.default_rng(0).standard_normal(64)
                        .astype(np.float32) * 5])
    want, _ = run(tmp_path / "f.mlir", {"arg0": x}, tmp_path, "interp")
    got, _ = run(tmp_path / "f.mlir", {"arg0": x}, tmp_path, "cpu",
                 ["--cpu-vector-math"])
    tiny = np.finfo(np.float32).tiny
    for k in sorted(want):
        w, g = want[k], got[k]
        normal = np.isfinite(w) & (np.abs(w) >= tiny)
        err = np.abs(g[normal].astype(np.float64) - w[normal]) / np.abs(w[normal])
        assert err.max() <= 5e-7, (k, float(err.max()))
        # NaN, +-inf and zeros exactly, infinities and zeros with their sign
        # (except erf(-0), which MLIR's approximation returns as +0).
        rest = ~normal
        np.testing.assert_array_equal(g[rest], w[rest], err_msg=k)
        signed = rest & ~np.isnan(w)
        if k == "output2":
            signed &= w != 0
        np.testing.assert_array_equal(np.signbit(g[signed]), np.signbit(w[signed]),
                                      err_msg=k)


@pytest.mark.parametrize("name", ["llama", "bert", "gpt"])
def test_models_with_vector_math(name, tmp_path):
    model = MODELS[name]()
    onnx.save(model, str(tmp_path / "m.onnx"))
    for k, (got, want) in compare_targets(tmp_path / "m.onnx",
                                          models.sample_inputs(model, seed=1), tmp_path,
                                          ["--cpu-vector-math"]).items():
        err = rel_l2(got, want)
        assert 0 < err <= 1e-5, (name, k, err)  # not libm, but close

"""NVFP4 (E2M1 elements, blocks of 16, E4M3 block scales, f32 tensor scale)
bit-exact against a NumPy implementation of the rule in float32 arithmetic:

  g   = amax(x) / (6 * 448)
  s_b = e4m3_sat((amax_b / 6) / g)
  q_i = e2m1_sat(x_i / (s_b * g))   (0 when s_b * g == 0)
"""

import ml_dtypes
import numpy as np

from quantc import numerics as qn


def nvfp4_reference(x):
    x = x.astype(np.float32)
    rows, cols = x.shape
    amax = np.float32(np.abs(x).max())
    g = np.float32(1.0) if amax == 0 else amax / np.float32(6.0 * 448.0)
    blocks = x.reshape(rows, cols // 16, 16)
    bmax = np.abs(blocks).max(axis=-1)
    bs = (bmax / np.float32(6.0)) / g
    bs = np.clip(bs, -448, 448).astype(ml_dtypes.float8_e4m3fn)
    eff = bs.astype(np.float32) * g
    with np.errstate(divide="ignore", invalid="ignore"):
        q = blocks / eff[..., None]
    q = np.where(eff[..., None] == 0, 0, np.clip(q, -6, 6)).astype(np.float32)
    codes = q.astype(ml_dtypes.float4_e2m1fn).view(np.uint8)
    return codes.reshape(rows, cols), bs.view(np.uint8), g


def test_nvfp4_bit_exact():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 512)).astype(np.float32)
    x[:, 5] *= 80
    x[3, :] = 0  # all-zero blocks
    codes, scales, g = qn.nvfp4_quantize(x)
    want_codes, want_scales, want_g = nvfp4_reference(x)
    assert np.float32(g) == want_g
    assert np.array_equal(scales, want_scales)
    assert np.array_equal(codes, want_codes)
    y = qn.nvfp4_dequantize(codes, scales, g)
    e = codes.view(ml_dtypes.float4_e2m1fn).astype(np.float32)
    s = np.repeat(scales.view(ml_dtypes.float8_e4m3fn).astype(np.float32), 16, axis=1)
    assert np.array_equal(y, e * (s * np.float32(g)))

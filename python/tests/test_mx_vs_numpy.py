"""OCP MX block quantization, bit-exact against a NumPy implementation of the
OCP Microscaling v1.0 rule written here, independently of QuantC:

  shared_exp = floor(log2(max |V_i|)) - emax_elem, clamped to [-127, 127]
  X = 2^shared_exp (E8M0 code shared_exp + 127; NaN code 0xFF when the block
      holds NaN or infinity; code 0 for an all-zero block)
  P_i = quantize_RNE(V_i / X) saturated to the element's max normal.
"""

import ml_dtypes
import numpy as np
import pytest

from quantc import numerics as qn

ELEMENTS = {
    # name: (ml_dtypes type or None for int8, emax_elem, max normal)
    "fp8e4m3": (ml_dtypes.float8_e4m3fn, 8, 448.0),
    "fp8e5m2": (ml_dtypes.float8_e5m2, 15, 57344.0),
    "fp6e2m3": (ml_dtypes.float6_e2m3fn, 2, 7.5),
    "fp6e3m2": (ml_dtypes.float6_e3m2fn, 4, 28.0),
    "fp4e2m1": (ml_dtypes.float4_e2m1fn, 2, 6.0),
    "int8": (None, 0, 127.0 / 64),
}


def mx_reference(element, x, block=32):
    dtype, emax, top = ELEMENTS[element]
    rows, cols = x.shape
    v = x.astype(np.float64).reshape(rows, cols // block, block)
    bad = ~np.isfinite(v).all(axis=-1)
    amax = np.where(np.isfinite(v), np.abs(v), 0).max(axis=-1)
    _, e = np.frexp(amax)  # amax = f * 2^e, f in [0.5, 1)
    shared = np.where(amax > 0, e - 1 - emax, -127)
    shared = np.clip(shared, -127, 127)
    scales = np.where(bad, 255, shared + 127).astype(np.uint8)
    scaled = np.where(np.isfinite(v), v, 0) / np.exp2(shared)[..., None]
    if dtype is None:
        codes = np.clip(np.rint(scaled * 64), -127, 127).astype(np.int8).view(np.uint8)
    else:
        clipped = np.clip(scaled, -top, top)
        codes = clipped.astype(dtype).view(np.uint8)
    codes = np.where(bad[..., None], 0, codes).astype(np.uint8)
    return codes.reshape(rows, cols), scales


def reference_decode(element, codes, scales, block=32):
    dtype, _, _ = ELEMENTS[element]
    if dtype is None:
        vals = codes.view(np.int8).astype(np.float64) / 64
    else:
        vals = codes.view(dtype).astype(np.float64)
    rows, cols = codes.shape
    s = np.repeat(scales.astype(np.float64), block, axis=1)
    out = vals * np.exp2(s - 127)
    return np.where(s == 255, np.nan, out).astype(np.float32)


def random_blocks(rng, rows=512, cols=256):
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    # Per-row magnitudes from 1e-30 to 1e30 and 50-100x outlier channels.
    x *= np.float32(10.0) ** rng.uniform(-30, 30, (rows, 1)).astype(np.float32)
    x[:, rng.integers(0, cols, 8)] *= np.float32(rng.uniform(50, 100))
    return x


def edge_blocks():
    b = np.zeros((12, 32), dtype=np.float32)
    b[1, 0] = np.nan                     # NaN block
    b[2, 3] = np.inf                     # infinity
    b[3, :] = 4.0                        # block max exactly a power of two
    b[4, 0] = 8.0                        # power of two above emax
    b[4, 1:] = np.linspace(-8, 8, 31)
    b[5, 0] = np.nextafter(np.float32(8.0), np.float32(0))  # just below 2^3
    b[5, 1] = 7.0
    b[6, 0] = 1e-40                      # float32 subnormal: scale clamps
    b[7, 0] = 3.0e38                     # near float32 max
    b[7, 1] = -3.0e38
    b[8, :] = -0.0                       # negative zeros
    b[9, :16] = 2.5                      # ties after scaling
    b[9, 16:] = -2.5
    b[10, 0] = 2.0**-140                 # clamped to 2^-127
    b[10, 1] = 2.0**-133
    b[11] = np.arange(32, dtype=np.float32) * 0.25 - 4
    return b


@pytest.mark.parametrize("element", ELEMENTS)
def test_mx_bit_exact(element):
    rng = np.random.default_rng(1234)
    for x in (random_blocks(rng), edge_blocks()):
        codes, scales = qn.mx_quantize(element, x)
        want_codes, want_scales = mx_reference(element, x)
        assert np.array_equal(scales, want_scales)
        bad = np.nonzero(codes != want_codes)
        assert bad[0].size == 0, (
            f"{bad[0].size} element mismatches at {list(zip(*bad))[:5]}")
        got = qn.mx_dequantize(element, codes, scales)
        want = reference_decode(element, codes, scales)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        fin = ~np.isnan(want)
        assert np.array_equal(got[fin], want[fin])


def test_mx_edge_values():
    codes, scales = qn.mx_quantize("fp4e2m1", edge_blocks())
    assert scales[1, 0] == 255 and scales[2, 0] == 255
    assert scales[0, 0] == 0          # all-zero block
    assert scales[3, 0] == 127        # 4.0: floor(log2 4) - 2 = 0
    assert scales[4, 0] == 128        # 8.0: 3 - 2 = 1
    assert scales[6, 0] == 0 and scales[10, 0] == 0  # clamped to -127
    assert scales[7, 0] == 127 + 127 - 2


def test_bad_element():
    with pytest.raises(ValueError, match="unknown MX element"):
        qn.mx_quantize("fp3", np.zeros((1, 32)))

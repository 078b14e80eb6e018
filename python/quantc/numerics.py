"""NumPy bindings over QuantC's Support/Numerics C API (libQuantCNumericsC).

The shared library is found through $QUANTC_LIB_DIR, else the build tree of a
source checkout (build/lib). Every function checks its arguments and raises
ValueError on an unknown format or bad shapes.
"""

from __future__ import annotations

import ctypes
import os
import pathlib

import numpy as np

ROUNDING = {
    "nearest_even": 0,
    "nearest_away": 1,
    "toward_zero": 2,
    "floor": 3,
    "ceil": 4,
    "stochastic": 5,
}

MX_ELEMENTS = ("fp8e4m3", "fp8e5m2", "fp6e2m3", "fp6e3m2", "fp4e2m1", "int8")


def _find_library() -> ctypes.CDLL:
    names = ["libQuantCNumericsC.so"]
    dirs = []
    if os.environ.get("QUANTC_LIB_DIR"):
        dirs.append(pathlib.Path(os.environ["QUANTC_LIB_DIR"]))
    root = pathlib.Path(__file__).resolve().parents[2]
    dirs.append(root / "build" / "lib")
    for d in dirs:
        for n in names:
            if (d / n).exists():
                return ctypes.CDLL(str(d / n))
    raise OSError(
        "libQuantCNumericsC.so not found: build QuantC or set QUANTC_LIB_DIR "
        f"(searched {', '.join(str(d) for d in dirs)})"
    )


_lib = _find_library()
_P = ctypes.c_void_p
_lib.qcFormatBits.argtypes = [ctypes.c_char_p]
_lib.qcEncode.argtypes = [ctypes.c_char_p, _P, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_uint64, _P]
_lib.qcDecode.argtypes = [ctypes.c_char_p, _P, ctypes.c_size_t, _P]
_lib.qcMXQuantize.argtypes = [ctypes.c_char_p, _P, ctypes.c_int64,
                              ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                              _P, _P]
_lib.qcMXDequantize.argtypes = [ctypes.c_char_p, _P, _P, ctypes.c_int64,
                                ctypes.c_int64, ctypes.c_int64, _P]
_lib.qcNVFP4Quantize.argtypes = [_P, ctypes.c_int64, ctypes.c_int64,
                                 ctypes.c_float, _P, _P, _P]
_lib.qcNVFP4Dequantize.argtypes = [_P, _P, ctypes.c_int64, ctypes.c_int64,
                                   ctypes.c_float, _P]
_lib.qcHadamardMatrix.argtypes = [ctypes.c_int64, _P]


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def format_bits(name: str) -> int:
    """Width in bits of a format name (e.g. 'int4', 'fp8e4m3fn')."""
    bits = _lib.qcFormatBits(name.encode())
    if bits < 0:
        raise ValueError(f"unknown format '{name}'")
    return bits


def encode(name: str, x, rounding: str = "nearest_even", seed: int = 0) -> np.ndarray:
    """Codes (uint32) of the values `x` in format `name` (no scaling)."""
    format_bits(name)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(x.shape, dtype=np.uint32)
    if _lib.qcEncode(name.encode(), _ptr(x), x.size, ROUNDING[rounding], seed, _ptr(out)):
        raise ValueError("encode failed")
    return out


def decode(name: str, codes) -> np.ndarray:
    """Values (float64) of the codes of format `name`."""
    format_bits(name)
    c = np.ascontiguousarray(codes, dtype=np.uint32)
    out = np.empty(c.shape, dtype=np.float64)
    if _lib.qcDecode(name.encode(), _ptr(c), c.size, _ptr(out)):
        raise ValueError("decode failed")
    return out


def _rows_cols(x: np.ndarray):
    if x.ndim != 2:
        raise ValueError("expected a 2-D array (blocks run along the last axis)")
    return x.shape


def mx_quantize(element: str, x, block: int = 32, rounding: str = "nearest_even"):
    """OCP MX quantization along the last axis: (element codes, E8M0 scales)."""
    if element not in MX_ELEMENTS:
        raise ValueError(f"unknown MX element '{element}'")
    x = np.ascontiguousarray(x, dtype=np.float32)
    rows, cols = _rows_cols(x)
    elems = np.empty(x.shape, dtype=np.uint8)
    scales = np.empty((rows, -(-cols // block)), dtype=np.uint8)
    if _lib.qcMXQuantize(element.encode(), _ptr(x), rows, cols, block,
                         ROUNDING[rounding], _ptr(elems), _ptr(scales)):
        raise ValueError("mx_quantize failed")
    return elems, scales


def mx_dequantize(element: str, elems, scales, block: int = 32) -> np.ndarray:
    e = np.ascontiguousarray(elems, dtype=np.uint8)
    s = np.ascontiguousarray(scales, dtype=np.uint8)
    rows, cols = _rows_cols(e)
    out = np.empty(e.shape, dtype=np.float32)
    if _lib.qcMXDequantize(element.encode(), _ptr(e), _ptr(s), rows, cols, block, _ptr(out)):
        raise ValueError("mx_dequantize failed")
    return out


def nvfp4_quantize(x, tensor_scale: float = 0.0):
    """NVFP4 along the last axis: (E2M1 codes, E4M3 block scales, tensor scale)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    rows, cols = _rows_cols(x)
    elems = np.empty(x.shape, dtype=np.uint8)
    scales = np.empty((rows, -(-cols // 16)), dtype=np.uint8)
    g = ctypes.c_float()
    if _lib.qcNVFP4Quantize(_ptr(x), rows, cols, tensor_scale, _ptr(elems),
                            _ptr(scales), ctypes.addressof(g)):
        raise ValueError("nvfp4_quantize failed")
    return elems, scales, g.value


def nvfp4_dequantize(elems, scales, tensor_scale: float) -> np.ndarray:
    e = np.ascontiguousarray(elems, dtype=np.uint8)
    s = np.ascontiguousarray(scales, dtype=np.uint8)
    rows, cols = _rows_cols(e)
    out = np.empty(e.shape, dtype=np.float32)
    if _lib.qcNVFP4Dequantize(_ptr(e), _ptr(s), rows, cols, tensor_scale, _ptr(out)):
        raise ValueError("nvfp4_dequantize failed")
    return out


def hadamard(n: int) -> np.ndarray:
    """The n x n +-1 Hadamard matrix H_K (x) H_{2^m} QuantC uses."""
    out = np.empty((n, n), dtype=np.int8)
    if _lib.qcHadamardMatrix(n, _ptr(out)):
        raise ValueError(f"no Hadamard matrix of order {n}")
    return out

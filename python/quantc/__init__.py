"""QuantC: an MLIR-based quantization compiler.

The Python package wraps QuantC's C API. Today it exposes the numerics
(`quantc.numerics`): exact encode/decode of every number format, OCP MX and
NVFP4 block quantization and Hadamard matrices, with NumPy arrays in and out.
"""

from . import numerics  # noqa: F401

__all__ = ["numerics"]

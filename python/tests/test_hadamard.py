"""Hadamard matrices through the Python API: orthogonality and sizes."""

import numpy as np
import pytest

from quantc import numerics as qn


@pytest.mark.parametrize("n", [1, 2, 12, 20, 28, 36, 40, 44, 52, 60, 108, 140, 152, 156, 172, 344, 1024])
def test_orthogonal(n):
    h = qn.hadamard(n).astype(np.int64)
    assert np.array_equal(h @ h.T, n * np.eye(n, dtype=np.int64))


def test_no_matrix():
    with pytest.raises(ValueError, match="no Hadamard matrix of order 100"):
        qn.hadamard(100)

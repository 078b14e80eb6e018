"""DFT, imported as constant cos / sin matrices applied by nn.matmul along
the axis: against numpy.fft in float64 (1e-5 of the signal's scale) on
both targets and through the export into onnxruntime, for real and
complex inputs, every signal axis, dft_length shorter and longer than the
signal, onesided, inverse, and the axis as an attribute (opset 17) or an
input (opset 20)."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import export_roundtrip, run_targets

CASES = [
    # shape [..., 1 | 2], axis, dft_length, onesided, inverse, opset
    ((2, 16, 1), 1, None, 0, 0, 17),
    ((2, 16, 1), 1, None, 1, 0, 20),
    ((3, 10, 2), 1, None, 0, 1, 20),
    ((4, 6, 5, 2), 1, 8, 0, 0, 17),
    ((4, 6, 5, 2), 2, 3, 0, 0, 20),
    ((2, 12, 3, 1), -3, 12, 1, 0, 20),
]


@pytest.mark.parametrize("shape,axis,length,onesided,inverse,opset", CASES,
                         ids=[str(i) for i in range(len(CASES))])
def test_dft(shape, axis, length, onesided, inverse, opset, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    signal = x[..., 0] + (1j * x[..., 1] if shape[-1] == 2 else 0)
    ax = axis % len(shape)
    n = length or shape[ax]
    f = np.fft.ifft if inverse else np.fft.fft
    spec = f(signal.astype(np.complex128), n=n, axis=ax)
    if onesided:
        spec = np.take(spec, np.arange(n // 2 + 1), axis=ax)
    want = np.stack([spec.real, spec.imag], axis=-1)

    vi = helper.make_tensor_value_info
    inits, names = [], ["x"]
    if length is not None or opset >= 20:
        names.append("len" if length is not None else "")
        if length is not None:
            inits.append(numpy_helper.from_array(np.array(length, np.int64), "len"))
    attrs = {"onesided": onesided, "inverse": inverse}
    if opset >= 20:
        names.append("axis")
        inits.append(numpy_helper.from_array(np.array(axis, np.int64), "axis"))
    else:
        attrs["axis"] = axis
    node = helper.make_node("DFT", names, ["y"], name="dft", **attrs)
    g = helper.make_graph([node], "g", [vi("x", TensorProto.FLOAT, list(shape))],
                          [vi("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    scale = np.abs(want).max()
    for target, outs in run_targets(model, {"x": x}, tmp_path).items():
        assert outs["y"].shape == want.shape, target
        np.testing.assert_allclose(outs["y"], want, rtol=0, atol=1e-5 * scale, err_msg=target)
    got = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                               providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * scale, err_msg="export")

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


STFT_CASES = [
    # signal shape, frame_step, window ("hann" or None), frame_length input, onesided
    ((2, 64, 1), 8, "hann", None, 1),
    ((1, 50, 1), 5, None, 16, 1),
    ((2, 40, 2), 6, "hann", 12, 0),
]


@pytest.mark.parametrize("shape,step,window,frame,onesided", STFT_CASES,
                         ids=["hann-onesided", "frame-length", "complex"])
def test_stft(shape, step, window, frame, onesided, tmp_path):
    """STFT (the front end of audio models): the frames gathered, times the
    window, the DFT along each frame; against numpy.fft of the windowed
    frames in float64 (1e-5 of the spectrum's scale) on both targets, and
    onnxruntime for real signals."""
    import onnxruntime as ort

    rng = np.random.default_rng(len(shape) + step)
    x = rng.standard_normal(shape).astype(np.float32)
    length = frame or (16 if window else shape[1])
    w = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)).astype(np.float32)
    signal = x[..., 0] + (1j * x[..., 1] if shape[-1] == 2 else 0)
    frames = 1 + (shape[1] - length) // step
    framed = np.stack([signal[:, f * step:f * step + length] for f in range(frames)], axis=1)
    if window:
        framed = framed * w.astype(np.float64)
    spec = (np.fft.rfft if onesided else np.fft.fft)(framed, axis=-1)
    want = np.stack([spec.real, spec.imag], axis=-1)
    inits = [numpy_helper.from_array(np.array(step, np.int64), "step")]
    inputs = ["x", "step", "", ""]
    if window:
        inits.append(numpy_helper.from_array(w, "w"))
        inputs[2] = "w"
    if frame:
        inits.append(numpy_helper.from_array(np.array(frame, np.int64), "len"))
        inputs[3] = "len"
    while inputs[-1] == "":
        inputs.pop()
    vi = helper.make_tensor_value_info
    g = helper.make_graph([helper.make_node("STFT", inputs, ["y"], name="stft",
                                            onesided=onesided)], "g",
                          [vi("x", TensorProto.FLOAT, shape)], [vi("y", TensorProto.FLOAT, None)],
                          inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    scale = np.abs(want).max()
    if shape[-1] == 1:  # (onnxruntime 1.23 returns NaN and noise for complex signals)
        ref = ort.InferenceSession(m.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        assert np.abs(ref - want).max() <= 1e-5 * scale, "onnxruntime"
    for target, outs in run_targets(m, {"x": x}, tmp_path).items():
        assert outs["y"].shape == want.shape, target
        assert np.abs(outs["y"] - want).max() <= 1e-5 * scale, target

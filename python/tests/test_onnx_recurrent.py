"""RNN, GRU and LSTM, imported as nn ops with the time steps unrolled:
against onnxruntime within 1e-5 on both targets and through the export,
for every direction, both layouts (onnxruntime has no batch-first
kernels: the reference for layout 1 is onnxruntime on the same model in
layout 0, inputs and outputs transposed), biases, initial states, LSTM
peepholes and GRU's linear_before_reset; Y, Y_h and Y_c."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from test_onnx_activations import export_roundtrip, run_targets

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
CASES = [
    # op, direction, layout, with bias / initial states / peepholes, extra attrs
    ("RNN", "forward", 0, False, {}),
    ("RNN", "bidirectional", 1, True, {}),
    ("GRU", "forward", 0, True, {}),
    ("GRU", "reverse", 0, True, {"linear_before_reset": 1}),
    ("GRU", "bidirectional", 1, False, {}),
    ("LSTM", "forward", 0, False, {}),
    ("LSTM", "bidirectional", 0, True, {}),
    ("LSTM", "reverse", 1, True, {}),
]


def build(op, direction, layout, attrs, weights, inputs, full):
    vi = helper.make_tensor_value_info
    names = ["x", "W", "R"] + (["B", "lens", "h0"] if full else [])
    if full and op == "LSTM":
        names += ["c0", "P"]
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, name="rec", hidden_size=weights["R"].shape[-1],
                            direction=direction, layout=layout, **attrs)
    graph = helper.make_graph(
        [node], "g", [vi(k, TensorProto.FLOAT, list(v.shape)) for k, v in inputs.items()],
        [vi(o, TensorProto.FLOAT, None) for o in outs],
        [numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    return model, outs


@pytest.mark.parametrize("op,direction,layout,full,attrs", CASES,
                         ids=[f"{c[0]}-{c[1]}-l{c[2]}-{'full' if c[3] else 'min'}" for c in CASES])
def test_recurrent(op, direction, layout, full, attrs, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(len(op) + layout)
    seq, batch, size, hidden = 5, 2, 3, 4
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    f32 = lambda *s: (0.5 * rng.standard_normal(s)).astype(np.float32)
    weights = {"W": f32(dirs, g * hidden, size), "R": f32(dirs, g * hidden, hidden)}
    inputs = {"x": f32(seq, batch, size)}  # layout 0; transposed below
    if full:
        weights["B"] = f32(dirs, 2 * g * hidden)
        weights["lens"] = np.full(batch, seq, np.int32)
        inputs["h0"] = f32(dirs, batch, hidden)
        if op == "LSTM":
            inputs["c0"] = f32(dirs, batch, hidden)
            weights["P"] = f32(dirs, 3 * hidden)
    model0, outs = build(op, direction, 0, attrs, weights, inputs, full)
    want = ort.InferenceSession(model0.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)
    model = model0
    if layout:
        inputs = {k: np.ascontiguousarray(v.transpose(1, 0, 2)) for k, v in inputs.items()}
        model, _ = build(op, direction, 1, attrs, weights, inputs, full)
        want = [want[0].transpose(2, 0, 1, 3)] + [w.transpose(1, 0, 2) for w in want[1:]]
    for target, got in run_targets(model, inputs, tmp_path).items():
        for name, w in zip(outs, want):
            assert got[name].shape == w.shape, (target, name)
            np.testing.assert_allclose(got[name], w, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{target} {name}")
    exported = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                                    providers=["CPUExecutionProvider"]).run(None, inputs)
    for name, e, w in zip(outs, exported, want):
        np.testing.assert_allclose(e, w, rtol=1e-5, atol=1e-6, err_msg=f"export {name}")

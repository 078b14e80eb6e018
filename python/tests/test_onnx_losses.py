"""NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, imported as nn
ops (gather_elements of the targets' entries, class weights by gather,
log_softmax, reductions), against a NumPy float64 reference of the ONNX
definition and onnxruntime, on both targets and through the export."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from test_onnx_activations import export_roundtrip, run_targets


def nll_ref(logp, target, weight, reduction, ignore_index):
    """ONNX's definition in float64: loss = -logp[n, t, d...] * w[t], 0 for
    ignored targets; mean divides by the sum of the applied weights."""
    logp = logp.astype(np.float64)
    valid = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    t = np.where(valid, target, 0)
    picked = np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    w = np.ones(target.shape) if weight is None else weight.astype(np.float64)[t]
    w = np.where(valid, w, 0.0)
    loss = -picked * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


CASES = [
    # shape [N, C, d...], weighted, reduction, ignore_index
    ((5, 4), False, "mean", None),
    ((5, 4), True, "mean", None),
    ((5, 4), True, "sum", 2),
    ((3, 5, 2, 3), False, "none", None),
    ((3, 5, 2, 3), True, "mean", -1),
    ((3, 5, 6), False, "mean", 7),  # an ignore index outside the classes
    ((3, 5, 6), True, "none", 0),
]


@pytest.mark.parametrize("op", ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"])
@pytest.mark.parametrize("shape,weighted,reduction,ignore", CASES,
                         ids=[f"{len(c[0])}d-{'w' if c[1] else 'nw'}-{c[2]}-ii{c[3]}" for c in CASES])
def test_loss(op, shape, weighted, reduction, ignore, tmp_path):
    import onnxruntime as ort

    rng = np.random.default_rng(len(shape) * 7 + weighted)
    n, c = shape[0], shape[1]
    x = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, c, (n,) + shape[2:]).astype(np.int64)
    if ignore is not None:
        target.reshape(-1)[::3] = ignore
    w = (rng.random(c) + 0.5).astype(np.float32)
    vi = helper.make_tensor_value_info
    F = TensorProto.FLOAT
    inputs = {"x": x, "t": target}
    ins = [vi("x", F, list(shape)), vi("t", TensorProto.INT64, list(target.shape))]
    names = ["x", "t"]
    if weighted:
        inputs["w"] = w
        ins.append(vi("w", F, [c]))
        names.append("w")
    attrs = {"reduction": reduction}
    if ignore is not None:
        attrs["ignore_index"] = ignore
    outs = ["y"] + (["logp"] if op == "SoftmaxCrossEntropyLoss" else [])
    node = helper.make_node(op, names, outs, name="loss", **attrs)
    g = helper.make_graph([node], "g", ins, [vi(o, F, None) for o in outs])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    logp = x.astype(np.float64) if op == "NegativeLogLikelihoodLoss" else log_softmax(x)
    want = nll_ref(logp, target, w if weighted else None, reduction, ignore)
    ort_out = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, inputs)
    np.testing.assert_allclose(ort_out[0], want, rtol=1e-5, atol=1e-6, err_msg="onnxruntime")
    for target_name, got in run_targets(model, inputs, tmp_path).items():
        assert got["y"].shape == np.shape(want), target_name
        np.testing.assert_allclose(got["y"], want, rtol=1e-5, atol=1e-6, err_msg=target_name)
        if op == "SoftmaxCrossEntropyLoss":
            np.testing.assert_allclose(got["logp"], logp, rtol=1e-5, atol=1e-6,
                                       err_msg=target_name)
    exported = ort.InferenceSession(str(export_roundtrip(tmp_path)),
                                    providers=["CPUExecutionProvider"]).run(None, inputs)
    np.testing.assert_allclose(exported[0], want, rtol=1e-5, atol=1e-6, err_msg="export")

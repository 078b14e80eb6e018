"""Models with a default-domain opset older than 13 are upgraded to opset
13 by ONNX's version converter when imported. Its adapters carry the
operators' semantic changes (Softmax's coercion to 2-D, attributes that
became inputs, Upsample into Resize, ...); each case runs a model written
at the old opset in onnxruntime, which executes that opset natively, and
in QuantC (interpreter and CPU), which see the upgraded graph."""

import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from qc_testing import BIN, quant_run, rel_l2


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


# name: (opset, nodes, inputs, outputs, initializers)
CASES = {
    # opset < 13: softmax over the input coerced to 2-D at `axis`.
    "softmax_11_axis1": (11, [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                         [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], []),
    "logsoftmax_11": (11, [helper.make_node("LogSoftmax", ["x"], ["y"], axis=1)],
                      [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], []),
    "split_11_attr": (11, [helper.make_node("Split", ["x"], ["a", "b"], axis=1, split=[1, 2])],
                      [vi("x", [2, 3])], [vi("a", [2, 1]), vi("b", [2, 2])], []),
    "reducesum_11_axes": (11, [helper.make_node("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0)],
                          [vi("x", [2, 3, 4])], [vi("y", [2, 4])], []),
    "clip_10_attrs": (10, [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.75)],
                      [vi("x", [3, 4])], [vi("y", [3, 4])], []),
    "pad_10_attrs": (10, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 1, 1, 0], value=1.5)],
                     [vi("x", [2, 3])], [vi("y", [3, 4])], []),
    "unsqueeze_11": (11, [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 3])],
                     [vi("x", [2, 3])], [vi("y", [1, 2, 3, 1])], []),
    "upsample_9_nearest": (9, [helper.make_node("Upsample", ["x", "s"], ["y"], mode="nearest")],
                           [vi("x", [1, 2, 2, 3])], [vi("y", [1, 2, 4, 6])],
                           [const("s", np.array([1, 1, 2, 2], np.float32))]),
    "batchnorm_9": (9, [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"],
                                         epsilon=1e-3)],
                    [vi("x", [2, 3, 2])], [vi("y", [2, 3, 2])],
                    [const("g", np.array([1.0, 2.0, 0.5], np.float32)),
                     const("b", np.array([0.1, -0.2, 0.0], np.float32)),
                     const("m", np.array([0.5, 0.0, -1.0], np.float32)),
                     const("v", np.array([1.0, 4.0, 0.25], np.float32))]),
    "gemm_mlp_7": (7, [helper.make_node("Gemm", ["x", "w", "c"], ["h"], transB=1),
                       helper.make_node("Relu", ["h"], ["y"])],
                   [vi("x", [2, 4])], [vi("y", [2, 3])],
                   [const("w", np.arange(12, dtype=np.float32).reshape(3, 4) / 10),
                    const("c", np.array([0.5, -1.0, 0.0], np.float32))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_old_opset_matches_onnxruntime(name, tmp_path):
    opset, nodes, inputs, outputs, inits = CASES[name]
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=6)
    onnx.checker.check_model(model)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    rng = np.random.default_rng(len(name))
    feeds = {v.name: rng.standard_normal([d.dim_value for d in v.type.tensor_type.shape.dim])
             .astype(np.float32) for v in inputs}
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
    for target in ("interp", "cpu"):
        for out, ref in zip(outputs, want):
            got = quant_run(path, feeds, tmp_path, out.name, [f"--target={target}"])
            assert got.shape == ref.shape, (target, out.name)
            assert rel_l2(got, ref) <= 1e-6, (target, out.name)


def test_unknown_operator_in_old_opset_is_named(tmp_path):
    """The converter cannot upgrade a node it has no schema for: the error
    names it; nothing is written."""
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                               helper.make_node("ScaledTanh", ["r"], ["y"], name="st")],
                              "g", [vi("x", [2])], [vi("y", [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)], ir_version=6)
    onnx.save(model, str(tmp_path / "m.onnx"))
    r = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(tmp_path / "m.onnx"),
                        "-o", str(tmp_path / "m.mlir")], capture_output=True, text=True)
    assert r.returncode == 1
    assert ("opset 12 is older than 13 and ONNX's version converter cannot upgrade the "
            "model to it: node 'st' (ScaledTanh): no ONNX operator of this name at opset 12"
            in r.stderr)
    assert not (tmp_path / "m.mlir").exists()

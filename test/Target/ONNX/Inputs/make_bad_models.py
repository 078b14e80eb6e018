"""Writes malformed ONNX models for the importer's negative tests.

Usage: make_bad_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, path, ir=10):
    model.ir_version = ir
    with open(path, "wb") as f:  # no checker: these models are invalid
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=()):
    g = helper.make_graph(nodes, "bad", inputs, outputs, list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(g, opset_imports=ops)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
w = numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32), "w")

# A valid model, truncated in the middle of its weights.
good = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
             [vi("x", [2, 64])], [vi("y", [2, 64])], [w])
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])

save(model([helper.make_node("Mystery", ["x"], ["y"], name="strange_op", domain="com.example")],
           [vi("x", [2])], [vi("y", [2])], extra_opsets=[("com.example", 1)]),
     os.path.join(out, "unknown_op.onnx"))

bad_w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[64, 64],
                    raw_data=np.zeros(100, np.float32).tobytes())
save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
           [vi("x", [2, 64])], [vi("y", [2, 64])], [bad_w]),
     os.path.join(out, "bad_initializer.onnx"))

save(model([helper.make_node("Relu", ["b"], ["a"], name="relu_a"),
            helper.make_node("Relu", ["a"], ["b"], name="relu_b"),
            helper.make_node("Add", ["x", "a"], ["y"], name="add")],
           [vi("x", [2])], [vi("y", [2])]),
     os.path.join(out, "cycle.onnx"))

save(model([helper.make_node("Add", ["x", "z"], ["y"], name="add_z")],
           [vi("x", [2])], [vi("y", [2])]),
     os.path.join(out, "missing_input.onnx"))

save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
           [vi("x", [2])], [vi("y", [2])], opset=11),
     os.path.join(out, "old_opset.onnx"))

w2 = numpy_helper.from_array(np.zeros((32, 8), np.float32), "w")
save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")],
           [vi("x", [2, 64])], [vi("y", [2, 8])], [w2]),
     os.path.join(out, "dims.onnx"))

save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
           [vi("x", ["batch", 8])], [vi("y", ["batch", 8])]),
     os.path.join(out, "symbolic.onnx"))

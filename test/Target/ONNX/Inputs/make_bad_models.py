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

# Opset 11, upgraded to 13 by ONNX's version converter, which has no
# operator of this name to upgrade.
save(model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("NoSuchOp", ["r"], ["y"], name="bogus")],
           [vi("x", [2])], [vi("y", [2])], opset=11),
     os.path.join(out, "old_opset.onnx"))

w2 = numpy_helper.from_array(np.zeros((32, 8), np.float32), "w")
save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")],
           [vi("x", [2, 64])], [vi("y", [2, 8])], [w2]),
     os.path.join(out, "dims.onnx"))

save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
           [vi("x", ["batch", 8])], [vi("y", ["batch", 8])]),
     os.path.join(out, "symbolic.onnx"))

# A shape of 2^33 int64 values over 8 bytes of data: rejected before anything
# of the declared size is allocated.
huge = TensorProto(name="shape", data_type=TensorProto.INT64, dims=[1 << 33],
                   raw_data=np.zeros(1, np.int64).tobytes())
save(model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
           [vi("x", [2])], [vi("y", [2])], [huge]),
     os.path.join(out, "huge_initializer.onnx"))

# Dimensions whose product overflows int64.
overflow = TensorProto(name="w", data_type=TensorProto.FLOAT,
                       dims=[1 << 40, 1 << 40], raw_data=b"")
save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
           [vi("x", [2, 64])], [vi("y", [2, 64])], [overflow]),
     os.path.join(out, "overflow_dims.onnx"))

# More inputs than the operator's schema allows.
save(model([helper.make_node("Sigmoid", ["x", "x", "x"], ["y"], name="sig")],
           [vi("x", [2])], [vi("y", [2])]),
     os.path.join(out, "extra_inputs.onnx"))

# A bool tensor into Sigmoid (float only), constant so that the importer's
# constant folding would evaluate it.
save(model([helper.make_node("Constant", [], ["b"], name="k",
                             value=helper.make_tensor("b", TensorProto.BOOL, [2], [1, 0])),
            helper.make_node("Sigmoid", ["b"], ["y"], name="sig")],
           [], [vi("y", [2])]),
     os.path.join(out, "bool_sigmoid.onnx"))

# Range nodes that would fold to more elements than a constant may hold.
for name, dtype, start, limit in [("range_float", TensorProto.FLOAT, 0.0, 1e30),
                                  ("range_int", TensorProto.INT64, -(1 << 62), 1 << 62)]:
    inits = [helper.make_tensor(n, dtype, [], [v])
             for n, v in [("start", start), ("limit", limit), ("delta", 1)]]
    save(model([helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="rng")],
               [], [helper.make_tensor_value_info("y", dtype, [None])], inits),
         os.path.join(out, name + ".onnx"))

# A zero stride with SAME_UPPER padding (the padding divides by the stride).
save(model([helper.make_node("AveragePool", ["x"], ["y"], name="pool", auto_pad="SAME_UPPER",
                             kernel_shape=[3, 3], strides=[2, 0])],
           [vi("x", [1, 1, 5, 5])], [vi("y", [1, 1, 3, 5])]),
     os.path.join(out, "zero_stride.onnx"))

# A flag attribute that is neither 0 nor 1 (onnxruntime reads keepdims = 2
# as false, ONNX's reference as true).
save(model([helper.make_node("ReduceMean", ["x"], ["y"], name="mean", keepdims=2, axes=[1])],
           [vi("x", [3, 2])], [vi("y", [3, 1])]),
     os.path.join(out, "flag_attribute.onnx"))

# MatMulNBits: too few scales for N x K / block_size, and an integer A.
mnb_b = numpy_helper.from_array(np.zeros((4, 2, 16), np.uint8), "B")
for name, scales, a_type in [("mnb_scales", np.ones(7, np.float16), TensorProto.FLOAT16),
                             ("mnb_int_a", np.ones(8, np.float32), TensorProto.INT32)]:
    save(model([helper.make_node("MatMulNBits", ["A", "B", "S"], ["Y"], domain="com.microsoft",
                                 name="mnb", K=64, N=4, bits=4, block_size=32)],
               [helper.make_tensor_value_info("A", a_type, [2, 64])],
               [helper.make_tensor_value_info("Y", a_type, [2, 4])],
               [mnb_b, numpy_helper.from_array(scales, "S")], extra_opsets=[("com.microsoft", 1)]),
         os.path.join(out, name + ".onnx"))

# A 4-D convolution, and a 1-D pooling whose pads have the 2-D length.
save(model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv3d")],
           [vi("x", [1, 2, 4, 4, 4, 4])], [vi("y", [1, 3, 2, 2, 2, 2])],
           [numpy_helper.from_array(np.ones((3, 2, 3, 3, 3, 3), np.float32), "w")]),
     os.path.join(out, "conv3d.onnx"))
save(model([helper.make_node("MaxPool", ["x"], ["y"], name="pool1d", kernel_shape=[2],
                             pads=[0, 0, 0, 0])],
           [vi("x", [1, 2, 8])], [vi("y", [1, 2, 7])]),
     os.path.join(out, "pool1d_pads.onnx"))

# Unsupported or malformed parameters of the decomposed operators.
def vi_typed(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


save(model([helper.make_node("ArgMin", ["x"], ["y"], name="argmin")],
           [vi_typed("x", TensorProto.INT32, [2, 3])], [vi_typed("y", TensorProto.INT64, [1, 3])]),
     os.path.join(out, "argmin_int.onnx"))
save(model([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")],
           [vi("x", [2, 3])], [vi("y", [2, 0])],
           [numpy_helper.from_array(np.array([1, 0], np.int64), "r")]),
     os.path.join(out, "tile_zero.onnx"))
save(model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], name="gn",
                             num_groups=4)],
           [vi("x", [1, 6, 5])], [vi("y", [1, 6, 5])],
           [numpy_helper.from_array(np.ones(6, np.float32), "s"),
            numpy_helper.from_array(np.zeros(6, np.float32), "b")], opset=21),
     os.path.join(out, "groupnorm_groups.onnx"))
save(model([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=2)],
           [vi("x", [1, 6, 2, 2])], [vi("y", [1, 1, 4, 4])]),
     os.path.join(out, "depth_to_space.onnx"))
save(model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs", mode="nearest",
                             antialias=1)],
           [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 2, 2])],
           [numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "sc")], opset=19),
     os.path.join(out, "resize_antialias.onnx"))
save(model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs2", mode="linear",
                             coordinate_transformation_mode="tf_crop_and_resize")],
           [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 2, 2])],
           [numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "sc")], opset=19),
     os.path.join(out, "resize_roi.onnx"))
save(model([helper.make_node("Mod", ["x", "x"], ["y"], name="fmod", fmod=0)],
           [vi("x", [2, 3])], [vi("y", [2, 3])]),
     os.path.join(out, "float_mod.onnx"))
# Opset 11 with a graph output nothing produces: ONNX's version converter
# would crash on it; the importer names it before converting.
save(model([helper.make_node("Relu", ["x"], ["r"], name="relu")],
           [vi("x", [2])], [vi("y", [2])], opset=11),
     os.path.join(out, "old_opset_no_output.onnx"))
# Attention (opset 23): 3-D inputs without head counts; query heads that
# are not a multiple of the key / value heads; an int32 mask.
save(model([helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn3d")],
           [vi("q", [1, 4, 8]), vi("k", [1, 4, 8]), vi("v", [1, 4, 8])], [vi("y", [1, 4, 8])],
           opset=23),
     os.path.join(out, "attention_no_heads.onnx"))
save(model([helper.make_node("Attention", ["q", "k", "v"], ["y"], name="gqa")],
           [vi("q", [1, 4, 2, 8]), vi("k", [1, 3, 2, 8]), vi("v", [1, 3, 2, 8])],
           [vi("y", [1, 4, 2, 8])], opset=23),
     os.path.join(out, "attention_heads.onnx"))
save(model([helper.make_node("Attention", ["q", "k", "v", "m"], ["y"], name="imask")],
           [vi("q", [1, 2, 2, 8]), vi("k", [1, 2, 3, 8]), vi("v", [1, 2, 3, 8]),
            vi_typed("m", TensorProto.INT32, [2, 3])], [vi("y", [1, 2, 2, 8])], opset=23),
     os.path.join(out, "attention_int_mask.onnx"))
# CumSum along an axis the input does not have; along a run-time axis.
save(model([helper.make_node("CumSum", ["x", "a"], ["y"], name="cs")],
           [vi("x", [2, 3])], [vi("y", [2, 3])],
           [numpy_helper.from_array(np.array(2, np.int64), "a")], opset=14),
     os.path.join(out, "cumsum_axis.onnx"))
save(model([helper.make_node("CumSum", ["x", "a"], ["y"], name="csrt")],
           [vi("x", [2, 3]), vi_typed("a", TensorProto.INT64, [])], [vi("y", [2, 3])], opset=14),
     os.path.join(out, "cumsum_runtime_axis.onnx"))
# RotaryEmbedding with an odd rotary_embedding_dim.
save(model([helper.make_node("RotaryEmbedding", ["x", "c", "s"], ["y"], name="rope",
                             rotary_embedding_dim=3)],
           [vi("x", [1, 2, 2, 8]), vi("c", [1, 2, 1]), vi("s", [1, 2, 1])],
           [vi("y", [1, 2, 2, 8])], opset=23),
     os.path.join(out, "rope_dim.onnx"))
# ConvTranspose: 4-D; a group that does not divide the input channels.
save(model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct3d")],
           [vi("x", [1, 2, 3, 3, 3, 3])], [vi("y", [1, 2, 5, 5, 5, 5])],
           [numpy_helper.from_array(np.ones((2, 2, 3, 3, 3, 3), np.float32), "w")]),
     os.path.join(out, "convtranspose_3d.onnx"))
save(model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ctg", group=2)],
           [vi("x", [1, 3, 3, 3])], [vi("y", [1, 4, 5, 5])],
           [numpy_helper.from_array(np.ones((3, 2, 3, 3), np.float32), "w")]),
     os.path.join(out, "convtranspose_group.onnx"))
# LpNormalization with p = 3.
save(model([helper.make_node("LpNormalization", ["x"], ["y"], name="lp3", p=3)],
           [vi("x", [2, 3])], [vi("y", [2, 3])]),
     os.path.join(out, "lpnorm_p3.onnx"))
# TopK with k above the axis size.
save(model([helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk")],
           [vi("x", [2, 3])], [vi("v", [2, 4]), vi_typed("i", TensorProto.INT64, [2, 4])],
           [numpy_helper.from_array(np.array([4], np.int64), "k")], opset=11),
     os.path.join(out, "topk_k.onnx"))
# TopK with a k of two values (the importer's constInt).
save(model([helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk2")],
           [vi("x", [2, 3])], [vi("v", [2, 1]), vi_typed("i", TensorProto.INT64, [2, 1])],
           [numpy_helper.from_array(np.array([1, 1], np.int64), "k")], opset=11),
     os.path.join(out, "topk_two_k.onnx"))
# GatherElements with indices of another rank; Hardmax of integers.
save(model([helper.make_node("GatherElements", ["x", "i"], ["y"], name="ge", axis=1)],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [2])], [vi("y", [2])], opset=13),
     os.path.join(out, "gather_elements_rank.onnx"))
# ScatterND with an index tuple longer than the data's rank, and with
# updates of the wrong shape; ScatterElements with updates of another
# shape than the indices; an unknown reduction.
save(model([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], name="snd")],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [4, 3]), vi("u", [4])],
           [vi("y", [2, 3])], opset=18),
     os.path.join(out, "scatter_nd_k.onnx"))
save(model([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], name="snd2")],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [4, 1]), vi("u", [4, 2])],
           [vi("y", [2, 3])], opset=18),
     os.path.join(out, "scatter_nd_updates.onnx"))
save(model([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], name="se", axis=1)],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [2, 2]), vi("u", [2, 1])],
           [vi("y", [2, 3])], opset=18),
     os.path.join(out, "scatter_elements_shape.onnx"))
save(model([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], name="se2", axis=1,
                             reduction="sum")],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [2, 2]), vi("u", [2, 2])],
           [vi("y", [2, 3])], opset=18),
     os.path.join(out, "scatter_elements_reduction.onnx"))
# Einsum: a label with two sizes, a term longer than its input's rank, an
# output label no input has, integer inputs.
save(model([helper.make_node("Einsum", ["a", "b"], ["y"], name="es1", equation="ij,jk->ik")],
           [vi("a", [2, 3]), vi("b", [4, 5])], [vi("y", [2, 5])], opset=12),
     os.path.join(out, "einsum_sizes.onnx"))
save(model([helper.make_node("Einsum", ["a"], ["y"], name="es2", equation="ijk->i")],
           [vi("a", [2, 3])], [vi("y", [2])], opset=12),
     os.path.join(out, "einsum_rank.onnx"))
save(model([helper.make_node("Einsum", ["a"], ["y"], name="es3", equation="ij->iz")],
           [vi("a", [2, 3])], [vi("y", [2, 3])], opset=12),
     os.path.join(out, "einsum_output.onnx"))
save(model([helper.make_node("Einsum", ["a"], ["y"], name="es4", equation="ij->ji")],
           [vi_typed("a", TensorProto.INT32, [2, 3])], [vi_typed("y", TensorProto.INT32, [3, 2])],
           opset=12),
     os.path.join(out, "einsum_int.onnx"))
# NegativeLogLikelihoodLoss with targets of the wrong shape; SoftmaxCrossEntropyLoss
# with an unknown reduction.
save(model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "t"], ["y"], name="nll")],
           [vi("x", [3, 5, 2]), vi_typed("t", TensorProto.INT64, [3, 5])], [vi("y", [])],
           opset=13),
     os.path.join(out, "nll_target.onnx"))
save(model([helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["y"], name="sce",
                             reduction="max")],
           [vi("x", [3, 5]), vi_typed("t", TensorProto.INT64, [3])], [vi("y", [])], opset=13),
     os.path.join(out, "sce_reduction.onnx"))
# BitwiseAnd of floats; BitShift with an unknown direction.
save(model([helper.make_node("BitwiseAnd", ["a", "b"], ["y"], name="band")],
           [vi("a", [4]), vi("b", [4])], [vi("y", [4])], opset=18),
     os.path.join(out, "bitwise_float.onnx"))
save(model([helper.make_node("BitShift", ["a", "b"], ["y"], name="bsh", direction="UP")],
           [vi_typed("a", TensorProto.UINT8, [4]), vi_typed("b", TensorProto.UINT8, [4])],
           [vi_typed("y", TensorProto.UINT8, [4])], opset=11),
     os.path.join(out, "bitshift_direction.onnx"))
# LpPool with p = 0.
save(model([helper.make_node("LpPool", ["x"], ["y"], name="lp", kernel_shape=[2, 2], p=0)],
           [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 3, 3])], opset=18),
     os.path.join(out, "lppool_p.onnx"))
# GatherND with tuples longer than the data's rank.
save(model([helper.make_node("GatherND", ["x", "i"], ["y"], name="gnd")],
           [vi("x", [2, 3]), vi_typed("i", TensorProto.INT64, [4, 3])], [vi("y", [4])],
           opset=13),
     os.path.join(out, "gathernd_k.onnx"))
# OneHot with a depth that is a graph input.
save(model([helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="oh")],
           [vi_typed("i", TensorProto.INT64, [3]), vi_typed("d", TensorProto.INT64, []),
            vi("v", [2])], [vi("y", [3, 4])], opset=11),
     os.path.join(out, "onehot_depth.onnx"))
# HannWindow with a size that is a graph input.
save(model([helper.make_node("HannWindow", ["n"], ["y"], name="hann")],
           [vi_typed("n", TensorProto.INT64, [])], [vi("y", [8])], opset=17),
     os.path.join(out, "window_size.onnx"))
# CenterCropPad with three sizes for two axes.
save(model([helper.make_node("CenterCropPad", ["x", "s"], ["y"], name="ccp", axes=[0, 1])],
           [vi("x", [4, 4])], [vi("y", [2, 2])],
           [numpy_helper.from_array(np.array([2, 2, 2], np.int64), "s")], opset=18),
     os.path.join(out, "center_crop_pad_shape.onnx"))
# LSTM with custom activations; GRU with sequence_lens shorter than the sequence.
save(model([helper.make_node("LSTM", ["x", "w", "r"], ["", "h"], name="lstm", hidden_size=2,
                             activations=["Relu", "Tanh", "Tanh"])],
           [vi("x", [3, 1, 2])], [vi("h", [1, 1, 2])],
           [numpy_helper.from_array(np.zeros((1, 8, 2), np.float32), "w"),
            numpy_helper.from_array(np.zeros((1, 8, 2), np.float32), "r")], opset=14),
     os.path.join(out, "lstm_activations.onnx"))
save(model([helper.make_node("GRU", ["x", "w", "r", "", "lens"], ["", "h"], name="gru",
                             hidden_size=2)],
           [vi("x", [3, 2, 2])], [vi("h", [1, 2, 2])],
           [numpy_helper.from_array(np.zeros((1, 6, 2), np.float32), "w"),
            numpy_helper.from_array(np.zeros((1, 6, 2), np.float32), "r"),
            numpy_helper.from_array(np.array([3, 2], np.int32), "lens")], opset=14),
     os.path.join(out, "gru_lens.onnx"))
# More negative cases of the import-time decompositions: an Einsum output
# term that is not labels, RNN with clip, GRU with W of the wrong shape,
# OneHot with depth 0, a window of integers, EyeLike of a 3-D input,
# CenterCropPad with an axis out of range, NLL with weights of the wrong
# length.
save(model([helper.make_node("Einsum", ["a"], ["y"], name="es5", equation="ij->i.j")],
           [vi("a", [2, 3])], [vi("y", [2, 3])], opset=12),
     os.path.join(out, "einsum_output_term.onnx"))
save(model([helper.make_node("RNN", ["x", "w", "r"], ["", "h"], name="rnn", hidden_size=2,
                             clip=1.0)],
           [vi("x", [3, 1, 2])], [vi("h", [1, 1, 2])],
           [numpy_helper.from_array(np.zeros((1, 2, 2), np.float32), "w"),
            numpy_helper.from_array(np.zeros((1, 2, 2), np.float32), "r")], opset=14),
     os.path.join(out, "rnn_clip.onnx"))
save(model([helper.make_node("GRU", ["x", "w", "r"], ["", "h"], name="gru2", hidden_size=2)],
           [vi("x", [3, 1, 2])], [vi("h", [1, 1, 2])],
           [numpy_helper.from_array(np.zeros((1, 4, 2), np.float32), "w"),
            numpy_helper.from_array(np.zeros((1, 6, 2), np.float32), "r")], opset=14),
     os.path.join(out, "gru_w.onnx"))
save(model([helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="oh2")],
           [vi_typed("i", TensorProto.INT64, [3]), vi("v", [2])], [vi("y", [3, 1])],
           [numpy_helper.from_array(np.array(0, np.int64), "d")], opset=11),
     os.path.join(out, "onehot_zero.onnx"))
save(model([helper.make_node("HannWindow", ["n"], ["y"], name="hann2",
                             output_datatype=TensorProto.INT32)],
           [vi("x", [1])], [vi_typed("y", TensorProto.INT32, [8])],
           [numpy_helper.from_array(np.array(8, np.int64), "n")], opset=17),
     os.path.join(out, "window_int.onnx"))
save(model([helper.make_node("EyeLike", ["x"], ["y"], name="eye")],
           [vi("x", [2, 2, 2])], [vi("y", [2, 2, 2])], opset=9),
     os.path.join(out, "eyelike_rank.onnx"))
save(model([helper.make_node("CenterCropPad", ["x", "s"], ["y"], name="ccp2", axes=[5])],
           [vi("x", [4, 4])], [vi("y", [4, 2])],
           [numpy_helper.from_array(np.array([2], np.int64), "s")], opset=18),
     os.path.join(out, "center_crop_pad_axis.onnx"))
save(model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "t", "w"], ["y"], name="nll2")],
           [vi("x", [3, 5]), vi_typed("t", TensorProto.INT64, [3]), vi("w", [4])], [vi("y", [])],
           opset=13),
     os.path.join(out, "nll_weight.onnx"))
# DFT: a onesided inverse transform; the last (complex) axis as the signal axis.
save(model([helper.make_node("DFT", ["x"], ["y"], name="dft", inverse=1, onesided=1)],
           [vi("x", [2, 8, 1])], [vi("y", [2, 5, 2])], opset=17),
     os.path.join(out, "dft_onesided_inverse.onnx"))
save(model([helper.make_node("DFT", ["x"], ["y"], name="dft2", axis=2)],
           [vi("x", [2, 8, 1])], [vi("y", [2, 8, 2])], opset=17),
     os.path.join(out, "dft_axis.onnx"))
# QOperator / dynamic quantization: a float MatMulInteger operand, zero
# points of the wrong type or shape, DynamicQuantizeLinear of float16,
# run-time zero points or data with blocks, DequantizeLinear of floats.
U8, I8 = TensorProto.UINT8, TensorProto.INT8
save(model([helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi")],
           [vi("a", [2, 4]), vi_typed("b", I8, [4, 3])], [vi_typed("y", TensorProto.INT32, [2, 3])],
           opset=21),
     os.path.join(out, "matmulinteger_float.onnx"))
save(model([helper.make_node("MatMulInteger", ["a", "b", "za"], ["y"], name="mmi2")],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", I8, [4, 3])],
           [vi_typed("y", TensorProto.INT32, [2, 3])],
           [numpy_helper.from_array(np.array(3, np.int8), "za")], opset=21),
     os.path.join(out, "matmulinteger_zp_type.onnx"))
save(model([helper.make_node("MatMulInteger", ["a", "b", "", "zb"], ["y"], name="mmi3")],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", I8, [4, 3])],
           [vi_typed("y", TensorProto.INT32, [2, 3])],
           [numpy_helper.from_array(np.zeros(5, np.int8), "zb")], opset=21),
     os.path.join(out, "matmulinteger_zp_shape.onnx"))
save(model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"], name="dql")],
           [vi_typed("x", TensorProto.FLOAT16, [2, 4])],
           [vi_typed("y", U8, [2, 4]), vi("s", []), vi_typed("z", U8, [])], opset=21),
     os.path.join(out, "dynamicquantize_f16.onnx"))
save(model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="ql", axis=1,
                             block_size=2)],
           [vi("x", [2, 4]), vi_typed("z", U8, [2, 2])], [vi_typed("y", U8, [2, 4])],
           [numpy_helper.from_array(np.ones((2, 2), np.float32), "s")], opset=21),
     os.path.join(out, "quantize_runtime_zp_blocked.onnx"))
save(model([helper.make_node("DequantizeLinear", ["x", "s"], ["y"], name="dql2", axis=1,
                             block_size=2)],
           [vi_typed("x", U8, [2, 4])], [vi("y", [2, 4])],
           [numpy_helper.from_array(np.ones((2, 3), np.float32), "s")], opset=21),
     os.path.join(out, "dequantize_runtime_blocked.onnx"))
save(model([helper.make_node("DequantizeLinear", ["x", "s"], ["y"], name="dql3")],
           [vi("x", [2, 4])], [vi("y", [2, 4])],
           [numpy_helper.from_array(np.ones((), np.float32), "s")], opset=21),
     os.path.join(out, "dequantize_float.onnx"))
save(model([helper.make_node("ConvInteger", ["x", "w"], ["y"], name="ci")],
           [vi("x", [1, 2, 4, 4]), vi_typed("w", U8, [3, 2, 3, 3])],
           [vi_typed("y", TensorProto.INT32, [1, 3, 2, 2])], opset=21),
     os.path.join(out, "convinteger_float.onnx"))
save(model([helper.make_node("ConvInteger", ["x", "w"], ["y"], name="ci3")],
           [vi_typed("x", U8, [1, 2, 4, 4, 4]), vi_typed("w", U8, [3, 2, 3, 3, 3])],
           [vi_typed("y", TensorProto.INT32, [1, 3, 2, 2, 2])], opset=21),
     os.path.join(out, "convinteger_3d.onnx"))
save(model([helper.make_node("QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"],
                             ["y"], name="qlc")],
           [vi_typed("x", U8, [1, 2, 4, 4]), vi_typed("w", U8, [3, 2, 3, 3])],
           [vi_typed("y", U8, [1, 3, 2, 2])],
           [numpy_helper.from_array(np.array(0.1, np.float32), k) for k in ["sx", "sw", "sy"]]
           + [numpy_helper.from_array(np.array(3, np.uint8), k) for k in ["zx", "zw", "zy"]]
           + [numpy_helper.from_array(np.zeros(3, np.float32), "b")], opset=21),
     os.path.join(out, "qlinearconv_bias.onnx"))
save(model([helper.make_node("QLinearAdd", ["a", "s", "", "b", "s", "", "s"], ["y"], name="qla",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", I8, [2, 4])], [vi_typed("y", U8, [2, 4])],
           [numpy_helper.from_array(np.array(0.1, np.float32), "s")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearadd_types.onnx"))
save(model([helper.make_node("QLinearConcat", ["s", "z", "a", "s"], ["y"], name="qlcat",
                             domain="com.microsoft", axis=1)],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 4])],
           [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
            numpy_helper.from_array(np.array(3, np.uint8), "z")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearconcat_inputs.onnx"))
save(model([helper.make_node("QLinearGlobalAveragePool", ["a", "s", "z", "s", "z"], ["y"],
                             name="qlgap", domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 1])],
           [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
            numpy_helper.from_array(np.array(3, np.uint8), "z")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlineargap_rank.onnx"))
# QLinearMatMul reading int4 codes; run-time zero points and data of
# unsupported types; per-axis scales where per-tensor ones are needed.
f32s = numpy_helper.from_array(np.array(0.1, np.float32), "s")
save(model([helper.make_node("QuantizeLinear", ["x", "s", "z8"], ["q"], name="q8"),
            helper.make_node("QLinearMatMul", ["q", "s", "zw", "w", "s", "zw", "s", "zw"], ["y"],
                             name="qmm8")],
           [vi("x", [2, 4]), vi_typed("w", I8, [4, 3])], [vi_typed("y", I8, [2, 3])],
           [f32s, helper.make_tensor("z8", TensorProto.FLOAT8E4M3FN, [], [0]),
            numpy_helper.from_array(np.array(0, np.int8), "zw")], opset=21),
     os.path.join(out, "qlinearmatmul_fp8.onnx"))
save(model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="ql32")],
           [vi("x", [2, 4]), vi_typed("z", TensorProto.INT32, [])],
           [vi_typed("y", TensorProto.INT32, [2, 4])], [f32s], opset=21),
     os.path.join(out, "quantize_runtime_zp_int32.onnx"))
save(model([helper.make_node("DequantizeLinear", ["x", "s"], ["y"], name="dq64")],
           [vi_typed("x", TensorProto.INT64, [2, 4])], [vi("y", [2, 4])], [f32s], opset=21),
     os.path.join(out, "dequantize_int64.onnx"))
save(model([helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], name="dqz")],
           [vi_typed("x", U8, [2, 4])], [vi("y", [2, 4])],
           [f32s, numpy_helper.from_array(np.array(1, np.int8), "z")], opset=21),
     os.path.join(out, "dequantize_zp_type.onnx"))
save(model([helper.make_node("DequantizeLinear", ["x", "s"], ["y"], name="dqax", axis=1)],
           [vi_typed("x", U8, [2, 4])], [vi("y", [2, 4])],
           [numpy_helper.from_array(np.ones((2, 2), np.float32), "s")], opset=21),
     os.path.join(out, "dequantize_axis_rank.onnx"))
save(model([helper.make_node("QLinearAdd", ["a", "s4", "", "b", "s", "", "s"], ["y"], name="qla2",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", U8, [2, 4])], [vi_typed("y", U8, [2, 4])],
           [f32s, numpy_helper.from_array(np.ones(4, np.float32), "s4")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearadd_scale.onnx"))
save(model([helper.make_node("QLinearConcat", ["s", "z", "a", "s", "z", "b", "s", "zi"], ["y"],
                             name="qlcat2", domain="com.microsoft", axis=1)],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", I8, [2, 4])], [vi_typed("y", U8, [2, 8])],
           [f32s, numpy_helper.from_array(np.array(3, np.uint8), "z"),
            numpy_helper.from_array(np.array(3, np.int8), "zi")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearconcat_types.onnx"))
# com.microsoft QGemm of a 3-D A and with a float C; QLinearSigmoid with a
# zero point of another type; QLinearAveragePool of a 2-D input.
zu8 = numpy_helper.from_array(np.array(3, np.uint8), "z")
save(model([helper.make_node("QGemm", ["a", "s", "z", "b", "s", "z"], ["y"], name="qg3",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 3, 4]), vi_typed("b", U8, [4, 5])], [vi("y", [2, 3, 5])],
           [f32s, zu8], opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qgemm_rank.onnx"))
save(model([helper.make_node("QGemm", ["a", "s", "z", "b", "s", "z", "c"], ["y"], name="qgc",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [3, 4]), vi_typed("b", U8, [4, 5])], [vi("y", [3, 5])],
           [f32s, zu8, numpy_helper.from_array(np.zeros(5, np.float32), "c")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qgemm_bias.onnx"))
save(model([helper.make_node("QLinearSigmoid", ["a", "s", "zi", "s", "z"], ["y"], name="qls",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 4])],
           [f32s, zu8, numpy_helper.from_array(np.array(3, np.int8), "zi")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearsigmoid_zp.onnx"))
save(model([helper.make_node("QLinearAveragePool", ["a", "s", "z", "s", "z"], ["y"], name="qlap",
                             domain="com.microsoft", kernel_shape=[2])],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 3])], [f32s, zu8], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearavgpool_rank.onnx"))
# onnxruntime's fusions: FusedMatMul with transBatchA; SkipLayerNormalization
# asked for its mean; MatMulIntegerToFloat with a 2-D b_scale.
save(model([helper.make_node("FusedMatMul", ["x", "x"], ["y"], name="fmm", transBatchA=1,
                             domain="com.microsoft")],
           [vi("x", [2, 4, 4])], [vi("y", [2, 4, 4])], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "fusedmatmul_transbatch.onnx"))
save(model([helper.make_node("SkipLayerNormalization", ["x", "x", "g"], ["y", "mean"], name="sln",
                             domain="com.microsoft")],
           [vi("x", [2, 4])], [vi("y", [2, 4]), vi("mean", [2, 1])],
           [numpy_helper.from_array(np.ones(4, np.float32), "g")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "skiplayernorm_mean.onnx"))
save(model([helper.make_node("MatMulIntegerToFloat", ["a", "b", "s", "s2"], ["y"], name="mmf",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4]), vi_typed("b", U8, [4, 3])], [vi("y", [2, 3])],
           [f32s, numpy_helper.from_array(np.ones((1, 3), np.float32), "s2")], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "matmulintegertofloat_scale.onnx"))
save(model([helper.make_node("QLinearWhere", ["c", "a", "s", "z", "a", "s", "z", "s"], ["y"],
                             name="qlw", domain="com.microsoft")],
           [helper.make_tensor_value_info("c", TensorProto.BOOL, [2, 4]),
            vi_typed("a", U8, [2, 4])],
           [vi_typed("y", U8, [2, 4])], [f32s, zu8], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearwhere_inputs.onnx"))
save(model([helper.make_node("AveragePool", ["a"], ["y"], name="apint", kernel_shape=[2, 2])],
           [vi_typed("a", I8, [1, 1, 4, 4])], [vi_typed("y", I8, [1, 1, 3, 3])], opset=17),
     os.path.join(out, "averagepool_int8.onnx"))
# Casts to the 8-bit formats: from float64 (two roundings), E8M0 with
# round_mode nearest.
save(model([helper.make_node("Cast", ["x"], ["y"], name="c64", to=TensorProto.FLOAT8E4M3FN)],
           [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [4])],
           [helper.make_tensor_value_info("y", TensorProto.FLOAT8E4M3FN, [4])], opset=23),
     os.path.join(out, "cast_f64_fp8.onnx"))
save(model([helper.make_node("Cast", ["x"], ["y"], name="ce8", to=TensorProto.FLOAT8E8M0,
                             round_mode="nearest")],
           [vi("x", [4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT8E8M0, [4])],
           opset=24),
     os.path.join(out, "cast_e8m0_nearest.onnx"))
save(model([helper.make_node("QGemm", ["a", "s", "z", "b", "s", "z"], ["y"], name="qgk",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [3, 4]), vi_typed("b", U8, [6, 5])], [vi("y", [3, 5])],
           [f32s, zu8], opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qgemm_k.onnx"))
# QGemm with y_zero_point but no y_scale; QLinearLeakyRelu of float data;
# QLinearWhere with a float z_zero_point; FusedMatMul transposing a 1-D B.
save(model([helper.make_node("QGemm", ["a", "s", "z", "b", "s", "z", "", "", "z"], ["y"],
                             name="qgy", domain="com.microsoft")],
           [vi_typed("a", U8, [3, 4]), vi_typed("b", U8, [4, 5])], [vi_typed("y", U8, [3, 5])],
           [f32s, zu8], opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qgemm_yzp.onnx"))
save(model([helper.make_node("QLinearLeakyRelu", ["x", "s", "", "s"], ["y"], name="qlr",
                             domain="com.microsoft")],
           [vi("x", [4])], [vi("y", [4])], [f32s], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearleakyrelu_float.onnx"))
save(model([helper.make_node("QLinearWhere", ["c", "a", "s", "z", "a", "s", "z", "s", "s"],
                             ["y"], name="qlw2", domain="com.microsoft")],
           [helper.make_tensor_value_info("c", TensorProto.BOOL, [2, 4]),
            vi_typed("a", U8, [2, 4])],
           [vi_typed("y", U8, [2, 4])], [f32s, zu8], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearwhere_zz.onnx"))
save(model([helper.make_node("FusedMatMul", ["x", "v"], ["y"], name="fmm1", transB=1,
                             domain="com.microsoft")],
           [vi("x", [2, 4]), vi("v", [4])], [vi("y", [2])], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "fusedmatmul_rank1.onnx"))
# QLinearSoftmax without onnxruntime's required opset attribute, with a
# run-time X_scale (its table is built at import), with an axis out of range.
save(model([helper.make_node("QLinearSoftmax", ["a", "s", "z", "s", "z"], ["y"], name="qsm",
                             domain="com.microsoft")],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 4])], [f32s, zu8], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearsoftmax_opset.onnx"))
save(model([helper.make_node("QLinearSoftmax", ["a", "xs", "z", "s", "z"], ["y"], name="qsm2",
                             domain="com.microsoft", opset=13)],
           [vi_typed("a", U8, [2, 4]), vi("xs", [])], [vi_typed("y", U8, [2, 4])],
           [f32s, zu8], opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearsoftmax_scale.onnx"))
save(model([helper.make_node("QLinearSoftmax", ["a", "s", "z", "s", "z"], ["y"], name="qsm3",
                             domain="com.microsoft", opset=13, axis=2)],
           [vi_typed("a", U8, [2, 4])], [vi_typed("y", U8, [2, 4])], [f32s, zu8], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "qlinearsoftmax_axis.onnx"))
# com.microsoft Attention with a past state, with a 4-D mask, with weights
# that do not split into Q, K and V, without num_heads.
att_w = numpy_helper.from_array(np.zeros((8, 24), np.float32), "aw")
att_w_odd = numpy_helper.from_array(np.zeros((8, 20), np.float32), "aw")
save(model([helper.make_node("Attention", ["x", "aw", "", "", "past"], ["y"], name="catt1",
                             domain="com.microsoft", num_heads=2)],
           [vi("x", [1, 3, 8]), vi("past", [2, 1, 2, 1, 4])], [vi("y", [1, 3, 8])], [att_w],
           opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "contrib_attention_past.onnx"))
save(model([helper.make_node("Attention", ["x", "aw", "", "m"], ["y"], name="catt2",
                             domain="com.microsoft", num_heads=2)],
           [vi("x", [1, 3, 8]), vi_typed("m", TensorProto.INT32, [1, 1, 3, 3])],
           [vi("y", [1, 3, 8])], [att_w], opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "contrib_attention_mask4d.onnx"))
save(model([helper.make_node("Attention", ["x", "aw"], ["y"], name="catt3",
                             domain="com.microsoft", num_heads=3)],
           [vi("x", [1, 3, 8])], [vi("y", [1, 3, 8])], [att_w_odd], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "contrib_attention_split.onnx"))
save(model([helper.make_node("Attention", ["x", "aw"], ["y"], name="catt4",
                             domain="com.microsoft")],
           [vi("x", [1, 3, 8])], [vi("y", [1, 3, 8])], [att_w], opset=17,
           extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "contrib_attention_heads.onnx"))
# EmbedLayerNormalization of 1-D input_ids; with segment_ids but no
# segment_embedding.
emb_tables = [numpy_helper.from_array(np.zeros((5, 4), np.float32), "we"),
              numpy_helper.from_array(np.zeros((8, 4), np.float32), "pe"),
              numpy_helper.from_array(np.ones(4, np.float32), "ga"),
              numpy_helper.from_array(np.zeros(4, np.float32), "be")]
save(model([helper.make_node("EmbedLayerNormalization",
                             ["ids", "", "we", "pe", "", "ga", "be"], ["y"], name="eln1",
                             domain="com.microsoft")],
           [vi_typed("ids", TensorProto.INT32, [3])], [vi("y", [3, 4])], emb_tables,
           opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "embedlayernorm_ids.onnx"))
save(model([helper.make_node("EmbedLayerNormalization",
                             ["ids", "ids", "we", "pe", "", "ga", "be"], ["y"], name="eln2",
                             domain="com.microsoft")],
           [vi_typed("ids", TensorProto.INT32, [1, 3])], [vi("y", [1, 3, 4])], emb_tables,
           opset=17, extra_opsets=[("com.microsoft", 1)]),
     os.path.join(out, "embedlayernorm_segment.onnx"))
# LRN without its required size.
save(model([helper.make_node("LRN", ["x"], ["y"], name="lrn")],
           [vi("x", [1, 3, 4, 4])], [vi("y", [1, 3, 4, 4])], opset=13),
     os.path.join(out, "lrn_size.onnx"))
# GridSample with a grid of the wrong last dimension; AffineGrid of a 3-D
# size.
save(model([helper.make_node("GridSample", ["x", "g"], ["y"], name="gs")],
           [vi("x", [1, 2, 4, 4]), vi("g", [1, 3, 3, 3])], [vi("y", [1, 2, 3, 3])], opset=20),
     os.path.join(out, "gridsample_grid.onnx"))
save(model([helper.make_node("AffineGrid", ["th", "sz"], ["y"], name="ag")],
           [vi("th", [1, 2, 3])], [vi("y", [1, 4, 2])],
           [numpy_helper.from_array(np.array([1, 1, 4], np.int64), "sz")], opset=20),
     os.path.join(out, "affinegrid_size.onnx"))
# STFT whose frame is longer than the signal.
save(model([helper.make_node("STFT", ["x", "st", "", "fl"], ["y"], name="stft")],
           [vi("x", [1, 8, 1])], [vi("y", [1, 1, 9, 2])],
           [numpy_helper.from_array(np.array(2, np.int64), "st"),
            numpy_helper.from_array(np.array(16, np.int64), "fl")], opset=17),
     os.path.join(out, "stft_frame.onnx"))
# TensorScatter whose update is longer than the cache.
save(model([helper.make_node("TensorScatter", ["c", "u"], ["y"], name="ts")],
           [vi("c", [2, 4, 3]), vi("u", [2, 5, 3])], [vi("y", [2, 4, 3])], opset=24),
     os.path.join(out, "tensorscatter_update.onnx"))
# Compress with a condition computed at run time.
save(model([helper.make_node("Compress", ["x", "c"], ["y"], name="cp", axis=0)],
           [vi("x", [3, 4]), vi_typed("c", TensorProto.BOOL, [3])], [vi("y", [2, 4])],
           opset=13),
     os.path.join(out, "compress_runtime.onnx"))
# Col2Im whose input does not hold the blocks of the image.
save(model([helper.make_node("Col2Im", ["x", "im", "bl"], ["y"], name="c2i")],
           [vi("x", [1, 8, 10])], [vi("y", [1, 2, 4, 4])],
           [numpy_helper.from_array(np.array([4, 4], np.int64), "im"),
            numpy_helper.from_array(np.array([2, 2], np.int64), "bl")], opset=18),
     os.path.join(out, "col2im_blocks.onnx"))
# AveragePool asked for MaxPool's Indices output; MaxUnpool into an
# output_shape smaller than the inferred one.
save(model([helper.make_node("MaxPool", ["x"], ["y", "i"], name="mp3", kernel_shape=[2, 2, 2])],
           [vi("x", [1, 1, 4, 4, 4])],
           [vi("y", [1, 1, 3, 3, 3]), vi_typed("i", TensorProto.INT64, [1, 1, 3, 3, 3])],
           opset=13),
     os.path.join(out, "maxpool3d_indices.onnx"))
save(model([helper.make_node("MaxUnpool", ["x", "i", "os"], ["y"], name="mu",
                             kernel_shape=[2, 2], strides=[2, 2])],
           [vi("x", [1, 1, 2, 2]), vi_typed("i", TensorProto.INT64, [1, 1, 2, 2])],
           [vi("y", [1, 1, 3, 3])],
           [numpy_helper.from_array(np.array([1, 1, 3, 3], np.int64), "os")], opset=13),
     os.path.join(out, "maxunpool_shape.onnx"))
# If on a condition known only at run time whose branches give outputs of
# different shapes.
branch = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "b", [],
                           [vi("z", [2])])
branch3 = helper.make_graph([helper.make_node("Identity", ["x3"], ["z3"])], "b3", [],
                            [vi("z3", [3])])
save(model([helper.make_node("If", ["c"], ["y"], name="if1", then_branch=branch,
                             else_branch=branch3)],
           [vi_typed("c", TensorProto.BOOL, []), vi("x", [2]), vi("x3", [3])], [vi("y", [2])],
           opset=17),
     os.path.join(out, "if_runtime.onnx"))
# ReverseSequence whose lengths do not match the batch; MeanVarianceNormalization
# over an axis out of range; MelWeightMatrix with the edges reversed;
# CastLike with one input; Concat with an empty input name.
save(model([helper.make_node("ReverseSequence", ["x", "l"], ["y"], name="rsq")],
           [vi("x", [4, 2, 3]), vi_typed("l", TensorProto.INT64, [3])], [vi("y", [4, 2, 3])],
           opset=13),
     os.path.join(out, "reversesequence_lens.onnx"))
save(model([helper.make_node("MeanVarianceNormalization", ["x"], ["y"], name="mvn", axes=[5])],
           [vi("x", [2, 3])], [vi("y", [2, 3])], opset=13),
     os.path.join(out, "mvn_axis.onnx"))
save(model([helper.make_node("MelWeightMatrix", ["nb", "dl", "sr", "lo", "hi"], ["y"],
                             name="mel")],
           [], [vi("y", [5, 4])],
           [numpy_helper.from_array(np.array(v, t), k) for k, v, t in
            [("nb", 4, np.int64), ("dl", 8, np.int64), ("sr", 16000, np.int64),
             ("lo", 4000.0, np.float32), ("hi", 100.0, np.float32)]], opset=17),
     os.path.join(out, "melweightmatrix_edges.onnx"))
save(model([helper.make_node("CastLike", ["x"], ["y"], name="cl")],
           [vi("x", [2])], [vi("y", [2])], opset=17),
     os.path.join(out, "castlike_one_input.onnx"))
save(model([helper.make_node("Concat", ["x", ""], ["y"], name="cat", axis=0)],
           [vi("x", [2])], [vi("y", [2])], opset=17),
     os.path.join(out, "concat_empty_input.onnx"))
# com.microsoft GroupQueryAttention: a total_sequence_length computed at run
# time, heads that do not divide, a total shorter than the sequence, a longer
# one without a cache, attention_bias; RotaryEmbedding with packed batching.
ms = [("com.microsoft", 1)]
gqa_total = numpy_helper.from_array(np.array(4, np.int32), "tot")
gqa_in = [vi("q", [1, 4, 32]), vi("k", [1, 4, 16]), vi("v", [1, 4, 16]),
          vi_typed("sl", TensorProto.INT32, [1])]
gqa_out = [vi("y", [1, 4, 32])]


def gqa(name, inputs, extra_inputs=(), inits=(gqa_total,), **attrs):
    attrs = {"num_heads": 2, "kv_num_heads": 1, **attrs}
    return model([helper.make_node("GroupQueryAttention", inputs, ["y"], name=name,
                                   domain="com.microsoft", **attrs)],
                 gqa_in + list(extra_inputs), gqa_out, list(inits), extra_opsets=ms)


save(gqa("gqa1", ["q", "k", "v", "", "", "sl", "tin"],
         [vi_typed("tin", TensorProto.INT32, [1])], inits=()),
     os.path.join(out, "gqa_total_runtime.onnx"))
save(gqa("gqa2", ["q", "k", "v", "", "", "sl", "tot"], kv_num_heads=3),
     os.path.join(out, "gqa_heads.onnx"))
save(gqa("gqa3", ["q", "k", "v", "", "", "sl", "tot"],
         inits=(numpy_helper.from_array(np.array(3, np.int32), "tot"),)),
     os.path.join(out, "gqa_total_short.onnx"))
save(gqa("gqa4", ["q", "k", "v", "", "", "sl", "tot"],
         inits=(numpy_helper.from_array(np.array(6, np.int32), "tot"),)),
     os.path.join(out, "gqa_no_cache.onnx"))
save(gqa("gqa5", ["q", "k", "v", "", "", "sl", "tot", "", "", "", "ab"],
         [vi("ab", [1, 2, 4, 4])]),
     os.path.join(out, "gqa_bias.onnx"))
save(gqa("gqa6", ["q", "k", "", "", "", "sl", "tot"]),
     os.path.join(out, "gqa_key_only.onnx"))
save(gqa("gqa7", ["q", "k", "v", "", "", "sl", "tot"], do_rotary=1),
     os.path.join(out, "gqa_rotary_caches.onnx"))
save(model([helper.make_node("RotaryEmbedding", ["q", "pos", "cs", "cs"], ["y"], name="rope1",
                             domain="com.microsoft", is_packed_batching=1)],
           [vi("q", [1, 4, 32]), vi_typed("pos", TensorProto.INT64, [1, 4]),
            vi("cs", [8, 8])], gqa_out, extra_opsets=ms),
     os.path.join(out, "contrib_rotary_packed.onnx"))

# com.microsoft GatherBlockQuantized: float data, another quantize axis, 4-bit
# zero points computed at run time.
gbq_data = numpy_helper.from_array(np.zeros((4, 16), np.uint8), "gd")
gbq_scales = numpy_helper.from_array(np.ones((4, 1), np.float32), "gs")
gbq_idx = [vi_typed("gi", TensorProto.INT64, [2])]
save(model([helper.make_node("GatherBlockQuantized", ["gf", "gi", "gs"], ["y"], name="gbq1",
                             domain="com.microsoft", block_size=32)],
           gbq_idx + [vi("gf", [4, 16])], [vi("y", [2, 32])], [gbq_scales], extra_opsets=ms),
     os.path.join(out, "gbq_float_data.onnx"))
save(model([helper.make_node("GatherBlockQuantized", ["gd", "gi", "gs"], ["y"], name="gbq2",
                             domain="com.microsoft", block_size=32, quantize_axis=0)],
           gbq_idx, [vi("y", [2, 32])], [gbq_data, gbq_scales], extra_opsets=ms),
     os.path.join(out, "gbq_axis.onnx"))
save(model([helper.make_node("GatherBlockQuantized", ["gd", "gi", "gs", "gz"], ["y"], name="gbq3",
                             domain="com.microsoft", block_size=32)],
           gbq_idx + [vi_typed("gz", TensorProto.UINT8, [4, 1])], [vi("y", [2, 32])],
           [gbq_data, gbq_scales], extra_opsets=ms),
     os.path.join(out, "gbq_zero_points.onnx"))

# com.microsoft MultiHeadAttention: packed Q / K / V (no key), decoder masked
# attention's past_sequence_length, per-head key / value with a bias, a mask of
# another shape.
mha_in = [vi("q", [1, 4, 32]), vi("k", [1, 6, 32]), vi("v", [1, 6, 32])]
mha_bias = numpy_helper.from_array(np.zeros(96, np.float32), "mb")


def mha(name, inputs, extra=(), inits=()):
    return model([helper.make_node("MultiHeadAttention", inputs, ["y"], name=name,
                                   domain="com.microsoft", num_heads=4)],
                 mha_in + list(extra), [vi("y", [1, 4, 32])], list(inits), extra_opsets=ms)


save(mha("mha1", ["q"]), os.path.join(out, "mha_packed.onnx"))
save(mha("mha2", ["q", "k", "v", "", "", "", "", "", "psl"],
         [vi_typed("psl", TensorProto.INT32, [1])]),
     os.path.join(out, "mha_past_length.onnx"))
save(mha("mha3", ["q", "k4", "v4", "mb"], [vi("k4", [1, 4, 6, 8]), vi("v4", [1, 4, 6, 8])],
         [mha_bias]),
     os.path.join(out, "mha_per_head_bias.onnx"))
save(mha("mha4", ["q", "k", "v", "", "m"], [vi_typed("m", TensorProto.INT32, [1, 4])]),
     os.path.join(out, "mha_mask.onnx"))

# Scan: scan inputs of different lengths; a body with the wrong number of
# inputs; a scan input axis out of range.
scan_body = helper.make_graph(
    [helper.make_node("Add", ["s", "e"], ["s2"]), helper.make_node("Identity", ["s2"], ["o"])],
    "body", [vi("s", None), vi("e", None)], [vi("s2", None), vi("o", None)])
scan_body3 = helper.make_graph(
    [helper.make_node("Add", ["s", "e"], ["s2"]), helper.make_node("Identity", ["s2"], ["o"])],
    "body", [vi("s", None), vi("e", None), vi("f", None)], [vi("s2", None), vi("o", None)])
save(model([helper.make_node("Scan", ["s0", "xa", "xb"], ["y", "z"], name="scan1",
                             body=scan_body3, num_scan_inputs=2)],
           [vi("s0", [2]), vi("xa", [3, 2]), vi("xb", [4, 2])], [vi("y", [2])], opset=17),
     os.path.join(out, "scan_lengths.onnx"))
save(model([helper.make_node("Scan", ["s0", "xa"], ["y", "z"], name="scan2", body=scan_body3,
                             num_scan_inputs=1)],
           [vi("s0", [2]), vi("xa", [3, 2])], [vi("y", [2])], opset=17),
     os.path.join(out, "scan_body_inputs.onnx"))
save(model([helper.make_node("Scan", ["s0", "xa"], ["y", "z"], name="scan3", body=scan_body,
                             num_scan_inputs=1, scan_input_axes=[2])],
           [vi("s0", [2]), vi("xa", [3, 2])], [vi("y", [2])], opset=17),
     os.path.join(out, "scan_axis.onnx"))

# Loop: a trip count known only at run time; a body whose condition is
# computed at run time; no iteration but a scan output.
loop_body = helper.make_graph(
    [helper.make_node("Add", ["a", "x"], ["a2"]),
     helper.make_node("ReduceMax", ["a2"], ["mx"], keepdims=0),
     helper.make_node("Less", ["mx", "lim"], ["c2"]),
     helper.make_node("Identity", ["a2"], ["o"])],
    "body", [vi_typed("it", TensorProto.INT64, []), vi_typed("c", TensorProto.BOOL, []),
             vi("a", None)],
    [vi_typed("c2", TensorProto.BOOL, []), vi("a2", None), vi("o", None)],
    [numpy_helper.from_array(np.array(3.0, np.float32), "lim")])
loop_body_true = helper.make_graph(
    [helper.make_node("Add", ["a", "x"], ["a2"]), helper.make_node("Identity", ["c"], ["c2"]),
     helper.make_node("Identity", ["a2"], ["o"])],
    "body", [vi_typed("it", TensorProto.INT64, []), vi_typed("c", TensorProto.BOOL, []),
             vi("a", None)],
    [vi_typed("c2", TensorProto.BOOL, []), vi("a2", None), vi("o", None)])
trips = lambda v: numpy_helper.from_array(np.array(v, np.int64), "m")
save(model([helper.make_node("Loop", ["mr", "", "a0"], ["y", "z"], name="loop1",
                             body=loop_body_true)],
           [vi_typed("mr", TensorProto.INT64, []), vi("a0", [2]), vi("x", [2])],
           [vi("y", [2])], opset=17),
     os.path.join(out, "loop_trips.onnx"))
save(model([helper.make_node("Loop", ["m", "", "a0"], ["y", "z"], name="loop2",
                             body=loop_body)],
           [vi("a0", [2]), vi("x", [2])], [vi("y", [2])], [trips(4)], opset=17),
     os.path.join(out, "loop_cond.onnx"))
save(model([helper.make_node("Loop", ["m", "", "a0"], ["y", "z"], name="loop3",
                             body=loop_body_true)],
           [vi("a0", [2]), vi("x", [2])], [vi("y", [2])], [trips(0)], opset=17),
     os.path.join(out, "loop_zero.onnx"))

# Scan with no scan input; Loop unrolled past 100000 nodes; a Loop body
# without the iteration number and condition inputs.
save(model([helper.make_node("Scan", ["s0", "xa"], ["y", "z"], name="scan4", body=scan_body,
                             num_scan_inputs=0)],
           [vi("s0", [2]), vi("xa", [3, 2])], [vi("y", [2])], opset=17),
     os.path.join(out, "scan_num.onnx"))
save(model([helper.make_node("Loop", ["m", "", "a0"], ["y", "z"], name="loop4",
                             body=loop_body_true)],
           [vi("a0", [2]), vi("x", [2])], [vi("y", [2])], [trips(40000)], opset=17),
     os.path.join(out, "loop_max.onnx"))
save(model([helper.make_node("Loop", ["m", "", "a0"], ["y", "z"], name="loop5",
                             body=scan_body)],
           [vi("a0", [2]), vi("x", [2])], [vi("y", [2])], [trips(2)], opset=17),
     os.path.join(out, "loop_body_inputs.onnx"))

# RoiAlign with the adaptive sampling ratio, with an unknown mode and with
# rois of another shape; DeformConv with offsets of the wrong shape and
# with a group that does not divide the channels.
roi_inputs = [vi("x", [1, 2, 8, 8]), vi("rois", [3, 4]), vi_typed("bi", TensorProto.INT64, [3])]
save(model([helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], name="roi1")],
           roi_inputs, [vi("y", [3, 2, 1, 1])], opset=16),
     os.path.join(out, "roi_align_adaptive.onnx"))
save(model([helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], name="roi2", mode="median",
                             sampling_ratio=2)],
           roi_inputs, [vi("y", [3, 2, 1, 1])], opset=16),
     os.path.join(out, "roi_align_mode.onnx"))
save(model([helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], name="roi3",
                             sampling_ratio=2)],
           [vi("x", [1, 2, 8, 8]), vi("rois", [3, 5]), vi_typed("bi", TensorProto.INT64, [3])],
           [vi("y", [3, 2, 1, 1])], opset=16),
     os.path.join(out, "roi_align_rois.onnx"))
save(model([helper.make_node("DeformConv", ["x", "w", "o"], ["y"], name="dc1")],
           [vi("x", [1, 2, 5, 5]), vi("w", [3, 2, 3, 3]), vi("o", [1, 9, 3, 3])],
           [vi("y", [1, 3, 3, 3])], opset=19),
     os.path.join(out, "deform_conv_offset.onnx"))
save(model([helper.make_node("DeformConv", ["x", "w", "o"], ["y"], name="dc2", group=2)],
           [vi("x", [1, 3, 5, 5]), vi("w", [2, 1, 3, 3]), vi("o", [1, 18, 3, 3])],
           [vi("y", [1, 2, 3, 3])], opset=19),
     os.path.join(out, "deform_conv_group.onnx"))

# Det of non-square matrices.
save(model([helper.make_node("Det", ["x"], ["y"], name="det1")],
           [vi("x", [2, 3, 4])], [vi("y", [2])], opset=22),
     os.path.join(out, "det_not_square.onnx"))

save(model([helper.make_node("Hardmax", ["x"], ["y"], name="hm")],
           [vi_typed("x", TensorProto.INT32, [2, 3])], [vi_typed("y", TensorProto.INT32, [2, 3])],
           opset=13),
     os.path.join(out, "hardmax_int.onnx"))

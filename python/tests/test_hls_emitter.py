"""HLS C++ emitter (`quant-translate --emit-hls`): the C simulation of the
emitted design, compiled against Xilinx's open ap_int headers, computes the
reference interpreter's outputs bit for bit."""

import importlib.util
import json
import pathlib
import re
import shutil
import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN, quant_run, rel_l2
from quantc import models

CXX = shutil.which("clang++-19") or shutil.which("c++")


def ap_types():
    """Directory of ap_int.h: hls4ml ships Xilinx's headers (scripts/setup.sh
    installs it without its dependencies)."""
    spec = importlib.util.find_spec("hls4ml")
    assert spec is not None, "hls4ml is missing from .venv: run scripts/setup.sh"
    d = pathlib.Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    assert (d / "ap_int.h").is_file(), d
    return d


def emit(module, tmp):
    """The design and testbench sources of `module`."""
    design, tb = tmp / "design.cpp", tmp / "tb.cpp"
    for flag, path in (("--emit-hls", design), ("--emit-hls-testbench", tb)):
        r = subprocess.run([str(BIN / "quant-translate"), flag, str(module), "-o",
                            str(path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    return design, tb


def simulate(module, inputs, outputs, tmp):
    """C-simulates `module`'s design on `inputs` (name -> array); returns the
    outputs (name -> dtype) as flat arrays."""
    design, tb = emit(module, tmp)
    exe = tmp / "csim"
    r = subprocess.run([CXX, "-std=c++17", "-O1", "-ffp-contract=off",
                        "-Wno-unknown-pragmas", f"-I{ap_types()}", str(design),
                        str(tb), "-o", str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    indir, outdir = tmp / "csim_in", tmp / "csim_out"
    indir.mkdir(exist_ok=True)
    outdir.mkdir(exist_ok=True)
    for name, value in inputs.items():
        value.tofile(indir / f"{name}.bin")
    r = subprocess.run([str(exe), str(indir), str(outdir)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return {name: np.fromfile(outdir / f"{name}.bin", dtype)
            for name, dtype in outputs.items()}


def input_shape(model):
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]


def quantize(model, options, tmp, passes=()):
    """The model quantized by --qc-ptq-pipeline with `options`, calibrated on
    8 samples, then `passes`."""
    path = tmp / "model.onnx"
    onnx.save(model, path)
    rng = np.random.default_rng(1)
    shape = input_shape(model)
    for s in range(8):
        (tmp / "calib" / str(s)).mkdir(parents=True, exist_ok=True)
        np.save(tmp / "calib" / str(s) / "input.npy",
                rng.standard_normal(shape).astype(np.float32))
    out = tmp / "q.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-ptq-pipeline={options} calib={tmp / 'calib'}",
                        *passes, "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def assert_bit_exact(got, want):
    assert got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), (
        f"{np.count_nonzero(got != want)} of {got.size} differ; "
        f"max |diff| {np.max(np.abs(got.astype(np.float64) - want))}")


def mlp_inputs(shape, seed=2):
    # Three times the calibration range: activations saturate too.
    rng = np.random.default_rng(seed)
    x = (3 * rng.standard_normal(shape)).astype(np.float32)
    x[0, :4] = [0.0, -0.0, 1e-30, -1e30]
    return x


@pytest.mark.parametrize("options,passes,dims,expect", [
    # Integer layers: qc.linear on codes, scales and biases in f32.
    ("w=int8 a=int8 a-static=true", ["--qc-integer-linear"],
     (16, 64, 32, 32, 5), ["qc_hls::encode_int", "ap_int<32> acc"]),
    ("w=int4 a=int8 a-static=true", ["--qc-integer-linear"],
     (16, 64, 32, 32, 5), ["ap_int<4> c", "ap_int<32> acc"]),
    # Asymmetric uint8 activations: zero points in qc.linear.
    ("w=int8 a=uint8 a-static=true", ["--qc-integer-linear"],
     (16, 64, 32, 32, 5), ["ap_uint<8> v", "ap_int<32> acc"]),
    # Fake-quantized layers: float matmuls of dequantized codes.
    ("w=int8 a=int8 a-static=true", [], (16, 64, 32, 32, 5), ["float acc"]),
    # Weights in groups of 32 along K (per-block scales).
    ("w=int4 w-group=32 a=int8 a-static=true", [], (32, 64, 64, 10),
     ["ap_int<4> c", "float acc"]),
    # Minifloat and MX weights: code tables, E8M0 / E4M3 scale codes and a
    # global scale; static FP8 activations through the encoder.
    ("w=mxfp4 a=int8 a-static=true", [], (32, 64, 64, 10),
     ["static const ap_uint<4> c", "/// e8m0fnu: the value of every code."]),
    ("w=nvfp4 a=fp8e4m3 a-static=true", [], (32, 64, 64, 10),
     ["/// fp8e4m3fn_sat: the code of x, rounded to nearest even."]),
    ("w=mxint8 a=fp8e5m2 a-static=true", [], (32, 64, 64, 10),
     ["static const ap_fixed<8, 2> c", "/// fp8e5m2_sat: the code of x"]),
    ("w=mxfp6 a=int8 a-static=true", [], (32, 64, 64, 10),
     ["static const ap_uint<6> c"]),
    # Dynamic activation scales (qc.compute_scales in the design):
    # per-token int8 into integer layers, asymmetric uint8, clipped int4,
    # OCP MX blocks, NVFP4's two levels.
    ("w=int8 a=int8", ["--qc-integer-linear"], (16, 64, 32, 32, 5),
     ["// qc.compute_scales for", "ap_int<32> acc"]),
    ("w=int4 a=uint8", [], (16, 64, 32, 32, 5), ["std::rint(double(g0[r] / s))"]),
    ("w=int4 a=int4 a-clip=0.9", [], (16, 64, 32, 32, 5),
     ["float qc_x = 0x1.ccccccp-1f * input["]),
    ("w=mxfp8 a=mxfp8", [], (32, 64, 64, 10), ["std::frexp("]),
    ("w=nvfp4 a=nvfp4", [], (32, 64, 64, 10), ["0x1.8p+2f * 0x1.cp+8f"]),
])
def test_mlp_csim_matches_interpreter(options, passes, dims, expect, tmp_path):
    module = quantize(models.mlp(batch=8, dims=dims), options, tmp_path, passes)
    x = mlp_inputs((8, dims[0]))
    want = quant_run(module, {"input": x}, tmp_path, "scores")
    got = simulate(module, {"input": x}, {"scores": np.float32}, tmp_path)
    assert_bit_exact(got["scores"], want.ravel())
    design = (tmp_path / "design.cpp").read_text()
    for text in expect:
        assert text in design, text
    assert "#pragma HLS PIPELINE II=1" in design


INTEGER_ONLY = """
func.func @main(%x: tensor<4x32xf32>) -> (tensor<4x8xf32>, tensor<4x16xi32>, tensor<4x8xf32>, tensor<4x8xi32>) {
  %s = arith.constant dense<0.05> : tensor<f32>
  %zp = arith.constant dense<3> : tensor<i32>
  %q = qc.quantize %x, %s zero_points %zp : (tensor<4x32xf32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<4x32, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  %w = qc.constant dense<W1> : tensor<16x32xi8>
    : !qc.qtensor<16x32, #qc.int<8, narrow>, #qc.scheme<per_axis, axis = 0>>
  %b = arith.constant dense<B1> : tensor<16xi32>
  %acc = qc.linear %q, %w bias %b input_zero_point %zp
    : (!qc.qtensor<4x32, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
       !qc.qtensor<16x32, #qc.int<8, narrow>, #qc.scheme<per_axis, axis = 0>>,
       tensor<16xi32>, tensor<i32>) -> tensor<4x16xi32>
  %m = arith.constant dense<M1> : tensor<16xi32>
  %sh = arith.constant dense<S1> : tensor<16xi8>
  %r = qc.rescale %acc, %m, %sh {axis = 1 : i64}
    : (tensor<4x16xi32>, tensor<16xi32>, tensor<16xi8>) -> !qc.qtensor<4x16, #qc.int<4>>
  %w2 = qc.constant dense<W2> : tensor<8x16xi4>
    : !qc.qtensor<8x16, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  %acc2 = qc.linear %r, %w2 : (!qc.qtensor<4x16, #qc.int<4>>,
       !qc.qtensor<8x16, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>) -> tensor<4x8xi32>
  %narrow = qc.linear %r, %w2 : (!qc.qtensor<4x16, #qc.int<4>>,
       !qc.qtensor<8x16, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>) -> tensor<4x8xi6>
  %one = arith.constant dense<1073741824> : tensor<i32>
  %thirty = arith.constant dense<30> : tensor<i8>
  %same = qc.rescale %narrow, %one, %thirty
    : (tensor<4x8xi6>, tensor<i32>, tensor<i8>) -> !qc.qtensor<4x8, #qc.int<8>>
  %unit = arith.constant dense<1.0> : tensor<f32>
  %wide = qc.dequantize %same, %unit : (!qc.qtensor<4x8, #qc.int<8>>, tensor<f32>) -> tensor<4x8xf32>
  %m2 = arith.constant dense<1518500250> : tensor<i32>
  %sh2 = arith.constant dense<30> : tensor<i8>
  %z2 = arith.constant dense<128> : tensor<i32>
  %y = qc.rescale %acc2, %m2, %sh2 output_zero_point %z2
    : (tensor<4x8xi32>, tensor<i32>, tensor<i8>, tensor<i32>)
    -> !qc.qtensor<4x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  %s2 = arith.constant dense<0.125> : tensor<f32>
  %f = qc.dequantize %y, %s2 zero_points %z2
    : (!qc.qtensor<4x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
       tensor<f32>, tensor<i32>) -> tensor<4x8xf32>
  return %f, %acc, %wide, %acc2 : tensor<4x8xf32>, tensor<4x16xi32>, tensor<4x8xf32>, tensor<4x8xi32>
}
"""


def dense(values):
    """An MLIR dense literal (nested lists) of integer `values`."""
    return json.dumps(np.asarray(values).astype(int).tolist())


def test_integer_only_design(tmp_path):
    """Integer-only layers (qc.linear with a bias and an input zero point,
    per-channel and per-tensor qc.rescale, an accumulator that wraps at 6
    bits, int4 codes): outputs and accumulators equal the interpreter's."""
    rng = np.random.default_rng(3)
    text = INTEGER_ONLY
    for key, values in {
        "W1": rng.integers(-127, 128, (16, 32)),
        "B1": rng.integers(-4000, 4000, 16),
        "M1": rng.integers(1 << 30, 1 << 31, 16),
        "S1": rng.integers(36, 44, 16),
        "W2": rng.integers(-8, 8, (8, 16)),
    }.items():
        text = text.replace(key, dense(values))
    module = tmp_path / "int_mlp.mlir"
    module.write_text(text)
    x = mlp_inputs((4, 32))
    outs = {"output0": np.float32, "output1": np.int32, "output2": np.float32,
            "output3": np.int32}
    got = simulate(module, {"arg0": x}, outs, tmp_path)
    for i, name in enumerate(outs):
        want = quant_run(module, {"arg0": x}, tmp_path, name)
        assert want.dtype == got[name].dtype, (name, want.dtype)
        assert np.array_equal(got[name], want.ravel()), name
    # The 6-bit accumulator is the 32-bit one wrapped, and did wrap; codes
    # saturated.
    acc2 = got["output3"].astype(np.int64)
    assert np.any((acc2 < -32) | (acc2 > 31))
    assert np.array_equal(got["output2"], ((acc2 + 32) % 64 - 32).astype(np.float32))
    assert np.any(got["output0"] == (255 - 128) * 0.125)


def test_unsupported_op_is_an_error(tmp_path):
    """Sin has no HLS emitter yet: an error naming the op and its location,
    and no output file."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Sin", ["x"], ["y"], name="sin")],
        "sin", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])])
    path, module = tmp_path / "sin.onnx", tmp_path / "sin.mlir"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              path)
    r = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path),
                        "-o", str(module)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "sin.cpp"
    r = subprocess.run([str(BIN / "quant-translate"), "--emit-hls", str(module),
                        "-o", str(out)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "'nn.sin' op unable to emit HLS C++ for this op" in r.stderr
    assert "sin.mlir:" in r.stderr
    assert not out.exists()


def test_ties_round_to_even(tmp_path):
    """Values halfway between two codes round to the even one (not away
    from zero as std::round would), then saturate; NaN gives the zero
    point."""
    module = tmp_path / "ties.mlir"
    module.write_text("""
func.func @main(%x: tensor<24xf32>) -> tensor<24xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<-3> : tensor<i32>
  %y = qc.fake_quant %x, %s zero_points %z
    as !qc.qtensor<24, #qc.int<4>, #qc.scheme<per_tensor, asymmetric>>
    : (tensor<24xf32>, tensor<f32>, tensor<i32>) -> tensor<24xf32>
  return %y : tensor<24xf32>
}
""")
    x = np.concatenate([(np.arange(-10, 10) + 0.5) * 0.5,
                        [np.nan, np.inf, -np.inf, 1e-45]]).astype(np.float32)
    got = simulate(module, {"arg0": x}, {"output0": np.float32}, tmp_path)["output0"]
    want = quant_run(module, {"arg0": x}, tmp_path, "output0")
    assert_bit_exact(got, want)
    codes = np.clip(np.rint(x[:20] / 0.5) - 3, -8, 7)
    assert np.array_equal(got[:20], ((codes + 3) * 0.5).astype(np.float32))
    assert got[20] == 0.0 and got[21] == 5.0 and got[22] == -2.5


def onnxruntime_quantized(model, fmt, tmp):
    """`model` quantized by onnxruntime's quantize_static in `fmt` (uint8
    activations, int8 weights, 4 calibration samples), imported."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)

    float_path, path = tmp / "float.onnx", tmp / "quantized.onnx"
    onnx.save(model, float_path)
    name, shape = model.graph.input[0].name, input_shape(model)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(np.random.default_rng(4).standard_normal(
                (4, *shape)).astype(np.float32))

        def get_next(self):
            x = next(self.samples, None)
            return None if x is None else {name: x}

    quantize_static(str(float_path), str(path), Reader(),
                    quant_format=getattr(QuantFormat, fmt),
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    module = tmp / "quantized.mlir"
    r = subprocess.run([str(BIN / "quant-translate"), "--import-onnx", str(path),
                        "-o", str(module)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return module


@pytest.mark.parametrize("fmt", ["QOperator", "QDQ"])
def test_onnxruntime_quantized_mlp(fmt, tmp_path):
    """Models quantized by onnxruntime's quantize_static: QOperator (QGemm,
    imported as nn.matmul_integer with the float requantization round / clip
    / cast, and QLinearSoftmax) and QDQ (Q/DQ pairs around a float Gemm)
    both C-simulate to the interpreter's outputs."""
    module = onnxruntime_quantized(models.mlp(batch=8), fmt, tmp_path)
    x = mlp_inputs((8, 16))
    want = quant_run(module, {"input": x}, tmp_path, "scores")
    got = simulate(module, {"input": x}, {"scores": np.float32}, tmp_path)
    assert_bit_exact(got["scores"], want.ravel())
    if fmt == "QOperator":
        assert "ap_int<32> acc = 0;" in (tmp_path / "design.cpp").read_text()


@pytest.mark.parametrize("source,model,expect", [
    # QuantC's pipeline: fake-quantized activations, dequantized int8 / int4
    # weights, float convolutions, batch norms, max / average (padding
    # counted) / global average pooling, a depthwise and a dilated conv.
    ("w=int8 a=int8 a-static=true", "cnn1d", ["(yy >= 0 && yy < 1", "qc_hls::maximum"]),
    ("w=int4 a=int8 a-static=true", "resnet", ["ap_int<4> c"]),
    # onnxruntime's QLinearConv / QLinearAdd / QLinearGlobalAveragePool
    # (nn.conv_integer, integer reductions) and its QDQ form.
    ("QOperator", "resnet", ["ap_int<32> acc = 0;"]),
    ("QDQ", "resnet", ["float acc = 0;"]),
])
def test_cnn_csim_matches_interpreter(source, model, expect, tmp_path):
    m = models.cnn1d() if model == "cnn1d" else models.resnet(size=16)
    if source.startswith("w="):
        module = quantize(m, source, tmp_path, ["--qc-integer-linear"])
    else:
        module = onnxruntime_quantized(m, source, tmp_path)
    name, output = m.graph.input[0].name, m.graph.output[0].name
    x = (2 * np.random.default_rng(5).standard_normal(input_shape(m))).astype(np.float32)
    want = quant_run(module, {name: x}, tmp_path, output)
    got = simulate(module, {name: x}, {output: np.float32}, tmp_path)
    assert_bit_exact(got[output], want.ravel())
    design = (tmp_path / "design.cpp").read_text()
    for text in expect:
        assert text in design, text


OPS = """
func.func @main(%x: tensor<4x6xf32>, %i: tensor<4x6xi32>, %u: tensor<6x3xui8>,
                %g: tensor<3x2xi64>)
    -> (tensor<4x1xf32>, tensor<4x6xf32>, tensor<4x6xi32>, tensor<2x3xf32>,
        tensor<3x2x6xf32>, tensor<4x6xf32>, tensor<4x3xi32>, tensor<6x6xf32>,
        tensor<4x6xi32>, tensor<4x6xf32>) {
  %mx = nn.reduce_max %x {axes = array<i64: 1>} : tensor<4x6xf32>
  %cs = nn.cumsum %x {axis = 1 : i64} : tensor<4x6xf32>
  %ci = nn.cumsum %i {axis = 0 : i64, exclusive = true, reverse = true} : tensor<4x6xi32>
  %sl = nn.slice %x {starts = array<i64: 1, 0>, steps = array<i64: 2, 2>, sizes = array<i64: 2, 3>} : tensor<4x6xf32>
  %ga = nn.gather %x, %g : tensor<4x6xf32>, tensor<3x2xi64>
  %c = arith.constant dense<[0.0, -0.0, 1.5, -1.5, 0x7FC00000, 2.0]> : tensor<6xf32>
  %mn = nn.min %x, %c : tensor<4x6xf32>, tensor<6xf32>
  %za = arith.constant dense<-7> : tensor<i8>
  %ia = nn.cast %i to i8 : tensor<4x6xi32>
  %zb = arith.constant dense<[3, 200, 17]> : tensor<3xui8>
  %mi = nn.matmul_integer %ia, %u a_zero_point %za b_zero_point %zb
    : (tensor<4x6xi8>, tensor<6x3xui8>, tensor<i8>, tensor<3xui8>) -> tensor<4x3xi32>
  %b = arith.constant dense<[0.25, 1.0, -2.0, 0.0, 3.0, 7.0]> : tensor<6xf32>
  %ge = nn.gemm %x, %x, %b {alpha = 0.5 : f32, beta = 3.0 : f32, transA = true} : tensor<4x6xf32>, tensor<4x6xf32>, tensor<6xf32>
  %m8 = arith.constant dense<[1, -2, 3, -4, 5, -6]> : tensor<6xi32>
  %im = nn.max %i, %m8 : tensor<4x6xi32>, tensor<6xi32>
  %cl = nn.clip %x {min = -1.0 : f32, max = 0.5 : f32} : tensor<4x6xf32>
  %r = nn.round %cl : tensor<4x6xf32>
  return %mx, %cs, %ci, %sl, %ga, %mn, %mi, %ge, %im, %r
    : tensor<4x1xf32>, tensor<4x6xf32>, tensor<4x6xi32>, tensor<2x3xf32>,
      tensor<3x2x6xf32>, tensor<4x6xf32>, tensor<4x3xi32>, tensor<6x6xf32>,
      tensor<4x6xi32>, tensor<4x6xf32>
}
"""


def test_graph_ops(tmp_path):
    """The non-layer ops the imported graphs use (onnxruntime's
    QLinearSoftmax decomposition among them), with NaN, signed zeros,
    negative indices, exclusive reverse integer sums, broadcast zero points
    and a transposed Gemm: bit for bit."""
    module = tmp_path / "ops.mlir"
    module.write_text(OPS)
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((4, 6)) * 2).astype(np.float32)
    x[0, 0], x[1, 1], x[2, 2] = np.nan, -0.0, 0.5
    inputs = {"arg0": x,
              "arg1": rng.integers(-300, 300, (4, 6)).astype(np.int32),
              "arg2": rng.integers(0, 256, (6, 3)).astype(np.uint8),
              "arg3": np.array([[0, -1], [3, -4], [2, 1]], np.int64)}
    # The testbench reads every integer input as int32.
    files = {k: (v.astype(np.int32) if v.dtype != np.float32 else v)
             for k, v in inputs.items()}
    outs = {f"output{i}": np.float32 for i in range(10)}
    for i in (2, 6, 8):
        outs[f"output{i}"] = np.int32
    got = simulate(module, files, outs, tmp_path)
    for name, dtype in outs.items():
        want = quant_run(module, inputs, tmp_path, name).ravel()
        assert want.dtype == dtype, (name, want.dtype)
        assert np.array_equal(got[name].view(np.uint32), want.view(np.uint32)), name


def three_way(module, x, tmp_path):
    """The MLP `module`'s scores on `x` from the interpreter, checked bit for
    bit against the CPU target and the design's C simulation; returns them
    and the design's source."""
    want = quant_run(module, {"input": x}, tmp_path, "scores")
    cpu = quant_run(module, {"input": x}, tmp_path, "scores", ["--target=cpu"])
    assert_bit_exact(cpu, want)
    got = simulate(module, {"input": x}, {"scores": np.float32}, tmp_path)
    assert_bit_exact(got["scores"], want.ravel())
    return want, (tmp_path / "design.cpp").read_text()


def test_integer_only_mlp(tmp_path):
    """--qc-integer-requantize makes the hidden layers integer-only (bias in
    the accumulator, qc.rescale, ReLU as the saturation of uint7 codes): the
    design has no float between the input quantizer and the last layer, its
    C simulation equals the interpreter and the compiled CPU code bit for
    bit, and the model stays as accurate as with f32 requantization."""
    model = models.mlp(batch=64)
    options = "w=int8 a=int8 a-static=true"
    (tmp_path / "f").mkdir()
    float_scales = quantize(model, options, tmp_path / "f", ["--qc-integer-linear"])
    module = quantize(model, options, tmp_path,
                      ["--qc-integer-linear", "--qc-integer-requantize"])
    text = module.read_text()
    assert text.count("qc.rescale") == 3 and text.count("nn.cast") == 1
    assert text.count("#qc.int<7, unsigned>") >= 3
    x = np.random.default_rng(8).standard_normal((64, 16)).astype(np.float32)
    want, design = three_way(module, x, tmp_path)
    assert design.count("qc_hls::rescale(") == 3
    assert design.count("float(") == 1  # the last layer's accumulator

    onnx_path = tmp_path / "model.onnx"
    reference = quant_run(onnx_path, {"input": x}, tmp_path, "scores")
    with_float = quant_run(float_scales, {"input": x}, tmp_path, "scores")
    err_int, err_float = rel_l2(want, reference), rel_l2(with_float, reference)
    assert err_int < 1.2 * err_float + 1e-3, (err_int, err_float)
    assert rel_l2(want, with_float) < 0.02


def test_narrow_accumulators(tmp_path):
    """The integer-only MLP quantized for 16-bit accumulators (acc-bits=16)
    and narrowed by --qc-minimize-accumulators: the design's accumulators
    are ap_int of the proven widths (the bias of --qc-integer-requantize
    included), and its C simulation equals the interpreter and the compiled
    CPU code bit for bit."""
    model = models.mlp(batch=64)
    module = quantize(model, "w=int8 a=int8 a-static=true acc-bits=16", tmp_path,
                      ["--qc-integer-linear", "--qc-integer-requantize",
                       "--qc-minimize-accumulators"])
    text = module.read_text()
    widths = [int(w) for w in re.findall(r"qc\.linear .*-> tensor<[0-9x]*xi(\d+)>", text)]
    assert len(widths) == 4 and max(widths) <= 17 and min(widths) < 32, widths
    x = np.random.default_rng(8).standard_normal((64, 16)).astype(np.float32)
    _, design = three_way(module, x, tmp_path)
    for w in set(widths):
        assert f"ap_int<{w}> acc" in design, w


@pytest.mark.parametrize("options,passes,widths", [
    # A2Q on a CNN: every convolution (and the head) fitted to 16 bits.
    ("w=int8 a=int8 acc-bits=16", ["--qc-minimize-accumulators"], {16}),
    ("w=int4 a=int4 acc-bits=10", ["--qc-minimize-accumulators"], {10}),
    # uint8 activations with a static zero point (qc.conv's
    # input_zero_point), 32-bit accumulators.
    ("w=int8 a=uint8 a-static=true", [], {32}),
    # Static int8: --qc-integer-requantize turns the two conv -> ReLU ->
    # conv chains into integer bias + qc.rescale (uint7 codes).
    ("w=int8 a=int8 a-static=true", ["--qc-integer-requantize"], {32}),
])
def test_cnn_integer_convolutions(options, passes, widths, tmp_path):
    """--qc-integer-linear rewrites the ResNet's fake-quantized convolutions
    into qc.conv (exact integer sums of the codes); --qc-minimize-accumulators
    narrows them to the widths acc-bits made safe. The interpreter, the CPU
    code and the design's C simulation (ap_int<P> accumulators) agree bit for
    bit."""
    m = models.resnet(size=16)
    module = quantize(m, options, tmp_path, ["--qc-integer-linear", *passes])
    text = module.read_text()
    assert "nn.conv " not in text and text.count("qc.conv ") == 6
    got = {int(w) for w in re.findall(
        r"qc\.(?:conv|linear) .*-> tensor<[0-9x]*xi(\d+)>", text)}
    if "--qc-integer-requantize" in passes:
        assert got == widths and text.count("qc.rescale") == 2
        assert text.count("#qc.int<7, unsigned>") >= 2
    elif widths == {32}:
        assert got == widths and "input_zero_point" in text
    else:
        assert max(got) <= max(widths) and min(got) < 32, got
    name, output = m.graph.input[0].name, m.graph.output[0].name
    x = (2 * np.random.default_rng(5).standard_normal(input_shape(m))).astype(np.float32)
    want = quant_run(module, {name: x}, tmp_path, output)
    cpu = quant_run(module, {name: x}, tmp_path, output, ["--target=cpu"])
    assert_bit_exact(cpu, want)
    sim = simulate(module, {name: x}, {output: np.float32}, tmp_path)
    assert_bit_exact(sim[output], want.ravel())
    design = (tmp_path / "design.cpp").read_text()
    for w in got:
        assert f"ap_int<{w}> acc = 0;" in design, w
    if "--qc-integer-requantize" in passes:
        assert design.count("qc_hls::rescale(") == 2


ELEMENTWISE = """
func.func @main(%x: tensor<3x8xf32>, %y: tensor<8xf32>, %i: tensor<3x8xi32>)
    -> (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>,
        tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>,
        tensor<3x8xi32>, tensor<3x8xi1>, tensor<6x8xf32>, tensor<3x2xf32>,
        tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xi32>) {
  %e = nn.exp %x : tensor<3x8xf32>
  %l = nn.log %x : tensor<3x8xf32>
  %s = nn.sqrt %x : tensor<3x8xf32>
  %t = nn.tanh %x : tensor<3x8xf32>
  %g = nn.sigmoid %x : tensor<3x8xf32>
  %ge = nn.gelu %x : tensor<3x8xf32>
  %gt = nn.gelu %x {approximate = "tanh"} : tensor<3x8xf32>
  %lr = nn.leaky_relu %x {alpha = 0.125 : f32} : tensor<3x8xf32>
  %n = nn.neg %i : tensor<3x8xi32>
  %a = nn.abs %n : tensor<3x8xi32>
  %lt = nn.less %x, %y : tensor<3x8xf32>, tensor<8xf32>
  %eq = nn.equal %x, %y : tensor<3x8xf32>, tensor<8xf32>
  %o = nn.or %lt, %eq : tensor<3x8xi1>, tensor<3x8xi1>
  %no = nn.not %o : tensor<3x8xi1>
  %w = nn.where %no, %x, %y : tensor<3x8xi1>, tensor<3x8xf32>, tensor<8xf32>
  %f = nn.floor %w : tensor<3x8xf32>
  %r = nn.reciprocal %f : tensor<3x8xf32>
  %c = nn.concat %x, %r {axis = 0 : i64} : tensor<3x8xf32>, tensor<3x8xf32>
  %sp:2 = nn.split %x {axis = 1 : i64, sizes = array<i64: 2, 6>} : tensor<3x8xf32>
  %ex = nn.expand %x {shape = array<i64: 2, 3, 8>} : tensor<3x8xf32>
  %ls = nn.log_softmax %x {axis = 0 : i64} : tensor<3x8xf32>
  %seven = arith.constant dense<7> : tensor<i32>
  %wi = nn.where %no, %i, %seven : tensor<3x8xi1>, tensor<3x8xi32>, tensor<i32>
  return %e, %l, %s, %t, %g, %ge, %gt, %lr, %a, %no, %c, %sp#0, %ex, %ls, %wi
    : tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>,
      tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>,
      tensor<3x8xi32>, tensor<3x8xi1>, tensor<6x8xf32>, tensor<3x2xf32>,
      tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xi32>
}
"""


def test_elementwise_ops(tmp_path):
    """Transcendental activations (the host's libm in C simulation, as in
    the interpreter), comparisons, logic, where (also of an integer and an
    integer constant), concat, split, expand and log_softmax: bit for bit,
    NaN and infinities included."""
    module = tmp_path / "elementwise.mlir"
    module.write_text(ELEMENTWISE)
    rng = np.random.default_rng(10)
    x = (2 * rng.standard_normal((3, 8))).astype(np.float32)
    x[0, :4] = [0.0, -0.0, np.inf, np.nan]
    y = x[1].copy()
    y[5] = -1.0
    i = rng.integers(-100, 100, (3, 8)).astype(np.int32)
    i[0, 0] = np.iinfo(np.int32).min
    inputs = {"arg0": x, "arg1": y, "arg2": i}
    outs = {f"output{k}": np.float32 for k in range(15)}
    outs["output8"] = outs["output9"] = outs["output14"] = np.int32
    got = simulate(module, inputs, outs, tmp_path)
    for name, dtype in outs.items():
        want = quant_run(module, inputs, tmp_path, name).ravel()
        if want.dtype == np.bool_:
            want = want.astype(np.int32)
        assert want.dtype == dtype, (name, want.dtype)
        assert np.array_equal(got[name].view(np.uint32), want.view(np.uint32)), name


# Element formats beyond integers: every minifloat the encoder takes (the OCP
# and FNUZ FP8s, FP6, FP4, custom eXmY with each special-value policy) and
# fixed point (signed, unsigned, narrow, wrapping, frac > width, 32 bits).
FORMATS = [
    "#qc.float<fp8e4m3fn>", "#qc.float<fp8e4m3fn, saturate>",
    "#qc.float<fp8e5m2>", "#qc.float<fp8e5m2, saturate>",
    "#qc.float<fp8e4m3fnuz>", "#qc.float<fp8e5m2fnuz>",
    "#qc.float<fp6e2m3fn>", "#qc.float<fp6e3m2fn>", "#qc.float<fp4e2m1fn>",
    "#qc.float<e3m4, bias = 2, specials = none>",
    "#qc.float<e2m2, bias = 1, specials = ieee>",
    "#qc.float<e5m1, bias = 20, specials = fn>",
    "#qc.fixed<8, 4>", "#qc.fixed<8, 4, unsigned>", "#qc.fixed<6, 2, wrap>",
    "#qc.fixed<16, 8, unsigned, wrap>", "#qc.fixed<8, 6, narrow>",
    "#qc.fixed<4, 6>", "#qc.fixed<32, 16>", "#qc.fixed<32, 40, wrap>",
]


def format_inputs(shape, seed=5):
    """Every magnitude the formats meet: rows from 2^-14 to 2^10 times the
    scale, small multiples of powers of two (ties of narrow mantissas),
    signed zeros, subnormals, NaN, infinities and float32's extremes."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    mag = np.exp2(np.linspace(-14, 10, rows))[:, None]
    x = rng.standard_normal(shape) * mag
    grid = rng.integers(-64, 65, size=shape) / 32 * np.exp2(
        rng.integers(-6, 6, size=shape))
    x[:, cols // 2:] = grid[:, cols // 2:] * np.exp2(np.arange(rows) - 4)[:, None]
    x[0, :10] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-40, 3e38,
                 -3e38, 1e-30]
    return x.astype(np.float32)


def test_number_formats_bit_exact(tmp_path):
    """Quantize + dequantize (per-block scales) and fake_quant (per-row
    scales) in each format: the design's codes and values are the
    interpreter's, bit for bit; FP8 / FP4 also equal ml_dtypes' rounding
    and fixed point a NumPy oracle."""
    import ml_dtypes

    rows, cols = 8, 64
    row_scales = (np.exp2(np.arange(rows) - 4) * (1 + np.arange(rows) / 8)).astype(np.float32)
    block_scales = np.exp2(np.arange(rows * 4).reshape(rows, 4) % 7 - 3).astype(np.float32)
    lines, results = [], []
    for i, fmt in enumerate(FORMATS):
        qpa = f"!qc.qtensor<{rows}x{cols}, {fmt}, #qc.scheme<per_axis, axis = 0>>"
        qpb = (f"!qc.qtensor<{rows}x{cols}, {fmt}, "
               "#qc.scheme<per_block, axis = 1, block = 16>>")
        lines += [
            f"  %f{i} = qc.fake_quant %x, %rs as {qpa} : (tensor<{rows}x{cols}xf32>, tensor<{rows}xf32>) -> tensor<{rows}x{cols}xf32>",
            f"  %q{i} = qc.quantize %x, %bs : (tensor<{rows}x{cols}xf32>, tensor<{rows}x4xf32>) -> {qpb}",
            f"  %d{i} = qc.dequantize %q{i}, %bs : ({qpb}, tensor<{rows}x4xf32>) -> tensor<{rows}x{cols}xf32>",
        ]
        results += [f"%f{i}", f"%d{i}"]
    t = f"tensor<{rows}x{cols}xf32>"
    module = tmp_path / "formats.mlir"
    module.write_text(
        f"func.func @main(%x: {t}) -> ({', '.join([t] * len(results))}) {{\n"
        f"  %rs = arith.constant dense<{json.dumps(row_scales.tolist())}> : tensor<{rows}xf32>\n"
        f"  %bs = arith.constant dense<{json.dumps(block_scales.tolist())}> : tensor<{rows}x4xf32>\n"
        + "\n".join(lines) + "\n"
        f"  return {', '.join(results)} : {', '.join([t] * len(results))}\n}}\n")
    x = format_inputs((rows, cols))
    outputs = {f"output{j}": np.float32 for j in range(len(results))}
    got = simulate(module, {"arg0": x}, outputs, tmp_path)
    want = {}
    for j in range(len(results)):
        want[j] = quant_run(module, {"arg0": x}, tmp_path, f"output{j}")
        try:
            assert_bit_exact(got[f"output{j}"], want[j].ravel())
        except AssertionError as e:
            raise AssertionError(f"{FORMATS[j // 2]} ({'per block' if j % 2 else 'per row'}): {e}") from None

    # Independent oracles for the per-row fake_quant (3e38 over a scale
    # below 1 is +inf in float32, as in the design).
    with np.errstate(over="ignore"):
        v = x / row_scales[:, None]
    dtypes = {"#qc.float<fp8e4m3fn>": ml_dtypes.float8_e4m3fn,
              "#qc.float<fp8e5m2>": ml_dtypes.float8_e5m2,
              "#qc.float<fp8e4m3fnuz>": ml_dtypes.float8_e4m3fnuz,
              "#qc.float<fp8e5m2fnuz>": ml_dtypes.float8_e5m2fnuz}
    for i, fmt in enumerate(FORMATS):
        y = got[f"output{2 * i}"].reshape(rows, cols)
        if fmt in dtypes:
            ref = v.astype(dtypes[fmt]).astype(np.float32) * row_scales[:, None]
            # ml_dtypes reads the FNUZ NaN code (the sign bit alone) as -NaN,
            # QuantC as NaN: NaNs are compared as NaNs, the rest bit for bit.
            nan = np.isnan(ref)
            assert np.array_equal(np.isnan(y), nan), fmt
            assert_bit_exact(y[~nan], ref[~nan])
        m = re.fullmatch(r"#qc\.fixed<(\d+), (\d+)(.*)>", fmt)
        if m:
            bits, frac, flags = int(m[1]), int(m[2]), m[3]
            lo = 0 if "unsigned" in flags else -(2 ** (bits - 1)) + ("narrow" in flags)
            hi = 2 ** bits - 1 if "unsigned" in flags else 2 ** (bits - 1) - 1
            with np.errstate(invalid="ignore", over="ignore"):
                r = np.rint(v.astype(np.float64) * 2.0 ** frac)
                if "wrap" in flags:
                    ok = np.isfinite(r) & (np.abs(r) < 9.2e18)
                    c = np.where(ok, r, 0).astype(np.int64) & (2 ** bits - 1)
                    code = np.where(c > hi, c - 2 ** bits, c)
                else:
                    code = np.clip(np.nan_to_num(r, nan=0.0), lo, hi).astype(np.int64)
            ref = (code * 2.0 ** -frac).astype(np.float32) * row_scales[:, None]
            assert_bit_exact(y.ravel(), ref.ravel())


DYNAMIC = """
func.func @main(%x: tensor<6x32xf32>, %zero: tensor<6x32xf32>) -> (
    tensor<6xf32>, tensor<6x32xf32>, tensor<6xf32>, tensor<6xi32>, tensor<6x32xf32>,
    tensor<6x2xi8>, tensor<6x32xf32>, tensor<6x2xi8>, tensor<6x32xf32>,
    tensor<6x2xi8>, tensor<f32>, tensor<6x32xf32>, tensor<6x2xi8>, tensor<f32>, tensor<6xf32>) {
  %s = qc.compute_scales %x for !qc.qtensor<6x32, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>>
    : tensor<6x32xf32> -> tensor<6xf32>
  %fs = qc.fake_quant %x, %s as !qc.qtensor<6x32, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>>
    : (tensor<6x32xf32>, tensor<6xf32>) -> tensor<6x32xf32>
  %a, %z = qc.compute_scales %x for !qc.qtensor<6x32, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric, dynamic>>
    : tensor<6x32xf32> -> tensor<6xf32> zero_points tensor<6xi32>
  %fa = qc.fake_quant %x, %a zero_points %z as !qc.qtensor<6x32, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric, dynamic>>
    : (tensor<6x32xf32>, tensor<6xf32>, tensor<6xi32>) -> tensor<6x32xf32>
  %e = qc.compute_scales %x for !qc.qtensor<6x32, #qc.float<fp8e4m3fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<e8m0fnu>, dynamic>>
    : tensor<6x32xf32> -> tensor<6x2xi8>
  %fe = qc.fake_quant %x, %e as !qc.qtensor<6x32, #qc.float<fp8e4m3fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<e8m0fnu>, dynamic>>
    : (tensor<6x32xf32>, tensor<6x2xi8>) -> tensor<6x32xf32>
  %i = qc.compute_scales %x for !qc.qtensor<6x32, #qc.fixed<8, 6, narrow>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<e8m0fnu>, dynamic>>
    : tensor<6x32xf32> -> tensor<6x2xi8>
  %fi = qc.fake_quant %x, %i as !qc.qtensor<6x32, #qc.fixed<8, 6, narrow>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<e8m0fnu>, dynamic>>
    : (tensor<6x32xf32>, tensor<6x2xi8>) -> tensor<6x32xf32>
  %n, %g = qc.compute_scales %x for !qc.qtensor<6x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>
    : tensor<6x32xf32> -> tensor<6x2xi8> global_scale tensor<f32>
  %fn = qc.fake_quant %x, %n global_scale %g as !qc.qtensor<6x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>
    : (tensor<6x32xf32>, tensor<6x2xi8>, tensor<f32>) -> tensor<6x32xf32>
  %n0, %g0 = qc.compute_scales %zero for !qc.qtensor<6x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>
    : tensor<6x32xf32> -> tensor<6x2xi8> global_scale tensor<f32>
  %c = qc.compute_scales %x for !qc.qtensor<6x32, #qc.int<4>, #qc.scheme<per_axis, axis = 0, dynamic>> clip 0.3
    : tensor<6x32xf32> -> tensor<6xf32>
  return %s, %fs, %a, %z, %fa, %e, %fe, %i, %fi, %n, %g, %fn, %n0, %g0, %c
    : tensor<6xf32>, tensor<6x32xf32>, tensor<6xf32>, tensor<6xi32>, tensor<6x32xf32>,
      tensor<6x2xi8>, tensor<6x32xf32>, tensor<6x2xi8>, tensor<6x32xf32>,
      tensor<6x2xi8>, tensor<f32>, tensor<6x32xf32>, tensor<6x2xi8>, tensor<f32>, tensor<6xf32>
}
"""


def test_dynamic_scales_bit_exact(tmp_path):
    """qc.compute_scales in the design, on the groups that test its rules:
    all zeros, NaN and infinity (skipped by absmax, the E8M0 NaN code 0xFF),
    one constant value (asymmetric: scale 1), all negative, subnormals only
    (the shared exponent clamped to -127), float32's largest values (to
    +127), a tensor of zeros (global scale 1). Scales, zero points, scale
    codes, global scales and the quantized values equal the interpreter's."""
    module = tmp_path / "dynamic.mlir"
    module.write_text(DYNAMIC)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 32)).astype(np.float32)
    x[0] = 0.0
    x[1, :16] = 2.5
    x[1, 16:] = rng.standard_normal(16) * 1e3
    x[1, 20], x[1, 21] = np.nan, -np.inf
    x[2] = -np.abs(x[2]) * 7
    x[3, :16] = rng.integers(1, 100, 16) * np.float32(1e-45)
    x[3, 16:] = 3e38 * np.sign(rng.standard_normal(16))
    x[4, :16] = 0.0
    x[4, 16:] = np.inf
    x[5, 5] = np.nan
    x = x.astype(np.float32)
    zero = np.zeros_like(x)
    kinds = [np.float32, np.float32, np.float32, np.int32, np.float32, np.int32,
             np.float32, np.int32, np.float32, np.int32, np.float32, np.float32,
             np.int32, np.float32, np.float32]
    outputs = {f"output{j}": k for j, k in enumerate(kinds)}
    inputs = {"arg0": x, "arg1": zero}
    got = simulate(module, inputs, outputs, tmp_path)
    for j, kind in enumerate(kinds):
        want = quant_run(module, inputs, tmp_path, f"output{j}").ravel()
        if kind is np.int32:
            assert np.array_equal(got[f"output{j}"], want.astype(np.int32)), j
        else:
            assert_bit_exact(got[f"output{j}"], want)
    codes = got["output5"].reshape(6, 2)
    assert codes[1, 1] == -1 and codes[4, 1] == -1  # 0xFF: NaN / inf blocks
    # Subnormals: floor(log2) - 8 = -151, clamped to -127 (code 0); 3e38:
    # 127 - 8 (code 246), with MXINT8's emax_elem 0 at the upper limit 127.
    assert codes[3, 0] == 0 and codes[3, 1] == 246 - 256
    assert got["output7"].reshape(6, 2)[3, 1] == 254 - 256
    assert got["output13"][0] == 1.0  # all-zero tensor: global scale 1


SMALL_TRANSFORMERS = {
    "llama": dict(seq=8, hidden=32, heads=2, kv_heads=1, layers=1,
                  intermediate=64, vocab=32),
    "bert": dict(seq=8, hidden=32, heads=2, layers=1, ffn=64, vocab=32),
    "gpt": dict(seq=8, hidden=32, heads=2, layers=1, ffn=64, vocab=32),
}


def transformer_module(name, options, tmp):
    """A small Llama / BERT / GPT, imported, or quantized by the PTQ
    pipeline with `options` (calibrated on 4 token sequences)."""
    model = getattr(models, name)(**SMALL_TRANSFORMERS[name])
    path = tmp / "model.onnx"
    onnx.save(model, path)
    shape = input_shape(model)
    rng = np.random.default_rng(4)
    out = tmp / "t.mlir"
    if not options:
        cmd = [str(BIN / "quant-translate"), "--import-onnx", str(path), "-o", str(out)]
    else:
        for s in range(4):
            (tmp / "calib" / str(s)).mkdir(parents=True, exist_ok=True)
            np.save(tmp / "calib" / str(s) / "input_ids.npy",
                    rng.integers(0, 32, shape).astype(np.int64))
        cmd = [str(BIN / "quant-opt"), str(path),
               f"--qc-ptq-pipeline={options} calib={tmp / 'calib'}", "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out, model.graph.output[0].name, rng.integers(0, 32, shape)


@pytest.mark.parametrize("name,options,expect", [
    # Float models: the decomposed RMSNorm (nn.pow, reduce_mean, sqrt, div),
    # RoPE, grouped-query attention, SiLU; LayerNorm, GELU (erf).
    ("llama", "", ["std::pow("]),
    ("bert", "", ["qc_inv = 1.0f / std::sqrt(qc_var + "]),
    ("gpt", "", ["qc_mean /= "]),
    # Quantized: static int8 activations, OCP MX weights and activations,
    # NVFP4.
    ("llama", "w=int8 a=int8 a-static=true", ["qc_hls::encode_int"]),
    ("gpt", "w=mxfp4 a=mxfp8", ["std::frexp("]),
    ("bert", "w=nvfp4 a=nvfp4", ["qc_encode_"]),
    # QuaRot / MixQuant: the online Hadamards (down projection, Q and K
    # after RoPE) and block Hadamards with permutations run in the design.
    ("llama", "w=int4 a=int8 rotate=hadamard qk-rotate=true", ["qc_h <<= 1"]),
    ("llama", "w=int4 a=int4 rotate=mixquant block=16", ["qc_h <<= 1"]),
])
def test_transformer_csim_matches_interpreter(name, options, expect, tmp_path):
    """Transformers in the design: normalizations, attention, rotary
    embeddings and their quantized forms compute the interpreter's bits."""
    module, output, ids = transformer_module(name, options, tmp_path)
    got = simulate(module, {"input_ids": ids.astype(np.int32)},
                   {output: np.float32}, tmp_path)
    want = quant_run(module, {"input_ids": ids.astype(np.int64)}, tmp_path, output)
    assert_bit_exact(got[output], want.ravel())
    design = (tmp_path / "design.cpp").read_text()
    for text in expect:
        assert text in design, text


def test_rotations_bit_exact(tmp_path):
    """qc.rotate in the design (QuaRot's online Hadamards and their
    relatives): randomized Hadamards of order 2^m and K · 2^m (the K x K
    base product), block Hadamards, permutations, dense orthogonal matrices
    (f32 and f64), transposes and sequences, along the last axis and along
    another, in double as the interpreter, then one rounding to float."""
    rng = np.random.default_rng(6)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    q32 = q.astype(np.float32)
    perm = rng.permutation(8).tolist()
    rotations = [
        (48, "#qc.hadamard<48, seed = 5>"),
        (64, "#qc.hadamard<64>"),
        (40, "#qc.block_hadamard<40, block = 20, seed = 3>"),
        (48, "#qc.transpose<#qc.hadamard<48, seed = 5>>"),
        (8, f"#qc.permutation<{perm}>"),
        (8, f"#qc.orthogonal<dense<{json.dumps(q.tolist())}> : tensor<8x8xf64>>"),
        (8, f"#qc.transpose<#qc.orthogonal<dense<{json.dumps(q32.tolist())}> : tensor<8x8xf32>>>"),
        (8, f"#qc.transpose<#qc.rotations<[#qc.permutation<{perm}>, #qc.block_hadamard<8, block = 4, seed = 9>]>>"),
    ]
    args, lines, results, inputs = [], [], [], {}
    for i, (n, rot) in enumerate(rotations):
        t = f"tensor<3x{n}xf32>"
        args.append(f"%x{i}: {t}")
        lines.append(f"  %y{i} = qc.rotate %x{i} by {rot} along 1 : {t}")
        results.append((f"%y{i}", t))
        x = rng.standard_normal((3, n)).astype(np.float32)
        x[0, :3] = [1e30, -1e-30, 0.0]
        inputs[f"arg{i}"] = x
    # Along a leading axis.
    args.append("%z: tensor<48x2xf32>")
    lines.append("  %w = qc.rotate %z by #qc.hadamard<48, seed = 1> along 0 : tensor<48x2xf32>")
    results.append(("%w", "tensor<48x2xf32>"))
    inputs[f"arg{len(rotations)}"] = rng.standard_normal((48, 2)).astype(np.float32)
    module = tmp_path / "rotate.mlir"
    module.write_text(
        f"func.func @main({', '.join(args)}) -> ({', '.join(t for _, t in results)}) {{\n"
        + "\n".join(lines) + "\n"
        f"  return {', '.join(v for v, _ in results)} : {', '.join(t for _, t in results)}\n}}\n")
    outputs = {f"output{j}": np.float32 for j in range(len(results))}
    got = simulate(module, inputs, outputs, tmp_path)
    for j in range(len(results)):
        want = quant_run(module, inputs, tmp_path, f"output{j}")
        assert_bit_exact(got[f"output{j}"], want.ravel())
    # The rotation itself, not the identity: y = x R.
    y = got["output4"].reshape(3, 8)
    assert np.array_equal(y, inputs["arg4"][:, perm])


def test_arg_max_gather_elements_integer_pow(tmp_path):
    """nn.arg_max (ties to the first or last index, NaN above every number,
    with and without keepdims, along either axis, floats and integers),
    nn.gather_elements (negative indices, a smaller index tensor) and
    integer nn.pow (negative exponents, wrap-around) as the interpreter."""
    module = tmp_path / "argmax.mlir"
    module.write_text("""
func.func @main(%x: tensor<4x6xf32>, %n: tensor<4x6xi32>, %e: tensor<4x6xi32>, %gi: tensor<3x2xi64>)
    -> (tensor<4x1xi64>, tensor<4xi64>, tensor<1x6xi64>, tensor<4xi64>, tensor<4x6xi32>, tensor<3x2xf32>) {
  %a = nn.arg_max %x {axis = 1 : i64} : tensor<4x6xf32>
  %b = nn.arg_max %x {axis = -1 : i64, keepdims = false, select_last_index = true} : tensor<4x6xf32>
  %c = nn.arg_max %x {axis = 0 : i64} : tensor<4x6xf32>
  %d = nn.arg_max %n {axis = 1 : i64, keepdims = false, select_last_index = true} : tensor<4x6xi32>
  %p = nn.pow %n, %e : tensor<4x6xi32>, tensor<4x6xi32>
  %g = nn.gather_elements %x, %gi {axis = 0 : i64} : tensor<4x6xf32>, tensor<3x2xi64>
  return %a, %b, %c, %d, %p, %g : tensor<4x1xi64>, tensor<4xi64>, tensor<1x6xi64>, tensor<4xi64>, tensor<4x6xi32>, tensor<3x2xf32>
}
""")
    x = np.array([[1, 3, 3, 2, 0, 3],
                  [np.nan, 1, np.nan, 5, 5, 0],
                  [-0.0, 0.0, -1, -np.inf, 0.0, -0.0],
                  [2, 7, 1, 7, np.inf, np.nan]], np.float32)
    n = np.array([[1, -1, -1, 0, 2, 3], [5, 5, 1, 5, -3, 7], [2, 2, 2, 2, 2, 2],
                  [-7, 65536, 3, 1, 0, 5]], np.int32)
    e = np.array([[-3, -3, -4, 5, 31, 21], [0, 1, 9, 2, 3, 12], [0, 1, 2, 30, 31, 32],
                  [2, 2, -1, -5, 7, 14]], np.int32)
    gi = np.array([[0, -1], [3, 2], [-4, 1]], np.int64)
    inputs = {"arg0": x, "arg1": n, "arg2": e, "arg3": gi}
    outputs = {f"output{j}": np.int32 for j in range(5)}
    outputs["output5"] = np.float32
    got = simulate(module, {**inputs, "arg3": gi.astype(np.int32)}, outputs, tmp_path)
    for j in range(5):
        want = quant_run(module, inputs, tmp_path, f"output{j}").ravel()
        assert np.array_equal(got[f"output{j}"], want.astype(np.int32)), j
    assert_bit_exact(got["output5"], quant_run(module, inputs, tmp_path, "output5").ravel())
    assert_bit_exact(got["output5"], x[np.where(gi < 0, gi + 4, gi), [[0, 1]] * 3].ravel())
    assert got["output0"].tolist() == [1, 0, 0, 5]
    assert got["output1"].tolist() == [5, 2, 5, 5]

"""quant-run --target=cpu (--qc-lower-to-cpu + JIT) against the interpreter:
the float models of the ONNX issue, the quantized models of the PTQ
pipeline in every format family, bit-exact quantization codes, and the
diagnostics for what has no CPU lowering."""

import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN, rel_l2, run_outputs
from quantc import models


def run(module, inputs, tmp, target, extra=()):
    """Outputs (name -> array) of quant-run on `module` with `target`."""
    return run_outputs(module, inputs, tmp, target, extra)


def compare_targets(module, inputs, tmp, extra=()):
    """name -> (CPU output, interpreter output); `extra` are quant-run
    options of the CPU run."""
    want, _ = run(module, inputs, tmp, "interp")
    got, _ = run(module, inputs, tmp, "cpu", extra)
    assert want.keys() == got.keys()
    return {k: (got[k], want[k]) for k in want}


MODELS = {
    "llama": lambda: models.llama(),
    "llama_outliers": lambda: models.llama(outliers=True),
    "bert": lambda: models.bert(),
    "gpt": lambda: models.gpt(),
    "resnet": lambda: models.resnet(),
    "cnn1d": lambda: models.cnn1d(),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float_models(name, tmp_path):
    model = MODELS[name]()
    onnx.save(model, str(tmp_path / "m.onnx"))
    for k, (got, want) in compare_targets(tmp_path / "m.onnx",
                                          models.sample_inputs(model, seed=1),
                                          tmp_path).items():
        assert rel_l2(got, want) <= 1e-5, (name, k)


PIPELINES = [
    "w=int8 a=int8",
    "w=int4 a=int8 rotate=hadamard",
    "w=int4 a=float w-group=32",
    "w=int8 a=uint8 a-static=true",
    "w=int4 a=int4 rotate=mixquant block=16 qk-rotate=true",
    "w=int4 a=int4 rotate=hadamard w-scale=mse a-clip=0.9",
    "w=fp8e4m3 a=fp8e4m3",
    "w=mxfp4 a=mxfp4",
    "w=mxfp6 a=mxfp6 rotate=hadamard",
    "w=mxint8 a=mxint8",
    "w=nvfp4 a=nvfp4",
]


@pytest.fixture(scope="module")
def quantized(tmp_path_factory):
    """The PTQ pipeline's outputs for the outlier decoder and BERT."""
    tmp = tmp_path_factory.mktemp("ptq")
    out = {}
    for name, model in [("llama", models.llama(outliers=True)), ("bert", models.bert())]:
        onnx.save(model, str(tmp / f"{name}.onnx"))
        calib = tmp / f"calib-{name}"
        for i in range(2):
            (calib / str(i)).mkdir(parents=True)
            for n, v in models.sample_inputs(model, seed=i).items():
                np.save(calib / str(i) / f"{n}.npy", v)
        out[name] = (model, tmp / f"{name}.onnx", calib)
    return out


# Every pipeline on the decoder; the encoder with one format per family
# (each case JIT-compiles a whole model, seconds each).
CASES = [("llama", o) for o in PIPELINES] + [
    ("bert", "w=int8 a=int8 rotate=hadamard"), ("bert", "w=mxfp4 a=mxfp4"),
    ("bert", "w=nvfp4 a=nvfp4")]


@pytest.mark.parametrize("name,options", CASES)
def test_quantized_models(name, options, quantized, tmp_path):
    model, path, calib = quantized[name]
    mlir = tmp_path / "q.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-ptq-pipeline={options} calib={calib}", "-o", str(mlir)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for k, (got, want) in compare_targets(mlir, models.sample_inputs(model, seed=9),
                                          tmp_path).items():
        assert rel_l2(got, want) <= 1e-5, (options, k)


@pytest.mark.parametrize("options", ["w=int8 a=int8", "w=int4 a=int8", "w=fp8e4m3 a=fp8e4m3",
                                     "w=int4 a=int4"])
def test_quantized_cnn(options, tmp_path):
    """The ResNet's convolutions quantized by the pipeline: their weights
    (constant codes) are folded into f32 constants (--qc-fold-conv-weights,
    qc.dequantize's values) and every convolution runs on the packed f32
    kernel of the host (AVX2 or AVX-512); the interpreter's logits bit for
    bit."""
    model = models.resnet(batch=2)
    onnx.save(model, str(tmp_path / "m.onnx"))
    mlir = tmp_path / "q.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                    f"--qc-ptq-pipeline={options}", "-o", str(mlir)], check=True)
    for k, (got, want) in compare_targets(mlir, models.sample_inputs(model, seed=3),
                                          tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=f"{options} {k}")
    flags = open("/proc/cpuinfo").read().split()
    if "avx2" in flags:
        r = subprocess.run([str(BIN / "quant-opt"), str(mlir), "--qc-lower-to-cpu",
                            "--mlir-print-ir-after=qc-convert-nn-to-linalg", "-o", "/dev/null"],
                           capture_output=True, text=True, check=True)
        convs = sum(1 for n in model.graph.node if n.op_type == "Conv")
        assert r.stderr.count('qc.x86_kernel = "f32_') >= convs


# One quantization op per function: the CPU code must give the
# interpreter's results bit for bit (codes, and the floats of fake_quant,
# which involve no accumulation).
EXACT = {
    "int8_per_axis": (
        "%s = arith.constant dense<[0.013, 0.02, 0.5, 1.0e-3]> : tensor<4xf32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<4xf32>) -> "
        "!qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>",
        "!qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>"),
    "uint4_asymmetric_blocks": (
        "%s = arith.constant dense<0.037> : tensor<4x4xf32>\n"
        "%z = arith.constant dense<[[0, 3, 8, 15], [1, 2, 4, 7], [0, 0, 0, 0], [9, 9, 9, 9]]> "
        ": tensor<4x4xi32>\n"
        "%y = qc.fake_quant %x, %s zero_points %z as !qc.qtensor<4x64, #qc.int<4, unsigned>, "
        "#qc.scheme<per_block, axis = 1, block = 16, asymmetric>> : "
        "(tensor<4x64xf32>, tensor<4x4xf32>, tensor<4x4xi32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "fp8e4m3_codes": (
        "%s = arith.constant dense<0.003> : tensor<f32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.float<fp8e4m3fn>>",
        "!qc.qtensor<4x64, #qc.float<fp8e4m3fn>>"),
    "fp8e5m2_fake": (
        "%s = arith.constant dense<1.0e-4> : tensor<f32>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.float<fp8e5m2>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "mxfp4_dynamic": (
        "%s = qc.compute_scales %x for !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, "
        "#qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : "
        "tensor<4x64xf32> -> tensor<4x2xi8>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, "
        "#qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : "
        "(tensor<4x64xf32>, tensor<4x2xi8>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "nvfp4_scales": (
        "%s, %g = qc.compute_scales %x for !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, "
        "#qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>> : "
        "tensor<4x64xf32> -> tensor<4x4xi8> global_scale tensor<f32>\n"
        "%y = qc.quantize %x, %s global_scale %g : (tensor<4x64xf32>, tensor<4x4xi8>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, "
        "#qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>",
        "!qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, "
        "#qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>"),
    # Formats wider than 16 bits (rounded, offset and saturated in f64)
    # and wrapping fixed point (0 for NaN, infinities and |v| >= 9.2e18).
    "fixed8_4_wrap_fake": (
        "%s = arith.constant dense<0.25> : tensor<f32>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.fixed<8, 4, wrap>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "fixed16_12_wrap_codes": (
        "%s = arith.constant dense<0.01> : tensor<f32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.fixed<16, 12, wrap>>",
        "!qc.qtensor<4x64, #qc.fixed<16, 12, wrap>>"),
    "fixed24_20_codes": (
        "%s = arith.constant dense<0.01> : tensor<f32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.fixed<24, 20, unsigned>>",
        "!qc.qtensor<4x64, #qc.fixed<24, 20, unsigned>>"),
    "uint32_codes": (
        "%s = arith.constant dense<1.0e-8> : tensor<f32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.int<32, unsigned>>",
        "!qc.qtensor<4x64, #qc.int<32, unsigned>>"),
    "int32_asymmetric_round_trip": (
        "%s = arith.constant dense<[1.0e-9, 3.0e-7, 0.5, 1.0e-30]> : tensor<4xf32>\n"
        "%z = arith.constant dense<[-2147483643, 2147483000, 7, -1]> : tensor<4xi32>\n"
        "%q = qc.quantize %x, %s zero_points %z : (tensor<4x64xf32>, tensor<4xf32>, tensor<4xi32>) -> "
        "!qc.qtensor<4x64, #qc.int<32>, #qc.scheme<per_axis, axis = 0, asymmetric>>\n"
        "%y = qc.dequantize %q, %s zero_points %z : (!qc.qtensor<4x64, #qc.int<32>, "
        "#qc.scheme<per_axis, axis = 0, asymmetric>>, tensor<4xf32>, tensor<4xi32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "int24_narrow_fake": (
        "%s = arith.constant dense<1.0e-6> : tensor<f32>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.int<24, narrow>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    # Minifloats of 9 to 16 bits decode by building the float32 bits.
    "fp16_bf16_fake": (
        "%s = arith.constant dense<0.75> : tensor<f32>\n"
        "%h = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.float<fp16>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>\n"
        "%b = qc.fake_quant %h, %s as !qc.qtensor<4x64, #qc.float<bf16, saturate>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>\n"
        "%y = qc.fake_quant %b, %s as !qc.qtensor<4x64, #qc.float<e5m6, bias = 9, specials = fn>> : "
        "(tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "fp16_codes": (
        "%s = arith.constant dense<1.0e-3> : tensor<f32>\n"
        "%y = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<f32>) -> "
        "!qc.qtensor<4x64, #qc.float<fp16>>",
        "!qc.qtensor<4x64, #qc.float<fp16>>"),
    # Per-token absmax scales (row 0 holds NaN, infinities, zeros and
    # subnormals, which the absmax skips or keeps as the interpreter does).
    "int8_per_token_scales": (
        "%y = qc.compute_scales %x for !qc.qtensor<4x64, #qc.int<8>, "
        "#qc.scheme<per_block, axis = 1, block = 64, dynamic>> : "
        "tensor<4x64xf32> -> tensor<4x1xf32>",
        "tensor<4x1xf32>"),
    "int4_per_token_clipped": (
        "%s = qc.compute_scales %x for !qc.qtensor<4x64, #qc.int<4>, "
        "#qc.scheme<per_block, axis = 1, block = 64, dynamic>> clip 0.9 : "
        "tensor<4x64xf32> -> tensor<4x1xf32>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.int<4>, "
        "#qc.scheme<per_block, axis = 1, block = 64, dynamic>> : "
        "(tensor<4x64xf32>, tensor<4x1xf32>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
    "mxint8_fixed": (
        "%s = qc.compute_scales %x for !qc.qtensor<4x64, #qc.fixed<8, 6, narrow>, "
        "#qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : "
        "tensor<4x64xf32> -> tensor<4x2xi8>\n"
        "%y = qc.fake_quant %x, %s as !qc.qtensor<4x64, #qc.fixed<8, 6, narrow>, "
        "#qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : "
        "(tensor<4x64xf32>, tensor<4x2xi8>) -> tensor<4x64xf32>",
        "tensor<4x64xf32>"),
}


def exact_input():
    """Values on every side of the rounding and saturation boundaries, plus
    NaN, infinities, zeros and subnormals."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 64)) * np.logspace(-3, 2, 64)).astype(np.float32)
    x[0, :8] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 448.0]
    x[1, :6] = [0.0065, 0.0195, -0.0325, 0.5, 2.5, -3.5]  # ties after scaling
    return x


@pytest.mark.parametrize("case", sorted(EXACT))
def test_exact_quantization(case, tmp_path):
    body, result = EXACT[case]
    text = ("func.func @main(%x: tensor<4x64xf32>) -> " + result + " {\n" + body +
            "\nreturn %y : " + result + "\n}\n")
    (tmp_path / "m.mlir").write_text(text)
    x = exact_input()
    if case == "mxfp4_dynamic":
        x[2, 40] = np.nan  # a NaN block gets scale code 0xFF
    for k, (got, want) in compare_targets(tmp_path / "m.mlir", {"arg0": x}, tmp_path).items():
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=case)


def ieee_maximum(values, axis):
    """IEEE 754-2019 maximum over `axis`: NaN if any is NaN, +0 above -0
    (np.max propagates NaN but does not order the zeros)."""
    v = np.moveaxis(values, axis, -1).astype(np.float32)
    out = np.full(v.shape[:-1], -np.inf, np.float32)
    for k in range(v.shape[-1]):
        x = v[..., k]
        take = (x > out) | ((x == out) & ~np.signbit(x))
        out = np.where(np.isnan(x) | np.isnan(out), np.float32(np.nan), np.where(take, x, out))
    return out


def test_max_reductions_propagate_nan(tmp_path):
    """nn.reduce_max and nn.max_pool: NaN wherever the window holds one (the
    interpreter had dropped a NaN that was not first) and +0 above -0, the
    same bits on both targets."""
    text = """
func.func @main(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x1xf32>, tensor<1x2x2x2xf32>) {
  %r = nn.reduce_max %x {axes = array<i64: 3>} : tensor<1x2x4x4xf32>
  %p = nn.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x2x4x4xf32>
  return %r, %p : tensor<1x2x4x1xf32>, tensor<1x2x2x2xf32>
}
"""
    (tmp_path / "m.mlir").write_text(text)
    x = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4) - 16
    x[0, 0, 0, :] = [1.0, np.nan, 3.0, 2.0]      # NaN in the middle
    x[0, 0, 1, :] = [-0.0, 0.0, -0.0, -1.0]      # +0 wins over -0
    x[0, 0, 2, :] = [-np.inf, -np.inf, -np.inf, -np.inf]
    x[0, 0, 3, :] = [5.0, 4.0, 3.0, np.nan]      # NaN last
    x[0, 1, 0, :] = [np.nan, 1.0, 0.0, -0.0]     # NaN first
    x[0, 1, 1, :] = [0.0, -0.0, np.inf, 7.0]
    want_r = ieee_maximum(x, 3)[..., None]
    windows = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    want_p = ieee_maximum(windows, 4)
    for target in ["interp", "cpu"]:
        got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, target)
        for k, want in [("output0", want_r), ("output1", want_p)]:
            # NaN positions, and every other value bit for bit (signed zeros).
            assert np.array_equal(np.isnan(got[k]), np.isnan(want)), (target, k, got[k])
            assert np.array_equal(np.nan_to_num(got[k]).view(np.uint32),
                                  np.nan_to_num(want).view(np.uint32)), (target, k, got[k])


def test_repeat_prints_latency(tmp_path):
    model = models.llama()
    onnx.save(model, str(tmp_path / "m.onnx"))
    _, r = run(tmp_path / "m.onnx", models.sample_inputs(model), tmp_path, "cpu",
               ["--repeat", "3"])
    assert "latency:" in r.stdout and "mean of 3" in r.stdout


def test_gather_clamps_out_of_range_indices(tmp_path):
    """Token ids outside the vocabulary: the interpreter reports them; the
    compiled code (no error channel) clamps them into the table rather than
    reading outside it, so it equals the interpreter on the clamped ids."""
    model = models.llama()
    onnx.save(model, str(tmp_path / "m.onnx"))
    vocab = 128
    ids = np.array([[0, 5, -1, -vocab, vocab - 1, vocab, 10**12, -10**12,
                     -vocab - 1, 3, 2**40, 7, -2**62, 1, 2, 9]], np.int64)
    np.save(tmp_path / "bad.npy", ids)
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), "--input",
                        f"input_ids={tmp_path / 'bad.npy'}", "--output-dir",
                        str(tmp_path / "none")], capture_output=True, text=True)
    assert r.returncode == 1 and "gather index 128 out of range [-128, 128)" in r.stderr
    assert "Stack dump" not in r.stderr
    clamped = np.where(ids < 0, ids + vocab, ids).clip(0, vocab - 1)
    got, _ = run(tmp_path / "m.onnx", {"input_ids": ids}, tmp_path, "cpu")
    (tmp_path / "clamped").mkdir()
    want, _ = run(tmp_path / "m.onnx", {"input_ids": clamped}, tmp_path / "clamped", "interp")
    assert np.array_equal(got["logits"], want["logits"])


def test_unsupported_format_is_a_compile_error(tmp_path):
    text = ("func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
            "%s = arith.constant dense<1.0> : tensor<f32>\n"
            "%y = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.float<e8m23>> : "
            "(tensor<4xf32>, tensor<f32>) -> tensor<4xf32>\n"
            "return %y : tensor<4xf32>\n}\n")
    (tmp_path / "m.mlir").write_text(text)
    np.save(tmp_path / "x.npy", np.ones(4, np.float32))
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.mlir"), "--target=cpu",
                        "--input", f"arg0={tmp_path / 'x.npy'}", "--output-dir",
                        str(tmp_path / "out")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "qc.fake_quant: format e8m23b127" in r.stderr
    assert "Stack dump" not in r.stderr
    assert not (tmp_path / "out").exists()


DRIVER = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
/* Memref descriptors of the C interface (docs/CPU.md). */
typedef struct { int64_t *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } Ids;
typedef struct { float *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } Logits;
void _mlir_ciface_main(Ids *input_ids, Logits *logits);
int main(int argc, char **argv) {
  int64_t ids[SEQ];
  float *out = malloc(sizeof(float) * SEQ * VOCAB);
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(ids, sizeof ids, 1, f) != 1) return 2;
  fclose(f);
  Ids in = {ids, ids, 0, {1, SEQ}, {SEQ, 1}};
  Logits y = {out, out, 0, {1, SEQ, VOCAB}, {SEQ * VOCAB, VOCAB, 1}};
  _mlir_ciface_main(&in, &y);
  f = fopen(argv[2], "wb");
  fwrite(out, sizeof(float), SEQ * VOCAB, f);
  fclose(f);
  free(out);
  return 0;
}
"""


def link_with_driver(model, driver, tmp_path, defines=()):
    """`model` saved as m.onnx, lowered (quant-opt --qc-lower-to-cpu),
    written as an object (quant-translate --mlir-to-cpu-object) and linked
    with the C program `driver` into tmp_path/drv."""
    onnx.save(model, str(tmp_path / "m.onnx"))
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"), "--qc-lower-to-cpu",
                    "-o", str(tmp_path / "m.llvm.mlir")], check=True)
    subprocess.run([str(BIN / "quant-translate"), "--mlir-to-cpu-object",
                    str(tmp_path / "m.llvm.mlir"), "-o", str(tmp_path / "m.o")], check=True)
    (tmp_path / "drv.c").write_text(driver)
    subprocess.run(["clang-19", "-O2", *defines, str(tmp_path / "drv.c"), str(tmp_path / "m.o"),
                    "-lm", "-o", str(tmp_path / "drv")], check=True)


def test_object_file_with_c_entry_point(tmp_path):
    """quant-opt --qc-lower-to-cpu | quant-translate --mlir-to-cpu-object,
    linked with a C program through _mlir_ciface_main: the interpreter's
    logits, bit for bit."""
    model = models.llama()
    link_with_driver(model, DRIVER, tmp_path, ["-DSEQ=16", "-DVOCAB=128"])
    inputs = models.sample_inputs(model, seed=4)
    inputs["input_ids"].astype(np.int64).tofile(tmp_path / "ids.bin")
    subprocess.run([str(tmp_path / "drv"), str(tmp_path / "ids.bin"),
                    str(tmp_path / "y.bin")], check=True)
    got = np.fromfile(tmp_path / "y.bin", dtype=np.float32).reshape(1, 16, 128)
    want, _ = run(tmp_path / "m.onnx", inputs, tmp_path, "interp")
    np.testing.assert_array_equal(got, want["logits"])


SCATTER_DRIVER = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef struct { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } F2;
typedef struct { int64_t *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } I2;
void _mlir_ciface_main(F2 *x, I2 *idx, F2 *upd, F2 *y);
int main(int argc, char **argv) {
  float x[12], x0[12], upd[6], y1[12], y2[12];
  int64_t idx[6];
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(x, sizeof x, 1, f) != 1 || fread(idx, sizeof idx, 1, f) != 1 ||
      fread(upd, sizeof upd, 1, f) != 1) return 2;
  fclose(f);
  memcpy(x0, x, sizeof x);
  F2 a = {x, x, 0, {3, 4}, {4, 1}}, u = {upd, upd, 0, {3, 2}, {2, 1}};
  I2 i = {idx, idx, 0, {3, 2}, {2, 1}};
  F2 r1 = {y1, y1, 0, {3, 4}, {4, 1}}, r2 = {y2, y2, 0, {3, 4}, {4, 1}};
  _mlir_ciface_main(&a, &i, &u, &r1);
  if (memcmp(x, x0, sizeof x)) return 3; /* the input was written */
  _mlir_ciface_main(&a, &i, &u, &r2);
  if (memcmp(y1, y2, sizeof y1)) return 4;
  f = fopen(argv[2], "wb");
  fwrite(y1, sizeof y1, 1, f);
  fclose(f);
  return 0;
}
"""


def test_object_file_leaves_inputs_alone(tmp_path):
    """A ScatterElements into a graph input: the C entry point works on a
    copy (the caller's array is unchanged, a second call gives the same
    result), and the result is onnxruntime's."""
    from onnx import TensorProto, helper
    import onnxruntime as ort
    g = helper.make_graph(
        [helper.make_node("ScatterElements", ["x", "i", "u"], ["s"], axis=1,
                          reduction="add"),
         helper.make_node("Exp", ["s"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [3, 2]),
         helper.make_tensor_value_info("u", TensorProto.FLOAT, [3, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    link_with_driver(model, SCATTER_DRIVER, tmp_path)
    rng = np.random.default_rng(3)
    feeds = {"x": rng.standard_normal((3, 4)).astype(np.float32),
             "i": np.array([[0, 3], [1, 1], [2, 0]], np.int64),
             "u": rng.standard_normal((3, 2)).astype(np.float32)}
    (tmp_path / "in.bin").write_bytes(b"".join(feeds[k].tobytes() for k in ("x", "i", "u")))
    r = subprocess.run([str(tmp_path / "drv"), str(tmp_path / "in.bin"), str(tmp_path / "y.bin")])
    assert r.returncode == 0, "3: the input was written, 4: the second call differed"
    got = np.fromfile(tmp_path / "y.bin", dtype=np.float32).reshape(3, 4)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]) \
        .run(None, feeds)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_object_file_needs_llvm_dialect(tmp_path):
    (tmp_path / "m.mlir").write_text(
        "func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
        "  %y = nn.relu %x : tensor<4xf32>\n  return %y : tensor<4xf32>\n}\n")
    r = subprocess.run([str(BIN / "quant-translate"), "--mlir-to-cpu-object",
                        str(tmp_path / "m.mlir"), "-o", str(tmp_path / "m.o")],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "nn.relu is not in the LLVM dialect (run quant-opt --qc-lower-to-cpu first)" in r.stderr
    assert not (tmp_path / "m.o").exists()

"""The packed f32 kernels for matmuls by constant weights
(--qc-lower-to-cpu "float-kernel=avx512", the default on AVX-512 hosts, and
"float-kernel=avx2", the default on AVX2 hosts without AVX-512): bit-exact
with the interpreter and with the generic loops, over shapes with partial
row tiles and column panels, batch dimensions, one row, two threads, and
the float models; their FMA variants round once per term, in order."""

import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN
from quantc import models
from test_cpu_target import MODELS, compare_targets, run

FLAGS = open("/proc/cpuinfo").read().split()
AVX512 = "avx512f" in FLAGS
AVX2 = "avx2" in FLAGS and "fma" in FLAGS
# Each test runs once per kernel the host can execute.
KERNELS = [pytest.param("avx512", marks=pytest.mark.skipif(not AVX512,
                                                           reason="needs an AVX-512 host")),
           pytest.param("avx2", marks=pytest.mark.skipif(not AVX2,
                                                         reason="needs an AVX2 + FMA host"))]
# What float-kernel=auto picks on this host.
AUTO = "avx512" if AVX512 else "avx2" if AVX2 else None


def matmul_module(shape, k, n, seed):
    w = np.random.default_rng(seed).standard_normal((k, n)).astype(np.float32)
    xs = "x".join(map(str, shape))
    ys = "x".join(map(str, shape[:-1] + [n]))
    return (f"func.func @main(%x: tensor<{xs}xf32>) -> tensor<{ys}xf32> {{\n"
            f'  %w = arith.constant dense<"0x{w.tobytes().hex()}"> : tensor<{k}x{n}xf32>\n'
            f"  %y = nn.matmul %x, %w : tensor<{xs}xf32>, tensor<{k}x{n}xf32>\n"
            f"  return %y : tensor<{ys}xf32>\n}}\n")


@pytest.mark.parametrize("shape,k,n", [
    ([1, 64], 64, 32),        # one row, one panel
    ([29, 70], 70, 45),       # partial row tile (29 = 2 x 12 + 5 = 4 x 6 + 5), panel
    ([2, 13, 128], 128, 96),  # batch dimension folded into the rows
    ([100, 300], 300, 257),   # several row tiles, a 1-column last panel
], ids=["row", "tails", "batch", "wide"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_bit_exact(shape, k, n, threads, kernel, tmp_path):
    (tmp_path / "m.mlir").write_text(matmul_module(shape, k, n, seed=k + n))
    x = np.random.default_rng(n).standard_normal(shape).astype(np.float32)
    x.flat[::7] = -0.0  # signed zeros in the products
    want, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "cpu",
                 [f"--cpu-float-kernel={kernel}", f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], want["output0"])
    assert not np.signbit(got["output0"][got["output0"] == 0]).any()


def conv_module(xshape, wshape, bias, seed, group=1, **attrs):
    """nn.conv of an argument by constant weights (and bias)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(wshape).astype(np.float32)
    w.flat[::11] = -0.0
    s = attrs.get("strides", [1, 1])
    p = attrs.get("pads", [0, 0, 0, 0])
    d = attrs.get("dilations", [1, 1])
    oh = (xshape[2] + p[0] + p[2] - d[0] * (wshape[2] - 1) - 1) // s[0] + 1
    ow = (xshape[3] + p[1] + p[3] - d[1] * (wshape[3] - 1) - 1) // s[1] + 1
    xs = "x".join(map(str, xshape))
    ws = "x".join(map(str, wshape))
    ys = f"{xshape[0]}x{wshape[0]}x{oh}x{ow}"
    at = ", ".join([f"{k} = array<i64: {', '.join(map(str, v))}>" for k, v in attrs.items()]
                   + ([f"group = {group} : i64"] if group != 1 else []))
    body = f'  %w = arith.constant dense<"0x{w.tobytes().hex()}"> : tensor<{ws}xf32>\n'
    operands, types = "%x, %w", f"tensor<{xs}xf32>, tensor<{ws}xf32>"
    if bias:
        b = rng.standard_normal(wshape[0]).astype(np.float32)
        body += f'  %b = arith.constant dense<"0x{b.tobytes().hex()}"> : tensor<{wshape[0]}xf32>\n'
        operands += ", %b"
        types += f", tensor<{wshape[0]}xf32>"
    return (f"func.func @main(%x: tensor<{xs}xf32>) -> tensor<{ys}xf32> {{\n{body}"
            f"  %y = nn.conv {operands} {{{at}}} : {types}\n"
            f"  return %y : tensor<{ys}xf32>\n}}\n")


CONVS = {
    # 3x3, padding 1: 7 x 9 = 63 output pixels (partial row tiles of 6 and 12)
    "3x3": ([1, 5, 7, 9], [20, 5, 3, 3], True, dict(pads=[1, 1, 1, 1])),
    # strides, dilations, asymmetric padding, a rectangular kernel, batch 2
    "strided": ([2, 3, 11, 10], [17, 3, 2, 3], False,
                dict(strides=[2, 3], dilations=[2, 1], pads=[1, 0, 2, 2])),
    # 1x1 projection, more output channels than one panel
    "1x1": ([1, 40, 6, 6], [70, 40, 1, 1], True, dict(strides=[2, 2])),
    # one output pixel (a 1-row tile)
    "pixel": ([1, 4, 5, 5], [9, 4, 5, 5], True, {}),
}


@pytest.mark.parametrize("case", sorted(CONVS))
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_conv_bit_exact(case, threads, kernel, tmp_path):
    """nn.conv by constant weights (one group) runs on the f32 kernel over
    the im2col rows gathered from the padded input: the interpreter's
    bits (sums over (c, i, j) in order from +0, then the bias)."""
    xshape, wshape, bias, attrs = CONVS[case]
    (tmp_path / "m.mlir").write_text(conv_module(xshape, wshape, bias, len(case), **attrs))
    x = np.random.default_rng(7).standard_normal(xshape).astype(np.float32)
    x.flat[::5] = -0.0
    x.flat[3] = np.inf
    want, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "cpu",
                 [f"--cpu-float-kernel={kernel}", f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], want["output0"])


@pytest.mark.parametrize("case", ["depthwise", "depthwise_strided", "groups"])
@pytest.mark.parametrize("threads", [1, 2])
def test_grouped_conv_bit_exact(case, threads, tmp_path):
    """Grouped and depthwise convolutions keep nn.conv's loop nest, with the
    window's loops innermost and each sum started from 0 at its first term
    (no zero-filled output): the interpreter's bits."""
    xshape, wshape, group, attrs = {
        "depthwise": ([1, 8, 9, 11], [8, 1, 3, 3], 8, dict(pads=[1, 1, 1, 1])),
        "depthwise_strided": ([2, 6, 10, 9], [12, 1, 3, 3], 6,
                              dict(strides=[2, 2], pads=[1, 0, 1, 2])),
        "groups": ([1, 6, 7, 7], [9, 2, 3, 2], 3, dict(dilations=[2, 1])),
    }[case]
    (tmp_path / "m.mlir").write_text(conv_module(xshape, wshape, True, len(case), group=group,
                                                 **attrs))
    x = np.random.default_rng(11).standard_normal(xshape).astype(np.float32)
    x.flat[::5] = -0.0
    want, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "cpu", [f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], want["output0"])


@pytest.mark.skipif(AUTO is None, reason="needs an AVX2 or AVX-512 host")
def test_conv_kernel_is_used(tmp_path):
    """One group and constant weights: the kernel; two groups or weights
    computed at run time: nn.conv's generic loop nest."""
    xshape, wshape, bias, attrs = CONVS["3x3"]
    (tmp_path / "m.mlir").write_text(conv_module(xshape, wshape, bias, 1, **attrs))
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        "--qc-convert-nn-to-linalg"], capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{AUTO}"' in r.stdout
    (tmp_path / "g.mlir").write_text(conv_module([1, 4, 5, 5], [6, 2, 3, 3], False, 1,
                                                 pads=[1, 1, 1, 1]).replace(
        "{pads", "{group = 2 : i64, pads"))
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "g.mlir"),
                        "--qc-convert-nn-to-linalg"], capture_output=True, text=True, check=True)
    assert "qc.x86_kernel" not in r.stdout


@pytest.mark.skipif(AUTO is None, reason="needs an AVX2 or AVX-512 host")
def test_resnet_convs_bit_exact(tmp_path):
    """A ResNet-style CNN (7x7 stem with stride 2, 3x3 blocks, strided 1x1
    projections, batch 2) on the kernel: the interpreter's bits."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(5)
    nodes, inits = [], []

    def conv(x, cin, cout, k, s, name):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal((cout, cin, k, k)) * (2 / (cin * k * k)) ** 0.5)
            .astype(np.float32), name + "_w"))
        inits.append(numpy_helper.from_array(rng.standard_normal(cout).astype(np.float32) * 0.1,
                                             name + "_b"))
        nodes.append(helper.make_node("Conv", [x, name + "_w", name + "_b"], [name],
                                      kernel_shape=[k, k], strides=[s, s], pads=[k // 2] * 4))
        nodes.append(helper.make_node("Relu", [name], [name + "_r"]))
        return name + "_r"

    x = conv("input", 3, 16, 7, 2, "stem")
    y = conv(conv(x, 16, 24, 3, 2, "a"), 24, 24, 3, 1, "b")
    nodes.append(helper.make_node("Conv", [x, "p_w"], ["p"], kernel_shape=[1, 1],
                                  strides=[2, 2]))
    inits.append(numpy_helper.from_array(rng.standard_normal((24, 16, 1, 1)).astype(np.float32),
                                         "p_w"))
    nodes.append(helper.make_node("Add", ["p", y], ["out"]))
    g = helper.make_graph(nodes, "cnn",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                         [2, 3, 30, 26])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(tmp_path / "m.onnx"))
    feeds = {"input": rng.standard_normal((2, 3, 30, 26)).astype(np.float32)}
    for k, (got, want) in compare_targets(tmp_path / "m.onnx", feeds, tmp_path).items():
        np.testing.assert_array_equal(got, want, err_msg=k)


@pytest.mark.skipif(AUTO is None, reason="needs an AVX2 or AVX-512 host")
def test_kernel_is_used(tmp_path):
    (tmp_path / "m.mlir").write_text(matmul_module([16, 64], 64, 64, seed=1))
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        "--qc-convert-nn-to-linalg"],
                       capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{AUTO}"' in r.stdout


@pytest.mark.parametrize("name", ["llama", "bert", "gpt"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_models_bit_exact(name, kernel, tmp_path):
    model = MODELS[name]()
    onnx.save(model, str(tmp_path / "m.onnx"))
    for k, (got, want) in compare_targets(tmp_path / "m.onnx",
                                          models.sample_inputs(model, seed=2), tmp_path,
                                          [f"--cpu-float-kernel={kernel}"]).items():
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {k}")


@pytest.mark.skipif(AUTO is None, reason="needs an AVX2 or AVX-512 host")
def test_resource_blob_weights(tmp_path):
    """Weights held as a resource blob (ONNX external data) are read in
    place; the kernel runs and matches the interpreter and numpy exactly."""
    w = np.array([[1.0, 2.0], [3.0, -1.5]], np.float32)
    blob = "0x04000000" + w.tobytes().hex().upper()
    (tmp_path / "m.mlir").write_text(
        "func.func @main(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {\n"
        "  %w = arith.constant dense_resource<wb> : tensor<2x2xf32>\n"
        "  %y = nn.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32>\n"
        "  return %y : tensor<3x2xf32>\n}\n"
        f'{{-#\n  dialect_resources: {{\n    builtin: {{\n      wb: "{blob}"\n    }}\n  }}\n#-}}\n')
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        "--qc-convert-nn-to-linalg"], capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{AUTO}"' in r.stdout
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    want, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "cpu")
    np.testing.assert_array_equal(got["output0"], want["output0"])
    np.testing.assert_array_equal(got["output0"], x @ w)


def f32_round(q):
    """The f32 nearest to the rational q (ties to even), as a Python float."""
    from fractions import Fraction
    if q == 0:
        return 0.0
    sign, a = (-1.0 if q < 0 else 1.0), abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1  # now 2^e <= a < 2^(e+1)
    e = max(e, -126)  # subnormals share the smallest exponent
    ulp = Fraction(2) ** (e - 23)
    n, rem = divmod(a, ulp)
    if rem > ulp / 2 or (rem == ulp / 2 and n % 2 == 1):
        n += 1
    return sign * float(n * ulp)  # exact in f64 (no overflow at these sizes)


def fma_reference(x, w):
    """acc = fl32(x[m, k] * w[k, n] + acc) in order of k from +0: the FMA
    kernel's arithmetic, computed exactly with rationals."""
    from fractions import Fraction
    m, n = x.shape[0], w.shape[1]
    out = np.zeros((m, n), np.float32)
    for i in range(m):
        for j in range(n):
            acc = 0.0
            for k in range(x.shape[1]):
                acc = f32_round(Fraction(float(x[i, k])) * Fraction(float(w[k, j]))
                                + Fraction(acc))
            out[i, j] = acc
    return out


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_fma_kernel_is_fma_in_order(threads, kernel, tmp_path):
    """float-kernel=avx512-fma / avx2-fma: one fused multiply-add per term, in order of
    k (checked exactly against rational arithmetic rounded once per term),
    so within an ulp-level distance of the interpreter but not bit-exact."""
    shape, k, n = [14, 40], 40, 35  # a full and a partial row tile and panel
    (tmp_path / "m.mlir").write_text(matmul_module(shape, k, n, seed=5))
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * np.logspace(-3, 3, k)).astype(np.float32)
    w = np.random.default_rng(5).standard_normal((k, n)).astype(np.float32)
    got, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "cpu",
                 [f"--cpu-float-kernel={kernel}-fma", f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], fma_reference(x, w))
    want, _ = run(tmp_path / "m.mlir", {"arg0": x}, tmp_path, "interp")
    assert (got["output0"] != want["output0"]).any()  # it does round once
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        f"--qc-convert-nn-to-linalg=float-kernel={kernel}-fma"],
                       capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{kernel}_fma"' in r.stdout


@pytest.mark.parametrize("name", ["llama", "bert"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_fma_models_close(name, kernel, tmp_path):
    model = MODELS[name]()
    onnx.save(model, str(tmp_path / "m.onnx"))
    for k, (got, want) in compare_targets(tmp_path / "m.onnx",
                                          models.sample_inputs(model, seed=2), tmp_path,
                                          [f"--cpu-float-kernel={kernel}-fma"]).items():
        assert np.linalg.norm(got - want) <= 1e-6 * np.linalg.norm(want), (name, k)


@pytest.mark.parametrize("xshape,wshape", [
    ([2, 4, 37, 64], [2, 4, 64, 45]),   # attention's Q K^T: batch and heads, tails
    ([8, 70, 33], [8, 33, 70]),         # one batch dimension
    ([3, 40, 64], [64, 48]),            # a 2-D operand computed at run time
], ids=["heads", "batch", "shared"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_runtime_operands_bit_exact(xshape, wshape, threads, kernel, tmp_path):
    """Matmuls of two run-time operands (attention's Q K^T and P V) take the
    same kernel with both operands packed at run time (per matrix of the
    batch, or x's batch as rows against a 2-D w): bit-exact with the
    interpreter, signed zeros included."""
    xs, ws = "x".join(map(str, xshape)), "x".join(map(str, wshape))
    ys = "x".join(map(str, xshape[:-1] + [wshape[-1]]))
    (tmp_path / "m.mlir").write_text(
        f"func.func @main(%x: tensor<{xs}xf32>, %w: tensor<{ws}xf32>) -> tensor<{ys}xf32> {{\n"
        f"  %y = nn.matmul %x, %w : tensor<{xs}xf32>, tensor<{ws}xf32>\n"
        f"  return %y : tensor<{ys}xf32>\n}}\n")
    rng = np.random.default_rng(len(xshape) + wshape[-1])
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    x.flat[::7] = -0.0
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        f"--qc-convert-nn-to-linalg=float-kernel={kernel}"],
                       capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{kernel}"' in r.stdout
    inputs = {"arg0": x, "arg1": w}
    want, _ = run(tmp_path / "m.mlir", inputs, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", inputs, tmp_path, "cpu",
                 [f"--cpu-float-kernel={kernel}", f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], want["output0"])
    assert not np.signbit(got["output0"][got["output0"] == 0]).any()


@pytest.mark.parametrize("xshape,wtshape", [
    ([2, 4, 37, 64], [2, 4, 45, 64]),   # Q K^T with K as the cache holds it
    ([3, 40, 64], [48, 64]),            # a 2-D operand
], ids=["heads", "shared"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", KERNELS)
def test_runtime_transposed_operand(xshape, wtshape, threads, kernel, tmp_path):
    """x @ transpose(k) over the last two dimensions (attention's Q K^T):
    the kernel packs from k itself, with no transpose pass (the transpose
    is left dead); bit-exact with the interpreter."""
    rank = len(wtshape)
    perm = ", ".join(map(str, list(range(rank - 2)) + [rank - 1, rank - 2]))
    wshape = wtshape[:-2] + [wtshape[-1], wtshape[-2]]
    xs, wts, ws = ("x".join(map(str, v)) for v in (xshape, wtshape, wshape))
    ys = "x".join(map(str, xshape[:-1] + [wshape[-1]]))
    (tmp_path / "m.mlir").write_text(
        f"func.func @main(%x: tensor<{xs}xf32>, %k: tensor<{wts}xf32>) -> tensor<{ys}xf32> {{\n"
        f"  %w = nn.transpose %k {{perm = array<i64: {perm}>}} : tensor<{wts}xf32>\n"
        f"  %y = nn.matmul %x, %w : tensor<{xs}xf32>, tensor<{ws}xf32>\n"
        f"  return %y : tensor<{ys}xf32>\n}}\n")
    rng = np.random.default_rng(len(xshape) + wtshape[-2])
    inputs = {"arg0": rng.standard_normal(xshape).astype(np.float32),
              "arg1": rng.standard_normal(wtshape).astype(np.float32)}
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"),
                        f"--qc-convert-nn-to-linalg=float-kernel={kernel}", "--canonicalize"],
                       capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "f32_{kernel}"' in r.stdout
    # Nothing holds k transposed (the kernel's packing reads k).
    assert f"tensor<{ws}xf32>" not in r.stdout
    want, _ = run(tmp_path / "m.mlir", inputs, tmp_path, "interp")
    got, _ = run(tmp_path / "m.mlir", inputs, tmp_path, "cpu",
                 [f"--cpu-float-kernel={kernel}", f"--cpu-threads={threads}"])
    np.testing.assert_array_equal(got["output0"], want["output0"])


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("kernel", KERNELS)
def test_gemm_bit_exact(trans_b, kernel, tmp_path):
    """ONNX Gemm by constant weights (a classifier head, usually transB):
    the product on the f32 kernel, then alpha, beta and C as before; the
    interpreter's bits."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(trans_b)
    w = rng.standard_normal((45, 70) if trans_b else (70, 45)).astype(np.float32)
    c = rng.standard_normal(45).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=trans_b, alpha=0.75,
                          beta=1.5)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [13, 70])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(c, "c")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              str(tmp_path / "m.onnx"))
    feeds = {"x": rng.standard_normal((13, 70)).astype(np.float32)}
    for k, (got, want) in compare_targets(tmp_path / "m.onnx", feeds, tmp_path,
                                          [f"--cpu-float-kernel={kernel}"]).items():
        np.testing.assert_array_equal(got, want, err_msg=k)
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                        f"--qc-convert-nn-to-linalg=float-kernel={kernel}"],
                       capture_output=True, text=True)
    assert f'qc.x86_kernel = "f32_{kernel}"' in r.stdout, r.stderr


@pytest.mark.parametrize("threads", [1, 2])
def test_mobilenet_bit_exact(threads, tmp_path):
    """MobileNetV2's topology at 64 x 64 (1 x 1 convolutions on the kernel
    in both orientations, depthwise ones on the loop nest, ReLU6, residual
    adds; with two threads the large loops run as OpenMP loops over their
    outer dimension): the interpreter's logits bit for bit."""
    model = models.mobilenet_v2(size=64, classes=50)
    onnx.save(model, str(tmp_path / "m.onnx"))
    feeds = {"input": np.random.default_rng(2).standard_normal((1, 3, 64, 64)).astype(np.float32)}
    for k, (got, want) in compare_targets(tmp_path / "m.onnx", feeds, tmp_path,
                                          [f"--cpu-threads={threads}"]).items():
        np.testing.assert_array_equal(got, want, err_msg=k)

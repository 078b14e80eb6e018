"""Accumulator-aware quantization (A2Q / AXE) and --qc-minimize-accumulators.

The weight quantizers' `accumulator-bits` against NumPy oracles written
apart from QuantC's code (the scale fitting by a bisection over f32 values,
the GPTQ budget by trying every code of the format); the pipeline's
`acc-bits` end to end: after --qc-integer-linear, --qc-minimize-accumulators
proves every layer fits P bits, and the narrowed model computes the same
bits as with 32-bit accumulators on any input, including inputs that drive
a channel to its worst case, where the unconstrained model cut to P bits
overflows.
"""

import re
import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN, hex_dense, quant_run
from quantc import models
from test_gptq_oracle import K, N, problem

F32 = np.float32


def exact_range(codes, xlo, xhi):
    """Per column of codes [K, N]: the extremes of sum_k codes[k] * x[k] over
    x in [xlo, xhi]^K (Python integers)."""
    c = codes.astype(object)
    hi = np.maximum(c * xlo, c * xhi).sum(axis=0)
    lo = np.minimum(c * xlo, c * xhi).sum(axis=0)
    return lo, hi


def fits(codes, bits, xlo, xhi):
    lo, hi = exact_range(codes, xlo, xhi)
    return all(l >= -(1 << (bits - 1)) and h <= (1 << (bits - 1)) - 1
               for l, h in zip(lo, hi))


def rtn_codes(w, s, qmax):
    return np.clip(np.rint((w / s).astype(F32)), -qmax - 1, qmax)


def fitted_scale(col, s, qmax, bits, xlo, xhi):
    """The smallest f32 scale >= s under which the rounded codes of `col`
    fit (a bisection over the bit patterns of positive floats)."""
    ok = lambda sc: fits(rtn_codes(col, F32(sc), qmax)[:, None], bits, xlo, xhi)
    if ok(s):
        return F32(s)
    lo = int(np.array(s, F32).view(np.uint32))
    hi = int(np.array(np.finfo(F32).max, F32).view(np.uint32))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(np.array(mid, np.uint32).view(F32)):
            hi = mid
        else:
            lo = mid
    return np.array(hi, np.uint32).view(F32)


def fitted_scales(w, qmax, bits, xlo, xhi):
    s = (np.abs(w).max(axis=0).astype(F32) / F32(qmax)).astype(F32)
    return np.array([fitted_scale(w[:, j], s[j], qmax, bits, xlo, xhi)
                     for j in range(w.shape[1])], F32)


def quantize_module(tmp, w, options, h=None):
    k, n = w.shape
    attr = f" {{qc.hessian = {hex_dense(h)} : tensor<{k}x{k}xf32>}}" if h is not None else ""
    (tmp / "m.mlir").write_text(f"""
func.func @main(%x: tensor<{k}x{k}xf32>) -> tensor<{k}x{n}xf32> {{
  %w = arith.constant {hex_dense(w)} : tensor<{k}x{n}xf32>
  %y = nn.matmul %x, %w{attr} : tensor<{k}x{k}xf32>, tensor<{k}x{n}xf32>
  return %y : tensor<{k}x{n}xf32>
}}
""")
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp / "m.mlir"), options,
                        "-o", str(tmp / "q.mlir")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # The dequantized weight, read back exactly through the identity.
    return quant_run(tmp / "q.mlir", {"arg0": np.eye(k, dtype=F32)}, tmp, "output0")


@pytest.mark.parametrize("fmt,qmax,xfmt,xlo,xhi,bits", [
    ("int8", 127, "int8", -128, 127, 16),
    ("int4", 7, "uint8", 0, 255, 14),
    ("int4", 7, "int4", -8, 7, 10),
])
def test_rtn_fit_matches_numpy(fmt, qmax, xfmt, xlo, xhi, bits, tmp_path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((K, N)).astype(F32)
    w[1:, 3] = 0                          # a channel that fits as it is
    got = quantize_module(tmp_path, w, f"--qc-quantize-weights=format={fmt} "
                          f"accumulator-bits={bits} accumulator-input={xfmt}")
    s = fitted_scales(w, qmax, bits, xlo, xhi)
    codes = rtn_codes(w, s, qmax)
    np.testing.assert_array_equal(got, (codes * s).astype(F32))
    assert fits(codes, bits, xlo, xhi)
    # Most channels needed a larger scale, and each is the smallest: one
    # f32 step below it, the codes overflow.
    plain = (np.abs(w).max(axis=0) / F32(qmax)).astype(F32)
    raised = s > plain
    assert raised.sum() > N // 2 and not raised[3]
    for j in np.nonzero(raised)[0]:
        below = np.nextafter(s[j], F32(0))
        assert not fits(rtn_codes(w[:, j], below, qmax)[:, None], bits, xlo, xhi)


def gptq_axe_oracle(w, h, bits, xlo, xhi, damp=0.01):
    """Textbook GPTQ (int4, act-order) on the fitted scales, each code
    clamped to the nearest code the column's remaining budget affords for
    every input, found by trying every int4 code."""
    s = fitted_scales(w, 7, bits, xlo, xhi)
    hd = h.astype(np.float64)
    perm = np.array(sorted(range(K), key=lambda i: (-hd[i, i], i)))
    hp = hd[np.ix_(perm, perm)]
    hp += damp * np.mean(np.diag(hp)) * np.eye(K)
    u = np.linalg.cholesky(np.linalg.inv(hp)).T
    wp = w[perm].astype(np.float64)
    top, bottom = (1 << (bits - 1)) - 1, -(1 << (bits - 1))
    hi, lo = [0] * N, [0] * N
    q = np.empty((K, N), F32)
    clamped = 0
    for i in range(K):
        codes = np.clip(np.rint((wp[i].astype(F32) / s).astype(F32)), -8, 7)
        for j in range(N):
            affordable = [c for c in range(-8, 8)
                          if hi[j] + max(c * xlo, c * xhi) <= top
                          and lo[j] + min(c * xlo, c * xhi) >= bottom]
            c = min(affordable, key=lambda a: abs(a - codes[j]))
            clamped += c != codes[j]
            codes[j] = c
            hi[j] += max(c * xlo, c * xhi)
            lo[j] += min(c * xlo, c * xhi)
        q[i] = (codes.astype(F32) * s).astype(F32)
        err = (wp[i] - q[i].astype(np.float64)) / u[i, i]
        wp[i + 1:] -= np.outer(u[i, i + 1:], err)
    out = np.empty_like(q)
    out[perm] = q
    return out, s, clamped


def test_gptq_axe_matches_numpy(tmp_path):
    w, h = problem(seed=11)  # test_gptq_oracle's Hessian and weights
    bits, xlo, xhi = 17, -128, 127
    got = quantize_module(tmp_path, w, "--qc-gptq=format=int4 act-order=true "
                          f"accumulator-bits={bits} accumulator-input=int8", h)
    want, s, clamped = gptq_axe_oracle(w, h, bits, xlo, xhi)
    assert clamped > 0  # the budget ran out for some channels
    np.testing.assert_array_equal(np.rint(got / s), np.rint(want / s))
    np.testing.assert_array_equal(got, want)
    assert fits(np.rint(got / s), bits, xlo, xhi)


def pipeline(tmp, model, options, passes=()):
    path = tmp / "model.onnx"
    onnx.save(model, path)
    calib = tmp / "calib"
    for i in range(4):
        (calib / str(i)).mkdir(parents=True, exist_ok=True)
        for name, v in models.sample_inputs(model, seed=100 + i).items():
            np.save(calib / str(i) / f"{name}.npy", v)
    out = tmp / f"q{abs(hash((options, tuple(passes))))}.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-ptq-pipeline={options} calib={calib}",
                        "--qc-integer-linear", *passes, "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def cut_first_accumulator(module, op, bits, tmp):
    """`module` with its first qc.`op`'s 32-bit accumulator (and the
    nn.cast reading it) cut to `bits` bits: what running the unconstrained
    model on a narrow accumulator computes."""
    text = module.read_text()
    first = re.search(rf"(%\S+) = qc\.{op} .*-> tensor<([0-9x]*)xi32>", text)
    name, shape = first.group(1), first.group(2)
    text = text.replace(first.group(0), first.group(0).replace(
        f"tensor<{shape}xi32>", f"tensor<{shape}xi{bits}>"))
    text = re.sub(rf"(nn\.cast {re.escape(name)} to f32 : tensor<{shape})xi32>",
                  rf"\1xi{bits}>", text)
    cut = tmp / "cut.mlir"
    cut.write_text(text)
    return cut


ACC = re.compile(r"qc\.linear .*-> tensor<[0-9x]*xi(\d+)>")


@pytest.mark.parametrize("options,bits", [("w=int8 a=int8", 16),
                                          ("w=int4 a=int8 gptq=true act-order=true", 13),
                                          ("w=int4 a=int4", 9)])
def test_pipeline_bound_holds_on_any_input(options, bits, tmp_path):
    model = models.mlp(batch=4)
    free = pipeline(tmp_path, model, options)
    bound = pipeline(tmp_path, model, f"{options} acc-bits={bits}")
    narrow = pipeline(tmp_path, model, f"{options} acc-bits={bits}",
                      ["--qc-minimize-accumulators"])
    widths = [int(m) for m in ACC.findall(narrow.read_text())]
    assert len(widths) == 4 and max(widths) <= bits, widths
    # Without the bound the layers need more.
    free_narrow = pipeline(tmp_path, model, options, ["--qc-minimize-accumulators"])
    assert max(int(m) for m in ACC.findall(free_narrow.read_text())) > bits

    # Inputs of the same magnitude everywhere give every code of the first
    # layer its extreme (per-token scales: +-127 or +-7); the signs of row
    # 0 are those of the first layer's channel 0 weights (worst case).
    gemm = next(n for n in model.graph.node if n.op_type == "Gemm")
    w0 = onnx.numpy_helper.to_array(
        next(t for t in model.graph.initializer if t.name == gemm.input[1]))
    rng = np.random.default_rng(5)
    x = np.where(rng.standard_normal((4, 16)) > 0, 1.0, -1.0).astype(F32)
    x[0] = np.where(w0[0] >= 0, 1.0, -1.0)
    x[1] = -x[0]
    x = np.concatenate([x, rng.standard_normal((4, 16)).astype(F32)])
    for rows in (x[:4], x[4:]):
        want = quant_run(bound, {"input": rows}, tmp_path, "scores")
        got = quant_run(narrow, {"input": rows}, tmp_path, "scores")
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
        cpu = quant_run(narrow, {"input": rows}, tmp_path, "scores", ["--target=cpu"])
        assert np.array_equal(cpu.view(np.uint32), want.view(np.uint32))

    # The unconstrained model with its first accumulator cut to `bits` bits
    # overflows on the worst-case rows.
    cut = cut_first_accumulator(free, "linear", bits, tmp_path)
    want = quant_run(free, {"input": x[:4]}, tmp_path, "scores")
    got = quant_run(cut, {"input": x[:4]}, tmp_path, "scores")
    assert not np.array_equal(got, want)


def test_cnn_bound_holds_on_worst_case_input(tmp_path):
    """acc-bits on a CNN: every qc.conv of the ResNet fits 16 bits once
    narrowed, and computes what 32-bit accumulators compute on an input whose
    window drives the first convolution's largest channel to its extreme
    (codes +-127 with the signs of its weights), where the unconstrained
    model's first accumulator cut to 16 bits overflows."""
    model = models.resnet(size=16)
    options = "w=int8 a=int8"
    free = pipeline(tmp_path, model, options)
    bound = pipeline(tmp_path, model, f"{options} acc-bits=16")
    narrow = pipeline(tmp_path, model, f"{options} acc-bits=16",
                      ["--qc-minimize-accumulators"])
    conv_acc = re.compile(r"qc\.conv .*-> tensor<[0-9x]*xi(\d+)>")
    widths = [int(m) for m in conv_acc.findall(narrow.read_text())]
    assert len(widths) == 6 and max(widths) <= 16, widths
    free_narrow = pipeline(tmp_path, model, options, ["--qc-minimize-accumulators"])
    assert min(int(m) for m in conv_acc.findall(free_narrow.read_text())) > 16

    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    w = onnx.numpy_helper.to_array(
        next(t for t in model.graph.initializer if t.name == conv.input[1]))
    worst = int(np.argmax(np.abs(w).sum(axis=(1, 2, 3))))
    rng = np.random.default_rng(5)
    x = np.where(rng.standard_normal((1, 3, 16, 16)) > 0, 1.0, -1.0).astype(F32)
    x[0, :, 7:10, 7:10] = np.where(w[worst] >= 0, 1.0, -1.0)  # window of (8, 8)
    name, output = model.graph.input[0].name, model.graph.output[0].name
    want = quant_run(bound, {name: x}, tmp_path, output)
    got = quant_run(narrow, {name: x}, tmp_path, output)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    cpu = quant_run(narrow, {name: x}, tmp_path, output, ["--target=cpu"])
    assert np.array_equal(cpu.view(np.uint32), want.view(np.uint32))

    cut = cut_first_accumulator(free, "conv", 16, tmp_path)
    want = quant_run(free, {name: x}, tmp_path, output)
    got = quant_run(cut, {name: x}, tmp_path, output)
    assert not np.array_equal(got, want)


@pytest.mark.parametrize("options", ["w=int8 a=int8", "w=int4 a=uint8 a-static=true"])
def test_cnn_integer_convolutions_export(options, tmp_path):
    """qc.conv with 32-bit accumulators exports as ConvInteger on uint8
    operands (int8 codes moved up by 128 with their zero points) that
    onnxruntime runs within 1e-5 of quant-run; a narrowed accumulator has no
    ONNX form: a clear error, no file."""
    import onnxruntime as ort
    model = models.resnet(size=16)
    module = pipeline(tmp_path, model, options)
    assert module.read_text().count("qc.conv ") == 6
    onnx_path = tmp_path / "q.onnx"
    r = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(module),
                        "-o", str(onnx_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    exported = onnx.load(onnx_path)
    assert sum(n.op_type == "ConvInteger" for n in exported.graph.node) == 6
    name, output = model.graph.input[0].name, model.graph.output[0].name
    x = (2 * np.random.default_rng(3).standard_normal((1, 3, 16, 16))).astype(F32)
    want = quant_run(module, {name: x}, tmp_path, output)
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(
        None, {name: x})[0]
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)

    narrow = pipeline(tmp_path, model, options, ["--qc-minimize-accumulators"])
    bad = tmp_path / "narrow.onnx"
    r = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(narrow),
                        "-o", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0 and not bad.exists()
    assert "'qc.conv' op only an i32 accumulator has an ONNX form (ConvInteger)" in r.stderr


@pytest.mark.parametrize("options,message", [
    ("w=int4 a=uint8 acc-bits=16", "acc-bits needs integer codes on both sides"),
    ("w=mxfp4 a=int8 acc-bits=16", "acc-bits needs integer codes on both sides"),
    ("w=int4 a=int8 w-group=32 acc-bits=16", "acc-bits needs integer codes on both sides"),
    ("w=int8 a=int8 acc-bits=1", "acc-bits must be 0 (none) or in [2, 64], got 1"),
])
def test_pipeline_bad_accumulator_options(options, message, tmp_path):
    onnx.save(models.mlp(), tmp_path / "m.onnx")
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                        f"--qc-ptq-pipeline={options}", "-o", str(tmp_path / "q.mlir")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert not (tmp_path / "q.mlir").exists()


@pytest.mark.parametrize("big,rewritten", [(False, True), (True, False)])
def test_integer_linear_uses_exact_range(big, rewritten, tmp_path):
    """--qc-integer-linear rewrites a layer when the exact range of its sums
    fits 32 bits: K = 140000 codes of 1 and one of 127 reach about 1.8e7
    (a product-of-maxima bound, 128 * 127 * K, would refuse it); all codes
    127 reach 2.3e9 and stay float."""
    k = 140000
    codes = np.full((k, 1), 127 if big else 1, np.int8)
    codes[7, 0] = 127
    (tmp_path / "m.mlir").write_text(f"""
func.func @main(%x: tensor<1x{k}xf32>) -> tensor<1x1xf32> {{
  %s = arith.constant dense<1.0> : tensor<f32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<1x{k}, #qc.int<8>> : (tensor<1x{k}xf32>, tensor<f32>) -> tensor<1x{k}xf32>
  %c = qc.constant {hex_dense(codes)} : tensor<{k}x1xi8> : !qc.qtensor<{k}x1, #qc.int<8>>
  %w = qc.dequantize %c, %s : (!qc.qtensor<{k}x1, #qc.int<8>>, tensor<f32>) -> tensor<{k}x1xf32>
  %y = nn.matmul %xq, %w : tensor<1x{k}xf32>, tensor<{k}x1xf32>
  return %y : tensor<1x1xf32>
}}
""")
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.mlir"), "--qc-integer-linear"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert ("qc.linear" in r.stdout) == rewritten

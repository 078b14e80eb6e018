"""Integer qc.linear compiled for the CPU (the AVX-512 VNNI kernel on hosts
that have it, the AVX2 kernel (forced here, and the default on AVX2 hosts
without VNNI), the contraction elsewhere and for other accumulators) against
the interpreter and numpy: bit-exact, including wrap-around, zero points,
padding of M, N and K, and two threads."""

import subprocess

import numpy as np
import pytest

from qc_testing import BIN, quant_run


def has_vnni():
    flags = open("/proc/cpuinfo").read().split()
    return "avx512_vnni" in flags and "avx512bw" in flags


def has_avx2():
    return "avx2" in open("/proc/cpuinfo").read().split()


def module_text(m, n, k, x_signed, zp, bias, w_bits, acc, w):
    xf = "#qc.int<8>" if x_signed else "#qc.int<8, unsigned>"
    if zp:
        xf += ", #qc.scheme<per_tensor, asymmetric>"
    xt = f"!qc.qtensor<{m}x{k}, {xf}>"
    wt = f"!qc.qtensor<{n}x{k}, #qc.int<{w_bits}>, #qc.scheme<per_axis, axis = 0>>"
    args, types, extra = [f"%x: {xt}"], [xt, wt], ""
    if bias:
        args.append(f"%b: tensor<{n}x{acc}>")
        types.append(f"tensor<{n}x{acc}>")
        extra += " bias %b"
    if zp:
        args.append("%z: tensor<i32>")
        types.append("tensor<i32>")
        extra += " input_zero_point %z"
    codes = (w.astype(np.int64) & ((1 << w_bits) - 1)).astype(np.uint8)
    storage = "i8" if w_bits == 8 else f"i{w_bits}"
    rows = ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in codes)
    if w_bits == 8:
        dense = f'dense<"0x{w.astype(np.int8).tobytes().hex()}">'
    else:
        dense = f"dense<[{rows}]>"
    return f"""func.func @main({", ".join(args)}) -> tensor<{m}x{n}x{acc}> {{
  %w = qc.constant {dense} : tensor<{n}x{k}x{storage}> : {wt}
  %y = qc.linear %x, %w{extra} : ({", ".join(types)}) -> tensor<{m}x{n}x{acc}>
  return %y : tensor<{m}x{n}x{acc}>
}}
"""


def run(path, inputs, tmp, extra):
    return quant_run(path, inputs, tmp, "output0", extra)


CASES = {
    # m, n, k, x_signed, zp, bias, w_bits, acc
    "u8_square": (24, 64, 64, False, False, False, 8, "i32"),
    "s8_bias_tails": (13, 70, 37, True, False, True, 8, "i32"),
    "u8_zp_bias": (200, 100, 1100, False, True, True, 8, "i32"),
    "gemv_long_k": (1, 96, 4100, True, False, False, 8, "i32"),
    "int4_weights": (5, 33, 10, True, False, True, 4, "i32"),
    "i16_wraps": (3, 8, 300, False, False, False, 8, "i16"),
    "i64_generic": (4, 9, 20, True, False, True, 8, "i64"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_linear_bit_exact(case, tmp_path):
    m, n, k, x_signed, zp, bias, w_bits, acc = CASES[case]
    rng = np.random.default_rng(7)
    lo, hi = -(1 << (w_bits - 1)), 1 << (w_bits - 1)
    w = rng.integers(lo, hi, (n, k))
    # Extreme values, so the u8 offset and the sums are exercised.
    w[0, :] = lo
    if x_signed:
        x = rng.integers(-128, 128, (m, k)).astype(np.int8)
        x[0, :] = -128
    else:
        x = rng.integers(0, 256, (m, k)).astype(np.uint8)
        x[0, :] = 255
    path = tmp_path / "m.mlir"
    path.write_text(module_text(m, n, k, x_signed, zp, bias, w_bits, acc, w))
    inputs = {"arg0": x}
    bits = int(acc[1:])
    b = rng.integers(-(1 << 20), 1 << 20, n) if bits > 16 else rng.integers(-99, 99, n)
    z = np.array(3, dtype=np.int32)
    if bias:
        inputs["arg1"] = b.astype({"i16": np.int16, "i32": np.int32, "i64": np.int64}[acc])
    if zp:
        inputs[f"arg{len(inputs)}"] = z
    want = x.astype(np.int64) - (3 if zp else 0)
    want = want @ w.T.astype(np.int64) + (b if bias else 0)
    if bits < 64:  # wrap to the accumulator
        want = (want + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
    interp = run(path, inputs, tmp_path, ["--target=interp"])
    cpu = run(path, inputs, tmp_path, ["--target=cpu"])
    threads = run(path, inputs, tmp_path, ["--target=cpu", "--cpu-threads=2"])
    np.testing.assert_array_equal(interp, want)
    np.testing.assert_array_equal(cpu, want)
    np.testing.assert_array_equal(threads, want)
    if acc == "i32" and has_avx2():  # the AVX2 kernel, forced
        for t in (1, 2):
            avx2 = run(path, inputs, tmp_path, ["--target=cpu", "--cpu-int8-kernel=avx2",
                                                f"--cpu-threads={t}"])
            np.testing.assert_array_equal(avx2, want)
    generic = run(path, inputs, tmp_path, ["--target=cpu", "--cpu-int8-kernel=generic"])
    np.testing.assert_array_equal(generic, want)


@pytest.mark.skipif(not has_vnni(), reason="host without AVX-512 VNNI")
def test_vnni_kernel_is_used(tmp_path):
    """On a VNNI host the default pipeline emits the vpdpbusd kernel, also
    for all-equal weights (a splat packed constant)."""
    w = np.ones((32, 8), dtype=np.int64)
    path = tmp_path / "m.mlir"
    path.write_text(module_text(12, 32, 8, False, False, False, 8, "i32", w))
    r = subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-lower-to-cpu"],
                       capture_output=True, text=True, check=True)
    # Two copies of the 24-vpdpbusd micro-kernel (with and without the
    # prefetch of the next weight block).
    assert r.stdout.count('"llvm.x86.avx512.vpdpbusd.512"') == 48
    x = np.random.default_rng(2).integers(0, 256, (12, 8)).astype(np.uint8)
    got = run(path, {"arg0": x}, tmp_path, ["--target=cpu"])
    np.testing.assert_array_equal(got, x.astype(np.int64).sum(axis=1, keepdims=True)
                                  * np.ones((1, 32), dtype=np.int64))


REQUANT = """func.func @main(%q: !qc.qtensor<64x16, #qc.int<16>, #qc.scheme<per_axis, axis = 1>>,
                %s: tensor<16xf32>, %t: tensor<f32>, %z: tensor<i32>)
    -> !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %r = qc.requantize %q, %s to %t zero_points %z
      : (!qc.qtensor<64x16, #qc.int<16>, #qc.scheme<per_axis, axis = 1>>, tensor<16xf32>, tensor<f32>, tensor<i32>)
      -> !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %r : !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}
"""


def test_requantize_bit_exact(tmp_path):
    """qc.requantize (f32 scales, as quantize(dequantize)) on the CPU gives
    the interpreter's codes: ties, saturation at both ends, zero point."""
    rng = np.random.default_rng(3)
    q = rng.integers(-32768, 32768, (64, 16)).astype(np.int16)
    q[0, :] = [-32768, 32767, 0, 1, -1, 2, -2, 3, 100, -100, 255, -255, 7, 8, 9, 10]
    s = (rng.random(16).astype(np.float32) + 0.5) * np.float32(0.01)
    s[:4] = 0.5  # exact halves: ties to even
    path = tmp_path / "m.mlir"
    path.write_text(REQUANT)
    inputs = {"arg0": q, "arg1": s, "arg2": np.array(1.0, dtype=np.float32),
              "arg3": np.array(128, dtype=np.int32)}
    interp = run(path, inputs, tmp_path, ["--target=interp"])
    cpu = run(path, inputs, tmp_path, ["--target=cpu"])
    np.testing.assert_array_equal(cpu, interp)
    # fl32(q * s) / 1 rounded half to even, + 128, saturated to [0, 255].
    mid = (q.astype(np.float32) * s).astype(np.float32)
    want = np.clip(np.rint(mid) + 128, 0, 255)
    np.testing.assert_array_equal(interp.astype(np.int64), want.astype(np.int64))


@pytest.fixture(scope="module")
def llama_w8a8(tmp_path_factory):
    """The outlier decoder through --qc-ptq-pipeline with integer weights and
    per-token int8 activations (W8A8 and W4A8)."""
    import onnx
    from quantc import models
    tmp = tmp_path_factory.mktemp("ptq-int")
    model = models.llama(outliers=True)
    onnx.save(model, str(tmp / "llama.onnx"))
    calib = tmp / "calib"
    for i in range(2):
        (calib / str(i)).mkdir(parents=True)
        for n, v in models.sample_inputs(model, seed=i).items():
            np.save(calib / str(i) / f"{n}.npy", v)
    out = {}
    for label, opts in [("W8A8", "w=int8 a=int8"), ("W4A8", "w=int4 a=int8 rotate=hadamard"),
                        ("W4A8-clip", "w=int4 a=int8 rotate=hadamard w-scale=mse a-clip=0.9")]:
        path = tmp / f"{label}.mlir"
        subprocess.run([str(BIN / "quant-opt"), str(tmp / "llama.onnx"),
                        f"--qc-ptq-pipeline={opts} calib={calib}", "-o", str(path)],
                       capture_output=True, text=True, check=True)
        out[label] = (path, models.sample_inputs(model, seed=5), model.graph.output[0].name)
    return out


@pytest.mark.parametrize("label", ["W8A8", "W4A8", "W4A8-clip"])
def test_integer_linear_models_bit_exact(label, llama_w8a8, tmp_path):
    """After --qc-integer-linear the quantized decoder's linear layers are
    qc.linear; compiled, it gives the interpreter's outputs bit for bit.
    On this input it stays within 1e-6 of the fake-quantized graph (same
    codes, exact instead of f32 sums; no later activation code flips, which
    the last-bit changes can cause on other inputs, see the pass docs)."""
    from qc_testing import rel_l2
    path, inputs, output = llama_w8a8[label]
    rewritten = tmp_path / "il.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-integer-linear",
                    "-o", str(rewritten)], capture_output=True, text=True, check=True)
    text = rewritten.read_text()
    assert text.count("qc.linear") == 15  # 7 per block x 2 blocks + the head
    assert "qc.fake_quant" not in text
    interp = quant_run(rewritten, inputs, tmp_path, output, ["--target=interp"])
    cpu = quant_run(rewritten, inputs, tmp_path, output, ["--target=cpu"])
    np.testing.assert_array_equal(cpu, interp)
    fake = quant_run(path, inputs, tmp_path, output, ["--target=interp"])
    assert rel_l2(interp, fake) <= 1e-6


@pytest.mark.skipif(not has_vnni(), reason="host without AVX-512 VNNI")
def test_quantized_model_uses_vnni(llama_w8a8):
    """--qc-lower-to-cpu="integer-linear=true" puts the W8A8 decoder's
    layers on the VNNI kernel; by default they stay float contractions."""
    path, _, _ = llama_w8a8["W8A8"]
    on = subprocess.run([str(BIN / "quant-opt"), str(path),
                         "--qc-lower-to-cpu=integer-linear=true"],
                        capture_output=True, text=True, check=True).stdout
    off = subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-lower-to-cpu"],
                         capture_output=True, text=True, check=True).stdout
    # 15 calls of the loop nests, one nest per distinct shape (q/k/v/o,
    # gate/up, down and the head of the 2 blocks share theirs).
    assert on.count("llvm.call @__qc_u8s8_vnni512_") == 15
    nests = on.count("llvm.func internal @__qc_u8s8_vnni512_")
    assert 2 <= nests < 15
    assert on.count('"llvm.x86.avx512.vpdpbusd.512"') >= nests * 24
    assert "vpdpbusd" not in off


RESCALE = """func.func @main(%acc: tensor<64x16xi32>, %m: tensor<16xi32>, %sh: tensor<16xi8>,
                %zi: tensor<i32>, %zo: tensor<i32>)
    -> !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %r = qc.rescale %acc, %m, %sh input_zero_point %zi output_zero_point %zo {axis = 1 : i64}
      : (tensor<64x16xi32>, tensor<16xi32>, tensor<16xi8>, tensor<i32>, tensor<i32>)
      -> !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %r : !qc.qtensor<64x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}
"""


def test_rescale_bit_exact(tmp_path):
    """qc.rescale (integer-only requantization, multiplier and shift per
    column) on the CPU gives the interpreter's codes and numpy's: ties
    round up, shifts clamped to [0, 62], saturation at both ends, 32-bit
    extremes."""
    rng = np.random.default_rng(4)
    acc = rng.integers(-2**31, 2**31, (64, 16)).astype(np.int32)
    acc[:16] = rng.integers(-5000, 5000, (16, 16))
    acc[16, :6] = [-2**31, 2**31 - 1, 0, 1, -1, 12]
    m = rng.integers(2**30, 2**31, 16).astype(np.int32)
    m[:3] = [3, 1, -7]
    sh = np.array([3, 0, 2, 40, 31, 45, 62, 70, -4, 33, 36, 38, 44, 47, 50, 60], dtype=np.int8)
    path = tmp_path / "m.mlir"
    path.write_text(RESCALE)
    inputs = {"arg0": acc, "arg1": m, "arg2": sh, "arg3": np.array(-3, dtype=np.int32),
              "arg4": np.array(128, dtype=np.int32)}
    interp = run(path, inputs, tmp_path, ["--target=interp"])
    cpu = run(path, inputs, tmp_path, ["--target=cpu"])
    np.testing.assert_array_equal(cpu, interp)
    # numpy: Python integers, exact.
    want = np.empty(acc.shape, dtype=np.int64)
    for (i, j), x in np.ndenumerate(acc):
        s = min(max(int(sh[j]), 0), 62)
        v = (int(x) + 3) * int(m[j])
        r = (v + ((1 << s) >> 1)) >> s
        want[i, j] = min(max(r + 128, 0), 255)
    np.testing.assert_array_equal(interp.astype(np.int64), want)


REQUANT_ACC = """func.func @main(%q: !qc.qtensor<256x8, #qc.int<16>, #qc.scheme<per_axis, axis = 1>>)
    -> !qc.qtensor<256x8, #qc.int<8>> {
  %s = arith.constant dense<[1.0e-2, 3.3e-3, 7.0e-4, 2.5e-2, 1.1e-3, 6.1e-3, 9.9e-4, 4.2e-3]> : tensor<8xf32>
  %t = arith.constant dense<0.037> : tensor<f32>
  %r = qc.requantize %q, %s to %t
      : (!qc.qtensor<256x8, #qc.int<16>, #qc.scheme<per_axis, axis = 1>>, tensor<8xf32>, tensor<f32>)
      -> !qc.qtensor<256x8, #qc.int<8>>
  return %r : !qc.qtensor<256x8, #qc.int<8>>
}
"""


def test_fixed_point_requantize_within_one_step(tmp_path):
    """--qc-fixed-point-requantize turns the float requantization of int16
    codes with per-channel scales into qc.rescale: compiled it matches the interpreter bit
    for bit, and it stays within one code of the float requantization."""
    rng = np.random.default_rng(6)
    acc = rng.integers(-32768, 32768, (256, 8)).astype(np.int16)
    path = tmp_path / "m.mlir"
    path.write_text(REQUANT_ACC)
    fixed = tmp_path / "fixed.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-fixed-point-requantize",
                    "-o", str(fixed)], capture_output=True, text=True, check=True)
    assert "qc.rescale" in fixed.read_text() and "qc.requantize" not in fixed.read_text()
    float_codes = run(path, {"arg0": acc}, tmp_path, ["--target=interp"]).astype(np.int64)
    interp = run(fixed, {"arg0": acc}, tmp_path, ["--target=interp"])
    cpu = run(fixed, {"arg0": acc}, tmp_path, ["--target=cpu"])
    np.testing.assert_array_equal(cpu, interp)
    diff = np.abs(interp.astype(np.int64) - float_codes)
    assert diff.max() <= 1
    assert (diff == 0).mean() > 0.99
    assert 0.05 < ((float_codes > -128) & (float_codes < 127)).mean()  # not all saturated


def test_rescale_exports_to_onnxruntime(tmp_path):
    """qc.rescale with constant multipliers and shifts exports as int64
    ONNX arithmetic (floor division for the arithmetic shift) and
    onnxruntime gives the interpreter's codes: ties, clamped shifts, 32-bit
    extremes, zero points, saturation; also the per-channel rescale that
    --qc-fixed-point-requantize makes of int16 codes."""
    import onnxruntime as ort
    rng = np.random.default_rng(4)
    acc = rng.integers(-2**31, 2**31, (64, 16)).astype(np.int32)
    acc[:16] = rng.integers(-5000, 5000, (16, 16))
    acc[16, :6] = [-2**31, 2**31 - 1, 0, 1, -1, 12]
    acc[17] = -(1 << np.arange(16, dtype=np.int64)).astype(np.int32) * 3  # negative ties
    m = rng.integers(2**30, 2**31, 16).astype(np.int32)
    m[:3] = [3, 1, -7]
    sh = np.array([3, 0, 2, 40, 31, 45, 62, 70, -4, 33, 36, 38, 44, 47, 50, 60], dtype=np.int8)
    consts = RESCALE.replace(
        "func.func @main(%acc: tensor<64x16xi32>, %m: tensor<16xi32>, %sh: tensor<16xi8>,\n"
        "                %zi: tensor<i32>, %zo: tensor<i32>)",
        "func.func @main(%acc: tensor<64x16xi32>)").replace(
        "  %r = qc.rescale",
        f"  %m = arith.constant dense<{m.tolist()}> : tensor<16xi32>\n"
        f"  %sh = arith.constant dense<{sh.tolist()}> : tensor<16xi8>\n"
        "  %zi = arith.constant dense<-3> : tensor<i32>\n"
        "  %zo = arith.constant dense<128> : tensor<i32>\n"
        "  %r = qc.rescale")
    fixed = tmp_path / "fixed.mlir"
    (tmp_path / "requant.mlir").write_text(REQUANT_ACC)
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "requant.mlir"),
                    "--qc-fixed-point-requantize", "-o", str(fixed)],
                   capture_output=True, text=True, check=True)
    (tmp_path / "consts.mlir").write_text(consts)
    cases = [(tmp_path / "consts.mlir", acc),
             (fixed, rng.integers(-32768, 32768, (256, 8)).astype(np.int16))]
    for path, x in cases:
        onnx_path = tmp_path / (path.stem + ".onnx")
        r = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(path),
                            "-o", str(onnx_path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        interp = run(path, {"arg0": x}, tmp_path, ["--target=interp"])
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        # The codes' ONNX type (quant-run writes qtensor codes as int64).
        assert got.dtype == (np.uint8 if path.stem == "consts" else np.int8)
        np.testing.assert_array_equal(got.astype(np.int64), interp, err_msg=str(path))


def test_rescale_export_needs_constants(tmp_path):
    path = tmp_path / "m.mlir"
    path.write_text(RESCALE)
    r = subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(path), "-o",
                        str(tmp_path / "m.onnx")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "qc.rescale" in r.stderr and "must be constants to export" in r.stderr
    assert not (tmp_path / "m.onnx").exists()

"""4-bit weight-only matmuls compiled for the CPU (the AVX-512 and AVX2
kernels on packed codes, --qc-x86-fuse-weight-only) against the interpreter: int4
with per-column and per-block f32 scales, MXFP4 with E8M0 scales (NaN and
subnormal scale codes included), NVFP4 with E4M3 scales (every code) and a
global scale, weights as qc.unpack arguments and as
constants, one and two threads. The kernel sums each block of K rows with
FMAs before scaling, so the bound is 1e-5 relative L2 (the issue's bound
for float paths), and NaN positions must match exactly. The same cases
also match, bit for bit, a model of the kernels' documented order of
operations (kernel_order), whatever decode each kernel uses."""

import subprocess

import numpy as np
import pytest

from qc_testing import BIN, quant_run, rel_l2

FORMATS = {
    "int4_col": ("#qc.int<4>, #qc.scheme<per_axis, axis = 1>", "f32", 0),
    "int4_g32": ("#qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>", "f32", 32),
    "mxfp4": ("#qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, "
              "scale = #qc.float<e8m0fnu>>", "i8", 32),
    "nvfp4": ("#qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 16, "
              "scale = #qc.float<fp8e4m3fn>>", "i8", 16),
    # FP4 with f32 scales: the AVX2 byte-lookup decode with its f32 scales
    # gathered by a generic shuffle.
    "fp4_g32": ("#qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32>", "f32", 32),
}


def fma32(a, b, c):
    """f32 fused multiply-add: the product is exact in float64 and the sum
    rounds once there (to 53 bits) before f32 (a second rounding that can
    differ from a single one only at an exact f32 tie of the float64 sum,
    which these inputs do not hit)."""
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(np.float32)


def kernel_order(fmt, codes, s, x, k, global_scale=None):
    """y as the kernels sum it (LowerWeightOnlyKernels.cpp): K split into
    two ranges of K blocks (32 rows, or the scale group if smaller); per
    block and column partial = fma(x[k], value, partial) over the block's
    rows, then acc = fma(partial, scale, acc); y = acc_0 + acc_1."""
    import ml_dtypes
    group = FORMATS[fmt][2] or k
    rows = 32 if group % 32 == 0 else group
    if fmt.startswith("int4"):
        value = np.where(codes > 7, codes.astype(np.int16) - 16, codes).astype(np.float32)
    else:
        value = np.array([0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4, -6],
                         np.float32)[codes]
    if FORMATS[fmt][1] == "f32":
        scale = np.asarray(s, np.float32).reshape(-1, codes.shape[1])
    else:
        u = np.asarray(s).view(np.uint8)
        if fmt == "mxfp4":
            scale = np.where(u == 255, np.float32(np.nan),
                             np.ldexp(np.float32(1), np.minimum(u, 254).astype(np.int32) - 127)).astype(np.float32)
        else:
            scale = u.view(ml_dtypes.float8_e4m3fn).astype(np.float32) * np.float32(global_scale)
    blocks = k // rows
    y = np.zeros((x.shape[0], codes.shape[1]), np.float32)
    for i in range(x.shape[0]):
        accs = []
        for p in range(2):
            acc = np.zeros(codes.shape[1], np.float32)
            for blk in range(p * blocks // 2, (p + 1) * blocks // 2):
                part = np.zeros(codes.shape[1], np.float32)
                for kk in range(blk * rows, (blk + 1) * rows):
                    part = fma32(x[i, kk], value[kk], part)
                acc = fma32(part, scale[blk * rows // group], acc)
            accs.append(acc)
        y[i] = accs[0] + accs[1]
    return y


FLAGS = open("/proc/cpuinfo").read().split()
# Each kernel on the hosts that can run it.
KERNELS = [
    pytest.param("avx512", marks=pytest.mark.skipif("avx512f" not in FLAGS,
                                                    reason="needs AVX-512")),
    pytest.param("avx2", marks=pytest.mark.skipif("avx2" not in FLAGS or "fma" not in FLAGS,
                                                  reason="needs AVX2 and FMA")),
]


def check_kernel(path, kernel):
    """With kernel=`kernel` the matmul becomes that kernel's op (it did not
    stay for the generic loops)."""
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-x86-fuse-weight-only=kernel={kernel}"],
                       capture_output=True, text=True, check=True)
    assert f'qc.x86_kernel = "w4_f32_{kernel}"' in r.stdout
    assert "nn.matmul" not in r.stdout


def build(tmp, m, k, n, fmt, constant, rng, splat=False):
    qf, selt, block = FORMATS[fmt]
    codes = rng.integers(0, 16, (k, n)).astype(np.uint8)
    codes[0, :16] = np.arange(16)
    if splat:
        codes[:] = 3
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).view(np.int8)
    g = k // block if block else 0
    if selt == "f32":
        s = ((rng.random((g, n)) if g else rng.random(n)) + 0.1).astype(np.float32) * np.float32(0.05)
    elif fmt == "mxfp4":
        s = rng.integers(110, 140, (g, n)).astype(np.uint8)
        s[0, 0], s[0, 1] = 0, 255  # 2^-127 (subnormal) and NaN
        s = s.view(np.int8)
    else:  # E4M3: every code once, among them NaN, subnormals, -0, negatives
        s = rng.integers(0x20, 0x60, (g, n)).astype(np.uint8)
        t = min(256, s.size)
        s.reshape(-1)[:t] = np.arange(t)
        s = s.view(np.int8)
    st = f"tensor<{'x'.join(map(str, s.shape))}x{selt}>"
    qt = f"!qc.qtensor<{k}x{n}, {qf}>"
    x = rng.standard_normal((m, k)).astype(np.float32)
    inputs = {"arg0": x}
    if constant:
        wdef = (f'%w = qc.constant dense<"0x{codes.tobytes().hex()}"> : '
                f"tensor<{k}x{n}xi4> : {qt}")
        args = f"%x: tensor<{m}x{k}xf32>, %s: {st}"
        inputs["arg1"] = s
    else:
        wdef = f"%w = qc.unpack %b : tensor<{k}x{n // 2}xi8> -> {qt}"
        args = f"%x: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n // 2}xi8>, %s: {st}"
        inputs["arg1"], inputs["arg2"] = packed, s
    gs, gt = "", ""
    if fmt == "nvfp4":  # the global scale: a constant, or an argument
        if constant:
            wdef += "\n  %g = arith.constant dense<0.0123> : tensor<f32>"
        else:
            args += ", %g: tensor<f32>"
            inputs["arg3"] = np.array(0.0123, dtype=np.float32)
        gs, gt = " global_scale %g", ", tensor<f32>"
    path = tmp / "m.mlir"
    path.write_text(
        f"func.func @main({args}) -> tensor<{m}x{n}xf32> {{\n  {wdef}\n"
        f"  %d = qc.dequantize %w, %s{gs} : ({qt}, {st}{gt}) -> tensor<{k}x{n}xf32>\n"
        f"  %y = nn.matmul %x, %d : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>\n"
        f"  return %y : tensor<{m}x{n}xf32>\n}}\n")
    return path, inputs, codes


def run(path, inputs, tmp, extra):
    return quant_run(path, inputs, tmp, "output0", extra)


CASES = [
    # m, k, n, format, constant
    (1, 256, 96, "int4_col", False),
    (3, 128, 160, "int4_g32", False),
    (2, 96, 64, "mxfp4", False),
    (2, 64, 160, "mxfp4", False),
    (1, 128, 160, "fp4_g32", False),
    (1, 64, 64, "mxfp4", True),
    (1, 512, 352, "int4_col", True),
    (2, 1024, 64, "nvfp4", False),
    (3, 64, 96, "nvfp4", True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[3]}-{c[0]}x{c[1]}x{c[2]}-{'const' if c[4] else 'unpack'}")
@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_only_matches_interpreter(case, kernel, tmp_path):
    m, k, n, fmt, constant = case
    path, inputs, _ = build(tmp_path, m, k, n, fmt, constant, np.random.default_rng(5))
    for extra, got, want, nan in against_interpreter(path, inputs, kernel, tmp_path):
        assert rel_l2(got[~nan], want[~nan]) <= 1e-5, extra


def against_interpreter(path, inputs, kernel, tmp_path):
    """(options, CPU output, interpreter output, its NaN mask) for one and
    two threads of `kernel`, after checking that the kernel is used and
    the NaN positions match."""
    check_kernel(path, kernel)
    want = run(path, inputs, tmp_path, ["--target=interp"])
    nan = np.isnan(want)
    cpu = ["--target=cpu", f"--cpu-weight-only-kernel={kernel}"]
    for extra in (cpu, cpu + ["--cpu-threads=2"]):
        got = run(path, inputs, tmp_path, extra)
        np.testing.assert_array_equal(np.isnan(got), nan)
        yield extra, got, want, nan


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[3]}-{c[0]}x{c[1]}x{c[2]}-{'const' if c[4] else 'unpack'}")
@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_only_summation_order(case, kernel, tmp_path):
    """Bit for bit the documented order of operations (kernel_order), on
    one and two threads: every decode (AVX-512's 16-entry permute, AVX2's
    in-place int4 and bfloat16 byte lookups, its 8-lane permutes for an odd
    last chunk) gives each weight's exact value, and the int4 decode's
    products and partial sums scaled by 2^28 (undone after each K block)
    change no rounding."""
    m, k, n, fmt, constant = case
    rng = np.random.default_rng(11)
    path, inputs, codes = build(tmp_path, m, k, n, fmt, constant, rng)
    s = inputs["arg1" if constant else "arg2"]
    want = kernel_order(fmt, codes, s, inputs["arg0"], k,
                        0.0123 if fmt == "nvfp4" else None)
    cpu = ["--target=cpu", f"--cpu-weight-only-kernel={kernel}"]
    for extra in (cpu, cpu + ["--cpu-threads=2"]):
        got = run(path, inputs, tmp_path, extra)
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(got), nan)
        np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32),
                                      err_msg=str(extra))


@pytest.mark.parametrize("fmt", ["int4_col", "nvfp4"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_only_splat_weights(fmt, kernel, tmp_path):
    """All-equal codes (a splat packed constant) keep the kernel."""
    path, inputs, _ = build(tmp_path, 2, 64, 32, fmt, True, np.random.default_rng(1), splat=True)
    check_kernel(path, kernel)
    want = run(path, inputs, tmp_path, ["--target=interp"])
    got = run(path, inputs, tmp_path, ["--target=cpu", f"--cpu-weight-only-kernel={kernel}"])
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    assert rel_l2(got[~nan], want[~nan]) <= 1e-5


def test_unpack_layout(tmp_path):
    """qc.unpack: low nibble first along the last axis, in both targets."""
    b = np.array([[0x21, 0xF8, 0x7F], [0x00, 0x91, 0x08]], dtype=np.uint8).view(np.int8)
    path = tmp_path / "u.mlir"
    path.write_text(
        "func.func @main(%b: tensor<2x3xi8>) -> tensor<2x6xf32> {\n"
        "  %s = arith.constant dense<0.5> : tensor<f32>\n"
        "  %w = qc.unpack %b : tensor<2x3xi8> -> !qc.qtensor<2x6, #qc.int<4>>\n"
        "  %d = qc.dequantize %w, %s : (!qc.qtensor<2x6, #qc.int<4>>, tensor<f32>) -> tensor<2x6xf32>\n"
        "  return %d : tensor<2x6xf32>\n}\n")
    want = 0.5 * np.array([[1, 2, -8, -1, -1, 7], [0, 0, 1, -7, -8, 0]], dtype=np.float32)
    for target in ("interp", "cpu"):
        np.testing.assert_array_equal(run(path, {"arg0": b}, tmp_path, [f"--target={target}"]), want)


PANEL_CASES = [
    # m, k, n, format, constant: from 6 rows of x on, the panel path
    (6, 256, 96, "int4_col", False),
    (7, 128, 256, "int4_g32", True),
    (13, 96, 64, "mxfp4", False),
    (6, 64, 160, "fp4_g32", False),
    (9, 1024, 128, "nvfp4", True),
    (16, 48, 384, "nvfp4", False),
    # row blocks of at most 128 rows: 87 + 87 + 85 (odd tiles), 129 = 65 + 64
    (259, 64, 96, "int4_col", False),
    (129, 128, 128, "mxfp4", True),
    # K blocks of 4 and 2 rows (x packed 4 / 2 lanes at a time)
    (8, 36, 64, "int4_col", True),
    (11, 50, 32, "int4_col", False),
]


@pytest.mark.parametrize("case", PANEL_CASES,
                         ids=lambda c: f"{c[3]}-{c[0]}x{c[1]}x{c[2]}-{'const' if c[4] else 'unpack'}")
@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_only_panels_bit_exact(case, kernel, tmp_path):
    """Many rows of x (a prompt): each block of weights is decoded once into
    a panel (fl32(value * scale)) and every row multiplied by it with a
    rounded multiply and a rounded add per product in order of k, so the
    result is the interpreter's bit for bit (NaN scales included), on one
    and two threads, for 32-, 64- and 128-column panels."""
    m, k, n, fmt, constant = case
    path, inputs, _ = build(tmp_path, m, k, n, fmt, constant, np.random.default_rng(7))
    for extra, got, want, nan in against_interpreter(path, inputs, kernel, tmp_path):
        np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32),
                                      err_msg=str(extra))


@pytest.mark.parametrize("kernel", KERNELS)
def test_weight_only_panels_fma(kernel, tmp_path):
    """kernel=avx2-fma / avx512-fma: the panel path with fused multiply-adds
    (3-row tiles; faster, one rounding per term): within 1e-6 relative L2 of
    the interpreter, tagged on the kernel's op; `generic-fma` is an
    error."""
    path, inputs, _ = build(tmp_path, 9, 256, 256, "int4_g32", True, np.random.default_rng(3))
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-x86-fuse-weight-only=kernel={kernel}-fma"],
                       capture_output=True, text=True, check=True)
    assert "qc.w4_fma" in r.stdout
    want = run(path, inputs, tmp_path, ["--target=interp"])
    got = run(path, inputs, tmp_path, ["--target=cpu", f"--cpu-weight-only-kernel={kernel}-fma"])
    assert rel_l2(got, want) <= 1e-6
    bad = subprocess.run([str(BIN / "quant-opt"), str(path),
                          "--qc-x86-fuse-weight-only=kernel=generic-fma"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown kernel 'generic-fma'" in bad.stderr


@pytest.mark.parametrize("k,n,m,ablock,weights", [
    (1024, 64, 4, 1024, "per_axis"),   # per-token x, per-column weights: 1024-row sums
    (512, 32, 7, 256, "block64"),      # x's blocks of 256, weight groups of 64
    (256, 40, 2, 256, "block256"),     # 256-row blocks (the sub-block loop)
])
def test_int8_activation_kernel_blocks(k, n, m, ablock, weights, tmp_path):
    """qc.fake_quant marked qc.integer_dot (int8 per block of K, scales from
    x) times constant int4 weights: the int8 kernel sums over the smaller of
    x's blocks and the weight's groups (the larger one's scale repeated),
    in loops beyond 128 rows of K; within 1e-5 relative L2 of the
    interpreter's fake-quantize, dequantize and matmul."""
    if "avx2" not in FLAGS:
        pytest.skip("needs AVX2")
    rng = np.random.default_rng(k + n + m)
    codes = rng.integers(-8, 8, (k, n))
    rows = ", ".join("[" + ", ".join(map(str, r)) + "]" for r in codes)
    if weights == "per_axis":
        qt = f"!qc.qtensor<{k}x{n}, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>"
        scales = rng.uniform(0.01, 0.05, (n,)).astype(np.float32)
    else:
        g = int(weights[5:])
        qt = f"!qc.qtensor<{k}x{n}, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = {g}>>"
        scales = rng.uniform(0.01, 0.05, (k // g, n)).astype(np.float32)
    st = "tensor<" + "x".join(map(str, scales.shape)) + "xf32>"
    sv = np.array2string(scales, separator=", ", threshold=10**9,
                         formatter={"float_kind": lambda v: f"{v:.9e}"}).replace("\n", "")
    aq = (f"!qc.qtensor<{m}x{k}, #qc.int<8>, "
          f"#qc.scheme<per_block, axis = 1, block = {ablock}, dynamic>>")
    at = f"tensor<{m}x{k // ablock}xf32>"
    path = tmp_path / "m.mlir"
    path.write_text(
        f"func.func @main(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{\n"
        f"  %w = qc.constant dense<[{rows}]> : tensor<{k}x{n}xi4> : {qt}\n"
        f"  %s = arith.constant dense<{sv}> : {st}\n"
        f"  %d = qc.dequantize %w, %s : ({qt}, {st}) -> tensor<{k}x{n}xf32>\n"
        f"  %sa = qc.compute_scales %x for {aq} : tensor<{m}x{k}xf32> -> {at}\n"
        f"  %xq = qc.fake_quant %x, %sa as {aq} {{qc.integer_dot}} : "
        f"(tensor<{m}x{k}xf32>, {at}) -> tensor<{m}x{k}xf32>\n"
        f"  %y = nn.matmul %xq, %d : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>\n"
        f"  return %y : tensor<{m}x{n}xf32>\n}}\n")
    ir = subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-lower-to-cpu",
                         "--mlir-print-ir-after=qc-x86-fuse-weight-only", "-o", "/dev/null"],
                        capture_output=True, text=True, check=True).stderr
    assert '"w4a8_avx2"' in ir
    inputs = {"arg0": rng.standard_normal((m, k)).astype(np.float32)}
    want = run(path, inputs, tmp_path, ["--target=interp"])
    for threads in (1, 2):
        got = run(path, inputs, tmp_path, ["--target=cpu", f"--cpu-threads={threads}"])
        assert rel_l2(got, want) <= 1e-5, threads

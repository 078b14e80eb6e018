"""Randomized differential test of the quantization ops: formats (integers
of 1-32 bits, fixed point of 2-32 bits saturating, narrow or wrapping,
preset and arbitrary eXmY minifloats of up to 16 bits) x schemes
(per tensor, per axis, per block with f32 scales, dynamic blocks with f32,
E8M0 or two-level FP8 scales) x ops (quantize, fake_quant, quantize then
dequantize), on values spanning 12 decades with NaN, infinities, signed
zeros and subnormals mixed in. The compiled code must equal the
interpreter bit for bit. Seeded: the same cases run every time; a failure
prints the module and the first differing elements."""

import random
import subprocess

import numpy as np
import pytest

from qc_testing import BIN

SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-42, 3e38, 0.5, -2.5]
PRESETS = ["fp8e4m3fn", "fp8e5m2", "fp6e2m3fn", "fp6e3m2fn", "fp4e2m1fn",
           "fp8e4m3fn, saturate", "fp4e2m1fn, saturate", "fp8e5m2, saturate",
           "fp16", "bf16", "fp16, saturate", "bf16, saturate",
           "fp8e4m3fnuz", "fp8e5m2fnuz", "fp8e4m3fnuz, saturate"]


def element_format(rng):
    """A format the CPU lowering takes (docs/CPU.md lists the limits)."""
    kind = rng.randrange(3)
    if kind == 0:
        w = rng.choice([1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 24, 31, 32])
        opts = [str(w)]
        if rng.random() < 0.3:
            opts.append("unsigned")
        if rng.random() < 0.3 and (w > 1 or "unsigned" in opts):
            opts.append("narrow")
        return f"#qc.int<{', '.join(opts)}>"
    if kind == 1:
        w = rng.choice([2, 4, 6, 8, 12, 16, 18, 24, 32])
        opts = [str(w), str(rng.randrange(0, w + 3))]
        if rng.random() < 0.3:
            opts.append("unsigned")
        if rng.random() < 0.4:
            opts.append(rng.choice(["narrow", "wrap"]))
        return f"#qc.fixed<{', '.join(opts)}>"
    if rng.random() < 0.5:
        return f"#qc.float<{rng.choice(PRESETS)}>"
    e = rng.randrange(1, 7)
    m = rng.randrange(0, 15 - e + 1)  # sign + e + m <= 16 bits
    opts = [f"e{e}m{m}", f"bias = {rng.randrange(0, 2**e)}"]
    # The default specials are ieee; with one exponent bit they would leave
    # no normal binade (nor would fn without mantissa bits).
    if e == 1:
        opts.append("specials = " + rng.choice(["fn", "none"] if m else ["none"]))
    elif rng.random() < 0.5:
        opts.append("specials = " + rng.choice(["ieee", "fn", "none", "fnuz"]))
    if rng.random() < 0.3:
        opts.append("saturate")
    return f"#qc.float<{', '.join(opts)}>"


def case(seed):
    """(module text, inputs) of one random case."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    shape = (rng.choice([1, 2, 4, 6]), rng.choice([4, 8, 16, 32, 64]))
    tt = f"tensor<{shape[0]}x{shape[1]}xf32>"
    fmt = element_format(rng)
    kind = rng.randrange(4)
    axis = rng.randrange(2)
    block = rng.choice([b for b in [1, 2, 4, 8, 16, 32] if shape[axis] % b == 0])
    sshape = list(shape)
    sshape[axis] //= block
    scale_code = ""
    if kind == 0:
        scheme, stype, sdims = "", "tensor<f32>", ()
    elif kind == 1:
        scheme = f", #qc.scheme<per_axis, axis = {axis}>"
        stype, sdims = f"tensor<{shape[axis]}xf32>", (shape[axis],)
    elif kind == 2:
        scheme = f", #qc.scheme<per_block, axis = {axis}, block = {block}>"
        stype, sdims = f"tensor<{sshape[0]}x{sshape[1]}xf32>", tuple(sshape)
    else:
        scale_code = rng.choice(["", ", scale = #qc.float<e8m0fnu>",
                                 ", scale = #qc.float<fp8e4m3fn>"])
        scheme = f", #qc.scheme<per_block, axis = {axis}, block = {block}{scale_code}, dynamic>"
        stype = f"tensor<{sshape[0]}x{sshape[1]}x{'i8' if scale_code else 'f32'}>"
        sdims = None
    qt = f"!qc.qtensor<{shape[0]}x{shape[1]}, {fmt}{scheme}>"
    x = (nrng.standard_normal(shape) * 10.0 ** nrng.uniform(-3, 3, shape)).astype(np.float32)
    for _ in range(rng.randrange(0, 4)):
        x.reshape(-1)[rng.randrange(x.size)] = rng.choice(SPECIALS)
    inputs = {"arg0": x}
    lines = []
    if sdims is None:
        two_level = "fp8e4m3fn" in scale_code
        results = "%s, %g" if two_level else "%s"
        extra = " global_scale tensor<f32>" if two_level else ""
        lines.append(f"{results} = qc.compute_scales %x for {qt} : {tt} -> {stype}{extra}")
        scales = "%s global_scale %g" if two_level else "%s"
        stypes = stype + (", tensor<f32>" if two_level else "")
        signature = f"%x: {tt}"
    else:
        s = (np.abs(nrng.standard_normal(sdims)) * 10.0 ** nrng.uniform(-3, 1)
             + 1e-6).astype(np.float32)
        inputs["arg1"] = s
        scales, stypes = "%s", stype
        signature = f"%x: {tt}, %s: {stype}"
    op = rng.choice(["quantize", "fake_quant", "roundtrip"])
    if op == "quantize":
        lines.append(f"%y = qc.quantize %x, {scales} : ({tt}, {stypes}) -> {qt}")
        result = qt
    elif op == "fake_quant":
        lines.append(f"%y = qc.fake_quant %x, {scales} as {qt} : ({tt}, {stypes}) -> {tt}")
        result = tt
    else:
        lines.append(f"%q = qc.quantize %x, {scales} : ({tt}, {stypes}) -> {qt}")
        lines.append(f"%y = qc.dequantize %q, {scales} : ({qt}, {stypes}) -> {tt}")
        result = tt
    text = (f"func.func @main({signature}) -> {result} {{\n" + "\n".join(lines)
            + f"\nreturn %y : {result}\n}}\n")
    return text, inputs


def run(tmp, target, inputs):
    out = tmp / f"out-{target}"
    cmd = [str(BIN / "quant-run"), str(tmp / "m.mlir"), f"--target={target}",
           "--output-dir", str(out)]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, (target, r.stderr)
    return np.load(out / "output0.npy")


@pytest.mark.parametrize("batch", range(4))
def test_random_quantization_ops_bit_exact(batch, tmp_path):
    for seed in range(batch * 12, batch * 12 + 12):
        text, inputs = case(seed)
        (tmp_path / "m.mlir").write_text(text)
        want = run(tmp_path, "interp", inputs)
        got = run(tmp_path, "cpu", inputs)
        same = np.isnan(want) == np.isnan(got) if want.dtype.kind == "f" else True
        equal = (want == got) | (np.isnan(want) & np.isnan(got)) if want.dtype.kind == "f" \
            else want == got
        assert got.dtype == want.dtype and np.all(same) and np.all(equal), (
            f"seed {seed}\n{text}\nfirst differences at {np.argwhere(~equal)[:4].tolist()}: "
            f"x {[inputs['arg0'][tuple(i)] for i in np.argwhere(~equal)[:4]]} "
            f"interp {want[~equal][:4]} cpu {got[~equal][:4]}")


@pytest.mark.parametrize("fmt", ["e5m10, bias = 15, specials = fnuz", "fp8e4m3fnuz",
                                 "fp8e5m2fnuz, saturate"])
def test_fnuz_codes(fmt, tmp_path):
    """FNUZ minifloats (the negative-zero code is the only NaN): -0 and
    negative values that round to zero give +0, NaN the NaN code, overflow
    NaN unless saturating; a 16-bit FNUZ format goes through the CPU's bit
    decoder rather than a table. Both targets, exact."""
    qt = f"!qc.qtensor<10, #qc.float<{fmt}>>"
    (tmp_path / "m.mlir").write_text(
        "func.func @main(%x: tensor<10xf32>) -> tensor<10xf32> {\n"
        "  %s = arith.constant dense<1.0> : tensor<f32>\n"
        f"  %q = qc.quantize %x, %s : (tensor<10xf32>, tensor<f32>) -> {qt}\n"
        f"  %y = qc.dequantize %q, %s : ({qt}, tensor<f32>) -> tensor<10xf32>\n"
        "  return %y : tensor<10xf32>\n}\n")
    x = np.array([0.0, -0.0, np.nan, -1e-9, 1e9, -1e9, np.inf, -np.inf, 1.5, -2.5], np.float32)
    big = {"e5m10": np.nan, "fp8e4m3fnuz": np.nan, "fp8e5m2fnuz": 57344.0}[fmt.split(",")[0]]
    want = np.array([0, 0, np.nan, 0, big, -big, big, -big, 1.5, -2.5], np.float32)
    for target in ["interp", "cpu"]:
        got = run(tmp_path, target, {"arg0": x})
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=target)
        np.testing.assert_array_equal(got.view(np.uint32)[~np.isnan(want)],
                                      want.view(np.uint32)[~np.isnan(want)], err_msg=target)

"""The GPU target (--qc-lower-to-gpu): the kernels, mapped to blocks and
threads, compute the interpreter's outputs bit for bit when run thread by
thread on the host (quant-run --target=gpu-emulated); their PTX assembles
with the CUDA toolkit's ptxas; on a machine with an NVIDIA GPU and driver,
quant-run --target=gpu runs them there (skipped otherwise), and without one
it fails with a clear error."""

import ctypes
import functools
import os
import pathlib
import shutil
import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN, rel_l2, run_outputs
from quantc import models

PTXAS = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if shutil.which("/usr/local/cuda/bin/ptxas") else None)


def has_libdevice():
    """Whether --qc-lower-to-gpu finds the CUDA toolkit's libdevice (as
    LowerToGPU.cpp looks for it): kernels with math functions need it."""
    dirs = [os.environ.get(v) for v in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")]
    return any(d and (pathlib.Path(d) / "nvvm" / "libdevice" / "libdevice.10.bc").exists()
               for d in dirs + ["/usr/local/cuda"])


@functools.lru_cache(maxsize=None)
def gpu_available():
    """Whether the CUDA driver loads and sees a GPU."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0


def run(module, inputs, tmp, target, extra=()):
    """Outputs (name -> array) of quant-run on `module` with `target`."""
    return run_outputs(module, inputs, tmp, target, extra)[0]


def assert_same(got, want, what):
    assert got.keys() == want.keys()
    for k in want:
        a, b = got[k], want[k]
        assert a.shape == b.shape and a.dtype == b.dtype, (what, k)
        if a.dtype.kind == "f":
            same = np.array_equal(a.view(np.uint8), b.view(np.uint8))
        else:
            same = np.array_equal(a, b)
        assert same, (what, k, float(rel_l2(a.astype(np.float64), b.astype(np.float64))))


def assemble(module, tmp, chip="sm_80"):
    """Lowers `module` for `chip` and assembles its PTX with ptxas."""
    lowered, ptx = tmp / "gpu.mlir", tmp / "k.ptx"
    r = subprocess.run([str(BIN / "quant-opt"), str(module),
                        f"--qc-lower-to-gpu=chip={chip}", "-o", str(lowered)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(BIN / "quant-translate"), "--emit-ptx", str(lowered),
                        "-o", str(ptx)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = ptx.read_text()
    assert f".target {chip}" in text and ".entry" in text
    if PTXAS:
        r = subprocess.run([PTXAS, f"-arch={chip}", str(ptx), "-o", str(tmp / "k.cubin")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
    return text


def check_module(module, inputs, tmp, exact=True):
    """Emulated GPU = interpreter (bit for bit); the PTX assembles; on a GPU,
    the device's outputs match too (libdevice's exp / erf / tanh may differ
    from the host's libm in the last bit: relative L2 <= 1e-5)."""
    want = run(module, inputs, tmp, "interp")
    got = run(module, inputs, tmp, "gpu-emulated")
    if exact:
        assert_same(got, want, "gpu-emulated")
    else:
        for k in want:
            assert rel_l2(got[k], want[k]) <= 1e-5, k
    if has_libdevice():
        assemble(module, tmp)
    if gpu_available():
        device = run(module, inputs, tmp, "gpu")
        for k in want:
            assert rel_l2(device[k].astype(np.float64), want[k].astype(np.float64)) <= 1e-5, k


FLOAT_MODELS = {
    "llama": lambda: models.llama(),
    "bert": lambda: models.bert(),
    "resnet": lambda: models.resnet(batch=2),
    "cnn1d": lambda: models.cnn1d(),
    "mlp": lambda: models.mlp(batch=4),
}


@pytest.mark.parametrize("name", sorted(FLOAT_MODELS))
def test_float_models(name, tmp_path):
    model = FLOAT_MODELS[name]()
    onnx.save(model, str(tmp_path / "m.onnx"))
    check_module(tmp_path / "m.onnx", models.sample_inputs(model, seed=1), tmp_path)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("decoder")
    model = models.llama(outliers=True)
    onnx.save(model, str(tmp / "m.onnx"))
    calib = tmp / "calib"
    for i in range(2):
        (calib / str(i)).mkdir(parents=True)
        for n, v in models.sample_inputs(model, seed=i).items():
            np.save(calib / str(i) / f"{n}.npy", v)
    return model, tmp / "m.onnx", calib


@pytest.mark.parametrize("options", [
    "w=int8 a=int8",
    "w=int4 a=int8 rotate=hadamard",
    "w=int4 a=float w-group=32",
    "w=fp8e4m3 a=fp8e4m3",
    "w=mxfp4 a=mxfp4",
    "w=nvfp4 a=nvfp4",
])
def test_quantized_decoder(options, decoder, tmp_path):
    """The PTQ pipeline's decoder in each format family: per-token dynamic
    activation quantization (row reductions), MX / NVFP4 block scales,
    online Hadamard rotations."""
    model, path, calib = decoder
    mlir = tmp_path / "q.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(path),
                        f"--qc-ptq-pipeline={options} calib={calib}", "-o", str(mlir)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check_module(mlir, models.sample_inputs(model, seed=9), tmp_path)


def test_integer_layers(tmp_path):
    """An MLP whose layers are integer (qc.linear with int32 accumulators,
    --qc-integer-linear) and requantized with integer multipliers and
    shifts (--qc-integer-requantize)."""
    model = models.mlp(batch=8)
    onnx.save(model, str(tmp_path / "m.onnx"))
    calib = tmp_path / "calib"
    rng = np.random.default_rng(1)
    for i in range(4):
        (calib / str(i)).mkdir(parents=True)
        np.save(calib / str(i) / "input.npy", rng.standard_normal((8, 16)).astype(np.float32))
    mlir = tmp_path / "q.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"),
                        f"--qc-ptq-pipeline=w=int8 a=int8 a-static=true calib={calib}",
                        "--qc-integer-linear", "--qc-integer-requantize", "-o", str(mlir)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "qc.linear" in mlir.read_text() and "qc.rescale" in mlir.read_text()
    x = (3 * rng.standard_normal((8, 16))).astype(np.float32)
    check_module(mlir, {"input": x}, tmp_path)


@pytest.mark.parametrize("block", ["32", "1024"])
def test_block_sizes(block, tmp_path):
    """Other tilings give the same numbers: each element is one thread's
    loop whatever the block shape."""
    model = models.bert()
    onnx.save(model, str(tmp_path / "m.onnx"))
    inputs = models.sample_inputs(model, seed=3)
    want = run(tmp_path / "m.onnx", inputs, tmp_path, "interp")
    got = run(tmp_path / "m.onnx", inputs, tmp_path, "gpu-emulated",
              [f"--gpu-block-size={block}"])
    assert_same(got, want, block)


@pytest.mark.skipif(PTXAS is None or not has_libdevice(),
                    reason="no CUDA toolkit (ptxas, libdevice)")
@pytest.mark.parametrize("chip", ["sm_75", "sm_90"])
def test_ptx_for_other_gpus(chip, tmp_path):
    model = models.llama()
    onnx.save(model, str(tmp_path / "m.onnx"))
    text = assemble(tmp_path / "m.onnx", tmp_path, chip)
    # One module: all kernels, the weights as initialized global arrays.
    assert text.count(".version") == 1
    assert ".global .align" in text


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_no_gpu_is_a_clear_error(tmp_path):
    model = models.mlp()
    onnx.save(model, str(tmp_path / "m.onnx"))
    np.save(tmp_path / "x.npy", np.zeros((1, 16), np.float32))
    r = subprocess.run([str(BIN / "quant-run"), str(tmp_path / "m.onnx"), "--target=gpu",
                        "--input", f"input={tmp_path / 'x.npy'}",
                        "--output-dir", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "quant-run: error: --target=gpu: " in r.stderr
    assert "Stack dump" not in r.stderr
    assert not (tmp_path / "out").exists()


CC = shutil.which("cc") or shutil.which("clang-19") or shutil.which("gcc")


@pytest.fixture(scope="module")
def mock_driver(tmp_path_factory):
    """A stand-in libcuda.so.1 (data/mock_libcuda.c): host memory as device
    memory, launches logged but not run."""
    if CC is None:
        pytest.skip("no C compiler for the mock CUDA driver")
    if not has_libdevice():
        pytest.skip("no CUDA toolkit (libdevice) to link the MLP's softmax")
    d = tmp_path_factory.mktemp("mock")
    src = pathlib.Path(__file__).parent / "data" / "mock_libcuda.c"
    r = subprocess.run([CC, "-shared", "-fPIC", "-O1", "-o", str(d / "libcuda.so.1"),
                        str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d


def run_on_mock(mock_driver, tmp, extra_env=(), repeat=2):
    model = models.mlp()
    onnx.save(model, str(tmp / "m.onnx"))
    np.save(tmp / "x.npy", np.ones((1, 16), np.float32))
    env = dict(os.environ, LD_LIBRARY_PATH=str(mock_driver),
               MOCK_CUDA_LOG=str(tmp / "calls.log"), **dict(extra_env))
    r = subprocess.run([str(BIN / "quant-run"), str(tmp / "m.onnx"), "--target=gpu",
                        "--input", f"input={tmp / 'x.npy'}", "--repeat", str(repeat),
                        "--output-dir", str(tmp / "out")],
                       capture_output=True, text=True, env=env)
    log = (tmp / "calls.log").read_text().splitlines() if (tmp / "calls.log").exists() else []
    return r, [line.split() for line in log]


def test_runtime_calls_on_a_mock_driver(mock_driver, tmp_path):
    """The host code's driver calls, through QuantC's runtime: one PTX JIT
    load for all runs, each kernel looked up once and launched once per
    run, the 16 input floats copied in and the 5 outputs copied out per
    run, every allocation freed."""
    r, calls = run_on_mock(mock_driver, tmp_path)
    assert r.returncode == 0, r.stderr
    runs = 3  # one, then --repeat 2
    loads = [c for c in calls if c[0] == "load"]
    assert len(loads) == 1 and loads[0][1] == "ptx"
    lowered = tmp_path / "gpu.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "m.onnx"), "--qc-lower-to-gpu",
                    "-o", str(lowered)], check=True)
    ptx = subprocess.run([str(BIN / "quant-translate"), "--emit-ptx", str(lowered)],
                         capture_output=True, text=True, check=True).stdout
    kernels = ptx.count(".entry")
    launches = [c for c in calls if c[0] == "launch"]
    assert len(launches) == runs * kernels
    assert len([c for c in calls if c[0] == "function"]) == kernels
    copies = [int(c[1]) for c in calls if c[0] == "copy"]
    assert copies == [16 * 4, 5 * 4] * runs
    allocs = [c for c in calls if c[0] == "alloc"]
    assert len(allocs) == len([c for c in calls if c[0] == "free"])


def test_driver_errors_are_reported(mock_driver, tmp_path):
    """A driver error (here the PTX JIT failing, with its log) is a
    quant-run error naming the step, not a crash; no output is written."""
    r, _ = run_on_mock(mock_driver, tmp_path, {"MOCK_CUDA_FAIL_LOAD": "1"}.items(), 0)
    assert r.returncode == 1
    assert ("quant-run: error: --target=gpu: loading the GPU module (the driver's PTX "
            "JIT): a PTX JIT compilation failed (mock): ptxas fatal: mock log") in r.stderr
    assert "Stack dump" not in r.stderr
    assert not (tmp_path / "out").exists()

#!/usr/bin/env python3
"""End-to-end latency of QuantC's CPU code against onnxruntime.

For the Llama-style decoder and the BERT-style encoder of the test
generators, float and quantized with --qc-ptq-pipeline (W8A8, W4A8: integer
weights per output channel, per-token dynamic int8 activations), measures
in the same run and with the same thread count (1):
  - QuantC: quant-run --target=cpu --repeat N (JIT-compiled
    --qc-lower-to-cpu code; compile time excluded, one warm-up run; the
    quantized models with --cpu-integer-linear, i.e. their integer layers
    as qc.linear on the int8 kernels),
  - onnxruntime on the float model, on the quantized model exported with
    quant-translate --export-onnx (Q/DQ), and on onnxruntime's own dynamic
    int8 model (onnxruntime.quantization.quantize_dynamic: per-tensor
    DynamicQuantizeLinear + MatMulInteger, its integer kernels),
  - QuantC on that onnxruntime dynamic int8 model, imported (the same model
    on both sides; its MatMulInteger by constant int8 weights on QuantC's
    int8 kernels),
and prints each latency and the ratios QuantC / onnxruntime (the issue asks
<= 1.0 for the quantized models). docs/Performance.md records the results.

With --vector-math every QuantC model is compiled with
--cpu-vector-math (polynomial exp / tanh / erf that vectorize; last bits
differ from libm); with --float-kernel K, --cpu-float-kernel=K (e.g.
avx512-fma: one FMA per term in the f32 matmuls by constant weights).

Usage: bench/cpu_e2e.py [--repeat 200] [--hidden 64] [--layers 2] [--vector-math]
                        [--float-kernel auto|avx512|avx512-fma|generic]
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402

BIN = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build")) / "bin"


def quantc_latency(module, inputs, tmp, repeat, extra=()):
    cmd = [str(BIN / "quant-run"), str(module), "--target=cpu", "--repeat", str(repeat),
           *extra]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(re.search(r"latency: ([0-9.e-]+) s", r.stdout).group(1))


def ort_latency(path, inputs, repeat):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    for _ in range(5):
        s.run(None, inputs)
    t = time.perf_counter()
    for _ in range(repeat):
        s.run(None, inputs)
    return (time.perf_counter() - t) / repeat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vector-math", action="store_true",
                    help="compile with --cpu-vector-math")
    ap.add_argument("--float-kernel", default="auto",
                    help="--cpu-float-kernel of every QuantC run")
    args = ap.parse_args()
    extra = ["--cpu-vector-math"] if args.vector_math else []
    extra.append(f"--cpu-float-kernel={args.float_kernel}")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qc-cpu-e2e-"))
    heads = max(4, args.hidden // 64)
    cases = {
        "llama": models.llama(hidden=args.hidden, heads=heads, kv_heads=max(2, heads // 4),
                              layers=args.layers, intermediate=172 * 8 * max(1, args.hidden // 256)),
        "bert": models.bert(hidden=args.hidden, heads=heads, layers=args.layers,
                            ffn=4 * args.hidden),
    }
    print(f"hidden {args.hidden}, {args.layers} layers, 1 thread, {args.repeat} runs each"
          + (", --cpu-vector-math" if args.vector_math else "")
          + f", --cpu-float-kernel={args.float_kernel}")
    print("| model | QuantC CPU | onnxruntime, same model (QDQ export) | ratio | "
          "onnxruntime float | ratio | onnxruntime quantize_dynamic int8 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model in cases.items():
        onnx.save(model, str(tmp / f"{name}.onnx"))
        inputs = models.sample_inputs(model, seed=1)
        calib = tmp / f"calib-{name}"
        for i in range(2):
            (calib / str(i)).mkdir(parents=True)
            for n, v in models.sample_inputs(model, seed=10 + i).items():
                np.save(calib / str(i) / f"{n}.npy", v)
        ort_float = ort_latency(tmp / f"{name}.onnx", inputs, args.repeat)
        quantize_dynamic(str(tmp / f"{name}.onnx"), str(tmp / f"{name}-ortdyn.onnx"),
                         weight_type=QuantType.QInt8)
        ort_dyn = ort_latency(tmp / f"{name}-ortdyn.onnx", inputs, args.repeat)
        qc_float = quantc_latency(tmp / f"{name}.onnx", inputs, tmp, args.repeat, extra)
        print(f"| {name} float | {qc_float * 1e3:.3f} ms | {ort_float * 1e3:.3f} ms | "
              f"{qc_float / ort_float:.2f} | {ort_float * 1e3:.3f} ms | "
              f"{qc_float / ort_float:.2f} | — | — |", flush=True)
        # onnxruntime's own dynamic int8 model, imported (DynamicQuantizeLinear
        # + MatMulInteger on the int8 kernels): the same model on both sides.
        qc_dyn = quantc_latency(tmp / f"{name}-ortdyn.onnx", inputs, tmp, args.repeat, extra)
        print(f"| {name} onnxruntime int8 (imported) | {qc_dyn * 1e3:.3f} ms | "
              f"{ort_dyn * 1e3:.3f} ms | {qc_dyn / ort_dyn:.2f} | {ort_float * 1e3:.3f} ms | "
              f"{qc_dyn / ort_float:.2f} | {ort_dyn * 1e3:.3f} ms | {qc_dyn / ort_dyn:.2f} |",
              flush=True)
        for label, opts in [("W8A8", "w=int8 a=int8"), ("W4A8", "w=int4 a=int8")]:
            mlir = tmp / f"{name}-{label}.mlir"
            qdq = tmp / f"{name}-{label}.onnx"
            subprocess.run([str(BIN / "quant-opt"), str(tmp / f"{name}.onnx"),
                            f"--qc-ptq-pipeline={opts} calib={calib}", "-o", str(mlir)],
                           check=True, capture_output=True)
            subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(mlir),
                            "-o", str(qdq)], check=True, capture_output=True)
            # The same codes and scales as integer arithmetic: W8A8 / W4A8 on
            # the int8 kernels (--qc-integer-linear).
            t_qc = quantc_latency(mlir, inputs, tmp, args.repeat,
                                  ["--cpu-integer-linear", *extra])
            t_qdq = ort_latency(qdq, inputs, args.repeat)
            print(f"| {name} {label} | {t_qc * 1e3:.3f} ms | {t_qdq * 1e3:.3f} ms | "
                  f"{t_qc / t_qdq:.2f} | {ort_float * 1e3:.3f} ms | "
                  f"{t_qc / ort_float:.2f} | {ort_dyn * 1e3:.3f} ms | "
                  f"{t_qc / ort_dyn:.2f} |", flush=True)


if __name__ == "__main__":
    main()

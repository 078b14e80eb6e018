#!/usr/bin/env python3
"""Prompt and decoding latency of onnxruntime-genai-style int4 decoders:
QuantC's CPU code against onnxruntime on the same model.

The model is quantc.models.genai_llama (the layout onnxruntime-genai's
model builder writes for int4 on the CPU: MatMulNBits, GroupQueryAttention
with rotary and a KV cache, Skip/SimplifiedLayerNormalization) with random
weights. For a prompt of --prompt tokens (empty cache) and for one decoding
step after --past cached tokens, measures in the same run, one thread:
  - QuantC: quant-run --target=cpu --repeat N (JIT-compiled, compile time
    excluded; the symbolic dimensions taken from the inputs),
  - onnxruntime 1.x, CPU execution provider, intra_op_num_threads=1,
each on the model as written (MatMulNBits without accuracy_level: float
activations) and with accuracy_level 4 (activations quantized to int8 per
block of K, the model builder's CPU default; QuantC computes it as
onnxruntime does, on its int8 kernel), and prints each latency and the
ratios QuantC / onnxruntime per level.
docs/Performance.md records the results.

Usage: bench/genai_decoder.py [--hidden 512] [--layers 4] [--prompt 64]
                              [--past 127] [--repeat 30]
                              [--weight-only-kernel auto|auto-fma|...]
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_util import ROOT, ort_ms, quantc_ms  # noqa: E402

sys.path.insert(0, str(ROOT / "python"))
from quantc import models  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--past", type=int, default=127)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--weight-only-kernel", default="auto",
                    help="quant-run's --cpu-weight-only-kernel (auto-fma: the prompt "
                         "path with FMAs)")
    a = ap.parse_args()
    heads = a.hidden // 64
    model = models.genai_llama(hidden=a.hidden, heads=heads, kv_heads=max(1, heads // 4),
                               layers=a.layers, intermediate=a.hidden * 8 // 3 // 32 * 32,
                               vocab=2048, max_length=a.past + a.prompt + 8)
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        path = tmp / "m.onnx"
        onnx.save(model, str(path))
        level4 = onnx.load(str(path))
        for n in level4.graph.node:
            if n.op_type == "MatMulNBits":
                n.attribute.append(onnx.helper.make_attribute("accuracy_level", 4))
        path4 = tmp / "m4.onnx"
        onnx.save(level4, str(path4))
        rng = np.random.default_rng(0)
        print(f"hidden {a.hidden}, {a.layers} layers, {heads} heads, "
              f"{max(1, heads // 4)} KV heads; one thread")
        print("| step | QuantC | onnxruntime | ratio | QuantC level 4 | onnxruntime level 4 "
              "| ratio |")
        print("|---|---|---|---|---|---|---|")
        for name, seq, past in (("prompt", a.prompt, 0), ("decode", 1, a.past)):
            feeds = models.genai_inputs(model, 1, seq, past, rng)
            kernel = [f"--cpu-weight-only-kernel={a.weight_only_kernel}"]
            q = quantc_ms(path, feeds, tmp, a.repeat, kernel)
            q4 = quantc_ms(path4, feeds, tmp, a.repeat, kernel)
            o = ort_ms(path, feeds, a.repeat)
            o4 = ort_ms(path4, feeds, a.repeat)
            label = f"{name} ({seq} tokens, {past} cached)"
            print(f"| {label} | {q:.3f} ms | {o:.3f} ms | {q / o:.2f} | {q4:.3f} ms | "
                  f"{o4:.3f} ms | {q4 / o4:.2f} |")


if __name__ == "__main__":
    main()

"""--qc-fold-norm-gains keeps the model's function (float) on real-shaped
models and folds exactly the norms that feed only linear layers."""

import re
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from qc_testing import BIN, quant_run, rel_l2
from quantc import models



def norms_with_ones(text):
    """Norms whose gain operand is a splat-ones constant."""
    ones = set(re.findall(r"(%\S+) = arith.constant dense<1.000000e\+00>", text))
    gains = re.findall(r"nn\.(?:rms|layer)_norm %\S+, (%[^\s,:]+)", text)
    return sum(g in ones for g in gains), len(gains)


@pytest.mark.parametrize("make,folded,total", [
    (models.llama, 5, 5),                         # pre-norm: every norm folds
    (lambda: models.llama(outliers=True), 5, 5),
    (models.bert, 0, 5),                          # post-norm: norms feed residuals
], ids=["llama", "llama-outliers", "bert"])
def test_fold_keeps_function(make, folded, total, tmp_path):
    model = make()
    onnx.save(model, str(tmp_path / "model.onnx"))
    mlir = tmp_path / "folded.mlir"
    subprocess.run([str(BIN / "quant-opt"), str(tmp_path / "model.onnx"),
                    "--qc-raise-decomposed-ops", "--qc-fold-norm-gains", "-o", str(mlir)],
                   check=True, capture_output=True, text=True)
    assert norms_with_ones(mlir.read_text()) == (folded, total)
    inputs = models.sample_inputs(model)
    got = quant_run(mlir, inputs, tmp_path, model.graph.output[0].name)
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert rel_l2(got, want) <= 1e-5

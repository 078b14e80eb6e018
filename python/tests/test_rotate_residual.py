"""--qc-rotate-residual on real-shaped models: float equivalence, outlier
spreading, and regions it must leave alone."""

import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from qc_testing import BIN, quant_run, rel_l2
from quantc import models

PREP = ["--qc-raise-decomposed-ops", "--qc-fold-norm-gains"]


def compile_and_run(model, passes, tmp):
    onnx.save(model, str(tmp / "model.onnx"))
    mlir = tmp / "out.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(tmp / "model.onnx"), *passes, "-o", str(mlir)],
                       check=True, capture_output=True, text=True)
    inputs = models.sample_inputs(model)
    got = quant_run(mlir, inputs, tmp, model.graph.output[0].name)
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    return mlir, got, want, r.stderr


@pytest.mark.parametrize("outliers", [False, True], ids=["plain", "outliers"])
@pytest.mark.parametrize("rotation", ["rotation=hadamard seed=7", "rotation=orthogonal seed=3"],
                         ids=["hadamard", "orthogonal"])
def test_decoder_float_equivalence(outliers, rotation, tmp_path):
    model = models.llama(outliers=outliers)
    mlir, got, want, stderr = compile_and_run(
        model, PREP + [f"--qc-rotate-residual={rotation}"], tmp_path)
    assert "not rotated" not in stderr
    assert rel_l2(got, want) <= 1e-5


def test_rotation_spreads_outlier_channels(tmp_path):
    """The outlier decoder scales three stream channels 60-100x; after the
    rotation no channel of the embedding table stands out."""
    model = models.llama(outliers=True)
    mlir, got, want, _ = compile_and_run(
        model, PREP + ["--qc-rotate-residual=seed=7"], tmp_path)
    out = tmp_path / "rot.onnx"
    subprocess.run([str(BIN / "quant-translate"), "--export-onnx", str(mlir), "-o", str(out)],
                   check=True, capture_output=True, text=True)

    def table_of(m):
        inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        gather = next(n for n in m.graph.node if n.op_type == "Gather"
                      and inits.get(n.input[0], np.empty(0)).shape == (128, 64))
        table = inits[gather.input[0]]
        # The float model applies the outlier scale right after the Gather.
        for n in m.graph.node:
            if n.op_type == "Mul" and gather.output[0] in n.input:
                other = [i for i in n.input if i != gather.output[0]]
                if other and other[0] in inits:
                    table = table * inits[other[0]]
        return table

    def channel_ratio(t):
        amax = np.abs(t).max(axis=0)
        return float(amax.max() / np.median(amax))

    assert channel_ratio(table_of(model)) > 30
    assert channel_ratio(table_of(onnx.load(str(out)))) < 3
    assert rel_l2(got, want) <= 1e-5


def test_post_norm_encoder_left_alone(tmp_path):
    """Post-norm BERT's stream goes through LayerNorm: not rotation
    invariant, so nothing changes and a remark names the blocking op."""
    model = models.bert()
    mlir, got, want, stderr = compile_and_run(model, PREP + ["--qc-rotate-residual"], tmp_path)
    assert "not rotated: a LayerNorm reads the stream" in stderr
    assert rel_l2(got, want) <= 1e-5

"""--qc-fold-batch-norm and the pipeline's fold-bn: BatchNormalization
folded into the preceding convolutions keeps the float model (within f32
rounding) and leaves no normalization in the quantized model."""

import subprocess

import numpy as np
import onnx
import pytest

from qc_testing import BIN, quant_run
from quantc import models


@pytest.mark.parametrize("name", ["resnet", "resnet18"])
def test_folded_model_is_float_equivalent(name, tmp_path):
    m = models.resnet(size=16) if name == "resnet" else models.resnet18(size=32)
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    folded = tmp_path / "f.mlir"
    r = subprocess.run([str(BIN / "quant-opt"), str(path), "--qc-fold-batch-norm",
                        "-o", str(folded)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = folded.read_text()
    assert "nn.batch_norm" not in text and "nn.conv" in text
    x = np.random.default_rng(3).standard_normal(
        [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]).astype(np.float32)
    name_in, out = m.graph.input[0].name, m.graph.output[0].name
    want = quant_run(path, {name_in: x}, tmp_path, out)
    got = quant_run(folded, {name_in: x}, tmp_path, out)
    # f32 rounding only (measured: ResNet-18 at 32 x 32, 1.1e-6).
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


def test_pipeline_folds_unless_told_not_to(tmp_path):
    m = models.resnet(size=16)
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    calib = tmp_path / "calib" / "0"
    calib.mkdir(parents=True)
    for k, v in models.sample_inputs(m, seed=1).items():
        np.save(calib / f"{k}.npy", v)
    texts = {}
    for fold in ("", " fold-bn=false"):
        out = tmp_path / "q.mlir"
        r = subprocess.run([str(BIN / "quant-opt"), str(path),
                            f"--qc-ptq-pipeline=w=int8 a=int8{fold} calib={calib.parent}",
                            "-o", str(out)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        texts[fold] = out.read_text()
    assert "nn.batch_norm" not in texts[""]
    assert texts[" fold-bn=false"].count("nn.batch_norm") == 6

"""Real-shaped models: import -> interpret (quant-run) matches onnxruntime.

ResNet-style CNN, 1-D CNN, BERT-style encoder and Llama-style decoder (RoPE, GQA,
causal mask, SwiGLU with intermediate size 172 * 8), with random weights
from quantc.models. Relative L2 error must be <= 1e-5.
"""

import os
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from quantc import models

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QUANTC_BUILD_DIR", ROOT / "build"))
QUANT_RUN = BUILD / "bin" / "quant-run"


def run_quantc(model, inputs, tmp):
    path = tmp / "model.onnx"
    onnx.save(model, str(path))
    cmd = [str(QUANT_RUN), str(path), "--output-dir", str(tmp / "out")]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [np.load(tmp / "out" / f"{o.name}.npy") for o in model.graph.output]


def rel_l2(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b) / np.linalg.norm(b))


@pytest.mark.parametrize("make", [models.resnet, models.cnn1d, models.bert, models.llama,
                                  lambda: models.llama(outliers=True)],
                         ids=["resnet", "cnn1d", "bert", "llama", "llama-outliers"])
def test_matches_onnxruntime(make, tmp_path):
    model = make()
    onnx.checker.check_model(model)
    inputs = models.sample_inputs(model)
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)
    got = run_quantc(model, inputs, tmp_path)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        err = rel_l2(g, w)
        assert err <= 1e-5, f"relative L2 error {err:.3g}"


def test_llama_structure():
    """The decoder keeps its linear layers and attention as nn ops."""
    m = models.llama()
    assert sum(n.op_type == "MatMul" for n in m.graph.node) == 2 * (4 + 3) + 2 * 2 + 1
    dims = {tuple(i.dims) for i in m.graph.initializer}
    assert (64, 172 * 8) in dims and (172 * 8, 64) in dims


QUANT_OPT = BUILD / "bin" / "quant-opt"


@pytest.mark.parametrize("make,op,count", [(models.llama, "nn.rms_norm", 5),
                                           (models.bert, "nn.gelu", 2)],
                         ids=["llama-rmsnorm", "bert-gelu"])
def test_raise_decomposed_ops(make, op, count, tmp_path):
    """--qc-raise-decomposed-ops raises every decomposed norm / GELU, and the
    raised module still matches onnxruntime."""
    model = make()
    onnx.save(model, str(tmp_path / "model.onnx"))
    mlir = tmp_path / "raised.mlir"
    subprocess.run([str(QUANT_OPT), str(tmp_path / "model.onnx"), "--qc-raise-decomposed-ops",
                    "--canonicalize", "-o", str(mlir)], check=True, capture_output=True)
    text = mlir.read_text()
    assert text.count(op + " ") == count
    assert "nn.erf" not in text and "nn.sqrt" not in text
    inputs = models.sample_inputs(model)
    cmd = [str(QUANT_RUN), str(mlir), "--output-dir", str(tmp_path / "out")]
    for name, value in inputs.items():
        np.save(tmp_path / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp_path / (name + '.npy')}"]
    subprocess.run(cmd, check=True, capture_output=True)
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    got = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    assert rel_l2(got, want) <= 1e-5


def test_external_data_import_run_export(tmp_path):
    """Weights in ONNX external data are memory-mapped at import; the model
    runs, matches onnxruntime and exports."""
    model = models.llama()
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=1024)
    assert (tmp_path / "weights.bin").stat().st_size > 1_000_000
    mlir = subprocess.run([str(BUILD / "bin" / "quant-translate"), "--import-onnx", str(path)],
                          check=True, capture_output=True, text=True).stdout
    assert "dense_resource<" in mlir
    inputs = models.sample_inputs(model)
    got = run_quantc_path(path, model, inputs, tmp_path)
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert rel_l2(got, want) <= 1e-5
    out = tmp_path / "out.onnx"
    subprocess.run([str(BUILD / "bin" / "quant-translate"), "--import-onnx", str(path),
                    "-o", str(tmp_path / "m.mlir")], check=True)
    subprocess.run([str(BUILD / "bin" / "quant-translate"), "--export-onnx",
                    str(tmp_path / "m.mlir"), "-o", str(out)], check=True)
    again = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert rel_l2(again, want) <= 1e-5


def test_external_data_errors(tmp_path):
    model = models.llama(layers=1)
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=1024)
    (tmp_path / "weights.bin").write_bytes(b"\0" * 100)  # truncated weights
    res = subprocess.run([str(BUILD / "bin" / "quant-translate"), "--import-onnx", str(path),
                          "-o", str(tmp_path / "m.mlir")], capture_output=True, text=True)
    assert res.returncode == 1
    assert "external data of initializer" in res.stderr
    assert not (tmp_path / "m.mlir").exists()


def run_quantc_path(path, model, inputs, tmp):
    cmd = [str(QUANT_RUN), str(path), "--output-dir", str(tmp / "out")]
    for name, value in inputs.items():
        np.save(tmp / f"{name}.npy", value)
        cmd += ["--input", f"{name}={tmp / (name + '.npy')}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return np.load(tmp / "out" / f"{model.graph.output[0].name}.npy")


def test_export_external_data(tmp_path):
    """--onnx-external-data streams the weights to a side file that
    onnxruntime loads."""
    model = models.llama()
    src = tmp_path / "model.onnx"
    onnx.save(model, str(src))
    mlir = tmp_path / "m.mlir"
    subprocess.run([str(BUILD / "bin" / "quant-translate"), "--import-onnx", str(src), "-o", str(mlir)],
                   check=True)
    out = tmp_path / "exported.onnx"
    subprocess.run([str(BUILD / "bin" / "quant-translate"), "--export-onnx", str(mlir), "-o", str(out),
                    "--onnx-external-data", str(tmp_path / "exported.bin")], check=True)
    assert out.stat().st_size < 100_000 < (tmp_path / "exported.bin").stat().st_size
    inputs = models.sample_inputs(model)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    assert rel_l2(got, want) <= 1e-5


def outputs_on_both_targets(model, x, tmp_path):
    """Output y of `model` on input x in quant-run on both targets: {target:
    array}."""
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    np.save(tmp_path / "x.npy", x)
    out = {}
    for target in ["interp", "cpu"]:
        cmd = [str(QUANT_RUN), str(path), f"--target={target}", "--output-dir",
               str(tmp_path / target), "--input", f"x={tmp_path / 'x.npy'}"]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        out[target] = np.load(tmp_path / target / "y.npy")
    return out


def check_node_against_onnxruntime(node, x, inits, tmp_path):
    """The one-node model of `node` (input x, output y, initializers
    `inits`) within 1e-6 relative L2 of onnxruntime on both targets."""
    import onnxruntime as ort

    g = onnx.helper.make_graph([node], "g", [onnx.helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, x.shape)],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    want = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    for target, got in outputs_on_both_targets(model, x, tmp_path).items():
        assert got.shape == want.shape, target
        assert rel_l2(got, want) <= 1e-6, target


@pytest.mark.parametrize("attrs,bias", [
    (dict(pads=[1, 1, 1, 1, 1, 1]), True),
    (dict(strides=[2, 1, 2], dilations=[2, 1, 1], pads=[2, 0, 1, 1, 1, 0], group=2), False),
    (dict(auto_pad="SAME_UPPER", strides=[2, 2, 2]), True),
], ids=["padded-bias", "strided-dilated-grouped", "same-upper"])
def test_three_dimensional_conv(attrs, bias, tmp_path):
    """3-D Conv (video and volumetric CNNs), imported as one 2-D convolution
    per kernel depth tap over the strided depth slices, summed: against
    onnxruntime within 1e-6 relative L2 on both targets."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 7, 8, 6)).astype(np.float32)
    group = attrs.get("group", 1)
    inits = [onnx.numpy_helper.from_array(
        rng.standard_normal((6, 4 // group, 3, 3, 2)).astype(np.float32), "w")]
    inputs = ["x", "w"]
    if bias:
        inits.append(onnx.numpy_helper.from_array(rng.standard_normal(6).astype(np.float32),
                                                  "b"))
        inputs.append("b")
    node = onnx.helper.make_node("Conv", inputs, ["y"], name="c", **attrs)
    check_node_against_onnxruntime(node, x, inits, tmp_path)


@pytest.mark.parametrize("attrs", [
    dict(strides=[2, 2, 2]),
    dict(strides=[2, 1, 2], pads=[1, 0, 1, 0, 1, 1], output_padding=[1, 0, 1], group=2),
    dict(dilations=[2, 1, 1], strides=[1, 2, 1], auto_pad="SAME_UPPER"),
], ids=["stride2", "pads-outpad-grouped", "dilated-same"])
def test_three_dimensional_conv_transpose(attrs, tmp_path):
    """3-D ConvTranspose (the decoders of 3-D U-Nets): zeros between the
    input's elements, padding, then the direct 3-D convolution with the
    regrouped, flipped kernel: against onnxruntime within 1e-6 relative L2
    on both targets."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 4, 3, 5, 4)).astype(np.float32)
    group = attrs.get("group", 1)
    inits = [onnx.numpy_helper.from_array(
                 rng.standard_normal((4, 6 // group, 2, 3, 3)).astype(np.float32), "w"),
             onnx.numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "b")]
    node = onnx.helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="ct", **attrs)
    check_node_against_onnxruntime(node, x, inits, tmp_path)


@pytest.mark.parametrize("shape,attrs", [
    ((2, 3, 8, 6), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ((1, 2, 7, 9), dict(kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1],
                        storage_order=1)),
    ((2, 3, 11), dict(kernel_shape=[3], strides=[2], pads=[1, 1])),
], ids=["segnet-2x2", "padded-column-major", "1d"])
def test_maxpool_indices_and_unpool(shape, attrs, tmp_path):
    """MaxPool's Indices output (the first tap holding the maximum, as a
    flat index over the whole input; storage_order 1 column-major) feeding
    MaxUnpool (a SegNet decoder step): ONNX's reference evaluator bit for
    bit on both targets, values, indices and the unpooled tensor."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(len(shape) + len(attrs))
    x = rng.standard_normal(shape).astype(np.float32)
    unpool = {k: v for k, v in attrs.items() if k != "storage_order"}
    nodes = [onnx.helper.make_node("MaxPool", ["x"], ["y", "i"], name="mp", **attrs),
             onnx.helper.make_node("MaxUnpool", ["y", "i"], ["u"], name="up", **unpool)]
    vi = onnx.helper.make_tensor_value_info
    g = onnx.helper.make_graph(nodes, "g", [vi("x", onnx.TensorProto.FLOAT, shape)],
                               [vi("y", onnx.TensorProto.FLOAT, None),
                                vi("i", onnx.TensorProto.INT64, None),
                                vi("u", onnx.TensorProto.FLOAT, None)])
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 13)])
    model.ir_version = 8
    want = ReferenceEvaluator(model).run(None, {"x": x})
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    np.save(tmp_path / "x.npy", x)
    for target in ["interp", "cpu"]:
        subprocess.run([str(QUANT_RUN), str(path), f"--target={target}", "--output-dir",
                        str(tmp_path / target), "--input", f"x={tmp_path / 'x.npy'}"],
                       check=True, capture_output=True, text=True)
        for name, w in zip(["y", "i", "u"], want):
            np.testing.assert_array_equal(np.load(tmp_path / target / f"{name}.npy"), w,
                                          err_msg=f"{target} {name}")


@pytest.mark.parametrize("op,attrs", [
    ("MaxPool", dict(kernel_shape=[2, 3, 2], strides=[1, 2, 2], pads=[1, 0, 1, 0, 1, 1],
                     dilations=[2, 1, 1], ceil_mode=1)),
    ("AveragePool", dict(kernel_shape=[3, 2, 3], strides=[2, 1, 2], pads=[1, 1, 0, 1, 0, 1])),
    ("AveragePool", dict(kernel_shape=[2, 3, 3], strides=[2, 2, 1], pads=[0, 1, 1, 1, 1, 0],
                         count_include_pad=1, ceil_mode=1)),
    ("AveragePool", dict(kernel_shape=[3, 3, 3], auto_pad="SAME_UPPER")),
    ("LpPool", dict(kernel_shape=[2, 2, 3], p=2, pads=[1, 0, 1, 0, 1, 1])),
], ids=["max-dilated-ceil", "avg", "avg-ceil-count-pad", "avg-same", "lp"])
def test_three_dimensional_pooling(op, attrs, tmp_path):
    """3-D MaxPool / AveragePool / LpPool (video and volumetric CNNs),
    imported as a 2-D pool over each depth slice followed by one over the
    depth (a box window is separable): against ONNX's reference evaluator
    within 1e-6 relative L2 on both targets (max exactly: the same maximum)."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(9)
    shape = [2, 3, 7, 8, 9]
    node = onnx.helper.make_node(op, ["x"], ["y"], name="n", **attrs)
    g = onnx.helper.make_graph([node], "g", [onnx.helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, shape)],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 19)])
    x = rng.standard_normal(shape).astype(np.float32)
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    for target, got in outputs_on_both_targets(model, x, tmp_path).items():
        assert got.shape == want.shape, target
        if op == "MaxPool":
            np.testing.assert_array_equal(got, want, err_msg=target)
        else:
            assert rel_l2(got, want) <= 1e-6, target


@pytest.mark.parametrize("op,attrs", [
    ("AveragePool", dict(kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1,
                         count_include_pad=1)),
    ("AveragePool", dict(kernel_shape=[4], strides=[3], pads=[0, 2], ceil_mode=1)),
    ("MaxPool", dict(kernel_shape=[3], strides=[2], dilations=[2], pads=[2, 1], ceil_mode=1)),
    ("Conv", dict(kernel_shape=[3], strides=[2], dilations=[3], pads=[4, 1], group=2)),
], ids=["avg-ceil-count-pad", "avg-ceil", "max-dilated-ceil", "conv-grouped"])
def test_one_dimensional_windows(op, attrs, tmp_path):
    """1-D convolution and pooling (imported as 2-D over a height of 1)
    against ONNX's reference evaluator, on both targets. onnxruntime 1.23
    divides the last ceil-mode window of AveragePool with count_include_pad
    by the whole kernel, also counting positions beyond the padding (ONNX's
    reference and PyTorch count those inside the padded input only), so it
    is not the oracle here."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(5)
    inits = []
    inputs = ["x"]
    if op == "Conv":
        inits.append(onnx.numpy_helper.from_array(
            rng.standard_normal((6, 2, 3)).astype(np.float32), "w"))
        inputs.append("w")
    node = onnx.helper.make_node(op, inputs, ["y"], name="n", **attrs)
    g = onnx.helper.make_graph([node], "g", [onnx.helper.make_tensor_value_info(
        "x", onnx.TensorProto.FLOAT, [2, 4, 17])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], inits)
    model = onnx.helper.make_model(g, opset_imports=[onnx.helper.make_opsetid("", 19)])
    x = {"x": rng.standard_normal((2, 4, 17)).astype(np.float32)}
    want = ReferenceEvaluator(model).run(None, x)[0]
    for target, got in outputs_on_both_targets(model, x["x"], tmp_path).items():
        assert got.shape == want.shape, target
        assert rel_l2(got, want) <= 1e-6, target

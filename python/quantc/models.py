"""Generators of real-shaped ONNX test models with random weights.

Built with the onnx helper API the way exporters emit these architectures
(decomposed RMSNorm and GELU, RoPE with rotate-half, grouped-query attention
with a causal mask, SwiGLU), so tests need neither torch nor downloads:

- `resnet()`: ResNet-style CNN (Conv/BatchNorm/ReLU, residual blocks, a
  strided projection, MaxPool, GlobalAveragePool, Gemm head).
- `resnet18()`, `mobilenet_v2()`: ResNet-18's and MobileNetV2's
  topologies at 224 x 224 (benchmarks).
- `mlp()`: fully connected classifier (hls4ml's jet tagger: Gemm + ReLU,
  Softmax).
- `cnn1d()`: 1-D CNN over a feature sequence (keyword spotting / sensors:
  strided, dilated and depthwise Conv1d, MaxPool1d, AveragePool1d).
- `bert()`: BERT-style encoder (token + position embeddings, LayerNorm,
  multi-head attention, GELU (Erf form) FFN).
- `gpt()`: pre-LayerNorm decoder (GPT-2 / OPT style: learned positions,
  biased projections, GELU MLP, final LayerNorm).
- `vit()`: vision transformer (Hugging Face's ViT as torch exports it: a
  patch-embedding Conv, class token, learned positions, pre-LayerNorm
  blocks, a classifier on the class token).
- `llama()`: Llama-style decoder (RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul,
  RoPE, grouped-query attention with a causal mask, SwiGLU MLP whose
  intermediate size is 172 * 8, untied LM head).
- `genai_llama()`: the same decoder as onnxruntime-genai's model builder
  writes it for int4 on the CPU (MatMulNBits, GroupQueryAttention with a KV
  cache and rotary, Skip/SimplifiedLayerNormalization), with
  `genai_inputs()` for a prompt or a decoding step.

`outliers=True` scales a few residual-stream channels 50-100x, as in real
LLMs (for the quantization tests). `half(model)` converts any of them to
float16 (or bfloat16), as fp16 exports come. `llama(external=(file, name))` streams its
weights into an open external-data file (for models beyond protobuf's 2 GiB
limit). Every function returns an onnx.ModelProto
(opset 17, IR version 10 so that onnxruntime loads it).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Graph:
    def __init__(self, seed, external=None):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0
        # (open binary file, its name relative to the model): weights are
        # streamed there as ONNX external data instead of held in memory.
        self.external = external

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, array, base="c"):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def weight(self, shape, scale=None, base="w"):
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
        scale = scale if scale is not None else 1.0 / np.sqrt(fan_in)
        values = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        if self.external is None or values.size < 1024:
            return self.const(values, base)
        f, location = self.external
        n = self.name(base)
        offset = f.tell()
        f.write(values.astype("<f4").tobytes())
        t = TensorProto(name=n, data_type=TensorProto.FLOAT, dims=list(shape),
                        data_location=TensorProto.EXTERNAL)
        for k, v in (("location", location), ("offset", str(offset)),
                     ("length", str(values.size * 4))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return n

    def op(self, op_type, inputs, base=None, outputs=1, **attrs):
        base = base or op_type.lower()
        outs = [self.name(base) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), **attrs))
        return outs[0] if outputs == 1 else outs

    def model(self, inputs, outputs):
        g = helper.make_graph(self.nodes, "model", inputs, outputs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="quantc.models")
        m.ir_version = 10
        return m


def _i64(values):
    return np.array(values, dtype=np.int64)


def _batch_norm(g, x, channels):
    """Inference BatchNormalization with random scale, bias, mean and
    variance (drawn in that order)."""
    return g.op("BatchNormalization", [
        x, g.const((1 + 0.1 * g.rng.standard_normal(channels)).astype(np.float32)),
        g.const((0.1 * g.rng.standard_normal(channels)).astype(np.float32)),
        g.const((0.1 * g.rng.standard_normal(channels)).astype(np.float32)),
        g.const(g.rng.uniform(0.5, 1.5, channels).astype(np.float32))], epsilon=1e-5)


def resnet(batch=1, size=32, classes=10, seed=0):
    g = _Graph(seed)

    def conv_bn(x, cin, cout, k, stride, relu=True):
        y = g.op("Conv", [x, g.weight((cout, cin, k, k)), g.weight((cout,), 0.1)],
                 kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
        y = _batch_norm(g, y, cout)
        return g.op("Relu", [y]) if relu else y

    x = conv_bn("input", 3, 16, 3, 1)
    x = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    # Identity residual block.
    y = conv_bn(conv_bn(x, 16, 16, 3, 1), 16, 16, 3, 1, relu=False)
    x = g.op("Relu", [g.op("Add", [x, y])])
    # Strided block with a 1x1 projection.
    y = conv_bn(conv_bn(x, 16, 32, 3, 2), 32, 32, 3, 1, relu=False)
    skip = conv_bn(x, 16, 32, 1, 2, relu=False)
    x = g.op("Relu", [g.op("Add", [skip, y])])
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    logits = g.op("Gemm", [x, g.weight((classes, 32)), g.weight((classes,), 0.1)], transB=1)
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, classes])])


def _classifier_head(g, x, features, classes, scale, batch, size):
    """Global average pooling, Flatten and a fully connected Gemm to
    `logits`; the model of an image input [batch, 3, size, size]."""
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    g.op("Gemm", [x, g.weight((classes, features), scale), g.weight((classes,), 0.01)],
         transB=1)
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                  [batch, 3, size, size])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                                  [batch, classes])])


def resnet18(batch=1, size=224, classes=1000, seed=0):
    """ResNet-18's topology (torchvision's: a 7x7 stride-2 stem, 3x3 max
    pooling, four stages of two basic blocks at 64 / 128 / 256 / 512
    channels with strided 1x1 projections, global average pooling and a
    fully connected head), with random weights and BatchNormalization
    after every convolution, as exported in eval mode."""
    g = _Graph(seed)

    def conv_bn(x, cin, cout, k, stride, relu=True):
        y = g.op("Conv", [x, g.weight((cout, cin, k, k), (2.0 / (cin * k * k)) ** 0.5)],
                 kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
        y = _batch_norm(g, y, cout)
        return g.op("Relu", [y]) if relu else y

    x = conv_bn("input", 3, 64, 7, 2)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1),
                         (512, 2), (512, 1)]:
        y = conv_bn(conv_bn(x, cin, cout, 3, stride), cout, cout, 3, 1, relu=False)
        skip = x if (cin, stride) == (cout, 1) else conv_bn(x, cin, cout, 1, stride, relu=False)
        x = g.op("Relu", [g.op("Add", [skip, y])])
        cin = cout
    return _classifier_head(g, x, 512, classes, 0.05, batch, size)


def mobilenet_v2(batch=1, size=224, classes=1000, seed=0):
    """MobileNetV2's topology (width 1.0: a 3x3 stride-2 stem of 32
    channels, 17 inverted residual blocks (1x1 expansion by t, 3x3
    depthwise, linear 1x1 projection; residual where the shape allows) as
    in the paper's table, a 1x1 convolution to 1280, global average
    pooling and a fully connected head), random weights,
    BatchNormalization after every convolution, ReLU6 as Clip(0, 6)."""
    g = _Graph(seed)
    six = [g.const(np.array(0, np.float32)), g.const(np.array(6, np.float32))]

    def conv_bn(x, cin, cout, k, stride, group=1, relu=True):
        y = g.op("Conv", [x, g.weight((cout, cin // group, k, k),
                                      (2.0 / (cin // group * k * k)) ** 0.5)],
                 kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=group)
        y = _batch_norm(g, y, cout)
        return g.op("Clip", [y, *six]) if relu else y

    x = conv_bn("input", 3, 32, 3, 2)
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = conv_bn(x, cin, hidden, 1, 1) if t != 1 else x
            y = conv_bn(y, hidden, hidden, 3, stride, group=hidden)
            y = conv_bn(y, hidden, c, 1, 1, relu=False)
            x = g.op("Add", [x, y]) if (stride, cin) == (1, c) else y
            cin = c
    x = conv_bn(x, cin, 1280, 1, 1)
    return _classifier_head(g, x, 1280, classes, 0.03, batch, size)


def mlp(batch=1, dims=(16, 64, 32, 32, 5), seed=6, softmax=True):
    """Fully connected classifier, hls4ml's jet-tagging benchmark by default
    (16 features, 64-32-32 hidden units with ReLU, 5 classes): Gemm layers
    (transB = 1, torch's Linear as exported), ReLU between them and a
    Softmax (optional) on the logits. Input [batch, dims[0]]."""
    g = _Graph(seed)
    x = "input"
    for i, (k, n) in enumerate(zip(dims, dims[1:])):
        x = g.op("Gemm", [x, g.weight((n, k), 1.0 / np.sqrt(k)),
                          g.weight((n,), 0.1)], transB=1)
        if i + 2 < len(dims):
            x = g.op("Relu", [x])
    if softmax:
        x = g.op("Softmax", [x], axis=-1)
    g.nodes[-1].output[0] = "scores"
    return g.model([helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                  [batch, dims[0]])],
                   [helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                                  [batch, dims[-1]])])


def cnn1d(batch=1, length=64, features=10, classes=12, seed=4):
    """1-D CNN over a feature sequence, keyword-spotting / sensor style (as
    deployed with hls4ml): Conv1d + BatchNorm + ReLU blocks, a strided
    (SAME_UPPER), a dilated and a depthwise convolution, MaxPool1d and
    AveragePool1d (ceil mode, padding counted), global average pooling and a
    Gemm head. Input [batch, features, length]."""
    g = _Graph(seed)

    def conv_bn(x, cin, cout, k, group=1, relu=True, **attrs):
        y = g.op("Conv", [x, g.weight((cout, cin // group, k)), g.weight((cout,), 0.1)],
                 kernel_shape=[k], group=group, **attrs)
        y = _batch_norm(g, y, cout)
        return g.op("Relu", [y]) if relu else y

    x = conv_bn("input", features, 16, 5, pads=[2, 2])
    x = g.op("MaxPool", [x], kernel_shape=[2], strides=[2])
    x = conv_bn(x, 16, 32, 3, strides=[2], auto_pad="SAME_UPPER")
    x = conv_bn(x, 32, 32, 3, dilations=[2], pads=[2, 2])
    y = conv_bn(x, 32, 32, 3, group=32, pads=[1, 1], relu=False)  # depthwise
    x = g.op("Relu", [g.op("Add", [x, y])])
    x = g.op("AveragePool", [x], kernel_shape=[3], strides=[2], pads=[1, 1],
             count_include_pad=1)
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.op("Gemm", [x, g.weight((classes, 32)), g.weight((classes,), 0.1)], transB=1)
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                  [batch, features, length])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, classes])])


def _attention(g, x, seq, hidden, heads, kv_heads, head_dim, wq, wk, wv, wo, bq=None,
               mask=None, rope=None, out=None):
    def proj(w, b, n_heads):
        y = g.op("MatMul", [x, w])
        if b is not None:
            y = g.op("Add", [y, b])
        y = g.op("Reshape", [y, g.const(_i64([1, seq, n_heads, head_dim]))])
        return g.op("Transpose", [y], perm=[0, 2, 1, 3])

    q = proj(wq, bq[0] if bq else None, heads)
    k = proj(wk, bq[1] if bq else None, kv_heads)
    v = proj(wv, bq[2] if bq else None, kv_heads)
    if rope is not None:
        cos, sin = rope

        def rotate(t):
            half = head_dim // 2
            t1 = g.op("Slice", [t, g.const(_i64([0])), g.const(_i64([half])), g.const(_i64([3]))])
            t2 = g.op("Slice", [t, g.const(_i64([half])), g.const(_i64([head_dim])), g.const(_i64([3]))])
            rot = g.op("Concat", [g.op("Neg", [t2]), t1], axis=3)
            return g.op("Add", [g.op("Mul", [t, cos]), g.op("Mul", [rot, sin])])

        q, k = rotate(q), rotate(k)
    if kv_heads != heads:
        rep = heads // kv_heads

        def repeat(t):
            t = g.op("Reshape", [t, g.const(_i64([1, kv_heads, 1, seq, head_dim]))])
            t = g.op("Expand", [t, g.const(_i64([1, kv_heads, rep, seq, head_dim]))])
            return g.op("Reshape", [t, g.const(_i64([1, heads, seq, head_dim]))])

        k, v = repeat(k), repeat(v)
    scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = g.op("Div", [scores, g.const(np.array(np.sqrt(head_dim), np.float32))])
    if mask is not None:
        scores = g.op("Add", [scores, mask])
    probs = g.op("Softmax", [scores], axis=-1)
    ctx = g.op("MatMul", [probs, v])
    ctx = g.op("Transpose", [ctx], perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", [ctx, g.const(_i64([1, seq, hidden]))])
    return out(ctx) if out is not None else g.op("MatMul", [ctx, wo])


def _causal_mask(g, seq):
    """Additive causal mask from Trilu, as exporters build it."""
    tril = g.op("Trilu", [g.const(np.ones((seq, seq), np.float32))], upper=0)
    keep = g.op("Greater", [tril, g.const(np.array(0.5, np.float32))])
    return g.op("Where", [keep, g.const(np.array(0.0, np.float32)),
                          g.const(np.array(-1e9, np.float32))])


def bert(seq=16, hidden=64, heads=4, layers=2, ffn=256, vocab=120, seed=1, outliers=False):
    g = _Graph(seed)
    hd = hidden // heads
    emb = g.weight((vocab, hidden), 0.5)
    pos = g.weight((seq, hidden), 0.1)
    x = g.op("Add", [g.op("Gather", [emb, "input_ids"], axis=0), pos])

    def layer_norm(t):
        gain = np.ones(hidden, np.float32) + 0.1 * g.rng.standard_normal(hidden).astype(np.float32)
        if outliers:
            gain[[3, 17]] *= np.float32(60.0)
        return g.op("LayerNormalization", [t, g.const(gain), g.weight((hidden,), 0.1)],
                    axis=-1, epsilon=1e-12)

    x = layer_norm(x)
    for _ in range(layers):
        a = _attention(g, x, seq, hidden, heads, heads, hd,
                       g.weight((hidden, hidden)), g.weight((hidden, hidden)),
                       g.weight((hidden, hidden)), g.weight((hidden, hidden)),
                       bq=[g.weight((hidden,), 0.1) for _ in range(3)])
        x = layer_norm(g.op("Add", [x, a]))
        h = g.op("Add", [g.op("MatMul", [x, g.weight((hidden, ffn))]), g.weight((ffn,), 0.1)])
        # GELU as torch exports it: x * 0.5 * (1 + erf(x / sqrt(2))).
        e = g.op("Erf", [g.op("Div", [h, g.const(np.array(np.sqrt(2.0), np.float32))])])
        h = g.op("Mul", [g.op("Mul", [h, g.op("Add", [e, g.const(np.array(1.0, np.float32))])]),
                         g.const(np.array(0.5, np.float32))])
        h = g.op("Add", [g.op("MatMul", [h, g.weight((ffn, hidden))]), g.weight((hidden,), 0.1)])
        x = layer_norm(g.op("Add", [x, h]))
    g.nodes[-1].output[0] = "hidden_states"
    return g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
                   [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, [1, seq, hidden])])


def gpt(seq=16, hidden=64, heads=4, layers=2, ffn=256, vocab=128, seed=3, outliers=False,
        exporter_forms=False):
    """Pre-LayerNorm decoder (GPT-2 / OPT style): learned positions, biased
    projections, GELU MLP, a final LayerNorm and an untied head.

    `exporter_forms=True` writes what torch.onnx makes of Hugging Face's
    GPT-2, OPT and Phi instead: biased linear layers after the attention as
    Reshape -> Gemm -> Reshape over the flattened tokens (GPT-2's Conv1D is
    addmm; the MLP's second one with transB), positions gathered from a
    table by constant ids, the stream flattened to [tokens, hidden] around
    the first layer's MLP (OPT), the attention and the MLP of the last layer
    in parallel from one LayerNorm and summed before the residual add
    (Phi), an identity Reshape before the head and the head tied to the
    embedding table through a Transpose. Needs layers >= 2."""
    g = _Graph(seed)
    hd = hidden // heads
    emb = g.weight((vocab, hidden), 1.0)
    x = g.op("Gather", [emb, "input_ids"], axis=0)
    if outliers:
        scale = np.ones(hidden, np.float32)
        scale[[7, 30, 51]] = np.array([55.0, 80.0, 100.0], np.float32)
        x = g.op("Mul", [x, g.const(scale)])
    if exporter_forms:
        positions = g.op("Gather", [g.weight((2 * seq, hidden), 0.1),
                                    g.const(_i64([list(range(seq))]))], axis=0)
        x = g.op("Add", [x, positions])
    else:
        x = g.op("Add", [x, g.weight((seq, hidden), 0.1)])

    def layer_norm(t):
        gain = (1.0 + 0.1 * g.rng.standard_normal(hidden)).astype(np.float32)
        return g.op("LayerNormalization", [t, g.const(gain), g.weight((hidden,), 0.1)],
                    axis=-1, epsilon=1e-5)

    def linear(t, k, n, lead=(1, seq), trans=False):
        """t @ W + b; exporter forms: Gemm over [tokens, k] between Reshapes."""
        if not exporter_forms:
            return g.op("Add", [g.op("MatMul", [t, g.weight((k, n))]), g.weight((n,), 0.1)])
        w, b = g.weight((k, n)), g.weight((n,), 0.1)
        if trans:
            g.inits[-2] = numpy_helper.from_array(
                np.ascontiguousarray(numpy_helper.to_array(g.inits[-2]).T), w)
        flat = g.op("Reshape", [t, g.const(_i64([seq, k]))])
        y = g.op("Gemm", [flat, w, b], transB=1 if trans else 0)
        return g.op("Reshape", [y, g.const(_i64([*lead, n]))])

    def mlp(t, lead=(1, seq)):
        h = linear(t, hidden, ffn, lead)
        h = g.op("Mul", [g.op("Mul", [h, g.const(np.array(0.5, np.float32))]),
                         g.op("Add", [g.op("Erf", [g.op("Div", [h, g.const(np.array(np.sqrt(2.0), np.float32))])]),
                                      g.const(np.array(1.0, np.float32))])])
        return linear(h, ffn, hidden, lead, trans=True)

    def attention(t):
        return _attention(g, t, seq, hidden, heads, heads, hd,
                          g.weight((hidden, hidden)), g.weight((hidden, hidden)),
                          g.weight((hidden, hidden)),
                          None if exporter_forms else g.weight((hidden, hidden)),
                          bq=[g.weight((hidden,), 0.1) for _ in range(3)], mask=mask,
                          out=(lambda c: linear(c, hidden, hidden)) if exporter_forms else None)

    mask = _causal_mask(g, seq)
    for i in range(layers):
        if exporter_forms and i == layers - 1:
            # Phi: attention and MLP read one norm; their sum joins the stream.
            h = layer_norm(x)
            x = g.op("Add", [g.op("Add", [attention(h), mlp(h)]), x])
            continue
        a = attention(layer_norm(x))
        x = g.op("Add", [x, a if exporter_forms else g.op("Add", [a, g.weight((hidden,), 0.1)])])
        if exporter_forms and i == 0:
            # OPT: the MLP and its residual add on [tokens, hidden].
            flat = g.op("Reshape", [x, g.const(_i64([seq, hidden]))])
            flat = g.op("Add", [flat, mlp(layer_norm(flat), lead=(seq,))])
            x = g.op("Reshape", [flat, g.const(_i64([1, seq, hidden]))])
            continue
        x = g.op("Add", [x, mlp(layer_norm(x))])
    if exporter_forms:
        h = g.op("Reshape", [layer_norm(x), g.const(_i64([1, seq, hidden]))])
        logits = g.op("MatMul", [h, g.op("Transpose", [emb], perm=[1, 0])])
    else:
        logits = g.op("MatMul", [layer_norm(x), g.weight((hidden, vocab))])
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, seq, vocab])])


def vit(size=32, patch=8, hidden=64, heads=4, layers=2, ffn=256, classes=10, seed=5,
        outliers=False):
    """Vision transformer as torch.onnx exports Hugging Face's
    ViTForImageClassification: a patch-embedding Conv (stride = kernel =
    patch) flattened and transposed to [1, patches, hidden], the class token
    concatenated in front, learned positions added, pre-LayerNorm blocks
    (biased projections, GELU MLP), a final LayerNorm and a classifier on the
    class token (Gather along the token axis). `outliers=True` scales three
    patch-embedding channels 50-100x (the stream's outlier channels)."""
    g = _Graph(seed)
    hd = hidden // heads
    tokens = (size // patch) ** 2 + 1
    w = (g.rng.standard_normal((hidden, 3, patch, patch)) / np.sqrt(3 * patch * patch)).astype(np.float32)
    b = (0.1 * g.rng.standard_normal(hidden)).astype(np.float32)
    if outliers:
        for c, f in zip([3, 17, 40], [50.0, 75.0, 100.0]):
            w[c] *= np.float32(f)
            b[c] *= np.float32(f)
    x = g.op("Conv", ["pixel_values", g.const(w), g.const(b)],
             kernel_shape=[patch, patch], strides=[patch, patch])
    x = g.op("Reshape", [x, g.const(_i64([1, hidden, tokens - 1]))])
    x = g.op("Transpose", [x], perm=[0, 2, 1])
    x = g.op("Concat", [g.weight((1, 1, hidden), 0.5), x], axis=1)
    x = g.op("Add", [x, g.weight((1, tokens, hidden), 0.1)])

    def layer_norm(t):
        gain = (1.0 + 0.1 * g.rng.standard_normal(hidden)).astype(np.float32)
        return g.op("LayerNormalization", [t, g.const(gain), g.weight((hidden,), 0.1)],
                    axis=-1, epsilon=1e-12)

    for _ in range(layers):
        a = _attention(g, layer_norm(x), tokens, hidden, heads, heads, hd,
                       g.weight((hidden, hidden)), g.weight((hidden, hidden)),
                       g.weight((hidden, hidden)), g.weight((hidden, hidden)),
                       bq=[g.weight((hidden,), 0.1) for _ in range(3)])
        x = g.op("Add", [g.op("Add", [a, g.weight((hidden,), 0.1)]), x])
        h = g.op("Add", [g.op("MatMul", [layer_norm(x), g.weight((hidden, ffn))]),
                         g.weight((ffn,), 0.1)])
        h = g.op("Mul", [g.op("Mul", [h, g.const(np.array(0.5, np.float32))]),
                         g.op("Add", [g.op("Erf", [g.op("Div", [h, g.const(np.array(np.sqrt(2.0), np.float32))])]),
                                      g.const(np.array(1.0, np.float32))])])
        h = g.op("Add", [g.op("MatMul", [h, g.weight((ffn, hidden))]), g.weight((hidden,), 0.1)])
        x = g.op("Add", [h, x])
    cls = g.op("Gather", [layer_norm(x), g.const(np.array(0, np.int64))], axis=1)
    logits = g.op("Add", [g.op("MatMul", [cls, g.weight((hidden, classes))]),
                          g.weight((classes,), 0.1)])
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [1, 3, size, size])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])])


def llama(seq=16, hidden=64, heads=4, kv_heads=2, layers=2, intermediate=172 * 8, vocab=128,
          seed=2, outliers=False, external=None, torch_casts=False, gemma_scale=False):
    """`torch_casts=True` writes the RMSNorm as torch.onnx exports Hugging
    Face's LlamaRMSNorm: the input cast to float32 first, the gain on the
    left of a product with the normalized value cast back (both casts from
    float32 to float32 in a float32 model). `gemma_scale=True` multiplies the
    embeddings by the scalar sqrt(hidden), as Gemma does."""
    g = _Graph(seed, external)
    hd = hidden // heads
    emb = g.weight((vocab, hidden), 1.0)
    x = g.op("Gather", [emb, "input_ids"], axis=0)
    if gemma_scale:
        x = g.op("Mul", [x, g.const(np.array(np.sqrt(hidden), np.float32))])
    if outliers:
        # Residual-stream outlier channels, 50-100x the rest.
        scale = np.ones(hidden, np.float32)
        scale[[5, 21, 40]] = np.array([60.0, 85.0, 100.0], np.float32)
        x = g.op("Mul", [x, g.const(scale)])

    def rms_norm(t):
        # As torch exports it: x * 1/sqrt(mean(x^2) + eps) * weight.
        if torch_casts:
            t = g.op("Cast", [t], to=TensorProto.FLOAT)
        var = g.op("ReduceMean", [g.op("Pow", [t, g.const(np.array(2.0, np.float32))])],
                   axes=[-1], keepdims=1)
        inv = g.op("Div", [g.const(np.array(1.0, np.float32)),
                           g.op("Sqrt", [g.op("Add", [var, g.const(np.array(1e-6, np.float32))])])])
        w = (1.0 + 0.1 * g.rng.standard_normal(hidden)).astype(np.float32)
        if torch_casts:
            normed = g.op("Cast", [g.op("Mul", [t, inv])], to=TensorProto.FLOAT)
            return g.op("Mul", [g.const(w), normed])
        return g.op("Mul", [g.op("Mul", [t, inv]), g.const(w)])

    # RoPE tables [seq, head_dim] (broadcast over batch and heads).
    inv_freq = 1.0 / (10000 ** (np.arange(0, hd, 2) / hd))
    ang = np.outer(np.arange(seq), inv_freq)
    ang = np.concatenate([ang, ang], axis=1).astype(np.float32)
    rope = (g.const(np.cos(ang)), g.const(np.sin(ang)))
    # Causal mask from Trilu, as exporters build it.
    mask = _causal_mask(g, seq)
    for _ in range(layers):
        a = _attention(g, rms_norm(x), seq, hidden, heads, kv_heads, hd,
                       g.weight((hidden, heads * hd)), g.weight((hidden, kv_heads * hd)),
                       g.weight((hidden, kv_heads * hd)), g.weight((heads * hd, hidden)),
                       mask=mask, rope=rope)
        x = g.op("Add", [x, a])
        h = rms_norm(x)
        gate = g.op("MatMul", [h, g.weight((hidden, intermediate))])
        up = g.op("MatMul", [h, g.weight((hidden, intermediate))])
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
        down = g.op("MatMul", [g.op("Mul", [silu, up]), g.weight((intermediate, hidden))])
        x = g.op("Add", [x, down])
    logits = g.op("MatMul", [rms_norm(x), g.weight((hidden, vocab))])
    g.nodes[-1].output[0] = "logits"
    return g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
                   [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, seq, vocab])])


def _matmul_nbits(g, w, block=32):
    """com.microsoft MatMulNBits of the float weight w [K, N]: 4-bit codes
    per block of `block` along K, symmetric (absmax / 7, the default zero
    point 8), as onnxruntime's MatMulNBits quantizer writes them."""
    k, n = w.shape
    blocks = -(-k // block)
    padded = np.zeros((blocks * block, n), np.float32)
    padded[:k] = w
    wb = padded.T.reshape(n, blocks, block)
    scale = (np.abs(wb).max(axis=2) / 7.0).astype(np.float32)
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(wb / scale[..., None]) + 8, 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return g.const(packed, "w_q4"), g.const(scale.reshape(-1), "w_scales"), dict(
        K=k, N=n, bits=4, block_size=block)


def genai_llama(hidden=64, heads=4, kv_heads=2, layers=2, intermediate=192, vocab=128,
                max_length=64, seed=7):
    """A Llama-style decoder as onnxruntime-genai's model builder writes it
    for the CPU at int4: token ids and attention_mask [batch, total
    sequence] in, past_key_values.{i}.key / .value [batch, kv heads, past,
    head size] in and present.{i}.key / .value out; com.microsoft
    SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization,
    MatMulNBits (4-bit, blocks of 32) projections and LM head,
    GroupQueryAttention with do_rotary and cos / sin caches of `max_length`
    rows; seqlens_k (the mask's sum - 1) and total_sequence_length (the
    mask's width) computed from attention_mask as the builder does. Batch,
    sequence and past lengths are symbolic (opsets 17 and com.microsoft
    1)."""
    g = _Graph(seed)
    hd = hidden // heads
    ms = "com.microsoft"

    def norm_weight():
        return g.const((1.0 + 0.1 * g.rng.standard_normal(hidden)).astype(np.float32))

    def linear(x, k, n):
        b, s, attrs = _matmul_nbits(g, g.rng.standard_normal((k, n)).astype(np.float32)
                                    / np.sqrt(k))
        return g.op("MatMulNBits", [x, b, s], domain=ms, **attrs)

    def skip_norm(x, residual):
        # Outputs: the normalized sum, two unused statistics, the sum.
        h, total = g.name("norm"), g.name("residual")
        g.nodes.append(helper.make_node(
            "SkipSimplifiedLayerNormalization", [x, residual, norm_weight()], [h, "", "", total],
            name=g.name("SkipSimplifiedLayerNormalization"), domain=ms, epsilon=1e-5))
        return h, total

    # seqlens_k and total_sequence_length from the attention mask.
    total = g.op("ReduceSum", ["attention_mask", g.const(np.array([1], np.int64))], keepdims=0)
    seqlens = g.op("Cast", [g.op("Sub", [total, g.const(np.array(1, np.int64))])],
                   to=TensorProto.INT32)
    width = g.op("Gather", [g.op("Shape", ["attention_mask"]), g.const(np.array(1, np.int64))],
                 axis=0)
    total_len = g.op("Cast", [width], to=TensorProto.INT32)
    inv_freq = 1.0 / (10000 ** (np.arange(0, hd, 2) / hd))
    ang = np.outer(np.arange(max_length), inv_freq)
    cos, sin = g.const(np.cos(ang).astype(np.float32)), g.const(np.sin(ang).astype(np.float32))
    x = g.op("Gather", [g.weight((vocab, hidden), 1.0), "input_ids"], axis=0)
    h = g.op("SimplifiedLayerNormalization", [x, norm_weight()], axis=-1, epsilon=1e-5,
             domain="")
    residual = x
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                            ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                            ["batch_size", "total_sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                             ["batch_size", "sequence_length", vocab])]
    kv_shape = ["batch_size", kv_heads, "past_sequence_length", hd]
    present_shape = ["batch_size", kv_heads, "total_sequence_length", hd]
    for i in range(layers):
        q = linear(h, hidden, heads * hd)
        k = linear(h, hidden, kv_heads * hd)
        v = linear(h, hidden, kv_heads * hd)
        past = [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present = [f"present.{i}.key", f"present.{i}.value"]
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv_shape) for n in past]
        outputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, present_shape)
                    for n in present]
        attn = g.name("attn")
        g.nodes.append(helper.make_node(
            "GroupQueryAttention", [q, k, v, *past, seqlens, total_len, cos, sin],
            [attn, *present], name=g.name("GroupQueryAttention"), domain=ms, num_heads=heads,
            kv_num_heads=kv_heads, do_rotary=1, scale=float(1 / np.sqrt(hd))))
        o = linear(attn, heads * hd, hidden)
        h, residual = skip_norm(o, residual)
        gate = linear(h, hidden, intermediate)
        up = linear(h, hidden, intermediate)
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        down = linear(act, intermediate, hidden)
        h, residual = skip_norm(down, residual)
    logits = linear(h, hidden, vocab)
    g.nodes[-1].output[0] = "logits"
    m = g.model(inputs, outputs)
    m.opset_import.append(helper.make_opsetid(ms, 1))
    return m


def genai_inputs(model, batch, seq, past, rng, seqlens=None):
    """Inputs of `genai_llama` for a step of `seq` new tokens after `past`
    cached ones: token ids, an attention mask of ones ([batch, past + seq];
    `seqlens` gives each sequence's length, zeros after it) and zero past
    key / value tensors (a first prompt has past = 0)."""
    feeds = {"input_ids": rng.integers(0, 100, (batch, seq)).astype(np.int64)}
    mask = np.ones((batch, past + seq), np.int64)
    if seqlens is not None:
        for b, n in enumerate(seqlens):
            mask[b, n:] = 0
    feeds["attention_mask"] = mask
    for vi in model.graph.input:
        if vi.name.startswith("past_key_values"):
            dims = vi.type.tensor_type.shape.dim
            feeds[vi.name] = rng.standard_normal((batch, dims[1].dim_value, past,
                                                  dims[3].dim_value)).astype(np.float32)
    return feeds


def half(model: onnx.ModelProto, dtype: int = TensorProto.FLOAT16) -> onnx.ModelProto:
    """A copy of `model` in float16 (or `dtype=TensorProto.BFLOAT16`), as
    fp16 exports come: float initializers, Constant values, Cast targets and
    float graph inputs and outputs converted (values rounded to nearest
    even, finite ones clipped to the narrow type's range)."""
    import ml_dtypes

    np_type = np.float16 if dtype == TensorProto.FLOAT16 else ml_dtypes.bfloat16
    m = onnx.ModelProto()
    m.CopyFrom(model)

    def convert(t):
        if t.data_type != TensorProto.FLOAT:
            return t
        a = numpy_helper.to_array(t)
        # Finite values beyond the narrow range (a mask's -3.4e38) become its
        # largest finite value, as onnxconverter-common's converter does.
        big = float(ml_dtypes.finfo(np_type).max)
        a = np.where(np.isfinite(a), np.clip(a, -big, big), a).astype(np_type)
        if dtype == TensorProto.FLOAT16:
            return numpy_helper.from_array(a, t.name)
        return helper.make_tensor(t.name, dtype, a.shape, a.view(np.uint16).tobytes(), raw=True)

    g = m.graph
    for i, t in enumerate(g.initializer):
        g.initializer[i].CopyFrom(convert(t))
    for n in g.node:
        for a in n.attribute:
            if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(convert(a.t))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = dtype
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = dtype
    return m


def sample_inputs(model: onnx.ModelProto, seed: int = 0) -> dict:
    """Random inputs for a model of this module (token ids or an image)."""
    rng = np.random.default_rng(seed)
    out = {}
    for vi in model.graph.input:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == TensorProto.INT64:
            out[vi.name] = rng.integers(0, 100, shape).astype(np.int64)
        else:
            x = rng.standard_normal(shape).astype(np.float32)
            if vi.type.tensor_type.elem_type == TensorProto.FLOAT16:
                x = x.astype(np.float16)
            out[vi.name] = x
    return out

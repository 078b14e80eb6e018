//===- Passes.td - quantization passes ---------------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Passes that quantize nn graphs into qc operations.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_TRANSFORMS_PASSES_TD
#define QC_DIALECT_QC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldNormGains : Pass<"qc-fold-norm-gains", "::mlir::func::FuncOp"> {
  let summary = "Fold RMSNorm / LayerNorm gains and biases into the following linear layers.";
  let description = [{
    Rotations of the residual stream (QuaRot, SpinQuant) need
    normalizations that commute with an orthogonal matrix: no per-channel
    gain between the norm and the linear layers that read it. For a norm
    over the last axis whose gain (and LayerNorm bias) is a constant with one
    value per channel, and whose result is read only by `nn.matmul` ops with
    a constant 2-D weight W (D x N), this pass rewrites every reader to use
    diag(g) W, adds the constant row b W after it for a LayerNorm bias, and
    sets the gain to ones (dropping the bias). The model computes the same
    function up to float rounding.

    Norms whose output reaches anything else (a residual add, as in
    post-norm BERT, or a non-constant weight) are left alone: their gain is
    part of the residual stream.

    Before:
    ```mlir
    %n = nn.rms_norm %x, %g : tensor<2x64xf32>, tensor<64xf32>
    %q = nn.matmul %n, %wq : tensor<2x64xf32>, tensor<64x64xf32>
    ```
    After:
    ```mlir
    %n = nn.rms_norm %x, %ones : tensor<2x64xf32>, tensor<64xf32>
    %q = nn.matmul %n, %wq_scaled : tensor<2x64xf32>, tensor<64x64xf32>
    ```
  }];
  let dependentDialects = ["::qc::nn::NNDialect", "::mlir::arith::ArithDialect"];
}

def LayerNormToRMSNorm : Pass<"qc-layernorm-to-rmsnorm", "::mlir::func::FuncOp"> {
  let summary = "Turn the LayerNorms of a pre-norm residual stream into RMSNorms.";
  let description = [{
    Rotations of the residual stream need norms that commute with an
    orthogonal matrix; LayerNorm subtracts the mean first, which does not.
    For a pre-LayerNorm transformer (GPT-2, OPT), this pass subtracts the
    row mean from everything that writes the stream: the embedding table,
    constant addends (learned positions, biases) and the weights and biases
    of the linear layers added into it (attention output and MLP down
    projections). LayerNorm's output does not depend on the mean of its
    input, so the model is unchanged; the stream is now zero-mean, so every
    LayerNorm reading it equals an RMSNorm with the same gain and epsilon
    (plus its bias as an `nn.add`), and is replaced by one.

    The stream is found as by `--qc-rotate-residual` (embedding gather or
    patch embedding, residual adds, sources: constant addends, other
    gathered embedding tables, a concatenated class token and linear layers
    with constant weights, optionally biased); a patch embedding's
    convolution weight is centered per column (its output channels). A stream that reaches anything whose result
    depends on its mean (an RMSNorm, the function's results, ...) is left
    alone with a remark naming the op; post-norm models (BERT), whose
    LayerNorm outputs are the stream, are left alone this way.
  }];
  let dependentDialects = ["::qc::nn::NNDialect", "::mlir::arith::ArithDialect"];
}

def RotateResidual : Pass<"qc-rotate-residual", "::mlir::func::FuncOp"> {
  let summary = "Fold an orthogonal rotation of the residual stream into the weights (QuaRot / SpinQuant R1).";
  let description = [{
    Finds the residual stream of a pre-norm transformer on the nn graph and
    rotates it by an orthogonal Q (x -> x Q), folding Q into the weights so
    the model computes the same function while outlier channels of the
    stream are spread over all channels (which is what makes low-bit
    quantization of the stream's readers work):

    - sources, whose rows are multiplied by Q: the embedding table of the
      `nn.gather` that starts the stream (constant per-channel or scalar
      `nn.mul`s right after it, such as Gemma's sqrt(D), are folded into
      the table first) or, for a vision
      transformer, the patch embedding (an `nn.conv` with a constant weight
      whose output is flattened over the pixels and transposed to [batch,
      pixels, D]: its weight's output channels become Q^T W, its bias b Q),
      constant rows concatenated to the stream along the tokens (the class
      token), the constant weights
      (K x D) of `nn.matmul` outputs added into the stream (attention output
      and MLP down projections; also through a reshape that keeps the last
      dimension, and summed first, as Phi's parallel attention and MLP),
      constant addends and other embedding tables gathered into it (learned
      positions);
    - the stream flows through `nn.add`, reshapes that keep the last
      dimension (OPT's MLP on [tokens, D]) and `nn.rms_norm` with unit gain
      (RMSNorm commutes with orthogonal matrices; run
      `--qc-fold-norm-gains` first);
    - sinks, whose weights W (D x N) become Q^T W: every `nn.matmul` reading a
      norm of the stream, directly, through such reshapes, transposes of
      the leading axes (torchvision's attention) or a gather along the
      tokens (q/k/v, gate/up projections, the LM head, a classifier on the
      class token); projections added into the stream may pass the same
      token moves.

    Q is a randomized Hadamard matrix `#qc.hadamard<D, seed = S>` when D =
    K * 2^m for a known base order K, otherwise (or with
    `rotation=orthogonal`) a random orthogonal matrix from the QR
    decomposition of a Gaussian matrix drawn from `seed`. A stream that
    reaches anything else (a LayerNorm, a norm with a gain, a non-constant
    weight, the function's results) is left unrotated with a remark naming
    the op that blocks it.

    `rotation=FILE.npy` folds a user rotation instead, such as a learned
    SpinQuant R1: a D x D float32/float64 matrix that must be orthogonal to
    1e-5 (max |Q^T Q - I|), else the pass fails naming the deviation.

    With `block=b`, Q is the block-diagonal randomized Hadamard
    `#qc.block_hadamard<D, block = b>` (b must be a Hadamard order dividing
    D). With `permute=true` (MixQuant), Q = P B: the permutation P groups
    the channels by MassDiff on the calibrated mean |x| of the sinks'
    inputs (summed over the sinks; run `--qc-calibrate` first), so that
    every block of the block Hadamard gets a similar l1 mass and the
    outlier channels are spread over different blocks.
  }];
  let options = [
    Option<"rotation", "rotation", "std::string", "\"hadamard\"",
           "hadamard (random orthogonal where D has no Hadamard order), "
           "orthogonal, or a D x D orthogonal matrix in an .npy file">,
    Option<"seed", "seed", "uint64_t", "1",
           "Seed of the random signs / the random orthogonal matrix">,
    Option<"block", "block", "int64_t", "0",
           "Block-diagonal Hadamard of this order instead of a full one "
           "(0: full)">,
    Option<"permute", "permute", "bool", "false",
           "MixQuant: permute the stream's channels first (MassDiff on the "
           "calibrated mean |x| of the readers' inputs)">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def RotateValues : Pass<"qc-rotate-values", "::mlir::func::FuncOp"> {
  let summary = "Per-head Hadamard rotation of attention values, folded into v_proj and o_proj (QuaRot / SpinQuant R2).";
  let description = [{
    Attention output is softmax(Q K^T) V per head: it mixes the rows
    (tokens) of each head's values, never their channels. So rotating every
    head's values by the same orthogonal H (head_dim x head_dim) rotates the
    attention output per head by H, and the output projection undoes it:
    V -> V H is folded into the value projection's output columns (weight
    rows x blockdiag(H), and its bias), and blockdiag(H)^T into the output
    projection's input rows. H is the randomized Hadamard of order head_dim
    (`#qc.block_hadamard<..., block = head_dim, seed = S>`, the same signs
    for every head, which grouped-query attention needs).

    The pass starts from every linear layer with a constant weight (and
    optional constant bias) whose output is split into heads by an
    `nn.reshape`, and follows the head-split tensor through transposes that
    keep the last axis, expands (GQA repeats), the attention product (as its
    right operand) and the reshape that merges the heads, to a linear layer
    with a constant weight. Query and key paths stop before attention and
    are skipped; a value path that reaches attention but then meets another
    op is left alone with a remark naming that op.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", "1",
           "Seed of the random signs of the per-head Hadamard">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QuantizeWeights : Pass<"qc-quantize-weights", "::mlir::func::FuncOp"> {
  let summary = "Round-to-nearest weight quantization to constant codes.";
  let description = [{
    Quantizes the constant weights of `nn.matmul` (right operand of shape
    K x N), `nn.gemm` (`b`, K x N or N x K with `transB`) and `nn.conv`
    (M x C/group x kH x kW) at compile time: each weight becomes a
    `qc.constant` of codes, a constant of scales and a `qc.dequantize`
    feeding the layer, so the graph computes with exactly the quantized
    weights (W-only fake quantization; activations stay float).

    Scales follow the rule of `qc.compute_scales` (absmax over each group
    divided by the format's largest value; E8M0 shared exponents for MX;
    two-level E4M3 block scales and an f32 global scale for NVFP4), and
    elements round to nearest, ties to even, saturating.

    Granularity: per output channel when `group` is 0, otherwise one scale
    per `group` consecutive elements along the reduction dimension (K, or C
    for convolutions). MX formats default to blocks of 32 and NVFP4 to
    blocks of 16; `group` overrides the block size. `uint8` (and
    `asymmetric=true` with signed integers) uses asymmetric min/max scales
    with zero points.

    `scale=mse` searches a clip ratio per scale group (the weight clipping
    of GPTQ and QuaRot's RTN baselines): the group's scale is the rule
    above applied to fl32(r * w) for r = fl32(1 - i/100), i = 0..50, and the
    r whose round-to-nearest quantization of the group has the smallest
    squared error wins (the largest on ties). For MX this chooses between
    the shared exponent of the absmax and the one below; for NVFP4 between
    E4M3 block scales (the global scale stays that of the whole weight).

    Weights that are not constants, batched (rank > 2) matmul operands and
    1-element weights are left alone. A group size that does not divide the
    reduction dimension of a layer is an error naming the layer.

    `accumulator-bits=P` (accumulator-aware quantization, after A2Q):
    afterwards no input whose codes lie in the range of
    `accumulator-input` (an integer format, default int8) can overflow a
    P-bit signed accumulator summing a layer's products of codes, by the
    exact range per output channel (`--qc-minimize-accumulators`). Each
    channel whose round-to-nearest codes could overflow gets the smallest
    f32 scale above its own for which they cannot (its codes shrink; a
    code of 0 always fits). Needs symmetric integer weights per channel;
    inputs with a zero point count as the range of x - z.

    Before:
    ```mlir
    %w = arith.constant dense<...> : tensor<64x32xf32>
    %y = nn.matmul %x, %w : tensor<4x64xf32>, tensor<64x32xf32>
    ```
    After `--qc-quantize-weights="format=int4 group=32"`:
    ```mlir
    %c = qc.constant dense<...> : tensor<64x32xi4>
           : !qc.qtensor<64x32, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>>
    %s = arith.constant dense<...> : tensor<2x32xf32>
    %w = qc.dequantize %c, %s : (...) -> tensor<64x32xf32>
    %y = nn.matmul %x, %w : tensor<4x64xf32>, tensor<64x32xf32>
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", "\"int8\"",
           "Weight format: int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, "
           "mxfp6, mxfp4, mxint8 or nvfp4">,
    Option<"group", "group", "int64_t", "0",
           "Elements per scale along the reduction dimension (0: per "
           "channel; MX and NVFP4 default to their block size)">,
    Option<"asymmetric", "asymmetric", "bool", "false",
           "Asymmetric (min/max, zero point) scales for integer formats">,
    Option<"scale", "scale", "std::string", "\"absmax\"",
           "Scale rule: absmax, or mse (per group, the clip ratio in "
           "[0.5, 1] with the smallest squared error)">,
    Option<"accumulatorBits", "accumulator-bits", "int64_t", "0",
           "Signed accumulator width no input may overflow (0: none)">,
    Option<"accumulatorInput", "accumulator-input", "std::string", "\"int8\"",
           "Integer format whose code range the layers' inputs cover (for "
           "accumulator-bits)">
  ];
  let statistics = [
    Statistic<"numFitted", "accumulator-fitted",
              "Channel scales raised to fit the accumulator">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def AssignFormats : Pass<"qc-assign-formats", "::mlir::ModuleOp"> {
  let summary = "Choose each layer's weight format under a bit budget (mixed precision).";
  let description = [{
    For every layer with a constant float weight (`nn.matmul` by a 2-D
    weight, `nn.gemm`, `nn.conv`) and every format of `candidates`, measures
    the error that quantizing that layer alone (round to nearest, per
    output channel or in groups of `group`) causes, then picks one format
    per layer so that the weights take at most `bits` bits per element on
    average and the summed error is the smallest possible: an exact
    multiple-choice knapsack (a dynamic program over the Pareto frontier of
    cost and error). The choice is written as each layer's `qc.weights`
    attribute, which `--qc-quantize-weights` and `--qc-gptq` honour.

    Cost of a layer in a format: its elements times the format's bits, plus
    its scales (f32: 32 bits; E8M0 / E4M3 block scales: 8), zero points
    (the element's bits) and an NVFP4 global scale (32); `float` costs 32
    bits per element. Layers that already carry `qc.weights` (a calibration
    table, `first=` / `last=`) keep their format and its cost counts against
    the budget.

    Error (`metric`):
    - `output` (default): the model runs on the calibration samples in
      `data` with that one layer's weight replaced by its quantization;
      the error is the squared difference of all float outputs from the
      float model's, relative to their squared norm, summed over samples.
      Layers x candidates x samples runs of the interpreter.
    - `hessian`: tr((W - Q)^T H (W - Q)) with the layer's calibrated
      Hessian H (`--qc-calibrate` with `hessian=true` first): the squared
      error of the layer's own outputs over the calibration rows, without
      running the model again (linear layers only).

    A budget below the cheapest choice is an error that gives the smallest
    feasible average. A summary remark gives the formats chosen, the bits
    per weight reached and the estimated error; `table=FILE` writes the
    choice as a calibration table (a `layers` list of `name` and `weights`
    entries) that `--qc-load-calibration` reads back after editing.

    Example: `--qc-assign-formats="candidates=int4,int8 bits=5 data=CALIB"`
    keeps at most a quarter of the weights' elements in int8 (4 + 8/4 bits;
    scales count too) where int8 helps the outputs most.
  }];
  let options = [
    Option<"data", "data", "std::string", "\"\"",
           "Calibration directory DIR/<sample>/<input>.npy (metric=output)">,
    Option<"samples", "samples", "int64_t", "0",
           "Use at most this many samples (0: all)">,
    Option<"entry", "entry", "std::string", "\"main\"",
           "Function to run">,
    Option<"candidates", "candidates", "std::string", "\"int4,int8\"",
           "Comma-separated weight formats to choose from (float included)">,
    Option<"bits", "bits", "double", "0",
           "Average bits per weight element, scales included">,
    Option<"group", "group", "int64_t", "0",
           "Elements per scale along K (0: per channel; MX and NVFP4 use "
           "their blocks)">,
    Option<"metric", "metric", "std::string", "\"output\"",
           "Error of a layer's quantization: output or hessian">,
    Option<"table", "table", "std::string", "\"\"",
           "Write the choice as a calibration table to this file">,
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def Calibrate : Pass<"qc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Collect activation statistics of the linear layers from sample inputs.";
  let description = [{
    Runs the reference interpreter on the sample inputs in `data`
    (`DIR/0/<input>.npy`, `DIR/1/<input>.npy`, ..., one sub-directory per
    sample, one file per function input named as in the ONNX model) and
    watches the activation input X (rows x K) of every linear layer (an
    `nn.matmul` or `nn.gemm` whose weight is a 2-D constant, possibly
    already quantized) and the input of every `nn.conv` (channels on axis
    1; no Hessian). For each layer it records, as the dictionary
    attribute `qc.calibration` on the layer:

    - `min`, `max`, `absmax` over all samples;
    - `percentile_value`: the `percentile`-th percentile of |x|;
    - `mse_clip`: the clipping value c that minimizes the expected squared
      error of quantizing X to `mse-format` with scale c / max(format)
      (clipping error plus the format's rounding noise at each |x|);
    - `channel_min`, `channel_max`, `channel_mean_abs`: per input channel
      (what MixQuant permutations and SmoothQuant scales read);
    - `samples` and `rows`.

    With `hessian=true` it also stores `qc.hessian`, the K x K matrix
    X^T X / rows accumulated in double precision, which GPTQ needs. For a
    convolution with one group, X holds its im2col patches: one row of
    K = C * kH * kW inputs per output position (zeros where the window
    leaves the image), in the weight's [c, kh, kw] order, and
    `qc.calibration` gets `hessian_rows`, the number of patches (grouped
    convolutions get no Hessian).

    Memory does not grow with the number of samples: percentiles and MSE
    clipping come from a fixed histogram of |x| with 32 bins per octave.
    A progress bar is drawn on stderr when it is a terminal. `table=FILE`
    writes the per-layer ranges as JSON for users to inspect and edit (see
    `--qc-load-calibration`).

    Missing or malformed calibration data is an error naming the input.
  }];
  let options = [
    Option<"data", "data", "std::string", "",
           "Calibration directory: DIR/<sample>/<input>.npy">,
    Option<"samples", "samples", "int64_t", "0",
           "Number of samples to use (0: all)">,
    Option<"entry", "entry", "std::string", "\"main\"",
           "Function to calibrate (the only function when there is one)">,
    Option<"percentile", "percentile", "double", "99.99",
           "Percentile of |x| to record">,
    Option<"mseFormat", "mse-format", "std::string", "\"int8\"",
           "Format whose rounding noise the MSE clipping search assumes">,
    Option<"hessian", "hessian", "bool", "false",
           "Also record X^T X / rows per layer (for GPTQ)">,
    Option<"table", "table", "std::string", "",
           "Write the per-layer ranges to this JSON file">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect"];
}

def QuantizeActivations : Pass<"qc-quantize-activations", "::mlir::func::FuncOp"> {
  let summary = "Fake-quantize the activation inputs of linear layers (dynamic per token or static).";
  let description = [{
    Inserts a `qc.fake_quant` on the activation input X of every linear
    layer (an `nn.matmul` or `nn.gemm` whose weight is a 2-D constant,
    possibly already quantized), so the layer computes with exactly the
    values a quantized kernel would see.

    - Dynamic (default): scales are computed at run time by
      `qc.compute_scales`, one per token (row of the last axis) for integer
      and FP8 formats, one per block of 32 (MX, E8M0 scales) or 16 (NVFP4,
      E4M3 scales and a global scale) along the last axis.
    - `clip=c` (dynamic scales only): the scales of `qc.compute_scales`
      with clip ratio c, i.e. from c times the absmax of each group (QuaRot
      clips 4-bit activations at 0.9).
    - `static=true`: one per-tensor scale from the layer's `qc.calibration`
      statistics (run `--qc-calibrate` first): c / max(format) with c the
      absmax, the percentile value or the MSE-optimal clip (`scale`);
      `uint8` uses the calibrated min / max with a zero point.

    Convolution inputs (N x C x ...) get one dynamic scale per tensor, or
    blocks of 32 / 16 along the channels for MX / NVFP4; static scales work
    as for linear layers (`--qc-calibrate` records convolution inputs too,
    with per-channel statistics along axis 1).

    Layers carrying `qc.activations = "float"` (set from a calibration
    table) keep float inputs.

    Before:
    ```mlir
    %y = nn.matmul %x, %w : tensor<16x64xf32>, tensor<64x32xf32>
    ```
    After `--qc-quantize-activations=format=int8`:
    ```mlir
    %s = qc.compute_scales %x for !qc.qtensor<16x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>>
           : tensor<16x64xf32> -> tensor<16x1xf32>
    %q = qc.fake_quant %x, %s as !qc.qtensor<...> : (...) -> tensor<16x64xf32>
    %y = nn.matmul %q, %w : tensor<16x64xf32>, tensor<64x32xf32>
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", "\"int8\"",
           "Activation format: int8, int4, int2, uint8, fp8e4m3, fp8e5m2, "
           "mxfp8, mxfp6, mxfp4, mxint8 or nvfp4">,
    Option<"isStatic", "static", "bool", "false",
           "Static per-tensor scales from calibration instead of dynamic "
           "per-token scales">,
    Option<"scale", "scale", "std::string", "\"absmax\"",
           "Static clipping rule: absmax, percentile or mse">,
    Option<"clip", "clip", "double", "1.0",
           "Clip ratio of dynamic scales, in (0, 1] (qc.compute_scales "
           "clip)">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def OnlineHadamard : Pass<"qc-online-hadamard", "::mlir::func::FuncOp"> {
  let summary = "Run-time Hadamard rotation of linear-layer inputs that cannot be folded (QuaRot down_proj).";
  let description = [{
    The inputs of some linear layers are not part of a rotation region that
    can be folded into weights on both sides: the MLP down projection reads
    SiLU(gate) * up, the attention output projection reads the attention
    context. Their activations carry outliers that low-bit activation
    quantization cannot represent. This pass rotates such an input X (rows x
    K) at run time, X -> X H with `qc.rotate` (a fast Walsh-Hadamard
    transform, O(K log K) per row), and folds the inverse into the constant
    weight, W -> H^T W, so the layer computes the same function:
    X W = (X H)(H^T W).

    H is the randomized Hadamard `#qc.hadamard<K, seed = S>`. Affected
    layers: every `nn.matmul` / `nn.gemm` (without `transB`) with a constant
    f32 2-D weight whose input is not already rotated and, unless
    `all=true`, not the output of a normalization (those inputs belong to
    the residual stream, rotated by `--qc-rotate-residual`). Run it before
    weight quantization. A K with no Hadamard order (K * 2^m for a known
    base order K) is left alone with a remark.

    With `block=b` the rotation is the block-diagonal
    `#qc.block_hadamard<K, block = b>`. With `permute=true` (MixQuant) the
    input channels are first permuted by MassDiff on the layer's calibrated
    mean |x| (`--qc-calibrate`), so that each block gets a similar l1 mass.
    The permutation is folded into the weights: it passes backwards through
    elementwise ops (SiLU, GELU, the SwiGLU product) to the output columns
    of the linear layers that produce the input (gate/up), and into the
    layer's weight rows. Where it cannot pass (a value used outside the
    elementwise region, a non-constant producer) the input is rotated
    without a permutation and a remark names the op.

    With `qk=true`, queries and keys are also rotated along the head
    dimension right before the attention scores Q K^T (after RoPE), by the
    same Hadamard H: (Q H)(K H)^T = Q K^T. Nothing is folded; this is what a
    quantized KV cache needs (QuaRot R3).

    Before:
    ```mlir
    %y = nn.matmul %h, %w_down : tensor<16x1376xf32>, tensor<1376x64xf32>
    ```
    After:
    ```mlir
    %r = qc.rotate %h by #qc.hadamard<1376, seed = 1> along 1 : tensor<16x1376xf32>
    %y = nn.matmul %r, %w_down_rotated : tensor<16x1376xf32>, tensor<1376x64xf32>
    ```
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", "1",
           "Seed of the random signs of the Hadamard matrices">,
    Option<"allLayers", "all", "bool", "false",
           "Also rotate the inputs of layers that read a normalization">,
    Option<"block", "block", "int64_t", "0",
           "Block-diagonal Hadamard of this order (0: full)">,
    Option<"permute", "permute", "bool", "false",
           "MixQuant: permute the input channels first (MassDiff on the "
           "calibrated mean |x|), folded into the producers">,
    Option<"queryKey", "qk", "bool", "false",
           "Also rotate queries and keys (after RoPE) before the attention "
           "scores (QuaRot R3)">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def GPTQ : Pass<"qc-gptq", "::mlir::func::FuncOp"> {
  let summary = "GPTQ weight quantization with the calibrated input Hessians.";
  let description = [{
    Quantizes the constant weight W (K x N) of every linear layer with GPTQ
    (Frantar et al., ICLR 2023): input channels are quantized one at a time
    (rounding to nearest with the scales of `qc.compute_scales`, or of the
    clip-ratio search of `--qc-quantize-weights scale=mse`, computed from
    the original weight), and the rounding error of channel i, divided
    by U[i, i], is subtracted from the channels not yet quantized with
    weights U[i, j], where U is the upper Cholesky factor of (H + lambda
    I)^-1, H = X^T X / rows the layer's `qc.hessian` from `--qc-calibrate
    hessian=true`, and lambda = `damp` times the mean of diag(H). Updates
    are applied lazily in blocks of `block` channels. With `act-order`,
    channels are processed in order of decreasing H[i, i] (the group scales
    stay those of the original channel order, "static groups"). Inputs that
    are always zero get zero weights.

    The result has the same form as `--qc-quantize-weights` (constant codes,
    constant scales, `qc.dequantize`), with the same formats and
    granularities. A layer without a Hessian is an error; the Hessian
    attribute is removed once used. A convolution with a patch Hessian
    (one group) is quantized the same way, its weight [M, C, kH, kW] read
    as W^T with K = C * kH * kW; convolutions without one (grouped, or not
    calibrated with `hessian=true`) and those with weight groups (`group`,
    MX / NVFP4 blocks along C) are quantized with round-to-nearest, with a
    remark naming each. Layers calibrated on fewer token rows than they
    have inputs (the `rows` of `qc.calibration`, or `hessian_rows` for a
    convolution, below K: a rank-deficient
    Hessian, which GPTQ fits to the calibration tokens) get one warning
    naming the first of them and their count.

    `accumulator-bits=P` / `accumulator-input` (as `--qc-quantize-weights`;
    after AXE, Colbert et al. 2024): the channel scales are first fitted as
    `--qc-quantize-weights` fits them (so round-to-nearest codes would fit);
    then every output channel keeps the budget of a P-bit accumulator over
    inputs in the range of `accumulator-input`. Each input channel's code
    is rounded, then clamped to what the budget can still afford for every
    input, and the clamping error is spread over the later channels like a
    rounding error (the channels processed first, with act-order the most
    important, are served first). Afterwards no input can overflow the
    accumulator. Clamping alone, on the unfitted scales, starves the last
    channels: on the jet-tagging MLP at W8A8 and P = 16 it gave 0.22
    relative L2 error against 0.018 with the fitted scales
    (`bench/accumulator_accuracy.py`, docs/Performance.md). Convolutions
    rounded to nearest get the scale fitting only.
  }];
  let options = [
    Option<"format", "format", "std::string", "\"int4\"",
           "Weight format (as --qc-quantize-weights)">,
    Option<"group", "group", "int64_t", "0",
           "Elements per scale along K (0: per channel; MX and NVFP4 default "
           "to their block size)">,
    Option<"asymmetric", "asymmetric", "bool", "false",
           "Asymmetric scales for integer formats">,
    Option<"scale", "scale", "std::string", "\"absmax\"",
           "Scale rule (as --qc-quantize-weights): absmax or mse">,
    Option<"blockSize", "block", "int64_t", "128",
           "Channels per lazy-update block">,
    Option<"actOrder", "act-order", "bool", "false",
           "Quantize channels in order of decreasing Hessian diagonal">,
    Option<"damp", "damp", "double", "0.01",
           "Dampening, relative to the mean Hessian diagonal">,
    Option<"accumulatorBits", "accumulator-bits", "int64_t", "0",
           "Signed accumulator width no input may overflow (0: none)">,
    Option<"accumulatorInput", "accumulator-input", "std::string", "\"int8\"",
           "Integer format whose code range the layers' inputs cover (for "
           "accumulator-bits)">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def FixedPointRequantize : Pass<"qc-fixed-point-requantize", "::mlir::func::FuncOp"> {
  let summary = "Integer-only requantization: qc.requantize as a multiplier and a shift.";
  let description = [{
    Rewrites every `qc.requantize` between integer formats (input of at most
    32 bits) whose scales are constant f32 (input per tensor or per axis,
    output per tensor) and whose zero points are per tensor into
    `qc.rescale`: the ratio m = s_in[c] / s_out of each input channel is
    written m' * 2^e with m' in [0.5, 1) and becomes multiplier =
    round(m' * 2^31) (in [2^30, 2^31)) and shift = 31 - e. This is the
    integer-only requantization of integer accelerators (gemmlowp, TFLite,
    TOSA RESCALE).

    It is an approximation of the float requantization, not a rewrite to
    the same bits: the multiplier carries 31 significant bits (relative
    error <= 2^-31 of the ratio), the product is exact where
    `qc.requantize` rounds dequantized values to f32 first, and ties round
    up instead of to even. Codes differ by at most one step, only where the
    exact product lies within those errors of a rounding boundary.

    A ratio with no multiplier (shift outside [0, 62]: m >= 2^31 or m <
    2^-31 * 2^-31, or not finite) is an error naming it. Requantizations
    with other forms (per-block scales, float formats, non-constant scales,
    other rounding modes) are left as they are.

    Example: `s_in = 0.01`, `s_out = 0.1` gives m = 0.1 = 0.8 * 2^-3,
    multiplier 1717986918 and shift 34.
  }];
  let statistics = [
    Statistic<"numRewritten", "requantizations", "qc.requantize ops rewritten to qc.rescale">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def IntegerLinear : Pass<"qc-integer-linear", "::mlir::func::FuncOp"> {
  let summary = "Compute fake-quantized linear layers and convolutions with integer weights as qc.linear / qc.conv.";
  let description = [{
    Rewrites `nn.matmul(qc.fake_quant(X), qc.dequantize(W))`, where both
    sides are integer codes, W [K, N] a `qc.constant` with one f32 scale per
    column or per tensor (symmetric) and X's scales constant along K (per
    tensor, or per token: one per row of the last axis), into an integer
    matmul on the codes followed by the two scales:

    ```mlir
    %xq  = qc.quantize %x, %sx : (...) -> !qc.qtensor<16x64, #qc.int<8>, ...>
    %acc = qc.linear %xq, %wt : (..., !qc.qtensor<32x64, #qc.int<8>, ...>) -> tensor<16x32xi32>
    %f   = nn.cast %acc to f32 : tensor<16x32xi32>
    %y0  = nn.mul %f, %sx : tensor<16x32xf32>, tensor<16x1xf32>
    %y   = nn.mul %y0, %sw : tensor<16x32xf32>, tensor<32xf32>
    ```

    This is what an integer kernel computes (the CPU lowering's VNNI
    GEMM): the same codes, summed exactly in 32 bits instead of rounding
    every product and partial sum to f32, so results differ from the
    fake-quantized graph in the last bits of f32. W is transposed to the
    [N, K] layout of `qc.linear` at compile time. Layers are left as they
    are where the 32-bit sum could overflow for some input (the exact range
    of an output channel's sums over every input code, as
    `--qc-minimize-accumulators` computes it, needs more than 32 bits),
    where W has zero points, a global scale
    or scales along K (groups), or where X's scales vary along K (MX and
    NVFP4 blocks). An asymmetric input (uint8 with static per-tensor scale
    and zero point) becomes `qc.linear`'s `input_zero_point`.

    Convolutions likewise: `nn.conv(qc.fake_quant(X), qc.dequantize(W), b)`
    with X scaled per tensor (static or dynamic) and W a symmetric
    `qc.constant` with one scale per output channel or per tensor becomes

    ```mlir
    %acc = qc.conv %xq, %w {pads = ...} : (...) -> tensor<1x16x8x8xi32>
    %f   = nn.cast %acc to f32 : tensor<1x16x8x8xi32>
    %y0  = nn.mul %f, %sx : tensor<1x16x8x8xf32>, tensor<f32>
    %y1  = nn.mul %y0, %sw : tensor<1x16x8x8xf32>, tensor<16x1x1xf32>
    %y   = nn.add %y1, %b : tensor<1x16x8x8xf32>, tensor<16x1x1xf32>
    ```

    (the weight codes stay in their [M, C/G, kH, kW] layout; the float
    bias is added after the scales, as in the float convolution).

    The sums are exact, but their last bits differ from the f32 sums of
    the fake-quantized graph, and where a later `qc.fake_quant` rounds a
    value that lies that close to a rounding boundary its code flips by
    one step: a model's outputs can then move by more than rounding (the
    outlier decoder, W4A8 GPTQ + Hadamard: 7e-4 relative L2 of the logits;
    W8A8: 2e-7). Run it (or `--qc-lower-to-cpu="integer-linear=true"`) to
    deploy a model as integer arithmetic; the interpreter and the compiled
    code then agree bit for bit on the rewritten module.
  }];
  let options = [
    Option<"convolutions", "convolutions", "bool", "true",
           "Also rewrite convolutions into qc.conv (--qc-lower-to-cpu's "
           "integer-linear=true does not: the f32 convolution kernel is "
           "faster than qc.conv's im2col into the int8 GEMM)">,
  ];
  let statistics = [
    Statistic<"numRewritten", "layers", "Linear layers and convolutions rewritten to qc.linear / qc.conv">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect"];
}

def IntegerRequantize : Pass<"qc-integer-requantize", "::mlir::func::FuncOp"> {
  let summary = "Integer-only requantization after qc.linear / qc.conv: the bias in the accumulator, the scales as qc.rescale.";
  let description = [{
    Between two integer layers `--qc-integer-linear` leaves the
    requantization in f32. This pass rewrites

    ```mlir
    %acc = qc.linear %xq, %w : (...) -> tensor<8x64xi32>
    %f   = nn.cast %acc to f32 : tensor<8x64xi32>
    %y0  = nn.mul %f, %sx : tensor<8x64xf32>, tensor<f32>
    %y   = nn.mul %y0, %sw : tensor<8x64xf32>, tensor<64xf32>
    %z   = nn.add %y, %b : tensor<8x64xf32>, tensor<64xf32>     // optional
    %r   = nn.relu %z : tensor<8x64xf32>                         // optional
    %q   = qc.quantize %r, %so : (...) -> !qc.qtensor<8x64, #qc.int<8>>
    ```

    into the integer arithmetic of integer accelerators (gemmlowp, TFLite,
    TOSA, FPGA dataflow designs):

    ```mlir
    %acc = qc.linear %xq, %w bias %bq : (...) -> tensor<8x64xi32>
    %q   = qc.rescale %acc, %m, %sh {axis = 1 : i64}
             : (tensor<8x64xi32>, tensor<64xi32>, tensor<64xi8>) -> !qc.qtensor<8x64, #qc.int<7, unsigned>>
    ```

    with, per output channel c, the accumulator scale s_c = sx * sw[c] (in
    double), the bias bq[c] = round(b[c] / s_c) (ties to even) and the
    ratio s_c / so as a multiplier and shift (`qc.rescale`). A ReLU is the
    rescale's saturation: after it a signed symmetric format's codes are
    0 .. 2^(w-1) - 1, those of the unsigned format one bit narrower (the
    result type, whose users must be `qc.linear` / `qc.conv` inputs or
    `qc.dequantize`s); an asymmetric one's zero point must be its lowest
    code (e.g. uint8 with zero point 0).

    `qc.conv` chains are rewritten the same way with the channels on axis
    1 (`qc.rescale {axis = 1}`); their per-channel scales and bias may be
    [M] constants reshaped to [M, 1, 1], as `--qc-integer-linear` writes
    them.

    The chain must be exactly this, each value used once: sx per tensor,
    sw and b per tensor or per output channel (f32 constants), a static
    per-tensor integer `qc.quantize` with nearest-even rounding. Layers
    whose accumulator could overflow with the bias (the exact range of a
    channel's sums over every input code, plus bq, needs more than 32
    bits; see `--qc-minimize-accumulators`) and other forms are left as
    they are; a ratio with no multiplier is an error naming the op.

    Like `--qc-fixed-point-requantize`, this approximates the float
    requantization rather than rewriting it to the same bits: the bias is
    rounded to the accumulator's step (an error of at most half a step),
    the ratio carries 31 significant bits, the product is exact where the
    float chain rounds four times, and ties round up. Codes move by at
    most one step, where the exact value lies within those errors of a
    rounding boundary.
  }];
  let statistics = [
    Statistic<"numRewritten", "layers", "requantizations rewritten to qc.rescale">
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def MinimizeAccumulators : Pass<"qc-minimize-accumulators", "::mlir::func::FuncOp"> {
  let summary = "Give every qc.linear and qc.conv the narrowest accumulator no input can overflow.";
  let description = [{
    For each `qc.linear` and `qc.conv` whose weight is a constant
    (`qc.constant` codes) and whose bias, if any, is a constant, computes
    per output channel n the exact range of the accumulator over every
    possible input (k runs over a convolution's C/G * kH * kW window
    terms; a padded position adds 0, which every range holds),

      acc_max[n] = b[n] + sum_k max(w[n,k] * xlo, w[n,k] * xhi)
      acc_min[n] = b[n] + sum_k min(w[n,k] * xlo, w[n,k] * xhi)

    where [xlo, xhi] is the range of the input codes minus the input zero
    point (the format's code range; with a zero point that is not a
    constant, the widest difference of two codes). The layer needs P =
    max_n ceil(log2(max(-acc_min, acc_max + 1)) + 1) bits: that is the
    "exact range" bound of accumulator-aware quantization, never larger
    than the data-type bound Bw + Bx + ceil(log2 K) and usually several
    bits smaller. A weight that is not a constant counts with its format's
    extreme codes.

    Where P is narrower than the accumulator, the result (and the bias)
    become P-bit integers; users other than `nn.cast` and `qc.rescale`
    (which take any width) read it through an `nn.cast` back to the old
    width. The values are the same for every input (the interpreter, the
    CPU target and the HLS emitter, whose `ap_int<P>` accumulators shrink
    with it). Where P is wider than the accumulator, some input overflows
    it: a warning names the layer and both widths, and the layer stays.

    Quantize with `--qc-quantize-weights` / `--qc-gptq`
    `accumulator-bits=P` (A2Q / AXE) to make a target width hold.
  }];
  let options = [
    Option<"minBits", "min-bits", "int64_t", "2",
           "Narrowest accumulator to give (2-64)">,
    Option<"multipleOf", "multiple-of", "int64_t", "1",
           "Round widths up to a multiple of this (e.g. 8 for byte-sized accumulators)">,
    Option<"remarks", "remarks", "bool", "false",
           "A remark per layer with its width, the data-type bound and the A2Q l1 norm">,
  ];
  let statistics = [
    Statistic<"numNarrowed", "narrowed", "qc.linear / qc.conv accumulators narrowed">,
    Statistic<"numBitsSaved", "bits-saved", "Accumulator bits saved, summed over layers">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

def LoadCalibration : Pass<"qc-load-calibration", "::mlir::func::FuncOp"> {
  let summary = "Apply a user-edited calibration table: ranges and per-layer formats.";
  let description = [{
    Reads the JSON table that `--qc-calibrate table=FILE` writes, after
    users have edited it, and applies its `layers` entries to the linear
    layers they match: `"name"` matches a node name exactly, `"regex"` a
    whole node name. An entry may set

    - activation ranges: `min`, `max`, `absmax`, `percentile`, `mse_clip`
      (into the layer's `qc.calibration`, which static activation
      quantization reads; `min` / `max` alone also set `absmax`);
    - `"weights"` and `"activations"`: a format name, or `"float"` to keep
      that side of the layer unquantized (as `qc.weights` /
      `qc.activations`, which `--qc-quantize-weights`, `--qc-gptq` and
      `--qc-quantize-activations` follow).

    ```json
    {"layers": [
      {"name": "MatMul_42", "min": -6.0, "max": 6.0},
      {"regex": "MatMul_1[0-9]+", "activations": "int8"},
      {"name": "lm_head", "weights": "float", "activations": "float"}
    ]}
    ```

    `first` and `last` set both formats of the first linear layers (those
    reading the first layer's input) and of the last one (e.g. the LM
    head). An entry that matches no layer, a bad regex, a non-numeric range
    or an unknown format is an error naming the entry.
  }];
  let options = [
    Option<"table", "table", "std::string", "",
           "JSON table to apply">,
    Option<"first", "first", "std::string", "",
           "Format of the first linear layers (a format name or float)">,
    Option<"last", "last", "std::string", "",
           "Format of the last linear layer (a format name or float)">
  ];
  let dependentDialects = ["::qc::QCDialect"];
}

def SmoothQuant : Pass<"qc-smooth-quant", "::mlir::func::FuncOp"> {
  let summary = "SmoothQuant: migrate activation outliers into the weights.";
  let description = [{
    For a group of linear layers reading the same activation X (K
    channels), divides channel j of X by

      s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)

    (max|X_j| from the readers' `qc.calibration` channel ranges, max|W_j|
    over row j of all the readers' weights) and multiplies row j of every
    reader's weight by s_j, so X W is unchanged while the activation
    outlier channels shrink (Xiao et al., ICML 2023). The division is
    folded into the op producing X, so nothing is added at run time:

    - a RMSNorm / LayerNorm over the last axis with constant gain (and
      bias): gain / s (and bias / s);
    - the product act(gate) * up of a gated MLP read by the down
      projection: the up projection's output columns / s.

    Groups whose readers are not all `nn.matmul` with constant [K, N]
    weights are left alone. The readers' calibration attributes are
    removed (they describe X, not X / s): calibrate again before static
    activation quantization or GPTQ. A reader without calibration is an
    error.
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5",
           "Migration strength in (0, 1)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def PTQPipeline : Pass<"qc-ptq-pipeline", "::mlir::ModuleOp"> {
  let summary = "Post-training quantization of an imported model in one step.";
  let description = [{
    Runs the quantization passes in the order the methods need them, with
    options named the way quantization engineers know them:

    ```
    quant-opt model.onnx --qc-ptq-pipeline="w=int4 a=int8 rotate=hadamard gptq=true calib=CALIB" -o q.mlir
    ```

    1. `--qc-nn-promote-half=widen=true` (a float16 / bfloat16 model is
       quantized in f32; its arguments and results keep their types), then
       `--qc-raise-decomposed-ops` (RMSNorm, LayerNorm, GELU chains) and,
       unless `fold-bn=false`, `--qc-fold-batch-norm` (BatchNormalization
       into the preceding convolutions' weights and biases);
    2. with `rotate=hadamard|orthogonal`: `--qc-fold-norm-gains`,
       `--qc-layernorm-to-rmsnorm` (pre-LayerNorm models),
       `--qc-rotate-residual` (QuaRot R1), `--qc-rotate-values` (R2, per
       head) and `--qc-online-hadamard` (the inputs of the attention output
       and MLP down projections), seeded by `seed`; `block=b` makes the
       residual and online Hadamards block-diagonal of order b.
       `rotate=mixquant` calibrates the float model first and permutes the
       channels of the residual stream and of the down projection inputs
       by MassDiff before block Hadamards of order `block` (32 by default);
    3. with `smoothquant=ALPHA`: `--qc-calibrate` and `--qc-smooth-quant`;
    4. when GPTQ or static activation scales need it: `--qc-calibrate` on
       the samples in `calib` (the first `samples` of them), with Hessians
       for GPTQ;
    5. with `table=FILE`, `first=` or `last=`: `--qc-load-calibration`
       (user-edited ranges and per-layer formats; `float` keeps a layer
       unquantized); with `w-bits=B`: `--qc-assign-formats` (each other
       layer's weight format from `w-candidates`, at most B bits per weight
       on average, the least output error on the calibration samples);
    6. weights (`w`): `--qc-gptq` with `gptq=true`, else RTN
       (`--qc-quantize-weights`), per channel or in groups of `w-group`;
       with `acc-bits=P` accumulator-aware (AXE with GPTQ, fitted channel
       scales with RTN): no input in the range of the activation format
       can overflow a P-bit accumulator of the layer's integer sums
       (`--qc-integer-linear` then `--qc-minimize-accumulators` give the
       layers accumulators of at most P bits);
    7. activations (`a`): `--qc-quantize-activations`, per-token dynamic
       scales unless `a-static=true`;
    8. `cse`, which merges the activation quantizers of layers that read the
       same tensor (q/k/v, gate/up).

    Formats are int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6,
    mxfp4, mxint8, nvfp4, or float (leave unquantized). With `w=float
    a=float` and a rotation the model computes the same function as the
    original up to float rounding. Unknown formats or rotations, a negative
    group, GPTQ or static scales without `calib`, and a missing calibration
    directory are errors.
  }];
  let options = [
    Option<"weights", "w", "std::string", "\"int8\"",
           "Weight format, or float">,
    Option<"activations", "a", "std::string", "\"float\"",
           "Activation format, or float">,
    Option<"weightGroup", "w-group", "int64_t", "0",
           "Weight elements per scale along K (0: per channel)">,
    Option<"weightBits", "w-bits", "double", "0",
           "Mixed precision: average bits per weight element (0: every "
           "layer in w)">,
    Option<"weightCandidates", "w-candidates", "std::string", "\"int4,int8\"",
           "Formats w-bits chooses from, comma-separated">,
    Option<"accumulatorBits", "acc-bits", "int64_t", "0",
           "Accumulator width the integer sums must fit (0: no bound; needs "
           "w and a in int8, int4, int2)">,
    Option<"weightScale", "w-scale", "std::string", "\"absmax\"",
           "Weight scale rule: absmax, or mse (clip ratio search per "
           "group)">,
    Option<"activationClip", "a-clip", "double", "1.0",
           "Clip ratio of dynamic activation scales, in (0, 1] (QuaRot uses "
           "0.9 at 4 bits)">,
    Option<"staticActivations", "a-static", "bool", "false",
           "Static per-tensor activation scales from calibration">,
    Option<"activationScale", "a-scale", "std::string", "\"absmax\"",
           "Static clipping rule: absmax, percentile or mse">,
    Option<"foldBatchNorm", "fold-bn", "bool", "true",
           "Fold BatchNormalization into the preceding convolutions before "
           "quantizing (--qc-fold-batch-norm)">,
    Option<"rotate", "rotate", "std::string", "\"none\"",
           "none, hadamard, orthogonal, mixquant, or FILE.npy (a user "
           "rotation of the residual stream, e.g. learned SpinQuant R1)">,
    Option<"block", "block", "int64_t", "0",
           "Block-diagonal Hadamard of this order for rotate=hadamard (0: "
           "full) and rotate=mixquant (0: 32)">,
    Option<"gptq", "gptq", "bool", "false",
           "Quantize weights with GPTQ instead of round-to-nearest">,
    Option<"actOrder", "act-order", "bool", "false",
           "GPTQ in activation order">,
    Option<"smoothQuant", "smoothquant", "double", "0",
           "SmoothQuant migration strength alpha (0: off)">,
    Option<"calib", "calib", "std::string", "",
           "Calibration directory DIR/<sample>/<input>.npy">,
    Option<"samples", "samples", "int64_t", "0",
           "Calibration samples to use (0: all)">,
    Option<"seed", "seed", "uint64_t", "1",
           "Seed of the rotations">,
    Option<"queryKey", "qk-rotate", "bool", "false",
           "Also rotate queries and keys after RoPE at run time (R3)">,
    Option<"table", "table", "std::string", "",
           "Calibration table (JSON) with ranges and per-layer formats to "
           "apply after calibration">,
    Option<"first", "first", "std::string", "",
           "Format of the first linear layers (a format or float)">,
    Option<"last", "last", "std::string", "",
           "Format of the last linear layer, e.g. the LM head (a format or "
           "float)">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_TD

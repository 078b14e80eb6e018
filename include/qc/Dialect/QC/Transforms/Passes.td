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

def RotateResidual : Pass<"qc-rotate-residual", "::mlir::func::FuncOp"> {
  let summary = "Fold an orthogonal rotation of the residual stream into the weights (QuaRot / SpinQuant R1).";
  let description = [{
    Finds the residual stream of a pre-norm transformer on the nn graph and
    rotates it by an orthogonal Q (x -> x Q), folding Q into the weights so
    the model computes the same function while outlier channels of the
    stream are spread over all channels (which is what makes low-bit
    quantization of the stream's readers work):

    - sources, whose rows are multiplied by Q: the embedding table of the
      `nn.gather` that starts the stream (a constant per-channel `nn.mul`
      right after it is folded into the table first), the constant weights
      (K x D) of `nn.matmul` outputs added into the stream (attention output
      and MLP down projections) and constant addends;
    - the stream flows through `nn.add` and `nn.rms_norm` with unit gain
      (RMSNorm commutes with orthogonal matrices; run
      `--qc-fold-norm-gains` first);
    - sinks, whose weights W (D x N) become Q^T W: every `nn.matmul` reading a
      norm of the stream (q/k/v, gate/up projections, the LM head).

    Q is a randomized Hadamard matrix `#qc.hadamard<D, seed = S>` when D =
    K * 2^m for a known base order K, otherwise (or with
    `rotation=orthogonal`) a random orthogonal matrix from the QR
    decomposition of a Gaussian matrix drawn from `seed`. A stream that
    reaches anything else (a LayerNorm, a norm with a gain, a non-constant
    weight, the function's results) is left unrotated with a remark naming
    the op that blocks it.
  }];
  let options = [
    Option<"rotation", "rotation", "std::string", "\"hadamard\"",
           "hadamard (random orthogonal where D has no Hadamard order) or "
           "orthogonal">,
    Option<"seed", "seed", "uint64_t", "1",
           "Seed of the random signs / the random orthogonal matrix">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
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

    Weights that are not constants, batched (rank > 2) matmul operands and
    1-element weights are left alone. A group size that does not divide the
    reduction dimension of a layer is an error naming the layer.

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
           "Asymmetric (min/max, zero point) scales for integer formats">
  ];
  let dependentDialects = ["::qc::QCDialect", "::qc::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QC_DIALECT_QC_TRANSFORMS_PASSES_TD

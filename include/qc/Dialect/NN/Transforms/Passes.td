//===- Passes.td - nn transformation passes ----------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Passes over the nn graph dialect.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_NN_TRANSFORMS_PASSES_TD
#define QC_DIALECT_NN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RaiseDecomposedOps : Pass<"qc-raise-decomposed-ops", "::mlir::func::FuncOp"> {
  let summary = "Raise decomposed RMSNorm, LayerNorm and GELU subgraphs and flattened linear layers to nn ops.";
  let description = [{
    Exporters (torch.onnx, older opsets) emit normalizations and GELU as
    elementwise chains. Quantization passes must see them as one op (to fold
    norm gains into the following linear layers, to find rotation regions),
    so this pass raises, with the epsilon and gain of the chain:

    - `x * 1/sqrt(mean(x^2) + eps) * w` (also `x / sqrt(...)`,
      `reciprocal(sqrt(...))`, `mul(x, x)` for the square) to
      `nn.rms_norm`;
    - `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * g + b` to
      `nn.layer_norm`;
    - `x * 0.5 * (1 + erf(x / sqrt 2))` in any association of the products
      to `nn.gelu`, and `x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 *
      x^3)))` (torch's `gelu(approximate='tanh')`, Hugging Face's
      `gelu_new`) to `nn.gelu {approximate = "tanh"}`;
    - a linear layer over flattened tokens, `reshape(gemm(reshape(x :
      [d..., K] -> [T, K]), w, b) -> [d..., N])` (torch's addmm, Hugging
      Face's Conv1D in GPT-2) with alpha = 1, no transA and a row bias (beta
      = 1), to `nn.matmul(x, w)` plus an `nn.add` of the bias on x's own
      shape (a transposed constant weight as the transposed constant);
      without the reshapes the gemm alone;
    - reshapes to the shape they have to their input, and transposes of
      constant f32 matrices (a head tied to the embedding table) to
      constants.

    Reductions must run over the last axis with keepdims, epsilons must be
    scalar constants and gains constants that broadcast to the normalized
    dimension; anything else is left alone. Intermediate values with other
    users are kept.

    Before:
    ```mlir
    %sq = nn.pow %x, %two : tensor<2x64xf32>, tensor<f32>
    %m = nn.reduce_mean %sq {axes = array<i64: -1>} : tensor<2x64xf32>
    %v = nn.add %m, %eps : tensor<2x1xf32>, tensor<f32>
    %s = nn.sqrt %v : tensor<2x1xf32>
    %r = nn.div %one, %s : tensor<f32>, tensor<2x1xf32>
    %n = nn.mul %x, %r : tensor<2x64xf32>, tensor<2x1xf32>
    %y = nn.mul %n, %g : tensor<2x64xf32>, tensor<64xf32>
    ```
    After:
    ```mlir
    %y = nn.rms_norm %x, %g {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32>
    ```
  }];
  let dependentDialects = ["::qc::nn::NNDialect", "::mlir::arith::ArithDialect"];
}

def FoldBatchNorm : Pass<"qc-fold-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference BatchNormalization into the preceding convolution's weights and bias.";
  let description = [{
    `nn.batch_norm(nn.conv(x, W, b), scale, bias, mean, var)` with constant
    f32 parameters, where the convolution has no other user, becomes one
    convolution with, per output channel m and s = scale[m] /
    sqrt(var[m] + epsilon),

      W'[m, ...] = W[m, ...] * s,   b'[m] = (b[m] - mean[m]) * s + bias[m]

    computed in double and rounded once to f32 (a convolution without a
    bias gets one). The result equals the two ops up to f32 rounding (the
    normalization rounded per element before, the folded weights now). Run
    before weight quantization (`--qc-ptq-pipeline` does, unless
    `fold-bn=false`), so that the quantizers see the weights the layer
    applies, as PTQ tools do; the deployed model then has no per-element
    normalization (a division and a square root per element in an HLS
    design).

    Before:
    ```mlir
    %y = nn.conv %x, %w, %b : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>
    %z = nn.batch_norm %y, %s, %t, %m, %v : tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    ```
    After:
    ```mlir
    %z = nn.conv %x, %w2, %b2 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::qc::nn::NNDialect", "::mlir::arith::ArithDialect"];
}

def PromoteHalf : Pass<"qc-nn-promote-half"> {
  let summary = "Compute float16 / bfloat16 nn ops in f32, rounding each "
                "result once.";
  let description = [{
    An nn op on float16 or bfloat16 tensors means the same op on the values
    widened to f32, its result rounded once to the narrow type (to nearest
    even); the interpreter computes it that way. Elementwise arithmetic is
    then correctly rounded, and contractions, reductions, normalizations
    and softmax accumulate in f32 (reductions in f64, as for f32 tensors)
    rather than rounding every partial sum to 11 or 8 bits, which is also
    what onnxruntime's and PyTorch's CPU kernels do.

    This pass makes it explicit for the lowering (`--qc-convert-nn-to-linalg`
    runs it first): every nn op with a float16 or bfloat16 operand or result,
    except `nn.cast` and data movement (`nn.reshape`, `nn.transpose`,
    `nn.expand`, `nn.concat`, `nn.split`, `nn.slice`, `nn.gather`,
    `nn.trilu`, `nn.where`: exact in any type), is recreated on f32
    operands: narrow operands are widened by `nn.cast`, constants (dense or
    resource blobs) are converted at compile time so that constant weights
    reach the f32 matmul kernel, and each narrow result is rounded back by
    an `nn.cast`. Comparisons keep their i1 results.

    Example:
    ```mlir
    %y = nn.matmul %x, %w : tensor<4x64xf16>, tensor<64x32xf16>
    ```
    with `%w` a constant becomes
    ```mlir
    %w32 = arith.constant dense<...> : tensor<64x32xf32>
    %x32 = nn.cast %x to f32 : tensor<4x64xf16>
    %y32 = nn.matmul %x32, %w32 : tensor<4x64xf32>, tensor<64x32xf32>
    %y = nn.cast %y32 to f16 : tensor<4x32xf32>
    ```
  }];
  let options = [
    Option<"widen", "widen", "bool", "false",
           "Compute the whole graph in f32: data movement is widened too and "
           "round trips through float16 / bfloat16 inside the graph are "
           "dropped (function arguments and results keep their types); the "
           "first step of --qc-ptq-pipeline">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // QC_DIALECT_NN_TRANSFORMS_PASSES_TD

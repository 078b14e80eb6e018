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
  let summary = "Raise decomposed RMSNorm, LayerNorm and GELU subgraphs to nn ops.";
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
      to `nn.gelu`.

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

#endif // QC_DIALECT_NN_TRANSFORMS_PASSES_TD

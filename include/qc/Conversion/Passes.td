//===- Passes.td - QuantC conversion passes ----------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Lowerings from the graph dialects (nn, qc) to upstream dialects.
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_TD
#define QC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"qc-convert-nn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower nn ops to linalg, tensor, arith and math on tensors.";
  let description = [{
    Every nn op with static shapes and f32, signless-integer or i1 elements
    becomes destination-style tensor code:

    - elementwise ops (unary, binary with numpy broadcasting, `nn.where`,
      `nn.cast`, `nn.clip`, `nn.gelu`, ...) become one `linalg.generic` each,
      with broadcasting expressed in the indexing maps (no materialized
      broadcasts);
    - `nn.matmul` (batch dimensions broadcast, 1-D operands promoted) and
      `nn.gemm` become contractions, `nn.conv` a padded `linalg.generic`
      convolution (groups in the indexing maps), pooling a padded window
      reduction (average pooling divides by per-position counts computed at
      compile time);
    - reductions, softmax / log-softmax and the normalizations become
      reductions with `keepdims` shapes followed by elementwise generics,
      computed as the interpreter defines them (maximum subtracted before
      `exp`; biased variance);
    - data movement becomes `tensor` ops (`collapse_shape` / `expand_shape`,
      `extract_slice`, `insert_slice`) or `linalg.transpose`; gathers,
      negative-step slices and `nn.trilu` index with `linalg.index`.

    Float semantics match the interpreter up to rounding (f32 arithmetic in
    a different order); integer ops wrap at their width where the
    interpreter computes in 64 bits. An op this pass cannot lower (dynamic
    shapes, f16/bf16/f64 or unsigned element types) gets an error
    naming the op and the reason; the module is left unchanged.

    Example:
    ```mlir
    %y = nn.add %a, %b : tensor<2x8xf32>, tensor<8xf32>
    ```
    becomes
    ```mlir
    %e = tensor.empty() : tensor<2x8xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<2x8xf32>, tensor<8xf32>) outs(%e : tensor<2x8xf32>) {
    ^bb0(%x: f32, %z: f32, %o: f32):
      %s = arith.addf %x, %z : f32
      linalg.yield %s : f32
    } -> tensor<2x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def ConvertQCToLinalg : Pass<"qc-convert-qc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qc ops with integer formats to linalg on storage tensors.";
  let description = [{
    Quantized tensors become their storage tensors (one signless integer of
    the format's width per element) and:

    - `qc.constant` becomes an `arith.constant` of the codes;
    - `qc.dequantize` becomes fl32(fl32(q - zp) * s) in one `linalg.generic`
      whose indexing maps pick the scale (and zero point) of each element's
      group (per tensor, per axis, per block);
    - `qc.quantize` and `qc.fake_quant` compute fl32(x / s), round half to
      even (`math.roundeven`), add the zero point and saturate, exactly as
      the numerics library; `qc.fake_quant` dequantizes in the same body;
    - `qc.compute_scales` (f32 scales, symmetric or asymmetric) reduces the
      absolute maximum (or min and max) per group and applies the rules of
      the op;
    - `qc.rotate` by a (block) Hadamard rotation becomes the fast
      Walsh-Hadamard transform, log2(2^m) butterfly stages of one
      `linalg.generic` each plus one K x K stage for non-power-of-two
      orders (O(n log n + nK)); permutations become gathers and dense
      orthogonal rotations a contraction with the constant matrix.

    Integer codes are bit-exact with the interpreter. Formats without a
    CPU lowering yet (minifloats, MX and NVFP4 scale formats, fixed point,
    non-nearest-even rounding, `qc.requantize`, `qc.linear`) get an error
    naming the op and the format.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // QC_CONVERSION_PASSES_TD

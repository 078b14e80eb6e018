//===- QCOps.td - qc operations ----------------------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Quantize / dequantize, fake quantization, scale computation,
// requantization, rotations and the integer linear layer.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCOPS_TD
#define QC_DIALECT_QC_IR_QCOPS_TD

include "qc/Dialect/QC/IR/QCTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

def QC_AnyQTensor : Type<CPred<"::llvm::isa<::qc::QTensorType>($_self)">,
                         "quantized tensor", "::qc::QTensorType">;
def QC_FloatTensor : RankedTensorOf<[F32]>;
def QC_ScaleTensor : RankedTensorOf<[F32, I8, I16]>;
def QC_ZeroPointTensor : RankedTensorOf<[I32]>;
def QC_GlobalScale : 0DTensorOf<[F32]>;

def QC_RotationAttr
    : Attr<CPred<"::llvm::isa<::qc::RotationAttrInterface>($_self)">,
           "rotation attribute"> {
  let storageType = "::qc::RotationAttrInterface";
  let returnType = "::qc::RotationAttrInterface";
  let convertFromStorage = "$_self";
}

def QC_QTensorTypeAttr : TypeAttrOf<QC_AnyQTensor>;

//===----------------------------------------------------------------------===//
// qc.constant
//===----------------------------------------------------------------------===//

def QC_ConstantOp : QC_Op<"constant", [ConstantLike, Pure]> {
  let summary = "Constant quantized tensor.";
  let description = [{
    A quantized tensor whose codes are known: `value` holds one signless
    integer of the format's width per element (the type's storage type).
    Folding `qc.quantize` of constants produces it.

    Constraints:
    (C1) the type of `value` is the result's storage type.

    Example:
    ```mlir
    %q = qc.constant dense<[1, -2, 7]> : tensor<3xi4> : !qc.qtensor<3, #qc.int<4>>
    ```
  }];
  let arguments = (ins AnyIntElementsAttr:$value);
  let results = (outs QC_AnyQTensor:$result);
  let assemblyFormat = "$value attr-dict `:` qualified(type($result))";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qc.unpack
//===----------------------------------------------------------------------===//

def QC_UnpackOp : QC_Op<"unpack", [Pure]> {
  let summary = "Views bytes holding two 4-bit codes each as a quantized tensor.";
  let description = [{
    Codes of a 4-bit format stored two per byte along the last axis, the
    lower nibble first: code[..., 2j] = bytes[..., j] & 0xF and
    code[..., 2j + 1] = bytes[..., j] >> 4 (the layout of packed int4 /
    FP4 weight files). This is how compiled code takes packed weights as
    arguments: `qc.dequantize` of it feeding a matmul reads the bytes in
    place (`--qc-x86-fuse-weight-only`).

    Constraints:
    (C1) the result's format has 4 bits.
    (C2) the input has the result's shape with the last dimension halved
         (the result's last dimension is even).

    Example:
    ```mlir
    %w = qc.unpack %bytes : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.int<4>>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input);
  let results = (outs QC_AnyQTensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` qualified(type($result))
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qc.codes
//===----------------------------------------------------------------------===//

def QC_CodesOp : QC_Op<"codes", [Pure]> {
  let summary = "The codes of an integer-format quantized tensor as integers.";
  let description = [{
    y[i] = the integer that code[i] stands for (sign-extended for a signed
    format): the ONNX view of a quantized tensor (an int8 / uint8 / int16 /
    uint16 tensor), which integer ops such as `nn.matmul_integer` consume.
    The importer inserts it where a QOperator node (QLinearMatMul,
    MatMulInteger) reads the output of QuantizeLinear. The bits do not
    change: lowered, it is its input.

    Constraints:
    (C1) the input has an integer format of 8, 16, 32 or 64 bits.
    (C2) the result has the input's shape and an integer element type of the
         format's width, unsigned (`ui`) for an unsigned format and
         signless for a signed one (nn's convention for ONNX's types);
         after `--qc-nn-signless`, signless for both.

    Example:
    ```mlir
    %c = qc.codes %q : !qc.qtensor<4x64, #qc.int<8, unsigned>> -> tensor<4x64xui8>
    ```
  }];
  let arguments = (ins QC_AnyQTensor:$input);
  let results = (outs RankedTensorOf<[AnyInteger]>:$result);
  let assemblyFormat = [{
    $input attr-dict `:` qualified(type($input)) `->` type($result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qc.quantize / qc.dequantize / qc.fake_quant
//===----------------------------------------------------------------------===//

def QC_QuantizeOp : QC_Op<"quantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "Quantizes a float tensor to codes of a format.";
  let description = [{
    For every element x with scale group g: s = scales[g] (f32 scales) or
    s = fl32(decode(scales[g]) * global_scale) (minifloat scale codes; the
    global scale defaults to 1). Integers: q = sat(round(fl32(x / s)) +
    zero_points[g]) (round first, then add the zero point, as ONNX
    QuantizeLinear); fixed point and minifloats: q = encode(fl32(x / s)) with
    the format's overflow policy. Rounding is `rounding` (default
    nearest_even); stochastic rounding draws element i's bits from
    (`seed`, i). NaN quantizes to the zero point for integers and as the
    format defines for minifloats.

    Constraints:
    (C1) input and result have the same shape.
    (C2) `scales` has the result type's scale type.
    (C3) `zero_points` is present iff the scheme is asymmetric, with the zero
         point type.
    (C4) `global_scale` only with a minifloat scale format.

    Example:
    ```mlir
    %q = qc.quantize %x, %s : (tensor<4x64xf32>, tensor<4x2xi8>)
           -> !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>,
                #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_ScaleTensor:$scales,
                       Optional<QC_ZeroPointTensor>:$zero_points,
                       Optional<QC_GlobalScale>:$global_scale,
                       DefaultValuedAttr<QC_RoundingAttr,
                           "::qc::RoundingMode::nearest_even">:$rounding,
                       DefaultValuedAttr<I64Attr, "0">:$seed);
  let results = (outs QC_AnyQTensor:$result);
  let assemblyFormat = [{
    $input `,` $scales (`zero_points` $zero_points^)?
    (`global_scale` $global_scale^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QC_DequantizeOp : QC_Op<"dequantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "Maps codes back to float values.";
  let description = [{
    Integers: fl32(fl32(q - zero_points[g]) * s); fixed point and minifloats:
    fl32(decode(q) * s), with s as in `qc.quantize`. Exact inverse of the
    code grid: dequantize(quantize(x)) is x rounded to the format.

    Constraints:
    (C1) input and result have the same shape.
    (C2) `scales` has the input type's scale type.
    (C3) `zero_points` is present iff the scheme is asymmetric.
    (C4) `global_scale` only with a minifloat scale format.

    Example:
    ```mlir
    %y = qc.dequantize %q, %s : (!qc.qtensor<4x64, #qc.int<8>>, tensor<f32>) -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins QC_AnyQTensor:$input, QC_ScaleTensor:$scales,
                       Optional<QC_ZeroPointTensor>:$zero_points,
                       Optional<QC_GlobalScale>:$global_scale);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scales (`zero_points` $zero_points^)?
    (`global_scale` $global_scale^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QC_FakeQuantOp : QC_Op<"fake_quant", [Pure, AttrSizedOperandSegments]> {
  let summary = "Quantize then dequantize, staying in float.";
  let description = [{
    dequantize(quantize(x)) under the format and scheme of `quant_type`,
    without materializing codes: the float value of the nearest code (in the
    rounding mode), as quantization-aware graphs and Q/DQ exports use it.

    Constraints:
    (C1) input, result and `quant_type` have the same shape.
    (C2)-(C4) as `qc.quantize` for the scale operands.

    Example:
    ```mlir
    %y = qc.fake_quant %x, %s as !qc.qtensor<8x16, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
           : (tensor<8x16xf32>, tensor<8xf32>) -> tensor<8x16xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_ScaleTensor:$scales,
                       Optional<QC_ZeroPointTensor>:$zero_points,
                       Optional<QC_GlobalScale>:$global_scale,
                       QC_QTensorTypeAttr:$quant_type,
                       DefaultValuedAttr<QC_RoundingAttr,
                           "::qc::RoundingMode::nearest_even">:$rounding,
                       DefaultValuedAttr<I64Attr, "0">:$seed);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scales (`zero_points` $zero_points^)?
    (`global_scale` $global_scale^)? `as` $quant_type attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QC_ComputeScalesOp : QC_Op<"compute_scales",
                               [Pure, AttrSizedResultSegments]> {
  let summary = "Computes scales from data (dynamic quantization).";
  let description = [{
    The scales (and zero points / global scale) that `qc.quantize` needs to
    quantize `input` to `quant_type`, by the rule its scheme implies:
    - f32 scales, symmetric: s = absmax(group) / max(format) (1 for an
      all-zero group);
    - f32 scales, asymmetric (integers): s = (max - min) / (qmax - qmin) over
      the group range widened to contain 0, zp = qmin - round(min / s);
    - E8M0 scales (OCP MX): shared_exp = floor(log2(absmax)) - emax_elem
      clamped to [-127, 127], code = shared_exp + 127, 0xFF (NaN) for a block
      holding NaN or infinity, code 0 for an all-zero block;
    - any other minifloat scale format (NVFP4: E4M3): global = absmax(x) /
      (max(format) * max(scale format)), code = encode_sat(fl32(absmax_b /
      max(format)) / global).

    With `clip` = c (a clip ratio in (0, 1], QuaRot's activation clipping)
    the rule applies to fl32(c * input) instead of the input (c rounded to
    f32): e.g. s = fl32(c * absmax) / max(format), so values beyond
    c * absmax saturate when quantized with these scales. Without `clip`
    the ratio is 1.

    Constraints:
    (C1) input and `quant_type` have the same shape.
    (C2) result 0 has the scale type; a zero-point result exists iff the
         scheme is asymmetric; a global-scale result exists iff the scale
         format is a minifloat other than E8M0.
    (C3) E8M0 scales need the per_block granularity.
    (C4) an asymmetric scheme has f32 scales.
    (C5) `clip` is in (0, 1].

    Example:
    ```mlir
    %s = qc.compute_scales %x for !qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>>
           : tensor<4x64xf32> -> tensor<4xf32>
    %c = qc.compute_scales %x for !qc.qtensor<4x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0, dynamic>> clip 9.000000e-01
           : tensor<4x64xf32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_QTensorTypeAttr:$quant_type,
                       OptionalAttr<F64Attr>:$clip);
  let results = (outs QC_ScaleTensor:$scales,
                      Optional<QC_ZeroPointTensor>:$zero_points,
                      Optional<QC_GlobalScale>:$global_scale);
  let assemblyFormat = [{
    $input `for` $quant_type (`clip` $clip^)? attr-dict `:` type($input)
    `->` type($scales)
    (`zero_points` type($zero_points)^)? (`global_scale` type($global_scale)^)?
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The clip ratio (1 without `clip`).
    double getClipRatio() { return getClip() ? getClip()->convertToDouble() : 1.0; }
  }];
}

def QC_RequantizeOp : QC_Op<"requantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "Re-expresses codes in another format or scale.";
  let description = [{
    quantize_out(dequantize_in(q)) with float32 arithmetic exactly as the two
    ops define it; both sides use f32 scales. Lowerings may implement it with
    an integer multiplier and shift where that is bit-exact.

    Constraints:
    (C1) input and result have the same shape.
    (C2) scales and zero points match each side's scheme, which uses f32
         scales.

    Example:
    ```mlir
    %r = qc.requantize %q, %s0 to %s1 : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>)
           -> !qc.qtensor<16, #qc.int<8>>
    ```
  }];
  let arguments = (ins QC_AnyQTensor:$input, QC_ScaleTensor:$input_scales,
                       Optional<QC_ZeroPointTensor>:$input_zero_points,
                       QC_ScaleTensor:$output_scales,
                       Optional<QC_ZeroPointTensor>:$output_zero_points,
                       DefaultValuedAttr<QC_RoundingAttr,
                           "::qc::RoundingMode::nearest_even">:$rounding);
  let results = (outs QC_AnyQTensor:$result);
  let assemblyFormat = [{
    $input `,` $input_scales (`zero_points` $input_zero_points^)? `to`
    $output_scales (`zero_points` $output_zero_points^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qc.rescale
//===----------------------------------------------------------------------===//

def QC_RescaleOp : QC_Op<"rescale", [Pure, AttrSizedOperandSegments]> {
  let summary = "Integer-only requantization by a multiplier and a shift.";
  let description = [{
    Re-expresses integers in an integer format with integer arithmetic only,
    as integer accelerators (and TOSA's RESCALE with 32-bit multipliers and
    single rounding) do. For every element x, with c its index along `axis`
    (or 0 without `axis`):

      v = (x - input_zero_point) * multiplier[c]      (64-bit)
      r = (v + 2^(shift[c] - 1)) >> shift[c]           (arithmetic shift)
      q = sat(r + output_zero_point)                   (the result format)

    i.e. q = round(x * multiplier * 2^-shift) with ties rounded up (towards
    +infinity), saturated. x is the value of a signless integer tensor of
    at most 32 bits read as signed (e.g. the accumulator of `qc.linear`) or
    of the codes of an integer `!qc.qtensor`. Shifts are used clamped to
    [0, 62] (no rounding term for 0). The product and the rounding term
    are two's complement 64-bit sums: exact unless |x - input_zero_point|
    * |multiplier| comes within 2^61 of 2^63.

    A float scale ratio m (e.g. s_x * s_w / s_y) becomes multiplier =
    round(m' * 2^31) and shift = 31 - e for m = m' * 2^e, m' in [0.5, 1)
    (`--qc-fixed-point-requantize` does this for `qc.requantize`).

    Constraints:
    (C1) input and result have the same shape; the input is a signless
         integer tensor of 2-32 bits or a quantized tensor of an integer
         format.
    (C2) the result has an integer format and a per_tensor scheme;
         `output_zero_point` is present iff it is asymmetric.
    (C3) `multiplier` (i32) and `shift` (i8) are both 0-d, or both 1-D of
         the size of dimension `axis` of the input.
    (C4) `input_zero_point` and `output_zero_point` are 0-d i32.

    Example:
    ```mlir
    %q = qc.rescale %acc, %m, %sh {axis = 1 : i64}
           : (tensor<4x16xi32>, tensor<16xi32>, tensor<16xi8>) -> !qc.qtensor<4x16, #qc.int<8>>
    ```
  }];
  let arguments = (ins AnyTypeOf<[QC_AnyQTensor,
                                  RankedTensorOf<[AnySignlessInteger]>]>:$input,
                       RankedTensorOf<[I32]>:$multiplier,
                       RankedTensorOf<[I8]>:$shift,
                       Optional<0DTensorOf<[I32]>>:$input_zero_point,
                       Optional<0DTensorOf<[I32]>>:$output_zero_point,
                       OptionalAttr<I64Attr>:$axis);
  let results = (outs QC_AnyQTensor:$result);
  let assemblyFormat = [{
    $input `,` $multiplier `,` $shift
    (`input_zero_point` $input_zero_point^)?
    (`output_zero_point` $output_zero_point^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// qc.rotate
//===----------------------------------------------------------------------===//

def QC_RotateOp : QC_Op<"rotate", [Pure, SameOperandsAndResultType]> {
  let summary = "Multiplies a tensor by a rotation along one axis.";
  let description = [{
    y[..., j, ...] = sum_i x[..., i, ...] R[i, j] along `axis`: every fibre
    along the axis, as a row vector, is multiplied by R. Hadamard rotations
    use the fast Walsh-Hadamard transform (O(n log n + n K)), never a dense
    product. Folds on constants; two rotations along the same axis compose,
    and a rotation followed by its transpose cancels.

    Constraints:
    (C1) 0 <= axis < rank.
    (C2) a static dimension along `axis` equals the rotation size.

    Example:
    ```mlir
    %y = qc.rotate %x by #qc.hadamard<64> along 1 : tensor<8x64xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_RotationAttr:$rotation,
                       I64Attr:$axis);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = [{
    $input `by` $rotation `along` $axis attr-dict `:` type($input)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// qc.linear
//===----------------------------------------------------------------------===//

def QC_LinearOp : QC_Op<"linear", [Pure, AttrSizedOperandSegments]> {
  let summary = "Integer linear layer with an explicit accumulator.";
  let description = [{
    acc[..., n] = bias[n] + sum_k (x[..., k] - zx) * w[n, k] over integer
    codes, computed in the result's P-bit signless integer accumulator with
    two's complement wrap-around (what hardware does on overflow; A2Q/AXE
    bounds make P large enough to exclude it). `input_zero_point` (0-d i32)
    is zx, 0 when absent. The weight layout is [out, in] as in torch Linear.
    Scales are applied outside the op (e.g. by `qc.requantize`).

    Constraints:
    (C1) input [..., K] and weight [N, K] share K; result is [..., N].
    (C2) both formats are integers; the weight scheme is symmetric.
    (C3) the accumulator (result element) is a signless integer of 2-64 bits.
    (C4) `bias` is [N] of the accumulator type.
    (C5) `input_zero_point` is present iff the input scheme is asymmetric,
         which then is per_tensor.

    Example:
    ```mlir
    %acc = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>>)
             -> tensor<2x16xi32>
    ```
  }];
  let arguments = (ins QC_AnyQTensor:$input, QC_AnyQTensor:$weight,
                       Optional<RankedTensorOf<[AnySignlessInteger]>>:$bias,
                       Optional<0DTensorOf<[I32]>>:$input_zero_point);
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`input_zero_point` $input_zero_point^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QC_ConvOp : QC_Op<"conv", [Pure, AttrSizedOperandSegments]> {
  let summary = "Integer 2-D convolution with an explicit accumulator.";
  let description = [{
    acc[n, m, i, j] = bias[m] + sum_{c, p, q} (x[n, g*C/G + c, i*s0 - pad0 +
    p*d0, j*s1 - pad1 + q*d1] - zx) * w[m, c, p, q] over integer codes, NCHW,
    computed in the result's P-bit signless integer accumulator with two's
    complement wrap-around, as `qc.linear` (its A2Q / AXE bounds and
    `--qc-minimize-accumulators` apply per output channel, over the
    C/G * kH * kW terms of a window). A position outside the input adds 0
    (the input is padded with its zero point, which a fake-quantized float
    convolution's zero padding dequantizes to). g = m floordiv (M / G). The
    window attributes are `nn.conv`'s; `input_zero_point` (0-d i32) is zx, 0
    when absent. Scales and a float bias are applied outside the op.

    `--qc-integer-linear` rewrites fake-quantized convolutions into it.

    Constraints:
    (C1) input [N, C, H, W] and weight [M, C/G, kH, kW]; the result is
         [N, M, oH, oW] with nn.conv's output size.
    (C2) both formats are integers; the weight scheme is symmetric.
    (C3) the accumulator (result element) is a signless integer of 2-64 bits.
    (C4) `bias` is [M] of the accumulator type.
    (C5) `input_zero_point` is present iff the input scheme is asymmetric,
         which then is per_tensor.
    (C6) strides and dilations are positive, pads non-negative; C and M are
         multiples of G.

    Example:
    ```mlir
    %acc = qc.conv %x, %w {pads = array<i64: 1, 1, 1, 1>}
             : (!qc.qtensor<1x8x16x16, #qc.int<8>>, !qc.qtensor<16x8x3x3, #qc.int<4>>)
             -> tensor<1x16x16x16xi16>
    ```
  }];
  let arguments = (ins QC_AnyQTensor:$input, QC_AnyQTensor:$weight,
                       Optional<RankedTensorOf<[AnySignlessInteger]>>:$bias,
                       Optional<0DTensorOf<[I32]>>:$input_zero_point,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs RankedTensorOf<[AnySignlessInteger]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`input_zero_point` $input_zero_point^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // QC_DIALECT_QC_IR_QCOPS_TD

//===- QCAttrs.td - qc attributes --------------------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Number formats, quantization schemes, rounding modes and rotations.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCATTRS_TD
#define QC_DIALECT_QC_IR_QCATTRS_TD

include "qc/Dialect/QC/IR/QCDialect.td"
include "qc/Dialect/QC/IR/QCInterfaces.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def QC_RoundingMode : I32EnumAttr<"RoundingMode", "rounding mode", [
    I32EnumAttrCase<"nearest_even", 0>,
    I32EnumAttrCase<"nearest_away", 1>,
    I32EnumAttrCase<"toward_zero", 2>,
    I32EnumAttrCase<"floor", 3>,
    I32EnumAttrCase<"ceil", 4>,
    I32EnumAttrCase<"stochastic", 5>]> {
  let cppNamespace = "::qc";
  let genSpecializedAttr = 0;
}

def QC_RoundingAttr : EnumAttr<QC_Dialect, QC_RoundingMode, "rounding"> {
  let summary = "How values between two codes are rounded.";
  let description = [{
    `nearest_even` (IEEE ties-to-even, the default everywhere),
    `nearest_away` (ties away from zero), `toward_zero`, `floor`, `ceil`, and
    `stochastic` (up with probability equal to the discarded fraction, from a
    counter-based generator seeded by the op's `seed`, so results are
    reproducible).

    Example: `#qc.rounding<stochastic>`
  }];
  let assemblyFormat = "`<` $value `>`";
}

def QC_Granularity : I32EnumAttr<"Granularity", "scale granularity", [
    I32EnumAttrCase<"per_tensor", 0>,
    I32EnumAttrCase<"per_axis", 1>,
    I32EnumAttrCase<"per_block", 2>]> {
  let cppNamespace = "::qc";
}

def QC_FloatSpecials : I32EnumAttr<"FloatSpecials",
                                   "non-finite codes of a minifloat", [
    I32EnumAttrCase<"ieee", 0>,
    I32EnumAttrCase<"fn", 1>,
    I32EnumAttrCase<"none", 2>,
    I32EnumAttrCase<"fnuz", 3>]> {
  let cppNamespace = "::qc";
}

//===----------------------------------------------------------------------===//
// Number formats
//===----------------------------------------------------------------------===//

class QC_Attr<string name, string mnemonicName, list<Trait> traits = []>
    : AttrDef<QC_Dialect, name, traits> {
  let mnemonic = mnemonicName;
}

def QC_IntFormatAttr : QC_Attr<"IntFormat", "int",
    [DeclareAttrInterfaceMethods<QC_FormatAttrInterface>]> {
  let summary = "Integer format of 1 to 32 bits.";
  let description = [{
    Two's complement (signed) or unsigned integers of `width` bits. Range:
    signed [-2^(w-1), 2^(w-1)-1], unsigned [0, 2^w-1]; `narrow` drops the
    most negative code (signed, giving a symmetric range) or the largest
    code (unsigned). Quantization rounds in the op's rounding mode and
    saturates to the range.

    Constraints:
    (C1) 1 <= width <= 32.
    (C2) a signed narrow format has width >= 2.

    Example: `#qc.int<4>`, `#qc.int<8, unsigned>`, `#qc.int<8, narrow>`
  }];
  let parameters = (ins "unsigned":$width, "bool":$isSigned, "bool":$narrow);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QC_FixedFormatAttr : QC_Attr<"FixedFormat", "fixed",
    [DeclareAttrInterfaceMethods<QC_FormatAttrInterface>]> {
  let summary = "Fixed-point format (ap_fixed style).";
  let description = [{
    `width` total bits of which `frac` are fractional: value = code *
    2^-frac, code an integer of the width (signed unless `unsigned`).
    Overflow saturates (AP_SAT) unless `wrap` (AP_WRAP, two's complement
    modulo 2^width); `narrow` makes a signed range symmetric (AP_SAT_SYM).

    Constraints:
    (C1) 1 <= width <= 32.
    (C2) 0 <= frac <= 64.
    (C3) `wrap` and `narrow` are exclusive.

    Example: `#qc.fixed<8, 4>`, `#qc.fixed<16, 8, unsigned, wrap>`
  }];
  let parameters = (ins "unsigned":$width, "int64_t":$frac, "bool":$isSigned,
                        "bool":$saturate, "bool":$narrow);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QC_FloatFormatAttr : QC_Attr<"FloatFormat", "float",
    [DeclareAttrInterfaceMethods<QC_FormatAttrInterface>]> {
  let summary = "Minifloat format eXmY.";
  let description = [{
    Sign (unless `unsigned`), `exp` exponent bits, `man` mantissa bits and a
    `bias`: value = (-1)^s 2^(e-bias) 1.m, subnormal 2^(1-bias) 0.m when
    e = 0. `specials` reserves codes: `ieee` (all-ones exponent: inf, NaN),
    `fn` (only the all-ones code is NaN, no inf), `none` (all finite),
    `fnuz` (the negative-zero code is the only NaN; no inf, no -0).
    `no_subnormals` removes subnormals (values round to zero or the smallest
    normal), `saturate` clamps overflow to the largest finite value instead
    of inf/NaN, `no_zero` makes the zero exponent an ordinary binade (E8M0).

    Named presets print as their name: `fp8e4m3fn`, `fp8e5m2`,
    `fp8e4m3fnuz`, `fp8e5m2fnuz`, `fp6e2m3fn`, `fp6e3m2fn`, `fp4e2m1fn`,
    `e8m0fnu`, `fp16`, `bf16`; others print as
    `e<exp>m<man>` with explicit options.

    Constraints:
    (C1) 1 <= exp <= 11 and 0 <= man <= 23.
    (C2) total width (sign + exp + man) <= 32.
    (C3) the format has at least one finite normal binade.
    (C4) a format without zero has no sign and no subnormals.

    Example: `#qc.float<fp8e4m3fn>`, `#qc.float<fp4e2m1fn, saturate>`,
    `#qc.float<e5m4, bias = 11, specials = none>`
  }];
  let parameters = (ins "unsigned":$exp, "unsigned":$man, "int64_t":$bias,
                        "::qc::FloatSpecials":$specials, "bool":$subnormals,
                        "bool":$saturate, "bool":$hasSign, "bool":$hasZero);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The Numerics description of this format.
    ::qc::num::FloatFormat getFloatFormat() const;
    /// Builds the attribute for a Numerics format.
    static FloatFormatAttr get(::mlir::MLIRContext *ctx,
                               const ::qc::num::FloatFormat &f);
  }];
}

//===----------------------------------------------------------------------===//
// Quantization scheme
//===----------------------------------------------------------------------===//

def QC_SchemeAttr : QC_Attr<"Scheme", "scheme"> {
  let summary = "How a quantized tensor shares and stores its scales.";
  let description = [{
    `per_tensor` (one scale), `per_axis` (one scale per index of `axis`) or
    `per_block` (one scale per `block` consecutive elements along `axis`,
    e.g. group-wise weights and OCP MX blocks of 32). The scale tensor has the
    tensor's shape with the axis dimension divided by the block size
    (per_block), only the axis dimension (per_axis), or is 0-d (per_tensor).

    `scale` is the storage format of the scales: absent means f32 scales; a
    minifloat (e.g. `#qc.float<e8m0fnu>` for MX, `#qc.float<fp8e4m3fn>` for
    NVFP4) means the scale operand holds i8 codes whose values, times an
    optional f32 global scale, are the scales. `asymmetric` adds i32 zero
    points (integer formats only). `dynamic` means the scales are computed
    from the data at run time by `qc.compute_scales` rather than calibrated.

    Constraints:
    (C1) axis >= 0.
    (C2) per_block has block >= 1; other granularities have no block.
    (C3) per_tensor has axis 0.
    (C4) a scale format has at most 16 bits.

    Example: `#qc.scheme<per_axis, axis = 0>`,
    `#qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>`
  }];
  let parameters = (ins "::qc::Granularity":$granularity, "int64_t":$axis,
                        "int64_t":$block,
                        OptionalParameter<"::qc::FloatFormatAttr">:$scaleFormat,
                        "bool":$asymmetric, "bool":$dynamic);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The per-tensor f32 symmetric static scheme.
    static SchemeAttr getPerTensor(::mlir::MLIRContext *ctx);
    /// The Numerics view of the granularity.
    ::qc::num::Scheme getNumericScheme() const;
    /// Shape of the scale tensor for a tensor of `shape` (dynamic dims stay
    /// dynamic).
    ::llvm::SmallVector<int64_t> getScaleShape(::llvm::ArrayRef<int64_t> shape) const;
  }];
}

//===----------------------------------------------------------------------===//
// Rotations
//===----------------------------------------------------------------------===//

def QC_HadamardAttr : QC_Attr<"Hadamard", "hadamard",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Normalized (randomized) Hadamard rotation of order K * 2^m.";
  let description = [{
    R = D * H_n / sqrt(n) with H_n = H_K (x) H_{2^m} for a base order K in
    {1, 12, 20, 28, 36, 40, 44, 52, 60, 108, 140, 152, 156, 172} (smallest K
    chosen) and D = diag(+-1) drawn from `seed` (D = I when seed is 0).
    Applied with log2(n / K) butterfly stages and one K x K product:
    O(n log n + n K).

    Constraints:
    (C1) size = K * 2^m for a base order K.

    Example: `#qc.hadamard<4096>`, `#qc.hadamard<11008, seed = 7>`
  }];
  let parameters = (ins "int64_t":$size, "uint64_t":$seed);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QC_BlockHadamardAttr : QC_Attr<"BlockHadamard", "block_hadamard",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Block-diagonal Hadamard rotation.";
  let description = [{
    R = I_{size/block} (x) (D_b * H_block / sqrt(block)): an independent
    (randomized) Hadamard of order `block` on each group of `block`
    consecutive channels (MixQuant). The same sign vector is used for every
    block.

    Constraints:
    (C1) block = K * 2^m for a base order K.
    (C2) block divides size.

    Example: `#qc.block_hadamard<4096, block = 32>`
  }];
  let parameters = (ins "int64_t":$size, "int64_t":$block, "uint64_t":$seed);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QC_PermutationAttr : QC_Attr<"Permutation", "permutation",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Permutation of channels.";
  let description = [{
    The permutation matrix P with P[perm[j], j] = 1, so (x * P)[j] =
    x[perm[j]]: output channel j takes input channel perm[j].

    Constraints:
    (C1) `perm` holds every index 0..n-1 exactly once.

    Example: `#qc.permutation<[2, 0, 1, 3]>`
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$perm);
  let assemblyFormat = "`<` `[` $perm `]` `>`";
  let genVerifyDecl = 1;
}

def QC_OrthogonalAttr : QC_Attr<"Orthogonal", "orthogonal",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Dense orthogonal matrix from a constant.";
  let description = [{
    A dense n x n matrix M (e.g. learned SpinQuant rotations, or a random
    orthogonal matrix where no Hadamard order exists); y = x * M.

    Constraints:
    (C1) `matrix` is a 2-D square f32 or f64 constant.
    (C2) M is orthogonal: |M^T (M v) - v| <= 1e-5 |v| for probe vectors v.

    Example: `#qc.orthogonal<dense<[[0.0, 1.0], [-1.0, 0.0]]> : tensor<2x2xf32>>`
  }];
  let parameters = (ins "::mlir::DenseFPElementsAttr":$matrix);
  let assemblyFormat = "`<` $matrix `>`";
  let genVerifyDecl = 1;
}

def QC_TransposeAttr : QC_Attr<"Transpose", "transpose",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Transpose (inverse) of a rotation.";
  let description = [{
    R^T, which is R^-1 for an orthogonal R. Canonicalization cancels a
    rotation followed by its transpose.

    Constraints:
    (C1) `rotation` implements RotationAttrInterface and is not itself a
    transpose (write the rotation instead).

    Example: `#qc.transpose<#qc.hadamard<64, seed = 3>>`
  }];
  let parameters = (ins "::mlir::Attribute":$rotation);
  let assemblyFormat = "`<` $rotation `>`";
  let genVerifyDecl = 1;
}

def QC_RotationSeqAttr : QC_Attr<"RotationSeq", "rotations",
    [DeclareAttrInterfaceMethods<QC_RotationAttrInterface>]> {
  let summary = "Composition of rotations.";
  let description = [{
    R = R_1 * R_2 * ... * R_k: applied to x left to right (x * R_1 first).

    Constraints:
    (C1) at least two rotations, each implementing RotationAttrInterface.
    (C2) all rotations have the same size.

    Example: `#qc.rotations<[#qc.permutation<[1, 0, 3, 2]>, #qc.block_hadamard<4, block = 2>]>`
  }];
  let parameters = (ins ArrayRefParameter<"::mlir::Attribute">:$rotations);
  let assemblyFormat = "`<` `[` $rotations `]` `>`";
  let genVerifyDecl = 1;
}

#endif // QC_DIALECT_QC_IR_QCATTRS_TD

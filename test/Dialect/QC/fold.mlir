// RUN: quant-opt %s -split-input-file -canonicalize | FileCheck %s

// Folding of qc ops on constants, through Support/Numerics. Exact values.

// x / 0.5 = [1, 3, -5, 600, -0.52] rounds half-even and saturates.
// CHECK-LABEL: func.func @quantize_int8
// CHECK: %[[Q:.*]] = qc.constant dense<[1, 3, -5, 127, -1]> : tensor<5xi8> : !qc.qtensor<5, #qc.int<8>>
// CHECK-NOT: qc.quantize
// CHECK: return %[[Q]]
func.func @quantize_int8() -> !qc.qtensor<5, #qc.int<8>> {
  %x = arith.constant dense<[0.5, 1.5, -2.5, 300.0, -0.26]> : tensor<5xf32>
  %s = arith.constant dense<0.5> : tensor<f32>
  %q = qc.quantize %x, %s : (tensor<5xf32>, tensor<f32>) -> !qc.qtensor<5, #qc.int<8>>
  return %q : !qc.qtensor<5, #qc.int<8>>
}

// -----

// ONNX order: round(x / s) first, then add the zero point.
// CHECK-LABEL: func.func @quantize_zero_point
// CHECK: qc.constant dense<[1, 3, 0]> : tensor<3xi8>
func.func @quantize_zero_point() -> !qc.qtensor<3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %x = arith.constant dense<[0.5, 1.5, -3.0]> : tensor<3xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %z = arith.constant dense<1> : tensor<i32>
  %q = qc.quantize %x, %s zero_points %z : (tensor<3xf32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %q : !qc.qtensor<3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// -----

// Per-axis int4: row 1 uses scale 0.5 and saturates 8 to 7.
// CHECK-LABEL: func.func @quantize_per_axis
// CHECK: qc.constant dense<{{\[\[}}1, 2], [6, 7]]> : tensor<2x2xi4>
func.func @quantize_per_axis() -> !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>> {
  %x = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %q = qc.quantize %x, %s : (tensor<2x2xf32>, tensor<2xf32>) -> !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  return %q : !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
}

// -----

// MXFP4 with E8M0 scale codes: block 0 scale 2^0 (2.5 -> 2.0, code 4),
// block 1 scale 2^1 (2.5 / 2 = 1.25 ties to 1.0, code 2).
// CHECK-LABEL: func.func @quantize_mx
// CHECK: qc.constant dense<{{\[\[}}4, 4, 4, 4], [2, 2, 2, 2]]> : tensor<2x4xi4>
func.func @quantize_mx() -> !qc.qtensor<2x4, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 4, scale = #qc.float<e8m0fnu>>> {
  %x = arith.constant dense<2.5> : tensor<2x4xf32>
  %s = arith.constant dense<[[127], [-128]]> : tensor<2x1xi8>
  %q = qc.quantize %x, %s : (tensor<2x4xf32>, tensor<2x1xi8>)
    -> !qc.qtensor<2x4, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 4, scale = #qc.float<e8m0fnu>>>
  return %q : !qc.qtensor<2x4, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 4, scale = #qc.float<e8m0fnu>>>
}

// -----

// CHECK-LABEL: func.func @dequantize_int4
// CHECK: arith.constant dense<[2.500000e-01, -5.000000e-01, 1.750000e+00]> : tensor<3xf32>
func.func @dequantize_int4() -> tensor<3xf32> {
  %q = qc.constant dense<[1, -2, 7]> : tensor<3xi4> : !qc.qtensor<3, #qc.int<4>>
  %s = arith.constant dense<0.25> : tensor<f32>
  %y = qc.dequantize %q, %s : (!qc.qtensor<3, #qc.int<4>>, tensor<f32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// E4M3 codes 0x38 = 1.0 and 0x7E = 448, scaled by 2.
// CHECK-LABEL: func.func @dequantize_fp8
// CHECK: arith.constant dense<[2.000000e+00, 8.960000e+02]> : tensor<2xf32>
func.func @dequantize_fp8() -> tensor<2xf32> {
  %q = qc.constant dense<[56, 126]> : tensor<2xi8> : !qc.qtensor<2, #qc.float<fp8e4m3fn>>
  %s = arith.constant dense<2.0> : tensor<f32>
  %y = qc.dequantize %q, %s : (!qc.qtensor<2, #qc.float<fp8e4m3fn>>, tensor<f32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// FP4: 0.3 -> 0.5 (subnormal quantum 0.5), -1.7 -> -1.5, 5.2 -> 6.
// CHECK-LABEL: func.func @fake_quant_fp4
// CHECK: arith.constant dense<[5.000000e-01, -1.500000e+00, 6.000000e+00]> : tensor<3xf32>
func.func @fake_quant_fp4() -> tensor<3xf32> {
  %x = arith.constant dense<[0.3, -1.7, 5.2]> : tensor<3xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %y = qc.fake_quant %x, %s as !qc.qtensor<3, #qc.float<fp4e2m1fn, saturate>> : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Rounding modes on 2.5: toward_zero 2, ceil 3, nearest_away 3.
// CHECK-LABEL: func.func @fake_quant_rounding
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK-DAG: arith.constant dense<3.000000e+00> : tensor<1xf32>
func.func @fake_quant_rounding() -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
  %x = arith.constant dense<2.5> : tensor<1xf32>
  %s = arith.constant dense<1.0> : tensor<f32>
  %a = qc.fake_quant %x, %s as !qc.qtensor<1, #qc.int<8>> {rounding = #qc.rounding<toward_zero>} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
  %b = qc.fake_quant %x, %s as !qc.qtensor<1, #qc.int<8>> {rounding = #qc.rounding<ceil>} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
  %c = qc.fake_quant %x, %s as !qc.qtensor<1, #qc.int<8>> {rounding = #qc.rounding<nearest_away>} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
  return %a, %b, %c : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
}

// -----

// absmax / 127 per row; an all-zero row gets scale 1.
// CHECK-LABEL: func.func @compute_scales_axis
// CHECK: arith.constant dense<[0.0157480314, 1.000000e+00]> : tensor<2xf32>
func.func @compute_scales_axis() -> tensor<2xf32> {
  %x = arith.constant dense<[[1.0, -2.0], [0.0, 0.0]]> : tensor<2x2xf32>
  %s = qc.compute_scales %x for !qc.qtensor<2x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>> : tensor<2x2xf32> -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

// clip 0.5: the rule applied to 0.5 * x. fl32(0.5 * 3.5) / 7 = 0.25; an
// all-zero row keeps scale 1. MX: max 0.5 * 6 = 3 -> floor(log2 3) - 2 = -1
// (code 126). Asymmetric uint8 over 0.5 * [-1, 3] = [-0.5, 1.5]: s = 2/255,
// zp = 0 - round(-0.5 / s) = 64.
// CHECK-LABEL: func.func @compute_scales_clip
// CHECK-DAG: arith.constant dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<126> : tensor<1xi8>
// CHECK-DAG: arith.constant dense<0.00784313772> : tensor<f32>
// CHECK-DAG: arith.constant dense<64> : tensor<i32>
func.func @compute_scales_clip() -> (tensor<2xf32>, tensor<1xi8>, tensor<f32>, tensor<i32>) {
  %x = arith.constant dense<[[3.5, -1.0], [0.0, 0.0]]> : tensor<2x2xf32>
  %s = qc.compute_scales %x for !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0, dynamic>> clip 0.5 : tensor<2x2xf32> -> tensor<2xf32>
  %m = arith.constant dense<[6.0, 1.0]> : tensor<2xf32>
  %e = qc.compute_scales %m for !qc.qtensor<2, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 2, scale = #qc.float<e8m0fnu>, dynamic>> clip 0.5
    : tensor<2xf32> -> tensor<1xi8>
  %a = arith.constant dense<[-1.0, 0.0, 3.0, 2.0]> : tensor<4xf32>
  %u, %z = qc.compute_scales %a for !qc.qtensor<4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric, dynamic>> clip 0.5
    : tensor<4xf32> -> tensor<f32> zero_points tensor<i32>
  return %s, %e, %u, %z : tensor<2xf32>, tensor<1xi8>, tensor<f32>, tensor<i32>
}

// -----

// OCP MX: max 6 -> floor(log2 6) - 2 = 0 (code 127); max 0.7 -> -1 - 2 = -3
// (code 124); a NaN block -> 0xFF (-1 as i8); a zero block -> code 0.
// CHECK-LABEL: func.func @compute_scales_mx
// CHECK: arith.constant dense<[127, 124, -1, 0]> : tensor<4xi8>
func.func @compute_scales_mx() -> tensor<4xi8> {
  %x = arith.constant dense<[6.0, 1.0, 0.7, -0.1, 0x7FC00000, 1.0, 0.0, 0.0]> : tensor<8xf32>
  %s = qc.compute_scales %x for !qc.qtensor<8, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 2, scale = #qc.float<e8m0fnu>, dynamic>>
    : tensor<8xf32> -> tensor<4xi8>
  return %s : tensor<4xi8>
}

// -----

// Asymmetric uint8 over [-1, 3]: s = 4/255, zp = 0 - round(-1 / s) = 64.
// CHECK-LABEL: func.func @compute_scales_asym
// CHECK-DAG: arith.constant dense<0.0156862754> : tensor<f32>
// CHECK-DAG: arith.constant dense<64> : tensor<i32>
func.func @compute_scales_asym() -> (tensor<f32>, tensor<i32>) {
  %x = arith.constant dense<[-1.0, 0.0, 3.0, 2.0]> : tensor<4xf32>
  %s, %z = qc.compute_scales %x for !qc.qtensor<4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric, dynamic>>
    : tensor<4xf32> -> tensor<f32> zero_points tensor<i32>
  return %s, %z : tensor<f32>, tensor<i32>
}

// -----

// NVFP4-style two-level scales: global = 6 / (6 * 448), block code 0x7E.
// CHECK-LABEL: func.func @compute_scales_nvfp4
// CHECK-DAG: arith.constant dense<126> : tensor<1xi8>
// CHECK-DAG: arith.constant dense<0.00223214296> : tensor<f32>
func.func @compute_scales_nvfp4() -> (tensor<1xi8>, tensor<f32>) {
  %x = arith.constant dense<[6.0, -3.0, 1.0, 0.5]> : tensor<4xf32>
  %s, %g = qc.compute_scales %x for !qc.qtensor<4, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 4, scale = #qc.float<fp8e4m3fn>, dynamic>>
    : tensor<4xf32> -> tensor<1xi8> global_scale tensor<f32>
  return %s, %g : tensor<1xi8>, tensor<f32>
}

// -----

// 1000 * 0.01 = 10 -> 10 / 0.1 = 100; -3 * 0.01 / 0.1 = -0.3 -> 0.
// CHECK-LABEL: func.func @requantize
// CHECK: qc.constant dense<[100, 0]> : tensor<2xi8> : !qc.qtensor<2, #qc.int<8>>
func.func @requantize() -> !qc.qtensor<2, #qc.int<8>> {
  %q = qc.constant dense<[1000, -3]> : tensor<2xi16> : !qc.qtensor<2, #qc.int<16>>
  %a = arith.constant dense<0.01> : tensor<f32>
  %b = arith.constant dense<0.1> : tensor<f32>
  %r = qc.requantize %q, %a to %b : (!qc.qtensor<2, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<2, #qc.int<8>>
  return %r : !qc.qtensor<2, #qc.int<8>>
}

// -----

// [1 2 3] . [1 1 1] + 10 = 16; [1 2 3] . [-1 2 -3] = -6.
// CHECK-LABEL: func.func @linear
// CHECK: arith.constant dense<{{\[\[}}16, -6]]> : tensor<1x2xi32>
func.func @linear() -> tensor<1x2xi32> {
  %x = qc.constant dense<[[1, 2, 3]]> : tensor<1x3xi8> : !qc.qtensor<1x3, #qc.int<8>>
  %w = qc.constant dense<[[1, 1, 1], [-1, 2, -3]]> : tensor<2x3xi4> : !qc.qtensor<2x3, #qc.int<4>>
  %b = arith.constant dense<[10, 0]> : tensor<2xi32>
  %y = qc.linear %x, %w bias %b : (!qc.qtensor<1x3, #qc.int<8>>, !qc.qtensor<2x3, #qc.int<4>>, tensor<2xi32>) -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}

// -----

// 7*7 + 7*7 = 98 wraps in a 6-bit accumulator (mod 64) to 34, read as
// 34 - 64 = -30; with the zero point 1: 6*7 + 6*7 = 84 wraps to 20.
// CHECK-LABEL: func.func @linear_wrap
// CHECK-DAG: arith.constant dense<-30> : tensor<1x1xi6>
// CHECK-DAG: arith.constant dense<20> : tensor<1x1xi6>
func.func @linear_wrap() -> (tensor<1x1xi6>, tensor<1x1xi6>) {
  %x = qc.constant dense<[[7, 7]]> : tensor<1x2xi8> : !qc.qtensor<1x2, #qc.int<8>>
  %u = qc.constant dense<[[7, 7]]> : tensor<1x2xi8> : !qc.qtensor<1x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  %w = qc.constant dense<[[7, 7]]> : tensor<1x2xi4> : !qc.qtensor<1x2, #qc.int<4>>
  %z = arith.constant dense<1> : tensor<i32>
  %a = qc.linear %x, %w : (!qc.qtensor<1x2, #qc.int<8>>, !qc.qtensor<1x2, #qc.int<4>>) -> tensor<1x1xi6>
  %b = qc.linear %u, %w input_zero_point %z : (!qc.qtensor<1x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<1x2, #qc.int<4>>, tensor<i32>) -> tensor<1x1xi6>
  return %a, %b : tensor<1x1xi6>, tensor<1x1xi6>
}

// -----

// Sylvester H_4 / 2 applied to [1, 2, 3, 4].
// CHECK-LABEL: func.func @rotate_hadamard
// CHECK: arith.constant dense<[5.000000e+00, -1.000000e+00, -2.000000e+00, 0.000000e+00]> : tensor<4xf32>
func.func @rotate_hadamard() -> tensor<4xf32> {
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = qc.rotate %x by #qc.hadamard<4> along 0 : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Along a non-minor axis: every column is rotated.
// CHECK-LABEL: func.func @rotate_axis0
// CHECK: arith.constant dense<{{\[\[}}3.000000e+00, 4.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
func.func @rotate_axis0() -> tensor<2x2xf32> {
  %x = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = qc.rotate %x by #qc.permutation<[1, 0]> along 0 : tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A 12-point Hadamard (Paley I) of e_0 is its first row / sqrt(12), and the
// transpose brings it back: the round trip folds to the identity.
// CHECK-LABEL: func.func @rotate_paley
// CHECK: arith.constant dense<[1.000000e+00, {{(-?0\.000000e\+00, )+}}{{-?}}0.000000e+00]> : tensor<12xf32>
// CHECK-NOT: qc.rotate
func.func @rotate_paley() -> tensor<12xf32> {
  %x = arith.constant dense<[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]> : tensor<12xf32>
  %y = qc.rotate %x by #qc.hadamard<12, seed = 4> along 0 : tensor<12xf32>
  %z = qc.rotate %y by #qc.transpose<#qc.hadamard<12, seed = 4>> along 0 : tensor<12xf32>
  return %z : tensor<12xf32>
}

// -----

// qc.unpack of constant bytes folds to the codes, low nibble first.
// CHECK-LABEL: func.func @unpack_fold
// CHECK: qc.constant dense<{{\[}}[1, 2, -8, -1]]> : tensor<1x4xi4> : !qc.qtensor<1x4, #qc.int<4>>
func.func @unpack_fold() -> !qc.qtensor<1x4, #qc.int<4>> {
  %b = arith.constant dense<[[33, -8]]> : tensor<1x2xi8>
  %w = qc.unpack %b : tensor<1x2xi8> -> !qc.qtensor<1x4, #qc.int<4>>
  return %w : !qc.qtensor<1x4, #qc.int<4>>
}

// -----

// The codes of a constant: the same bits under the integer type.
// CHECK-LABEL: func.func @codes_fold
// CHECK: arith.constant dense<[0, 200, 255]> : tensor<3xui8>
func.func @codes_fold() -> tensor<3xui8> {
  %q = qc.constant dense<[0, -56, -1]> : tensor<3xi8> : !qc.qtensor<3, #qc.int<8, unsigned>>
  %c = qc.codes %q : !qc.qtensor<3, #qc.int<8, unsigned>> -> tensor<3xui8>
  return %c : tensor<3xui8>
}

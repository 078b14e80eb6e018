// RUN: quant-opt %s -split-input-file -verify-diagnostics

// One case per verifier constraint; each message names its constraint.

//===----------------------------------------------------------------------===//
// Formats
//===----------------------------------------------------------------------===//

// expected-error @+1 {{(C1) integer width must be in [1, 32], got 33}}
func.func @int_width() attributes {f = #qc.int<33>} { return }

// -----

// expected-error @+1 {{(C1) integer width must be in [1, 32], got 0}}
func.func @int_width0() attributes {f = #qc.int<0>} { return }

// -----

// expected-error @+1 {{(C2) a signed narrow integer needs width >= 2}}
func.func @int_narrow1() attributes {f = #qc.int<1, narrow>} { return }

// -----

// expected-error @+1 {{unknown integer format option 'signed'}}
func.func @int_option() attributes {f = #qc.int<8, signed>} { return }

// -----

// expected-error @+1 {{(C1) fixed-point width must be in [1, 32], got 40}}
func.func @fixed_width() attributes {f = #qc.fixed<40, 4>} { return }

// -----

// expected-error @+1 {{(C2) fractional bits must be in [0, 64], got -1}}
func.func @fixed_frac() attributes {f = #qc.fixed<8, -1>} { return }

// -----

// expected-error @+1 {{(C3) 'wrap' and 'narrow' are exclusive}}
func.func @fixed_wrap_narrow() attributes {f = #qc.fixed<8, 4, wrap, narrow>} { return }

// -----

// expected-error @+1 {{(C1) minifloat needs 1 <= exp <= 11 and man <= 23, got e4m24}}
func.func @float_man() attributes {f = #qc.float<e4m24>} { return }

// -----

// expected-error @+1 {{(C1) minifloat needs 1 <= exp <= 11 and man <= 23, got e0m3}}
func.func @float_exp() attributes {f = #qc.float<e0m3>} { return }

// -----

// expected-error @+1 {{(C2) minifloat wider than 32 bits}}
func.func @float_width() attributes {f = #qc.float<e11m23>} { return }

// -----

// expected-error @+1 {{(C3) minifloat has no finite normal binade}}
func.func @float_binade() attributes {f = #qc.float<e1m2, specials = ieee>} { return }

// -----

// expected-error @+1 {{(C3) minifloat bias out of range}}
func.func @float_bias() attributes {f = #qc.float<e4m3, bias = 5000>} { return }

// -----

// expected-error @+1 {{(C4) a minifloat without zero must be unsigned with no_subnormals}}
func.func @float_nozero() attributes {f = #qc.float<e8m0, no_zero>} { return }

// -----

// expected-error @+1 {{expected a minifloat preset}}
func.func @float_name() attributes {f = #qc.float<fp8e4m3>} { return }

// -----

// expected-error @+1 {{specials must be ieee, fn, none or fnuz}}
func.func @float_specials() attributes {f = #qc.float<e4m3, specials = nan_only>} { return }

//===----------------------------------------------------------------------===//
// Schemes
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{(C1) scheme axis must be >= 0, got -1}}
func.func @scheme_axis() attributes {s = #qc.scheme<per_axis, axis = -1>} { return }

// -----

// expected-error @+1 {{(C2) per_block needs block >= 1, got 0}}
func.func @scheme_block() attributes {s = #qc.scheme<per_block, axis = 1>} { return }

// -----

// expected-error @+1 {{(C2) only per_block takes a block size}}
func.func @scheme_block_axis() attributes {s = #qc.scheme<per_axis, axis = 1, block = 4>} { return }

// -----

// expected-error @+1 {{(C3) per_tensor takes no axis}}
func.func @scheme_tensor_axis() attributes {s = #qc.scheme<per_tensor, axis = 1>} { return }

// -----

// expected-error @+1 {{(C4) scale format wider than 16 bits}}
func.func @scheme_scale() attributes {s = #qc.scheme<per_tensor, scale = #qc.float<e8m23>>} { return }

// -----

// expected-error @+1 {{scale format must be a #qc.float format}}
func.func @scheme_scale_kind() attributes {s = #qc.scheme<per_tensor, scale = #qc.int<8>>} { return }

// -----

// expected-error @+1 {{expected per_tensor, per_axis or per_block, got 'per_row'}}
func.func @scheme_gran() attributes {s = #qc.scheme<per_row>} { return }

//===----------------------------------------------------------------------===//
// Rotations
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{(C1) no Hadamard matrix of order 100}}
func.func @hadamard_order() attributes {r = #qc.hadamard<100>} { return }

// -----

// expected-error @+1 {{(C1) no Hadamard matrix of order 100 for the block}}
func.func @block_order() attributes {r = #qc.block_hadamard<200, block = 100>} { return }

// -----

// expected-error @+1 {{(C2) block 64 does not divide size 96}}
func.func @block_divide() attributes {r = #qc.block_hadamard<96, block = 64>} { return }

// -----

// expected-error @+1 {{(C1) not a permutation of 0..3: index 1}}
func.func @perm() attributes {r = #qc.permutation<[0, 1, 1, 3]>} { return }

// -----

// expected-error @+1 {{(C1) orthogonal matrix must be a square 2-D f32 or f64 constant}}
func.func @orth_shape() attributes {r = #qc.orthogonal<dense<1.0> : tensor<2x3xf32>>} { return }

// -----

// expected-error @+1 {{(C2) matrix is not orthogonal}}
func.func @orth_values() attributes {r = #qc.orthogonal<dense<[[1.0, 0.0], [0.5, 1.0]]> : tensor<2x2xf32>>} { return }

// -----

// expected-error @+1 {{(C1) transpose takes a rotation that is not itself a transpose}}
func.func @transpose_kind() attributes {r = #qc.transpose<#qc.int<4>>} { return }

// -----

// expected-error @+1 {{(C1) transpose takes a rotation that is not itself a transpose}}
func.func @transpose_twice() attributes {r = #qc.transpose<#qc.transpose<#qc.hadamard<4>>>} { return }

// -----

// expected-error @+1 {{(C1) a rotation sequence needs at least two rotations}}
func.func @seq_short() attributes {r = #qc.rotations<[#qc.hadamard<4>]>} { return }

// -----

// expected-error @+1 {{(C1) #qc.int<4> is not a rotation}}
func.func @seq_kind() attributes {r = #qc.rotations<[#qc.hadamard<4>, #qc.int<4>]>} { return }

// -----

// expected-error @+1 {{(C2) rotation sizes differ: 4 vs 8}}
func.func @seq_size() attributes {r = #qc.rotations<[#qc.hadamard<4>, #qc.hadamard<8>]>} { return }

//===----------------------------------------------------------------------===//
// Quantized tensor type
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{(C1) #qc.hadamard<4> is not a number format}}
func.func @qt_format(%a: !qc.qtensor<4, #qc.hadamard<4>>) { return }

// -----

// expected-error @+1 {{(C2) scheme axis 2 out of range for rank 2}}
func.func @qt_axis(%a: !qc.qtensor<4x4, #qc.int<8>, #qc.scheme<per_axis, axis = 2>>) { return }

// -----

// expected-error @+1 {{(C3) block size 32 does not divide dimension 1 of size 48}}
func.func @qt_block(%a: !qc.qtensor<4x48, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 32>>) { return }

// -----

// expected-error @+1 {{(C4) asymmetric (zero-point) quantization needs an integer format}}
func.func @qt_asym(%a: !qc.qtensor<4, #qc.float<fp8e4m3fn>, #qc.scheme<per_tensor, asymmetric>>) { return }

// -----

// expected-error @+1 {{(C5) dimensions must be positive, got 0}}
func.func @qt_dim(%a: !qc.qtensor<0x4, #qc.int<8>>) { return }

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

// -----

func.func @constant_type() {
  // expected-error @+1 {{(C1) value must have the storage type 'tensor<3xi4>'}}
  %q = qc.constant dense<[1, 2, 3]> : tensor<3xi8> : !qc.qtensor<3, #qc.int<4>>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{(C1) shapes differ}}
  %q = qc.quantize %x, %s : (tensor<4x8xf32>, tensor<f32>) -> !qc.qtensor<4x9, #qc.int<8>>
  return
}

// -----

func.func @quantize_scales(%x: tensor<4x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{(C2) scales must have type 'tensor<4xf32>'}}
  %q = qc.quantize %x, %s : (tensor<4x8xf32>, tensor<8xf32>) -> !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  return
}

// -----

func.func @quantize_scale_codes(%x: tensor<2x64xf32>, %s: tensor<2x2xf32>) {
  // expected-error @+1 {{(C2) scales must have type 'tensor<2x2xi8>'}}
  %q = qc.quantize %x, %s : (tensor<2x64xf32>, tensor<2x2xf32>)
    -> !qc.qtensor<2x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>>
  return
}

// -----

func.func @quantize_zp_missing(%x: tensor<8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{(C3) zero points are required by the asymmetric scheme}}
  %q = qc.quantize %x, %s : (tensor<8xf32>, tensor<f32>) -> !qc.qtensor<8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return
}

// -----

func.func @quantize_zp_extra(%x: tensor<8xf32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{(C3) zero points need an asymmetric scheme}}
  %q = qc.quantize %x, %s zero_points %z : (tensor<8xf32>, tensor<f32>, tensor<i32>) -> !qc.qtensor<8, #qc.int<8>>
  return
}

// -----

func.func @quantize_global(%x: tensor<8xf32>, %s: tensor<f32>, %g: tensor<f32>) {
  // expected-error @+1 {{(C4) a global scale needs a minifloat scale format}}
  %q = qc.quantize %x, %s global_scale %g : (tensor<8xf32>, tensor<f32>, tensor<f32>) -> !qc.qtensor<8, #qc.int<8>>
  return
}

// -----

func.func @dequantize_shape(%q: !qc.qtensor<8, #qc.int<8>>, %s: tensor<f32>) {
  // expected-error @+1 {{(C1) shapes differ}}
  %y = qc.dequantize %q, %s : (!qc.qtensor<8, #qc.int<8>>, tensor<f32>) -> tensor<9xf32>
  return
}

// -----

func.func @dequantize_scales(%q: !qc.qtensor<8, #qc.int<8>>, %s: tensor<1xf32>) {
  // expected-error @+1 {{(C2) scales must have type 'tensor<f32>'}}
  %y = qc.dequantize %q, %s : (!qc.qtensor<8, #qc.int<8>>, tensor<1xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @dequantize_zp(%q: !qc.qtensor<8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, %s: tensor<f32>) {
  // expected-error @+1 {{(C3) zero points are required by the asymmetric scheme}}
  %y = qc.dequantize %q, %s : (!qc.qtensor<8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, tensor<f32>) -> tensor<8xf32>
  return
}

// -----

func.func @dequantize_global(%q: !qc.qtensor<8, #qc.int<8>>, %s: tensor<f32>, %g: tensor<f32>) {
  // expected-error @+1 {{(C4) a global scale needs a minifloat scale format}}
  %y = qc.dequantize %q, %s global_scale %g : (!qc.qtensor<8, #qc.int<8>>, tensor<f32>, tensor<f32>) -> tensor<8xf32>
  return
}

// -----

func.func @fake_quant_shape(%x: tensor<8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{(C1) shapes differ}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.int<8>> : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return
}

// -----

func.func @fake_quant_scales(%x: tensor<8xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{(C2) scales must have type 'tensor<f32>'}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<8, #qc.int<8>> : (tensor<8xf32>, tensor<2xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @compute_scales_shape(%x: tensor<8xf32>) {
  // expected-error @+1 {{(C1) shapes differ}}
  %s = qc.compute_scales %x for !qc.qtensor<4, #qc.int<8>> : tensor<8xf32> -> tensor<f32>
  return
}

// -----

func.func @compute_scales_clip(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{(C5) clip must be in (0, 1], got 1.5}}
  %s = qc.compute_scales %x for !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_axis, axis = 0>> clip 1.5 : tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @compute_scales_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{(C2) scales must have type 'tensor<4xf32>'}}
  %s = qc.compute_scales %x for !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_axis, axis = 0>> : tensor<4x8xf32> -> tensor<f32>
  return
}

// -----

func.func @compute_scales_zp(%x: tensor<8xf32>) {
  // expected-error @+1 {{(C2) a zero-point result exists iff the scheme is asymmetric}}
  %s = qc.compute_scales %x for !qc.qtensor<8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> : tensor<8xf32> -> tensor<f32>
  return
}

// -----

func.func @compute_scales_global(%x: tensor<32xf32>) {
  // expected-error @+1 {{(C2) a global-scale result exists iff the scale format is a minifloat other than E8M0}}
  %s = qc.compute_scales %x for !qc.qtensor<32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 16, scale = #qc.float<fp8e4m3fn>>> : tensor<32xf32> -> tensor<2xi8>
  return
}

// -----

func.func @compute_scales_mx(%x: tensor<32xf32>) {
  // expected-error @+1 {{(C3) E8M0 (MX) scales need the per_block granularity}}
  %s = qc.compute_scales %x for !qc.qtensor<32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_tensor, scale = #qc.float<e8m0fnu>>> : tensor<32xf32> -> tensor<i8>
  return
}

// -----

func.func @compute_scales_asym(%x: tensor<32xf32>) {
  // expected-error @+1 {{(C4) an asymmetric scheme needs f32 scales}}
  %s, %z = qc.compute_scales %x for !qc.qtensor<32, #qc.int<8>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>, asymmetric>> : tensor<32xf32> -> tensor<1xi8> zero_points tensor<1xi32>
  return
}

// -----

func.func @requantize_shape(%q: !qc.qtensor<16, #qc.int<16>>, %s: tensor<f32>) {
  // expected-error @+1 {{(C1) shapes differ}}
  %r = qc.requantize %q, %s to %s : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<8, #qc.int<8>>
  return
}

// -----

func.func @requantize_scales(%q: !qc.qtensor<16, #qc.int<16>>, %s: tensor<f32>, %t: tensor<2xf32>) {
  // expected-error @+1 {{(C2) output scales must have type 'tensor<f32>'}}
  %r = qc.requantize %q, %s to %t : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<2xf32>) -> !qc.qtensor<16, #qc.int<8>>
  return
}

// -----

func.func @requantize_format(%q: !qc.qtensor<32, #qc.int<16>>, %s: tensor<f32>, %t: tensor<1xi8>) {
  // expected-error @+1 {{(C2) requantize needs f32 scales on both sides}}
  %r = qc.requantize %q, %s to %t : (!qc.qtensor<32, #qc.int<16>>, tensor<f32>, tensor<1xi8>)
    -> !qc.qtensor<32, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>
  return
}

// -----

func.func @rotate_axis(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{(C1) axis 2 out of range for rank 2}}
  %y = qc.rotate %x by #qc.hadamard<8> along 2 : tensor<4x8xf32>
  return
}

// -----

func.func @rotate_size(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{(C2) dimension 1 has size 8 but the rotation has order 16}}
  %y = qc.rotate %x by #qc.hadamard<16> along 1 : tensor<4x8xf32>
  return
}

// -----

func.func @linear_k(%x: !qc.qtensor<2x64, #qc.int<8>>, %w: !qc.qtensor<16x32, #qc.int<4>>) {
  // expected-error @+1 {{(C1) input has K = 64 but weight has K = 32}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x32, #qc.int<4>>) -> tensor<2x16xi32>
  return
}

// -----

func.func @linear_result(%x: !qc.qtensor<2x64, #qc.int<8>>, %w: !qc.qtensor<16x64, #qc.int<4>>) {
  // expected-error @+1 {{(C1) result must have shape [2, 16], got [2, 8]}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>>) -> tensor<2x8xi32>
  return
}

// -----

func.func @linear_format(%x: !qc.qtensor<2x64, #qc.float<fp8e4m3fn>>, %w: !qc.qtensor<16x64, #qc.int<4>>) {
  // expected-error @+1 {{(C2) qc.linear needs integer formats}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.float<fp8e4m3fn>>, !qc.qtensor<16x64, #qc.int<4>>) -> tensor<2x16xi32>
  return
}

// -----

func.func @linear_weight_asym(%x: !qc.qtensor<2x64, #qc.int<8>>, %w: !qc.qtensor<16x64, #qc.int<4>, #qc.scheme<per_tensor, asymmetric>>) {
  // expected-error @+1 {{(C2) the weight scheme must be symmetric}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>, #qc.scheme<per_tensor, asymmetric>>) -> tensor<2x16xi32>
  return
}

// -----

func.func @linear_acc(%x: !qc.qtensor<2x64, #qc.int<8>>, %w: !qc.qtensor<16x64, #qc.int<4>>) {
  // expected-error @+1 {{(C3) accumulator must have 2 to 64 bits, got 1}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>>) -> tensor<2x16xi1>
  return
}

// -----

func.func @linear_bias(%x: !qc.qtensor<2x64, #qc.int<8>>, %w: !qc.qtensor<16x64, #qc.int<4>>, %b: tensor<16xi16>) {
  // expected-error @+1 {{(C4) bias must be [N] of the accumulator type}}
  %0 = qc.linear %x, %w bias %b : (!qc.qtensor<2x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>>, tensor<16xi16>) -> tensor<2x16xi32>
  return
}

// -----

func.func @linear_zp(%x: !qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, %w: !qc.qtensor<16x64, #qc.int<4>>) {
  // expected-error @+1 {{(C5) input_zero_point is required iff the input scheme is asymmetric}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<16x64, #qc.int<4>>) -> tensor<2x16xi32>
  return
}

// -----

func.func @linear_zp_axis(%x: !qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric>>, %w: !qc.qtensor<16x64, #qc.int<4>>, %z: tensor<i32>) {
  // expected-error @+1 {{(C5) an asymmetric input must be per_tensor}}
  %0 = qc.linear %x, %w input_zero_point %z : (!qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric>>, !qc.qtensor<16x64, #qc.int<4>>, tensor<i32>) -> tensor<2x16xi32>
  return
}

// -----

func.func @fake_quant_zp(%x: tensor<8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{(C3) zero points are required by the asymmetric scheme}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return
}

// -----

func.func @fake_quant_global(%x: tensor<8xf32>, %s: tensor<f32>, %g: tensor<f32>) {
  // expected-error @+1 {{(C4) a global scale needs a minifloat scale format}}
  %y = qc.fake_quant %x, %s global_scale %g as !qc.qtensor<8, #qc.int<8>> : (tensor<8xf32>, tensor<f32>, tensor<f32>) -> tensor<8xf32>
  return
}

// -----

func.func @rounding_name(%x: tensor<8xf32>, %s: tensor<f32>) {
  // expected-error @+2 {{expected ::qc::RoundingMode to be one of: nearest_even, nearest_away, toward_zero, floor, ceil, stochastic}}
  // expected-error @+1 {{failed to parse QC_RoundingAttr parameter 'value'}}
  %q = qc.quantize %x, %s {rounding = #qc.rounding<half_up>} : (tensor<8xf32>, tensor<f32>) -> !qc.qtensor<8, #qc.int<8>>
  return
}

// -----

func.func @unpack_width(%b: tensor<4x2xi8>) {
  // expected-error @+1 {{(C1) the result format must have 4 bits, got int8}}
  %w = qc.unpack %b : tensor<4x2xi8> -> !qc.qtensor<4x4, #qc.int<8>>
  return
}

// -----

func.func @unpack_shape(%b: tensor<4x3xi8>) {
  // expected-error @+1 {{(C2) input must have shape [4, 2], got [4, 3]}}
  %w = qc.unpack %b : tensor<4x3xi8> -> !qc.qtensor<4x4, #qc.int<4>>
  return
}

// -----

func.func @unpack_odd(%b: tensor<4x2xi8>) {
  // expected-error @+1 {{(C2) needs a result of static, even last dimension and an input of the same rank}}
  %w = qc.unpack %b : tensor<4x2xi8> -> !qc.qtensor<4x5, #qc.int<4>>
  return
}

// -----

func.func @rescale_i64(%acc: tensor<4xi64>, %m: tensor<i32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C1) an integer input must have 2 to 32 bits, got 64}}
  %r = qc.rescale %acc, %m, %sh : (tensor<4xi64>, tensor<i32>, tensor<i8>) -> !qc.qtensor<4, #qc.int<8>>
  return
}

// -----

func.func @rescale_float_result(%acc: tensor<4xi32>, %m: tensor<i32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C2) the result needs an integer format and a per_tensor scheme}}
  %r = qc.rescale %acc, %m, %sh : (tensor<4xi32>, tensor<i32>, tensor<i8>) -> !qc.qtensor<4, #qc.float<fp8e4m3fn>>
  return
}

// -----

func.func @rescale_zero_point(%acc: tensor<4xi32>, %m: tensor<i32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C2) output_zero_point is required iff the result scheme is asymmetric}}
  %r = qc.rescale %acc, %m, %sh : (tensor<4xi32>, tensor<i32>, tensor<i8>) -> !qc.qtensor<4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return
}

// -----

func.func @rescale_axis(%acc: tensor<4x8xi32>, %m: tensor<4xi32>, %sh: tensor<4xi8>) {
  // expected-error @+1 {{(C3) with axis 1 multiplier and shift must be [8]}}
  %r = qc.rescale %acc, %m, %sh {axis = 1 : i64} : (tensor<4x8xi32>, tensor<4xi32>, tensor<4xi8>) -> !qc.qtensor<4x8, #qc.int<8>>
  return
}

// -----

func.func @rescale_no_axis(%acc: tensor<4x8xi32>, %m: tensor<8xi32>, %sh: tensor<8xi8>) {
  // expected-error @+1 {{(C3) without axis multiplier and shift must be 0-d}}
  %r = qc.rescale %acc, %m, %sh : (tensor<4x8xi32>, tensor<8xi32>, tensor<8xi8>) -> !qc.qtensor<4x8, #qc.int<8>>
  return
}

// -----

func.func @rescale_shape(%acc: tensor<4xi32>, %m: tensor<i32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C1) shapes differ: [4] vs [8]}}
  %r = qc.rescale %acc, %m, %sh : (tensor<4xi32>, tensor<i32>, tensor<i8>) -> !qc.qtensor<8, #qc.int<8>>
  return
}

// -----

func.func @rescale_float_input(%q: !qc.qtensor<4, #qc.float<fp8e4m3fn>>, %m: tensor<i32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C1) a quantized input needs an integer format}}
  %r = qc.rescale %q, %m, %sh : (!qc.qtensor<4, #qc.float<fp8e4m3fn>>, tensor<i32>, tensor<i8>) -> !qc.qtensor<4, #qc.int<8>>
  return
}

// -----

func.func @rescale_shift_shape(%acc: tensor<4x8xi32>, %m: tensor<8xi32>, %sh: tensor<i8>) {
  // expected-error @+1 {{(C3) multiplier and shift must have the same shape}}
  %r = qc.rescale %acc, %m, %sh {axis = 1 : i64} : (tensor<4x8xi32>, tensor<8xi32>, tensor<i8>) -> !qc.qtensor<4x8, #qc.int<8>>
  return
}

// -----

func.func @rescale_axis_range(%acc: tensor<4x8xi32>, %m: tensor<8xi32>, %sh: tensor<8xi8>) {
  // expected-error @+1 {{(C3) axis 2 out of range for rank 2}}
  %r = qc.rescale %acc, %m, %sh {axis = 2 : i64} : (tensor<4x8xi32>, tensor<8xi32>, tensor<8xi8>) -> !qc.qtensor<4x8, #qc.int<8>>
  return
}

// -----

func.func @codes_int4(%q: !qc.qtensor<4x8, #qc.int<4>>) {
  // expected-error @+1 {{(C1) needs an integer format of 8, 16, 32 or 64 bits, got int4}}
  %c = qc.codes %q : !qc.qtensor<4x8, #qc.int<4>> -> tensor<4x8xi8>
  return
}

// -----

func.func @codes_sign(%q: !qc.qtensor<4x8, #qc.int<8>>) {
  // expected-error @+1 {{(C2) the codes of int8 are i8, not 'ui8'}}
  %c = qc.codes %q : !qc.qtensor<4x8, #qc.int<8>> -> tensor<4x8xui8>
  return
}

// -----

func.func @codes_shape(%q: !qc.qtensor<4x8, #qc.int<8>>) {
  // expected-error @+1 {{shape}}
  %c = qc.codes %q : !qc.qtensor<4x8, #qc.int<8>> -> tensor<8x4xi8>
  return
}

// -----

func.func @conv_rank(%x: !qc.qtensor<4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C1) input, weight and result must be 4-D}}
  %0 = qc.conv %x, %w  : (!qc.qtensor<4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_group(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C6) channels 4 and 6 are not multiples of group 3}}
  %0 = qc.conv %x, %w {group = 3 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_channels(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C1) the weight has 2 input channels per group, expected 4}}
  %0 = qc.conv %x, %w  : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_result(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C1) result must have shape [1, 6, 6, 6], got [1, 6, 8, 8]}}
  %0 = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x8x8xi32>
  return
}

// -----

func.func @conv_window(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C6) strides and dilations must be 2 positive values and pads 4 non-negative ones}}
  %0 = qc.conv %x, %w {group = 2 : i64, strides = array<i64: 0, 1>} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_format(%x: !qc.qtensor<1x4x8x8, #qc.float<fp8e4m3fn>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C2) qc.conv needs integer formats}}
  %0 = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.float<fp8e4m3fn>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_weight_asym(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>, #qc.scheme<per_tensor, asymmetric>>) {
  // expected-error @+1 {{(C2) the weight scheme must be symmetric}}
  %0 = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>, #qc.scheme<per_tensor, asymmetric>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_acc(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C3) accumulator must have 2 to 64 bits, got 1}}
  %0 = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi1>
  return
}

// -----

func.func @conv_zero_point(%x: !qc.qtensor<1x4x8x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>) {
  // expected-error @+1 {{(C5) input_zero_point is required iff the input scheme is asymmetric}}
  %0 = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<6x2x3x3, #qc.int<4>>) -> tensor<1x6x6x6xi32>
  return
}

// -----

func.func @conv_bias(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>>, %b: tensor<6xi32>) {
  // expected-error @+1 {{(C4) bias must be [M] of the accumulator type}}
  %0 = qc.conv %x, %w bias %b {group = 2 : i64} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>>, tensor<6xi32>) -> tensor<1x6x6x6xi16>
  return
}

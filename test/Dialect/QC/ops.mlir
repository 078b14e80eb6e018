// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every op and the qtensor type round-trip, in custom and generic form.

// CHECK-LABEL: func.func @types
// CHECK-SAME: !qc.qtensor<4x8, #qc.int<8>>
// CHECK-SAME: !qc.qtensor<?x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 32>>
// CHECK-SAME: !qc.qtensor<16, #qc.int<6, unsigned>, #qc.scheme<per_tensor, asymmetric>>
func.func @types(%a: !qc.qtensor<4x8, #qc.int<8>, #qc.scheme<per_tensor>>,
                 %b: !qc.qtensor<?x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 32>>,
                 %c: !qc.qtensor<16, #qc.int<6, unsigned>, #qc.scheme<per_tensor, asymmetric>>) {
  return
}

// CHECK-LABEL: func.func @constant
// CHECK: qc.constant dense<[1, -2, 7]> : tensor<3xi4> : !qc.qtensor<3, #qc.int<4>>
func.func @constant() -> !qc.qtensor<3, #qc.int<4>> {
  %q = qc.constant dense<[1, -2, 7]> : tensor<3xi4> : !qc.qtensor<3, #qc.int<4>>
  return %q : !qc.qtensor<3, #qc.int<4>>
}

// CHECK-LABEL: func.func @quantize_mx
// CHECK: %[[Q:.*]] = qc.quantize %{{.*}}, %{{.*}} {rounding = #qc.rounding<stochastic>, seed = 3 : i64} : (tensor<4x64xf32>, tensor<4x2xi8>) -> !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>>
// CHECK: qc.dequantize %[[Q]], %{{.*}} : (!qc.qtensor<4x64, {{.*}}>, tensor<4x2xi8>) -> tensor<4x64xf32>
func.func @quantize_mx(%x: tensor<4x64xf32>, %s: tensor<4x2xi8>) -> tensor<4x64xf32> {
  %q = qc.quantize %x, %s {rounding = #qc.rounding<stochastic>, seed = 3}
    : (tensor<4x64xf32>, tensor<4x2xi8>)
    -> !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>>
  %y = qc.dequantize %q, %s
    : (!qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>>>, tensor<4x2xi8>)
    -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// CHECK-LABEL: func.func @quantize_asym
// CHECK: qc.quantize %{{.*}}, %{{.*}} zero_points %{{.*}} : (tensor<8x16xf32>, tensor<8xf32>, tensor<8xi32>) -> !qc.qtensor<8x16, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric>>
// CHECK: qc.dequantize %{{.*}}, %{{.*}} zero_points %{{.*}} :
func.func @quantize_asym(%x: tensor<8x16xf32>, %s: tensor<8xf32>, %z: tensor<8xi32>) -> tensor<8x16xf32> {
  %q = qc.quantize %x, %s zero_points %z : (tensor<8x16xf32>, tensor<8xf32>, tensor<8xi32>)
    -> !qc.qtensor<8x16, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric>>
  %y = qc.dequantize %q, %s zero_points %z
    : (!qc.qtensor<8x16, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 0, asymmetric>>, tensor<8xf32>, tensor<8xi32>)
    -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// CHECK-LABEL: func.func @nvfp4
// CHECK: qc.quantize %{{.*}}, %{{.*}} global_scale %{{.*}} : (tensor<2x32xf32>, tensor<2x2xi8>, tensor<f32>)
// CHECK: qc.fake_quant %{{.*}}, %{{.*}} global_scale %{{.*}} as !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>>> : (tensor<2x32xf32>, tensor<2x2xi8>, tensor<f32>) -> tensor<2x32xf32>
func.func @nvfp4(%x: tensor<2x32xf32>, %s: tensor<2x2xi8>, %g: tensor<f32>) -> tensor<2x32xf32> {
  %q = qc.quantize %x, %s global_scale %g : (tensor<2x32xf32>, tensor<2x2xi8>, tensor<f32>)
    -> !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>>>
  %y = qc.fake_quant %x, %s global_scale %g
    as !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>>>
    : (tensor<2x32xf32>, tensor<2x2xi8>, tensor<f32>) -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// CHECK-LABEL: func.func @dynamic
// CHECK: %[[S:.*]], %[[G:.*]] = qc.compute_scales %{{.*}} for !qc.qtensor<2x32, {{.*}}> : tensor<2x32xf32> -> tensor<2x2xi8> global_scale tensor<f32>
// CHECK: qc.compute_scales %{{.*}} for !qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>> : tensor<4x64xf32> -> tensor<4xf32>
// CHECK: qc.compute_scales %{{.*}} for !qc.qtensor<4x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric, dynamic>> : tensor<4x64xf32> -> tensor<f32> zero_points tensor<i32>
// CHECK: qc.compute_scales %{{.*}} for !qc.qtensor<4x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0, dynamic>> clip 9.000000e-01 : tensor<4x64xf32> -> tensor<4xf32>
func.func @dynamic(%x: tensor<2x32xf32>, %y: tensor<4x64xf32>) {
  %s, %g = qc.compute_scales %x
    for !qc.qtensor<2x32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>>
    : tensor<2x32xf32> -> tensor<2x2xi8> global_scale tensor<f32>
  %t = qc.compute_scales %y for !qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>>
    : tensor<4x64xf32> -> tensor<4xf32>
  %u, %z = qc.compute_scales %y for !qc.qtensor<4x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric, dynamic>>
    : tensor<4x64xf32> -> tensor<f32> zero_points tensor<i32>
  %c = qc.compute_scales %y for !qc.qtensor<4x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0, dynamic>> clip 0.9
    : tensor<4x64xf32> -> tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @requantize
// CHECK: qc.requantize %{{.*}}, %{{.*}} to %{{.*}} zero_points %{{.*}} : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>, tensor<i32>) -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
func.func @requantize(%q: !qc.qtensor<16, #qc.int<16>>, %s0: tensor<f32>, %s1: tensor<f32>, %z: tensor<i32>)
    -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %r = qc.requantize %q, %s0 to %s1 zero_points %z
    : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %r : !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// CHECK-LABEL: func.func @rescale
// CHECK: qc.rescale %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<4x16xi32>, tensor<16xi32>, tensor<16xi8>) -> !qc.qtensor<4x16, #qc.int<8>>
// CHECK: qc.rescale %{{.*}}, %{{.*}}, %{{.*}} input_zero_point %{{.*}} output_zero_point %{{.*}} : (!qc.qtensor<4x16, #qc.int<16>>, tensor<i32>, tensor<i8>, tensor<i32>, tensor<i32>) -> !qc.qtensor<4x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
func.func @rescale(%acc: tensor<4x16xi32>, %m: tensor<16xi32>, %sh: tensor<16xi8>, %q: !qc.qtensor<4x16, #qc.int<16>>, %m0: tensor<i32>, %s0: tensor<i8>, %z: tensor<i32>)
    -> (!qc.qtensor<4x16, #qc.int<8>>, !qc.qtensor<4x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>) {
  %a = qc.rescale %acc, %m, %sh {axis = 1 : i64} : (tensor<4x16xi32>, tensor<16xi32>, tensor<16xi8>) -> !qc.qtensor<4x16, #qc.int<8>>
  %b = qc.rescale %q, %m0, %s0 input_zero_point %z output_zero_point %z : (!qc.qtensor<4x16, #qc.int<16>>, tensor<i32>, tensor<i8>, tensor<i32>, tensor<i32>) -> !qc.qtensor<4x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %a, %b : !qc.qtensor<4x16, #qc.int<8>>, !qc.qtensor<4x16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// CHECK-LABEL: func.func @rotate
// CHECK: qc.rotate %{{.*}} by #qc.hadamard<64> along 1 : tensor<8x64xf32>
// CHECK: qc.rotate %{{.*}} by #qc.block_hadamard<64, block = 16, seed = 5> along 1 : tensor<8x64xf32>
// CHECK: qc.rotate %{{.*}} by #qc.permutation<[1, 0, 2, 3, 4, 5, 7, 6]> along 0 : tensor<8x64xf32>
func.func @rotate(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %a = qc.rotate %x by #qc.hadamard<64> along 1 : tensor<8x64xf32>
  %b = qc.rotate %a by #qc.block_hadamard<64, block = 16, seed = 5> along 1 : tensor<8x64xf32>
  %c = qc.rotate %b by #qc.permutation<[1, 0, 2, 3, 4, 5, 7, 6]> along 0 : tensor<8x64xf32>
  return %c : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @conv
// CHECK: qc.conv %{{.*}}, %{{.*}} bias %{{.*}} {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<6xi16>) -> tensor<1x6x4x4xi16>
// CHECK: qc.conv %{{.*}}, %{{.*}} input_zero_point %{{.*}} {dilations = array<i64: 2, 2>} : (!qc.qtensor<1x4x8x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<3x4x3x3, #qc.int<8>>, tensor<i32>) -> tensor<1x3x4x4xi32>
func.func @conv(%x: !qc.qtensor<1x4x8x8, #qc.int<8>>, %w: !qc.qtensor<6x2x3x3, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>,
                %b: tensor<6xi16>, %u: !qc.qtensor<1x4x8x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
                %w8: !qc.qtensor<3x4x3x3, #qc.int<8>>, %zx: tensor<i32>) {
  %0 = qc.conv %x, %w bias %b {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (!qc.qtensor<1x4x8x8, #qc.int<8>>, !qc.qtensor<6x2x3x3, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<6xi16>) -> tensor<1x6x4x4xi16>
  %1 = qc.conv %u, %w8 input_zero_point %zx {dilations = array<i64: 2, 2>} : (!qc.qtensor<1x4x8x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<3x4x3x3, #qc.int<8>>, tensor<i32>) -> tensor<1x3x4x4xi32>
  return
}

// CHECK-LABEL: func.func @linear
// CHECK: qc.linear %{{.*}}, %{{.*}} bias %{{.*}} : (!qc.qtensor<2x3x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<16xi32>) -> tensor<2x3x16xi32>
// CHECK: qc.linear %{{.*}}, %{{.*}} input_zero_point %{{.*}} : (!qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<16x64, #qc.int<8>>, tensor<i32>) -> tensor<2x16xi18>
func.func @linear(%x: !qc.qtensor<2x3x64, #qc.int<8>>, %w: !qc.qtensor<16x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>,
                  %b: tensor<16xi32>, %u: !qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
                  %w8: !qc.qtensor<16x64, #qc.int<8>>, %zx: tensor<i32>) {
  %0 = qc.linear %x, %w bias %b : (!qc.qtensor<2x3x64, #qc.int<8>>, !qc.qtensor<16x64, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<16xi32>) -> tensor<2x3x16xi32>
  %1 = qc.linear %u, %w8 input_zero_point %zx : (!qc.qtensor<2x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<16x64, #qc.int<8>>, tensor<i32>) -> tensor<2x16xi18>
  return
}

// CHECK-LABEL: func.func @unpack
// CHECK: qc.unpack %{{.*}} : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.float<fp4e2m1fn>>
func.func @unpack(%b: tensor<64x16xi8>) -> !qc.qtensor<64x32, #qc.float<fp4e2m1fn>> {
  %w = qc.unpack %b : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.float<fp4e2m1fn>>
  return %w : !qc.qtensor<64x32, #qc.float<fp4e2m1fn>>
}

// CHECK-LABEL: func.func @codes
// CHECK: qc.codes %{{.*}} : !qc.qtensor<4x8, #qc.int<8, unsigned>> -> tensor<4x8xui8>
// CHECK: qc.codes %{{.*}} : !qc.qtensor<4x8, #qc.int<16>> -> tensor<4x8xi16>
func.func @codes(%q: !qc.qtensor<4x8, #qc.int<8, unsigned>>, %r: !qc.qtensor<4x8, #qc.int<16>>) -> (tensor<4x8xui8>, tensor<4x8xi16>) {
  %0 = qc.codes %q : !qc.qtensor<4x8, #qc.int<8, unsigned>> -> tensor<4x8xui8>
  %1 = qc.codes %r : !qc.qtensor<4x8, #qc.int<16>> -> tensor<4x8xi16>
  return %0, %1 : tensor<4x8xui8>, tensor<4x8xi16>
}

// RUN: quant-opt %s --split-input-file --qc-integer-linear | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-integer-linear=convolutions=false | FileCheck %s --check-prefix=NOCONV

// Per-token int8 activations against per-column int8 weights: the codes
// are quantized once (shared by both layers), the weight [K, N] = [4, 2] is
// transposed to qc.linear's [N, K] layout, and the two scales follow the
// exact integer sum.
// CHECK-LABEL: func.func @per_token
// CHECK: %[[S:.*]] = qc.compute_scales %arg0
// CHECK: %[[Q:.*]] = qc.quantize %arg0, %[[S]] : (tensor<3x4xf32>, tensor<3x1xf32>) -> !qc.qtensor<3x4, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 4, dynamic>>
// CHECK-NOT: qc.fake_quant
// CHECK-DAG: %[[W:.*]] = qc.constant dense<{{\[}}[1, 3, 5, 7], [2, 4, 6, -8]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
// CHECK-DAG: %[[SW:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: %[[ACC:.*]] = qc.linear %[[Q]], %[[W]] : {{.*}} -> tensor<3x2xi32>
// CHECK: %[[F:.*]] = nn.cast %[[ACC]] to f32 : tensor<3x2xi32>
// CHECK: %[[Y0:.*]] = nn.mul %[[F]], %[[S]] : tensor<3x2xf32>, tensor<3x1xf32>
// CHECK: %[[Y:.*]] = nn.mul %[[Y0]], %[[SW]] : tensor<3x2xf32>, tensor<2xf32>
// CHECK: qc.linear %[[Q]]
// CHECK-NOT: qc.dequantize
// CHECK: return %[[Y]]
func.func @per_token(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %s = qc.compute_scales %x for !qc.qtensor<3x4, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 4, dynamic>> : tensor<3x4xf32> -> tensor<3x1xf32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<3x4, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 4, dynamic>> : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %c = qc.constant dense<[[1, 2], [3, 4], [5, 6], [7, -8]]> : tensor<4x2xi8> : !qc.qtensor<4x2, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>
  %sw = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %w = qc.dequantize %c, %sw : (!qc.qtensor<4x2, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = nn.matmul %xq, %w : tensor<3x4xf32>, tensor<4x2xf32>
  %c2 = qc.constant dense<[[1, 0], [0, 1], [1, 0], [0, 1]]> : tensor<4x2xi4> : !qc.qtensor<4x2, #qc.int<4>>
  %s2 = arith.constant dense<0.125> : tensor<f32>
  %w2 = qc.dequantize %c2, %s2 : (!qc.qtensor<4x2, #qc.int<4>>, tensor<f32>) -> tensor<4x2xf32>
  %y2 = nn.matmul %xq, %w2 : tensor<3x4xf32>, tensor<4x2xf32>
  return %y, %y2 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Static asymmetric uint8 activations: the zero point goes to qc.linear.
// CHECK-LABEL: func.func @uint8_static
// CHECK: %[[Z:.*]] = arith.constant dense<64> : tensor<i32>
// CHECK: %[[Q:.*]] = qc.quantize %arg0, %{{.*}} zero_points %[[Z]]
// CHECK: qc.linear %[[Q]], %{{.*}} input_zero_point %[[Z]] : {{.*}} -> tensor<2x2xi32>
func.func @uint8_static(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %s = arith.constant dense<0.015625> : tensor<f32>
  %z = arith.constant dense<64> : tensor<i32>
  %xq = qc.fake_quant %x, %s zero_points %z as !qc.qtensor<2x4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> : (tensor<2x4xf32>, tensor<f32>, tensor<i32>) -> tensor<2x4xf32>
  %c = qc.constant dense<[[1, 2], [3, 4], [5, 6], [7, -8]]> : tensor<4x2xi8> : !qc.qtensor<4x2, #qc.int<8>>
  %sw = arith.constant dense<0.5> : tensor<f32>
  %w = qc.dequantize %c, %sw : (!qc.qtensor<4x2, #qc.int<8>>, tensor<f32>) -> tensor<4x2xf32>
  %y = nn.matmul %xq, %w : tensor<2x4xf32>, tensor<4x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Left alone: weight scales per group of K (they vary along the sum), MX
// activations (E8M0 block scales along K), and a float weight.
// CHECK-LABEL: func.func @not_integer
// CHECK-NOT: qc.linear
// CHECK-COUNT-3: nn.matmul
func.func @not_integer(%x: tensor<2x64xf32>, %wf: tensor<64x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %s = qc.compute_scales %x for !qc.qtensor<2x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>> : tensor<2x64xf32> -> tensor<2x1xf32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<2x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>> : (tensor<2x64xf32>, tensor<2x1xf32>) -> tensor<2x64xf32>
  %c = qc.constant dense<1> : tensor<64x2xi4> : !qc.qtensor<64x2, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>>
  %sg = arith.constant dense<0.5> : tensor<2x2xf32>
  %wg = qc.dequantize %c, %sg : (!qc.qtensor<64x2, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>>, tensor<2x2xf32>) -> tensor<64x2xf32>
  %y0 = nn.matmul %xq, %wg : tensor<2x64xf32>, tensor<64x2xf32>
  %sm = qc.compute_scales %x for !qc.qtensor<2x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : tensor<2x64xf32> -> tensor<2x2xi8>
  %xm = qc.fake_quant %x, %sm as !qc.qtensor<2x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : (tensor<2x64xf32>, tensor<2x2xi8>) -> tensor<2x64xf32>
  %c1 = qc.constant dense<1> : tensor<64x2xi8> : !qc.qtensor<64x2, #qc.int<8>>
  %s1 = arith.constant dense<0.5> : tensor<f32>
  %w1 = qc.dequantize %c1, %s1 : (!qc.qtensor<64x2, #qc.int<8>>, tensor<f32>) -> tensor<64x2xf32>
  %y1 = nn.matmul %xm, %w1 : tensor<2x64xf32>, tensor<64x2xf32>
  %y2 = nn.matmul %xq, %wf : tensor<2x64xf32>, tensor<64x2xf32>
  return %y0, %y1, %y2 : tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Left alone: 127 * 127 * 140000 >= 2^31, the 32-bit sum could overflow.
// CHECK-LABEL: func.func @overflow
// CHECK-NOT: qc.linear
// CHECK: nn.matmul
func.func @overflow(%x: tensor<1x140000xf32>) -> tensor<1x1xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<1x140000, #qc.int<8>> : (tensor<1x140000xf32>, tensor<f32>) -> tensor<1x140000xf32>
  %c = qc.constant dense<127> : tensor<140000x1xi8> : !qc.qtensor<140000x1, #qc.int<8>>
  %w = qc.dequantize %c, %s : (!qc.qtensor<140000x1, #qc.int<8>>, tensor<f32>) -> tensor<140000x1xf32>
  %y = nn.matmul %xq, %w : tensor<1x140000xf32>, tensor<140000x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Convolutions: a per-tensor fake-quantized input against per-output-channel
// int4 weights becomes qc.conv on the codes (the weight codes unchanged, the
// window attributes carried over), the activation scale, the weight scales
// as [M, 1, 1] and the float bias after them; a uint8 input's static zero
// point becomes qc.conv's input_zero_point.
// CHECK-LABEL: func.func @conv
// CHECK: %[[Q:.*]] = qc.quantize %arg0, %[[S:[^ ]*]] : (tensor<1x3x4x4xf32>, tensor<f32>) -> !qc.qtensor<1x3x4x4, #qc.int<8>>
// CHECK-DAG: %[[W:.*]] = qc.constant {{.*}} : tensor<2x3x1x1xi4> : !qc.qtensor<2x3x1x1, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
// CHECK-DAG: %[[SW:.*]] = arith.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[ACC:.*]] = qc.conv %[[Q]], %[[W]] {dilations = array<i64: 1, 2>, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : {{.*}} -> tensor<1x2x3x4xi32>
// CHECK: %[[F:.*]] = nn.cast %[[ACC]] to f32 : tensor<1x2x3x4xi32>
// CHECK: %[[Y0:.*]] = nn.mul %[[F]], %[[S]] : tensor<1x2x3x4xf32>, tensor<f32>
// CHECK: %[[SW3:.*]] = nn.reshape %[[SW]] {shape = array<i64: 2, 1, 1>} : tensor<2xf32>
// CHECK: %[[Y1:.*]] = nn.mul %[[Y0]], %[[SW3]] : tensor<1x2x3x4xf32>, tensor<2x1x1xf32>
// CHECK: %[[B3:.*]] = nn.reshape %[[B]] {shape = array<i64: 2, 1, 1>} : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.add %[[Y1]], %[[B3]] : tensor<1x2x3x4xf32>, tensor<2x1x1xf32>
// CHECK: %[[Z:.*]] = arith.constant dense<7> : tensor<i32>
// CHECK: %[[QU:.*]] = qc.quantize %arg1, %{{.*}} zero_points %[[Z]]
// CHECK: qc.conv %[[QU]], %{{.*}} input_zero_point %[[Z]] {group = 3 : i64, pads = array<i64: 1, 1, 1, 1>} : {{.*}} -> tensor<1x3x4x4xi32>
// CHECK-NOT: nn.conv
// CHECK-NOT: qc.dequantize
// CHECK: return %[[Y]]
// With convolutions=false (--qc-lower-to-cpu's integer-linear=true) they
// stay float convolutions.
// NOCONV-LABEL: func.func @conv
// NOCONV-NOT: qc.conv
// NOCONV-COUNT-2: nn.conv
// NOCONV-NOT: qc.conv
func.func @conv(%x: tensor<1x3x4x4xf32>, %u: tensor<1x3x4x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>) {
  %s = arith.constant dense<0.125> : tensor<f32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<1x3x4x4, #qc.int<8>> : (tensor<1x3x4x4xf32>, tensor<f32>) -> tensor<1x3x4x4xf32>
  %c = qc.constant dense<[[[[1]], [[-2]], [[7]]], [[[-8]], [[0]], [[3]]]]> : tensor<2x3x1x1xi4> : !qc.qtensor<2x3x1x1, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  %sw = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %w = qc.dequantize %c, %sw : (!qc.qtensor<2x3x1x1, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<2xf32>) -> tensor<2x3x1x1xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %y = nn.conv %xq, %w, %b {dilations = array<i64: 1, 2>, pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 1>} : tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>, tensor<2xf32>
  %z = arith.constant dense<7> : tensor<i32>
  %uq = qc.fake_quant %u, %s zero_points %z as !qc.qtensor<1x3x4x4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> : (tensor<1x3x4x4xf32>, tensor<f32>, tensor<i32>) -> tensor<1x3x4x4xf32>
  %cd = qc.constant dense<1> : tensor<3x1x3x3xi8> : !qc.qtensor<3x1x3x3, #qc.int<8>>
  %wd = qc.dequantize %cd, %s : (!qc.qtensor<3x1x3x3, #qc.int<8>>, tensor<f32>) -> tensor<3x1x3x3xf32>
  %yd = nn.conv %uq, %wd {group = 3 : i64, pads = array<i64: 1, 1, 1, 1>} : tensor<1x3x4x4xf32>, tensor<3x1x3x3xf32>
  return %y, %yd : tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>
}

// -----

// Left alone: input scales per channel (they vary along the sums), a
// weight with per-input-channel scales, and a float weight.
// CHECK-LABEL: func.func @conv_left_alone
// CHECK-NOT: qc.conv
// CHECK-COUNT-3: nn.conv
func.func @conv_left_alone(%x: tensor<1x2x4x4xf32>, %wf: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %sc = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %xc = qc.fake_quant %x, %sc as !qc.qtensor<1x2x4x4, #qc.int<8>, #qc.scheme<per_axis, axis = 1>> : (tensor<1x2x4x4xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c = qc.constant dense<1> : tensor<2x2x1x1xi8> : !qc.qtensor<2x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %w = qc.dequantize %c, %sc : (!qc.qtensor<2x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>, tensor<2xf32>) -> tensor<2x2x1x1xf32>
  %y0 = nn.conv %xc, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>
  %s = arith.constant dense<0.5> : tensor<f32>
  %xq = qc.fake_quant %x, %s as !qc.qtensor<1x2x4x4, #qc.int<8>> : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %c1 = qc.constant dense<1> : tensor<2x2x1x1xi8> : !qc.qtensor<2x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>
  %w1 = qc.dequantize %c1, %sc : (!qc.qtensor<2x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>, tensor<2xf32>) -> tensor<2x2x1x1xf32>
  %y1 = nn.conv %xq, %w1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>
  %y2 = nn.conv %xq, %wf : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>
  return %y0, %y1, %y2 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

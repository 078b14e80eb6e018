// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-integer-requantize | FileCheck %s

// sx sw = [0.125, 0.0625], so = 0.0625: ratios 2 = 0.5 * 2^2 and 1 =
// 0.5 * 2^1, i.e. multiplier 2^30 and shifts 29, 30. Bias / (sx sw):
// 8 and -1.5, which rounds to even: -2. After the ReLU the int8 codes are
// those of uint7.

// CHECK-LABEL: func @relu_signed
// CHECK: %[[B:.*]] = arith.constant dense<[8, -2]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qc.linear %{{.*}}, %{{.*}} bias %[[B]]
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1073741824> : tensor<2xi32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[29, 30]> : tensor<2xi8>
// CHECK: %[[Q:.*]] = qc.rescale %[[ACC]], %[[M]], %[[SH]] {axis = 1 : i64} : (tensor<3x2xi32>, tensor<2xi32>, tensor<2xi8>) -> !qc.qtensor<3x2, #qc.int<7, unsigned>>
// CHECK: qc.linear %[[Q]], %{{.*}} : (!qc.qtensor<3x2, #qc.int<7, unsigned>>
// CHECK-NOT: nn.
func.func @relu_signed(%xq: !qc.qtensor<3x4, #qc.int<8>>) -> tensor<3x1xi32> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>
    : !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>,
    !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %sx = arith.constant dense<0.5> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<f32>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<2xf32>
  %b = arith.constant dense<[1.0, -0.09375]> : tensor<2xf32>
  %z = nn.add %y, %b : tensor<3x2xf32>, tensor<2xf32>
  %r = nn.relu %z : tensor<3x2xf32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %q = qc.quantize %r, %so : (tensor<3x2xf32>, tensor<f32>) -> !qc.qtensor<3x2, #qc.int<8>>
  %w2 = qc.constant dense<[[1, -1]]> : tensor<1x2xi8>
    : !qc.qtensor<1x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %out = qc.linear %q, %w2 : (!qc.qtensor<3x2, #qc.int<8>>,
    !qc.qtensor<1x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<3x1xi32>
  return %out : tensor<3x1xi32>
}

// -----

// Per-tensor scales and no bias or ReLU: one multiplier, no axis, the
// output zero point passed on and the type kept.

// CHECK-LABEL: func @asymmetric
// CHECK: %[[ACC:.*]] = qc.linear %{{.*}}, %{{.*}} : (
// CHECK: qc.rescale %[[ACC]], %{{.*}}, %{{.*}} output_zero_point %{{.*}} : (tensor<3x2xi32>, tensor<i32>, tensor<i8>, tensor<i32>) -> !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
func.func @asymmetric(%xq: !qc.qtensor<3x4, #qc.int<8>>)
    -> !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>, !qc.qtensor<2x4, #qc.int<8>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %sx = arith.constant dense<0.5> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<f32>
  %sw = arith.constant dense<0.25> : tensor<f32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<f32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %zo = arith.constant dense<10> : tensor<i32>
  %q = qc.quantize %y, %so zero_points %zo : (tensor<3x2xf32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %q : !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// -----

// A ReLU before codes whose zero point is not the lowest one cannot be a
// saturation: left as it is. So are per-token scales (one per row) and a
// float value used twice.

// CHECK-LABEL: func @relu_zero_point
// CHECK: nn.relu
// CHECK: qc.quantize
// CHECK-NOT: qc.rescale
func.func @relu_zero_point(%xq: !qc.qtensor<3x4, #qc.int<8>>)
    -> !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>, !qc.qtensor<2x4, #qc.int<8>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %sx = arith.constant dense<0.5> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<f32>
  %sw = arith.constant dense<0.25> : tensor<f32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<f32>
  %r = nn.relu %y : tensor<3x2xf32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %zo = arith.constant dense<10> : tensor<i32>
  %q = qc.quantize %r, %so zero_points %zo : (tensor<3x2xf32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %q : !qc.qtensor<3x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// CHECK-LABEL: func @per_token
// CHECK-NOT: qc.rescale
func.func @per_token(%xq: !qc.qtensor<3x4, #qc.int<8>>, %sx: tensor<3x1xf32>) -> !qc.qtensor<3x2, #qc.int<8>> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>, !qc.qtensor<2x4, #qc.int<8>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<3x1xf32>
  %sw = arith.constant dense<0.25> : tensor<f32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<f32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %q = qc.quantize %y, %so : (tensor<3x2xf32>, tensor<f32>) -> !qc.qtensor<3x2, #qc.int<8>>
  return %q : !qc.qtensor<3x2, #qc.int<8>>
}

// CHECK-LABEL: func @used_twice
// CHECK-NOT: qc.rescale
func.func @used_twice(%xq: !qc.qtensor<3x4, #qc.int<8>>) -> (!qc.qtensor<3x2, #qc.int<8>>, tensor<3x2xf32>) {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>, !qc.qtensor<2x4, #qc.int<8>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %sx = arith.constant dense<0.5> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<f32>
  %sw = arith.constant dense<0.25> : tensor<f32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<f32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %q = qc.quantize %y, %so : (tensor<3x2xf32>, tensor<f32>) -> !qc.qtensor<3x2, #qc.int<8>>
  return %q, %y : !qc.qtensor<3x2, #qc.int<8>>, tensor<3x2xf32>
}

// -----

// A ratio of 2^40 has no multiplier with a shift in [0, 62].

func.func @no_multiplier(%xq: !qc.qtensor<3x4, #qc.int<8>>) -> !qc.qtensor<3x2, #qc.int<8>> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8> : !qc.qtensor<2x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>, !qc.qtensor<2x4, #qc.int<8>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  %sx = arith.constant dense<1.0> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<3x2xf32>, tensor<f32>
  %sw = arith.constant dense<1.0> : tensor<f32>
  %y = nn.mul %y0, %sw : tensor<3x2xf32>, tensor<f32>
  %so = arith.constant dense<0x2B800000> : tensor<f32>
  // expected-error @+1 {{qc-integer-requantize: the scale ratio 1.099512e+12 has no 32-bit multiplier with a shift in [0, 62]}}
  %q = qc.quantize %y, %so : (tensor<3x2xf32>, tensor<f32>) -> !qc.qtensor<3x2, #qc.int<8>>
  return %q : !qc.qtensor<3x2, #qc.int<8>>
}

// -----

// The bias in the accumulator must leave every channel's exact range in 32
// bits. Weights [1, 0, 0, 0] against int8 inputs span [-128, 127]; the bias
// 2147482624 (sx = sw = 1) keeps 127 + b below 2^31: rewritten (a bound of
// max|x| * max|w| * K = 65536 would not allow it). With the weight 2 the
// sums reach 254 + 2147483520 >= 2^31: left alone.

// CHECK-LABEL: func @bias_fits_exactly
// CHECK: %[[B:.*]] = arith.constant dense<2147482624> : tensor<1xi32>
// CHECK: qc.linear %{{.*}}, %{{.*}} bias %[[B]]
// CHECK: qc.rescale
func.func @bias_fits_exactly(%xq: !qc.qtensor<1x4, #qc.int<8>>) -> !qc.qtensor<1x1, #qc.int<8>> {
  %w = qc.constant dense<[[1, 0, 0, 0]]> : tensor<1x4xi8> : !qc.qtensor<1x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<1x4, #qc.int<8>>, !qc.qtensor<1x4, #qc.int<8>>) -> tensor<1x1xi32>
  %f = nn.cast %acc to f32 : tensor<1x1xi32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %y0 = nn.mul %f, %one : tensor<1x1xf32>, tensor<f32>
  %y = nn.mul %y0, %one : tensor<1x1xf32>, tensor<f32>
  %b = arith.constant dense<2147482624.0> : tensor<1xf32>
  %z = nn.add %y, %b : tensor<1x1xf32>, tensor<1xf32>
  %so = arith.constant dense<16777216.0> : tensor<f32>
  %q = qc.quantize %z, %so : (tensor<1x1xf32>, tensor<f32>) -> !qc.qtensor<1x1, #qc.int<8>>
  return %q : !qc.qtensor<1x1, #qc.int<8>>
}

// -----

// CHECK-LABEL: func @bias_overflows
// CHECK-NOT: qc.rescale
// CHECK: qc.quantize
func.func @bias_overflows(%xq: !qc.qtensor<1x4, #qc.int<8>>) -> !qc.qtensor<1x1, #qc.int<8>> {
  %w = qc.constant dense<[[2, 0, 0, 0]]> : tensor<1x4xi8> : !qc.qtensor<1x4, #qc.int<8>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<1x4, #qc.int<8>>, !qc.qtensor<1x4, #qc.int<8>>) -> tensor<1x1xi32>
  %f = nn.cast %acc to f32 : tensor<1x1xi32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %y0 = nn.mul %f, %one : tensor<1x1xf32>, tensor<f32>
  %y = nn.mul %y0, %one : tensor<1x1xf32>, tensor<f32>
  %b = arith.constant dense<2147483520.0> : tensor<1xf32>
  %z = nn.add %y, %b : tensor<1x1xf32>, tensor<1xf32>
  %so = arith.constant dense<16777216.0> : tensor<f32>
  %q = qc.quantize %z, %so : (tensor<1x1xf32>, tensor<f32>) -> !qc.qtensor<1x1, #qc.int<8>>
  return %q : !qc.qtensor<1x1, #qc.int<8>>
}

// -----

// qc.conv, channels on axis 1: the [M] scales and bias reach the chain as
// [M, 1, 1] reshapes (as --qc-integer-linear writes them). The same
// numbers as @relu_signed: bias codes [8, -2], multiplier 2^30, shifts
// [29, 30], uint7 codes into the next convolution; the reshapes go too.

// CHECK-LABEL: func @conv_relu
// CHECK: %[[B:.*]] = arith.constant dense<[8, -2]> : tensor<2xi32>
// CHECK: %[[ACC:.*]] = qc.conv %{{.*}}, %{{.*}} bias %[[B]] {pads = array<i64: 1, 1, 1, 1>} : {{.*}} -> tensor<1x2x3x3xi32>
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1073741824> : tensor<2xi32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[29, 30]> : tensor<2xi8>
// CHECK: %[[Q:.*]] = qc.rescale %[[ACC]], %[[M]], %[[SH]] {axis = 1 : i64} : (tensor<1x2x3x3xi32>, tensor<2xi32>, tensor<2xi8>) -> !qc.qtensor<1x2x3x3, #qc.int<7, unsigned>>
// CHECK: qc.conv %[[Q]], %{{.*}} : (!qc.qtensor<1x2x3x3, #qc.int<7, unsigned>>
// CHECK-NOT: nn.
func.func @conv_relu(%xq: !qc.qtensor<1x1x3x3, #qc.int<8>>) -> tensor<1x1x3x3xi32> {
  %w = qc.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]> : tensor<2x1x3x3xi8>
    : !qc.qtensor<2x1x3x3, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %acc = qc.conv %xq, %w {pads = array<i64: 1, 1, 1, 1>} : (!qc.qtensor<1x1x3x3, #qc.int<8>>,
    !qc.qtensor<2x1x3x3, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<1x2x3x3xi32>
  %f = nn.cast %acc to f32 : tensor<1x2x3x3xi32>
  %sx = arith.constant dense<0.5> : tensor<f32>
  %y0 = nn.mul %f, %sx : tensor<1x2x3x3xf32>, tensor<f32>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %sw3 = nn.reshape %sw {shape = array<i64: 2, 1, 1>} : tensor<2xf32>
  %y = nn.mul %y0, %sw3 : tensor<1x2x3x3xf32>, tensor<2x1x1xf32>
  %b = arith.constant dense<[1.0, -0.09375]> : tensor<2xf32>
  %b3 = nn.reshape %b {shape = array<i64: 2, 1, 1>} : tensor<2xf32>
  %z = nn.add %y, %b3 : tensor<1x2x3x3xf32>, tensor<2x1x1xf32>
  %r = nn.relu %z : tensor<1x2x3x3xf32>
  %so = arith.constant dense<0.0625> : tensor<f32>
  %q = qc.quantize %r, %so : (tensor<1x2x3x3xf32>, tensor<f32>) -> !qc.qtensor<1x2x3x3, #qc.int<8>>
  %w2 = qc.constant dense<1> : tensor<1x2x1x1xi8>
    : !qc.qtensor<1x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %out = qc.conv %q, %w2 : (!qc.qtensor<1x2x3x3, #qc.int<8>>,
    !qc.qtensor<1x2x1x1, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<1x1x3x3xi32>
  return %out : tensor<1x1x3x3xi32>
}

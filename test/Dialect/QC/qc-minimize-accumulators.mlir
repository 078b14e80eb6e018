// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-minimize-accumulators | FileCheck %s
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-minimize-accumulators=multiple-of=8 | FileCheck %s --check-prefix=BYTE
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-minimize-accumulators=min-bits=14 | FileCheck %s --check-prefix=MIN

// int8 inputs in [-128, 127]: channel 0 reaches 10 * 127 = 1270 and
// -10 * 128 = -1280, channel 1 the mirror image: 1280 needs 12 bits (the
// data-type bound is 8 + 8 + 2 = 18). nn.cast takes the narrow type.

// CHECK-LABEL: func @exact
// CHECK: %[[ACC:.*]] = qc.linear %{{.*}}, %{{.*}} : ({{.*}}) -> tensor<3x2xi12>
// CHECK: nn.cast %[[ACC]] to f32 : tensor<3x2xi12>
// BYTE-LABEL: func @exact
// BYTE: qc.linear {{.*}} -> tensor<3x2xi16>
// MIN-LABEL: func @exact
// MIN: qc.linear {{.*}} -> tensor<3x2xi14>
func.func @exact(%xq: !qc.qtensor<3x4, #qc.int<8>>) -> tensor<3x2xf32> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>
    : !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>,
    !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  return %f : tensor<3x2xf32>
}

// -----

// uint4 inputs in [0, 15] and a bias: channel 0 spans 1000 - 8 * 15 = 880
// to 1000 + 7 * 15 = 1105, channel 1 -3000 to -2970: 13 bits. The bias is
// retyped with the accumulator; qc.rescale takes the narrow type.

// CHECK-LABEL: func @bias
// CHECK: %[[B:.*]] = arith.constant dense<[1000, -3000]> : tensor<2xi13>
// CHECK: %[[ACC:.*]] = qc.linear %{{.*}}, %{{.*}} bias %[[B]] : ({{.*}}) -> tensor<1x2xi13>
// CHECK: qc.rescale %[[ACC]], %{{.*}}, %{{.*}} : (tensor<1x2xi13>, tensor<i32>, tensor<i8>)
// BYTE-LABEL: func @bias
// BYTE: arith.constant dense<[1000, -3000]> : tensor<2xi16>
// BYTE: qc.linear {{.*}} -> tensor<1x2xi16>
func.func @bias(%xq: !qc.qtensor<1x2, #qc.int<4, unsigned>>) -> !qc.qtensor<1x2, #qc.int<8>> {
  %w = qc.constant dense<[[7, -8], [1, 1]]> : tensor<2x2xi4>
    : !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  %b = arith.constant dense<[1000, -3000]> : tensor<2xi32>
  %acc = qc.linear %xq, %w bias %b : (!qc.qtensor<1x2, #qc.int<4, unsigned>>,
    !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<2xi32>) -> tensor<1x2xi32>
  %m = arith.constant dense<1073741824> : tensor<i32>
  %s = arith.constant dense<40> : tensor<i8>
  %q = qc.rescale %acc, %m, %s : (tensor<1x2xi32>, tensor<i32>, tensor<i8>) -> !qc.qtensor<1x2, #qc.int<8>>
  return %q : !qc.qtensor<1x2, #qc.int<8>>
}

// -----

// uint8 inputs with a constant zero point 128: x - 128 in [-128, 127], so
// three unit weights reach 381 and -384: 10 bits. Other users (here the
// return) read the narrow sums through a cast back to i32.

// CHECK-LABEL: func @zero_point
// CHECK: %[[ACC:.*]] = qc.linear {{.*}} -> tensor<2x1xi10>
// CHECK: %[[WIDE:.*]] = nn.cast %[[ACC]] to i32 : tensor<2x1xi10>
// CHECK: return %[[WIDE]] : tensor<2x1xi32>
func.func @zero_point(%xq: !qc.qtensor<2x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>) -> tensor<2x1xi32> {
  %w = qc.constant dense<[[1, 1, 1]]> : tensor<1x3xi8> : !qc.qtensor<1x3, #qc.int<8>>
  %z = arith.constant dense<128> : tensor<i32>
  %acc = qc.linear %xq, %w input_zero_point %z : (!qc.qtensor<2x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
    !qc.qtensor<1x3, #qc.int<8>>, tensor<i32>) -> tensor<2x1xi32>
  return %acc : tensor<2x1xi32>
}

// -----

// A zero point known only at run time: x - z in [-255, 255], 765 needs 11
// bits.

// CHECK-LABEL: func @run_time_zero_point
// CHECK: qc.linear {{.*}} -> tensor<2x1xi11>
func.func @run_time_zero_point(%xq: !qc.qtensor<2x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
                               %z: tensor<i32>) -> tensor<2x1xf32> {
  %w = qc.constant dense<[[1, 1, 1]]> : tensor<1x3xi8> : !qc.qtensor<1x3, #qc.int<8>>
  %acc = qc.linear %xq, %w input_zero_point %z : (!qc.qtensor<2x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
    !qc.qtensor<1x3, #qc.int<8>>, tensor<i32>) -> tensor<2x1xi32>
  %f = nn.cast %acc to f32 : tensor<2x1xi32>
  return %f : tensor<2x1xf32>
}

// -----

// Weights known only at run time count with int4's extremes: 8 terms of at
// most (-8) * (-8) = 64 and at least 7 * (-8) = -56, [-448, 512]: 11 bits,
// the data-type bound 4 + 4 + 3.

// CHECK-LABEL: func @run_time_weights
// CHECK: qc.linear {{.*}} -> tensor<1x2xi11>
func.func @run_time_weights(%xq: !qc.qtensor<1x8, #qc.int<4>>,
                            %w: !qc.qtensor<2x8, #qc.int<4>>) -> tensor<1x2xf32> {
  %acc = qc.linear %xq, %w : (!qc.qtensor<1x8, #qc.int<4>>, !qc.qtensor<2x8, #qc.int<4>>) -> tensor<1x2xi32>
  %f = nn.cast %acc to f32 : tensor<1x2xi32>
  return %f : tensor<1x2xf32>
}

// -----

// A bias known only at run time: left alone.

// CHECK-LABEL: func @run_time_bias
// CHECK: qc.linear {{.*}} -> tensor<1x1xi32>
func.func @run_time_bias(%xq: !qc.qtensor<1x2, #qc.int<8>>, %b: tensor<1xi32>) -> tensor<1x1xf32> {
  %w = qc.constant dense<[[1, 1]]> : tensor<1x2xi8> : !qc.qtensor<1x2, #qc.int<8>>
  %acc = qc.linear %xq, %w bias %b : (!qc.qtensor<1x2, #qc.int<8>>, !qc.qtensor<1x2, #qc.int<8>>, tensor<1xi32>) -> tensor<1x1xi32>
  %f = nn.cast %acc to f32 : tensor<1x1xi32>
  return %f : tensor<1x1xf32>
}

// -----

// An 8-bit accumulator the sums can overflow (they need 12 bits): a
// warning, and the layer stays as it is.

// CHECK-LABEL: func @overflow
// CHECK: qc.linear {{.*}} -> tensor<3x2xi8>
func.func @overflow(%xq: !qc.qtensor<3x4, #qc.int<8>>) -> tensor<3x2xf32> {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>
    : !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  // expected-warning @+1 {{qc-minimize-accumulators: the 8-bit accumulator of}}
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>,
    !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<3x2xi8>
  %f = nn.cast %acc to f32 : tensor<3x2xi8>
  return %f : tensor<3x2xf32>
}

// -----

// qc.conv: each output channel sums its C/G * kH * kW = 4 window terms
// (padded positions add 0, inside every range). int4 inputs in [-8, 7]:
// channel 0 (weights 3, -2, 1, 4; bias 5) spans -78 + 5 to 72 + 5, channel
// 1 (four -8s; bias -100) -224 - 100 = -324 to 256 - 100 = 156: 10 bits.
// CHECK-LABEL: func @conv
// CHECK: %[[B:.*]] = arith.constant dense<[5, -100]> : tensor<2xi10>
// CHECK: %[[ACC:.*]] = qc.conv %{{.*}}, %{{.*}} bias %[[B]] {pads = array<i64: 0, 1, 0, 1>} : ({{.*}}) -> tensor<1x2x3x3xi10>
// CHECK: nn.cast %[[ACC]] to f32 : tensor<1x2x3x3xi10>
// BYTE-LABEL: func @conv
// BYTE: qc.conv {{.*}} -> tensor<1x2x3x3xi16>
// MIN-LABEL: func @conv
// MIN: qc.conv {{.*}} -> tensor<1x2x3x3xi14>
func.func @conv(%xq: !qc.qtensor<1x2x3x2, #qc.int<4>>) -> tensor<1x2x3x3xf32> {
  %w = qc.constant dense<[[[[3, -2]], [[1, 4]]], [[[-8, -8]], [[-8, -8]]]]> : tensor<2x2x1x2xi4>
    : !qc.qtensor<2x2x1x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  %b = arith.constant dense<[5, -100]> : tensor<2xi32>
  %acc = qc.conv %xq, %w bias %b {pads = array<i64: 0, 1, 0, 1>} : (!qc.qtensor<1x2x3x2, #qc.int<4>>,
    !qc.qtensor<2x2x1x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>, tensor<2xi32>) -> tensor<1x2x3x3xi32>
  %f = nn.cast %acc to f32 : tensor<1x2x3x3xi32>
  return %f : tensor<1x2x3x3xf32>
}

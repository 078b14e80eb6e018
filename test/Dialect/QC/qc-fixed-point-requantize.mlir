// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-fixed-point-requantize | FileCheck %s

// s_in / s_out = fl32(0.01) / fl32(0.1) = 0.0999999962747... =
// 0.79999997 * 2^-3: multiplier round(0.79999997 * 2^31) = 1717986854,
// shift 34. The zero points carry over.
// CHECK-LABEL: func.func @per_tensor
// CHECK-DAG: %[[M:.*]] = arith.constant dense<1717986854> : tensor<i32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<34> : tensor<i8>
// CHECK: qc.rescale %arg0, %[[M]], %[[SH]] output_zero_point %arg1 : (!qc.qtensor<16, #qc.int<16>>, tensor<i32>, tensor<i8>, tensor<i32>) -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
// CHECK-NOT: qc.requantize
func.func @per_tensor(%q: !qc.qtensor<16, #qc.int<16>>, %z: tensor<i32>) -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %s0 = arith.constant dense<0.01> : tensor<f32>
  %s1 = arith.constant dense<0.1> : tensor<f32>
  %r = qc.requantize %q, %s0 to %s1 zero_points %z : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>, tensor<i32>) -> !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %r : !qc.qtensor<16, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

// -----

// Per-channel input scales (an int32 accumulator's s_x * s_w[n]) against
// one output scale: ratios 0.5 = 0.5 * 2^0 -> (2^30, 31), 3 = 0.75 * 2^2 ->
// (1610612736, 29), 1 = 0.5 * 2^1 -> (2^30, 30).
// CHECK-LABEL: func.func @per_axis
// CHECK-DAG: arith.constant dense<[1073741824, 1610612736, 1073741824]> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<[31, 29, 30]> : tensor<3xi8>
// CHECK: qc.rescale {{.*}} {axis = 1 : i64} : (!qc.qtensor<2x3, #qc.int<32>, #qc.scheme<per_axis, axis = 1>>, tensor<3xi32>, tensor<3xi8>) -> !qc.qtensor<2x3, #qc.int<8>>
func.func @per_axis(%q: !qc.qtensor<2x3, #qc.int<32>, #qc.scheme<per_axis, axis = 1>>) -> !qc.qtensor<2x3, #qc.int<8>> {
  %s0 = arith.constant dense<[0.125, 0.75, 0.25]> : tensor<3xf32>
  %s1 = arith.constant dense<0.25> : tensor<f32>
  %r = qc.requantize %q, %s0 to %s1 : (!qc.qtensor<2x3, #qc.int<32>, #qc.scheme<per_axis, axis = 1>>, tensor<3xf32>, tensor<f32>) -> !qc.qtensor<2x3, #qc.int<8>>
  return %r : !qc.qtensor<2x3, #qc.int<8>>
}

// -----

// Left alone: scales known only at run time, a float output format.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: qc.requantize
// CHECK-NOT: qc.rescale
func.func @left_alone(%q: !qc.qtensor<16, #qc.int<16>>, %s: tensor<f32>) -> (!qc.qtensor<16, #qc.int<8>>, !qc.qtensor<16, #qc.float<fp8e4m3fn>>) {
  %s1 = arith.constant dense<0.1> : tensor<f32>
  %a = qc.requantize %q, %s to %s1 : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<16, #qc.int<8>>
  %b = qc.requantize %q, %s1 to %s1 : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<16, #qc.float<fp8e4m3fn>>
  return %a, %b : !qc.qtensor<16, #qc.int<8>>, !qc.qtensor<16, #qc.float<fp8e4m3fn>>
}

// -----

func.func @no_multiplier(%q: !qc.qtensor<16, #qc.int<16>>) -> !qc.qtensor<16, #qc.int<8>> {
  %s0 = arith.constant dense<1.0e-30> : tensor<f32>
  %s1 = arith.constant dense<1.0> : tensor<f32>
  // expected-error @+1 {{qc-fixed-point-requantize: the scale ratio 1.000000e-30 (1.000000e-30 / 1.000000e+00) has no 32-bit multiplier with a shift in [0, 62]}}
  %r = qc.requantize %q, %s0 to %s1 : (!qc.qtensor<16, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<16, #qc.int<8>>
  return %r : !qc.qtensor<16, #qc.int<8>>
}

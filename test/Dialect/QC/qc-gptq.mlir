// RUN: quant-opt %s --split-input-file --qc-gptq --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-gptq="act-order=true block=1" --verify-diagnostics | FileCheck %s

// W = [0.7, 0.65, 0.33]^T, per-channel int4 scale 0.1. Channel 0 is exact;
// channel 1 rounds 6.5 -> 6 (0.65f / 0.1f is just below 6.5), an error of
// 0.05 that GPTQ moves onto channel 2 through the Hessian coupling 0.5:
// with U the upper Cholesky factor of H^-1 (U11 = 2/sqrt(3), U12 =
// -1/sqrt(3)), w2 = 0.33 + 0.05 / 2 = 0.355 -> 4, where round-to-nearest
// gives 3. With an identity Hessian GPTQ is round-to-nearest.
// CHECK-LABEL: func.func @coupled
// CHECK: qc.constant dense<{{\[}}[7], [6], [4]]> : tensor<3x1xi4> : !qc.qtensor<3x1, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>
// CHECK: arith.constant dense<1.000000e-01> : tensor<1xf32>
// CHECK-NOT: qc.hessian
func.func @coupled(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[0.7], [0.65], [0.33]]> : tensor<3x1xf32>
  %y = nn.matmul %x, %w {qc.hessian = dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 1.0]]> : tensor<3x3xf32>} : tensor<2x3xf32>, tensor<3x1xf32>
  return %y : tensor<2x1xf32>
}

// CHECK-LABEL: func.func @identity
// CHECK: qc.constant dense<{{\[}}[7], [6], [3]]> : tensor<3x1xi4>
func.func @identity(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[0.7], [0.65], [0.33]]> : tensor<3x1xf32>
  %y = nn.matmul %x, %w {qc.hessian = dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>} : tensor<2x3xf32>, tensor<3x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

func.func @uncalibrated(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<1.0> : tensor<3x1xf32>
  // expected-error@+1 {{qc-gptq: layer 'nn.matmul' has no Hessian; run --qc-calibrate with hessian=true first}}
  %y = nn.matmul %x, %w : tensor<2x3xf32>, tensor<3x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

func.func @wrong_size(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<1.0> : tensor<3x1xf32>
  // expected-error@+1 {{qc-gptq: the Hessian of layer 'nn.matmul' is not 3x3}}
  %y = nn.matmul %x, %w {qc.hessian = dense<1.0> : tensor<2x2xf32>} : tensor<2x3xf32>, tensor<3x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Convolutions without a patch Hessian (grouped ones, or not calibrated
// with hessian=true) are rounded to nearest, with a remark; one with a
// Hessian over its C * kH * kW = 2 patch inputs goes through GPTQ (no
// remark): its weight [2, 1, 1, 2] is read as [N, K] = [2, 2].
// CHECK-LABEL: func.func @conv
// CHECK: qc.constant {{.*}} : tensor<2x1x1x1xi4>
// CHECK: qc.constant {{.*}} : tensor<2x1x1x1xi4>
// CHECK: qc.constant dense<{{\[\[\[\[}}7, 3]]], {{\[\[\[}}-7, 0]]]]> : tensor<2x1x1x2xi4>
func.func @conv(%x: tensor<1x1x4x4xf32>, %x2: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x3xf32>) {
  %w = arith.constant dense<[[[[0.5]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  // expected-remark@+1 {{qc-gptq: convolution 'nn.conv' quantized with round-to-nearest (GPTQ needs its patch Hessian: one group, no weight groups)}}
  %y = nn.conv %x, %w : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>
  // expected-remark@+1 {{qc-gptq: convolution 'nn.conv' quantized with round-to-nearest (GPTQ needs its patch Hessian: one group, no weight groups)}}
  %g = nn.conv %x2, %w {group = 2 : i64} : tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>
  %w2 = arith.constant dense<[[[[7.0, 2.6]]], [[[-1.0, 0.0]]]]> : tensor<2x1x1x2xf32>
  %h = nn.conv %x, %w2 {qc.hessian = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<1x1x4x4xf32>, tensor<2x1x1x2xf32>
  return %y, %g, %h : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x3xf32>
}

// -----

// Fewer calibrated token rows (2) than inputs (3): one warning for the
// function, naming the first such layer.
func.func @few_rows(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x1xf32>) {
  %w = arith.constant dense<[[0.7], [0.65], [0.33]]> : tensor<3x1xf32>
  // expected-warning@+1 {{qc-gptq: 2 of 2 layers were calibrated on fewer token rows than they have inputs (first: 'nn.matmul', 2 rows for 3 inputs); their Hessians are rank-deficient and GPTQ fits the calibration tokens: calibrate on more samples}}
  %y = nn.matmul %x, %w {qc.calibration = {rows = 2 : i64}, qc.hessian = dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 1.0]]> : tensor<3x3xf32>} : tensor<2x3xf32>, tensor<3x1xf32>
  %z = nn.matmul %x, %w {qc.calibration = {rows = 2 : i64}, qc.hessian = dense<[[1.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.5, 1.0]]> : tensor<3x3xf32>} : tensor<2x3xf32>, tensor<3x1xf32>
  return %y, %z : tensor<2x1xf32>, tensor<2x1xf32>
}

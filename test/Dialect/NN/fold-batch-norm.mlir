// RUN: quant-opt %s --split-input-file --qc-fold-batch-norm | FileCheck %s

// s = scale / sqrt(var + eps) = [4 / 2, 0.5 / 1] = [2, 0.5]:
// W' = [3 * 2, -1 * 0.5], b' = [(1 - 1) * 2 + 0.5, (2 - 0) * 0.5 - 1].
// The window attributes stay; a convolution without a bias gets one.
// CHECK-LABEL: func.func @fold
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}6.000000e+00]]], {{\[\[\[}}-5.000000e-01]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, 0.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B2:.*]] = arith.constant dense<[-1.500000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.conv %arg0, %[[W]], %[[B]] {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>
// CHECK: %[[Z:.*]] = nn.conv %arg0, %[[W]], %[[B2]] : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>
// CHECK-NOT: nn.batch_norm
// CHECK: return %[[Y]], %[[Z]]
func.func @fold(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<[[[[3.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant dense<[4.0, 0.5]> : tensor<2xf32>
  %t = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %m = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %y = nn.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>
  %n = nn.batch_norm %y, %s, %t, %m, %v {epsilon = 1.0 : f32} : tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  %z = nn.conv %x, %w : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>
  %nz = nn.batch_norm %z, %s, %t, %m, %v {epsilon = 1.0 : f32} : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  return %n, %nz : tensor<1x2x3x3xf32>, tensor<1x2x4x4xf32>
}

// -----

// Left alone: a convolution with another user, run-time parameters, a
// run-time weight, and a normalization of something else.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: nn.batch_norm
func.func @kept(%x: tensor<1x1x4x4xf32>, %s: tensor<2xf32>, %wr: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<[[[[3.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = nn.conv %x, %w : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>
  %a = nn.batch_norm %y, %c, %c, %c, %c : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  %y2 = nn.conv %x, %w : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>
  %b = nn.batch_norm %y2, %s, %c, %c, %c : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  %y3 = nn.conv %x, %wr : tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>
  %d = nn.batch_norm %y3, %c, %c, %c, %c : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  %r = nn.relu %y2 : tensor<1x2x4x4xf32>
  %e = nn.batch_norm %r, %c, %c, %c, %c : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  return %y, %a, %b, %d, %e : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// RUN: quant-opt %s --split-input-file --qc-rotate-values="seed=0" --verify-diagnostics | FileCheck %s

// Two heads of size 2: the value projection's rows become
// [(a + b), (a - b), (c + d), (c - d)] / sqrt(2) (H_2 per head), the output
// projection's row pairs (r0, r1) become ((r0 + r1), (r0 - r1)) / sqrt(2).
// The query projection, whose path stops before attention, is unchanged.
// CHECK-LABEL: func.func @attention
// CHECK-DAG: arith.constant dense<{{\[}}[2.12132025, -0.707106769, 4.94974756, -0.707106769], [2.12132025, -0.707106769, 4.94974756, -0.707106769], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// CHECK-DAG: arith.constant dense<{{\[}}[0.707106769, 0.707106769, 0.707106769, 0.707106769], [0.707106769, -0.707106769, 0.707106769, -0.707106769], [1.41421354, 1.41421354, 1.41421354, 1.41421354], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<4x4xf32>
func.func @attention(%x: tensor<1x4x4xf32>, %probs: tensor<1x2x4x4xf32>) -> (tensor<1x4x4xf32>, tensor<1x2x4x2xf32>) {
  %wq = arith.constant dense<0.5> : tensor<4x4xf32>
  %wv = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %wo = arith.constant dense<[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<4x4xf32>
  %q = nn.matmul %x, %wq : tensor<1x4x4xf32>, tensor<4x4xf32>
  %q1 = nn.reshape %q {shape = array<i64: 1, 4, 2, 2>} : tensor<1x4x4xf32>
  %q2 = nn.transpose %q1 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x2xf32>
  %v = nn.matmul %x, %wv : tensor<1x4x4xf32>, tensor<4x4xf32>
  %v1 = nn.reshape %v {shape = array<i64: 1, 4, 2, 2>} : tensor<1x4x4xf32>
  %v2 = nn.transpose %v1 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x2xf32>
  %c = nn.matmul %probs, %v2 : tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>
  %c1 = nn.transpose %c {perm = array<i64: 0, 2, 1, 3>} : tensor<1x2x4x2xf32>
  %c2 = nn.reshape %c1 {shape = array<i64: 1, 4, 4>} : tensor<1x4x2x2xf32>
  %o = nn.matmul %c2, %wo : tensor<1x4x4xf32>, tensor<4x4xf32>
  return %o, %q2 : tensor<1x4x4xf32>, tensor<1x2x4x2xf32>
}

// -----

// After attention the heads are mixed by a softmax over channels: not
// head-wise, so the values stay as they are.
// CHECK-LABEL: func.func @mixed
// CHECK: arith.constant dense<1.000000e+00> : tensor<4x4xf32>
func.func @mixed(%x: tensor<1x4x4xf32>, %probs: tensor<1x2x4x4xf32>) -> tensor<1x2x4x2xf32> {
  %wv = arith.constant dense<1.0> : tensor<4x4xf32>
  %v = nn.matmul %x, %wv : tensor<1x4x4xf32>, tensor<4x4xf32>
  %v1 = nn.reshape %v {shape = array<i64: 1, 4, 2, 2>} : tensor<1x4x4xf32>
  %v2 = nn.transpose %v1 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x2xf32>
  %c = nn.matmul %probs, %v2 : tensor<1x2x4x4xf32>, tensor<1x2x4x2xf32>
  // expected-remark@+1 {{qc-rotate-values: the values of 'nn.matmul' are not rotated: this op does not keep heads apart}}
  %s = nn.softmax %c {axis = -1 : i64} : tensor<1x2x4x2xf32>
  return %s : tensor<1x2x4x2xf32>
}

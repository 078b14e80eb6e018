// RUN: quant-opt %s -split-input-file --qc-raise-decomposed-ops --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x64xf32>)
// CHECK: %[[G:.*]] = arith.constant dense<2.000000e+00> : tensor<64xf32>
// CHECK: %[[Y:.*]] = nn.rms_norm %[[X]], %[[G]] {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %g = arith.constant dense<2.0> : tensor<64xf32>
  %sq = nn.pow %x, %two : tensor<2x64xf32>, tensor<f32>
  %m = nn.reduce_mean %sq {axes = array<i64: -1>} : tensor<2x64xf32>
  %v = nn.add %m, %eps : tensor<2x1xf32>, tensor<f32>
  %s = nn.sqrt %v : tensor<2x1xf32>
  %r = nn.div %one, %s : tensor<f32>, tensor<2x1xf32>
  %n = nn.mul %x, %r : tensor<2x64xf32>, tensor<2x1xf32>
  %y = nn.mul %g, %n : tensor<64xf32>, tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// x / sqrt(mean(x * x) + eps), without a gain (epsilon 1e-5 is the default
// and is not printed).
// CHECK-LABEL: func.func @rms_norm_div
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: nn.rms_norm %{{.*}}, %[[ONES]] : tensor<4x8xf32>, tensor<8xf32>
func.func @rms_norm_div(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %sq = nn.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %m = nn.reduce_mean %sq {axes = array<i64: 1>} : tensor<4x8xf32>
  %v = nn.add %eps, %m : tensor<f32>, tensor<4x1xf32>
  %s = nn.sqrt %v : tensor<4x1xf32>
  %y = nn.div %x, %s : tensor<4x8xf32>, tensor<4x1xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x16xf32>)
// CHECK: nn.layer_norm %[[X]], %{{.*}}, %{{.*}} {epsilon = 9.99999996E-13 : f32}
// CHECK-NOT: nn.reduce_mean
func.func @layer_norm(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-12> : tensor<f32>
  %g = arith.constant dense<1.5> : tensor<16xf32>
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %mean = nn.reduce_mean %x {axes = array<i64: -1>} : tensor<2x16xf32>
  %d = nn.sub %x, %mean : tensor<2x16xf32>, tensor<2x1xf32>
  %sq = nn.pow %d, %two : tensor<2x16xf32>, tensor<f32>
  %var = nn.reduce_mean %sq {axes = array<i64: -1>} : tensor<2x16xf32>
  %v = nn.add %var, %eps : tensor<2x1xf32>, tensor<f32>
  %s = nn.sqrt %v : tensor<2x1xf32>
  %n = nn.div %d, %s : tensor<2x16xf32>, tensor<2x1xf32>
  %sc = nn.mul %n, %g : tensor<2x16xf32>, tensor<16xf32>
  %y = nn.add %sc, %b : tensor<2x16xf32>, tensor<16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[Y:.*]] = nn.gelu %[[X]] : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %a = nn.div %x, %sqrt2 : tensor<4x8xf32>, tensor<f32>
  %e = nn.erf %a : tensor<4x8xf32>
  %p = nn.add %e, %one : tensor<4x8xf32>, tensor<f32>
  %m = nn.mul %x, %p : tensor<4x8xf32>, tensor<4x8xf32>
  %y = nn.mul %m, %half : tensor<4x8xf32>, tensor<f32>
  return %y : tensor<4x8xf32>
}

// -----

// Not raised: the reduction is not over the last axis; the epsilon is not a
// constant.
// CHECK-LABEL: func.func @not_raised
// CHECK-NOT: nn.rms_norm
// CHECK: nn.reduce_mean
func.func @not_raised(%x: tensor<4x8xf32>, %eps: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c = arith.constant dense<1.0e-5> : tensor<f32>
  %sq = nn.mul %x, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %m = nn.reduce_mean %sq {axes = array<i64: 0>} : tensor<4x8xf32>
  %v = nn.add %m, %c : tensor<1x8xf32>, tensor<f32>
  %s = nn.sqrt %v : tensor<1x8xf32>
  %y = nn.div %x, %s : tensor<4x8xf32>, tensor<1x8xf32>
  %m2 = nn.reduce_mean %sq {axes = array<i64: 1>} : tensor<4x8xf32>
  %v2 = nn.add %m2, %eps : tensor<4x1xf32>, tensor<f32>
  %s2 = nn.sqrt %v2 : tensor<4x1xf32>
  %z = nn.div %x, %s2 : tensor<4x8xf32>, tensor<4x1xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// torch's addmm over flattened tokens (GPT-2's Conv1D): the product on the
// tokens' own shape, the bias an add.
// CHECK-LABEL: func.func @flattened_gemm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[W:.*]]: tensor<4x5xf32>, %[[B:.*]]: tensor<5xf32>)
// CHECK-NEXT: %[[P:.*]] = nn.matmul %[[X]], %[[W]] : tensor<2x3x4xf32>, tensor<4x5xf32>
// CHECK-NEXT: %[[Y:.*]] = nn.add %[[P]], %[[B]] : tensor<2x3x5xf32>, tensor<5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @flattened_gemm(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %f = nn.reshape %x {shape = array<i64: 6, 4>} : tensor<2x3x4xf32>
  %g = nn.gemm %f, %w, %b : tensor<6x4xf32>, tensor<4x5xf32>, tensor<5xf32>
  %y = nn.reshape %g {shape = array<i64: 2, 3, 5>} : tensor<6x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// A transposed constant weight becomes the transposed constant; a [1, N]
// bias stays a row.
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[P:.*]] = nn.matmul %arg0, %[[W]] : tensor<4x3xf32>, tensor<3x2xf32>
// CHECK: nn.add %[[P]], %arg1 : tensor<4x2xf32>, tensor<1x2xf32>
// CHECK-NOT: nn.gemm
func.func @gemm_trans_b(%x: tensor<4x3xf32>, %b: tensor<1x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = nn.gemm %x, %w, %b {transB = true} : tensor<4x3xf32>, tensor<2x3xf32>, tensor<1x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A transposed run-time weight gets an nn.transpose.
// CHECK-LABEL: func.func @gemm_trans_b_runtime
// CHECK: %[[T:.*]] = nn.transpose %arg1 {perm = array<i64: 1, 0>} : tensor<2x3xf32>
// CHECK: nn.matmul %arg0, %[[T]] : tensor<4x3xf32>, tensor<3x2xf32>
func.func @gemm_trans_b_runtime(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %y = nn.gemm %x, %w {transB = true} : tensor<4x3xf32>, tensor<2x3xf32>
  return %y : tensor<4x2xf32>
}

// -----

// What is not a plain linear layer stays a gemm: alpha, beta, transA, a
// full [M, N] addend.
// CHECK-LABEL: func.func @gemm_kept
// CHECK-COUNT-4: nn.gemm
// CHECK-NOT: nn.matmul
func.func @gemm_kept(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>, %c: tensor<4x2xf32>, %xt: tensor<3x4xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %0 = nn.gemm %x, %w, %b {alpha = 2.0 : f32} : tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>
  %1 = nn.gemm %x, %w, %b {beta = 0.5 : f32} : tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>
  %2 = nn.gemm %xt, %w, %b {transA = true} : tensor<3x4xf32>, tensor<3x2xf32>, tensor<2xf32>
  %3 = nn.gemm %x, %w, %c : tensor<4x3xf32>, tensor<3x2xf32>, tensor<4x2xf32>
  return %0, %1, %2, %3 : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// An identity reshape is its input; the transpose of a constant matrix (a
// tied head) is a constant.
// CHECK-LABEL: func.func @tied_head
// CHECK: %[[H:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NOT: nn.reshape
// CHECK-NOT: nn.transpose
// CHECK: nn.matmul %arg0, %[[H]]
func.func @tied_head(%x: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %e = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %r = nn.reshape %x {shape = array<i64: 1, 3, 2>} : tensor<1x3x2xf32>
  %t = nn.transpose %e {perm = array<i64: 1, 0>} : tensor<2x2xf32>
  %y = nn.matmul %r, %t : tensor<1x3x2xf32>, tensor<2x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// The tanh form (torch's gelu(approximate='tanh'), Hugging Face's
// gelu_new): 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = nn.gelu %[[X]] {approximate = "tanh"} : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %half = arith.constant dense<0.5> : tensor<f32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %c = arith.constant dense<0.044715> : tensor<f32>
  %k = arith.constant dense<0.797884583> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %h = nn.mul %x, %half : tensor<4x8xf32>, tensor<f32>
  %p = nn.pow %x, %three : tensor<4x8xf32>, tensor<f32>
  %pc = nn.mul %p, %c : tensor<4x8xf32>, tensor<f32>
  %s = nn.add %x, %pc : tensor<4x8xf32>, tensor<4x8xf32>
  %sk = nn.mul %s, %k : tensor<4x8xf32>, tensor<f32>
  %t = nn.tanh %sk : tensor<4x8xf32>
  %t1 = nn.add %t, %one : tensor<4x8xf32>, tensor<f32>
  %y = nn.mul %h, %t1 : tensor<4x8xf32>, tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The cube as x * x * x, constants on the left; a wrong coefficient is left
// alone.
// CHECK-LABEL: func.func @gelu_tanh_forms
// CHECK: nn.gelu %arg0 {approximate = "tanh"}
// CHECK: nn.tanh
// CHECK-NOT: nn.gelu
func.func @gelu_tanh_forms(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %half = arith.constant dense<0.5> : tensor<f32>
  %c = arith.constant dense<0.044715> : tensor<f32>
  %bad = arith.constant dense<0.05> : tensor<f32>
  %k = arith.constant dense<0.797884583> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %sq = nn.mul %x, %x : tensor<8xf32>, tensor<8xf32>
  %cube = nn.mul %sq, %x : tensor<8xf32>, tensor<8xf32>
  %pc = nn.mul %c, %cube : tensor<f32>, tensor<8xf32>
  %s = nn.add %pc, %x : tensor<8xf32>, tensor<8xf32>
  %sk = nn.mul %k, %s : tensor<f32>, tensor<8xf32>
  %t = nn.tanh %sk : tensor<8xf32>
  %t1 = nn.add %one, %t : tensor<f32>, tensor<8xf32>
  %h = nn.mul %half, %x : tensor<f32>, tensor<8xf32>
  %y = nn.mul %t1, %h : tensor<8xf32>, tensor<8xf32>
  %sq2 = nn.mul %x, %x : tensor<8xf32>, tensor<8xf32>
  %cube2 = nn.mul %sq2, %x : tensor<8xf32>, tensor<8xf32>
  %pb = nn.mul %bad, %cube2 : tensor<f32>, tensor<8xf32>
  %s2 = nn.add %pb, %x : tensor<8xf32>, tensor<8xf32>
  %sk2 = nn.mul %k, %s2 : tensor<f32>, tensor<8xf32>
  %u = nn.tanh %sk2 : tensor<8xf32>
  %u1 = nn.add %one, %u : tensor<f32>, tensor<8xf32>
  %h2 = nn.mul %half, %x : tensor<f32>, tensor<8xf32>
  %z = nn.mul %u1, %h2 : tensor<8xf32>, tensor<8xf32>
  return %y, %z : tensor<8xf32>, tensor<8xf32>
}

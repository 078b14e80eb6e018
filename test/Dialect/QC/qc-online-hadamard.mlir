// RUN: quant-opt %s --split-input-file --qc-online-hadamard="seed=0" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-online-hadamard="seed=0 qk=true" | FileCheck %s --check-prefix=QK
// RUN: quant-opt %s --split-input-file --qc-online-hadamard="seed=0 block=2 permute=true" --verify-diagnostics | FileCheck %s --check-prefix=MIX

// An input that is not a norm output is rotated at run time and W becomes
// H^T W with H = [[1, 1], [1, -1]] / sqrt(2):
// H^T [[1, 2], [3, 4]] = [[4, 6], [-2, -2]] / sqrt(2).
// CHECK-LABEL: func.func @plain
// CHECK: %[[R:.*]] = qc.rotate %arg0 by #qc.hadamard<2> along 1 : tensor<3x2xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.82842708, 4.2426405], [-1.41421354, -1.41421354]]> : tensor<2x2xf32>
// CHECK: nn.matmul %[[R]], %[[W]]
func.func @plain(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // expected-error@+1 {{qc-online-hadamard: permute=true needs calibrated channel statistics (run --qc-calibrate first); layer 'nn.matmul' has none}}
  %y = nn.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// SwiGLU MLP: gate/up read a norm (residual stream, left to
// --qc-rotate-residual); the down projection is rotated. With MixQuant the
// calibrated mean |x| [1, 4, 2, 3] gives MassDiff blocks {1, 0} and {3, 2}:
// perm = [1, 0, 3, 2], folded into the gate/up columns and the down rows,
// then the block Hadamard of order 2 acts on each pair of rows.
// CHECK-LABEL: func.func @mlp
// CHECK: nn.rms_norm
// CHECK-NOT: qc.rotate
// CHECK: nn.mul
// CHECK: qc.rotate %{{.*}} by #qc.hadamard<4> along 1 : tensor<3x4xf32>
// MIX-LABEL: func.func @mlp
// MIX: arith.constant dense<{{\[}}[2.000000e+00, 1.000000e+00, 4.000000e+00, 3.000000e+00], [6.000000e+00, 5.000000e+00, 8.000000e+00, 7.000000e+00]]> : tensor<2x4xf32>
// MIX: arith.constant dense<{{\[}}[1.500000e+00, 5.000000e-01, 3.500000e+00, 2.500000e+00], [5.500000e+00, 4.500000e+00, 7.500000e+00, 6.500000e+00]]> : tensor<2x4xf32>
// MIX: %[[R:.*]] = qc.rotate %{{.*}} by #qc.block_hadamard<4, block = 2> along 1 : tensor<3x4xf32>
// MIX: %[[W:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [-0.707106769, 0.707106769], [1.41421354, 1.41421354], [-1.41421354, 1.41421354]]> : tensor<4x2xf32>
// MIX: nn.matmul %[[R]], %[[W]]
func.func @mlp(%h: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %ones = arith.constant dense<1.0> : tensor<2xf32>
  %n = nn.rms_norm %h, %ones : tensor<3x2xf32>, tensor<2xf32>
  %wg = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %wu = arith.constant dense<[[0.5, 1.5, 2.5, 3.5], [4.5, 5.5, 6.5, 7.5]]> : tensor<2x4xf32>
  %wd = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 2.0]]> : tensor<4x2xf32>
  %g = nn.matmul %n, %wg : tensor<3x2xf32>, tensor<2x4xf32>
  %u = nn.matmul %n, %wu : tensor<3x2xf32>, tensor<2x4xf32>
  %sg = nn.sigmoid %g : tensor<3x4xf32>
  %silu = nn.mul %g, %sg : tensor<3x4xf32>, tensor<3x4xf32>
  %m = nn.mul %silu, %u : tensor<3x4xf32>, tensor<3x4xf32>
  %y = nn.matmul %m, %wd {qc.calibration = {channel_mean_abs = dense<[1.0, 4.0, 2.0, 3.0]> : tensor<4xf32>}} : tensor<3x4xf32>, tensor<4x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A width that blocks of order 2 (or, without blocks, any Hadamard order)
// do not fit is left alone with a remark.
// CHECK-LABEL: func.func @odd
// CHECK-NOT: qc.rotate
func.func @odd(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  // expected-remark@+1 {{qc-online-hadamard: no Hadamard matrix of order 2 for the 3 input channels of 'nn.matmul'; left unrotated}}
  %y = nn.matmul %x, %w {qc.calibration = {channel_mean_abs = dense<1.0> : tensor<3xf32>}} : tensor<1x3xf32>, tensor<3x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// With MixQuant the permutation cannot pass a value also used elsewhere:
// the input is rotated without it.
// CHECK-LABEL: func.func @shared
// MIX-LABEL: func.func @shared
// MIX: qc.rotate %{{.*}} by #qc.block_hadamard<4, block = 2> along 1
func.func @shared(%h: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %ones = arith.constant dense<1.0> : tensor<2xf32>
  %n = nn.rms_norm %h, %ones : tensor<3x2xf32>, tensor<2xf32>
  %wg = arith.constant dense<1.0> : tensor<2x4xf32>
  %wd = arith.constant dense<1.0> : tensor<4x2xf32>
  %g = nn.matmul %n, %wg : tensor<3x2xf32>, tensor<2x4xf32>
  // expected-remark@+1 {{qc-online-hadamard: the input channels of 'nn.matmul' are not permuted: the permutation cannot pass this op}}
  %t = nn.tanh %g : tensor<3x4xf32>
  %y = nn.matmul %g, %wd {qc.calibration = {channel_mean_abs = dense<1.0> : tensor<4xf32>}} : tensor<3x4xf32>, tensor<4x2xf32>
  return %y, %t : tensor<3x2xf32>, tensor<3x4xf32>
}

// -----

// With qk=true, queries and keys are rotated by the same Hadamard right
// before the scores (the transpose of K swaps its last two axes).
// QK-LABEL: func.func @scores
// QK: %[[K:.*]] = qc.rotate %arg1 by #qc.hadamard<2> along 3 : tensor<1x2x4x2xf32>
// QK: %[[KT:.*]] = nn.transpose %[[K]]
// QK: %[[Q:.*]] = qc.rotate %arg0 by #qc.hadamard<2> along 3 : tensor<1x2x4x2xf32>
// QK: nn.matmul %[[Q]], %[[KT]]
func.func @scores(%q: tensor<1x2x4x2xf32>, %k: tensor<1x2x4x2xf32>) -> tensor<1x2x4x4xf32> {
  %kt = nn.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x2x4x2xf32>
  %s = nn.matmul %q, %kt : tensor<1x2x4x2xf32>, tensor<1x2x2x4xf32>
  return %s : tensor<1x2x4x4xf32>
}

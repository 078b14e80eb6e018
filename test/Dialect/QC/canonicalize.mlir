// RUN: quant-opt %s -split-input-file -canonicalize | FileCheck %s

// Rotation canonicalizations: cancellation, permutation merging and
// composition along one axis.

// CHECK-LABEL: func.func @cancel
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>)
// CHECK-NEXT: return %[[X]]
func.func @cancel(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %y = qc.rotate %x by #qc.hadamard<64, seed = 3> along 1 : tensor<8x64xf32>
  %z = qc.rotate %y by #qc.transpose<#qc.hadamard<64, seed = 3>> along 1 : tensor<8x64xf32>
  return %z : tensor<8x64xf32>
}

// -----

// CHECK-LABEL: func.func @cancel_transpose_first
// CHECK-SAME: (%[[X:.*]]: tensor<12xf32>)
// CHECK-NEXT: return %[[X]]
func.func @cancel_transpose_first(%x: tensor<12xf32>) -> tensor<12xf32> {
  %y = qc.rotate %x by #qc.transpose<#qc.block_hadamard<12, block = 12>> along 0 : tensor<12xf32>
  %z = qc.rotate %y by #qc.block_hadamard<12, block = 12> along 0 : tensor<12xf32>
  return %z : tensor<12xf32>
}

// -----

// A permutation followed by its inverse cancels even when the first has
// other users.
// CHECK-LABEL: func.func @cancel_inverse_permutation
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = qc.rotate %[[X]] by #qc.permutation<[2, 0, 3, 1]>
// CHECK: return %[[X]], %[[Y]]
func.func @cancel_inverse_permutation(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %y = qc.rotate %x by #qc.permutation<[2, 0, 3, 1]> along 0 : tensor<4xf32>
  %z = qc.rotate %y by #qc.permutation<[1, 3, 0, 2]> along 0 : tensor<4xf32>
  return %z, %y : tensor<4xf32>, tensor<4xf32>
}

// -----

// (x P_A P_B)[j] = x[A[B[j]]]: A = [1, 0, 2], B = [0, 2, 1] gives [1, 2, 0].
// CHECK-LABEL: func.func @merge_permutations
// CHECK-NEXT: qc.rotate %{{.*}} by #qc.permutation<[1, 2, 0]> along 0
// CHECK-NEXT: return
func.func @merge_permutations(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %y = qc.rotate %x by #qc.permutation<[1, 0, 2]> along 0 : tensor<3x5xf32>
  %z = qc.rotate %y by #qc.permutation<[0, 2, 1]> along 0 : tensor<3x5xf32>
  return %z : tensor<3x5xf32>
}

// -----

// Different rotations compose into one sequence, flattening nested ones.
// CHECK-LABEL: func.func @compose
// CHECK-NEXT: qc.rotate %{{.*}} by #qc.rotations<[#qc.permutation<[1, 0, 3, 2]>, #qc.hadamard<4>, #qc.block_hadamard<4, block = 2>]> along 1
// CHECK-NEXT: return
func.func @compose(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %a = qc.rotate %x by #qc.permutation<[1, 0, 3, 2]> along 1 : tensor<2x4xf32>
  %b = qc.rotate %a by #qc.hadamard<4> along 1 : tensor<2x4xf32>
  %c = qc.rotate %b by #qc.block_hadamard<4, block = 2> along 1 : tensor<2x4xf32>
  return %c : tensor<2x4xf32>
}

// -----

// No composition when the inner rotation has another user (it would be
// computed twice), nor across axes.
// CHECK-LABEL: func.func @no_compose
// CHECK-COUNT-4: qc.rotate
func.func @no_compose(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %a = qc.rotate %x by #qc.hadamard<4> along 1 : tensor<4x4xf32>
  %b = qc.rotate %a by #qc.hadamard<4, seed = 1> along 1 : tensor<4x4xf32>
  %c = qc.rotate %x by #qc.hadamard<4> along 0 : tensor<4x4xf32>
  %d = qc.rotate %c by #qc.hadamard<4> along 1 : tensor<4x4xf32>
  return %a, %b, %d : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// RUN: quant-opt %s --qc-x86-fuse-weight-only="kernel=avx2" --split-input-file | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu="weight-only-kernel=avx2" --split-input-file | FileCheck %s --check-prefix=LLVM

// Zero points of 4-bit integer weights (onnxruntime's MatMulNBits: unsigned
// codes, zero point 8 unless given) on the weight-only kernel, and its panel
// path for many rows of x.

// One zero point for all: unsigned constant codes with z = 8 are packed as
// code ^ 8 (code 1 -> 9: bytes 0x99 = -103), whose two's complement value is
// code - 8: the int4 table, no correction.
// CHECK-LABEL: func.func @uniform_eight
// CHECK: arith.constant dense<-103> : tensor<64x16xi8>
// CHECK: linalg.generic
// CHECK-SAME: qc.w4_table = dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, -8.000000e+00, -7.000000e+00, -6.000000e+00, -5.000000e+00, -4.000000e+00, -3.000000e+00, -2.000000e+00, -1.000000e+00]>
// CHECK-SAME: qc.x86_kernel = "w4_f32_avx2"
// CHECK-NOT: nn.reduce_sum
// CHECK-NOT: qc.dequantize
func.func @uniform_eight(%x: tensor<1x64xf32>, %s: tensor<2x32xf32>) -> tensor<1x32xf32> {
  %w = qc.constant dense<1> : tensor<64x32xi4> : !qc.qtensor<64x32, #qc.int<4, unsigned>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>>
  %z = arith.constant dense<8> : tensor<2x32xi32>
  %d = qc.dequantize %w, %s zero_points %z : (!qc.qtensor<64x32, #qc.int<4, unsigned>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>>, tensor<2x32xf32>, tensor<2x32xi32>) -> tensor<64x32xf32>
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// Zero points that differ per block: the kernel on code - 8, then minus the
// sums of x over each block of 32 times fl32(s * (z - 8)) (block 0: 0.5 *
// (3 - 8) = -2.5, block 1: 0.25 * (10 - 8) = 0.5), an f32 matmul.
// CHECK-LABEL: func.func @per_block
// CHECK: %[[K:.*]] = linalg.generic
// CHECK-SAME: qc.x86_kernel = "w4_f32_avx2"
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[-2.500000e+00, {{.*}}], [5.000000e-01, {{.*}}]]> : tensor<2x32xf32>
// CHECK: %[[G:.*]] = nn.reshape %{{.*}} {shape = array<i64: 1, 2, 32>}
// CHECK: %[[SUM:.*]] = nn.reduce_sum %[[G]] {axes = array<i64: 2>, keepdims = false}
// CHECK: %[[P:.*]] = nn.matmul %[[SUM]], %[[C]]
// CHECK: nn.sub %[[K]], %[[P]]
// CHECK-NOT: qc.dequantize
func.func @per_block(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = qc.constant dense<5> : tensor<64x32xi4> : !qc.qtensor<64x32, #qc.int<4, unsigned>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>>
  %s = arith.constant dense<[[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]]> : tensor<2x32xf32>
  %z = arith.constant dense<[[3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]]> : tensor<2x32xi32>
  %d = qc.dequantize %w, %s zero_points %z : (!qc.qtensor<64x32, #qc.int<4, unsigned>, #qc.scheme<per_block, axis = 0, block = 32, asymmetric>>, tensor<2x32xf32>, tensor<2x32xi32>) -> tensor<64x32xf32>
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// From 6 rows of x on, the panel path: per 128-column panel and block of 32
// rows of K the weights fl32(value * scale) go into a scratch panel, then
// each tile of y is updated with a rounded multiply and a rounded add per
// product (no fused multiply-add): the interpreter's roundings.
// CHECK-LABEL: func.func @panel
// CHECK: qc.x86_kernel = "w4_f32_avx2"
// LLVM-LABEL: llvm.func @panel(
// LLVM-NOT: llvm.intr.fmuladd
// LLVM: llvm.fmul {{.*}} : vector<8xf32>
// LLVM-NEXT: llvm.fadd {{.*}} : vector<8xf32>
// LLVM-NOT: llvm.intr.fmuladd
// LLVM: llvm.return
func.func @panel(%x: tensor<8x64xf32>, %s: tensor<2x128xf32>) -> tensor<8x128xf32> {
  %w = qc.constant dense<5> : tensor<64x128xi4> : !qc.qtensor<64x128, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x128, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 32>>, tensor<2x128xf32>) -> tensor<64x128xf32>
  %y = nn.matmul %x, %d : tensor<8x64xf32>, tensor<64x128xf32>
  return %y : tensor<8x128xf32>
}

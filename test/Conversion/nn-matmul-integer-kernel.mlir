// RUN: quant-opt %s --qc-convert-nn-to-linalg="int8-kernel=avx2" --split-input-file | FileCheck %s
// RUN: quant-opt %s --qc-convert-nn-to-linalg="int8-kernel=generic" --split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: not quant-opt %s --qc-convert-nn-to-linalg="int8-kernel=sse" 2>&1 | FileCheck %s --check-prefix=BAD

// nn.matmul_integer by a constant int8 weight with zero point 0 (what
// onnxruntime's quantize_dynamic writes) runs on qc.linear's packed int8
// kernel: rows of `a` (batch dimensions collapsed), the weights packed at
// compile time with their column sums, the zero point of `a` widened to
// i32 for the correction. With int8-kernel=generic it is the i32 nest.
// CHECK-LABEL: func.func @constant_weight
// CHECK: tensor.collapse_shape %arg0
// CHECK: arith.constant dense<[24, 28, 26, -88]> : tensor<4xi32>
// CHECK: qc.x86_kernel = "u8s8_avx2"
// GENERIC-LABEL: func.func @constant_weight
// GENERIC-NOT: qc.x86_kernel
// GENERIC: arith.muli
func.func @constant_weight(%a: tensor<2x3x8xi8>, %za: tensor<i8>) -> tensor<2x3x4xi32> {
  %w = arith.constant dense<[[1, -2, 3, 4], [5, 6, -7, 8], [1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, -128]]> : tensor<8x4xi8>
  %y = nn.matmul_integer %a, %w a_zero_point %za {qc.unsigned_operands = array<i1: true, false, true>} : (tensor<2x3x8xi8>, tensor<8x4xi8>, tensor<i8>) -> tensor<2x3x4xi32>
  return %y : tensor<2x3x4xi32>
}

// -----

// A weight zero point other than 0, or unsigned weights, stay generic.
// CHECK-LABEL: func.func @not_symmetric
// CHECK-NOT: qc.x86_kernel
// CHECK: arith.muli
// CHECK-NOT: qc.x86_kernel
func.func @not_symmetric(%a: tensor<3x8xi8>, %zb: tensor<i8>) -> (tensor<3x4xi32>, tensor<3x4xi32>) {
  %w = arith.constant dense<3> : tensor<8x4xi8>
  %zw = arith.constant dense<1> : tensor<i8>
  %y = nn.matmul_integer %a, %w b_zero_point %zw : (tensor<3x8xi8>, tensor<8x4xi8>, tensor<i8>) -> tensor<3x4xi32>
  %u = nn.matmul_integer %a, %w {qc.unsigned_operands = array<i1: false, true>} : (tensor<3x8xi8>, tensor<8x4xi8>) -> tensor<3x4xi32>
  return %y, %u : tensor<3x4xi32>, tensor<3x4xi32>
}

// BAD: unknown int8-kernel 'sse' (expected auto, vnni512, avx2 or generic)

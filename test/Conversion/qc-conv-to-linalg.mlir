// RUN: quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=generic" | FileCheck %s
// RUN: quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=auto" | FileCheck %s

// qc.conv: the input codes widened (unsigned 4-bit codes zero-extended)
// minus the zero point, the weight codes sign-extended from 4 bits, both in
// i32; nn.conv's loop nest over the zero-padded centered input (padding with
// the zero point); then the sums truncated to the 10-bit accumulator and the
// bias added there (the same bits modulo 2^10 as a 10-bit accumulator).
// CHECK-LABEL: func.func @conv_narrow
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK-NEXT: arith.subi
// CHECK: arith.shli
// CHECK-NEXT: arith.constant 28 : i32
// CHECK-NEXT: arith.shrsi
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 1, 1] : tensor<1x2x3x3xi32> into tensor<1x2x4x4xi32>
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4xi32>, tensor<2x1x2x2xi32>)
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: arith.trunci %{{.*}} : i32 to i10
// CHECK-NEXT: arith.addi %{{.*}}, %{{.*}} : i10
func.func @conv_narrow(%x: !qc.qtensor<1x2x3x3, #qc.int<4, unsigned>, #qc.scheme<per_tensor, asymmetric>>, %z: tensor<i32>) -> tensor<1x2x2x2xi10> {
  %w = qc.constant dense<[[[[1, -8], [7, 0]]], [[[0, -1], [2, 3]]]]> : tensor<2x1x2x2xi4>
    : !qc.qtensor<2x1x2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>
  %b = arith.constant dense<[100, -100]> : tensor<2xi10>
  %acc = qc.conv %x, %w bias %b input_zero_point %z {group = 2 : i64, pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
    : (!qc.qtensor<1x2x3x3, #qc.int<4, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
       !qc.qtensor<2x1x2x2, #qc.int<4>, #qc.scheme<per_axis, axis = 0>>,
       tensor<2xi10>, tensor<i32>) -> tensor<1x2x2x2xi10>
  return %acc : tensor<1x2x2x2xi10>
}

// RUN: quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=generic" --split-input-file | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=vnni512" --split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: not quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=avx9" 2>&1 | FileCheck %s --check-prefix=BADKERNEL

// BADKERNEL: error: qc-convert-qc-to-linalg: unknown int8-kernel 'avx9' (expected auto, vnni512, avx2 or generic)

// The generic path: a contraction over the codes (signed int4 codes in i8
// containers are sign-extended from 4 bits), wrapping in i32, starting
// from the bias.
// GENERIC-LABEL: func.func @linear_int4
// GENERIC: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// GENERIC: arith.shli
// GENERIC: arith.shrsi
// GENERIC: %[[P:.*]] = arith.muli
// GENERIC: arith.addi %{{.*}}, %[[P]] : i32
// The packed path takes the same weights (int4 fits s8).
// VNNI-LABEL: func.func @linear_int4
// VNNI: arith.constant dense<{{.*}}> : tensor<1x2x32x4xi8>
// VNNI: qc.x86_kernel = "u8s8_vnni512"
func.func @linear_int4(%x: !qc.qtensor<3x8, #qc.int<8>>, %b: tensor<16xi32>) -> tensor<3x16xi32> {
  %w = qc.constant dense<[[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0]]> : tensor<16x8xi4> : !qc.qtensor<16x8, #qc.int<4>>
  %y = qc.linear %x, %w bias %b : (!qc.qtensor<3x8, #qc.int<8>>, !qc.qtensor<16x8, #qc.int<4>>, tensor<16xi32>) -> tensor<3x16xi32>
  return %y : tensor<3x16xi32>
}

// -----

// Signed activations: + 128 (xor 0x80) into the row tiles of the packed
// activations (K padded with -128, i.e. 0 after the offset); the
// correction bias - 128 * colsum(w) starts each accumulator; N is padded to
// the 32-column panel and sliced back.
// VNNI-LABEL: func.func @linear_signed_padded
// VNNI: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<1x2x32x4xi8>
// VNNI: %[[CS:.*]] = arith.constant dense<6> : tensor<5xi32>
// VNNI: %[[PADV:.*]] = arith.constant -128 : i8
// VNNI: tensor.pad %{{.*}} low[0, 0] high[0, 2]
// VNNI: tensor.yield %[[PADV]] : i8
// VNNI: %[[AP:.*]] = linalg.generic
// VNNI: arith.xori
// VNNI: arith.muli %{{.*}}, %{{.*}} : i32
// VNNI: arith.addi
// VNNI: tensor.pad %{{.*}} low[0] high[27]
// VNNI: %[[ACC:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[AP]], %[[W]], %{{.*}} : tensor<1x2x2x4xi8>, tensor<1x2x32x4xi8>, tensor<1x32xi32>) outs(%{{.*}} : tensor<2x32xi32>) attrs = {qc.x86_kernel = "u8s8_vnni512"}
// VNNI: linalg.index 3
// VNNI: linalg.index 4
// VNNI: arith.select
// VNNI: arith.extui
// VNNI: arith.extsi
// VNNI: tensor.extract_slice %[[ACC]][0, 0] [2, 5] [1, 1]
func.func @linear_signed_padded(%x: !qc.qtensor<2x6, #qc.int<8>>, %b: tensor<5xi32>) -> tensor<2x5xi32> {
  %w = qc.constant dense<1> : tensor<5x6xi8> : !qc.qtensor<5x6, #qc.int<8>>
  %y = qc.linear %x, %w bias %b : (!qc.qtensor<2x6, #qc.int<8>>, !qc.qtensor<5x6, #qc.int<8>>, tensor<5xi32>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// qc.conv: the input codes widened (unsigned 4-bit codes zero-extended)
// minus the zero point, the weight codes sign-extended from 4 bits, both in
// i32; nn.conv's loop nest over the zero-padded centered input (padding with
// the zero point); then the sums truncated to the 10-bit accumulator and the
// bias added there (the same bits modulo 2^10 as a 10-bit accumulator).
// GENERIC-LABEL: func.func @conv_narrow
// GENERIC: arith.extui %{{.*}} : i8 to i32
// GENERIC-NEXT: arith.subi
// GENERIC: arith.shli
// GENERIC-NEXT: arith.constant 28 : i32
// GENERIC-NEXT: arith.shrsi
// GENERIC: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 1, 1] : tensor<1x2x3x3xi32> into tensor<1x2x4x4xi32>
// GENERIC: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4xi32>, tensor<2x1x2x2xi32>)
// GENERIC: arith.muli %{{.*}}, %{{.*}} : i32
// GENERIC: arith.trunci %{{.*}} : i32 to i10
// GENERIC-NEXT: arith.addi %{{.*}}, %{{.*}} : i10
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

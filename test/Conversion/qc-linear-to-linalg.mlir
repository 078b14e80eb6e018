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

// qc.conv with 8-bit activations, constant signed 8-bit weights, one group
// and an i32 accumulator: im2col rows of the codes ([N oH oW, C kH kW] =
// [4, 18], padded positions holding the zero point's code), qc.linear's
// packed kernel against the [M, C kH kW] weight, then back to NCHW. The
// generic path keeps nn.conv's loop nest.
// VNNI-LABEL: func.func @conv_packed
// VNNI: %[[Z:.*]] = arith.trunci %{{.*}} : i32 to i8
// VNNI: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x18xi8>)
// VNNI: tensor.extract %arg0
// VNNI: arith.select %{{.*}}, %{{.*}}, %[[Z]] : i8
// VNNI: qc.x86_kernel = "u8s8_vnni512"
// VNNI: linalg.generic {{.*}} ins(%{{.*}} : tensor<4x3xi32>) outs(%{{.*}} : tensor<1x3x2x2xi32>)
// GENERIC-LABEL: func.func @conv_packed
// GENERIC-NOT: qc.x86_kernel
// GENERIC: iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x6x6xi32>, tensor<3x2x3x3xi32>)
func.func @conv_packed(%x: !qc.qtensor<1x2x4x4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, %z: tensor<i32>, %b: tensor<3xi32>) -> tensor<1x3x2x2xi32> {
  %w = qc.constant dense<1> : tensor<3x2x3x3xi8> : !qc.qtensor<3x2x3x3, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %acc = qc.conv %x, %w bias %b input_zero_point %z {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
    : (!qc.qtensor<1x2x4x4, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>,
       !qc.qtensor<3x2x3x3, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>, tensor<3xi32>, tensor<i32>) -> tensor<1x3x2x2xi32>
  return %acc : tensor<1x3x2x2xi32>
}

// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-convert-qc-to-linalg="int8-kernel=vnni512"
// RUN: quant-opt %s --split-input-file --qc-convert-qc-to-linalg="int8-kernel=generic" | FileCheck %s

// With int8-kernel=vnni512 a qc.linear the VNNI kernel cannot run is an
// error naming its types and the reason; int8-kernel=generic (and auto)
// lower it to the generic contraction.

// CHECK-LABEL: func.func @linear_i64
// CHECK-NOT: qc.x86_kernel
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.muli %{{.*}}, %{{.*}} : i64
func.func @linear_i64(%x: !qc.qtensor<2x6, #qc.int<8>>) -> tensor<2x5xi64> {
  %w = qc.constant dense<1> : tensor<5x6xi8> : !qc.qtensor<5x6, #qc.int<8>>
  // expected-error @+1 {{qc-convert-qc-to-linalg: int8-kernel=vnni512 has no kernel for this qc.linear with input '!qc.qtensor<2x6, #qc.int<8>>', weight '!qc.qtensor<5x6, #qc.int<8>>' and accumulator 'i64': the accumulator is not i32}}
  %y = qc.linear %x, %w : (!qc.qtensor<2x6, #qc.int<8>>, !qc.qtensor<5x6, #qc.int<8>>) -> tensor<2x5xi64>
  return %y : tensor<2x5xi64>
}

// -----

// CHECK-LABEL: func.func @four_bit_activations
func.func @four_bit_activations(%x: !qc.qtensor<2x6, #qc.int<4>>) -> tensor<2x5xi32> {
  %w = qc.constant dense<1> : tensor<5x6xi8> : !qc.qtensor<5x6, #qc.int<8>>
  // expected-error @+1 {{the activations are not 8-bit}}
  %y = qc.linear %x, %w : (!qc.qtensor<2x6, #qc.int<4>>, !qc.qtensor<5x6, #qc.int<8>>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// CHECK-LABEL: func.func @runtime_weights
func.func @runtime_weights(%x: !qc.qtensor<2x6, #qc.int<8>>, %w: !qc.qtensor<5x6, #qc.int<8>>) -> tensor<2x5xi32> {
  // expected-error @+1 {{the weights are not a qc.constant (they are packed at compile time)}}
  %y = qc.linear %x, %w : (!qc.qtensor<2x6, #qc.int<8>>, !qc.qtensor<5x6, #qc.int<8>>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// CHECK-LABEL: func.func @unsigned_weights
func.func @unsigned_weights(%x: !qc.qtensor<2x6, #qc.int<8>>) -> tensor<2x5xi32> {
  %w = qc.constant dense<1> : tensor<5x6xi8> : !qc.qtensor<5x6, #qc.int<8, unsigned>>
  // expected-error @+1 {{the weights are not signed integers of at most 8 bits}}
  %y = qc.linear %x, %w : (!qc.qtensor<2x6, #qc.int<8>>, !qc.qtensor<5x6, #qc.int<8, unsigned>>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// qc.conv too: a grouped convolution has no packed kernel.
// CHECK-LABEL: func.func @conv_grouped
// CHECK-NOT: qc.x86_kernel
func.func @conv_grouped(%x: !qc.qtensor<1x2x4x4, #qc.int<8>>) -> tensor<1x2x4x4xi32> {
  %w = qc.constant dense<1> : tensor<2x1x1x1xi8> : !qc.qtensor<2x1x1x1, #qc.int<8>>
  // expected-error @+1 {{qc-convert-qc-to-linalg: int8-kernel=vnni512 has no kernel for this qc.conv with input '!qc.qtensor<1x2x4x4, #qc.int<8>>', weight '!qc.qtensor<2x1x1x1, #qc.int<8>>' and accumulator 'i32': the convolution has more than one group}}
  %y = qc.conv %x, %w {group = 2 : i64} : (!qc.qtensor<1x2x4x4, #qc.int<8>>, !qc.qtensor<2x1x1x1, #qc.int<8>>) -> tensor<1x2x4x4xi32>
  return %y : tensor<1x2x4x4xi32>
}

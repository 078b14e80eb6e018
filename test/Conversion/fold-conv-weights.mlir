// RUN: quant-opt %s --qc-fold-conv-weights | FileCheck %s

// A convolution's weight dequantized from constant codes becomes an f32
// constant (qc.dequantize's folder: code * scale per output channel), so
// the CPU lowering can pack it for the f32 kernel; so does a Gemm's B.
// CHECK-LABEL: func.func @conv
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[5.000000e-01, -1.000000e+00]]], {{\[}}{{\[}}[7.500000e-01, 2.500000e-01]]]]> : tensor<2x1x1x2xf32>
// CHECK-NOT: qc.dequantize
// CHECK: nn.conv %{{.*}}, %[[W]]
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x3x2xf32> {
  %q = qc.constant dense<[[[[2, -4]]], [[[3, 1]]]]> : tensor<2x1x1x2xi8> : !qc.qtensor<2x1x1x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %s = arith.constant dense<[0.25, 0.25]> : tensor<2xf32>
  %w = qc.dequantize %q, %s : (!qc.qtensor<2x1x1x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>, tensor<2xf32>) -> tensor<2x1x1x2xf32>
  %y = nn.conv %x, %w : tensor<1x1x3x3xf32>, tensor<2x1x1x2xf32>
  return %y : tensor<1x2x3x2xf32>
}

// CHECK-LABEL: func.func @gemm
// CHECK: %[[B:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 1.500000e+00]]> : tensor<1x2xf32>
// CHECK: nn.gemm %{{.*}}, %[[B]]
func.func @gemm(%a: tensor<3x2xf32>) -> tensor<3x1xf32> {
  %q = qc.constant dense<[[2, 3]]> : tensor<1x2xi8> : !qc.qtensor<1x2, #qc.int<8>>
  %s = arith.constant dense<0.5> : tensor<f32>
  %b = qc.dequantize %q, %s : (!qc.qtensor<1x2, #qc.int<8>>, tensor<f32>) -> tensor<1x2xf32>
  %y = nn.gemm %a, %b {transB = true} : tensor<3x2xf32>, tensor<1x2xf32>
  return %y : tensor<3x1xf32>
}

// Matmul weights stay codes (the int8 and weight-only kernels read them),
// and codes known only at run time cannot be folded.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: qc.dequantize
func.func @left_alone(%x: tensor<1x1x3x3xf32>, %m: tensor<4x2xf32>, %r: !qc.qtensor<2x1x1x2, #qc.int<8>>) -> (tensor<4x2xf32>, tensor<1x2x3x2xf32>) {
  %q = qc.constant dense<[[2, -4], [3, 1]]> : tensor<2x2xi8> : !qc.qtensor<2x2, #qc.int<8>>
  %s = arith.constant dense<0.25> : tensor<f32>
  %w = qc.dequantize %q, %s : (!qc.qtensor<2x2, #qc.int<8>>, tensor<f32>) -> tensor<2x2xf32>
  %y = nn.matmul %m, %w : tensor<4x2xf32>, tensor<2x2xf32>
  %v = qc.dequantize %r, %s : (!qc.qtensor<2x1x1x2, #qc.int<8>>, tensor<f32>) -> tensor<2x1x1x2xf32>
  %z = nn.conv %x, %v : tensor<1x1x3x3xf32>, tensor<2x1x1x2xf32>
  return %y, %z : tensor<4x2xf32>, tensor<1x2x3x2xf32>
}

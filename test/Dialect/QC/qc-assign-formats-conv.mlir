// RUN: quant-opt %s --qc-assign-formats="bits=22 metric=hessian" --verify-diagnostics | FileCheck %s

// metric=hessian on convolutions: a weight [M, C, kH, kW] = [2, 1, 1, 2] is
// read as [N, K] = [2, 2] against its patch Hessian (K = C * kH * kW = 2),
// so the two convolutions cost and err exactly as the two 2 x 2 linear
// layers of qc-assign-formats.mlir: @b's 0.5 rounds to 4 / 7 in int4 but
// to 64 / 127 in int8 (2 * 0.0039^2 = 3.1e-5), and @b gets int8.

// CHECK-LABEL: func @main
// CHECK: nn.conv {{.*}}qc.weights = "int4"
// CHECK: nn.conv {{.*}}qc.weights = "int8"
// expected-remark @+1 {{qc-assign-formats: 1 layer int4, 1 layer int8; 22.000 bits per weight (budget 22.000); estimated Hessian error 3.100e-05}}
func.func @main(%x: tensor<1x1x3x4xf32>) -> tensor<1x2x3x3xf32> {
  %wa = arith.constant dense<[[[[1.0, 0.0]]], [[[0.0, 1.0]]]]> : tensor<2x1x1x2xf32>
  %y = nn.conv %x, %wa {qc.hessian = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>}
    : tensor<1x1x3x4xf32>, tensor<2x1x1x2xf32>
  %wb = arith.constant dense<[[[[1.0, 0.5]]], [[[0.5, 1.0]]]]> : tensor<2x1x1x2xf32>
  %z = nn.conv %x, %wb {qc.hessian = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>}
    : tensor<1x1x3x4xf32>, tensor<2x1x1x2xf32>
  %s = nn.add %y, %z : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
  return %s : tensor<1x2x3x3xf32>
}

// RUN: quant-opt %s --qc-fold-norm-gains | FileCheck %s

// The gain scales the rows of every reader's weight and becomes ones.
// CHECK-LABEL: func.func @rms
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK: %[[N:.*]] = nn.rms_norm %arg0, %[[ONES]]
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 4.000000e+00, 6.000000e+00], [2.000000e+00, 2.500000e+00, 3.000000e+00]]> : tensor<2x3xf32>
// CHECK: nn.matmul %[[N]], %[[W]]
// CHECK: %[[V:.*]] = arith.constant dense<{{\[}}[2.000000e+00], [5.000000e-01]]> : tensor<2x1xf32>
// CHECK: nn.matmul %[[N]], %[[V]]
func.func @rms(%x: tensor<2x2xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>) {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %v = arith.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %n = nn.rms_norm %x, %g : tensor<2x2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %w : tensor<2x2xf32>, tensor<2x3xf32>
  %z = nn.matmul %n, %v : tensor<2x2xf32>, tensor<2x1xf32>
  return %y, %z : tensor<2x3xf32>, tensor<2x1xf32>
}

// A LayerNorm bias b becomes the row b W = [1, -1] W = -3 added after the
// reader.
// CHECK-LABEL: func.func @ln
// CHECK: %[[N:.*]] = nn.layer_norm %arg0, %{{.*}} : tensor<2x2xf32>, tensor<2xf32>{{$}}
// CHECK: %[[Y:.*]] = nn.matmul %[[N]]
// CHECK: %[[B:.*]] = arith.constant dense<-3.000000e+00> : tensor<3xf32>
// CHECK: %[[R:.*]] = nn.add %[[Y]], %[[B]]
// CHECK: return %[[R]]
func.func @ln(%x: tensor<2x2xf32>) -> tensor<2x3xf32> {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %n = nn.layer_norm %x, %g, %b : tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %w : tensor<2x2xf32>, tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// The norm output is also the residual stream: left alone.
// CHECK-LABEL: func.func @residual
// CHECK: arith.constant dense<[2.000000e+00, 5.000000e-01]>
// CHECK: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [4.000000e+00, 5.000000e+00]]>
func.func @residual(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 2.0], [4.0, 5.0]]> : tensor<2x2xf32>
  %n = nn.rms_norm %x, %g : tensor<2x2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %w : tensor<2x2xf32>, tensor<2x2xf32>
  %r = nn.add %n, %y : tensor<2x2xf32>, tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// A weight that is not a constant: left alone.
// CHECK-LABEL: func.func @dynamic_weight
// CHECK: arith.constant dense<[2.000000e+00, 5.000000e-01]>
func.func @dynamic_weight(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %n = nn.rms_norm %x, %g : tensor<2x2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %w : tensor<2x2xf32>, tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

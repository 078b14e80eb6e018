// RUN: quant-opt %s --split-input-file --qc-layernorm-to-rmsnorm --verify-diagnostics | FileCheck %s

// Pre-LN stream: embedding rows, the position addend and the biased output
// projection are centered (row means 2.5, 6.5; 1, 1; 1.5, 3.5, 0); the
// LayerNorms become RMSNorms with the same gain and epsilon, their biases
// an nn.add.
// CHECK-LABEL: func.func @pre_ln
// CHECK: %[[T:.*]] = arith.constant dense<{{\[}}[-1.500000e+00, -5.000000e-01, 5.000000e-01, 1.500000e+00], [-1.500000e+00, -5.000000e-01, 5.000000e-01, 1.500000e+00]]> : tensor<2x4xf32>
// CHECK: %[[X:.*]] = nn.gather %[[T]], %arg0
// CHECK: %[[P:.*]] = arith.constant dense<{{\[}}[-1.000000e+00, 1.000000e+00, -1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, -1.000000e+00, 1.000000e+00, -1.000000e+00]]> : tensor<3x4xf32>
// CHECK: %[[X1:.*]] = nn.add %[[X]], %[[P]]
// CHECK: %[[N:.*]] = nn.rms_norm %[[X1]], %{{.*}} :
// CHECK: %[[NB:.*]] = nn.add %[[N]], %{{.*}}
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[-1.500000e+00, -5.000000e-01, 5.000000e-01, 1.500000e+00], [-1.500000e+00, -5.000000e-01, 5.000000e-01, 1.500000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// CHECK: %[[O:.*]] = nn.matmul %[[NB]], %[[W]]
// CHECK: %[[B:.*]] = arith.constant dense<[-1.000000e+00, 1.000000e+00, -1.000000e+00, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[OB:.*]] = nn.add %[[O]], %[[B]]
// CHECK: %[[X2:.*]] = nn.add %[[X1]], %[[OB]]
// CHECK: nn.rms_norm %[[X2]]
// CHECK-NOT: nn.layer_norm
func.func @pre_ln(%ids: tensor<3xi64>) -> tensor<3x4xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %pos = arith.constant dense<[[0.0, 2.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 2.0, 0.0]]> : tensor<3x4xf32>
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %beta = arith.constant dense<0.5> : tensor<4xf32>
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %b = arith.constant dense<[0.0, 2.0, 0.0, 2.0]> : tensor<4xf32>
  %x0 = nn.gather %t, %ids : tensor<2x4xf32>, tensor<3xi64>
  %x1 = nn.add %x0, %pos : tensor<3x4xf32>, tensor<3x4xf32>
  %n1 = nn.layer_norm %x1, %g, %beta : tensor<3x4xf32>, tensor<4xf32>, tensor<4xf32>
  %o = nn.matmul %n1, %w : tensor<3x4xf32>, tensor<4x4xf32>
  %ob = nn.add %o, %b : tensor<3x4xf32>, tensor<4xf32>
  %x2 = nn.add %x1, %ob : tensor<3x4xf32>, tensor<3x4xf32>
  %n2 = nn.layer_norm %x2, %g : tensor<3x4xf32>, tensor<4xf32>
  return %n2 : tensor<3x4xf32>
}

// -----

// A stream that leaves the function depends on its mean: left alone.
// CHECK-LABEL: func.func @escapes
// CHECK: nn.layer_norm
func.func @escapes(%ids: tensor<3xi64>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %t = arith.constant dense<1.0> : tensor<2x4xf32>
  %g = arith.constant dense<1.0> : tensor<4xf32>
  %x0 = nn.gather %t, %ids : tensor<2x4xf32>, tensor<3xi64>
  %n = nn.layer_norm %x0, %g : tensor<3x4xf32>, tensor<4xf32>
  // expected-remark@+1 {{qc-layernorm-to-rmsnorm: residual stream of}}
  return %n, %x0 : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A patch embedding's stream: the convolution's output channels are
// centered per weight column (W = [1, 3]^T -> [-1, 1]^T) and its bias per
// row ([1, 0] -> [0.5, -0.5]), as are the class token ([2, 0] -> [1, -1])
// and the positions.
// CHECK-LABEL: func.func @patch_embedding
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[-1.000000e+00]]], {{\[}}{{\[}}[1.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK: nn.conv %arg0, %[[W]], %[[B]]
// CHECK: arith.constant dense<{{\[}}{{\[}}[1.000000e+00, -1.000000e+00]]]> : tensor<1x1x2xf32>
// CHECK: nn.rms_norm
// CHECK-NOT: nn.layer_norm
func.func @patch_embedding(%px: tensor<1x1x1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %cls = arith.constant dense<[[[2.0, 0.0]]]> : tensor<1x1x2xf32>
  %pos = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]]> : tensor<1x3x2xf32>
  %g1 = arith.constant dense<1.0> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<i64>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %c = nn.conv %px, %w, %b : tensor<1x1x1x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>
  %f = nn.reshape %c {shape = array<i64: 1, 2, 2>} : tensor<1x2x1x2xf32>
  %t = nn.transpose %f {perm = array<i64: 0, 2, 1>} : tensor<1x2x2xf32>
  %x = nn.concat %cls, %t {axis = 1 : i64} : tensor<1x1x2xf32>, tensor<1x2x2xf32>
  %s = nn.add %x, %pos : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %n = nn.layer_norm %s, %g1 : tensor<1x3x2xf32>, tensor<2xf32>
  %g = nn.gather %n, %zero {axis = 1 : i64} : tensor<1x3x2xf32>, tensor<i64>
  %y = nn.matmul %g, %head : tensor<1x2xf32>, tensor<2x2xf32>
  return %y : tensor<1x2xf32>
}

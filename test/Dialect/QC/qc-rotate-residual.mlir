// RUN: quant-opt %s --split-input-file --qc-rotate-residual="seed=0" --verify-diagnostics | FileCheck %s
// RUN: not quant-opt %s --qc-rotate-residual="rotation=givens" 2>&1 | FileCheck %s --check-prefix=BADOPT

// BADOPT: error: qc-rotate-residual: unknown rotation 'givens' (expected hadamard, orthogonal or a .npy file)

// Q = H_2 / sqrt(2) (seed 0: no sign flips). The embedding scale diag(1, 3)
// folds into the table, which becomes diag(1, 3) Q; the output projection is
// both a sink and a source (Q^T (2 I) Q = 2 I); the head becomes Q^T I = Q.
// CHECK-LABEL: func.func @stream
// CHECK: %[[E:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [2.12132025, -2.12132025]]> : tensor<2x2xf32>
// CHECK: %[[X:.*]] = nn.gather %[[E]], %arg0
// CHECK-NOT: nn.mul
// CHECK: nn.rms_norm %[[X]]
// CHECK: arith.constant dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]>
// CHECK: %[[H:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [0.707106769, -0.707106769]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[H]]
func.func @stream(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %wo = arith.constant dense<[[2.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %x0 = nn.gather %e, %ids : tensor<2x2xf32>, tensor<3xi64>
  %x = nn.mul %x0, %s : tensor<3x2xf32>, tensor<2xf32>
  %n = nn.rms_norm %x, %one : tensor<3x2xf32>, tensor<2xf32>
  %a = nn.matmul %n, %wo : tensor<3x2xf32>, tensor<2x2xf32>
  %r = nn.add %x, %a : tensor<3x2xf32>, tensor<3x2xf32>
  %n2 = nn.rms_norm %r, %one : tensor<3x2xf32>, tensor<2xf32>
  %y = nn.matmul %n2, %head : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// The stream is a function result: nothing changes.
// CHECK-LABEL: func.func @escapes
// CHECK: arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]>
func.func @escapes(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %x = nn.gather %e, %ids : tensor<2x2xf32>, tensor<3xi64>
  // expected-remark @+1 {{residual stream of}}
  return %x : tensor<3x2xf32>
}

// -----

// A norm with a gain blocks the rotation.
func.func @gain(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %x = nn.gather %e, %ids : tensor<2x2xf32>, tensor<3xi64>
  // expected-remark @+1 {{not rotated: the norm has a gain (run --qc-fold-norm-gains first)}}
  %n = nn.rms_norm %x, %g : tensor<3x2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %w : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// No Hadamard matrix of order 3: a random orthogonal matrix instead.
func.func @odd(%ids: tensor<3xi64>) -> tensor<3x3xf32> {
  %e = arith.constant dense<1.0> : tensor<4x3xf32>
  %one = arith.constant dense<1.0> : tensor<3xf32>
  %w = arith.constant dense<1.0> : tensor<3x3xf32>
  // expected-remark @+1 {{no Hadamard matrix of order 3; using a random orthogonal matrix}}
  %x = nn.gather %e, %ids : tensor<4x3xf32>, tensor<3xi64>
  %n = nn.rms_norm %x, %one : tensor<3x3xf32>, tensor<3xf32>
  %y = nn.matmul %n, %w : tensor<3x3xf32>, tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}

// -----

// The forms torch.onnx exports have: positions gathered from a second
// table (its rows are sources too, and its gather starts no second
// rotation), the stream flattened to [tokens, D] and back around a layer,
// a parallel attention / MLP pair summed before the residual add (both
// projections are sources), and the last norm read through a reshape that
// keeps the channels. Q = H_2 / sqrt(2): tables I -> Q and 2 I -> 2 Q; the
// 2 I projection stays 2 I (Q^T 2 I Q), the swap P becomes Q^T P Q =
// diag(1, -1); the head I becomes Q.
// CHECK-LABEL: func.func @exporter_forms
// CHECK: %[[E:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [0.707106769, -0.707106769]]> : tensor<2x2xf32>
// CHECK: nn.gather %[[E]], %arg0
// CHECK: %[[P:.*]] = arith.constant dense<{{\[}}[1.41421354, 1.41421354], [1.41421354, -1.41421354]]> : tensor<2x2xf32>
// CHECK: nn.gather %[[P]]
// CHECK: %[[A:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[A]] : tensor<3x2xf32>
// CHECK: %[[B:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[B]] : tensor<1x3x2xf32>
// CHECK: %[[C:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[C]] : tensor<1x3x2xf32>
// CHECK: %[[H:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [0.707106769, -0.707106769]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[H]] : tensor<3x2xf32>
func.func @exporter_forms(%ids: tensor<1x3xi64>) -> tensor<1x3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %p = arith.constant dense<[[2.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %pos = arith.constant dense<[[0, 1, 0]]> : tensor<1x3xi64>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %w2i = arith.constant dense<[[2.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %swap = arith.constant dense<[[0.0, 1.0], [1.0, 0.0]]> : tensor<2x2xf32>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %t = nn.gather %e, %ids : tensor<2x2xf32>, tensor<1x3xi64>
  %q = nn.gather %p, %pos : tensor<2x2xf32>, tensor<1x3xi64>
  %x = nn.add %t, %q : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %f = nn.reshape %x {shape = array<i64: 3, 2>} : tensor<1x3x2xf32>
  %n = nn.rms_norm %f, %one : tensor<3x2xf32>, tensor<2xf32>
  %a = nn.matmul %n, %w2i : tensor<3x2xf32>, tensor<2x2xf32>
  %r = nn.add %f, %a : tensor<3x2xf32>, tensor<3x2xf32>
  %x2 = nn.reshape %r {shape = array<i64: 1, 3, 2>} : tensor<3x2xf32>
  %n2 = nn.rms_norm %x2, %one : tensor<1x3x2xf32>, tensor<2xf32>
  %b = nn.matmul %n2, %w2i : tensor<1x3x2xf32>, tensor<2x2xf32>
  %c = nn.matmul %n2, %swap : tensor<1x3x2xf32>, tensor<2x2xf32>
  %bc = nn.add %b, %c : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %x3 = nn.add %bc, %x2 : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %n3 = nn.rms_norm %x3, %one : tensor<1x3x2xf32>, tensor<2xf32>
  %h = nn.reshape %n3 {shape = array<i64: 3, 2>} : tensor<1x3x2xf32>
  %y = nn.matmul %h, %head : tensor<3x2xf32>, tensor<2x2xf32>
  %y3 = nn.reshape %y {shape = array<i64: 1, 3, 2>} : tensor<3x2xf32>
  return %y3 : tensor<1x3x2xf32>
}

// -----

// A vision transformer's stream starts at its patch embedding: the
// convolution's output channels (its weight as D x (C kh kw)) become Q^T W,
// its bias b Q; the class token concatenated in front and the positions
// are sources; the classifier reads the final norm through the gather of
// the class token. Q = H_2 / sqrt(2) (symmetric): W = [1, 0]^T -> [a, a]^T,
// b = [1, 0] -> [a, a], cls [2, 0] -> [2a, 2a], the head I -> Q.
// CHECK-LABEL: func.func @patch_embedding
// CHECK: %[[W:.*]] = arith.constant dense<0.707106769> : tensor<2x1x1x1xf32>
// CHECK: %[[B:.*]] = arith.constant dense<0.707106769> : tensor<2xf32>
// CHECK: nn.conv %arg0, %[[W]], %[[B]]
// CHECK: %[[C:.*]] = arith.constant dense<1.41421354> : tensor<1x1x2xf32>
// CHECK: nn.concat %[[C]]
// CHECK: %[[P:.*]] = arith.constant dense<{{\[}}{{\[}}[0.707106769, 0.707106769], [0.707106769, -0.707106769], [0.707106769, 0.707106769]]]> : tensor<1x3x2xf32>
// CHECK: nn.add %{{.*}}, %[[P]]
// CHECK: %[[H:.*]] = arith.constant dense<{{\[}}[0.707106769, 0.707106769], [0.707106769, -0.707106769]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[H]] : tensor<1x2xf32>
func.func @patch_embedding(%px: tensor<1x1x1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[0.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %cls = arith.constant dense<[[[2.0, 0.0]]]> : tensor<1x1x2xf32>
  %pos = arith.constant dense<[[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]]> : tensor<1x3x2xf32>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<i64>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %c = nn.conv %px, %w, %b : tensor<1x1x1x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>
  %f = nn.reshape %c {shape = array<i64: 1, 2, 2>} : tensor<1x2x1x2xf32>
  %t = nn.transpose %f {perm = array<i64: 0, 2, 1>} : tensor<1x2x2xf32>
  %x = nn.concat %cls, %t {axis = 1 : i64} : tensor<1x1x2xf32>, tensor<1x2x2xf32>
  %s = nn.add %x, %pos : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %n = nn.rms_norm %s, %one : tensor<1x3x2xf32>, tensor<2xf32>
  %g = nn.gather %n, %zero {axis = 1 : i64} : tensor<1x3x2xf32>, tensor<i64>
  %y = nn.matmul %g, %head : tensor<1x2xf32>, tensor<2x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// torchvision's attention layout: the norm read through a transpose of the
// leading axes, the projection added back through the inverse transpose.
// The swap P becomes Q^T P Q = diag(1, -1).
// CHECK-LABEL: func.func @leading_transposes
// CHECK: %[[P:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK: nn.matmul %{{.*}}, %[[P]] : tensor<3x1x2xf32>
func.func @leading_transposes(%ids: tensor<1x3xi64>) -> tensor<1x3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %swap = arith.constant dense<[[0.0, 1.0], [1.0, 0.0]]> : tensor<2x2xf32>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %x = nn.gather %e, %ids : tensor<2x2xf32>, tensor<1x3xi64>
  %n = nn.rms_norm %x, %one : tensor<1x3x2xf32>, tensor<2xf32>
  %t = nn.transpose %n {perm = array<i64: 1, 0, 2>} : tensor<1x3x2xf32>
  %a = nn.matmul %t, %swap : tensor<3x1x2xf32>, tensor<2x2xf32>
  %b = nn.transpose %a {perm = array<i64: 1, 0, 2>} : tensor<3x1x2xf32>
  %r = nn.add %x, %b : tensor<1x3x2xf32>, tensor<1x3x2xf32>
  %n2 = nn.rms_norm %r, %one : tensor<1x3x2xf32>, tensor<2xf32>
  %y = nn.matmul %n2, %head : tensor<1x3x2xf32>, tensor<2x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// A scalar scale after the embedding (Gemma multiplies by sqrt(D)) folds
// into the table like a per-channel one: I * 3 -> 3 Q.
// CHECK-LABEL: func.func @scalar_embedding_scale
// CHECK: %[[E:.*]] = arith.constant dense<{{\[}}[2.12132025, 2.12132025], [2.12132025, -2.12132025]]> : tensor<2x2xf32>
// CHECK: nn.gather %[[E]], %arg0
// CHECK-NOT: nn.mul
func.func @scalar_embedding_scale(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %e = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %s = arith.constant dense<3.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %head = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %x0 = nn.gather %e, %ids : tensor<2x2xf32>, tensor<3xi64>
  %x = nn.mul %x0, %s : tensor<3x2xf32>, tensor<f32>
  %n = nn.rms_norm %x, %one : tensor<3x2xf32>, tensor<2xf32>
  %y = nn.matmul %n, %head : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

// RUN: %python -c "import numpy as np; np.save('%t.swap.npy', np.array([[0, 1], [1, 0]], np.float64)); np.save('%t.skew.npy', np.array([[1, 0], [0, 1.0001]], np.float32)); np.save('%t.big.npy', np.eye(4, dtype=np.float32)); np.save('%t.rect.npy', np.ones((2, 3), np.float32)); np.save('%t.int.npy', np.eye(2, dtype=np.int32))"
// RUN: quant-opt %s --qc-rotate-residual="rotation=%t.swap.npy" | FileCheck %s
// RUN: not quant-opt %s --qc-rotate-residual="rotation=%t.skew.npy" 2>&1 | FileCheck %s --check-prefix=SKEW
// RUN: not quant-opt %s --qc-rotate-residual="rotation=%t.big.npy" 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not quant-opt %s --qc-rotate-residual="rotation=%t.rect.npy" 2>&1 | FileCheck %s --check-prefix=RECT
// RUN: not quant-opt %s --qc-rotate-residual="rotation=%t.int.npy" 2>&1 | FileCheck %s --check-prefix=INT
// RUN: not quant-opt %s --qc-rotate-residual="rotation=%t.missing.npy" 2>&1 | FileCheck %s --check-prefix=MISSING

// A user rotation (here the swap of the two channels) is folded like a
// Hadamard: table rows become r Q, the sink's weight Q^T W.
// CHECK: %[[T:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [4.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// CHECK: nn.gather %[[T]]
// CHECK: arith.constant dense<{{\[}}[0.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>
// SKEW: error: qc-rotate-residual: rotation '{{.*}}skew.npy' is not orthogonal: max |Q^T Q - I| = {{2.000[0-9]*e-04}} (tolerance 1e-5)
// BIG: error: qc-rotate-residual: rotation '{{.*}}big.npy' is 4x4 but the residual stream has width 2
// RECT: error: qc-rotate-residual: rotation '{{.*}}rect.npy' must be a square 2-D matrix
// INT: error: qc-rotate-residual: rotation '{{.*}}int.npy' must hold float32 or float64 values, not 'i4'
// MISSING: error: qc-rotate-residual: rotation '{{.*}}missing.npy' cannot be read:
func.func @stream(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %t = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %x = nn.gather %t, %ids : tensor<2x2xf32>, tensor<3xi64>
  %ones = arith.constant dense<1.0> : tensor<2xf32>
  %n = nn.rms_norm %x, %ones : tensor<3x2xf32>, tensor<2xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = nn.matmul %n, %w : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

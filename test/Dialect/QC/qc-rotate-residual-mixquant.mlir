// RUN: quant-opt %s --qc-rotate-residual="seed=0 block=2 permute=true" | FileCheck %s
// RUN: quant-opt %s --qc-rotate-residual="seed=0 block=2" | FileCheck %s --check-prefix=BLOCK
// RUN: not quant-opt %s --qc-rotate-residual="block=3" 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not quant-opt %s --qc-rotate-residual="block=12" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not quant-opt %s --qc-rotate-residual="rotation=orthogonal block=2" 2>&1 | FileCheck %s --check-prefix=ORTHO

// MixQuant on the stream: the sink's calibrated mean |x| [1, 4, 2, 3]
// groups channels {1, 0} and {3, 2}; the table's rows become r P B with B
// the block Hadamard of order 2: [1, 2, 3, 4] -> [2, 1, 4, 3] ->
// [3, 1, 7, 1] / sqrt(2). The sink's weight W becomes B^T P^T W.
// CHECK: %[[T:.*]] = arith.constant dense<{{\[}}[2.12132025, 0.707106769, 4.94974756, 0.707106769], [7.7781744, 0.707106769, 10.6066017, 0.707106769]]> : tensor<2x4xf32>
// CHECK: nn.gather %[[T]], %arg0
// Without the permutation: [1, 2, 3, 4] -> [3, -1, 7, -1] / sqrt(2).
// BLOCK: arith.constant dense<{{\[}}[2.12132025, -0.707106769, 4.94974756, -0.707106769],
// ORDER: error: qc-rotate-residual: block must be 0 (full) or a Hadamard order K * 2^m, got 3
// DIVIDE: error: qc-rotate-residual: block size 12 does not divide the residual stream width 4
// ORTHO: error: qc-rotate-residual: block rotations are Hadamard; rotation=orthogonal takes no block
func.func @stream(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %x = nn.gather %t, %ids : tensor<2x4xf32>, tensor<3xi64>
  %ones = arith.constant dense<1.0> : tensor<4xf32>
  %n = nn.rms_norm %x, %ones : tensor<3x4xf32>, tensor<4xf32>
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]> : tensor<4x2xf32>
  %y = nn.matmul %n, %w {qc.calibration = {channel_mean_abs = dense<[1.0, 4.0, 2.0, 3.0]> : tensor<4xf32>}} : tensor<3x4xf32>, tensor<4x2xf32>
  return %y : tensor<3x2xf32>
}

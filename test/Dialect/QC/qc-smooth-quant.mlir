// RUN: quant-opt %s --split-input-file --qc-smooth-quant --verify-diagnostics | FileCheck %s
// RUN: not quant-opt %s --qc-smooth-quant="alpha=1.5" 2>&1 | FileCheck %s --check-prefix=ALPHA

// alpha = 0.5: s_j = sqrt(max|X_j| / max|W_j|). Channel 0: sqrt(4 / 1) = 2;
// channel 1: sqrt(1 / 4) = 0.5 (max over both readers' rows). The gain
// becomes g / s and the weight rows s_j W_j; the calibration of the
// readers, which describes X and not X / s, is dropped.
// CHECK-LABEL: func.func @norm
// CHECK: %[[G:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[N:.*]] = nn.rms_norm %arg0, %[[G]]
// CHECK: %[[A:.*]] = arith.constant dense<{{\[}}[2.000000e+00, -1.000000e+00], [5.000000e-01, 2.500000e-01]]> : tensor<2x2xf32>
// CHECK: nn.matmul %[[N]], %[[A]] :
// CHECK: %[[B:.*]] = arith.constant dense<{{\[}}[1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>
// CHECK: nn.matmul %[[N]], %[[B]] :
// CHECK-NOT: qc.calibration
func.func @norm(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>) {
  %g = arith.constant dense<1.0> : tensor<2xf32>
  %n = nn.rms_norm %x, %g : tensor<3x2xf32>, tensor<2xf32>
  %wa = arith.constant dense<[[1.0, -0.5], [1.0, 0.5]]> : tensor<2x2xf32>
  %wb = arith.constant dense<[[0.5], [4.0]]> : tensor<2x1xf32>
  %a = nn.matmul %n, %wa {qc.calibration = {channel_min = dense<[-4.0, -1.0]> : tensor<2xf32>, channel_max = dense<[2.0, 1.0]> : tensor<2xf32>}} : tensor<3x2xf32>, tensor<2x2xf32>
  %b = nn.matmul %n, %wb {qc.calibration = {channel_min = dense<[-4.0, -1.0]> : tensor<2xf32>, channel_max = dense<[2.0, 1.0]> : tensor<2xf32>}} : tensor<3x2xf32>, tensor<2x1xf32>
  return %a, %b : tensor<3x2xf32>, tensor<3x1xf32>
}

// -----

// Gated MLP: the down projection's smoothing goes into the up projection's
// columns (s = [2, 0.5] as above with W_down rows of max 1 and 4).
// CHECK-LABEL: func.func @gated
// CHECK: %[[U:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK: nn.matmul %arg0, %[[U]]
// CHECK: arith.constant dense<2.000000e+00> : tensor<2x1xf32>
func.func @gated(%h: tensor<3x1xf32>, %act: tensor<3x2xf32>) -> tensor<3x1xf32> {
  %wu = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %wd = arith.constant dense<[[1.0], [4.0]]> : tensor<2x1xf32>
  %u = nn.matmul %h, %wu : tensor<3x1xf32>, tensor<1x2xf32>
  %m = nn.mul %act, %u : tensor<3x2xf32>, tensor<3x2xf32>
  %y = nn.matmul %m, %wd {qc.calibration = {channel_min = dense<[-4.0, -1.0]> : tensor<2xf32>, channel_max = dense<[2.0, 1.0]> : tensor<2xf32>}} : tensor<3x2xf32>, tensor<2x1xf32>
  return %y : tensor<3x1xf32>
}

// -----

func.func @uncalibrated(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<1.0> : tensor<2xf32>
  %n = nn.rms_norm %x, %g : tensor<3x2xf32>, tensor<2xf32>
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  // expected-error@+1 {{qc-smooth-quant: layer 'nn.matmul' has no calibrated channel ranges; run --qc-calibrate first}}
  %a = nn.matmul %n, %w : tensor<3x2xf32>, tensor<2x2xf32>
  return %a : tensor<3x2xf32>
}

// ALPHA: error: qc-smooth-quant: alpha must be in (0, 1), got 1.5

// RUN: rm -rf %t && mkdir -p %t/0
// RUN: %python -c "import numpy as np; np.save('%t/0/x.npy', np.array([[[[1, -3]], [[2, 0.5]]]], np.float32))"
// RUN: quant-opt %s --qc-calibrate="data=%t hessian=true" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="data=%t" | FileCheck %s --check-prefix=NOHESSIAN

// Convolution input 1x2x1x2: channel 0 holds [1, -3], channel 1 [2, 0.5]
// (channels on axis 1). The Hessian is over the im2col patches, in the
// weight's [c, kh, kw] order (K = 2 * 1 * 2): with one column of padding on
// the left, output 0 reads [0, 1 | 0, 2] and output 1 [1, -3 | 2, 0.5];
// H = (p0 p0^T + p1 p1^T) / 2 over the 2 patches (hessian_rows).
// CHECK: nn.conv %arg0, %{{.*}} {pads = array<i64: 0, 1, 0, 0>, qc.calibration = {absmax = 3.000000e+00 : f32,
// CHECK-SAME: channel_max = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_mean_abs = dense<[2.000000e+00, 1.250000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_min = dense<[-3.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-SAME: hessian_rows = 2 : i64
// CHECK-SAME: rows = 2 : i64
// CHECK-SAME: qc.hessian = dense<{{\[}}[5.000000e-01, -1.500000e+00, 1.000000e+00, 2.500000e-01], [-1.500000e+00, 5.000000e+00, -3.000000e+00, 2.500000e-01], [1.000000e+00, -3.000000e+00, 2.000000e+00, 5.000000e-01], [2.500000e-01, 2.500000e-01, 5.000000e-01, 2.125000e+00]]> : tensor<4x4xf32>
// A grouped convolution has none (it would need one per group).
// CHECK: nn.conv
// CHECK-SAME: qc.calibration
// CHECK-NOT: qc.hessian
// CHECK: return
// NOHESSIAN-NOT: hessian
func.func @main(%x: tensor<1x2x1x2xf32>) -> (tensor<1x1x1x2xf32>, tensor<1x2x1x2xf32>) attributes {onnx.input_names = ["x"]} {
  %w = arith.constant dense<1.0> : tensor<1x2x1x2xf32>
  %y = nn.conv %x, %w {pads = array<i64: 0, 1, 0, 0>} : tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>
  %wg = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %g = nn.conv %x, %wg {group = 2 : i64} : tensor<1x2x1x2xf32>, tensor<2x1x1x1xf32>
  return %y, %g : tensor<1x1x1x2xf32>, tensor<1x2x1x2xf32>
}

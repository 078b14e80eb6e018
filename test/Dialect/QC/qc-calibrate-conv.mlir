// RUN: rm -rf %t && mkdir -p %t/0
// RUN: %python -c "import numpy as np; np.save('%t/0/x.npy', np.array([[[[1, -3]], [[2, 0.5]]]], np.float32))"
// RUN: quant-opt %s --qc-calibrate="data=%t hessian=true" | FileCheck %s

// Convolution input 1x2x1x2: channel 0 holds [1, -3], channel 1 [2, 0.5]
// (channels on axis 1). No Hessian for convolutions.
// CHECK: nn.conv %arg0, %{{.*}} {qc.calibration = {absmax = 3.000000e+00 : f32,
// CHECK-SAME: channel_max = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_mean_abs = dense<[2.000000e+00, 1.250000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_min = dense<[-3.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-SAME: rows = 2 : i64
// CHECK-NOT: qc.hessian
func.func @main(%x: tensor<1x2x1x2xf32>) -> tensor<1x1x1x2xf32> attributes {onnx.input_names = ["x"]} {
  %w = arith.constant dense<1.0> : tensor<1x2x1x1xf32>
  %y = nn.conv %x, %w : tensor<1x2x1x2xf32>, tensor<1x2x1x1xf32>
  return %y : tensor<1x1x1x2xf32>
}

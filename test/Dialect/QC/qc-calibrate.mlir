// RUN: rm -rf %t && mkdir -p %t/data/0 %t/data/1 %t/empty %t/partial/0
// RUN: %python -c "import numpy as np; np.save('%t/data/0/x.npy', np.array([[1, -2], [3, 0.5]], np.float32)); np.save('%t/data/1/x.npy', np.array([[-4, 1], [0, 2]], np.float32))"
// RUN: quant-opt %s --qc-calibrate="data=%t/data hessian=true percentile=50 table=%t/table.json" | FileCheck %s
// RUN: FileCheck %s --input-file=%t/table.json --check-prefix=TABLE
// RUN: quant-opt %s --qc-calibrate="data=%t/data samples=1" | FileCheck %s --check-prefix=ONE
// RUN: not quant-opt %s --qc-calibrate="data=%t/missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not quant-opt %s --qc-calibrate="data=%t/empty" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not quant-opt %s --qc-calibrate="data=%t/partial" 2>&1 | FileCheck %s --check-prefix=PARTIAL
// RUN: not quant-opt %s --qc-calibrate 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-calibrate="data=%t/data percentile=0" 2>&1 | FileCheck %s --check-prefix=PCT
// RUN: not quant-opt %s --qc-calibrate="data=%t/data mse-format=int3" 2>&1 | FileCheck %s --check-prefix=MSEFMT

// Two samples of x (rows [1, -2], [3, 0.5], [-4, 1], [0, 2]): channel 0
// spans [-4, 3] with mean |x| 2, channel 1 spans [-2, 2] with mean |x|
// 1.375. X^T X / 4 = [[26, -4.5], [-4.5, 9.25]] / 4. The median of |x|
// (1) lies in the histogram bin [1, 1 + 1/32). Clipping below the absmax
// 4 only adds error for int8.
// CHECK-LABEL: func.func @main
// CHECK: nn.matmul %arg0, %{{.*}} {qc.calibration = {absmax = 4.000000e+00 : f32,
// CHECK-SAME: channel_max = dense<[3.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_mean_abs = dense<[2.000000e+00, 1.375000e+00]> : tensor<2xf32>
// CHECK-SAME: channel_min = dense<[-4.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-SAME: max = 3.000000e+00 : f32, min = -4.000000e+00 : f32, mse_clip = 4.000000e+00 : f32, mse_format = "int8"
// CHECK-SAME: percentile = 5.000000e+01 : f32, percentile_value = 1.031250e+00 : f32, rows = 4 : i64, samples = 2 : i64}
// CHECK-SAME: qc.hessian = dense<{{\[}}[6.500000e+00, -1.125000e+00], [-1.125000e+00, 2.312500e+00]]> : tensor<2x2xf32>

// TABLE: "layers": [
// TABLE: "absmax": 4,
// TABLE: "max": 3,
// TABLE: "min": -4,
// TABLE: "mse_clip": 4,
// TABLE: "name": "proj",
// TABLE: "op": "nn.matmul",
// TABLE: "percentile": 1.03125
// TABLE: "samples": 2

// ONE: channel_mean_abs = dense<[2.000000e+00, 1.250000e+00]>
// ONE-SAME: samples = 1 : i64

// MISSING: error: qc-calibrate: calibration directory '{{.*}}missing' does not exist
// EMPTY: error: qc-calibrate: calibration directory '{{.*}}empty' has no sample sub-directories (expected {{.*}}empty/0/<input>.npy, {{.*}}empty/1/<input>.npy, ...)
// PARTIAL: error: qc-calibrate: missing calibration data for input 'x': {{.*}}partial{{/|\\}}0{{/|\\}}x.npy
// NODATA: error: qc-calibrate: no calibration data (set data=DIR with DIR/<sample>/<input>.npy)
// PCT: error: qc-calibrate: percentile must be in (0, 100], got 0
// MSEFMT: error: qc-calibrate: unknown mse-format 'int3' (expected one of int8,
func.func @main(%x: tensor<2x2xf32>) -> tensor<2x3xf32> attributes {onnx.input_names = ["x"]} {
  %w = arith.constant dense<1.0> : tensor<2x3xf32>
  %y = nn.matmul %x, %w : tensor<2x2xf32>, tensor<2x3xf32> loc("proj")
  return %y : tensor<2x3xf32>
}

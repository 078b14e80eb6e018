// RUN: quant-opt %s --qc-assign-formats="bits=22 metric=hessian" --verify-diagnostics | FileCheck %s
// RUN: quant-opt %s --qc-assign-formats="bits=26 candidates=int4,int8,float metric=hessian" | FileCheck %s --check-prefix=WIDE
// RUN: quant-opt %s --qc-assign-formats="bits=22 metric=hessian" --qc-quantize-weights="format=int2" | FileCheck %s --check-prefix=QUANT
// RUN: not quant-opt %s --qc-assign-formats="bits=19.9 metric=hessian" 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not quant-opt %s --qc-assign-formats="bits=8 candidates=int4,int3 metric=hessian" 2>&1 | FileCheck %s --check-prefix=CAND
// RUN: not quant-opt %s --qc-assign-formats="metric=hessian" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not quant-opt %s --qc-assign-formats="bits=8" 2>&1 | FileCheck %s --check-prefix=DATA
// RUN: not quant-opt %s --qc-assign-formats="bits=8 metric=kl" 2>&1 | FileCheck %s --check-prefix=METRIC
// RUN: not quant-opt %s --qc-assign-formats="bits=8 data=%t.missing" 2>&1 | FileCheck %s --check-prefix=NODIR
// RUN: not quant-opt %s --qc-assign-formats="bits=22 metric=hessian table=%t.nodir/t.json" 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: quant-opt %s --qc-assign-formats="bits=22 metric=hessian table=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=JSON < %t.json

// Two 2 x 2 layers, int4 or int8 per output channel: int4 costs 4 * 4 + 2
// f32 scales = 80 bits, int8 96. The budget of 22 bits per weight (176
// bits for 8 weights) affords one int8 layer. The identity Hessians make
// the error ||W - Q||^2: @a's weights are exact in int4 (codes 7 and 0),
// @b's 0.5 = 3.5 / 7 rounds to 4 / 7 in int4 (error 2 * 0.0714^2) but to
// 64 / 127 in int8 (2 * 0.0039^2 = 3.1e-5, the estimate): @b gets int8.
// With float (32 bits per weight) a candidate, 26 bits keep @b in float
// (80 + 128 bits, no error); @a stays int4, whose error is already 0 (ties
// go to the cheaper format).

// CHECK-LABEL: func @main
// CHECK: nn.matmul {{.*}}qc.weights = "int4"
// CHECK: nn.matmul {{.*}}qc.weights = "int8"
// WIDE: nn.matmul {{.*}}qc.weights = "int4"
// WIDE: nn.matmul {{.*}}qc.weights = "float"
// The quantizer honours the choice over its own format.
// QUANT: qc.constant {{.*}}#qc.int<4>
// QUANT: qc.constant {{.*}}#qc.int<8>
// BUDGET: error: qc-assign-formats: a budget of 19.900 bits per weight is below the cheapest choice of the candidates, 20.000 bits per weight
// CAND: error: qc-assign-formats: unknown candidate 'int3' (expected float, int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8, nvfp4)
// BITS: error: qc-assign-formats: bits must be > 0 (average bits per weight element), got 0
// DATA: error: qc-assign-formats: metric=output needs calibration data (data=DIR with DIR/<sample>/<input>.npy)
// METRIC: error: qc-assign-formats: unknown metric 'kl' (expected output or hessian)
// NODIR: error: qc-assign-formats: calibration directory '{{.*}}.missing' does not exist
// TABLE: error: qc-assign-formats: cannot open output file '{{.*}}.nodir/t.json'
// JSON: "layers": [
// JSON: "name": "nn.matmul",
// JSON-NEXT: "weights": "int4"
// JSON: "name": "nn.matmul",
// JSON-NEXT: "weights": "int8"
// expected-remark @+1 {{qc-assign-formats: 1 layer int4, 1 layer int8; 22.000 bits per weight (budget 22.000); estimated Hessian error 3.100e-05}}
func.func @main(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %wa = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = nn.matmul %x, %wa {qc.hessian = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>}
    : tensor<3x2xf32>, tensor<2x2xf32>
  %wb = arith.constant dense<[[1.0, 0.5], [0.5, 1.0]]> : tensor<2x2xf32>
  %z = nn.matmul %y, %wb {qc.hessian = dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>}
    : tensor<3x2xf32>, tensor<2x2xf32>
  return %z : tensor<3x2xf32>
}

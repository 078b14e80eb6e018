// RUN: %python -c "import json; json.dump({'layers': [{'name': 'q_proj', 'min': -2.0, 'max': 1.0}, {'regex': '(k|v)_proj', 'absmax': 4.0, 'weights': 'int8'}, {'name': 'head', 'activations': 'float', 'weights': 'float'}]}, open('%t.json', 'w'))"
// RUN: quant-opt %s --qc-load-calibration="table=%t.json" --qc-quantize-weights=format=int4 --qc-quantize-activations="static=true" | FileCheck %s
// RUN: quant-opt %s --qc-load-calibration="first=float last=int8" | FileCheck %s --check-prefix=ENDS
// RUN: %python -c "import json; json.dump({'layers': [{'name': 'nope', 'min': 1}]}, open('%t.nomatch.json', 'w'))"
// RUN: not quant-opt %s --qc-load-calibration="table=%t.nomatch.json" 2>&1 | FileCheck %s --check-prefix=NOMATCH
// RUN: %python -c "import json; json.dump({'layers': [{'regex': '(q', 'min': 1}]}, open('%t.regex.json', 'w'))"
// RUN: not quant-opt %s --qc-load-calibration="table=%t.regex.json" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: %python -c "import json; json.dump({'layers': [{'name': 'q_proj', 'min': 'low'}]}, open('%t.num.json', 'w'))"
// RUN: not quant-opt %s --qc-load-calibration="table=%t.num.json" 2>&1 | FileCheck %s --check-prefix=NUMBER
// RUN: %python -c "import json; json.dump({'layers': [{'name': 'q_proj', 'weights': 'int3'}]}, open('%t.fmt.json', 'w'))"
// RUN: not quant-opt %s --qc-load-calibration="table=%t.fmt.json" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: %python -c "open('%t.bad.json', 'w').write('{\"layers\": [')"
// RUN: not quant-opt %s --qc-load-calibration="table=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: not quant-opt %s --qc-load-calibration="table=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not quant-opt %s --qc-load-calibration="last=int5" 2>&1 | FileCheck %s --check-prefix=LAST

// q_proj: range [-2, 1] -> absmax 2, int8 scale 2/127; k/v_proj: absmax 4
// and int8 weights instead of int4; the head stays float on both sides.
// CHECK-LABEL: func.func @main
// CHECK: qc.constant {{.*}} : tensor<4x4xi4>
// CHECK: %[[SQ:.*]] = arith.constant dense<0.0157480314> : tensor<f32>
// CHECK: %[[XQ:.*]] = qc.fake_quant %arg0, %[[SQ]]
// CHECK: nn.matmul %[[XQ]], %{{.*}} {qc.calibration = {absmax = 2.000000e+00 : f32, max = 1.000000e+00 : f32, min = -2.000000e+00 : f32}}
// CHECK: qc.constant {{.*}} : tensor<4x4xi8> : !qc.qtensor<4x4, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>
// CHECK: arith.constant dense<0.0314960629> : tensor<f32>
// CHECK: nn.matmul {{.*}} {qc.calibration = {absmax = 4.000000e+00 : f32}, qc.weights = "int8"}
// CHECK-NOT: qc.fake_quant
// CHECK: nn.matmul %{{.*}}, %cst {qc.activations = "float", qc.weights = "float"}

// ENDS: nn.matmul %arg0, %{{.*}} {qc.activations = "float", qc.weights = "float"}
// ENDS: nn.matmul %arg0, %{{.*}} {qc.activations = "float", qc.weights = "float"}
// ENDS: nn.matmul {{.*}} {qc.activations = "int8", qc.weights = "int8"}

// NOMATCH: error: qc-load-calibration: {{.*}}nomatch.json: layers[0]: 'nope' matches no linear layer
// REGEX: error: qc-load-calibration: {{.*}}regex.json: layers[0]: bad regex '(q': parentheses not balanced
// NUMBER: error: qc-load-calibration: {{.*}}num.json: layers[0]: 'min' is not a number
// FORMAT: error: qc-load-calibration: {{.*}}fmt.json: layers[0]: 'weights' must be float or one of int8, int4
// JSON: error: qc-load-calibration: {{.*}}bad.json is not valid JSON
// MISSING: error: qc-load-calibration: {{.*}}missing.json
// LAST: error: qc-load-calibration: unknown format last=int5 (expected float, int8
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %wq = arith.constant dense<0.5> : tensor<4x4xf32>
  %wk = arith.constant dense<0.25> : tensor<4x4xf32>
  %wh = arith.constant dense<1.0> : tensor<4x4xf32>
  %q = nn.matmul %x, %wq : tensor<2x4xf32>, tensor<4x4xf32> loc("q_proj")
  %k = nn.matmul %x, %wk : tensor<2x4xf32>, tensor<4x4xf32> loc("k_proj")
  %s = nn.add %q, %k : tensor<2x4xf32>, tensor<2x4xf32>
  %h = nn.matmul %s, %wh : tensor<2x4xf32>, tensor<4x4xf32> loc("head")
  return %h : tensor<2x4xf32>
}

// RUN: not quant-opt %s --qc-assign-formats="bits=8 metric=hessian" 2>&1 | FileCheck %s --check-prefix=HESSIAN
// RUN: not quant-opt %s --qc-assign-formats="bits=8 candidates=mxfp4,nvfp4 metric=hessian" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not quant-opt %s --qc-assign-formats="bits=8 metric=hessian entry=other" 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not quant-opt %s --qc-assign-formats="bits=8 group=-2 metric=hessian" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not quant-opt %s --qc-assign-formats="bits=8 candidates=, metric=hessian" 2>&1 | FileCheck %s --check-prefix=NONE

// HESSIAN: qc-assign-formats-invalid.mlir:[[@LINE+7]]:8: error: qc-assign-formats: layer 'nn.matmul' has no Hessian; metric=hessian needs --qc-calibrate with hessian=true first (grouped convolutions have none: use metric=output)
// BLOCK: qc-assign-formats-invalid.mlir:[[@LINE+6]]:8: error: qc-assign-formats: no candidate applies to layer 'nn.matmul' (its reduction dimension is not a multiple of their blocks)
// ENTRY: error: qc-assign-formats: no function @other
// GROUP: error: qc-assign-formats: group must be >= 0, got -2
// NONE: error: qc-assign-formats: no candidates (expected e.g. candidates=int4,int8)
func.func @main(%x: tensor<3x24xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<0.5> : tensor<24x2xf32>
  %y = nn.matmul %x, %w : tensor<3x24xf32>, tensor<24x2xf32>
  return %y : tensor<3x2xf32>
}
func.func @second(%x: tensor<3x24xf32>) -> tensor<3x24xf32> {
  return %x : tensor<3x24xf32>
}

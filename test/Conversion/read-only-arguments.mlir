// RUN: quant-opt %s --qc-read-only-arguments | FileCheck %s --check-prefix=ATTR
// RUN: quant-opt %s --qc-lower-to-cpu --mlir-print-ir-after=buffer-results-to-out-params 2>&1 >/dev/null | FileCheck %s

// The compiled entry points never write their inputs: a scatter into an
// argument works on a copy of it, so calling the function twice with the
// same arrays gives the same result.

// ATTR-LABEL: func.func @main(
// ATTR-SAME: %{{.*}}: tensor<3x5xf32> {bufferization.writable = false}
// ATTR-SAME: %{{.*}}: tensor<3x2xi64> {bufferization.writable = false}
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<3x5xf32>
// CHECK: %[[COPY:.*]] = memref.alloc() {{.*}} : memref<3x5xf32>
// CHECK: linalg.copy ins(%[[X]] : memref<3x5xf32>) outs(%[[COPY]] : memref<3x5xf32>)
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[COPY]])
// CHECK-NOT: memref.store {{.*}}, %[[X]][
// CHECK: return
func.func @main(%x: tensor<3x5xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) -> tensor<3x5xf32> {
  %0 = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "max"} : tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  %1 = nn.exp %0 : tensor<3x5xf32>
  return %1 : tensor<3x5xf32>
}

// Private functions (called inside the module) are left to the analysis.
// ATTR-LABEL: func.func private @helper(
// ATTR-SAME: %{{.*}}: tensor<4xf32>)
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

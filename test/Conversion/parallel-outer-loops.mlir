// RUN: quant-opt %s --qc-lower-to-cpu="threads=2" --mlir-print-ir-after=qc-parallel-outer-loops 2>&1 >/dev/null | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu --mlir-print-ir-after=convert-linalg-to-loops 2>&1 >/dev/null | FileCheck %s --check-prefix=ONE

// With threads > 1, a generic of at least 65536 iterations becomes loops
// whose outermost loop of more than one iteration is an scf.parallel (the
// batch loop of one image stays a loop; the channels are split between the
// threads); the inner loops stay sequential. Small generics are left to
// convert-linalg-to-loops. One thread: no scf.parallel.
// CHECK-LABEL: func.func @main
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c1 step
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c64) step
// CHECK-NEXT: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step
// CHECK-NEXT: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step
// CHECK: arith.select
// CHECK: scf.reduce
// CHECK: linalg.generic
// CHECK-NOT: scf.parallel
// CHECK: return
// ONE-NOT: scf.parallel
func.func @main(%x: tensor<1x64x32x32xf32>, %y: tensor<4x8xf32>) -> (tensor<1x64x32x32xf32>, tensor<4x8xf32>) {
  %0 = nn.relu %x : tensor<1x64x32x32xf32>
  %1 = nn.relu %y : tensor<4x8xf32>
  return %0, %1 : tensor<1x64x32x32xf32>, tensor<4x8xf32>
}

// RUN: quant-opt %s --qc-gpu-launch-to-loops | FileCheck %s

// The grid (z, y, x), then the block (z, y, x), as loops; the body's ids
// and sizes are the loop indices and the launch's operands, also where ops
// read them.
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[A:.*]]: memref<6x40xf32>, %[[GX:.*]]: index)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %{{.*}} {
// CHECK-NEXT: scf.for %[[BY:.*]] = %[[C0]] to %[[C2]] step %{{.*}} {
// CHECK-NEXT: scf.for %[[BX:.*]] = %[[C0]] to %[[GX]] step %{{.*}} {
// CHECK-NEXT: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %{{.*}} {
// CHECK-NEXT: scf.for %[[TY:.*]] = %[[C0]] to %[[C1]] step %{{.*}} {
// CHECK-NEXT: scf.for %[[TX:.*]] = %[[C0]] to %[[C32]] step %{{.*}} {
// CHECK: arith.muli %[[BX]], %[[C32]]
// CHECK: arith.addi {{.*}}, %[[TX]]
// CHECK: arith.muli %[[BY]], %[[C1]]
// CHECK-NOT: gpu.
func.func @scale(%a: memref<6x40xf32>, %gx: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %c40 = arith.constant 40 : index
  %c6 = arith.constant 6 : index
  gpu.launch blocks(%bx, %by, %bz) in (%sgx = %gx, %sgy = %c2, %sgz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %dim = gpu.block_dim x
    %base = arith.muli %bx, %dim : index
    %col = arith.addi %base, %tx : index
    %rows = arith.muli %by, %sy : index
    %row = arith.addi %rows, %ty : index
    %in_col = arith.cmpi ult, %col, %c40 : index
    %in_row = arith.cmpi ult, %row, %c6 : index
    %in = arith.andi %in_col, %in_row : i1
    scf.if %in {
      %x = memref.load %a[%row, %col] : memref<6x40xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %a[%row, %col] : memref<6x40xf32>
    }
    gpu.terminator
  }
  return
}

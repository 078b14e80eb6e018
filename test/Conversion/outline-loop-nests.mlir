// RUN: quant-opt %s --qc-outline-loop-nests | FileCheck %s
// Idempotent: a second run finds only calls at the top level.
// RUN: quant-opt %s --qc-outline-loop-nests --qc-outline-loop-nests | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu | quant-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// Two nests that differ only in their buffers share one function; the
// constants they use are copied in, the buffers and the bound are
// arguments in order of first use.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:[^:]*]]: memref<8xf32>, %[[B:[^:]*]]: memref<8xf32>, %[[C:[^:]*]]: memref<8xf32>, %[[N:[^:]*]]: index
// CHECK-NOT: scf.for
// CHECK: call @__qc_loop_nest_0(%[[N]], %[[A]], %[[B]]) : (index, memref<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT: call @__qc_loop_nest_0(%[[N]], %[[B]], %[[C]]) : (index, memref<8xf32>, memref<8xf32>) -> ()
// A different body is a different function.
// CHECK-NOT: scf.for
// CHECK: call @__qc_loop_nest_1(%[[A]]) : (memref<8xf32>) -> ()
// A nest with results stays.
// CHECK: scf.for {{.*}} iter_args
// CHECK: return
// Functions made by this or other passes (`__qc_` names) are left alone.
// CHECK-LABEL: func.func private @__qc_kernel(
// CHECK-NEXT: arith.constant
// CHECK-NEXT: arith.constant
// CHECK-NEXT: arith.constant
// CHECK-NEXT: scf.for
// CHECK-LABEL: func.func private @__qc_loop_nest_0(
// CHECK-SAME: %[[BOUND:[^:]*]]: index, %[[X:[^:]*]]: memref<8xf32>, %[[Y:[^:]*]]: memref<8xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, no_inline} {
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 1 : index
// CHECK-DAG: arith.constant 2.000000e+00 : f32
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[BOUND]] step %{{.*}} {
// CHECK: memref.load %[[X]][%[[I]]]
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]]]
// CHECK: return
// CHECK-LABEL: func.func private @__qc_loop_nest_1(%{{.*}}: memref<8xf32>)
// CHECK-SAME: qc.noalias_args = array<i64: 0, 1>

// Pointers that no other argument can reach are noalias (LLVM knew that
// of distinct allocations in main): distinct allocations, or one argument
// of the caller among allocations. Two arguments of the caller may overlap,
// and so may views of one buffer.
// CHECK-LABEL: func.func private @__qc_loop_nest_2(
// CHECK-SAME: %{{[^:]*}}: index, %{{[^:]*}}: memref<8xf32>, %{{[^:]*}}: memref<8xf32>)
// CHECK-SAME: qc.noalias_args = array<i64: 1, 2, 6, 7>
// CHECK-LABEL: func.func private @__qc_loop_nest_3(
// CHECK-SAME: %{{[^:]*}}: memref<8xf32>, %{{[^:]*}}: memref<4xf32, strided<[1], offset: 4>>)
// CHECK-NOT: qc.noalias_args
// CHECK-SAME: {
// A base that is not traced (memref.transpose is no view-like op) may be
// any buffer: nothing is marked.
// CHECK-LABEL: func.func private @__qc_loop_nest_4(
// CHECK-SAME: %{{[^:]*}}: memref<4x4xf32, strided<[1, 4]>>, %{{[^:]*}}: memref<4x4xf32>, %{{[^:]*}}: memref<8xf32>)
// CHECK-NOT: qc.noalias_args
// CHECK-SAME: {
// CHECK-NOT: func.func private @__qc_loop_nest_5

// The nests are not inlined back into main by LLVM.
// LLVM: define float @main(
// LLVM: call void @__qc_loop_nest_0(
// LLVM: call void @__qc_loop_nest_0(
// LLVM: call void @__qc_loop_nest_1(
// LLVM: define internal void @__qc_loop_nest_0({{.*}}) #[[ATTRS:[0-9]+]]
// LLVM: define internal void @__qc_loop_nest_1(ptr noalias %0, ptr noalias %1,
// LLVM: attributes #[[ATTRS]] = { noinline }
func.func @main(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %b[%i] : memref<8xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %c[%i] : memref<8xf32>
  }
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %w = arith.addf %v, %two : f32
    memref.store %w, %a[%i] : memref<8xf32>
  }
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %c[%i] : memref<8xf32>
    %s = arith.addf %acc, %v : f32
    scf.yield %s : f32
  }
  return %sum : f32
}

func.func private @__qc_kernel(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c8 {
    memref.store %one, %a[%i] : memref<8xf32>
  }
  return
}

func.func @allocs(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %b[%i] : memref<8xf32>
  }
  %s = memref.subview %a[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %s[%i] : memref<4xf32, strided<[1], offset: 4>>
  }
  %m = memref.alloc() : memref<4x4xf32>
  %t = memref.transpose %m (i, j) -> (j, i) : memref<4x4xf32> to memref<4x4xf32, strided<[1, 4]>>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %t[%i, %c0] : memref<4x4xf32, strided<[1, 4]>>
    memref.store %v, %m[%c0, %i] : memref<4x4xf32>
    memref.store %v, %b[%i] : memref<8xf32>
  }
  return
}

// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qc-gpu-map-parallel-loops{block-size=128}),cse)' | FileCheck %s

// A reduction dimension before the parallel one (the lowering of a Gemm
// with transB makes such generics): interchanged, so each of the 40 outputs
// is one thread that sums its 300 terms in order. 40 threads round up to a
// tile of 64 on thread_x, with a guard.
// CHECK-LABEL: func.func @rowsum
// CHECK-DAG: %[[C40:.*]] = arith.constant 40 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C300:.*]] = arith.constant 300 : index
// CHECK: scf.parallel (%[[B:.*]]) = ({{.*}}) to (%[[C40]]) step (%[[T:.*]]) {
// CHECK:   scf.parallel (%[[I:.*]]) = ({{.*}}) to (%[[T]])
// CHECK:     %[[N:.*]] = arith.addi %[[I]], %[[B]]
// CHECK:     arith.cmpi ult, {{.*}}, %[[C40]]
// CHECK:     scf.if
// CHECK-NEXT:  scf.for %[[K:.*]] = %{{.*}} to %[[C300]]
// CHECK:         memref.load %arg0[{{.*}}] : memref<300x40xf32>
// CHECK:         arith.addf
// CHECK:         memref.store
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
#k_n = affine_map<(k, n) -> (k, n)>
#n = affine_map<(k, n) -> (n)>
func.func @rowsum(%a: memref<300x40xf32>, %out: memref<40xf32>) {
  linalg.generic {indexing_maps = [#k_n, #n],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<300x40xf32>) outs(%out : memref<40xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// memref.copy becomes a mapped loop: the last (contiguous) dimension on x
// with all 128 threads, the first on y with the rest (1). A 0-d op runs in
// a one-thread loop.
// CHECK-LABEL: func.func @copy_and_scalar
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     memref.load %arg0
// CHECK:     memref.store {{.*}}, %arg1
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x
// CHECK-NOT: memref.copy
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     memref.load %arg2[]
// CHECK:     arith.addf
// CHECK:     memref.store {{.*}}, %arg2[]
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @copy_and_scalar(%a: memref<4x1000xf32>, %b: memref<4x1000xf32>,
                           %s: memref<f32>) {
  memref.copy %a, %b : memref<4x1000xf32> to memref<4x1000xf32>
  linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []}
      outs(%s : memref<f32>) {
  ^bb0(%o: f32):
    %t = arith.addf %o, %o : f32
    linalg.yield %t : f32
  }
  return
}

// A sequential loop that touches memory (a prefix sum) runs in one thread;
// the pure ops between memory ops stay outside.
// CHECK-LABEL: func.func @sequential
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// CHECK-NEXT: scf.for
// CHECK: memref.store
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
func.func @sequential(%a: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c1 to %c8 step %c1 {
    %p = arith.subi %i, %c1 : index
    %x = memref.load %a[%p] : memref<8xf32>
    %y = memref.load %a[%i] : memref<8xf32>
    %z = arith.addf %x, %y : f32
    memref.store %z, %a[%i] : memref<8xf32>
  }
  return
}

// Three mapped dimensions and a leading one that stays a loop in each
// thread; 100 x 3 x 5 x 7: x gets 8 threads, y 4, z 4.
// CHECK-LABEL: func.func @four_d
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_z, {{.*}}>, #gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x
#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
func.func @four_d(%a: memref<100x3x5x7xf32>, %b: memref<100x3x5x7xf32>) {
  linalg.generic {indexing_maps = [#id4, #id4],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : memref<100x3x5x7xf32>) outs(%b : memref<100x3x5x7xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  return
}

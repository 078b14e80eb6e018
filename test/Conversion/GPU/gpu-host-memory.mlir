// RUN: quant-opt %s --qc-gpu-host-memory | FileCheck %s
// RUN: quant-opt %s --qc-gpu-host-memory="host-buffers=false" | FileCheck %s --check-prefix=DEVICE
// RUN: quant-opt %s --qc-gpu-host-memory --gpu-kernel-outlining --qc-gpu-merge-kernel-modules --canonicalize --symbol-dce | FileCheck %s --check-prefix=MERGED

// The input is copied to a device buffer, the output (the argument from
// qc.gpu.num_inputs on) is computed in one and copied back; the host
// allocation becomes a device one; the constant, and the view the kernel
// reads, are cloned into the launch.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:.*]]: memref<8xf32>, %[[Y:.*]]: memref<8xf32>)
// CHECK-DAG: %[[DY:.*]] = gpu.alloc () : memref<8xf32>
// CHECK-DAG: %[[DX:.*]] = gpu.alloc () : memref<8xf32>
// CHECK: gpu.memcpy %[[DX]], %[[X]]
// CHECK-NOT: gpu.memcpy %[[DY]]
// CHECK: %[[T:.*]] = gpu.alloc () : memref<8xf32>
// CHECK: gpu.launch
// CHECK-NEXT: %[[W:.*]] = memref.get_global @w
// CHECK-NEXT: %[[FLAT:.*]] = memref.collapse_shape %[[W]]
// CHECK: memref.load %[[DX]]
// CHECK: memref.load %[[FLAT]]
// CHECK: memref.store {{.*}}, %[[T]]
// CHECK: gpu.launch
// CHECK: memref.store {{.*}}, %[[DY]]
// CHECK: gpu.dealloc %[[T]]
// CHECK: gpu.memcpy %[[Y]], %[[DY]]
// CHECK-DAG: gpu.dealloc %[[DX]]
// CHECK-DAG: gpu.dealloc %[[DY]]
// CHECK: return

// Without host buffers the arguments are used as they are.
// DEVICE-LABEL: func.func @main(
// DEVICE-NOT: gpu.memcpy
// DEVICE: memref.load %arg0
// DEVICE-NOT: gpu.memcpy
// DEVICE: return

// One kernel module, one copy of the constant, launches renamed.
// MERGED: func.func @main
// MERGED: gpu.launch_func @main_kernel::@main_kernel blocks
// MERGED: gpu.launch_func @main_kernel::@main_kernel_0 blocks
// MERGED-NOT: memref.global
// MERGED: gpu.module @main_kernel {
// MERGED: gpu.func @main_kernel(
// MERGED: memref.get_global @w
// MERGED: memref.global "private" constant @w
// MERGED: gpu.func @main_kernel_0(
// MERGED-NOT: gpu.module
memref.global "private" constant @w : memref<2x4xf32> = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]>
func.func @main(%x: memref<8xf32>, %y: memref<8xf32>) attributes {qc.gpu.num_inputs = 1 : i64} {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %w = memref.get_global @w : memref<2x4xf32>
  %flat = memref.collapse_shape %w [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  %t = memref.alloc() : memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %a = memref.load %x[%tx] : memref<8xf32>
    %b = memref.load %flat[%tx] : memref<8xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %t[%tx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %a = memref.load %t[%tx] : memref<8xf32>
    memref.store %a, %y[%tx] : memref<8xf32>
    gpu.terminator
  }
  memref.dealloc %t : memref<8xf32>
  return
}

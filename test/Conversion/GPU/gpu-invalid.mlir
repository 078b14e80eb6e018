// RUN: quant-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(qc-gpu-map-parallel-loops),qc-gpu-host-memory,qc-gpu-launch-to-loops)' -o /dev/null
// RUN: not quant-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qc-gpu-map-parallel-loops{block-size=100}))' -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: --qc-gpu-map-parallel-loops: block-size 100 is not a power of two from 32 to 1024

// A value read from device memory that the host needs (here an allocation
// size) cannot stay on the host nor move into a kernel.
func.func @size_from_memory(%n: memref<index>) {
  // expected-error @below {{'memref.load' op computes a value on the device that the host code uses afterwards; it cannot be part of a GPU kernel}}
  %size = memref.load %n[] : memref<index>
  %buffer = memref.alloc(%size) : memref<?xf32>
  memref.dealloc %buffer : memref<?xf32>
  return
}

// -----

// Unstructured control flow at the top level.
// expected-error @below {{'func.func' op has more than one block at the top level; the GPU lowering expects structured control flow}}
func.func @blocks(%a: memref<f32>, %c: i1) {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  return
^bb2:
  return
}

// -----

// Host stack memory cannot be given to a kernel.
func.func @alloca() {
  // expected-error @below {{'memref.alloca' op allocates host stack memory outside a GPU kernel; the GPU lowering cannot place it}}
  %a = memref.alloca() : memref<4xf32>
  return
}

// -----

// Threads that wait for each other cannot run one after the other.
func.func @barrier(%a: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @below {{'gpu.barrier' op cannot be emulated thread by thread (--qc-gpu-launch-to-loops)}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

// The mapping runs on buffers, after bufferization.
func.func @tensors(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'linalg.generic' op is not bufferized; --qc-gpu-map-parallel-loops runs after bufferization}}
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%a : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Shared memory (a workgroup attribution) cannot be emulated.
func.func @shared(%a: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  // expected-error @below {{'gpu.launch' op with more than one block, memory attributions, dynamic shared memory or an async token cannot be emulated (--qc-gpu-launch-to-loops)}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}

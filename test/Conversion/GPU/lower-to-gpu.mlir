// REQUIRES: libdevice
// RUN: quant-opt %s --qc-lower-to-gpu | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-gpu="chip=sm_90 block-size=64" | quant-translate --emit-ptx | FileCheck %s --check-prefix=PTX
// RUN: quant-opt %s --qc-lower-to-gpu="emulate=true" | FileCheck %s --check-prefix=EMULATE

// The host code allocates device buffers, copies, and launches kernels
// through MLIR's runtime functions; the kernels are one PTX module in a
// gpu.binary; the C entry point takes host arrays as memref descriptors.
// CHECK: module attributes {gpu.container_module, qc.gpu_chip = "sm_80"}
// CHECK-NOT: linalg.
// CHECK-NOT: nn.
// CHECK-NOT: qc.fake_quant
// CHECK: llvm.func @main(
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: llvm.call @mgpuMemcpy
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @main_kernel::@main_kernel blocks in
// CHECK: llvm.func @_mlir_ciface_main(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes {llvm.emit_c_interface}
// CHECK: gpu.binary @main_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_80">, {{.*}}assembly = "
// CHECK-NOT: gpu.binary

// The kernels' text: for the chosen GPU, one thread per element of the
// 2 x 8 result (x: the 8 columns), the weights in global memory, gelu's
// erf from libdevice (inlined).
// PTX: // gpu.binary @main_kernel
// PTX: .target sm_90
// PTX: .global .align {{[0-9]+}} .b8 __constant_2x8xf32[64]
// PTX: .entry main_kernel(
// PTX: .maxntid 8, 2, 1
// PTX-NOT: .extern .func
// PTX-NOT: call{{.*}}__nv_

// Emulation: the same kernels as host loops; nothing of the GPU is left.
// EMULATE-NOT: gpu.launch
// EMULATE-NOT: gpu.module
// EMULATE-NOT: mgpu
// EMULATE: llvm.func @_mlir_ciface_main(
func.func @main(%x: tensor<2x8xf32>, %b: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 2.0, 0.25, 1.5, -0.75, 3.0, 1.0],
                             [1.0, 0.5, -0.5, 2.0, -1.0, 0.25, 0.5, -2.0]]> : tensor<2x8xf32>
  %s = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %q = qc.fake_quant %x, %s as !qc.qtensor<2x8, #qc.int<4>, #qc.scheme<per_axis, axis = 0>> : (tensor<2x8xf32>, tensor<2xf32>) -> tensor<2x8xf32>
  %m = nn.mul %q, %w : tensor<2x8xf32>, tensor<2x8xf32>
  %a = nn.add %m, %b : tensor<2x8xf32>, tensor<2x8xf32>
  %y = nn.gelu %a : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

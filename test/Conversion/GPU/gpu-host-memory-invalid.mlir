// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-gpu-host-memory -o /dev/null
// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-gpu-launch-to-loops -o /dev/null

// A memory access left in host code (not put into a kernel): the host
// cannot read device memory, and the emulation refuses it too.
func.func @host_load(%a: memref<f32>) -> f32 {
  // expected-error @below {{'memref.load' op reads or writes memory in host code, outside a GPU kernel (--qc-gpu-map-parallel-loops puts all such code in kernels)}}
  %x = memref.load %a[] : memref<f32>
  return %x : f32
}

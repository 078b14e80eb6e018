// RUN: not quant-opt %s --qc-lower-to-gpu="cuda-path=%t.no-toolkit" -o %t.out 2>&1 | FileCheck %s
// RUN: not quant-translate --emit-ptx %s -o %t.ptx 2>&1 | FileCheck %s --check-prefix=PTX
// RUN: not test -e %t.ptx

// A kernel that calls a libdevice function (softmax's exp) cannot be
// linked without the CUDA toolkit's libdevice: an error, not PTX that calls
// an undefined function.
// CHECK: error: the GPU kernels call libdevice's __nv_expf, but no CUDA toolkit with nvvm/libdevice/libdevice.10.bc was found (cuda-path={{.*}}no-toolkit); install the CUDA toolkit or set --qc-lower-to-gpu's cuda-path

// --emit-ptx on a module that was not lowered.
// PTX: error: --emit-ptx: the module has no gpu.binary (run --qc-lower-to-gpu first)
func.func @main(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %p = nn.softmax %x {axis = 1 : i64} : tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}


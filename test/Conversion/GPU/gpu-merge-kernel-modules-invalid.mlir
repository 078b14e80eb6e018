// RUN: quant-opt %s --verify-diagnostics --qc-gpu-merge-kernel-modules -o /dev/null

// Two kernel modules with different symbols of the same name cannot be
// merged (outlining copies the same op into each; anything else is an
// error, not a silent pick).
module attributes {gpu.container_module} {
  gpu.module @k0 {
    memref.global "private" constant @w : memref<2xf32> = dense<[1.0, 2.0]>
    gpu.func @k(%a: memref<2xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k1 {
    // expected-error @below {{'memref.global' op differs from the symbol of the same name in k0; the kernel modules cannot be merged}}
    memref.global "private" constant @w : memref<2xf32> = dense<[3.0, 4.0]>
    gpu.func @k(%a: memref<2xf32>) kernel {
      gpu.return
    }
  }
}

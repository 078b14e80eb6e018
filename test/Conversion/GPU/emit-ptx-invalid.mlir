// RUN: not quant-translate --emit-ptx %s -o %t.ptx 2>&1 | FileCheck %s
// RUN: not test -e %t.ptx

// A GPU binary that holds a cubin (not PTX text) has no PTX to write.
// CHECK: error: --emit-ptx: the object for #nvvm.target<chip = "sm_80"> is not PTX text (lower with --qc-lower-to-gpu)
module attributes {gpu.container_module} {
  gpu.binary @kernels [#gpu.object<#nvvm.target<chip = "sm_80">, bin = "\7FELF">]
}

// RUN: quant-opt %s --qc-lower-to-cpu="target-cpu=sapphirerapids" | FileCheck %s --check-prefix=SPR
// RUN: quant-opt %s --qc-lower-to-cpu="target-cpu=sapphirerapids" -o %t.spr.mlir
// RUN: quant-translate --mlir-to-cpu-object %t.spr.mlir -o %t.spr.o
// RUN: llvm-objdump -d --no-show-raw-insn %t.spr.o | FileCheck %s --check-prefix=SPR-OBJ
// RUN: quant-opt %s --qc-lower-to-cpu="target-cpu=znver3" | FileCheck %s --check-prefix=ZEN3
// RUN: quant-opt %s --qc-lower-to-cpu="target-cpu=znver3" -o %t.zen3.mlir
// RUN: quant-translate --mlir-to-cpu-object %t.zen3.mlir -o %t.zen3.o
// RUN: llvm-objdump -d --no-show-raw-insn %t.zen3.o | FileCheck %s --check-prefix=ZEN3-OBJ
// RUN: quant-opt %s --qc-lower-to-cpu="target-cpu=x86-64" | FileCheck %s --check-prefix=BASE
// RUN: not quant-opt %s --qc-lower-to-cpu="target-cpu=pentium4000" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quant-opt %s --qc-lower-to-cpu="target-cpu=i686" 2>&1 | FileCheck %s --check-prefix=BAD32

// target-cpu compiles for another x86-64 CPU than the host, whatever the
// host is: the `auto` kernels are those that CPU has, the module records
// it, and --mlir-to-cpu-object emits that CPU's instructions.

// Sapphire Rapids: AVX-512 VNNI, so the int8 kernel is vpdpbusd on zmm.
// SPR: module attributes {{{.*}}qc.target_cpu = "sapphirerapids"
// SPR: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// SPR-OBJ-COUNT-24: vpdpbusd {{.*}}%zmm
// SPR-OBJ-NOT: vpmaddwd

// Zen 3: AVX2 without VNNI, so the vpmaddwd kernel on ymm.
// ZEN3: module attributes {{{.*}}qc.target_cpu = "znver3"
// ZEN3-NOT: vpdpbusd
// ZEN3: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// ZEN3-OBJ: vpmaddwd {{.*}}%ymm
// ZEN3-OBJ-NOT: zmm

// The x86-64 baseline (SSE2) has neither: the generic contraction.
// BASE-NOT: llvm.call_intrinsic "llvm.x86.
// BASE-LABEL: llvm.func @main(

// BAD: error: qc-lower-to-cpu: unknown target-cpu 'pentium4000' (an x86-64 CPU name of LLVM's, e.g. sapphirerapids, znver4, x86-64-v3)
// BAD32: error: qc-lower-to-cpu: unknown target-cpu 'i686'
func.func @main(%x: !qc.qtensor<24x64, #qc.int<8, unsigned>>) -> tensor<24x48xi32> {
  %w = qc.constant dense<3> : tensor<48x64xi8> : !qc.qtensor<48x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %y = qc.linear %x, %w : (!qc.qtensor<24x64, #qc.int<8, unsigned>>, !qc.qtensor<48x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<24x48xi32>
  return %y : tensor<24x48xi32>
}

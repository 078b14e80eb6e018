// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx512" | FileCheck %s --check-prefix=PACK
// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=generic" | FileCheck %s --check-prefix=GENERIC
// RUN: quant-opt %s --qc-lower-to-cpu="float-kernel=avx512" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f \
// RUN:   | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx512-fma" | FileCheck %s --check-prefix=PACKFMA
// RUN: quant-opt %s --qc-lower-to-cpu="float-kernel=avx512-fma" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+fma \
// RUN:   | FileCheck %s --check-prefix=ASMFMA
// RUN: not quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: qc-convert-nn-to-linalg: unknown float-kernel 'avx' (expected auto, avx512, avx512-fma, avx2, avx2-fma or generic)

// x @ W with constant f32 weights: W [64, 40] packed at compile time into
// [N / 32][K][32][1] panels (zero beyond N = 40), the 30 rows (batch
// dimension folded in) into [3][K][12][1] tiles, and one generic tagged
// for the kernel; the product is rounded, then added (no FMA), in order
// of k from +0: the interpreter's arithmetic.
// PACK-LABEL: func.func @main
// PACK-DAG: %[[BP:.*]] = arith.constant dense<{{.*}}> : tensor<2x64x32x1xf32>
// PACK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x64x12x1xf32>)
// PACK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<2x32xf32>
// PACK: linalg.generic {{.*}} ins(%{{.*}}, %[[BP]], %[[ZERO]] : tensor<3x64x12x1xf32>, tensor<2x64x32x1xf32>, tensor<2x32xf32>) outs(%{{.*}} : tensor<30x64xf32>) attrs = {qc.x86_kernel = "f32_avx512"}
// PACK: arith.mulf
// PACK-NEXT: arith.addf
// PACK: tensor.extract_slice %{{.*}}[0, 0] [30, 40] [1, 1] : tensor<30x64xf32> to tensor<30x40xf32>
// GENERIC-NOT: f32_avx512

// The micro-kernel's loop, in the outlined loop nest (main packs the
// activations and calls it): 24 vmulps (and 24 vaddps) on zmm registers,
// no FMA anywhere. Its first copy (tiles 0 and 1 of a row block) also
// prefetches the next block of packed weights into L2 (prefetcht1), as
// the int8 kernels do: the weights of a model stream from L3 or memory.
// ASM-NOT: vfmadd
// ASM-LABEL: __qc_f32_avx512_{{.*}}:
// ASM-NOT: vmulps
// ASM: Inner Loop Header
// ASM: prefetcht1
// ASM-COUNT-24: vmulps {{.*}}%zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// ASM-NOT: vmulps
// ASM: j{{[a-z]+}} .LBB
// ASM-NOT: vfmadd
// float-kernel=avx512-fma: the same packing and nest, tagged for the FMA
// kernel, whose terms are one math.fma each (one rounding; the last bits
// differ from the interpreter's): 24 vfmadd231ps per K value, no vmulps.
// PACKFMA-LABEL: func.func @main
// PACKFMA: linalg.generic {{.*}} attrs = {qc.x86_kernel = "f32_avx512_fma"}
// PACKFMA: math.fma
// PACKFMA-NOT: arith.mulf
// ASMFMA-NOT: vmulps
// ASMFMA-LABEL: __qc_f32_avx512_fma_{{.*}}:
// ASMFMA: Inner Loop Header
// ASMFMA: prefetcht1
// ASMFMA-COUNT-24: vfmadd231ps {{.*}}%zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// ASMFMA-NOT: vmulps
func.func @main(%x: tensor<1x30x64xf32>) -> tensor<1x30x40xf32> {
  %c = arith.constant dense<0.25> : tensor<64x40xf32>
  %y = nn.matmul %x, %c : tensor<1x30x64xf32>, tensor<64x40xf32>
  return %y : tensor<1x30x40xf32>
}

// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx2" | FileCheck %s --check-prefix=PACK
// RUN: quant-opt %s --qc-convert-nn-to-linalg="target-cpu=znver3" | FileCheck %s --check-prefix=PACK
// RUN: quant-opt %s --qc-convert-nn-to-linalg="target-cpu=sapphirerapids" | FileCheck %s --check-prefix=AUTO512
// RUN: quant-opt %s --qc-lower-to-cpu="float-kernel=avx2" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma \
// RUN:   | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx2-fma" | FileCheck %s --check-prefix=PACKFMA
// RUN: quant-opt %s --qc-lower-to-cpu="float-kernel=avx2-fma" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma \
// RUN:   | FileCheck %s --check-prefix=ASMFMA

// The AVX2 f32 kernel (what `auto` picks on AVX2 hosts without AVX-512,
// e.g. Zen 3): W [64, 40] packed at compile time into [N / 16][K][16][1]
// panels (zero beyond N = 40), the 30 rows into [5][K][6][1] tiles, one
// generic tagged for the kernel; a rounded product, then a rounded add, in
// order of k from +0 (the interpreter's arithmetic, bit-exact).
// PACK-LABEL: func.func @main
// PACK-DAG: %[[BP:.*]] = arith.constant dense<{{.*}}> : tensor<3x64x16x1xf32>
// PACK: linalg.generic {{.*}} outs(%{{.*}} : tensor<5x64x6x1xf32>)
// PACK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<3x16xf32>
// PACK: linalg.generic {{.*}} ins(%{{.*}}, %[[BP]], %[[ZERO]] : tensor<5x64x6x1xf32>, tensor<3x64x16x1xf32>, tensor<3x16xf32>) outs(%{{.*}} : tensor<30x48xf32>) attrs = {qc.x86_kernel = "f32_avx2"}
// PACK: arith.mulf
// PACK-NEXT: arith.addf
// PACK: tensor.extract_slice %{{.*}}[0, 0] [30, 40] [1, 1] : tensor<30x48xf32> to tensor<30x40xf32>

// target-cpu with AVX-512: `auto` is the AVX-512 kernel.
// AUTO512: qc.x86_kernel = "f32_avx512"

// The outlined nest's inner loop: 12 vmulps and 12 vaddps on ymm
// registers per K value (6 rows x 2 vectors), no FMA.
// ASM-NOT: vfmadd
// ASM-LABEL: __qc_f32_avx2_{{.*}}:
// ASM: Inner Loop Header
// ASM-COUNT-12: vmulps {{.*}}%ymm{{[0-9]+}}, %ymm{{[0-9]+}}
// ASM-NOT: vmulps
// ASM: j{{[a-z]+}} .LBB
// ASM-NOT: vfmadd

// avx2-fma: the same nest with 12 vfmadd231ps per K value.
// PACKFMA: linalg.generic {{.*}} attrs = {qc.x86_kernel = "f32_avx2_fma"}
// PACKFMA: math.fma
// PACKFMA-NOT: arith.mulf
// ASMFMA-NOT: vmulps
// ASMFMA-LABEL: __qc_f32_avx2_fma_{{.*}}:
// ASMFMA: Inner Loop Header
// ASMFMA-COUNT-12: vfmadd231ps {{.*}}%ymm{{[0-9]+}}, %ymm{{[0-9]+}}
// ASMFMA-NOT: vmulps
func.func @main(%x: tensor<1x30x64xf32>) -> tensor<1x30x40xf32> {
  %c = arith.constant dense<0.25> : tensor<64x40xf32>
  %y = nn.matmul %x, %c : tensor<1x30x64xf32>, tensor<64x40xf32>
  return %y : tensor<1x30x40xf32>
}

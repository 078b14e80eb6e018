// RUN: quant-opt %s --qc-lower-to-cpu="int8-kernel=avx2" | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu="int8-kernel=avx2" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma \
// RUN:   | FileCheck %s --check-prefix=ASM
// RUN: quant-opt %s --qc-convert-qc-to-linalg="int8-kernel=avx2" | FileCheck %s --check-prefix=PACK

// u8 x s8 -> s32 on AVX2 (no VNNI): both operands are packed as 16-bit
// values in pairs of K, so one vpmaddwd multiplies and adds exactly (no
// vpmaddubsw saturation); the micro-kernel keeps a 6 x 16 tile in 12 ymm
// registers and issues 12 vpmaddwd and 12 vpaddd per pair of K values.
// PACK: %[[BP:.*]] = arith.constant dense<{{.*}}> : tensor<3x32x16x2xi16>
// PACK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x32x6x2xi16>)
// PACK: arith.extui %{{.*}} : i8 to i16
// PACK: linalg.generic {{.*}} ins(%{{.*}}, %[[BP]], %{{.*}} : tensor<4x32x6x2xi16>, tensor<3x32x16x2xi16>, tensor<3x16xi32>) outs(%{{.*}} : tensor<24x48xi32>) attrs = {qc.x86_kernel = "u8s8_avx2"

// Two copies of the micro-kernel: tiles 0 and 1 of a row block also
// prefetch the next block of packed weights.
// CHECK-LABEL: llvm.func @main(
// CHECK: "llvm.intr.prefetch"
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"({{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK-NOT: llvm.intr.prefetch
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"({{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK-NOT: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"

// The inner loop: 12 vpmaddwd on ymm registers, no VNNI and no saturating
// vpmaddubsw.
// (In the outlined loop nest, see x86-vnni.mlir.)
// ASM-NOT: vpdpbusd
// ASM-NOT: vpmaddubsw
// ASM-LABEL: __qc_u8s8_avx2_{{.*}}:
// ASM: # =>{{ *}}This Inner Loop Header
// ASM-COUNT-12: vpmaddwd {{.*}}%ymm{{[0-9]+}}, %ymm{{[0-9]+}}
// ASM: j{{[a-z]+}} .LBB
// ASM-NOT: vpdpbusd
// ASM-NOT: vpmaddubsw
func.func @main(%x: !qc.qtensor<24x64, #qc.int<8>>) -> tensor<24x40xi32> {
  %w = qc.constant dense<3> : tensor<40x64xi8> : !qc.qtensor<40x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  %y = qc.linear %x, %w : (!qc.qtensor<24x64, #qc.int<8>>, !qc.qtensor<40x64, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<24x40xi32>
  return %y : tensor<24x40xi32>
}

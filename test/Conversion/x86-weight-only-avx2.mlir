// RUN: quant-opt %s --qc-lower-to-cpu="weight-only-kernel=avx2" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma \
// RUN:   | FileCheck %s

// The AVX2 weight-only kernel in assembly, per 32 bytes of codes (two
// 32-column chunks) of a row; nothing on zmm (no AVX-512).
//
// MXFP4 (E2M1 codes, E8M0 scales): the FP4 values are exact in bfloat16,
// so the low / high nibbles (vpand; vpsrlw 4, vpand) index two vpshufb
// lookups each, of the value's bits 16-23 and 24-31; vpunpcklbw /
// vpunpckhbw pair them into 16-bit halves, and each f32 is a half shifted
// up (vpslld 16) or masked in place (the mask as a vpblendw with zero).
// No lane-crossing permute (vpermps), which the per-16-byte decode of an
// odd last chunk still uses (x86-weight-only.mlir).
// The kernels are the outlined loop nests (the first: mxfp4's).
// CHECK-LABEL: __qc_loop_nest_0:
// CHECK-NOT: zmm
// CHECK-DAG: vpsrlw $4, {{.*}}%ymm
// CHECK-DAG: vpshufb {{.*}}%ymm
// CHECK-DAG: vpunpcklbw {{.*}}%ymm
// CHECK-DAG: vpunpckhbw {{.*}}%ymm
// CHECK-DAG: vpslld $16, {{.*}}%ymm
// CHECK-DAG: vfmadd{{[0-9]+}}ps {{.*}}%ymm
// CHECK-NOT: {{vpermps|vpermd|zmm}}
// CHECK-LABEL: __qc_loop_nest_1:
func.func @mxfp4(%x: tensor<1x64xf32>, %b: tensor<64x32xi8>, %s: tensor<2x64xi8>) -> tensor<1x64xf32> {
  %w = qc.unpack %b : tensor<64x32xi8> -> !qc.qtensor<64x64, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x64, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>, tensor<2x64xi8>) -> tensor<64x64xf32>
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x64xf32>
  return %y : tensor<1x64xf32>
}

// int4 (per-column f32 scales): each dword of a row holds 8 codes; code i
// goes to the top (vpslld by 28 - 4i), the bits below are cleared
// (vpand), and vcvtdq2ps gives the code times 2^28 exactly (the partial
// sums are scaled by 2^-28 after the K block). No byte widening
// (vpmovzxbd), table or permute.
// CHECK-NOT: zmm
// CHECK-DAG: vpslld $28, {{.*}}%ymm
// CHECK-DAG: vpslld $4, {{.*}}%ymm
// CHECK-DAG: vpand {{.*}}%ymm
// CHECK-DAG: vcvtdq2ps {{.*}}%ymm
// CHECK-DAG: vfmadd{{[0-9]+}}ps {{.*}}%ymm
// CHECK-NOT: {{vpmovzxbd|vpshufb|vpermps|vpermd|zmm}}
func.func @int4(%x: tensor<1x64xf32>, %b: tensor<64x32xi8>, %s: tensor<64xf32>) -> tensor<1x64xf32> {
  %w = qc.unpack %b : tensor<64x32xi8> -> !qc.qtensor<64x64, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x64, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>, tensor<64xf32>) -> tensor<64x64xf32>
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x64xf32>
  return %y : tensor<1x64xf32>
}

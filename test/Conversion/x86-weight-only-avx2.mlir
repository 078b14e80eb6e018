// RUN: quant-opt %s --qc-lower-to-cpu="weight-only-kernel=avx2" \
// RUN:   | quant-translate --mlir-to-llvmir \
// RUN:   | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx2,+fma \
// RUN:   | FileCheck %s

// The AVX2 weight-only kernel in assembly (MXFP4: E2M1 codes, E8M0
// scales): the codes widened with vpmovzxbd; each 8 codes decoded by one
// vpermps (or the equal vpermd) of the 8 magnitudes on ymm registers, the
// code's bit 3 shifted into the sign bit (vpslld 28, vpand) and xor-ed in;
// the partial sums kept by vfmadd on ymm registers; nothing on zmm (no
// AVX-512).
// CHECK-NOT: zmm
// CHECK-DAG: vpmovzxbd {{.*}}%ymm
// CHECK-DAG: {{vpermps|vpermd}} {{.*}}%ymm
// CHECK-DAG: vpslld $28, {{.*}}%ymm
// CHECK-DAG: vpand {{.*}}%ymm
// CHECK-DAG: vpxor {{.*}}%ymm
// CHECK-DAG: vfmadd{{[0-9]+}}ps {{.*}}%ymm
// CHECK-NOT: zmm
func.func @main(%x: tensor<1x64xf32>, %b: tensor<64x32xi8>, %s: tensor<2x64xi8>) -> tensor<1x64xf32> {
  %w = qc.unpack %b : tensor<64x32xi8> -> !qc.qtensor<64x64, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x64, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>, tensor<2x64xi8>) -> tensor<64x64xf32>
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x64xf32>
  return %y : tensor<1x64xf32>
}

// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=avx2" --split-input-file | FileCheck %s
// RUN: quant-opt %s --qc-convert-nn-to-linalg="float-kernel=generic" --split-input-file | FileCheck %s --check-prefix=GENERIC

// Matmuls of two run-time operands (attention's Q K^T and P V): the f32
// kernel with both operands packed at run time, per matrix of the batch.

// CHECK-LABEL: func.func @heads
// CHECK: scf.for
// CHECK: tensor.extract_slice %{{.*}} : tensor<8x32x64xf32> to tensor<32x64xf32>
// CHECK: tensor.extract_slice %{{.*}} : tensor<8x64x48xf32> to tensor<64x48xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<64x48xf32>) outs(%{{.*}} : tensor<3x64x16x1xf32>)
// CHECK: qc.x86_kernel = "f32_avx2"
// CHECK: tensor.insert_slice
// GENERIC-LABEL: func.func @heads
// GENERIC-NOT: qc.x86_kernel
func.func @heads(%q: tensor<2x4x32x64xf32>, %k: tensor<2x4x64x48xf32>) -> tensor<2x4x32x48xf32> {
  %s = nn.matmul %q, %k : tensor<2x4x32x64xf32>, tensor<2x4x64x48xf32>
  return %s : tensor<2x4x32x48xf32>
}

// -----

// Below 32768 multiply-adds the generic loops stay.
// CHECK-LABEL: func.func @small
// CHECK-NOT: qc.x86_kernel
func.func @small(%q: tensor<4x16xf32>, %k: tensor<16x16xf32>) -> tensor<4x16xf32> {
  %s = nn.matmul %q, %k : tensor<4x16xf32>, tensor<16x16xf32>
  return %s : tensor<4x16xf32>
}

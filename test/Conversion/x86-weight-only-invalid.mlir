// RUN: quant-opt %s --split-input-file --verify-diagnostics --qc-x86-fuse-weight-only="kernel=avx512"
// RUN: quant-opt %s --split-input-file --qc-x86-fuse-weight-only="kernel=generic" | FileCheck %s
// RUN: not quant-opt %s --split-input-file --qc-x86-fuse-weight-only="kernel=avx2" 2>&1 | FileCheck %s --check-prefix=AVX2

// The AVX2 kernel makes the same promise.
// AVX2: error: qc-x86-fuse-weight-only: kernel=avx2 has no kernel for this matmul with weights '!qc.qtensor<64x16, #qc.int<4>>': needs a static [K, N] weight with N a multiple of 32

// With kernel=avx512 every 4-bit weight-only matmul the kernel cannot run is
// an error naming the weight type and the reason; kernel=generic (and auto)
// leave them to the generic lowering.

// CHECK-LABEL: func.func @n_not_multiple_of_32
// CHECK-NOT: qc.x86_kernel
// CHECK: nn.matmul
func.func @n_not_multiple_of_32(%x: tensor<1x64xf32>, %b: tensor<64x8xi8>, %s: tensor<f32>) -> tensor<1x16xf32> {
  %w = qc.unpack %b : tensor<64x8xi8> -> !qc.qtensor<64x16, #qc.int<4>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x16, #qc.int<4>>, tensor<f32>) -> tensor<64x16xf32>
  // expected-error @+1 {{qc-x86-fuse-weight-only: kernel=avx512 has no kernel for this matmul with weights '!qc.qtensor<64x16, #qc.int<4>>': needs a static [K, N] weight with N a multiple of 32}}
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @unsigned(%x: tensor<1x64xf32>, %b: tensor<64x16xi8>, %s: tensor<f32>) -> tensor<1x32xf32> {
  %w = qc.unpack %b : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.int<4, unsigned>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x32, #qc.int<4, unsigned>>, tensor<f32>) -> tensor<64x32xf32>
  // expected-error @+1 {{'!qc.qtensor<64x32, #qc.int<4, unsigned>>': unsigned codes}}
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @second_use(%x: tensor<1x64xf32>, %b: tensor<64x16xi8>, %s: tensor<f32>) -> (tensor<1x32xf32>, tensor<64x32xf32>) {
  %w = qc.unpack %b : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.int<4>>
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x32, #qc.int<4>>, tensor<f32>) -> tensor<64x32xf32>
  // expected-error @+1 {{the dequantized weight has other uses}}
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y, %d : tensor<1x32xf32>, tensor<64x32xf32>
}

// -----

func.func @runtime_codes(%x: tensor<1x64xf32>, %w: !qc.qtensor<64x32, #qc.int<4>>, %s: tensor<f32>) -> tensor<1x32xf32> {
  %d = qc.dequantize %w, %s : (!qc.qtensor<64x32, #qc.int<4>>, tensor<f32>) -> tensor<64x32xf32>
  // expected-error @+1 {{the codes come from neither a qc.constant nor a qc.unpack}}
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @e8m0_global(%x: tensor<1x64xf32>, %b: tensor<64x16xi8>, %s: tensor<2x32xi8>, %g: tensor<f32>) -> tensor<1x32xf32> {
  %w = qc.unpack %b : tensor<64x16xi8> -> !qc.qtensor<64x32, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>
  %d = qc.dequantize %w, %s global_scale %g : (!qc.qtensor<64x32, #qc.float<fp4e2m1fn>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<e8m0fnu>>>, tensor<2x32xi8>, tensor<f32>) -> tensor<64x32xf32>
  // expected-error @+1 {{E8M0 scales with a global scale}}
  %y = nn.matmul %x, %d : tensor<1x64xf32>, tensor<64x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// 8-bit weights are not weight-only 4-bit matmuls: no error.
// CHECK-LABEL: func.func @eight_bit
// CHECK: nn.matmul
func.func @eight_bit(%x: tensor<1x64xf32>, %w8: !qc.qtensor<64x32, #qc.int<8>>, %s: tensor<f32>) -> tensor<1x32xf32> {
  %d8 = qc.dequantize %w8, %s : (!qc.qtensor<64x32, #qc.int<8>>, tensor<f32>) -> tensor<64x32xf32>
  %y8 = nn.matmul %x, %d8 : tensor<1x64xf32>, tensor<64x32xf32>
  return %y8 : tensor<1x32xf32>
}

// RUN: quant-opt %s --split-input-file --qc-quantize-activations | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s --split-input-file --qc-quantize-activations="format=mxfp4" | FileCheck %s --check-prefix=MX
// RUN: quant-opt %s --split-input-file --qc-quantize-activations="format=nvfp4" | FileCheck %s --check-prefix=NV
// RUN: quant-opt %s --split-input-file --qc-quantize-activations="format=uint8" | FileCheck %s --check-prefix=U8
// RUN: quant-opt %s --split-input-file --qc-quantize-activations="format=int4 clip=0.9" | FileCheck %s --check-prefix=CLIP

// Dynamic activation scales: one per token (block = all 64 channels) for
// integers, E8M0 blocks of 32 for MX, E4M3 blocks of 16 plus a global scale
// for NVFP4, zero points for unsigned integers.
// INT8-LABEL: func.func @dynamic
// INT8: %[[S:.*]] = qc.compute_scales %arg0 for !qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>> : tensor<4x64xf32> -> tensor<4x1xf32>
// INT8: %[[Q:.*]] = qc.fake_quant %arg0, %[[S]] as !qc.qtensor<4x64, #qc.int<8>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>>
// INT8: nn.matmul %[[Q]], %{{.*}}
// MX-LABEL: func.func @dynamic
// MX: qc.compute_scales %arg0 for !qc.qtensor<4x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : tensor<4x64xf32> -> tensor<4x2xi8>
// NV-LABEL: func.func @dynamic
// NV: %[[S:.*]], %[[G:.*]] = qc.compute_scales %arg0 {{.*}}block = 16, scale = #qc.float<fp8e4m3fn>, dynamic>> : tensor<4x64xf32> -> tensor<4x4xi8> global_scale tensor<f32>
// NV: qc.fake_quant %arg0, %[[S]] global_scale %[[G]]
// U8-LABEL: func.func @dynamic
// U8: %[[S:.*]], %[[Z:.*]] = qc.compute_scales %arg0 {{.*}} -> tensor<4x1xf32> zero_points tensor<4x1xi32>
// U8: qc.fake_quant %arg0, %[[S]] zero_points %[[Z]]
// CLIP-LABEL: func.func @dynamic
// CLIP: qc.compute_scales %arg0 for !qc.qtensor<4x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>> clip 9.000000e-01 : tensor<4x64xf32> -> tensor<4x1xf32>
func.func @dynamic(%x: tensor<4x64xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<1.0> : tensor<64x2xf32>
  %y = nn.matmul %x, %w : tensor<4x64xf32>, tensor<64x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Layers marked to keep float inputs (from a calibration table), batched
// matmuls of two activations and inputs already quantized are left alone.
// INT8-LABEL: func.func @skipped
// INT8-NOT: qc.compute_scales
// INT8: return
func.func @skipped(%x: tensor<4x64xf32>, %y: tensor<64x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<64x2xf32>
  %a = nn.matmul %x, %w {qc.activations = "float"} : tensor<4x64xf32>, tensor<64x2xf32>
  %b = nn.matmul %x, %y : tensor<4x64xf32>, tensor<64x2xf32>
  return %a, %b : tensor<4x2xf32>, tensor<4x2xf32>
}


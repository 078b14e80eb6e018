// RUN: quant-opt %s --qc-quantize-activations | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s --qc-quantize-activations="format=mxfp8" | FileCheck %s --check-prefix=MX
// RUN: quant-opt %s --qc-quantize-activations="static=true scale=percentile" | FileCheck %s --check-prefix=STATIC

// Convolution inputs (channels on axis 1): one dynamic scale per tensor for
// integers, E8M0 blocks of 32 channels for MX, a calibrated per-tensor
// scale with static=true (percentile 12.7 -> 0.1).
// INT8: %[[S:.*]] = qc.compute_scales %arg0 for !qc.qtensor<1x32x4x4, #qc.int<8>, #qc.scheme<per_tensor, dynamic>> : tensor<1x32x4x4xf32> -> tensor<f32>
// INT8: %[[Q:.*]] = qc.fake_quant %arg0, %[[S]]
// INT8: nn.conv %[[Q]], %{{.*}}
// MX: qc.compute_scales %arg0 for !qc.qtensor<1x32x4x4, #qc.float<fp8e4m3fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : tensor<1x32x4x4xf32> -> tensor<1x1x4x4xi8>
// STATIC: %[[S:.*]] = arith.constant dense<1.000000e-01> : tensor<f32>
// STATIC: qc.fake_quant %arg0, %[[S]] as !qc.qtensor<1x32x4x4, #qc.int<8>>
func.func @conv(%x: tensor<1x32x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<2x32x1x1xf32>
  %y = nn.conv %x, %w {qc.calibration = {absmax = 25.4 : f32, percentile_value = 12.7 : f32}} : tensor<1x32x4x4xf32>, tensor<2x32x1x1xf32>
  return %y : tensor<1x2x4x4xf32>
}

// RUN: quant-opt %s --qc-quantize-activations="static=true" | FileCheck %s --check-prefix=ABSMAX
// RUN: quant-opt %s --qc-quantize-activations="static=true scale=percentile" | FileCheck %s --check-prefix=PCT
// RUN: quant-opt %s --qc-quantize-activations="static=true scale=mse" | FileCheck %s --check-prefix=MSE
// RUN: quant-opt %s --qc-quantize-activations="static=true format=uint8" | FileCheck %s --check-prefix=U8
// RUN: quant-opt %s --qc-quantize-activations="static=true format=fp8e4m3" | FileCheck %s --check-prefix=FP8

// Static per-tensor scales from the calibrated statistics: c / 127 for c =
// absmax 127, percentile value 63.5 and MSE clip 31.75; uint8 uses the
// range [-1, 3]: scale 4 / 255, zero point round(1 / (4 / 255)) = 64; FP8
// E4M3 divides by 448.
// ABSMAX: %[[S:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// ABSMAX: qc.fake_quant %arg0, %[[S]] as !qc.qtensor<4x64, #qc.int<8>> : (tensor<4x64xf32>, tensor<f32>) -> tensor<4x64xf32>
// PCT: arith.constant dense<5.000000e-01> : tensor<f32>
// MSE: arith.constant dense<2.500000e-01> : tensor<f32>
// U8: %[[S:.*]] = arith.constant dense<0.0156862754> : tensor<f32>
// U8: %[[Z:.*]] = arith.constant dense<64> : tensor<i32>
// U8: qc.fake_quant %arg0, %[[S]] zero_points %[[Z]] as !qc.qtensor<4x64, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
// FP8: arith.constant dense<0.283482134> : tensor<f32>
func.func @static(%x: tensor<4x64xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<1.0> : tensor<64x2xf32>
  %y = nn.matmul %x, %w {qc.calibration = {absmax = 127.0 : f32, min = -1.0 : f32, max = 3.0 : f32, percentile_value = 63.5 : f32, mse_clip = 31.75 : f32}} : tensor<4x64xf32>, tensor<64x2xf32>
  return %y : tensor<4x2xf32>
}

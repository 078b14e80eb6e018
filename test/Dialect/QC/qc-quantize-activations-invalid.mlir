// RUN: not quant-opt %s --qc-quantize-activations="static=true" 2>&1 | FileCheck %s --check-prefix=NOCAL
// RUN: not quant-opt %s --qc-quantize-activations="format=int3" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --qc-quantize-activations="static=true format=mxfp4" 2>&1 | FileCheck %s --check-prefix=MXSTATIC
// RUN: not quant-opt %s --qc-quantize-activations="static=true scale=minmax" 2>&1 | FileCheck %s --check-prefix=RULE
// RUN: not quant-opt %s --qc-quantize-activations="format=mxfp4" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not quant-opt %s --qc-quantize-activations="clip=1.2" 2>&1 | FileCheck %s --check-prefix=CLIP
// RUN: not quant-opt %s --qc-quantize-activations="static=true clip=0.9" 2>&1 | FileCheck %s --check-prefix=STATICCLIP

// NOCAL: error: loc("up_proj"): qc-quantize-activations: layer 'up_proj' has no calibration data; run --qc-calibrate first or use dynamic activation scales
// FORMAT: error: qc-quantize-activations: unknown format 'int3' (expected one of int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8, nvfp4)
// MXSTATIC: error: qc-quantize-activations: 'mxfp4' has per-block scales, which are computed at run time; static=true needs an integer or FP8 format
// RULE: error: qc-quantize-activations: unknown scale rule 'minmax' (expected absmax, percentile or mse)
// BLOCK: error: {{.*}}qc-quantize-activations: block size 32 does not divide the 48 input channels of layer 'up_proj'
// CLIP: error: qc-quantize-activations: clip must be in (0, 1], got 1.2
// STATICCLIP: error: qc-quantize-activations: clip applies to dynamic scales; static scales clip with scale=percentile|mse
func.func @mm(%x: tensor<1x48xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<48x2xf32>
  %y = nn.matmul %x, %w : tensor<1x48xf32>, tensor<48x2xf32> loc("up_proj")
  return %y : tensor<1x2xf32>
}

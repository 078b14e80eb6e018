// RUN: not quant-opt %s --qc-quantize-weights="format=mxfp4" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not quant-opt %s --qc-quantize-weights="format=int3" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --qc-quantize-weights="format=fp8e4m3 asymmetric=true" 2>&1 | FileCheck %s --check-prefix=ASYM
// RUN: not quant-opt %s --qc-quantize-weights="group=-4" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not quant-opt %s --qc-quantize-weights="scale=percentile" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not quant-opt %s --qc-quantize-weights="accumulator-bits=1" 2>&1 | FileCheck %s --check-prefix=ACCBITS
// RUN: not quant-opt %s --qc-quantize-weights="accumulator-bits=16 accumulator-input=fp8e4m3fn" 2>&1 | FileCheck %s --check-prefix=ACCIN
// RUN: not quant-opt %s --qc-quantize-weights="format=fp8e4m3 accumulator-bits=16" 2>&1 | FileCheck %s --check-prefix=ACCFMT
// RUN: not quant-opt %s --qc-quantize-weights="format=int4 group=16 accumulator-bits=16" 2>&1 | FileCheck %s --check-prefix=ACCGROUP
// RUN: not quant-opt %s --qc-quantize-weights="asymmetric=true accumulator-bits=16" 2>&1 | FileCheck %s --check-prefix=ACCASYM

// BLOCK: qc-quantize-weights-invalid.mlir:[[@LINE+12]]:8: error: qc-quantize-weights: block size 32 does not divide the reduction dimension 48 of this layer's weight 'tensor<48x2xf32>'
// FORMAT: error: qc-quantize-weights: unknown format 'int3' (expected one of int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8, nvfp4)
// GROUP: error: qc-quantize-weights: group must be >= 0, got -4
// SCALE: error: qc-quantize-weights: unknown scale rule 'percentile' (expected absmax or mse)
// ASYM: error: qc-quantize-weights: asymmetric scales need an integer format, got 'fp8e4m3'
// ACCBITS: error: qc-quantize-weights: accumulator-bits must be 0 (none) or in [2, 64], got 1
// ACCIN: error: qc-quantize-weights: accumulator-input must name an integer format (e.g. int8, uint8, int4), got 'fp8e4m3fn'
// ACCFMT: qc-quantize-weights-invalid.mlir:[[@LINE+5]]:8: error: qc-quantize-weights: accumulator-bits needs symmetric integer weights with one scale per output channel, got '!qc.qtensor<48x2, #qc.float<fp8e4m3fn, saturate>, #qc.scheme<per_axis, axis = 1>>'
// ACCGROUP: error: qc-quantize-weights: accumulator-bits needs symmetric integer weights with one scale per output channel, got '!qc.qtensor<48x2, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 16>>'
// ACCASYM: error: qc-quantize-weights: accumulator-bits needs symmetric integer weights with one scale per output channel, got '!qc.qtensor<48x2, #qc.int<8>, #qc.scheme<per_axis, axis = 1, asymmetric>>'
func.func @mm(%x: tensor<1x48xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<48x2xf32>
  %y = nn.matmul %x, %w : tensor<1x48xf32>, tensor<48x2xf32>
  return %y : tensor<1x2xf32>
}

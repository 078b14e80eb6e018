// RUN: not quant-opt %s --qc-gptq="format=int3" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --qc-gptq="block=0" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not quant-opt %s --qc-gptq="damp=0" 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not quant-opt %s --qc-gptq="format=mxfp4" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not quant-opt %s --qc-gptq="scale=minmax" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not quant-opt %s --qc-gptq="accumulator-bits=65" 2>&1 | FileCheck %s --check-prefix=ACCBITS
// RUN: not quant-opt %s --qc-gptq="accumulator-bits=16 accumulator-input=int9x" 2>&1 | FileCheck %s --check-prefix=ACCIN
// RUN: not quant-opt %s --qc-gptq="format=int4 group=16 accumulator-bits=16" 2>&1 | FileCheck %s --check-prefix=ACCGROUP

// FORMAT: error: qc-gptq: unknown format 'int3' (expected one of int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8, nvfp4)
// BLOCK: error: qc-gptq: group must be >= 0 and block > 0, got group 0 and block 0
// DAMP: error: qc-gptq: damp must be > 0, got 0
// SCALE: error: qc-gptq: unknown scale rule 'minmax' (expected absmax or mse)
// ACCBITS: error: qc-gptq: accumulator-bits must be 0 (none) or in [2, 64], got 65
// ACCIN: error: qc-gptq: accumulator-input must name an integer format (e.g. int8, uint8, int4), got 'int9x'
// ACCGROUP: error: qc-gptq: accumulator-bits needs symmetric integer weights with one scale per output channel, got '!qc.qtensor<48x2, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 16>>'
// DIVIDE: error: qc-gptq: block size 32 does not divide the reduction dimension 48 of this layer's weight 'tensor<48x2xf32>'
func.func @mm(%x: tensor<1x48xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<48x2xf32>
  %y = nn.matmul %x, %w {qc.hessian = dense<1.0> : tensor<48x48xf32>} : tensor<1x48xf32>, tensor<48x2xf32>
  return %y : tensor<1x2xf32>
}

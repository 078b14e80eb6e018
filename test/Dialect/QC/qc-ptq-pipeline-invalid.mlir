// RUN: not quant-opt %s --qc-ptq-pipeline="w=int5" 2>&1 | FileCheck %s --check-prefix=WFMT
// RUN: not quant-opt %s --qc-ptq-pipeline="a=bf16" 2>&1 | FileCheck %s --check-prefix=AFMT
// RUN: not quant-opt %s --qc-ptq-pipeline="rotate=random" 2>&1 | FileCheck %s --check-prefix=ROT
// RUN: not quant-opt %s --qc-ptq-pipeline="w-group=-1" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not quant-opt %s --qc-ptq-pipeline="rotate=hadamard block=24" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not quant-opt %s --qc-ptq-pipeline="rotate=hadamard block=10" 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not quant-opt %s --qc-ptq-pipeline="block=16" 2>&1 | FileCheck %s --check-prefix=NOROT
// RUN: not quant-opt %s --qc-ptq-pipeline="gptq=true" 2>&1 | FileCheck %s --check-prefix=GPTQ
// RUN: not quant-opt %s --qc-ptq-pipeline="a=int8 a-static=true" 2>&1 | FileCheck %s --check-prefix=STATIC
// RUN: not quant-opt %s --qc-ptq-pipeline="rotate=mixquant" 2>&1 | FileCheck %s --check-prefix=MIX
// RUN: not quant-opt %s --qc-ptq-pipeline="gptq=true calib=%t.nonexistent" 2>&1 | FileCheck %s --check-prefix=NODIR
// RUN: not quant-opt %s --qc-ptq-pipeline="w=float gptq=true calib=%S" 2>&1 | FileCheck %s --check-prefix=WFLOAT
// RUN: not quant-opt %s --qc-ptq-pipeline="smoothquant=0.5" 2>&1 | FileCheck %s --check-prefix=SQ
// RUN: not quant-opt %s --qc-ptq-pipeline="first=int5" 2>&1 | FileCheck %s --check-prefix=FIRST
// RUN: not quant-opt %s --qc-ptq-pipeline="qk-rotate=true" 2>&1 | FileCheck %s --check-prefix=QK
// RUN: not quant-opt %s --qc-ptq-pipeline="table=%t.none.json" 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: not quant-opt %s --qc-ptq-pipeline="smoothquant=2" 2>&1 | FileCheck %s --check-prefix=SQRANGE
// RUN: not quant-opt %s --qc-ptq-pipeline="w-scale=percentile" 2>&1 | FileCheck %s --check-prefix=WSCALE
// RUN: not quant-opt %s --qc-ptq-pipeline="a=int4 a-clip=0" 2>&1 | FileCheck %s --check-prefix=ACLIP
// RUN: not quant-opt %s --qc-ptq-pipeline="a=int8 a-static=true a-clip=0.9 calib=%S" 2>&1 | FileCheck %s --check-prefix=ACLIPSTATIC

// WFMT: error: qc-ptq-pipeline: unknown format w=int5 (expected float, int8, int4, int2, uint8, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8, nvfp4)
// AFMT: error: qc-ptq-pipeline: unknown format a=bf16 (expected float,
// ROT: error: qc-ptq-pipeline: unknown rotate=random (expected none, hadamard, orthogonal, mixquant or an .npy file holding an orthogonal matrix)
// GROUP: error: qc-ptq-pipeline: w-group must be >= 0, got -1
// DIVIDE: error: qc-rotate-residual: block size 24 does not divide the residual stream width 64
// ORDER: error: qc-ptq-pipeline: block must be 0 (full Hadamard) or a Hadamard order K * 2^m, got 10
// NOROT: error: qc-ptq-pipeline: block=16 needs rotate=hadamard or rotate=mixquant
// GPTQ: error: qc-ptq-pipeline: missing calibration data: gptq=true needs calib=DIR (DIR/<sample>/<input>.npy)
// STATIC: error: qc-ptq-pipeline: missing calibration data: a-static=true needs calib=DIR (DIR/<sample>/<input>.npy)
// MIX: error: qc-ptq-pipeline: missing calibration data: rotate=mixquant needs calib=DIR for its permutations
// NODIR: error: qc-ptq-pipeline: calibration directory '{{.*}}nonexistent' does not exist
// WFLOAT: error: qc-ptq-pipeline: gptq=true needs a weight format (w=float)
// SQ: error: qc-ptq-pipeline: missing calibration data: smoothquant needs calib=DIR (DIR/<sample>/<input>.npy)
// FIRST: error: qc-ptq-pipeline: unknown format first=int5 (expected float,
// QK: error: qc-ptq-pipeline: qk-rotate=true needs a rotation (rotate=hadamard, orthogonal, mixquant or a file)
// TABLE: error: qc-ptq-pipeline: calibration table '{{.*}}none.json' does not exist
// SQRANGE: error: qc-ptq-pipeline: smoothquant must be 0 (off) or in (0, 1), got 2
// WSCALE: error: qc-ptq-pipeline: unknown w-scale=percentile (expected absmax or mse)
// ACLIP: error: qc-ptq-pipeline: a-clip must be in (0, 1], got 0
// ACLIPSTATIC: error: qc-ptq-pipeline: a-clip applies to dynamic activation scales; static scales clip with a-scale=percentile|mse
func.func @main(%ids: tensor<1x4xi64>) -> tensor<1x4x64xf32> {
  %table = arith.constant dense<1.0> : tensor<16x64xf32>
  %x = nn.gather %table, %ids {axis = 0 : i64} : tensor<16x64xf32>, tensor<1x4xi64>
  %ones = arith.constant dense<1.0> : tensor<64xf32>
  %n = nn.rms_norm %x, %ones : tensor<1x4x64xf32>, tensor<64xf32>
  %w = arith.constant dense<0.5> : tensor<64x64xf32>
  %y = nn.matmul %n, %w : tensor<1x4x64xf32>, tensor<64x64xf32>
  return %y : tensor<1x4x64xf32>
}

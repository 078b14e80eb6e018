// RUN: quant-opt %s --split-input-file --qc-quantize-weights | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s --split-input-file --qc-quantize-weights="format=uint8" | FileCheck %s --check-prefix=UINT8
// RUN: quant-opt %s --split-input-file --qc-quantize-weights="format=int4 group=2" | FileCheck %s --check-prefix=INT4
// RUN: quant-opt %s --split-input-file --qc-quantize-weights="format=nvfp4 group=2" | FileCheck %s --check-prefix=NVFP4

// Per-channel int8: column 0 has absmax 1 (scale 1/127), column 1 absmax 2
// (scale 2/127); 0.25 * 127 = 31.75 -> 32, -0.5 * 63.5 = -31.75 -> -32.
// INT8-LABEL: func.func @matmul
// INT8: %[[Q:.*]] = qc.constant dense<{{\[}}[127, -32], [32, 127]]> : tensor<2x2xi8> : !qc.qtensor<2x2, #qc.int<8>, #qc.scheme<per_axis, axis = 1>>
// INT8: %[[S:.*]] = arith.constant dense<[0.00787401571, 0.0157480314]> : tensor<2xf32>
// INT8: %[[W:.*]] = qc.dequantize %[[Q]], %[[S]]
// INT8: nn.matmul %{{.*}}, %[[W]]
// INT8-NOT: arith.constant dense<{{\[}}[1.0

// Asymmetric uint8: column 0 range [0, 1] -> scale 1/255, zero point 0;
// column 1 range [-0.5, 2] -> scale 2.5/255, zero point 51 (codes print as
// signless i8: 255 is -1).
// UINT8-LABEL: func.func @matmul
// UINT8: qc.constant dense<{{\[}}[-1, 0], [64, -1]]> : tensor<2x2xi8> : !qc.qtensor<2x2, #qc.int<8, unsigned>, #qc.scheme<per_axis, axis = 1, asymmetric>>
// UINT8: arith.constant dense<[0.00392156886, 0.00980392192]> : tensor<2xf32>
// UINT8: arith.constant dense<[0, 51]> : tensor<2xi32>
// UINT8: qc.dequantize %{{.*}}, %{{.*}} zero_points %{{.*}}

// Groups of 2 along K: scales absmax / 7.
// INT4-LABEL: func.func @matmul
// INT4: qc.constant dense<{{\[}}[7, -2], [2, 7]]> : tensor<2x2xi4> : !qc.qtensor<2x2, #qc.int<4>, #qc.scheme<per_block, axis = 0, block = 2>>
// INT4: arith.constant dense<{{\[}}[0.142857149, 0.285714298]]> : tensor<1x2xf32>
func.func @matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -0.5], [0.25, 2.0]]> : tensor<2x2xf32>
  %y = nn.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// transB: output channels on axis 0, blocks along axis 1.
// INT8-LABEL: func.func @gemm_transb
// INT8: !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
// INT4-LABEL: func.func @gemm_transb
// INT4: !qc.qtensor<2x4, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 2>>
func.func @gemm_transb(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0]]> : tensor<2x4xf32>
  %y = nn.gemm %x, %w {transB = true} : tensor<1x4xf32>, tensor<2x4xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Two-level NVFP4 scales: one global scale per tensor, amax / (6 * 448) = 2 / 2688; E4M3
// block scales 448 (code 126) and 112 (code 110); elements 1 -> 3.0 (5),
// -2 -> -6.0 (15, prints -1), 0.5 -> 6.0 (7), 0.25 -> 3.0 (5). An all-zero
// block gets scale code 0.
// NVFP4-LABEL: func.func @conv
// NVFP4: qc.constant dense<{{\[}}{{\[}}{{\[}}[5]], {{\[}}[-1]]], {{\[}}{{\[}}[7]], {{\[}}[5]]], {{\[}}{{\[}}[0]], {{\[}}[0]]]]> : tensor<3x2x1x1xi4> : !qc.qtensor<3x2x1x1, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 2, scale = #qc.float<fp8e4m3fn>>>
// NVFP4: arith.constant dense<{{\[}}{{\[}}{{\[}}[126]]], {{\[}}{{\[}}[110]]], {{\[}}{{\[}}[0]]]]> : tensor<3x1x1x1xi8>
// NVFP4: %[[G:.*]] = arith.constant dense<7.44047633E-4> : tensor<f32>
// NVFP4: qc.dequantize %{{.*}}, %{{.*}} global_scale %[[G]]
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-2.0]]], [[[0.5]], [[0.25]]], [[[0.0]], [[0.0]]]]> : tensor<3x2x1x1xf32>
  %y = nn.conv %x, %w : tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// Non-constant and batched weights are left alone.
// INT8-LABEL: func.func @not_constant
// INT8-NOT: qc.
func.func @not_constant(%x: tensor<3x2xf32>, %w: tensor<2x2xf32>, %b: tensor<2x2x2xf32>) -> (tensor<3x2xf32>, tensor<2x2x2xf32>) {
  %y = nn.matmul %x, %w : tensor<3x2xf32>, tensor<2x2xf32>
  %c = arith.constant dense<1.0> : tensor<2x2x2xf32>
  %z = nn.matmul %b, %c : tensor<2x2x2xf32>, tensor<2x2x2xf32>
  return %y, %z : tensor<3x2xf32>, tensor<2x2x2xf32>
}

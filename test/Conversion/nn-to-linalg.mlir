// RUN: quant-opt %s --qc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Broadcasting is in the indexing maps: the [8] operand reads d1.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK-NOT: nn.
func.func @add_broadcast(%a: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = nn.add %a, %b : tensor<2x8xf32>, tensor<8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Batch dimensions broadcast: the 2-D weight is read without them. Loops
// batch, m, k, n: each output sums over k in order, the inner loop runs
// along weight and output rows.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_weight
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_weight(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x4x16xf32> {
  %0 = nn.matmul %x, %w : tensor<2x4x8xf32>, tensor<8x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// -----

// Softmax: max, exp(x - max), sum, divide, over keepdims shapes.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = nn.softmax %x : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Gathers index with linalg.index; negative indices wrap.
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: tensor.extract %arg1
// CHECK: arith.index_cast
// CHECK: arith.select
// CHECK: tensor.extract %arg0
func.func @gather(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = nn.gather %t, %i : tensor<10x4xf32>, tensor<3xi64>
  return %0 : tensor<3x4xf32>
}

// -----

// Grouped convolution: the input channel is (m floordiv (M/G)) * (C/G) + c;
// loops n, m, c, kh, kw, oh, ow.
// CHECK: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) * 2 + d2, d5 + d3, d6 + d4)>
// CHECK-LABEL: func.func @conv_groups
// CHECK: tensor.pad
func.func @conv_groups(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x5x5xf32> {
  %0 = nn.conv %x, %w {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// RUN: quant-opt %s --qc-convert-qc-to-linalg --qc-convert-nn-to-linalg --qc-fuse-elementwise | FileCheck %s

// Constant int4 codes stay codes (in i8 containers, raw bits: -2 is 14):
// their dequantization is fused into the
// matmul's loop (no f32 weight tensor), and the activation's elementwise
// producer (a ReLU) is not fused into the contraction.
// CHECK-LABEL: func.func @weight_only
// CHECK-NOT: dense<{{.*}}> : tensor<4x8xf32>
// CHECK: %[[CODES:.*]] = arith.constant dense<{{\[}}[1, 14, 3, 12, 5, 10, 7, 8], {{.*}}> : tensor<4x8xi8>
// CHECK: %[[R:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins(%[[R]], %[[CODES]], %{{.*}} : tensor<2x4xf32>, tensor<4x8xi8>, tensor<8xf32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @weight_only(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %q = qc.constant dense<[[1, -2, 3, -4, 5, -6, 7, -8], [0, 1, 2, 3, 4, 5, 6, 7], [-1, -1, -1, -1, 1, 1, 1, 1], [7, 7, -8, -8, 0, 0, 1, 1]]> : tensor<4x8xi4> : !qc.qtensor<4x8, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>
  %s = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %w = qc.dequantize %q, %s : (!qc.qtensor<4x8, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>, tensor<8xf32>) -> tensor<4x8xf32>
  %r = nn.relu %x : tensor<2x4xf32>
  %y = nn.matmul %r, %w : tensor<2x4xf32>, tensor<4x8xf32>
  return %y : tensor<2x8xf32>
}

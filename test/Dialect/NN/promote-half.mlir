// RUN: quant-opt %s --qc-nn-promote-half --split-input-file | FileCheck %s
// RUN: quant-opt %s --qc-nn-promote-half=widen=true --split-input-file | FileCheck %s --check-prefix=WIDEN

// A float16 matmul by a constant: the weight becomes an f32 constant at
// compile time, the activation is widened, the result rounded back once.
// Data movement stays in float16; the next op widens its input again.
// CHECK-LABEL: func.func @matmul_transpose_exp
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf16>)
// CHECK-DAG: %[[X32:.*]] = nn.cast %[[X]] to f32 : tensor<4x64xf16>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<1.500000e+00> : tensor<64x32xf32>
// CHECK: %[[Y32:.*]] = nn.matmul %[[X32]], %[[W]] : tensor<4x64xf32>, tensor<64x32xf32>
// CHECK: %[[Y:.*]] = nn.cast %[[Y32]] to f16 : tensor<4x32xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[Y]] {{.*}} : tensor<4x32xf16>
// CHECK: %[[T32:.*]] = nn.cast %[[T]] to f32 : tensor<32x4xf16>
// CHECK: %[[E:.*]] = nn.exp %[[T32]] : tensor<32x4xf32>
// CHECK: %[[R:.*]] = nn.cast %[[E]] to f16 : tensor<32x4xf32>
// CHECK: return %[[R]]
// The whole graph in f32 (the PTQ pipeline's first step): the transpose is
// widened and the rounding between the ops dropped; the result keeps its
// type.
// WIDEN-LABEL: func.func @matmul_transpose_exp
// WIDEN: %[[Y32:.*]] = nn.matmul {{.*}} : tensor<4x64xf32>, tensor<64x32xf32>
// WIDEN-NEXT: %[[T:.*]] = nn.transpose %[[Y32]] {{.*}} : tensor<4x32xf32>
// WIDEN-NEXT: %[[E:.*]] = nn.exp %[[T]] : tensor<32x4xf32>
// WIDEN-NEXT: %[[R:.*]] = nn.cast %[[E]] to f16 : tensor<32x4xf32>
// WIDEN-NEXT: return %[[R]] : tensor<32x4xf16>
func.func @matmul_transpose_exp(%x: tensor<4x64xf16>) -> tensor<32x4xf16> {
  %w = arith.constant dense<1.5> : tensor<64x32xf16>
  %y = nn.matmul %x, %w : tensor<4x64xf16>, tensor<64x32xf16>
  %t = nn.transpose %y {perm = array<i64: 1, 0>} : tensor<4x32xf16>
  %e = nn.exp %t : tensor<32x4xf16>
  return %e : tensor<32x4xf16>
}

// -----

// bfloat16; a comparison keeps its i1 result; the model's own cast between
// the narrow types is kept in both modes (it rounds bf16 values to f16).
// CHECK-LABEL: func.func @bf16_and_compare
// CHECK-SAME: (%[[A:.*]]: tensor<8xbf16>, %[[H:.*]]: tensor<8xf16>)
// CHECK-DAG: %[[A32:.*]] = nn.cast %[[A]] to f32 : tensor<8xbf16>
// CHECK-DAG: %[[H32:.*]] = nn.cast %[[H]] to f32 : tensor<8xf16>
// CHECK-DAG: %[[AH:.*]] = nn.cast %[[A]] to f16 : tensor<8xbf16>
// CHECK-DAG: %[[AH32:.*]] = nn.cast %[[AH]] to f32 : tensor<8xf16>
// CHECK-DAG: %[[S:.*]] = nn.add %[[A32]], %[[A32]] : tensor<8xf32>, tensor<8xf32>
// CHECK-DAG: %[[S16:.*]] = nn.cast %[[S]] to bf16 : tensor<8xf32>
// CHECK-DAG: %[[L:.*]] = nn.less %[[AH32]], %[[H32]] : tensor<8xf32>, tensor<8xf32>
// CHECK: return %[[S16]], %[[L]] : tensor<8xbf16>, tensor<8xi1>
// WIDEN-LABEL: func.func @bf16_and_compare
// WIDEN: nn.cast %{{.*}} to f16 : tensor<8xbf16>
// WIDEN: nn.less {{.*}} : tensor<8xf32>, tensor<8xf32>
func.func @bf16_and_compare(%a: tensor<8xbf16>, %h: tensor<8xf16>) -> (tensor<8xbf16>, tensor<8xi1>) {
  %s = nn.add %a, %a : tensor<8xbf16>, tensor<8xbf16>
  %ah = nn.cast %a to f16 : tensor<8xbf16>
  %l = nn.less %ah, %h : tensor<8xf16>, tensor<8xf16>
  return %s, %l : tensor<8xbf16>, tensor<8xi1>
}

// -----

// f32 and integer ops are left alone; a float16 reduction reads a shared
// widened input once.
// CHECK-LABEL: func.func @untouched_and_shared
// CHECK: %[[H:.*]] = nn.cast %{{.*}} to f32 : tensor<2x8xf16>
// CHECK-NEXT: nn.add %{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>
// CHECK-NEXT: nn.mul %{{.*}}, %{{.*}} : tensor<8xi32>, tensor<8xi32>
// CHECK-NEXT: %[[S:.*]] = nn.reduce_sum %[[H]] {{.*}} : tensor<2x8xf32>
// CHECK-NEXT: nn.cast %[[S]] to f16 : tensor<2x1xf32>
// CHECK-NEXT: %[[M:.*]] = nn.reduce_mean %[[H]] {{.*}} : tensor<2x8xf32>
// CHECK-NEXT: nn.cast %[[M]] to f16 : tensor<2x1xf32>
func.func @untouched_and_shared(%f: tensor<8xf32>, %i: tensor<8xi32>, %h: tensor<2x8xf16>)
    -> (tensor<8xf32>, tensor<8xi32>, tensor<2x1xf16>, tensor<2x1xf16>) {
  %a = nn.add %f, %f : tensor<8xf32>, tensor<8xf32>
  %m = nn.mul %i, %i : tensor<8xi32>, tensor<8xi32>
  %s = nn.reduce_sum %h {axes = array<i64: 1>, keepdims = true} : tensor<2x8xf16>
  %r = nn.reduce_mean %h {axes = array<i64: 1>, keepdims = true} : tensor<2x8xf16>
  return %a, %m, %s, %r : tensor<8xf32>, tensor<8xi32>, tensor<2x1xf16>, tensor<2x1xf16>
}

// -----

// A float16 resource blob (ONNX external data) becomes an f32 blob:
// [1.0, -2.0] as 0x3C00, 0xC000 and as 0x3F800000, 0xC0000000.
// CHECK-LABEL: func.func @blob
// CHECK: arith.constant dense_resource<wh_f32> : tensor<2xf32>
// CHECK: wh_f32: "0x040000000000803F000000C0"
func.func @blob(%x: tensor<2xf16>) -> tensor<2xf16> {
  %w = arith.constant dense_resource<wh> : tensor<2xf16>
  %y = nn.mul %x, %w : tensor<2xf16>, tensor<2xf16>
  return %y : tensor<2xf16>
}

{-#
  dialect_resources: {
    builtin: {
      wh: "0x02000000003C00C0"
    }
  }
#-}

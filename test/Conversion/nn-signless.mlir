// RUN: quant-opt %s --qc-nn-signless --split-input-file | FileCheck %s

// Signatures, constants and results become signless; the ops whose meaning
// depends on the sign record which operands / results were unsigned, the
// others (wrapping add, equality, data movement) are only retyped.
// CHECK-LABEL: func.func @retype
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[B:.*]]: tensor<4xi8>, %[[X:.*]]: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi1>, tensor<4xf32>, tensor<4xi16>, tensor<2x2xi8>)
// CHECK: %[[C:.*]] = arith.constant dense<[1, 2, -56, -1]> : tensor<4xi8>
// CHECK: nn.div %[[A]], %[[C]] {qc.unsigned_operands = array<i1: true, true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>, tensor<4xi8>
// CHECK: nn.less %[[A]], %[[B]] {qc.unsigned_operands = array<i1: true, true>} : tensor<4xi8>, tensor<4xi8>
// CHECK: nn.cast %[[A]] to f32 {qc.unsigned_operands = array<i1: true>} : tensor<4xi8>
// CHECK: nn.cast %[[X]] to i16 {qc.unsigned_results = array<i1: true>} : tensor<4xf32>
// CHECK: %[[S:.*]] = nn.add %[[A]], %[[B]] : tensor<4xi8>, tensor<4xi8>
// CHECK-NOT: qc.unsigned
// CHECK: nn.reshape %[[S]]
// CHECK-NOT: qc.unsigned
// CHECK: return
func.func @retype(%a: tensor<4xui8>, %b: tensor<4xui8>, %x: tensor<4xf32>) -> (tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xui16>, tensor<2x2xui8>) {
  %c = arith.constant dense<[1, 2, 200, 255]> : tensor<4xui8>
  %0 = nn.div %a, %c : tensor<4xui8>, tensor<4xui8>
  %1 = nn.less %a, %b : tensor<4xui8>, tensor<4xui8>
  %2 = nn.cast %a to f32 : tensor<4xui8>
  %3 = nn.cast %x to ui16 : tensor<4xf32>
  %4 = nn.add %a, %b : tensor<4xui8>, tensor<4xui8>
  %5 = nn.reshape %4 {shape = array<i64: 2, 2>} : tensor<4xui8>
  return %0, %1, %2, %3, %5 : tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xui16>, tensor<2x2xui8>
}

// -----

// Nothing unsigned: unchanged.
// CHECK-LABEL: func.func @signed
// CHECK: nn.div %{{.*}}, %{{.*}} : tensor<4xi8>, tensor<4xi8>
// CHECK-NOT: qc.unsigned
func.func @signed(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %0 = nn.div %a, %b : tensor<4xi8>, tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// nn.max / nn.min depend on the sign: marked.
// CHECK-LABEL: func.func @max_min
// CHECK: nn.max %{{.*}}, %{{.*}} {qc.unsigned_operands = array<i1: true, true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>, tensor<4xi8>
// CHECK: nn.min %{{.*}}, %{{.*}} {qc.unsigned_operands = array<i1: true, true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>, tensor<4xi8>
func.func @max_min(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xui8>) {
  %0 = nn.max %a, %b : tensor<4xui8>, tensor<4xui8>
  %1 = nn.min %a, %b : tensor<4xui8>, tensor<4xui8>
  return %0, %1 : tensor<4xui8>, tensor<4xui8>
}

// -----

// A resource blob (e.g. ONNX external data) keeps its bytes.
// CHECK-LABEL: func.func @blob
// CHECK: arith.constant dense_resource<ub> : tensor<4xi8>
// CHECK: nn.greater %{{.*}}, %{{.*}} {qc.unsigned_operands = array<i1: true, true>}
func.func @blob(%a: tensor<4xui8>) -> tensor<4xi1> {
  %c = arith.constant dense_resource<ub> : tensor<4xui8>
  %0 = nn.greater %a, %c : tensor<4xui8>, tensor<4xui8>
  return %0 : tensor<4xi1>
}

{-#
  dialect_resources: {
    builtin: {
      ub: "0x01000000C8FF0780"
    }
  }
#-}

// -----

// nn.matmul_integer widens each operand by its recorded signedness.
// CHECK-LABEL: func.func @matmul_integer
// CHECK: nn.matmul_integer {{.*}} {qc.unsigned_operands = array<i1: true, false, true>} : (tensor<4x8xi8>, tensor<8x3xi8>, tensor<i8>) -> tensor<4x3xi32>
func.func @matmul_integer(%a: tensor<4x8xui8>, %b: tensor<8x3xi8>, %za: tensor<ui8>) -> tensor<4x3xi32> {
  %y = nn.matmul_integer %a, %b a_zero_point %za : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}

// RUN: quant-opt %s --qc-flatten-constant-globals | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu | FileCheck %s --check-prefix=LLVM

// Constant globals of rank > 1 become flat (--qc-lower-to-cpu does it too:
// the LLVM lines), and each use reshapes the flat global back, so the LLVM
// global is one array rather than nested arrays.
// CHECK: memref.global "private" constant @w : memref<6xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]> {alignment = 64 : i64}
// CHECK: memref.global "private" constant @splat : memref<24xi8> = dense<7>
// Rank 1, mutable and uninitialized globals are left alone.
// CHECK: memref.global "private" constant @v : memref<3xf32>
// CHECK: memref.global "private" @m : memref<2x2xf32>
// CHECK: memref.global "private" constant @ext : memref<2x2xf32>
// LLVM: llvm.mlir.global private constant @w(dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]> : tensor<6xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<6 x f32>
// LLVM: llvm.mlir.global private constant @splat(dense<7> : tensor<24xi8>) {addr_space = 0 : i32} : !llvm.array<24 x i8>
memref.global "private" constant @w : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> {alignment = 64 : i64}
memref.global "private" constant @splat : memref<2x3x4xi8> = dense<7>
memref.global "private" constant @v : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
memref.global "private" @m : memref<2x2xf32> = dense<0.0>
memref.global "private" constant @ext : memref<2x2xf32>

// CHECK-LABEL: func.func @read
// CHECK: %[[FLAT:.*]] = memref.get_global @w : memref<6xf32>
// CHECK: %[[W:.*]] = memref.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
// CHECK: memref.load %[[W]]
// CHECK: memref.get_global @splat : memref<24xi8>
// CHECK: memref.expand_shape {{.*}} {{\[\[}}0, 1, 2]] output_shape [2, 3, 4] : memref<24xi8> into memref<2x3x4xi8>
// CHECK: memref.get_global @m : memref<2x2xf32>
func.func @read(%i: index, %j: index) -> (f32, i8, f32) {
  %w = memref.get_global @w : memref<2x3xf32>
  %a = memref.load %w[%i, %j] : memref<2x3xf32>
  %s = memref.get_global @splat : memref<2x3x4xi8>
  %b = memref.load %s[%i, %j, %j] : memref<2x3x4xi8>
  %m = memref.get_global @m : memref<2x2xf32>
  %c = memref.load %m[%i, %j] : memref<2x2xf32>
  return %a, %b, %c : f32, i8, f32
}

// RUN: quant-opt %s --qc-lower-to-cpu | FileCheck %s
// RUN: quant-opt %s --qc-lower-to-cpu | quant-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

// The whole pipeline ends in the LLVM dialect; results become
// out-parameters and the C entry point takes memref descriptors.
// CHECK-NOT: linalg.
// CHECK-NOT: nn.
// CHECK-NOT: qc.
// CHECK-LABEL: llvm.func @main(
// CHECK-LABEL: llvm.func @_mlir_ciface_main(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes {llvm.emit_c_interface}
// LLVMIR: define void @_mlir_ciface_main(ptr %0, ptr %1)
func.func @main(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %s = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %q = qc.fake_quant %x, %s as !qc.qtensor<2x8, #qc.int<4>, #qc.scheme<per_axis, axis = 0>> : (tensor<2x8xf32>, tensor<2xf32>) -> tensor<2x8xf32>
  %y = nn.gelu %q : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// RUN: quant-opt %s --qc-lower-to-cpu | FileCheck %s --check-prefix=LIBM
// RUN: quant-opt %s --qc-lower-to-cpu="vector-math=true" | FileCheck %s

// By default the transcendental functions stay libm calls (and LLVM
// intrinsics that become libm calls), which the loop vectorizer cannot
// widen.
// LIBM-DAG: llvm.intr.exp
// LIBM-DAG: llvm.call @tanhf
// LIBM-DAG: llvm.call @erff
// LIBM-DAG: llvm.intr.log

// With vector-math=true they are polynomial approximations: fma, floor and
// bit operations only, no calls (in main and the loop nests outlined from
// it).
// CHECK-LABEL: llvm.func @main(
// CHECK-NOT: llvm.call @{{[a-z]+f}}(
// CHECK-NOT: llvm.intr.exp
// CHECK-NOT: llvm.intr.log
// CHECK: llvm.intr.fma
// CHECK-NOT: llvm.call @{{[a-z]+f}}(
// CHECK-NOT: llvm.intr.exp
// CHECK-NOT: llvm.intr.log
func.func @main(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %0 = nn.exp %x : tensor<64xf32>
  %1 = nn.tanh %x : tensor<64xf32>
  %2 = nn.erf %x : tensor<64xf32>
  %3 = nn.log %x : tensor<64xf32>
  %4 = nn.sigmoid %x : tensor<64xf32>
  return %0, %1, %2, %3, %4 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// RUN: quant-opt %s --qc-minimize-accumulators=remarks=true --verify-diagnostics | FileCheck %s
// RUN: not quant-opt %s --qc-minimize-accumulators=min-bits=1 2>&1 | FileCheck %s --check-prefix=MINBITS
// RUN: not quant-opt %s --qc-minimize-accumulators=multiple-of=0 2>&1 | FileCheck %s --check-prefix=MULTIPLE

// MINBITS: qc-minimize-accumulators: min-bits must be in [2, 64] and multiple-of in [1, 64], got 1 and 1
// MULTIPLE: qc-minimize-accumulators: min-bits must be in [2, 64] and multiple-of in [1, 64], got 2 and 0

// The remark gives the exact width, the data-type bound 8 + 8 + 2 and the
// largest l1 norm (10); for weights known only at run time, no norm.

// CHECK-LABEL: func @remarks
// CHECK: qc.linear {{.*}} -> tensor<3x2xi12>
// CHECK: qc.linear {{.*}} -> tensor<1x2xi11>
func.func @remarks(%xq: !qc.qtensor<3x4, #qc.int<8>>, %x4: !qc.qtensor<1x8, #qc.int<4>>,
                   %w4: !qc.qtensor<2x8, #qc.int<4>>) -> (tensor<3x2xf32>, tensor<1x2xf32>) {
  %w = qc.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>
    : !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>
  // expected-remark @+1 {{qc-minimize-accumulators: 'qc.linear' needs 12 bits (data-type bound 18, accumulator 32); largest l1 norm of a channel's weight codes 10}}
  %acc = qc.linear %xq, %w : (!qc.qtensor<3x4, #qc.int<8>>,
    !qc.qtensor<2x4, #qc.int<8>, #qc.scheme<per_axis, axis = 0>>) -> tensor<3x2xi32>
  %f = nn.cast %acc to f32 : tensor<3x2xi32>
  // expected-remark @+1 {{qc-minimize-accumulators: 'qc.linear' needs 11 bits (data-type bound 11, accumulator 32)}}
  %acc2 = qc.linear %x4, %w4 : (!qc.qtensor<1x8, #qc.int<4>>, !qc.qtensor<2x8, #qc.int<4>>) -> tensor<1x2xi32>
  %f2 = nn.cast %acc2 to f32 : tensor<1x2xi32>
  return %f, %f2 : tensor<3x2xf32>, tensor<1x2xf32>
}

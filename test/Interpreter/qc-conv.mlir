// qc.conv on hand-computed examples, in the interpreter and compiled for the
// host CPU (the same bits): grouped with top / left padding, a bias and a
// 6-bit accumulator that wraps; uint8 codes with a zero point (padding adds
// 0, i.e. pads with the zero point), stride 2, padding on every side.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/g.npy', np.array([[[[1, 2], [3, 4]], [[5, 6], [7, -8]]]], np.float32)); np.save('%t/z.npy', np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3))"
// RUN: quant-run %s --entry grouped --input arg0=%t/g.npy --output-dir %t/gi
// RUN: quant-run %s --entry grouped --input arg0=%t/g.npy --output-dir %t/gc --target=cpu
// RUN: quant-run %s --entry zero_point --input arg0=%t/z.npy --output-dir %t/zi
// RUN: quant-run %s --entry zero_point --input arg0=%t/z.npy --output-dir %t/zc --target=cpu
// RUN: %python -c "import numpy as np; [print(np.load('%t/' + d + '/output0.npy').tolist()) for d in ('gi', 'gc', 'zi', 'zc')]" | FileCheck %s
//
// Channel 0: x [[1, 2], [3, 4]] padded above and left, w [[1, -1], [2, 3]],
// bias 10: 3, 8, 8, 17 -> 13, 18, 18, 27. Channel 1: x [[5, 6], [7, -8]],
// w [[-2, 1], [0, 7]], bias -3: 35, 42, 54, -60 -> 32, 39, 51, -63, which
// 6 bits wrap to -32, -25, -13, 1.
// CHECK: {{\[\[\[}}[13, 18], [18, 27]], {{\[\[}}-32, -25], [-13, 1]]]]
// CHECK-NEXT: {{\[\[\[}}[13, 18], [18, 27]], {{\[\[}}-32, -25], [-13, 1]]]]
// Codes x + 3 with zero point 3, so the sums are over x = [[0, 1, 2], [3,
// 4, 5], [6, 7, 8]], windows at rows / columns -1 and 1: 0, 1*3 + 2*4,
// 3*2 + 6*4, 4 + 2*5 + 3*7 + 4*8 (padding with code 0 instead of the zero
// point would give -18 at the first).
// CHECK-NEXT: {{\[\[\[}}[0, 11], [30, 67]]]]
// CHECK-NEXT: {{\[\[\[}}[0, 11], [30, 67]]]]

func.func @grouped(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xi6> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %xq = qc.quantize %x, %one : (tensor<1x2x2x2xf32>, tensor<f32>) -> !qc.qtensor<1x2x2x2, #qc.int<4>>
  %w = qc.constant dense<[[[[1, -1], [2, 3]]], [[[-2, 1], [0, 7]]]]> : tensor<2x1x2x2xi4> : !qc.qtensor<2x1x2x2, #qc.int<4>>
  %b = arith.constant dense<[10, -3]> : tensor<2xi6>
  %y = qc.conv %xq, %w bias %b {group = 2 : i64, pads = array<i64: 1, 1, 0, 0>}
    : (!qc.qtensor<1x2x2x2, #qc.int<4>>, !qc.qtensor<2x1x2x2, #qc.int<4>>, tensor<2xi6>) -> tensor<1x2x2x2xi6>
  return %y : tensor<1x2x2x2xi6>
}

func.func @zero_point(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xi32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %z = arith.constant dense<3> : tensor<i32>
  %xq = qc.quantize %x, %one zero_points %z : (tensor<1x1x3x3xf32>, tensor<f32>, tensor<i32>)
    -> !qc.qtensor<1x1x3x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  %w = qc.constant dense<[[[[1, 2], [3, 4]]]]> : tensor<1x1x2x2xi8> : !qc.qtensor<1x1x2x2, #qc.int<8>>
  %y = qc.conv %xq, %w input_zero_point %z {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
    : (!qc.qtensor<1x1x3x3, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>, !qc.qtensor<1x1x2x2, #qc.int<8>>, tensor<i32>) -> tensor<1x1x2x2xi32>
  return %y : tensor<1x1x2x2xi32>
}

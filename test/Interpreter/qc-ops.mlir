// The interpreter runs every qc op with the same numbers the folders
// produce: the same inputs as test/Dialect/QC/fold.mlir, as function
// arguments instead of constants.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.array([[1.0, -2.0], [0.0, 0.0]], np.float32)); np.save('%t/mx.npy', np.array([6.0, 1.0, 0.7, -0.1, np.nan, 1.0, 0.0, 0.0], np.float32)); np.save('%t/q.npy', np.array([1000, -3], np.int64)); np.save('%t/lx.npy', np.array([[7, 7]], np.int64)); np.save('%t/lw.npy', np.array([[7, 7]], np.int64))"
// RUN: quant-run %s --entry scales --input arg0=%t/x.npy --output-dir %t/s
// RUN: quant-run %s --entry mx --input arg0=%t/mx.npy --output-dir %t/m
// RUN: quant-run %s --entry requant --output-dir %t/r
// RUN: quant-run %s --entry linear --input arg0=%t/lx.npy --input arg1=%t/lw.npy --output-dir %t/l
// RUN: %python -c "import numpy as np; print(np.load('%t/s/output0.npy').tolist(), np.load('%t/m/output0.npy').tolist(), np.load('%t/r/output0.npy').tolist(), np.load('%t/l/output0.npy').tolist())" | FileCheck %s
// CHECK: [0.015748031437397003, 1.0] [127, 124, -1, 0] [100, 0] {{\[\[}}-30]]
// RUN: quant-run %s --entry rescale --output-dir %t/rs
// RUN: %python -c "import numpy as np; print(np.load('%t/rs/output0.npy').tolist())" | FileCheck %s --check-prefix=RESCALE
// x * 3 / 8 rounded half up, then + 10, saturated to uint8; the second
// column uses multiplier 1, shift 0 (x itself):
//   [5, -5, 4, -4, 1000, -1000] * 3 / 8 = [1.875, -1.875, 1.5, -1.5, 375, -375]
//   -> [2, -2, 2, -1, 375, -375] + 10 -> [12, 8, 12, 9, 255, 0];
//   [5, -5, 4, -4, 1000, -1000] + 10 -> [15, 5, 14, 6, 255, 0].
// RESCALE: {{\[\[}}12, 15], [8, 5], [12, 14], [9, 6], [255, 255], [0, 0]]

func.func @scales(%x: tensor<2x2xf32>) -> tensor<2xf32> {
  %s = qc.compute_scales %x for !qc.qtensor<2x2, #qc.int<8>, #qc.scheme<per_axis, axis = 0, dynamic>> : tensor<2x2xf32> -> tensor<2xf32>
  return %s : tensor<2xf32>
}

func.func @mx(%x: tensor<8xf32>) -> tensor<4xi8> {
  %s = qc.compute_scales %x for !qc.qtensor<8, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 2, scale = #qc.float<e8m0fnu>, dynamic>>
    : tensor<8xf32> -> tensor<4xi8>
  return %s : tensor<4xi8>
}

func.func @requant() -> !qc.qtensor<2, #qc.int<8>> {
  %a = arith.constant dense<0.01> : tensor<f32>
  %b = arith.constant dense<0.1> : tensor<f32>
  %codes = qc.constant dense<[1000, -3]> : tensor<2xi16> : !qc.qtensor<2, #qc.int<16>>
  %r = qc.requantize %codes, %a to %b : (!qc.qtensor<2, #qc.int<16>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<2, #qc.int<8>>
  return %r : !qc.qtensor<2, #qc.int<8>>
}

func.func @linear(%x: tensor<1x2xi64>, %w: tensor<1x2xi64>) -> tensor<1x1xi6> {
  %xs = arith.constant dense<1.0> : tensor<f32>
  %xf = nn.cast %x to f32 : tensor<1x2xi64>
  %wf = nn.cast %w to f32 : tensor<1x2xi64>
  %xq = qc.quantize %xf, %xs : (tensor<1x2xf32>, tensor<f32>) -> !qc.qtensor<1x2, #qc.int<8>>
  %wq = qc.quantize %wf, %xs : (tensor<1x2xf32>, tensor<f32>) -> !qc.qtensor<1x2, #qc.int<4>>
  %y = qc.linear %xq, %wq : (!qc.qtensor<1x2, #qc.int<8>>, !qc.qtensor<1x2, #qc.int<4>>) -> tensor<1x1xi6>
  return %y : tensor<1x1xi6>
}

func.func @rescale() -> !qc.qtensor<6x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> {
  %acc = arith.constant dense<[[5, 5], [-5, -5], [4, 4], [-4, -4], [1000, 1000], [-1000, -1000]]> : tensor<6x2xi32>
  %m = arith.constant dense<[3, 1]> : tensor<2xi32>
  %sh = arith.constant dense<[3, 0]> : tensor<2xi8>
  %z = arith.constant dense<10> : tensor<i32>
  %r = qc.rescale %acc, %m, %sh output_zero_point %z {axis = 1 : i64} : (tensor<6x2xi32>, tensor<2xi32>, tensor<2xi8>, tensor<i32>) -> !qc.qtensor<6x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
  return %r : !qc.qtensor<6x2, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>>
}

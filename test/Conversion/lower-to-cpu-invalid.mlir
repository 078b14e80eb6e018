// RUN: quant-opt %s --qc-lower-to-cpu --split-input-file --verify-diagnostics

func.func @unsigned_reduce(%x: tensor<4xui8>) -> tensor<1xui8> {
  // expected-error @+1 {{qc-nn-signless: nn.reduce_max on unsigned integer type 'tensor<4xui8>' has no CPU lowering (only signed and signless integers do)}}
  %0 = nn.reduce_max %x {axes = array<i64: 0>} : tensor<4xui8>
  return %0 : tensor<1xui8>
}

// -----

func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{qc-lower-to-cpu: nn.exp has a dynamic shape 'tensor<?x4xf32>'; the CPU lowering needs static shapes}}
  %0 = nn.exp %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @wide_minifloat(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{qc-lower-to-cpu: qc.fake_quant: format e8m23b127: only minifloats of at most 16 bits with a zero, a sign, subnormals and binades within float32's have a CPU lowering}}
  %0 = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.float<e8m23>> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @requantize(%q: !qc.qtensor<4, #qc.int<8>>, %s: tensor<f32>, %t: tensor<f32>) -> !qc.qtensor<4, #qc.int<8>> {
  // expected-error @+1 {{qc-lower-to-cpu: qc.requantize: only nearest-even rounding has a CPU lowering}}
  %0 = qc.requantize %q, %s to %t {rounding = #qc.rounding<toward_zero>} : (!qc.qtensor<4, #qc.int<8>>, tensor<f32>, tensor<f32>) -> !qc.qtensor<4, #qc.int<8>>
  return %0 : !qc.qtensor<4, #qc.int<8>>
}

// -----

func.func @linear_wide(%x: !qc.qtensor<2x4, #qc.int<24>>, %w: !qc.qtensor<3x4, #qc.int<8>>) -> tensor<2x3xi64> {
  // expected-error @+1 {{qc-lower-to-cpu: qc.linear: format int24: integer formats wider than 16 bits have no CPU lowering yet}}
  %0 = qc.linear %x, %w : (!qc.qtensor<2x4, #qc.int<24>>, !qc.qtensor<3x4, #qc.int<8>>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

func.func @conv_wide(%x: !qc.qtensor<1x2x4x4, #qc.int<8>>, %w: !qc.qtensor<3x2x1x1, #qc.int<20>>) -> tensor<1x3x4x4xi64> {
  // expected-error @+1 {{qc-lower-to-cpu: qc.conv: format int20: integer formats wider than 16 bits have no CPU lowering yet}}
  %0 = qc.conv %x, %w : (!qc.qtensor<1x2x4x4, #qc.int<8>>, !qc.qtensor<3x2x1x1, #qc.int<20>>) -> tensor<1x3x4x4xi64>
  return %0 : tensor<1x3x4x4xi64>
}

// -----

func.func @top_k_large(%x: tensor<2x300xf32>) -> tensor<2x257xi64> {
  // expected-error @+1 {{qc-lower-to-cpu: nn.top_k with k = 257 has no CPU lowering (k passes over the input; at most 256)}}
  %v, %i = nn.top_k %x {axis = 1 : i64, k = 257 : i64} : tensor<2x300xf32>
  return %i : tensor<2x257xi64>
}

// RUN: quant-opt %s --qc-nn-signless --split-input-file --verify-diagnostics

func.func @reduce(%x: tensor<4xui8>) -> tensor<1xui8> {
  // expected-error @+1 {{qc-nn-signless: nn.reduce_max on unsigned integer type 'tensor<4xui8>' has no CPU lowering (only signed and signless integers do)}}
  %0 = nn.reduce_max %x {axes = array<i64: 0>} : tensor<4xui8>
  return %0 : tensor<1xui8>
}

// -----

func.func @power(%x: tensor<4xui32>) -> tensor<4xui32> {
  // expected-error @+1 {{qc-nn-signless: nn.pow on unsigned integer type 'tensor<4xui32>' has no CPU lowering (only signed and signless integers do)}}
  %0 = nn.pow %x, %x : tensor<4xui32>, tensor<4xui32>
  return %0 : tensor<4xui32>
}

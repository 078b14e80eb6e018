// RUN: quant-opt %s --qc-convert-nn-to-linalg --split-input-file --verify-diagnostics

// Unsigned integers must be made signless (and the ops marked) first.
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  // expected-error @+1 {{qc-lower-to-cpu: nn.div on unsigned element type 'ui8' needs --qc-nn-signless first}}
  %0 = nn.div %a, %b : tensor<4xui8>, tensor<4xui8>
  return %0 : tensor<4xui8>
}

// RUN: quant-translate --emit-hls --split-input-file --verify-diagnostics %s

// Every op, type and format the emitter cannot write is an error naming it.

func.func @sin(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'nn.sin' op unable to emit HLS C++ for this op (docs/HLS.md lists the supported ops)}}
  %y = nn.sin %x : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @wide_minifloat(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  // expected-error @+1 {{'qc.fake_quant' op unable to emit HLS C++ for the #qc.float<bf16> format (minifloats of at most 8 bits with a sign, a zero and subnormals)}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.float<bf16>> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @no_subnormals(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  // expected-error @+1 {{'qc.fake_quant' op unable to emit HLS C++ for the #qc.float<e4m3, bias = 7, specials = fn, no_subnormals> format (minifloats of at most 8 bits with a sign, a zero and subnormals)}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.float<e4m3, bias = 7, specials = fn, no_subnormals>> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'func.func' op unable to emit HLS C++ for a port of the #qc.float<fp8e4m3fn> format (float32, integers and integer codes only)}}
func.func @minifloat_port(%x: tensor<4xf32>) -> !qc.qtensor<4, #qc.float<fp8e4m3fn>> {
  %s = arith.constant dense<1.0> : tensor<f32>
  %q = qc.quantize %x, %s : (tensor<4xf32>, tensor<f32>) -> !qc.qtensor<4, #qc.float<fp8e4m3fn>>
  return %q : !qc.qtensor<4, #qc.float<fp8e4m3fn>>
}

// -----

func.func @stochastic(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  // expected-error @+1 {{'qc.fake_quant' op unable to emit HLS C++ for rounding mode stochastic (nearest_even only)}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<4, #qc.int<8>> {rounding = #qc.rounding<stochastic>} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{'func.func' op unable to emit HLS C++ for dynamic shape 'tensor<?x4xf32>'}}
func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{'func.func' op unable to emit HLS C++ for element type 'f16'}}
func.func @half(%x: tensor<4xf16>) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}

// -----

func.func @wide_scales(%x: tensor<32xf32>, %s: tensor<1xi16>) -> tensor<32xf32> {
  // expected-error @+1 {{'qc.fake_quant' op unable to emit HLS C++ for scales stored as #qc.float<bf16> (f32 scales or scale formats of at most 8 bits)}}
  %y = qc.fake_quant %x, %s as !qc.qtensor<32, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 0, block = 32, scale = #qc.float<bf16>>> : (tensor<32xf32>, tensor<1xi16>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

func.func @int_division(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'nn.div' op unable to emit HLS C++ for an integer division}}
  %y = nn.div %a, %b : tensor<4xi32>, tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// expected-error @+1 {{--emit-hls: expected one function with a body, found @first and @second}}
module {
  func.func @first(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
  func.func @second(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

func.func @float_to_int64(%x: tensor<4xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{'nn.cast' op unable to emit HLS C++ for a cast from 'f32' to 'i64'}}
  %y = nn.cast %x to i64 : tensor<4xf32>
  return %y : tensor<4xi64>
}

// -----

func.func @vector_matmul(%a: tensor<4xf32>, %b: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'nn.matmul' op unable to emit HLS C++ for a matmul of 1-D operands}}
  %y = nn.matmul %a, %b : tensor<4xf32>, tensor<4x3xf32>
  return %y : tensor<3xf32>
}

// -----

// expected-error @+1 {{--emit-hls: no function with a body}}
module {
  func.func private @declared(tensor<4xf32>) -> tensor<4xf32>
}

// -----

func.func @two_level_without_encoder(%x: tensor<2x16xf32>) -> tensor<2x1xi8> {
  // expected-error @+1 {{'qc.compute_scales' op unable to emit HLS C++ for scales stored as #qc.float<e4m3, bias = 7, specials = fn, no_subnormals> (no nearest-even encoder)}}
  %s, %g = qc.compute_scales %x for !qc.qtensor<2x16, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<e4m3, bias = 7, specials = fn, no_subnormals>, dynamic>>
    : tensor<2x16xf32> -> tensor<2x1xi8> global_scale tensor<f32>
  return %s : tensor<2x1xi8>
}

// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every format, scheme, rounding and rotation attribute round-trips.

// CHECK-LABEL: func.func @formats()
// CHECK-SAME: f1 = #qc.float<fp8e4m3fn>
// CHECK-SAME: f10 = #qc.float<e3m4, bias = 3, specials = fn, no_subnormals, saturate>
// CHECK-SAME: f11 = #qc.float<e4m3, bias = 7, specials = ieee>
// CHECK-SAME: f12 = #qc.float<e4m0, bias = 7, specials = none, no_subnormals, unsigned, no_zero>
// CHECK-SAME: f13 = #qc.float<fp8e4m3fn>
// CHECK-SAME: f14 = #qc.float<fp8e4m3fnuz>
// CHECK-SAME: f15 = #qc.float<fp8e5m2fnuz, saturate>
// CHECK-SAME: f16 = #qc.float<fp8e4m3fnuz>
// CHECK-SAME: f17 = #qc.float<e3m2, bias = 4, specials = fnuz>
// CHECK-SAME: f2 = #qc.float<fp8e5m2>
// CHECK-SAME: f3 = #qc.float<fp6e2m3fn>
// CHECK-SAME: f4 = #qc.float<fp6e3m2fn>
// CHECK-SAME: f5 = #qc.float<fp4e2m1fn, saturate>
// CHECK-SAME: f6 = #qc.float<e8m0fnu>
// CHECK-SAME: f7 = #qc.float<fp16>
// CHECK-SAME: f8 = #qc.float<bf16>
// CHECK-SAME: f9 = #qc.float<e5m4, bias = 11, specials = none>
// CHECK-SAME: i1 = #qc.int<1, unsigned>
// CHECK-SAME: i32 = #qc.int<32>
// CHECK-SAME: i4 = #qc.int<4>
// CHECK-SAME: i8n = #qc.int<8, narrow>
// CHECK-SAME: u4n = #qc.int<4, unsigned, narrow>
// CHECK-SAME: x1 = #qc.fixed<8, 4>
// CHECK-SAME: x2 = #qc.fixed<16, 8, unsigned, wrap>
// CHECK-SAME: x3 = #qc.fixed<8, 6, narrow>
func.func @formats() attributes {
  i1 = #qc.int<1, unsigned>, i4 = #qc.int<4>, i8n = #qc.int<8, narrow>,
  u4n = #qc.int<4, unsigned, narrow>, i32 = #qc.int<32>,
  x1 = #qc.fixed<8, 4>, x2 = #qc.fixed<16, 8, unsigned, wrap>,
  x3 = #qc.fixed<8, 6, narrow>,
  f1 = #qc.float<fp8e4m3fn>, f2 = #qc.float<fp8e5m2>,
  f3 = #qc.float<fp6e2m3fn>, f4 = #qc.float<fp6e3m2fn>,
  f5 = #qc.float<fp4e2m1fn, saturate>, f6 = #qc.float<e8m0fnu>,
  f7 = #qc.float<fp16>, f8 = #qc.float<bf16>,
  f9 = #qc.float<e5m4, bias = 11, specials = none>,
  f10 = #qc.float<e3m4, bias = 3, specials = fn, no_subnormals, saturate>,
  f11 = #qc.float<e4m3, bias = 7>,
  f12 = #qc.float<e4m0, bias = 7, specials = none, no_subnormals, unsigned, no_zero>,
  // An explicit spelling of a preset prints as the preset.
  f13 = #qc.float<e4m3, bias = 7, specials = fn>,
  // FNUZ: the negative-zero code is the only NaN.
  f14 = #qc.float<fp8e4m3fnuz>, f15 = #qc.float<fp8e5m2fnuz, saturate>,
  f16 = #qc.float<e4m3, bias = 8, specials = fnuz>,
  f17 = #qc.float<e3m2, bias = 4, specials = fnuz>
} {
  return
}

// CHECK-LABEL: func.func @schemes()
// CHECK-SAME: r0 = #qc.rounding<nearest_even>
// CHECK-SAME: r1 = #qc.rounding<stochastic>
// CHECK-SAME: r2 = #qc.rounding<toward_zero>
// CHECK-SAME: s0 = #qc.scheme<per_tensor>
// CHECK-SAME: s1 = #qc.scheme<per_axis, axis = 0>
// CHECK-SAME: s2 = #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>
// CHECK-SAME: s3 = #qc.scheme<per_tensor, asymmetric>
// CHECK-SAME: s4 = #qc.scheme<per_block, axis = 1, block = 16, scale = #qc.float<fp8e4m3fn>>
func.func @schemes() attributes {
  s0 = #qc.scheme<per_tensor>, s1 = #qc.scheme<per_axis, axis = 0>,
  s2 = #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>,
  s3 = #qc.scheme<per_tensor, asymmetric>,
  s4 = #qc.scheme<per_block, block = 16, axis = 1, scale = #qc.float<fp8e4m3fn>>,
  r0 = #qc.rounding<nearest_even>, r1 = #qc.rounding<stochastic>,
  r2 = #qc.rounding<toward_zero>
} {
  return
}

// CHECK-LABEL: func.func @rotations()
// CHECK-SAME: b0 = #qc.block_hadamard<4096, block = 32>
// CHECK-SAME: b1 = #qc.block_hadamard<96, block = 12, seed = 2>
// CHECK-SAME: h0 = #qc.hadamard<4096>
// CHECK-SAME: h1 = #qc.hadamard<11008, seed = 7>
// CHECK-SAME: h2 = #qc.hadamard<14336>
// CHECK-SAME: h3 = #qc.hadamard<156>
// CHECK-SAME: o0 = #qc.orthogonal<dense<{{\[\[}}0.000000e+00, 1.000000e+00], [-1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>>
// CHECK-SAME: p0 = #qc.permutation<[2, 0, 1, 3]>
// CHECK-SAME: q0 = #qc.rotations<[#qc.permutation<[1, 0, 3, 2]>, #qc.block_hadamard<4, block = 2>]>
// CHECK-SAME: t0 = #qc.transpose<#qc.hadamard<64, seed = 3>>
func.func @rotations() attributes {
  h0 = #qc.hadamard<4096>, h1 = #qc.hadamard<11008, seed = 7>,
  h2 = #qc.hadamard<14336>, h3 = #qc.hadamard<156>,
  b0 = #qc.block_hadamard<4096, block = 32>,
  b1 = #qc.block_hadamard<96, block = 12, seed = 2>,
  p0 = #qc.permutation<[2, 0, 1, 3]>,
  o0 = #qc.orthogonal<dense<[[0.0, 1.0], [-1.0, 0.0]]> : tensor<2x2xf32>>,
  t0 = #qc.transpose<#qc.hadamard<64, seed = 3>>,
  q0 = #qc.rotations<[#qc.permutation<[1, 0, 3, 2]>, #qc.block_hadamard<4, block = 2>]>
} {
  return
}

// Hadamard orders K * 2^m for every base order K.
// CHECK-LABEL: func.func @hadamard_orders()
func.func @hadamard_orders() attributes {
  k1 = #qc.hadamard<1>, k12 = #qc.hadamard<12>, k20 = #qc.hadamard<20>,
  k28 = #qc.hadamard<28>, k36 = #qc.hadamard<36>, k40 = #qc.hadamard<40>,
  k44 = #qc.hadamard<44>, k52 = #qc.hadamard<52>, k60 = #qc.hadamard<60>,
  k108 = #qc.hadamard<108>, k140 = #qc.hadamard<140>,
  k152 = #qc.hadamard<152>, k156 = #qc.hadamard<156>,
  k172 = #qc.hadamard<172>, big = #qc.hadamard<22016>
} {
  return
}

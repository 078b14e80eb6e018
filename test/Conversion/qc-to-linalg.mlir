// RUN: quant-opt %s --qc-convert-qc-to-linalg --split-input-file | FileCheck %s

// Per-block dequantization of int4 codes: the scale of element (i, j) is
// (i, j floordiv 32); fl32(fl32(q) * s). Codes live in i8 containers (raw
// bits, zero-extended) and are sign-extended from 4 bits.
// CHECK-DAG: #[[BLK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 32)>
// CHECK-LABEL: func.func @dequantize_blocks
// CHECK-SAME: (%[[Q:.*]]: tensor<2x64xi8>, %[[S:.*]]: tensor<2x2xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BLK]], #{{.*}}]
// CHECK-SAME: ins(%[[Q]], %[[S]] : tensor<2x64xi8>, tensor<2x2xf32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.shli %{{.*}}, %c28
// CHECK: arith.shrsi %{{.*}}, %c28
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_blocks(%q: !qc.qtensor<2x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 32>>, %s: tensor<2x2xf32>) -> tensor<2x64xf32> {
  %0 = qc.dequantize %q, %s : (!qc.qtensor<2x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 32>>, tensor<2x2xf32>) -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

// Integer fake quantization: divide, round half to even, add the zero
// point, saturate to [0, 255], subtract it again, multiply.
// CHECK-LABEL: func.func @fake_quant_uint8
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.sitofp
// CHECK: arith.addf
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @fake_quant_uint8(%x: tensor<4x8xf32>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<4x8xf32> {
  %0 = qc.fake_quant %x, %s zero_points %z as !qc.qtensor<4x8, #qc.int<8, unsigned>, #qc.scheme<per_tensor, asymmetric>> : (tensor<4x8xf32>, tensor<f32>, tensor<i32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// MX scales: the E8M0 code comes from the f32 exponent field of the block
// absmax, 0xFF for a block holding NaN or infinity.
// CHECK-LABEL: func.func @mx_scales
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.constant 255 : i32
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @mx_scales(%x: tensor<2x64xf32>) -> tensor<2x2xi8> {
  %0 = qc.compute_scales %x for !qc.qtensor<2x64, #qc.float<fp4e2m1fn, saturate>, #qc.scheme<per_block, axis = 1, block = 32, scale = #qc.float<e8m0fnu>, dynamic>> : tensor<2x64xf32> -> tensor<2x2xi8>
  return %0 : tensor<2x2xi8>
}

// -----

// A clip ratio scales the per-token absmax (fl32(c * absmax) is the absmax
// of fl32(c * x)) before the division by the format's largest value. The
// absmax is an unsigned max over the bits with the sign cleared (finite
// values only: at most FLT_MAX's encoding), turned back into f32.
// CHECK-LABEL: func.func @clipped_scales
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[B:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[SIGN:.*]] = arith.constant 2147483647 : i32
// CHECK: %[[M:.*]] = arith.andi %[[B]], %[[SIGN]] : i32
// CHECK: %[[FMAX:.*]] = arith.constant 2139095039 : i32
// CHECK: %[[F:.*]] = arith.cmpi ule, %[[M]], %[[FMAX]] : i32
// CHECK: %[[V:.*]] = arith.select %[[F]], %[[M]], %{{.*}} : i32
// CHECK: arith.maxui %{{.*}}, %[[V]] : i32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.constant 0.899999976 : f32
// CHECK: arith.mulf
// CHECK: arith.divf
func.func @clipped_scales(%x: tensor<2x64xf32>) -> tensor<2x1xf32> {
  %0 = qc.compute_scales %x for !qc.qtensor<2x64, #qc.int<4>, #qc.scheme<per_block, axis = 1, block = 64, dynamic>> clip 0.9 : tensor<2x64xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// A Hadamard of order 8 is the fast transform in f64: three butterfly
// stages, each over the axis viewed as [8 / 2h, 2, h] (element (g, 0, j)
// pairs with (g, 1, j), read through constant indices in the maps), then
// the 1/sqrt(8) scale, rounded to f32 once; no dense 8x8 matrix, no gather.
// CHECK-DAG: #[[LO:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
// CHECK-DAG: #[[HI:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 1, d3)>
// CHECK-LABEL: func.func @hadamard
// CHECK-NOT: tensor<8x8x
// CHECK-NOT: tensor.extract
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: tensor.expand_shape {{.*}} into tensor<3x4x2x1xf64>
// CHECK: linalg.generic {indexing_maps = [#[[LO]], #[[HI]], {{.*}}]
// CHECK: tensor.expand_shape {{.*}} into tensor<3x2x2x2xf64>
// CHECK: linalg.generic {indexing_maps = [#[[LO]], #[[HI]], {{.*}}]
// CHECK: tensor.expand_shape {{.*}} into tensor<3x1x2x4xf64>
// CHECK: linalg.generic {indexing_maps = [#[[LO]], #[[HI]], {{.*}}]
// CHECK: arith.constant 0.35355339059327373 : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @hadamard(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %0 = qc.rotate %x by #qc.hadamard<8> along 1 : tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

// Integer formats over 16 bits: rounded in f32, then the zero point added
// and the result saturated to [-2^23, 2^23 - 1] in f64 (exact), as the
// numerics library does in double.
// CHECK-LABEL: func.func @int24_asymmetric
// CHECK: %[[V:.*]] = arith.divf
// CHECK: %[[R:.*]] = math.roundeven %[[V]] : f32
// CHECK: %[[R64:.*]] = arith.extf %[[R]] : f32 to f64
// CHECK: %[[Z:.*]] = arith.sitofp %{{.*}} : i32 to f64
// CHECK: arith.addf %[[R64]], %[[Z]] : f64
// CHECK: arith.cmpf uno, %[[V]], %[[V]] : f32
// CHECK: arith.constant 0xC160000000000000 : f64
// CHECK: arith.maximumf
// CHECK: arith.constant 0x415FFFFFC0000000 : f64
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.*}} : f64 to i64
// CHECK: arith.constant 16777215 : i64
func.func @int24_asymmetric(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i32>) -> !qc.qtensor<4, #qc.int<24>, #qc.scheme<per_tensor, asymmetric>> {
  %q = qc.quantize %x, %s zero_points %z : (tensor<4xf32>, tensor<f32>, tensor<i32>) -> !qc.qtensor<4, #qc.int<24>, #qc.scheme<per_tensor, asymmetric>>
  return %q : !qc.qtensor<4, #qc.int<24>, #qc.scheme<per_tensor, asymmetric>>
}

// -----

// fp16 codes decode by building the float32 bits, without a 2^16-entry
// table: exponent + (127 - 15) << 23, mantissa << 13; subnormals as
// mantissa * 2^-24; exponent 31 gives inf / NaN.
// CHECK-LABEL: func.func @fp16_decode
// CHECK-NOT: arith.constant dense
// CHECK: arith.constant 112 : i32
// CHECK: arith.constant 13 : i32
// CHECK: arith.constant 5.96046448E-8 : f32
// CHECK: arith.constant 2139095040 : i32
// CHECK: arith.constant 2143289344 : i32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
func.func @fp16_decode(%q: !qc.qtensor<4, #qc.float<fp16>>, %s: tensor<f32>) -> tensor<4xf32> {
  %y = qc.dequantize %q, %s : (!qc.qtensor<4, #qc.float<fp16>>, tensor<f32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Wrapping fixed point keeps the low 8 bits of the rounded value, 0 for
// NaN and |v| >= 9.2e18.
// CHECK-LABEL: func.func @fixed_wrap
// CHECK: arith.constant 1.600000e+01 : f32
// CHECK: math.roundeven
// CHECK: arith.cmpf uge, %{{.*}}, %{{.*}} : f64
// CHECK: arith.fptosi %{{.*}} : f64 to i64
// CHECK: arith.constant 255 : i64
// CHECK-NOT: arith.maximumf
func.func @fixed_wrap(%x: tensor<4xf32>, %s: tensor<f32>) -> !qc.qtensor<4, #qc.fixed<8, 4, wrap>> {
  %q = qc.quantize %x, %s : (tensor<4xf32>, tensor<f32>) -> !qc.qtensor<4, #qc.fixed<8, 4, wrap>>
  return %q : !qc.qtensor<4, #qc.fixed<8, 4, wrap>>
}

// -----

// qc.codes of an 8-bit format is its storage: no op remains.
// CHECK-LABEL: func.func @codes
// CHECK-SAME: (%[[Q:.*]]: tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: return %[[Q]] : tensor<4xi8>
func.func @codes(%q: !qc.qtensor<4, #qc.int<8, unsigned>>) -> tensor<4xi8> {
  %c = qc.codes %q : !qc.qtensor<4, #qc.int<8, unsigned>> -> tensor<4xi8>
  return %c : tensor<4xi8>
}

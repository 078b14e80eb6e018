// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Every nn op round-trips; result types are inferred.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x8xf32>, %b: tensor<8xf32>, %i: tensor<2x8xi64>, %c: tensor<2x8xi1>) {
  // CHECK: nn.neg %{{.*}} : tensor<2x8xf32>
  %0 = nn.neg %a : tensor<2x8xf32>
  %1 = nn.abs %i : tensor<2x8xi64>
  %2 = nn.exp %a : tensor<2x8xf32>
  %3 = nn.log %a : tensor<2x8xf32>
  %4 = nn.sqrt %a : tensor<2x8xf32>
  %5 = nn.reciprocal %a : tensor<2x8xf32>
  %6 = nn.tanh %a : tensor<2x8xf32>
  %7 = nn.sigmoid %a : tensor<2x8xf32>
  %8 = nn.erf %a : tensor<2x8xf32>
  %9 = nn.relu %a : tensor<2x8xf32>
  %10 = nn.cos %a : tensor<2x8xf32>
  %11 = nn.sin %a : tensor<2x8xf32>
  // CHECK: nn.and %{{.*}}, %{{.*}} : tensor<2x8xi1>, tensor<2x8xi1>
  %31 = nn.and %c, %c : tensor<2x8xi1>, tensor<2x8xi1>
  %32 = nn.or %c, %c : tensor<2x8xi1>, tensor<2x8xi1>
  %33 = nn.xor %c, %c : tensor<2x8xi1>, tensor<2x8xi1>
  // CHECK: nn.not %{{.*}} : tensor<2x8xi1>
  %34 = nn.not %c : tensor<2x8xi1>
  // CHECK: nn.arg_max %{{.*}} {axis = 1 : i64, keepdims = false} : tensor<2x8xf32>
  %35 = nn.arg_max %a {axis = 1 : i64, keepdims = false} : tensor<2x8xf32>
  // CHECK: nn.arg_max %{{.*}} : tensor<2x8xi64>
  %36 = nn.arg_max %i : tensor<2x8xi64>
  // CHECK: nn.floor %{{.*}} : tensor<2x8xf32>
  %27 = nn.floor %a : tensor<2x8xf32>
  // CHECK: nn.ceil %{{.*}} : tensor<2x8xf32>
  %28 = nn.ceil %a : tensor<2x8xf32>
  // CHECK: nn.round %{{.*}} : tensor<2x8xf32>
  %29 = nn.round %a : tensor<2x8xf32>
  // CHECK: nn.sign %{{.*}} : tensor<2x8xi64>
  %30 = nn.sign %i : tensor<2x8xi64>
  // CHECK: nn.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<2x8xf32>
  %12 = nn.leaky_relu %a {alpha = 0.1 : f32} : tensor<2x8xf32>
  // CHECK: nn.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %13 = nn.clip %a {min = 0.0 : f32, max = 6.0 : f32} : tensor<2x8xf32>
  // CHECK: nn.gelu %{{.*}} {approximate = "tanh"}
  %14 = nn.gelu %a {approximate = "tanh"} : tensor<2x8xf32>
  // CHECK: nn.cast %{{.*}} to i64 : tensor<2x8xf32>
  %15 = nn.cast %a to i64 : tensor<2x8xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8xf32>
  %16 = nn.add %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %17 = nn.sub %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %18 = nn.mul %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %19 = nn.div %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %20 = nn.pow %a, %b : tensor<2x8xf32>, tensor<8xf32>
  // CHECK: nn.fmod %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8xf32>
  %fm = nn.fmod %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %21 = nn.equal %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %22 = nn.less %a, %b : tensor<2x8xf32>, tensor<8xf32>
  %23 = nn.greater %a, %b : tensor<2x8xf32>, tensor<8xf32>
  // CHECK: nn.max %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8xf32>
  %25 = nn.max %a, %b : tensor<2x8xf32>, tensor<8xf32>
  // CHECK: nn.min %{{.*}}, %{{.*}} : tensor<2x8xi64>, tensor<2x8xi64>
  %26 = nn.min %i, %i : tensor<2x8xi64>, tensor<2x8xi64>
  // CHECK: nn.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xi1>, tensor<2x8xf32>, tensor<8xf32>
  %24 = nn.where %c, %a, %b : tensor<2x8xi1>, tensor<2x8xf32>, tensor<8xf32>
  return
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<2x7x64xf32>, %w: tensor<64x16xf32>, %a: tensor<2x64xf32>, %b: tensor<16x64xf32>,
                  %c: tensor<16xf32>, %img: tensor<1x4x8x8xf32>, %k: tensor<8x2x3x3xf32>, %kb: tensor<8xf32>) {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<2x7x64xf32>, tensor<64x16xf32>
  %0 = nn.matmul %x, %w : tensor<2x7x64xf32>, tensor<64x16xf32>
  // CHECK: nn.gemm %{{.*}}, %{{.*}}, %{{.*}} {transB = true} : tensor<2x64xf32>, tensor<16x64xf32>, tensor<16xf32>
  %1 = nn.gemm %a, %b, %c {transB = true} : tensor<2x64xf32>, tensor<16x64xf32>, tensor<16xf32>
  // CHECK: nn.conv %{{.*}}, %{{.*}}, %{{.*}} {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>}
  %2 = nn.conv %img, %k, %kb {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>
  return
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<2x7x64xf32>, %g: tensor<64xf32>, %img: tensor<1x4x8x8xf32>, %c: tensor<4xf32>) {
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
  %0 = nn.layer_norm %x, %g, %g {epsilon = 1.0e-6 : f32} : tensor<2x7x64xf32>, tensor<64xf32>, tensor<64xf32>
  // CHECK: nn.rms_norm %{{.*}}, %{{.*}} : tensor<2x7x64xf32>, tensor<64xf32>
  %1 = nn.rms_norm %x, %g : tensor<2x7x64xf32>, tensor<64xf32>
  %2 = nn.batch_norm %img, %c, %c, %c, %c : tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64}
  %3 = nn.softmax %x {axis = 1 : i64} : tensor<2x7x64xf32>
  %4 = nn.log_softmax %x : tensor<2x7x64xf32>
  return
}

// CHECK-LABEL: func.func @reduce_pool
func.func @reduce_pool(%x: tensor<2x7x64xf32>, %img: tensor<1x4x8x8xf32>) {
  // CHECK: nn.reduce_mean %{{.*}} {axes = array<i64: -1>, keepdims = false}
  %0 = nn.reduce_mean %x {axes = array<i64: -1>, keepdims = false} : tensor<2x7x64xf32>
  %1 = nn.reduce_sum %x : tensor<2x7x64xf32>
  %2 = nn.reduce_max %x {axes = array<i64: 0, 2>} : tensor<2x7x64xf32>
  // CHECK: nn.max_pool %{{.*}} {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}
  %3 = nn.max_pool %img {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x4x8x8xf32>
  %4 = nn.average_pool %img {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = true} : tensor<1x4x8x8xf32>
  %5 = nn.global_average_pool %img : tensor<1x4x8x8xf32>
  return
}

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<2x8xf32>, %y: tensor<2x3xf32>, %t: tensor<100x16xf32>, %ids: tensor<2x7xi64>) {
  // CHECK: nn.reshape %{{.*}} {shape = array<i64: 4, 4>}
  %0 = nn.reshape %x {shape = array<i64: 4, 4>} : tensor<2x8xf32>
  %1 = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<2x8xf32>
  %2 = nn.expand %y {shape = array<i64: 4, 2, 3>} : tensor<2x3xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x3xf32>
  %3 = nn.concat %x, %y {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x3xf32>
  // CHECK: %{{.*}}:2 = nn.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 3, 5>}
  %4:2 = nn.split %x {axis = 1 : i64, sizes = array<i64: 3, 5>} : tensor<2x8xf32>
  %5 = nn.slice %x {starts = array<i64: 0, 7>, steps = array<i64: 1, -2>, sizes = array<i64: 2, 4>} : tensor<2x8xf32>
  // CHECK: nn.gather %{{.*}}, %{{.*}} : tensor<100x16xf32>, tensor<2x7xi64>
  %6 = nn.gather %t, %ids {axis = 0 : i64} : tensor<100x16xf32>, tensor<2x7xi64>
  %7 = nn.trilu %x {upper = false, k = 1 : i64} : tensor<2x8xf32>
  // CHECK: nn.cumsum %{{.*}} {axis = -1 : i64, exclusive = true, reverse = true} : tensor<2x7xi64>
  %8 = nn.cumsum %ids {axis = -1 : i64, exclusive = true, reverse = true} : tensor<2x7xi64>
  // CHECK: nn.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x7xi64>
  %9 = nn.gather_elements %x, %ids {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x7xi64>
  // CHECK: %{{.*}}, %{{.*}} = nn.top_k %{{.*}} {axis = 1 : i64, k = 3 : i64, largest = false} : tensor<2x8xf32>
  %10:2 = nn.top_k %x {axis = 1 : i64, k = 3 : i64, largest = false} : tensor<2x8xf32>
  // CHECK: nn.reduce_prod %{{.*}} {axes = array<i64: 1>, keepdims = false} : tensor<2x8xf32>
  %11 = nn.reduce_prod %x {axes = array<i64: 1>, keepdims = false} : tensor<2x8xf32>
  return
}

// The default reduction ("none") is not printed.
// CHECK-LABEL: func.func @scatter
func.func @scatter(%x: tensor<2x8xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>, %t: tensor<4x1xi64>, %v: tensor<4x8xf32>) {
  // CHECK: nn.scatter_elements %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64, reduction = "max"} : tensor<2x8xf32>, tensor<2x3xi64>, tensor<2x3xf32>
  %0 = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "max"} : tensor<2x8xf32>, tensor<2x3xi64>, tensor<2x3xf32>
  // CHECK: nn.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<4x1xi64>, tensor<4x8xf32>
  %1 = nn.scatter_nd %x, %t, %v {reduction = "none"} : tensor<2x8xf32>, tensor<4x1xi64>, tensor<4x8xf32>
  return
}

// CHECK-LABEL: func.func @trig
func.func @trig(%x: tensor<4xf32>) {
  // CHECK: nn.tan
  %0 = nn.tan %x : tensor<4xf32>
  // CHECK: nn.asin
  %1 = nn.asin %x : tensor<4xf32>
  // CHECK: nn.acos
  %2 = nn.acos %x : tensor<4xf32>
  // CHECK: nn.atan
  %3 = nn.atan %x : tensor<4xf32>
  // CHECK: nn.sinh
  %4 = nn.sinh %x : tensor<4xf32>
  // CHECK: nn.cosh
  %5 = nn.cosh %x : tensor<4xf32>
  // CHECK: nn.asinh
  %6 = nn.asinh %x : tensor<4xf32>
  // CHECK: nn.acosh
  %7 = nn.acosh %x : tensor<4xf32>
  // CHECK: nn.atanh
  %8 = nn.atanh %x : tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @bitwise
func.func @bitwise(%a: tensor<4xui8>, %s: tensor<ui8>, %b: tensor<4xi32>) {
  // CHECK: nn.bit_shift %{{.*}}, %{{.*}} {direction = "right"} : tensor<4xui8>, tensor<ui8>
  %0 = nn.bit_shift %a, %s {direction = "right"} : tensor<4xui8>, tensor<ui8>
  // CHECK: nn.and %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32>
  %1 = nn.and %b, %b : tensor<4xi32>, tensor<4xi32>
  // CHECK: nn.not %{{.*}} : tensor<4xi32>
  %2 = nn.not %b : tensor<4xi32>
  return
}

// Zero points are optional and broadcast; the result is i32.
// CHECK-LABEL: func.func @matmul_integer
func.func @matmul_integer(%a: tensor<2x4x8xui8>, %b: tensor<8x3xi8>, %za: tensor<4x1xui8>, %zb: tensor<3xi8>) {
  // CHECK: nn.matmul_integer %{{.*}}, %{{.*}} : (tensor<2x4x8xui8>, tensor<8x3xi8>) -> tensor<2x4x3xi32>
  %0 = nn.matmul_integer %a, %b : (tensor<2x4x8xui8>, tensor<8x3xi8>) -> tensor<2x4x3xi32>
  // CHECK: nn.matmul_integer %{{.*}}, %{{.*}} a_zero_point %{{.*}} b_zero_point %{{.*}} : (tensor<2x4x8xui8>, tensor<8x3xi8>, tensor<4x1xui8>, tensor<3xi8>) -> tensor<2x4x3xi32>
  %1 = nn.matmul_integer %a, %b a_zero_point %za b_zero_point %zb : (tensor<2x4x8xui8>, tensor<8x3xi8>, tensor<4x1xui8>, tensor<3xi8>) -> tensor<2x4x3xi32>
  // CHECK: nn.matmul_integer %{{.*}}, %{{.*}} b_zero_point %{{.*}} : (tensor<2x4x8xui8>, tensor<8x3xi8>, tensor<3xi8>) -> tensor<2x4x3xi32>
  %2 = nn.matmul_integer %a, %b b_zero_point %zb : (tensor<2x4x8xui8>, tensor<8x3xi8>, tensor<3xi8>) -> tensor<2x4x3xi32>
  return
}

// CHECK-LABEL: func.func @conv_integer
func.func @conv_integer(%x: tensor<1x4x8x8xui8>, %w: tensor<6x2x3x3xi8>, %zx: tensor<ui8>, %zw: tensor<6xi8>) {
  // CHECK: nn.conv_integer %{{.*}}, %{{.*}} x_zero_point %{{.*}} w_zero_point %{{.*}} {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xui8>, tensor<6x2x3x3xi8>, tensor<ui8>, tensor<6xi8>) -> tensor<1x6x8x8xi32>
  %0 = nn.conv_integer %x, %w x_zero_point %zx w_zero_point %zw {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xui8>, tensor<6x2x3x3xi8>, tensor<ui8>, tensor<6xi8>) -> tensor<1x6x8x8xi32>
  // CHECK: nn.conv_integer %{{.*}}, %{{.*}} {group = 2 : i64} : (tensor<1x4x8x8xui8>, tensor<6x2x3x3xi8>) -> tensor<1x6x6x6xi32>
  %1 = nn.conv_integer %x, %w {group = 2 : i64} : (tensor<1x4x8x8xui8>, tensor<6x2x3x3xi8>) -> tensor<1x6x6x6xi32>
  return
}

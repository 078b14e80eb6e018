// RUN: quant-opt %s -split-input-file -verify-diagnostics

// One case per nn constraint; each message names its constraint.

func.func @gelu(%x: tensor<4xf32>) {
  // expected-error @+1 {{(C1) approximate must be "none" or "tanh", got "exact"}}
  %y = nn.gelu %x {approximate = "exact"} : tensor<4xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{(C1) shapes [2, 3] and [4] do not broadcast}}
  %y = nn.add %a, %b : tensor<2x3xf32>, tensor<4xf32>
  return
}

// -----

func.func @add_types(%a: tensor<4xf32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{(C2) operands have different element types: 'f32' vs 'i64'}}
  %y = nn.add %a, %b : tensor<4xf32>, tensor<4xi64>
  return
}

// -----

func.func @where_broadcast(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+1 {{(C1) condition shape [3] does not broadcast}}
  %y = nn.where %c, %a, %a : tensor<3xi1>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @where_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{(C2) operands have different element types}}
  %y = nn.where %c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xi64>
  return
}

// -----

func.func @matmul_rank(%a: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{(C1) matmul operands need rank >= 1}}
  %y = nn.matmul %a, %b : tensor<f32>, tensor<4xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+1 {{(C2) contracted dimensions differ: 4 vs 5}}
  %y = nn.matmul %a, %b : tensor<2x4xf32>, tensor<5x3xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x2x4xf32>, %b: tensor<3x4x3xf32>) {
  // expected-error @+1 {{(C3) batch dimensions do not broadcast}}
  %y = nn.matmul %a, %b : tensor<2x2x4xf32>, tensor<3x4x3xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x4x1xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{(C1) gemm operands must be 2-D}}
  %y = nn.gemm %a, %b : tensor<2x4x1xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @gemm_inner(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{(C1) inner dimensions differ: 4 vs 3}}
  %y = nn.gemm %a, %b {transB = true} : tensor<2x4xf32>, tensor<4x3xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>, %c: tensor<2xf32>) {
  // expected-error @+1 {{(C2) c of shape [2] does not broadcast to [2, 3]}}
  %y = nn.gemm %a, %b, %c : tensor<2x4xf32>, tensor<4x3xf32>, tensor<2xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{(C1) conv needs a 4-D input}}
  %y = nn.conv %x, %w : tensor<1x3x8xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{(C1) weight has 2 input channels per group, expected 3}}
  %y = nn.conv %x, %w : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{(C2) channels 3 and 4 are not multiples of group 2}}
  %y = nn.conv %x, %w {group = 2 : i64} : tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>
  return
}

// -----

func.func @conv_attrs(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{(C3) strides and dilations need 2 positive entries and pads 4 non-negative}}
  %y = nn.conv %x, %w {strides = array<i64: 0, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_empty(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{(C4) empty output (0x0)}}
  %y = nn.conv %x, %w : tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{(C5) bias must be [4]}}
  %y = nn.conv %x, %w, %b : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{(C1) axis 2 out of range for rank 2}}
  %y = nn.layer_norm %x, %g {axis = 2 : i64} : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{(C2) scale of shape [4] does not broadcast to the normalized dimensions [8]}}
  %y = nn.layer_norm %x, %g : tensor<2x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @rms_norm_axis(%x: tensor<2x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{(C1) axis -3 out of range for rank 2}}
  %y = nn.rms_norm %x, %g {axis = -3 : i64} : tensor<2x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<2x8xf32>, %g: tensor<2x8x1xf32>) {
  // expected-error @+1 {{(C2) scale of shape [2, 8, 1] does not broadcast}}
  %y = nn.rms_norm %x, %g : tensor<2x8xf32>, tensor<2x8x1xf32>
  return
}

// -----

func.func @batch_norm(%x: tensor<1x4x8x8xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{(C1) scale, bias, mean and variance must be [4]}}
  %y = nn.batch_norm %x, %s, %s, %s, %s : tensor<1x4x8x8xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
  return
}

// -----

func.func @softmax(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) axis 2 out of range for rank 2}}
  %y = nn.softmax %x {axis = 2 : i64} : tensor<2x8xf32>
  return
}

// -----

func.func @reduce(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) invalid reduction axes [0, 0] for rank 2}}
  %y = nn.reduce_sum %x {axes = array<i64: 0, 0>} : tensor<2x8xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<1x4x8xf32>) {
  // expected-error @+1 {{(C1) pooling needs a 4-D NCHW input}}
  %y = nn.max_pool %x {kernel_shape = array<i64: 2, 2>} : tensor<1x4x8xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{(C2) kernel_shape needs 2 positive entries}}
  %y = nn.max_pool %x {kernel_shape = array<i64: 2>} : tensor<1x4x8x8xf32>
  return
}

// -----

func.func @pool_empty(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{(C3) empty output (0x0)}}
  %y = nn.average_pool %x {kernel_shape = array<i64: 9, 9>} : tensor<1x4x8x8xf32>
  return
}

// -----

func.func @global_pool(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{(C1) global pooling needs rank >= 3}}
  %y = nn.global_average_pool %x : tensor<4x8xf32>
  return
}

// -----

func.func @reshape(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) cannot reshape 16 elements to [3, 5]}}
  %y = nn.reshape %x {shape = array<i64: 3, 5>} : tensor<2x8xf32>
  return
}

// -----

func.func @transpose(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) perm [0, 0] is not a permutation}}
  %y = nn.transpose %x {perm = array<i64: 0, 0>} : tensor<2x8xf32>
  return
}

// -----

func.func @expand(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{(C1) [2, 4] does not broadcast with [3, 4]}}
  %y = nn.expand %x {shape = array<i64: 3, 4>} : tensor<2x4xf32>
  return
}

// -----

func.func @concat_types(%a: tensor<2x4xf32>, %b: tensor<2x4xi64>) {
  // expected-error @+1 {{(C1) inputs differ in rank or element type}}
  %y = nn.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<2x4xi64>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x4xf32>, %b: tensor<2x5xf32>) {
  // expected-error @+1 {{(C2) dimension 1 differs: 5 vs 4}}
  %y = nn.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<2x5xf32>
  return
}

// -----

func.func @split_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) axis 3 out of range for rank 2}}
  %y:2 = nn.split %x {axis = 3 : i64, sizes = array<i64: 1, 1>} : tensor<2x8xf32>
  return
}

// -----

func.func @split_sizes(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C2) split sizes sum to 7 but the axis has 8}}
  %y:2 = nn.split %x {axis = 1 : i64, sizes = array<i64: 3, 4>} : tensor<2x8xf32>
  return
}

// -----

func.func @slice(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) slice of dimension 1 out of range}}
  %y = nn.slice %x {starts = array<i64: 0, 6>, steps = array<i64: 1, 1>, sizes = array<i64: 2, 4>} : tensor<2x8xf32>
  return
}

// -----

func.func @gather(%x: tensor<2x8xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{(C1) axis 2 out of range for rank 2}}
  %y = nn.gather %x, %i {axis = 2 : i64} : tensor<2x8xf32>, tensor<3xi64>
  return
}

// -----

func.func @trilu(%x: tensor<8xf32>) {
  // expected-error @+1 {{(C1) trilu needs rank >= 2}}
  %y = nn.trilu %x : tensor<8xf32>
  return
}

// -----

func.func @cumsum_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C1) axis 2 out of range for rank 2}}
  %y = nn.cumsum %x {axis = 2 : i64} : tensor<2x8xf32>
  return
}

// -----

func.func @gather_elements_rank(%x: tensor<2x8xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{(C2) indices have rank 1, the input 2}}
  %y = nn.gather_elements %x, %i {axis = 1 : i64} : tensor<2x8xf32>, tensor<3xi64>
  return
}

// -----

func.func @gather_elements_dim(%x: tensor<2x8xf32>, %i: tensor<3x2xi64>) {
  // expected-error @+1 {{(C2) indices dimension 0 (3) exceeds the input's (2)}}
  %y = nn.gather_elements %x, %i {axis = 1 : i64} : tensor<2x8xf32>, tensor<3x2xi64>
  return
}

// -----

func.func @scatter_elements_shape(%x: tensor<2x8xf32>, %i: tensor<2x3xi64>, %u: tensor<2x2xf32>) {
  // expected-error @+1 {{(C2) indices 'tensor<2x3xi64>' and updates 'tensor<2x2xf32>' differ in shape}}
  %y = nn.scatter_elements %x, %i, %u {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x3xi64>, tensor<2x2xf32>
  return
}

// -----

func.func @scatter_elements_dim(%x: tensor<2x8xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) {
  // expected-error @+1 {{(C2) indices dimension 0 (3) exceeds the input's (2)}}
  %y = nn.scatter_elements %x, %i, %u {axis = 1 : i64} : tensor<2x8xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  return
}

// -----

func.func @scatter_elements_type(%x: tensor<2x8xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xi64>) {
  // expected-error @+1 {{(C3) updates of 'i64' into 'f32'}}
  %y = nn.scatter_elements %x, %i, %u {axis = 1 : i64} : tensor<2x8xf32>, tensor<2x2xi64>, tensor<2x2xi64>
  return
}

// -----

func.func @scatter_elements_reduction(%x: tensor<2x8xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xf32>) {
  // expected-error @+1 {{(C4) reduction must be "none", "add", "mul", "max" or "min", got "sum"}}
  %y = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "sum"} : tensor<2x8xf32>, tensor<2x2xi64>, tensor<2x2xf32>
  return
}

// -----

func.func @scatter_elements_bool(%x: tensor<2x8xi1>, %i: tensor<2x2xi64>, %u: tensor<2x2xi1>) {
  // expected-error @+1 {{(C4) reduction "add" on i1 tensors}}
  %y = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "add"} : tensor<2x8xi1>, tensor<2x2xi64>, tensor<2x2xi1>
  return
}

// -----

func.func @scatter_nd_k(%x: tensor<2x8xf32>, %i: tensor<4x3xi64>, %u: tensor<4xf32>) {
  // expected-error @+1 {{(C1) indices 'tensor<4x3xi64>' need rank >= 1 and a last dimension in [1, 2]}}
  %y = nn.scatter_nd %x, %i, %u : tensor<2x8xf32>, tensor<4x3xi64>, tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_updates(%x: tensor<2x8xf32>, %i: tensor<4x1xi64>, %u: tensor<4x7xf32>) {
  // expected-error @+1 {{(C2) updates 'tensor<4x7xf32>' must be 'tensor<4x8xf32>'}}
  %y = nn.scatter_nd %x, %i, %u : tensor<2x8xf32>, tensor<4x1xi64>, tensor<4x7xf32>
  return
}

// -----

func.func @scatter_nd_reduction(%x: tensor<2x8xf32>, %i: tensor<4x1xi64>, %u: tensor<4x8xf32>) {
  // expected-error @+1 {{(C3) reduction must be "none", "add", "mul", "max" or "min", got "prod"}}
  %y = nn.scatter_nd %x, %i, %u {reduction = "prod"} : tensor<2x8xf32>, tensor<4x1xi64>, tensor<4x8xf32>
  return
}

// -----

func.func @bit_shift_bool(%x: tensor<4xi1>) {
  // expected-error @+1 {{(C2) bit_shift of i1 tensors}}
  %y = nn.bit_shift %x, %x {direction = "left"} : tensor<4xi1>, tensor<4xi1>
  return
}

// -----

func.func @bit_shift_direction(%x: tensor<4xui8>) {
  // expected-error @+1 {{(C3) direction must be "left" or "right", got "LEFT"}}
  %y = nn.bit_shift %x, %x {direction = "LEFT"} : tensor<4xui8>, tensor<4xui8>
  return
}

// -----

func.func @top_k_k(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{(C2) k = 9 is not in [0, 8]}}
  %v, %i = nn.top_k %x {axis = 1 : i64, k = 9 : i64} : tensor<2x8xf32>
  return
}

// -----

func.func @cumsum_bool(%x: tensor<8xi1>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %y = nn.cumsum %x {axis = 0 : i64} : tensor<8xi1>
  return
}

// -----

func.func @and_needs_integers(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer or 8-bit signless integer}}
  %0 = nn.and %a, %a : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @arg_max_axis(%a: tensor<4x3xf32>) {
  // expected-error @+1 {{(C1) axis 2 is out of range for rank 2}}
  %0 = nn.arg_max %a {axis = 2 : i64} : tensor<4x3xf32>
  return
}

// -----

func.func @arg_max_bool(%a: tensor<4xi1>) {
  // expected-error @+1 {{(C1) the input must not be boolean}}
  %0 = nn.arg_max %a : tensor<4xi1>
  return
}

// -----

func.func @matmul_integer_zero_point_type(%a: tensor<4x8xui8>, %b: tensor<8x3xi8>, %za: tensor<i8>) {
  // expected-error @+1 {{(C1) a_zero_point has element type 'i8', not its operand's 'ui8'}}
  %y = nn.matmul_integer %a, %b a_zero_point %za : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<i8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @matmul_integer_zero_point_shape(%a: tensor<4x8xui8>, %b: tensor<8x3xi8>, %za: tensor<4xui8>) {
  // expected-error @+1 {{(C3) a_zero_point of shape [4] does not broadcast to the operand's shape [4, 8]}}
  %y = nn.matmul_integer %a, %b a_zero_point %za : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<4xui8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @matmul_integer_contracted(%a: tensor<4x8xui8>, %b: tensor<7x3xi8>) {
  // expected-error @+2 {{(C2) contracted dimensions differ: 8 vs 7}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = nn.matmul_integer %a, %b : (tensor<4x8xui8>, tensor<7x3xi8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @matmul_integer_width(%a: tensor<4x8xi16>, %b: tensor<8x3xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit signless integer or 8-bit unsigned integer values}}
  %y = nn.matmul_integer %a, %b : (tensor<4x8xi16>, tensor<8x3xi8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @conv_integer_zero_point_type(%x: tensor<1x2x4x4xui8>, %w: tensor<3x2x3x3xi8>, %zx: tensor<i8>) {
  // expected-error @+1 {{(C5) x_zero_point has element type 'i8', not its operand's 'ui8'}}
  %y = nn.conv_integer %x, %w x_zero_point %zx : (tensor<1x2x4x4xui8>, tensor<3x2x3x3xi8>, tensor<i8>) -> tensor<1x3x2x2xi32>
  return
}

// -----

func.func @conv_integer_per_channel_x(%x: tensor<1x2x4x4xui8>, %w: tensor<3x2x3x3xi8>, %zx: tensor<2xui8>) {
  // expected-error @+1 {{(C6) x_zero_point of shape [2] must have one element}}
  %y = nn.conv_integer %x, %w x_zero_point %zx : (tensor<1x2x4x4xui8>, tensor<3x2x3x3xi8>, tensor<2xui8>) -> tensor<1x3x2x2xi32>
  return
}

// -----

func.func @conv_integer_per_channel_w(%x: tensor<1x2x4x4xui8>, %w: tensor<3x2x3x3xi8>, %zw: tensor<2xi8>) {
  // expected-error @+1 {{(C6) w_zero_point of shape [2] must have one element or be [3]}}
  %y = nn.conv_integer %x, %w w_zero_point %zw : (tensor<1x2x4x4xui8>, tensor<3x2x3x3xi8>, tensor<2xi8>) -> tensor<1x3x2x2xi32>
  return
}

// -----

func.func @conv_integer_channels(%x: tensor<1x2x4x4xui8>, %w: tensor<3x3x3x3xi8>) {
  // expected-error @+2 {{(C1) weight has 3 input channels per group, expected 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = nn.conv_integer %x, %w : (tensor<1x2x4x4xui8>, tensor<3x3x3x3xi8>) -> tensor<1x3x2x2xi32>
  return
}

// -----

func.func @fmod_integers(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float}}
  %0 = nn.fmod %a, %a : tensor<4xi32>, tensor<4xi32>
  return
}

// -----

func.func @fmod_broadcast(%a: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{(C1) shapes [4] and [3] do not broadcast}}
  %0 = nn.fmod %a, %b : tensor<4xf32>, tensor<3xf32>
  return
}

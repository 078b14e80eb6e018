// REQUIRES: ptxas, libdevice
// RUN: quant-opt %s --qc-lower-to-gpu="chip=sm_80" | quant-translate --emit-ptx -o %t.ptx
// RUN: %ptxas -arch=sm_80 %t.ptx -o %t.cubin
// RUN: quant-opt %s --qc-lower-to-gpu="chip=sm_90" | quant-translate --emit-ptx -o %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin

// The CUDA toolkit's assembler accepts the PTX of a small network (a
// matmul with a reduction, softmax's row reductions, a constant weight).
func.func @main(%x: tensor<4x16xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.125> : tensor<16x8xf32>
  %y = nn.matmul %x, %w : tensor<4x16xf32>, tensor<16x8xf32>
  %r = nn.relu %y : tensor<4x8xf32>
  %p = nn.softmax %r {axis = 1 : i64} : tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}

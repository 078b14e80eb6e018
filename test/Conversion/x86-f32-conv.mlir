// RUN: quant-opt %s --split-input-file --qc-convert-nn-to-linalg="float-kernel=avx2" | FileCheck %s
// RUN: quant-opt %s --split-input-file --qc-convert-nn-to-linalg="float-kernel=avx2" --canonicalize --qc-fuse-elementwise | FileCheck %s --check-prefix=FUSED

// nn.conv by constant weights (one group) on the f32 kernel: the input
// inserted into a new tensor whose borders alone are zero-filled, the
// im2col rows gathered into the kernel's row tiles with
// two constant offset tables (output pixel r = (n, oh, ow) -> its input
// offset; k = (c, i, j) -> c * Hp * Wp + i * Wp + j), the weights packed at
// compile time as [C * kh * kw, M] panels (pixels as the GEMM's rows: 9
// output pixels would fill only 9 of a 16-column panel), the [N * oH * oW,
// M] result put
// back in NCHW by one generic reading it at row n * 9 + oh * 3 + ow, then the
// bias. 3 x 3 outputs = 9 rows: tiles of 6 (the last
// one's 3 extra rows read offset 0 and are never stored).
// CHECK: #[[NCHW:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0 * 9 + d2 * 3 + d3, d1)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x2x5x5xf32>
// CHECK: tensor.insert_slice %arg0 into %[[EMPTY]][0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK: linalg.fill
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 2, 1, 5]
// CHECK: linalg.fill
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 4, 0] [1, 2, 1, 5]
// CHECK: linalg.fill
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 0] [1, 2, 3, 1]
// CHECK: linalg.fill
// CHECK: %[[PAD:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 4] [1, 2, 3, 1]
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[PAD]]
// CHECK-DAG: %[[ROWS:.*]] = arith.constant dense<{{\[}}[0, 1, 2, 5, 6, 7], [10, 11, 12, 0, 0, 0]]> : tensor<2x6xi32>
// CHECK-DAG: %[[COLS:.*]] = arith.constant dense<[0, 1, 2, 5, 6, 7, 10, 11, 12, 25, 26, 27, 30, 31, 32, 35, 36, 37]> : tensor<18xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %[[COLS]] : tensor<2x6xi32>, tensor<18xi32>) outs(%{{.*}} : tensor<2x18x6x1xf32>)
// CHECK: arith.addi
// CHECK: tensor.extract %[[FLAT]]
// CHECK: qc.x86_kernel = "f32_avx2"
// CHECK: %[[Y:.*]] = tensor.extract_slice %{{.*}}[0, 0] [9, 4] [1, 1] : tensor<9x16xf32> to tensor<9x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[NCHW]], #{{.*}}]{{.*}} ins(%[[Y]] : tensor<9x4xf32>) outs(%{{.*}} : tensor<1x4x3x3xf32>)
// CHECK: arith.addf
func.func @conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %b = arith.constant dense<1.0> : tensor<4xf32>
  %0 = nn.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x3x3xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// 8 x 8 = 64 output pixels fill the kernel's 16-column panels: the output
// channels are the GEMM's rows (W packed in row tiles at compile time, the
// im2col columns gathered into panels of 16 pixels) and the [M, pixels]
// product is NCHW already; the last loop reads it in order.
// CHECK: #[[NCHW2:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0 * 64 + d2 * 8 + d3)>
// CHECK-LABEL: func.func @channels_as_rows
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x18x16x1xf32>)
// CHECK: tensor.extract
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x18x4x1xf32>, tensor<4x18x16x1xf32>, tensor<4x16xf32>) outs(%{{.*}} : tensor<4x64xf32>){{.*}}qc.x86_kernel = "f32_avx2"
// CHECK: linalg.generic {indexing_maps = [#[[NCHW2]], #{{.*}}]{{.*}} ins(%{{.*}} : tensor<4x64xf32>) outs(%{{.*}} : tensor<1x4x8x8xf32>)
func.func @channels_as_rows(%x: tensor<1x2x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %0 = nn.conv %x, %w {pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Two groups, or weights computed at run time: nn.conv's loop nest.
// CHECK-LABEL: func.func @generic
// CHECK-NOT: qc.x86_kernel
// CHECK: return
func.func @generic(%x: tensor<1x4x5x5xf32>, %v: tensor<4x4x3x3xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) {
  %w = arith.constant dense<0.5> : tensor<4x2x3x3xf32>
  %0 = nn.conv %x, %w {group = 2 : i64} : tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>
  %1 = nn.conv %x, %v : tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>
  return %0, %1 : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}

// -----

// After elementwise fusion the bias and the ReLU run inside the loop that
// reads the kernel's result into NCHW: three loops (gather, kernel, that
// one). A consumer fused earlier stays behind dead until the driver erases
// it and must not count as a second use of its producer.
// FUSED-LABEL: func.func @conv_relu
// FUSED-COUNT-3: linalg.generic
// FUSED-NOT: linalg.generic
// FUSED: return
func.func @conv_relu(%x: tensor<1x8x6x6xf32>) -> tensor<1x16x6x6xf32> {
  %w = arith.constant dense<0.5> : tensor<16x8x3x3xf32>
  %b = arith.constant dense<0.25> : tensor<16xf32>
  %0 = nn.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : tensor<1x8x6x6xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>
  %1 = nn.relu %0 : tensor<1x16x6x6xf32>
  return %1 : tensor<1x16x6x6xf32>
}

// RUN: quant-opt %s --qc-quantize-weights="accumulator-bits=16" | FileCheck %s
// RUN: quant-opt %s --qc-quantize-weights="accumulator-bits=17" | FileCheck %s --check-prefix=WIDE
// RUN: quant-opt %s --qc-gptq="format=int8 accumulator-bits=16" | FileCheck %s --check-prefix=GPTQ

// int8 weights, int8 inputs in [-128, 127], a 16-bit accumulator.
// Column 0, four 1.0: absmax codes 127 reach 4 * 127 * 128 = 65024 (17
// bits); a code c fits while 4 * 128 * c <= 32768, so c = 64, first
// reached at the scale 1 / 64.5 (64.5 rounds to even). Column 1, [0.5,
// -0.5, 0.25, 0]: codes [a, -a, b, 0] fit while 255 a + 128 b <= 32768;
// a = 102, b = 51 fit (32538), a = 103, b = 52 do not: scale 0.5 / 102.5.
// With 17 bits the absmax codes fit as they are. GPTQ with an identity
// Hessian spreads no error: the fitted codes, no clamping needed.

// CHECK: qc.constant dense<{{\[}}[64, 102], [64, -102], [64, 51], [64, 0]]> : tensor<4x2xi8>
// CHECK: arith.constant dense<[0.0155038759, 0.00487804879]> : tensor<2xf32>
// WIDE: qc.constant dense<{{\[}}[127, 127], [127, -127], [127, 64], [127, 0]]> : tensor<4x2xi8>
// WIDE: arith.constant dense<[0.00787401571, 0.00393700786]> : tensor<2xf32>
// GPTQ: qc.constant dense<{{\[}}[64, 102], [64, -102], [64, 51], [64, 0]]> : tensor<4x2xi8>
// GPTQ: arith.constant dense<[0.0155038759, 0.00487804879]> : tensor<2xf32>
func.func @fit(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [1.0, -0.5], [1.0, 0.25], [1.0, 0.0]]> : tensor<4x2xf32>
  %y = nn.matmul %x, %w {qc.hessian = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                                            [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>}
    : tensor<3x4xf32>, tensor<4x2xf32>
  return %y : tensor<3x2xf32>
}

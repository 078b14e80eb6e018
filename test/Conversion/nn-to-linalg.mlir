// RUN: quant-opt %s --qc-convert-nn-to-linalg --split-input-file | FileCheck %s

// Broadcasting is in the indexing maps: the [8] operand reads d1.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK-NOT: nn.
func.func @add_broadcast(%a: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = nn.add %a, %b : tensor<2x8xf32>, tensor<8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Batch dimensions broadcast: the 2-D weight is read without them. Loops
// batch, m, k, n: each output sums over k in order, the inner loop runs
// along weight and output rows.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_weight
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_weight(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x4x16xf32> {
  %0 = nn.matmul %x, %w : tensor<2x4x8xf32>, tensor<8x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// -----

// Softmax: max, exp(x - max), sum, divide, over keepdims shapes.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = nn.softmax %x : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Gathers index with linalg.index; negative indices wrap.
// Negative indices wrap; out-of-range ones are clamped into [0, 9] so that
// the compiled code never reads outside the table.
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: tensor.extract %arg1
// CHECK: arith.index_cast
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[K:.*]] = arith.select
// CHECK: %[[LO:.*]] = arith.maxsi %[[K]], %[[ZERO]]
// CHECK: %[[LAST:.*]] = arith.constant 9 : index
// CHECK: %[[IN:.*]] = arith.minsi %[[LO]], %[[LAST]]
// CHECK: tensor.extract %arg0[%[[IN]]
func.func @gather(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = nn.gather %t, %i : tensor<10x4xf32>, tensor<3xi64>
  return %0 : tensor<3x4xf32>
}

// -----

// Grouped convolution: the input channel is (m floordiv (M/G)) * (C/G) + c;
// loops n, m, oh, ow, c, kh, kw (the window's reductions innermost, so the
// sums stay in registers; still in order of c, kh, kw).
// CHECK: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, (d1 floordiv 2) * 2 + d4, d2 + d5, d3 + d6)>
// CHECK: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-LABEL: func.func @conv_groups
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1]
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @conv_groups(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x5x5xf32> {
  %0 = nn.conv %x, %w {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// -----

// Unsigned division (marked by --qc-nn-signless) is divui; dividing by zero
// gives 0 instead of trapping.
// CHECK-LABEL: func.func @div_unsigned
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[D:.*]], %[[ZERO:.*]] : i8
// CHECK: %[[SAFE:.*]] = arith.select %[[Z]], %{{.*}}, %[[D]] : i8
// CHECK: %[[Q:.*]] = arith.divui %{{.*}}, %[[SAFE]] : i8
// CHECK: arith.select %[[Z]], %[[ZERO]], %[[Q]] : i8
func.func @div_unsigned(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %0 = nn.div %a, %b {qc.unsigned_operands = array<i1: true, true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>, tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// Float remainder: LLVM's frem, C's fmod (exact).
// CHECK-LABEL: func.func @fmod
// CHECK: arith.remf %{{.*}}, %{{.*}} : f32
func.func @fmod(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.fmod %a, %b : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Signed division: MIN / -1 (a trap on x86) wraps to MIN = -MIN.
// CHECK-LABEL: func.func @div_signed
// CHECK: %[[M1:.*]] = arith.cmpi eq, %{{.*}}, %c-1_i32 : i32
// CHECK: %[[DIV:.*]] = arith.select %[[M1]], %c1_i32, %{{.*}} : i32
// CHECK: %[[Q:.*]] = arith.divsi %{{.*}}, %[[DIV]] : i32
// CHECK: %[[NEG:.*]] = arith.subi %c0_i32, %{{.*}} : i32
// CHECK: arith.select %[[M1]], %[[NEG]], %[[Q]] : i32
func.func @div_signed(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = nn.div %a, %b : tensor<4xi32>, tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Unsigned comparisons and conversions; unsigned relu and abs are the
// identity.
// CHECK-LABEL: func.func @unsigned_ops
// CHECK: arith.cmpi ugt
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.constant -1.000000e+00 : f32
// CHECK: arith.constant 2.560000e+02 : f32
// CHECK: arith.fptoui %{{.*}} : f32 to i8
// CHECK: arith.constant -1 : i8
// CHECK: arith.constant 0 : i8
// CHECK: ^bb0(%[[IN:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[IN]] : i8
// CHECK: ^bb0(%[[IN2:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[IN2]] : i8
func.func @unsigned_ops(%a: tensor<4xi8>, %b: tensor<4xi8>, %x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %0 = nn.greater %a, %b {qc.unsigned_operands = array<i1: true, true>} : tensor<4xi8>, tensor<4xi8>
  %1 = nn.cast %a to f32 {qc.unsigned_operands = array<i1: true>} : tensor<4xi8>
  %2 = nn.cast %a to i32 {qc.unsigned_operands = array<i1: true>} : tensor<4xi8>
  %3 = nn.cast %x to i8 {qc.unsigned_results = array<i1: true>} : tensor<4xf32>
  %4 = nn.relu %a {qc.unsigned_operands = array<i1: true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>
  %5 = nn.abs %a {qc.unsigned_operands = array<i1: true>, qc.unsigned_results = array<i1: true>} : tensor<4xi8>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

// -----

// f64 -> f16 rounds once: to f32 rounded to odd (truncated, last bit set
// when inexact), then to f16. f16 -> bf16 goes through f32 exactly.
// CHECK-LABEL: func.func @float_casts
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[BACK:.*]] = arith.extf %[[T]] : f32 to f64
// CHECK: %[[INEXACT:.*]] = arith.cmpf one, %[[BACK]], %{{.*}} : f64
// CHECK: %[[ODD:.*]] = arith.ori
// CHECK: %[[R:.*]] = arith.select %[[INEXACT]], %[[ODD]], %{{.*}} : i32
// CHECK: %[[F:.*]] = arith.bitcast %[[R]] : i32 to f32
// CHECK: arith.truncf %[[F]] : f32 to f16
// CHECK: %[[E:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %[[E]] : f32 to bf16
func.func @float_casts(%x: tensor<4xf64>, %h: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xbf16>) {
  %0 = nn.cast %x to f16 : tensor<4xf64>
  %1 = nn.cast %h to bf16 : tensor<4xf16>
  return %0, %1 : tensor<4xf16>, tensor<4xbf16>
}

// -----

// Sigmoid with one exponential and one division per element: e =
// exp(-|x|), then (x >= 0 ? 1 : e) / (1 + e), the interpreter's two
// branches (1 / (1 + e^-x) and e^x / (1 + e^x)) with the same bits.
// CHECK-LABEL: func.func @sigmoid
// CHECK: linalg.generic
// CHECK: %[[A:.*]] = math.absf %{{.*}} : f32
// CHECK: %[[N:.*]] = arith.negf %[[A]] : f32
// CHECK: %[[E:.*]] = math.exp %[[N]] : f32
// CHECK-NOT: math.exp
// CHECK: %[[D:.*]] = arith.addf %[[ONE:.*]], %[[E]] : f32
// CHECK: %[[GE:.*]] = arith.cmpf oge
// CHECK: %[[NUM:.*]] = arith.select %[[GE]], %[[ONE]], %[[E]] : f32
// CHECK: arith.divf %[[NUM]], %[[D]] : f32
// CHECK-NOT: arith.divf
func.func @sigmoid(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = nn.sigmoid %x : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// nn.max / nn.min: IEEE maximum / minimum on floats (NaN propagates, signed
// zeros ordered), signed or (marked) unsigned on integers.
// CHECK-LABEL: func.func @max_min
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : f32
// CHECK: arith.maxsi %{{.*}}, %{{.*}} : i8
// CHECK: arith.minui %{{.*}}, %{{.*}} : i8
func.func @max_min(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi8>, %j: tensor<4xi8>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi8>, tensor<4xi8>) {
  %0 = nn.max %a, %b : tensor<4xf32>, tensor<4xf32>
  %1 = nn.min %a, %b : tensor<4xf32>, tensor<4xf32>
  %2 = nn.max %i, %j : tensor<4xi8>, tensor<4xi8>
  %3 = nn.min %i, %j {qc.unsigned_operands = array<i1: true, true>} : tensor<4xi8>, tensor<4xi8>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xi8>, tensor<4xi8>
}

// -----

// Rounding ops: math.floor / math.ceil / math.roundeven; float sign as
// compares and selects (0 for ±0, NaN kept), unsigned sign as x != 0.
// CHECK-LABEL: func.func @rounding
// CHECK: math.floor %{{.*}} : f32
// CHECK: math.ceil %{{.*}} : f32
// CHECK: math.roundeven %{{.*}} : f32
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i8
func.func @rounding(%a: tensor<4xf32>, %u: tensor<4xi8>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi8>) {
  %0 = nn.floor %a : tensor<4xf32>
  %1 = nn.ceil %a : tensor<4xf32>
  %2 = nn.round %a : tensor<4xf32>
  %3 = nn.sign %a : tensor<4xf32>
  %4 = nn.sign %u {qc.unsigned_operands = array<i1: true>} : tensor<4xi8>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi8>
}

// -----

// Boolean logic: andi / ori / xori, not as xori with true.
// CHECK-LABEL: func.func @logic
// CHECK: arith.andi %{{.*}}, %{{.*}} : i1
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
// CHECK: arith.xori %{{.*}}, %{{.*}} : i1
// CHECK: %[[T:.*]] = arith.constant true
// CHECK: arith.xori %{{.*}}, %[[T]] : i1
func.func @logic(%p: tensor<4xi1>, %q: tensor<4xi1>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = nn.and %p, %q : tensor<4xi1>, tensor<4xi1>
  %1 = nn.or %p, %q : tensor<4xi1>, tensor<4xi1>
  %2 = nn.xor %p, %q : tensor<4xi1>, tensor<4xi1>
  %3 = nn.not %p : tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// nn.arg_max: one reduction carrying the best value and its index.
// CHECK-LABEL: func.func @arg_max
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ogt
// CHECK: linalg.index 1
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, i64
// CHECK: tensor.collapse_shape
func.func @arg_max(%a: tensor<4x8xf32>) -> tensor<4xi64> {
  %0 = nn.arg_max %a {axis = 1 : i64, keepdims = false} : tensor<4x8xf32>
  return %0 : tensor<4xi64>
}

// -----

// nn.cumsum along the innermost axis: a loop over the lines, each scanned
// in order with a scalar sum (from -0); reverse reads position L - 1 - j,
// exclusive writes the sum before adding.
// CHECK-LABEL: func.func @cumsum
// CHECK: %[[ID:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[Y0:.*]] = %{{.*}}) -> (tensor<2x5xf32>)
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[S:.*]] = %[[ID]], %[[Y:.*]] = %[[Y0]]) -> (f32, tensor<2x5xf32>)
// CHECK: %[[P:.*]] = arith.subi %{{.*}}, %[[J]] : index
// CHECK: %[[X:.*]] = tensor.extract %{{.*}}[%[[I]], %[[P]]]
// CHECK: %[[N:.*]] = arith.addf %[[S]], %[[X]] : f32
// CHECK: %[[Y1:.*]] = tensor.insert %[[S]] into %[[Y]][%[[I]], %[[P]]]
// CHECK: scf.yield %[[N]], %[[Y1]]
func.func @cumsum(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = nn.cumsum %x {axis = 1 : i64, exclusive = true, reverse = true} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Along an outer axis, inclusive, forward, integers: an scf.for over the
// axis carries the running sums of the lines (a slice, from 0) and y; step
// j adds x's slice at j (one elementwise generic) and writes y's slice.
// CHECK-LABEL: func.func @cumsum_inclusive
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1x3xi32>)
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args(%[[S:.*]] = %{{.*}}, %[[Y:.*]] = %{{.*}})
// CHECK-NOT: arith.subi
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[J]], 0] [1, 3] [1, 1]
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x3xi32>) outs(%[[S]] : tensor<1x3xi32>)
// CHECK: arith.addi
// CHECK: %[[Y1:.*]] = tensor.insert_slice %[[N]] into %[[Y]][%[[J]], 0] [1, 3] [1, 1]
// CHECK: scf.yield %[[N]], %[[Y1]]
func.func @cumsum_inclusive(%x: tensor<4x3xi32>) -> tensor<4x3xi32> {
  %0 = nn.cumsum %x {axis = 0 : i64} : tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

// nn.gather_elements: per output element, the index (wrapped if negative,
// clamped into the axis) replaces the axis position of the read.
// CHECK-LABEL: func.func @gather_elements
// CHECK: linalg.generic
// CHECK: %[[I:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<3x2xi64>
// CHECK: arith.index_cast %[[I]]
// CHECK: arith.select
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<3x5xf32>
func.func @gather_elements(%x: tensor<3x5xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = nn.gather_elements %x, %i {axis = 1 : i64} : tensor<3x5xf32>, tensor<3x2xi64>
  return %0 : tensor<3x2xf32>
}

// -----

// nn.bit_shift: a logical shift, 0 where the amount (unsigned) reaches
// the width; nn.not on integers: xor with all ones.
// CHECK-LABEL: func.func @bit_shift
// CHECK: linalg.generic
// CHECK: %[[S:.*]] = arith.shrui %[[X:.*]], %[[N:.*]] : i8
// CHECK: %[[FAR:.*]] = arith.cmpi uge, %[[N]], %{{.*}} : i8
// CHECK: arith.select %[[FAR]], %{{.*}}, %[[S]] : i8
// CHECK: linalg.generic
// CHECK: arith.xori %{{.*}}, %{{.*}} : i8
func.func @bit_shift(%x: tensor<4xi8>, %n: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = nn.bit_shift %x, %n {direction = "right"} : tensor<4xi8>, tensor<4xi8>
  %1 = nn.not %x : tensor<4xi8>
  return %0, %1 : tensor<4xi8>, tensor<4xi8>
}

// -----

// nn.scatter_elements: a loop nest over the indices carrying the result;
// per update the index (wrapped, clamped) replaces the axis position, the
// element there is combined (max: arith.maximumf) and inserted.
// CHECK-LABEL: func.func @scatter_elements
// CHECK: scf.for %[[A:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[Y0:.*]] = %arg0) -> (tensor<3x5xf32>)
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[Y:.*]] = %[[Y0]]) -> (tensor<3x5xf32>)
// CHECK: %[[I:.*]] = tensor.extract %arg1[%[[A]], %[[B]]] : tensor<3x2xi64>
// CHECK: arith.index_cast %[[I]]
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[A]], %[[B]]] : tensor<3x2xf32>
// CHECK: %[[OLD:.*]] = tensor.extract %[[Y]][%[[A]], %[[K]]] : tensor<3x5xf32>
// CHECK: %[[V:.*]] = arith.maximumf %[[OLD]], %[[U]] : f32
// CHECK: %[[NEW:.*]] = tensor.insert %[[V]] into %[[Y]][%[[A]], %[[K]]] : tensor<3x5xf32>
// CHECK: scf.yield %[[NEW]]
func.func @scatter_elements(%x: tensor<3x5xf32>, %i: tensor<3x2xi64>, %u: tensor<3x2xf32>) -> tensor<3x5xf32> {
  %0 = nn.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "max"} : tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// nn.scatter_nd: the nest runs over the indices' leading dimension and the
// slice; the tuple's k entries are read per element; "none" inserts the
// update without reading y.
// CHECK-LABEL: func.func @scatter_nd
// CHECK: scf.for %[[T:.*]] = {{.*}} iter_args
// CHECK: scf.for %[[E:.*]] = {{.*}} iter_args(%[[Y:.*]] = %{{.*}}) -> (tensor<2x4x3xf32>)
// CHECK: tensor.extract %arg1[%[[T]], %{{.*}}] : tensor<5x2xi64>
// CHECK: tensor.extract %arg1[%[[T]], %{{.*}}] : tensor<5x2xi64>
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[T]], %[[E]]] : tensor<5x3xf32>
// CHECK-NOT: tensor.extract %[[Y]]
// CHECK: tensor.insert %[[U]] into %[[Y]][%{{.*}}, %{{.*}}, %[[E]]] : tensor<2x4x3xf32>
func.func @scatter_nd(%x: tensor<2x4x3xf32>, %i: tensor<5x2xi64>, %u: tensor<5x3xf32>) -> tensor<2x4x3xf32> {
  %0 = nn.scatter_nd %x, %i, %u : tensor<2x4x3xf32>, tensor<5x2xi64>, tensor<5x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// nn.top_k: k chained value-and-index reductions over the axis; the second
// reads the first's pick (only elements after it in the order qualify),
// and each pick is inserted at its position of the outputs.
// CHECK-LABEL: func.func @top_k
// CHECK: %[[V0:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}} : tensor<3x5xf32>) outs(%{{.*}}, %{{.*}} : tensor<3x1xf32>, tensor<3x1xi64>)
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ogt
// CHECK: tensor.insert_slice %[[V0]]#0 into %{{.*}}[0, 0] [3, 1] [1, 1]
// CHECK: %[[V1:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}}, %[[V0]]#0, %[[V0]]#1 : tensor<3x5xf32>, tensor<3x1xf32>, tensor<3x1xi64>)
// CHECK: tensor.insert_slice %[[V1]]#1 into %{{.*}}[0, 1] [3, 1] [1, 1]
func.func @top_k(%x: tensor<3x5xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %v, %i = nn.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<3x5xf32>
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}

// -----

// nn.reduce_prod of f32: widened to f64, multiplied from 1, rounded once.
// CHECK-LABEL: func.func @reduce_prod
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: linalg.fill ins(%[[ONE]] : f64)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @reduce_prod(%x: tensor<3x5xf32>) -> tensor<3xf32> {
  %0 = nn.reduce_prod %x {axes = array<i64: 1>, keepdims = false} : tensor<3x5xf32>
  return %0 : tensor<3xf32>
}

// -----

// nn.matmul_integer: each operand widened to i32 by its signedness (the
// flags of --qc-nn-signless) minus its broadcast zero point, then the
// wrapping i32 product of nn.matmul's loop nest.
// CHECK-LABEL: func.func @matmul_integer
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg2 : tensor<4x8xi8>, tensor<4x1xi8>)
// CHECK: arith.extui
// CHECK: arith.extui
// CHECK: arith.subi
// CHECK: linalg.generic {{.*}} ins(%arg1, %arg3 : tensor<8x3xi8>, tensor<3xi8>)
// CHECK: arith.extsi
// CHECK: arith.extsi
// CHECK: arith.subi
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.muli
// CHECK: arith.addi
func.func @matmul_integer(%a: tensor<4x8xi8>, %b: tensor<8x3xi8>, %za: tensor<4x1xi8>, %zb: tensor<3xi8>) -> tensor<4x3xi32> {
  %y = nn.matmul_integer %a, %b a_zero_point %za b_zero_point %zb {qc.unsigned_operands = array<i1: true, false, true, false>} : (tensor<4x8xi8>, tensor<8x3xi8>, tensor<4x1xi8>, tensor<3xi8>) -> tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}

// -----

// nn.conv_integer: x and w widened and centered (the [M] weight zero point
// reshaped to [M, 1, 1, 1]), the centered input padded with 0, then the
// i32 convolution nest; each sum starts from 0 at c = kh = kw = 0 (no
// zero-filled output).
// CHECK-LABEL: func.func @conv_integer
// CHECK: tensor.expand_shape %arg3
// CHECK: arith.extui
// CHECK: arith.subi
// CHECK: arith.extsi
// CHECK: arith.subi
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1]
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<1x3x4x4xi32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]{{.*}} outs(%[[OUT]] : tensor<1x3x4x4xi32>)
// CHECK-COUNT-3: linalg.index
// CHECK: arith.select %{{.*}}, %{{.*}}, %out : i32
// CHECK: arith.muli
// CHECK: arith.addi
func.func @conv_integer(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x3x3xi8>, %zx: tensor<i8>, %zw: tensor<3xi8>) -> tensor<1x3x4x4xi32> {
  %y = nn.conv_integer %x, %w x_zero_point %zx w_zero_point %zw {pads = array<i64: 1, 1, 1, 1>, qc.unsigned_operands = array<i1: true, false, true, false>} : (tensor<1x2x4x4xi8>, tensor<3x2x3x3xi8>, tensor<i8>, tensor<3xi8>) -> tensor<1x3x4x4xi32>
  return %y : tensor<1x3x4x4xi32>
}

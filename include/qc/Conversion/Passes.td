//===- Passes.td - QuantC conversion passes ----------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Lowerings from the graph dialects (nn, qc) to upstream dialects.
//
//===----------------------------------------------------------------------===//

#ifndef QC_CONVERSION_PASSES_TD
#define QC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalg : Pass<"qc-convert-nn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower nn ops to linalg, tensor, arith and math on tensors.";
  let description = [{
    Every nn op with static shapes and f32, f16, bf16, f64, signless-integer
    or i1 elements becomes destination-style tensor code:

    - elementwise ops (unary, binary with numpy broadcasting, `nn.where`,
      `nn.cast`, `nn.clip`, `nn.gelu`, ...) become one `linalg.generic` each,
      with broadcasting expressed in the indexing maps (no materialized
      broadcasts);
    - `nn.matmul_integer` by a constant int8 weight [K, N] with zero point
      0 becomes the packed 8-bit kernel of `qc.linear` (`int8-kernel`;
      VNNI or AVX2, exact); other `nn.matmul_integer` and `nn.conv_integer`
      center their operands in i32 and contract like `nn.matmul` / `nn.conv`;
    - `nn.matmul` (batch dimensions broadcast, 1-D operands promoted) and
      `nn.gemm` become contractions (an f32 `nn.matmul` by a constant 2-D
      weight, with `float-kernel=avx512` or `auto` on AVX-512 hosts, the
      packed generic tagged `qc.x86_kernel = "f32_avx512"`: weights packed
      at compile time, activations in 12-row tiles; same arithmetic; with
      `float-kernel=avx512-fma`, "f32_avx512_fma" with `math.fma`; with
      `avx2` or `auto` on AVX2 hosts without AVX-512, "f32_avx2" on 16-column
      panels and 6-row tiles, and "f32_avx2_fma" with `avx2-fma`), `nn.conv` a padded `linalg.generic`
      convolution (groups in the indexing maps), pooling a padded window
      reduction (average pooling divides by per-position counts computed at
      compile time);
    - reductions, softmax / log-softmax and the normalizations become
      reductions with `keepdims` shapes followed by elementwise generics,
      computed as the interpreter defines them (maximum subtracted before
      `exp`; biased variance);
    - data movement becomes `tensor` ops (`collapse_shape` / `expand_shape`,
      `extract_slice`, `insert_slice`) or `linalg.transpose`; gathers,
      negative-step slices and `nn.trilu` index with `linalg.index`.

    Each op does the interpreter's arithmetic in the interpreter's order
    and precision (contractions accumulate in f32 along the reduction
    dimension in order, `nn.reduce_sum` / `nn.reduce_mean` in f64, norms as
    `sum / N` and `1 / sqrt(var + eps)` in f32), so the compiled code is
    bit-exact with the interpreter on the test models; integer ops wrap at
    their width where the interpreter computes in 64 bits, and an integer
    division by zero gives 0 (the interpreter stops with an error) instead
    of trapping. f64 tensors compute in f64 (the interpreter holds them in f32); f16 and
    bf16 ops other than casts and
    data movement are first rewritten by `--qc-nn-promote-half` (an nn pass) into the
    f32 op with its result rounded once, which is what they mean; casts
    between float types round once, to nearest even (f64 to f16 / bf16 goes
    through f32 rounded to odd, which makes the second rounding exact). Unsigned integers must first be
    made signless by `--qc-nn-signless`, whose marks select the unsigned
    operations (`divui`, `cmpi ult` / `ugt`, `uitofp`, `extui`, saturation
    to [0, 2^w - 1]). An op this pass cannot lower (dynamic
    shapes, other element types) gets an error naming the op and the
    reason; the module is left unchanged.

    Example:
    ```mlir
    %y = nn.add %a, %b : tensor<2x8xf32>, tensor<8xf32>
    ```
    becomes
    ```mlir
    %e = tensor.empty() : tensor<2x8xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%a, %b : tensor<2x8xf32>, tensor<8xf32>) outs(%e : tensor<2x8xf32>) {
    ^bb0(%x: f32, %z: f32, %o: f32):
      %s = arith.addf %x, %z : f32
      linalg.yield %s : f32
    } -> tensor<2x8xf32>
    ```
  }];
  let options = [
    Option<"floatKernel", "float-kernel", "std::string", "\"auto\"",
           "Kernel of f32 matmuls (by constant weights, or of two run-time operands of at least 32768 multiply-adds): auto (avx512 on "
           "AVX-512 hosts, else avx2 on AVX2 hosts, else generic), avx512 "
           "(the packed 12 x 32 register-blocked kernel, bit-exact), "
           "avx512-fma (the same with one FMA per term: faster, last bits "
           "differ), avx2 / avx2-fma (the 6 x 16 AVX2 kernel, likewise) or "
           "generic (the m, k, n loops)">,
    Option<"int8Kernel", "int8-kernel", "std::string", /*default=*/"\"auto\"",
           "Kernel of nn.matmul_integer by a constant int8 weight with zero "
           "point 0 (onnxruntime's dynamic and QOperator quantization): "
           "auto, vnni512, avx2 or generic, as qc-convert-qc-to-linalg's">,
    Option<"targetCPU", "target-cpu", "std::string", /*default=*/"\"\"",
           "The x86 CPU (an LLVM CPU name, e.g. sapphirerapids or znver4) "
           "whose features `auto` picks the kernel by; empty: the host">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def ConvertNNToSignless : Pass<"qc-nn-signless", "::mlir::ModuleOp"> {
  let summary = "Retype unsigned integer tensors as signless ones, marking "
                "the nn ops whose meaning depends on the sign.";
  let description = [{
    arith, and with it the whole CPU lowering, computes on signless
    integers: signedness is a property of the operation (`arith.divui` /
    `divsi`, `cmpi ult` / `slt`, `uitofp` / `sitofp`, `extui` / `extsi`),
    not of the type. This pass (the first of `--qc-lower-to-cpu`) retypes
    every unsigned integer tensor of the module — function signatures,
    block arguments, results, constants and `nn.cast` targets — to the
    signless type of the same width, which keeps the bits and the calling
    convention. On the nn ops whose result depends on the sign (`nn.div`,
    `nn.max`, `nn.min`, `nn.sign`,
    `nn.less`, `nn.greater`, `nn.cast`, `nn.abs`, `nn.relu`)
    it records which operands and results were unsigned in the boolean
    arrays `qc.unsigned_operands` and `qc.unsigned_results`, which
    `--qc-convert-nn-to-linalg` reads. Wrapping `nn.add` / `nn.sub` /
    `nn.mul`, `nn.neg`, `nn.equal`, `nn.where` and data movement are only
    retyped. Any other nn op on unsigned integers (reductions, contractions,
    integer `nn.pow`) is an error naming the op; the module is then left
    unchanged.

    Example:
    ```mlir
    %y = nn.div %a, %b : tensor<4xui8>, tensor<4xui8>
    ```
    becomes
    ```mlir
    %y = nn.div %a, %b {qc.unsigned_operands = array<i1: true, true>,
                        qc.unsigned_results = array<i1: true>}
        : tensor<4xi8>, tensor<4xi8>
    ```
    which lowers to `arith.divui`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ConvertQCToLinalg : Pass<"qc-convert-qc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower qc ops to linalg on storage tensors (integer, fixed-point, minifloat, MX and NVFP4 formats).";
  let description = [{
    Quantized tensors become their storage tensors (one signless integer of
    the format's width per element) and:

    - `qc.constant` becomes an `arith.constant` of the codes;
    - `qc.dequantize` becomes fl32(fl32(q - zp) * s) in one `linalg.generic`
      whose indexing maps pick the scale (and zero point) of each element's
      group (per tensor, per axis, per block);
    - `qc.quantize` and `qc.fake_quant` compute fl32(x / s), round half to
      even (`math.roundeven`), add the zero point and saturate, exactly as
      the numerics library; `qc.fake_quant` dequantizes in the same body;
    - `qc.compute_scales` (f32 scales, symmetric or asymmetric) reduces the
      absolute maximum (or min and max) per group and applies the rules of
      the op;
    - `qc.rotate` by a (block) Hadamard rotation becomes the fast
      Walsh-Hadamard transform in f64 (rounded to f32 once, as the
      interpreter): the random signs, log2(2^m) butterfly stages of one
      `linalg.generic` each (partner element i xor h) and one K x K stage
      for non-power-of-two orders, O(n log n + nK); other rotations
      (permutations, dense orthogonal, transposes of sequences) become a
      contraction with their matrix in f64.

    Element formats: integers up to 16 bits, saturating fixed point up to 8
    bits (MXINT8), and minifloats up to 8 bits with a zero, a sign and
    subnormals (FP8, FP6, FP4: encoded with the bit-level algorithm of
    `num::Float32Encoder`, decoded through a constant table of the format's
    values). Scales: f32, or minifloat codes decoded by table (E8M0 for MX,
    E4M3 with a global f32 scale for NVFP4). `qc.compute_scales` covers
    f32 symmetric, E8M0 and two-level scales. Quantized function arguments
    and results pass their codes. Everything is bit-exact with the
    interpreter. `qc.requantize` is the dequantize generic followed by the
    quantize generic (f32 scales on both sides, fused into one loop). What
    has no lowering yet (wider formats, wrapping fixed point,
    non-nearest-even rounding, asymmetric dynamic scales) gets an error
    naming the op and the format.

    `qc.linear` (integer codes, wrapping P-bit accumulator) becomes a
    contraction over the codes. With `int8-kernel=vnni512` (the default
    `auto` picks it on hosts with AVX-512 VNNI), a linear with 8-bit
    activations, constant signed weights of at most 8 bits and an i32
    accumulator instead packs the weights at compile time into the layout
    of the `vpdpbusd` kernel (16 columns x 4 K bytes per 64-byte load),
    folds the column sums that undo the u8 offset of signed activations
    and the zero point into the accumulator's initial value, and emits a
    `linalg.generic` on the packed operands tagged `qc.x86_kernel =
    "u8s8_vnni512"`, which `--qc-x86-lower-int8-kernels` turns into the
    register-blocked kernel after bufferization. `int8-kernel=avx2` (what
    `auto` picks on AVX2 hosts without VNNI) does the same for the
    `vpmaddwd` kernel: pairs of K values, both operands widened to 16 bits
    when packed (tag "u8s8_avx2"). An explicit `vnni512` or `avx2` makes
    a `qc.linear` the kernel cannot run an error naming its types.
  }];
  let options = [
    Option<"int8Kernel", "int8-kernel", "std::string", /*default=*/"\"auto\"",
           "Kernel of 8-bit qc.linear with i32 accumulators: auto (vnni512 "
           "when the host has AVX-512 VNNI, else avx2 on AVX2 hosts, else "
           "generic), vnni512, avx2 or generic">,
    Option<"targetCPU", "target-cpu", "std::string", /*default=*/"\"\"",
           "The x86 CPU (an LLVM CPU name, e.g. sapphirerapids or znver4) "
           "whose features `auto` picks the kernel by; empty: the host">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def X86LowerInt8Kernels
    : Pass<"qc-x86-lower-int8-kernels", "::mlir::ModuleOp"> {
  let summary = "Lower tagged packed int8 GEMMs to the AVX-512 VNNI or AVX2 kernel.";
  let description = [{
    Runs after bufferization. Every `linalg.generic` tagged `qc.x86_kernel =
    "u8s8_vnni512"` (acc[m, n] += u8(A[m, k]) * s8(Bp[n / 32, k / 4,
    (n % 32) * 4 + k % 4]) on memrefs, built by `qc-convert-qc-to-linalg`)
    becomes a loop nest blocked for the caches (K blocks of 1 KiB, row
    blocks of 96, column panels of 32) around a micro-kernel that holds a
    12 x 32 tile of s32 accumulators in 24 zmm registers and, per 4 values
    of K, loads two 64-byte weight vectors, broadcasts 4 activation bytes
    per row and issues 24 `llvm.x86.avx512.vpdpbusd.512`. The result is
    exact (wrapping 32-bit sums, as qc.linear specifies). Needs a target
    with AVX-512 F/BW and VNNI. Generics tagged "u8s8_avx2" (16-bit
    packed operands, pairs of K) get the same loop nest around a 6 x 16
    tile in 12 ymm registers: per pair of K values 12
    `llvm.x86.avx2.pmadd.wd` and 12 adds; they need AVX2. Generics tagged
    "f32_avx512" (f32 operands, one K value per lane, built by
    `qc-convert-nn-to-linalg`) get the 12 x 32 nest with 24 `arith.mulf`
    and 24 `arith.addf` per K value (no FMA: the interpreter's rounding);
    "f32_avx512_fma" ones (`float-kernel=avx512-fma`) 24 `math.fma`;
    "f32_avx2" / "f32_avx2_fma" ones the 6 x 16 nest on ymm registers (12
    multiplies and adds, or 12 FMAs, per K value).
    In every nest the first two tiles of a row block (the tile of the
    remaining rows counting after the full ones) prefetch the next block
    of packed weights into L2.

    With `threads=N` (N > 1) the column panels are split into N
    contiguous ranges by one `scf.parallel` around the whole loop nest
    (one parallel region per GEMM, each thread walking every row block
    over its own panels); `--qc-lower-to-cpu` passes its thread count.

    The activation packing of the byte kernels (generics tagged
    "pack_u8" / "pack_s8") becomes 4-byte moves into the row tiles, split
    into contiguous ranges of tiles over the threads.

    Each loop nest lives in a private function named after the kernel and
    its operand shapes (`__qc_u8s8_vnni512_<Ap>_<Bp>_<corr>_<C>_t<N>`),
    called where the generic was: GEMMs of the same shapes (the layers of a
    decoder) share one copy, so the JIT compiles the nest once per shape.

    Example: `quant-opt m.mlir --qc-lower-to-cpu="int8-kernel=vnni512"`
    runs it; `test/Conversion/x86-vnni.mlir` checks the assembly.
  }];
  let options = [
    Option<"threads", "threads", "unsigned", "1",
           "Threads the column panels are split between (one parallel "
           "loop around the nest)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def X86FuseWeightOnly : Pass<"qc-x86-fuse-weight-only", "::mlir::ModuleOp"> {
  let summary = "4-bit weight-only matmuls on packed codes (int4, FP4, MXFP4).";
  let description = [{
    Rewrites `nn.matmul(x, qc.dequantize(W, s))` whose weight W [K, N] is
    a 4-bit format (signed int4 with f32 scales per tensor, per column or
    per block along K; FP4 with f32 or E8M0 scales, i.e. MXFP4), held by a
    `qc.constant` (packed two codes per byte here, at compile time) or a
    `qc.unpack` (its bytes as given), with N a multiple of 32, into one
    `linalg.generic` over x, the packed bytes [K, N/2] and the scales
    [G, N], tagged `qc.x86_kernel = "w4_f32_avx512"` (`kernel=avx2`:
    "w4_f32_avx2"):

      y[m, n] = sum over k in order of fl32(x[m, k] * fl32(v(code) * s))

    exactly the interpreter's arithmetic for the two ops (the vector kernel
    then reassociates it, see below). Integer codes with zero points:
    one value z for all (onnxruntime's MatMulNBits: unsigned codes, z = 8)
    becomes the value table code - z (constant unsigned codes with z = 8
    are packed as code ^ 8, the kernel's int4 form); constant zero points
    that differ (with constant f32 scales) run the kernel on code - 8 and
    subtract the sums of x over each group of K times fl32(s * (z - 8)),
    an f32 nn.matmul by a [K / group, N] constant. Other matmuls are
    left alone (they take the generic lowering, which dequantizes inside
    the contraction). `kernel=auto` applies the AVX-512 kernel on hosts
    with AVX-512, else the AVX2 one on hosts with AVX2 and FMA.
    `--qc-x86-lower-weight-only-kernels` lowers the tagged op.

    When x is itself `qc.fake_quant` to int8 per block of K with scales
    that `qc.compute_scales` takes from x (symmetric), marked with the unit
    attribute `qc.integer_dot` (the importer marks onnxruntime's MatMulNBits
    at accuracy_level 4, whose int8 compute is defined that way; the PTQ
    pipeline's simulated quantization stays on the f32 kernels, bit-exact
    with the interpreter for prompts), and the weight is constant int4 /
    uint4 codes (uniform or constant per-block zero points) with constant
    f32 scales, the matmul instead becomes the int8 kernel on x's codes
    (with AVX2, N a multiple of 8, any number of rows; the integer sums run
    over the smaller of x's blocks and the weight's scale groups, one a
    multiple of the other and of 32): `qc.quantize` + `qc.codes` of
    x, and a generic tagged "w4a8_avx2" on the codes, their scales, the
    weight's unsigned codes repacked at compile time as [N / 8, K / 8, 32]
    bytes (each 32-bit lane: 4 rows of K of one column in the low nibbles,
    the next 4 in the high), its scales as [N / 8, K / B, 8] and, where
    they differ, its zero points in the same layout:

      y[m, n] = sum over blocks b of fl32(sa[m, b] * s[b, n]) *
                (sum over k in b of q[m, k] * (u[k, n] - z[b, n]))

    with exact integer sums (the last bits of the f32 sums differ from the
    interpreter's fake-quantize-dequantize-matmul).

    Example:
    ```mlir
    %w = qc.unpack %bytes : tensor<4096x2048xi8> -> !qc.qtensor<4096x4096, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>
    %d = qc.dequantize %w, %s : (!qc.qtensor<4096x4096, #qc.int<4>, #qc.scheme<per_axis, axis = 1>>, tensor<4096xf32>) -> tensor<4096x4096xf32>
    %y = nn.matmul %x, %d : tensor<1x4096xf32>, tensor<4096x4096xf32>
    ```
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"auto\"",
           "auto (avx512 when the host has AVX-512, else avx2 with AVX2 "
           "and FMA), avx512, avx2 or generic (leave the matmuls alone); "
           "auto-fma, avx512-fma, avx2-fma: the same with fused "
           "multiply-adds in the panel path for 6+ rows of x (faster, not "
           "bit-exact)">,
    Option<"targetCPU", "target-cpu", "std::string", /*default=*/"\"\"",
           "The x86 CPU (an LLVM CPU name, e.g. sapphirerapids or znver4) "
           "whose features `auto` picks the kernel by; empty: the host">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def X86LowerWeightOnlyKernels
    : Pass<"qc-x86-lower-weight-only-kernels", "::mlir::func::FuncOp"> {
  let summary = "Lower tagged 4-bit weight-only matmuls to AVX-512 or AVX2 code.";
  let description = [{
    Runs after bufferization. From 6 rows of x on (prompts), every tagged
    generic becomes a panel product: x is packed into [K / kb, M, kb]
    (kb = 32 rows of K where K allows); per block of up to 128 rows of x,
    panel of 128 columns (64 or 32 where N needs; threads take halves of
    the panels) and block of kb rows of K, the weights fl32(value * scale)
    are decoded once into a scratch panel, then each 2 x 32 tile of a
    per-thread accumulator [rows, 128] takes a rounded multiply and a
    rounded add per product in order of k (copied into y after the last
    block of K): the interpreter's arithmetic, bit for bit. Below 6 rows, every `linalg.generic` tagged `qc.x86_kernel
    = "w4_f32_avx512"` becomes, per row of x, a parallel loop over 2
    ranges of K (threads take whole ranges; their results are added at the
    end) that streams the packed codes row by row: 16 bytes hold 32
    codes, widened (vpmovzxbd), split into low and high nibbles (vpsrld)
    and decoded with a 16-entry `vpermps` table lookup
    (`llvm.x86.avx512.permvar.sf.512`). Per block of K rows (32, or the
    scale group) and block of 8 x 32 columns, x[m, k] * value accumulates
    with FMAs into partial sums held in registers, which are then scaled
    once per column into a scratch accumulator row: acc += partial * s
    (scales decoded once per group: E8M0 by exponent bits, E4M3 by bit
    moves times NVFP4's global scale). The accumulator row is in even/odd
    column order and interleaved into y at the end. Because the scale is
    applied per block rather than per weight, results differ from the
    interpreter's in the last bits (within 1e-5 relative L2 in the tests).
    Needs AVX-512 F. Generics tagged "w4_f32_avx2" get the same loops on
    AVX2 + FMA with 2 chunks of 32 columns (32 bytes of codes per row) per
    block, decoded without widening the bytes: int4 codes in place in each
    dword (shifted to the top, the bits below masked, converted: the code
    times 2^28; the block's sums are multiplied by 2^-28, exactly); tables
    whose values are exact in bfloat16 (FP4) by two 16-entry byte lookups
    per nibble (`llvm.x86.avx2.pshuf.b`) of the value's upper 16 bits,
    interleaved and shifted or masked into f32s. These two keep their
    accumulator rows in the order the decode leaves the columns in: the
    scales are gathered into that order per block (E8M0 / E4M3 codes by
    one byte shuffle per 8 columns, int4's f32 scales by an 8 x 8
    transpose), and the columns are put in order once, into y. A last odd
    chunk, and other tables, take 16 bytes at a time as on AVX-512 with
    8-lane permutes: int4 sign-extended, FP4 one permute of the magnitudes
    (`llvm.x86.avx2.permps`) with bit 3 as the sign, other tables both
    8-entry halves and a blend on bit 3. The partial sums of every decode
    are the same, term by term.

    Generics tagged "w4a8_avx2" (int4 weights times int8 activations per
    block of K) become, per range of 8-column groups (threads take
    halves) and tile of 3 rows of x: per 32 rows of K, four 32-byte loads
    of codes, each split once into low and high nibbles (vpand; vpsrlw 4,
    vpand) and multiplied with each row's 4 activation codes broadcast to
    every lane by `llvm.x86.avx2.pmadd.ub.sw` (unsigned 4-bit codes times
    signed int8 codes: eight pairs of products stay within 16 bits), then
    `llvm.x86.avx2.pmadd.wd` by ones into 32-bit sums; per block the sums
    minus the zero point times the block's code sum (computed per row
    first) are converted and accumulated with one FMA by fl32(s_w * s_x).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def OutlineLoopNests : Pass<"qc-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Move each top-level loop nest into a shared private function.";
  let description = [{
    Runs on loops (after `convert-linalg-to-loops`, before the lowering to
    LLVM). Every `scf.for`, `scf.parallel` or `scf.forall` without results
    directly in the body of a function (not one of the `__qc_` functions
    made by this or other passes) becomes a call to a private,
    internal-linkage, `no_inline` function `__qc_loop_nest_<i>` that holds
    it. The values the nest uses from outside become the function's
    arguments, in order of first use, except operand-free constants
    (`arith.constant`), which are copied in.

    Nests that are the same up to those arguments (the same ops, types,
    attributes and constants: the layers of a decoder, whose weights and
    buffers are arguments) share one function.

    In `main` LLVM knew that distinct allocations and globals do not
    overlap; as arguments they might. Each memref argument is traced
    through view ops to its base buffer: an allocation or a global, one of
    the enclosing function's arguments (the caller's buffers, which may
    overlap each other but not the allocations), or anything else (then
    nothing is marked for the nest). An argument whose base no other
    argument has, and that is an allocation or a global or the only one of
    the caller's buffers among the bases, has its pointers listed in
    `qc.noalias_args` (positions among the LLVM arguments the function's
    arguments expand to); `qc-apply-noalias-args`, after func-to-llvm,
    marks them `llvm.noalias`. Views of one buffer and two of the caller's
    buffers stay unmarked.

    Why: LLVM optimizes and compiles a function in time that grows faster
    than its size (scalar evolution and dominator queries walk the chain of
    blocks before each loop), and a model lowered to one `main` with
    hundreds of loop nests spent most of its JIT time there. Shared nests
    are compiled once. A call per nest costs a few nanoseconds; the nests
    cannot be inlined back (`no_inline`), which would undo both gains.

    Example: `quant-opt m.mlir --qc-lower-to-cpu` runs it;
    `test/Conversion/outline-loop-nests.mlir`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def GPUMapParallelLoops
    : Pass<"qc-gpu-map-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Tile and map the top-level loops of a function to GPU blocks and threads.";
  let description = [{
    Runs on bufferized functions (linalg on memrefs), before
    `convert-parallel-loops-to-gpu`, which turns each mapped `scf.parallel`
    into a `gpu.launch`. Everything in the function body that touches
    memory ends up in a mapped loop, so that after the launch conversion
    the host code only allocates, views and launches:

    - each linalg op is generalized, its parallel dimensions interchanged
      to the front (the reductions after them, in their order) and lowered
      to an `scf.parallel` over them around `scf.for` loops over the
      reductions (`linalg::linalgOpToParallelLoops`); `scf.parallel` loops
      nested in a mapped loop become `scf.for` loops;
    - a top-level `scf.parallel` without reductions is tiled
      (`scf::tileParallelLoop`, constant inner bounds guarded by an
      `scf.if`). Its last dimension, contiguous in memory, goes to
      `block_x` / `thread_x` so that a warp's loads coalesce; the one
      before to `y`, the one before that to `z`; the tile gives `x` up to
      `block-size` threads and the remaining factor to `y` and `z`.
      Further leading dimensions, and a `y` / `z` dimension whose block
      count would exceed CUDA's 65535, stay sequential loops inside each
      thread. The reduction loops `linalg` made (`scf.for` inside) stay
      inside each thread, in their order: every element is computed by one
      thread in the interpreter's order, so f32 results match it bit for
      bit where the operations are the same (no reassociation, no
      contraction into FMAs unless the IR has them);
    - a top-level `memref.copy` becomes a mapped element-wise loop nest;
    - any other run of top-level ops that reads or writes memory (an
      `scf.for` nest over a reduction to a scalar, a `memref.store` of a
      scalar) is wrapped in a one-iteration `scf.parallel`, one thread.
      Ops whose results are used after the run cannot be moved into a
      kernel: an error names them.

    Example: `quant-opt m.mlir --qc-lower-to-gpu` runs it;
    `test/Conversion/GPU/gpu-map-parallel-loops.mlir`.
  }];
  let options = [
    Option<"blockSize", "block-size", "unsigned", /*default=*/"256",
           "Threads per block (a power of two from 32 to 1024)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def GPUHostMemory : Pass<"qc-gpu-host-memory", "::mlir::ModuleOp"> {
  let summary = "Put a GPU module's buffers in device memory.";
  let description = [{
    Runs after `convert-parallel-loops-to-gpu`, before kernel outlining,
    on functions whose memory accesses are all inside `gpu.launch` ops
    (what `--qc-gpu-map-parallel-loops` makes):

    - `memref.alloc` / `memref.dealloc` in host code become `gpu.alloc` /
      `gpu.dealloc`;
    - a `memref.get_global` (a constant: weights, tables) used by a launch,
      with the views of it the launch uses, is cloned into the launch, so
      the outlined kernel refers to a global of the GPU module (device
      memory, loaded once with the module) instead of a host address;
    - with `host-buffers` (the default), each public function copies its
      memref arguments into device buffers on entry (`gpu.memcpy`) and the
      outputs (the arguments from `qc.gpu.num_inputs` on, the
      out-parameters bufferization appended) back before it returns, so
      its C entry point takes host arrays like the CPU target's.

    A memory access left in host code is an error naming it.

    Example: `test/Conversion/GPU/gpu-host-memory.mlir`.
  }];
  let options = [
    Option<"hostBuffers", "host-buffers", "bool", /*default=*/"true",
           "Copy the arguments to device memory and the outputs back in "
           "each call (off: the arguments are device buffers)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

def GPUMergeKernelModules
    : Pass<"qc-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Put all outlined kernels in one gpu.module.";
  let description = [{
    `gpu-kernel-outlining` makes a `gpu.module` per launch, each with its
    own copy of the globals its kernel uses. This pass moves every kernel
    into the first module (renamed after its original module, which is
    unique), keeps one copy of each global and function, and updates the
    `gpu.launch_func` ops. The result compiles to one PTX module: one
    `ptxas` run checks all kernels, and the runtime loads the module (and
    its constants) once.

    Example: `test/Conversion/GPU/gpu-merge-kernel-modules.mlir`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPULaunchToLoops : Pass<"qc-gpu-launch-to-loops", "::mlir::ModuleOp"> {
  let summary = "Run gpu.launch grids as loops on the host (GPU emulation).";
  let description = [{
    Each `gpu.launch` becomes a loop nest over its grid (z, y, x) and
    block (z, y, x) around its body, with the block and thread ids the loop
    indices: every thread of the grid runs in turn on the CPU. This is
    exact for kernels without barriers, shared memory or atomics, which is
    all `--qc-gpu-map-parallel-loops` produces (an op of that kind is an
    error). `--qc-lower-to-gpu="emulate=true"` uses it to check the GPU
    mapping against the interpreter on a machine without a GPU
    (`quant-run --target=gpu-emulated`).

    Example: `test/Conversion/GPU/gpu-launch-to-loops.mlir`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QC_CONVERSION_PASSES_TD

//===- LowerWeightOnlyKernels.cpp - The 4-bit weight-only kernel ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Replaces each bufferized linalg.generic tagged `qc.x86_kernel =
// "w4_f32_avx512"` (built by --qc-x86-fuse-weight-only) with AVX-512 code
// ("w4_f32_avx2": the same loops on AVX2, see lookup):
//
//   parallel for p in 2 ranges of K blocks (threads take whole ranges;
//   each streams a contiguous half of the codes)
//     for each block of kb K rows (32, or the scale group):
//       for each block of 8 chunks of 32 columns (16 partial sums in zmm
//       registers, zeroed):
//         for k in the K block:
//           per chunk: 16 bytes of codes -> vpmovzxbd -> low / high
//           nibbles (vpsrld) -> vpermps with the 16-entry value table (the
//           nibble is the index) -> partial = fma(x[m, k], value, partial)
//         acc_p = fma(partial, scale, acc_p) per column (scales decoded
//         once: E8M0 from the exponent field, E4M3 by bit moves, times
//         NVFP4's global scale)
//   y = acc_0 + acc_1
//
// A byte holds the codes of columns 2j and 2j + 1, so each chunk has an
// "even" and an "odd" half; the accumulator row of a range lives in a
// scratch row in that split order and is interleaved into y at the end.
// (AVX2's pair decodes keep theirs in the order they decode into and
// gather the scales into it instead, see nativePairs.)
// Each row reads 128 contiguous bytes per column block; while it does, the
// same row's bytes of the next column block are prefetched. The f32
// weights and partial sums exist only in registers. Summing
// x * value over a block before scaling (and FMAs) is not the interpreter's
// order: results differ in the last bits (tests bound them by 1e-5 rel. L2).
//
// From kPanelRows rows of x on (a prompt), `panels` decodes each block of
// weights once instead, into a scratch panel of fl32(value * scale), and
// multiplies every row by it with a rounded multiply and add per product
// in order of k: bit-exact with the interpreter. x is packed per K block
// first and the sums kept in a contiguous per-thread buffer, so neither
// x's nor y's rows (K or N floats apart) collide in the caches' sets.
//
// AVX2 (16 ymm registers) takes 2 chunks per column block, 32 bytes of a
// row in one load, and avoids the byte widening and lane-crossing
// permutes where it can (a Zen 3 core has two shuffle / shift pipes, one
// of them shared with FMAs): int4 codes are decoded in place in each
// dword (int4Rows), tables exact in bfloat16 (FP4) by in-lane byte
// lookups (bf16Rows); a last odd chunk and other tables use the 16-lane
// loop above with 8-lane permutes (lookup). Each decode gives the same
// partial sums.
//
//===----------------------------------------------------------------------===//

#include "Int8Kernels.h"
#include "KernelUtils.h"
#include "WeightOnly.h"
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_X86LOWERWEIGHTONLYKERNELS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::x86;

namespace {

/// Ranges of K blocks of the parallel loop (threads take whole ranges; one
/// per core of this 2-core machine). Splitting K rather than the columns
/// keeps each thread's codes one contiguous stream.
constexpr int64_t kRanges = 2;
/// 32-column chunks per column block: their partial sums stay in 16 zmm
/// registers over a K block.
constexpr int64_t kChunks = 8;
/// The same for the AVX2 kernel (16 ymm registers).
constexpr int64_t kChunksAVX2 = 2;
/// How far ahead along a row the codes are prefetched, at least.
constexpr int64_t kPrefetchBytes = 128;
/// From this many rows of x on, the kernel decodes each block of weights
/// once into a panel and multiplies all rows by it (panels) instead of
/// decoding the weights once per row.
constexpr int64_t kPanelRows = 6;
/// Rows of x per register tile of the panel product: 2 rows x 32 columns
/// are 8 accumulators, plus the two rows' x, a panel vector and the
/// product's temporary in the 16 ymm registers (3 rows spilled: the
/// separately rounded multiply and add need the temporary). Measured on
/// Zen 3 at 64 rows of 4096 x 4096 (bench/matmulnbits.py): 67 GFLOP/s;
/// with FMAs instead (not bit-exact) 3 x 32 reached 72-76, 2 x 32 70,
/// 4 x 16 66 and 6 x 16 36.
constexpr int64_t kTileRows = 2;
/// Rows of x per block of the panel path: its per-thread accumulator
/// (kRowBlock x 128 f32, 64 KiB) and the K block of x it reads (16 KiB at
/// 32 rows of K) stay within the second-level cache.
constexpr int64_t kRowBlock = 128;

struct WeightOnlyBuilder {
  OpBuilder &b;
  Location loc;
  // [M, K] f32, [K, N/2] i8, [G, N] f32 | i8, [M, N] f32.
  Value x = {}, w = {}, s = {}, y = {};
  Value global = {}; // NVFP4: the 0-d f32 global scale
  int64_t m = 0, k = 0, n = 0, group = 0;
  StringRef scaleKind = {}; // f32, e8m0 or e4m3
  DenseElementsAttr table = {};
  bool avx2 = false; // the AVX2 variant (kWeightOnlyKernelAVX2)
  bool fma = false;  // the panel path with fused multiply-adds (kW4FmaAttr)
  /// How the AVX2 variant decodes a code (see lookup).
  enum class Decode { Int4, SignMagnitude, Table } decode = Decode::Table;
  /// AVX2: every table value is exact in bfloat16 (the low 16 bits of its
  /// f32 are zero; int4, uint4 and FP4 are), so 32 bytes of codes per row
  /// decode by byte lookups (see bf16Rows); `bf16Lo` / `bf16Hi` are bits
  /// 16-23 / 24-31 of each entry, in both 128-bit lanes.
  bool bf16Bytes = false;
  Value bf16Lo = {}, bf16Hi = {};
  VectorType v16f32 = {}, v32f32 = {}, v16i8 = {}, v32i8 = {}, v16i32 = {};
  Value globalVector = {};      // the global scale in every lane
  Value tblLo = {}, tblHi = {}; // AVX2: table entries 0-7 and 8-15
  Value xPacked = {};           // the panel path's packed x (packX)

  Value idx(OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIndexOp>(loc, v);
  }
  Value i32v(OpBuilder &ob, int32_t v) {
    return ob.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(v16i32, ob.getI32IntegerAttr(v)));
  }
  void forLoop(OpBuilder &ob, Value lo, Value hi, Value step,
               llvm::function_ref<void(OpBuilder &, Value)> body) {
    qc::x86::forLoop(ob, loc, lo, hi, step, body);
  }

  /// Range p of kRanges over `count` items: [p * count / kRanges,
  /// (p + 1) * count / kRanges).
  std::pair<Value, Value> rangeOf(OpBuilder &ob, Value p, int64_t count) {
    auto at = [&](Value q) -> Value {
      return ob.create<arith::DivUIOp>(
          loc, ob.create<arith::MulIOp>(loc, q, idx(ob, count)),
          idx(ob, kRanges));
    };
    return {at(p), at(ob.create<arith::AddIOp>(loc, p, idx(ob, 1)))};
  }

  /// Even / odd halves of 32 consecutive elements.
  std::pair<Value, Value> split(OpBuilder &ob, Value v32) {
    SmallVector<int64_t> even, odd;
    for (int64_t i = 0; i < 16; ++i) {
      even.push_back(2 * i);
      odd.push_back(2 * i + 1);
    }
    Value e = ob.create<vector::ShuffleOp>(loc, v32, v32, even);
    Value o = ob.create<vector::ShuffleOp>(loc, v32, v32, odd);
    return {e, o};
  }

  /// Scales of columns [col, col + 32) of group g as f32, split.
  std::pair<Value, Value> scales(OpBuilder &ob, Value g, Value col) {
    if (scaleKind == "f32")
      return split(
          ob, ob.create<vector::LoadOp>(loc, v32f32, s, ValueRange{g, col}));
    auto [ce, co] =
        split(ob, ob.create<vector::LoadOp>(loc, v32i8, s, ValueRange{g, col}));
    return {decodeScales(ob, ob.create<arith::ExtUIOp>(loc, v16i32, ce)),
            decodeScales(ob, ob.create<arith::ExtUIOp>(loc, v16i32, co))};
  }

  /// The f32 scales of zero-extended one-byte scale codes (a vector of 16
  /// or 8 i32): E8M0, or E4M3 times NVFP4's global scale.
  Value decodeScales(OpBuilder &ob, Value codes) {
    if (scaleKind == "e8m0")
      return decodeE8M0(ob, loc, codes);
    int64_t lanes = llvm::cast<VectorType>(codes.getType()).getDimSize(0);
    Value global = globalVector;
    if (lanes != 16)
      global = ob.create<vector::ExtractStridedSliceOp>(
          loc, globalVector, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{lanes},
          ArrayRef<int64_t>{1});
    return ob.create<arith::MulFOp>(loc, decodeE4M3(ob, loc, codes), global);
  }

  void build() {
    Type f32 = b.getF32Type();
    v16f32 = VectorType::get({16}, f32);
    v32f32 = VectorType::get({32}, f32);
    v16i8 = VectorType::get({16}, b.getI8Type());
    v32i8 = VectorType::get({32}, b.getI8Type());
    v16i32 = VectorType::get({16}, b.getI32Type());
    int64_t chunks = n / 32;
    // Scratch: one accumulator row per range, in split order.
    auto scratchType = MemRefType::get({kRanges * n}, f32);
    Value acc = b.create<memref::AllocOp>(loc, scratchType);
    Value tbl = b.create<arith::ConstantOp>(loc, table.reshape(v16f32));
    if (avx2) { // its two halves, one ymm register each
      auto values = llvm::to_vector(table.getValues<float>());
      auto bits = [&](int64_t e) {
        return llvm::bit_cast<uint32_t>(values[size_t(e)]);
      };
      bool int4 = true, signMagnitude = true;
      for (int64_t e = 0; e < 16; ++e)
        int4 &= values[size_t(e)] == float(e < 8 ? e : e - 16);
      for (int64_t e = 0; e < 8; ++e)
        signMagnitude &= bits(e + 8) == (bits(e) ^ 0x80000000u);
      decode = int4            ? Decode::Int4
               : signMagnitude ? Decode::SignMagnitude
                               : Decode::Table;
      bf16Bytes = llvm::all_of(llvm::seq<int64_t>(0, 16), [&](int64_t e) {
        return (bits(e) & 0xffffu) == 0;
      });
      if (bf16Bytes) {
        SmallVector<int8_t> lo, hi;
        for (int64_t e = 0; e < 32; ++e) {
          lo.push_back(int8_t(bits(e % 16) >> 16));
          hi.push_back(int8_t(bits(e % 16) >> 24));
        }
        bf16Lo = b.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(v32i8, ArrayRef(lo)));
        bf16Hi = b.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(v32i8, ArrayRef(hi)));
      }
      auto v8f32 = VectorType::get({8}, f32);
      tblLo = b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v8f32, ArrayRef(values).take_front(8)));
      tblHi = b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v8f32, ArrayRef(values).drop_front(8)));
    }
    if (global)
      globalVector = b.create<vector::BroadcastOp>(
          loc, v16f32, b.create<memref::LoadOp>(loc, global, ValueRange{}));
    if (m >= kPanelRows) {
      b.create<memref::DeallocOp>(loc, acc);
      panels(tbl);
      return;
    }
    Value zero = idx(b, 0), one = idx(b, 1);
    int64_t blocks = k / blockRows();
    forLoop(b, zero, idx(b, m), one, [&](OpBuilder &bm, Value row) {
      bm.create<scf::ParallelOp>(
          loc, ValueRange{zero}, ValueRange{idx(bm, kRanges)}, ValueRange{one},
          [&](OpBuilder &bp, Location, ValueRange ivs) {
            Value p = ivs[0];
            auto [b0, b1] = rangeOf(bp, p, blocks);
            Value base = bp.create<arith::MulIOp>(loc, p, idx(bp, n));
            range(bp, row, b0, b1, base, tbl, acc);
          });
      // y = sum over ranges of acc, per 64 columns of native order
      // (nativeColumn) and per 32 columns of split order (interleaved).
      int64_t nativeBlocks = nativePairs() ? chunks / 2 : 0;
      if (nativeBlocks)
        forLoop(
            bm, zero, idx(bm, nativeBlocks), one, [&](OpBuilder &cb, Value j) {
              Value cc = cb.create<arith::MulIOp>(loc, j, idx(cb, 64));
              auto v8f32 = VectorType::get({8}, f32);
              SmallVector<Value> sums(8);
              for (int64_t q = 0; q < kRanges; ++q)
                for (int64_t a = 0; a < 8; ++a) {
                  Value at =
                      cb.create<arith::AddIOp>(loc, cc, idx(cb, q * n + 8 * a));
                  Value v = cb.create<vector::LoadOp>(loc, v8f32, acc,
                                                      ValueRange{at});
                  sums[size_t(a)] =
                      q ? cb.create<arith::AddFOp>(loc, sums[size_t(a)], v)
                              .getResult()
                        : v;
                }
              SmallVector<int64_t> mask(64, -1);
              for (int64_t a = 0; a < 8; ++a)
                for (int64_t lane = 0; lane < 8; ++lane)
                  mask[size_t(nativeColumn(a, lane))] = 8 * a + lane;
              Value all = concat(cb, sums);
              cb.create<vector::StoreOp>(
                  loc, cb.create<vector::ShuffleOp>(loc, all, all, mask), y,
                  ValueRange{row, cc});
            });
      forLoop(
          bm, idx(bm, 2 * nativeBlocks), idx(bm, chunks), one,
          [&](OpBuilder &cb, Value c) {
            Value cc = cb.create<arith::MulIOp>(loc, c, idx(cb, 32));
            Value cc16 = cb.create<arith::AddIOp>(loc, cc, idx(cb, 16));
            Value e, o;
            for (int64_t q = 0; q < kRanges; ++q) {
              Value at = cb.create<arith::AddIOp>(loc, cc, idx(cb, q * n));
              Value at16 = cb.create<arith::AddIOp>(loc, cc16, idx(cb, q * n));
              Value eq =
                  cb.create<vector::LoadOp>(loc, v16f32, acc, ValueRange{at});
              Value oq =
                  cb.create<vector::LoadOp>(loc, v16f32, acc, ValueRange{at16});
              e = e ? cb.create<arith::AddFOp>(loc, e, eq).getResult() : eq;
              o = o ? cb.create<arith::AddFOp>(loc, o, oq).getResult() : oq;
            }
            SmallVector<int64_t> mask;
            for (int64_t i = 0; i < 16; ++i) {
              mask.push_back(i);
              mask.push_back(16 + i);
            }
            Value v = cb.create<vector::ShuffleOp>(loc, e, o, mask);
            cb.create<vector::StoreOp>(loc, v, y, ValueRange{row, cc});
          });
    });
    b.create<memref::DeallocOp>(loc, acc);
  }

  /// Many rows of x (a prompt). x is first packed into [K / kb, M, kb]
  /// (each K block of all rows contiguous). Then per block of up to
  /// kRowBlock rows, per panel of `width` columns (threads take whole
  /// ranges of panels) and per block of kb rows of K: the weights decoded
  /// once into a [kb, width] f32 scratch panel, fl32(value * scale) in
  /// column order; per tile of rows, the tile of a contiguous per-thread
  /// accumulator [rows, width] loaded into registers, += x * w with a
  /// rounded multiply and a rounded add per product in order of k, and
  /// stored back; the accumulator is copied into y after the last K block.
  /// Each y element is thus summed in the interpreter's order and
  /// rounding, bit for bit, whatever the threads. Packing x and
  /// accumulating outside y keep their rows out of each other's cache sets
  /// (a row of x or y is K or N floats apart: 16 KiB at 4096, so rows of
  /// y's panel and x's K block all fell into the same sets).
  void panels(Value tbl) {
    Type f32 = b.getF32Type();
    auto v8f32 = VectorType::get({8}, f32);
    // Panels of a cache line of codes per row (128 columns) where N allows,
    // over blocks of up to 32 rows of K: a 16 KiB scratch panel.
    int64_t width = n % 128 == 0 ? 128 : n % 64 == 0 ? 64 : 32;
    int64_t kb = 1;
    for (int64_t cand : {32, 16, 8, 4, 2})
      if (k % cand == 0) {
        kb = cand;
        break;
      }
    int64_t kBlocks = k / kb;
    Value zero = idx(b, 0), one = idx(b, 1);
    packX(kb);
    // Row blocks of equal size where possible: the last one may be shorter.
    int64_t rowBlocks = (m + kRowBlock - 1) / kRowBlock;
    int64_t mb = (m + rowBlocks - 1) / rowBlocks;
    // Per thread: a scratch panel and an accumulator of mb rows.
    Value scratch = b.create<memref::AllocOp>(
        loc, MemRefType::get({kRanges, kb, width}, f32));
    Value acc = b.create<memref::AllocOp>(
        loc, MemRefType::get({kRanges, mb, width}, f32));
    int64_t count = n / width;
    // Rows [r0, r0 + rows) of y, panels [p0, p1) of thread p.
    auto rowBlock = [&](OpBuilder &ob, Value p, Value p0, Value p1, Value r0,
                        int64_t rows) {
      forLoop(ob, p0, p1, idx(ob, 1), [&](OpBuilder &sb, Value pc) {
        Value c0 = sb.create<arith::MulIOp>(loc, pc, idx(sb, width));
        Value z8 = sb.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(v8f32, sb.getF32FloatAttr(0)));
        forLoop(sb, idx(sb, 0), idx(sb, rows), idx(sb, 1),
                [&](OpBuilder &rb, Value r) {
                  for (int64_t j = 0; j < width / 8; ++j)
                    rb.create<vector::StoreOp>(
                        loc, z8, acc, ValueRange{p, r, idx(rb, 8 * j)});
                });
        forLoop(sb, idx(sb, 0), idx(sb, kBlocks), idx(sb, 1),
                [&](OpBuilder &kbld, Value kbi) {
                  Value k0 =
                      kbld.create<arith::MulIOp>(loc, kbi, idx(kbld, kb));
                  decodePanel(kbld, tbl, scratch, p, k0, c0, kb, width);
                  // FMAs need no temporary: a third row fits.
                  const int64_t tileRows = fma ? 3 : kTileRows;
                  int64_t full = rows / tileRows * tileRows;
                  for (int64_t q = 0; q < width / 32; ++q) {
                    forLoop(kbld, idx(kbld, 0), idx(kbld, full),
                            idx(kbld, tileRows), [&](OpBuilder &tb, Value rr) {
                              panelTile(tb, scratch, acc, p, r0, rr, tileRows,
                                        kbi, 32 * q, kb);
                            });
                    if (rows % tileRows)
                      panelTile(kbld, scratch, acc, p, r0, idx(kbld, full),
                                rows % tileRows, kbi, 32 * q, kb);
                  }
                });
        forLoop(sb, idx(sb, 0), idx(sb, rows), idx(sb, 1),
                [&](OpBuilder &rb, Value r) {
                  Value yr = rb.create<arith::AddIOp>(loc, r0, r);
                  for (int64_t j = 0; j < width / 8; ++j) {
                    Value v = rb.create<vector::LoadOp>(
                        loc, v8f32, acc, ValueRange{p, r, idx(rb, 8 * j)});
                    rb.create<vector::StoreOp>(
                        loc, v, y,
                        ValueRange{yr, rb.create<arith::AddIOp>(
                                           loc, c0, idx(rb, 8 * j))});
                  }
                });
      });
    };
    b.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{idx(b, kRanges)}, ValueRange{one},
        [&](OpBuilder &bp, Location, ValueRange ivs) {
          Value p = ivs[0];
          auto [pb, pe] = rangeOf(bp, p, count);
          Value p0 = pb, p1 = pe;
          int64_t fullBlocks = m / mb;
          forLoop(bp, idx(bp, 0), idx(bp, fullBlocks * mb), idx(bp, mb),
                  [&](OpBuilder &rb, Value r0) {
                    rowBlock(rb, p, p0, p1, r0, mb);
                  });
          if (m % mb)
            rowBlock(bp, p, p0, p1, idx(bp, fullBlocks * mb), m % mb);
          bp.create<scf::ReduceOp>(loc);
        });
    b.create<memref::DeallocOp>(loc, acc);
    b.create<memref::DeallocOp>(loc, scratch);
    b.create<memref::DeallocOp>(loc, xPacked);
  }

  /// xPacked[K / kb, M, kb] = x: the K block kbi of row r at [kbi, r, 0]
  /// (threads take ranges of rows).
  void packX(int64_t kb) {
    Type f32 = b.getF32Type();
    xPacked =
        b.create<memref::AllocOp>(loc, MemRefType::get({k / kb, m, kb}, f32));
    int64_t lanes = std::min<int64_t>(kb, 8);
    auto vt = VectorType::get({lanes}, f32);
    Value zero = idx(b, 0), one = idx(b, 1);
    b.create<scf::ParallelOp>(
        loc, ValueRange{zero}, ValueRange{idx(b, kRanges)}, ValueRange{one},
        [&](OpBuilder &bp, Location, ValueRange ivs) {
          auto [r0, r1] = rangeOf(bp, ivs[0], m);
          forLoop(bp, r0, r1, one, [&](OpBuilder &rb, Value r) {
            forLoop(rb, zero, idx(rb, k / kb), one,
                    [&](OpBuilder &kbld, Value kbi) {
                      Value k0 =
                          kbld.create<arith::MulIOp>(loc, kbi, idx(kbld, kb));
                      for (int64_t j = 0; j < kb; j += lanes) {
                        Value v = kbld.create<vector::LoadOp>(
                            loc, vt, x,
                            ValueRange{r, kbld.create<arith::AddIOp>(
                                              loc, k0, idx(kbld, j))});
                        kbld.create<vector::StoreOp>(
                            loc, v, xPacked, ValueRange{kbi, r, idx(kbld, j)});
                      }
                    });
          });
          bp.create<scf::ReduceOp>(loc);
        });
  }

  /// Rows [k0, k0 + kb) of the `width` columns from c0 into `panel`: each
  /// code's value times its scale, rounded once; the same columns of the
  /// next block's rows are prefetched.
  void decodePanel(OpBuilder &ob, Value tbl, Value panel, Value p, Value k0,
                   Value c0, int64_t kb, int64_t width) {
    Value byte0 = ob.create<arith::DivUIOp>(loc, c0, idx(ob, 2));
    forLoop(
        ob, idx(ob, 0), idx(ob, kb), idx(ob, 1), [&](OpBuilder &lb, Value kk) {
          Value kr = lb.create<arith::AddIOp>(loc, k0, kk);
          Value next = lb.create<arith::MinUIOp>(
              loc, lb.create<arith::AddIOp>(loc, kr, idx(lb, kb)),
              idx(lb, k - 1));
          lb.create<memref::PrefetchOp>(loc, w, ValueRange{next, byte0},
                                        /*isWrite=*/false, /*locality=*/3,
                                        /*isDataCache=*/true);
          Value g = lb.create<arith::DivUIOp>(loc, kr, idx(lb, group));
          for (int64_t q = 0; q < width / 32; ++q) {
            Value bq = lb.create<arith::AddIOp>(loc, byte0, idx(lb, 16 * q));
            Value cq = lb.create<arith::AddIOp>(loc, c0, idx(lb, 32 * q));
            Value bytes =
                lb.create<vector::LoadOp>(loc, v16i8, w, ValueRange{kr, bq});
            Value lo = lb.create<arith::ExtUIOp>(loc, v16i32, bytes);
            Value hi = lb.create<arith::ShRUIOp>(loc, lo, i32v(lb, 4));
            auto [se, so] = scales(lb, g, cq);
            Value even = lb.create<arith::MulFOp>(loc, lookup(lb, tbl, lo), se);
            Value odd = lb.create<arith::MulFOp>(loc, lookup(lb, tbl, hi), so);
            SmallVector<int64_t> mask;
            for (int64_t i = 0; i < 16; ++i) {
              mask.push_back(i);
              mask.push_back(16 + i);
            }
            Value row = lb.create<vector::ShuffleOp>(loc, even, odd, mask);
            lb.create<vector::StoreOp>(loc, row, panel,
                                       ValueRange{p, kk, idx(lb, 32 * q)});
          }
        });
  }

  /// acc[p, rr .. rr + rows, pcol .. pcol + 32) += x[r0 + rr + ., K block
  /// kbi] * panel, in registers over the block (a multiply and an add per
  /// product, or an FMA).
  void panelTile(OpBuilder &ob, Value panel, Value acc, Value p, Value r0,
                 Value rr, int64_t rows, Value kbi, int64_t pcol, int64_t kb) {
    auto v8f32 = VectorType::get({8}, ob.getF32Type());
    auto at = [&](OpBuilder &lb, int64_t r, int64_t j) {
      return ValueRange{p, lb.create<arith::AddIOp>(loc, rr, idx(lb, r)),
                        idx(lb, pcol + 8 * j)};
    };
    SmallVector<Value> init;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 4; ++j)
        init.push_back(ob.create<vector::LoadOp>(
            loc, v8f32, acc, SmallVector<Value>(at(ob, r, j))));
    Value xr = ob.create<arith::AddIOp>(loc, r0, rr);
    auto loop = ob.create<scf::ForOp>(
        loc, idx(ob, 0), idx(ob, kb), idx(ob, 1), init,
        [&](OpBuilder &lb, Location, Value kk, ValueRange sums) {
          SmallVector<Value> xs;
          for (int64_t r = 0; r < rows; ++r)
            xs.push_back(lb.create<vector::BroadcastOp>(
                loc, v8f32,
                lb.create<memref::LoadOp>(
                    loc, xPacked,
                    ValueRange{kbi,
                               lb.create<arith::AddIOp>(loc, xr, idx(lb, r)),
                               kk})));
          SmallVector<Value> next(sums.begin(), sums.end());
          for (int64_t j = 0; j < 4; ++j) {
            Value wv = lb.create<vector::LoadOp>(
                loc, v8f32, panel, ValueRange{p, kk, idx(lb, pcol + 8 * j)});
            for (int64_t r = 0; r < rows; ++r) {
              size_t a = size_t(r * 4 + j);
              next[a] =
                  fma ? lb.create<vector::FMAOp>(loc, xs[size_t(r)], wv,
                                                 sums[a])
                            .getResult()
                      : lb.create<arith::AddFOp>(
                              loc, sums[a],
                              lb.create<arith::MulFOp>(loc, xs[size_t(r)], wv))
                            .getResult();
            }
          }
          lb.create<scf::YieldOp>(loc, next);
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < 4; ++j)
        ob.create<vector::StoreOp>(loc, loop.getResult(size_t(r * 4 + j)), acc,
                                   SmallVector<Value>(at(ob, r, j)));
  }

  /// Rows of K per block: 32, or the scale group. A column block sweeps
  /// these rows, each in its own 4 KiB page for wide N: 32 rows keep them
  /// within the first-level TLB (64 rows made int4 4096 x 11008 a third
  /// slower).
  int64_t blockRows() const { return group % 32 == 0 ? 32 : group; }

  /// 32-column chunks per column block: their 2 x count partial sums of
  /// 16 lanes stay in registers (AVX-512: 16 of the 32 zmm; AVX2: each is
  /// two ymm, so 2 chunks take 8 of the 16 ymm registers and leave room for
  /// the table and the decode).
  int64_t chunksPerBlock() const { return avx2 ? kChunksAVX2 : kChunks; }

  /// Whether the AVX2 pair decodes (int4Rows, bf16Rows) take the column
  /// blocks of two chunks. Their eight 8-lane partial sums go into the
  /// accumulator row in the order they decode into (lane `lane` of partial
  /// sum `a` at 8a + lane of the block's 64 floats, column nativeColumn(a,
  /// lane)); the scales are gathered into that order per K block
  /// (nativeScales) and the row is put in column order once, into y.
  /// Putting the partial sums into split order per K block instead took
  /// about 40 shuffles and spilled registers: MXFP4's code after a K
  /// block's rows went from 118 instructions to 65 (see Performance.md).
  bool nativePairs() const {
    return avx2 && (decode == Decode::Int4 || bf16Bytes);
  }

  /// The column, of a pair's 64, of lane `lane` of the pair decode's
  /// partial sum `a` (see int4Rows and bf16Rows).
  int64_t nativeColumn(int64_t a, int64_t lane) const {
    if (decode == Decode::Int4)
      return 8 * lane + a;
    int64_t h = a / 4, wh = a / 2 % 2, p = a % 2;
    return 2 * (16 * (lane / 4) + 8 * wh + 2 * (lane % 4) + p) + h;
  }

  /// One vector of the values' lanes, in order (pairwise shuffles: LLVM
  /// picks the register moves).
  Value concat(OpBuilder &ob, ArrayRef<Value> values) {
    SmallVector<Value> level(values.begin(), values.end());
    while (level.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i < level.size(); i += 2) {
        int64_t width =
            llvm::cast<VectorType>(level[i].getType()).getDimSize(0);
        SmallVector<int64_t> all =
            llvm::to_vector(llvm::seq<int64_t>(0, 2 * width));
        next.push_back(
            ob.create<vector::ShuffleOp>(loc, level[i], level[i + 1], all));
      }
      level = std::move(next);
    }
    return level[0];
  }

  /// The scales of group g for the 64 columns from `col`, f32, as eight
  /// vectors in the pair decodes' order (nativeColumn): E8M0 / E4M3 codes
  /// of bf16Rows by one in-lane byte shuffle each, which also zero-extends
  /// them (see gatherCodes); int4Rows' f32 scales by an 8 x 8 transpose
  /// (see transpose8x8); other combinations by a generic shuffle.
  SmallVector<Value> nativeScales(OpBuilder &ob, Value g, Value col) {
    auto v8f32 = VectorType::get({8}, ob.getF32Type());
    auto v8i32 = VectorType::get({8}, ob.getI32Type());
    bool codes = scaleKind != "f32";
    SmallVector<Value> out;
    if (codes && decode != Decode::Int4) {
      out = gatherCodes(ob, g, col);
    } else if (!codes && decode == Decode::Int4) {
      SmallVector<Value> rows;
      for (int64_t j = 0; j < 8; ++j)
        rows.push_back(ob.create<vector::LoadOp>(
            loc, v8f32, s,
            ValueRange{g, ob.create<arith::AddIOp>(loc, col, idx(ob, 8 * j))}));
      return transpose8x8(ob, rows);
    } else {
      Type et = codes ? Type(ob.getI8Type()) : Type(ob.getF32Type());
      Value all = ob.create<vector::LoadOp>(loc, VectorType::get({64}, et), s,
                                            ValueRange{g, col});
      for (int64_t a = 0; a < 8; ++a) {
        SmallVector<int64_t> mask;
        for (int64_t lane = 0; lane < 8; ++lane)
          mask.push_back(nativeColumn(a, lane));
        Value v = ob.create<vector::ShuffleOp>(loc, all, all, mask);
        out.push_back(codes ? ob.create<arith::ExtUIOp>(loc, v8i32, v) : v);
      }
      if (!codes)
        return out;
    }
    for (Value &v : out)
      v = decodeScales(ob, v);
    return out;
  }

  /// bf16Rows' order of the 64 one-byte scale codes from `col`, each
  /// zero-extended to i32. Lane 4L + i of partial sum a = 4h + 2wh + p is
  /// column 32L + 16wh + 4i + 2p + h: in the 16 bytes from 32L + 16wh. So
  /// with those blocks of wh = 0 (and 1) in the two 128-bit lanes of one
  /// register, a vpshufb per partial sum moves byte 4i + 2p + h into the
  /// low byte of dword i of each lane and zeroes the others.
  SmallVector<Value> gatherCodes(OpBuilder &ob, Value g, Value col) {
    auto v16i8 = VectorType::get({16}, ob.getI8Type());
    auto v8i32 = VectorType::get({8}, ob.getI32Type());
    SmallVector<Value> halves; // per wh: blocks 16wh and 32 + 16wh
    for (int64_t wh = 0; wh < 2; ++wh) {
      SmallVector<Value> blocks;
      for (int64_t l = 0; l < 2; ++l)
        blocks.push_back(ob.create<vector::LoadOp>(
            loc, v16i8, s,
            ValueRange{g, ob.create<arith::AddIOp>(
                              loc, col, idx(ob, 32 * l + 16 * wh))}));
      halves.push_back(concat(ob, blocks));
    }
    SmallVector<Value> out;
    for (int64_t a = 0; a < 8; ++a) {
      int64_t h = a / 4, wh = a / 2 % 2, p = a % 2;
      SmallVector<int8_t> mask;
      for (int64_t l = 0; l < 2; ++l)
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t byte = 0; byte < 4; ++byte)
            mask.push_back(byte ? int8_t(-128) : int8_t(4 * i + 2 * p + h));
      Value m = ob.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v32i8, ArrayRef(mask)));
      Value bytes = ob.create<LLVM::CallIntrinsicOp>(
                          loc, TypeRange{v32i8}, "llvm.x86.avx2.pshuf.b",
                          ValueRange{halves[size_t(wh)], m})
                        .getResult(0);
      out.push_back(ob.create<vector::BitCastOp>(loc, v8i32, bytes));
    }
    return out;
  }

  /// The transpose of eight 8-lane rows (lane a of result j: lane j of row
  /// a): unpacks, in-lane shuffles, then 128-bit lane swaps; 24 shuffles.
  SmallVector<Value> transpose8x8(OpBuilder &ob, ArrayRef<Value> r) {
    auto shuffle = [&](Value a, Value b, ArrayRef<int64_t> mask) -> Value {
      return ob.create<vector::ShuffleOp>(loc, a, b, mask);
    };
    SmallVector<Value> t, u, out(8);
    for (int64_t j = 0; j < 8; j += 2) {
      t.push_back(shuffle(r[j], r[j + 1], {0, 8, 1, 9, 4, 12, 5, 13}));
      t.push_back(shuffle(r[j], r[j + 1], {2, 10, 3, 11, 6, 14, 7, 15}));
    }
    // t[j + hi], j even: rows j and j + 1 interleaved, lanes 0, 1, 4, 5
    // (hi = 0) or 2, 3, 6, 7 (hi = 1).
    for (int64_t q = 0; q < 4; q += 2)
      for (int64_t hi = 0; hi < 2; ++hi) {
        Value a = t[size_t(2 * q + hi)], b = t[size_t(2 * q + 2 + hi)];
        u.push_back(shuffle(a, b, {0, 1, 8, 9, 4, 5, 12, 13}));
        u.push_back(shuffle(a, b, {2, 3, 10, 11, 6, 7, 14, 15}));
      }
    // u[c] (u[4 + c]): lanes c and c + 4 of rows 0-3 (rows 4-7).
    for (int64_t c = 0; c < 4; ++c) {
      out[size_t(c)] =
          shuffle(u[size_t(c)], u[size_t(4 + c)], {0, 1, 2, 3, 8, 9, 10, 11});
      out[size_t(c + 4)] =
          shuffle(u[size_t(c)], u[size_t(4 + c)], {4, 5, 6, 7, 12, 13, 14, 15});
    }
    return out;
  }

  /// vpermps: the value of each lane's code (the low 4 bits of `i`; the
  /// bits above are ignored). AVX2 has 8-lane, 8-entry permutes only, so it
  /// decodes by the table's form: int4 (0..7, -8..-1) arithmetically,
  /// sign-extending the nibble (two shifts, a conversion); sign-magnitude
  /// tables (FP4: entry 8 + j is -entry j) by one permute of the
  /// magnitudes and bit 3 moved into the sign bit; any other by both
  /// halves permuted and bit 3 choosing between them.
  Value lookup(OpBuilder &cb, Value tbl, Value i) {
    if (!avx2)
      return cb
          .create<LLVM::CallIntrinsicOp>(loc, TypeRange{v16f32},
                                         "llvm.x86.avx512.permvar.sf.512",
                                         ValueRange{tbl, i})
          .getResult(0);
    Value nibbleTop = cb.create<arith::ShLIOp>(loc, i, i32v(cb, 28));
    if (decode == Decode::Int4)
      return cb.create<arith::SIToFPOp>(
          loc, v16f32, cb.create<arith::ShRSIOp>(loc, nibbleTop, i32v(cb, 28)));
    // Per 8 lanes: the table halves permuted by the low 3 bits.
    auto permuted = [&](Value t) {
      auto v8f32 = VectorType::get({8}, cb.getF32Type());
      SmallVector<Value, 2> halves;
      for (int64_t h = 0; h < 2; ++h) {
        Value ih = cb.create<vector::ExtractStridedSliceOp>(
            loc, i, ArrayRef<int64_t>{8 * h}, ArrayRef<int64_t>{8},
            ArrayRef<int64_t>{1});
        halves.push_back(cb.create<LLVM::CallIntrinsicOp>(
                               loc, TypeRange{v8f32}, "llvm.x86.avx2.permps",
                               ValueRange{t, ih})
                             .getResult(0));
      }
      SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, 16));
      return cb.create<vector::ShuffleOp>(loc, halves[0], halves[1], all)
          .getResult();
    };
    if (decode == Decode::SignMagnitude) {
      Value sign = cb.create<arith::AndIOp>(loc, nibbleTop,
                                            i32v(cb, int32_t(0x80000000u)));
      Value mag = cb.create<arith::BitcastOp>(loc, v16i32, permuted(tblLo));
      return cb.create<arith::BitcastOp>(
          loc, v16f32, cb.create<arith::XOrIOp>(loc, mag, sign));
    }
    Value upper = cb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                           nibbleTop, i32v(cb, 0));
    return cb.create<arith::SelectOp>(loc, upper, permuted(tblHi),
                                      permuted(tblLo));
  }

  /// K blocks [b0, b1) of every column into the accumulator row at `base`.
  /// Per K block and block of chunksPerBlock() 32-column chunks, the partial
  /// sums stay in registers over the block's rows (each row reads
  /// chunksPerBlock() * 16 contiguous bytes), then acc += partial * scale.
  void range(OpBuilder &ob, Value row, Value b0, Value b1, Value base,
             Value tbl, Value acc) {
    Value one = idx(ob, 1);
    int64_t chunks = n / 32;
    // Accumulator index of chunk c (this range's row, split order).
    auto col = [&](OpBuilder &cb, Value c) -> Value {
      return cb.create<arith::AddIOp>(
          loc, base, cb.create<arith::MulIOp>(loc, c, idx(cb, 32)));
    };
    forLoop(ob, idx(ob, 0), idx(ob, chunks), one, [&](OpBuilder &cb, Value c) {
      Value z = cb.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v32f32, cb.getF32FloatAttr(0.0f)));
      cb.create<vector::StoreOp>(loc, z, acc, ValueRange{col(cb, c)});
    });
    int64_t kb = blockRows();
    const int64_t perBlock = chunksPerBlock();
    int64_t full = chunks / perBlock, tail = chunks % perBlock;
    forLoop(ob, ob.create<arith::MulIOp>(loc, b0, idx(ob, kb)),
            ob.create<arith::MulIOp>(loc, b1, idx(ob, kb)), idx(ob, kb),
            [&](OpBuilder &kbld, Value k0) {
              Value g = kbld.create<arith::DivUIOp>(loc, k0, idx(kbld, group));
              if (full)
                forLoop(
                    kbld, idx(kbld, 0), idx(kbld, full), one,
                    [&](OpBuilder &cb, Value blk) {
                      Value c0 =
                          cb.create<arith::MulIOp>(loc, blk, idx(cb, perBlock));
                      columnBlock(cb, row, k0, g, c0, perBlock, tbl, acc, col);
                    });
              if (tail)
                columnBlock(kbld, row, k0, g, idx(kbld, full * perBlock), tail,
                            tbl, acc, col);
            });
  }

  /// Chunks [c0, c0 + count) over rows [k0, k0 + kb) of K: partial sums in
  /// registers, then scaled into `acc`.
  void columnBlock(OpBuilder &ob, Value row, Value k0, Value g, Value c0,
                   int64_t count, Value tbl, Value acc,
                   llvm::function_ref<Value(OpBuilder &, Value)> col) {
    if (nativePairs() && count == 2) {
      SmallVector<Value> sums = decode == Decode::Int4
                                    ? int4Rows(ob, row, k0, c0)
                                    : bf16Rows(ob, row, k0, c0);
      Value at = col(ob, c0);
      SmallVector<Value> scale =
          nativeScales(ob, g, ob.create<arith::MulIOp>(loc, c0, idx(ob, 32)));
      for (int64_t a = 0; a < 8; ++a) {
        Value ia = ob.create<arith::AddIOp>(loc, at, idx(ob, 8 * a));
        Value old = ob.create<vector::LoadOp>(loc, sums[size_t(a)].getType(),
                                              acc, ValueRange{ia});
        ob.create<vector::StoreOp>(
            loc,
            ob.create<vector::FMAOp>(loc, sums[size_t(a)], scale[size_t(a)],
                                     old),
            acc, ValueRange{ia});
      }
      return;
    }
    SmallVector<Value> parts = tableRows(ob, row, k0, c0, count, tbl);
    for (int64_t c = 0; c < count; ++c) {
      Value cc = ob.create<arith::AddIOp>(loc, c0, idx(ob, c));
      Value at = col(ob, cc);
      Value at16 = ob.create<arith::AddIOp>(loc, at, idx(ob, 16));
      auto [se, so] =
          scales(ob, g, ob.create<arith::MulIOp>(loc, cc, idx(ob, 32)));
      for (auto [pv, sv, a] :
           {std::tuple<Value, Value, Value>{parts[size_t(2 * c)], se, at},
            {parts[size_t(2 * c + 1)], so, at16}}) {
        Value old = ob.create<vector::LoadOp>(loc, v16f32, acc, ValueRange{a});
        ob.create<vector::StoreOp>(loc,
                                   ob.create<vector::FMAOp>(loc, pv, sv, old),
                                   acc, ValueRange{a});
      }
    }
  }

  /// Where a K block's rows prefetch (see prefetchAhead): the row offset
  /// and the column bytes, invariant over the block's rows.
  struct PrefetchPlan {
    Value rowShift;
    SmallVector<Value, 2> bytes;
  };

  /// Each row k of the K block at k0 prefetches its codes kPrefetchBytes or
  /// more ahead of column byte `byte0`: one K block sweep ahead or more,
  /// enough to cover DRAM latency, and the hardware prefetchers cannot
  /// follow the kb row streams. Past the row's end, the same offset into
  /// row k + kb (the next K block), or into row k itself in the last K
  /// block. Computed once per K block so that each row adds only k +
  /// rowShift (the per-row selects and clamps cost a sixth of the AVX2
  /// loop's instructions).
  PrefetchPlan prefetchPlan(OpBuilder &ob, Value k0, Value byte0) {
    int64_t kb = blockRows();
    const int64_t ahead =
        std::max<int64_t>(16 * chunksPerBlock(), kPrefetchBytes);
    Value nextByte = ob.create<arith::AddIOp>(loc, byte0, idx(ob, ahead));
    Value wraps = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                           nextByte, idx(ob, n / 2));
    Value lastBlock = ob.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::sge,
        ob.create<arith::AddIOp>(loc, k0, idx(ob, kb)), idx(ob, this->k));
    PrefetchPlan plan;
    plan.rowShift = ob.create<arith::SelectOp>(
        loc,
        ob.create<arith::AndIOp>(
            loc, wraps,
            ob.create<arith::XOrIOp>(
                loc, lastBlock, ob.create<arith::ConstantIntOp>(loc, 1, 1))),
        idx(ob, kb), idx(ob, 0));
    Value pByte = ob.create<arith::SelectOp>(
        loc, wraps, ob.create<arith::SubIOp>(loc, nextByte, idx(ob, n / 2)),
        nextByte);
    for (int64_t off = 0; off < 16 * chunksPerBlock(); off += 64)
      plan.bytes.push_back(ob.create<arith::MinSIOp>(
          loc, ob.create<arith::AddIOp>(loc, pByte, idx(ob, off)),
          idx(ob, n / 2 - 1)));
    return plan;
  }

  void prefetchAhead(OpBuilder &lb, Value k, const PrefetchPlan &plan) {
    Value pRow = lb.create<arith::AddIOp>(loc, k, plan.rowShift);
    for (Value byte : plan.bytes)
      lb.create<memref::PrefetchOp>(loc, w, ValueRange{pRow, byte},
                                    /*isWrite=*/false, /*locality=*/3,
                                    /*isDataCache=*/true);
  }

  /// The AVX2 loop over a K block's rows for two chunks (32 bytes of codes
  /// at column byte `byte0` of each row, prefetched ahead): eight 8-lane
  /// partial sums, zeroed, updated by `step` per row. The decodes keep
  /// their constants few: with eight accumulators, x, the codes and
  /// temporaries, more than about five no longer fit the 16 ymm registers
  /// and LLVM spills an accumulator, putting a store and a reload into its
  /// FMA chain. (Two sweeps over the rows, four accumulators each, avoid
  /// that but reread the rows: about 20% slower for N = 4096, whose rows, 2
  /// KiB apart, share two sets of the first-level cache.)
  SmallVector<Value>
  pairRows(OpBuilder &ob, Value k0, Value c0,
           llvm::function_ref<SmallVector<Value>(OpBuilder &, Value, Value,
                                                 ValueRange)>
               step) {
    return rowLoop(ob, k0, c0, VectorType::get({8}, ob.getF32Type()), 8, step);
  }

  /// The loop over the rows of the K block at k0 for the chunks from c0
  /// (column byte `byte0` = 16 c0 of each row, prefetched ahead): `count`
  /// partial sums of type `t`, zeroed, updated by `step` per row.
  SmallVector<Value>
  rowLoop(OpBuilder &ob, Value k0, Value c0, VectorType t, int64_t count,
          llvm::function_ref<SmallVector<Value>(OpBuilder &, Value, Value,
                                                ValueRange)>
              step) {
    Value zeros = ob.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(t, ob.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(size_t(count), zeros);
    Value kEnd = ob.create<arith::AddIOp>(loc, k0, idx(ob, blockRows()));
    Value byte0 = ob.create<arith::MulIOp>(loc, c0, idx(ob, 16));
    PrefetchPlan plan = prefetchPlan(ob, k0, byte0);
    auto loop = ob.create<scf::ForOp>(
        loc, k0, kEnd, idx(ob, 1), init,
        [&](OpBuilder &lb, Location, Value k, ValueRange parts) {
          prefetchAhead(lb, k, plan);
          lb.create<scf::YieldOp>(loc, step(lb, k, byte0, parts));
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// AVX2, bf16-exact tables, two chunks (32 bytes of codes per row): per
  /// row, the low and high nibbles (vpand; vpsrlw, vpand) index two vpshufb
  /// lookups each, of bits 16-23 and 24-31 of the value; interleaving
  /// those bytes (vpunpcklbw / vpunpckhbw) gives one 16-bit half per code,
  /// two per dword, which becomes the f32 by a shift (even byte) or a mask
  /// (odd byte). No conversion, no lane-crossing permute: about 19 vector
  /// operations for 64 codes against 36 (int4) and 44 (FP4) by
  /// vpmovzxbd and the per-lane decode. Accumulator 4h + 2w + p, lane
  /// 4L + i holds column 2 * (16L + 8w + 2i + p) + h (h: high nibble; w:
  /// the high unpack; p: odd byte; L: the 128-bit lane). Returns the eight
  /// partial sums in that order (nativeColumn).
  SmallVector<Value> bf16Rows(OpBuilder &ob, Value row, Value k0, Value c0) {
    auto v8f32 = VectorType::get({8}, ob.getF32Type());
    auto v8i32 = VectorType::get({8}, ob.getI32Type());
    auto v16i16 = VectorType::get({16}, ob.getI16Type());
    auto splat = [&](OpBuilder &lb, VectorType t, Attribute a) -> Value {
      return lb.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, a));
    };
    SmallVector<Value> sums = pairRows(
        ob, k0, c0, [&](OpBuilder &lb, Value k, Value byte0, ValueRange parts) {
          Value xb = lb.create<vector::BroadcastOp>(
              loc, v8f32,
              lb.create<memref::LoadOp>(loc, x, ValueRange{row, k}));
          Value bytes =
              lb.create<vector::LoadOp>(loc, v32i8, w, ValueRange{k, byte0});
          Value nibble = splat(lb, v32i8, lb.getI8IntegerAttr(15));
          Value shifted = lb.create<vector::BitCastOp>(
              loc, v32i8,
              lb.create<arith::ShRUIOp>(
                  loc, lb.create<vector::BitCastOp>(loc, v16i16, bytes),
                  splat(lb, v16i16, lb.getI16IntegerAttr(4))));
          Value upper = splat(lb, v8i32, lb.getI32IntegerAttr(-65536));
          Value sixteen = splat(lb, v8i32, lb.getI32IntegerAttr(16));
          SmallVector<Value> next(8);
          // Both nibbles first: the mask is then dead during the lookups.
          Value nibbles[2] = {lb.create<arith::AndIOp>(loc, bytes, nibble),
                              lb.create<arith::AndIOp>(loc, shifted, nibble)};
          for (int64_t h = 0; h < 2; ++h) {
            Value codes = nibbles[h];
            auto lookup = [&](Value t) {
              return lb
                  .create<LLVM::CallIntrinsicOp>(loc, TypeRange{v32i8},
                                                 "llvm.x86.avx2.pshuf.b",
                                                 ValueRange{t, codes})
                  .getResult(0);
            };
            Value lo = lookup(bf16Lo), hi = lookup(bf16Hi);
            for (int64_t wh = 0; wh < 2; ++wh) {
              SmallVector<int64_t> mask;
              for (int64_t lane = 0; lane < 2; ++lane)
                for (int64_t i = 0; i < 8; ++i) {
                  mask.push_back(16 * lane + 8 * wh + i);
                  mask.push_back(32 + 16 * lane + 8 * wh + i);
                }
              Value pairs = lb.create<vector::BitCastOp>(
                  loc, v8i32, lb.create<vector::ShuffleOp>(loc, lo, hi, mask));
              Value even = lb.create<arith::ShLIOp>(loc, pairs, sixteen);
              Value odd = lb.create<arith::AndIOp>(loc, pairs, upper);
              for (auto [p, v] : llvm::enumerate(ArrayRef<Value>{even, odd})) {
                size_t a = size_t(4 * h + 2 * wh) + p;
                next[a] = lb.create<vector::FMAOp>(
                    loc, xb, lb.create<arith::BitcastOp>(loc, v8f32, v),
                    parts[a]);
              }
            }
          }
          return next;
        });
    return sums;
  }

  /// AVX2, int4, two chunks (32 bytes of codes per row): each dword of
  /// the row holds 8 codes (columns 8l .. 8l + 7 of the 64 in lane l),
  /// code i in bits 4i .. 4i + 3. Shifting code i to the top (vpslld by
  /// 28 - 4i; none for i = 7) and clearing the bits below (vpand; none for
  /// i = 0) leaves the signed code times 2^28, which vcvtdq2ps converts
  /// exactly. Every product and partial sum is then 2^28 times the table
  /// lookup's, exactly (short of an overflow above 2^100), so one multiply
  /// by 2^-28 after the K block gives the same partial sums. Per 64 codes:
  /// 7 shifts, 7 ands, 8 conversions and 8 FMAs, spread over all four
  /// vector pipes of a Zen 3 core (shuffles and shifts have two of them,
  /// FMAs two, conversions two). (Offset codes, an XOR with 0x88888888 and
  /// masks instead of shifts, then 8 * sum(x) off per K block, measured
  /// only about 4% faster in bench/gemv_w4.py and give up these exact
  /// partial sums; see Performance.md.) Accumulator i, lane l: column 8l +
  /// i. Returns the eight partial sums in that order (nativeColumn).
  SmallVector<Value> int4Rows(OpBuilder &ob, Value row, Value k0, Value c0) {
    auto v8f32 = VectorType::get({8}, ob.getF32Type());
    auto v8i32 = VectorType::get({8}, ob.getI32Type());
    auto splat = [&](OpBuilder &lb, int32_t v) -> Value {
      return lb.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v8i32, lb.getI32IntegerAttr(v)));
    };
    SmallVector<Value> sums = pairRows(
        ob, k0, c0, [&](OpBuilder &lb, Value k, Value byte0, ValueRange parts) {
          Value xb = lb.create<vector::BroadcastOp>(
              loc, v8f32,
              lb.create<memref::LoadOp>(loc, x, ValueRange{row, k}));
          Value codes = lb.create<vector::BitCastOp>(
              loc, v8i32,
              lb.create<vector::LoadOp>(loc, v32i8, w, ValueRange{k, byte0}));
          Value top = splat(lb, int32_t(0xf0000000u));
          SmallVector<Value> next;
          for (int64_t i = 0; i < 8; ++i) {
            Value c = codes;
            if (i != 7)
              c = lb.create<arith::ShLIOp>(loc, c, splat(lb, 28 - 4 * i));
            if (i != 0)
              c = lb.create<arith::AndIOp>(loc, c, top);
            next.push_back(lb.create<vector::FMAOp>(
                loc, xb, lb.create<arith::SIToFPOp>(loc, v8f32, c),
                parts[size_t(i)]));
          }
          return next;
        });
    Value unscale = ob.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(v8f32,
                                    ob.getF32FloatAttr(std::ldexp(1.0f, -28))));
    for (Value &sum : sums)
      sum = ob.create<arith::MulFOp>(loc, sum, unscale);
    return sums;
  }

  /// Chunks [c0, c0 + count) over the K block's rows, each 16 bytes of
  /// codes widened by vpmovzxbd and decoded by `lookup`; returns the
  /// partial sums, split order, two per chunk.
  SmallVector<Value> tableRows(OpBuilder &ob, Value row, Value k0, Value c0,
                               int64_t count, Value tbl) {
    return rowLoop(
        ob, k0, c0, v16f32, 2 * count,
        [&](OpBuilder &lb, Value k, Value byte0, ValueRange parts) {
          Value xb = lb.create<vector::BroadcastOp>(
              loc, v16f32,
              lb.create<memref::LoadOp>(loc, x, ValueRange{row, k}));
          SmallVector<Value> next;
          for (int64_t c = 0; c < count; ++c) {
            Value bytes = lb.create<vector::LoadOp>(
                loc, v16i8, w,
                ValueRange{
                    k, lb.create<arith::AddIOp>(loc, byte0, idx(lb, 16 * c))});
            Value lo = lb.create<arith::ExtUIOp>(loc, v16i32, bytes);
            Value hi = lb.create<arith::ShRUIOp>(loc, lo, i32v(lb, 4));
            next.push_back(lb.create<vector::FMAOp>(
                loc, xb, lookup(lb, tbl, lo), parts[size_t(2 * c)]));
            next.push_back(lb.create<vector::FMAOp>(
                loc, xb, lookup(lb, tbl, hi), parts[size_t(2 * c + 1)]));
          }
          return next;
        });
  }
};

struct X86LowerWeightOnlyKernelsPass
    : qc::impl::X86LowerWeightOnlyKernelsBase<X86LowerWeightOnlyKernelsPass> {
  void runOnOperation() override {
    for (StringRef tag : {kWeightOnlyKernel, kWeightOnlyKernelAVX2})
      if (failed(lower(tag)))
        return signalPassFailure();
    auto w4a8 = taggedKernels(getOperation(), kW4A8Kernel,
                              "qc-x86-lower-weight-only-kernels");
    if (failed(w4a8))
      return signalPassFailure();
    for (linalg::GenericOp g : *w4a8) {
      OpBuilder b(g);
      buildW4A8Kernel(b, g);
      g.erase();
    }
  }

  LogicalResult lower(StringRef tag) {
    auto kernels =
        taggedKernels(getOperation(), tag, "qc-x86-lower-weight-only-kernels");
    if (failed(kernels))
      return failure();
    for (linalg::GenericOp g : *kernels) {
      OpBuilder b(g);
      auto ins = g.getDpsInputs();
      Value y = g.getDpsInits()[0];
      auto xt = llvm::cast<MemRefType>(ins[0].getType());
      auto yt = llvm::cast<MemRefType>(y.getType());
      WeightOnlyBuilder kb{b, g.getLoc()};
      kb.x = ins[0];
      kb.w = ins[1];
      kb.s = ins[2];
      kb.y = y;
      kb.global = ins.size() > 3 ? ins[3] : Value();
      kb.m = xt.getDimSize(0);
      kb.k = xt.getDimSize(1);
      kb.n = yt.getDimSize(1);
      kb.group = g->getAttrOfType<IntegerAttr>(kW4GroupAttr).getInt();
      kb.scaleKind = g->getAttrOfType<StringAttr>(kW4ScaleAttr).getValue();
      kb.table = g->getAttrOfType<DenseElementsAttr>(kW4TableAttr);
      kb.avx2 = tag == kWeightOnlyKernelAVX2;
      kb.fma = g->hasAttr(kW4FmaAttr);
      kb.build();
      g.erase();
    }
    return success();
  }
};

} // namespace

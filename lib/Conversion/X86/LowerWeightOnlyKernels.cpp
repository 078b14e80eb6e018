//===- LowerWeightOnlyKernels.cpp - The 4-bit weight-only kernel ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Replaces each bufferized linalg.generic tagged `qc.x86_kernel =
// "w4_f32_avx512"` (built by --qc-x86-fuse-weight-only) with AVX-512 code:
//
//   parallel for p in 2 ranges of K blocks (threads take whole ranges;
//   each streams a contiguous half of the codes)
//     for each block of kb K rows (64, or the scale group):
//       for k in the block, 4 rows at a time:
//         for each 32-column chunk:
//           per row: 16 bytes of codes -> vpmovzxbd -> low / high nibbles
//           (vpsrld) -> vpermps with the 16-entry value table (the nibble is
//           the index) -> partial = fma(x[m, k], value, partial)
//       acc_p = fma(partial, scale, acc_p) per column (scales decoded once:
//       E8M0 from the exponent field, E4M3 by bit moves, times NVFP4's
//       global scale)
//   y = acc_0 + acc_1
//
// A byte holds the codes of columns 2j and 2j + 1, so each chunk has an
// "even" and an "odd" half; the partial and accumulator rows of a range
// live in scratch rows in that split order and are interleaved into y at
// the end. Each row's codes are prefetched a few rows ahead (the four rows
// of a step are four streams). The f32 weights exist only in registers. Summing
// x * value over a block before scaling (and FMAs) is not the interpreter's
// order: results differ in the last bits (tests bound them by 1e-5 rel. L2).
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
/// How many rows ahead the kernel prefetches codes.
constexpr int64_t kPrefetchRows = 16;

struct WeightOnlyBuilder {
  OpBuilder &b;
  Location loc;
  Value x, w, s, y; // [M, K] f32, [K, N/2] i8, [G, N] f32 | i8, [M, N] f32
  Value global;     // NVFP4: the 0-d f32 global scale
  int64_t m, k, n, group;
  StringRef scaleKind; // f32, e8m0 or e4m3
  DenseElementsAttr table;
  VectorType v16f32, v32f32, v16i8, v32i8, v16i32;
  Value globalVector; // the global scale in every lane

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
    auto decode = [&](Value codes) -> Value {
      Value c = ob.create<arith::ExtUIOp>(loc, v16i32, codes);
      if (scaleKind == "e8m0")
        return decodeE8M0(ob, loc, c);
      return ob.create<arith::MulFOp>(loc, decodeE4M3(ob, loc, c),
                                      globalVector);
    };
    return {decode(ce), decode(co)};
  }

  void build() {
    Type f32 = b.getF32Type();
    v16f32 = VectorType::get({16}, f32);
    v32f32 = VectorType::get({32}, f32);
    v16i8 = VectorType::get({16}, b.getI8Type());
    v32i8 = VectorType::get({32}, b.getI8Type());
    v16i32 = VectorType::get({16}, b.getI32Type());
    int64_t chunks = n / 32;
    // Scratch rows, one pair per range: the accumulators and the partial
    // sums of one K block of every column, in split order.
    auto scratchType = MemRefType::get({kRanges * n}, f32);
    Value acc = b.create<memref::AllocOp>(loc, scratchType);
    Value partial = b.create<memref::AllocOp>(loc, scratchType);
    Value tbl = b.create<arith::ConstantOp>(loc, table.reshape(v16f32));
    if (global)
      globalVector = b.create<vector::BroadcastOp>(
          loc, v16f32, b.create<memref::LoadOp>(loc, global, ValueRange{}));
    Value zero = idx(b, 0), one = idx(b, 1);
    int64_t blocks = k / blockRows();
    forLoop(b, zero, idx(b, m), one, [&](OpBuilder &bm, Value row) {
      bm.create<scf::ParallelOp>(
          loc, ValueRange{zero}, ValueRange{idx(bm, kRanges)}, ValueRange{one},
          [&](OpBuilder &bp, Location, ValueRange ivs) {
            Value p = ivs[0];
            auto blockAt = [&](OpBuilder &ob, Value q) {
              return ob.create<arith::DivUIOp>(
                  loc, ob.create<arith::MulIOp>(loc, q, idx(ob, blocks)),
                  idx(ob, kRanges));
            };
            Value b0 = blockAt(bp, p);
            Value b1 = blockAt(bp, bp.create<arith::AddIOp>(loc, p, one));
            Value base = bp.create<arith::MulIOp>(loc, p, idx(bp, n));
            range(bp, row, b0, b1, base, tbl, acc, partial);
          });
      // y = interleave(sum over ranges of acc), per 32 columns.
      forLoop(bm, zero, idx(bm, chunks), one, [&](OpBuilder &cb, Value c) {
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
    b.create<memref::DeallocOp>(loc, partial);
  }

  /// Rows of K per block: 64, or the scale group.
  int64_t blockRows() const { return group % 64 == 0 ? 64 : group; }

  /// K blocks [b0, b1) of every column into the scratch rows at `base`.
  void range(OpBuilder &ob, Value row, Value b0, Value b1, Value base,
             Value tbl, Value acc, Value partial) {
    Value one = idx(ob, 1);
    Value c0 = idx(ob, 0), c1 = idx(ob, n / 32);
    // Scratch index of chunk c (this range's rows), and y / scale column.
    auto col = [&](OpBuilder &cb, Value c) -> Value {
      return cb.create<arith::AddIOp>(
          loc, base, cb.create<arith::MulIOp>(loc, c, idx(cb, 32)));
    };
    auto ycol = [&](OpBuilder &cb, Value c) -> Value {
      return cb.create<arith::MulIOp>(loc, c, idx(cb, 32));
    };
    // Zero the accumulators.
    forLoop(ob, c0, c1, one, [&](OpBuilder &cb, Value c) {
      Value z = cb.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(v32f32, cb.getF32FloatAttr(0.0f)));
      cb.create<vector::StoreOp>(loc, z, acc, ValueRange{col(cb, c)});
    });
    // K blocks of kb rows within one scale group. Per block, the rows
    // stream in order (one sequential stream of codes per range), adding
    // x[k] * v(code) into a partial row with FMAs; then acc += partial * s
    // once per column and block.
    int64_t kb = blockRows();
    auto lookup = [&](OpBuilder &cb, Value i) -> Value {
      // vpermps reads the low 4 bits of each index.
      return cb
          .create<LLVM::CallIntrinsicOp>(loc, TypeRange{v16f32},
                                         "llvm.x86.avx512.permvar.sf.512",
                                         ValueRange{tbl, i})
          .getResult(0);
    };
    Value zeros = ob.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(v32f32, ob.getF32FloatAttr(0.0f)));
    // partial[chunk c] += x[kk] * v(codes of row kk, chunk c), u chunks.
    // Rows per step: 4 share each load and store of a partial.
    int64_t rows = kb % 4 == 0 ? 4 : 1;
    auto accumulate = [&](OpBuilder &cb, ArrayRef<Value> kks,
                          ArrayRef<Value> xbs, Value c, int64_t u) {
      // Each range reads a short segment of every row, which the hardware
      // prefetchers do not follow: fetch the same columns kPrefetchRows
      // rows ahead (clamped to the last row; a prefetch never faults).
      Value byte0 = cb.create<arith::MulIOp>(loc, c, idx(cb, 16));
      for (Value kk : kks)
        cb.create<memref::PrefetchOp>(
            loc, w,
            ValueRange{
                cb.create<arith::MinSIOp>(
                    loc,
                    cb.create<arith::AddIOp>(loc, kk, idx(cb, kPrefetchRows)),
                    idx(cb, k - 1)),
                byte0},
            /*isWrite=*/false, /*locality=*/3, /*isDataCache=*/true);
      for (int64_t j = 0; j < u; ++j) {
        Value cj = cb.create<arith::AddIOp>(loc, c, idx(cb, j));
        Value cc = col(cb, cj);
        Value cc16 = cb.create<arith::AddIOp>(loc, cc, idx(cb, 16));
        Value byteCol = cb.create<arith::MulIOp>(loc, cj, idx(cb, 16));
        Value pe =
            cb.create<vector::LoadOp>(loc, v16f32, partial, ValueRange{cc});
        Value po =
            cb.create<vector::LoadOp>(loc, v16f32, partial, ValueRange{cc16});
        for (auto [kk, xb] : llvm::zip(kks, xbs)) {
          Value bytes =
              cb.create<vector::LoadOp>(loc, v16i8, w, ValueRange{kk, byteCol});
          Value lo = cb.create<arith::ExtUIOp>(loc, v16i32, bytes);
          Value hi = cb.create<arith::ShRUIOp>(loc, lo, i32v(cb, 4));
          pe = cb.create<vector::FMAOp>(loc, xb, lookup(cb, lo), pe);
          po = cb.create<vector::FMAOp>(loc, xb, lookup(cb, hi), po);
        }
        cb.create<vector::StoreOp>(loc, pe, partial, ValueRange{cc});
        cb.create<vector::StoreOp>(loc, po, partial, ValueRange{cc16});
      }
    };
    forLoop(
        ob, ob.create<arith::MulIOp>(loc, b0, idx(ob, kb)),
        ob.create<arith::MulIOp>(loc, b1, idx(ob, kb)), idx(ob, kb),
        [&](OpBuilder &kbld, Value k0) {
          forLoop(kbld, c0, c1, one, [&](OpBuilder &cb, Value c) {
            cb.create<vector::StoreOp>(loc, zeros, partial,
                                       ValueRange{col(cb, c)});
          });
          Value pairs = kbld.create<arith::AddIOp>(
              loc, c0,
              kbld.create<arith::MulIOp>(
                  loc,
                  kbld.create<arith::DivUIOp>(
                      loc, kbld.create<arith::SubIOp>(loc, c1, c0),
                      idx(kbld, 2)),
                  idx(kbld, 2)));
          forLoop(
              kbld, k0, kbld.create<arith::AddIOp>(loc, k0, idx(kbld, kb)),
              idx(kbld, rows), [&](OpBuilder &rb, Value k) {
                SmallVector<Value> kks, xbs;
                for (int64_t r = 0; r < rows; ++r) {
                  kks.push_back(rb.create<arith::AddIOp>(loc, k, idx(rb, r)));
                  xbs.push_back(rb.create<vector::BroadcastOp>(
                      loc, v16f32,
                      rb.create<memref::LoadOp>(loc, x,
                                                ValueRange{row, kks.back()})));
                }
                forLoop(rb, c0, pairs, idx(rb, 2), [&](OpBuilder &cb, Value c) {
                  accumulate(cb, kks, xbs, c, 2);
                });
                forLoop(rb, pairs, c1, one, [&](OpBuilder &cb, Value c) {
                  accumulate(cb, kks, xbs, c, 1);
                });
              });
          Value g = kbld.create<arith::DivUIOp>(loc, k0, idx(kbld, group));
          forLoop(kbld, c0, c1, one, [&](OpBuilder &cb, Value c) {
            Value cc = col(cb, c);
            Value cc16 = cb.create<arith::AddIOp>(loc, cc, idx(cb, 16));
            auto [se, so] = scales(cb, g, ycol(cb, c));
            for (auto [sv, at] :
                 {std::pair<Value, Value>{se, cc}, {so, cc16}}) {
              Value p = cb.create<vector::LoadOp>(loc, v16f32, partial,
                                                  ValueRange{at});
              Value a =
                  cb.create<vector::LoadOp>(loc, v16f32, acc, ValueRange{at});
              cb.create<vector::StoreOp>(
                  loc, cb.create<vector::FMAOp>(loc, p, sv, a), acc,
                  ValueRange{at});
            }
          });
        });
  }
};

struct X86LowerWeightOnlyKernelsPass
    : qc::impl::X86LowerWeightOnlyKernelsBase<X86LowerWeightOnlyKernelsPass> {
  void runOnOperation() override {
    auto kernels = taggedKernels(getOperation(), kWeightOnlyKernel,
                                 "qc-x86-lower-weight-only-kernels");
    if (failed(kernels))
      return signalPassFailure();
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
      kb.build();
      g.erase();
    }
  }
};

} // namespace

//===- W4A8Kernel.cpp - 4-bit weights x int8 activations on AVX2 ----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The loop nest of a generic tagged kW4A8Kernel (see WeightOnly.h), after
// bufferization:
//
//   zq[r, b] = z * (sum of q over block b of row r) (the per-column zero
//              points multiply it in the loop instead)
//   per range of 8-column groups (threads take whole ranges), group c,
//   tile of kRowTile rows r:
//     acc_r = 0 (8 f32)
//     per block b of K:
//       per 32 rows of K, 4 loads of 32 code bytes, each unpacked once
//         (bytes & 15, bytes >> 4 & 15) for all rows of the tile:
//         s16_r += vpmaddubsw(low, q[r, k .. k + 3] in all 8 dwords)
//                + vpmaddubsw(high, q[r, k + 4 .. k + 7] in all dwords)
//         (u <= 15 and |q| <= 127: eight such products stay below 2^15),
//         then i_r += vpmaddwd(s16_r, 1)
//       acc_r += fl32(S[c, b] * sa[r, b]) * f32(i_r - zq[r, b]) (an FMA)
//     y[r, 8c .. 8c + 8) = acc_r
//
// The integer sums are exact; the per-block scaling and the f32 sums over
// blocks are where results differ from the interpreter's fake-quantize,
// dequantize and f32 matmul (its products rounded one by one): in the last
// bits (tests bound them by 1e-5 relative L2).
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "WeightOnly.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// Ranges of 8-column groups of the parallel loop (one per core of this
/// 2-core machine).
constexpr int64_t kRanges = 2;
/// Rows of x per tile: each 32 bytes of codes are unpacked once for them
/// (their 16-bit and f32 sums stay in registers).
constexpr int64_t kRowTile = 3;

struct W4A8Builder {
  OpBuilder &b;
  Location loc;
  Value q = {}, sa = {}, p = {}, s = {}, z = {},
        y = {}; // see WeightOnly.h; z: null for one zero point
  int64_t m = 0, k = 0, n = 0, block = 0, zero = 0;

  Value idx(OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIndexOp>(loc, v);
  }
  Value add(OpBuilder &ob, Value a, int64_t v) {
    return ob.create<arith::AddIOp>(loc, a, idx(ob, v));
  }
  Value mul(OpBuilder &ob, Value a, int64_t v) {
    return ob.create<arith::MulIOp>(loc, a, idx(ob, v));
  }
  Value splat(OpBuilder &ob, VectorType t, Attribute v) {
    return ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, v));
  }
  void forLoop(OpBuilder &ob, Value lo, Value hi, int64_t step,
               llvm::function_ref<void(OpBuilder &, Value)> body) {
    qc::x86::forLoop(ob, loc, lo, hi, idx(ob, step), body);
  }

  void build() {
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    Value zeroIdx = idx(b, 0), one = idx(b, 1);
    int64_t blocks = k / block, groups = n / 8;
    // zq[r, b]: z times the sum of block b's codes of row r (one zero
    // point), else the sum.
    Value zq =
        b.create<memref::AllocOp>(loc, MemRefType::get({m, blocks}, i32));
    auto v8i32 = VectorType::get({8}, i32);
    forLoop(b, zeroIdx, idx(b, m), 1, [&](OpBuilder &rb, Value r) {
      forLoop(rb, zeroIdx, idx(rb, blocks), 1, [&](OpBuilder &bb, Value bl) {
        Value k0 = mul(bb, bl, block);
        auto add8 = [&](OpBuilder &ob, Value sum, Value kk) -> Value {
          Value codes = ob.create<vector::LoadOp>(loc, VectorType::get({8}, i8),
                                                  q, ValueRange{r, kk});
          return ob.create<arith::AddIOp>(
              loc, sum, ob.create<arith::ExtSIOp>(loc, v8i32, codes));
        };
        Value sum = splat(bb, v8i32, bb.getI32IntegerAttr(0));
        if (block <= 128) {
          for (int64_t j = 0; j < block; j += 8)
            sum = add8(bb, sum, add(bb, k0, j));
        } else {
          sum =
              bb.create<scf::ForOp>(
                    loc, idx(bb, 0), idx(bb, block), idx(bb, 8),
                    ValueRange{sum},
                    [&](OpBuilder &jb, Location, Value j, ValueRange carried) {
                      jb.create<scf::YieldOp>(
                          loc, add8(jb, carried[0],
                                    jb.create<arith::AddIOp>(loc, k0, j)));
                    })
                  .getResult(0);
        }
        Value total = bb.create<vector::ReductionOp>(
            loc, vector::CombiningKind::ADD, sum);
        if (!z)
          total = bb.create<arith::MulIOp>(
              loc, total,
              bb.create<arith::ConstantOp>(
                  loc, bb.getI32IntegerAttr(int32_t(zero))));
        bb.create<memref::StoreOp>(loc, total, zq, ValueRange{r, bl});
      });
    });
    b.create<scf::ParallelOp>(
        loc, ValueRange{zeroIdx}, ValueRange{idx(b, kRanges)}, ValueRange{one},
        [&](OpBuilder &bp, Location, ValueRange ivs) {
          auto at = [&](Value t) -> Value {
            return bp.create<arith::DivUIOp>(loc, mul(bp, t, groups),
                                             idx(bp, kRanges));
          };
          Value c0 = at(ivs[0]), c1 = at(add(bp, ivs[0], 1));
          int64_t full = m / kRowTile * kRowTile;
          forLoop(bp, c0, c1, 1, [&](OpBuilder &cb, Value c) {
            forLoop(cb, idx(cb, 0), idx(cb, full), kRowTile,
                    [&](OpBuilder &rb, Value r0) {
                      tile(rb, c, r0, kRowTile, zq);
                    });
            if (m % kRowTile)
              tile(cb, c, idx(cb, full), m % kRowTile, zq);
          });
          bp.create<scf::ReduceOp>(loc);
        });
    b.create<memref::DeallocOp>(loc, zq);
  }

  /// y[r0 .. r0 + rows, 8c .. 8c + 8): each 32 bytes of codes unpacked once
  /// (low nibbles, high nibbles) for all the rows.
  void tile(OpBuilder &ob, Value c, Value r0, int64_t rows, Value zq) {
    Type i8 = ob.getI8Type(), i16 = ob.getI16Type(), i32 = ob.getI32Type(),
         f32 = ob.getF32Type();
    auto v8i32 = VectorType::get({8}, i32), v8f32 = VectorType::get({8}, f32);
    auto v16i16 = VectorType::get({16}, i16), v32i8 = VectorType::get({32}, i8);
    auto v4i8 = VectorType::get({4}, i8);
    int64_t blocks = k / block;
    Value mask = splat(ob, v32i8, ob.getI8IntegerAttr(15));
    Value ones = splat(ob, v16i16, ob.getI16IntegerAttr(1));
    Value shift = splat(ob, v16i16, ob.getI16IntegerAttr(4));
    auto maddubs = [&](OpBuilder &lb, Value u, Value x) {
      return lb
          .create<LLVM::CallIntrinsicOp>(loc, TypeRange{v16i16},
                                         "llvm.x86.avx2.pmadd.ub.sw",
                                         ValueRange{u, x})
          .getResult(0);
    };
    SmallVector<Value> rowIdx;
    for (int64_t i = 0; i < rows; ++i)
      rowIdx.push_back(add(ob, r0, i));
    SmallVector<Value> init(size_t(rows),
                            splat(ob, v8f32, ob.getF32FloatAttr(0)));
    auto loop = ob.create<scf::ForOp>(
        loc, idx(ob, 0), idx(ob, blocks), idx(ob, 1), init,
        [&](OpBuilder &lb, Location, Value bl, ValueRange acc) {
          SmallVector<Value> sums(size_t(rows),
                                  splat(lb, v8i32, lb.getI32IntegerAttr(0)));
          Value row8 = mul(lb, bl, block / 8);
          // into += the products of 32 rows of K from row 8 * r8s.
          auto subBlock = [&](OpBuilder &sb, Value r8s,
                              SmallVector<Value> &into) {
            SmallVector<Value> s16(size_t(rows),
                                   splat(sb, v16i16, sb.getI16IntegerAttr(0)));
            for (int64_t j = 0; j < 4; ++j) {
              Value r8 = add(sb, r8s, j);
              Value bytes = sb.create<vector::LoadOp>(
                  loc, v32i8, p, ValueRange{c, r8, idx(sb, 0)});
              Value lo = sb.create<arith::AndIOp>(loc, bytes, mask);
              Value hi = sb.create<arith::AndIOp>(
                  loc,
                  sb.create<vector::BitCastOp>(
                      loc, v32i8,
                      sb.create<arith::ShRUIOp>(
                          loc, sb.create<vector::BitCastOp>(loc, v16i16, bytes),
                          shift)),
                  mask);
              Value k0 = mul(sb, r8, 8);
              // Codes k .. k + 3 of row r as a dword in all 8 lanes.
              auto codes = [&](Value r, Value kk) {
                Value four =
                    sb.create<vector::LoadOp>(loc, v4i8, q, ValueRange{r, kk});
                Value dword = sb.create<vector::ExtractOp>(
                    loc,
                    sb.create<vector::BitCastOp>(loc, VectorType::get({1}, i32),
                                                 four),
                    ArrayRef<int64_t>{0});
                return sb.create<vector::BitCastOp>(
                    loc, v32i8,
                    sb.create<vector::BroadcastOp>(loc, v8i32, dword));
              };
              for (int64_t i = 0; i < rows; ++i) {
                Value r = rowIdx[size_t(i)];
                s16[size_t(i)] = sb.create<arith::AddIOp>(
                    loc, s16[size_t(i)], maddubs(sb, lo, codes(r, k0)));
                s16[size_t(i)] = sb.create<arith::AddIOp>(
                    loc, s16[size_t(i)],
                    maddubs(sb, hi, codes(r, add(sb, k0, 4))));
              }
            }
            for (int64_t i = 0; i < rows; ++i)
              into[size_t(i)] = sb.create<arith::AddIOp>(
                  loc, into[size_t(i)],
                  sb.create<LLVM::CallIntrinsicOp>(
                        loc, TypeRange{v8i32}, "llvm.x86.avx2.pmadd.wd",
                        ValueRange{s16[size_t(i)], ones})
                      .getResult(0));
          };
          // Up to 4 sub-blocks (128 rows of K) unrolled, more in a loop.
          if (block / 32 <= 4) {
            for (int64_t t = 0; t < block / 32; ++t)
              subBlock(lb, add(lb, row8, 4 * t), sums);
          } else {
            auto tl = lb.create<scf::ForOp>(
                loc, idx(lb, 0), idx(lb, block / 32), idx(lb, 1), sums,
                [&](OpBuilder &tb, Location, Value t, ValueRange carried) {
                  SmallVector<Value> next(carried.begin(), carried.end());
                  subBlock(tb,
                           tb.create<arith::AddIOp>(loc, row8, mul(tb, t, 4)),
                           next);
                  tb.create<scf::YieldOp>(loc, next);
                });
            sums.assign(tl.getResults().begin(), tl.getResults().end());
          }
          Value ws = lb.create<vector::LoadOp>(loc, v8f32, s,
                                               ValueRange{c, bl, idx(lb, 0)});
          Value zc = z ? lb.create<vector::LoadOp>(
                               loc, v8i32, z, ValueRange{c, bl, idx(lb, 0)})
                             .getResult()
                       : Value();
          SmallVector<Value> next;
          for (int64_t i = 0; i < rows; ++i) {
            Value r = rowIdx[size_t(i)];
            Value zs = lb.create<vector::BroadcastOp>(
                loc, v8i32,
                lb.create<memref::LoadOp>(loc, zq, ValueRange{r, bl}));
            if (zc) // per-column zero points times the block's sum
              zs = lb.create<arith::MulIOp>(loc, zs, zc);
            Value dot = lb.create<arith::SIToFPOp>(
                loc, v8f32, lb.create<arith::SubIOp>(loc, sums[size_t(i)], zs));
            Value scale = lb.create<arith::MulFOp>(
                loc, ws,
                lb.create<vector::BroadcastOp>(
                    loc, v8f32,
                    lb.create<memref::LoadOp>(loc, sa, ValueRange{r, bl})));
            next.push_back(
                lb.create<math::FmaOp>(loc, scale, dot, acc[size_t(i)]));
          }
          lb.create<scf::YieldOp>(loc, next);
        });
    for (int64_t i = 0; i < rows; ++i)
      ob.create<vector::StoreOp>(loc, loop.getResult(size_t(i)), y,
                                 ValueRange{rowIdx[size_t(i)], mul(ob, c, 8)});
  }
};

} // namespace

void qc::x86::buildW4A8Kernel(OpBuilder &b, linalg::GenericOp g) {
  auto ins = g.getDpsInputs();
  W4A8Builder kb{b, g.getLoc()};
  kb.q = ins[0];
  kb.sa = ins[1];
  kb.p = ins[2];
  kb.s = ins[3];
  kb.z = ins.size() > 4 ? ins[4] : Value();
  kb.y = g.getDpsInits()[0];
  kb.m = llvm::cast<MemRefType>(kb.q.getType()).getDimSize(0);
  kb.k = llvm::cast<MemRefType>(kb.q.getType()).getDimSize(1);
  kb.n = llvm::cast<MemRefType>(kb.y.getType()).getDimSize(1);
  kb.block = g->getAttrOfType<IntegerAttr>(kW4GroupAttr).getInt();
  if (auto zero = g->getAttrOfType<IntegerAttr>(kW4A8ZeroAttr))
    kb.zero = zero.getInt();
  kb.build();
}

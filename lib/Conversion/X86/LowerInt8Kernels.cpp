//===- LowerInt8Kernels.cpp - The VNNI GEMM loop nest ---------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Replaces each bufferized linalg.generic tagged `qc.x86_kernel =
// "u8s8_vnni512"` or "u8s8_avx2" (built by buildPackedInt8Linear) with a
// cache- and register-blocked loop nest around
// `llvm.x86.avx512.vpdpbusd.512` (AVX2: `llvm.x86.avx2.pmadd.wd` + add):
//
//   parallel for r in thread ranges of column panels (one region per GEMM)
//   for tb in blocks of kMBlock / MR row tiles      (A block in L2)
//     for j in panels of NR (32; AVX2: 16) of r     (packed weights)
//       for kb in K blocks of kKGroups groups of 4  (B block in L1)
//         for t in tb: micro-kernel(tile t, panel j, K block kb)
//                      (tiles 0 and 1: prefetching the next B block)
//         (last row block: then the tile of the M % MR remaining rows)
//
// so A is read from memory once, C written once (its tiles of the block
// stay in L2 across K blocks) and the weights (L3) once per row block.
//
// The micro-kernel keeps MR x 2 zmm accumulators (24 of the 32 registers)
// in registers across its K block: per group of 4 K values it loads 2 x 64
// weight bytes, broadcasts 4 activation bytes per row (vpbroadcastd) from
// the packed row tile (one contiguous 48-byte stream, so the 12 rows do not
// compete for the same L1 sets as rows of a power-of-two stride would) and
// issues 24 vpdpbusd. Integer addition commutes exactly, so the blocking
// does not change the result.
//
// The AVX2 micro-kernel is the same loop with a 6 x 16 tile (12 of the 16
// ymm registers): per group of 2 K values (widened to 16 bits) it loads 2 x
// 32 weight bytes, broadcasts 2 activation values per row and issues 12
// vpmaddwd and 12 vpaddd. Its packed operands are twice as large.
//
//===----------------------------------------------------------------------===//

#include "Int8Kernels.h"
#include "KernelUtils.h"
#include "qc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace qc {
#define GEN_PASS_DEF_X86LOWERINT8KERNELS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc::x86;

namespace {

/// K groups (of 4 bytes) per K block: 256 groups x 128 bytes = 32 KiB of
/// packed weights per panel block, reused from L1 by the tiles of a row
/// block.
constexpr int64_t kKGroups = 256;
/// Rows per row block: 96 x K bytes of packed activations stay in L2
/// across the column panels. (Tuned with bench/gemm_int8.py; 192 rows and
/// 128 / 192 groups measured the same within this VM's noise.)
constexpr int64_t kMBlock = 96;

struct Int8GemmBuilder {
  OpBuilder &b;
  Location loc;
  const Int8Kernel &kernel;
  // memref<MT x KG x MR*G x E>, memref<NB x KG x NR*G x E>,
  // memref<MT*MR x NB*NR x i32>, E = i8 (VNNI) or i16 (AVX2).
  Value ap, bp, corr, c; // corr: memref<NB*NR x i32>
  Value bflat;           // bp as one dimension (for prefetching)
  int64_t tileRows;      // MR of this instance (M when M < MR)
  VectorType acc;        // the i32 accumulator vector
  VectorType wload;      // one weight vector: lanes * G elements
  VectorType dotIn;      // the dot product's operand type
  VectorType xload, v1i32;

  unsigned ranges; // column panel ranges (threads)

  Int8GemmBuilder(OpBuilder &b, Location loc, const Int8Kernel &kernel,
                  Value ap, Value bp, Value corr, Value c, unsigned ranges)
      : b(b), loc(loc), kernel(kernel), ap(ap), bp(bp), corr(corr), c(c),
        ranges(ranges) {
    tileRows =
        llvm::cast<MemRefType>(ap.getType()).getDimSize(2) / kernel.group;
    Type elt = kernel.isFloat() ? Type(b.getF32Type())
                                : Type(b.getIntegerType(kernel.elementBits));
    acc = VectorType::get({kernel.lanes}, kernel.isFloat()
                                              ? Type(b.getF32Type())
                                              : Type(b.getI32Type()));
    wload = VectorType::get({kernel.lanes * kernel.group}, elt);
    dotIn = kernel.elementBits == 8 ? acc : wload;
    xload = VectorType::get({kernel.group}, elt);
    v1i32 = VectorType::get({1}, b.getI32Type());
  }

  /// acc + the dot products of `x` (G values broadcast to every lane) and
  /// the weights `w` in each 32-bit lane.
  Value dot(OpBuilder &ob, Location l, Value a, Value x, Value w) {
    if (kernel.isFloat() && kernel.fma) // one rounding
      return ob.create<math::FmaOp>(l, x, w, a);
    if (kernel.isFloat()) // rounded product, then rounded sum (no FMA)
      return ob.create<arith::AddFOp>(l, a, ob.create<arith::MulFOp>(l, x, w));
    if (kernel.elementBits == 8)
      return ob
          .create<LLVM::CallIntrinsicOp>(l, TypeRange{acc},
                                         "llvm.x86.avx512.vpdpbusd.512",
                                         ValueRange{a, x, w})
          .getResult(0);
    Value p = ob.create<LLVM::CallIntrinsicOp>(l, TypeRange{acc},
                                               "llvm.x86.avx2.pmadd.wd",
                                               ValueRange{x, w})
                  .getResult(0);
    return ob.create<arith::AddIOp>(l, a, p);
  }

  Value idx(OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIndexOp>(loc, v);
  }

  /// C[rows of tile t, panel j] += Ap[t, g0..g1] * Bp[j, g0..g1] (the
  /// first `rows` rows of the tile). With `slot` (the tile's position in
  /// its row block, 0 or 1) it prefetches half of the next B block into
  /// L2, one line per K group.
  void micro(OpBuilder &ob, Value t, int64_t rows, Value j, Value g0, Value g1,
             Value slot) {
    Value row0 = ob.create<arith::MulIOp>(loc, t, idx(ob, tileRows));
    const int64_t vectors = kernel.vectors, lanes = kernel.lanes;
    Value col0 = ob.create<arith::MulIOp>(loc, j, idx(ob, kernel.cols()));
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t i = 0; i < rows; ++i)
      rowIdx.push_back(ob.create<arith::AddIOp>(loc, row0, idx(ob, i)));
    for (int64_t v = 0; v < vectors; ++v)
      colIdx.push_back(ob.create<arith::AddIOp>(loc, col0, idx(ob, lanes * v)));
    // The first K block starts from the correction, later ones from C.
    Value first =
        ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, g0, idx(ob, 0));
    auto start = ob.create<scf::IfOp>(
        loc, first,
        [&](OpBuilder &tb, Location tl) {
          SmallVector<Value> init;
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t v = 0; v < vectors; ++v)
              init.push_back(tb.create<vector::LoadOp>(
                  tl, acc, corr, ValueRange{colIdx[size_t(v)]}));
          tb.create<scf::YieldOp>(tl, init);
        },
        [&](OpBuilder &eb, Location el) {
          SmallVector<Value> init;
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t v = 0; v < vectors; ++v)
              init.push_back(eb.create<vector::LoadOp>(
                  el, acc, c,
                  ValueRange{rowIdx[size_t(i)], colIdx[size_t(v)]}));
          eb.create<scf::YieldOp>(el, init);
        });
    ValueRange init = start.getResults();
    auto loop = ob.create<scf::ForOp>(
        loc, g0, g1, idx(ob, 1), init,
        [&](OpBuilder &lb, Location ll, Value g, ValueRange accs) {
          const int64_t gs = kernel.group;
          if (slot)
            prefetchNextBlock(lb, j, g0, g1, g, slot);
          SmallVector<Value> w;
          for (int64_t v = 0; v < vectors; ++v) {
            Value e = lb.create<vector::LoadOp>(
                ll, wload, bp, ValueRange{j, g, idx(lb, lanes * gs * v)});
            w.push_back(e.getType() == dotIn
                            ? e
                            : lb.create<vector::BitCastOp>(ll, dotIn, e));
          }
          SmallVector<Value> next;
          for (int64_t i = 0; i < rows; ++i) {
            Value xs = lb.create<vector::LoadOp>(
                ll, xload, ap, ValueRange{t, g, idx(lb, gs * i)});
            Value splat;
            if (kernel.isFloat()) {
              splat = lb.create<vector::BroadcastOp>(ll, acc, xs);
            } else {
              Value word = lb.create<vector::BitCastOp>(ll, v1i32, xs);
              splat = lb.create<vector::BitCastOp>(
                  ll, dotIn, lb.create<vector::BroadcastOp>(ll, acc, word));
            }
            for (int64_t v = 0; v < vectors; ++v)
              next.push_back(dot(lb, ll, accs[size_t(i * vectors + v)], splat,
                                 w[size_t(v)]));
          }
          lb.create<scf::YieldOp>(ll, next);
        });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t v = 0; v < vectors; ++v)
        ob.create<vector::StoreOp>(
            loc, loop.getResult(unsigned(i * vectors + v)), c,
            ValueRange{rowIdx[size_t(i)], colIdx[size_t(v)]});
  }

  /// The B block that follows (panel j, groups [g0, g1)) is the next
  /// kKGroups * NR * G bytes of Bp (the next K block of the panel, or the
  /// first of the next panel). Its first use streams it from L3 or memory
  /// at the start of a column panel's K block, where the hardware
  /// prefetchers have not yet seen the stream: tile `slot` (0 or 1) of the
  /// current block fetches line slot * kKGroups + (g - g0) of it into L2
  /// (clamped to Bp's last byte), so tiles 0 and 1 cover the next block
  /// while the others run (4096^3, one thread: 8-13% faster in
  /// alternating A/B runs; smaller sizes within the noise).
  void prefetchNextBlock(OpBuilder &lb, Value j, Value g0, Value g1, Value g,
                         Value slot) {
    auto bt = llvm::cast<MemRefType>(bp.getType());
    int64_t rowBytes = bt.getDimSize(2) * (kernel.elementBits / 8);
    int64_t lines = kKGroups * rowBytes / 64;
    Value kg = lb.create<memref::DimOp>(loc, bp, 1);
    Value line = lb.create<arith::MinSIOp>(
        loc,
        lb.create<arith::AddIOp>(
            loc, lb.create<arith::MulIOp>(loc, slot, idx(lb, kKGroups)),
            lb.create<arith::SubIOp>(loc, g, g0)),
        idx(lb, lines - 1));
    // Element offset of the next block (elements of bflat).
    Value next = lb.create<arith::MulIOp>(
        loc,
        lb.create<arith::AddIOp>(loc, lb.create<arith::MulIOp>(loc, j, kg), g1),
        idx(lb, bt.getDimSize(2)));
    Value at = lb.create<arith::AddIOp>(
        loc, next,
        lb.create<arith::MulIOp>(loc, line,
                                 idx(lb, 64 / (kernel.elementBits / 8))));
    Value last = lb.create<arith::SubIOp>(
        loc, lb.create<memref::DimOp>(loc, bflat, 0), idx(lb, 1));
    at = lb.create<arith::MinSIOp>(loc, at, last);
    lb.create<memref::PrefetchOp>(loc, bflat, ValueRange{at},
                                  /*isWrite=*/false, /*locality=*/2,
                                  /*isDataCache=*/true);
  }

  void forLoop(OpBuilder &ob, Value lo, Value hi, Value step,
               llvm::function_ref<void(OpBuilder &, Value)> body) {
    qc::x86::forLoop(ob, loc, lo, hi, step, body);
  }

  /// for r in [0, ranges): body(r), as scf.parallel: the ranges of column
  /// panels write disjoint columns of C, so --qc-lower-to-cpu="threads=N"
  /// runs them on N threads (OpenMP), one parallel region per GEMM; with
  /// one range it is a plain loop.
  void parallelRanges(OpBuilder &ob,
                      llvm::function_ref<void(OpBuilder &, Value)> body) {
    if (ranges <= 1) {
      body(ob, idx(ob, 0));
      return;
    }
    ob.create<scf::ParallelOp>(
        loc, ValueRange{idx(ob, 0)}, ValueRange{idx(ob, ranges)},
        ValueRange{idx(ob, 1)},
        [&](OpBuilder &lb, Location, ValueRange ivs) { body(lb, ivs[0]); });
  }

  void build() {
    Value zero = idx(b, 0), one = idx(b, 1);
    bflat = b.create<memref::CollapseShapeOp>(
        loc, bp, SmallVector<ReassociationIndices>{{0, 1, 2}});
    Value nb = b.create<memref::DimOp>(loc, bp, 0);
    Value kg = b.create<memref::DimOp>(loc, bp, 1);
    // Full tiles of MR rows, then one tile of the remaining rows.
    int64_t m = llvm::cast<MemRefType>(c.getType()).getDimSize(0);
    int64_t full = m / tileRows, tail = m % tileRows;
    int64_t tilesPerBlock = std::max<int64_t>(1, kMBlock / tileRows);
    Value fullTiles = idx(b, full);
    // K blocks of panel j for the tiles of one block, with the block's
    // C tiles (the block's rows x NR columns) resident in L2 across them.
    auto kBlocks =
        [&](OpBuilder &ob, Value j,
            llvm::function_ref<void(OpBuilder &, Value, Value)> body) {
          forLoop(
              ob, zero, kg, idx(ob, kKGroups), [&](OpBuilder &b1, Value g0) {
                Value g1 = b1.create<arith::MinSIOp>(
                    loc, b1.create<arith::AddIOp>(loc, g0, idx(b1, kKGroups)),
                    kg);
                body(b1, g0, g1);
              });
        };
    // Panels [j0, j1) of range r: nb * r / ranges onwards.
    parallelRanges(b, [&](OpBuilder &br, Value r) {
      auto bound = [&](OpBuilder &ob, Value q) {
        return ob.create<arith::DivUIOp>(
            loc, ob.create<arith::MulIOp>(loc, nb, q), idx(ob, ranges));
      };
      Value j0 = bound(br, r);
      Value j1 = bound(br, br.create<arith::AddIOp>(loc, r, one));
      auto panels = [&](OpBuilder &ob,
                        llvm::function_ref<void(OpBuilder &, Value)> body) {
        forLoop(ob, j0, j1, one, body);
      };
      forLoop(br, zero, fullTiles, idx(br, tilesPerBlock),
              [&](OpBuilder &b1, Value t0) {
                Value t1 = b1.create<arith::MinSIOp>(
                    loc,
                    b1.create<arith::AddIOp>(loc, t0, idx(b1, tilesPerBlock)),
                    fullTiles);
                panels(b1, [&](OpBuilder &b2, Value j) {
                  kBlocks(b2, j, [&](OpBuilder &b3, Value g0, Value g1) {
                    // Tiles 0 and 1 of the block prefetch, in a copy of the
                    // micro-kernel; the others run without.
                    auto tile = [&](OpBuilder &ob, Value t, int64_t rows) {
                      Value slot = ob.create<arith::SubIOp>(loc, t, t0);
                      Value early = ob.create<arith::CmpIOp>(
                          loc, arith::CmpIPredicate::ult, slot, idx(ob, 2));
                      ob.create<scf::IfOp>(
                          loc, early,
                          [&](OpBuilder &tb, Location tl) {
                            micro(tb, t, rows, j, g0, g1, slot);
                            tb.create<scf::YieldOp>(tl);
                          },
                          [&](OpBuilder &eb, Location el) {
                            micro(eb, t, rows, j, g0, g1, Value());
                            eb.create<scf::YieldOp>(el);
                          });
                    };
                    forLoop(b3, t0, t1, one, [&](OpBuilder &b4, Value t) {
                      tile(b4, t, tileRows);
                    });
                    // The tile of the remaining rows joins the last row
                    // block, so that it reads the block's B from L1 rather
                    // than streaming all the weights once more (M = 16
                    // tokens: a tile of 12 rows and one of 4, which is
                    // then slot 1 of the prefetch).
                    if (!tail)
                      return;
                    Value last = b3.create<arith::CmpIOp>(
                        loc, arith::CmpIPredicate::eq, t1, fullTiles);
                    b3.create<scf::IfOp>(loc, last,
                                         [&](OpBuilder &tb, Location tl) {
                                           tile(tb, fullTiles, tail);
                                           tb.create<scf::YieldOp>(tl);
                                         });
                  });
                });
              });
    });
  }
};

/// Replaces the byte activation packing `g` (tagged kPackU8 / kPackS8:
/// in [M, KG, G] codes, out [MT, KG, MR, G] row tiles) by 4-byte moves:
///
///   parallel for r in thread ranges of row tiles
///     for t in range r, g in [0, KG), i in rows of tile t:
///       out[t, g, i, :] = in[t * MR + i, g, :] (xor 0x80 for s8 codes)
///
/// Each thread writes whole tiles (contiguous), so the threads share no
/// cache lines but at range ends; rows of the last tile beyond M stay
/// unwritten (the kernel never reads them). The elementwise generic it
/// replaces moved one byte at a time on one thread: 4.5% of a one-thread
/// 2048^3 GEMM, serial in the two-thread one.
void lowerPacking(linalg::GenericOp g, unsigned threads) {
  OpBuilder b(g);
  Location loc = g.getLoc();
  Value in = g.getDpsInputOperand(0)->get();
  Value out = g.getDpsInitOperand(0)->get();
  auto outType = llvm::cast<MemRefType>(out.getType());
  int64_t m = llvm::cast<MemRefType>(in.getType()).getDimSize(0);
  int64_t mt = outType.getDimSize(0), kg = outType.getDimSize(1);
  int64_t mr = outType.getDimSize(2), gs = outType.getDimSize(3);
  bool flip = g->getAttrOfType<StringAttr>(kKernelAttr).getValue() == kPackS8;
  auto idx = [&](OpBuilder &ob, int64_t v) -> Value {
    return ob.create<arith::ConstantIndexOp>(loc, v);
  };
  auto vecType = VectorType::get({gs}, b.getI8Type());
  auto body = [&](OpBuilder &ob, Value t0, Value t1) {
    forLoop(ob, loc, t0, t1, idx(ob, 1), [&](OpBuilder &b1, Value t) {
      // Rows of tile t: min(MR, M - t * MR).
      Value first = b1.create<arith::MulIOp>(loc, t, idx(b1, mr));
      Value rows = b1.create<arith::MinSIOp>(
          loc, idx(b1, mr), b1.create<arith::SubIOp>(loc, idx(b1, m), first));
      forLoop(b1, loc, idx(b1, 0), idx(b1, kg), idx(b1, 1),
              [&](OpBuilder &b2, Value gi) {
                forLoop(
                    b2, loc, idx(b2, 0), rows, idx(b2, 1),
                    [&](OpBuilder &b3, Value i) {
                      Value row = b3.create<arith::AddIOp>(loc, first, i);
                      Value zero = idx(b3, 0);
                      Value v = b3.create<vector::LoadOp>(
                          loc, vecType, in, ValueRange{row, gi, zero});
                      if (flip)
                        v = b3.create<arith::XOrIOp>(
                            loc, v,
                            b3.create<arith::ConstantOp>(
                                loc, DenseElementsAttr::get(
                                         vecType, b3.getI8IntegerAttr(-128))));
                      b3.create<vector::StoreOp>(loc, v, out,
                                                 ValueRange{t, gi, i, zero});
                    });
              });
    });
  };
  int64_t ranges = std::min<int64_t>(std::max(1u, threads), mt);
  if (ranges <= 1) {
    body(b, idx(b, 0), idx(b, mt));
  } else {
    b.create<scf::ParallelOp>(
        loc, ValueRange{idx(b, 0)}, ValueRange{idx(b, ranges)},
        ValueRange{idx(b, 1)}, [&](OpBuilder &lb, Location, ValueRange ivs) {
          // Tiles [mt * r / ranges, mt * (r + 1) / ranges).
          auto bound = [&](Value q) -> Value {
            return lb.create<arith::DivUIOp>(
                loc, lb.create<arith::MulIOp>(loc, idx(lb, mt), q),
                idx(lb, ranges));
          };
          body(lb, bound(ivs[0]),
               bound(lb.create<arith::AddIOp>(loc, ivs[0], idx(lb, 1))));
        });
  }
  g.erase();
}

struct X86LowerInt8KernelsPass
    : qc::impl::X86LowerInt8KernelsBase<X86LowerInt8KernelsPass> {
  using X86LowerInt8KernelsBase::X86LowerInt8KernelsBase;
  void runOnOperation() override {
    for (const Int8Kernel *kernel : {&kVNNI512, &kAVX2, &kF32AVX512,
                                     &kF32AVX512FMA, &kF32AVX2, &kF32AVX2FMA})
      if (failed(lower(*kernel)))
        return signalPassFailure();
    // Packings whose buffers are not plain (identity layout) stay the
    // generic they are.
    SmallVector<linalg::GenericOp> packs;
    getOperation()->walk([&](linalg::GenericOp g) {
      auto tag = g->getAttrOfType<StringAttr>(kKernelAttr);
      if (!tag || (tag.getValue() != kPackU8 && tag.getValue() != kPackS8))
        return;
      bool plain =
          g.hasPureBufferSemantics() &&
          llvm::all_of(g->getOperands(), [](Value v) {
            return llvm::cast<MemRefType>(v.getType()).getLayout().isIdentity();
          });
      if (plain)
        packs.push_back(g);
      else
        g->removeAttr(kKernelAttr);
    });
    for (linalg::GenericOp g : packs)
      lowerPacking(g, unsigned(threads));
  }

  /// The private function holding the loop nest of `kernel` for operands
  /// of `types` (flat Ap, Bp, corr, C), created on first use: GEMMs of the
  /// same shapes share one copy of the nest (a decoder repeats four or five
  /// shapes over all its layers), which LLVM compiles once.
  func::FuncOp outlined(const Int8Kernel &kernel, TypeRange types) {
    std::string name = ("__qc_" + kernel.tag).str();
    for (Type t : types) {
      name += "_";
      for (int64_t d : llvm::cast<MemRefType>(t).getShape())
        name += std::to_string(d) + "x";
      name.pop_back();
    }
    name += "_t" + std::to_string(unsigned(threads));
    ModuleOp module = getOperation();
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      return f;
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    auto f = mb.create<func::FuncOp>(loc, name,
                                     mb.getFunctionType(types, TypeRange{}));
    f.setPrivate();
    // Internal to the module (func-to-llvm keeps this linkage): LLVM may
    // inline a nest with one caller, and the symbol is never exported.
    f->setAttr("llvm.linkage", LLVM::LinkageAttr::get(mb.getContext(),
                                                      LLVM::Linkage::Internal));
    Block *entry = f.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(entry);
    Int8GemmBuilder(b, loc, kernel, entry->getArgument(0),
                    entry->getArgument(1), entry->getArgument(2),
                    entry->getArgument(3), unsigned(threads))
        .build();
    b.create<func::ReturnOp>(loc);
    return f;
  }

  LogicalResult lower(const Int8Kernel &kernel) {
    auto kernels =
        taggedKernels(getOperation(), kernel.tag, "qc-x86-lower-int8-kernels");
    if (failed(kernels))
      return failure();
    for (linalg::GenericOp g : *kernels) {
      OpBuilder b(g);
      // The kernel addresses Ap [MT, KG, MR*G], Bp [NB, KG, NR*G] and
      // C [MT*MR, NB*NR]; the generic's 4-D operands are those, contiguous.
      SmallVector<Value> flat;
      for (auto [v, groups] : llvm::zip(
               g->getOperands(), SmallVector<SmallVector<ReassociationIndices>>{
                                     {{0}, {1}, {2, 3}},
                                     {{0}, {1}, {2, 3}},
                                     {{0, 1}},
                                     {{0}, {1}}})) {
        flat.push_back(
            b.create<memref::CollapseShapeOp>(g.getLoc(), v, groups));
      }
      func::FuncOp f = outlined(kernel, ValueRange(flat).getTypes());
      b.create<func::CallOp>(g.getLoc(), f, flat);
      g.erase();
    }
    return success();
  }
};

} // namespace

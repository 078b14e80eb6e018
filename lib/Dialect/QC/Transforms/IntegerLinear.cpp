//===- IntegerLinear.cpp - Fake-quantized matmuls as qc.linear ------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// y = nn.matmul(qc.fake_quant(x, sx), qc.dequantize(qc.constant W, sw))
// with integer codes on both sides becomes
//
//   xq  = qc.quantize x, sx                 (the codes fake_quant rounds to)
//   acc = qc.linear xq, W^T : ... -> i32    (exact integer sums)
//   y   = fl32(fl32(f32(acc) * sx) * sw)
//
// The codes are the same; the sum is exact instead of rounded per product
// and per addition in f32, so y differs from the original in the last bits
// of f32 (the value the codes and scales define, rounded three times
// instead of 2K times). Rewritten only where the 32-bit sum cannot
// overflow for any input.
//
// Convolutions the same way:
//
//   y = nn.conv(qc.fake_quant(x, sx), qc.dequantize(qc.constant W, sw), b)
//
// becomes qc.conv over the codes (the weight codes as they are, [M, C/G,
// kH, kW]), then fl32(fl32(f32(acc) * sx) * sw[m]) (+ b[m]). The float
// convolution pads x with 0, which is the dequantized zero point, so
// qc.conv's padding with the zero point gives the same codes.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"
#include "qc/Support/Numerics/Accumulator.h"

#include "qc/Dialect/NN/IR/NN.h"

#include "llvm/ADT/MapVector.h"

namespace qc {
#define GEN_PASS_DEF_INTEGERLINEAR
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// Whether activation scales are constant along the last (K) axis and
/// broadcast against [..., N]: per tensor, or one scale per row of the
/// last axis (per token, scales [..., 1]).
bool constantAlongK(QTensorType t) {
  SchemeAttr s = t.getScheme();
  int64_t last = t.getRank() - 1;
  return s.getGranularity() == Granularity::per_tensor ||
         (s.getGranularity() == Granularity::per_block && s.getAxis() == last &&
          s.getBlock() == t.getShape()[last]);
}

struct IntegerLinearPass : qc::impl::IntegerLinearBase<IntegerLinearPass> {
  using IntegerLinearBase::IntegerLinearBase;

  void runOnOperation() override {
    SmallVector<nn::MatMulOp> matmuls;
    SmallVector<nn::ConvOp> convs;
    getOperation().walk([&](Operation *op) {
      if (auto mm = llvm::dyn_cast<nn::MatMulOp>(op))
        matmuls.push_back(mm);
      else if (auto conv = llvm::dyn_cast<nn::ConvOp>(op);
               conv && convolutions)
        convs.push_back(conv);
    });
    for (nn::MatMulOp mm : matmuls)
      rewrite(mm);
    for (nn::ConvOp conv : convs)
      rewrite(conv);
    for (auto [fq, q] : quantized)
      if (fq->use_empty())
        fq->erase();
  }

  /// The weight codes as [N, K] (a new constant), or null when `d` is not a
  /// symmetric integer dequantization of a constant [K, N] with one scale
  /// per column or per tensor.
  Value transposedWeight(OpBuilder &b, DequantizeOp d,
                         std::vector<int64_t> &ints) {
    QTensorType t = d.getInput().getType();
    auto c = d.getInput().getDefiningOp<qc::ConstantOp>();
    SchemeAttr s = t.getScheme();
    if (!c || t.getRank() != 2 || !llvm::isa<IntFormatAttr>(t.getFormat()) ||
        s.getAsymmetric() || d.getZeroPoints() || d.getGlobalScale() ||
        !(s.getGranularity() == Granularity::per_tensor ||
          (s.getGranularity() == Granularity::per_axis && s.getAxis() == 1)))
      return {};
    num::Format f = t.getNumericFormat();
    auto codes = llvm::cast<DenseIntElementsAttr>(c.getValue());
    int64_t k = t.getShape()[0], n = t.getShape()[1];
    auto storage = codes.getType().getElementType();
    if (storage.getIntOrFloatBitWidth() > 8)
      return {};
    // Codes of at most 8 bits are stored one per byte.
    std::vector<uint8_t> rows(size_t(n * k));
    auto values = codes.getValues<APInt>();
    if (codes.isSplat()) {
      auto v = uint8_t(values[0].getZExtValue());
      std::fill(rows.begin(), rows.end(), v);
    } else {
      ArrayRef<char> raw = codes.getRawData();
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j) {
          auto v = uint8_t(raw[size_t(i * n + j)]);
          rows[size_t(j * k + i)] = v;
        }
    }
    ints.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i)
      ints[i] = f.codeToInt(rows[i]);
    auto rowType = RankedTensorType::get({n, k}, storage);
    auto attr =
        llvm::cast<DenseIntElementsAttr>(DenseElementsAttr::getFromRawBuffer(
            rowType, ArrayRef(reinterpret_cast<const char *>(rows.data()),
                              rows.size())));
    MLIRContext *ctx = b.getContext();
    SchemeAttr ws =
        s.getGranularity() == Granularity::per_tensor
            ? s
            : SchemeAttr::get(ctx, Granularity::per_axis, 0, 0, nullptr,
                              /*asymmetric=*/false, /*dynamic=*/false);
    auto qt = QTensorType::get(ctx, {n, k}, t.getFormat(), ws);
    return b.create<qc::ConstantOp>(c.getLoc(), qt, attr);
  }

  void rewrite(nn::MatMulOp mm) {
    auto fq = mm.getLhs().getDefiningOp<FakeQuantOp>();
    auto d = mm.getRhs().getDefiningOp<DequantizeOp>();
    if (!fq || !d)
      return;
    QTensorType xt = fq.getQuantType();
    auto yt = llvm::cast<RankedTensorType>(mm.getType());
    if (xt.getRank() < 2 || !llvm::isa<IntFormatAttr>(xt.getFormat()) ||
        !constantAlongK(xt) || fq.getGlobalScale() ||
        !yt.getElementType().isF32() ||
        (xt.getScheme().getAsymmetric() &&
         xt.getScheme().getGranularity() != Granularity::per_tensor))
      return;
    OpBuilder b(mm);
    Location loc = mm.getLoc();
    std::vector<int64_t> wInts;
    Value w = transposedWeight(b, d, wInts);
    if (!w)
      return;
    // The exact range of every output channel's sums over any input codes
    // (minus any zero point in the format's range) must fit 32 bits.
    int64_t k = xt.getShape().back();
    num::Format xf = xt.getNumericFormat();
    int64_t xlo = xf.minInt(), xhi = xf.maxInt();
    if (xt.getScheme().getAsymmetric())
      std::tie(xlo, xhi) = std::make_pair(xlo - xhi, xhi - xlo);
    bool fits = true;
    for (size_t j = 0; fits && j < wInts.size(); j += size_t(k))
      fits = num::signedBitsFor(
                 num::dotProductRange(&wInts[j], k, 1, xlo, xhi)) <= 32;
    if (!fits) {
      w.getDefiningOp()->erase();
      return;
    }

    Value xq = quantizedInput(fq);
    Type i32 = b.getI32Type();
    auto accType = RankedTensorType::get(yt.getShape(), i32);
    Value acc =
        b.create<LinearOp>(loc, accType, xq, w, Value(), fq.getZeroPoints());
    Value y = b.create<nn::CastOp>(loc, yt, acc, TypeAttr::get(b.getF32Type()));
    y = b.create<nn::MulOp>(loc, yt, y, fq.getScales());
    y = b.create<nn::MulOp>(loc, yt, y, d.getScales());
    mm.replaceAllUsesWith(y);
    mm.erase();
    Operation *c = d.getInput().getDefiningOp();
    if (d->use_empty())
      d.erase();
    if (c->use_empty())
      c->erase();
    ++numRewritten;
  }

  /// The one qc.quantize of `fq`'s input, next to it.
  Value quantizedInput(FakeQuantOp fq) {
    Value &xq = quantized[fq];
    if (!xq) {
      OpBuilder qb(fq);
      xq = qb.create<QuantizeOp>(fq.getLoc(), fq.getQuantType(), fq.getInput(),
                                 fq.getScales(), fq.getZeroPoints(), Value(),
                                 fq.getRounding(), fq.getSeed());
    }
    return xq;
  }

  /// `v` ([M] or one element) as [M, 1, 1], to scale [N, M, oH, oW] per
  /// output channel.
  static Value perChannel(OpBuilder &b, Location loc, Value v) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    if (t.getNumElements() == 1)
      return v;
    SmallVector<int64_t> shape{t.getNumElements(), 1, 1};
    return b.create<nn::ReshapeOp>(loc, t.clone(shape), v,
                                   b.getDenseI64ArrayAttr(shape));
  }

  void rewrite(nn::ConvOp conv) {
    auto fq = conv.getInput().getDefiningOp<FakeQuantOp>();
    auto d = conv.getWeight().getDefiningOp<DequantizeOp>();
    if (!fq || !d)
      return;
    QTensorType xt = fq.getQuantType(), wt = d.getInput().getType();
    auto yt = llvm::cast<RankedTensorType>(conv.getType());
    auto c = d.getInput().getDefiningOp<qc::ConstantOp>();
    SchemeAttr ws = wt.getScheme();
    // One activation scale (and zero point) for the whole input: the sums
    // run over channels and the window.
    if (!c || !llvm::isa<IntFormatAttr>(xt.getFormat()) ||
        !llvm::isa<IntFormatAttr>(wt.getFormat()) ||
        xt.getScheme().getGranularity() != Granularity::per_tensor ||
        fq.getGlobalScale() || !yt.getElementType().isF32() ||
        ws.getAsymmetric() || d.getZeroPoints() || d.getGlobalScale() ||
        !(ws.getGranularity() == Granularity::per_tensor ||
          (ws.getGranularity() == Granularity::per_axis && ws.getAxis() == 0)))
      return;
    // The exact range of every output channel's sums must fit 32 bits.
    num::Format xf = xt.getNumericFormat(), wf = wt.getNumericFormat();
    int64_t xlo = xf.minInt(), xhi = xf.maxInt();
    if (xt.getScheme().getAsymmetric())
      std::tie(xlo, xhi) = std::make_pair(xlo - xhi, xhi - xlo);
    auto codes = llvm::cast<DenseIntElementsAttr>(c.getValue());
    int64_t m = wt.getShape()[0];
    int64_t k = wt.getStorageType().getNumElements() / m;
    std::vector<int64_t> w;
    w.reserve(size_t(m * k));
    for (const APInt &a : codes.getValues<APInt>())
      w.push_back(wf.codeToInt(uint32_t(a.getZExtValue())));
    for (int64_t j = 0; j < m; ++j)
      if (num::signedBitsFor(
              num::dotProductRange(&w[size_t(j * k)], k, 1, xlo, xhi)) > 32)
        return;

    OpBuilder b(conv);
    Location loc = conv.getLoc();
    Value xq = quantizedInput(fq);
    auto accType = yt.clone(b.getI32Type());
    Value acc = b.create<qc::ConvOp>(
        loc, accType, xq, c, Value(), fq.getZeroPoints(), conv.getStrides(),
        conv.getPads(), conv.getDilations(), conv.getGroup());
    Value y = b.create<nn::CastOp>(loc, yt, acc, TypeAttr::get(b.getF32Type()));
    y = b.create<nn::MulOp>(loc, yt, y, fq.getScales());
    y = b.create<nn::MulOp>(loc, yt, y, perChannel(b, loc, d.getScales()));
    if (Value bias = conv.getBias())
      y = b.create<nn::AddOp>(loc, yt, y, perChannel(b, loc, bias));
    conv.replaceAllUsesWith(y);
    conv.erase();
    if (d->use_empty())
      d.erase();
    ++numRewritten;
  }

  llvm::MapVector<Operation *, Value> quantized;
};

} // namespace

//===- ConstantUtils.cpp - Reading and writing constant weights -----------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//

#include "ConstantUtils.h"

#include "mlir/IR/Matchers.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Quantize.h"
#include "qc/Support/Numerics/Rounding.h"

#include <cmath>
#include <cstring>
#include <random>

#if defined(__linux__)
#include <sys/mman.h>
#endif

using namespace mlir;

/// A mutable, zero-filled blob of `bytes` for a large weight. On Linux it is
/// anonymous memory advised for transparent huge pages: a GiB-size weight
/// then costs a few hundred page faults instead of a quarter million.
static AsmResourceBlob allocateWeightBlob(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) {
    madvise(p, bytes, MADV_HUGEPAGE);
    return AsmResourceBlob(
        ArrayRef<char>(static_cast<const char *>(p), bytes), alignof(float),
        [](void *data, size_t size, size_t) { munmap(data, size); },
        /*dataIsMutable=*/true);
  }
#endif
  return HeapAsmResourceBlob::allocate(bytes, alignof(float));
}

/// dst[i] = src[i], in parallel chunks (the first touch of a new weight's
/// pages is most of the cost of copying it).
static void parallelCopy(ArrayRef<float> src, MutableArrayRef<float> dst) {
  constexpr int64_t kChunk = int64_t(1) << 20;
  int64_t n = int64_t(src.size()), chunks = (n + kChunk - 1) / kChunk;
  qc::num::parallelFor(chunks, 1, [&](int64_t b, int64_t e) {
    int64_t first = b * kChunk, last = std::min(n, e * kChunk);
    std::memcpy(dst.data() + first, src.data() + first,
                size_t(last - first) * sizeof(float));
  });
}

/// The arith.constant defining `v` if it is a statically shaped f32 tensor.
static arith::ConstantOp staticF32Constant(Value v) {
  auto c = v.getDefiningOp<arith::ConstantOp>();
  auto type = c ? llvm::dyn_cast<RankedTensorType>(c.getType()) : nullptr;
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return {};
  return c;
}

bool qc::detail::isF32Constant(Value v) { return bool(staticF32Constant(v)); }

std::optional<ArrayRef<float>> qc::detail::constantFloatsView(Value v) {
  arith::ConstantOp c = staticF32Constant(v);
  if (!c)
    return std::nullopt;
  size_t n = size_t(llvm::cast<RankedTensorType>(c.getType()).getNumElements());
  ArrayRef<char> raw;
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    raw = blob->getData();
  } else if (auto dense = llvm::dyn_cast<DenseElementsAttr>(c.getValue())) {
    if (dense.isSplat())
      return std::nullopt;
    raw = dense.getRawData();
  }
  if (raw.size() < n * sizeof(float) ||
      reinterpret_cast<uintptr_t>(raw.data()) % alignof(float))
    return std::nullopt;
  return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()), n);
}

std::optional<std::vector<float>> qc::detail::constantFloats(Value v) {
  if (auto view = constantFloatsView(v))
    return std::vector<float>(view->begin(), view->end());
  // Splats (and unaligned data): element by element.
  arith::ConstantOp c = staticF32Constant(v);
  auto dense =
      c ? llvm::dyn_cast<DenseElementsAttr>(c.getValue()) : DenseElementsAttr();
  if (!dense)
    return std::nullopt;
  auto values = dense.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

Value qc::detail::floatConstant(OpBuilder &b, Location loc,
                                RankedTensorType type, ArrayRef<float> values) {
  if (values.size() < kResourceThreshold)
    return b.create<arith::ConstantOp>(loc,
                                       DenseElementsAttr::get(type, values));
  // Large weights become resource blobs, as imported external data is:
  // no per-element uniquing hash or splat scan of gigabytes of data.
  AsmResourceBlob blob = allocateWeightBlob(values.size() * sizeof(float));
  MutableArrayRef<char> bytes = blob.getMutableData();
  parallelCopy(values,
               MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()),
                                      values.size()));
  return b.create<arith::ConstantOp>(
      loc, DenseResourceElementsAttr::get(type, "qc_weight", std::move(blob)));
}

/// Whether `w` is a constant weight, possibly quantized to constant codes.
static bool isWeight(Value w) {
  if (w.getDefiningOp<arith::ConstantOp>())
    return true;
  auto dq = w.getDefiningOp<qc::DequantizeOp>();
  return dq && dq.getInput().getDefiningOp<qc::ConstantOp>();
}

Value qc::detail::linearLayerInput(Operation *op) {
  if (auto mm = llvm::dyn_cast<nn::MatMulOp>(op))
    return mm.getRhs().getType().getRank() == 2 && isWeight(mm.getRhs())
               ? mm.getLhs()
               : Value();
  if (auto gemm = llvm::dyn_cast<nn::GemmOp>(op))
    return !gemm.getTransA() && isWeight(gemm.getB()) ? gemm.getA() : Value();
  return {};
}

std::string qc::detail::layerName(Operation *op) {
  Location loc = op->getLoc();
  while (true) {
    if (auto name = llvm::dyn_cast<NameLoc>(loc))
      return name.getName().str();
    if (auto fused = llvm::dyn_cast<FusedLoc>(loc)) {
      if (fused.getLocations().empty())
        break;
      loc = fused.getLocations().front();
      continue;
    }
    if (auto site = llvm::dyn_cast<CallSiteLoc>(loc)) {
      loc = site.getCallee();
      continue;
    }
    break;
  }
  return op->getName().getStringRef().str();
}

std::optional<std::vector<int64_t>> qc::detail::constantInts(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(size_t(attr.getNumElements()));
  for (const APInt &a : attr.getValues<APInt>())
    out.push_back(a.getSExtValue());
  return out;
}

std::optional<qc::detail::LinearAccumulatorRanges>
qc::detail::linearAccumulatorRanges(Operation *op) {
  Value input, weight, biasValue, zeroPoint;
  if (auto l = llvm::dyn_cast<LinearOp>(op)) {
    input = l.getInput(), weight = l.getWeight(), biasValue = l.getBias();
    zeroPoint = l.getInputZeroPoint();
  } else {
    auto c = llvm::cast<qc::ConvOp>(op);
    input = c.getInput(), weight = c.getWeight(), biasValue = c.getBias();
    zeroPoint = c.getInputZeroPoint();
  }
  num::Format xf = llvm::cast<QTensorType>(input.getType()).getNumericFormat();
  int64_t xlo = xf.minInt(), xhi = xf.maxInt();
  if (zeroPoint) {
    if (auto zp = constantInts(zeroPoint))
      xlo -= (*zp)[0], xhi -= (*zp)[0];
    else
      std::tie(xlo, xhi) = std::make_pair(xlo - xhi, xhi - xlo);
  }
  auto wt = llvm::cast<QTensorType>(weight.getType());
  int64_t n = wt.getShape()[0];
  int64_t k = wt.getStorageType().getNumElements() / n;
  std::vector<int64_t> bias(size_t(n), 0);
  if (biasValue) {
    auto b = constantInts(biasValue);
    if (!b)
      return std::nullopt;
    bias = *b;
    if (bias.size() == 1)
      bias.assign(size_t(n), bias[0]);
  }
  num::Format wf = wt.getNumericFormat();
  std::vector<int64_t> w;
  if (auto c = weight.getDefiningOp<qc::ConstantOp>()) {
    auto codes = llvm::cast<DenseIntElementsAttr>(c.getValue());
    w.reserve(size_t(n * k));
    if (codes.isSplat())
      w.assign(
          size_t(n * k),
          wf.codeToInt(uint32_t(codes.getSplatValue<APInt>().getZExtValue())));
    else
      for (const APInt &a : codes.getValues<APInt>())
        w.push_back(wf.codeToInt(uint32_t(a.getZExtValue())));
  }
  LinearAccumulatorRanges out;
  out.ranges.resize(size_t(n));
  if (!w.empty())
    out.maxL1 = 0;
  for (int64_t j = 0; j < n; ++j) {
    num::AccumulatorRange &r = out.ranges[size_t(j)];
    if (!w.empty()) {
      const int64_t *row = &w[size_t(j * k)];
      r = num::dotProductRange(row, k, 1, xlo, xhi, bias[size_t(j)]);
      int64_t norm = 0;
      for (int64_t t = 0; t < k; ++t)
        norm += std::abs(row[t]);
      out.maxL1 = std::max(out.maxL1, norm);
    } else {
      // Every weight may be any code of its format.
      __int128 ends[4] = {
          __int128(wf.minInt()) * xlo, __int128(wf.minInt()) * xhi,
          __int128(wf.maxInt()) * xlo, __int128(wf.maxInt()) * xhi};
      r.lo = bias[size_t(j)] + k * *std::min_element(ends, ends + 4);
      r.hi = bias[size_t(j)] + k * *std::max_element(ends, ends + 4);
    }
    r.lo = std::min<__int128>(r.lo, bias[size_t(j)]);
    r.hi = std::max<__int128>(r.hi, bias[size_t(j)]);
  }
  return out;
}

qc::detail::ProgressBar::ProgressBar(StringRef pass, size_t total,
                                     StringRef unit)
    : pass(pass.str()), unit(unit.str()), total(total),
      shown(llvm::errs().is_displayed() && total > 1) {}

qc::detail::ProgressBar::~ProgressBar() {
  if (shown)
    llvm::errs() << "\n";
}

void qc::detail::ProgressBar::update(size_t done) {
  if (!shown)
    return;
  size_t width = done * 30 / total;
  llvm::errs() << "\r" << pass << ": [" << std::string(width, '#')
               << std::string(30 - width, ' ') << "] " << done << "/" << total
               << " " << unit;
  llvm::errs().flush();
}

std::vector<double> qc::detail::randomOrthogonal(int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> m(size_t(n * n));
  for (double &v : m)
    v = normal(gen);
  for (int64_t i = 0; i < n; ++i) {
    double *row = &m[size_t(i * n)];
    for (int64_t j = 0; j < i; ++j) {
      const double *prev = &m[size_t(j * n)];
      double dot = 0;
      for (int64_t k = 0; k < n; ++k)
        dot += row[k] * prev[k];
      for (int64_t k = 0; k < n; ++k)
        row[k] -= dot * prev[k];
    }
    double norm = 0;
    for (int64_t k = 0; k < n; ++k)
      norm += row[k] * row[k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < n; ++k)
      row[k] /= norm;
  }
  return m;
}

qc::RotationAttrInterface qc::detail::chooseRotation(MLIRContext *ctx,
                                                     int64_t d, bool orthogonal,
                                                     uint64_t seed,
                                                     bool &fellBack) {
  fellBack = false;
  if (!orthogonal && num::factorHadamardOrder(d))
    return qc::HadamardAttr::get(ctx, d, seed);
  fellBack = !orthogonal;
  std::vector<double> m = randomOrthogonal(d, seed);
  std::vector<float> mf(m.begin(), m.end());
  auto type = RankedTensorType::get({d, d}, Float32Type::get(ctx));
  return qc::OrthogonalAttr::get(
      ctx, llvm::cast<DenseFPElementsAttr>(
               DenseElementsAttr::get(type, ArrayRef<float>(mf))));
}

void qc::detail::transformConstant(
    Operation *op, unsigned index,
    llvm::function_ref<void(MutableArrayRef<float>)> fn) {
  Value old = op->getOperand(index);
  auto type = llvm::cast<RankedTensorType>(old.getType());
  size_t count = size_t(type.getNumElements());
  // A weight only this op reads, held in a mutable blob (one that an earlier
  // pass created; imported external data is mapped read-only) is
  // transformed where it is: chained passes do not copy it again.
  if (auto c = old.getDefiningOp<arith::ConstantOp>(); c && old.hasOneUse()) {
    if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
      AsmResourceBlob *blob = res.getRawHandle().getBlob();
      if (blob && blob->isMutable() &&
          blob->getData().size() == count * sizeof(float) &&
          reinterpret_cast<uintptr_t>(blob->getData().data()) %
                  alignof(float) ==
              0 &&
          type.getElementType().isF32()) {
        MutableArrayRef<char> bytes = blob->getMutableData();
        fn(MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()),
                                  count));
        return;
      }
    }
  }
  // The result is built in its final storage: a resource blob for large
  // weights (one copy of the source, no temporary).
  bool big = count >= kResourceThreshold;
  AsmResourceBlob blob;
  std::vector<float> small;
  MutableArrayRef<float> values;
  if (big) {
    blob = allocateWeightBlob(count * sizeof(float));
    MutableArrayRef<char> bytes = blob.getMutableData();
    values =
        MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()), count);
  } else {
    small.resize(count);
    values = small;
  }
  if (auto view = constantFloatsView(old))
    parallelCopy(*view, values);
  else
    llvm::copy(*constantFloats(old), values.begin());
  fn(values);
  OpBuilder b(op);
  Value result =
      big ? b.create<arith::ConstantOp>(
                old.getLoc(), DenseResourceElementsAttr::get(type, "qc_weight",
                                                             std::move(blob)))
          : floatConstant(b, old.getLoc(), type, small);
  op->setOperand(index, result);
  if (Operation *def = old.getDefiningOp(); def && def->use_empty())
    def->erase();
}

/// Large weights under (block) Hadamard rotations: sign flips and
/// butterflies in float directly on the weight (rows in place; columns as
/// whole-row butterflies over tiles of columns), in parallel. False for
/// other rotations.
static bool rotateHadamardInPlace(MutableArrayRef<float> values,
                                  RankedTensorType type,
                                  qc::detail::RotationSide side,
                                  qc::RotationAttrInterface q) {
  int64_t block;
  uint64_t seed;
  if (auto h = llvm::dyn_cast<qc::HadamardAttr>(q)) {
    block = h.getSize();
    seed = h.getSeed();
  } else if (auto b = llvm::dyn_cast<qc::BlockHadamardAttr>(q)) {
    block = b.getBlock();
    seed = b.getSeed();
  } else {
    return false;
  }
  std::vector<char> neg(static_cast<size_t>(block), 0);
  if (seed)
    for (int64_t i = 0; i < block; ++i)
      neg[size_t(i)] = char(qc::num::stochasticBits(seed, uint64_t(i)) & 1);
  double scale = 1.0 / std::sqrt(double(block));
  if (side == qc::detail::RotationSide::Rows) {
    int64_t rows = int64_t(values.size()) / block;
    qc::num::parallelFor(rows, 256, [&](int64_t b, int64_t e) {
      float *x = values.data() + b * block;
      for (int64_t r = 0; r < e - b; ++r)
        for (int64_t i = 0; i < block; ++i)
          if (neg[size_t(i)])
            x[r * block + i] = -x[r * block + i];
      qc::num::hadamardTransformRows(x, e - b, block, false, scale);
    });
    return true;
  }
  int64_t d = type.getDimSize(0), n = type.getNumElements() / d;
  constexpr int64_t kTile = 64;
  int64_t tiles = (n + kTile - 1) / kTile;
  qc::num::parallelFor(tiles, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      int64_t c0 = t * kTile, cols = std::min(kTile, n - c0);
      for (int64_t b0 = 0; b0 < d; b0 += block) {
        float *x = values.data() + b0 * n + c0;
        for (int64_t i = 0; i < block; ++i)
          if (neg[size_t(i)])
            for (int64_t c = 0; c < cols; ++c)
              x[i * n + c] = -x[i * n + c];
        qc::num::hadamardTransformColumns(x, block, cols, n, false, scale);
      }
    }
  });
  return true;
}

void qc::detail::rotateConstantOperand(Operation *op, unsigned index,
                                       RotationSide side,
                                       qc::RotationAttrInterface q) {
  auto type = llvm::cast<RankedTensorType>(op->getOperand(index).getType());
  transformConstant(op, index, [&](MutableArrayRef<float> values) {
    if (values.size() >= kResourceThreshold &&
        rotateHadamardInPlace(values, type, side, q))
      return;
    int64_t d = q.getOrder();
    if (side == RotationSide::Rows) {
      // Chunks of rows in parallel, through a double buffer per chunk.
      int64_t rows = int64_t(values.size()) / d;
      num::parallelFor(rows, 64, [&](int64_t b, int64_t e) {
        std::vector<double> buf(values.begin() + b * d, values.begin() + e * d);
        q.applyToRows(buf.data(), e - b, false);
        std::copy(buf.begin(), buf.end(), values.begin() + b * d);
      });
    } else {
      // Q^T W = (W^T Q)^T: rotate the columns of W (D x N) as rows of W^T,
      // a panel of columns at a time (tiled transposes keep the gathers and
      // scatters in cache), panels in parallel.
      int64_t n = type.getNumElements() / d;
      constexpr int64_t kPanel = 256, kTile = 32;
      int64_t panels = (n + kPanel - 1) / kPanel;
      num::parallelFor(panels, 1, [&](int64_t pb, int64_t pe) {
        std::vector<double> buf;
        for (int64_t p = pb; p < pe; ++p) {
          int64_t c0 = p * kPanel, cols = std::min(kPanel, n - c0);
          buf.assign(size_t(cols * d), 0.0);
          for (int64_t i0 = 0; i0 < d; i0 += kTile)
            for (int64_t j0 = 0; j0 < cols; j0 += kTile)
              for (int64_t i = i0; i < std::min(d, i0 + kTile); ++i)
                for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j)
                  buf[size_t(j * d + i)] = values[size_t(i * n + c0 + j)];
          q.applyToRows(buf.data(), cols, false);
          for (int64_t i0 = 0; i0 < d; i0 += kTile)
            for (int64_t j0 = 0; j0 < cols; j0 += kTile)
              for (int64_t i = i0; i < std::min(d, i0 + kTile); ++i)
                for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j)
                  values[size_t(i * n + c0 + j)] =
                      float(buf[size_t(j * d + i)]);
        }
      });
    }
  });
}

std::vector<int64_t> qc::detail::massDiffPermutation(ArrayRef<double> mass,
                                                     int64_t block) {
  int64_t k = int64_t(mass.size());
  int64_t blocks = k / block;
  std::vector<int64_t> order(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i)
    order[size_t(i)] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return mass[size_t(a)] > mass[size_t(b)] ||
           (mass[size_t(a)] == mass[size_t(b)] && a < b);
  });
  std::vector<std::vector<int64_t>> groups(static_cast<size_t>(blocks));
  std::vector<double> sums(static_cast<size_t>(blocks), 0.0);
  for (int64_t t = 0; t < k; ++t) {
    int64_t c = order[size_t(t)];
    int64_t j = 0;
    if (t < blocks) {
      j = t;
    } else {
      double best = INFINITY;
      for (int64_t g = 0; g < blocks; ++g)
        if (int64_t(groups[size_t(g)].size()) < block &&
            sums[size_t(g)] < best) {
          best = sums[size_t(g)];
          j = g;
        }
    }
    groups[size_t(j)].push_back(c);
    sums[size_t(j)] += mass[size_t(c)];
  }
  std::vector<int64_t> perm;
  perm.reserve(size_t(k));
  for (auto &g : groups)
    perm.insert(perm.end(), g.begin(), g.end());
  return perm;
}

bool qc::detail::addChannelMass(Operation *layer, std::vector<double> &mass) {
  auto cal = layer->getAttrOfType<DictionaryAttr>("qc.calibration");
  auto m = cal ? llvm::dyn_cast_or_null<DenseElementsAttr>(
                     cal.get("channel_mean_abs"))
               : nullptr;
  if (!m)
    return false;
  if (mass.empty())
    mass.assign(size_t(m.getNumElements()), 0.0);
  if (int64_t(mass.size()) != m.getNumElements())
    return false;
  size_t i = 0;
  for (float v : m.getValues<float>())
    mass[i++] += v;
  return true;
}

FailureOr<std::optional<qc::NamedQuantFormat>>
qc::detail::layerFormat(Operation *layer, StringRef kind,
                        const NamedQuantFormat &defaultFormat) {
  auto attr = layer->getAttrOfType<StringAttr>(("qc." + kind).str());
  if (!attr)
    return std::optional<NamedQuantFormat>(defaultFormat);
  if (attr.getValue() == "float")
    return std::optional<NamedQuantFormat>();
  auto f = lookupNamedFormat(layer->getContext(), attr.getValue());
  if (!f)
    return layer->emitError("unknown ")
           << kind << " format '" << attr.getValue() << "' for layer '"
           << layerName(layer) << "' (expected float, " << namedFormatList()
           << ")";
  return std::optional<NamedQuantFormat>(*f);
}

int64_t qc::detail::maxMagnitude(const num::Format &f, bool asymmetric) {
  int64_t lo = f.minInt(), hi = f.maxInt();
  return asymmetric ? hi - lo : std::max(-lo, hi);
}

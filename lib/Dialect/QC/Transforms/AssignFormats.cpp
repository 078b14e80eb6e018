//===- AssignFormats.cpp - Per-layer weight formats under a bit budget ----===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Mixed precision without training: the error each layer causes in each
// candidate format (the model's outputs on calibration samples with that
// layer alone quantized, or the layer's Hessian-weighted error), then the
// exact multiple-choice knapsack that keeps the average bits per weight
// within the budget at the least summed error (num::solveMultipleChoice-
// Knapsack). The choice is each layer's `qc.weights` attribute.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "CalibrationData.h"
#include "ConstantUtils.h"
#include "WeightQuantization.h"
#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Support/Numerics/Knapsack.h"
#include "qc/Support/Numerics/LinearAlgebra.h"
#include "qc/Support/Numerics/Quantize.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>

namespace qc {
#define GEN_PASS_DEF_ASSIGNFORMATS
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// A layer whose weight format is to be chosen.
struct Layer {
  Operation *op;
  int64_t channelAxis, reduceAxis;
  std::vector<float> values;
  /// Options: an index into the candidates, its cost and error.
  std::vector<int> candidate;
  std::vector<num::KnapsackOption> options;
};

struct AssignFormatsPass : qc::impl::AssignFormatsBase<AssignFormatsPass> {
  using AssignFormatsBase::AssignFormatsBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto error = [&]() {
      return emitError(UnknownLoc::get(ctx)) << "qc-assign-formats: ";
    };
    SmallVector<StringRef> names;
    StringRef(candidates).split(names, ',', -1, /*KeepEmpty=*/false);
    if (names.empty())
      return error() << "no candidates (expected e.g. candidates=int4,int8)";
    formats.clear();
    for (StringRef n : names) {
      n = n.trim();
      if (n == "float") {
        formats.push_back({n.str(), std::nullopt});
        continue;
      }
      auto f = lookupNamedFormat(ctx, n);
      if (!f)
        return error() << "unknown candidate '" << n << "' (expected float, "
                       << namedFormatList() << ")";
      formats.push_back({n.str(), *f});
    }
    if (!(bits > 0))
      return error() << "bits must be > 0 (average bits per weight element), "
                        "got "
                     << double(bits);
    if (group < 0)
      return error() << "group must be >= 0, got "
                     << static_cast<int64_t>(group);
    if (metric != "output" && metric != "hessian")
      return error() << "unknown metric '" << metric
                     << "' (expected output or hessian)";
    if (metric == "output" && data.empty())
      return error() << "metric=output needs calibration data (data=DIR "
                        "with DIR/<sample>/<input>.npy)";
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = qc::detail::entryFunction(module, entry);
    if (!func) {
      module.emitError("qc-assign-formats: no function @") << entry;
      return signalPassFailure();
    }
    if (failed(assign(func)))
      signalPassFailure();
  }

  /// The layers of `func` whose weights the quantizers would quantize;
  /// `fixedBits` and `elements` receive the cost of those that already have
  /// a format and the element count of all of them.
  LogicalResult collect(func::FuncOp func, std::vector<Layer> &layers,
                        int64_t &fixedBits, int64_t &elements) {
    bool failed = false;
    func.walk([&](Operation *op) {
      int64_t channel, reduce;
      if (auto mm = llvm::dyn_cast<nn::MatMulOp>(op)) {
        if (mm.getRhs().getType().getRank() != 2)
          return;
        channel = 1, reduce = 0;
      } else if (auto gemm = llvm::dyn_cast<nn::GemmOp>(op)) {
        channel = gemm.getTransB() ? 0 : 1, reduce = gemm.getTransB() ? 1 : 0;
      } else if (llvm::isa<nn::ConvOp>(op)) {
        channel = 0, reduce = 1;
      } else {
        return;
      }
      auto values = qc::detail::constantFloats(op->getOperand(1));
      if (!values || values->size() <= 1)
        return;
      elements += int64_t(values->size());
      if (auto fixed = op->getAttrOfType<StringAttr>("qc.weights")) {
        auto f = qc::detail::layerFormat(
            op, "weights", *lookupNamedFormat(op->getContext(), "int8"));
        if (mlir::failed(f)) {
          failed = true;
          return;
        }
        if (!*f) {
          fixedBits += 32 * int64_t(values->size());
          return;
        }
        auto cost = costOf(op, channel, reduce, *values, **f,
                           /*dequantized=*/false);
        if (!cost) {
          failed = true;
          return;
        }
        fixedBits += cost->first;
        return;
      }
      layers.push_back(Layer{op, channel, reduce, std::move(*values), {}, {}});
    });
    return success(!failed);
  }

  /// The cost in bits of `values` quantized with `f`, and with
  /// `dequantized` the values it rounds them to (else none); none (with an
  /// error) when the format cannot apply.
  std::optional<std::pair<int64_t, std::vector<float>>>
  costOf(Operation *op, int64_t channel, int64_t reduce, ArrayRef<float> values,
         const NamedQuantFormat &f, bool dequantized = true) {
    auto wq = qc::detail::planWeightQuantization(op, 1, values, f, group,
                                                 /*asymmetric=*/false, channel,
                                                 reduce, "qc-assign-formats");
    if (mlir::failed(wq))
      return std::nullopt;
    num::Format fmt = wq->type.getNumericFormat();
    FloatFormatAttr sf = wq->scheme.getScaleFormat();
    int64_t scaleBits = sf ? int64_t(sf.getFloatFormat().bits()) : 32;
    int64_t numScales = int64_t(wq->scales.size());
    int64_t zeroBits = wq->scheme.getAsymmetric() ? int64_t(fmt.bits()) : 0;
    int64_t cost = int64_t(values.size()) * int64_t(fmt.bits()) +
                   numScales * (scaleBits + zeroBits) +
                   (wq->computed.globalScale ? 32 : 0);
    if (!dequantized)
      return std::make_pair(cost, std::vector<float>());
    std::vector<uint32_t> codes(values.size());
    std::vector<float> deq(values.size());
    const int32_t *zp = wq->computed.zeroPoints.empty()
                            ? nullptr
                            : wq->computed.zeroPoints.data();
    num::Scheme ns = wq->scheme.getNumericScheme();
    num::quantize(values.data(), wq->shape, ns, wq->scales.data(), zp, fmt,
                  num::Rounding::NearestEven, 0, codes.data());
    num::dequantize(codes.data(), wq->shape, ns, wq->scales.data(), zp, fmt,
                    deq.data());
    return std::make_pair(cost, std::move(deq));
  }

  /// Whether format `f` applies to `layer` (its block divides K).
  bool applies(const Layer &layer, const NamedQuantFormat &f) {
    int64_t block = group ? int64_t(group) : f.nativeBlock;
    auto t = llvm::cast<RankedTensorType>(layer.op->getOperand(1).getType());
    return !block || t.getDimSize(layer.reduceAxis) % block == 0;
  }

  LogicalResult assign(func::FuncOp func) {
    std::vector<Layer> layers;
    int64_t fixedBits = 0, elements = 0;
    if (failed(collect(func, layers, fixedBits, elements)))
      return failure();
    if (layers.empty())
      return success();

    // The model's float outputs on the samples (metric=output).
    std::vector<std::vector<interp::Tensor>> inputs, refs;
    double refNorm = 0;
    if (metric == "output") {
      std::string err;
      auto dirs = qc::detail::sampleDirs(data, err);
      if (failed(dirs))
        return func.emitError("qc-assign-formats: ") << err;
      size_t count = dirs->size();
      if (samples > 0)
        count = std::min(count, size_t(samples));
      for (size_t s = 0; s < count; ++s) {
        auto in = qc::detail::readSample(func, (*dirs)[s], "qc-assign-formats");
        if (failed(in))
          return failure();
        auto out = interp::run(func, *in);
        if (failed(out))
          return failure();
        for (const interp::Tensor &t : *out)
          if (t.isFloat())
            for (int64_t i = 0; i < t.size(); ++i)
              refNorm += double(t.f()[i]) * double(t.f()[i]);
        inputs.push_back(std::move(*in));
        refs.push_back(std::move(*out));
      }
      if (!(refNorm > 0))
        return func.emitError("qc-assign-formats: the model's float outputs "
                              "are all zero on the calibration samples");
    }

    {
      qc::detail::ProgressBar bar("qc-assign-formats", layers.size(), "layers");
      for (auto [li, layer] : llvm::enumerate(layers)) {
        for (auto [ci, cand] : llvm::enumerate(formats)) {
          if (!cand.second) {
            layer.candidate.push_back(int(ci));
            layer.options.push_back({32 * int64_t(layer.values.size()), 0.0});
            continue;
          }
          if (!applies(layer, *cand.second))
            continue;
          auto q = costOf(layer.op, layer.channelAxis, layer.reduceAxis,
                          layer.values, *cand.second);
          if (!q)
            return failure();
          auto err = metric == "output" ? outputError(func, layer, q->second,
                                                      inputs, refs, refNorm)
                                        : hessianError(layer, q->second);
          if (failed(err))
            return failure();
          layer.candidate.push_back(int(ci));
          layer.options.push_back({q->first, *err});
        }
        if (layer.options.empty())
          return layer.op->emitError("qc-assign-formats: no candidate applies "
                                     "to layer '")
                 << qc::detail::layerName(layer.op)
                 << "' (its reduction dimension is not a multiple of their "
                    "blocks)";
        bar.update(li + 1);
      }
    }

    std::vector<std::vector<num::KnapsackOption>> groups;
    int64_t cheapest = fixedBits;
    for (const Layer &l : layers) {
      groups.push_back(l.options);
      int64_t c = l.options.front().cost;
      for (const num::KnapsackOption &o : l.options)
        c = std::min(c, o.cost);
      cheapest += c;
    }
    int64_t budget = int64_t(std::floor(double(bits) * double(elements)));
    auto choice = num::solveMultipleChoiceKnapsack(groups, budget - fixedBits);
    if (!choice)
      return mlir::emitError(func.getLoc(), "qc-assign-formats: a budget of ")
             << llvm::formatv("{0:f3}", double(bits))
             << " bits per weight is below the cheapest choice of the "
                "candidates, "
             << llvm::formatv("{0:f3}", double(cheapest) / double(elements))
             << " bits per weight";

    // Apply, and summarize.
    Builder b(func.getContext());
    std::vector<int64_t> count(formats.size(), 0);
    int64_t used = fixedBits;
    double error = 0;
    for (auto [l, pick] : llvm::zip(layers, *choice)) {
      int c = l.candidate[size_t(pick)];
      l.op->setAttr("qc.weights", b.getStringAttr(formats[size_t(c)].first));
      ++count[size_t(c)];
      used += l.options[size_t(pick)].cost;
      error += l.options[size_t(pick)].error;
    }
    InFlightDiagnostic d =
        mlir::emitRemark(func.getLoc(), "qc-assign-formats: ");
    bool first = true;
    for (auto [c, f] : llvm::zip(count, formats))
      if (c) {
        d << (first ? "" : ", ") << c << (c == 1 ? " layer " : " layers ")
          << f.first;
        first = false;
      }
    d << "; " << llvm::formatv("{0:f3}", double(used) / double(elements))
      << " bits per weight (budget " << llvm::formatv("{0:f3}", double(bits))
      << "); estimated "
      << (metric == "output" ? "relative output error " : "Hessian error ")
      << llvm::formatv("{0:e3}", error);
    if (!table.empty())
      return writeTable(func, layers);
    return success();
  }

  /// The squared error of the float outputs, relative to their squared
  /// norm, over the samples, with the weight of `layer` replaced by `deq`.
  FailureOr<double> outputError(func::FuncOp func, const Layer &layer,
                                ArrayRef<float> deq,
                                ArrayRef<std::vector<interp::Tensor>> inputs,
                                ArrayRef<std::vector<interp::Tensor>> refs,
                                double refNorm) {
    Value w = layer.op->getOperand(1);
    auto type = llvm::cast<RankedTensorType>(w.getType());
    interp::Tensor t = interp::Tensor::zeros(type, type.getShape().vec());
    std::copy(deq.begin(), deq.end(), t.fMutable());
    interp::Replacements replace;
    replace[w] = t;
    double sum = 0;
    for (auto [in, ref] : llvm::zip(inputs, refs)) {
      auto out = interp::run(func, in, nullptr, &replace);
      if (failed(out))
        return failure();
      for (auto [o, r] : llvm::zip(*out, ref))
        if (o.isFloat())
          for (int64_t i = 0; i < o.size(); ++i) {
            double e = double(o.f()[i]) - double(r.f()[i]);
            sum += e * e;
          }
    }
    return sum / refNorm;
  }

  /// tr(D^T H D) for D = W - Q (K x N) and the layer's Hessian H (K x K).
  FailureOr<double> hessianError(const Layer &layer, ArrayRef<float> deq) {
    Operation *op = layer.op;
    auto h = op->getAttrOfType<DenseElementsAttr>("qc.hessian");
    if (!h)
      return op->emitError("qc-assign-formats: layer '")
             << qc::detail::layerName(op)
             << "' has no Hessian; metric=hessian needs --qc-calibrate with "
                "hessian=true first (grouped convolutions have none: use "
                "metric=output)";
    // A convolution's weight [M, C, kH, kW] is [N, K] with K = C kH kW, its
    // patch Hessian's order.
    auto wType = llvm::cast<RankedTensorType>(op->getOperand(1).getType());
    int64_t n = wType.getDimSize(layer.channelAxis);
    int64_t k = wType.getNumElements() / n;
    if (h.getType().getShape() != ArrayRef<int64_t>{k, k})
      return op->emitError("qc-assign-formats: the Hessian of layer '")
             << qc::detail::layerName(op) << "' is not " << k << "x" << k;
    bool transposed = layer.reduceAxis == 1;
    std::vector<double> d(size_t(k * n)), hd(size_t(k * n), 0.0),
        hv(size_t(k * k));
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j) {
        size_t at = size_t(transposed ? j * k + i : i * n + j);
        d[size_t(i * n + j)] = double(layer.values[at]) - double(deq[at]);
      }
    size_t idx = 0;
    for (float v : h.getValues<float>())
      hv[idx++] = v;
    // hd = -H D, so tr(D^T H D) = -sum(D * hd).
    num::gemmSubtract(k, n, k, hv.data(), k, d.data(), n, /*transB=*/false,
                      hd.data(), n);
    double sum = 0;
    for (size_t i = 0; i < d.size(); ++i)
      sum -= d[i] * hd[i];
    return sum;
  }

  LogicalResult writeTable(func::FuncOp func, ArrayRef<Layer> layers) {
    llvm::json::Array rows;
    for (const Layer &l : layers)
      rows.push_back(llvm::json::Object{
          {"name", qc::detail::layerName(l.op)},
          {"weights",
           l.op->getAttrOfType<StringAttr>("qc.weights").getValue().str()}});
    llvm::json::Object root{{"version", 1}, {"layers", std::move(rows)}};
    std::string errorMessage;
    auto out = mlir::openOutputFile(table, &errorMessage);
    if (!out)
      return func.emitError("qc-assign-formats: ") << errorMessage;
    out->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
              << "\n";
    out->keep();
    return success();
  }

  std::vector<std::pair<std::string, std::optional<NamedQuantFormat>>> formats;
};

} // namespace

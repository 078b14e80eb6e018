//===- LoadCalibration.cpp - Apply a user-edited calibration table --------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Reads the JSON table --qc-calibrate writes (after users edit it) and
// applies it to the linear layers: activation ranges, and per-layer weight
// and activation formats (or "float" to keep a layer unquantized), matched
// by node name or regular expression. Also sets the formats of the first
// and last linear layers.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/Transforms/Passes.h"

#include "ConstantUtils.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

namespace qc {
#define GEN_PASS_DEF_LOADCALIBRATION
#include "qc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace qc

using namespace mlir;
using namespace qc;

namespace {

/// Table keys holding ranges, and the calibration attribute each sets.
constexpr std::pair<const char *, const char *> kRangeKeys[] = {
    {"min", "min"},
    {"max", "max"},
    {"absmax", "absmax"},
    {"percentile", "percentile_value"},
    {"mse_clip", "mse_clip"}};

struct LoadCalibrationPass
    : qc::impl::LoadCalibrationBase<LoadCalibrationPass> {
  using LoadCalibrationBase::LoadCalibrationBase;

  LogicalResult initialize(MLIRContext *ctx) override {
    for (auto [key, value] :
         {std::pair<StringRef, StringRef>{"first", first}, {"last", last}})
      if (!value.empty() && value != "float" && !lookupNamedFormat(ctx, value))
        return emitError(UnknownLoc::get(ctx))
               << "qc-load-calibration: unknown format " << key << "=" << value
               << " (expected float, " << namedFormatList() << ")";
    return success();
  }

  /// Sets a format override ("weights" / "activations") on `layer`.
  static void setFormat(Operation *layer, StringRef kind, StringRef format) {
    layer->setAttr(("qc." + kind).str(),
                   StringAttr::get(layer->getContext(), format));
  }

  /// Applies one table entry to `layer`.
  LogicalResult apply(Operation *layer, const llvm::json::Object &entry,
                      size_t index) {
    Builder b(layer->getContext());
    NamedAttrList cal;
    if (auto old = layer->getAttrOfType<DictionaryAttr>("qc.calibration"))
      cal.append(old.getValue());
    bool changed = false;
    for (auto [key, attr] : kRangeKeys) {
      if (const llvm::json::Value *v = entry.get(key)) {
        std::optional<double> d = v->getAsNumber();
        if (!d)
          return emitTableError(index) << "'" << key << "' is not a number";
        cal.set(attr, b.getF32FloatAttr(float(*d)));
        changed = true;
      }
    }
    // A range given as min / max alone implies its absmax.
    if (changed && !entry.get("absmax") &&
        (entry.get("min") || entry.get("max"))) {
      auto get = [&](StringRef k) {
        auto a = llvm::dyn_cast_or_null<FloatAttr>(cal.get(k));
        return a ? std::fabs(a.getValueAsDouble()) : 0.0;
      };
      cal.set("absmax",
              b.getF32FloatAttr(float(std::max(get("min"), get("max")))));
    }
    if (changed)
      layer->setAttr("qc.calibration", cal.getDictionary(b.getContext()));
    for (StringRef kind : {"weights", "activations"}) {
      const llvm::json::Value *v = entry.get(kind);
      if (!v)
        continue;
      std::optional<StringRef> f = v->getAsString();
      if (!f || (*f != "float" && !lookupNamedFormat(b.getContext(), *f)))
        return emitTableError(index)
               << "'" << kind << "' must be float or one of "
               << namedFormatList();
      setFormat(layer, kind, *f);
    }
    return success();
  }

  InFlightDiagnostic emitTableError(size_t index) {
    return getOperation().emitError("qc-load-calibration: ")
           << table << ": layers[" << index << "]: ";
  }

  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (qc::detail::linearLayerInput(op))
        layers.push_back(op);
    });
    if (!first.empty() && !layers.empty()) {
      // The first layer(s): every layer reading the first layer's input.
      Value x = qc::detail::linearLayerInput(layers.front());
      for (Operation *op : layers)
        if (qc::detail::linearLayerInput(op) == x)
          for (StringRef kind : {"weights", "activations"})
            setFormat(op, kind, first);
    }
    if (!last.empty() && !layers.empty())
      for (StringRef kind : {"weights", "activations"})
        setFormat(layers.back(), kind, last);
    if (table.empty())
      return;

    std::string error;
    auto file = mlir::openInputFile(table, &error);
    if (!file) {
      getOperation().emitError("qc-load-calibration: ") << error;
      return signalPassFailure();
    }
    auto json = llvm::json::parse(file->getBuffer());
    if (!json) {
      getOperation().emitError("qc-load-calibration: ")
          << table
          << " is not valid JSON: " << llvm::toString(json.takeError());
      return signalPassFailure();
    }
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Array *entries =
        root ? root->getArray("layers") : nullptr;
    if (!entries) {
      getOperation().emitError("qc-load-calibration: ")
          << table << " has no \"layers\" array";
      return signalPassFailure();
    }
    for (auto [index, value] : llvm::enumerate(*entries)) {
      const llvm::json::Object *entry = value.getAsObject();
      if (!entry) {
        emitTableError(index) << "not an object";
        return signalPassFailure();
      }
      std::optional<StringRef> name = entry->getString("name");
      std::optional<StringRef> pattern = entry->getString("regex");
      if (!name && !pattern) {
        emitTableError(index) << "needs \"name\" or \"regex\"";
        return signalPassFailure();
      }
      std::optional<llvm::Regex> re;
      if (pattern) {
        re.emplace(("^(" + *pattern + ")$").str());
        std::string why;
        if (!re->isValid(why)) {
          emitTableError(index) << "bad regex '" << *pattern << "': " << why;
          return signalPassFailure();
        }
      }
      size_t matched = 0;
      for (Operation *op : layers) {
        std::string n = qc::detail::layerName(op);
        if (name ? n == *name : re->match(n)) {
          ++matched;
          if (failed(apply(op, *entry, index)))
            return signalPassFailure();
        }
      }
      if (!matched) {
        emitTableError(index)
            << "'" << (name ? *name : *pattern) << "' matches no linear layer";
        return signalPassFailure();
      }
    }
  }
};

} // namespace

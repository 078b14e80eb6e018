//===- ONNXImport.cpp - ONNX to nn + qc -----------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// The importer walks the graph in topological order (rejecting cycles and
// undefined inputs), turns initializers into constants (checking their
// sizes), and maps each node through a handler per operator. Ops are built
// only after their result types were inferred successfully, so a shape error
// is a diagnostic naming the node, never an assertion. Small ops whose
// operands are all constant are folded with the reference interpreter, which
// resolves the Shape/Gather/Concat chains exporters emit.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/ONNX/ONNXImport.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Interpreter/Interpreter.h"
#include "qc/Target/ONNX/ModelLoader.h"

#include "QuantTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <deque>
#include <functional>
#include <limits>

using namespace mlir;
using namespace qc;

namespace {

/// The oldest default-domain opset the importer reads; importONNX upgrades
/// older models to it with ONNX's version converter.
constexpr int64_t kOldestOpset = 13;

/// ONNX TensorProto data types.
enum OnnxType : int32_t {
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBfloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24
};

const char *typeName(int32_t t) {
  switch (t) {
  case kFloat:
    return "float";
  case kUint8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUint16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUint32:
    return "uint32";
  case kUint64:
    return "uint64";
  case kBfloat16:
    return "bfloat16";
  case kFloat8E4M3FN:
    return "float8e4m3fn";
  case kFloat8E4M3FNUZ:
    return "float8e4m3fnuz";
  case kFloat8E5M2:
    return "float8e5m2";
  case kFloat8E5M2FNUZ:
    return "float8e5m2fnuz";
  case kUint4:
    return "uint4";
  case kInt4:
    return "int4";
  case kFloat4E2M1:
    return "float4e2m1";
  case kFloat8E8M0:
    return "float8e8m0";
  default:
    return "unknown";
  }
}

/// The nn element type of an ONNX type (null for unsupported ones).
Type elementType(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case kFloat:
    return b.getF32Type();
  case kFloat16:
    return b.getF16Type();
  case kBfloat16:
    return b.getBF16Type();
  case kDouble:
    return b.getF64Type();
  case kBool:
    return b.getI1Type();
  case kInt8:
    return b.getIntegerType(8);
  case kInt16:
    return b.getIntegerType(16);
  case kInt32:
    return b.getI32Type();
  case kInt64:
    return b.getI64Type();
  case kUint8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case kUint16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case kUint32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case kUint64:
    return b.getIntegerType(64, /*isSigned=*/false);
  default:
    return Type();
  }
}

/// ONNX attributes that are booleans stored as ints.
constexpr llvm::StringLiteral kFlagAttributes[] = {
    "keepdims",   "noop_with_empty_axes",
    "ceil_mode",  "count_include_pad",
    "transA",     "transB",
    "saturate",   "upper",
    "allowzero",  "training_mode",
    "signed",     "narrow",
    "saturation", "select_last_index",
    "exclusive",  "reverse",
    "is_causal",  "largest",
    "sorted"};

/// The most elements a Range node may fold to (it becomes a constant):
/// 1 GiB of float32.
constexpr int64_t kMaxRangeElements = int64_t(1) << 28;

/// The T stored (little-endian, unaligned) at `p`, widened to int64.
template <typename T> int64_t loadAs(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return int64_t(v);
}

/// Bytes per element of the raw_data of fixed-width types (0 for packed or
/// unsupported types).
size_t rawElementSize(int32_t t) {
  switch (t) {
  case kFloat:
  case kInt32:
  case kUint32:
    return 4;
  case kDouble:
  case kInt64:
  case kUint64:
    return 8;
  case kFloat16:
  case kBfloat16:
  case kInt16:
  case kUint16:
    return 2;
  case kBool:
  case kInt8:
  case kUint8:
  case kFloat8E4M3FN:
  case kFloat8E4M3FNUZ:
  case kFloat8E5M2:
  case kFloat8E5M2FNUZ:
    return 1;
  default:
    return 0;
  }
}

bool isSubByte(int32_t t) {
  return t == kInt4 || t == kUint4 || t == kFloat4E2M1;
}

/// The element count of `t`'s declared shape, or -1 when a dimension is
/// negative or the product does not fit in int64.
int64_t elementCount(const onnx::TensorProto &t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return -1;
  return n;
}

/// The number of values `t` stores (in raw_data or its typed field), or -1
/// when the stored data cannot hold a whole number of them. Checked before
/// anything of the tensor's declared size is allocated, so a corrupt shape
/// cannot make the importer allocate more than the file holds.
int64_t storedValues(const onnx::TensorProto &t) {
  int32_t dt = t.data_type();
  if (t.has_raw_data()) {
    int64_t bytes = int64_t(t.raw_data().size());
    if (isSubByte(dt))
      return 2 * bytes; // (n + 1) / 2 bytes hold n values
    size_t es = rawElementSize(dt);
    return es && bytes % int64_t(es) == 0 ? bytes / int64_t(es) : -1;
  }
  switch (dt) {
  case kFloat:
    return t.float_data_size();
  case kDouble:
    return t.double_data_size();
  case kInt64:
    return t.int64_data_size();
  case kUint64:
  case kUint32:
    return t.uint64_data_size();
  default:
    return isSubByte(dt) ? 2 * int64_t(t.int32_data_size())
                         : t.int32_data_size();
  }
}

/// Whether `t` can hold `n` values: the vectors below are sized only after
/// this holds.
bool holdsValues(const onnx::TensorProto &t, int64_t n) {
  int64_t stored = storedValues(t);
  return n >= 0 && stored >= 0 &&
         (isSubByte(t.data_type()) ? (n + 1) / 2 == stored / 2 : n == stored);
}

/// A tensor's values as int64 (integers, bool, the bit patterns of float16 /
/// bfloat16 / float8 / float4) or nullopt when the data is malformed.
std::optional<std::vector<int64_t>> rawIntegers(const onnx::TensorProto &t,
                                                int64_t n) {
  // holdsValues counts float_data / double_data for these; the integer
  // readers below would index int32_data.
  if (t.data_type() == kFloat || t.data_type() == kDouble || !holdsValues(t, n))
    return std::nullopt;
  std::vector<int64_t> out(static_cast<size_t>(n));
  int32_t dt = t.data_type();
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    if (isSubByte(dt)) {
      for (int64_t i = 0; i < n; ++i) {
        uint8_t byte = uint8_t(raw[size_t(i / 2)]);
        int64_t v = (i % 2) ? byte >> 4 : byte & 0xF;
        out[size_t(i)] = dt == kInt4 && v >= 8 ? v - 16 : v;
      }
      return out;
    }
    size_t es = rawElementSize(dt);
    for (int64_t i = 0; i < n; ++i) {
      const char *p = raw.data() + size_t(i) * es;
      switch (dt) {
      case kInt8:
        out[size_t(i)] = int8_t(p[0]);
        break;
      case kUint8:
      case kBool:
      case kFloat8E4M3FN:
      case kFloat8E4M3FNUZ:
      case kFloat8E5M2:
      case kFloat8E5M2FNUZ:
        out[size_t(i)] = uint8_t(p[0]);
        break;
      case kInt16:
        out[size_t(i)] = loadAs<int16_t>(p);
        break;
      case kUint16:
      case kFloat16:
      case kBfloat16:
        out[size_t(i)] = loadAs<uint16_t>(p);
        break;
      case kInt32:
        out[size_t(i)] = loadAs<int32_t>(p);
        break;
      case kUint32:
        out[size_t(i)] = loadAs<uint32_t>(p);
        break;
      case kInt64:
      case kUint64:
        out[size_t(i)] = loadAs<int64_t>(p);
        break;
      default:
        return std::nullopt;
      }
    }
    return out;
  }
  if (dt == kInt64) {
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = t.int64_data(int(i));
    return out;
  }
  if (dt == kUint64 || dt == kUint32) {
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = int64_t(t.uint64_data(int(i)));
    return out;
  }
  // int32_data holds int32, int16, int8, uint16, uint8, bool, float16,
  // bfloat16 and float8 bit patterns, and packed int4 pairs.
  if (isSubByte(dt)) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t byte = t.int32_data(int(i / 2)) & 0xFF;
      int64_t v = (i % 2) ? byte >> 4 : byte & 0xF;
      out[size_t(i)] = dt == kInt4 && v >= 8 ? v - 16 : v;
    }
    return out;
  }
  for (int64_t i = 0; i < n; ++i)
    out[size_t(i)] = t.int32_data(int(i));
  return out;
}

/// A float tensor's values as float32 (float, float16, bfloat16, double).
std::optional<std::vector<float>> rawFloats(const onnx::TensorProto &t,
                                            int64_t n) {
  if (!holdsValues(t, n))
    return std::nullopt;
  std::vector<float> out(static_cast<size_t>(n));
  int32_t dt = t.data_type();
  if (dt == kFloat) {
    if (t.has_raw_data()) {
      memcpy(out.data(), t.raw_data().data(), size_t(n) * 4);
      return out;
    }
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = t.float_data(int(i));
    return out;
  }
  if (dt == kDouble) {
    if (t.has_raw_data()) {
      for (int64_t i = 0; i < n; ++i) {
        double v;
        memcpy(&v, t.raw_data().data() + i * 8, 8);
        out[size_t(i)] = float(v);
      }
      return out;
    }
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = float(t.double_data(int(i)));
    return out;
  }
  if (dt == kFloat16 || dt == kBfloat16) {
    auto bits = rawIntegers(t, n);
    if (!bits)
      return std::nullopt;
    num::Format f = num::Format::minifloat(
        dt == kFloat16 ? num::FloatFormat::fp16() : num::FloatFormat::bf16());
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = float(f.decode(uint32_t((*bits)[size_t(i)] & 0xFFFF)));
    return out;
  }
  return std::nullopt;
}

/// The Properties struct of an op, or EmptyProperties for ops without one.
template <typename T, typename = void> struct PropertiesOf {
  using type = EmptyProperties;
  static constexpr bool present = false;
};
template <typename T>
struct PropertiesOf<T, std::void_t<typename T::Properties>> {
  using type = typename T::Properties;
  static constexpr bool present = true;
};

/// Explicit pads of a window (the begins of its spatial dimensions, then
/// their ends) from auto_pad.
std::optional<SmallVector<int64_t>>
resolvePads(StringRef autoPad, ArrayRef<int64_t> explicitPads,
            ArrayRef<int64_t> in, ArrayRef<int64_t> k, ArrayRef<int64_t> s,
            ArrayRef<int64_t> d) {
  size_t dims = k.size();
  auto positive = [&](ArrayRef<int64_t> v) {
    return v.size() == dims && llvm::all_of(v, [](int64_t e) { return e > 0; });
  };
  // Kernel, strides and dilations divide and multiply below.
  if (dims == 0 || in.size() != dims || !positive(k) || !positive(s) ||
      !positive(d))
    return std::nullopt;
  SmallVector<int64_t> zeros(2 * dims, 0);
  if (autoPad.empty() || autoPad == "NOTSET") {
    if (explicitPads.empty())
      return zeros;
    if (explicitPads.size() != 2 * dims ||
        llvm::any_of(explicitPads, [](int64_t p) { return p < 0; }))
      return std::nullopt;
    return SmallVector<int64_t>(explicitPads);
  }
  if (autoPad == "VALID")
    return zeros;
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return std::nullopt;
  SmallVector<int64_t> pads(2 * dims);
  for (size_t i = 0; i < dims; ++i) {
    int64_t out = (in[i] + s[i] - 1) / s[i];
    int64_t total =
        std::max<int64_t>(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in[i]);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + dims] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}

class Importer {
public:
  Importer(MLIRContext *ctx, const onnx::ModelProto &model, StringRef filename,
           const ONNXImportOptions &opts)
      : ctx(ctx), b(ctx), model(model), filename(filename.str()), opts(opts) {}

  OwningOpRef<ModuleOp> run();

private:
  using Outputs = FailureOr<SmallVector<Value>>;
  struct Node {
    const onnx::NodeProto &proto;
    Location loc;
    SmallVector<Value> in; // Null for omitted optional inputs.
  };
  using Handler = std::function<Outputs(Importer &, Node &)>;

  MLIRContext *ctx;
  OpBuilder b;
  const onnx::ModelProto &model;
  std::string filename;
  const ONNXImportOptions &opts;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  /// Every initializer by name (quantized ones are only read from here).
  llvm::StringMap<const onnx::TensorProto *> initializers;

public:
  static const llvm::StringMap<Handler> &handlers();

private:
  //===--------------------------------------------------------------------===//
  // Diagnostics and attributes
  //===--------------------------------------------------------------------===//

  static std::string nodeLabel(const onnx::NodeProto &n, int index) {
    std::string name =
        n.name().empty() ? "#" + std::to_string(index) : n.name();
    std::string dom =
        n.domain().empty() || n.domain() == "ai.onnx" ? "" : n.domain() + ":";
    return "node '" + name + "' (" + dom + n.op_type() + ")";
  }
  InFlightDiagnostic error(const Node &n) {
    return emitError(n.loc) << nodeLabel(n.proto, currentIndex) << ": ";
  }

  static const onnx::AttributeProto *attr(const Node &n, StringRef name) {
    for (const auto &a : n.proto.attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  static int64_t getInt(const Node &n, StringRef name, int64_t def) {
    auto *a = attr(n, name);
    return a ? a->i() : def;
  }
  static float getFloat(const Node &n, StringRef name, float def) {
    auto *a = attr(n, name);
    return a ? a->f() : def;
  }
  static std::string getString(const Node &n, StringRef name, StringRef def) {
    auto *a = attr(n, name);
    return a ? a->s() : def.str();
  }
  static std::optional<SmallVector<int64_t>> getInts(const Node &n,
                                                     StringRef name) {
    auto *a = attr(n, name);
    if (!a)
      return std::nullopt;
    return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
  }

  //===--------------------------------------------------------------------===//
  // Values
  //===--------------------------------------------------------------------===//

  static RankedTensorType tt(Value v) {
    return llvm::cast<RankedTensorType>(v.getType());
  }

  /// The constant data of a value, if it is defined by arith.constant.
  static DenseElementsAttr constantOf(Value v) {
    if (!v)
      return {};
    if (auto c = v.getDefiningOp<arith::ConstantOp>())
      return llvm::dyn_cast<DenseElementsAttr>(c.getValue());
    return {};
  }

  /// Integer values of a constant input (shapes, axes, starts, ...).
  std::optional<SmallVector<int64_t>> constInts(Node &n, size_t i,
                                                StringRef what) {
    DenseElementsAttr c =
        i < n.in.size() ? constantOf(n.in[i]) : DenseElementsAttr();
    if (!c || !c.getElementType().isIntOrIndex()) {
      error(n) << what
               << " must be a constant integer tensor (a computed value is "
                  "not supported)";
      return std::nullopt;
    }
    SmallVector<int64_t> out;
    for (const APInt &v : c.getValues<APInt>())
      out.push_back(v.getSExtValue());
    return out;
  }

  /// The one integer value of a constant input (CumSum's axis, TopK's k).
  std::optional<int64_t> constInt(Node &n, size_t i, StringRef what) {
    auto v = constInts(n, i, what);
    if (!v)
      return std::nullopt;
    if (v->size() != 1) {
      error(n) << what << " must hold one value";
      return std::nullopt;
    }
    return (*v)[0];
  }

  std::optional<float> constScalarFloat(Node &n, size_t i, StringRef what) {
    DenseElementsAttr c = constantOf(n.in[i]);
    if (!c || !llvm::isa<FloatType>(c.getElementType()) ||
        c.getNumElements() != 1) {
      error(n) << what << " must be a constant float scalar";
      return std::nullopt;
    }
    return float((*c.getValues<APFloat>().begin()).convertToDouble());
  }

  Value constant(Location loc, ElementsAttr attr) {
    return b.create<arith::ConstantOp>(loc, attr);
  }

  /// A constant of the integer type `elem` and `shape`.
  Value intConstant(Location loc, Type elem, ArrayRef<int64_t> vals,
                    ArrayRef<int64_t> shape) {
    SmallVector<APInt> ints;
    for (int64_t v : vals)
      ints.push_back(
          APInt(elem.getIntOrFloatBitWidth(), uint64_t(v), /*isSigned=*/true));
    return constant(
        loc, DenseElementsAttr::get(RankedTensorType::get(shape, elem), ints));
  }
  Value i64Constant(Location loc, ArrayRef<int64_t> vals,
                    ArrayRef<int64_t> shape) {
    return intConstant(loc, b.getI64Type(), vals, shape);
  }
  /// A constant of the float type `elem` and `shape`, each value rounded
  /// once (to nearest even) from double.
  Value floatConstant(Location loc, Type elem, ArrayRef<double> vals,
                      ArrayRef<int64_t> shape) {
    SmallVector<APFloat> floats;
    for (double v : vals) {
      APFloat a(v);
      bool lost;
      a.convert(llvm::cast<FloatType>(elem).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      floats.push_back(a);
    }
    return constant(loc, DenseElementsAttr::get(
                             RankedTensorType::get(shape, elem), floats));
  }
  /// Zeros of `shape` and element type `elem`.
  Value zeros(Location loc, Type elem, ArrayRef<int64_t> shape) {
    return constant(loc,
                    DenseElementsAttr::get(RankedTensorType::get(shape, elem),
                                           b.getZeroAttr(elem)));
  }

  /// Builds `OpTy` after inferring its result types; a failed inference is a
  /// diagnostic at the node's location, not an assertion.
  /// Builds the nn ops of one ONNX node in sequence (activations that ONNX
  /// defines by a formula). The first failure sticks: its diagnostic is
  /// emitted, and every later step returns a null value.
  struct Chain {
    Importer &im;
    Node &n;
    bool failed = false;
    template <typename OpTy>
    Value op(ArrayRef<Value> in, ArrayRef<NamedAttribute> attrs = {}) {
      if (failed || llvm::is_contained(in, Value())) {
        failed = true;
        return Value();
      }
      auto r = im.build<OpTy>(n, in, attrs);
      if (mlir::failed(r)) {
        failed = true;
        return Value();
      }
      return (*r)->getResult(0);
    }
    /// A rank-0 constant of the float type `elem` (rounded to it).
    Value scalar(Type elem, double v) {
      return im.floatConstant(n.loc, elem, {v}, {});
    }
    Outputs result(Value v) {
      if (failed || !v)
        return failure();
      return SmallVector<Value>{v};
    }
    // The data-movement ops the decompositions build most.
    Value reshape(Value v, ArrayRef<int64_t> shape) {
      return op<nn::ReshapeOp>(
          {v}, {im.named("shape", im.b.getDenseI64ArrayAttr(shape))});
    }
    Value transpose(Value v, ArrayRef<int64_t> perm) {
      return op<nn::TransposeOp>(
          {v}, {im.named("perm", im.b.getDenseI64ArrayAttr(perm))});
    }
    Value concat(ArrayRef<Value> vs, int64_t axis) {
      return op<nn::ConcatOp>(vs,
                              {im.named("axis", im.b.getI64IntegerAttr(axis))});
    }
    /// The values `vs` (one type) stacked along a new axis `axis`
    /// (negative: from the end of the result's rank); null without failing
    /// if the axis is out of range.
    Value stack(ArrayRef<Value> vs, int64_t axis) {
      auto et = llvm::cast<RankedTensorType>(vs.front().getType());
      int64_t r = et.getRank() + 1;
      if (axis < -r || axis >= r)
        return Value();
      axis = axis < 0 ? axis + r : axis;
      SmallVector<int64_t> shape(et.getShape());
      shape.insert(shape.begin() + axis, 1);
      SmallVector<Value> parts;
      for (Value v : vs)
        parts.push_back(reshape(v, shape));
      return parts.size() == 1 ? parts.front() : concat(parts, axis);
    }
    // Elementwise arithmetic (broadcasting as the nn ops do).
    Value add(Value a, Value b) { return op<nn::AddOp>({a, b}); }
    Value sub(Value a, Value b) { return op<nn::SubOp>({a, b}); }
    Value mul(Value a, Value b) { return op<nn::MulOp>({a, b}); }
    Value div(Value a, Value b) { return op<nn::DivOp>({a, b}); }
    Value select(Value cond, Value a, Value b) {
      return op<nn::WhereOp>({cond, a, b});
    }
    Value slice(Value v, ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                ArrayRef<int64_t> sizes) {
      return op<nn::SliceOp>(
          {v}, {im.named("starts", im.b.getDenseI64ArrayAttr(starts)),
                im.named("steps", im.b.getDenseI64ArrayAttr(steps)),
                im.named("sizes", im.b.getDenseI64ArrayAttr(sizes))});
    }
  };

  /// ONNX activations defined by a formula (HardSigmoid, HardSwish, PRelu,
  /// Elu, Selu, Celu, ThresholdedRelu, Shrink, Softplus, Softsign, Mish,
  /// Swish), built from
  /// nn ops in the order of ONNX's reference implementation, so that each
  /// rounding is the reference's.
  Outputs activation(Node &n);

  /// ONNX Attention (opset 23; nonpad_kv_seqlen of opset 24) as nn ops in
  /// the order of ONNX's reference implementation: 3-D inputs split into
  /// heads, Q and K each times sqrt(scale), the KV cache concatenated,
  /// K / V heads repeated for grouped-query attention, the mask (bool or
  /// additive, padded with -inf to the KV length), the causal mask and the
  /// KV padding added to Q K^T, softcap, softmax (in softmax_precision),
  /// times V; Y, present_key / present_value and qk_matmul_output.
  Outputs attention(Node &n);

  /// ONNX Einsum as nn ops: per operand, repeated labels become diagonals
  /// (nn.gather of the flattened pair) and labels no other operand or the
  /// output has are summed (nn.reduce_sum); operands are then folded left
  /// to right, each pair one batched nn.matmul ([batch, free of A,
  /// contracted] x [batch, contracted, free of B], by transposes and
  /// reshapes); a last transpose gives the output's order. Ellipses are
  /// right-aligned and broadcast; the implicit output is the ellipsis, then
  /// the labels used once, in alphabetical order.
  Outputs einsum(Node &n);

  /// ONNX NegativeLogLikelihoodLoss on `logp` (the input, or
  /// SoftmaxCrossEntropyLoss's log-probabilities) as nn ops: the target's
  /// entries picked along axis 1 (nn.gather_elements; ignored targets read
  /// class 0 and give 0), negated, times the class weights (nn.gather);
  /// reduced by "none", "sum" or "mean" (the sum over the sum of the
  /// applied weights: ignored targets do not count). Null on a diagnostic.
  Value nllLoss(Chain &c, Node &n, Value logp);

  /// ONNX RNN, GRU and LSTM as nn ops, the time steps unrolled (static
  /// sequence length): per direction the input projections of every step
  /// in one nn.matmul, then per step the recurrent one, the gates in
  /// ONNX's order (GRU z r h, LSTM i o f c; peepholes; GRU's
  /// linear_before_reset) with the default activations; Y, Y_h and Y_c in
  /// either layout. Custom activations, clip, input_forget and
  /// sequence_lens shorter than the sequence are diagnosed.
  Outputs recurrent(Node &n);

  /// ONNX RotaryEmbedding (opset 23) as nn ops in the order of ONNX's
  /// reference: the input as [batch, sequence, heads, head size], the
  /// caches gathered by position_ids (or given per batch and position), the
  /// first rotary_embedding_dim entries rotated in halves or interleaved
  /// pairs (real = cos x1 - sin x2, imaginary = sin x1 + cos x2), the rest
  /// passed through. `contrib`: com.microsoft RotaryEmbedding (inputs
  /// input, position_ids, cos_cache, sin_cache; position_ids [batch,
  /// sequence], or one offset added to each token's index), which computes
  /// the same.
  Outputs rotaryEmbedding(Node &n, bool contrib);
  /// Rotates the first `dim` entries of x [batch, sequence, heads, head
  /// size] by cosV / sinV [batch, sequence, 1, dim / 2], in halves or
  /// interleaved pairs, as rotaryEmbedding.
  Value rotate(Chain &c, Value x, Value cosV, Value sinV, int64_t dim,
               bool interleaved);

  /// com.microsoft GroupQueryAttention (the attention of onnxruntime-genai's
  /// decoders) as onnxruntime's CPU kernel computes it, for a compile-time
  /// total_sequence_length T: query / key / value [batch, S, heads * size]
  /// (or packed in query); with do_rotary, Q and K rotated by the caches at
  /// positions generated from seqlens_k (the first prompt, S = T: s;
  /// otherwise seqlens_k + 1 - S + s) or given by position_ids; present_key /
  /// present_value [batch, kv heads, max(T, past), size] holding each
  /// sequence's past_b = seqlens_k + 1 - S cached rows (0 for the first
  /// prompt), its S new rows, zeros after; scores scale * Q K^T (scale, or 1 /
  /// sqrt(size)) of each query head against its group's K, softcap, causal
  /// within each sequence (local_window_size keeps the last window + 1 keys),
  /// softmax (with smooth_softmax or head_sink an extra logit of 0 or the
  /// head's sink), times V.
  Outputs groupQueryAttention(Node &n);

  /// ONNX ConvTranspose (1-D and 2-D) as the equivalent direct nn.conv:
  /// the input with stride - 1 zeros inserted between its elements, padded
  /// by dilation * (kernel - 1) - pads (output_padding added at the end;
  /// negative amounts crop), convolved with stride 1 and the weight
  /// [C, M/group, kH, kW] regrouped to [M, C/group, kH, kW] and flipped in
  /// space (folded at import for constant weights). output_shape and
  /// auto_pad resolve to pads as in ONNX's reference.
  Outputs convTranspose(Node &n);

  /// ONNX Pad (constant, edge, reflect or wrap; negative pads crop) as
  /// slices and concatenations, one axis after the other as NumPy's pad.
  Outputs pad(Node &n);

  /// ONNX Resize with constant scales or sizes, nearest or linear: per
  /// resized axis, the source indices (and linear weights) are computed at
  /// compile time in double precision, as ONNX's reference does, and the
  /// axis is resized by nn.gather (linear: two gathers, weighted and
  /// summed in the tensor's type).
  Outputs resize(Node &n);

  /// `v` in f32: float16 / bfloat16 widened exactly by an nn.cast, f32 as
  /// it is; another element type is an error naming `what`.
  FailureOr<Value> widenToF32(Node &n, Value v, StringRef what) {
    Type e = tt(v).getElementType();
    if (e.isF32())
      return v;
    if (!e.isF16() && !e.isBF16())
      return error(n) << what << " must be float32, float16 or bfloat16, not "
                      << e,
             failure();
    return castTo(n, v, b.getF32Type());
  }

  /// `v` converted to the element type `elem` by an nn.cast (rounded once),
  /// or `v` when it has that type.
  FailureOr<Value> castTo(Node &n, Value v, Type elem) {
    if (tt(v).getElementType() == elem)
      return v;
    auto cast = build<nn::CastOp>(n, {v}, {named("to", TypeAttr::get(elem))});
    if (failed(cast))
      return failure();
    return (*cast)->getResult(0);
  }

  /// A convolution or pooling window in the 2-D form of nn.conv and the
  /// pooling ops: kernel, strides, dilations and [top, left, bottom, right]
  /// pads.
  struct Window {
    SmallVector<int64_t> kernel, strides, dilations, pads;
  };

  /// The window of a 1-D (input [N, C, L]), 2-D ([N, C, H, W]) or 3-D
  /// ([N, C, D, H, W]) node from its kernel and its strides, dilations,
  /// pads and auto_pad attributes. A 1-D window becomes a 2-D one over a
  /// height of 1 (kernel, stride and dilation 1 and no padding along it).
  FailureOr<Window> convWindow(Node &n, RankedTensorType x,
                               SmallVector<int64_t> kernel) {
    size_t dims = size_t(x.getRank() - 2);
    SmallVector<int64_t> ones(dims, 1);
    Window w{kernel,
             getInts(n, "strides").value_or(ones),
             getInts(n, "dilations").value_or(ones),
             {}};
    SmallVector<int64_t> pads =
        getInts(n, "pads").value_or(SmallVector<int64_t>{});
    SmallVector<int64_t> spatial(x.getShape().drop_front(2));
    if (w.kernel.size() != dims || w.strides.size() != dims ||
        w.dilations.size() != dims ||
        (!pads.empty() && pads.size() != 2 * dims))
      return error(n) << "a " << dims << "-D window needs " << dims
                      << (dims == 1 ? " entry" : " entries")
                      << " in kernel_shape, strides and dilations and "
                      << 2 * dims << " in pads",
             failure();
    if (dims == 1) {
      w.kernel.insert(w.kernel.begin(), 1);
      w.strides.insert(w.strides.begin(), 1);
      w.dilations.insert(w.dilations.begin(), 1);
      if (!pads.empty())
        pads = {0, pads[0], 0, pads[1]};
      spatial.insert(spatial.begin(), 1);
    }
    auto resolved = resolvePads(getString(n, "auto_pad", "NOTSET"), pads,
                                spatial, w.kernel, w.strides, w.dilations);
    if (!resolved)
      return error(n) << "invalid kernel_shape, pads, strides or dilations "
                         "(positive kernel, strides and dilations, "
                         "non-negative pads)",
             failure();
    w.pads = *resolved;
    return w;
  }

  /// [N, C, L] as [N, C, 1, L].
  FailureOr<Value> liftTo2D(Node &n, Value v) {
    auto shape = tt(v).getShape();
    auto r = build<nn::ReshapeOp>(
        n, {v},
        {named("shape",
               b.getDenseI64ArrayAttr({shape[0], shape[1], 1, shape[2]}))});
    if (failed(r))
      return failure();
    return (*r)->getResult(0);
  }

  /// [N, C, 1, L] back to [N, C, L] when `oneD`.
  Outputs dropHeight(Node &n, Value v, bool oneD) {
    if (!oneD)
      return SmallVector<Value>{v};
    auto shape = tt(v).getShape();
    return one<nn::ReshapeOp>(
        n, {v},
        {named("shape",
               b.getDenseI64ArrayAttr({shape[0], shape[1], shape[3]}))});
  }

  /// Runs `fn` with its diagnostics held back; the first one's message goes
  /// to `message` (for a diagnostic that names the node instead).
  LogicalResult firstDiagnostic(std::string &message,
                                llvm::function_ref<LogicalResult()> fn) {
    ScopedDiagnosticHandler keep(ctx, [&](Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    return fn();
  }

  template <typename OpTy>
  FailureOr<Operation *> build(Node &n, ValueRange operands,
                               ArrayRef<NamedAttribute> attrs = {}) {
    DictionaryAttr dict = DictionaryAttr::get(ctx, attrs);
    typename PropertiesOf<OpTy>::type props;
    OpaqueProperties opaque(nullptr);
    if constexpr (PropertiesOf<OpTy>::present) {
      if (failed(OpTy::setPropertiesFromAttr(props, dict,
                                             [&] { return error(n); })))
        return failure();
      opaque = OpaqueProperties(&props);
    }
    for (auto [i, v] : llvm::enumerate(operands))
      if (!v)
        return error(n) << "'" << OpTy::getOperationName() << "' needs operand "
                        << i << ", which is missing (an empty input name)",
               failure();
    SmallVector<Type> types;
    // A failed inference (operands whose shapes do not fit) is a diagnostic
    // naming the node and the op.
    std::string inferred;
    LogicalResult typed = firstDiagnostic(inferred, [&] {
      return OpTy::inferReturnTypes(ctx, n.loc, operands, dict, opaque, {},
                                    types);
    });
    if (failed(typed))
      return error(n) << "'" << OpTy::getOperationName() << "' op "
                      << (inferred.empty() ? "cannot infer its result type"
                                           : inferred),
             failure();
    OperationState state(n.loc, OpTy::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attrs);
    state.addTypes(types);
    Operation *op = b.create(state);
    // Verified before anything evaluates it (constant folding): an operand
    // of a type the op does not take is a diagnostic at the node.
    std::string why;
    LogicalResult valid = firstDiagnostic(
        why, [&] { return mlir::verify(op, /*verifyRecursively=*/false); });
    if (failed(valid)) {
      op->erase();
      return error(n) << why, failure();
    }
    return foldIfConstant(op);
  }

  template <typename OpTy>
  Outputs one(Node &n, ValueRange operands,
              ArrayRef<NamedAttribute> attrs = {}) {
    auto op = build<OpTy>(n, operands, attrs);
    if (failed(op))
      return failure();
    return SmallVector<Value>((*op)->getResults());
  }

  /// Replaces an op whose operands are all constant by constants when its
  /// results are small (shape computations).
  Operation *foldIfConstant(Operation *op) {
    if (op->getNumOperands() == 0)
      return op;
    std::vector<interp::Tensor> operands;
    for (Value v : op->getOperands()) {
      DenseElementsAttr c = constantOf(v);
      if (!c)
        return op;
      auto t = interp::fromAttribute(c, v.getType());
      if (failed(t))
        return op;
      operands.push_back(*t);
    }
    for (Value r : op->getResults()) {
      auto t = llvm::dyn_cast<RankedTensorType>(r.getType());
      if (!t || t.getNumElements() > opts.foldLimit)
        return op;
    }
    auto results = interp::evaluate(op, operands, /*emitErrors=*/false);
    if (failed(results))
      return op;
    SmallVector<Value> repl;
    for (auto [r, t] : llvm::zip(op->getResults(), *results))
      repl.push_back(constant(
          op->getLoc(),
          interp::toAttribute(t, llvm::cast<RankedTensorType>(r.getType()))));
    Operation *first = repl.front().getDefiningOp();
    op->replaceAllUsesWith(repl);
    op->erase();
    return first;
  }

  NamedAttribute named(StringRef name, Attribute a) {
    return b.getNamedAttr(name, a);
  }

  //===--------------------------------------------------------------------===//
  // Graph
  //===--------------------------------------------------------------------===//

  int currentIndex = 0;

  FailureOr<ElementsAttr> externalAttr(const onnx::TensorProto &t,
                                       RankedTensorType type, Location loc);
  FailureOr<ElementsAttr> initializerAttr(const onnx::TensorProto &t,
                                          Location loc);
  LogicalResult importGraph(const onnx::GraphProto &g, func::FuncOp &func);
  /// Imports `nodes` in a topological order into the current insertion
  /// point, reading values already imported (graph inputs, initializers
  /// `inits`, outer nodes) and recording their outputs.
  LogicalResult
  importNodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto> &nodes,
              const llvm::StringMap<const onnx::TensorProto *> &inits,
              Location fileLoc);
  /// The names the nodes of `g` (and of their subgraphs) read that `g` does
  /// not define itself (outer values), appended to `reads`.
  static void subgraphReads(const onnx::GraphProto &g,
                            SmallVector<std::string> &reads) {
    llvm::StringSet<> defined;
    for (const auto &i : g.input())
      defined.insert(i.name());
    for (const auto &t : g.initializer())
      defined.insert(t.name());
    for (const auto &node : g.node())
      for (const auto &o : node.output())
        defined.insert(o);
    SmallVector<std::string> inner;
    for (const auto &node : g.node()) {
      inner.append(node.input().begin(), node.input().end());
      for (const auto &a : node.attribute())
        if (a.has_g())
          subgraphReads(a.g(), inner);
    }
    for (const auto &o : g.output())
      inner.push_back(o.name());
    for (auto &name : inner)
      if (!name.empty() && !defined.count(name))
        reads.push_back(name);
  }
  /// ONNX If whose condition is known at compile time (constant, or folded
  /// from shapes): the nodes of the branch it takes, inline; their outputs
  /// are the If's.
  Outputs ifThenElse(Node &n);
  /// ONNX Scan, unrolled: the sequence length (the scan inputs' extent along
  /// their axes) is known at compile time, and the body is imported once
  /// per step with the state variables and each scan input's slice bound
  /// to its inputs (in reverse order for scan_input_directions = 1); the
  /// scan outputs' per-step values are stacked along scan_output_axes
  /// (reversed for scan_output_directions = 1).
  Outputs scan(Node &n);
  /// ONNX Loop with a trip count known at compile time and a condition that
  /// stays true (absent or constant, and the body's folding to true or
  /// passing its input through), unrolled like Scan: the body imported
  /// once per iteration with the iteration number, the condition and the
  /// loop-carried values; scan outputs stacked along a new first axis.
  Outputs loop(Node &n);
  /// The body `g` of a Scan or Loop unrolled to `count` steps (`unit`
  /// names them in the error): at most 100000 nodes in all; its
  /// initializers as constants (subgraphInitializers).
  LogicalResult unrolledBody(const onnx::GraphProto &g, int64_t count,
                             StringRef unit,
                             llvm::StringMap<const onnx::TensorProto *> &inits,
                             Node &n);
  /// The initializers of subgraph `g` as constants (into `inits` and the
  /// values by name).
  LogicalResult
  subgraphInitializers(const onnx::GraphProto &g,
                       llvm::StringMap<const onnx::TensorProto *> &inits,
                       Node &n);
  /// Imports the nodes of subgraph `g` inline (its inputs already bound by
  /// name) and returns its outputs.
  FailureOr<SmallVector<Value>>
  subgraphOutputs(const onnx::GraphProto &g,
                  const llvm::StringMap<const onnx::TensorProto *> &inits,
                  Node &n);

  // Handlers (defined below).
  Outputs unaryOp(Node &n);
  Outputs binaryOp(Node &n);
  Outputs quantizeLinear(Node &n);
  Outputs dequantizeLinear(Node &n);
  /// ONNX's view of a quantized tensor: the codes of an integer-format
  /// `!qc.qtensor` (qc.codes); other values as they are.
  FailureOr<Value> integerView(Node &n, Value v, StringRef what);
  /// A per-axis quantization parameter `p` (1-D, one value per slice of
  /// `axis`) reshaped to broadcast against a tensor of rank `rank`; scalars
  /// and one-element tensors as they are.
  FailureOr<Value> alongAxis(Node &n, Value p, int64_t rank, int64_t axis);
  /// nn.matmul_integer of ONNX's MatMulInteger operands (a 1-D per-row
  /// zero point of `a` reshaped to [M, 1]).
  FailureOr<Value> integerMatmul(Node &n, Value a, Value b, Value za, Value zb);
  /// An error naming the first of `operands` (value, name) that is not an
  /// int8 / uint8 tensor.
  LogicalResult requireEightBit(Node &n,
                                ArrayRef<std::pair<Value, StringRef>> operands);
  /// QuantizeLinear to the integer type `elem` with nn ops, for run-time
  /// zero points: sat(round(x / scale) + zp), `zp` given in f32; a null
  /// scale or zero point is left out (no division, no addition).
  FailureOr<Value> quantizeToInteger(Node &n, Value x, Value scale, Value zp,
                                     Type elem);
  /// DequantizeLinear of codes known only at run time, with nn ops: `x` an
  /// integer tensor (not a QuantizeLinear output nor an initializer; x - zp
  /// in i32, as onnxruntime) or the exact f32 values of a graph input's
  /// codes (int4 / uint4 / float8 / float4: x - zp exact in f32), then one
  /// product with the scale in f32. Per-tensor, per-axis or blocked
  /// (block_size: the scale and zero point repeated along the axis by an
  /// nn.gather) parameters; a zero point of a 4-bit or 8-bit float type is
  /// read from its initializer.
  Outputs dequantizeRunTime(Node &n, Value x);
  /// The f32 values of the codes of a `!qc.qtensor` (e.g. a graph input of
  /// an 8- or 4-bit ONNX type, whose scale is 1): qc.dequantize with scales
  /// 1 and zero points 0, exact.
  FailureOr<Value> unitValues(Node &n, Value x);
  /// nn.conv_integer of ONNX's ConvInteger operands with the node's window
  /// (1-D convolutions through a height of 1).
  FailureOr<Value> integerConv(Node &n, Value x, Value w, Value zx, Value zw);
  /// sat(round(acc * multiplier) + zp) to zp's integer type, in f32:
  /// onnxruntime's requantization of QLinearMatMul / QLinearConv.
  FailureOr<Value> requantize(Node &n, Value acc, Value multiplier, Value zp);
  Outputs matMulInteger(Node &n);
  Outputs qlinearMatMul(Node &n);
  Outputs convInteger(Node &n);
  Outputs qlinearConv(Node &n);
  /// com.microsoft QLinearAdd / QLinearMul (onnxruntime's QOperator
  /// elementwise ops) as nn ops in onnxruntime's float order.
  /// The node's inputs `indices` as one-element f32 scales (float16 /
  /// bfloat16 widened), else an error.
  FailureOr<SmallVector<Value>> perTensorScales(Node &n,
                                                ArrayRef<size_t> indices) {
    SmallVector<Value> scales;
    for (size_t i : indices) {
      if (i >= n.in.size() || !n.in[i])
        return error(n) << "input " << i << " (a scale) is missing", failure();
      auto s = widenToF32(n, n.in[i], "scales");
      if (failed(s))
        return failure();
      if (tt(*s).getNumElements() != 1)
        return error(n) << "scales must be per tensor (one element)", failure();
      scales.push_back(*s);
    }
    return scales;
  }
  Outputs qlinearBinary(Node &n, bool isMul);
  /// com.microsoft QLinearGlobalAveragePool: the exact i32 sum over the
  /// spatial axes, then sat(round((sum - zx * N) * (sx / (sy * N))) + zy).
  Outputs qlinearGlobalAveragePool(Node &n);
  /// com.microsoft QLinearConcat: each input requantized to the output's
  /// parameters as onnxruntime's lookup tables do (sat(round(fl((x - zx) *
  /// sx) / sy) + zy)), then concatenated.
  Outputs qlinearConcat(Node &n);
  /// com.microsoft QGemm: (A' - za)(B' - zb) + C exactly in i32 (A', B'
  /// transposed by transA / transB), then with y_zero_point
  /// sat(round(acc * (alpha * sa * sb / sy)) + zy), without it the f32
  /// acc * (alpha * sa * sb) (divided by sy when given): onnxruntime's order,
  /// sb per tensor or per output column.
  Outputs qgemm(Node &n);
  /// com.microsoft QLinearSigmoid / QLinearLeakyRelu: each code dequantized
  /// (sx * f32(x - zx)), the float activation, then quantized to the
  /// output's parameters (sat(round(y / sy) + zy)), as onnxruntime's lookup
  /// tables are built.
  Outputs qlinearActivation(Node &n, bool sigmoid);
  /// com.microsoft QLinearAveragePool: the codes dequantized, the f32
  /// average pool, then sat(round(y / sy + zy)) (the zero point added
  /// before rounding, as onnxruntime); channels_last through transposes.
  Outputs qlinearAveragePool(Node &n);
  /// com.microsoft QLinearSoftmax as onnxruntime computes it: per line
  /// along the axis (default -1; opset < 13: the dimensions from the axis
  /// flattened into one), the
  /// f32 table T[i] = exp((i - 255 + b) * sx) (in double, b = max(0,
  /// ln(fl(FLT_MAX / D)) - 5) / sx) read at 255 - (max - x), its f32 sum in
  /// order (the last nn.cumsum), then sat255(round(fl(T * floor(1 / sy)) /
  /// sum) + zy), int8 outputs wrapped from that [zy, 255] as onnxruntime's
  /// cast does. X_scale must be a constant (the table is built at import).
  Outputs qlinearSoftmax(Node &n);
  /// com.microsoft Attention (float) and QAttention (uint8 input, int8 /
  /// uint8 weight; what quantize_dynamic writes for a fused Attention) as
  /// onnxruntime's CPU kernel computes them: QKV = input x weights + bias
  /// (QAttention: the exact i32 product with the zero points, then
  /// f32(acc) * (weight_scale * input_scale) + bias), split into Q / K / V
  /// (qkv_hidden_sizes) and heads, scores scale * Q K^T (scale: the
  /// attribute, or 1 / sqrt(head size) in f32) plus the mask (entries the
  /// mask excludes are mask_filter_value, -10000 by default; positions
  /// after the query's with `unidirectional` the lowest f32) plus
  /// attention_bias, softmax over the keys, times V, heads merged. Masks:
  /// none, 1-D [B] end positions (keys at or after them excluded), [2B]
  /// with start positions, raw 2-D [B, T] or 3-D [B, S, T] 0 / 1. Past
  /// state, the present output, rotary embedding and 4-D masks are
  /// diagnosed.
  Outputs contribAttention(Node &n, bool quantized);
  /// The attention of onnxruntime's AttentionCPUBase (com.microsoft
  /// Attention, QAttention, MultiHeadAttention): q [B, N, S, h], k [B, N,
  /// T, h], v [B, N, T, hv] with the past's `past` rows first in k / v;
  /// scale * q k^T (scale, or 1 / sqrt(h)) plus the mask (forms of
  /// contribAttention, over the T keys; excluded keys mask_filter_value)
  /// and, with `unidirectional`, the lowest f32 for keys after past + the
  /// query's position; plus `bias` ([B or 1, N or 1, S, T]); softmax;
  /// times v. Returns [B, N, S, hv] (null after a diagnostic).
  Value cpuBaseAttention(Chain &c, Node &n, Value q, Value k, Value v,
                         int64_t past, Value mask, StringRef maskName,
                         Value bias);
  /// com.microsoft MultiHeadAttention (onnxruntime.transformers' fused
  /// attention of T5, BART, Whisper, CLIP and diffusion models) as its CPU
  /// kernel computes it: query [B, S, D] and key / value [B, L, D] (plus
  /// their parts of `bias`) split into heads, or key / value already [B,
  /// N, L, h] (cross attention with cached K / V); past_key / past_value
  /// concatenated before them (present_key / present_value); then
  /// cpuBaseAttention with key_padding_mask and attention_bias. Packed
  /// QKV (onnxruntime's CPU kernel has none either), past_sequence_length,
  /// cache_indirection and the qk output are diagnosed.
  Outputs multiHeadAttention(Node &n);
  /// com.microsoft EmbedLayerNormalization (the first node of a BERT
  /// optimized by onnxruntime.transformers): per token the word, position
  /// (position_ids, or the token's index in its sequence) and segment
  /// embedding rows summed in that order, LayerNorm over the hidden axis
  /// (epsilon); mask_index the count of mask entries equal to 1 per batch
  /// (0 without a mask), as Attention's end positions; embedding_sum the
  /// sum. QEmbedLayerNormalization (what quantize_dynamic makes of it):
  /// the same with every table, gamma and beta 8-bit codes dequantized per
  /// tensor as onnxruntime does, f32(q - zp) * scale (the rows gathered
  /// first); positions are the token indices.
  Outputs embedLayerNorm(Node &n, bool quantized);
  /// ONNX GridSample (2-D, and N-D from opset 20) as nn ops in the order of
  /// ONNX's reference: per spatial dimension the normalized coordinate
  /// (the grid's last axis reversed) denormalized (align_corners), rounded
  /// half to even for nearest, clamped (border) or reflected (reflection)
  /// when outside the borders; then per tap (nearest 1, linear 2, cubic 4
  /// with Keys' a = -0.75) the pixel gathered from the flattened spatial
  /// axes (nn.gather_elements; zeros padding: 0 outside, border: the index
  /// clamped, reflection: reflected and truncated), combined innermost
  /// dimension first, c0 * v0 + c1 * v1 + ... left to right.
  Outputs gridSample(Node &n);
  /// ONNX RoiAlign (Mask R-CNN's region features) as nn ops in the order of
  /// ONNX's reference and onnxruntime's kernel: per roi its start, size
  /// (at least 1 for output_half_pixel) and bin size; per axis the
  /// sample coordinates start + p * bin + (i + 0.5) * bin / s, the samples
  /// outside [-1, len] zeroed (weights and positions 0), the others
  /// clamped at 0 and at len - 1; the four corners gathered from the
  /// roi's image (batch_indices) with weights hy * hx, hy * lx, ly * hx,
  /// ly * lx; avg: the corners summed, then the bin's samples, divided by
  /// their count; max: the largest weighted corner, then the largest over
  /// the bin. sampling_ratio must be positive: the adaptive count
  /// (sampling_ratio 0) depends on the rois' values.
  Outputs roiAlign(Node &n);
  /// ONNX DeformConv (2-D, deformable convolution networks) as nn ops: per
  /// offset group and kernel tap the sampling position (the tap's place in
  /// the window plus its offset), X sampled there bilinearly with zeros
  /// outside (ONNX's reference: GridSample, align_corners), times the mask;
  /// the samples as im2col columns [N, group, C / group * kH * kW, oH *
  /// oW], multiplied by the weight per group, plus the bias.
  Outputs deformConv(Node &n);
  /// ONNX Det of [..., n, n] as Gaussian elimination with partial pivoting,
  /// unrolled over the n columns: per step the row with the largest
  /// magnitude in the column moved to the top (a row swap negates the
  /// determinant), the pivot multiplied into the determinant, and the rows
  /// below reduced by their factor times the pivot row (a zero pivot: the
  /// column is zero, the factors 0 and the determinant 0).
  Outputs det(Node &n);
  /// ONNX Conv of [N, C, D, H, W] (video, volumetric CNNs) as 2-D ones: the
  /// input padded along D, then per kernel depth tap t the strided depth
  /// slices x[:, :, t * dD + sD * od] as a batch of N * Do images,
  /// convolved (2-D, the node's H / W window and group) with the weight's
  /// depth slice t; the taps' results summed in order (the bias with the
  /// first), [N * Do, M, Ho, Wo] back to [N, M, Do, Ho, Wo].
  Outputs conv3D(Node &n);
  /// The 3-D convolution of `x` by `w` (+ `bias`) with window `win` (as
  /// conv3D; also ConvTranspose's direct convolution).
  Outputs conv3DOf(Node &n, Value x, Value w, Value bias, const Window &win,
                   int64_t group);
  /// The DFT of `x` ([..., 1 or 2], real or complex in the last dimension)
  /// along `axis` (not the last), padded or cut to `len`, as two constant
  /// matrices (see DFT); onesided keeps frequencies 0 .. len / 2.
  Outputs dftOf(Node &n, Value x, int64_t axis, int64_t len, bool inverse,
                bool onesided);
  /// The parameters of a com.microsoft QLinear op with inputs X, X_scale,
  /// X_zero_point?, Y_scale, Y_zero_point? (zero points of X's type
  /// `elem`): X_scale and Y_scale as f32 scalars and Y_zero_point in f32
  /// (null when absent); failure after a diagnostic.
  FailureOr<std::array<Value, 3>> unaryQLinearParams(Node &n, Chain &c,
                                                     Type elem);
  /// com.microsoft QLinearWhere: X and Y each requantized to Z's
  /// parameters as onnxruntime's lookup tables (sat(round(fl(sx * (x -
  /// zx)) / sz) + zz); equal parameters copy), then selected by the
  /// condition.
  Outputs qlinearWhere(Node &n);
  /// com.microsoft MatMulIntegerToFloat / DynamicQuantizeMatMul
  /// (onnxruntime's fusions of DynamicQuantizeLinear, MatMulInteger, Cast
  /// and Mul): the exact i32 product, then f32(acc) * (sa * sb) + bias, sa
  /// per tensor and sb per tensor or per column; DynamicQuantizeMatMul
  /// first quantizes its float A as DynamicQuantizeLinear.
  Outputs matMulIntegerToFloat(Node &n, bool dynamic);
  /// B's scale of QGemm / MatMulIntegerToFloat in f32: one value or one per
  /// output column (1-D, broadcasting along the columns of [M, N]).
  FailureOr<Value> columnScales(Node &n, Value s) {
    auto f = widenToF32(n, s, "scales");
    if (failed(f))
      return failure();
    if (tt(*f).getRank() > 1)
      return error(n) << "b_scale must be a scalar or 1-D, got " << tt(*f),
             failure();
    return *f;
  }
  /// The `!qc.qtensor` of `shape` holding codes of `f` with one f32 scale:
  /// how the 8- and 4-bit ONNX types (float8, float4, int4, e8m0) enter a
  /// graph as values.
  QTensorType unitQTensorType(ArrayRef<int64_t> shape, const num::Format &f);
  /// ONNX Cast / CastLike where the source or the target is one of those
  /// types: to the element type `to`, or (null `to`) to the format
  /// `format`. Codes are dequantized with scale 1 (exact in f32); casts to
  /// minifloats round once from the f32 (or exactly widened float16 /
  /// bfloat16 / up to 16-bit integer) value with the node's `saturate`
  /// (E8M0: `round_mode` up or down), casts to int4 / uint4 truncate
  /// toward zero and wrap modulo 16, as ONNX's reference.
  Outputs castFormats(Node &n, Value x, Type to,
                      std::optional<num::Format> format);
  /// f32(x - zx) of integer codes `x` (the difference exact in i32), times
  /// `scale` when given; a null `zx` is 0.
  Value dequantizeCodes(Chain &c, Value x, Value zx, Value scale);
  /// MaxPool / AveragePool of `in` (the node's input, LpPool's |x|^p or
  /// QLinearAveragePool's dequantized codes) with the node's window.
  Outputs poolOf(Node &n, Value in, bool isMax, bool countPad);
  /// MaxPool's Indices for the 2-D (or lifted 1-D) input `in` and its
  /// pooled `y`: per output position the first tap (row-major) holding the
  /// maximum, as its flat index in the whole input (storage_order 1: the
  /// spatial dimensions column-major), as ONNX's reference.
  FailureOr<Value> maxPoolIndices(Node &n, Value in, Value y, const Window &w);
  Outputs dynamicQuantizeLinear(Node &n);
  Outputs matMulNBits(Node &n);
  /// com.microsoft GatherBlockQuantized (onnxruntime-genai's int4 shared
  /// embeddings): rows of uint8 data gathered along axis 0, then their
  /// codes (bits = 4: two per byte, low nibble first; bits = 8: one)
  /// dequantized per block of block_size along the last axis as (code -
  /// zero point) * scale (4-bit zero points a constant read as one nibble
  /// stream, as onnxruntime does; 2^(bits-1) when absent), in the scales'
  /// type; only the rows gathered are decoded.
  Outputs gatherBlockQuantized(Node &n);
  Outputs qonnxQuant(Node &n);
  Outputs qonnxBipolar(Node &n);
  Outputs qonnxTrunc(Node &n);
  Outputs qonnxFloatQuant(Node &n);
  /// With bits == 0, fakeQuantInt uses this float format instead.
  FloatFormatAttr floatFormatOverride;
  /// qc.fake_quant of `x` to a `bits`-bit integer with the constant scale
  /// `scaleValues` (broadcast shape `scaleShape`).
  FailureOr<Value> fakeQuantInt(Node &n, Value x, ArrayRef<float> scaleValues,
                                ArrayRef<int64_t> scaleShape, int64_t bits,
                                bool isSigned, bool narrow, RoundingMode mode);
  FailureOr<std::pair<QTensorType, SmallVector<Value>>>
  qdqParams(Node &n, RankedTensorType floatType, Value scale, Value zp,
            bool isDequant, int32_t storageHint);
};

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

FailureOr<ElementsAttr> Importer::externalAttr(const onnx::TensorProto &t,
                                               RankedTensorType type,
                                               Location loc) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::stoull(kv.value());
    else if (kv.key() == "length")
      length = std::stoll(kv.value());
  }
  size_t elemBytes = (type.getElementTypeBitWidth() + 7) / 8;
  size_t want = size_t(type.getNumElements()) * elemBytes;
  auto bad = [&](const Twine &why) {
    return emitError(loc) << "external data of initializer '" << t.name()
                          << "': " << why,
           failure();
  };
  if (location.empty())
    return bad("no location");
  if (type.getElementType().isInteger(1))
    return bad("bool tensors in external data are not supported");
  if (length >= 0 && size_t(length) != want)
    return bad("length " + Twine(length) + " does not match the " +
               Twine(want) + " bytes of its shape and type");
  llvm::SmallString<256> path(opts.externalDataDir.empty()
                                  ? llvm::sys::path::parent_path(filename)
                                  : StringRef(opts.externalDataDir));
  llvm::sys::path::append(path, location);
  // A mapping past the end of the file would fault when touched.
  uint64_t fileSize = 0;
  if (auto ec = llvm::sys::fs::file_size(path, fileSize))
    return bad("cannot read '" + path + "': " + ec.message());
  if (offset + want > fileSize)
    return bad("'" + path + "' has " + Twine(fileSize) + " bytes, but the " +
               "tensor needs bytes [" + Twine(offset) + ", " +
               Twine(offset + want) + ")");
  // Memory-mapped (no copy): the blob keeps the mapping alive.
  auto buf = llvm::MemoryBuffer::getFileSlice(path, want, offset,
                                              /*IsVolatile=*/false);
  if (!buf)
    return bad("cannot read '" + path + "': " + buf.getError().message());
  if ((*buf)->getBufferSize() != want)
    return bad("'" + path + "' is too short");
  std::shared_ptr<llvm::MemoryBuffer> keep(std::move(*buf));
  ArrayRef<char> data(keep->getBufferStart(), want);
  AsmResourceBlob blob =
      reinterpret_cast<uintptr_t>(data.data()) % elemBytes == 0
          ? AsmResourceBlob(
                data, elemBytes,
                [keep](void *, size_t, size_t) mutable { keep.reset(); },
                /*dataIsMutable=*/false)
          : HeapAsmResourceBlob::allocateAndCopyWithAlign(data, elemBytes);
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, t.name(), std::move(blob)));
}

FailureOr<ElementsAttr> Importer::initializerAttr(const onnx::TensorProto &t,
                                                  Location loc) {
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t n = elementCount(t);
  if (n < 0)
    return emitError(loc) << "initializer '" << t.name() << "' has "
                          << (llvm::any_of(shape,
                                           [](int64_t d) { return d < 0; })
                                  ? "a negative dimension"
                                  : "more elements than int64 can count"),
           failure();
  Type elem = elementType(ctx, t.data_type());
  auto bad = [&](StringRef why) {
    return emitError(loc) << "initializer '" << t.name() << "' of type "
                          << typeName(t.data_type()) << " and shape [" << shape
                          << "]: " << why,
           failure();
  };
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!elem)
      return bad("element type not supported in an nn graph");
    return externalAttr(t, RankedTensorType::get(shape, elem), loc);
  }
  if (!elem)
    return bad("element type not supported in an nn graph");
  auto type = RankedTensorType::get(shape, elem);
  if (llvm::isa<FloatType>(elem)) {
    if (t.has_raw_data()) {
      size_t want = size_t(n) * rawElementSize(t.data_type());
      if (!holdsValues(t, n))
        return bad("has " + std::to_string(t.raw_data().size()) +
                   " bytes of data, expected " + std::to_string(want));
      bool splat = false;
      if (!DenseElementsAttr::isValidRawBuffer(
              type, ArrayRef<char>(t.raw_data().data(), want), splat))
        return bad("invalid raw data");
      return ElementsAttr(DenseElementsAttr::getFromRawBuffer(
          type, ArrayRef<char>(t.raw_data().data(), want)));
    }
    auto vals = rawFloats(t, n);
    if (!vals)
      return bad("has the wrong number of values for its shape");
    if (elem.isF32())
      return ElementsAttr(DenseElementsAttr::get(type, ArrayRef<float>(*vals)));
    std::vector<APFloat> aps;
    for (float v : *vals) {
      bool lost;
      APFloat a(v);
      a.convert(llvm::cast<FloatType>(elem).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      aps.push_back(a);
    }
    return ElementsAttr(DenseElementsAttr::get(type, aps));
  }
  auto vals = rawIntegers(t, n);
  if (!vals)
    return bad("has the wrong number of values for its shape");
  std::vector<APInt> aps;
  aps.reserve(vals->size());
  for (int64_t v : *vals)
    aps.emplace_back(elem.getIntOrFloatBitWidth(), uint64_t(v),
                     /*isSigned=*/true);
  return ElementsAttr(DenseElementsAttr::get(type, aps));
}

//===----------------------------------------------------------------------===//
// Operator handlers
//===----------------------------------------------------------------------===//

Importer::Outputs Importer::unaryOp(Node &n) {
  StringRef op = n.proto.op_type();
  Value x = n.in[0];
  if (op == "Neg")
    return one<nn::NegOp>(n, {x});
  if (op == "Abs")
    return one<nn::AbsOp>(n, {x});
  if (op == "Exp")
    return one<nn::ExpOp>(n, {x});
  if (op == "Log")
    return one<nn::LogOp>(n, {x});
  if (op == "Sqrt")
    return one<nn::SqrtOp>(n, {x});
  if (op == "Reciprocal")
    return one<nn::ReciprocalOp>(n, {x});
  if (op == "Tanh")
    return one<nn::TanhOp>(n, {x});
  if (op == "Sigmoid")
    return one<nn::SigmoidOp>(n, {x});
  if (op == "Erf")
    return one<nn::ErfOp>(n, {x});
  if (op == "Relu")
    return one<nn::ReluOp>(n, {x});
  if (op == "Cos")
    return one<nn::CosOp>(n, {x});
  if (op == "Sin")
    return one<nn::SinOp>(n, {x});
  if (op == "Tan")
    return one<nn::TanOp>(n, {x});
  if (op == "Asin")
    return one<nn::AsinOp>(n, {x});
  if (op == "Acos")
    return one<nn::AcosOp>(n, {x});
  if (op == "Atan")
    return one<nn::AtanOp>(n, {x});
  if (op == "Sinh")
    return one<nn::SinhOp>(n, {x});
  if (op == "Cosh")
    return one<nn::CoshOp>(n, {x});
  if (op == "Asinh")
    return one<nn::AsinhOp>(n, {x});
  if (op == "Acosh")
    return one<nn::AcoshOp>(n, {x});
  if (op == "Atanh")
    return one<nn::AtanhOp>(n, {x});
  if (op == "Not" || op == "BitwiseNot") {
    Type e = tt(x).getElementType();
    if ((op == "Not") != e.isInteger(1) || !llvm::isa<IntegerType>(e))
      return error(n) << "needs " << (op == "Not" ? "boolean" : "integer")
                      << " input, got " << tt(x),
             failure();
    return one<nn::NotOp>(n, {x});
  }
  if (op == "Floor")
    return one<nn::FloorOp>(n, {x});
  if (op == "Ceil")
    return one<nn::CeilOp>(n, {x});
  if (op == "Round")
    return one<nn::RoundOp>(n, {x});
  if (op == "Sign")
    return one<nn::SignOp>(n, {x});
  llvm_unreachable("unary op without a mapping");
}

Importer::Outputs Importer::binaryOp(Node &n) {
  StringRef op = n.proto.op_type();
  SmallVector<Value, 2> in{n.in[0], n.in[1]};
  if (op == "Add")
    return one<nn::AddOp>(n, in);
  // Logical on booleans; Bitwise* on integers (the same nn ops).
  if (op.starts_with("Bitwise") &&
      (!llvm::isa<IntegerType>(tt(in[0]).getElementType()) ||
       tt(in[0]).getElementType().isInteger(1)))
    return error(n) << "needs integer operands, got " << tt(in[0]), failure();
  if (op == "And" || op == "BitwiseAnd")
    return one<nn::AndOp>(n, in);
  if (op == "Or" || op == "BitwiseOr")
    return one<nn::OrOp>(n, in);
  if (op == "Xor" || op == "BitwiseXor")
    return one<nn::XorOp>(n, in);
  if (op == "BitShift") {
    std::string dir = getString(n, "direction", "");
    if (dir != "LEFT" && dir != "RIGHT")
      return error(n) << "direction must be LEFT or RIGHT, got '" << dir << "'",
             failure();
    return one<nn::BitShiftOp>(
        n, in,
        {named("direction",
               b.getStringAttr(dir == "LEFT" ? "left" : "right"))});
  }
  if (op == "Sub")
    return one<nn::SubOp>(n, in);
  if (op == "Mul")
    return one<nn::MulOp>(n, in);
  if (op == "Div")
    return one<nn::DivOp>(n, in);
  if (op == "Pow") {
    // ONNX lets the exponent have another type. An integer base with a
    // float exponent is raised in the exponent's float type and the result
    // converted back (x^0.5 of 4 is 2, as in ONNX's reference: a float
    // power cast to the base's type), saturating like nn.cast; otherwise
    // the exponent is converted to the base's type.
    Type base = tt(in[0]).getElementType();
    Type expType = tt(in[1]).getElementType();
    if (llvm::isa<IntegerType>(base) && llvm::isa<FloatType>(expType)) {
      auto x =
          build<nn::CastOp>(n, {in[0]}, {named("to", TypeAttr::get(expType))});
      if (failed(x))
        return failure();
      auto p = build<nn::PowOp>(n, {(*x)->getResult(0), in[1]});
      if (failed(p))
        return failure();
      return one<nn::CastOp>(n, {(*p)->getResult(0)},
                             {named("to", TypeAttr::get(base))});
    }
    if (expType != base) {
      auto cast =
          build<nn::CastOp>(n, {in[1]}, {named("to", TypeAttr::get(base))});
      if (failed(cast))
        return failure();
      in[1] = (*cast)->getResult(0);
    }
    return one<nn::PowOp>(n, in);
  }
  if (op == "Equal")
    return one<nn::EqualOp>(n, in);
  if (op == "Less")
    return one<nn::LessOp>(n, in);
  if (op == "Greater")
    return one<nn::GreaterOp>(n, in);
  llvm_unreachable("binary op without a mapping");
}

/// The qtensor type and the (scale, zero point) operands of a Q/DQ node.
FailureOr<std::pair<QTensorType, SmallVector<Value>>>
Importer::qdqParams(Node &n, RankedTensorType floatType, Value scale, Value zp,
                    bool isDequant, int32_t storageHint) {
  auto st = tt(scale);
  int64_t rank = floatType.getRank();
  int64_t axis = getInt(n, "axis", 1);
  int64_t block = getInt(n, "block_size", 0);
  // Format: from the zero point's type, else output_dtype, else uint8.
  int32_t dtype = storageHint;
  const onnx::TensorProto *zpProto = nullptr;
  if (zp)
    if (auto c = constantOf(zp); !c)
      return error(n) << "zero point must be a constant", failure();
  if (n.proto.input_size() > 2 && !n.proto.input(2).empty())
    zpProto = initializers.lookup(n.proto.input(2));
  if (zpProto)
    dtype = zpProto->data_type();
  if (!dtype)
    dtype = int32_t(getInt(n, "output_dtype", kUint8));
  std::optional<num::Format> qf = onnx_types::formatOf(dtype);
  if (!qf)
    return error(n) << "quantized type " << typeName(dtype)
                    << " is not supported",
           failure();
  bool isInt = qf->kind() == num::Format::Kind::Int;
  Attribute format;
  if (isInt) {
    format = IntFormatAttr::get(ctx, qf->bits(), qf->isSigned(), false);
  } else {
    num::FloatFormat f = qf->floatFormat();
    f.saturate = isDequant || getInt(n, "saturate", 1) != 0;
    format = FloatFormatAttr::get(ctx, f);
  }
  // Granularity from the scale's rank.
  Granularity g = Granularity::per_tensor;
  int64_t normAxis = 0;
  if (st.getRank() > 0 && st.getNumElements() > 1) {
    auto a = nn::normalizeAxis(axis, rank);
    if (!a)
      return error(n) << "axis " << axis << " out of range for rank " << rank,
             failure();
    normAxis = *a;
    g = block > 0 ? Granularity::per_block : Granularity::per_axis;
  } else {
    block = 0;
  }
  bool asym = false;
  SmallVector<int32_t> zpVals;
  // Zero points: an imported constant, or an initializer of a quantized
  // type (int4, float8, ...) that has no nn value and is read from its proto.
  std::vector<int64_t> rawZp;
  if (zp) {
    for (const APInt &v : constantOf(zp).getValues<APInt>())
      rawZp.push_back((dtype == kUint8 || dtype == kUint16 || dtype == kUint4)
                          ? int64_t(v.getZExtValue())
                          : v.getSExtValue());
  } else if (zpProto) {
    auto vals = rawIntegers(*zpProto, elementCount(*zpProto));
    if (!vals)
      return error(n) << "zero point initializer '" << zpProto->name()
                      << "' has the wrong number of values",
             failure();
    rawZp = *vals;
  }
  for (int64_t z : rawZp) {
    zpVals.push_back(int32_t(z));
    asym = asym || z != 0;
  }
  if (!isInt && asym)
    return error(n) << "float8/float4 zero points must be 0", failure();
  auto scheme =
      SchemeAttr::get(ctx, g, normAxis, g == Granularity::per_block ? block : 0,
                      FloatFormatAttr(), asym, false);
  auto qt = QTensorType::getChecked([&] { return error(n); }, ctx,
                                    floatType.getShape(), format, scheme);
  if (!qt)
    return failure();
  // Scale operand in the shape the scheme expects.
  SmallVector<Value> ops;
  auto scaleType = qt.getScaleType();
  Value s = scale;
  if (st.getShape() != scaleType.getShape()) {
    if (st.getNumElements() != scaleType.getNumElements())
      return error(n) << "scale of shape [" << st.getShape()
                      << "] does not match the quantized tensor",
             failure();
    auto r = build<nn::ReshapeOp>(
        n, {scale},
        {named("shape", b.getDenseI64ArrayAttr(scaleType.getShape()))});
    if (failed(r))
      return failure();
    s = (*r)->getResult(0);
  }
  // float16 / bfloat16 scales widen exactly; the quantization itself is
  // computed in f32 (as onnxruntime's CPU kernels do).
  auto wideScale = widenToF32(n, s, "scales");
  if (failed(wideScale))
    return failure();
  ops.push_back(*wideScale);
  if (asym)
    ops.push_back(constant(n.loc, DenseElementsAttr::get(qt.getZeroPointType(),
                                                         ArrayRef(zpVals))));
  return std::make_pair(qt, ops);
}

Importer::Outputs Importer::quantizeLinear(Node &n) {
  // float16 / bfloat16 inputs are quantized from the exactly widened values.
  auto wide = widenToF32(n, n.in[0], "inputs");
  if (failed(wide))
    return failure();
  Value x = *wide;
  if (n.in.size() > 2 && n.in[2] && !constantOf(n.in[2])) {
    // A zero point computed at run time (DynamicQuantizeLinear's expanded
    // form): an integer tensor built from nn ops.
    Value zp = n.in[2];
    Type elem = tt(zp).getElementType();
    auto it = llvm::dyn_cast<IntegerType>(elem);
    if (!it || (it.getWidth() != 8 && it.getWidth() != 16))
      return error(n) << "a run-time zero point must be an 8- or 16-bit "
                         "integer, not "
                      << elem,
             failure();
    if (getInt(n, "block_size", 0) > 0)
      return error(n) << "blocked quantization needs a constant zero point",
             failure();
    int64_t axis = getInt(n, "axis", 1);
    auto s = widenToF32(n, n.in[1], "scales");
    if (failed(s))
      return failure();
    auto sa = alongAxis(n, *s, tt(x).getRank(), axis);
    auto za = alongAxis(n, zp, tt(x).getRank(), axis);
    if (failed(sa) || failed(za))
      return failure();
    auto zf = castTo(n, *za, b.getF32Type());
    if (failed(zf))
      return failure();
    auto q = quantizeToInteger(n, x, *sa, *zf, elem);
    if (failed(q))
      return failure();
    return SmallVector<Value>{*q};
  }
  auto params = qdqParams(n, tt(x), n.in[1],
                          n.in.size() > 2 ? n.in[2] : Value(), false, 0);
  if (failed(params))
    return failure();
  auto [qt, ops] = *params;
  SmallVector<Value> operands{x};
  operands.append(ops);
  OperationState state(n.loc, QuantizeOp::getOperationName());
  state.addOperands(operands);
  state.addAttribute(
      QuantizeOp::getOperandSegmentSizesAttrName(state.name),
      b.getDenseI32ArrayAttr({1, 1, int32_t(ops.size() > 1 ? 1 : 0), 0}));
  state.addTypes(qt);
  return SmallVector<Value>{b.create(state)->getResult(0)};
}

Importer::Outputs Importer::dequantizeLinear(Node &n) {
  Value x = n.in[0];
  Value zp = n.in.size() > 2 ? n.in[2] : Value();
  QTensorType qt;
  SmallVector<Value> ops;
  auto q = x ? llvm::dyn_cast<QTensorType>(x.getType()) : QTensorType();
  if (q && llvm::isa<BlockArgument>(x)) {
    // A graph input's codes (a unit scale): their values, then this node's
    // parameters.
    auto v = unitValues(n, x);
    if (failed(v))
      return failure();
    return dequantizeRunTime(n, *v);
  }
  if (q) {
    // Q -> DQ: reuse the quantized tensor's scheme.
    auto params =
        qdqParams(n, RankedTensorType::get(q.getShape(), b.getF32Type()),
                  n.in[1], zp, true, 0);
    if (failed(params))
      return failure();
    std::tie(qt, ops) = *params;
    if (qt != q)
      return error(n) << "quantization parameters differ from the "
                         "producing QuantizeLinear",
             failure();
  } else {
    // A quantized initializer: its codes become a qc.constant.
    const onnx::TensorProto *proto =
        n.proto.input_size() ? initializers.lookup(n.proto.input(0)) : nullptr;
    if (!proto && x && llvm::isa<IntegerType>(tt(x).getElementType()))
      return dequantizeRunTime(n, x);
    if (!proto)
      return error(n) << "input must be an integer tensor, a quantized "
                         "initializer or the output of QuantizeLinear",
             failure();
    auto floatType = RankedTensorType::get(
        SmallVector<int64_t>(proto->dims().begin(), proto->dims().end()),
        b.getF32Type());
    auto params =
        qdqParams(n, floatType, n.in[1], zp, true, proto->data_type());
    if (failed(params))
      return failure();
    std::tie(qt, ops) = *params;
    auto vals = rawIntegers(*proto, floatType.getNumElements());
    if (!vals)
      return error(n) << "initializer '" << proto->name()
                      << "' has the wrong number of values",
             failure();
    std::vector<APInt> codes;
    unsigned w = qt.getFormatAttr().getBitWidth();
    for (int64_t v : *vals)
      codes.emplace_back(
          w, uint64_t(v) & ((w >= 64) ? ~0ull : ((1ull << w) - 1)), false);
    x = b.create<ConstantOp>(
        n.loc, qt, DenseIntElementsAttr::get(qt.getStorageType(), codes));
  }
  SmallVector<Value> operands{x};
  operands.append(ops);
  OperationState state(n.loc, DequantizeOp::getOperationName());
  state.addOperands(operands);
  state.addAttribute(
      DequantizeOp::getOperandSegmentSizesAttrName(state.name),
      b.getDenseI32ArrayAttr({1, 1, int32_t(ops.size() > 1 ? 1 : 0), 0}));
  state.addTypes(qt.getExpressedType(b.getF32Type()));
  Value y = b.create(state)->getResult(0);
  // The output has the scale's type: a float16 / bfloat16 result is the f32
  // one rounded once.
  auto out = castTo(n, y, tt(n.in[1]).getElementType());
  if (failed(out))
    return failure();
  return SmallVector<Value>{*out};
}

FailureOr<Value> Importer::integerView(Node &n, Value v, StringRef what) {
  auto qt = llvm::dyn_cast<QTensorType>(v.getType());
  if (!qt)
    return v;
  num::Format f = qt.getNumericFormat();
  if (f.kind() != num::Format::Kind::Int ||
      !llvm::is_contained({8u, 16u, 32u}, f.bits()))
    return error(n) << what << " is quantized to " << f.name()
                    << ", which has no integer tensor type here",
           failure();
  auto type = RankedTensorType::get(
      qt.getShape(), IntegerType::get(ctx, f.bits(),
                                      f.isSigned() ? IntegerType::Signless
                                                   : IntegerType::Unsigned));
  return b.create<CodesOp>(n.loc, type, v).getResult();
}

FailureOr<Value> Importer::alongAxis(Node &n, Value p, int64_t rank,
                                     int64_t axis) {
  auto pt = tt(p);
  if (pt.getNumElements() == 1)
    return p;
  auto a = nn::normalizeAxis(axis, rank);
  if (!a)
    return error(n) << "axis " << axis << " out of range for rank " << rank,
           failure();
  if (pt.getRank() != 1)
    return error(n) << "per-axis parameters must be 1-D, got shape ["
                    << pt.getShape() << "]",
           failure();
  SmallVector<int64_t> shape(size_t(rank), 1);
  shape[size_t(*a)] = pt.getDimSize(0);
  Chain c{*this, n};
  Value r = c.reshape(p, shape);
  if (c.failed)
    return failure();
  return r;
}

/// Whether `t` is an int8 / uint8 tensor (or element type).
static bool isEightBit(Type t) {
  auto it = llvm::dyn_cast<IntegerType>(getElementTypeOrSelf(t));
  return it && it.getWidth() == 8 && !it.isSigned();
}

LogicalResult
Importer::requireEightBit(Node &n,
                          ArrayRef<std::pair<Value, StringRef>> operands) {
  for (auto [v, name] : operands)
    if (!isEightBit(v.getType()))
      return error(n) << "input " << name << " must be int8 or uint8, not "
                      << tt(v).getElementType(),
             failure();
  return success();
}

FailureOr<Value> Importer::integerMatmul(Node &n, Value a, Value b, Value za,
                                         Value zb) {
  if (failed(requireEightBit(n, {{a, "A"}, {b, "B"}})))
    return failure();
  // ONNX's per-row zero point of a 2-D `a` is an M-vector.
  if (za && tt(za).getRank() == 1 && tt(za).getNumElements() > 1 &&
      tt(a).getRank() >= 2) {
    Chain c{*this, n};
    za = c.reshape(za, {tt(za).getDimSize(0), 1});
    if (c.failed)
      return failure();
  }
  SmallVector<Value> operands{a, b};
  if (za)
    operands.push_back(za);
  if (zb)
    operands.push_back(zb);
  auto op = build<nn::MatMulIntegerOp>(
      n, operands,
      {named(nn::MatMulIntegerOp::getOperandSegmentSizesAttrName(
                 OperationName(nn::MatMulIntegerOp::getOperationName(), ctx)),
             this->b.getDenseI32ArrayAttr({1, 1, za ? 1 : 0, zb ? 1 : 0}))});
  if (failed(op))
    return failure();
  return (*op)->getResult(0);
}

FailureOr<Value> Importer::quantizeToInteger(Node &n, Value x, Value scale,
                                             Value zp, Type elem) {
  auto it = llvm::cast<IntegerType>(elem);
  unsigned w = it.getWidth();
  double lo = it.isUnsigned() ? 0.0 : -std::ldexp(1.0, int(w) - 1);
  double hi = it.isUnsigned() ? std::ldexp(1.0, int(w)) - 1
                              : std::ldexp(1.0, int(w) - 1) - 1;
  Chain c{*this, n};
  Value q = c.op<nn::RoundOp>({scale ? c.op<nn::DivOp>({x, scale}) : x});
  if (zp)
    q = c.op<nn::AddOp>({q, zp});
  q = c.op<nn::ClipOp>({q}, {named("min", b.getF32FloatAttr(float(lo))),
                             named("max", b.getF32FloatAttr(float(hi)))});
  q = c.op<nn::CastOp>({q}, {named("to", TypeAttr::get(elem))});
  if (c.failed)
    return failure();
  return q;
}

FailureOr<Value> Importer::unitValues(Node &n, Value x) {
  auto qt = llvm::cast<QTensorType>(x.getType());
  if (qt.getScheme().getScaleFormat())
    return error(n) << "the code values of " << qt
                    << " (block scales in a minifloat format) are not "
                       "supported",
           failure();
  Type f32 = b.getF32Type();
  SmallVector<Value> ops{
      x, floatConstant(n.loc, f32, {1.0}, qt.getScaleType().getShape())};
  bool asym = qt.getScheme().getAsymmetric();
  if (asym)
    ops.push_back(intConstant(n.loc, qt.getZeroPointType().getElementType(),
                              {0}, qt.getZeroPointType().getShape()));
  OperationState state(n.loc, DequantizeOp::getOperationName());
  state.addOperands(ops);
  state.addAttribute(DequantizeOp::getOperandSegmentSizesAttrName(state.name),
                     b.getDenseI32ArrayAttr({1, 1, asym ? 1 : 0, 0}));
  state.addTypes(qt.getExpressedType(f32));
  return b.create(state)->getResult(0);
}

Importer::Outputs Importer::dequantizeRunTime(Node &n, Value x) {
  Value zp = n.in.size() > 2 ? n.in[2] : Value();
  auto xt = tt(x);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  bool values = xt.getElementType() == f32; // a graph input's code values
  auto e = llvm::dyn_cast<IntegerType>(xt.getElementType());
  if (!values && (!e || e.getWidth() == 1 || e.getWidth() > 32))
    return error(n) << "input must be an integer tensor of 8-32 bits, not "
                    << xt.getElementType(),
           failure();
  if (zp && !values && tt(zp).getElementType() != e)
    return error(n) << "zero point type " << tt(zp).getElementType()
                    << " differs from the input's " << e,
           failure();
  int64_t rank = xt.getRank();
  int64_t axis = getInt(n, "axis", 1), block = getInt(n, "block_size", 0);
  Chain c{*this, n};
  // A parameter for every element: per tensor as it is, per axis reshaped
  // to broadcast, blocked repeated block_size times along the axis.
  auto expand = [&](Value p) -> FailureOr<Value> {
    if (tt(p).getNumElements() == 1 || block <= 0)
      return alongAxis(n, p, rank, axis);
    auto a = nn::normalizeAxis(axis, rank);
    if (!a)
      return error(n) << "axis " << axis << " out of range for rank " << rank,
             failure();
    auto pt = tt(p);
    int64_t dim = xt.getDimSize(*a);
    bool fits = pt.getRank() == rank;
    for (int64_t d = 0; fits && d < rank; ++d)
      fits = d == *a ? pt.getDimSize(d) == (dim + block - 1) / block
                     : pt.getDimSize(d) == xt.getDimSize(d);
    if (!fits)
      return error(n) << "blocked parameters of shape " << pt
                      << " do not match the input " << xt << " with blocks of "
                      << block << " along axis " << *a,
             failure();
    SmallVector<int64_t> which;
    for (int64_t i = 0; i < dim; ++i)
      which.push_back(i / block);
    Value r = c.op<nn::GatherOp>({p, i64Constant(n.loc, which, {dim})},
                                 {named("axis", b.getI64IntegerAttr(*a))});
    if (c.failed)
      return failure();
    return r;
  };
  auto scale = widenToF32(n, n.in[1], "scales");
  if (failed(scale))
    return failure();
  auto s = expand(*scale);
  if (failed(s))
    return failure();
  // The zero point: a value, or an initializer of a quantized type (int4,
  // float8, ...) that has no nn value, decoded here.
  Value zv = zp;
  if (!zv && n.proto.input_size() > 2 && !n.proto.input(2).empty()) {
    const onnx::TensorProto *proto = initializers.lookup(n.proto.input(2));
    std::optional<num::Format> zf =
        proto ? onnx_types::formatOf(proto->data_type()) : std::nullopt;
    if (!zf)
      return error(n) << "zero point must be a constant", failure();
    auto codes = rawIntegers(*proto, elementCount(*proto));
    if (!codes)
      return error(n) << "zero point '" << proto->name()
                      << "' has the wrong number of values",
             failure();
    SmallVector<double> vals;
    uint32_t mask = zf->bits() >= 32 ? ~0u : (1u << zf->bits()) - 1;
    for (int64_t v : *codes)
      vals.push_back(zf->decode(uint32_t(v) & mask));
    zv = floatConstant(
        n.loc, f32, vals,
        SmallVector<int64_t>(proto->dims().begin(), proto->dims().end()));
  }
  Value d = x;
  if (!values && xt.getElementType() != i32)
    d = c.op<nn::CastOp>({x}, {named("to", TypeAttr::get(i32))});
  if (zv) {
    // (x - zp) exact: in i32 for integer tensors, in f32 for the values of
    // 4-bit and 8-bit codes.
    Type zt = values ? f32 : i32;
    if (tt(zv).getElementType() != zt)
      zv = c.op<nn::CastOp>({zv}, {named("to", TypeAttr::get(zt))});
    if (c.failed)
      return failure();
    auto z = expand(zv);
    if (failed(z))
      return failure();
    d = c.op<nn::SubOp>({d, *z});
  }
  Value f =
      values ? d : c.op<nn::CastOp>({d}, {named("to", TypeAttr::get(f32))});
  Value y = c.op<nn::MulOp>({f, *s});
  if (c.failed)
    return failure();
  auto out = castTo(n, y, tt(n.in[1]).getElementType());
  if (failed(out))
    return failure();
  return SmallVector<Value>{*out};
}

Importer::Outputs Importer::matMulInteger(Node &n) {
  auto a = integerView(n, n.in[0], "A");
  auto bv = integerView(n, n.in[1], "B");
  if (failed(a) || failed(bv))
    return failure();
  auto y = integerMatmul(n, *a, *bv, n.in.size() > 2 ? n.in[2] : Value(),
                         n.in.size() > 3 ? n.in[3] : Value());
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

Importer::Outputs Importer::qlinearMatMul(Node &n) {
  // onnxruntime's QLinearMatMul: the exact i32 product, then
  // sat(round(acc * (a_scale * b_scale / y_scale)) + y_zero_point) in f32.
  auto a = integerView(n, n.in[0], "a");
  auto bv = integerView(n, n.in[3], "b");
  if (failed(a) || failed(bv))
    return failure();
  auto acc = integerMatmul(n, *a, *bv, n.in[2], n.in[5]);
  if (failed(acc))
    return failure();
  SmallVector<Value> scales;
  for (size_t i : {1, 4, 6}) {
    auto s = widenToF32(n, n.in[i], "scales");
    if (failed(s))
      return failure();
    scales.push_back(*s);
  }
  // A per-row scale of `a` (ONNX: an M-vector for 2-D a).
  if (tt(scales[0]).getRank() == 1 && tt(scales[0]).getNumElements() > 1) {
    Chain c{*this, n};
    scales[0] = c.reshape(scales[0], {tt(scales[0]).getDimSize(0), 1});
    if (c.failed)
      return failure();
  }
  Chain c{*this, n};
  Value m =
      c.op<nn::DivOp>({c.op<nn::MulOp>({scales[0], scales[1]}), scales[2]});
  if (c.failed)
    return failure();
  auto y = requantize(n, *acc, m, n.in[7]);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

FailureOr<Value> Importer::requantize(Node &n, Value acc, Value multiplier,
                                      Value zp) {
  Type f32 = b.getF32Type();
  if (!llvm::isa<IntegerType>(tt(zp).getElementType()))
    return error(n) << "the output zero point must be an integer, not "
                    << tt(zp).getElementType(),
           failure();
  Chain c{*this, n};
  Value x = c.op<nn::MulOp>(
      {c.op<nn::CastOp>({acc}, {named("to", TypeAttr::get(f32))}), multiplier});
  Value zf = c.op<nn::CastOp>({zp}, {named("to", TypeAttr::get(f32))});
  if (c.failed)
    return failure();
  return quantizeToInteger(n, x, Value(), zf, tt(zp).getElementType());
}

FailureOr<Value> Importer::integerConv(Node &n, Value x, Value w, Value zx,
                                       Value zw) {
  auto xt = tt(x), wt = tt(w);
  if ((xt.getRank() != 3 && xt.getRank() != 4) || wt.getRank() != xt.getRank())
    return error(n) << "only 1-D and 2-D convolution (3-D or 4-D input and "
                       "weight) is supported",
           failure();
  if (failed(requireEightBit(n, {{x, "x"}, {w, "w"}})))
    return failure();
  auto window = convWindow(
      n, xt,
      getInts(n, "kernel_shape")
          .value_or(SmallVector<int64_t>(wt.getShape().drop_front(2))));
  if (failed(window))
    return failure();
  SmallVector<Value> ops{x, w};
  for (int i = 0; i < 2 && xt.getRank() == 3; ++i) {
    auto lifted = liftTo2D(n, ops[size_t(i)]);
    if (failed(lifted))
      return failure();
    ops[size_t(i)] = *lifted;
  }
  if (zx)
    ops.push_back(zx);
  if (zw)
    ops.push_back(zw);
  auto conv = build<nn::ConvIntegerOp>(
      n, ops,
      {named(nn::ConvIntegerOp::getOperandSegmentSizesAttrName(
                 OperationName(nn::ConvIntegerOp::getOperationName(), ctx)),
             b.getDenseI32ArrayAttr({1, 1, zx ? 1 : 0, zw ? 1 : 0})),
       named("strides", b.getDenseI64ArrayAttr(window->strides)),
       named("pads", b.getDenseI64ArrayAttr(window->pads)),
       named("dilations", b.getDenseI64ArrayAttr(window->dilations)),
       named("group", b.getI64IntegerAttr(getInt(n, "group", 1)))});
  if (failed(conv))
    return failure();
  auto y = dropHeight(n, (*conv)->getResult(0), xt.getRank() == 3);
  if (failed(y))
    return failure();
  return (*y)[0];
}

Importer::Outputs Importer::convInteger(Node &n) {
  auto y = integerConv(n, n.in[0], n.in[1], n.in.size() > 2 ? n.in[2] : Value(),
                       n.in.size() > 3 ? n.in[3] : Value());
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

Importer::Outputs Importer::qlinearConv(Node &n) {
  // onnxruntime's QLinearConv: the exact i32 convolution plus the int32
  // bias, then sat(round(acc * (x_scale * w_scale[m] / y_scale)) + y_zp).
  auto x = integerView(n, n.in[0], "x");
  if (failed(x))
    return failure();
  auto acc = integerConv(n, *x, n.in[3], n.in[2], n.in[5]);
  if (failed(acc))
    return failure();
  int64_t rank = tt(*acc).getRank();
  // Per output channel values [M] broadcast along axis 1.
  auto perChannel = [&](Value v) { return alongAxis(n, v, rank, 1); };
  Chain c{*this, n};
  Value a = *acc;
  if (n.in.size() > 8 && n.in[8]) {
    if (!tt(n.in[8]).getElementType().isInteger(32))
      return error(n) << "the bias must be int32, not "
                      << tt(n.in[8]).getElementType(),
             failure();
    auto bias = perChannel(n.in[8]);
    if (failed(bias))
      return failure();
    a = c.op<nn::AddOp>({a, *bias});
  }
  SmallVector<Value> scales;
  for (size_t i : {1, 4, 6}) {
    auto s = widenToF32(n, n.in[i], "scales");
    if (failed(s))
      return failure();
    auto sc = perChannel(*s);
    if (failed(sc))
      return failure();
    scales.push_back(*sc);
  }
  Value m =
      c.op<nn::DivOp>({c.op<nn::MulOp>({scales[0], scales[1]}), scales[2]});
  if (c.failed)
    return failure();
  auto y = requantize(n, a, m, n.in[7]);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

Importer::Outputs Importer::qlinearBinary(Node &n, bool isMul) {
  // Inputs: A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale,
  // C_zero_point?. onnxruntime (MLAS), in f32:
  //   add: round((A - za) * (sa / sc) + (B - zb) * (sb / sc)) + zc
  //   mul: round((A - za) * (B - zb) * (sa * sb / sc) + zc)
  // saturated to the type of A (QLinearMul adds zc before rounding: ties
  // of the product round with the zero point added, as MLAS does).
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  if (!in(3) || !in(4) || !in(6))
    return error(n) << "needs A, A_scale, B, B_scale and C_scale", failure();
  auto a = integerView(n, in(0), "A");
  auto bv = integerView(n, in(3), "B");
  if (failed(a) || failed(bv))
    return failure();
  Type elem = tt(*a).getElementType();
  if (!isEightBit(elem) || tt(*bv).getElementType() != elem)
    return error(n) << "A and B must both be int8 or both uint8, got "
                    << tt(*a).getElementType() << " and "
                    << tt(*bv).getElementType(),
           failure();
  auto scalesOr = perTensorScales(n, {1, 4, 6});
  if (failed(scalesOr))
    return failure();
  SmallVector<Value> scales = *scalesOr;
  Type f32 = b.getF32Type();
  Chain c{*this, n};
  auto to = [&](Value v, Type t) {
    return c.op<nn::CastOp>({v}, {named("to", TypeAttr::get(t))});
  };
  Value da = dequantizeCodes(c, *a, in(2), Value());
  Value db = dequantizeCodes(c, *bv, in(5), Value());
  Value y;
  if (isMul) {
    Value m =
        c.op<nn::DivOp>({c.op<nn::MulOp>({scales[0], scales[1]}), scales[2]});
    y = c.op<nn::MulOp>({c.op<nn::MulOp>({da, db}), m});
  } else {
    Value ra = c.op<nn::DivOp>({scales[0], scales[2]});
    Value rb = c.op<nn::DivOp>({scales[1], scales[2]});
    y = c.op<nn::AddOp>({c.op<nn::MulOp>({da, ra}), c.op<nn::MulOp>({db, rb})});
  }
  Value zc = in(7) ? to(in(7), f32) : c.scalar(f32, 0);
  if (isMul) {
    y = c.op<nn::AddOp>({y, zc});
    zc = Value();
  }
  if (c.failed)
    return failure();
  auto q = quantizeToInteger(n, y, Value(), zc, elem);
  if (failed(q))
    return failure();
  return SmallVector<Value>{*q};
}

Importer::Outputs Importer::qlinearGlobalAveragePool(Node &n) {
  auto x = integerView(n, n.in[0], "X");
  if (failed(x))
    return failure();
  auto xt = tt(*x);
  if (!isEightBit(xt) || xt.getRank() < 3)
    return error(n) << "needs an int8 or uint8 input of rank >= 3, got " << xt,
           failure();
  bool channelsLast = getInt(n, "channels_last", 0) != 0;
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = channelsLast ? 1 : 2,
               e = channelsLast ? xt.getRank() - 1 : xt.getRank();
       d < e; ++d) {
    axes.push_back(d);
    count *= xt.getDimSize(d);
  }
  auto scalesOr = perTensorScales(n, {1, 3});
  if (failed(scalesOr))
    return failure();
  SmallVector<Value> scales = *scalesOr;
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  Chain c{*this, n};
  Value sum = c.op<nn::ReduceSumOp>(
      {c.op<nn::CastOp>({*x}, {named("to", TypeAttr::get(i32))})},
      {named("axes", b.getDenseI64ArrayAttr(axes)),
       named("keepdims", b.getBoolAttr(true))});
  if (n.in.size() > 2 && n.in[2])
    sum = c.op<nn::SubOp>(
        {sum,
         c.op<nn::MulOp>(
             {c.op<nn::CastOp>({n.in[2]}, {named("to", TypeAttr::get(i32))}),
              intConstant(n.loc, i32, {count}, {})})});
  Value m = c.op<nn::DivOp>(
      {scales[0],
       c.op<nn::MulOp>(
           {scales[1], floatConstant(n.loc, f32, {double(count)}, {})})});
  if (c.failed)
    return failure();
  Value zy = n.in.size() > 4 && n.in[4]
                 ? n.in[4]
                 : intConstant(n.loc, xt.getElementType(), {0}, {});
  auto y = requantize(n, sum, m, zy);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

Importer::Outputs Importer::qlinearConcat(Node &n) {
  // Inputs: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) each.
  if (n.in.size() < 5 || (n.in.size() - 2) % 3 != 0)
    return error(n) << "needs Y_scale, Y_zero_point and (X, X_scale, "
                       "X_zero_point) triples, got "
                    << n.in.size() << " inputs",
           failure();
  auto sy = widenToF32(n, n.in[0], "scales");
  if (failed(sy))
    return failure();
  Value zy = n.in[1];
  if (!zy || !isEightBit(zy.getType()))
    return error(n) << "Y_zero_point must be an int8 or uint8 scalar",
           failure();
  Type elem = tt(zy).getElementType(), f32 = b.getF32Type();
  Chain c{*this, n};
  Value zyf = c.op<nn::CastOp>({zy}, {named("to", TypeAttr::get(f32))});
  SmallVector<Value> parts;
  for (size_t i = 2; i + 2 < n.in.size(); i += 3) {
    auto x = integerView(n, n.in[i], "X");
    auto sx = n.in[i + 1] ? widenToF32(n, n.in[i + 1], "scales")
                          : FailureOr<Value>(failure());
    if (failed(x) || failed(sx) || !n.in[i + 2] ||
        tt(*x).getElementType() != elem)
      return error(n) << "input " << (i - 2) / 3
                      << " needs data of the output's type " << elem
                      << ", a scale and a zero point",
             failure();
    Value v = dequantizeCodes(c, *x, n.in[i + 2], *sx);
    if (c.failed)
      return failure();
    auto q = quantizeToInteger(n, v, *sy, zyf, elem);
    if (failed(q))
      return failure();
    parts.push_back(*q);
  }
  int64_t rank = tt(parts[0]).getRank();
  auto axis = nn::normalizeAxis(getInt(n, "axis", 0), rank);
  if (!axis)
    return error(n) << "axis out of range for rank " << rank, failure();
  return c.result(c.concat(parts, *axis));
}

Importer::Outputs Importer::qlinearSoftmax(Node &n) {
  // Inputs: X, X_scale, X_zero_point?, Y_scale, Y_zero_point?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  auto x = integerView(n, in(0), "X");
  if (failed(x))
    return failure();
  auto xt = tt(*x);
  Type elem = xt.getElementType();
  if (!isEightBit(elem) || xt.getRank() == 0)
    return error(n) << "needs an int8 or uint8 input of rank 1 or more, got "
                    << xt,
           failure();
  // onnxruntime refuses a node without it: it picks the axis's default
  // and whether the lines are the flattened trailing dimensions.
  if (!attr(n, "opset"))
    return error(n) << "needs the 'opset' attribute (the opset of the "
                       "Softmax it replaces)",
           failure();
  int64_t softmaxOpset = getInt(n, "opset", 13), rank = xt.getRank();
  // -1 by default at every opset (the schema's default, which onnxruntime
  // reads before its own opset-dependent one).
  int64_t axis = getInt(n, "axis", -1);
  if (axis < -rank || axis >= rank)
    return error(n) << "axis " << axis << " is out of range for rank " << rank,
           failure();
  axis = axis < 0 ? axis + rank : axis;
  Chain c{*this, n};
  auto params = unaryQLinearParams(n, c, elem);
  if (failed(params))
    return failure();
  auto [sx, sy, zy] = *params;
  std::optional<float> xScale = constScalarFloat(n, 1, "X_scale");
  if (!xScale)
    return failure();
  if (!(*xScale > 0.0f) || !std::isfinite(*xScale))
    return error(n) << "X_scale must be positive and finite, got " << *xScale,
           failure();
  // Lines of D elements along `line`: opset < 13 flattens the dimensions
  // from the axis into one.
  Value v =
      c.op<nn::CastOp>({*x}, {named("to", TypeAttr::get(b.getI32Type()))});
  int64_t line = axis;
  if (softmaxOpset < 13) {
    SmallVector<int64_t> flat(xt.getShape().take_front(axis));
    int64_t d = 1;
    for (int64_t e : xt.getShape().drop_front(axis))
      d *= e;
    flat.push_back(d);
    v = c.reshape(v, flat);
  }
  if (c.failed)
    return failure();
  int64_t d = tt(v).getDimSize(line);
  if (ShapedType::isDynamic(d) || d <= 0)
    return error(n) << "the softmax axis needs a static, non-zero size",
           failure();
  // The table, in double then rounded to f32 once, as onnxruntime builds
  // it (the quotient FLT_MAX / D in f32).
  double shift =
      std::max(0.0,
               std::log(double(std::numeric_limits<float>::max() / float(d))) -
                   5.0) /
      double(*xScale);
  SmallVector<double> table;
  for (int64_t i = 0; i < 256; ++i)
    table.push_back(
        double(float(std::exp((double(i) - 255.0 + shift) * double(*xScale)))));
  Type f32 = b.getF32Type();
  Value tbl = floatConstant(n.loc, f32, table, {256});
  auto axisAttr = [&](int64_t a) {
    return named("axes", b.getDenseI64ArrayAttr({a}));
  };
  Value mx = c.op<nn::ReduceMaxOp>({v}, {axisAttr(line)});
  Value idx = c.op<nn::AddOp>({c.op<nn::SubOp>({v, mx}),
                               intConstant(n.loc, b.getI32Type(), {255}, {})});
  Value e = c.op<nn::GatherOp>({tbl, idx});
  // The sum in order along the line: the last partial sum.
  Value partial =
      c.op<nn::CumSumOp>({e}, {named("axis", b.getI64IntegerAttr(line))});
  if (c.failed)
    return failure();
  auto shape = tt(e).getShape();
  SmallVector<int64_t> starts(shape.size(), 0), steps(shape.size(), 1),
      sizes(shape);
  starts[size_t(line)] = d - 1;
  sizes[size_t(line)] = 1;
  Value sum = c.slice(partial, starts, steps, sizes);
  Value recip = c.op<nn::FloorOp>({c.op<nn::DivOp>({c.scalar(f32, 1.0), sy})});
  Value q =
      c.op<nn::RoundOp>({c.op<nn::DivOp>({c.op<nn::MulOp>({e, recip}), sum})});
  if (zy)
    q = c.op<nn::AddOp>({q, zy});
  q = c.op<nn::MinOp>({q, c.scalar(f32, 255.0)});
  Value y = c.op<nn::CastOp>(
      {c.op<nn::CastOp>({q}, {named("to", TypeAttr::get(b.getI32Type()))})},
      {named("to", TypeAttr::get(elem))});
  if (softmaxOpset < 13)
    y = c.reshape(y, xt.getShape());
  return c.result(y);
}

Importer::Outputs Importer::contribAttention(Node &n, bool quantized) {
  // Attention: input, weights, bias?, mask_index?, past?, attention_bias?,
  // past_sequence_length?. QAttention: input, weight, bias, input_scale,
  // weight_scale, mask_index?, input_zero_point?, weight_zero_point?, past?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  size_t maskAt = quantized ? 5 : 3, pastAt = quantized ? 8 : 4;
  if (in(pastAt))
    return error(n) << "the past key / value state (input " << pastAt
                    << ") is not supported",
           failure();
  if (n.proto.output_size() > 1 && !n.proto.output(1).empty())
    return error(n) << "the present key / value output is not supported",
           failure();
  if (getInt(n, "do_rotary", 0))
    return error(n) << "rotary embedding (do_rotary) is not supported",
           failure();
  int64_t heads = getInt(n, "num_heads", 0);
  if (heads <= 0)
    return error(n) << "needs a positive num_heads", failure();
  Type f32 = b.getF32Type();
  Chain c{*this, n};
  // QKV = input x weights + bias: [B, S, Hq + Hk + Hv].
  Value qkv;
  if (quantized) {
    auto x = integerView(n, in(0), "input");
    auto w = integerView(n, in(1), "weight");
    if (failed(x) || failed(w))
      return failure();
    auto sx = perTensorScales(n, {3});
    auto sw = columnScales(n, in(4));
    if (failed(sx) || failed(sw))
      return failure();
    auto acc = integerMatmul(n, *x, *w, in(6), in(7));
    if (failed(acc))
      return failure();
    qkv = c.op<nn::MulOp>(
        {c.op<nn::CastOp>({*acc}, {named("to", TypeAttr::get(f32))}),
         c.op<nn::MulOp>({*sw, (*sx)[0]})});
  } else {
    qkv = c.op<nn::MatMulOp>({in(0), in(1)});
  }
  if (in(2))
    qkv = c.op<nn::AddOp>({qkv, in(2)});
  if (c.failed)
    return failure();
  auto qt = tt(qkv);
  if (qt.getRank() != 3 || !qt.hasStaticShape())
    return error(n) << "needs a static [batch, sequence, hidden] input, got "
                    << tt(in(0)),
           failure();
  int64_t batch = qt.getDimSize(0), seq = qt.getDimSize(1),
          total = qt.getDimSize(2);
  SmallVector<int64_t> sizes{total / 3, total / 3, total / 3};
  if (auto given = getInts(n, "qkv_hidden_sizes")) {
    if (given->size() != 3)
      return error(n) << "qkv_hidden_sizes must hold 3 values", failure();
    sizes.assign(given->begin(), given->end());
  }
  if (sizes[0] + sizes[1] + sizes[2] != total || sizes[0] != sizes[1] ||
      llvm::any_of(sizes, [&](int64_t h) { return h <= 0 || h % heads; }))
    return error(n) << "the weights' " << total
                    << " columns do not split into Q, K and V of " << sizes[0]
                    << ", " << sizes[1] << " and " << sizes[2]
                    << " (equal Q and K, each a multiple of num_heads " << heads
                    << ")",
           failure();
  // Q, K, V as [B, N, S, h].
  SmallVector<Value, 3> parts;
  int64_t start = 0;
  for (int64_t h : sizes) {
    Value part = c.slice(qkv, {0, 0, start}, {1, 1, 1}, {batch, seq, h});
    part = c.reshape(part, {batch, seq, heads, h / heads});
    parts.push_back(c.transpose(part, {0, 2, 1, 3}));
    start += h;
  }
  Value context =
      cpuBaseAttention(c, n, parts[0], parts[1], parts[2], 0, in(maskAt),
                       "mask_index", quantized ? Value() : in(5));
  if (c.failed || !context)
    return failure();
  context =
      c.reshape(c.transpose(context, {0, 2, 1, 3}), {batch, seq, sizes[2]});
  return c.result(context);
}

Value Importer::cpuBaseAttention(Chain &c, Node &n, Value q, Value k, Value v,
                                 int64_t past, Value mask, StringRef maskName,
                                 Value bias) {
  if (c.failed)
    return Value();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto qt = tt(q), kt = tt(k);
  int64_t batch = qt.getDimSize(0), seq = qt.getDimSize(2),
          total = kt.getDimSize(2), headSize = qt.getDimSize(3);
  float scale = getFloat(n, "scale", 0.0f);
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(float(headSize));
  Value scores =
      c.op<nn::MulOp>({c.op<nn::MatMulOp>({q, c.transpose(k, {0, 1, 3, 2})}),
                       c.scalar(f32, scale)});
  if (c.failed)
    return Value();
  // The additive mask, [B, 1, S or 1, T].
  float filter = getFloat(n, "mask_filter_value", -10000.0f);
  Value maskBias;
  auto select = [&](Value keep, Value yes, Value no) {
    return c.op<nn::WhereOp>({keep, yes, no});
  };
  Value zero = c.scalar(f32, 0.0), filterValue = c.scalar(f32, filter);
  if (mask) {
    auto mt = tt(mask);
    if (!mt.getElementType().isInteger(32) || !mt.hasStaticShape()) {
      c.failed = true;
      error(n) << maskName << " must be a static int32 tensor, got " << mt;
      return Value();
    }
    auto shape = mt.getShape();
    Value positions;
    if (shape.size() == 1) {
      SmallVector<int64_t> iota = llvm::to_vector(llvm::seq<int64_t>(0, total));
      positions = intConstant(n.loc, i32, iota, {1, total});
    }
    if (shape.size() == 1 && (shape[0] == batch || shape[0] == 2 * batch)) {
      // Keys at or after the end position (and before the start position)
      // are excluded.
      Value ends = c.reshape(c.slice(mask, {0}, {1}, {batch}), {batch, 1});
      Value kept = c.op<nn::LessOp>({positions, ends});
      Value bias = select(kept, zero, filterValue);
      if (shape[0] == 2 * batch) {
        Value starts =
            c.reshape(c.slice(mask, {batch}, {1}, {batch}), {batch, 1});
        bias = select(c.op<nn::LessOp>({positions, starts}), filterValue, bias);
      }
      maskBias = c.reshape(bias, {batch, 1, 1, total});
    } else if ((shape.size() == 2 && shape[0] == batch && shape[1] == total) ||
               (shape.size() == 3 && shape[0] == batch && shape[1] == seq &&
                shape[2] == total)) {
      Value keep =
          c.op<nn::GreaterOp>({mask, intConstant(n.loc, i32, {0}, {})});
      Value bias = select(keep, zero, filterValue);
      maskBias = shape.size() == 2 ? c.reshape(bias, {batch, 1, 1, total})
                                   : c.reshape(bias, {batch, 1, seq, total});
    } else {
      c.failed = true;
      error(n) << maskName << " of shape " << mt
               << " is not supported (expected [" << batch << "], ["
               << 2 * batch << "], [" << batch << ", " << total << "] or ["
               << batch << ", " << seq << ", " << total << "])";
      return Value();
    }
  }
  if (getInt(n, "unidirectional", 0)) {
    // Keys after the query's position (past + i): the lowest f32.
    SmallVector<int64_t> later;
    for (int64_t i = 0; i < seq; ++i)
      for (int64_t j = 0; j < total; ++j)
        later.push_back(j > past + i);
    Value causal = constant(
        n.loc, DenseElementsAttr::get(
                   RankedTensorType::get({1, 1, seq, total}, b.getI1Type()),
                   llvm::to_vector(llvm::map_range(
                       later, [](int64_t v) { return bool(v); }))));
    Value lowest = c.scalar(f32, double(std::numeric_limits<float>::lowest()));
    maskBias = select(causal, lowest, maskBias ? maskBias : zero);
  }
  if (maskBias)
    scores = c.op<nn::AddOp>({scores, maskBias});
  if (bias)
    scores = c.op<nn::AddOp>({scores, bias});
  Value probs =
      c.op<nn::SoftmaxOp>({scores}, {named("axis", b.getI64IntegerAttr(-1))});
  return c.op<nn::MatMulOp>({probs, v});
}

Importer::Outputs Importer::multiHeadAttention(Node &n) {
  // Inputs: query, key, value, bias?, key_padding_mask?, attention_bias?,
  // past_key?, past_value?, past_sequence_length?, cache_indirection?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  int64_t heads = getInt(n, "num_heads", 0);
  if (heads <= 0)
    return error(n) << "needs a positive num_heads", failure();
  if (in(8) || in(9))
    return error(n) << "past_sequence_length and cache_indirection (decoder "
                       "masked attention, beam search) are not supported",
           failure();
  if (n.proto.output_size() > 3 && !n.proto.output(3).empty())
    return error(n) << "the qk output is not supported", failure();
  Value query = in(0), key = in(1), value = in(2);
  if (!key || !value)
    return error(n) << "needs key and value (packed Q / K / V is not "
                       "supported, as in onnxruntime's CPU kernel)",
           failure();
  auto qt = tt(query), kt = tt(key), vt = tt(value);
  Type f32 = b.getF32Type();
  if (qt.getRank() != 3 || !qt.hasStaticShape() ||
      !qt.getElementType().isF32() || !kt.hasStaticShape() ||
      !vt.hasStaticShape() || kt.getElementType() != f32 ||
      vt.getElementType() != f32 || (kt.getRank() != 3 && kt.getRank() != 4) ||
      vt.getRank() != kt.getRank())
    return error(n) << "needs static f32 query [batch, sequence, hidden] and "
                       "key / value both [batch, sequence, hidden] or both "
                       "[batch, heads, sequence, head size], got "
                    << qt << ", " << kt << " and " << vt,
           failure();
  int64_t batch = qt.getDimSize(0), seq = qt.getDimSize(1),
          hidden = qt.getDimSize(2);
  if (hidden % heads)
    return error(n) << "query's hidden size " << hidden
                    << " is not a multiple of num_heads " << heads,
           failure();
  int64_t size = hidden / heads;
  Chain c{*this, n};
  // [batch, sequence, heads * size] (+ the bias part) -> [B, N, S, size].
  auto split = [&](Value x, int64_t part, int64_t width) -> Value {
    auto t = tt(x);
    if (Value bias = in(3))
      x = c.op<nn::AddOp>({x, c.slice(bias, {part}, {1}, {width})});
    return c.transpose(
        c.reshape(x, {batch, t.getDimSize(1), heads, width / heads}),
        {0, 2, 1, 3});
  };
  Value q, k, v;
  int64_t vHidden;
  if (kt.getRank() == 4) {
    // Cross attention with the cached K / V given as [B, N, L, size].
    if (in(3) || in(6))
      return error(n) << "key / value given per head (4-D) take no bias and "
                         "no past",
             failure();
    if (kt.getDimSize(0) != batch || kt.getDimSize(1) != heads ||
        kt.getDimSize(3) != size || vt.getDimSize(0) != batch ||
        vt.getDimSize(1) != heads || vt.getDimSize(2) != kt.getDimSize(2))
      return error(n) << "4-D key / value must be [" << batch << ", " << heads
                      << ", kv sequence, head size " << size << "], got " << kt
                      << " and " << vt,
             failure();
    vHidden = heads * vt.getDimSize(3);
    q = split(query, 0, hidden);
    k = key;
    v = value;
  } else {
    if (kt.getDimSize(0) != batch || vt.getDimSize(0) != batch ||
        kt.getDimSize(2) != hidden || vt.getDimSize(1) != kt.getDimSize(1) ||
        vt.getDimSize(2) % heads)
      return error(n) << "key " << kt << " and value " << vt
                      << " do not match query " << qt
                      << " (same batch, key's hidden size query's, one kv "
                         "sequence)",
             failure();
    vHidden = vt.getDimSize(2);
    if (Value bias = in(3)) {
      auto bt = tt(bias);
      if (bt.getShape() != ArrayRef<int64_t>{2 * hidden + vHidden})
        return error(n) << "bias must be [" << 2 * hidden + vHidden
                        << "] (Q, K and V), got " << bt,
               failure();
    }
    q = split(query, 0, hidden);
    k = split(key, hidden, hidden);
    v = split(value, 2 * hidden, vHidden);
  }
  Value pastKey = in(6), pastValue = in(7);
  if (bool(pastKey) != bool(pastValue))
    return error(n) << "past_key and past_value come together", failure();
  int64_t past = 0;
  if (pastKey) {
    auto pk = tt(pastKey), pv = tt(pastValue);
    if (pk.getRank() != 4 || pv.getRank() != 4 || pk.getDimSize(0) != batch ||
        pk.getDimSize(1) != heads || pk.getDimSize(3) != size ||
        pv.getDimSize(0) != batch || pv.getDimSize(1) != heads ||
        pv.getDimSize(2) != pk.getDimSize(2) ||
        pv.getDimSize(3) != vHidden / heads)
      return error(n) << "past_key / past_value must be [" << batch << ", "
                      << heads << ", past, head size], got " << pk << " and "
                      << pv,
             failure();
    past = pk.getDimSize(2);
    k = c.concat({pastKey, k}, 2);
    v = c.concat({pastValue, v}, 2);
  }
  Value out =
      cpuBaseAttention(c, n, q, k, v, past, in(4), "key_padding_mask", in(5));
  if (c.failed || !out)
    return failure();
  out = c.reshape(c.transpose(out, {0, 2, 1, 3}), {batch, seq, vHidden});
  if (c.failed)
    return failure();
  return SmallVector<Value>{out, k, v};
}

Importer::Outputs Importer::groupQueryAttention(Node &n) {
  // Inputs: query, key?, value?, past_key?, past_value?, seqlens_k,
  // total_sequence_length, cos_cache?, sin_cache?, position_ids?,
  // attention_bias?, head_sink?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  int64_t qHeads = getInt(n, "num_heads", 0);
  int64_t kvHeads = getInt(n, "kv_num_heads", 0);
  if (qHeads <= 0 || kvHeads <= 0 || qHeads % kvHeads)
    return error(n) << "num_heads (" << qHeads
                    << ") must be a positive multiple of kv_num_heads ("
                    << kvHeads << ")",
           failure();
  if (!in(5) || !in(6))
    return error(n) << "needs seqlens_k (input 5) and total_sequence_length "
                       "(input 6)",
           failure();
  if (in(10))
    return error(n) << "attention_bias (input 10) is not supported", failure();
  if (getInt(n, "qk_output", 0) ||
      (n.proto.output_size() > 3 && !n.proto.output(3).empty()))
    return error(n) << "the output_qk output (qk_output) is not supported",
           failure();
  Value query = in(0), key = in(1), value = in(2);
  auto qt = tt(query);
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  if (qt.getRank() != 3 || !qt.hasStaticShape() || !qt.getElementType().isF32())
    return error(n) << "query must be a static f32 [batch, sequence, hidden] "
                       "tensor, got "
                    << qt,
           failure();
  if (bool(key) != bool(value))
    return error(n) << "key and value come together (or neither, with Q, K "
                       "and V packed in query)",
           failure();
  int64_t batch = qt.getDimSize(0), seq = qt.getDimSize(1),
          hidden = qt.getDimSize(2);
  int64_t parts = key ? qHeads : qHeads + 2 * kvHeads;
  if (hidden % parts || hidden == 0)
    return error(n) << "query's hidden size " << hidden
                    << " is not a multiple of " << parts
                    << (key ? " (num_heads)"
                            : " (num_heads + 2 kv_num_heads, packed Q, K, V)"),
           failure();
  int64_t size = hidden / parts, groups = qHeads / kvHeads;
  Chain c{*this, n};
  // Q, K, V as [batch, sequence, heads, size].
  Value q, k, v;
  if (key) {
    for (Value x : {key, value}) {
      auto t = tt(x);
      if (t.getShape() != ArrayRef<int64_t>{batch, seq, kvHeads * size} ||
          !t.getElementType().isF32())
        return error(n) << "key and value must be f32 [" << batch << ", " << seq
                        << ", " << kvHeads * size
                        << "] (kv_num_heads x head size), got " << t,
               failure();
    }
    q = c.reshape(query, {batch, seq, qHeads, size});
    k = c.reshape(key, {batch, seq, kvHeads, size});
    v = c.reshape(value, {batch, seq, kvHeads, size});
  } else {
    auto part = [&](int64_t start, int64_t heads) {
      return c.reshape(c.slice(query, {0, 0, start * size}, {1, 1, 1},
                               {batch, seq, heads * size}),
                       {batch, seq, heads, size});
    };
    q = part(0, qHeads);
    k = part(qHeads, kvHeads);
    v = part(qHeads + kvHeads, kvHeads);
  }
  // Lengths: total_sequence_length T (compile time), seqlens_k (run time).
  auto total = constInt(n, 6, "total_sequence_length");
  if (!total)
    return failure();
  int64_t totalLen = *total;
  Value seqlens = in(5);
  auto st = tt(seqlens);
  if (st.getShape() != ArrayRef<int64_t>{batch} ||
      !st.getElementType().isInteger(32))
    return error(n) << "seqlens_k must be int32 [" << batch << "], got " << st,
           failure();
  Value pastKey = in(3), pastValue = in(4);
  if (bool(pastKey) != bool(pastValue))
    return error(n) << "past_key and past_value come together", failure();
  int64_t past = 0;
  if (pastKey) {
    auto pk = tt(pastKey);
    if (pk.getRank() != 4 || tt(pastValue).getShape() != pk.getShape() ||
        pk.getDimSize(0) != batch || pk.getDimSize(1) != kvHeads ||
        pk.getDimSize(3) != size || !pk.getElementType().isF32() ||
        !tt(pastValue).getElementType().isF32())
      return error(n) << "past_key and past_value must both be f32 [" << batch
                      << ", " << kvHeads << ", past, " << size << "], got "
                      << pk << " and " << tt(pastValue),
             failure();
    past = pk.getDimSize(2);
  }
  bool first = seq == totalLen;
  if (totalLen < seq || (!first && past == 0))
    return error(n) << "total_sequence_length " << totalLen
                    << (totalLen < seq ? " is less than the sequence length "
                                       : " exceeds the sequence length ")
                    << seq
                    << (totalLen < seq ? "" : " without past_key / past_value"),
           failure();
  int64_t present = std::max(totalLen, past);
  auto iota = [&](int64_t count, ArrayRef<int64_t> shape, int64_t from = 0) {
    return i64Constant(
        n.loc, llvm::to_vector(llvm::seq<int64_t>(from, from + count)), shape);
  };
  auto i64s = [&](int64_t v) { return i64Constant(n.loc, {v}, {}); };
  // past_b = seqlens_k + 1 - S per sequence (not for the first prompt).
  Value pastLen =
      first
          ? Value()
          : c.op<nn::SubOp>(
                {c.op<nn::CastOp>({seqlens}, {named("to", TypeAttr::get(i64))}),
                 i64s(seq - 1)});
  if (getInt(n, "do_rotary", 0)) {
    Value cosCache = in(7), sinCache = in(8);
    if (!cosCache || !sinCache)
      return error(n) << "do_rotary needs cos_cache and sin_cache", failure();
    auto ct = tt(cosCache);
    if (ct.getRank() != 2 || tt(sinCache).getShape() != ct.getShape() ||
        !ct.getElementType().isF32() ||
        !tt(sinCache).getElementType().isF32() || 2 * ct.getDimSize(1) > size ||
        ct.getDimSize(1) == 0)
      return error(n) << "cos_cache and sin_cache must both be f32 [max "
                         "position, rotary dim / 2] with rotary dim at most "
                         "the head size "
                      << size << ", got " << ct << " and " << tt(sinCache),
             failure();
    int64_t half = ct.getDimSize(1);
    Value positions = in(9);
    if (positions) {
      auto pt = tt(positions);
      if (pt.getShape() != ArrayRef<int64_t>{batch, seq} ||
          !pt.getElementType().isInteger(64))
        return error(n) << "position_ids must be int64 [" << batch << ", "
                        << seq << "], got " << pt,
               failure();
    } else if (first) { // the token's index (padding rows too)
      positions = c.op<nn::ExpandOp>(
          {iota(seq, {1, seq})},
          {named("shape", b.getDenseI64ArrayAttr({batch, seq}))});
    } else {
      positions = c.op<nn::AddOp>(
          {c.reshape(pastLen, {batch, 1}), iota(seq, {1, seq})});
    }
    auto cache = [&](Value table) {
      return c.reshape(
          c.op<nn::GatherOp>({table, positions},
                             {named("axis", b.getI64IntegerAttr(0))}),
          {batch, seq, 1, half});
    };
    Value cosV = cache(cosCache), sinV = cache(sinCache);
    bool interleaved = getInt(n, "rotary_interleaved", 0);
    q = rotate(c, q, cosV, sinV, 2 * half, interleaved);
    k = rotate(c, k, cosV, sinV, 2 * half, interleaved);
  }
  q = c.transpose(q, {0, 2, 1, 3});
  k = c.transpose(k, {0, 2, 1, 3});
  v = c.transpose(v, {0, 2, 1, 3});
  // present_key / present_value: [batch, kv heads, present, size].
  Value zero = c.scalar(f32, 0.0);
  auto presentOf = [&](Value cached, Value fresh) -> Value {
    if (first)
      return present == seq
                 ? fresh
                 : c.concat(
                       {fresh, zeros(n.loc, f32,
                                     {batch, kvHeads, present - seq, size})},
                       2);
    // Row j of sequence b: cached row j below past_b, then new row
    // j - past_b, then zeros.
    Value j = iota(present, {1, present});
    Value offset = c.reshape(pastLen, {batch, 1});
    if (batch == 1) {
      // One sequence: rows gathered from the cache and from the new rows
      // directly (along axis 2; the gathers and selects fuse into one
      // loop, no concatenated copy of the cache).
      Value valid = c.op<nn::LessOp>({j, c.op<nn::AddOp>({offset, i64s(seq)})});
      Value newRow = c.op<nn::MaxOp>(
          {c.op<nn::MinOp>({c.op<nn::SubOp>({j, offset}), i64s(seq - 1)}),
           i64s(0)});
      // (One new row, decoding: it broadcasts along the rows.)
      Value rows = c.op<nn::WhereOp>(
          {c.reshape(valid, {1, 1, present, 1}),
           seq == 1
               ? fresh
               : c.op<nn::GatherOp>({fresh, c.reshape(newRow, {present})},
                                    {named("axis", b.getI64IntegerAttr(2))}),
           zero});
      if (past == 0)
        return rows;
      Value cachedRow = c.op<nn::MinOp>({j, i64s(past - 1)});
      return c.op<nn::WhereOp>(
          {c.reshape(c.op<nn::LessOp>({j, offset}), {1, 1, present, 1}),
           c.op<nn::GatherOp>({cached, c.reshape(cachedRow, {present})},
                              {named("axis", b.getI64IntegerAttr(2))}),
           rows});
    }
    // Several sequences: one row gather over [past rows; new rows].
    int64_t rows = past + seq;
    Value all = c.concat({cached, fresh}, 2);
    Value row = c.op<nn::WhereOp>(
        {c.op<nn::LessOp>({j, offset}), j,
         c.op<nn::AddOp>({c.op<nn::SubOp>({j, offset}), i64s(past)})});
    row = c.op<nn::MaxOp>({c.op<nn::MinOp>({row, i64s(rows - 1)}), i64s(0)});
    Value valid = c.op<nn::LessOp>({j, c.op<nn::AddOp>({offset, i64s(seq)})});
    Value flat = c.reshape(c.transpose(all, {0, 2, 1, 3}),
                           {batch * rows, kvHeads * size});
    SmallVector<int64_t> base;
    for (int64_t i = 0; i < batch; ++i)
      base.push_back(i * rows);
    row = c.op<nn::AddOp>({row, i64Constant(n.loc, base, {batch, 1})});
    Value g = c.op<nn::GatherOp>({flat, row},
                                 {named("axis", b.getI64IntegerAttr(0))});
    g = c.op<nn::WhereOp>({c.reshape(valid, {batch, present, 1}), g, zero});
    return c.transpose(c.reshape(g, {batch, present, kvHeads, size}),
                       {0, 2, 1, 3});
  };
  Value presentKey = presentOf(pastKey, k);
  Value presentValue = presentOf(pastValue, v);
  // Scores of each query head against its group's K: [batch, heads, S,
  // present].
  Value scores = c.reshape(
      c.op<nn::MatMulOp>({c.reshape(q, {batch, kvHeads, groups * seq, size}),
                          c.transpose(presentKey, {0, 1, 3, 2})}),
      {batch, qHeads, seq, present});
  float scale = getFloat(n, "scale", 0.0f);
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(float(size));
  scores = c.op<nn::MulOp>({scores, c.scalar(f32, scale)});
  float softcap = getFloat(n, "softcap", 0.0f);
  if (softcap > 0.0f) {
    Value cap = c.scalar(f32, softcap);
    scores = c.op<nn::MulOp>(
        {c.op<nn::TanhOp>({c.op<nn::DivOp>({scores, cap})}), cap});
  }
  // Query s of sequence b sees keys [causal - window - 1, causal), causal =
  // past_b + s + 1.
  Value causal = iota(seq, {1, seq, 1}, 1);
  if (!first)
    causal = c.op<nn::AddOp>({c.reshape(pastLen, {batch, 1, 1}), causal});
  Value keys = iota(present, {1, 1, present});
  Value keep = c.op<nn::LessOp>({keys, causal});
  int64_t window = getInt(n, "local_window_size", -1);
  if (window > 0)
    keep = c.op<nn::AndOp>(
        {keep, c.op<nn::NotOp>({c.op<nn::LessOp>(
                   {keys, c.op<nn::SubOp>({causal, i64s(window + 1)})})})});
  if (c.failed)
    return failure();
  keep = c.reshape(keep, {tt(keep).getDimSize(0), 1, seq, present});
  scores = c.op<nn::WhereOp>({keep, scores, c.scalar(f32, -INFINITY)});
  // Softmax, with an extra logit (smooth_softmax: 0; head_sink: the head's).
  Value sink;
  if (Value h = in(11)) {
    auto ht = tt(h);
    if (ht.getShape() != ArrayRef<int64_t>{qHeads} ||
        !ht.getElementType().isF32())
      return error(n) << "head_sink must be f32 [" << qHeads << "], got " << ht,
             failure();
    sink = c.op<nn::ExpandOp>(
        {c.reshape(h, {1, qHeads, 1, 1})},
        {named("shape", b.getDenseI64ArrayAttr({batch, qHeads, seq, 1}))});
  } else if (getInt(n, "smooth_softmax", 0)) {
    sink = zeros(n.loc, f32, {batch, qHeads, seq, 1});
  }
  Value probs;
  if (sink)
    probs =
        c.slice(c.op<nn::SoftmaxOp>({c.concat({scores, sink}, -1)},
                                    {named("axis", b.getI64IntegerAttr(-1))}),
                {0, 0, 0, 0}, {1, 1, 1, 1}, {batch, qHeads, seq, present});
  else
    probs =
        c.op<nn::SoftmaxOp>({scores}, {named("axis", b.getI64IntegerAttr(-1))});
  Value out = c.op<nn::MatMulOp>(
      {c.reshape(probs, {batch, kvHeads, groups * seq, present}),
       presentValue});
  out = c.reshape(
      c.transpose(c.reshape(out, {batch, qHeads, seq, size}), {0, 2, 1, 3}),
      {batch, seq, qHeads * size});
  if (c.failed)
    return failure();
  return SmallVector<Value>{out, presentKey, presentValue};
}

Importer::Outputs Importer::gatherBlockQuantized(Node &n) {
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  Value data = in(0), indices = in(1), scales = in(2), zeroPoints = in(3);
  auto dt = tt(data), st = tt(scales);
  int64_t bits = getInt(n, "bits", 4), block = getInt(n, "block_size", 128);
  int64_t gatherAxis = getInt(n, "gather_axis", 0);
  int64_t quantizeAxis = getInt(n, "quantize_axis", 1);
  if (!dt.getElementType().isUnsignedInteger(8) || dt.getRank() != 2 ||
      !dt.hasStaticShape())
    return error(n) << "data must be a static 2-D uint8 tensor (packed codes), "
                       "got "
                    << dt,
           failure();
  if (gatherAxis != 0 || (quantizeAxis != 1 && quantizeAxis != -1))
    return error(n) << "only gather_axis 0 and quantize_axis 1 (the last) are "
                       "supported, got "
                    << gatherAxis << " and " << quantizeAxis,
           failure();
  if (bits != 4 && bits != 8)
    return error(n) << "bits must be 4 or 8, got " << bits, failure();
  int64_t rows = dt.getDimSize(0), width = dt.getDimSize(1) * (8 / bits);
  if (block < 16 || (block & (block - 1)) || width % block)
    return error(n) << "block_size " << block
                    << " must be a power of two >= 16 dividing the row of "
                    << width << " codes",
           failure();
  int64_t groups = width / block;
  if (st.getShape() != ArrayRef<int64_t>{rows, groups} ||
      !llvm::isa<FloatType>(st.getElementType()))
    return error(n) << "scales must be float [" << rows << ", " << groups
                    << "], got " << st,
           failure();
  auto it = tt(indices);
  if (!llvm::isa<IntegerType>(it.getElementType()) || !it.hasStaticShape())
    return error(n) << "indices must be a static integer tensor, got " << it,
           failure();
  Chain c{*this, n};
  Type i32 = b.getI32Type(), elem = st.getElementType();
  SmallVector<int64_t> lead(it.getShape());
  auto gather = [&](Value v) {
    return c.op<nn::GatherOp>({v, indices},
                              {named("axis", b.getI64IntegerAttr(0))});
  };
  auto shaped = [&](ArrayRef<int64_t> tail) {
    SmallVector<int64_t> shape(lead);
    shape.append(tail.begin(), tail.end());
    return shape;
  };
  // The codes of the gathered rows of `v` ([..., count] bytes), as i32
  // [..., count * 8 / bits].
  auto codesOf = [&](Value v, int64_t count) -> Value {
    Value bytes =
        c.op<nn::CastOp>({gather(v)}, {named("to", TypeAttr::get(i32))});
    if (bits == 8)
      return bytes;
    Value hi = c.op<nn::DivOp>({bytes, intConstant(n.loc, i32, {16}, {})});
    Value lo = c.op<nn::SubOp>(
        {bytes, c.op<nn::MulOp>({hi, intConstant(n.loc, i32, {16}, {})})});
    return c.reshape(c.concat({c.reshape(lo, shaped({count, 1})),
                               c.reshape(hi, shaped({count, 1}))},
                              -1),
                     shaped({2 * count}));
  };
  Value codes =
      c.reshape(codesOf(data, dt.getDimSize(1)), shaped({groups, block}));
  Value zero;
  if (zeroPoints) {
    auto zt = tt(zeroPoints);
    int64_t perRow = bits == 4 ? (groups + 1) / 2 : groups;
    if (!zt.getElementType().isUnsignedInteger(8) ||
        zt.getShape() != ArrayRef<int64_t>{rows, perRow})
      return error(n) << "zero_points must be uint8 [" << rows << ", " << perRow
                      << "], got " << zt,
             failure();
    if (bits == 4) {
      // onnxruntime reads 4-bit zero points as one stream of nibbles: row r,
      // block g at nibble r * groups + g (a row starts mid-byte when groups
      // is odd). Unpacked here to one byte each, gathered at run time.
      DenseElementsAttr zc = constantOf(zeroPoints);
      if (!zc)
        return error(n) << "4-bit zero_points must be a constant", failure();
      auto packed = llvm::to_vector(
          llvm::map_range(zc.getValues<APInt>(), [](const APInt &v) {
            return uint8_t(v.getZExtValue());
          }));
      SmallVector<APInt> nibbles;
      for (int64_t e = 0; e < rows * groups; ++e)
        nibbles.emplace_back(8, (packed[size_t(e / 2)] >> (4 * (e % 2))) & 15);
      zeroPoints = constant(
          n.loc,
          DenseElementsAttr::get(
              RankedTensorType::get({rows, groups}, b.getIntegerType(8, false)),
              nibbles));
    }
    zero = c.reshape(c.op<nn::CastOp>({gather(zeroPoints)},
                                      {named("to", TypeAttr::get(i32))}),
                     shaped({groups, 1}));
  } else {
    zero = intConstant(n.loc, i32, {int64_t(1) << (bits - 1)}, {});
  }
  Value values = c.op<nn::CastOp>({c.op<nn::SubOp>({codes, zero})},
                                  {named("to", TypeAttr::get(elem))});
  Value y =
      c.op<nn::MulOp>({values, c.reshape(gather(scales), shaped({groups, 1}))});
  return c.result(c.reshape(y, shaped({width})));
}

Importer::Outputs Importer::embedLayerNorm(Node &n, bool quantized) {
  // Inputs: input_ids, segment_ids?, word_embedding, position_embedding,
  // segment_embedding?, gamma, beta, mask?, then position_ids? (float) or
  // the five scales and the five zero points of inputs 2-6 (quantized).
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  Value ids = in(0);
  for (size_t i : {2, 3, 5, 6})
    if (!in(i))
      return error(n) << "input " << i << " is missing", failure();
  auto it = tt(ids);
  if (it.getRank() != 2 || !it.hasStaticShape() ||
      !llvm::isa<IntegerType>(it.getElementType()))
    return error(n) << "input_ids must be a static [batch, sequence] integer "
                       "tensor, got "
                    << it,
           failure();
  if (in(1) && !in(4))
    return error(n) << "segment_ids need segment_embedding", failure();
  int64_t batch = it.getDimSize(0), seq = it.getDimSize(1);
  Type i32 = b.getI32Type();
  Chain c{*this, n};
  // Input `i` (2-6), dequantized when quantized (scale 8 + i - 2, zero
  // point 13 + i - 2, per tensor).
  auto values = [&](size_t i, Value v) -> Value {
    if (!quantized || !v)
      return v;
    auto codes = integerView(n, v, "the embedding codes");
    auto scale = perTensorScales(n, {i + 6});
    if (failed(codes) || failed(scale)) {
      c.failed = true;
      return Value();
    }
    return dequantizeCodes(c, *codes, in(i + 11), (*scale)[0]);
  };
  auto rows = [&](size_t table, Value index) {
    return values(table,
                  c.op<nn::GatherOp>({in(table), index},
                                     {named("axis", b.getI64IntegerAttr(0))}));
  };
  Value sum = rows(2, ids);
  Value positions = quantized ? Value() : in(8);
  if (!positions) {
    SmallVector<int64_t> iota = llvm::to_vector(llvm::seq<int64_t>(0, seq));
    positions = intConstant(n.loc, i32, iota, {1, seq});
  }
  sum = c.op<nn::AddOp>({sum, rows(3, positions)});
  if (in(1))
    sum = c.op<nn::AddOp>({sum, rows(4, in(1))});
  Value y = c.op<nn::LayerNormOp>(
      {sum, values(5, in(5)), values(6, in(6))},
      {named("axis", b.getI64IntegerAttr(-1)),
       named("epsilon", b.getF32FloatAttr(getFloat(n, "epsilon", 1e-12f)))});
  Value maskIndex;
  if (Value mask = in(7)) {
    Value ones = c.op<nn::CastOp>(
        {c.op<nn::EqualOp>(
            {mask, intConstant(n.loc, tt(mask).getElementType(), {1}, {})})},
        {named("to", TypeAttr::get(i32))});
    maskIndex = c.op<nn::ReduceSumOp>(
        {ones}, {named("axes", b.getDenseI64ArrayAttr({1})),
                 named("keepdims", b.getBoolAttr(false))});
  } else {
    maskIndex = intConstant(n.loc, i32, {0}, {batch});
  }
  if (c.failed)
    return failure();
  return SmallVector<Value>{y, maskIndex, sum};
}

Importer::Outputs Importer::gridSample(Node &n) {
  Value x = n.in[0], grid = n.in[1];
  auto xt = tt(x), gt = tt(grid);
  int64_t k = xt.getRank() - 2;
  Type elem = xt.getElementType();
  if (k < 1 || !xt.hasStaticShape() || !gt.hasStaticShape() ||
      !llvm::isa<FloatType>(elem) || gt.getElementType() != elem ||
      gt.getRank() != k + 2 || gt.getDimSize(0) != xt.getDimSize(0) ||
      gt.getDimSize(k + 1) != k)
    return error(n) << "needs static float X [N, C, D1..Dk] and grid [N, "
                       "O1..Ok, k] of one element type, got "
                    << xt << " and " << gt,
           failure();
  std::string mode = getString(n, "mode", opset < 20 ? "bilinear" : "linear");
  mode = mode == "bilinear" ? "linear" : mode == "bicubic" ? "cubic" : mode;
  std::string padding = getString(n, "padding_mode", "zeros");
  bool align = getInt(n, "align_corners", 0) != 0;
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return error(n) << "unknown mode '" << mode << "'", failure();
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return error(n) << "unknown padding_mode '" << padding << "'", failure();
  int64_t batch = xt.getDimSize(0), channels = xt.getDimSize(1), points = 1,
          pixels = 1;
  for (int64_t d = 1; d <= k; ++d)
    points *= gt.getDimSize(d);
  for (int64_t d = 0; d < k; ++d)
    pixels *= xt.getDimSize(2 + d);
  Chain c{*this, n};
  auto num = [&](double v) { return c.scalar(elem, v); };
  auto clip = [&](Value v, double lo, double hi) {
    return c.op<nn::ClipOp>({v}, {named("min", b.getF32FloatAttr(float(lo))),
                                  named("max", b.getF32FloatAttr(float(hi)))});
  };
  // Reflected into [lo, hi] by the nearer border, repeatedly (ONNX's
  // _gs_reflect).
  auto reflect = [&](Value v, double lo, double hi) {
    Value below = c.op<nn::LessOp>({v, num(lo)});
    Value dx = c.select(below, c.sub(num(lo), v), c.sub(v, num(hi)));
    Value times = c.op<nn::FloorOp>({c.op<nn::DivOp>({dx, num(hi - lo)})});
    Value r = c.sub(dx, c.mul(times, num(hi - lo)));
    Value even = c.op<nn::EqualOp>(
        {c.sub(times,
               c.mul(num(2.0), c.op<nn::FloorOp>({c.mul(times, num(0.5))}))),
         num(0.0)});
    Value fromLo = c.add(num(lo), r), fromHi = c.sub(num(hi), r);
    Value above = c.op<nn::GreaterOp>({v, num(hi)});
    return c.select(below, c.select(even, fromLo, fromHi),
                    c.select(above, c.select(even, fromHi, fromLo), v));
  };
  // Per spatial dimension d: the taps (index, coefficient) of every point,
  // each a [N, 1, P] tensor.
  struct Tap {
    Value index, weight;
  };
  SmallVector<SmallVector<Tap>> taps(static_cast<size_t>(k));
  SmallVector<int64_t> starts(size_t(k + 2), 0), steps(size_t(k + 2), 1),
      sizes(gt.getShape());
  for (int64_t d = 0; d < k; ++d) {
    double len = double(xt.getDimSize(2 + d));
    starts[size_t(k + 1)] = k - 1 - d;
    sizes[size_t(k + 1)] = 1;
    Value g =
        c.reshape(c.slice(grid, starts, steps, sizes), {batch, 1, points});
    Value v = align ? c.mul(c.op<nn::DivOp>({c.add(g, num(1.0)), num(2.0)}),
                            num(len - 1))
                    : c.op<nn::DivOp>(
                          {c.sub(c.mul(c.add(g, num(1.0)), num(len)), num(1.0)),
                           num(2.0)});
    if (mode == "nearest")
      v = c.op<nn::RoundOp>({v});
    double lo = align ? 0.0 : -0.5, hi = align ? len - 1 : len - 0.5;
    if (padding == "border")
      v = c.select(c.op<nn::OrOp>({c.op<nn::LessOp>({v, num(lo)}),
                                   c.op<nn::GreaterOp>({v, num(hi)})}),
                   clip(v, 0.0, len - 1), v);
    else if (padding == "reflection")
      v = reflect(v, lo, hi);
    if (mode == "nearest") {
      taps[size_t(d)].push_back({v, Value()});
      continue;
    }
    Value i0 = c.op<nn::FloorOp>({v});
    Value t = c.sub(v, i0);
    if (mode == "linear") {
      taps[size_t(d)].push_back({i0, c.sub(num(1.0), t)});
      taps[size_t(d)].push_back({c.add(i0, num(1.0)), t});
      continue;
    }
    // Keys' cubic convolution, a = -0.75 (ONNX's _gs_get_cubic_coeffs).
    const double a = -0.75;
    auto outer = [&](Value s) { // ((a s - 5a) s + 8a) s - 4a
      return c.sub(c.mul(c.add(c.mul(c.sub(c.mul(num(a), s), num(5 * a)), s),
                               num(8 * a)),
                         s),
                   num(4 * a));
    };
    auto inner = [&](Value s) { // ((a + 2) s - (a + 3)) s s + 1
      return c.add(c.mul(c.mul(c.sub(c.mul(num(a + 2), s), num(a + 3)), s), s),
                   num(1.0));
    };
    Value one = num(1.0), two = num(2.0);
    taps[size_t(d)].push_back({c.sub(i0, one), outer(c.add(t, one))});
    taps[size_t(d)].push_back({i0, inner(t)});
    taps[size_t(d)].push_back({c.add(i0, one), inner(c.sub(one, t))});
    taps[size_t(d)].push_back({c.add(i0, two), outer(c.sub(two, t))});
  }
  if (c.failed)
    return failure();
  Type i64 = b.getI64Type();
  Value flatX = c.reshape(x, {batch, channels, pixels});
  Value channelZeros = zeros(n.loc, i64, {1, channels, 1});
  // The pixel of one tap per dimension, [N, C, P].
  auto pixel = [&](ArrayRef<size_t> choice) -> Value {
    Value flat, valid;
    int64_t stride = pixels;
    for (int64_t d = 0; d < k; ++d) {
      double len = double(xt.getDimSize(2 + d));
      stride /= xt.getDimSize(2 + d);
      Value i = taps[size_t(d)][choice[size_t(d)]].index;
      if (padding == "zeros") {
        Value inside = c.op<nn::AndOp>({c.op<nn::GreaterOp>({i, num(-1.0)}),
                                        c.op<nn::LessOp>({i, num(len)})});
        valid = valid ? c.op<nn::AndOp>({valid, inside}) : inside;
        i = clip(i, 0.0, len - 1);
      } else if (padding == "border") {
        i = clip(i, 0.0, len - 1);
      } else {
        double lo = align ? 0.0 : -0.5, hi = align ? len - 1 : len - 0.5;
        i = c.op<nn::FloorOp>({clip(reflect(i, lo, hi), 0.0, len - 1)});
      }
      Value term =
          c.mul(c.op<nn::CastOp>({i}, {named("to", TypeAttr::get(i64))}),
                intConstant(n.loc, i64, {stride}, {}));
      flat = flat ? c.add(flat, term) : term;
    }
    Value v =
        c.op<nn::GatherElementsOp>({flatX, c.add(flat, channelZeros)},
                                   {named("axis", b.getI64IntegerAttr(2))});
    return valid ? c.select(valid, v, num(0.0)) : v;
  };
  // Innermost dimension first: sum over the taps of d of weight * (the
  // combination over the dimensions after d).
  std::function<Value(int64_t, SmallVector<size_t> &)> combine =
      [&](int64_t d, SmallVector<size_t> &choice) -> Value {
    if (d == k)
      return pixel(choice);
    Value acc;
    for (size_t t = 0; t < taps[size_t(d)].size(); ++t) {
      choice.push_back(t);
      Value inner = combine(d + 1, choice);
      choice.pop_back();
      Value w = taps[size_t(d)][t].weight;
      Value term = w ? c.mul(w, inner) : inner;
      acc = acc ? c.add(acc, term) : term;
    }
    return acc;
  };
  SmallVector<size_t> choice;
  Value y = combine(0, choice);
  SmallVector<int64_t> outShape{batch, channels};
  for (int64_t d = 1; d <= k; ++d)
    outShape.push_back(gt.getDimSize(d));
  return c.result(c.reshape(y, outShape));
}

Importer::Outputs Importer::roiAlign(Node &n) {
  Value x = n.in[0], rois = n.in[1], batchIndices = n.in[2];
  auto xt = tt(x), rt = tt(rois), bt = tt(batchIndices);
  Type elem = xt.getElementType();
  if (xt.getRank() != 4 || !xt.hasStaticShape() || !rt.hasStaticShape() ||
      !bt.hasStaticShape() || !llvm::isa<FloatType>(elem) ||
      rt.getElementType() != elem || rt.getRank() != 2 ||
      rt.getDimSize(1) != 4 || bt.getRank() != 1 ||
      bt.getDimSize(0) != rt.getDimSize(0) ||
      !bt.getElementType().isInteger(64))
    return error(n) << "needs static float X [N, C, H, W], rois [R, 4] of "
                       "X's element type and int64 batch_indices [R], got "
                    << xt << ", " << rt << " and " << bt,
           failure();
  std::string mode = getString(n, "mode", "avg");
  // Opset 10 has no coordinate_transformation_mode: its rois are
  // output_half_pixel (no half-pixel offset).
  std::string transform =
      getString(n, "coordinate_transformation_mode",
                opset < 16 ? "output_half_pixel" : "half_pixel");
  int64_t outH = getInt(n, "output_height", 1),
          outW = getInt(n, "output_width", 1),
          ratio = getInt(n, "sampling_ratio", 0);
  float spatialScale = getFloat(n, "spatial_scale", 1.0f);
  if (mode != "avg" && mode != "max")
    return error(n) << "unknown mode '" << mode << "' (avg or max)", failure();
  if (transform != "half_pixel" && transform != "output_half_pixel")
    return error(n) << "unknown coordinate_transformation_mode '" << transform
                    << "' (half_pixel or output_half_pixel)",
           failure();
  if (outH < 1 || outW < 1)
    return error(n) << "output_height and output_width must be positive, got "
                    << outH << " and " << outW,
           failure();
  if (ratio <= 0)
    return error(n) << "sampling_ratio " << ratio
                    << " is not supported: with 0 the number of samples per "
                       "bin is ceil(roi size / output size), known only from "
                       "the rois' values at run time; give a positive "
                       "sampling_ratio (e.g. 2, torchvision's default)",
           failure();
  bool halfPixel = transform == "half_pixel";
  int64_t channels = xt.getDimSize(1), height = xt.getDimSize(2),
          width = xt.getDimSize(3), numRois = rt.getDimSize(0);
  Chain c{*this, n};
  auto num = [&](double v) { return c.scalar(elem, v); };
  Type i64 = b.getI64Type();
  auto toIndex = [&](Value v) {
    return c.op<nn::CastOp>({v}, {named("to", TypeAttr::get(i64))});
  };
  // The roi's coordinate j, [R, 1], scaled and shifted.
  double offset = halfPixel ? 0.5 : 0.0;
  auto corner = [&](int64_t j) {
    return c.sub(c.mul(c.slice(rois, {0, j}, {1, 1}, {numRois, 1}),
                       num(double(spatialScale))),
                 num(offset));
  };
  Value startW = corner(0), startH = corner(1);
  Value sizeW = c.sub(corner(2), startW), sizeH = c.sub(corner(3), startH);
  if (!halfPixel) {
    sizeW = c.op<nn::MaxOp>({sizeW, num(1.0)});
    sizeH = c.op<nn::MaxOp>({sizeH, num(1.0)});
  }
  // The samples along one axis, [R, out * s]: the low and high pixel
  // (i64), their weights and whether the sample is inside [-1, len].
  struct Samples {
    Value low, high, lowWeight, highWeight, inside;
  };
  auto samples = [&](Value start, Value size, int64_t out,
                     int64_t len) -> Samples {
    Value bin = c.div(size, num(double(out)));
    SmallVector<double> whole, part;
    for (int64_t p = 0; p < out; ++p)
      for (int64_t i = 0; i < ratio; ++i) {
        whole.push_back(double(p));
        part.push_back(double(i) + 0.5);
      }
    Value v = c.add(
        c.add(start,
              c.mul(floatConstant(n.loc, elem, whole, {1, out * ratio}), bin)),
        c.div(c.mul(floatConstant(n.loc, elem, part, {1, out * ratio}), bin),
              num(double(ratio))));
    double last = double(len - 1);
    Value inside = c.op<nn::NotOp>(
        {c.op<nn::OrOp>({c.op<nn::LessOp>({v, num(-1.0)}),
                         c.op<nn::GreaterOp>({v, num(double(len))})})});
    Value y = c.op<nn::MaxOp>({v, num(0.0)});
    Value low = c.op<nn::FloorOp>({y});
    // Below the last pixel (false for NaN: every index stays in range).
    Value interior = c.op<nn::LessOp>({low, num(last)});
    Value high = c.select(interior, c.add(low, num(1.0)), num(last));
    y = c.select(interior, y, num(last));
    low = c.select(interior, low, num(last));
    Value l = c.sub(y, low);
    return {toIndex(low), toIndex(high), c.sub(num(1.0), l), l, inside};
  };
  Samples ys = samples(startH, sizeH, outH, height);
  Samples xs = samples(startW, sizeW, outW, width);
  if (c.failed)
    return failure();
  int64_t rows = outH * ratio, cols = outW * ratio;
  // [R, rows, 1] against [R, 1, cols], flattened to [R, 1, rows * cols].
  auto alongY = [&](Value v) { return c.reshape(v, {numRois, rows, 1}); };
  auto alongX = [&](Value v) { return c.reshape(v, {numRois, 1, cols}); };
  auto flat = [&](Value v) { return c.reshape(v, {numRois, 1, rows * cols}); };
  Value inside = c.op<nn::AndOp>({alongY(ys.inside), alongX(xs.inside)});
  Value zeroIndex = intConstant(n.loc, i64, {0}, {});
  Value image =
      c.reshape(c.op<nn::GatherOp>({x, batchIndices},
                                   {named("axis", b.getI64IntegerAttr(0))}),
                {numRois, channels, height * width});
  Value channelZeros = zeros(n.loc, i64, {1, channels, 1});
  // One corner: its weight times the pixel, [R, C, rows * cols].
  auto term = [&](Value yIndex, Value yWeight, Value xIndex, Value xWeight) {
    Value w =
        c.select(inside, c.mul(alongY(yWeight), alongX(xWeight)), num(0.0));
    Value pos = c.add(
        c.op<nn::MulOp>({alongY(yIndex), intConstant(n.loc, i64, {width}, {})}),
        alongX(xIndex));
    pos = c.select(inside, pos, zeroIndex);
    Value v =
        c.op<nn::GatherElementsOp>({image, c.add(flat(pos), channelZeros)},
                                   {named("axis", b.getI64IntegerAttr(2))});
    return c.mul(flat(w), v);
  };
  Value t1 = term(ys.low, ys.lowWeight, xs.low, xs.lowWeight);
  Value t2 = term(ys.low, ys.lowWeight, xs.high, xs.highWeight);
  Value t3 = term(ys.high, ys.highWeight, xs.low, xs.lowWeight);
  Value t4 = term(ys.high, ys.highWeight, xs.high, xs.highWeight);
  SmallVector<NamedAttribute> overBin{
      named("axes", b.getDenseI64ArrayAttr({3, 5})),
      named("keepdims", b.getBoolAttr(false))};
  SmallVector<int64_t> binShape{numRois, channels, outH, ratio, outW, ratio};
  Value y;
  if (mode == "avg") {
    Value sum = c.add(c.add(c.add(t1, t2), t3), t4);
    y = c.div(c.op<nn::ReduceSumOp>({c.reshape(sum, binShape)}, overBin),
              num(double(ratio * ratio)));
  } else {
    auto mx = [&](Value a, Value b2) { return c.op<nn::MaxOp>({a, b2}); };
    Value largest = mx(mx(mx(t1, t2), t3), t4);
    y = c.op<nn::ReduceMaxOp>({c.reshape(largest, binShape)}, overBin);
  }
  return c.result(y);
}

Importer::Outputs Importer::deformConv(Node &n) {
  Value x = n.in[0], w = n.in[1], offsets = n.in[2];
  Value bias = n.in.size() > 3 ? n.in[3] : Value();
  Value mask = n.in.size() > 4 ? n.in[4] : Value();
  auto xt = tt(x), wt = tt(w), ot = tt(offsets);
  Type elem = xt.getElementType();
  if (xt.getRank() != 4 || wt.getRank() != 4 || ot.getRank() != 4 ||
      !xt.hasStaticShape() || !wt.hasStaticShape() || !ot.hasStaticShape() ||
      !llvm::isa<FloatType>(elem) || wt.getElementType() != elem ||
      ot.getElementType() != elem)
    return error(n) << "needs static float X [N, C, H, W], W [oC, C / group, "
                       "kH, kW] and offset [N, offset_group * 2 * kH * kW, "
                       "oH, oW] of one element type (2-D only), got "
                    << xt << ", " << wt << " and " << ot,
           failure();
  int64_t batch = xt.getDimSize(0), channels = xt.getDimSize(1),
          height = xt.getDimSize(2), width = xt.getDimSize(3);
  int64_t outC = wt.getDimSize(0), kH = wt.getDimSize(2), kW = wt.getDimSize(3);
  int64_t group = getInt(n, "group", 1),
          offsetGroup = getInt(n, "offset_group", 1);
  if (group < 1 || offsetGroup < 1 || channels % group != 0 ||
      wt.getDimSize(1) * group != channels || outC % group != 0 ||
      channels % offsetGroup != 0)
    return error(n) << "group " << group << " and offset_group " << offsetGroup
                    << " must divide X's " << channels
                    << " channels (and group W's " << outC
                    << " output channels), W's second dimension being "
                       "channels / group, got W "
                    << wt,
           failure();
  SmallVector<int64_t> kernel{kH, kW};
  if (auto given = getInts(n, "kernel_shape"); given && *given != kernel)
    return error(n) << "kernel_shape differs from W's " << kH << "x" << kW,
           failure();
  auto window = convWindow(n, xt, kernel);
  if (failed(window))
    return failure();
  const Window &win = *window;
  int64_t taps = kH * kW;
  int64_t outH =
      (height + win.pads[0] + win.pads[2] - (win.dilations[0] * (kH - 1) + 1)) /
          win.strides[0] +
      1;
  int64_t outW =
      (width + win.pads[1] + win.pads[3] - (win.dilations[1] * (kW - 1) + 1)) /
          win.strides[1] +
      1;
  SmallVector<int64_t> offsetShape{batch, offsetGroup * 2 * taps, outH, outW};
  if (outH < 1 || outW < 1 || ot.getShape() != ArrayRef(offsetShape))
    return error(n) << "offset must be [N, offset_group * 2 * kH * kW, oH, "
                       "oW] = "
                    << RankedTensorType::get(offsetShape, elem) << ", got "
                    << ot,
           failure();
  SmallVector<int64_t> maskShape{batch, offsetGroup * taps, outH, outW};
  if (mask && tt(mask) != RankedTensorType::get(maskShape, elem))
    return error(n) << "mask must be " << RankedTensorType::get(maskShape, elem)
                    << ", got " << tt(mask),
           failure();
  if (bias && tt(bias) != RankedTensorType::get({outC}, elem))
    return error(n) << "B must be " << RankedTensorType::get({outC}, elem)
                    << ", got " << tt(bias),
           failure();
  int64_t points = outH * outW, perOffsetGroup = channels / offsetGroup;
  Chain c{*this, n};
  auto num = [&](double v) { return c.scalar(elem, v); };
  Type i64 = b.getI64Type();
  // Per dimension d (0: h, 1: w) the sampling positions [N, G, 1, taps *
  // points]: the tap's place in the window plus its offset.
  Value perTap = c.reshape(offsets, {batch, offsetGroup, taps, 2, points});
  struct Tap {
    Value index, weight, valid;
  };
  SmallVector<SmallVector<Tap, 2>, 2> dims(2);
  for (int64_t d = 0; d < 2; ++d) {
    SmallVector<double> base;
    for (int64_t i = 0; i < kH; ++i)
      for (int64_t j = 0; j < kW; ++j)
        for (int64_t oh = 0; oh < outH; ++oh)
          for (int64_t ow = 0; ow < outW; ++ow)
            base.push_back(d == 0 ? double(oh * win.strides[0] - win.pads[0] +
                                           i * win.dilations[0])
                                  : double(ow * win.strides[1] - win.pads[1] +
                                           j * win.dilations[1]));
    Value delta = c.reshape(c.slice(perTap, {0, 0, 0, d, 0}, {1, 1, 1, 1, 1},
                                    {batch, offsetGroup, taps, 1, points}),
                            {batch, offsetGroup, 1, taps * points});
    Value v = c.add(floatConstant(n.loc, elem, base, {1, 1, 1, taps * points}),
                    delta);
    double len = double(d == 0 ? height : width);
    Value i0 = c.op<nn::FloorOp>({v});
    Value t = c.sub(v, i0);
    for (int64_t k = 0; k < 2; ++k) {
      Value i = k == 0 ? i0 : c.add(i0, num(1.0));
      // Inside the image (false for NaN, whose index becomes 0).
      Value valid = c.op<nn::AndOp>({c.op<nn::GreaterOp>({i, num(-1.0)}),
                                     c.op<nn::LessOp>({i, num(len)})});
      i = c.select(valid, i, num(0.0));
      dims[size_t(d)].push_back(
          {c.op<nn::CastOp>({i}, {named("to", TypeAttr::get(i64))}),
           k == 0 ? c.sub(num(1.0), t) : t, valid});
    }
  }
  if (c.failed)
    return failure();
  Value image =
      c.reshape(x, {batch, offsetGroup, perOffsetGroup, height * width});
  Value channelZeros = zeros(n.loc, i64, {1, 1, perOffsetGroup, 1});
  Value widthConst = intConstant(n.loc, i64, {width}, {});
  // Innermost dimension first, as ONNX's GridSample reference:
  // wh0 * (ww0 * v00 + ww1 * v01) + wh1 * (ww0 * v10 + ww1 * v11).
  Value sampled;
  for (const Tap &th : dims[0]) {
    Value row;
    for (const Tap &tw : dims[1]) {
      Value pos = c.add(c.op<nn::MulOp>({th.index, widthConst}), tw.index);
      Value v =
          c.op<nn::GatherElementsOp>({image, c.add(pos, channelZeros)},
                                     {named("axis", b.getI64IntegerAttr(3))});
      v = c.select(c.op<nn::AndOp>({th.valid, tw.valid}), v, num(0.0));
      Value term = c.mul(tw.weight, v);
      row = row ? c.add(row, term) : term;
    }
    Value term = c.mul(th.weight, row);
    sampled = sampled ? c.add(sampled, term) : term;
  }
  if (mask)
    sampled =
        c.mul(sampled, c.reshape(mask, {batch, offsetGroup, 1, taps * points}));
  int64_t perGroup = channels / group;
  Value columns = c.reshape(sampled, {batch, group, perGroup * taps, points});
  Value weights = c.reshape(w, {group, outC / group, perGroup * taps});
  Value y = c.reshape(c.op<nn::MatMulOp>({weights, columns}),
                      {batch, outC, outH, outW});
  if (bias)
    y = c.add(y, c.reshape(bias, {1, outC, 1, 1}));
  return c.result(y);
}

Importer::Outputs Importer::det(Node &n) {
  Value a = n.in[0];
  auto at = tt(a);
  Type elem = at.getElementType();
  int64_t rank = at.getRank();
  if (rank < 2 || !at.hasStaticShape() || !llvm::isa<FloatType>(elem) ||
      at.getDimSize(rank - 1) != at.getDimSize(rank - 2))
    return error(n) << "needs a static float tensor of square matrices [..., "
                       "n, n], got "
                    << at,
           failure();
  int64_t size = at.getDimSize(rank - 1);
  // Unrolled: n steps of O(n) ops each on an (n - k) x (n - k) matrix.
  if (size > 256)
    return error(n) << "matrices of order " << size
                    << " are unrolled at import; at most 256",
           failure();
  SmallVector<int64_t> batch(at.getShape().drop_back(2));
  auto shapeWith = [&](ArrayRef<int64_t> tail) {
    SmallVector<int64_t> s(batch);
    s.append(tail.begin(), tail.end());
    return s;
  };
  Chain c{*this, n};
  auto num = [&](double v) { return c.scalar(elem, v); };
  Type i64 = b.getI64Type();
  auto rowsCols = [&](Value v, int64_t r0, int64_t nr, int64_t c0, int64_t nc) {
    SmallVector<int64_t> starts(size_t(rank), 0), steps(size_t(rank), 1);
    starts[size_t(rank - 2)] = r0;
    starts[size_t(rank - 1)] = c0;
    return c.slice(v, starts, steps, shapeWith({nr, nc}));
  };
  Value m = a, det;
  for (int64_t k = size; k >= 1; --k) {
    Value pivot;
    if (k == 1) {
      pivot = m;
    } else {
      // The pivot row p (the first largest |m[r, 0]|), swapped with row 0.
      Value column = rowsCols(m, 0, k, 0, 1);
      Value p = c.op<nn::ArgMaxOp>(
          {c.op<nn::AbsOp>({c.reshape(column, shapeWith({k}))})},
          {named("axis", b.getI64IntegerAttr(-1)),
           named("keepdims", b.getBoolAttr(true))});
      SmallVector<int64_t> rowIds;
      for (int64_t r = 0; r < k; ++r)
        rowIds.push_back(r);
      Value rows = intConstant(n.loc, i64, rowIds, {k});
      Value zero = intConstant(n.loc, i64, {0}, {});
      Value order =
          c.select(c.op<nn::EqualOp>({rows, zero}), p,
                   c.select(c.op<nn::EqualOp>({rows, p}), zero, rows));
      Value index = c.op<nn::AddOp>(
          {c.reshape(order, shapeWith({k, 1})), zeros(n.loc, i64, {1, k})});
      m = c.op<nn::GatherElementsOp>(
          {m, index}, {named("axis", b.getI64IntegerAttr(rank - 2))});
      Value swapped = c.op<nn::NotOp>({c.op<nn::EqualOp>({p, zero})});
      pivot = rowsCols(m, 0, 1, 0, 1);
      pivot = c.select(c.reshape(swapped, shapeWith({1, 1})),
                       c.op<nn::NegOp>({pivot}), pivot);
      // The rows below minus their factor times the pivot row; a zero
      // pivot (a zero column) gives factors 0 instead of 0 / 0.
      Value top = rowsCols(m, 0, 1, 0, 1);
      Value factors = c.op<nn::DivOp>({rowsCols(m, 1, k - 1, 0, 1), top});
      factors = c.select(c.op<nn::EqualOp>({top, num(0.0)}), num(0.0), factors);
      m = c.op<nn::SubOp>({rowsCols(m, 1, k - 1, 1, k - 1),
                           c.mul(factors, rowsCols(m, 0, 1, 1, k - 1))});
    }
    det = det ? c.mul(det, pivot) : pivot;
  }
  if (size == 0)
    det = c.op<nn::AddOp>({zeros(n.loc, elem, shapeWith({1, 1})), num(1.0)});
  return c.result(c.reshape(det, batch));
}

Importer::Outputs Importer::conv3D(Node &n) {
  Value x = n.in[0], w = n.in[1];
  Value bias = n.in.size() > 2 ? n.in[2] : Value();
  auto xt = tt(x), wt = tt(w);
  if (!xt.hasStaticShape() || !wt.hasStaticShape())
    return error(n) << "3-D convolution needs static shapes", failure();
  auto window = convWindow(
      n, xt,
      getInts(n, "kernel_shape")
          .value_or(SmallVector<int64_t>(wt.getShape().drop_front(2))));
  if (failed(window))
    return failure();
  if (window->kernel[0] != wt.getDimSize(2))
    return error(n) << "kernel_shape differs from the weight's", failure();
  return conv3DOf(n, x, w, bias, *window, getInt(n, "group", 1));
}

Importer::Outputs Importer::conv3DOf(Node &n, Value x, Value w, Value bias,
                                     const Window &win, int64_t group) {
  auto xt = tt(x), wt = tt(w);
  auto xs = xt.getShape();
  int64_t batch = xs[0], channels = xs[1], m = wt.getDimSize(0);
  int64_t kd = win.kernel[0], sd = win.strides[0], dd = win.dilations[0];
  int64_t depth = xs[2] + win.pads[0] + win.pads[3];
  int64_t od = (depth - dd * (kd - 1) - 1) / sd + 1;
  if (od <= 0)
    return error(n) << "the output's depth is empty", failure();
  Chain c{*this, n};
  Type elem = xt.getElementType();
  auto zerosAlongD = [&](int64_t count) {
    return zeros(n.loc, elem, {batch, channels, count, xs[3], xs[4]});
  };
  SmallVector<Value> parts;
  if (win.pads[0] > 0)
    parts.push_back(zerosAlongD(win.pads[0]));
  parts.push_back(x);
  if (win.pads[3] > 0)
    parts.push_back(zerosAlongD(win.pads[3]));
  Value padded = parts.size() == 1 ? x : c.concat(parts, 2);
  SmallVector<NamedAttribute> attrs{
      named("strides",
            b.getDenseI64ArrayAttr({win.strides[1], win.strides[2]})),
      named("pads", b.getDenseI64ArrayAttr(
                        {win.pads[1], win.pads[2], win.pads[4], win.pads[5]})),
      named("dilations",
            b.getDenseI64ArrayAttr({win.dilations[1], win.dilations[2]})),
      named("group", b.getI64IntegerAttr(group))};
  auto ws = wt.getShape();
  Value sum;
  for (int64_t t = 0; t < kd; ++t) {
    Value slice = c.slice(padded, {0, 0, t * dd, 0, 0}, {1, 1, sd, 1, 1},
                          {batch, channels, od, xs[3], xs[4]});
    Value images = c.reshape(c.transpose(slice, {0, 2, 1, 3, 4}),
                             {batch * od, channels, xs[3], xs[4]});
    Value wslice = c.reshape(c.slice(w, {0, 0, t, 0, 0}, {1, 1, 1, 1, 1},
                                     {m, ws[1], 1, ws[3], ws[4]}),
                             {m, ws[1], ws[3], ws[4]});
    SmallVector<Value> ops{images, wslice};
    if (t == 0 && bias)
      ops.push_back(bias);
    Value y = c.op<nn::ConvOp>(ops, attrs);
    sum = sum ? c.op<nn::AddOp>({sum, y}) : y;
  }
  if (c.failed)
    return failure();
  auto ys = tt(sum).getShape();
  return c.result(c.transpose(c.reshape(sum, {batch, od, m, ys[2], ys[3]}),
                              {0, 2, 1, 3, 4}));
}

Importer::Outputs Importer::dftOf(Node &n, Value x, int64_t axis, int64_t len,
                                  bool inverse, bool onesided) {
  auto xt = tt(x);
  int64_t rank = xt.getRank();
  int64_t parts = xt.getDimSize(rank - 1);
  Chain c{*this, n};
  Type elem = xt.getElementType();
  // re / im as [..., signal] with the signal axis last.
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  SmallVector<int64_t> lead;
  for (int64_t d : ArrayRef(perm).drop_back())
    lead.push_back(xt.getDimSize(d));
  auto component = [&](int64_t p) -> Value {
    SmallVector<int64_t> starts(size_t(rank), 0), steps(size_t(rank), 1),
        sizes(xt.getShape());
    starts[size_t(rank - 1)] = p;
    sizes[size_t(rank - 1)] = 1;
    SmallVector<int64_t> squeezed(xt.getShape().drop_back());
    Value v = c.transpose(c.reshape(c.slice(x, starts, steps, sizes), squeezed),
                          perm);
    int64_t have = xt.getDimSize(axis);
    SmallVector<int64_t> shape(lead);
    shape.push_back(have);
    if (len < have) {
      SmallVector<int64_t> st(shape.size(), 0), sp(shape.size(), 1), sz(shape);
      sz.back() = len;
      v = c.slice(v, st, sp, sz);
    } else if (len > have) {
      SmallVector<int64_t> zs(shape);
      zs.back() = len - have;
      v = c.concat({v, zeros(n.loc, elem, zs)}, int64_t(shape.size()) - 1);
    }
    return v;
  };
  Value re = component(0), imag = parts == 2 ? component(1) : Value();
  int64_t freqs = onesided ? len / 2 + 1 : len;
  auto matrix = [&](bool sine) {
    SmallVector<double> vals;
    double scale = inverse ? 1.0 / double(len) : 1.0;
    for (int64_t i = 0; i < len; ++i)
      for (int64_t k = 0; k < freqs; ++k) {
        double theta = 2.0 * M_PI * double((i * k) % len) / double(len);
        vals.push_back(scale * (sine ? std::sin(theta) : std::cos(theta)));
      }
    return floatConstant(n.loc, elem, vals, {len, freqs});
  };
  Value cm = matrix(false), sm = matrix(true);
  auto mm = [&](Value a, Value m) { return c.op<nn::MatMulOp>({a, m}); };
  // Forward: e^{-i theta}; inverse: e^{+i theta} (the sine's sign).
  Value outRe = mm(re, cm), outIm = c.op<nn::NegOp>({mm(re, sm)});
  if (inverse)
    outIm = mm(re, sm);
  if (imag) {
    outRe = inverse ? c.op<nn::SubOp>({outRe, mm(imag, sm)})
                    : c.op<nn::AddOp>({outRe, mm(imag, sm)});
    outIm = c.op<nn::AddOp>({outIm, mm(imag, cm)});
  }
  // Back to the input's order, re / im as the last dimension.
  SmallVector<int64_t> back(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    back[size_t(perm[i])] = int64_t(i);
  SmallVector<int64_t> outShape(xt.getShape());
  outShape[size_t(axis)] = freqs;
  outShape.back() = 1;
  auto place = [&](Value v) {
    return c.reshape(c.transpose(v, back), outShape);
  };
  return c.result(c.concat({place(outRe), place(outIm)}, rank - 1));
}

Importer::Outputs Importer::ifThenElse(Node &n) {
  DenseElementsAttr cond = constantOf(n.in[0]);
  auto ct = tt(n.in[0]);
  if (!ct.getElementType().isInteger(1) || ct.getNumElements() != 1)
    return error(n) << "the condition must be one boolean, got " << ct,
           failure();
  // The outputs of one branch, imported inline.
  auto branchOutputs = [&](bool then) -> FailureOr<SmallVector<Value>> {
    const onnx::AttributeProto *branch =
        attr(n, then ? "then_branch" : "else_branch");
    if (!branch || !branch->has_g())
      return error(n) << "has no " << (then ? "then" : "else") << "_branch",
             failure();
    const onnx::GraphProto &g = branch->g();
    llvm::StringMap<const onnx::TensorProto *> inits;
    if (failed(subgraphInitializers(g, inits, n)))
      return failure();
    return subgraphOutputs(g, inits, n);
  };
  if (cond)
    return branchOutputs(*cond.getValues<bool>().begin());
  // A condition computed at run time: both branches (ONNX operators have no
  // side effects), each output chosen by nn.where.
  auto thenOuts = branchOutputs(true);
  if (failed(thenOuts))
    return failure();
  auto elseOuts = branchOutputs(false);
  if (failed(elseOuts))
    return failure();
  if (thenOuts->size() != elseOuts->size())
    return error(n) << "the branches have " << thenOuts->size() << " and "
                    << elseOuts->size() << " outputs",
           failure();
  Chain c{*this, n};
  Value pick = c.reshape(n.in[0], {});
  SmallVector<Value> outs;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*thenOuts, *elseOuts))) {
    auto [t, e] = pair;
    if (t.getType() != e.getType() || !llvm::isa<RankedTensorType>(t.getType()))
      return error(n) << "with a condition known only at run time both "
                         "branches must give output "
                      << i << " one tensor type, got " << t.getType() << " and "
                      << e.getType(),
             failure();
    outs.push_back(c.op<nn::WhereOp>({pick, t, e}));
  }
  if (c.failed)
    return failure();
  return outs;
}

Importer::Outputs Importer::scan(Node &n) {
  const onnx::AttributeProto *body = attr(n, "body");
  if (!body || !body->has_g())
    return error(n) << "has no body", failure();
  const onnx::GraphProto &g = body->g();
  int64_t total = int64_t(n.in.size());
  int64_t m = getInt(n, "num_scan_inputs", 0);
  if (m <= 0 || m > total)
    return error(n) << "num_scan_inputs must be in [1, " << total << "], got "
                    << m,
           failure();
  int64_t states = total - m;
  if (g.input_size() != total)
    return error(n) << "the body has " << g.input_size() << " inputs, expected "
                    << total << " (the state variables, then the scan inputs)",
           failure();
  int64_t k = int64_t(g.output_size()) - states;
  if (k < 0 || int64_t(n.proto.output_size()) > states + k)
    return error(n) << "the body has " << g.output_size()
                    << " outputs, expected the " << states
                    << " state variables and then the scan outputs",
           failure();
  auto ints = [&](StringRef name, int64_t count,
                  SmallVector<int64_t> &out) -> LogicalResult {
    out.assign(size_t(count), 0);
    if (auto v = getInts(n, name)) {
      if (int64_t(v->size()) != count)
        return error(n) << name << " has " << v->size() << " values, expected "
                        << count,
               failure();
      out = *v;
    }
    return success();
  };
  SmallVector<int64_t> inDirs, inAxes, outDirs, outAxes;
  if (failed(ints("scan_input_directions", m, inDirs)) ||
      failed(ints("scan_input_axes", m, inAxes)) ||
      failed(ints("scan_output_directions", k, outDirs)) ||
      failed(ints("scan_output_axes", k, outAxes)))
    return failure();
  if (llvm::is_contained(n.in, Value()))
    return error(n) << "every state variable and scan input must be given",
           failure();
  // The sequence length: every scan input's extent along its axis.
  int64_t len = -1;
  for (int64_t i = 0; i < m; ++i) {
    auto xt = tt(n.in[size_t(states + i)]);
    int64_t r = xt.getRank(), a = inAxes[size_t(i)];
    if (a < -r || a >= r)
      return error(n) << "scan_input_axes[" << i << "] = " << a
                      << " is out of range for rank " << r,
             failure();
    inAxes[size_t(i)] = a < 0 ? a + r : a;
    int64_t d = xt.getDimSize(inAxes[size_t(i)]);
    if (len >= 0 && d != len)
      return error(n) << "the scan inputs have lengths " << len << " and " << d
                      << " along their axes",
             failure();
    len = d;
  }
  if (len <= 0)
    return error(n) << "an empty sequence is not supported", failure();
  llvm::StringMap<const onnx::TensorProto *> inits;
  if (failed(unrolledBody(g, len, "steps", inits, n)))
    return failure();
  Chain c{*this, n};
  SmallVector<Value> state(n.in.begin(), n.in.begin() + states);
  SmallVector<SmallVector<Value>> steps(static_cast<size_t>(k));
  for (int64_t t = 0; t < len; ++t) {
    for (int64_t j = 0; j < states; ++j)
      values[g.input(int(j)).name()] = state[size_t(j)];
    for (int64_t i = 0; i < m; ++i) {
      Value x = n.in[size_t(states + i)];
      auto xt = tt(x);
      int64_t a = inAxes[size_t(i)];
      SmallVector<int64_t> starts(size_t(xt.getRank()), 0),
          strides(size_t(xt.getRank()), 1), sizes(xt.getShape());
      starts[size_t(a)] = inDirs[size_t(i)] ? len - 1 - t : t;
      sizes[size_t(a)] = 1;
      SmallVector<int64_t> shape(xt.getShape());
      shape.erase(shape.begin() + a);
      values[g.input(int(states + i)).name()] =
          c.reshape(c.slice(x, starts, strides, sizes), shape);
    }
    if (c.failed)
      return failure();
    auto step = subgraphOutputs(g, inits, n);
    if (failed(step))
      return failure();
    for (int64_t j = 0; j < states + k; ++j) {
      if (j < states)
        state[size_t(j)] = (*step)[size_t(j)];
      else
        steps[size_t(j - states)].push_back((*step)[size_t(j)]);
    }
  }
  SmallVector<Value> outs(state);
  for (int64_t i = 0; i < k; ++i) {
    SmallVector<Value> &vs = steps[size_t(i)];
    if (outDirs[size_t(i)])
      std::reverse(vs.begin(), vs.end());
    Value stacked = c.stack(vs, outAxes[size_t(i)]);
    if (!stacked && !c.failed)
      return error(n) << "scan_output_axes[" << i
                      << "] = " << outAxes[size_t(i)]
                      << " is out of range for rank "
                      << tt(vs.front()).getRank() + 1,
             failure();
    outs.push_back(stacked);
  }
  if (c.failed)
    return failure();
  return outs;
}

LogicalResult
Importer::unrolledBody(const onnx::GraphProto &g, int64_t count, StringRef unit,
                       llvm::StringMap<const onnx::TensorProto *> &inits,
                       Node &n) {
  constexpr int64_t kMaxUnrolledNodes = 100000;
  if (count * std::max(1, g.node_size()) > kMaxUnrolledNodes)
    return error(n) << "is unrolled at import: " << count << " " << unit
                    << " of " << g.node_size() << " nodes exceed "
                    << kMaxUnrolledNodes,
           failure();
  return subgraphInitializers(g, inits, n);
}

LogicalResult Importer::subgraphInitializers(
    const onnx::GraphProto &g,
    llvm::StringMap<const onnx::TensorProto *> &inits, Node &n) {
  Location fileLoc = FileLineColLoc::get(ctx, filename, 0, 0);
  for (const auto &t : g.initializer()) {
    inits[t.name()] = &t;
    initializers[t.name()] = &t;
    if (!elementType(ctx, t.data_type()))
      continue;
    auto attrValue =
        initializerAttr(t, NameLoc::get(b.getStringAttr(t.name()), fileLoc));
    if (failed(attrValue))
      return failure();
    values[t.name()] = constant(n.loc, *attrValue);
  }
  return success();
}

FailureOr<SmallVector<Value>> Importer::subgraphOutputs(
    const onnx::GraphProto &g,
    const llvm::StringMap<const onnx::TensorProto *> &inits, Node &n) {
  int outer = currentIndex;
  if (failed(importNodes(g.node(), inits,
                         FileLineColLoc::get(ctx, filename, 0, 0))))
    return failure();
  currentIndex = outer;
  SmallVector<Value> outs;
  for (const auto &o : g.output()) {
    Value v = values.lookup(o.name());
    if (!v)
      return error(n) << "the subgraph's output '" << o.name()
                      << "' is not produced by any of its nodes",
             failure();
    outs.push_back(v);
  }
  return outs;
}

Importer::Outputs Importer::loop(Node &n) {
  const onnx::AttributeProto *body = attr(n, "body");
  if (!body || !body->has_g())
    return error(n) << "has no body", failure();
  const onnx::GraphProto &g = body->g();
  // Inputs: M, cond, then the loop-carried values; body: (iteration,
  // condition, carried...) -> (condition, carried..., scan outputs...).
  if (n.in.size() < 2)
    return error(n) << "needs the inputs M and cond (each may be empty)",
           failure();
  int64_t carried = int64_t(n.in.size()) - 2;
  if (g.input_size() != carried + 2)
    return error(n) << "the body has " << g.input_size() << " inputs, expected "
                    << carried + 2
                    << " (the iteration number, the condition, the "
                       "loop-carried values)",
           failure();
  int64_t scans = int64_t(g.output_size()) - 1 - carried;
  if (scans < 0)
    return error(n) << "the body has " << g.output_size()
                    << " outputs, expected the condition, the " << carried
                    << " loop-carried values and then the scan outputs",
           failure();
  for (int64_t j = 0; j < carried; ++j)
    if (!n.in[size_t(2 + j)])
      return error(n) << "loop-carried input " << j << " is empty", failure();
  DenseElementsAttr tripAttr = n.in[0] ? constantOf(n.in[0]) : nullptr;
  if (!tripAttr || tripAttr.getNumElements() != 1 ||
      !tripAttr.getElementType().isInteger(64))
    return error(n) << "needs a trip count M known at compile time (a loop "
                       "until a condition computed at run time has no static "
                       "shape)",
           failure();
  int64_t trips = (*tripAttr.getValues<APInt>().begin()).getSExtValue();
  if (n.in[1]) {
    DenseElementsAttr condAttr = constantOf(n.in[1]);
    if (!condAttr || condAttr.getNumElements() != 1 ||
        !condAttr.getElementType().isInteger(1))
      return error(n) << "needs the condition cond known at compile time",
             failure();
    if (!*condAttr.getValues<bool>().begin())
      trips = 0;
  }
  if (trips <= 0 && scans)
    return error(n) << "runs no iteration but has scan outputs (their "
                       "element shape is unknown)",
           failure();
  llvm::StringMap<const onnx::TensorProto *> inits;
  if (failed(unrolledBody(g, trips, "iterations", inits, n)))
    return failure();
  Chain c{*this, n};
  Type i64 = b.getIntegerType(64), i1 = b.getI1Type();
  Value condTrue = constant(
      n.loc, DenseElementsAttr::get(RankedTensorType::get({}, i1), true));
  SmallVector<Value> state(n.in.begin() + 2, n.in.end());
  SmallVector<SmallVector<Value>> steps(static_cast<size_t>(scans));
  for (int64_t t = 0; t < trips; ++t) {
    values[g.input(0).name()] =
        constant(n.loc, DenseElementsAttr::get(RankedTensorType::get({}, i64),
                                               APInt(64, uint64_t(t), true)));
    values[g.input(1).name()] = condTrue;
    for (int64_t j = 0; j < carried; ++j)
      values[g.input(int(2 + j)).name()] = state[size_t(j)];
    auto step = subgraphOutputs(g, inits, n);
    if (failed(step))
      return failure();
    Value cond = (*step)[0];
    DenseElementsAttr keep = cond == condTrue ? nullptr : constantOf(cond);
    if (cond != condTrue && (!keep || keep.getNumElements() != 1 ||
                             !keep.getElementType().isInteger(1) ||
                             !*keep.getValues<bool>().begin()))
      return error(n) << "the body's condition must stay true (a loop that "
                         "stops early at run time has no static shape)",
             failure();
    for (int64_t j = 0; j < carried; ++j)
      state[size_t(j)] = (*step)[size_t(1 + j)];
    for (int64_t i = 0; i < scans; ++i)
      steps[size_t(i)].push_back((*step)[size_t(1 + carried + i)]);
  }
  SmallVector<Value> outs(state);
  for (int64_t i = 0; i < scans; ++i)
    outs.push_back(c.stack(steps[size_t(i)], 0));
  if (c.failed)
    return failure();
  return outs;
}

Importer::Outputs Importer::qlinearWhere(Node &n) {
  // Inputs: condition, X, x_scale, x_zero_point, Y, y_scale, y_zero_point,
  // z_scale, z_zero_point.
  if (n.in.size() != 9 || llvm::is_contained(n.in, Value()))
    return error(n) << "needs condition, X, x_scale, x_zero_point, Y, "
                       "y_scale, y_zero_point, z_scale and z_zero_point",
           failure();
  Value zz = n.in[8];
  if (!isEightBit(zz.getType()))
    return error(n) << "z_zero_point must be int8 or uint8, not "
                    << tt(zz).getElementType(),
           failure();
  Type elem = tt(zz).getElementType(), f32 = b.getF32Type();
  auto scales = perTensorScales(n, {2, 5, 7});
  if (failed(scales))
    return failure();
  Chain c{*this, n};
  Value zzf = c.op<nn::CastOp>({zz}, {named("to", TypeAttr::get(f32))});
  SmallVector<Value> picked;
  for (size_t i : {1, 4}) {
    auto v = integerView(n, n.in[i], i == 1 ? "X" : "Y");
    if (failed(v))
      return failure();
    if (tt(*v).getElementType() != elem ||
        tt(n.in[i + 2]).getElementType() != elem)
      return error(n) << (i == 1 ? "X" : "Y") << " and its zero point must be "
                      << elem << " as z_zero_point",
             failure();
    Value f = dequantizeCodes(c, *v, n.in[i + 2], (*scales)[i == 1 ? 0 : 1]);
    if (c.failed)
      return failure();
    auto q = quantizeToInteger(n, f, (*scales)[2], zzf, elem);
    if (failed(q))
      return failure();
    picked.push_back(*q);
  }
  return c.result(c.op<nn::WhereOp>({n.in[0], picked[0], picked[1]}));
}

Importer::Outputs Importer::dynamicQuantizeLinear(Node &n) {
  // ONNX's function body, as onnxruntime computes it: the range
  // [min(0, min x), max(0, max x)] over 255 steps, the zero point rounded
  // from -min / scale, then QuantizeLinear to uint8.
  Value x = n.in[0];
  auto xt = tt(x);
  if (!xt.getElementType().isF32())
    return error(n) << "input must be float32, not " << xt.getElementType(),
           failure();
  Type f32 = b.getF32Type();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < xt.getRank(); ++d)
    axes.push_back(d);
  SmallVector<NamedAttribute> all{named("axes", b.getDenseI64ArrayAttr(axes)),
                                  named("keepdims", b.getBoolAttr(false))};
  Chain c{*this, n};
  Value zero = c.scalar(f32, 0.0);
  Value mx = c.op<nn::MaxOp>({c.op<nn::ReduceMaxOp>({x}, all), zero});
  Value mn = c.op<nn::MinOp>(
      {c.op<nn::NegOp>({c.op<nn::ReduceMaxOp>({c.op<nn::NegOp>({x})}, all)}),
       zero});
  // An empty range (x all 0) gets scale 1, as onnxruntime (ONNX's body
  // would divide 0 by 0).
  Value range = c.op<nn::SubOp>({mx, mn});
  Value scale =
      c.op<nn::WhereOp>({c.op<nn::EqualOp>({range, zero}), c.scalar(f32, 1),
                         c.op<nn::DivOp>({range, c.scalar(f32, 255)})});
  Value zf =
      c.op<nn::ClipOp>({c.op<nn::SubOp>({zero, c.op<nn::DivOp>({mn, scale})})},
                       {named("min", b.getF32FloatAttr(0.0f)),
                        named("max", b.getF32FloatAttr(255.0f))});
  zf = c.op<nn::RoundOp>({zf});
  Value zp = c.op<nn::CastOp>({zf}, {named("to", TypeAttr::get(u8))});
  if (c.failed)
    return failure();
  auto y = quantizeToInteger(n, x, scale, zf, u8);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y, scale, zp};
}

Importer::Outputs Importer::poolOf(Node &n, Value in, bool isMax,
                                   bool countPad) {
  auto x = tt(in);
  // MaxPool of 8- or 16-bit integers: the f32 max of the exactly converted
  // values, converted back (exact: the result is one of the inputs).
  if (auto it = llvm::dyn_cast<IntegerType>(x.getElementType())) {
    if (!isMax || it.getWidth() == 1 || it.getWidth() > 16)
      return error(n) << "integer pooling needs MaxPool of an 8- or 16-bit "
                         "integer input, got "
                      << x,
             failure();
    Chain c{*this, n};
    Value f =
        c.op<nn::CastOp>({in}, {named("to", TypeAttr::get(b.getF32Type()))});
    if (c.failed)
      return failure();
    auto pooled = poolOf(n, f, isMax, countPad);
    if (failed(pooled))
      return failure();
    return c.result(
        c.op<nn::CastOp>({(*pooled)[0]}, {named("to", TypeAttr::get(it))}));
  }
  if (x.getRank() < 3 || x.getRank() > 5)
    return error(n) << "only 1-D, 2-D and 3-D pooling (3-D to 5-D input) "
                       "is supported",
           failure();
  bool withIndices = n.proto.output_size() > 1 && !n.proto.output(1).empty();
  if (withIndices && (!isMax || x.getRank() == 5))
    return error(n) << "the Indices output needs a 1-D or 2-D MaxPool",
           failure();
  auto k = getInts(n, "kernel_shape");
  if (!k)
    return error(n) << "kernel_shape is required", failure();
  auto window = convWindow(n, x, *k);
  if (failed(window))
    return failure();
  bool ceil = getInt(n, "ceil_mode", 0);
  auto pool = [&](Value v, ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> pads,
                  ArrayRef<int64_t> dilations) -> FailureOr<Value> {
    SmallVector<NamedAttribute> attrs{
        named("kernel_shape", b.getDenseI64ArrayAttr(kernel)),
        named("strides", b.getDenseI64ArrayAttr(strides)),
        named("pads", b.getDenseI64ArrayAttr(pads)),
        named("dilations", b.getDenseI64ArrayAttr(dilations)),
        named("ceil_mode", b.getBoolAttr(ceil)),
        named("count_include_pad", b.getBoolAttr(countPad))};
    auto op = isMax ? build<nn::MaxPoolOp>(n, {v}, attrs)
                    : build<nn::AveragePoolOp>(n, {v}, attrs);
    if (failed(op))
      return failure();
    return (*op)->getResult(0);
  };
  if (x.getRank() == 5) {
    // A box window is separable: the 2-D pool over (H, W) of every depth
    // slice, then over D (a [kD, 1] window on [N, C, D, Ho * Wo]). Max is
    // exact; an average is the average of the slices' averages, each with
    // its own count (count_include_pad either way), equal up to rounding.
    auto s = x.getShape();
    const Window &w = *window;
    Chain c{*this, n};
    Value hw = c.reshape(in, {s[0], s[1] * s[2], s[3], s[4]});
    if (c.failed)
      return failure();
    auto planes =
        pool(hw, {w.kernel[1], w.kernel[2]}, {w.strides[1], w.strides[2]},
             {w.pads[1], w.pads[2], w.pads[4], w.pads[5]},
             {w.dilations[1], w.dilations[2]});
    if (failed(planes))
      return failure();
    auto ps = tt(*planes).getShape();
    Value lines = c.reshape(*planes, {s[0], s[1], s[2], ps[2] * ps[3]});
    if (c.failed)
      return failure();
    auto depth = pool(lines, {w.kernel[0], 1}, {w.strides[0], 1},
                      {w.pads[0], 0, w.pads[3], 0}, {w.dilations[0], 1});
    if (failed(depth))
      return failure();
    return c.result(c.reshape(
        *depth, {s[0], s[1], tt(*depth).getDimSize(2), ps[2], ps[3]}));
  }
  if (x.getRank() == 3) {
    auto lifted = liftTo2D(n, in);
    if (failed(lifted))
      return failure();
    in = *lifted;
  }
  auto y = pool(in, window->kernel, window->strides, window->pads,
                window->dilations);
  if (failed(y))
    return failure();
  if (!withIndices)
    return dropHeight(n, *y, x.getRank() == 3);
  auto indices = maxPoolIndices(n, in, *y, *window);
  auto values = dropHeight(n, *y, x.getRank() == 3);
  auto flat = failed(indices) ? Outputs(failure())
                              : dropHeight(n, *indices, x.getRank() == 3);
  if (failed(values) || failed(flat))
    return failure();
  return SmallVector<Value>{(*values)[0], (*flat)[0]};
}

FailureOr<Value> Importer::maxPoolIndices(Node &n, Value in, Value y,
                                          const Window &w) {
  auto xs = tt(in).getShape(), ys = tt(y).getShape();
  int64_t batch = xs[0], channels = xs[1], h = xs[2], wd = xs[3];
  int64_t oh = ys[2], ow = ys[3];
  bool columnMajor = getInt(n, "storage_order", 0) != 0;
  Type elem = tt(in).getElementType();
  Chain c{*this, n};
  // The input padded with -inf, far enough for every (ceil-mode) window.
  int64_t needH =
      (oh - 1) * w.strides[0] + (w.kernel[0] - 1) * w.dilations[0] + 1;
  int64_t needW =
      (ow - 1) * w.strides[1] + (w.kernel[1] - 1) * w.dilations[1] + 1;
  auto lowest = [&](ArrayRef<int64_t> shape) {
    return c.op<nn::ExpandOp>(
        {c.scalar(elem, -std::numeric_limits<double>::infinity())},
        {named("shape", b.getDenseI64ArrayAttr(shape))});
  };
  auto padAxis = [&](Value v, int64_t axis, int64_t before, int64_t after) {
    SmallVector<Value> parts;
    SmallVector<int64_t> shape(tt(v).getShape());
    if (before > 0) {
      shape[size_t(axis)] = before;
      parts.push_back(lowest(shape));
    }
    parts.push_back(v);
    if (after > 0) {
      shape[size_t(axis)] = after;
      parts.push_back(lowest(shape));
    }
    return parts.size() == 1 ? v : c.concat(parts, axis);
  };
  Value padded = padAxis(
      padAxis(in, 2, w.pads[0], std::max<int64_t>(0, needH - h - w.pads[0])), 3,
      w.pads[1], std::max<int64_t>(0, needW - wd - w.pads[1]));
  // The first tap in row-major order whose value is the maximum (ONNX's
  // reference keeps a later one only if it is larger), its index in [H, W]
  // (storage_order 1: column-major), plus (n * C + c) * H * W.
  // Taps from the last to the first, each overwriting where it holds the
  // maximum: the first such tap wins.
  Value index = i64Constant(n.loc, {0}, {});
  for (int64_t i = w.kernel[0] - 1; i >= 0; --i)
    for (int64_t j = w.kernel[1] - 1; j >= 0; --j) {
      Value v = c.slice(padded, {0, 0, i * w.dilations[0], j * w.dilations[1]},
                        {1, 1, w.strides[0], w.strides[1]},
                        {batch, channels, oh, ow});
      SmallVector<int64_t> at;
      for (int64_t p = 0; p < oh; ++p)
        for (int64_t q = 0; q < ow; ++q) {
          int64_t r = p * w.strides[0] - w.pads[0] + i * w.dilations[0];
          int64_t s2 = q * w.strides[1] - w.pads[1] + j * w.dilations[1];
          bool inside = r >= 0 && r < h && s2 >= 0 && s2 < wd;
          at.push_back(!inside ? -1 : columnMajor ? r + s2 * h : r * wd + s2);
        }
      Value tapIndex = i64Constant(n.loc, at, {1, 1, oh, ow});
      index = c.op<nn::WhereOp>({c.op<nn::EqualOp>({v, y}), tapIndex, index});
    }
  SmallVector<int64_t> base;
  for (int64_t p = 0; p < batch * channels; ++p)
    base.push_back(p * h * wd);
  Value result = c.op<nn::AddOp>(
      {index, i64Constant(n.loc, base, {batch, channels, 1, 1})});
  if (c.failed)
    return failure();
  return result;
}

Value Importer::dequantizeCodes(Chain &c, Value x, Value zx, Value scale) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto to = [&](Value v, Type t) {
    return c.op<nn::CastOp>({v}, {named("to", TypeAttr::get(t))});
  };
  Value d = to(x, i32);
  if (zx)
    d = c.op<nn::SubOp>({d, to(zx, i32)});
  Value f = to(d, f32);
  return scale ? c.op<nn::MulOp>({f, scale}) : f;
}

Importer::Outputs Importer::qgemm(Node &n) {
  // A, a_scale, a_zero_point, B, b_scale and b_zero_point are required
  // (requiredInputs).
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  auto a = integerView(n, in(0), "A");
  auto bv = integerView(n, in(3), "B");
  if (failed(a) || failed(bv))
    return failure();
  if (tt(*a).getRank() != 2 || tt(*bv).getRank() != 2)
    return error(n) << "A and B must be 2-D, got " << tt(*a) << " and "
                    << tt(*bv),
           failure();
  Chain c{*this, n};
  Value av = *a, bw = *bv;
  if (getInt(n, "transA", 0))
    av = c.transpose(av, {1, 0});
  if (getInt(n, "transB", 0))
    bw = c.transpose(bw, {1, 0});
  if (c.failed)
    return failure();
  auto acc = integerMatmul(n, av, bw, in(2), in(5));
  if (failed(acc))
    return failure();
  Value sum = *acc;
  if (Value bias = in(6)) {
    if (!tt(bias).getElementType().isInteger(32))
      return error(n) << "C must be int32, not " << tt(bias).getElementType(),
             failure();
    sum = c.op<nn::AddOp>({sum, bias});
  }
  // a_scale per tensor; b_scale one value or one per column (a 1-D [N]
  // broadcasts along the columns of [M, N]).
  auto sa = perTensorScales(n, {1});
  auto sb = columnScales(n, in(4));
  if (failed(sa) || failed(sb))
    return failure();
  Type f32 = b.getF32Type();
  float alpha = getFloat(n, "alpha", 1.0f);
  Value m = (*sa)[0];
  if (alpha != 1.0f)
    m = c.op<nn::MulOp>({c.scalar(f32, alpha), m});
  m = c.op<nn::MulOp>({m, *sb});
  if (in(7)) {
    auto sy = perTensorScales(n, {7});
    if (failed(sy))
      return failure();
    m = c.op<nn::DivOp>({m, (*sy)[0]});
  }
  if (c.failed)
    return failure();
  if (Value zy = in(8)) {
    if (!in(7))
      return error(n) << "y_zero_point needs y_scale", failure();
    if (!isEightBit(zy.getType()))
      return error(n) << "y_zero_point must be int8 or uint8, not "
                      << tt(zy).getElementType(),
             failure();
    auto y = requantize(n, sum, m, zy);
    if (failed(y))
      return failure();
    return SmallVector<Value>{*y};
  }
  // No output zero point: float output.
  return c.result(c.op<nn::MulOp>(
      {c.op<nn::CastOp>({sum}, {named("to", TypeAttr::get(f32))}), m}));
}

Importer::Outputs Importer::qlinearActivation(Node &n, bool sigmoid) {
  // Inputs: X, X_scale, X_zero_point?, Y_scale, Y_zero_point?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  auto x = integerView(n, in(0), "X");
  if (failed(x))
    return failure();
  Type elem = tt(*x).getElementType();
  if (!isEightBit(elem))
    return error(n) << "X must be int8 or uint8, not " << elem, failure();
  Chain c{*this, n};
  auto params = unaryQLinearParams(n, c, elem);
  if (failed(params))
    return failure();
  auto [sx, sy, zy] = *params;
  Value f = dequantizeCodes(c, *x, in(2), sx);
  Value y = sigmoid ? c.op<nn::SigmoidOp>({f})
                    : c.op<nn::LeakyReluOp>(
                          {f}, {named("alpha", b.getF32FloatAttr(getFloat(
                                                   n, "alpha", 0.01f)))});
  if (c.failed)
    return failure();
  auto q = quantizeToInteger(n, y, sy, zy, elem);
  if (failed(q))
    return failure();
  return SmallVector<Value>{*q};
}

FailureOr<std::array<Value, 3>> Importer::unaryQLinearParams(Node &n, Chain &c,
                                                             Type elem) {
  for (size_t i : {2, 4})
    if (i < n.in.size() && n.in[i] && tt(n.in[i]).getElementType() != elem)
      return error(n) << "zero point " << i << " must be " << elem << ", not "
                      << tt(n.in[i]).getElementType(),
             failure();
  auto scales = perTensorScales(n, {1, 3});
  if (failed(scales))
    return failure();
  Value zy;
  if (n.in.size() > 4 && n.in[4])
    zy = c.op<nn::CastOp>({n.in[4]},
                          {named("to", TypeAttr::get(b.getF32Type()))});
  if (c.failed)
    return failure();
  return std::array<Value, 3>{(*scales)[0], (*scales)[1], zy};
}

Importer::Outputs Importer::qlinearAveragePool(Node &n) {
  // Inputs: X, x_scale, x_zero_point?, y_scale, y_zero_point?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  auto x = integerView(n, in(0), "X");
  if (failed(x))
    return failure();
  auto xt = tt(*x);
  Type elem = xt.getElementType();
  if (!isEightBit(elem) || (xt.getRank() != 3 && xt.getRank() != 4))
    return error(n) << "needs an int8 or uint8 input of rank 3 or 4, got "
                    << xt,
           failure();
  Chain c{*this, n};
  auto params = unaryQLinearParams(n, c, elem);
  if (failed(params))
    return failure();
  auto [sx, sy, zy] = *params;
  int64_t rank = xt.getRank();
  bool channelsLast = getInt(n, "channels_last", 0) != 0;
  // NHWC <-> NCHW.
  SmallVector<int64_t> toFirst{0, rank - 1}, toLast{0};
  for (int64_t d = 1; d < rank - 1; ++d) {
    toFirst.push_back(d);
    toLast.push_back(d + 1);
  }
  toLast.push_back(1);
  Value f = dequantizeCodes(c, *x, in(2), sx);
  if (channelsLast)
    f = c.transpose(f, toFirst);
  if (c.failed)
    return failure();
  auto pooled =
      poolOf(n, f, /*isMax=*/false, getInt(n, "count_include_pad", 0) != 0);
  if (failed(pooled))
    return failure();
  Value y = (*pooled)[0];
  if (channelsLast)
    y = c.transpose(y, toLast);
  y = c.op<nn::DivOp>({y, sy});
  if (zy)
    y = c.op<nn::AddOp>({y, zy});
  if (c.failed)
    return failure();
  auto q = quantizeToInteger(n, y, Value(), Value(), elem);
  if (failed(q))
    return failure();
  return SmallVector<Value>{*q};
}

Importer::Outputs Importer::matMulIntegerToFloat(Node &n, bool dynamic) {
  // MatMulIntegerToFloat: A, B, a_scale, b_scale, a_zero_point?,
  // b_zero_point?, bias?. DynamicQuantizeMatMul: A (float), B, b_scale,
  // b_zero_point?, bias?.
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  Value a, sa, za;
  Value bv = in(1), sb = in(dynamic ? 2 : 3), zb = in(dynamic ? 3 : 5);
  Value bias = in(dynamic ? 4 : 6); // B and b_scale: requiredInputs
  if (dynamic) {
    auto q = dynamicQuantizeLinear(n);
    if (failed(q))
      return failure();
    a = (*q)[0];
    sa = (*q)[1];
    za = (*q)[2];
  } else {
    auto av = integerView(n, in(0), "A");
    if (failed(av))
      return failure();
    a = *av;
    auto s = perTensorScales(n, {2});
    if (failed(s))
      return failure();
    sa = (*s)[0];
    za = in(4);
  }
  auto bw = integerView(n, bv, "B");
  if (failed(bw))
    return failure();
  auto acc = integerMatmul(n, a, *bw, za, zb);
  auto sbf = columnScales(n, sb);
  if (failed(acc) || failed(sbf))
    return failure();
  Type f32 = b.getF32Type();
  Chain c{*this, n};
  Value y = c.op<nn::MulOp>(
      {c.op<nn::CastOp>({*acc}, {named("to", TypeAttr::get(f32))}),
       c.op<nn::MulOp>({sa, *sbf})});
  if (bias)
    y = c.op<nn::AddOp>({y, bias});
  return c.result(y);
}

QTensorType Importer::unitQTensorType(ArrayRef<int64_t> shape,
                                      const num::Format &f) {
  Attribute format =
      f.kind() == num::Format::Kind::Int
          ? Attribute(IntFormatAttr::get(ctx, f.bits(), f.isSigned(), false))
          : Attribute(FloatFormatAttr::get(ctx, f.floatFormat()));
  auto scheme = SchemeAttr::get(ctx, Granularity::per_tensor, 0, 0,
                                FloatFormatAttr(), false, false);
  return QTensorType::get(ctx, shape, format, scheme);
}

Importer::Outputs Importer::castFormats(Node &n, Value x, Type to,
                                        std::optional<num::Format> format) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto one = [&](QTensorType qt) {
    return floatConstant(n.loc, f32, {1.0}, qt.getScaleType().getShape());
  };
  Chain c{*this, n};
  auto convert = [&](Value v, Type t) {
    return c.op<nn::CastOp>({v}, {named("to", TypeAttr::get(t))});
  };
  Value v = x;
  auto qt = llvm::dyn_cast<QTensorType>(x.getType());
  if (qt && qt.getNumericFormat().kind() == num::Format::Kind::Int &&
      qt.getNumericFormat().bits() >= 8) {
    // 8- to 32-bit integer codes are an nn integer tensor.
    auto codes = integerView(n, x, "input 0");
    if (failed(codes))
      return failure();
    v = *codes;
    if (!format)
      return c.result(convert(v, to));
  } else if (qt) {
    auto values = unitValues(n, x);
    if (failed(values))
      return failure();
    v = *values;
    if (!format)
      return to == f32 ? c.result(v) : c.result(convert(v, to));
  }
  auto vt = tt(v);
  Type elem = vt.getElementType();
  auto it = llvm::dyn_cast<IntegerType>(elem);
  if (format->kind() == num::Format::Kind::Int) {
    // The low 4 bits of the value truncated toward zero.
    Value i = elem == i32 ? v : convert(v, i32);
    Value r = c.op<nn::AndOp>({i, intConstant(n.loc, i32, {15}, {})});
    if (format->isSigned()) {
      Value eight = intConstant(n.loc, i32, {8}, {});
      r = c.op<nn::SubOp>({c.op<nn::XorOp>({r, eight}), eight});
    }
    v = convert(r, f32);
  } else if (elem.isF64() || (it && it.getWidth() > 16)) {
    return error(n) << "a cast from " << elem << " to " << format->name()
                    << " would round twice (through f32); cast to float32 "
                       "first",
           failure();
  } else if (elem != f32) {
    v = convert(v, f32); // exact: float16, bfloat16, integers of <= 16 bits
  }
  if (c.failed)
    return failure();
  num::Format target = *format;
  RoundingMode rounding = RoundingMode::nearest_even;
  if (target.kind() == num::Format::Kind::Float) {
    num::FloatFormat ff = target.floatFormat();
    ff.saturate = getInt(n, "saturate", 1) != 0;
    target = num::Format::minifloat(ff);
    if (!ff.hasZero) { // E8M0
      std::string mode = getString(n, "round_mode", "up");
      if (mode != "up" && mode != "down")
        return error(n) << "round_mode '" << mode
                        << "' is not supported (up and down are)",
               failure();
      rounding = mode == "up" ? RoundingMode::ceil : RoundingMode::floor;
    }
  }
  QTensorType out = unitQTensorType(vt.getShape(), target);
  OperationState state(n.loc, QuantizeOp::getOperationName());
  state.addOperands({v, one(out)});
  state.addAttribute(QuantizeOp::getOperandSegmentSizesAttrName(state.name),
                     b.getDenseI32ArrayAttr({1, 1, 0, 0}));
  if (rounding != RoundingMode::nearest_even)
    state.addAttribute("rounding", RoundingModeAttr::get(ctx, rounding));
  state.addTypes(out);
  return SmallVector<Value>{b.create(state)->getResult(0)};
}

Importer::Outputs Importer::activation(Node &n) {
  StringRef op = n.proto.op_type();
  Value x = n.in[0];
  Type elem = tt(x).getElementType();
  if (!llvm::isa<FloatType>(elem))
    return error(n) << op << " needs a float input, not " << elem, failure();
  Chain c{*this, n};
  auto k = [&](double v) { return c.scalar(elem, v); };
  auto clip = [&](Value v, double lo, double hi) {
    return c.op<nn::ClipOp>({v}, {named("min", b.getF32FloatAttr(float(lo))),
                                  named("max", b.getF32FloatAttr(float(hi)))});
  };
  // x > 0 ? x : other (ONNX's np.where(x > 0, x, ...)).
  auto positiveOr = [&](Value other) {
    return c.op<nn::WhereOp>({c.op<nn::GreaterOp>({x, k(0.0)}), x, other});
  };
  auto expm1Times = [&](Value v, double alpha) {
    return c.op<nn::MulOp>(
        {k(alpha), c.op<nn::SubOp>({c.op<nn::ExpOp>({v}), k(1.0)})});
  };
  if (op == "HardSigmoid") {
    // max(0, min(1, x * alpha + beta))
    Value t =
        c.op<nn::AddOp>({c.op<nn::MulOp>({x, k(getFloat(n, "alpha", 0.2f))}),
                         k(getFloat(n, "beta", 0.5f))});
    return c.result(clip(t, 0.0, 1.0));
  }
  if (op == "HardSwish") {
    // x * max(0, min(1, alpha * x + beta)), alpha = 1/6, beta = 0.5
    Value t =
        c.op<nn::AddOp>({c.op<nn::MulOp>({k(double(1.0f / 6.0f)), x}), k(0.5)});
    return c.result(c.op<nn::MulOp>({x, clip(t, 0.0, 1.0)}));
  }
  if (op == "PRelu") {
    if (tt(n.in[1]).getElementType() != elem)
      return error(n) << "slope must have X's element type " << elem, failure();
    return c.result(positiveOr(c.op<nn::MulOp>({x, n.in[1]})));
  }
  if (op == "Elu")
    return c.result(positiveOr(expm1Times(x, getFloat(n, "alpha", 1.0f))));
  if (op == "Selu") {
    // where(x > 0, x, exp(x) * alpha - alpha) * gamma
    double alpha = getFloat(n, "alpha", 1.67326319217681884765625f);
    double gamma = getFloat(n, "gamma", 1.05070102214813232421875f);
    Value neg = c.op<nn::SubOp>(
        {c.op<nn::MulOp>({c.op<nn::ExpOp>({x}), k(alpha)}), k(alpha)});
    return c.result(c.op<nn::MulOp>({positiveOr(neg), k(gamma)}));
  }
  if (op == "Celu") {
    // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    double alpha = getFloat(n, "alpha", 1.0f);
    Value e = expm1Times(c.op<nn::DivOp>({x, k(alpha)}), alpha);
    return c.result(c.op<nn::AddOp>(
        {c.op<nn::MaxOp>({x, k(0.0)}), c.op<nn::MinOp>({e, k(0.0)})}));
  }
  if (op == "ThresholdedRelu") {
    // where(x > alpha, x, 0)
    Value gt = c.op<nn::GreaterOp>({x, k(getFloat(n, "alpha", 1.0f))});
    return c.result(c.op<nn::WhereOp>({gt, x, k(0.0)}));
  }
  if (op == "Mish")
    // x * tanh(softplus(x)), softplus(x) = log(exp(x) + 1) (ONNX's body)
    return c.result(c.op<nn::MulOp>(
        {x, c.op<nn::TanhOp>({c.op<nn::LogOp>(
                {c.op<nn::AddOp>({c.op<nn::ExpOp>({x}), k(1.0)})})})}));
  if (op == "Swish")
    // x * sigmoid(alpha * x)
    return c.result(c.op<nn::MulOp>(
        {x, c.op<nn::SigmoidOp>(
                {c.op<nn::MulOp>({k(getFloat(n, "alpha", 1.0f)), x})})}));
  if (op == "Shrink") {
    // where(x < -lambd, x + bias, where(x > lambd, x - bias, 0))
    double lambd = getFloat(n, "lambd", 0.5f), bias = getFloat(n, "bias", 0.0f);
    Value upper = c.op<nn::WhereOp>({c.op<nn::GreaterOp>({x, k(lambd)}),
                                     c.op<nn::SubOp>({x, k(bias)}), k(0.0)});
    return c.result(c.op<nn::WhereOp>({c.op<nn::LessOp>({x, k(-lambd)}),
                                       c.op<nn::AddOp>({x, k(bias)}), upper}));
  }
  if (op == "Softplus")
    // log(exp(x) + 1)
    return c.result(
        c.op<nn::LogOp>({c.op<nn::AddOp>({c.op<nn::ExpOp>({x}), k(1.0)})}));
  if (op == "Softsign")
    // x / (1 + |x|)
    return c.result(
        c.op<nn::DivOp>({x, c.op<nn::AddOp>({k(1.0), c.op<nn::AbsOp>({x})})}));
  llvm_unreachable("activation without a formula");
}

Importer::Outputs Importer::attention(Node &n) {
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  Value q = n.in[0], k = n.in[1], v = n.in[2];
  auto qt = tt(q), kt = tt(k), vt = tt(v);
  int64_t rank = qt.getRank();
  if ((rank != 3 && rank != 4) || kt.getRank() != rank || vt.getRank() != rank)
    return error(n) << "Q, K and V must all be 3-D ([batch, sequence, "
                       "hidden]) or all 4-D ([batch, heads, sequence, "
                       "head size])",
           failure();
  Type elem = qt.getElementType();
  if (!llvm::isa<FloatType>(elem) || kt.getElementType() != elem ||
      vt.getElementType() != elem)
    return error(n) << "Q, K and V must have one float element type", failure();
  for (auto t : {qt, kt, vt})
    if (!t.hasStaticShape())
      return error(n) << "needs static shapes", failure();
  Chain c{*this, n};
  int64_t batch = qt.getDimSize(0);
  int64_t qHeads = getInt(n, "q_num_heads", 0);
  int64_t kvHeads = getInt(n, "kv_num_heads", 0);
  // [batch, sequence, heads * size] -> [batch, heads, sequence, size].
  auto heads = [&](Value x, int64_t count, StringRef what) -> Value {
    auto t = tt(x);
    if (t.getDimSize(0) != batch || t.getDimSize(2) % count) {
      c.failed = true;
      error(n) << what << "'s hidden size " << t.getDimSize(2)
               << " is not a multiple of its " << count << " heads";
      return Value();
    }
    return c.transpose(
        c.reshape(x, {batch, t.getDimSize(1), count, t.getDimSize(2) / count}),
        {0, 2, 1, 3});
  };
  if (rank == 3) {
    if (qHeads <= 0 || kvHeads <= 0)
      return error(n) << "3-D inputs need the q_num_heads and kv_num_heads "
                         "attributes",
             failure();
    q = heads(q, qHeads, "Q");
    k = heads(k, kvHeads, "K");
    v = heads(v, kvHeads, "V");
    if (c.failed)
      return failure();
  } else {
    qHeads = qt.getDimSize(1);
    kvHeads = kt.getDimSize(1);
  }
  qt = tt(q), kt = tt(k), vt = tt(v);
  int64_t seqQ = qt.getDimSize(2), size = qt.getDimSize(3);
  if (kt.getDimSize(0) != batch || vt.getDimSize(0) != batch ||
      kt.getDimSize(1) != kvHeads || vt.getDimSize(1) != kvHeads ||
      kt.getDimSize(3) != size || vt.getDimSize(2) != kt.getDimSize(2))
    return error(n) << "K " << kt << " and V " << vt << " do not match Q " << qt
                    << " (same batch, K's head size Q's, one KV sequence)",
           failure();
  if (qHeads % kvHeads)
    return error(n) << "the " << qHeads
                    << " query heads are not a multiple of the " << kvHeads
                    << " key / value heads",
           failure();
  // The KV cache.
  Value pastKey = in(4), pastValue = in(5);
  if (bool(pastKey) != bool(pastValue))
    return error(n) << "past_key and past_value come together", failure();
  int64_t past = 0;
  if (pastKey) {
    auto pk = tt(pastKey), pv = tt(pastValue);
    if (pk.getRank() != 4 || pv.getRank() != 4 ||
        pk.getDimSize(2) != pv.getDimSize(2))
      return error(n) << "past_key and past_value must be 4-D with one "
                         "sequence length",
             failure();
    past = pk.getDimSize(2);
    k = c.concat({pastKey, k}, 2);
    v = c.concat({pastValue, v}, 2);
  }
  Value presentKey = k, presentValue = v;
  int64_t seqKV = c.failed ? 0 : tt(k).getDimSize(2);
  // Grouped-query attention: each K / V head repeated for its query heads
  // (h0, h0, h1, h1, ...).
  if (qHeads != kvHeads) {
    int64_t reps = qHeads / kvHeads;
    auto repeat = [&](Value x) {
      auto t = tt(x);
      Value e = c.op<nn::ExpandOp>(
          {c.reshape(x, {batch, kvHeads, 1, seqKV, t.getDimSize(3)})},
          {named("shape", b.getDenseI64ArrayAttr({batch, kvHeads, reps, seqKV,
                                                  t.getDimSize(3)}))});
      return c.reshape(e, {batch, qHeads, seqKV, t.getDimSize(3)});
    };
    k = repeat(k);
    v = repeat(v);
  }
  if (c.failed)
    return failure();
  // The additive bias: the mask (bool: 0 / -inf; padded with -inf to the
  // KV length), the causal mask, the KV padding.
  Value zero = c.scalar(elem, 0.0), minusInf = c.scalar(elem, -INFINITY);
  Value bias;
  if (Value mask = in(3)) {
    auto mt = tt(mask);
    if (mt.getElementType().isInteger(1))
      mask = c.op<nn::WhereOp>({mask, zero, minusInf});
    else if (mt.getElementType() != elem)
      return error(n) << "attn_mask must be bool or " << elem << ", not "
                      << mt.getElementType(),
             failure();
    int64_t last = mt.getShape().back();
    if (mt.getRank() < 2 || mt.getRank() > 4 || last > seqKV)
      return error(n) << "attn_mask " << mt
                      << " must be 2-D to 4-D with at most " << seqKV
                      << " (the KV length) entries in its last dimension",
             failure();
    if (last < seqKV) {
      SmallVector<int64_t> padShape(mt.getShape());
      padShape.back() = seqKV - last;
      Value fill = c.op<nn::ExpandOp>(
          {minusInf}, {named("shape", b.getDenseI64ArrayAttr(padShape))});
      mask = c.concat({mask, fill}, -1);
    }
    bias = mask;
  }
  if (getInt(n, "is_causal", 0)) {
    // -inf where key j comes after query i (upper-left aligned after the
    // past): j - past > i.
    APFloat z =
        APFloat::getZero(llvm::cast<FloatType>(elem).getFloatSemantics());
    APFloat inf =
        APFloat::getInf(llvm::cast<FloatType>(elem).getFloatSemantics(), true);
    SmallVector<APFloat> causal;
    for (int64_t i = 0; i < seqQ; ++i)
      for (int64_t j = 0; j < seqKV; ++j)
        causal.push_back(j - past > i ? inf : z);
    Value m = constant(n.loc,
                       DenseElementsAttr::get(
                           RankedTensorType::get({seqQ, seqKV}, elem), causal));
    bias = bias ? c.op<nn::AddOp>({bias, m}) : m;
  }
  if (Value lengths = in(6)) {
    auto lt = tt(lengths);
    if (lt.getRank() != 1 || lt.getDimSize(0) != batch ||
        !lt.getElementType().isInteger(64))
      return error(n) << "nonpad_kv_seqlen must be int64 of shape [" << batch
                      << "]",
             failure();
    SmallVector<int64_t> iota = llvm::to_vector(llvm::seq<int64_t>(0, seqKV));
    Value positions =
        constant(n.loc, DenseElementsAttr::get(
                            RankedTensorType::get({1, seqKV}, b.getI64Type()),
                            ArrayRef(iota)));
    Value valid = c.op<nn::LessOp>({positions, c.reshape(lengths, {batch, 1})});
    Value padding = c.reshape(c.op<nn::WhereOp>({valid, zero, minusInf}),
                              {batch, 1, 1, seqKV});
    bias = bias ? c.op<nn::AddOp>({bias, padding}) : padding;
  }
  // Q K^T with sqrt(scale) on each (the reference's rounding).
  float scale = getFloat(n, "scale", 1.0f / std::sqrt(float(size)));
  Value root = c.scalar(elem, std::sqrt(double(scale)));
  Value scores = c.op<nn::MatMulOp>(
      {c.op<nn::MulOp>({q, root}),
       c.transpose(c.op<nn::MulOp>({k, root}), {0, 1, 3, 2})});
  int64_t mode = getInt(n, "qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return error(n) << "qk_matmul_output_mode " << mode
                    << " is not one of 0 (Q K^T), 1 (plus the mask), 2 "
                       "(after softcap) or 3 (after softmax)",
           failure();
  Value qk = scores;
  if (bias)
    scores = c.op<nn::AddOp>({scores, bias});
  if (mode == 1)
    qk = scores;
  if (auto *a = attr(n, "softcap")) {
    if (a->f() > 0) {
      Value cap = c.scalar(elem, a->f());
      scores = c.op<nn::MulOp>(
          {c.op<nn::TanhOp>({c.op<nn::DivOp>({scores, cap})}), cap});
    }
    if (mode == 2)
      qk = scores;
  }
  Value values = v;
  if (auto *a = attr(n, "softmax_precision")) {
    Type p = elementType(ctx, int32_t(a->i()));
    if (!p || !llvm::isa<FloatType>(p))
      return error(n) << "softmax_precision " << a->i()
                      << " is not a float type",
             failure();
    if (p != elem) { // softmax and its product with V in that type
      scores = c.op<nn::CastOp>({scores}, {named("to", TypeAttr::get(p))});
      values = c.op<nn::CastOp>({values}, {named("to", TypeAttr::get(p))});
    }
  }
  Value probs =
      c.op<nn::SoftmaxOp>({scores}, {named("axis", b.getI64IntegerAttr(-1))});
  if (mode == 3)
    qk = probs;
  Value y = c.op<nn::MatMulOp>({probs, values});
  auto toElem = [&](Value x) {
    if (!x || tt(x).getElementType() == elem)
      return x;
    return c.op<nn::CastOp>({x}, {named("to", TypeAttr::get(elem))});
  };
  y = toElem(y);
  qk = toElem(qk);
  if (rank == 3 && !c.failed) {
    int64_t sizeV = tt(y).getDimSize(3);
    y = c.reshape(c.transpose(y, {0, 2, 1, 3}), {batch, seqQ, qHeads * sizeV});
  }
  if (c.failed)
    return failure();
  return SmallVector<Value>{y, presentKey, presentValue, qk};
}

Importer::Outputs Importer::einsum(Node &n) {
  Chain c{*this, n};
  std::string eq;
  for (char ch : getString(n, "equation", ""))
    if (!std::isspace(static_cast<unsigned char>(ch)))
      eq.push_back(ch);
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  SmallVector<StringRef> terms;
  StringRef(lhs).split(terms, ',');
  if (terms.size() != n.in.size())
    return error(n) << "equation '" << eq << "' has " << terms.size()
                    << " operand terms for " << n.in.size() << " inputs",
           failure();
  for (Value v : n.in)
    if (!v || !llvm::isa<FloatType>(tt(v).getElementType()))
      return error(n) << "needs float inputs", failure();
  // Labels: letters as their character codes; ellipsis dimensions as
  // kEllipsis + their position, right-aligned over the operands.
  constexpr int64_t kEllipsis = 1000;
  auto isLabel = [](char ch) {
    return std::isalpha(static_cast<unsigned char>(ch));
  };
  auto letters = [&](StringRef term, int64_t &count, bool &dots) -> bool {
    count = 0;
    dots = false;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term.substr(i).starts_with("...") && !dots) {
        dots = true;
        i += 2;
      } else if (isLabel(term[i])) {
        ++count;
      } else {
        return false;
      }
    }
    return true;
  };
  int64_t ellipsisRank = 0;
  SmallVector<SmallVector<int64_t>> labels;
  SmallVector<Value> vals;
  for (auto [t, v] : llvm::zip(terms, n.in)) {
    int64_t count, rank = tt(v).getRank();
    bool dots;
    if (!letters(t, count, dots) || count > rank || (!dots && count != rank))
      return error(n) << "term '" << t << "' of equation '" << eq
                      << "' does not fit an input of rank " << rank,
             failure();
    if (dots)
      ellipsisRank = std::max(ellipsisRank, rank - count);
  }
  for (auto [t, v] : llvm::zip(terms, n.in)) {
    int64_t rank = tt(v).getRank(), count;
    bool dots;
    letters(t, count, dots);
    SmallVector<int64_t> l;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.substr(i).starts_with("...")) {
        int64_t e = rank - count;
        for (int64_t j = 0; j < e; ++j)
          l.push_back(kEllipsis + ellipsisRank - e + j);
        i += 2;
      } else {
        l.push_back(t[i]);
      }
    }
    labels.push_back(l);
    vals.push_back(v);
  }
  // The output's labels.
  SmallVector<int64_t> out;
  if (arrow != std::string::npos) {
    StringRef rhs = StringRef(eq).drop_front(arrow + 2);
    int64_t count;
    bool dots;
    if (!letters(rhs, count, dots))
      return error(n) << "output term '" << rhs << "' of equation '" << eq
                      << "' is not labels and one ellipsis",
             failure();
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rhs.substr(i).starts_with("...")) {
        for (int64_t j = 0; j < ellipsisRank; ++j)
          out.push_back(kEllipsis + j);
        i += 2;
      } else {
        out.push_back(rhs[i]);
      }
    }
  } else {
    for (int64_t j = 0; j < ellipsisRank; ++j)
      out.push_back(kEllipsis + j);
    std::map<int64_t, int> uses;
    for (auto &l : labels)
      for (int64_t x : l)
        if (x < kEllipsis)
          ++uses[x];
    for (auto [x, u] : uses)
      if (u == 1)
        out.push_back(x);
  }
  // Sizes: equal, or 1 (broadcast) for ellipsis dimensions.
  std::map<int64_t, int64_t> size;
  for (auto [l, v] : llvm::zip(labels, vals))
    for (auto [x, d] : llvm::zip(l, tt(v).getShape())) {
      auto [it, fresh] = size.try_emplace(x, d);
      if (!fresh && it->second != d) {
        if (x >= kEllipsis && (d == 1 || it->second == 1))
          it->second = std::max(it->second, d);
        else
          return error(n) << "label '"
                          << (x < kEllipsis ? std::string(1, char(x))
                                            : std::string("..."))
                          << "' of equation '" << eq << "' has sizes "
                          << it->second << " and " << d,
                 failure();
      }
    }
  for (size_t i = 0; i < out.size(); ++i)
    if (!size.count(out[i]) ||
        llvm::is_contained(ArrayRef(out).take_front(i), out[i]))
      return error(n) << "output of equation '" << eq
                      << "' repeats a label or has one no input has",
             failure();
  auto shapeOf = [&](ArrayRef<int64_t> l) {
    SmallVector<int64_t> s;
    for (int64_t x : l)
      s.push_back(size[x]);
    return s;
  };
  // v (labels l) with its dimensions permuted to `order`.
  auto permute = [&](Value v, ArrayRef<int64_t> l,
                     ArrayRef<int64_t> order) -> Value {
    SmallVector<int64_t> perm;
    for (int64_t x : order)
      perm.push_back(llvm::find(l, x) - l.begin());
    if (llvm::equal(perm, llvm::seq<int64_t>(0, int64_t(perm.size()))))
      return v;
    return c.transpose(v, perm);
  };
  // v with its broadcast (size-1) dimensions expanded to the label sizes.
  auto expanded = [&](Value v, ArrayRef<int64_t> l) -> Value {
    SmallVector<int64_t> want = shapeOf(l);
    if (!v || tt(v).getShape() == ArrayRef<int64_t>(want))
      return v;
    return c.op<nn::ExpandOp>({v},
                              {named("shape", b.getDenseI64ArrayAttr(want))});
  };
  // Diagonals of repeated labels, then sums of labels used nowhere else.
  for (size_t o = 0; o < vals.size(); ++o) {
    auto &l = labels[o];
    vals[o] = expanded(vals[o], l);
    for (bool again = true; again && vals[o];) {
      again = false;
      for (size_t p = 0; p < l.size() && !again; ++p)
        for (size_t q = p + 1; q < l.size() && !again; ++q) {
          if (l[p] != l[q])
            continue;
          SmallVector<int64_t> rest;
          for (size_t i = 0; i < l.size(); ++i)
            if (i != p && i != q)
              rest.push_back(l[i]);
          SmallVector<int64_t> perm;
          for (size_t i = 0; i < l.size(); ++i)
            if (i != p && i != q)
              perm.push_back(int64_t(i));
          perm.push_back(int64_t(p));
          perm.push_back(int64_t(q));
          int64_t d = size[l[p]];
          SmallVector<int64_t> flat = shapeOf(rest);
          flat.push_back(d * d);
          SmallVector<int64_t> diag;
          for (int64_t k = 0; k < d; ++k)
            diag.push_back(k * (d + 1));
          Value v = c.reshape(c.transpose(vals[o], perm), flat);
          vals[o] = c.op<nn::GatherOp>(
              {v, i64Constant(n.loc, diag, {d})},
              {named("axis", b.getI64IntegerAttr(int64_t(rest.size())))});
          rest.push_back(l[p]);
          l = rest;
          again = true;
        }
    }
    SmallVector<int64_t> axes, kept;
    for (size_t i = 0; i < l.size(); ++i) {
      bool elsewhere = llvm::is_contained(out, l[i]);
      for (size_t r = 0; r < labels.size() && !elsewhere; ++r)
        elsewhere = r != o && llvm::is_contained(labels[r], l[i]);
      if (elsewhere)
        kept.push_back(l[i]);
      else
        axes.push_back(int64_t(i));
    }
    if (!axes.empty() && vals[o]) {
      vals[o] = c.op<nn::ReduceSumOp>(
          {vals[o]}, {named("axes", b.getDenseI64ArrayAttr(axes)),
                      named("keepdims", b.getBoolAttr(false))});
      l = kept;
    }
  }
  // Fold the operands pairwise.
  Value acc = vals[0];
  SmallVector<int64_t> accLabels = labels[0];
  for (size_t o = 1; o < vals.size() && acc; ++o) {
    ArrayRef<int64_t> bl = labels[o];
    auto later = [&](int64_t x) {
      if (llvm::is_contained(out, x))
        return true;
      for (size_t r = o + 1; r < labels.size(); ++r)
        if (llvm::is_contained(labels[r], x))
          return true;
      return false;
    };
    SmallVector<int64_t> batch, contracted, aFree, bFree;
    for (int64_t x : accLabels)
      (llvm::is_contained(bl, x) ? later(x) ? batch : contracted : aFree)
          .push_back(x);
    for (int64_t x : bl)
      if (!llvm::is_contained(accLabels, x))
        bFree.push_back(x);
    auto prod = [&](ArrayRef<int64_t> l) {
      return ShapedType::getNumElements(shapeOf(l));
    };
    SmallVector<int64_t> aOrder(batch), bOrder(batch);
    llvm::append_range(aOrder, aFree);
    llvm::append_range(aOrder, contracted);
    llvm::append_range(bOrder, contracted);
    llvm::append_range(bOrder, bFree);
    int64_t bt = prod(batch), m = prod(aFree), k = prod(contracted),
            nn = prod(bFree);
    Value a = c.reshape(permute(acc, accLabels, aOrder), {bt, m, k});
    Value bv = c.reshape(permute(vals[o], bl, bOrder), {bt, k, nn});
    SmallVector<int64_t> result(batch);
    llvm::append_range(result, aFree);
    llvm::append_range(result, bFree);
    acc = c.reshape(c.op<nn::MatMulOp>({a, bv}), shapeOf(result));
    accLabels = result;
  }
  if (!acc)
    return failure();
  return c.result(permute(acc, accLabels, out));
}

Value Importer::nllLoss(Chain &c, Node &n, Value logp) {
  auto xt = tt(logp), t = tt(n.in[1]);
  Value weight = n.in.size() > 2 ? n.in[2] : Value();
  int64_t rank = xt.getRank();
  bool fits = rank >= 2 && t.getRank() == rank - 1 &&
              llvm::isa<FloatType>(xt.getElementType()) &&
              llvm::isa<IntegerType>(t.getElementType());
  for (int64_t d = 0; fits && d < t.getRank(); ++d)
    fits = t.getDimSize(d) == xt.getDimSize(d ? d + 1 : 0);
  if (fits && weight)
    fits = tt(weight).getShape() == ArrayRef<int64_t>{xt.getDimSize(1)} &&
           tt(weight).getElementType() == xt.getElementType();
  if (!fits) {
    error(n) << "needs float scores [N, C, d...] " << xt
             << ", integer targets [N, d...] " << t
             << (weight ? " and weights [C] of the scores' type" : "");
    c.failed = true;
    return Value();
  }
  std::string reduction = getString(n, "reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    error(n) << "reduction must be none, sum or mean, got '" << reduction
             << "'";
    c.failed = true;
    return Value();
  }
  Type elem = xt.getElementType();
  auto intScalar = [&](int64_t v) {
    return intConstant(n.loc, t.getElementType(), {v}, {});
  };
  Value target = n.in[1], valid;
  if (attr(n, "ignore_index")) {
    valid = c.op<nn::NotOp>(
        {c.op<nn::EqualOp>({target, intScalar(getInt(n, "ignore_index", 0))})});
    target = c.op<nn::WhereOp>({valid, target, intScalar(0)});
  }
  SmallVector<int64_t> column(t.getShape());
  column.insert(column.begin() + 1, 1);
  Value picked = c.reshape(
      c.op<nn::GatherElementsOp>({logp, c.reshape(target, column)},
                                 {named("axis", b.getI64IntegerAttr(1))}),
      t.getShape());
  Value loss = c.op<nn::NegOp>({picked});
  if (valid)
    loss = c.op<nn::WhereOp>({valid, loss, c.scalar(elem, 0.0)});
  // The weight applied to each term: the class weight, 0 where ignored.
  Value applied;
  if (weight) {
    applied = c.op<nn::GatherOp>({weight, target},
                                 {named("axis", b.getI64IntegerAttr(0))});
    if (valid)
      applied = c.op<nn::WhereOp>({valid, applied, c.scalar(elem, 0.0)});
    loss = c.op<nn::MulOp>({loss, applied});
  } else if (valid) {
    applied = c.op<nn::CastOp>({valid}, {named("to", TypeAttr::get(elem))});
  }
  if (reduction == "none")
    return loss;
  SmallVector<NamedAttribute> all{
      named("axes", b.getDenseI64ArrayAttr(
                        llvm::to_vector(llvm::seq<int64_t>(0, t.getRank())))),
      named("keepdims", b.getBoolAttr(false))};
  if (reduction == "sum")
    return c.op<nn::ReduceSumOp>({loss}, all);
  if (!applied)
    return c.op<nn::ReduceMeanOp>({loss}, all);
  return c.op<nn::DivOp>({c.op<nn::ReduceSumOp>({loss}, all),
                          c.op<nn::ReduceSumOp>({applied}, all)});
}

Importer::Outputs Importer::recurrent(Node &n) {
  StringRef op = n.proto.op_type();
  int64_t gates = op == "RNN" ? 1 : op == "GRU" ? 3 : 4;
  auto xt = tt(n.in[0]);
  int64_t layout = getInt(n, "layout", 0), hidden = getInt(n, "hidden_size", 0);
  std::string direction = getString(n, "direction", "forward");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (xt.getRank() != 3 || !llvm::isa<FloatType>(xt.getElementType()) ||
      hidden < 1 || (layout != 0 && layout != 1) ||
      (direction != "forward" && direction != "reverse" && dirs != 2))
    return error(n) << "needs a float input of rank 3, hidden_size >= 1, "
                       "layout 0 or 1 and direction forward, reverse or "
                       "bidirectional",
           failure();
  // The default activations only.
  if (auto acts = attr(n, "activations")) {
    SmallVector<StringRef> want =
        op == "RNN"   ? SmallVector<StringRef>{"Tanh"}
        : op == "GRU" ? SmallVector<StringRef>{"Sigmoid", "Tanh"}
                      : SmallVector<StringRef>{"Sigmoid", "Tanh", "Tanh"};
    bool same = acts->strings_size() == int(want.size() * size_t(dirs));
    for (int i = 0; same && i < acts->strings_size(); ++i)
      same = StringRef(acts->strings(i))
                 .equals_insensitive(want[size_t(i) % want.size()]);
    if (!same)
      return error(n) << "only the default activations are supported",
             failure();
  }
  if (attr(n, "clip") || getInt(n, "input_forget", 0))
    return error(n) << "clip and input_forget are not supported", failure();
  int64_t seq = xt.getDimSize(layout ? 1 : 0),
          batch = xt.getDimSize(layout ? 0 : 1), inSize = xt.getDimSize(2);
  auto input = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  if (Value lens = input(4)) {
    DenseElementsAttr c = constantOf(lens);
    if (!c || llvm::any_of(c.getValues<APInt>(), [&](const APInt &v) {
          return v.getSExtValue() != seq;
        }))
      return error(n) << "sequence_lens must be a constant equal to the "
                         "sequence length ("
                      << seq << ") for every batch entry",
             failure();
  }
  auto expectShape = [&](Value v, ArrayRef<int64_t> shape,
                         StringRef what) -> bool {
    if (!v || tt(v).getShape() == shape)
      return true;
    error(n) << what << " " << tt(v) << " must be "
             << RankedTensorType::get(shape, tt(v).getElementType());
    return false;
  };
  SmallVector<int64_t> stateShape =
      layout ? SmallVector<int64_t>{batch, dirs, hidden}
             : SmallVector<int64_t>{dirs, batch, hidden};
  if (!expectShape(input(1), {dirs, gates * hidden, inSize}, "W") ||
      !expectShape(input(2), {dirs, gates * hidden, hidden}, "R") ||
      !expectShape(input(3), {dirs, 2 * gates * hidden}, "B") ||
      !expectShape(input(5), stateShape, "initial_h") ||
      !expectShape(input(6), stateShape, "initial_c") ||
      !expectShape(input(7), {dirs, 3 * hidden}, "P"))
    return failure();
  Chain c{*this, n};
  Type elem = xt.getElementType();
  // X as [seq, batch, in]; states as [dirs, batch, hidden].
  Value x = layout ? c.transpose(n.in[0], {1, 0, 2}) : n.in[0];
  auto state = [&](Value v) -> Value {
    return v && layout ? c.transpose(v, {1, 0, 2}) : v;
  };
  Value h0 = state(input(5)), c0 = state(input(6));
  auto slice = [&](Value v, ArrayRef<int64_t> starts, ArrayRef<int64_t> sizes) {
    return c.slice(v, starts, SmallVector<int64_t>(starts.size(), 1), sizes);
  };
  // Rows [g * hidden, (g + 1) * hidden) of a direction's [G*H, K] matrix,
  // transposed to [K, H].
  auto gateMatrix = [&](Value m, int64_t d, int64_t g, int64_t k) {
    return c.transpose(
        c.reshape(slice(m, {d, g * hidden, 0}, {1, hidden, k}), {hidden, k}),
        {1, 0});
  };
  auto gateVector = [&](Value v, int64_t d, int64_t at) {
    return c.reshape(slice(v, {d, at * hidden}, {1, hidden}), {hidden});
  };
  Value zero = zeros(n.loc, elem, {batch, hidden});
  Value one = op == "GRU" ? c.scalar(elem, 1.0) : Value();
  auto sigmoid = [&](Value v) { return c.op<nn::SigmoidOp>({v}); };
  auto tanh = [&](Value v) { return c.op<nn::TanhOp>({v}); };
  auto mul = [&](Value a, Value bv) { return c.op<nn::MulOp>({a, bv}); };
  auto add = [&](Value a, Value bv) { return c.op<nn::AddOp>({a, bv}); };
  SmallVector<Value> hs, cs;
  SmallVector<SmallVector<Value>> steps(static_cast<size_t>(dirs));
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    bool resetAfter = op == "GRU" && getInt(n, "linear_before_reset", 0);
    // Per gate: the input projections of all steps [seq, batch, H] (with
    // both biases) and the recurrent matrix [H, H].
    SmallVector<Value> xw, rT, rb;
    for (int64_t g = 0; g < gates; ++g) {
      Value proj = c.op<nn::MatMulOp>({x, gateMatrix(n.in[1], d, g, inSize)});
      Value bias = input(3);
      if (bias) {
        Value wb = gateVector(bias, d, g),
              rbias = gateVector(bias, d, gates + g);
        // GRU's h gate with linear_before_reset adds Rb inside r * (...).
        bool late = resetAfter && g == 2;
        proj =
            c.op<nn::AddOp>({proj, late ? wb : c.op<nn::AddOp>({wb, rbias})});
        rb.push_back(late ? rbias : Value());
      } else {
        rb.push_back(Value());
      }
      xw.push_back(proj);
      rT.push_back(gateMatrix(n.in[2], d, g, hidden));
    }
    auto peephole = [&](int64_t which) -> Value {
      return input(7) ? gateVector(input(7), d, which) : Value();
    };
    Value h = h0 ? c.reshape(slice(h0, {d, 0, 0}, {1, batch, hidden}),
                             {batch, hidden})
                 : zero;
    Value cell = c0 ? c.reshape(slice(c0, {d, 0, 0}, {1, batch, hidden}),
                                {batch, hidden})
                    : zero;
    for (int64_t i = 0; i < seq; ++i) {
      int64_t t = reverse ? seq - 1 - i : i;
      // Gate g's input projection at step t, [batch, hidden].
      auto stepInput = [&](int64_t g) {
        return c.reshape(slice(xw[size_t(g)], {t, 0, 0}, {1, batch, hidden}),
                         {batch, hidden});
      };
      auto pre = [&](int64_t g, Value hIn) {
        return add(stepInput(g), c.op<nn::MatMulOp>({hIn, rT[size_t(g)]}));
      };
      if (op == "RNN") {
        h = tanh(pre(0, h));
      } else if (op == "GRU") {
        Value z = sigmoid(pre(0, h)), r = sigmoid(pre(1, h));
        Value cand;
        if (resetAfter) {
          Value hr = c.op<nn::MatMulOp>({h, rT[2]});
          if (rb[2])
            hr = add(hr, rb[2]);
          cand = tanh(add(stepInput(2), mul(r, hr)));
        } else {
          cand = tanh(pre(2, mul(r, h)));
        }
        // (1 - z) * cand + z * h
        h = add(mul(c.op<nn::SubOp>({one, z}), cand), mul(z, h));
      } else {
        Value pi = peephole(0), po = peephole(1), pf = peephole(2);
        Value gi = pre(0, h), go = pre(1, h), gf = pre(2, h), gc = pre(3, h);
        if (pi)
          gi = add(gi, mul(pi, cell));
        if (pf)
          gf = add(gf, mul(pf, cell));
        cell = add(mul(sigmoid(gf), cell), mul(sigmoid(gi), tanh(gc)));
        if (po)
          go = add(go, mul(po, cell));
        h = mul(sigmoid(go), tanh(cell));
      }
      if (!h || !cell)
        return failure();
      steps[size_t(d)].push_back(h);
    }
    if (reverse)
      std::reverse(steps[size_t(d)].begin(), steps[size_t(d)].end());
    hs.push_back(c.reshape(h, {1, batch, hidden}));
    cs.push_back(c.reshape(cell, {1, batch, hidden}));
  }
  // Y [seq, dirs, batch, hidden]; Y_h / Y_c [dirs, batch, hidden].
  SmallVector<Value> perStep;
  for (int64_t t = 0; t < seq; ++t) {
    SmallVector<Value> perDir;
    for (int64_t d = 0; d < dirs; ++d)
      perDir.push_back(
          c.reshape(steps[size_t(d)][size_t(t)], {1, 1, batch, hidden}));
    perStep.push_back(perDir.size() == 1 ? perDir[0] : c.concat(perDir, 1));
  }
  Value y = perStep.size() == 1 ? perStep[0] : c.concat(perStep, 0);
  Value yh = hs.size() == 1 ? hs[0] : c.concat(hs, 0);
  Value yc = cs.size() == 1 ? cs[0] : c.concat(cs, 0);
  if (layout) {
    y = c.transpose(y, {2, 0, 1, 3});
    yh = c.transpose(yh, {1, 0, 2});
    yc = c.transpose(yc, {1, 0, 2});
  }
  if (c.failed || !y || !yh || !yc)
    return failure();
  SmallVector<Value> outs{y, yh};
  if (op == "LSTM")
    outs.push_back(yc);
  return outs;
}

Importer::Outputs Importer::rotaryEmbedding(Node &n, bool contrib) {
  auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
  Value x = in(0), cosCache = in(contrib ? 2 : 1),
        sinCache = in(contrib ? 3 : 2), positions = in(contrib ? 1 : 3);
  if (!cosCache || !sinCache || (contrib && !positions))
    return error(n) << "needs the input, " << (contrib ? "position_ids, " : "")
                    << "cos_cache and sin_cache",
           failure();
  if (contrib && getInt(n, "is_packed_batching", 0))
    return error(n) << "is_packed_batching is not supported", failure();
  auto xt = tt(x);
  int64_t rank = xt.getRank();
  Type elem = xt.getElementType();
  if ((rank != 3 && rank != 4) || !xt.hasStaticShape())
    return error(n) << "the input must be 3-D ([batch, sequence, hidden]) or "
                       "4-D ([batch, heads, sequence, head size]) with a "
                       "static shape",
           failure();
  if (!llvm::isa<FloatType>(elem) || tt(cosCache).getElementType() != elem ||
      tt(sinCache).getElementType() != elem)
    return error(n) << "the input and the caches must have one float type",
           failure();
  Chain c{*this, n};
  int64_t batch = xt.getDimSize(0), seq, heads, size;
  if (rank == 4) {
    heads = xt.getDimSize(1);
    seq = xt.getDimSize(2);
    size = xt.getDimSize(3);
    x = c.transpose(x, {0, 2, 1, 3});
  } else {
    heads = getInt(n, "num_heads", 0);
    seq = xt.getDimSize(1);
    // com.microsoft: without num_heads the caches give the head size.
    auto ct = tt(cosCache);
    if (contrib && heads == 0 && ct.getRank() == 2 && ct.getDimSize(1) > 0 &&
        xt.getDimSize(2) % (2 * ct.getDimSize(1)) == 0)
      heads = xt.getDimSize(2) / (2 * ct.getDimSize(1));
    if (heads <= 0 || xt.getDimSize(2) % heads)
      return error(n) << "a 3-D input needs num_heads dividing its hidden "
                         "size "
                      << xt.getDimSize(2),
             failure();
    size = xt.getDimSize(2) / heads;
    x = c.reshape(x, {batch, seq, heads, size});
  }
  int64_t dim = getInt(n, "rotary_embedding_dim", 0);
  if (dim == 0)
    dim = size;
  if (dim < 0 || dim > size || dim % 2)
    return error(n) << "rotary_embedding_dim " << dim
                    << " must be even and at most the head size " << size,
           failure();
  int64_t half = dim / 2;
  if (contrib && positions) {
    // One offset: each token's index after it.
    auto pt = tt(positions);
    if (!pt.getElementType().isInteger(64) || !pt.hasStaticShape())
      return error(n) << "position_ids must be a static int64 tensor, got "
                      << pt,
             failure();
    if (pt.getNumElements() == 1 && !(batch == 1 && seq == 1)) {
      SmallVector<int64_t> iota = llvm::to_vector(llvm::seq<int64_t>(0, seq));
      positions = c.op<nn::AddOp>(
          {c.op<nn::ExpandOp>(
               {i64Constant(n.loc, iota, {1, seq})},
               {named("shape", b.getDenseI64ArrayAttr({batch, seq}))}),
           c.reshape(positions, {1, 1})});
    } else if (pt.getNumElements() == 1) {
      positions = c.reshape(positions, {1, 1});
    }
  }
  // The caches per [batch, sequence]: gathered by position, or given so.
  SmallVector<int64_t> cacheShape{batch, seq, half};
  auto cache = [&](Value v, StringRef what) -> Value {
    if (positions) {
      auto pt = tt(positions);
      if (tt(v).getRank() != 2 ||
          pt.getShape() != ArrayRef<int64_t>{batch, seq}) {
        c.failed = true;
        error(n) << "with position_ids [" << batch << ", " << seq << "], "
                 << what << " must be [max position, " << half << "]";
        return Value();
      }
      v = c.op<nn::GatherOp>({v, positions},
                             {named("axis", b.getI64IntegerAttr(0))});
    }
    if (v && tt(v).getShape() != ArrayRef(cacheShape)) {
      c.failed = true;
      error(n) << what << " " << tt(v) << " does not give [" << batch << ", "
               << seq << ", " << half
               << "] (rotary_embedding_dim / 2 = " << half << ")";
      return Value();
    }
    return c.reshape(v, {batch, seq, 1, half});
  };
  Value cosV = cache(cosCache, "cos_cache");
  Value sinV = cosV ? cache(sinCache, "sin_cache") : Value();
  if (c.failed)
    return failure();
  Value rotated = rotate(c, x, cosV, sinV, dim, getInt(n, "interleaved", 0));
  Value y = rank == 4 ? c.transpose(rotated, {0, 2, 1, 3})
                      : c.reshape(rotated, xt.getShape());
  return c.result(y);
}

Value Importer::rotate(Chain &c, Value x, Value cosV, Value sinV, int64_t dim,
                       bool interleaved) {
  if (c.failed || !x)
    return Value();
  auto xt = tt(x);
  int64_t batch = xt.getDimSize(0), seq = xt.getDimSize(1),
          heads = xt.getDimSize(2), size = xt.getDimSize(3), half = dim / 2;
  // Entries [start, start + count) of the last axis.
  auto lastSlice = [&](Value v, int64_t start, int64_t count) {
    auto t = tt(v);
    SmallVector<int64_t> starts(size_t(t.getRank()), 0),
        steps(size_t(t.getRank()), 1), sizes(t.getShape());
    starts.back() = start;
    sizes.back() = count;
    return c.slice(v, starts, steps, sizes);
  };
  Value rotate = dim == size ? x : lastSlice(x, 0, dim);
  Value x1, x2;
  if (interleaved) { // pairs (x[2i], x[2i + 1])
    Value pairs = c.reshape(rotate, {batch, seq, heads, half, 2});
    x1 = c.reshape(lastSlice(pairs, 0, 1), {batch, seq, heads, half});
    x2 = c.reshape(lastSlice(pairs, 1, 1), {batch, seq, heads, half});
  } else {
    x1 = lastSlice(rotate, 0, half);
    x2 = lastSlice(rotate, half, half);
  }
  Value real = c.op<nn::SubOp>(
      {c.op<nn::MulOp>({cosV, x1}), c.op<nn::MulOp>({sinV, x2})});
  Value imag = c.op<nn::AddOp>(
      {c.op<nn::MulOp>({sinV, x1}), c.op<nn::MulOp>({cosV, x2})});
  Value rotated;
  if (interleaved)
    rotated =
        c.reshape(c.concat({c.reshape(real, {batch, seq, heads, half, 1}),
                            c.reshape(imag, {batch, seq, heads, half, 1})},
                           -1),
                  {batch, seq, heads, dim});
  else
    rotated = c.concat({real, imag}, -1);
  if (dim < size)
    rotated = c.concat({rotated, lastSlice(x, dim, size - dim)}, -1);
  return rotated;
}

Importer::Outputs Importer::convTranspose(Node &n) {
  Value x = n.in[0], w = n.in[1];
  Value bias = n.in.size() > 2 ? n.in[2] : Value();
  auto xt = tt(x), wt = tt(w);
  int64_t rank = xt.getRank();
  if (rank < 3 || rank > 5 || wt.getRank() != rank)
    return error(n) << "only 1-D, 2-D and 3-D ConvTranspose (3-D to 5-D input "
                       "and weight) is supported",
           failure();
  if (!xt.hasStaticShape() || !wt.hasStaticShape())
    return error(n) << "needs static shapes", failure();
  int64_t spatial = rank - 2;
  int64_t group = getInt(n, "group", 1);
  int64_t cin = xt.getDimSize(1);
  if (group <= 0 || cin % group || wt.getDimSize(0) != cin)
    return error(n) << "the weight " << wt << " must be [" << cin
                    << ", M / group, ...] with group " << group
                    << " dividing the " << cin << " input channels",
           failure();
  auto ints = [&](StringRef name, int64_t count,
                  int64_t def) -> std::optional<SmallVector<int64_t>> {
    auto v = getInts(n, name);
    if (!v)
      return SmallVector<int64_t>(size_t(count), def);
    if (int64_t(v->size()) != count)
      return std::nullopt;
    return v;
  };
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  auto ks = ints("kernel_shape", spatial, 0);
  auto strides = ints("strides", spatial, 1);
  auto dilations = ints("dilations", spatial, 1);
  auto outPad = ints("output_padding", spatial, 0);
  auto pads = ints("pads", 2 * spatial, 0);
  if (!ks || !strides || !dilations || !outPad || !pads)
    return error(n) << "kernel_shape, strides, dilations and output_padding "
                       "need one entry per spatial axis and pads two",
           failure();
  if (getInts(n, "kernel_shape") && *ks != kernel)
    return error(n) << "kernel_shape differs from the weight's", failure();
  for (int64_t i = 0; i < spatial; ++i)
    if ((*strides)[size_t(i)] < 1 || (*dilations)[size_t(i)] < 1 ||
        (*outPad)[size_t(i)] < 0)
      return error(n) << "strides and dilations must be positive and "
                         "output_padding non-negative",
             failure();
  std::string autoPad = getString(n, "auto_pad", "NOTSET");
  auto outShape = getInts(n, "output_shape");
  if (outShape && int64_t(outShape->size()) != spatial)
    return error(n) << "output_shape needs one entry per spatial axis",
           failure();
  // Pads [begin..., end...] as ONNX's reference resolves them.
  SmallVector<int64_t> begin(static_cast<size_t>(spatial), 0),
      end(static_cast<size_t>(spatial), 0);
  for (int64_t i = 0; i < spatial; ++i) {
    size_t u = size_t(i);
    int64_t in = xt.getDimSize(i + 2), s = (*strides)[u], d = (*dilations)[u];
    int64_t natural = s * (in - 1) + (*outPad)[u] + (kernel[u] - 1) * d + 1;
    if ((autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") &&
        !getInts(n, "pads")) {
      int64_t want = outShape ? (*outShape)[u] : in * s;
      int64_t total = natural - want;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor
      begin[u] = autoPad == "SAME_UPPER" ? half : total - half;
      end[u] = total - begin[u];
    } else if (autoPad == "NOTSET" || autoPad == "VALID") {
      begin[u] = autoPad == "VALID" ? 0 : (*pads)[u];
      end[u] = autoPad == "VALID" ? 0 : (*pads)[u + size_t(spatial)];
      if (outShape) // the output extended or cut at the end
        end[u] -= (*outShape)[u] - (natural - begin[u] - end[u]);
    } else {
      return error(n) << "unknown auto_pad '" << autoPad << "'", failure();
    }
    if (natural - begin[u] - end[u] <= 0)
      return error(n) << "the output's spatial axis " << i << " is empty",
             failure();
  }
  Chain c{*this, n};
  Type elem = xt.getElementType();
  // 1-D: a height of 1 (stride, dilation 1, no padding there).
  bool oneD = rank == 3;
  if (oneD) {
    auto lx = liftTo2D(n, x), lw = liftTo2D(n, w);
    if (failed(lx) || failed(lw))
      return failure();
    x = *lx;
    w = *lw;
    kernel.insert(kernel.begin(), 1);
    strides->insert(strides->begin(), 1);
    dilations->insert(dilations->begin(), 1);
    outPad->insert(outPad->begin(), 0);
    begin.insert(begin.begin(), 0);
    end.insert(end.begin(), 0);
  }
  auto shape = [&](Value v) { return SmallVector<int64_t>(tt(v).getShape()); };
  int64_t sp = int64_t(kernel.size()); // 2 or 3 spatial axes from here
  SmallVector<int64_t> ones(size_t(sp + 2), 1), zerosAt(size_t(sp + 2), 0);
  // Zeros between the elements: [N, C, H, 1, W, 1] widened with zeros to
  // [N, C, H, sH, W, sW], flattened, the trailing zeros cut (and so for D).
  if (llvm::any_of(*strides, [](int64_t st) { return st > 1; })) {
    SmallVector<int64_t> s0 = shape(x), spread{s0[0], s0[1]},
                         merged{s0[0], s0[1]}, cut{s0[0], s0[1]};
    for (int64_t i = 0; i < sp; ++i) {
      int64_t d = s0[size_t(i + 2)], st = (*strides)[size_t(i)];
      spread.append({d, 1});
      merged.push_back(d * st);
      cut.push_back((d - 1) * st + 1);
    }
    Value v = c.reshape(x, spread);
    for (int64_t i = 0; i < sp && !c.failed; ++i) {
      int64_t axis = 3 + 2 * i, st = (*strides)[size_t(i)];
      if (st == 1)
        continue;
      SmallVector<int64_t> zs = shape(v);
      zs[size_t(axis)] = st - 1;
      Value zeros = c.op<nn::ExpandOp>(
          {c.scalar(elem, 0.0)}, {named("shape", b.getDenseI64ArrayAttr(zs))});
      v = c.concat({v, zeros}, axis);
    }
    x = c.slice(c.reshape(v, merged), zerosAt, ones, cut);
  }
  if (c.failed)
    return failure();
  // Conv pads; negative ones crop the input first.
  SmallVector<int64_t> convPads(size_t(2 * sp)), starts(size_t(sp + 2), 0),
      sizes = shape(x);
  bool crop = false;
  for (int64_t i = 0; i < sp; ++i) {
    size_t u = size_t(i);
    int64_t span = (kernel[u] - 1) * (*dilations)[u];
    int64_t lo = span - begin[u], hi = span - end[u] + (*outPad)[u];
    if (lo < 0) {
      starts[u + 2] = -lo;
      sizes[u + 2] += lo;
      lo = 0;
      crop = true;
    }
    if (hi < 0) {
      sizes[u + 2] += hi;
      hi = 0;
      crop = true;
    }
    convPads[u] = lo;
    convPads[u + size_t(sp)] = hi;
  }
  if (crop)
    x = c.slice(x, starts, ones, sizes);
  // [C, M/g, k...] -> [g, C/g, M/g, k...] -> [g, M/g, C/g, k...] ->
  // [M, C/g, k...], flipped in every spatial axis.
  SmallVector<int64_t> ws = shape(w);
  int64_t mg = ws[1], cg = cin / group;
  SmallVector<int64_t> grouped{group, cg, mg}, perm{0, 2, 1},
      regrouped{group * mg, cg}, flipStart{0, 0}, flipStep{1, 1};
  for (int64_t i = 0; i < sp; ++i) {
    int64_t k = ws[size_t(i + 2)];
    grouped.push_back(k);
    perm.push_back(3 + i);
    regrouped.push_back(k);
    flipStart.push_back(k - 1);
    flipStep.push_back(-1);
  }
  Value v = c.transpose(c.reshape(w, grouped), perm);
  v = c.reshape(v, regrouped);
  Value flipped = c.slice(v, flipStart, flipStep, regrouped);
  if (c.failed)
    return failure();
  if (sp == 3)
    return conv3DOf(n, x, flipped, bias,
                    Window{kernel, {1, 1, 1}, *dilations, convPads}, group);
  SmallVector<Value> ops{x, flipped};
  if (bias)
    ops.push_back(bias);
  auto conv =
      build<nn::ConvOp>(n, ops,
                        {named("strides", b.getDenseI64ArrayAttr({1, 1})),
                         named("pads", b.getDenseI64ArrayAttr(convPads)),
                         named("dilations", b.getDenseI64ArrayAttr(*dilations)),
                         named("group", b.getI64IntegerAttr(group))});
  if (failed(conv))
    return failure();
  return dropHeight(n, (*conv)->getResult(0), oneD);
}

Importer::Outputs Importer::pad(Node &n) {
  Value x = n.in[0];
  int64_t rank = tt(x).getRank();
  std::string mode = getString(n, "mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      mode != "wrap")
    return error(n) << "unknown mode '" << mode
                    << "' (expected constant, edge, reflect or wrap)",
           failure();
  auto pads = constInts(n, 1, "pads");
  if (!pads)
    return failure();
  SmallVector<int64_t> axes;
  if (n.in.size() > 3 && n.in[3]) {
    auto a = constInts(n, 3, "axes");
    if (!a)
      return failure();
    axes = *a;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads->size() != 2 * axes.size())
    return error(n) << "pads has " << pads->size() << " entries, expected "
                    << 2 * axes.size() << " (a begin and an end per axis)",
           failure();
  Type elem = tt(x).getElementType();
  Attribute fill = b.getZeroAttr(elem);
  if (mode == "constant" && n.in.size() > 2 && n.in[2]) {
    DenseElementsAttr cv = constantOf(n.in[2]);
    if (!cv || cv.getNumElements() != 1)
      return error(n) << "constant_value must be a constant scalar", failure();
    fill = *cv.getValues<Attribute>().begin();
  }
  Chain c{*this, n};
  auto slice = [&](Value v, int64_t axis, int64_t start, int64_t step,
                   int64_t size) {
    SmallVector<int64_t> starts(size_t(rank), 0), steps(size_t(rank), 1),
        sizes(tt(v).getShape());
    starts[size_t(axis)] = start;
    steps[size_t(axis)] = step;
    sizes[size_t(axis)] = size;
    return c.slice(v, starts, steps, sizes);
  };
  llvm::SmallDenseSet<int64_t> seen;
  for (size_t i = 0; i < axes.size(); ++i) {
    auto a = nn::normalizeAxis(axes[i], rank);
    if (!a || !seen.insert(*a).second)
      return error(n) << "axis " << axes[i] << " is out of range or repeated",
             failure();
    int64_t axis = *a, before = (*pads)[i], after = (*pads)[i + axes.size()];
    int64_t dim = tt(x).getDimSize(axis);
    // Negative pads crop.
    if (before < 0 || after < 0) {
      int64_t cb = std::max<int64_t>(0, -before),
              ce = std::max<int64_t>(0, -after);
      if (cb + ce > dim)
        return error(n) << "pads crop " << cb + ce << " elements from axis "
                        << axis << " of size " << dim,
               failure();
      x = slice(x, axis, cb, 1, dim - cb - ce);
      if (!x)
        return failure();
      dim -= cb + ce;
      before = std::max<int64_t>(0, before);
      after = std::max<int64_t>(0, after);
    }
    if (before == 0 && after == 0)
      continue;
    StringRef m = mode;
    // A single element reflects into itself (NumPy's reflect).
    if (m == "reflect" && dim == 1)
      m = "edge";
    if ((m == "reflect" && std::max(before, after) > dim - 1) ||
        (m != "constant" && dim == 0) ||
        (m == "wrap" && std::max(before, after) > dim))
      return error(n) << mode << " padding of " << std::max(before, after)
                      << " along axis " << axis << " of size " << dim
                      << " is not supported (at most "
                      << (m == "reflect" ? dim - 1 : dim) << ")",
             failure();
    auto piece = [&](int64_t count, bool isBefore) -> Value {
      SmallVector<int64_t> shape(tt(x).getShape());
      shape[size_t(axis)] = count;
      if (m == "constant")
        return constant(n.loc, DenseElementsAttr::get(
                                   RankedTensorType::get(shape, elem), fill));
      if (m == "edge")
        return c.op<nn::ExpandOp>(
            {slice(x, axis, isBefore ? 0 : dim - 1, 1, 1)},
            {named("shape", b.getDenseI64ArrayAttr(shape))});
      if (m == "reflect") // x[count .. 1] before, x[dim - 2 .. dim - 1 - count]
                          // after
        return slice(x, axis, isBefore ? count : dim - 2, -1, count);
      // wrap: the last `count` before, the first `count` after.
      return slice(x, axis, isBefore ? dim - count : 0, 1, count);
    };
    SmallVector<Value> parts;
    if (before)
      parts.push_back(piece(before, true));
    parts.push_back(x);
    if (after)
      parts.push_back(piece(after, false));
    x = c.concat(parts, axis);
    if (!x)
      return failure();
  }
  return c.result(x);
}

Importer::Outputs Importer::resize(Node &n) {
  Value x = n.in[0];
  auto xt = tt(x);
  int64_t rank = xt.getRank();
  std::string mode = getString(n, "mode", "nearest");
  std::string ctm =
      getString(n, "coordinate_transformation_mode", "half_pixel");
  std::string nearestMode = getString(n, "nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return error(n) << "unknown mode '" << mode << "'", failure();
  if (ctm != "half_pixel" && ctm != "pytorch_half_pixel" &&
      ctm != "align_corners" && ctm != "asymmetric" &&
      ctm != "half_pixel_symmetric" && ctm != "tf_crop_and_resize")
    return error(n) << "unknown coordinate_transformation_mode '" << ctm << "'",
           failure();
  if (nearestMode != "round_prefer_floor" &&
      nearestMode != "round_prefer_ceil" && nearestMode != "floor" &&
      nearestMode != "ceil")
    return error(n) << "unknown nearest_mode '" << nearestMode << "'",
           failure();
  bool antialias = getInt(n, "antialias", 0) != 0;
  if (antialias && mode == "nearest")
    return error(n) << "antialias needs linear or cubic mode", failure();
  std::string policy = getString(n, "keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
    return error(n) << "unknown keep_aspect_ratio_policy '" << policy << "'",
           failure();
  if (mode != "nearest" && !llvm::isa<FloatType>(xt.getElementType()))
    return error(n) << mode << " resizing needs a float input", failure();
  bool excludeOutside = getInt(n, "exclude_outside", 0);
  SmallVector<int64_t> axes;
  if (auto a = getInts(n, "axes")) {
    for (int64_t v : *a) {
      auto na = nn::normalizeAxis(v, rank);
      if (!na || llvm::is_contained(axes, *na))
        return error(n) << "axis " << v << " is out of range or repeated",
               failure();
      axes.push_back(*na);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  // Scales (input 2) or sizes (input 3), constants.
  SmallVector<double> scale(size_t(rank), 1.0);
  SmallVector<int64_t> outSize(xt.getShape());
  bool haveScales =
      n.in.size() > 2 && n.in[2] && tt(n.in[2]).getNumElements() > 0;
  bool haveSizes = n.in.size() > 3 && n.in[3];
  if (haveScales == haveSizes)
    return error(n) << "exactly one of scales and sizes must be given",
           failure();
  if (haveScales) {
    DenseElementsAttr c = constantOf(n.in[2]);
    if (!c || !llvm::isa<FloatType>(c.getElementType()))
      return error(n) << "scales must be a constant float tensor", failure();
    SmallVector<double> v;
    for (const APFloat &f : c.getValues<APFloat>())
      v.push_back(f.convertToDouble());
    if (v.size() != axes.size())
      return error(n) << "scales has " << v.size() << " entries, expected "
                      << axes.size(),
             failure();
    for (size_t i = 0; i < axes.size(); ++i) {
      if (!(v[i] > 0))
        return error(n) << "scales must be positive", failure();
      scale[size_t(axes[i])] = v[i];
      outSize[size_t(axes[i])] = int64_t(v[i] * double(xt.getDimSize(axes[i])));
    }
  } else {
    auto v = constInts(n, 3, "sizes");
    if (!v)
      return failure();
    if (v->size() != axes.size())
      return error(n) << "sizes has " << v->size() << " entries, expected "
                      << axes.size(),
             failure();
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t a = axes[i];
      if ((*v)[i] <= 0 || xt.getDimSize(a) <= 0)
        return error(n) << "sizes must be positive", failure();
      outSize[size_t(a)] = (*v)[i];
      scale[size_t(a)] = double((*v)[i]) / double(xt.getDimSize(a));
    }
    if (policy != "stretch") {
      // One scale for every axis: the smallest (not_larger) or largest
      // (not_smaller) ratio; sizes rounded half up.
      double common = scale[size_t(axes[0])];
      for (int64_t a : axes)
        common = policy == "not_larger" ? std::min(common, scale[size_t(a)])
                                        : std::max(common, scale[size_t(a)]);
      for (int64_t a : axes) {
        scale[size_t(a)] = common;
        outSize[size_t(a)] = int64_t(common * double(xt.getDimSize(a)) + 0.5);
      }
    }
  }
  // tf_crop_and_resize: the region of interest per axis, [start, end] in
  // normalized coordinates (starts of `axes`, then ends).
  SmallVector<double> roiStart(size_t(rank), 0.0), roiEnd(size_t(rank), 1.0);
  if (ctm == "tf_crop_and_resize") {
    DenseElementsAttr r =
        n.in.size() > 1 && n.in[1] ? constantOf(n.in[1]) : DenseElementsAttr();
    if (!r || !llvm::isa<FloatType>(r.getElementType()) ||
        r.getNumElements() != int64_t(2 * axes.size()))
      return error(n) << "tf_crop_and_resize needs a constant float roi of "
                      << 2 * axes.size() << " values",
             failure();
    SmallVector<double> v;
    for (const APFloat &f : r.getValues<APFloat>())
      v.push_back(f.convertToDouble());
    for (size_t i = 0; i < axes.size(); ++i) {
      roiStart[size_t(axes[i])] = v[i];
      roiEnd[size_t(axes[i])] = v[axes.size() + i];
    }
  }
  double extrapolation = getFloat(n, "extrapolation_value", 0.0f);
  double cubicA = getFloat(n, "cubic_coeff_a", -0.75f);
  Chain c{*this, n};
  Type elem = xt.getElementType();
  // Inner axes first, as the reference's recursion.
  for (int64_t a = rank - 1; a >= 0; --a) {
    int64_t in = xt.getDimSize(a), out = outSize[size_t(a)];
    double sc = scale[size_t(a)];
    if (out <= 0)
      return error(n) << "axis " << a << " would be resized to " << out
                      << " elements",
             failure();
    double outWidth = sc * double(in);
    size_t count = size_t(out);
    SmallVector<int64_t> i0(count);
    // linear / cubic: `taps` neighbours per output position, their indices
    // (clamped into the axis, as the reference's edge padding) and weights;
    // `outside` the tf_crop_and_resize positions that take the
    // extrapolation value.
    double down = std::min(sc, 1.0);
    int64_t first = 0, taps = 0;
    if (mode == "linear")
      first = antialias ? int64_t(std::floor(-1.0 / down)) + 1 : 0;
    if (mode == "cubic")
      first = antialias ? int64_t(std::floor(-2.0 / down)) + 1 : -1;
    taps = 2 - 2 * first;
    std::vector<SmallVector<int64_t>> index(static_cast<size_t>(taps),
                                            SmallVector<int64_t>(count, 0));
    std::vector<SmallVector<double>> weight(static_cast<size_t>(taps),
                                            SmallVector<double>(count, 0.0));
    SmallVector<bool> outside(count, false);
    bool identity = out == in;
    for (int64_t o = 0; o < out; ++o) {
      double xo = double(o), orig;
      if (ctm == "tf_crop_and_resize") {
        double lo = roiStart[size_t(a)], hi = roiEnd[size_t(a)];
        orig = outWidth == 1 ? (hi - lo) * double(in - 1) / 2
                             : xo * (hi - lo) * double(in - 1) / (outWidth - 1);
        orig += lo * double(in - 1);
        if (orig < 0 || orig > double(in - 1)) {
          outside[size_t(o)] = true;
          identity = false;
          if (mode == "nearest")
            i0[size_t(o)] = 0;
          continue;
        }
      } else if (ctm == "align_corners")
        orig = outWidth == 1 ? 0.0 : xo * double(in - 1) / (outWidth - 1);
      else if (ctm == "asymmetric")
        orig = xo / sc;
      else if (ctm == "pytorch_half_pixel")
        orig = outWidth == 1 ? -0.5 : (xo + 0.5) / sc - 0.5;
      else if (ctm == "half_pixel")
        orig = (xo + 0.5) / sc - 0.5;
      else { // half_pixel_symmetric
        double adjustment = double(out) / outWidth;
        double offset = double(in) / 2 * (1 - adjustment);
        orig = offset + (xo + 0.5) / sc - 0.5;
      }
      double fl = std::floor(orig), ratio = orig - fl;
      auto clampIdx = [&](double v) {
        return int64_t(std::clamp(v, 0.0, double(in - 1)));
      };
      if (mode == "nearest") {
        bool up = ratio == 0.0                          ? false
                  : nearestMode == "round_prefer_floor" ? ratio > 0.5
                  : nearestMode == "round_prefer_ceil"  ? ratio >= 0.5
                                                        : nearestMode == "ceil";
        i0[size_t(o)] = clampIdx(up ? fl + 1 : fl);
        identity = identity && i0[size_t(o)] == o;
        continue;
      }
      // The reference's ratio is in (0, 1]: an integer coordinate is 1
      // past the neighbour below it.
      double base = ratio == 0.0 ? fl - 1 : fl;
      double r = ratio == 0.0 ? 1.0 : ratio;
      double sum = 0.0;
      for (int64_t t = 0; t < taps; ++t) {
        double off = double(first + t), w;
        if (mode == "linear") {
          w = antialias ? std::clamp(1 - std::abs((off - r) * down), 0.0, 1.0)
                        : (t == 0 ? 1 - r : r);
        } else {
          // Keys' cubic convolution of the distance, a = cubic_coeff_a.
          double d = std::abs(antialias ? (off - r) * down : off - r);
          double d2 = d * d, d3 = d2 * d, A = cubicA;
          w = d <= 1  ? (A + 2) * d3 - (A + 3) * d2 + 1
              : d < 2 ? A * d3 - 5 * A * d2 + 8 * A * d - 4 * A
                      : 0.0;
        }
        double tap = base + off;
        if (excludeOutside && (tap < 0 || tap > double(in - 1)))
          w = 0.0;
        index[size_t(t)][size_t(o)] = clampIdx(tap);
        weight[size_t(t)][size_t(o)] = w;
        sum += w;
      }
      if (antialias || excludeOutside)
        for (int64_t t = 0; t < taps; ++t)
          weight[size_t(t)][size_t(o)] /= sum;
      for (int64_t t = 0; t < taps; ++t) {
        double w = weight[size_t(t)][size_t(o)];
        identity = identity &&
                   (index[size_t(t)][size_t(o)] == o ? w == 1.0 : w == 0.0);
      }
    }
    if (identity)
      continue;
    auto idxType = RankedTensorType::get({out}, b.getI64Type());
    auto gather = [&](ArrayRef<int64_t> idx) {
      Value iv = constant(n.loc, DenseElementsAttr::get(idxType, idx));
      return c.op<nn::GatherOp>({x, iv},
                                {named("axis", b.getI64IntegerAttr(a))});
    };
    SmallVector<int64_t> wShape(size_t(rank), 1);
    wShape[size_t(a)] = out;
    // tf_crop_and_resize's extrapolated positions: (0 * ...) + value.
    SmallVector<double> extra(count, 0.0);
    bool anyOutside = false;
    for (size_t o = 0; o < count; ++o)
      if (outside[o]) {
        extra[o] = extrapolation;
        anyOutside = true;
      }
    if (mode == "nearest") {
      Value g = gather(i0);
      if (anyOutside) {
        SmallVector<double> keep;
        for (bool out : outside)
          keep.push_back(out ? 0.0 : 1.0);
        g = c.op<nn::AddOp>(
            {c.op<nn::MulOp>({g, floatConstant(n.loc, elem, keep, wShape)}),
             floatConstant(n.loc, elem, extra, wShape)});
      }
      x = g;
    } else {
      // sum over the taps of weight * x[index], c0 v0 + c1 v1 + ...
      Value sum;
      for (int64_t t = 0; t < taps; ++t) {
        if (llvm::all_of(weight[size_t(t)], [](double w) { return w == 0.0; }))
          continue;
        Value term = c.op<nn::MulOp>(
            {gather(index[size_t(t)]),
             floatConstant(n.loc, elem, weight[size_t(t)], wShape)});
        sum = sum ? c.op<nn::AddOp>({sum, term}) : term;
      }
      if (anyOutside)
        sum =
            sum ? c.op<nn::AddOp>(
                      {sum, floatConstant(n.loc, elem, extra, wShape)})
                : c.op<nn::AddOp>(
                      {c.op<nn::MulOp>({gather(index[0]),
                                        floatConstant(n.loc, elem, {0.0}, {})}),
                       floatConstant(n.loc, elem, extra, wShape)});
      x = sum;
    }
    if (!x)
      return failure();
  }
  return c.result(x);
}

/// com.microsoft MatMulNBits: y = A * dequant(B)^T (+ bias) with B the
/// [N, K] weight quantized per block of `block_size` along K in `bits`-bit
/// unsigned codes (zero point 2^(bits-1) when absent), imported as the
/// [K, N] codes B^T (a qc.constant, blocks along axis 0) so that
/// nn.matmul(A, qc.dequantize(B^T)) is the CPU's weight-only kernel form.
Importer::Outputs Importer::matMulNBits(Node &n) {
  int64_t k = getInt(n, "K", 0), nOut = getInt(n, "N", 0);
  int64_t bits = getInt(n, "bits", 4), block = getInt(n, "block_size", 0);
  if (k <= 0 || nOut <= 0 || block <= 0 || bits < 2 || bits > 8)
    return error(n) << "needs positive K, N, block_size and 2 <= bits <= 8",
           failure();
  int64_t weights;
  if (llvm::MulOverflow(k, nOut, weights) ||
      llvm::MulOverflow(weights, bits, weights))
    return error(n) << "N x K x bits does not fit in int64", failure();
  if (n.proto.input_size() > 4 && !n.proto.input(4).empty())
    return error(n) << "g_idx (act-order) is not supported", failure();
  auto initializerOf = [&](int i) -> const onnx::TensorProto * {
    return i < n.proto.input_size() && !n.proto.input(i).empty()
               ? initializers.lookup(n.proto.input(i))
               : nullptr;
  };
  const onnx::TensorProto *bp = initializerOf(1);
  const onnx::TensorProto *sp = initializerOf(2);
  const onnx::TensorProto *zp = initializerOf(3);
  if (!bp || !sp)
    return error(n) << "B and scales must be initializers", failure();
  // K not a multiple of block_size: the last block is padded (B holds its
  // codes, A is padded with zeros to kp columns).
  int64_t blocks = (k + block - 1) / block, kp = blocks * block;
  int64_t bytes = elementCount(*bp);
  auto packed = rawIntegers(*bp, bytes);
  if (!packed)
    return error(n) << "B must be a uint8 tensor whose data matches its shape",
           failure();
  if (bytes != nOut * blocks * (block * bits / 8))
    return error(n) << "B has " << bytes << " bytes, expected N x "
                    << "ceil(K / block_size) x (block_size x bits / 8) = "
                    << nOut * blocks * (block * bits / 8),
           failure();
  auto scales = rawFloats(*sp, nOut * blocks);
  if (!scales)
    return error(n) << "scales must hold N x ceil(K / block_size) = "
                    << nOut * blocks << " float values",
           failure();
  // Codes: a little-endian bit stream per [n][block].
  std::vector<uint8_t> raw(packed->begin(), packed->end());
  std::vector<uint32_t> codes(size_t(nOut * kp));
  num::unpackBits(raw.data(), codes.size(), unsigned(bits), codes.data());
  std::vector<int32_t> zps(size_t(nOut * blocks), int32_t(1) << (bits - 1));
  if (zp) {
    if (zp->data_type() != kUint8)
      return error(n) << "only packed uint8 zero points are supported",
             failure();
    int64_t perRow = (blocks * bits + 7) / 8, count = elementCount(*zp);
    auto zraw = rawIntegers(*zp, count);
    if (!zraw || count != nOut * perRow)
      return error(n) << "zero points do not match N and the block count",
             failure();
    std::vector<uint8_t> zb(zraw->begin(), zraw->end());
    for (int64_t row = 0; row < nOut; ++row) {
      std::vector<uint32_t> z(static_cast<size_t>(blocks));
      num::unpackBits(zb.data() + row * perRow, size_t(blocks), unsigned(bits),
                      z.data());
      for (int64_t blk = 0; blk < blocks; ++blk)
        zps[size_t(row * blocks + blk)] = int32_t(z[size_t(blk)]);
    }
  }
  // The weight as [K, N] (blocks along K): the layout of nn.matmul's
  // right operand, which the CPU's weight-only kernel reads packed.
  auto format = IntFormatAttr::get(ctx, unsigned(bits), false, false);
  auto scheme = SchemeAttr::get(ctx, Granularity::per_block, 0, block,
                                FloatFormatAttr(), /*asymmetric=*/true, false);
  auto qt = QTensorType::get(ctx, {kp, nOut}, format, scheme);
  std::vector<APInt> vals;
  vals.reserve(codes.size());
  for (int64_t kk = 0; kk < kp; ++kk)
    for (int64_t col = 0; col < nOut; ++col)
      vals.emplace_back(unsigned(bits), uint64_t(codes[size_t(col * kp + kk)]),
                        false);
  std::vector<float> scalesT(scales->size());
  std::vector<int32_t> zpsT(zps.size());
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t col = 0; col < nOut; ++col) {
      scalesT[size_t(blk * nOut + col)] = (*scales)[size_t(col * blocks + blk)];
      zpsT[size_t(blk * nOut + col)] = zps[size_t(col * blocks + blk)];
    }
  Value w = b.create<ConstantOp>(
      n.loc, qt, DenseIntElementsAttr::get(qt.getStorageType(), vals));
  Value s = constant(n.loc, DenseElementsAttr::get(qt.getScaleType(),
                                                   ArrayRef<float>(scalesT)));
  Value z = constant(n.loc, DenseElementsAttr::get(qt.getZeroPointType(),
                                                   ArrayRef<int32_t>(zpsT)));
  OperationState state(n.loc, DequantizeOp::getOperationName());
  state.addOperands({w, s, z});
  state.addAttribute(DequantizeOp::getOperandSegmentSizesAttrName(state.name),
                     b.getDenseI32ArrayAttr({1, 1, 1, 0}));
  state.addTypes(qt.getExpressedType(b.getF32Type()));
  Value wf = b.create(state)->getResult(0);
  // float16 / bfloat16 models: as onnxruntime's CPU kernel, compute in f32
  // (A, scales and bias widen exactly) and round the result once.
  Type aElem = tt(n.in[0]).getElementType();
  auto a = widenToF32(n, n.in[0], "A");
  if (failed(a))
    return failure();
  Value lhs = *a;
  if (kp > k) { // zeros in the padded columns
    auto at = tt(lhs);
    if (!at.hasStaticShape() || at.getRank() < 1 || at.getShape().back() != k)
      return error(n) << "A must have a static shape [..., K = " << k
                      << "], got " << at,
             failure();
    SmallVector<int64_t> padShape(at.getShape());
    padShape.back() = kp - k;
    Chain c{*this, n};
    lhs = c.concat({lhs, zeros(n.loc, b.getF32Type(), padShape)},
                   at.getRank() - 1);
    if (c.failed)
      return failure();
  }
  // accuracy_level 4 with 4- or 8-bit weights: onnxruntime's CPU kernel
  // quantizes A to int8 per block of block_size along K (symmetric,
  // s = absmax / 127) and takes integer dot products per block; here A
  // becomes its int8 fake-quantized values, marked qc.integer_dot: the
  // CPU target's kernel multiplies the codes (see qc-x86-fuse-weight-only).
  if (getInt(n, "accuracy_level", 0) == 4 && (bits == 4 || bits == 8) &&
      !opts.matMulNBitsFloatActivations) {
    auto at = tt(lhs);
    if (!at.hasStaticShape() || at.getRank() < 1 || at.getShape().back() != kp)
      return error(n) << "accuracy_level 4 needs A of static shape [..., K] "
                      << "(or --matmulnbits-float-activations), got " << at,
             failure();
    auto aScheme = SchemeAttr::get(ctx, Granularity::per_block,
                                   at.getRank() - 1, block, FloatFormatAttr(),
                                   /*asymmetric=*/false, /*dynamic=*/true);
    auto aq = QTensorType::get(
        ctx, at.getShape(), IntFormatAttr::get(ctx, 8, true, false), aScheme);
    auto cs = b.create<ComputeScalesOp>(n.loc, aq.getScaleType(), Type(),
                                        Type(), lhs, aq, FloatAttr());
    auto fq = b.create<FakeQuantOp>(n.loc, at, lhs, cs.getScales(), Value(),
                                    Value(), aq, RoundingMode::nearest_even, 0);
    // onnxruntime's int8 compute: integer dot products of the codes.
    fq->setAttr("qc.integer_dot", b.getUnitAttr());
    lhs = fq;
  }
  auto y = build<nn::MatMulOp>(n, {lhs, wf});
  if (failed(y))
    return failure();
  Value out = (*y)->getResult(0);
  if (n.in.size() > 5 && n.in[5]) {
    if (tt(n.in[5]).getElementType() != aElem)
      return error(n) << "bias must have A's element type " << aElem, failure();
    auto bias = widenToF32(n, n.in[5], "bias");
    if (failed(bias))
      return failure();
    auto add = build<nn::AddOp>(n, {out, *bias});
    if (failed(add))
      return failure();
    out = (*add)->getResult(0);
  }
  auto result = castTo(n, out, aElem);
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// QONNX rounding_mode attribute to a qc rounding mode.
static std::optional<RoundingMode> qonnxRounding(StringRef mode) {
  if (mode == "ROUND" || mode == "HALF_EVEN")
    return RoundingMode::nearest_even;
  if (mode == "CEIL")
    return RoundingMode::ceil;
  if (mode == "FLOOR")
    return RoundingMode::floor;
  if (mode == "ROUND_TO_ZERO")
    return RoundingMode::toward_zero;
  return std::nullopt;
}

FailureOr<Value> Importer::fakeQuantInt(Node &n, Value x,
                                        ArrayRef<float> scaleValues,
                                        ArrayRef<int64_t> scaleShape,
                                        int64_t bits, bool isSigned,
                                        bool narrow, RoundingMode mode) {
  auto xt = tt(x);
  // The scale broadcasts to x: per tensor, or per axis along its one
  // non-unit dimension.
  SmallVector<int64_t> nonUnit;
  size_t off = size_t(xt.getRank()) - scaleShape.size();
  if (scaleShape.size() > size_t(xt.getRank()))
    return error(n) << "scale has a higher rank than the input", failure();
  for (size_t i = 0; i < scaleShape.size(); ++i)
    if (scaleShape[i] != 1)
      nonUnit.push_back(int64_t(off + i));
  Granularity g = Granularity::per_tensor;
  int64_t axis = 0;
  if (nonUnit.size() > 1)
    return error(n) << "scale of shape [" << scaleShape
                    << "] varies along more than one axis",
           failure();
  if (nonUnit.size() == 1) {
    axis = nonUnit[0];
    if (scaleShape[size_t(axis) - off] != xt.getDimSize(axis))
      return error(n) << "scale does not broadcast to the input", failure();
    g = Granularity::per_axis;
  }
  Attribute format;
  if (bits == 0) {
    format = floatFormatOverride;
  } else {
    if (bits < 1 || bits > 32 || (isSigned && narrow && bits < 2))
      return error(n) << "unsupported bit width " << bits, failure();
    format = IntFormatAttr::get(ctx, unsigned(bits), isSigned, narrow);
  }
  auto qt = QTensorType::getChecked(
      [&] { return error(n); }, ctx, xt.getShape(), format,
      SchemeAttr::get(ctx, g, axis, 0, FloatFormatAttr(), false, false));
  if (!qt)
    return failure();
  Value s =
      constant(n.loc, DenseElementsAttr::get(qt.getScaleType(), scaleValues));
  OperationState state(n.loc, FakeQuantOp::getOperationName());
  state.addOperands({x, s});
  state.addAttribute(FakeQuantOp::getOperandSegmentSizesAttrName(state.name),
                     b.getDenseI32ArrayAttr({1, 1, 0, 0}));
  state.addAttribute("quant_type", TypeAttr::get(qt));
  state.addAttribute("rounding", RoundingModeAttr::get(ctx, mode));
  state.addTypes(xt);
  return b.create(state)->getResult(0);
}

/// QONNX Quant(x, scale, zeropt, bitwidth): fake quantization to an integer
/// of `bitwidth` bits (signed / narrow attributes, rounding_mode).
Importer::Outputs Importer::qonnxQuant(Node &n) {
  if (n.in.size() < 4)
    return error(n) << "expects x, scale, zeropt and bitwidth", failure();
  DenseElementsAttr scale = constantOf(n.in[1]), zp = constantOf(n.in[2]),
                    bw = constantOf(n.in[3]);
  if (!scale || !zp || !bw || !llvm::isa<FloatType>(scale.getElementType()) ||
      !llvm::isa<FloatType>(zp.getElementType()) ||
      !llvm::isa<FloatType>(bw.getElementType()) || bw.getNumElements() != 1)
    return error(n) << "scale, zeropt and bitwidth must be float constants "
                       "(bitwidth a single value)",
           failure();
  for (const APFloat &z : zp.getValues<APFloat>())
    if (!z.isZero())
      return error(n) << "non-zero zero points are not supported (QONNX "
                         "rounds after adding them, qc before)",
             failure();
  double bits = (*bw.getValues<APFloat>().begin()).convertToDouble();
  if (bits != std::floor(bits))
    return error(n) << "bitwidth " << bits << " is not an integer", failure();
  auto mode = qonnxRounding(getString(n, "rounding_mode", "ROUND"));
  if (!mode)
    return error(n) << "rounding_mode '"
                    << getString(n, "rounding_mode", "ROUND")
                    << "' is not supported",
           failure();
  std::vector<float> sv;
  for (const APFloat &v : scale.getValues<APFloat>())
    sv.push_back(v.convertToFloat());
  auto y = fakeQuantInt(n, n.in[0], sv, scale.getType().getShape(),
                        int64_t(bits), getInt(n, "signed", 1) != 0,
                        getInt(n, "narrow", 0) != 0, *mode);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

/// QONNX BipolarQuant(x, scale): +scale where x >= 0, -scale elsewhere.
Importer::Outputs Importer::qonnxBipolar(Node &n) {
  if (n.in.size() < 2 || !n.in[1])
    return error(n) << "expects x and scale", failure();
  auto xt = tt(n.in[0]);
  Value zero = constant(
      n.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, xt.getElementType()),
                             b.getFloatAttr(xt.getElementType(), 0.0)));
  auto neg = build<nn::LessOp>(n, {n.in[0], zero});
  auto minus = build<nn::NegOp>(n, {n.in[1]});
  if (failed(neg) || failed(minus))
    return failure();
  auto y = build<nn::WhereOp>(
      n, {(*neg)->getResult(0), (*minus)->getResult(0), n.in[1]});
  if (failed(y))
    return failure();
  Value out = (*y)->getResult(0);
  if (tt(out) != xt) {
    auto e = build<nn::ExpandOp>(
        n, {out}, {named("shape", b.getDenseI64ArrayAttr(xt.getShape()))});
    if (failed(e))
      return failure();
    out = (*e)->getResult(0);
  }
  return SmallVector<Value>{out};
}

/// QONNX Trunc(x, scale, zeropt, in_bits, out_bits): round to the input
/// grid, then drop in_bits - out_bits LSBs with rounding_mode (default
/// FLOOR), clipped to the output range (signed / narrow attributes).
Importer::Outputs Importer::qonnxTrunc(Node &n) {
  if (n.in.size() < 5)
    return error(n) << "expects x, scale, zeropt, in and out bit widths",
           failure();
  DenseElementsAttr scale = constantOf(n.in[1]), zp = constantOf(n.in[2]),
                    inBw = constantOf(n.in[3]), outBw = constantOf(n.in[4]);
  if (!scale || !zp || !inBw || !outBw ||
      !llvm::isa<FloatType>(scale.getElementType()))
    return error(n) << "scale, zeropt and bit widths must be constants",
           failure();
  for (const APFloat &z : zp.getValues<APFloat>())
    if (!z.isZero())
      return error(n) << "non-zero zero points are not supported", failure();
  int64_t in = int64_t((*inBw.getValues<APFloat>().begin()).convertToDouble());
  int64_t out =
      int64_t((*outBw.getValues<APFloat>().begin()).convertToDouble());
  auto mode = qonnxRounding(getString(n, "rounding_mode", "FLOOR"));
  if (!mode || in < out || in - out > 30)
    return error(n) << "unsupported rounding_mode or bit widths", failure();
  std::vector<float> sv, truncated;
  for (const APFloat &v : scale.getValues<APFloat>()) {
    sv.push_back(v.convertToFloat());
    truncated.push_back(v.convertToFloat() * float(int64_t(1) << (in - out)));
  }
  auto grid = fakeQuantInt(n, n.in[0], sv, scale.getType().getShape(), 32, true,
                           false, RoundingMode::nearest_even);
  if (failed(grid))
    return failure();
  auto y = fakeQuantInt(n, *grid, truncated, scale.getType().getShape(), out,
                        getInt(n, "signed", 1) != 0,
                        getInt(n, "narrow", 0) != 0, *mode);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

/// A number in %g form for diagnostics.
static std::string fmtG(double v) {
  std::string out;
  llvm::raw_string_ostream(out) << llvm::format("%g", v);
  return out;
}

/// QONNX FloatQuant(x, scale, exponent_bitwidth, mantissa_bitwidth,
/// exponent_bias, max_val): fake quantization to the minifloat those
/// parameters define; max_val must be that format's largest value.
Importer::Outputs Importer::qonnxFloatQuant(Node &n) {
  if (n.in.size() < 6)
    return error(n) << "expects x, scale, exponent and mantissa bit widths, "
                       "exponent bias and max_val",
           failure();
  DenseElementsAttr scale = constantOf(n.in[1]);
  std::optional<float> e = constScalarFloat(n, 2, "exponent_bitwidth");
  std::optional<float> m = constScalarFloat(n, 3, "mantissa_bitwidth");
  std::optional<float> bias = constScalarFloat(n, 4, "exponent_bias");
  std::optional<float> maxVal = constScalarFloat(n, 5, "max_val");
  if (!scale || !llvm::isa<FloatType>(scale.getElementType()) || !e || !m ||
      !bias || !maxVal)
    return error(n) << "scale and the format parameters must be constants",
           failure();
  bool hasInf = getInt(n, "has_inf", 0), hasNaN = getInt(n, "has_nan", 0);
  if (hasInf && !hasNaN)
    return error(n) << "has_inf without has_nan is not supported", failure();
  num::FloatFormat f;
  f.expBits = unsigned(*e);
  f.manBits = unsigned(*m);
  f.bias = int(*bias);
  f.specials = hasInf   ? num::FloatSpecials::IEEE
               : hasNaN ? num::FloatSpecials::NaNOnly
                        : num::FloatSpecials::None;
  f.subnormals = getInt(n, "has_subnormal", 1) != 0;
  f.saturate = getInt(n, "saturation", 1) != 0;
  if (failed(FloatFormatAttr::verify([&] { return error(n); }, f.expBits,
                                     f.manBits, f.bias,
                                     hasInf   ? FloatSpecials::ieee
                                     : hasNaN ? FloatSpecials::fn
                                              : FloatSpecials::none,
                                     f.subnormals, f.saturate, true, true)))
    return failure();
  double natural = num::Format::minifloat(f).maxValue();
  if (double(*maxVal) != natural)
    return error(n) << "max_val " << fmtG(*maxVal)
                    << " differs from the largest value " << fmtG(natural)
                    << " of the format (clipping below it is not supported)",
           failure();
  auto mode = qonnxRounding(getString(n, "rounding_mode", "ROUND"));
  if (!mode)
    return error(n) << "rounding_mode '"
                    << getString(n, "rounding_mode", "ROUND")
                    << "' is not supported",
           failure();
  std::vector<float> sv;
  for (const APFloat &v : scale.getValues<APFloat>())
    sv.push_back(v.convertToFloat());
  floatFormatOverride = FloatFormatAttr::get(ctx, f);
  auto y = fakeQuantInt(n, n.in[0], sv, scale.getType().getShape(), 0, true,
                        false, *mode);
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

const llvm::StringMap<Importer::Handler> &Importer::handlers() {
  static const llvm::StringMap<Handler> table = [] {
    llvm::StringMap<Handler> t;
    for (const char *u :
         {"Neg",   "Abs",     "Exp",   "Log",  "Sqrt",       "Reciprocal",
          "Tanh",  "Sigmoid", "Erf",   "Relu", "Cos",        "Sin",
          "Tan",   "Asin",    "Acos",  "Atan", "Sinh",       "Cosh",
          "Asinh", "Acosh",   "Atanh", "Not",  "BitwiseNot", "Floor",
          "Ceil",  "Round",   "Sign"})
      t[u] = [](Importer &im, Node &n) { return im.unaryOp(n); };
    for (const char *o :
         {"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "And",
          "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift"})
      t[o] = [](Importer &im, Node &n) { return im.binaryOp(n); };
    t["Identity"] = [](Importer &, Node &n) -> Outputs {
      return SmallVector<Value>{n.in[0]};
    };
    t["Dropout"] = [](Importer &im, Node &n) -> Outputs {
      if (n.in.size() > 2 && n.in[2]) {
        DenseElementsAttr mode = constantOf(n.in[2]);
        if (!mode || !mode.isSplat() || mode.getSplatValue<bool>())
          return im.error(n) << "training mode is not supported", failure();
      }
      // Inference: identity, and a mask of all true.
      auto shape = tt(n.in[0]).getShape();
      auto maskType = RankedTensorType::get(shape, im.b.getI1Type());
      return SmallVector<Value>{
          n.in[0], im.constant(n.loc, DenseElementsAttr::get(maskType, true))};
    };
    t["LeakyRelu"] = [](Importer &im, Node &n) {
      return im.one<nn::LeakyReluOp>(
          n, {n.in[0]},
          {im.named("alpha",
                    im.b.getF32FloatAttr(getFloat(n, "alpha", 0.01f)))});
    };
    t["Clip"] = [](Importer &im, Node &n) -> Outputs {
      // Integer tensors: max with the lower bound, then min with the upper
      // one (exact; the bounds are tensors of the input's type).
      if (llvm::isa<IntegerType>(tt(n.in[0]).getElementType())) {
        Chain c{im, n};
        Value v = n.in[0];
        if (n.in.size() > 1 && n.in[1])
          v = c.op<nn::MaxOp>({v, n.in[1]});
        if (n.in.size() > 2 && n.in[2])
          v = c.op<nn::MinOp>({v, n.in[2]});
        return c.result(v);
      }
      SmallVector<NamedAttribute> attrs;
      const char *names[] = {"min", "max"};
      for (size_t i = 1; i < 3; ++i) {
        if (i >= n.in.size() || !n.in[i])
          continue;
        auto v = im.constScalarFloat(n, i, names[i - 1]);
        if (!v)
          return failure();
        attrs.push_back(im.named(names[i - 1], im.b.getF32FloatAttr(*v)));
      }
      return im.one<nn::ClipOp>(n, {n.in[0]}, attrs);
    };
    t["Gelu"] = [](Importer &im, Node &n) {
      return im.one<nn::GeluOp>(
          n, {n.in[0]},
          {im.named("approximate",
                    im.b.getStringAttr(getString(n, "approximate", "none")))});
    };
    t["Cast"] = [](Importer &im, Node &n) -> Outputs {
      int32_t to = int32_t(getInt(n, "to", 0));
      Type elem = elementType(im.ctx, to);
      std::optional<num::Format> format;
      if (!elem && to >= kFloat8E4M3FN)
        format = onnx_types::formatOf(to);
      if (!elem && !format)
        return im.error(n) << "cast to " << typeName(to) << " is not supported",
               failure();
      if (format || llvm::isa<QTensorType>(n.in[0].getType()))
        return im.castFormats(n, n.in[0], elem, format);
      // A cast to the type it has (exporters write them, e.g. the
      // `.to(float32)` of Hugging Face's RMSNorm) is the value itself, so
      // that the passes that follow a stream see through it.
      if (tt(n.in[0]).getElementType() == elem)
        return SmallVector<Value>{n.in[0]};
      return im.one<nn::CastOp>(n, {n.in[0]},
                                {im.named("to", TypeAttr::get(elem))});
    };
    // HannWindow, HammingWindow, BlackmanWindow: constants of a constant
    // size, computed in double as ONNX's reference does (cosines of 2 pi n
    // / N, N the size when periodic, size - 1 otherwise) and rounded once
    // to the float output type.
    for (const char *w : {"HannWindow", "HammingWindow", "BlackmanWindow"})
      t[w] = [](Importer &im, Node &n) -> Outputs {
        DenseElementsAttr c = constantOf(n.in[0]);
        int32_t to = int32_t(getInt(n, "output_datatype", 1));
        Type elem = elementType(im.ctx, to);
        if (!c || c.getNumElements() != 1 ||
            !llvm::isa<IntegerType>(c.getElementType()))
          return im.error(n) << "size must be a constant integer scalar",
                 failure();
        int64_t size = (*c.getValues<APInt>().begin()).getSExtValue();
        if (!elem || !llvm::isa<FloatType>(elem) || size < 1 ||
            size > (1 << 26))
          return im.error(n) << "needs a float output_datatype and a size in "
                                "[1, 2^26], got "
                             << typeName(to) << " and " << size,
                 failure();
        StringRef op = n.proto.op_type();
        double span =
            getInt(n, "periodic", 1) ? double(size) : double(size - 1);
        SmallVector<double> values;
        for (int64_t i = 0; i < size; ++i) {
          double x = span > 0 ? 2.0 * M_PI * double(i) / span : 0.0;
          values.push_back(op == "HannWindow" ? 0.5 - 0.5 * std::cos(x)
                           : op == "HammingWindow"
                               ? 25.0 / 46.0 - (1.0 - 25.0 / 46.0) * std::cos(x)
                               : 0.42 - 0.5 * std::cos(x) +
                                     0.08 * std::cos(2.0 * x));
        }
        return SmallVector<Value>{
            im.floatConstant(n.loc, elem, values, {size})};
      };
    // EyeLike: a constant of the input's 2-D shape, ones on diagonal k.
    t["EyeLike"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      Type elem = attr(n, "dtype")
                      ? elementType(im.ctx, int32_t(getInt(n, "dtype", 1)))
                      : xt.getElementType();
      if (xt.getRank() != 2 || !elem ||
          !llvm::isa<FloatType, IntegerType>(elem))
        return im.error(n) << "needs a 2-D input and a numeric dtype, got "
                           << xt,
               failure();
      int64_t k = getInt(n, "k", 0), rows = xt.getDimSize(0),
              cols = xt.getDimSize(1);
      auto type = RankedTensorType::get({rows, cols}, elem);
      SmallVector<Attribute> values;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          bool one = j - i == k;
          values.push_back(
              llvm::isa<FloatType>(elem)
                  ? Attribute(im.b.getFloatAttr(elem, one ? 1.0 : 0.0))
                  : Attribute(im.b.getIntegerAttr(elem, one ? 1 : 0)));
        }
      return SmallVector<Value>{
          im.constant(n.loc, DenseElementsAttr::get(type, values))};
    };
    // Cast to the element type of the second input (its values unused).
    t["CastLike"] = [](Importer &im, Node &n) -> Outputs {
      if (auto like = llvm::dyn_cast<QTensorType>(n.in[1].getType())) {
        num::Format f = like.getNumericFormat();
        if (f.kind() == num::Format::Kind::Float) {
          // The like tensor's format without its saturation: the node's
          // `saturate` decides.
          num::FloatFormat ff = f.floatFormat();
          ff.saturate = false;
          f = num::Format::minifloat(ff);
        }
        return im.castFormats(n, n.in[0], Type(), f);
      }
      Type elem = tt(n.in[1]).getElementType();
      if (llvm::isa<QTensorType>(n.in[0].getType()))
        return im.castFormats(n, n.in[0], elem, std::nullopt);
      if (tt(n.in[0]).getElementType() == elem)
        return SmallVector<Value>{n.in[0]};
      return im.one<nn::CastOp>(n, {n.in[0]},
                                {im.named("to", TypeAttr::get(elem))});
    };
    t["Where"] = [](Importer &im, Node &n) {
      return im.one<nn::WhereOp>(n, {n.in[0], n.in[1], n.in[2]});
    };
    t["MatMul"] = [](Importer &im, Node &n) {
      return im.one<nn::MatMulOp>(n, {n.in[0], n.in[1]});
    };
    t["Gemm"] = [](Importer &im, Node &n) {
      SmallVector<Value> ops{n.in[0], n.in[1]};
      if (n.in.size() > 2 && n.in[2])
        ops.push_back(n.in[2]);
      return im.one<nn::GemmOp>(
          n, ops,
          {im.named("alpha", im.b.getF32FloatAttr(getFloat(n, "alpha", 1.0f))),
           im.named("beta", im.b.getF32FloatAttr(getFloat(n, "beta", 1.0f))),
           im.named("transA", im.b.getBoolAttr(getInt(n, "transA", 0))),
           im.named("transB", im.b.getBoolAttr(getInt(n, "transB", 0)))});
    };
    t["Conv"] = [](Importer &im, Node &n) -> Outputs {
      auto x = tt(n.in[0]), w = tt(n.in[1]);
      if (x.getRank() < 3 || x.getRank() > 5 || w.getRank() != x.getRank())
        return im.error(n) << "only 1-D, 2-D and 3-D convolution (3-D to 5-D "
                              "input and weight) is supported",
               failure();
      if (x.getRank() == 5)
        return im.conv3D(n);
      auto window = im.convWindow(
          n, x,
          getInts(n, "kernel_shape")
              .value_or(SmallVector<int64_t>(w.getShape().drop_front(2))));
      if (failed(window))
        return failure();
      SmallVector<Value> ops{n.in[0], n.in[1]};
      if (n.in.size() > 2 && n.in[2])
        ops.push_back(n.in[2]);
      // 1-D: the input and the weight gain a height of 1.
      for (int i = 0; i < 2 && x.getRank() == 3; ++i) {
        auto lifted = im.liftTo2D(n, ops[size_t(i)]);
        if (failed(lifted))
          return failure();
        ops[size_t(i)] = *lifted;
      }
      auto conv = im.build<nn::ConvOp>(
          n, ops,
          {im.named("strides", im.b.getDenseI64ArrayAttr(window->strides)),
           im.named("pads", im.b.getDenseI64ArrayAttr(window->pads)),
           im.named("dilations", im.b.getDenseI64ArrayAttr(window->dilations)),
           im.named("group", im.b.getI64IntegerAttr(getInt(n, "group", 1)))});
      if (failed(conv))
        return failure();
      return im.dropHeight(n, (*conv)->getResult(0), x.getRank() == 3);
    };
    auto pool = [](bool isMax) {
      return [isMax](Importer &im, Node &n) -> Outputs {
        return im.poolOf(n, n.in[0], isMax, getInt(n, "count_include_pad", 0));
      };
    };
    // LpPool: (sum over the window of |x|^p)^(1/p), the sum as an average
    // counting the padding (zeros) times the window's size.
    t["LpPool"] = [](Importer &im, Node &n) -> Outputs {
      auto x = tt(n.in[0]);
      int64_t p = getInt(n, "p", 2);
      auto k = getInts(n, "kernel_shape");
      if (!llvm::isa<FloatType>(x.getElementType()) || p < 1 || !k)
        return im.error(n) << "needs a float input, p >= 1 (got " << p
                           << ") and kernel_shape",
               failure();
      Chain c{im, n};
      Type elem = x.getElementType();
      Value a = c.op<nn::AbsOp>({n.in[0]});
      Value powered = p == 1 ? a
                      : p == 2
                          ? c.op<nn::MulOp>({a, a})
                          : c.op<nn::PowOp>({a, c.scalar(elem, double(p))});
      if (!powered)
        return failure();
      auto avg = im.poolOf(n, powered, /*isMax=*/false, /*countPad=*/true);
      if (failed(avg))
        return failure();
      int64_t window = ShapedType::getNumElements(*k);
      Value sum = c.op<nn::MulOp>({(*avg)[0], c.scalar(elem, double(window))});
      if (p == 1)
        return c.result(sum);
      if (p == 2)
        return c.result(c.op<nn::SqrtOp>({sum}));
      return c.result(c.op<nn::PowOp>({sum, c.scalar(elem, 1.0 / double(p))}));
    };
    t["MaxPool"] = pool(true);
    t["AveragePool"] = pool(false);
    t["GlobalAveragePool"] = [](Importer &im, Node &n) {
      return im.one<nn::GlobalAveragePoolOp>(n, {n.in[0]});
    };
    t["GlobalMaxPool"] = [](Importer &im, Node &n) -> Outputs {
      auto x = tt(n.in[0]);
      if (x.getRank() < 3 || !llvm::isa<FloatType>(x.getElementType()))
        return im.error(n) << "needs a float input of rank >= 3", failure();
      SmallVector<int64_t> axes;
      for (int64_t a = 2; a < x.getRank(); ++a)
        axes.push_back(a);
      return im.one<nn::ReduceMaxOp>(
          n, {n.in[0]},
          {im.named("axes", im.b.getDenseI64ArrayAttr(axes)),
           im.named("keepdims", im.b.getBoolAttr(true))});
    };
    for (const char *a :
         {"HardSigmoid", "HardSwish", "PRelu", "Elu", "Selu", "Celu",
          "ThresholdedRelu", "Shrink", "Softplus", "Softsign", "Mish", "Swish"})
      t[a] = [](Importer &im, Node &n) { return im.activation(n); };
    // Variadic elementwise ops, folded from the left as ONNX's reference
    // does; Mean divides the sum by the count.
    auto variadic = [](StringRef kind) {
      return [kind](Importer &im, Node &n) -> Outputs {
        if (n.in.empty() || llvm::is_contained(n.in, Value()))
          return im.error(n) << "needs at least one input", failure();
        Chain c{im, n};
        Value acc = n.in[0];
        for (Value v : ArrayRef(n.in).drop_front())
          acc = kind == "Max"   ? c.op<nn::MaxOp>({acc, v})
                : kind == "Min" ? c.op<nn::MinOp>({acc, v})
                                : c.op<nn::AddOp>({acc, v});
        if (kind == "Mean" && n.in.size() > 1) {
          Type elem = tt(acc ? acc : n.in[0]).getElementType();
          if (!llvm::isa<FloatType>(elem))
            return im.error(n) << "needs float inputs", failure();
          acc = c.op<nn::DivOp>({acc, c.scalar(elem, double(n.in.size()))});
        }
        return c.result(acc);
      };
    };
    for (const char *v : {"Max", "Min", "Sum", "Mean"})
      t[v] = variadic(v);
    t["Pad"] = [](Importer &im, Node &n) { return im.pad(n); };
    // CenterCropPad: per axis, the centered `shape[i]` elements (the extra
    // one of an odd difference cut at the end) or the input centered in
    // zeros (the extra zero at the end), by nn.slice / nn.concat.
    t["CenterCropPad"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      int64_t rank = xt.getRank();
      auto shape = im.constInts(n, 1, "shape");
      if (!shape)
        return failure();
      SmallVector<int64_t> axes;
      if (auto a = getInts(n, "axes")) {
        for (int64_t x : *a) {
          auto ax = nn::normalizeAxis(x, rank);
          if (!ax || llvm::is_contained(axes, *ax))
            return im.error(n) << "axis " << x << " is out of range for rank "
                               << rank << " or repeated",
                   failure();
          axes.push_back(*ax);
        }
      } else {
        axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
      }
      if (shape->size() != axes.size() ||
          llvm::any_of(*shape, [](int64_t v) { return v < 0; }))
        return im.error(n) << "shape needs one size >= 0 per axis ("
                           << axes.size() << ")",
               failure();
      Chain c{im, n};
      Value x = n.in[0];
      for (auto [axis, want] : llvm::zip(axes, *shape)) {
        auto cur = tt(x);
        int64_t dim = cur.getDimSize(axis);
        if (want < dim) {
          SmallVector<int64_t> starts(size_t(rank), 0), steps(size_t(rank), 1),
              sizes(cur.getShape());
          starts[size_t(axis)] = (dim - want) / 2;
          sizes[size_t(axis)] = want;
          x = c.slice(x, starts, steps, sizes);
        } else if (want > dim) {
          int64_t before = (want - dim) / 2, after = want - dim - before;
          SmallVector<Value> parts;
          for (int64_t count : {before, int64_t(-1), after}) {
            if (count < 0) {
              parts.push_back(x);
              continue;
            }
            if (count == 0)
              continue;
            SmallVector<int64_t> s(cur.getShape());
            s[size_t(axis)] = count;
            parts.push_back(im.zeros(n.loc, cur.getElementType(), s));
          }
          x = c.concat(parts, axis);
        }
        if (!x)
          return failure();
      }
      return c.result(x);
    };

    // a <= b is (a < b) or (a == b), false when either is NaN.
    auto orEqual = [](bool less) {
      return [less](Importer &im, Node &n) -> Outputs {
        Chain c{im, n};
        Value strict = less ? c.op<nn::LessOp>({n.in[0], n.in[1]})
                            : c.op<nn::GreaterOp>({n.in[0], n.in[1]});
        return c.result(
            c.op<nn::OrOp>({strict, c.op<nn::EqualOp>({n.in[0], n.in[1]})}));
      };
    };
    t["LessOrEqual"] = orEqual(true);
    t["GreaterOrEqual"] = orEqual(false);
    t["IsNaN"] = [](Importer &im, Node &n) -> Outputs {
      if (!llvm::isa<FloatType>(tt(n.in[0]).getElementType()))
        return im.error(n) << "needs a float input", failure();
      Chain c{im, n};
      return c.result(c.op<nn::NotOp>({c.op<nn::EqualOp>({n.in[0], n.in[0]})}));
    };
    t["IsInf"] = [](Importer &im, Node &n) -> Outputs {
      Type elem = tt(n.in[0]).getElementType();
      if (!llvm::isa<FloatType>(elem))
        return im.error(n) << "needs a float input", failure();
      bool pos = getInt(n, "detect_positive", 1),
           neg = getInt(n, "detect_negative", 1);
      Chain c{im, n};
      double inf = std::numeric_limits<double>::infinity();
      Value isPos = c.op<nn::EqualOp>({n.in[0], c.scalar(elem, inf)});
      Value isNeg = c.op<nn::EqualOp>({n.in[0], c.scalar(elem, -inf)});
      if (pos && neg)
        return c.result(c.op<nn::OrOp>({isPos, isNeg}));
      if (pos || neg)
        return c.result(pos ? isPos : isNeg);
      // Neither: all false.
      return c.result(c.op<nn::AndOp>({isPos, isNeg}));
    };
    t["Resize"] = [](Importer &im, Node &n) { return im.resize(n); };
    // Tile: each axis repeated by concatenating copies.
    t["Tile"] = [](Importer &im, Node &n) -> Outputs {
      auto repeats = im.constInts(n, 1, "repeats");
      if (!repeats)
        return failure();
      int64_t rank = tt(n.in[0]).getRank();
      if (int64_t(repeats->size()) != rank ||
          llvm::any_of(*repeats, [](int64_t r) { return r < 0; }))
        return im.error(n) << "repeats needs " << rank
                           << " non-negative entries",
               failure();
      if (llvm::is_contained(*repeats, 0))
        return im.error(n) << "a repeat of 0 (an empty result) is not "
                              "supported",
               failure();
      Chain c{im, n};
      Value x = n.in[0];
      for (int64_t a = 0; a < rank; ++a) {
        int64_t r = (*repeats)[size_t(a)];
        if (r == 1)
          continue;
        SmallVector<Value> copies(size_t(r), x);
        x = c.concat(copies, a);
      }
      return c.result(x);
    };
    // DepthToSpace / SpaceToDepth: reshape, transpose, reshape.
    auto depthSpace = [](bool toSpace) {
      return [toSpace](Importer &im, Node &n) -> Outputs {
        auto xt = tt(n.in[0]);
        int64_t bs = getInt(n, "blocksize", 0);
        if (xt.getRank() != 4 || bs <= 0)
          return im.error(n) << "needs a 4-D input and a positive blocksize",
                 failure();
        int64_t N = xt.getDimSize(0), C = xt.getDimSize(1),
                H = xt.getDimSize(2), W = xt.getDimSize(3);
        std::string mode = getString(n, "mode", "DCR");
        SmallVector<int64_t> split, perm, out;
        if (toSpace) {
          if (C % (bs * bs))
            return im.error(n) << "channels " << C
                               << " are not a multiple of blocksize^2",
                   failure();
          int64_t c2 = C / (bs * bs);
          if (mode == "DCR") {
            split = {N, bs, bs, c2, H, W};
            perm = {0, 3, 4, 1, 5, 2};
          } else if (mode == "CRD") {
            split = {N, c2, bs, bs, H, W};
            perm = {0, 1, 4, 2, 5, 3};
          } else {
            return im.error(n) << "unknown mode '" << mode << "'", failure();
          }
          out = {N, c2, H * bs, W * bs};
        } else {
          if (H % bs || W % bs)
            return im.error(n) << "height and width must be multiples of "
                                  "the blocksize",
                   failure();
          split = {N, C, H / bs, bs, W / bs, bs};
          perm = {0, 3, 5, 1, 2, 4};
          out = {N, C * bs * bs, H / bs, W / bs};
        }
        Chain c{im, n};
        return c.result(
            c.reshape(c.transpose(c.reshape(n.in[0], split), perm), out));
      };
    };
    t["DepthToSpace"] = depthSpace(true);
    t["SpaceToDepth"] = depthSpace(false);
    t["LayerNormalization"] = [](Importer &im, Node &n) -> Outputs {
      SmallVector<Value> ops{n.in[0], n.in[1]};
      if (n.in.size() > 2 && n.in[2])
        ops.push_back(n.in[2]);
      int64_t axis = getInt(n, "axis", -1);
      float eps = getFloat(n, "epsilon", 1e-5f);
      auto y = im.one<nn::LayerNormOp>(
          n, ops,
          {im.named("axis", im.b.getI64IntegerAttr(axis)),
           im.named("epsilon", im.b.getF32FloatAttr(eps))});
      if (failed(y) || n.proto.output_size() < 2)
        return y;
      // The training outputs: Mean and InvStdDev = 1 / sqrt(Var + epsilon)
      // over the normalized axes, kept as size 1, in the stash type (f32,
      // the only one ONNX allows besides the input's own).
      Value x = n.in[0];
      int64_t rank = tt(x).getRank();
      if (axis < 0)
        axis += rank;
      if (getInt(n, "stash_type", 1) != 1)
        return im.error(n) << "Mean / InvStdDev in a stash type other than "
                              "float32 are not supported",
               failure();
      Chain c{im, n};
      Type f32 = im.b.getF32Type();
      if (tt(x).getElementType() != f32)
        x = c.op<nn::CastOp>({x}, {im.named("to", TypeAttr::get(f32))});
      SmallVector<int64_t> axes;
      for (int64_t d = axis; d < rank; ++d)
        axes.push_back(d);
      NamedAttribute reduce[] = {
          im.named("axes", im.b.getDenseI64ArrayAttr(axes)),
          im.named("keepdims", im.b.getBoolAttr(true))};
      Value mean = c.op<nn::ReduceMeanOp>({x}, reduce);
      Value d = c.op<nn::SubOp>({x, mean});
      Value var = c.op<nn::ReduceMeanOp>({c.op<nn::MulOp>({d, d})}, reduce);
      Value inv = c.op<nn::ReciprocalOp>(
          {c.op<nn::SqrtOp>({c.op<nn::AddOp>({var, c.scalar(f32, eps)})})});
      if (c.failed)
        return failure();
      return SmallVector<Value>{(*y)[0], mean, inv};
    };
    auto rms = [](Importer &im, Node &n) -> Outputs {
      for (int i = 1; i < n.proto.output_size(); ++i)
        if (!n.proto.output(i).empty())
          return im.error(n) << "only the normalized output is supported",
                 failure();
      return im.one<nn::RMSNormOp>(
          n, {n.in[0], n.in[1]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", -1))),
           im.named("epsilon",
                    im.b.getF32FloatAttr(getFloat(n, "epsilon", 1e-5f)))});
    };
    t["RMSNormalization"] = rms;
    // InstanceNormalization and GroupNormalization: x reshaped so that each
    // instance / group is one row, nn.layer_norm over the row (no affine),
    // reshaped back, then the per-channel scale and bias.
    auto groupNorm = [](bool instance) {
      return [instance](Importer &im, Node &n) -> Outputs {
        auto xt = tt(n.in[0]);
        int64_t rank = xt.getRank();
        if (rank < 3)
          return im.error(n) << "needs an input of rank >= 3 ([N, C, ...])",
                 failure();
        if (n.in.size() < 3 || !n.in[1] || !n.in[2])
          return im.error(n) << "needs scale and bias inputs", failure();
        int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), spatial = 1;
        for (int64_t d = 2; d < rank; ++d)
          spatial *= xt.getDimSize(d);
        int64_t groups = instance ? C : getInt(n, "num_groups", 0);
        if (groups <= 0 || C % groups)
          return im.error(n)
                     << "num_groups " << groups
                     << " must be positive and divide the " << C << " channels",
                 failure();
        Type elem = xt.getElementType();
        Chain c{im, n};
        Value rows = c.reshape(n.in[0], {N, groups, (C / groups) * spatial});
        Value normed = c.op<nn::LayerNormOp>(
            {rows, c.scalar(elem, 1.0)},
            {im.named("axis", im.b.getI64IntegerAttr(-1)),
             im.named("epsilon",
                      im.b.getF32FloatAttr(getFloat(n, "epsilon", 1e-5f)))});
        Value y = c.reshape(normed, xt.getShape());
        SmallVector<int64_t> perChannel(size_t(rank - 1), 1);
        perChannel[0] = C;
        // A scale / bias per group (GroupNormalization-18) repeats over the
        // group's channels.
        auto channelParam = [&](Value p) -> Value {
          int64_t count = tt(p).getNumElements();
          if (count == C)
            return c.reshape(p, perChannel);
          if (!instance && count == groups) {
            Value e = c.op<nn::ExpandOp>(
                {c.reshape(p, {groups, 1})},
                {im.named("shape",
                          im.b.getDenseI64ArrayAttr({groups, C / groups}))});
            return c.reshape(e, perChannel);
          }
          c.failed = true;
          im.error(n) << "scale and bias need " << C << " entries"
                      << (instance ? "" : " (or one per group)");
          return Value();
        };
        Value scale = channelParam(n.in[1]);
        Value bias = channelParam(n.in[2]);
        y = c.op<nn::AddOp>({c.op<nn::MulOp>({y, scale}), bias});
        return c.result(y);
      };
    };
    t["InstanceNormalization"] = groupNorm(true);
    t["GroupNormalization"] = groupNorm(false);
    t["com.microsoft:SimplifiedLayerNormalization"] = rms;
    // onnxruntime writes its RMSNorm fusion in the ONNX domain too.
    t["SimplifiedLayerNormalization"] = rms;
    // com.microsoft SkipLayerNormalization / SkipSimplifiedLayerNormalization
    // (onnxruntime's fusions of the residual Add and the norm): s = input +
    // skip (+ bias), then LayerNorm (gamma, beta) / RMSNorm (gamma) of s over
    // the last axis; output 3 is s. Inputs: input, skip, gamma, then beta?
    // (LayerNorm only) and bias?.
    auto skipNorm = [](bool simplified) {
      return [simplified](Importer &im, Node &n) -> Outputs {
        auto in = [&](size_t i) { return i < n.in.size() ? n.in[i] : Value(); };
        for (int i = 1; i < std::min(3, n.proto.output_size()); ++i)
          if (!n.proto.output(i).empty())
            return im.error(n)
                       << "the mean and inv_std_var outputs are not supported",
                   failure();
        Chain c{im, n};
        Value sum = c.op<nn::AddOp>({in(0), in(1)});
        if (Value bias = in(simplified ? 3 : 4))
          sum = c.op<nn::AddOp>({sum, bias});
        NamedAttribute attrs[] = {
            im.named("axis", im.b.getI64IntegerAttr(-1)),
            im.named("epsilon",
                     im.b.getF32FloatAttr(getFloat(n, "epsilon", 1e-12f)))};
        SmallVector<Value> ops{sum, in(2)};
        if (!simplified && in(3))
          ops.push_back(in(3));
        Value y = simplified ? c.op<nn::RMSNormOp>(ops, attrs)
                             : c.op<nn::LayerNormOp>(ops, attrs);
        if (c.failed)
          return failure();
        return SmallVector<Value>{y, Value(), Value(), sum};
      };
    };
    t["com.microsoft:SkipLayerNormalization"] = skipNorm(false);
    t["com.microsoft:SkipSimplifiedLayerNormalization"] = skipNorm(true);
    t["BatchNormalization"] = [](Importer &im, Node &n) -> Outputs {
      if (getInt(n, "training_mode", 0))
        return im.error(n) << "training mode is not supported", failure();
      return im.one<nn::BatchNormOp>(
          n, {n.in[0], n.in[1], n.in[2], n.in[3], n.in[4]},
          {im.named("epsilon",
                    im.b.getF32FloatAttr(getFloat(n, "epsilon", 1e-5f)))});
    };
    t["Attention"] = [](Importer &im, Node &n) { return im.attention(n); };
    t["Einsum"] = [](Importer &im, Node &n) { return im.einsum(n); };
    // DFT as two constant matrices: along the axis (moved last and padded
    // or cut to dft_length L), re' = re C + im S and im' = im C - re S with
    // C = cos(2 pi n k / L), S = sin(...) (inverse: the conjugate, over L);
    // onesided keeps frequencies 0 .. L / 2. The matrices are computed in
    // double and rounded once to the element type.
    t["DFT"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      int64_t rank = xt.getRank();
      int64_t axisValue = getInt(n, "axis", 1);
      if (im.opset >= 20) {
        axisValue = -2;
        if (n.in.size() > 2 && n.in[2]) {
          auto a = im.constInts(n, 2, "axis");
          if (!a || a->size() != 1)
            return failure();
          axisValue = (*a)[0];
        }
      }
      int64_t axis = axisValue < 0 ? axisValue + rank : axisValue;
      int64_t parts = rank ? xt.getDimSize(rank - 1) : 0;
      bool inverse = getInt(n, "inverse", 0),
           onesided = getInt(n, "onesided", 0);
      if (rank < 2 || !llvm::isa<FloatType>(xt.getElementType()) ||
          (parts != 1 && parts != 2) || axis < 0 || axis > rank - 2)
        return im.error(n) << "needs a float input [..., 1 or 2] and an axis "
                              "other than the last, got "
                           << xt << " and axis " << axisValue,
               failure();
      if (inverse && onesided)
        return im.error(n) << "onesided inverse transforms are not supported",
               failure();
      int64_t len = xt.getDimSize(axis);
      if (n.in.size() > 1 && n.in[1]) {
        auto l = im.constInts(n, 1, "dft_length");
        if (!l || l->size() != 1)
          return failure();
        len = (*l)[0];
      }
      if (len < 1 || len > 8192)
        return im.error(n) << "dft_length " << len
                           << " is outside [1, 8192] (the transform is a "
                              "dense matrix)",
               failure();
      return im.dftOf(n, n.in[0], axis, len, inverse, onesided);
    };
    // STFT: the frames x[:, f * frame_step + j] (j < frame_length) gathered
    // into [batch, frames, frame_length, 1 or 2], times the window, then
    // the DFT along the frame (onesided by default).
    t["STFT"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0];
      auto xt = tt(x);
      Type elem = xt.getElementType();
      if (xt.getRank() != 3 || !xt.hasStaticShape() ||
          !llvm::isa<FloatType>(elem) ||
          (xt.getDimSize(2) != 1 && xt.getDimSize(2) != 2))
        return im.error(n) << "needs a static float signal [batch, length, 1 "
                              "or 2], got "
                           << xt,
               failure();
      auto step = im.constInt(n, 1, "frame_step");
      if (!step)
        return failure();
      Value window = n.in.size() > 2 ? n.in[2] : Value();
      int64_t length = xt.getDimSize(1);
      int64_t frame = window ? tt(window).getDimSize(0) : length;
      if (n.in.size() > 3 && n.in[3]) {
        auto l = im.constInt(n, 3, "frame_length");
        if (!l)
          return failure();
        frame = *l;
      }
      if (window &&
          (tt(window).getRank() != 1 || tt(window).getElementType() != elem ||
           tt(window).getDimSize(0) != frame))
        return im.error(n) << "the window must be a 1-D " << elem
                           << " tensor of the frame length " << frame
                           << ", got " << tt(window),
               failure();
      if (*step < 1 || frame < 1 || frame > length)
        return im.error(n) << "needs frame_step >= 1 and 1 <= frame_length "
                              "<= the signal's "
                           << length << " samples (got " << *step << " and "
                           << frame << ")",
               failure();
      bool onesided = getInt(n, "onesided", 1);
      if (onesided && xt.getDimSize(2) == 2)
        return im.error(n) << "onesided needs a real signal", failure();
      int64_t frames = 1 + (length - frame) / *step;
      SmallVector<int64_t> index;
      for (int64_t f = 0; f < frames; ++f)
        for (int64_t j = 0; j < frame; ++j)
          index.push_back(f * *step + j);
      Chain c{im, n};
      Value framed =
          c.op<nn::GatherOp>({x, im.i64Constant(n.loc, index, {frames, frame})},
                             {im.named("axis", im.b.getI64IntegerAttr(1))});
      if (window)
        framed = c.op<nn::MulOp>({framed, c.reshape(window, {1, 1, frame, 1})});
      if (c.failed)
        return failure();
      return im.dftOf(n, framed, 2, frame, /*inverse=*/false, onesided);
    };
    // TensorScatter (opset 24's KV-cache update): position t of the cache
    // along `axis` takes update[t - w] for w = write_indices[batch] (0
    // without them; circular: (t - w) mod the cache length) when that is in
    // [0, update length), else keeps the cache's value: a gather_elements of
    // the update and a where.
    t["TensorScatter"] = [](Importer &im, Node &n) -> Outputs {
      Value past = n.in[0], update = n.in[1];
      Value writes = n.in.size() > 2 ? n.in[2] : Value();
      auto pt = tt(past), ut = tt(update);
      int64_t rank = pt.getRank();
      auto axis = nn::normalizeAxis(getInt(n, "axis", -2), rank);
      std::string mode = getString(n, "mode", "linear");
      if (mode != "linear" && mode != "circular")
        return im.error(n) << "unknown mode '" << mode << "'", failure();
      bool fits = axis && *axis >= 1 && pt.hasStaticShape() &&
                  ut.hasStaticShape() && ut.getRank() == rank &&
                  ut.getElementType() == pt.getElementType();
      for (int64_t d = 0; fits && d < rank; ++d)
        fits = d == *axis ? ut.getDimSize(d) <= pt.getDimSize(d)
                          : ut.getDimSize(d) == pt.getDimSize(d);
      if (!fits)
        return im.error(n) << "needs static past_cache and update of one "
                              "element type, equal but along the axis (not "
                              "the batch), got "
                           << pt << " and " << ut,
               failure();
      int64_t len = pt.getDimSize(*axis), count = ut.getDimSize(*axis);
      Type i64 = im.b.getI64Type();
      Chain c{im, n};
      SmallVector<int64_t> along(size_t(rank), 1);
      along[size_t(*axis)] = len;
      Value rel = im.i64Constant(
          n.loc, llvm::to_vector(llvm::seq<int64_t>(0, len)), along);
      if (writes) {
        auto wt = tt(writes);
        if (wt.getRank() != 1 || wt.getDimSize(0) != pt.getDimSize(0))
          return im.error(n) << "write_indices must be [" << pt.getDimSize(0)
                             << "], got " << wt,
                 failure();
        SmallVector<int64_t> perBatch(size_t(rank), 1);
        perBatch[0] = pt.getDimSize(0);
        Value w = c.reshape(writes, perBatch);
        if (wt.getElementType() != i64)
          w = c.op<nn::CastOp>({w}, {im.named("to", TypeAttr::get(i64))});
        rel = c.op<nn::SubOp>({rel, w});
      }
      auto k = [&](int64_t v) { return im.i64Constant(n.loc, {v}, {}); };
      if (mode == "circular") {
        // (t - w) mod len, in [0, len).
        Value r = c.op<nn::SubOp>(
            {rel, c.op<nn::MulOp>({k(len), c.op<nn::DivOp>({rel, k(len)})})});
        rel = c.op<nn::WhereOp>(
            {c.op<nn::LessOp>({r, k(0)}), c.op<nn::AddOp>({r, k(len)}), r});
      }
      Value inside = c.op<nn::AndOp>({c.op<nn::GreaterOp>({rel, k(-1)}),
                                      c.op<nn::LessOp>({rel, k(count)})});
      Value index = c.op<nn::AddOp>(
          {c.op<nn::MinOp>({c.op<nn::MaxOp>({rel, k(0)}), k(count - 1)}),
           im.zeros(n.loc, i64, pt.getShape())});
      Value gathered = c.op<nn::GatherElementsOp>(
          {update, index}, {im.named("axis", im.b.getI64IntegerAttr(*axis))});
      return c.result(c.op<nn::WhereOp>({inside, gathered, past}));
    };
    // Compress with a constant condition (it decides the output's shape):
    // the kept positions gathered along the axis, or from the flattened
    // input without one.
    t["Compress"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0];
      auto xt = tt(x);
      DenseElementsAttr cond = constantOf(n.in[1]);
      if (!cond || cond.getType().getRank() != 1 ||
          !cond.getElementType().isInteger(1))
        return im.error(n) << "condition must be a constant 1-D bool tensor "
                              "(it decides the output's shape)",
               failure();
      Chain c{im, n};
      int64_t axis = 0;
      if (attr(n, "axis")) {
        auto a = nn::normalizeAxis(getInt(n, "axis", 0), xt.getRank());
        if (!a)
          return im.error(n) << "axis " << getInt(n, "axis", 0)
                             << " out of range for rank " << xt.getRank(),
                 failure();
        axis = *a;
      } else {
        x = c.reshape(x, {xt.getNumElements()});
        if (c.failed)
          return failure();
      }
      int64_t len = tt(x).getDimSize(axis);
      SmallVector<int64_t> kept;
      int64_t i = 0;
      for (const APInt &v : cond.getValues<APInt>()) {
        if (i < len && !v.isZero())
          kept.push_back(i);
        ++i;
      }
      return c.result(c.op<nn::GatherOp>(
          {x, im.i64Constant(n.loc, kept, {int64_t(kept.size())})},
          {im.named("axis", im.b.getI64IntegerAttr(axis))}));
    };
    // Col2Im: per kernel offset k (row-major over block_shape, as ONNX's
    // reference), the channels c * K + k as [N, C, blocks...] spread to
    // their image positions (stride - 1 zeros between blocks, the offset
    // k * dilation before) in the padded image, added in that order, then
    // the padding cropped.
    t["Col2Im"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0];
      auto xt = tt(x);
      auto image = im.constInts(n, 1, "image_shape");
      auto block = im.constInts(n, 2, "block_shape");
      if (!image || !block)
        return failure();
      size_t d = image->size();
      SmallVector<int64_t> ones(d, 1), zeros2(2 * d, 0);
      SmallVector<int64_t> dil = getInts(n, "dilations").value_or(ones),
                           str = getInts(n, "strides").value_or(ones),
                           pads = getInts(n, "pads").value_or(zeros2);
      Type elem = xt.getElementType();
      if (xt.getRank() != 3 || !xt.hasStaticShape() ||
          !llvm::isa<FloatType>(elem) || d == 0 || block->size() != d ||
          dil.size() != d || str.size() != d || pads.size() != 2 * d)
        return im.error(n) << "needs a static float input [N, C * prod(block), "
                              "L] and one image, block, dilation and stride "
                              "entry and two pads per spatial axis, got "
                           << xt,
               failure();
      int64_t kernel = 1, blocksTotal = 1;
      SmallVector<int64_t> blocks, padded;
      for (size_t i = 0; i < d; ++i) {
        int64_t p = (*image)[i] + pads[i] + pads[i + d];
        int64_t nb = (*block)[i] < 1 || dil[i] < 1 || str[i] < 1
                         ? 0
                         : (p - dil[i] * ((*block)[i] - 1) - 1) / str[i] + 1;
        if (nb < 1)
          return im.error(n) << "no block fits spatial axis " << i, failure();
        kernel *= (*block)[i];
        blocksTotal *= nb;
        blocks.push_back(nb);
        padded.push_back(p);
      }
      int64_t batch = xt.getDimSize(0);
      if (xt.getDimSize(1) % kernel || xt.getDimSize(2) != blocksTotal)
        return im.error(n) << "the input " << xt << " does not hold " << kernel
                           << " offsets per channel of " << blocksTotal
                           << " blocks",
               failure();
      int64_t channels = xt.getDimSize(1) / kernel;
      Chain c{im, n};
      auto shape = [&](Value v) {
        return SmallVector<int64_t>(tt(v).getShape());
      };
      auto withZeros = [&](Value v, int64_t axis, int64_t before,
                           int64_t after) {
        SmallVector<Value> parts;
        auto zs = shape(v);
        if (before > 0) {
          zs[size_t(axis)] = before;
          parts.push_back(im.zeros(n.loc, elem, zs));
        }
        parts.push_back(v);
        if (after > 0) {
          zs[size_t(axis)] = after;
          parts.push_back(im.zeros(n.loc, elem, zs));
        }
        return parts.size() == 1 ? v : c.concat(parts, axis);
      };
      Value sum;
      for (int64_t kf = 0; kf < kernel; ++kf) {
        SmallVector<int64_t> k(d), chans;
        for (int64_t rest = kf, i = int64_t(d) - 1; i >= 0; --i) {
          k[size_t(i)] = rest % (*block)[size_t(i)];
          rest /= (*block)[size_t(i)];
        }
        for (int64_t ch = 0; ch < channels; ++ch)
          chans.push_back(ch * kernel + kf);
        Value v =
            c.op<nn::GatherOp>({x, im.i64Constant(n.loc, chans, {channels})},
                               {im.named("axis", im.b.getI64IntegerAttr(1))});
        SmallVector<int64_t> grid{batch, channels};
        grid.append(blocks.begin(), blocks.end());
        v = c.reshape(v, grid);
        for (size_t i = 0; i < d && !c.failed; ++i) {
          int64_t axis = int64_t(i) + 2, nb = blocks[i], st = str[i];
          if (st > 1 && nb > 1) {
            // [.., nb, ..] -> [.., nb, st, ..] with zeros -> [.., nb * st, ..]
            auto s0 = shape(v);
            SmallVector<int64_t> spread(s0);
            spread.insert(spread.begin() + axis + 1, 1);
            v = withZeros(c.reshape(v, spread), axis + 1, 0, st - 1);
            SmallVector<int64_t> merged(s0), starts(s0.size(), 0),
                steps(s0.size(), 1);
            merged[size_t(axis)] = nb * st;
            v = c.reshape(v, merged);
            merged[size_t(axis)] = (nb - 1) * st + 1;
            v = c.slice(v, starts, steps, merged);
          }
          int64_t span = (nb - 1) * st + 1, off = k[i] * dil[i];
          v = withZeros(v, axis, off, padded[i] - off - span);
        }
        sum = sum ? c.op<nn::AddOp>({sum, v}) : v;
      }
      SmallVector<int64_t> starts{0, 0}, steps(d + 2, 1),
          sizes{batch, channels};
      for (size_t i = 0; i < d; ++i) {
        starts.push_back(pads[i]);
        sizes.push_back((*image)[i]);
      }
      return c.result(c.slice(sum, starts, steps, sizes));
    };
    // ReverseSequence: along the time axis, position t of batch b reads
    // len_b - 1 - t for t < len_b (sequence_lens, at run time), else t: a
    // gather_elements with those indices.
    t["ReverseSequence"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0], lens = n.in[1];
      auto xt = tt(x), lt = tt(lens);
      int64_t rank = xt.getRank();
      int64_t timeAxis = getInt(n, "time_axis", 0),
              batchAxis = getInt(n, "batch_axis", 1);
      if (rank < 2 || !xt.hasStaticShape() ||
          (timeAxis != 0 && timeAxis != 1) ||
          (batchAxis != 0 && batchAxis != 1) || timeAxis == batchAxis ||
          lt.getRank() != 1 || lt.getDimSize(0) != xt.getDimSize(batchAxis))
        return im.error(n) << "needs a static input of rank >= 2, time_axis "
                              "and batch_axis 0 and 1 (either way) and "
                              "sequence_lens of one entry per batch, got "
                           << xt << " and " << lt,
               failure();
      Type i64 = im.b.getI64Type();
      int64_t steps = xt.getDimSize(timeAxis);
      Chain c{im, n};
      SmallVector<int64_t> along(size_t(rank), 1), perBatch(size_t(rank), 1);
      along[size_t(timeAxis)] = steps;
      perBatch[size_t(batchAxis)] = lt.getDimSize(0);
      Value t = im.i64Constant(
          n.loc, llvm::to_vector(llvm::seq<int64_t>(0, steps)), along);
      Value len = c.reshape(lens, perBatch);
      if (lt.getElementType() != i64)
        len = c.op<nn::CastOp>({len}, {im.named("to", TypeAttr::get(i64))});
      Value reversed = c.op<nn::SubOp>(
          {c.op<nn::SubOp>({len, im.i64Constant(n.loc, {1}, {})}), t});
      Value index = c.op<nn::AddOp>(
          {c.op<nn::WhereOp>({c.op<nn::LessOp>({t, len}), reversed, t}),
           im.zeros(n.loc, i64, xt.getShape())});
      return c.result(c.op<nn::GatherElementsOp>(
          {x, index}, {im.named("axis", im.b.getI64IntegerAttr(timeAxis))}));
    };
    // MaxUnpool: zeros of the inferred shape ((in - 1) * stride - pads +
    // kernel per spatial axis), the values written at their flat indices
    // (MaxPool's Indices, over the whole tensor) by a scatter_elements,
    // then placed at the start of output_shape (a constant) if given.
    t["MaxUnpool"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0], idx = n.in[1];
      auto xt = tt(x), it = tt(idx);
      int64_t rank = xt.getRank(), d = rank - 2;
      auto k = getInts(n, "kernel_shape");
      SmallVector<int64_t> ones(size_t(std::max<int64_t>(d, 0)), 1),
          zeros2(size_t(2 * std::max<int64_t>(d, 0)), 0);
      SmallVector<int64_t> strides = getInts(n, "strides").value_or(ones),
                           pads = getInts(n, "pads").value_or(zeros2);
      if (d < 1 || !xt.hasStaticShape() || it.getShape() != xt.getShape() ||
          !k || int64_t(k->size()) != d || int64_t(strides.size()) != d ||
          int64_t(pads.size()) != 2 * d)
        return im.error(n) << "needs static X and indices of one shape, rank "
                              ">= 3, and kernel_shape, strides and pads for "
                              "each spatial axis, got "
                           << xt << " and " << it,
               failure();
      SmallVector<int64_t> inferred{xt.getDimSize(0), xt.getDimSize(1)};
      for (int64_t i = 0; i < d; ++i)
        inferred.push_back((xt.getDimSize(i + 2) - 1) * strides[size_t(i)] -
                           pads[size_t(i)] - pads[size_t(i + d)] +
                           (*k)[size_t(i)]);
      SmallVector<int64_t> out(inferred);
      if (n.in.size() > 2 && n.in[2]) {
        auto shape = im.constInts(n, 2, "output_shape");
        if (!shape)
          return failure();
        if (int64_t(shape->size()) != rank)
          return im.error(n) << "output_shape needs " << rank << " entries",
                 failure();
        out.assign(shape->begin(), shape->end());
      }
      for (int64_t i = 0; i < rank; ++i)
        if (inferred[size_t(i)] < 1 || out[size_t(i)] < inferred[size_t(i)])
          return im.error(n) << "output_shape must hold the inferred shape ["
                             << inferred << "]",
                 failure();
      int64_t total = ShapedType::getNumElements(inferred);
      Type elem = xt.getElementType(), i64 = im.b.getI64Type();
      Chain c{im, n};
      Value flatIdx = c.reshape(idx, {xt.getNumElements()});
      if (it.getElementType() != i64)
        flatIdx =
            c.op<nn::CastOp>({flatIdx}, {im.named("to", TypeAttr::get(i64))});
      Value y = c.op<nn::ScatterElementsOp>(
          {im.zeros(n.loc, elem, {total}), flatIdx,
           c.reshape(x, {xt.getNumElements()})},
          {im.named("axis", im.b.getI64IntegerAttr(0)),
           im.named("reduction", im.b.getStringAttr("none"))});
      y = c.reshape(y, inferred);
      for (int64_t i = 0; i < rank && !c.failed; ++i) {
        int64_t extra = out[size_t(i)] - inferred[size_t(i)];
        if (extra == 0)
          continue;
        SmallVector<int64_t> zs(tt(y).getShape());
        zs[size_t(i)] = extra;
        y = c.concat({y, im.zeros(n.loc, elem, zs)}, i);
      }
      return c.result(y);
    };
    // MeanVarianceNormalization as ONNX's function body: (x - mean) /
    // (sqrt(mean(x^2) - mean^2) + 1e-9) over `axes` (default 0, 2, 3).
    t["MeanVarianceNormalization"] = [](Importer &im, Node &n) -> Outputs {
      Value x = n.in[0];
      auto xt = tt(x);
      if (!llvm::isa<FloatType>(xt.getElementType()))
        return im.error(n) << "needs a float input, got " << xt, failure();
      SmallVector<int64_t> axes =
          getInts(n, "axes").value_or(SmallVector<int64_t>{0, 2, 3});
      for (int64_t &a : axes) {
        auto na = nn::normalizeAxis(a, xt.getRank());
        if (!na)
          return im.error(n) << "axis " << a << " out of range for rank "
                             << xt.getRank(),
                 failure();
        a = *na;
      }
      Chain c{im, n};
      Type elem = xt.getElementType();
      SmallVector<NamedAttribute> attrs{
          im.named("axes", im.b.getDenseI64ArrayAttr(axes)),
          im.named("keepdims", im.b.getBoolAttr(true))};
      Value mean = c.op<nn::ReduceMeanOp>({x}, attrs);
      Value squaredMean =
          c.op<nn::ReduceMeanOp>({c.op<nn::MulOp>({x, x})}, attrs);
      Value variance =
          c.op<nn::SubOp>({squaredMean, c.op<nn::MulOp>({mean, mean})});
      Value std = c.op<nn::SqrtOp>({variance});
      return c.result(
          c.op<nn::DivOp>({c.op<nn::SubOp>({x, mean}),
                           c.op<nn::AddOp>({std, c.scalar(elem, 1e-9)})}));
    };
    // MelWeightMatrix (constant inputs): the triangular filters of ONNX's
    // reference (mel edges in f32 as it computes them, the bins in double),
    // a constant of output_datatype.
    t["MelWeightMatrix"] = [](Importer &im, Node &n) -> Outputs {
      auto bins = im.constInt(n, 0, "num_mel_bins");
      auto dft = im.constInt(n, 1, "dft_length");
      auto rate = im.constInt(n, 2, "sample_rate");
      auto lower = im.constScalarFloat(n, 3, "lower_edge_hertz");
      auto upper = im.constScalarFloat(n, 4, "upper_edge_hertz");
      if (!bins || !dft || !rate || !lower || !upper)
        return failure();
      if (*bins < 1 || *dft < 1 || *rate < 1 || !(*upper > *lower) ||
          *lower < 0)
        return im.error(n) << "needs positive num_mel_bins, dft_length and "
                              "sample_rate and 0 <= lower_edge_hertz < "
                              "upper_edge_hertz",
               failure();
      auto type = elementType(im.ctx, int32_t(getInt(n, "output_datatype", 1)));
      if (!type || !llvm::isa<FloatType>(type))
        return im.error(n) << "output_datatype must be a float type", failure();
      int64_t spectrum = *dft / 2 + 1;
      float lowMel = 2595.0f * std::log10(1.0f + *lower / 700.0f);
      float highMel = 2595.0f * std::log10(1.0f + *upper / 700.0f);
      float step = (highMel - lowMel) / float(*bins + 2);
      std::vector<int64_t> edges;
      for (int64_t i = 0; i < *bins + 2; ++i) {
        double mel = double(i) * double(step) + double(lowMel);
        double hz = 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
        edges.push_back(
            int64_t(std::floor(double(*dft + 1) * hz / double(*rate))));
      }
      SmallVector<double> w(size_t(spectrum * *bins), 0.0);
      auto at = [&](int64_t j, int64_t i) -> double & {
        return w[size_t(j * *bins + i)];
      };
      for (int64_t i = 0; i < *bins; ++i) {
        int64_t lo = edges[size_t(i)], mid = edges[size_t(i + 1)],
                hi = edges[size_t(i + 2)];
        if (lo < 0 || hi >= spectrum)
          return im.error(n) << "the filters reach bin " << hi
                             << " beyond the spectrum's " << spectrum,
                 failure();
        if (mid == lo)
          at(mid, i) = 1.0;
        else
          for (int64_t j = lo; j <= mid; ++j)
            at(j, i) = double(j - lo) / double(mid - lo);
        for (int64_t j = mid; j < hi; ++j)
          at(j, i) = double(hi - j) / double(hi - mid);
      }
      return SmallVector<Value>{
          im.floatConstant(n.loc, type, w, {spectrum, *bins})};
    };
    // Upsample (opsets 7-9) reaches the handlers only in a model that does
    // not declare such an opset: ONNX's version converter turns it into
    // Resize otherwise.
    t["Upsample"] = [](Importer &im, Node &n) -> Outputs {
      return im.error(n) << "Upsample is deprecated since opset 10; a model "
                            "declaring opset 7-9 imports it as Resize",
             failure();
    };
    for (const char *r : {"RNN", "GRU", "LSTM"})
      t[r] = [](Importer &im, Node &n) { return im.recurrent(n); };
    t["NegativeLogLikelihoodLoss"] = [](Importer &im, Node &n) -> Outputs {
      Chain c{im, n};
      return c.result(im.nllLoss(c, n, n.in[0]));
    };
    // SoftmaxCrossEntropyLoss: log-softmax over the classes (axis 1), then
    // the NLL loss; the log-probabilities are the optional second output.
    t["SoftmaxCrossEntropyLoss"] = [](Importer &im, Node &n) -> Outputs {
      Chain c{im, n};
      if (tt(n.in[0]).getRank() < 2)
        return im.error(n) << "needs scores of rank >= 2, got " << tt(n.in[0]),
               failure();
      Value logp = c.op<nn::LogSoftmaxOp>(
          {n.in[0]}, {im.named("axis", im.b.getI64IntegerAttr(1))});
      Value loss = logp ? im.nllLoss(c, n, logp) : Value();
      if (c.failed || !loss)
        return failure();
      return SmallVector<Value>{loss, logp};
    };
    t["ConvTranspose"] = [](Importer &im, Node &n) {
      return im.convTranspose(n);
    };
    t["CumSum"] = [](Importer &im, Node &n) -> Outputs {
      auto axis = im.constInt(n, 1, "axis");
      if (!axis)
        return failure();
      if (!nn::normalizeAxis(*axis, tt(n.in[0]).getRank()))
        return im.error(n) << "axis " << *axis << " is out of range for rank "
                           << tt(n.in[0]).getRank(),
               failure();
      if (tt(n.in[0]).getElementType().isInteger(1))
        return im.error(n) << "CumSum of bool values is not defined", failure();
      return im.one<nn::CumSumOp>(
          n, {n.in[0]},
          {im.named("axis", im.b.getI64IntegerAttr(*axis)),
           im.named("exclusive", im.b.getBoolAttr(getInt(n, "exclusive", 0))),
           im.named("reverse", im.b.getBoolAttr(getInt(n, "reverse", 0)))});
    };
    t["RotaryEmbedding"] = [](Importer &im, Node &n) {
      return im.rotaryEmbedding(n, /*contrib=*/false);
    };
    t["com.microsoft:RotaryEmbedding"] = [](Importer &im, Node &n) {
      return im.rotaryEmbedding(n, /*contrib=*/true);
    };
    t["com.microsoft:GatherBlockQuantized"] = [](Importer &im, Node &n) {
      return im.gatherBlockQuantized(n);
    };
    t["com.microsoft:MultiHeadAttention"] = [](Importer &im, Node &n) {
      return im.multiHeadAttention(n);
    };
    t["com.microsoft:GroupQueryAttention"] = [](Importer &im, Node &n) {
      return im.groupQueryAttention(n);
    };
    t["Softmax"] = [](Importer &im, Node &n) {
      return im.one<nn::SoftmaxOp>(
          n, {n.in[0]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", -1)))});
    };
    t["LogSoftmax"] = [](Importer &im, Node &n) {
      return im.one<nn::LogSoftmaxOp>(
          n, {n.in[0]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", -1)))});
    };
    auto reduceOp = [](StringRef kind) {
      return [kind](Importer &im, Node &n) -> Outputs {
        SmallVector<int64_t> axes;
        if (auto a = getInts(n, "axes"))
          axes = *a;
        else if (n.in.size() > 1 && n.in[1]) {
          auto c = im.constInts(n, 1, "axes");
          if (!c)
            return failure();
          axes = *c;
        }
        if (axes.empty() && getInt(n, "noop_with_empty_axes", 0))
          return SmallVector<Value>{n.in[0]};
        SmallVector<NamedAttribute> attrs{
            im.named("axes", im.b.getDenseI64ArrayAttr(axes)),
            im.named("keepdims", im.b.getBoolAttr(getInt(n, "keepdims", 1)))};
        if (kind == "mean")
          return im.one<nn::ReduceMeanOp>(n, {n.in[0]}, attrs);
        if (kind == "sum")
          return im.one<nn::ReduceSumOp>(n, {n.in[0]}, attrs);
        if (kind == "max")
          return im.one<nn::ReduceMaxOp>(n, {n.in[0]}, attrs);
        if (kind == "prod")
          return im.one<nn::ReduceProdOp>(n, {n.in[0]}, attrs);
        // The other reductions as the formulas of ONNX's reference, around
        // nn.reduce_sum / nn.reduce_max.
        Value x = n.in[0];
        Type elem = tt(x).getElementType();
        bool isFloat = llvm::isa<FloatType>(elem);
        Chain c{im, n};
        if (kind == "min" && elem.isInteger(1)) // not max(not x)
          return c.result(c.op<nn::NotOp>(
              {c.op<nn::ReduceMaxOp>({c.op<nn::NotOp>({x})}, attrs)}));
        if (!isFloat && kind != "l1" && kind != "sumsquare")
          return im.error(n) << "needs a float"
                             << (kind == "min" ? " or bool" : "") << " input",
                 failure();
        if (kind == "min") // -max(-x): exact, NaN propagates, -0 below +0
          return c.result(c.op<nn::NegOp>(
              {c.op<nn::ReduceMaxOp>({c.op<nn::NegOp>({x})}, attrs)}));
        if (kind == "l1")
          return c.result(c.op<nn::ReduceSumOp>({c.op<nn::AbsOp>({x})}, attrs));
        if (kind == "sumsquare" || kind == "l2") {
          Value s = c.op<nn::ReduceSumOp>({c.op<nn::MulOp>({x, x})}, attrs);
          return c.result(kind == "l2" ? c.op<nn::SqrtOp>({s}) : s);
        }
        if (kind == "logsum")
          return c.result(c.op<nn::LogOp>({c.op<nn::ReduceSumOp>({x}, attrs)}));
        // logsumexp
        return c.result(c.op<nn::LogOp>(
            {c.op<nn::ReduceSumOp>({c.op<nn::ExpOp>({x})}, attrs)}));
      };
    };
    // ArgMax; ArgMin of floats as the ArgMax of -x (the same ties, NaN
    // still first).
    auto argOp = [](bool isMax) {
      return [isMax](Importer &im, Node &n) -> Outputs {
        Type elem = tt(n.in[0]).getElementType();
        if (!isMax && !llvm::isa<FloatType>(elem))
          return im.error(n) << "ArgMin of " << elem
                             << " is not supported "
                                "(float inputs only)",
                 failure();
        Chain c{im, n};
        Value x = isMax ? n.in[0] : c.op<nn::NegOp>({n.in[0]});
        return c.result(c.op<nn::ArgMaxOp>(
            {x},
            {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", 0))),
             im.named("keepdims", im.b.getBoolAttr(getInt(n, "keepdims", 1))),
             im.named("select_last_index",
                      im.b.getBoolAttr(getInt(n, "select_last_index", 0)))}));
      };
    };
    t["TopK"] = [](Importer &im, Node &n) -> Outputs {
      auto k = im.constInt(n, 1, "k");
      if (!k)
        return failure();
      auto xt = tt(n.in[0]);
      int64_t axisAttr = getInt(n, "axis", -1);
      auto axis = nn::normalizeAxis(axisAttr, xt.getRank());
      if (!axis)
        return im.error(n) << "axis " << axisAttr
                           << " is out of range for rank " << xt.getRank(),
               failure();
      if (*k < 0 || *k > xt.getDimSize(*axis))
        return im.error(n) << "k = " << *k << " is not in [0, "
                           << xt.getDimSize(*axis) << "]",
               failure();
      auto r = im.build<nn::TopKOp>(
          n, {n.in[0]},
          {im.named("k", im.b.getI64IntegerAttr(*k)),
           im.named("axis", im.b.getI64IntegerAttr(*axis)),
           im.named("largest", im.b.getBoolAttr(getInt(n, "largest", 1))),
           im.named("sorted", im.b.getBoolAttr(getInt(n, "sorted", 1)))});
      if (failed(r))
        return failure();
      return SmallVector<Value>{(*r)->getResult(0), (*r)->getResult(1)};
    };
    t["ArgMax"] = argOp(true);
    t["ArgMin"] = argOp(false);
    // Hardmax: 1 at the first maximum along axis (NaN counts as the
    // largest, as NumPy's argmax), 0 elsewhere: arg_max against the axis
    // positions.
    t["Hardmax"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      int64_t axisAttr = getInt(n, "axis", -1);
      auto axis = nn::normalizeAxis(axisAttr, xt.getRank());
      if (!axis || !llvm::isa<FloatType>(xt.getElementType()) ||
          !xt.hasStaticShape())
        return im.error(n) << "needs a float input of static shape and an "
                              "axis in range (axis "
                           << axisAttr << ")",
               failure();
      Chain c{im, n};
      Value best = c.op<nn::ArgMaxOp>(
          {n.in[0]}, {im.named("axis", im.b.getI64IntegerAttr(*axis)),
                      im.named("keepdims", im.b.getBoolAttr(true))});
      int64_t dim = xt.getDimSize(*axis);
      SmallVector<int64_t> shape(size_t(xt.getRank()), 1);
      shape[size_t(*axis)] = dim;
      SmallVector<int64_t> iota = llvm::to_vector(llvm::seq<int64_t>(0, dim));
      Value positions = im.constant(
          n.loc,
          DenseElementsAttr::get(
              RankedTensorType::get(shape, im.b.getI64Type()), ArrayRef(iota)));
      Value hit = c.op<nn::EqualOp>({positions, best});
      return c.result(c.op<nn::CastOp>(
          {hit}, {im.named("to", TypeAttr::get(xt.getElementType()))}));
    };
    // LpNormalization: x / ||x||_p along axis (p = 1: sum of |x|; p = 2:
    // the square root of the sum of squares).
    t["LpNormalization"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      int64_t p = getInt(n, "p", 2), axisAttr = getInt(n, "axis", -1);
      auto axis = nn::normalizeAxis(axisAttr, xt.getRank());
      if (p != 1 && p != 2)
        return im.error(n) << "p must be 1 or 2, not " << p, failure();
      if (!axis || !llvm::isa<FloatType>(xt.getElementType()))
        return im.error(n) << "needs a float input and an axis in range "
                              "(axis "
                           << axisAttr << ")",
               failure();
      Chain c{im, n};
      Value x = n.in[0];
      SmallVector<NamedAttribute> attrs{
          im.named("axes", im.b.getDenseI64ArrayAttr({*axis})),
          im.named("keepdims", im.b.getBoolAttr(true))};
      Value norm = p == 1 ? c.op<nn::ReduceSumOp>({c.op<nn::AbsOp>({x})}, attrs)
                          : c.op<nn::SqrtOp>({c.op<nn::ReduceSumOp>(
                                {c.op<nn::MulOp>({x, x})}, attrs)});
      return c.result(c.op<nn::DivOp>({x, norm}));
    };
    // ONNX LRN (AlexNet, GoogLeNet): y = x / (bias + alpha / size *
    // sum of x^2 over the channels c - floor((size - 1) / 2) .. c +
    // ceil((size - 1) / 2))^beta, the window's terms shifted copies of x^2
    // along the channel axis (zeros outside), summed from the lowest.
    t["LRN"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]);
      int64_t size = getInt(n, "size", 0);
      if (size <= 0)
        return im.error(n) << "needs a positive size", failure();
      if (xt.getRank() < 3 || !xt.hasStaticShape() ||
          !llvm::isa<FloatType>(xt.getElementType()) || xt.getDimSize(1) < 1)
        return im.error(n) << "needs a static float input of rank 3 or more "
                              "with channels, got "
                           << xt,
               failure();
      Chain c{im, n};
      Type elem = xt.getElementType();
      int64_t channels = xt.getDimSize(1), lo = (size - 1) / 2;
      int64_t hi = size - 1 - lo;
      Value x = n.in[0];
      Value sq = c.op<nn::MulOp>({x, x});
      SmallVector<int64_t> starts(size_t(xt.getRank()), 0),
          steps(size_t(xt.getRank()), 1);
      SmallVector<int64_t> shape(xt.getShape());
      auto zeros = [&](int64_t count) {
        SmallVector<int64_t> zshape(shape);
        zshape[1] = count;
        return im.zeros(n.loc, elem, zshape);
      };
      Value sum;
      for (int64_t k = -lo; k <= hi; ++k) {
        // Output channel o reads input channel o + k.
        int64_t from = std::max<int64_t>(0, k),
                to = std::min(channels, channels + k);
        if (to <= from)
          continue;
        SmallVector<int64_t> st(starts), sizes(shape);
        st[1] = from;
        sizes[1] = to - from;
        SmallVector<Value> pieces;
        if (from - k > 0)
          pieces.push_back(zeros(from - k));
        pieces.push_back(c.slice(sq, st, steps, sizes));
        if (channels - (to - k) > 0)
          pieces.push_back(zeros(channels - (to - k)));
        Value term = pieces.size() == 1 ? pieces[0] : c.concat(pieces, 1);
        sum = sum ? c.op<nn::AddOp>({sum, term}) : term;
      }
      float alpha = getFloat(n, "alpha", 1e-4f),
            beta = getFloat(n, "beta", 0.75f), bias = getFloat(n, "bias", 1.0f);
      Value base = c.op<nn::AddOp>(
          {c.scalar(elem, bias),
           c.op<nn::MulOp>(
               {c.scalar(elem, double(alpha / float(size))), sum})});
      return c.result(
          c.op<nn::DivOp>({x, c.op<nn::PowOp>({base, c.scalar(elem, beta)})}));
    };
    t["ReduceMean"] = reduceOp("mean");
    t["ReduceSum"] = reduceOp("sum");
    t["ReduceProd"] = reduceOp("prod");
    t["ReduceMax"] = reduceOp("max");
    t["ReduceMin"] = reduceOp("min");
    t["ReduceL1"] = reduceOp("l1");
    t["ReduceL2"] = reduceOp("l2");
    t["ReduceSumSquare"] = reduceOp("sumsquare");
    t["ReduceLogSum"] = reduceOp("logsum");
    t["ReduceLogSumExp"] = reduceOp("logsumexp");
    auto reshapeTo = [](Importer &im, Node &n, ArrayRef<int64_t> shape) {
      return im.one<nn::ReshapeOp>(
          n, {n.in[0]}, {im.named("shape", im.b.getDenseI64ArrayAttr(shape))});
    };
    t["Reshape"] = [reshapeTo](Importer &im, Node &n) -> Outputs {
      auto target = im.constInts(n, 1, "the shape input");
      if (!target)
        return failure();
      auto in = tt(n.in[0]);
      bool allowZero = getInt(n, "allowzero", 0);
      SmallVector<int64_t> shape;
      int64_t known = 1, infer = -1;
      for (size_t i = 0; i < target->size(); ++i) {
        int64_t d = (*target)[i];
        if (d == 0 && !allowZero) {
          if (int64_t(i) >= in.getRank())
            return im.error(n)
                       << "shape entry " << i << " is 0 but the input has rank "
                       << in.getRank(),
                   failure();
          d = in.getDimSize(int64_t(i));
        }
        if (d == -1) {
          if (infer >= 0)
            return im.error(n) << "more than one -1 in the shape", failure();
          infer = int64_t(i);
        } else if (d < 0) {
          return im.error(n) << "invalid shape entry " << d, failure();
        } else {
          known *= d;
        }
        shape.push_back(d);
      }
      if (infer >= 0) {
        if (known == 0 || in.getNumElements() % known)
          return im.error(n) << "cannot infer the -1 dimension of ["
                             << ArrayRef(*target) << "] for "
                             << in.getNumElements() << " elements",
                 failure();
        shape[size_t(infer)] = in.getNumElements() / known;
      }
      return reshapeTo(im, n, shape);
    };
    t["Flatten"] = [reshapeTo](Importer &im, Node &n) -> Outputs {
      auto in = tt(n.in[0]);
      int64_t axis = getInt(n, "axis", 1);
      if (axis < 0)
        axis += in.getRank();
      if (axis < 0 || axis > in.getRank())
        return im.error(n) << "axis out of range", failure();
      int64_t a = 1;
      for (int64_t i = 0; i < axis; ++i)
        a *= in.getDimSize(i);
      return reshapeTo(im, n,
                       {a, in.getNumElements() / std::max<int64_t>(1, a)});
    };
    auto squeezeLike = [reshapeTo](bool squeeze) {
      return [squeeze, reshapeTo](Importer &im, Node &n) -> Outputs {
        auto in = tt(n.in[0]);
        SmallVector<int64_t> axes;
        if (auto a = getInts(n, "axes"))
          axes = *a;
        else if (n.in.size() > 1 && n.in[1]) {
          auto c = im.constInts(n, 1, "axes");
          if (!c)
            return failure();
          axes = *c;
        }
        SmallVector<int64_t> shape;
        if (squeeze) {
          for (int64_t i = 0; i < in.getRank(); ++i) {
            bool listed = llvm::any_of(axes, [&](int64_t a) {
              return a == i || a + in.getRank() == i;
            });
            bool drop = axes.empty() ? in.getDimSize(i) == 1 : listed;
            if (drop && in.getDimSize(i) != 1)
              return im.error(n) << "cannot squeeze dimension " << i
                                 << " of size " << in.getDimSize(i),
                     failure();
            if (!drop)
              shape.push_back(in.getDimSize(i));
          }
        } else {
          int64_t outRank = in.getRank() + int64_t(axes.size());
          SmallVector<bool> isNew(size_t(outRank), false);
          for (int64_t a : axes) {
            auto na = nn::normalizeAxis(a, outRank);
            if (!na || isNew[size_t(*na)])
              return im.error(n) << "invalid unsqueeze axis " << a, failure();
            isNew[size_t(*na)] = true;
          }
          int64_t src = 0;
          for (int64_t i = 0; i < outRank; ++i)
            shape.push_back(isNew[size_t(i)] ? 1 : in.getDimSize(src++));
        }
        return reshapeTo(im, n, shape);
      };
    };
    t["Squeeze"] = squeezeLike(true);
    t["Unsqueeze"] = squeezeLike(false);
    t["Transpose"] = [](Importer &im, Node &n) {
      int64_t r = tt(n.in[0]).getRank();
      SmallVector<int64_t> perm;
      for (int64_t i = r - 1; i >= 0; --i)
        perm.push_back(i);
      perm = getInts(n, "perm").value_or(perm);
      return im.one<nn::TransposeOp>(
          n, {n.in[0]}, {im.named("perm", im.b.getDenseI64ArrayAttr(perm))});
    };
    t["Expand"] = [](Importer &im, Node &n) -> Outputs {
      auto shape = im.constInts(n, 1, "the shape input");
      if (!shape)
        return failure();
      return im.one<nn::ExpandOp>(
          n, {n.in[0]}, {im.named("shape", im.b.getDenseI64ArrayAttr(*shape))});
    };
    t["Concat"] = [](Importer &im, Node &n) {
      return im.one<nn::ConcatOp>(
          n, n.in,
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", 0)))});
    };
    t["Split"] = [](Importer &im, Node &n) -> Outputs {
      auto in = tt(n.in[0]);
      int64_t axis = getInt(n, "axis", 0);
      auto na = nn::normalizeAxis(axis, in.getRank());
      if (!na)
        return im.error(n) << "axis " << axis << " out of range", failure();
      SmallVector<int64_t> sizes;
      if (auto s = getInts(n, "split"))
        sizes = *s;
      else if (n.in.size() > 1 && n.in[1]) {
        auto c = im.constInts(n, 1, "split");
        if (!c)
          return failure();
        sizes = *c;
      } else {
        int64_t parts = getInt(n, "num_outputs", n.proto.output_size());
        int64_t dim = in.getDimSize(*na);
        int64_t chunk = (dim + parts - 1) / std::max<int64_t>(1, parts);
        for (int64_t p = 0; p < parts; ++p)
          sizes.push_back(std::min(chunk, dim - p * chunk));
      }
      return im.one<nn::SplitOp>(
          n, {n.in[0]},
          {im.named("axis", im.b.getI64IntegerAttr(axis)),
           im.named("sizes", im.b.getDenseI64ArrayAttr(sizes))});
    };
    t["Slice"] = [](Importer &im, Node &n) -> Outputs {
      auto in = tt(n.in[0]);
      int64_t r = in.getRank();
      auto starts = im.constInts(n, 1, "starts");
      auto ends = im.constInts(n, 2, "ends");
      if (!starts || !ends)
        return failure();
      SmallVector<int64_t> axes, steps;
      if (n.in.size() > 3 && n.in[3]) {
        auto a = im.constInts(n, 3, "axes");
        if (!a)
          return failure();
        axes = *a;
      } else {
        for (size_t i = 0; i < starts->size(); ++i)
          axes.push_back(int64_t(i));
      }
      if (n.in.size() > 4 && n.in[4]) {
        auto s = im.constInts(n, 4, "steps");
        if (!s)
          return failure();
        steps = *s;
      } else {
        steps.assign(starts->size(), 1);
      }
      if (ends->size() != starts->size() || axes.size() != starts->size() ||
          steps.size() != starts->size())
        return im.error(n) << "starts, ends, axes and steps differ in length",
               failure();
      SmallVector<int64_t> st(size_t(r), 0), sp(size_t(r), 1),
          sz(in.getShape());
      for (size_t i = 0; i < axes.size(); ++i) {
        auto a = nn::normalizeAxis(axes[i], r);
        if (!a || steps[i] == 0)
          return im.error(n) << "invalid axis or zero step", failure();
        int64_t dim = in.getDimSize(*a), s = (*starts)[i], e = (*ends)[i],
                step = steps[i];
        if (s < 0)
          s += dim;
        if (e < 0)
          e += dim;
        if (step > 0) {
          s = std::clamp<int64_t>(s, 0, dim);
          e = std::clamp<int64_t>(e, 0, dim);
        } else {
          s = std::clamp<int64_t>(s, 0, dim - 1);
          e = std::clamp<int64_t>(e, -1, dim - 1);
        }
        int64_t size = step > 0 ? (e - s + step - 1) / step
                                : (s - e + (-step) - 1) / (-step);
        size = std::max<int64_t>(0, size);
        st[size_t(*a)] = size ? s : 0;
        sp[size_t(*a)] = step;
        sz[size_t(*a)] = size;
      }
      return im.one<nn::SliceOp>(
          n, {n.in[0]},
          {im.named("starts", im.b.getDenseI64ArrayAttr(st)),
           im.named("steps", im.b.getDenseI64ArrayAttr(sp)),
           im.named("sizes", im.b.getDenseI64ArrayAttr(sz))});
    };
    t["GatherElements"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]), it = tt(n.in[1]);
      auto axis = nn::normalizeAxis(getInt(n, "axis", 0), xt.getRank());
      bool fits = it.getRank() == xt.getRank() && axis;
      for (int64_t d = 0; fits && d < xt.getRank(); ++d)
        fits = d == *axis || it.getDimSize(d) <= xt.getDimSize(d);
      if (!fits)
        return im.error(n) << "indices " << it << " and data " << xt
                           << " must have the same rank, the axis in range "
                              "and no larger dimension besides the axis",
               failure();
      return im.one<nn::GatherElementsOp>(
          n, {n.in[0], n.in[1]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", 0)))});
    };
    // ScatterElements (Scatter before opset 11) and ScatterND: the
    // reductions of opset 16 (add, mul) and 18 (max, min).
    auto scatterElements = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]), it = tt(n.in[1]), ut = tt(n.in[2]);
      auto axis = nn::normalizeAxis(getInt(n, "axis", 0), xt.getRank());
      bool fits = it.getRank() == xt.getRank() && axis &&
                  it.getShape() == ut.getShape();
      for (int64_t d = 0; fits && d < xt.getRank(); ++d)
        fits = d == *axis || it.getDimSize(d) <= xt.getDimSize(d);
      if (!fits)
        return im.error(n) << "indices " << it << ", updates " << ut
                           << " and data " << xt
                           << " must have the same rank (indices and updates "
                              "the same shape), the axis in range and no "
                              "larger dimension besides the axis",
               failure();
      return im.one<nn::ScatterElementsOp>(
          n, {n.in[0], n.in[1], n.in[2]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", 0))),
           im.named("reduction",
                    im.b.getStringAttr(getString(n, "reduction", "none")))});
    };
    t["ScatterElements"] = scatterElements;
    t["Scatter"] = scatterElements;
    t["ScatterND"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]), it = tt(n.in[1]), ut = tt(n.in[2]);
      int64_t k = it.getRank() ? it.getShape().back() : 0;
      if (it.getRank() < 1 || k < 1 || k > xt.getRank())
        return im.error(n) << "indices " << it
                           << " need rank >= 1 and a last dimension between 1 "
                              "and the data's rank ("
                           << xt.getRank() << ")",
               failure();
      SmallVector<int64_t> want(it.getShape().drop_back());
      llvm::append_range(want, xt.getShape().drop_front(k));
      if (ut.getShape() != ArrayRef<int64_t>(want))
        return im.error(n) << "updates " << ut << " must have shape "
                           << RankedTensorType::get(want, xt.getElementType())
                           << " (indices' leading dimensions, then the data's "
                              "from "
                           << k << ")",
               failure();
      return im.one<nn::ScatterNDOp>(
          n, {n.in[0], n.in[1], n.in[2]},
          {im.named("reduction",
                    im.b.getStringAttr(getString(n, "reduction", "none")))});
    };
    // GatherND as nn ops: each index tuple (negative entries wrapped) as one
    // row-major position into the data's dimensions [b, b + k), plus the
    // tuple's batch position times their size; then one nn.gather along
    // the first axis of the data flattened over its first b + k dimensions.
    t["GatherND"] = [](Importer &im, Node &n) -> Outputs {
      auto xt = tt(n.in[0]), it = tt(n.in[1]);
      int64_t b = getInt(n, "batch_dims", 0), q = it.getRank(),
              r = xt.getRank(), k = q ? it.getShape().back() : 0;
      bool fits = q >= 1 && b >= 0 && b < std::min(q, r) && k >= 1 &&
                  b + k <= r && !ShapedType::isDynamic(k);
      for (int64_t d = 0; fits && d < b; ++d)
        fits = it.getDimSize(d) == xt.getDimSize(d);
      if (!fits)
        return im.error(n) << "indices " << it << " and data " << xt
                           << " with batch_dims " << b
                           << ": needs 0 <= batch_dims < both ranks, equal "
                              "batch dimensions and 1 <= k <= rank - "
                              "batch_dims for the tuples' length k",
               failure();
      Chain c{im, n};
      auto ints = [&](ArrayRef<int64_t> v, ArrayRef<int64_t> shape) {
        return im.intConstant(n.loc, it.getElementType(), v, shape);
      };
      SmallVector<int64_t> dims, strides(size_t(k), 1);
      for (int64_t j = 0; j < k; ++j)
        dims.push_back(xt.getDimSize(b + j));
      for (int64_t j = k - 2; j >= 0; --j)
        strides[size_t(j)] = strides[size_t(j + 1)] * dims[size_t(j + 1)];
      int64_t block = strides[0] * dims[0];
      Value idx = n.in[1];
      Value wrapped =
          c.op<nn::WhereOp>({c.op<nn::LessOp>({idx, ints({0}, {})}),
                             c.op<nn::AddOp>({idx, ints(dims, {k})}), idx});
      Value linear = c.op<nn::ReduceSumOp>(
          {c.op<nn::MulOp>({wrapped, ints(strides, {k})})},
          {im.named("axes", im.b.getDenseI64ArrayAttr({q - 1})),
           im.named("keepdims", im.b.getBoolAttr(false))});
      SmallVector<int64_t> lead(it.getShape().drop_back());
      if (b > 0) {
        // The batch position of each tuple, times the block size.
        int64_t inner =
            ShapedType::getNumElements(ArrayRef(lead).drop_front(b));
        int64_t count = ShapedType::getNumElements(lead);
        SmallVector<int64_t> offsets;
        for (int64_t e = 0; e < count; ++e)
          offsets.push_back(e / inner * block);
        linear = c.op<nn::AddOp>({linear, ints(offsets, lead)});
      }
      SmallVector<int64_t> flat{
          ShapedType::getNumElements(xt.getShape().take_front(b + k))};
      llvm::append_range(flat, xt.getShape().drop_front(b + k));
      return c.result(
          c.op<nn::GatherOp>({c.reshape(n.in[0], flat), linear},
                             {im.named("axis", im.b.getI64IntegerAttr(0))}));
    };
    // OneHot as nn ops: the indices (float ones truncated; negative ones
    // counting from depth) compared with 0 .. depth - 1 along the new axis,
    // then values[1] where equal and values[0] elsewhere (indices outside
    // [-depth, depth) match nothing: all values[0]).
    t["OneHot"] = [](Importer &im, Node &n) -> Outputs {
      auto it = tt(n.in[0]), vt = tt(n.in[2]);
      DenseElementsAttr d = constantOf(n.in[1]);
      if (!d || d.getNumElements() != 1)
        return im.error(n) << "depth must be a constant scalar", failure();
      int64_t depth =
          llvm::isa<FloatType>(d.getElementType())
              ? int64_t((*d.getValues<APFloat>().begin()).convertToDouble())
              : (*d.getValues<APInt>().begin()).getSExtValue();
      int64_t rank = it.getRank() + 1;
      auto axis = nn::normalizeAxis(getInt(n, "axis", -1), rank);
      if (depth < 1 || !axis || vt.getRank() != 1 || vt.getDimSize(0) != 2)
        return im.error(n) << "needs depth >= 1 (got " << depth
                           << "), an axis in range for the output's rank "
                           << rank << " and values of shape [2], got " << vt,
               failure();
      Chain c{im, n};
      Type i64 = im.b.getI64Type();
      Value idx = n.in[0];
      if (it.getElementType() != i64)
        idx = c.op<nn::CastOp>({idx}, {im.named("to", TypeAttr::get(i64))});
      Value wrapped = c.op<nn::WhereOp>(
          {c.op<nn::LessOp>({idx, im.i64Constant(n.loc, {0}, {})}),
           c.op<nn::AddOp>({idx, im.i64Constant(n.loc, {depth}, {})}), idx});
      SmallVector<int64_t> column(it.getShape()), iotaShape(size_t(rank), 1);
      column.insert(column.begin() + *axis, 1);
      iotaShape[size_t(*axis)] = depth;
      Value iota = im.i64Constant(
          n.loc, llvm::to_vector(llvm::seq<int64_t>(0, depth)), iotaShape);
      Value hot = c.op<nn::EqualOp>({c.reshape(wrapped, column), iota});
      auto value = [&](int64_t i) {
        return c.reshape(c.slice(n.in[2], {i}, {1}, {1}), {});
      };
      return c.result(c.op<nn::WhereOp>({hot, value(1), value(0)}));
    };
    t["Gather"] = [](Importer &im, Node &n) {
      return im.one<nn::GatherOp>(
          n, {n.in[0], n.in[1]},
          {im.named("axis", im.b.getI64IntegerAttr(getInt(n, "axis", 0)))});
    };
    t["Trilu"] = [](Importer &im, Node &n) -> Outputs {
      int64_t k = 0;
      if (n.in.size() > 1 && n.in[1]) {
        auto c = im.constInts(n, 1, "k");
        if (!c || c->size() != 1)
          return failure();
        k = (*c)[0];
      }
      return im.one<nn::TriluOp>(
          n, {n.in[0]},
          {im.named("upper", im.b.getBoolAttr(getInt(n, "upper", 1))),
           im.named("k", im.b.getI64IntegerAttr(k))});
    };
    t["Shape"] = [](Importer &im, Node &n) -> Outputs {
      auto in = tt(n.in[0]);
      int64_t r = in.getRank();
      int64_t start = getInt(n, "start", 0), end = getInt(n, "end", r);
      if (start < 0)
        start += r;
      if (end < 0)
        end += r;
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, start, r);
      SmallVector<int64_t> dims(
          in.getShape().slice(size_t(start), size_t(end - start)));
      return SmallVector<Value>{
          im.i64Constant(n.loc, dims, {int64_t(dims.size())})};
    };
    // Integer Mod as nn ops: r = a - b * (a / b) with nn.div's truncating
    // division, i.e. C's remainder (fmod = 1); with fmod = 0 (the default)
    // the result takes the divisor's sign: r + b where r is not 0 and its
    // sign differs from b's. Exact; folds when both inputs are constants
    // (the shape arithmetic of attention subgraphs). Float Mod (C fmod,
    // exact in IEEE arithmetic) has no exact form in these ops.
    t["Mod"] = [](Importer &im, Node &n) -> Outputs {
      Value a = n.in[0], b = n.in[1];
      Type et = tt(a).getElementType();
      if (llvm::isa<FloatType>(et)) {
        // ONNX requires fmod = 1 for floats: C's fmod (exact).
        if (getInt(n, "fmod", 0) == 0)
          return im.error(n) << "Mod of " << et << " values needs fmod = 1",
                 failure();
        return im.one<nn::FModOp>(n, {a, b});
      }
      if (!llvm::isa<IntegerType>(et))
        return im.error(n) << "Mod of " << et
                           << " values is not supported (integers and floats)",
               failure();
      Value result;
      auto step = [&](FailureOr<Operation *> op) {
        if (succeeded(op))
          result = (*op)->getResult(0);
        return succeeded(op);
      };
      if (!step(im.build<nn::DivOp>(n, {a, b})) ||
          !step(im.build<nn::MulOp>(n, {b, result})) ||
          !step(im.build<nn::SubOp>(n, {a, result})))
        return failure();
      Value r = result;
      if (getInt(n, "fmod", 0) != 0 || llvm::cast<IntegerType>(et).isUnsigned())
        return SmallVector<Value>{r};
      Value zero = im.constant(n.loc, llvm::cast<ElementsAttr>(im.b.getZeroAttr(
                                          RankedTensorType::get({}, et))));
      Value rNeg, bNeg, nonZero;
      if (!step(im.build<nn::LessOp>(n, {r, zero})))
        return failure();
      rNeg = result;
      if (!step(im.build<nn::LessOp>(n, {b, zero})))
        return failure();
      bNeg = result;
      if (!step(im.build<nn::EqualOp>(n, {r, zero})) ||
          !step(im.build<nn::NotOp>(n, {result})))
        return failure();
      nonZero = result;
      Value sum;
      if (!step(im.build<nn::XorOp>(n, {rNeg, bNeg})) ||
          !step(im.build<nn::AndOp>(n, {nonZero, result})))
        return failure();
      Value fix = result;
      if (!step(im.build<nn::AddOp>(n, {r, b})))
        return failure();
      sum = result;
      return im.one<nn::WhereOp>(n, {fix, sum, r});
    };
    // The element count of a static shape: an int64 scalar constant.
    t["Size"] = [](Importer &im, Node &n) -> Outputs {
      return SmallVector<Value>{
          im.i64Constant(n.loc, {tt(n.in[0]).getNumElements()}, {})};
    };
    t["ConstantOfShape"] = [](Importer &im, Node &n) -> Outputs {
      auto shape = im.constInts(n, 0, "the shape input");
      if (!shape)
        return failure();
      DenseElementsAttr value;
      if (auto *a = attr(n, "value")) {
        auto v = im.initializerAttr(a->t(), n.loc);
        if (failed(v))
          return failure();
        value = llvm::dyn_cast<DenseElementsAttr>(*v);
        if (!value)
          return im.error(n) << "value must be an inline tensor", failure();
      } else {
        value = DenseElementsAttr::get(
            RankedTensorType::get({1}, im.b.getF32Type()), 0.0f);
      }
      auto type = RankedTensorType::get(*shape, value.getElementType());
      return SmallVector<Value>{im.constant(
          n.loc,
          DenseElementsAttr::get(type, *value.value_begin<Attribute>()))};
    };
    t["Range"] = [](Importer &im, Node &n) -> Outputs {
      for (int i = 0; i < 3; ++i)
        if (!constantOf(n.in[size_t(i)]))
          return im.error(n) << "start, limit and delta must be constants",
                 failure();
      DenseElementsAttr s = constantOf(n.in[0]), l = constantOf(n.in[1]),
                        d = constantOf(n.in[2]);
      for (DenseElementsAttr v : {s, l, d})
        if (v.getNumElements() != 1 || v.getElementType() != s.getElementType())
          return im.error(n) << "start, limit and delta must be scalars of one "
                                "element type",
                 failure();
      if (llvm::isa<FloatType>(s.getElementType())) {
        float a = (*s.getValues<APFloat>().begin()).convertToFloat(),
              lim = (*l.getValues<APFloat>().begin()).convertToFloat(),
              del = (*d.getValues<APFloat>().begin()).convertToFloat();
        if (del == 0)
          return im.error(n) << "delta is zero", failure();
        double steps = std::ceil((double(lim) - double(a)) / double(del));
        if (!std::isfinite(steps))
          return im.error(n)
                     << "start " << a << ", limit " << lim << " and delta "
                     << del << " give no finite element count",
                 failure();
        if (steps > double(kMaxRangeElements))
          return im.error(n) << "start " << a << ", limit " << lim
                             << " and delta " << del << " give more than "
                             << kMaxRangeElements << " elements",
                 failure();
        int64_t cnt = std::max<int64_t>(0, int64_t(steps));
        std::vector<float> v;
        for (int64_t i = 0; i < cnt; ++i)
          v.push_back(a + float(i) * del);
        return SmallVector<Value>{im.constant(
            n.loc, DenseElementsAttr::get(
                       RankedTensorType::get({cnt}, s.getElementType()),
                       ArrayRef<float>(v)))};
      }
      int64_t a = (*s.getValues<APInt>().begin()).getSExtValue(),
              lim = (*l.getValues<APInt>().begin()).getSExtValue(),
              del = (*d.getValues<APInt>().begin()).getSExtValue();
      if (del == 0)
        return im.error(n) << "delta is zero", failure();
      // ceil((limit - start) / delta) in 128 bits: the difference of two
      // int64 values does not fit in one.
      __int128 span = __int128(lim) - __int128(a);
      __int128 steps = (span + del - (del > 0 ? 1 : -1)) / del;
      if (steps > kMaxRangeElements)
        return im.error(n) << "start " << a << ", limit " << lim
                           << " and delta " << del << " give more than "
                           << kMaxRangeElements << " elements",
               failure();
      int64_t cnt = std::max<int64_t>(0, int64_t(steps));
      std::vector<APInt> v;
      for (int64_t i = 0; i < cnt; ++i)
        v.emplace_back(s.getElementType().getIntOrFloatBitWidth(),
                       uint64_t(a + i * del), true);
      return SmallVector<Value>{im.constant(
          n.loc, DenseElementsAttr::get(
                     RankedTensorType::get({cnt}, s.getElementType()), v))};
    };
    t["Constant"] = [](Importer &im, Node &n) -> Outputs {
      if (auto *a = attr(n, "value")) {
        auto v = im.initializerAttr(a->t(), n.loc);
        if (failed(v))
          return failure();
        return SmallVector<Value>{im.constant(n.loc, *v)};
      }
      if (auto *a = attr(n, "value_float"))
        return SmallVector<Value>{im.constant(
            n.loc, DenseElementsAttr::get(
                       RankedTensorType::get({}, im.b.getF32Type()), a->f()))};
      if (auto *a = attr(n, "value_floats")) {
        std::vector<float> v(a->floats().begin(), a->floats().end());
        return SmallVector<Value>{im.constant(
            n.loc,
            DenseElementsAttr::get(
                RankedTensorType::get({int64_t(v.size())}, im.b.getF32Type()),
                ArrayRef<float>(v)))};
      }
      if (auto *a = attr(n, "value_int"))
        return SmallVector<Value>{im.i64Constant(n.loc, {a->i()}, {})};
      if (auto *a = attr(n, "value_ints")) {
        SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
        return SmallVector<Value>{
            im.i64Constant(n.loc, v, {int64_t(v.size())})};
      }
      return im.error(n) << "unsupported Constant form (sparse or string)",
             failure();
    };
    // The quantization handlers are Importer members (some with a flag).
    auto member = [](Outputs (Importer::*f)(Node &)) -> Handler {
      return [f](Importer &im, Node &n) { return (im.*f)(n); };
    };
    auto memberWith = [](Outputs (Importer::*f)(Node &, bool),
                         bool flag) -> Handler {
      return [f, flag](Importer &im, Node &n) { return (im.*f)(n, flag); };
    };
    t["QuantizeLinear"] = member(&Importer::quantizeLinear);
    t["DequantizeLinear"] = member(&Importer::dequantizeLinear);
    t["MatMulInteger"] = member(&Importer::matMulInteger);
    t["QLinearMatMul"] = member(&Importer::qlinearMatMul);
    t["ConvInteger"] = member(&Importer::convInteger);
    t["QLinearConv"] = member(&Importer::qlinearConv);
    t["DynamicQuantizeLinear"] = member(&Importer::dynamicQuantizeLinear);
    t["com.microsoft:QLinearAdd"] =
        memberWith(&Importer::qlinearBinary, /*isMul=*/false);
    t["com.microsoft:QLinearMul"] =
        memberWith(&Importer::qlinearBinary, /*isMul=*/true);
    t["com.microsoft:QLinearGlobalAveragePool"] =
        member(&Importer::qlinearGlobalAveragePool);
    t["com.microsoft:QLinearConcat"] = member(&Importer::qlinearConcat);
    t["com.microsoft:QGemm"] = member(&Importer::qgemm);
    t["com.microsoft:QLinearSigmoid"] =
        memberWith(&Importer::qlinearActivation, /*sigmoid=*/true);
    t["com.microsoft:QLinearLeakyRelu"] =
        memberWith(&Importer::qlinearActivation, /*sigmoid=*/false);
    t["com.microsoft:QLinearWhere"] = member(&Importer::qlinearWhere);
    t["com.microsoft:QLinearSoftmax"] = member(&Importer::qlinearSoftmax);
    t["com.microsoft:Attention"] =
        memberWith(&Importer::contribAttention, /*quantized=*/false);
    t["com.microsoft:QAttention"] =
        memberWith(&Importer::contribAttention, /*quantized=*/true);
    t["GridSample"] = member(&Importer::gridSample);
    t["RoiAlign"] = member(&Importer::roiAlign);
    t["DeformConv"] = member(&Importer::deformConv);
    t["Det"] = member(&Importer::det);
    t["If"] = member(&Importer::ifThenElse);
    t["Scan"] = member(&Importer::scan);
    t["Loop"] = member(&Importer::loop);
    // ONNX AffineGrid: theta [N, k, k + 1] times the homogeneous normalized
    // coordinates of every output position (a constant [k + 1, P]; start +
    // i * step as ONNX's reference, in double, rounded once), transposed
    // to [N, D1.., k] with x (the last spatial dimension) first.
    t["AffineGrid"] = [](Importer &im, Node &n) -> Outputs {
      Value theta = n.in[0];
      auto th = tt(theta);
      auto size = im.constInts(n, 1, "size");
      if (!size)
        return failure();
      int64_t k = int64_t(size->size()) - 2;
      if ((k != 2 && k != 3) || th.getRank() != 3 || !th.hasStaticShape() ||
          th.getDimSize(1) != k || th.getDimSize(2) != k + 1 ||
          !llvm::isa<FloatType>(th.getElementType()))
        return im.error(n) << "needs a size of rank 4 or 5 and a float theta "
                              "[N, k, k + 1] for its k spatial dimensions, "
                              "got "
                           << th,
               failure();
      bool align = getInt(n, "align_corners", 0) != 0;
      SmallVector<int64_t> dims((*size).begin() + 2, (*size).end());
      int64_t points = 1;
      for (int64_t d : dims)
        points *= d;
      // Row j of the constant: coordinate j (x = the last dimension) of
      // every point, then ones.
      SmallVector<double> base(size_t((k + 1) * points), 1.0);
      for (int64_t p = 0; p < points; ++p) {
        int64_t rest = p;
        for (int64_t d = k - 1; d >= 0; --d) {
          int64_t len = dims[size_t(d)], i = rest % len;
          rest /= len;
          double step = align ? 2.0 / double(len - 1) : 2.0 / double(len);
          double start = align ? -1.0 : -1.0 + step / 2;
          base[size_t((k - 1 - d) * points + p)] = start + double(i) * step;
        }
      }
      Chain c{im, n};
      Value grid = c.op<nn::MatMulOp>(
          {theta, im.floatConstant(n.loc, th.getElementType(), base,
                                   {k + 1, points})});
      SmallVector<int64_t> out{th.getDimSize(0)};
      out.append(dims.begin(), dims.end());
      out.push_back(k);
      return c.result(c.reshape(c.transpose(grid, {0, 2, 1}), out));
    };
    t["com.microsoft:EmbedLayerNormalization"] =
        memberWith(&Importer::embedLayerNorm, /*quantized=*/false);
    t["com.microsoft:QEmbedLayerNormalization"] =
        memberWith(&Importer::embedLayerNorm, /*quantized=*/true);
    t["com.microsoft:QLinearAveragePool"] =
        member(&Importer::qlinearAveragePool);
    t["com.microsoft:MatMulIntegerToFloat"] =
        memberWith(&Importer::matMulIntegerToFloat, /*dynamic=*/false);
    t["com.microsoft:DynamicQuantizeMatMul"] =
        memberWith(&Importer::matMulIntegerToFloat, /*dynamic=*/true);
    // com.microsoft FusedMatMul (onnxruntime's fusion of Transpose, MatMul
    // and a scalar Mul): alpha * (A' B'), A' / B' with their last two axes
    // swapped by transA / transB.
    t["com.microsoft:FusedMatMul"] = [](Importer &im, Node &n) -> Outputs {
      if (getInt(n, "transBatchA", 0) || getInt(n, "transBatchB", 0))
        return im.error(n) << "transBatchA / transBatchB are not supported",
               failure();
      Chain c{im, n};
      SmallVector<Value> ops{n.in[0], n.in[1]};
      for (int i = 0; i < 2; ++i) {
        if (!getInt(n, i ? "transB" : "transA", 0))
          continue;
        int64_t rank = tt(ops[size_t(i)]).getRank();
        if (rank < 2)
          return im.error(n) << (i ? "B" : "A")
                             << " must have rank >= 2 to be transposed",
                 failure();
        SmallVector<int64_t> perm;
        for (int64_t d = 0; d < rank - 2; ++d)
          perm.push_back(d);
        perm.append({rank - 1, rank - 2});
        ops[size_t(i)] = c.transpose(ops[size_t(i)], perm);
      }
      Value y = c.op<nn::MatMulOp>(ops);
      float alpha = getFloat(n, "alpha", 1.0f);
      if (alpha != 1.0f && y)
        y = c.op<nn::MulOp>(
            {y, c.scalar(tt(y).getElementType(), double(alpha))});
      return c.result(y);
    };
    // com.microsoft Gelu / FastGelu / BiasGelu / QuickGelu (onnxruntime's
    // activation fusions): GELU (FastGelu: its tanh form) of x (+ bias);
    // QuickGelu x * sigmoid(alpha * x).
    auto gelu = [](StringRef approximate) {
      return [approximate](Importer &im, Node &n) -> Outputs {
        Chain c{im, n};
        Value x = n.in[0];
        if (n.in.size() > 1 && n.in[1])
          x = c.op<nn::AddOp>({x, n.in[1]});
        return c.result(c.op<nn::GeluOp>(
            {x}, {im.named("approximate", im.b.getStringAttr(approximate))}));
      };
    };
    t["com.microsoft:Gelu"] = gelu("none");
    t["com.microsoft:BiasGelu"] = gelu("none");
    t["com.microsoft:FastGelu"] = gelu("tanh");
    t["com.microsoft:QuickGelu"] = [](Importer &im, Node &n) -> Outputs {
      Chain c{im, n};
      Value x = n.in[0];
      float alpha = getFloat(n, "alpha", 1.702f);
      Value ax = alpha == 1.0f
                     ? x
                     : c.op<nn::MulOp>({x, c.scalar(tt(x).getElementType(),
                                                    double(alpha))});
      return c.result(c.op<nn::MulOp>({x, c.op<nn::SigmoidOp>({ax})}));
    };
    t["com.microsoft:MatMulNBits"] = [](Importer &im, Node &n) {
      return im.matMulNBits(n);
    };
    for (const char *domain : {"qonnx.custom_op.general",
                               "finn.custom_op.general", "onnx.brevitas"}) {
      std::string d(domain);
      t[d + ":Quant"] = [](Importer &im, Node &n) { return im.qonnxQuant(n); };
      // IntQuant is the newer QONNX name of Quant.
      t[d + ":IntQuant"] = [](Importer &im, Node &n) {
        return im.qonnxQuant(n);
      };
      t[d + ":BipolarQuant"] = [](Importer &im, Node &n) {
        return im.qonnxBipolar(n);
      };
      t[d + ":Trunc"] = [](Importer &im, Node &n) { return im.qonnxTrunc(n); };
      t[d + ":FloatQuant"] = [](Importer &im, Node &n) {
        return im.qonnxFloatQuant(n);
      };
    }
    return t;
  }();
  return table;
}

/// How many leading inputs an operator requires.
static size_t requiredInputs(StringRef op) {
  static const llvm::StringMap<size_t> counts = {
      {"Constant", 0},
      {"Add", 2},
      {"Sub", 2},
      {"Mul", 2},
      {"Div", 2},
      {"Pow", 2},
      {"Equal", 2},
      {"Less", 2},
      {"Greater", 2},
      {"Where", 3},
      {"Attention", 3},
      {"ConvTranspose", 2},
      {"CumSum", 2},
      {"RotaryEmbedding", 3},
      {"MatMul", 2},
      {"Gemm", 2},
      {"Conv", 2},
      {"BatchNormalization", 5},
      {"LayerNormalization", 2},
      {"RMSNormalization", 2},
      {"com.microsoft:SimplifiedLayerNormalization", 2},
      {"Reshape", 2},
      {"Expand", 2},
      {"Gather", 2},
      {"GatherElements", 2},
      {"ScatterElements", 3},
      {"GatherND", 2},
      {"OneHot", 3},
      {"RNN", 3},
      {"GRU", 3},
      {"LSTM", 3},
      {"NegativeLogLikelihoodLoss", 2},
      {"SoftmaxCrossEntropyLoss", 2},
      {"Scatter", 3},
      {"ScatterND", 3},
      {"TopK", 2},
      {"Slice", 3},
      {"Range", 3},
      {"QuantizeLinear", 2},
      {"DequantizeLinear", 2},
      {"MatMulInteger", 2},
      {"ConvInteger", 2},
      {"QLinearConv", 8},
      {"QLinearMatMul", 8},
      {"com.microsoft:QLinearAdd", 2},
      {"com.microsoft:QLinearMul", 2},
      {"com.microsoft:QLinearGlobalAveragePool", 4},
      {"com.microsoft:QLinearConcat", 2},
      {"com.microsoft:QGemm", 6},
      {"com.microsoft:QLinearSigmoid", 2},
      {"com.microsoft:QLinearLeakyRelu", 2},
      {"com.microsoft:QLinearSoftmax", 2},
      {"com.microsoft:Attention", 2},
      {"com.microsoft:GroupQueryAttention", 1}, // 5 and 6 checked there
      {"com.microsoft:RotaryEmbedding", 4},
      {"com.microsoft:GatherBlockQuantized", 3},
      {"com.microsoft:MultiHeadAttention", 1},
      {"com.microsoft:QAttention", 5},
      {"GridSample", 2},
      {"RoiAlign", 3},
      {"DeformConv", 3},
      {"BitwiseAnd", 2},
      {"BitwiseOr", 2},
      {"BitwiseXor", 2},
      {"GroupNormalization", 3},
      {"CenterCropPad", 2},
      {"AffineGrid", 2},
      {"Col2Im", 3},
      {"TensorScatter", 2},
      {"ReverseSequence", 2},
      {"Compress", 2},
      {"MaxUnpool", 2},
      {"STFT", 2},
      {"MelWeightMatrix", 5},
      {"com.microsoft:QLinearAveragePool", 2},
      {"com.microsoft:MatMulIntegerToFloat", 4},
      {"com.microsoft:DynamicQuantizeMatMul", 3},
      {"com.microsoft:FusedMatMul", 2},
      {"com.microsoft:BiasGelu", 2},
      {"SimplifiedLayerNormalization", 2},
      {"com.microsoft:SkipLayerNormalization", 3},
      {"com.microsoft:SkipSimplifiedLayerNormalization", 3}};
  auto it = counts.find(op);
  return it == counts.end() ? 1 : it->second;
}

//===----------------------------------------------------------------------===//
// Graph import
//===----------------------------------------------------------------------===//

} // namespace

OwningOpRef<ModuleOp> Importer::run() {
  Location fileLoc = FileLineColLoc::get(ctx, filename, 0, 0);
  for (const auto &imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset == 0)
    return emitError(fileLoc) << "the model imports no default-domain opset",
           nullptr;
  if (opset < kOldestOpset) // importONNX upgrades older models first
    return emitError(fileLoc) << "opset " << opset << " is older than "
                              << kOldestOpset << ", the oldest supported",
           nullptr;
  // Opset 24 only adds element types to the operators handled here.
  if (opset > 24)
    return emitError(fileLoc) << "opset " << opset
                              << " is newer than 24, the newest supported",
           nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());
  func::FuncOp func;
  if (failed(importGraph(model.graph(), func)))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

LogicalResult Importer::importNodes(
    const google::protobuf::RepeatedPtrField<onnx::NodeProto> &nodes,
    const llvm::StringMap<const onnx::TensorProto *> &inits, Location fileLoc) {
  // Topological order (Kahn), rejecting cycles and undefined inputs.
  int numNodes = nodes.size();
  llvm::StringMap<int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const auto &o : nodes[i].output())
      if (!o.empty())
        producer[o] = i;
  std::vector<int> indegree(static_cast<size_t>(numNodes), 0);
  std::vector<std::vector<int>> consumers(static_cast<size_t>(numNodes));
  for (int i = 0; i < numNodes; ++i) {
    const auto &node = nodes[i];
    // A node's inputs, and the outer values its subgraphs (If branches)
    // read.
    SmallVector<std::string> reads(node.input().begin(), node.input().end());
    for (const auto &a : node.attribute())
      if (a.has_g())
        subgraphReads(a.g(), reads);
    llvm::StringSet<> seen;
    for (const auto &in : reads) {
      if (in.empty() || values.count(in) || inits.count(in) ||
          !seen.insert(in).second)
        continue;
      auto p = producer.find(in);
      if (p == producer.end() && !llvm::is_contained(node.input(), in))
        continue; // resolved (or diagnosed) when the subgraph is imported
      if (p == producer.end()) {
        currentIndex = i;
        Node n{node,
               NameLoc::get(b.getStringAttr(node.name().empty() ? node.op_type()
                                                                : node.name()),
                            fileLoc),
               {}};
        return error(n) << "input '" << in
                        << "' is neither a graph input, an initializer nor "
                           "the output of a node";
      }
      ++indegree[size_t(i)];
      consumers[size_t(p->second)].push_back(i);
    }
  }
  std::deque<int> ready;
  for (int i = 0; i < numNodes; ++i)
    if (!indegree[size_t(i)])
      ready.push_back(i);
  std::vector<int> order;
  while (!ready.empty()) {
    int i = ready.front();
    ready.pop_front();
    order.push_back(i);
    for (int c : consumers[size_t(i)])
      if (--indegree[size_t(c)] == 0)
        ready.push_back(c);
  }
  if (int(order.size()) != numNodes) {
    for (int i = 0; i < numNodes; ++i)
      if (indegree[size_t(i)]) {
        currentIndex = i;
        const auto &node = nodes[i];
        Node n{node,
               NameLoc::get(b.getStringAttr(node.name().empty() ? node.op_type()
                                                                : node.name()),
                            fileLoc),
               {}};
        return error(n) << "the graph has a cycle through this node";
      }
  }

  for (int i : order) {
    const auto &node = nodes[i];
    currentIndex = i;
    Location loc = NameLoc::get(
        b.getStringAttr(node.name().empty()
                            ? node.op_type() + "#" + std::to_string(i)
                            : node.name()),
        fileLoc);
    Node n{node, loc, {}};
    for (const auto &in : node.input())
      n.in.push_back(in.empty() ? Value() : values.lookup(in));
    std::string key = node.domain().empty() || node.domain() == "ai.onnx"
                          ? node.op_type()
                          : node.domain() + ":" + node.op_type();
    auto h = handlers().find(key);
    if (h == handlers().end())
      return error(n) << "unsupported operator '" << key << "'"
                      << (node.domain().empty()
                              ? " in the default domain"
                              : " (domain '" + node.domain() + "')");
    // Fewer inputs than the operator's ONNX schema requires are malformed
    // (a handler would read past them).
    int minInputs = 0;
    if (onnx_import::lookupMinInputs(
            node.op_type(), node.domain() == "ai.onnx" ? "" : node.domain(),
            int(opset), minInputs) &&
        node.input_size() < minInputs)
      return error(n) << "has " << node.input_size() << " inputs, but "
                      << node.op_type() << " takes at least " << minInputs;
    // Counts beyond what the operator's ONNX schema allows are malformed
    // (a handler would otherwise ignore the extra inputs).
    onnx_import::OpArity arity;
    if (onnx_import::lookupOpArity(
            node.op_type(), node.domain() == "ai.onnx" ? "" : node.domain(),
            int(opset), arity)) {
      if (node.input_size() > arity.maxInputs)
        return error(n) << "has " << node.input_size() << " inputs, but "
                        << node.op_type() << "-" << arity.sinceVersion
                        << " takes at most " << arity.maxInputs;
      if (node.output_size() > arity.maxOutputs)
        return error(n) << "has " << node.output_size() << " outputs, but "
                        << node.op_type() << "-" << arity.sinceVersion
                        << " has at most " << arity.maxOutputs;
    }
    // Flags are 0 or 1; other values mean different things to different
    // runtimes (onnxruntime reads keepdims = 2 as false, ONNX's reference
    // as true), so they are errors here.
    for (const auto &a : node.attribute())
      if (a.type() == onnx::AttributeProto::INT && a.i() != 0 && a.i() != 1 &&
          llvm::is_contained(kFlagAttributes, a.name()))
        return error(n) << "attribute '" << a.name() << "' must be 0 or 1, got "
                        << a.i();
    // Required inputs must be present (quantized initializers are read by
    // their handlers directly, so DequantizeLinear's first may be null;
    // Loop's M and cond may be empty, its handler decides).
    size_t required =
        std::max(requiredInputs(key), size_t(std::max(minInputs, 0)));
    if (n.in.size() < required)
      return error(n) << "has " << n.in.size() << " inputs, expected at least "
                      << required;
    for (size_t r = 0; r < required; ++r)
      if (!n.in[r] && !(key == "DequantizeLinear" && r == 0) && key != "Loop")
        return error(n) << "input " << r << " ('" << node.input(int(r))
                        << "') is missing or of an unsupported type";
    // ONNX sees a QuantizeLinear output as its integer tensor: operators
    // that do not read quantized tensors themselves get the codes
    // (qc.codes), so that QOperator models can move them (Reshape,
    // Transpose, MaxPool, ...) between their QLinear ops.
    if (!llvm::is_contained(
            {"DequantizeLinear", "Identity", "Cast", "CastLike"}, key))
      for (auto [i, v] : llvm::enumerate(n.in))
        if (v && llvm::isa<QTensorType>(v.getType())) {
          auto c = integerView(n, v, "input " + std::to_string(i));
          if (failed(c))
            return failure();
          v = *c;
        }
    // Every failure is reported: a handler whose nn ops failed without a
    // diagnostic (an operand that could not be built) gets a generic one.
    bool reported = false;
    auto outs = [&] {
      ScopedDiagnosticHandler watch(ctx, [&](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error)
          reported = true;
        return failure(); // pass it on
      });
      return h->second(*this, n);
    }();
    if (failed(outs)) {
      if (!reported)
        error(n) << "cannot be imported with these inputs and attributes";
      return failure();
    }
    if (int(outs->size()) < node.output_size())
      return error(n) << "produces " << outs->size() << " outputs but the "
                      << "node declares " << node.output_size();
    for (int o = 0; o < node.output_size(); ++o)
      if (!node.output(o).empty())
        values[node.output(o)] = (*outs)[size_t(o)];
  }
  return success();
}

LogicalResult Importer::importGraph(const onnx::GraphProto &g,
                                    func::FuncOp &func) {
  Location fileLoc = FileLineColLoc::get(ctx, filename, 0, 0);
  // Initializers.
  llvm::StringMap<const onnx::TensorProto *> inits;
  for (const auto &t : g.initializer())
    inits[t.name()] = &t;
  initializers = inits;
  // Graph inputs that are not initializers become function arguments.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &vi : g.input()) {
    if (inits.count(vi.name()))
      continue;
    Location loc = NameLoc::get(b.getStringAttr(vi.name()), fileLoc);
    if (!vi.type().has_tensor_type())
      return emitError(loc)
             << "graph input '" << vi.name() << "' is not a tensor";
    const auto &tt = vi.type().tensor_type();
    Type elem = elementType(ctx, tt.elem_type());
    // 8- and 4-bit formats (float8, float4, int4, e8m0) enter as the codes
    // of a `!qc.qtensor` with a unit per-tensor scale.
    std::optional<num::Format> qf;
    if (!elem && tt.elem_type() >= kFloat8E4M3FN)
      qf = onnx_types::formatOf(tt.elem_type());
    if (!elem && !qf)
      return emitError(loc)
             << "graph input '" << vi.name() << "' has type "
             << typeName(tt.elem_type()) << ", which is not supported";
    SmallVector<int64_t> shape;
    auto over = opts.inputShapes.find(vi.name());
    if (over != opts.inputShapes.end()) {
      shape.assign(over->second.begin(), over->second.end());
      if (tt.has_shape() && tt.shape().dim_size() != int(shape.size()))
        return emitError(loc)
               << "--input-shape for '" << vi.name() << "' has rank "
               << shape.size() << " but the model declares rank "
               << tt.shape().dim_size();
    } else {
      auto data = opts.dataShapes.find(vi.name());
      bool fromData = data != opts.dataShapes.end() &&
                      (!tt.has_shape() ||
                       tt.shape().dim_size() == int(data->second.size()));
      if (!tt.has_shape() && !fromData)
        return emitError(loc) << "graph input '" << vi.name()
                              << "' has no shape; pass --input-shape "
                              << vi.name() << "=D0xD1x...";
      if (!tt.has_shape())
        shape.assign(data->second.begin(), data->second.end());
      for (const auto &[i, d] : llvm::enumerate(tt.shape().dim())) {
        if ((!d.has_dim_value() || d.dim_value() < 0) && fromData) {
          shape.push_back(data->second[i]);
          continue;
        }
        if (!d.has_dim_value() || d.dim_value() < 0)
          return emitError(loc)
                 << "graph input '" << vi.name() << "' has a symbolic dimension"
                 << (d.has_dim_param() ? " '" + d.dim_param() + "'" : "")
                 << "; pin it with --input-shape " << vi.name() << "=D0xD1x...";
        shape.push_back(d.dim_value());
      }
    }
    argTypes.push_back(qf ? Type(unitQTensorType(shape, *qf))
                          : Type(RankedTensorType::get(shape, elem)));
    argNames.push_back(vi.name());
  }
  for (auto &[name, shape] : opts.inputShapes)
    if (!llvm::is_contained(argNames, name.str()))
      return emitError(fileLoc) << "--input-shape names '" << name
                                << "', which is not a graph input";

  func = b.create<func::FuncOp>(fileLoc, opts.functionName,
                                FunctionType::get(ctx, argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [arg, name] : llvm::zip(entry->getArguments(), argNames))
    arg.setLoc(NameLoc::get(b.getStringAttr(name), fileLoc));
  b.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(argNames))
    values[name] = entry->getArgument(unsigned(i));
  for (const auto &t : g.initializer()) {
    Location loc = NameLoc::get(b.getStringAttr(t.name()), fileLoc);
    // Quantized initializers (consumed by DequantizeLinear) stay as protos.
    if (!elementType(ctx, t.data_type()))
      continue;
    auto attr = initializerAttr(t, loc);
    if (failed(attr))
      return failure();
    values[t.name()] = constant(loc, *attr);
  }

  if (failed(importNodes(g.node(), inits, fileLoc)))
    return failure();

  SmallVector<Value> results;
  for (const auto &o : g.output()) {
    Value v = values.lookup(o.name());
    if (!v)
      return emitError(fileLoc)
             << "graph output '" << o.name() << "' is not produced by any node";
    results.push_back(v);
  }
  b.create<func::ReturnOp>(fileLoc, results);
  // Constants consumed only at import time (shapes, axes) are dropped.
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
    if (llvm::isa<arith::ConstantOp>(op) && op.use_empty())
      op.erase();
  func.setType(
      FunctionType::get(ctx, argTypes, ValueRange(results).getTypes()));
  SmallVector<Attribute> inNames, outNames;
  for (auto &s : argNames)
    inNames.push_back(b.getStringAttr(s));
  for (const auto &o : g.output())
    outNames.push_back(b.getStringAttr(o.name()));
  func->setAttr("onnx.input_names", b.getArrayAttr(inNames));
  func->setAttr("onnx.output_names", b.getArrayAttr(outNames));
  return success();
}

std::vector<std::string> qc::supportedONNXOperators() {
  std::vector<std::string> ops;
  for (const auto &entry : Importer::handlers())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}

bool qc::parseInputShape(StringRef spec, ONNXImportOptions &options,
                         std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('=')) {
    error = "--input-shape expects NAME=D0xD1x..., got '" + spec.str() + "'";
    return false;
  }
  std::vector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0) {
      error = "--input-shape dimension '" + p.str() + "' of '" + name.str() +
              "' is not a non-negative integer";
      return false;
    }
    shape.push_back(d);
  }
  options.inputShapes[name] = shape;
  return true;
}

OwningOpRef<ModuleOp> qc::importONNX(StringRef buffer, StringRef filename,
                                     MLIRContext *context,
                                     const ONNXImportOptions &options) {
  context->loadDialect<func::FuncDialect, arith::ArithDialect, nn::NNDialect,
                       QCDialect>();
  std::string err;
  auto model = onnx_import::parseModel(buffer.data(), buffer.size(), err);
  if (!model) {
    emitError(FileLineColLoc::get(context, filename, 0, 0)) << err;
    return nullptr;
  }
  // Older opsets are rewritten for opset 13 by ONNX's own version
  // converter (its adapters carry the semantic changes: Softmax's
  // coercion to 2-D, Split and the Reduce ops' axes, Clip's and Pad's
  // attributes turned inputs, ...).
  int64_t opset = 0;
  for (const auto &imp : model->opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset > 0 && opset < kOldestOpset &&
      !onnx_import::convertOpset(*model, kOldestOpset, err)) {
    emitError(FileLineColLoc::get(context, filename, 0, 0))
        << "opset " << opset << " is older than " << kOldestOpset
        << " and ONNX's version converter cannot upgrade the model to it: "
        << err;
    return nullptr;
  }
  Importer importer(context, *model, filename, options);
  return importer.run();
}

OwningOpRef<ModuleOp> qc::importONNXFile(StringRef path, MLIRContext *context,
                                         const ONNXImportOptions &options) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << "cannot open '" << path << "': " << file.getError().message();
    return nullptr;
  }
  return importONNX((*file)->getBuffer(), path, context, options);
}

/// --input-shape, shared by every tool that links the importer.
static llvm::cl::list<std::string> clInputShapes(
    "input-shape",
    llvm::cl::desc("Static shape of an ONNX graph input: NAME=D0xD1x... "
                   "(repeatable)"),
    llvm::cl::value_desc("NAME=D0xD1x..."));

/// --matmulnbits-float-activations, shared the same way.
static llvm::cl::opt<bool> clMatMulNBitsFloat(
    "matmulnbits-float-activations",
    llvm::cl::desc("Compute com.microsoft MatMulNBits with f32 activations "
                   "even where accuracy_level is 4 (by default level 4 "
                   "quantizes the activations to int8 per block of K, as "
                   "onnxruntime's CPU kernel)"),
    llvm::cl::init(false));

bool qc::getONNXImportOptionsFromCL(ONNXImportOptions &options,
                                    std::string &error) {
  for (const std::string &spec : clInputShapes)
    if (!parseInputShape(spec, options, error))
      return false;
  options.matMulNBitsFloatActivations = clMatMulNBitsFloat;
  return true;
}

void qc::registerONNXImportTranslation() {
  static TranslateToMLIRRegistration importer(
      "import-onnx", "Import an ONNX model (binary or text syntax)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        ONNXImportOptions options;
        std::string err;
        if (!getONNXImportOptionsFromCL(options, err)) {
          emitError(UnknownLoc::get(context)) << err;
          return nullptr;
        }
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        auto module = importONNX(buf->getBuffer(), buf->getBufferIdentifier(),
                                 context, options);
        if (!module)
          return nullptr;
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) {
        registry.insert<func::FuncDialect, arith::ArithDialect, nn::NNDialect,
                        QCDialect>();
      });
}

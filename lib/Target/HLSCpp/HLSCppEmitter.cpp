//===- HLSCppEmitter.cpp - Vitis HLS C++ from nn + qc ---------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// A printer that only reads the IR: one top function for the module's
// function, every tensor a flat row-major array, one loop nest per op with
// its innermost loop pipelined, weights and other constants as file-scope
// `static const` arrays. Integer codes are held as the integers they stand
// for, in ap_int / ap_uint of their format's width; fixed-point codes as the
// values they stand for in ap_fixed; minifloat codes as their bit patterns
// in ap_uint, with one encoder function and one table of code values per
// format; integer accumulators in ap_int of their width (wrapping, as
// qc.linear defines); float32 values as float, each
// operation written once so that the C simulation rounds exactly where the
// reference interpreter does (compile it without FMA contraction).
//
//===----------------------------------------------------------------------===//

#include "qc/Target/HLSCpp/HLSCppEmitter.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Interpreter/Interpreter.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/IndentedOstream.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace qc;

namespace {

/// How the printed code refers to one SSA value.
struct ValueInfo {
  /// An array name, or for a splat the literal of its one value.
  std::string name;
  bool splat = false;
  SmallVector<int64_t> shape;
  /// The C++ element type (float, ap_int<W>, ap_uint<W>, bool).
  std::string ctype;
};

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// An exact C++ literal for a float32 value.
std::string floatLiteral(float v) {
  if (std::isnan(v))
    return std::signbit(v) ? "(-NAN)" : "NAN";
  if (std::isinf(v))
    return v > 0 ? "INFINITY" : "(-INFINITY)";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%af", double(v));
  return buf;
}

/// An exact C++ literal for a finite double.
std::string doubleLiteral(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

std::string intLiteral(int64_t v) {
  if (v == INT64_MIN)
    return "(-9223372036854775807LL - 1)";
  std::string s = std::to_string(v);
  if (v > INT32_MAX || v < INT32_MIN)
    s += "LL";
  return s;
}

/// A C++ identifier from a model's tensor name.
std::string sanitize(StringRef name) {
  std::string s;
  for (char c : name)
    s += llvm::isAlnum(c) ? c : '_';
  if (s.empty() || llvm::isDigit(s[0]))
    s = "t_" + s;
  return s;
}

/// The row-major offset of `idx` (one index expression per dimension) in a
/// tensor of `shape`; size-1 dimensions contribute nothing.
std::string linearIndex(ArrayRef<int64_t> shape, ArrayRef<std::string> idx) {
  assert(shape.size() == idx.size() && "one index per dimension");
  std::string s;
  int64_t stride = 1;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] != 1 && idx[d] != "0") {
      std::string term = idx[d];
      if (stride != 1)
        term = "(" + term + ") * " + std::to_string(stride);
      s = s.empty() ? term : term + " + " + s;
    }
    stride *= shape[d];
  }
  return s.empty() ? "0" : s;
}

class HLSCppEmitter {
public:
  explicit HLSCppEmitter(func::FuncOp func) : func(func) {}

  /// Emits the helper functions, constants and the top function.
  LogicalResult emitSource(raw_ostream &out);
  /// Emits a testbench calling the top function.
  LogicalResult emitTestbench(raw_ostream &out);
  /// The top function's declarator: `void top(ports)`.
  void printSignature(raw_ostream &out);

private:
  /// The C++ element type of a tensor or quantized tensor type.
  FailureOr<std::string> elementCType(Operation *where, Type type);
  FailureOr<SmallVector<int64_t>> staticShape(Operation *where, Type type);
  /// Names and types of the top function's ports.
  LogicalResult collectPorts();

  /// Element `idx` of `v` (one index per dimension of v).
  std::string at(Value v, ArrayRef<std::string> idx);
  /// Element of `v` broadcast (numpy, right-aligned) to a result indexed by
  /// `outIdx`.
  std::string broadcastAt(Value v, ArrayRef<std::string> outIdx);
  /// Element of a scale or zero-point tensor of `scheme` for the quantized
  /// element at `idx`.
  std::string schemeAt(Value v, SchemeAttr scheme, ArrayRef<std::string> idx);
  /// The row-major offset of that element in a scale tensor of `scaleShape`.
  static std::string schemeIndex(ArrayRef<int64_t> scaleShape,
                                 SchemeAttr scheme, ArrayRef<std::string> idx);
  /// Reads an integer element as int64_t.
  static std::string asI64(const std::string &e) {
    // Integer literals (splat constants, intLiteral's forms) are C++
    // integers already.
    bool literal = llvm::all_of(e, [](char c) {
      return llvm::isDigit(c) || c == '-' || c == 'L' || c == '(' || c == ')' ||
             c == ' ';
    });
    return literal ? e : "(int64_t)(" + e + ")";
  }

  /// Declares the result array of `v` and records it.
  LogicalResult declareResult(Operation *op, Value v);
  /// Opens one loop per dimension (the innermost pipelined if `pipeline`);
  /// returns the index variables.
  SmallVector<std::string> openLoops(ArrayRef<int64_t> shape, bool pipeline,
                                     StringRef prefix = "i");
  void closeLoops(size_t n);
  /// `for (int var = 0; var < n; ++var) { stmt }`, pipelined.
  void innerLoop(StringRef var, int64_t n, StringRef stmt);

  LogicalResult emitOp(Operation *op);
  LogicalResult emitConstant(Operation *op, ElementsAttr attr);
  LogicalResult
  emitElementwise(Operation *op,
                  function_ref<std::string(ArrayRef<std::string>)> expr);
  LogicalResult emitQuantize(Operation *op, Value input, Value scales,
                             Value zeroPoints, Value globalScale,
                             QTensorType qt, RoundingMode rounding,
                             bool dequantize);
  LogicalResult emitDequantize(qc::DequantizeOp op);
  LogicalResult emitComputeScales(qc::ComputeScalesOp op);
  LogicalResult emitRotate(qc::RotateOp op);
  /// Code applying `rotation` (transposed if `transposed`) in place to the
  /// double array `buf` of `length` values, in the interpreter's order of
  /// operations (RotationAttrInterface::applyToRows).
  LogicalResult emitRotation(Operation *op, Attribute rotation,
                             const std::string &buf, int64_t length,
                             bool transposed);
  /// A file-scope constant array of `ctype` holding `lits`.
  std::string constantTable(StringRef ctype, ArrayRef<std::string> lits);
  LogicalResult emitLinear(qc::LinearOp op);
  LogicalResult emitRescale(qc::RescaleOp op);
  LogicalResult emitCast(nn::CastOp op);
  /// nn.matmul (floats) and nn.matmul_integer (with zero points).
  LogicalResult emitMatMul(Operation *op, Value lhs, Value rhs,
                           Value lhsZeroPoint = {}, Value rhsZeroPoint = {});
  LogicalResult emitGemm(nn::GemmOp op);
  /// nn.softmax and (`log`) nn.log_softmax.
  template <typename SoftmaxLikeOp>
  LogicalResult emitSoftmax(SoftmaxLikeOp op, bool log);
  LogicalResult emitConcat(nn::ConcatOp op);
  /// nn.layer_norm and (`rms`) nn.rms_norm.
  LogicalResult emitNorm(Operation *op, Value input, Value scale, Value bias,
                         int64_t axis, float epsilon, bool rms);
  LogicalResult emitSplit(nn::SplitOp op);
  /// nn.conv (float) and nn.conv_integer (zero points, i32 wrap).
  template <typename ConvLikeOp>
  LogicalResult emitConv(ConvLikeOp op, Value bias, Value xZeroPoint = {},
                         Value wZeroPoint = {});
  template <typename PoolOp> LogicalResult emitPool(PoolOp op, bool isMax);
  LogicalResult emitGlobalAveragePool(nn::GlobalAveragePoolOp op);
  std::string insideImage(Value v);
  void openWindow(ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                  StringRef i, StringRef j);
  enum class Reduction { Max, Sum, Mean };
  template <typename ReduceOp>
  LogicalResult emitReduce(ReduceOp op, Reduction kind);
  LogicalResult emitCumSum(nn::CumSumOp op);
  LogicalResult emitTranspose(nn::TransposeOp op);
  LogicalResult emitReturn(func::ReturnOp op);

  /// The integer range of an integer format, checked to be one.
  FailureOr<std::pair<int64_t, int64_t>> intRange(Operation *op,
                                                  QTensorType qt);
  /// The name of a file-scope table of the f32 values of every code of a
  /// minifloat of at most 8 bits (emitted once per format).
  std::string decodeTable(num::FloatFormat f);
  /// The name of a file-scope function encoding f32 values into a minifloat
  /// with nearest-even rounding (Float32Encoder's algorithm).
  std::string encoder(const num::FloatFormat &f);
  /// The effective f32 scale of the element at `idx`: the scale, or the
  /// decoded scale code times the global scale.
  std::string scaleAt(Value scales, Value globalScale, QTensorType qt,
                      ArrayRef<std::string> idx);
  /// The code of f32 `v` (already divided by its scale) in `qt`'s format,
  /// as an expression of the element's C++ type.
  std::string encodeExpr(QTensorType qt, const std::string &v,
                         const std::string &zp, const std::string &ctype);
  /// The f32 value of code `q` (without scale) of a fixed-point or minifloat
  /// format.
  std::string decodeExpr(QTensorType qt, const std::string &q);

  func::FuncOp func;
  std::string topName;
  SmallVector<std::string> inputNames, outputNames;
  SmallVector<std::string> inputTypes, outputTypes;
  SmallVector<SmallVector<int64_t>> inputShapes, outputShapes;

  llvm::DenseMap<Value, ValueInfo> values;
  unsigned nextValue = 0, nextConstant = 0, nextGroupArray = 0;
  /// Minifloat formats with a decode table / an encoder, by index.
  SmallVector<num::FloatFormat> tableFormats, encoderFormats;
  std::string formatsText, constantsText, bodyText;
  llvm::raw_string_ostream formatsStream{formatsText};
  llvm::raw_string_ostream constantsStream{constantsText};
  llvm::raw_string_ostream bodyStream{bodyText};
  raw_indented_ostream body{bodyStream};
};

FailureOr<std::string> HLSCppEmitter::elementCType(Operation *where,
                                                   Type type) {
  if (auto qt = llvm::dyn_cast<QTensorType>(type)) {
    num::Format f = qt.getNumericFormat();
    if (FloatFormatAttr sf = qt.getScheme().getScaleFormat())
      if (sf.getFloatFormat().bits() > 8)
        return where->emitOpError(
                   "unable to emit HLS C++ for scales stored as ")
               << sf << " (f32 scales or scale formats of at most 8 bits)";
    std::string w = std::to_string(f.bits());
    switch (f.kind()) {
    case num::Format::Kind::Int:
      return std::string(f.isSigned() ? "ap_int<" : "ap_uint<") + w + ">";
    case num::Format::Kind::Fixed:
      // The value code * 2^-frac: W bits of which W - frac are integer bits
      // (negative or above W where frac is).
      return std::string(f.isSigned() ? "ap_fixed<" : "ap_ufixed<") + w + ", " +
             std::to_string(int(f.bits()) - f.fracBits()) + ">";
    case num::Format::Kind::Float:
      // The code's bit pattern.
      if (f.bits() > 8 || !num::Float32Encoder(f.floatFormat()).valid())
        return where->emitOpError("unable to emit HLS C++ for the ")
               << qt.getFormat()
               << " format (minifloats of at most 8 bits with a sign, a zero "
                  "and subnormals)";
      return "ap_uint<" + w + ">";
    }
  }
  Type elem = getElementTypeOrSelf(type);
  if (elem.isF32())
    return std::string("float");
  if (auto it = llvm::dyn_cast<IntegerType>(elem)) {
    if (it.getWidth() == 1)
      return std::string("bool");
    return std::string(it.isUnsigned() ? "ap_uint<" : "ap_int<") +
           std::to_string(it.getWidth()) + ">";
  }
  return where->emitOpError("unable to emit HLS C++ for element type ")
         << elem << " (f32, integers and integer quantized tensors only)";
}

FailureOr<SmallVector<int64_t>> HLSCppEmitter::staticShape(Operation *where,
                                                           Type type) {
  ArrayRef<int64_t> shape;
  if (auto qt = llvm::dyn_cast<QTensorType>(type))
    shape = qt.getShape();
  else if (auto rt = llvm::dyn_cast<RankedTensorType>(type))
    shape = rt.getShape();
  else
    return where->emitOpError("unable to emit HLS C++ for type ")
           << type << " (ranked tensors only)";
  if (ShapedType::isDynamicShape(shape))
    return where->emitOpError("unable to emit HLS C++ for dynamic shape ")
           << type;
  return SmallVector<int64_t>(shape.begin(), shape.end());
}

LogicalResult HLSCppEmitter::collectPorts() {
  topName = sanitize(func.getSymName());
  // `main` is the testbench's.
  if (topName == "main")
    topName = "qc_main";
  auto names = [](Attribute a, size_t i, StringRef fallback) {
    if (auto arr = llvm::dyn_cast_or_null<ArrayAttr>(a))
      if (i < arr.size())
        if (auto s = llvm::dyn_cast<StringAttr>(arr[i]))
          return sanitize(s.getValue());
    return (fallback + Twine(i)).str();
  };
  llvm::StringSet<> used;
  auto unique = [&](std::string n) {
    // Ports get a suffix where they would clash with each other, the top
    // function, a C++ keyword or a name of the generated code: arrays
    // v<N> / c<N>, loop variables i<N> / r<N> and the locals below.
    static const llvm::StringSet<> reserved = {
        "acc", "k", "d", "mx", "sum", "count", "yy", "xx", "u", "v", "ci", "p",
        "qc_x", "qc_hls", "qc_mean", "qc_var", "qc_inv", "qc_best", "qc_v",
        "qc_m", "std", "main", "auto", "bool", "break", "case", "char", "class",
        "const", "continue", "default", "delete", "do", "double", "else",
        "enum", "extern", "false", "float", "for", "goto", "if", "inline",
        "int", "long", "new", "operator", "private", "protected", "public",
        "register", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "template", "this", "throw", "true", "try", "typedef",
        "union", "unsigned", "using", "virtual", "void", "volatile", "while",
        "ap_int", "ap_uint", "int64_t", "uint64_t", "int32_t", "NAN",
        "INFINITY",
        // Alternative tokens and the remaining C++17 keywords.
        "and", "and_eq", "bitand", "bitor", "compl", "not", "not_eq", "or",
        "or_eq", "xor", "xor_eq", "alignas", "alignof", "asm", "catch",
        "char16_t", "char32_t", "const_cast", "constexpr", "decltype",
        "dynamic_cast", "explicit", "export", "friend", "mutable", "namespace",
        "noexcept", "nullptr", "reinterpret_cast", "static_assert",
        "static_cast", "thread_local", "typeid", "typename", "wchar_t"};
    auto generated = [](StringRef s) {
      return s.size() > 1 && StringRef("vcirg").contains(s[0]) &&
             llvm::all_of(s.drop_front(), llvm::isDigit);
    };
    while (!used.insert(n).second || n == topName || reserved.contains(n) ||
           generated(n))
      n += "_";
    return n;
  };
  Operation *op = func;
  auto portType = [&](Type t) -> FailureOr<std::string> {
    // The testbench's files hold float32 or int32 values; codes of other
    // formats have no such encoding at a port.
    if (auto qt = llvm::dyn_cast<QTensorType>(t))
      if (qt.getNumericFormat().kind() != num::Format::Kind::Int)
        return op->emitOpError("unable to emit HLS C++ for a port of the ")
               << qt.getFormat()
               << " format (float32, integers and integer codes only)";
    return elementCType(op, t);
  };
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    auto ct = portType(arg.getType());
    auto shape = staticShape(op, arg.getType());
    if (failed(ct) || failed(shape))
      return failure();
    std::string n = unique(names(func->getAttr("onnx.input_names"), i, "arg"));
    inputNames.push_back(n);
    inputTypes.push_back(*ct);
    inputShapes.push_back(*shape);
    values[arg] = ValueInfo{n, false, *shape, *ct};
  }
  for (auto [i, t] : llvm::enumerate(func.getResultTypes())) {
    auto ct = portType(t);
    auto shape = staticShape(op, t);
    if (failed(ct) || failed(shape))
      return failure();
    outputNames.push_back(
        unique(names(func->getAttr("onnx.output_names"), i, "output")));
    outputTypes.push_back(*ct);
    outputShapes.push_back(*shape);
  }
  return success();
}

std::string HLSCppEmitter::at(Value v, ArrayRef<std::string> idx) {
  const ValueInfo &info = values.lookup(v);
  if (info.splat)
    return info.name;
  return info.name + "[" + linearIndex(info.shape, idx) + "]";
}

std::string HLSCppEmitter::broadcastAt(Value v, ArrayRef<std::string> outIdx) {
  const ValueInfo &info = values.lookup(v);
  if (info.splat)
    return info.name;
  size_t r = info.shape.size(), offset = outIdx.size() - r;
  SmallVector<std::string> idx;
  for (size_t d = 0; d < r; ++d)
    idx.push_back(info.shape[d] == 1 ? "0" : outIdx[offset + d]);
  return at(v, idx);
}

std::string HLSCppEmitter::schemeAt(Value v, SchemeAttr scheme,
                                    ArrayRef<std::string> idx) {
  const ValueInfo &info = values.lookup(v);
  if (info.splat)
    return info.name;
  return info.name + "[" + schemeIndex(info.shape, scheme, idx) + "]";
}

std::string HLSCppEmitter::schemeIndex(ArrayRef<int64_t> scaleShape,
                                       SchemeAttr scheme,
                                       ArrayRef<std::string> idx) {
  int64_t axis = scheme.getAxis();
  switch (scheme.getGranularity()) {
  case Granularity::per_tensor:
    return "0";
  case Granularity::per_axis: {
    SmallVector<std::string> one(scaleShape.size(), "0");
    if (!one.empty())
      one.back() = idx[size_t(axis)];
    return linearIndex(scaleShape, one);
  }
  case Granularity::per_block: {
    SmallVector<std::string> block(idx.begin(), idx.end());
    if (scheme.getBlock() != 1)
      block[size_t(axis)] =
          "(" + idx[size_t(axis)] + ") / " + std::to_string(scheme.getBlock());
    return linearIndex(scaleShape, block);
  }
  }
  llvm_unreachable("granularity");
}

SmallVector<std::string> HLSCppEmitter::openLoops(ArrayRef<int64_t> shape,
                                                  bool pipeline,
                                                  StringRef prefix) {
  SmallVector<std::string> idx;
  for (auto [d, n] : llvm::enumerate(shape)) {
    std::string i = (prefix + Twine(d)).str();
    idx.push_back(n == 1 ? "0" : i);
    if (n == 1)
      continue;
    body << "for (int " << i << " = 0; " << i << " < " << n << "; ++" << i
         << ") {\n";
    body.indent();
  }
  bool anyLoop = llvm::any_of(shape, [](int64_t n) { return n != 1; });
  if (pipeline && anyLoop)
    body << "#pragma HLS PIPELINE II=1\n";
  if (!anyLoop)
    body << "{\n", body.indent();
  return idx;
}

void HLSCppEmitter::innerLoop(StringRef var, int64_t n, StringRef stmt) {
  body << "for (int " << var << " = 0; " << var << " < " << n << "; ++" << var
       << ") {\n";
  body.indent();
  body << "#pragma HLS PIPELINE II=1\n" << stmt << "\n";
  body.unindent();
  body << "}\n";
}

void HLSCppEmitter::closeLoops(size_t n) {
  for (size_t i = 0; i < std::max<size_t>(n, 1); ++i) {
    body.unindent();
    body << "}\n";
  }
}

LogicalResult HLSCppEmitter::declareResult(Operation *op, Value v) {
  auto ct = elementCType(op, v.getType());
  auto shape = staticShape(op, v.getType());
  if (failed(ct) || failed(shape))
    return failure();
  std::string name = "v" + std::to_string(nextValue++);
  // Static: large activations would not fit the C simulation's stack; HLS
  // maps them to memories either way.
  body << "static " << *ct << " " << name << "["
       << std::max<int64_t>(1, numElements(*shape)) << "];\n";
  values[v] = ValueInfo{name, false, *shape, *ct};
  return success();
}

/// The number of loops openLoops opened for `shape` (at least one scope).
static size_t loopCount(ArrayRef<int64_t> shape) {
  return llvm::count_if(shape, [](int64_t n) { return n != 1; });
}

LogicalResult HLSCppEmitter::emitConstant(Operation *op, ElementsAttr attr) {
  Value v = op->getResult(0);
  Type type = v.getType();
  auto ct = elementCType(op, type);
  auto shape = staticShape(op, type);
  if (failed(ct) || failed(shape))
    return failure();
  auto tensor = interp::fromAttribute(attr, type);
  if (failed(tensor))
    return op->emitOpError("unable to read this constant's elements");
  int64_t n = tensor->size();
  std::vector<std::string> lits;
  lits.reserve(size_t(n));
  if (tensor->isFloat()) {
    if (*ct != "float")
      return op->emitOpError("unable to emit HLS C++ for element type ")
             << getElementTypeOrSelf(type);
    for (int64_t i = 0; i < n; ++i)
      lits.push_back(floatLiteral(tensor->f()[i]));
  } else {
    // The integers the elements stand for, checked to fit the C++ type.
    int64_t lo, hi;
    std::optional<num::Format> format;
    if (auto qt = llvm::dyn_cast<QTensorType>(type)) {
      format = qt.getNumericFormat();
      if (format->kind() == num::Format::Kind::Float)
        lo = 0, hi = int64_t(format->mask());
      else
        lo = format->minInt(), hi = format->maxInt();
    } else {
      auto it = llvm::cast<IntegerType>(getElementTypeOrSelf(type));
      unsigned w = it.getWidth();
      if (w == 1)
        lo = 0, hi = 1;
      else if (it.isUnsigned())
        lo = 0, hi = w >= 64 ? INT64_MAX : (int64_t(1) << w) - 1;
      else
        lo = w >= 64 ? INT64_MIN : -(int64_t(1) << (w - 1)),
        hi = w >= 64 ? INT64_MAX : (int64_t(1) << (w - 1)) - 1;
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t x = tensor->i()[i];
      if (format && format->kind() == num::Format::Kind::Fixed) {
        // The value the code stands for, exact in double (at most 32 bits).
        lits.push_back(doubleLiteral(std::ldexp(
            double(format->codeToInt(uint32_t(uint64_t(x)) & format->mask())),
            -format->fracBits())));
        continue;
      }
      if (format && format->kind() == num::Format::Kind::Float)
        x = int64_t(uint32_t(uint64_t(x)) & format->mask());
      else if (format)
        x = format->codeToInt(uint32_t(uint64_t(x)) & format->mask());
      if (x < lo || x > hi)
        return op->emitOpError("constant element ")
               << i << " (" << x << ") does not fit " << *ct;
      lits.push_back(intLiteral(x));
    }
  }
  bool splat = llvm::all_of(
      lits, [&](const std::string &s) { return s == lits.front(); });
  if (n == 0)
    return op->emitOpError("unable to emit an empty constant");
  if (splat) {
    // One value: a literal wherever it is read (fixed point: of its
    // ap_fixed type, which the reads decode).
    std::string lit = lits.front();
    if (StringRef(*ct).starts_with("ap_fixed") ||
        StringRef(*ct).starts_with("ap_ufixed"))
      lit = *ct + "(" + lit + ")";
    values[v] = ValueInfo{lit, true, *shape, *ct};
    return success();
  }
  std::string name = "c" + std::to_string(nextConstant++);
  constantsStream << "static const " << *ct << " " << name << "[" << n
                  << "] = {";
  for (int64_t i = 0; i < n; ++i) {
    if (i % 8 == 0)
      constantsStream << "\n   ";
    constantsStream << " " << lits[size_t(i)] << (i + 1 < n ? "," : "");
  }
  constantsStream << "};\n";
  values[v] = ValueInfo{name, false, *shape, *ct};
  return success();
}

LogicalResult HLSCppEmitter::emitElementwise(
    Operation *op, function_ref<std::string(ArrayRef<std::string>)> expr) {
  Value r = op->getResult(0);
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  auto idx = openLoops(info.shape, /*pipeline=*/true);
  body << at(r, idx) << " = " << expr(idx) << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

FailureOr<std::pair<int64_t, int64_t>> HLSCppEmitter::intRange(Operation *op,
                                                               QTensorType qt) {
  num::Format f = qt.getNumericFormat();
  if (f.kind() != num::Format::Kind::Int)
    return op->emitOpError("unable to emit HLS C++ for the ")
           << qt.getFormat() << " format (integer formats only)";
  return std::make_pair(f.minInt(), f.maxInt());
}

std::string HLSCppEmitter::decodeTable(num::FloatFormat f) {
  // Overflow policies do not change the value of a code.
  f.saturate = false;
  const auto *it = llvm::find(tableFormats, f);
  std::string name = "qc_decode_" + std::to_string(it - tableFormats.begin());
  if (it != tableFormats.end())
    return name;
  tableFormats.push_back(f);
  num::Format fmt = num::Format::minifloat(f);
  unsigned n = 1u << f.bits();
  formatsStream << "/// " << fmt.name() << ": the value of every code.\n"
                << "static const float " << name << "[" << n << "] = {";
  for (unsigned c = 0; c < n; ++c) {
    if (c % 8 == 0)
      formatsStream << "\n   ";
    formatsStream << " " << floatLiteral(float(num::decodeFloat(c, f)))
                  << (c + 1 < n ? "," : "");
  }
  formatsStream << "};\n\n";
  return name;
}

std::string HLSCppEmitter::encoder(const num::FloatFormat &f) {
  const auto *it = llvm::find(encoderFormats, f);
  std::string name = "qc_encode_" + std::to_string(it - encoderFormats.begin());
  if (it != encoderFormats.end())
    return name;
  encoderFormats.push_back(f);
  num::Float32Encoder::Params p = num::Float32Encoder(f).params();
  auto hex = [](uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%Xu", v);
    return std::string(buf);
  };
  auto perSign = [&](const uint32_t(&c)[2]) {
    return c[0] == c[1] ? hex(c[0])
                        : "(sign ? " + hex(c[1]) + " : " + hex(c[0]) + ")";
  };
  // The float32 bits rounded half to even at the format's last mantissa bit
  // and rebiased in the normal range; below it the FPU rounds |x| + magic to
  // the subnormal quantum. Specials, overflow and zero per sign.
  formatsStream << "/// " << num::Format::minifloat(f).name()
                << ": the code of x, rounded to nearest even.\n"
                << "inline uint32_t " << name << "(float x) {\n"
                << "  uint32_t b = qc_hls::bits_of(x), sign = b >> 31, "
                   "a = b & 0x7FFFFFFFu;\n"
                << "  if (a >= 0x7F800000u)\n"
                << "    return a > 0x7F800000u ? " << perSign(p.nanCode)
                << " : " << perSign(p.infCode) << ";\n"
                << "  uint32_t mag = a >= " << hex(p.minNormalBits) << "\n"
                << "      ? ((a + " << hex(p.roundBias) << " + ((a >> "
                << p.shift << ") & 1u)) >> " << p.shift << ") - "
                << hex(p.offset) << "\n"
                << "      : qc_hls::bits_of(std::fabs(x) + "
                << floatLiteral(p.magic) << ") - " << hex(p.magicBits) << ";\n"
                << "  if (mag > " << hex(p.maxMag) << ")\n"
                << "    return " << perSign(p.overflowCode) << ";\n"
                << "  if (mag == 0)\n"
                << "    return " << perSign(p.zeroCode) << ";\n"
                << "  return mag | (sign << " << p.signShift << ");\n"
                << "}\n\n";
  return name;
}

std::string HLSCppEmitter::scaleAt(Value scales, Value globalScale,
                                   QTensorType qt, ArrayRef<std::string> idx) {
  SchemeAttr scheme = qt.getScheme();
  std::string s = schemeAt(scales, scheme, idx);
  FloatFormatAttr sf = scheme.getScaleFormat();
  if (!sf)
    return s;
  // fl32(decode(code) * global): the code is a signless byte.
  s = decodeTable(sf.getFloatFormat()) + "[(int)(" + s + ") & 255]";
  if (globalScale)
    s = "(" + s + " * " + at(globalScale, {}) + ")";
  return s;
}

std::string HLSCppEmitter::encodeExpr(QTensorType qt, const std::string &v,
                                      const std::string &zp,
                                      const std::string &ctype) {
  num::Format f = qt.getNumericFormat();
  switch (f.kind()) {
  case num::Format::Kind::Int:
    return "qc_hls::encode_int(" + v + ", " + zp + ", " +
           intLiteral(f.minInt()) + ", " + intLiteral(f.maxInt()) + ")";
  case num::Format::Kind::Fixed: {
    // The integer code of v * 2^frac, then the value it stands for.
    return ctype + "(double(qc_hls::encode_fixed(" + v + ", " +
           doubleLiteral(std::ldexp(1.0, f.fracBits())) + ", " +
           intLiteral(f.minInt()) + ", " + intLiteral(f.maxInt()) + ", " +
           (f.saturates() ? "0" : std::to_string(f.bits())) + ")) * " +
           doubleLiteral(std::ldexp(1.0, -f.fracBits())) + ")";
  }
  case num::Format::Kind::Float:
    return encoder(f.floatFormat()) + "(" + v + ")";
  }
  llvm_unreachable("format kind");
}

std::string HLSCppEmitter::decodeExpr(QTensorType qt, const std::string &q) {
  num::Format f = qt.getNumericFormat();
  if (f.kind() == num::Format::Kind::Fixed)
    // Exact in double, rounded once to f32 (the numerics library's decode).
    return "float((" + q + ").to_double())";
  return decodeTable(f.floatFormat()) + "[(unsigned)(" + q + ")]";
}

LogicalResult HLSCppEmitter::emitQuantize(Operation *op, Value input,
                                          Value scales, Value zeroPoints,
                                          Value globalScale, QTensorType qt,
                                          RoundingMode rounding,
                                          bool dequantize) {
  auto ctype = elementCType(op, qt);
  if (failed(ctype))
    return failure();
  if (rounding != RoundingMode::nearest_even)
    return op->emitOpError("unable to emit HLS C++ for rounding mode ")
           << stringifyRoundingMode(rounding) << " (nearest_even only)";
  SchemeAttr scheme = qt.getScheme();
  bool isInt = qt.getNumericFormat().kind() == num::Format::Kind::Int;
  return emitElementwise(op, [&](ArrayRef<std::string> idx) {
    std::string s = scaleAt(scales, globalScale, qt, idx);
    std::string z = zeroPoints ? asI64(schemeAt(zeroPoints, scheme, idx)) : "0";
    std::string q = encodeExpr(qt, at(input, idx) + " / " + s, z, *ctype);
    if (!dequantize)
      return q;
    // qc.fake_quant: the dequantized code, rounded once as in
    // qc.dequantize.
    if (!isInt)
      return decodeExpr(qt, q) + " * " + s;
    return "float(" + q + (zeroPoints ? " - " + z : "") + ") * " + s;
  });
}

LogicalResult HLSCppEmitter::emitDequantize(qc::DequantizeOp op) {
  QTensorType qt = op.getInput().getType();
  if (failed(elementCType(op, qt)))
    return failure();
  SchemeAttr scheme = qt.getScheme();
  bool isInt = qt.getNumericFormat().kind() == num::Format::Kind::Int;
  return emitElementwise(op, [&](ArrayRef<std::string> idx) {
    std::string s = scaleAt(op.getScales(), op.getGlobalScale(), qt, idx);
    if (!isInt)
      return decodeExpr(qt, at(op.getInput(), idx)) + " * " + s;
    std::string q = asI64(at(op.getInput(), idx));
    if (op.getZeroPoints())
      q += " - " + asI64(schemeAt(op.getZeroPoints(), scheme, idx));
    return "float(" + q + ") * " + s;
  });
}

LogicalResult HLSCppEmitter::emitComputeScales(qc::ComputeScalesOp op) {
  auto qt = llvm::cast<QTensorType>(op.getQuantType());
  if (failed(elementCType(op, qt)))
    return failure();
  for (Value r : op->getResults())
    if (failed(declareResult(op, r)))
      return failure();
  SchemeAttr scheme = qt.getScheme();
  FloatFormatAttr sf = scheme.getScaleFormat();
  num::Format fmt = qt.getNumericFormat();
  const ValueInfo scales = values[op.getScales()];
  int64_t groups = std::max<int64_t>(1, numElements(scales.shape));
  ArrayRef<int64_t> shape = qt.getShape();
  // The element as the rule reads it: fl32(clip * x) with a clip ratio.
  auto element = [&](ArrayRef<std::string> idx) {
    std::string x = at(op.getInput(), idx);
    if (op.getClip())
      x = floatLiteral(float(op.getClipRatio())) + " * " + x;
    return x;
  };
  // Per scale group, over the finite elements in row-major order: the
  // largest magnitude, or (asymmetric) the range widened to contain 0; a
  // flag for a group holding NaN or infinity (E8M0).
  auto groupArray = [&] { return "g" + std::to_string(nextGroupArray++); };
  bool asymmetric = scheme.getAsymmetric(),
       e8m0 = sf && sf.getFloatFormat() == num::FloatFormat::e8m0fnu();
  std::string mx = groupArray(), hi = asymmetric ? groupArray() : "",
              fin = e8m0 ? groupArray() : "";
  body << "// qc.compute_scales for " << qt << "\n";
  body << "static float " << mx << "[" << groups << "];\n";
  if (asymmetric)
    body << "static float " << hi << "[" << groups << "];\n";
  if (e8m0)
    body << "static bool " << fin << "[" << groups << "];\n";
  body << "for (int r = 0; r < " << groups << "; ++r) {\n";
  body.indent();
  body << (asymmetric ? mx + "[r] = 0.0f;\n" + hi + "[r] = 0.0f;\n"
                      : mx + "[r] = 0.0f;\n");
  if (e8m0)
    body << fin << "[r] = true;\n";
  body.unindent();
  body << "}\n";
  auto idx = openLoops(shape, /*pipeline=*/true);
  std::string gi = schemeIndex(scales.shape, scheme, idx);
  body << "float qc_x = " << element(idx) << ";\n";
  if (asymmetric) {
    body << "if (std::fabs(qc_x) <= FLT_MAX) {\n";
    body.indent();
    body << mx << "[" << gi << "] = std::min(" << mx << "[" << gi
         << "], qc_x);\n"
         << hi << "[" << gi << "] = std::max(" << hi << "[" << gi
         << "], qc_x);\n";
    body.unindent();
    body << "}\n";
  } else {
    body << "float qc_a = std::fabs(qc_x);\n"
         << "if (qc_a <= FLT_MAX) {\n";
    body.indent();
    body << "if (qc_a > " << mx << "[" << gi << "])\n  " << mx << "[" << gi
         << "] = qc_a;\n";
    body.unindent();
    body << "}"
         << (e8m0 ? " else {\n  " + fin + "[" + gi + "] = false;\n}\n"
                  : std::string("\n"));
  }
  closeLoops(loopCount(shape));
  std::string out = scales.name + "[r]";
  if (!sf && !asymmetric) {
    // s = absmax / max(format), 1 for a group without a finite non-zero.
    body << "for (int r = 0; r < " << groups << "; ++r)\n  " << out << " = "
         << mx << "[r] == 0.0f ? 1.0f : " << mx << "[r] / "
         << floatLiteral(float(fmt.maxValue())) << ";\n";
    return success();
  }
  if (asymmetric) {
    // s = (max - min) / (qmax - qmin) in double, rounded once; zp = qmin -
    // round(min / s) clamped; a constant group gets s = 1, zp = 0.
    std::string zp = values[op.getZeroPoints()].name + "[r]";
    std::string qmin = intLiteral(fmt.minInt()) + ".0",
                qmax = intLiteral(fmt.maxInt()) + ".0";
    body << "for (int r = 0; r < " << groups << "; ++r) {\n";
    body.indent();
    body << "if (" << hi << "[r] == " << mx << "[r]) {\n  " << out
         << " = 1.0f;\n  " << zp << " = 0;\n  continue;\n}\n"
         << "float s = float((double(" << hi << "[r]) - double(" << mx
         << "[r])) / (" << qmax << " - " << qmin << "));\n"
         << out << " = s;\n"
         << "double z = " << qmin << " - std::rint(double(" << mx
         << "[r] / s));\n"
         << zp << " = z < " << qmin << " ? " << intLiteral(fmt.minInt())
         << " : (z > " << qmax << " ? " << intLiteral(fmt.maxInt())
         << " : (int32_t)z);\n";
    body.unindent();
    body << "}\n";
    return success();
  }
  if (e8m0) {
    // OCP MX: shared_exp = floor(log2(amax)) - emax_elem in [-127, 127],
    // code shared_exp + 127; 0xFF for a block with NaN or infinity; -127
    // for an all-zero block.
    body << "for (int r = 0; r < " << groups << "; ++r) {\n";
    body.indent();
    body << "int e = 0, shared = -127;\n"
         << "if (" << mx << "[r] > 0.0f) {\n"
         << "  std::frexp(" << mx << "[r], &e);\n"
         << "  shared = std::min(127, std::max(-127, e - 1 - "
         << num::emaxOf(fmt) << "));\n"
         << "}\n"
         << out << " = " << fin << "[r] ? shared + 127 : 255;\n";
    body.unindent();
    body << "}\n";
    return success();
  }
  // Two-level (NVFP4): global = amax(x) / (max(format) * max(scale format)),
  // 1 for an all-zero tensor; block code = encode_sat(fl32(amax_b /
  // max(format)) / global).
  num::FloatFormat satScale = sf.getFloatFormat();
  satScale.saturate = true;
  if (!num::Float32Encoder(satScale).valid())
    return op.emitOpError("unable to emit HLS C++ for scales stored as ")
           << sf << " (no nearest-even encoder)";
  std::string emax = floatLiteral(float(fmt.maxValue()));
  std::string smax =
      floatLiteral(float(num::decodeFloat(satScale.maxFiniteCode(), satScale)));
  std::string global = values[op.getGlobalScale()].name + "[0]";
  std::string amax = groupArray();
  body << "float " << amax << " = 0.0f;\n"
       << "for (int r = 0; r < " << groups << "; ++r)\n  " << amax
       << " = std::max(" << amax << ", " << mx << "[r]);\n"
       << global << " = " << amax << " == 0.0f ? 1.0f : " << amax << " / ("
       << emax << " * " << smax << ");\n"
       << "for (int r = 0; r < " << groups << "; ++r)\n  " << out << " = "
       << encoder(satScale) << "((" << mx << "[r] / " << emax << ") / "
       << global << ");\n";
  return success();
}

std::string HLSCppEmitter::constantTable(StringRef ctype,
                                         ArrayRef<std::string> lits) {
  std::string name = "c" + std::to_string(nextConstant++);
  constantsStream << "static const " << ctype << " " << name << "["
                  << lits.size() << "] = {";
  for (size_t i = 0; i < lits.size(); ++i) {
    if (i % 8 == 0)
      constantsStream << "\n   ";
    constantsStream << " " << lits[i] << (i + 1 < lits.size() ? "," : "");
  }
  constantsStream << "};\n";
  return name;
}

LogicalResult HLSCppEmitter::emitRotate(qc::RotateOp op) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  SmallVector<int64_t> shape = values[r].shape;
  int64_t axis = op.getAxis(), n = shape[size_t(axis)];
  // Every fibre along the axis: into a double row, rotated in place, back
  // to float (one rounding), as the interpreter.
  std::string buf = "g" + std::to_string(nextGroupArray++);
  body << "static double " << buf << "[" << n << "];\n";
  SmallVector<int64_t> outer(shape.begin(), shape.end());
  outer[size_t(axis)] = 1;
  auto idx = openLoops(outer, /*pipeline=*/false);
  idx[size_t(axis)] = "qc_t";
  body << "for (int qc_t = 0; qc_t < " << n << "; ++qc_t)\n  " << buf
       << "[qc_t] = " << at(op.getInput(), idx) << ";\n";
  if (failed(emitRotation(op, op.getRotation(), buf, n, false)))
    return failure();
  body << "for (int qc_t = 0; qc_t < " << n << "; ++qc_t)\n  " << at(r, idx)
       << " = float(" << buf << "[qc_t]);\n";
  closeLoops(loopCount(outer));
  return success();
}

LogicalResult HLSCppEmitter::emitRotation(Operation *op, Attribute rotation,
                                          const std::string &buf,
                                          int64_t length, bool transposed) {
  std::string len = std::to_string(length);
  auto forT = [&](StringRef stmt) {
    body << "for (int qc_t = 0; qc_t < " << len << "; ++qc_t)\n  " << stmt
         << "\n";
  };
  auto hadamard = [&](int64_t n, uint64_t seed) -> LogicalResult {
    // rows · D · H / sqrt(n) per block of n: sign flips, Walsh-Hadamard
    // butterflies (a + b, a - b) stage by stage on segments of p = 2^m, the
    // K x K base product from 0 in order, the scale; transposed: the base
    // transposed and the flips last.
    auto f = num::factorHadamardOrder(n);
    if (!f)
      return op->emitOpError("no Hadamard matrix of order ") << n;
    auto [k, m] = *f;
    int64_t p = int64_t(1) << m;
    std::string flips;
    if (seed) {
      SmallVector<std::string> neg;
      for (int64_t i = 0; i < n; ++i)
        neg.push_back(num::stochasticBits(seed, uint64_t(i)) & 1 ? "true"
                                                                 : "false");
      flips = constantTable("bool", neg);
    }
    std::string flip = "if (" + flips + "[qc_t % " + std::to_string(n) +
                       "])\n    " + buf + "[qc_t] = -" + buf + "[qc_t];";
    if (seed && !transposed)
      forT(flip);
    if (p > 1)
      body << "for (int qc_h = 1; qc_h < " << p << "; qc_h <<= 1)\n"
           << "  for (int qc_i = 0; qc_i < " << len << "; qc_i += 2 * qc_h)\n"
           << "    for (int qc_j = qc_i; qc_j < qc_i + qc_h; ++qc_j) {\n"
           << "      double qc_a = " << buf << "[qc_j], qc_b = " << buf
           << "[qc_j + qc_h];\n"
           << "      " << buf << "[qc_j] = qc_a + qc_b;\n"
           << "      " << buf << "[qc_j + qc_h] = qc_a - qc_b;\n"
           << "    }\n";
    if (k > 1) {
      const std::vector<int8_t> &hk = num::hadamardBase(k);
      SmallVector<std::string> signs;
      for (int64_t c = 0; c < k; ++c)
        for (int64_t a = 0; a < k; ++a)
          signs.push_back(
              (transposed ? hk[size_t(c * k + a)] : hk[size_t(a * k + c)]) > 0
                  ? "true"
                  : "false");
      std::string table = constantTable("bool", signs);
      std::string tmp = "g" + std::to_string(nextGroupArray++);
      body << "static double " << tmp << "[" << len << "];\n"
           << "for (int qc_b0 = 0; qc_b0 < " << len << "; qc_b0 += " << n
           << ")\n"
           << "  for (int qc_c = 0; qc_c < " << k << "; ++qc_c)\n"
           << "    for (int qc_d = 0; qc_d < " << p << "; ++qc_d) {\n"
           << "      double qc_acc = 0.0;\n"
           << "      for (int qc_a = 0; qc_a < " << k << "; ++qc_a) {\n"
           << "        double qc_v = " << buf << "[qc_b0 + qc_a * " << p
           << " + qc_d];\n"
           << "        qc_acc += " << table << "[qc_c * " << k
           << " + qc_a] ? qc_v : -qc_v;\n"
           << "      }\n"
           << "      " << tmp << "[qc_b0 + qc_c * " << p
           << " + qc_d] = qc_acc;\n"
           << "    }\n";
      forT(buf + "[qc_t] = " + tmp + "[qc_t];");
    }
    double scale = 1.0 / std::sqrt(double(n));
    if (scale != 1.0)
      forT(buf + "[qc_t] = " + buf + "[qc_t] * " + doubleLiteral(scale) + ";");
    if (seed && transposed)
      forT(flip);
    return success();
  };
  return llvm::TypeSwitch<Attribute, LogicalResult>(rotation)
      .Case([&](HadamardAttr h) { return hadamard(h.getSize(), h.getSeed()); })
      .Case([&](BlockHadamardAttr h) {
        return hadamard(h.getBlock(), h.getSeed());
      })
      .Case([&](PermutationAttr pa) {
        SmallVector<std::string> perm;
        for (int64_t v : pa.getPerm())
          perm.push_back(std::to_string(v));
        std::string table = constantTable("int", perm);
        std::string tmp = "g" + std::to_string(nextGroupArray++);
        body << "static double " << tmp << "[" << len << "];\n";
        forT(transposed ? tmp + "[" + table + "[qc_t]] = " + buf + "[qc_t];"
                        : tmp + "[qc_t] = " + buf + "[" + table + "[qc_t]];");
        forT(buf + "[qc_t] = " + tmp + "[qc_t];");
        return success();
      })
      .Case([&](OrthogonalAttr o) {
        // tmp[j] = sum_i row[i] * M[i][j] (transposed: M[j][i]), i outer.
        int64_t n = o.getOrder();
        SmallVector<std::string> lits;
        std::vector<double> m;
        if (o.getMatrix().getElementType().isF32())
          for (float v : o.getMatrix().getValues<float>())
            m.push_back(v);
        else
          for (APFloat v : o.getMatrix().getValues<APFloat>())
            m.push_back(v.convertToDouble());
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j)
            lits.push_back(doubleLiteral(transposed ? m[size_t(j * n + i)]
                                                    : m[size_t(i * n + j)]));
        std::string table = constantTable("double", lits);
        std::string tmp = "g" + std::to_string(nextGroupArray++);
        body << "static double " << tmp << "[" << len << "];\n";
        forT(tmp + "[qc_t] = 0.0;");
        body << "for (int qc_i = 0; qc_i < " << n << "; ++qc_i)\n"
             << "  for (int qc_j = 0; qc_j < " << n << "; ++qc_j)\n"
             << "    " << tmp << "[qc_j] += " << buf << "[qc_i] * " << table
             << "[qc_i * " << n << " + qc_j];\n";
        forT(buf + "[qc_t] = " + tmp + "[qc_t];");
        return success();
      })
      .Case([&](TransposeAttr t) {
        return emitRotation(op, t.getRotation(), buf, length, !transposed);
      })
      .Case([&](RotationSeqAttr seq) -> LogicalResult {
        SmallVector<Attribute> rs(seq.getRotations().begin(),
                                  seq.getRotations().end());
        if (transposed)
          std::reverse(rs.begin(), rs.end());
        for (Attribute a : rs)
          if (failed(emitRotation(op, a, buf, length, transposed)))
            return failure();
        return success();
      })
      .Default([&](Attribute a) {
        return op->emitOpError("unable to emit HLS C++ for rotation ") << a;
      });
}

LogicalResult HLSCppEmitter::emitLinear(qc::LinearOp op) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)) ||
      failed(elementCType(op, op.getInput().getType())) ||
      failed(elementCType(op, op.getWeight().getType())))
    return failure();
  const ValueInfo &info = values[r];
  int64_t k = op.getWeight().getType().getShape()[1];
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  std::string n = idx.back();
  body << info.ctype
       << " acc = " << (op.getBias() ? at(op.getBias(), {n}) : std::string("0"))
       << ";\n";
  SmallVector<std::string> xIdx(idx.begin(), idx.end());
  xIdx.back() = "k";
  std::string x = at(op.getInput(), xIdx);
  if (op.getInputZeroPoint())
    x = "(" + x + " - " + asI64(at(op.getInputZeroPoint(), {})) + ")";
  // ap_int products and differences are exact (their widths grow); the
  // accumulator wraps at its own width, as qc.linear defines.
  innerLoop("k", k, "acc += " + x + " * " + at(op.getWeight(), {n, "k"}) + ";");
  body << at(r, idx) << " = acc;\n";
  closeLoops(loopCount(info.shape));
  return success();
}

LogicalResult HLSCppEmitter::emitRescale(qc::RescaleOp op) {
  auto range = intRange(op, op.getType());
  if (failed(range))
    return failure();
  if (auto qin = llvm::dyn_cast<QTensorType>(op.getInput().getType()))
    if (failed(intRange(op, qin)))
      return failure();
  std::optional<int64_t> axis = op.getAxis();
  return emitElementwise(op, [&](ArrayRef<std::string> idx) {
    SmallVector<std::string> c;
    if (axis)
      c.push_back(idx[size_t(*axis)]);
    auto zp = [&](Value z) { return z ? asI64(at(z, {})) : std::string("0"); };
    return "qc_hls::rescale(" + asI64(at(op.getInput(), idx)) + ", " +
           zp(op.getInputZeroPoint()) + ", " +
           asI64(at(op.getMultiplier(), c)) + ", " +
           asI64(at(op.getShift(), c)) + ", " + zp(op.getOutputZeroPoint()) +
           ", " + intLiteral(range->first) + ", " + intLiteral(range->second) +
           ")";
  });
}

LogicalResult HLSCppEmitter::emitCast(nn::CastOp op) {
  Type from = getElementTypeOrSelf(op.getInput().getType());
  Type to = getElementTypeOrSelf(op.getType());
  if (from.isF32() && to.isF32())
    return emitElementwise(
        op, [&](ArrayRef<std::string> idx) { return at(op.getInput(), idx); });
  if (llvm::isa<IntegerType>(from) && to.isF32()) {
    // One rounding from the integer (as sitofp / uitofp).
    bool isUnsigned = from.isUnsignedInteger();
    return emitElementwise(op, [&](ArrayRef<std::string> idx) {
      std::string e = at(op.getInput(), idx);
      return isUnsigned ? "float((uint64_t)(" + e + "))"
                        : "float(" + asI64(e) + ")";
    });
  }
  auto toInt = llvm::dyn_cast<IntegerType>(to);
  if (from.isF32() && toInt && toInt.getWidth() > 1 && toInt.getWidth() <= 32) {
    // Toward zero, saturated, NaN to 0 (the interpreter's rule; ONNX leaves
    // out-of-range values undefined).
    unsigned w = toInt.getWidth();
    bool isUnsigned = toInt.isUnsigned();
    int64_t hi = int64_t(1) << (isUnsigned ? w : w - 1);
    int64_t lo = isUnsigned ? 0 : -hi;
    return emitElementwise(op, [&](ArrayRef<std::string> idx) {
      return "qc_hls::trunc_sat(" + at(op.getInput(), idx) + ", " +
             intLiteral(lo) + ", " + intLiteral(hi) + ")";
    });
  }
  if (llvm::isa<IntegerType>(from) && llvm::isa<IntegerType>(to) &&
      !to.isInteger(1))
    // Wraps at the destination width, as the interpreter's integer casts.
    return emitElementwise(
        op, [&](ArrayRef<std::string> idx) { return at(op.getInput(), idx); });
  return op.emitOpError("unable to emit HLS C++ for a cast from ")
         << from << " to " << to;
}

LogicalResult HLSCppEmitter::emitMatMul(Operation *op, Value lhs, Value rhs,
                                        Value lhsZeroPoint,
                                        Value rhsZeroPoint) {
  auto at0 = llvm::cast<RankedTensorType>(lhs.getType());
  auto bt = llvm::cast<RankedTensorType>(rhs.getType());
  if (at0.getRank() < 2 || bt.getRank() < 2)
    return op->emitOpError("unable to emit HLS C++ for a matmul of 1-D "
                           "operands");
  Value r = op->getResult(0);
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  int64_t k = at0.getShape().back();
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  size_t rank = idx.size();
  // Batch dimensions broadcast; the last two are (row, k) and (k, column).
  auto operandIdx = [&](ArrayRef<int64_t> shape, std::string a, std::string b) {
    SmallVector<std::string> o;
    size_t r0 = shape.size(), offset = rank - r0;
    for (size_t d = 0; d + 2 < r0; ++d)
      o.push_back(shape[d] == 1 ? "0" : idx[offset + d]);
    o.push_back(std::move(a));
    o.push_back(std::move(b));
    return o;
  };
  auto aIdx = operandIdx(at0.getShape(), idx[rank - 2], "k");
  auto bIdx = operandIdx(bt.getShape(), "k", idx[rank - 1]);
  std::string a = at(lhs, aIdx), b = at(rhs, bIdx);
  // Integer operands: differences and products are exact in ap_int, the
  // sum wraps at the accumulator's width (nn.matmul_integer: 32 bits); zero
  // points broadcast against their operand.
  auto centered = [&](std::string x, Value zp, ArrayRef<std::string> idx) {
    std::string z = zp ? broadcastAt(zp, idx) : "0";
    return z == "0" ? x : "(" + x + " - " + z + ")";
  };
  a = centered(a, lhsZeroPoint, aIdx);
  b = centered(b, rhsZeroPoint, bIdx);
  // Floats, the interpreter's order: 0 + a0 b0 + a1 b1 + ..., one rounding
  // per product and per sum.
  body << info.ctype << " acc = 0;\n";
  innerLoop("k", k, "acc += " + a + " * " + b + ";");
  body << at(r, idx) << " = acc;\n";
  closeLoops(loopCount(info.shape));
  return success();
}

LogicalResult HLSCppEmitter::emitGemm(nn::GemmOp op) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  int64_t k = llvm::cast<RankedTensorType>(op.getA().getType())
                  .getShape()[op.getTransA() ? 0 : 1];
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  SmallVector<std::string> aIdx{idx[0], "k"}, bIdx{"k", idx[1]};
  if (op.getTransA())
    std::swap(aIdx[0], aIdx[1]);
  if (op.getTransB())
    std::swap(bIdx[0], bIdx[1]);
  // The interpreter's order: the product summed from 0 in order of k, then
  // alpha * product + beta * c (a factor of 1 is exact and left out).
  body << "float acc = 0;\n";
  innerLoop("k", k,
            "acc += " + at(op.getA(), aIdx) + " * " + at(op.getB(), bIdx) +
                ";");
  float alpha = op.getAlpha().convertToFloat(),
        beta = op.getBeta().convertToFloat();
  std::string y = alpha == 1.0f ? "acc" : floatLiteral(alpha) + " * acc";
  if (op.getC())
    y += " + " + (beta == 1.0f ? std::string() : floatLiteral(beta) + " * ") +
         broadcastAt(op.getC(), idx);
  body << at(r, idx) << " = " << y << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

template <typename ReduceOp>
LogicalResult HLSCppEmitter::emitReduce(ReduceOp op, Reduction kind) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  ArrayRef<int64_t> in =
      llvm::cast<RankedTensorType>(op.getInput().getType()).getShape();
  auto axes = nn::reductionAxes(op.getAxes(), int64_t(in.size()));
  if (!axes)
    return op.emitOpError("unable to emit HLS C++ for these axes");
  bool isFloat = getElementTypeOrSelf(r.getType()).isF32();
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  // The input index: reduction variables on reduced axes, the result's
  // indices elsewhere (reduced axes kept as size 1 take one result index).
  SmallVector<std::string> inIdx;
  SmallVector<int64_t> reduced;
  size_t next = 0;
  for (int64_t d = 0; d < int64_t(in.size()); ++d) {
    if (llvm::is_contained(*axes, d)) {
      inIdx.push_back(in[d] == 1 ? "0" : "r" + std::to_string(d));
      if (in[d] != 1)
        reduced.push_back(d);
      if (op.getKeepdims())
        ++next;
    } else {
      inIdx.push_back(idx[next++]);
    }
  }
  // The interpreter's accumulators: floats in double (the IEEE maximum from
  // -infinity, or a sum from 0), integers in int64 (the maximum from the
  // smallest int64, or a sum from 0); a mean divides once at the end (the
  // integer one truncating).
  int64_t count = 1;
  for (int64_t d : *axes)
    count *= in[d];
  std::string init = kind != Reduction::Max ? "0"
                     : isFloat              ? "-INFINITY"
                                            : "INT64_MIN";
  body << (isFloat ? "double" : "int64_t") << " acc = " << init << ";\n";
  for (int64_t d : reduced) {
    std::string v = "r" + std::to_string(d);
    body << "for (int " << v << " = 0; " << v << " < " << in[d] << "; ++" << v
         << ") {\n";
    body.indent();
  }
  if (!reduced.empty())
    body << "#pragma HLS PIPELINE II=1\n";
  std::string x = at(op.getInput(), inIdx);
  std::string v = isFloat ? "double(" + x + ")" : asI64(x);
  if (kind == Reduction::Max)
    body << "acc = " << (isFloat ? "qc_hls::maximum" : "std::max") << "(acc, "
         << v << ");\n";
  else
    body << "acc += " << v << ";\n";
  for (size_t i = 0; i < reduced.size(); ++i) {
    body.unindent();
    body << "}\n";
  }
  std::string y = "acc";
  if (kind == Reduction::Mean)
    y = "acc / " +
        (isFloat ? "double(" + intLiteral(count) + ")" : intLiteral(count));
  body << at(r, idx) << " = " << (isFloat ? "float(" + y + ")" : y) << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

LogicalResult HLSCppEmitter::emitCumSum(nn::CumSumOp op) {
  Value r = op.getResult();
  Type elem = getElementTypeOrSelf(r.getType());
  if (!elem.isF32() && !llvm::isa<IntegerType>(elem))
    return op.emitOpError("unable to emit HLS C++ for a cumsum of ") << elem;
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  int64_t rank = int64_t(info.shape.size());
  int64_t axis = *nn::normalizeAxis(op.getAxis(), rank);
  int64_t dim = info.shape[size_t(axis)];
  SmallVector<int64_t> outer(info.shape);
  outer[size_t(axis)] = 1;
  auto idx = openLoops(outer, /*pipeline=*/false);
  idx[size_t(axis)] = op.getReverse() ? std::to_string(dim - 1) + " - d" : "d";
  bool isFloat = elem.isF32();
  // In order along the axis from -0 (floats: each sum exact in double, then
  // rounded once, as the interpreter) or 0 (integers, wrapping).
  body << (isFloat ? "float sum = -0.0f;\n" : "uint64_t sum = 0;\n");
  body << "for (int d = 0; d < " << dim << "; ++d) {\n";
  body.indent();
  body << "#pragma HLS PIPELINE II=1\n";
  std::string x = at(op.getInput(), idx);
  std::string next = isFloat ? "float(double(sum) + double(" + x + "))"
                             : "sum + uint64_t(" + asI64(x) + ")";
  if (op.getExclusive()) {
    body << at(r, idx) << " = " << (isFloat ? "sum" : "(int64_t)sum") << ";\n";
    body << "sum = " << next << ";\n";
  } else {
    body << "sum = " << next << ";\n";
    body << at(r, idx) << " = " << (isFloat ? "sum" : "(int64_t)sum") << ";\n";
  }
  body.unindent();
  body << "}\n";
  closeLoops(loopCount(outer));
  return success();
}

/// Whether the window position (yy, xx) lies inside the image of the rank-4
/// NCHW tensor `v` (not in its padding).
std::string HLSCppEmitter::insideImage(Value v) {
  ArrayRef<int64_t> s = values[v].shape;
  return "yy >= 0 && yy < " + std::to_string(s[2]) + " && xx >= 0 && xx < " +
         std::to_string(s[3]);
}

/// Opens the loops over a window (u over rows, v over columns, the
/// innermost pipelined) and defines yy / xx, the input position of output
/// (i, j) and window position (u, v).
void HLSCppEmitter::openWindow(ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> pads,
                               ArrayRef<int64_t> dilations, StringRef i,
                               StringRef j) {
  for (int d = 0; d < 2; ++d) {
    std::string u = d == 0 ? "u" : "v";
    body << "for (int " << u << " = 0; " << u << " < " << kernel[d] << "; ++"
         << u << ") {\n";
    body.indent();
  }
  body << "#pragma HLS PIPELINE II=1\n";
  body << "int yy = " << i << " * " << strides[0] << " - " << pads[0]
       << " + u * " << dilations[0] << ";\n";
  body << "int xx = " << j << " * " << strides[1] << " - " << pads[1]
       << " + v * " << dilations[1] << ";\n";
}

template <typename ConvLikeOp>
LogicalResult HLSCppEmitter::emitConv(ConvLikeOp op, Value bias,
                                      Value xZeroPoint, Value wZeroPoint) {
  auto wt = llvm::cast<RankedTensorType>(op.getWeight().getType());
  if (wt.getRank() != 4)
    return op.emitOpError("unable to emit HLS C++ for a convolution of rank ")
           << wt.getRank() << " (2-D only)";
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  ArrayRef<int64_t> ws = wt.getShape();
  int64_t cg = ws[1], mg = ws[0] / op.getGroup();
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  // The interpreter's im2col order: one sum from 0 over (ci, u, v), then the
  // bias. Floats: padded positions contribute w * 0. Integers
  // (nn.conv_integer, qc.conv): exact ap_int products of the operands minus
  // their zero points, summed in the accumulator type with wrap-around (32
  // bits for nn.conv_integer, P for qc.conv; the bias added modulo 2^P);
  // padded positions contribute nothing.
  bool isInt = !getElementTypeOrSelf(r.getType()).isF32();
  body << info.ctype << " acc = 0;\n";
  body << "for (int ci = 0; ci < " << cg << "; ++ci) {\n";
  body.indent();
  openWindow({ws[2], ws[3]}, op.getStrides(), op.getPads(), op.getDilations(),
             idx[2], idx[3]);
  std::string channel = op.getGroup() == 1
                            ? std::string("ci")
                            : "(" + idx[1] + ") / " + std::to_string(mg) +
                                  " * " + std::to_string(cg) + " + ci";
  std::string w = at(op.getWeight(), {idx[1], "ci", "u", "v"});
  if (!isInt) {
    body << "acc += " << w << " * (" << insideImage(op.getInput()) << " ? "
         << at(op.getInput(), {idx[0], channel, "yy", "xx"}) << " : 0.0f);\n";
  } else {
    auto zeroPoint = [&](Value z, StringRef c) -> std::string {
      if (!z)
        return "";
      const ValueInfo &zi = values[z];
      std::string e =
          numElements(zi.shape) == 1
              ? at(z, SmallVector<std::string>(zi.shape.size(), "0"))
              : at(z, {c.str()});
      return e == "0" ? "" : " - " + e;
    };
    body << "if (" << insideImage(op.getInput()) << ")\n  acc += ("
         << at(op.getInput(), {idx[0], channel, "yy", "xx"})
         << zeroPoint(xZeroPoint, "0") << ") * (" << w
         << zeroPoint(wZeroPoint, idx[1]) << ");\n";
  }
  for (int d = 0; d < 3; ++d) {
    body.unindent();
    body << "}\n";
  }
  body << at(r, idx) << " = acc" << (bias ? " + " + at(bias, {idx[1]}) : "")
       << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

template <typename PoolOp>
LogicalResult HLSCppEmitter::emitPool(PoolOp op, bool isMax) {
  if (llvm::cast<RankedTensorType>(op.getInput().getType()).getRank() != 4)
    return op.emitOpError("unable to emit HLS C++ for pooling of rank other "
                          "than 4 (2-D only)");
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  ArrayRef<int64_t> in = values[op.getInput()].shape, p = op.getPads();
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  // The interpreter's order: the window row by row; a maximum from
  // -infinity (IEEE maximum), or a sum from 0 divided by the count of
  // positions inside the image (or, with count_include_pad, inside the
  // explicit padding).
  body << "float acc = " << (isMax ? "-INFINITY" : "0.0f") << ";\n";
  if (!isMax)
    body << "int count = 0;\n";
  openWindow(op.getKernelShape(), op.getStrides(), p, op.getDilations(), idx[2],
             idx[3]);
  std::string inside = insideImage(op.getInput());
  std::string x = at(op.getInput(), {idx[0], idx[1], "yy", "xx"});
  if (isMax) {
    body << "if (" << inside << ")\n  acc = qc_hls::maximum(acc, " << x
         << ");\n";
  } else {
    body << "if (" << inside << ")\n  acc += " << x << ";\n";
    std::string counted = op.getCountIncludePad()
                              ? "yy >= " + std::to_string(-p[0]) + " && yy < " +
                                    std::to_string(in[2] + p[2]) +
                                    " && xx >= " + std::to_string(-p[1]) +
                                    " && xx < " + std::to_string(in[3] + p[3])
                              : inside;
    body << "if (" << counted << ")\n  ++count;\n";
  }
  for (int d = 0; d < 2; ++d) {
    body.unindent();
    body << "}\n";
  }
  body << at(r, idx) << " = " << (isMax ? "acc" : "acc / float(count)")
       << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

LogicalResult HLSCppEmitter::emitGlobalAveragePool(nn::GlobalAveragePoolOp op) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  ArrayRef<int64_t> in = values[op.getInput()].shape;
  int64_t inner = numElements(in.drop_front(2));
  auto idx = openLoops(info.shape, /*pipeline=*/false);
  // All spatial positions in row-major order, summed from 0, divided once.
  SmallVector<int64_t> flat{in[0], in[1], inner};
  std::string x = values[op.getInput()].name + "[" +
                  linearIndex(flat, {idx[0], idx[1], "p"}) + "]";
  body << "float acc = 0.0f;\n";
  innerLoop("p", inner, "acc += " + x + ";");
  body << at(r, idx) << " = acc / " << floatLiteral(float(inner)) << ";\n";
  closeLoops(loopCount(info.shape));
  return success();
}

LogicalResult HLSCppEmitter::emitNorm(Operation *op, Value input, Value scale,
                                      Value bias, int64_t axis, float epsilon,
                                      bool rms) {
  Value r = op->getResult(0);
  if (failed(declareResult(op, r)))
    return failure();
  SmallVector<int64_t> shape = values[r].shape;
  int64_t rank = int64_t(shape.size());
  int64_t a = axis < 0 ? axis + rank : axis;
  ArrayRef<int64_t> outerShape = ArrayRef(shape).take_front(size_t(a)),
                    innerShape = ArrayRef(shape).drop_front(size_t(a));
  // The interpreter's order: the float mean (0 for RMS) and biased variance
  // summed in row-major order over [axis, rank), then per element
  // (x - mean) * (1 / sqrt(var + eps)) * scale (+ bias).
  std::string n = floatLiteral(float(numElements(innerShape)));
  auto outer = openLoops(outerShape, /*pipeline=*/false);
  auto full = [&](ArrayRef<std::string> inner) {
    SmallVector<std::string> idx(outer.begin(), outer.end());
    idx.append(inner.begin(), inner.end());
    return idx;
  };
  auto innerLoops = [&](function_ref<void(ArrayRef<std::string>)> stmt) {
    auto inner = openLoops(innerShape, /*pipeline=*/true, "r");
    stmt(inner);
    closeLoops(loopCount(innerShape));
  };
  body << "float qc_mean = 0.0f;\n";
  if (!rms) {
    innerLoops([&](ArrayRef<std::string> inner) {
      body << "qc_mean += " << at(input, full(inner)) << ";\n";
    });
    body << "qc_mean /= " << n << ";\n";
  }
  body << "float qc_var = 0.0f;\n";
  innerLoops([&](ArrayRef<std::string> inner) {
    std::string x = at(input, full(inner));
    body << "qc_var += (" << x << " - qc_mean) * (" << x << " - qc_mean);\n";
  });
  body << "qc_var /= " << n << ";\n"
       << "float qc_inv = 1.0f / std::sqrt(qc_var + " << floatLiteral(epsilon)
       << ");\n";
  innerLoops([&](ArrayRef<std::string> inner) {
    body << at(r, full(inner)) << " = (" << at(input, full(inner))
         << " - qc_mean) * qc_inv * " << broadcastAt(scale, full(inner));
    if (bias)
      body << " + " << broadcastAt(bias, full(inner));
    body << ";\n";
  });
  closeLoops(loopCount(outerShape));
  return success();
}

LogicalResult HLSCppEmitter::emitConcat(nn::ConcatOp op) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  int64_t rank = int64_t(values[r].shape.size());
  int64_t axis = *nn::normalizeAxis(op.getAxis(), rank);
  // Each input copied into its slice along the axis.
  int64_t offset = 0;
  for (Value in : op.getInputs()) {
    SmallVector<int64_t> shape = values[in].shape;
    auto idx = openLoops(shape, /*pipeline=*/true);
    SmallVector<std::string> out(idx.begin(), idx.end());
    if (offset)
      out[size_t(axis)] = std::to_string(offset) + " + " + out[size_t(axis)];
    body << at(r, out) << " = " << at(in, idx) << ";\n";
    closeLoops(loopCount(shape));
    offset += shape[size_t(axis)];
  }
  return success();
}

LogicalResult HLSCppEmitter::emitSplit(nn::SplitOp op) {
  int64_t rank =
      llvm::cast<RankedTensorType>(op.getInput().getType()).getRank();
  int64_t axis = *nn::normalizeAxis(op.getAxis(), rank);
  int64_t offset = 0;
  for (Value r : op.getResults()) {
    if (failed(declareResult(op, r)))
      return failure();
    SmallVector<int64_t> shape = values[r].shape;
    auto idx = openLoops(shape, /*pipeline=*/true);
    SmallVector<std::string> in(idx.begin(), idx.end());
    if (offset)
      in[size_t(axis)] = std::to_string(offset) + " + " + in[size_t(axis)];
    body << at(r, idx) << " = " << at(op.getInput(), in) << ";\n";
    closeLoops(loopCount(shape));
    offset += shape[size_t(axis)];
  }
  return success();
}

template <typename SoftmaxLikeOp>
LogicalResult HLSCppEmitter::emitSoftmax(SoftmaxLikeOp op, bool log) {
  Value r = op.getResult();
  if (failed(declareResult(op, r)))
    return failure();
  const ValueInfo &info = values[r];
  int64_t rank = int64_t(info.shape.size());
  int64_t axis = *nn::normalizeAxis(int64_t(op.getAxis()), rank);
  SmallVector<int64_t> outer(info.shape);
  outer[size_t(axis)] = 1;
  auto idx = openLoops(outer, /*pipeline=*/false);
  idx[size_t(axis)] = "d";
  std::string x = at(op.getInput(), idx), y = at(r, idx);
  auto axisLoop = [&](StringRef stmt) {
    innerLoop("d", info.shape[size_t(axis)], stmt);
  };
  // The interpreter's algorithm: the maximum first, then the sum of the
  // exponentials in order, then one division per element.
  body << "float mx = -INFINITY;\n";
  axisLoop("mx = std::max(mx, " + x + ");");
  body << "float sum = 0.0f;\n";
  axisLoop("sum += std::exp(" + x + " - mx);");
  axisLoop(log ? y + " = " + x + " - mx - std::log(sum);"
               : y + " = std::exp(" + x + " - mx) / sum;");
  closeLoops(loopCount(outer));
  return success();
}

LogicalResult HLSCppEmitter::emitTranspose(nn::TransposeOp op) {
  ArrayRef<int64_t> perm = op.getPerm();
  return emitElementwise(op, [&](ArrayRef<std::string> idx) {
    SmallVector<std::string> in(idx.size());
    for (auto [i, p] : llvm::enumerate(perm))
      in[size_t(p)] = idx[i];
    return at(op.getInput(), in);
  });
}

LogicalResult HLSCppEmitter::emitReturn(func::ReturnOp op) {
  for (auto [i, v] : llvm::enumerate(op.getOperands())) {
    auto idx = openLoops(outputShapes[i], /*pipeline=*/true);
    body << outputNames[i] << "[" << linearIndex(outputShapes[i], idx)
         << "] = " << at(v, idx) << ";\n";
    closeLoops(loopCount(outputShapes[i]));
  }
  return success();
}

LogicalResult HLSCppEmitter::emitOp(Operation *op) {
  using namespace qc::nn;
  auto binary = [&](Operation *o, StringRef sym) {
    return emitElementwise(o, [&](ArrayRef<std::string> idx) {
      return broadcastAt(o->getOperand(0), idx) + " " + sym.str() + " " +
             broadcastAt(o->getOperand(1), idx);
    });
  };
  // nn.max / nn.min: IEEE 754-2019 maximum / minimum on floats, signed or
  // unsigned comparison on integers.
  auto minMax = [&](Operation *o, StringRef fn, StringRef cmp) {
    bool f = getElementTypeOrSelf(o->getResult(0).getType()).isF32();
    return emitElementwise(o, [&](ArrayRef<std::string> idx) {
      std::string a = broadcastAt(o->getOperand(0), idx),
                  b = broadcastAt(o->getOperand(1), idx);
      if (f)
        return "qc_hls::" + fn.str() + "(" + a + ", " + b + ")";
      std::string ct = values[o->getResult(0)].ctype;
      return "(" + a + " " + cmp.str() + " " + b + " ? " + ct + "(" + a +
             ") : " + ct + "(" + b + "))";
    });
  };
  // Unary ops: `expr` of qc_x, the element read once into a local.
  auto unary = [&](Operation *o, StringRef expr) -> LogicalResult {
    Value in = o->getOperand(0), r = o->getResult(0);
    if (failed(declareResult(o, r)))
      return failure();
    SmallVector<int64_t> shape = values[r].shape;
    auto idx = openLoops(shape, /*pipeline=*/true);
    body << values[in].ctype << " qc_x = " << at(in, idx) << ";\n";
    body << at(r, idx) << " = " << expr << ";\n";
    closeLoops(loopCount(shape));
    return success();
  };
  auto isFloat = [](Value v) {
    return getElementTypeOrSelf(v.getType()).isF32();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::ConstantOp c) -> LogicalResult {
        auto attr = llvm::dyn_cast<ElementsAttr>(c.getValue());
        if (!attr)
          return c.emitOpError("unable to emit a scalar constant");
        return emitConstant(c, attr);
      })
      .Case([&](qc::ConstantOp c) { return emitConstant(c, c.getValue()); })
      .Case([&](qc::QuantizeOp o) {
        return emitQuantize(o, o.getInput(), o.getScales(), o.getZeroPoints(),
                            o.getGlobalScale(), o.getType(), o.getRounding(),
                            /*dequantize=*/false);
      })
      .Case([&](qc::FakeQuantOp o) {
        return emitQuantize(o, o.getInput(), o.getScales(), o.getZeroPoints(),
                            o.getGlobalScale(),
                            llvm::cast<QTensorType>(o.getQuantType()),
                            o.getRounding(), /*dequantize=*/true);
      })
      .Case([&](qc::DequantizeOp o) { return emitDequantize(o); })
      .Case([&](qc::ComputeScalesOp o) { return emitComputeScales(o); })
      .Case([&](qc::RotateOp o) { return emitRotate(o); })
      .Case([&](qc::LinearOp o) { return emitLinear(o); })
      .Case([&](qc::RescaleOp o) { return emitRescale(o); })
      .Case([&](CastOp o) { return emitCast(o); })
      .Case([&](AddOp o) { return binary(o, "+"); })
      .Case([&](SubOp o) { return binary(o, "-"); })
      .Case([&](MulOp o) { return binary(o, "*"); })
      .Case([&](DivOp o) -> LogicalResult {
        if (!isFloat(o.getLhs()))
          return o.emitOpError("unable to emit HLS C++ for an integer "
                               "division");
        return binary(o, "/");
      })
      .Case([&](ReluOp o) {
        bool f = isFloat(o.getInput());
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          std::string x = at(o.getInput(), idx);
          if (f)
            return x + " > 0.0f ? " + x + " : 0.0f";
          std::string ct = values[o.getInput()].ctype;
          return x + " > 0 ? " + ct + "(" + x + ") : " + ct + "(0)";
        });
      })
      .Case([&](MatMulOp o) { return emitMatMul(o, o.getLhs(), o.getRhs()); })
      .Case([&](GemmOp o) { return emitGemm(o); })
      .Case([&](nn::ConvOp o) { return emitConv(o, o.getBias()); })
      .Case([&](qc::ConvOp o) -> LogicalResult {
        if (failed(elementCType(o, o.getInput().getType())) ||
            failed(elementCType(o, o.getWeight().getType())))
          return failure();
        return emitConv(o, o.getBias(), o.getInputZeroPoint());
      })
      .Case([&](ConvIntegerOp o) {
        return emitConv(o, Value(), o.getXZeroPoint(), o.getWZeroPoint());
      })
      .Case([&](MaxPoolOp o) { return emitPool(o, /*isMax=*/true); })
      .Case([&](AveragePoolOp o) { return emitPool(o, /*isMax=*/false); })
      .Case([&](GlobalAveragePoolOp o) { return emitGlobalAveragePool(o); })
      .Case([&](BatchNormOp o) {
        // (x - mean) / sqrt(variance + eps) * scale + bias per channel, in
        // the interpreter's order.
        std::string eps = floatLiteral(o.getEpsilon().convertToFloat());
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          SmallVector<std::string> c{idx[1]};
          return "(" + at(o.getInput(), idx) + " - " + at(o.getMean(), c) +
                 ") / std::sqrt(" + at(o.getVariance(), c) + " + " + eps +
                 ") * " + at(o.getScale(), c) + " + " + at(o.getBias(), c);
        });
      })
      .Case([&](ReduceMaxOp o) { return emitReduce(o, Reduction::Max); })
      .Case([&](ReduceSumOp o) { return emitReduce(o, Reduction::Sum); })
      .Case([&](ReduceMeanOp o) { return emitReduce(o, Reduction::Mean); })
      .Case([&](CumSumOp o) { return emitCumSum(o); })
      .Case([&](MaxOp o) { return minMax(o, "maximum", ">"); })
      .Case([&](PowOp o) -> LogicalResult {
        // std::pow of two floats (powf), as the interpreter; integers by
        // repeated squaring, wrapping.
        bool f = isFloat(o.getResult());
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          std::string a = broadcastAt(o.getLhs(), idx),
                      b = broadcastAt(o.getRhs(), idx);
          return f ? "std::pow(" + a + ", " + b + ")"
                   : "qc_hls::ipow(" + asI64(a) + ", " + asI64(b) + ")";
        });
      })
      .Case([&](ArgMaxOp o) -> LogicalResult {
        if (failed(declareResult(o, o.getResult())))
          return failure();
        auto in = llvm::cast<RankedTensorType>(o.getInput().getType());
        int64_t rank = in.getRank(), axis = o.getAxis();
        if (axis < 0)
          axis += rank;
        SmallVector<int64_t> shape = values[o.getResult()].shape;
        auto idx = openLoops(shape, /*pipeline=*/false);
        auto inputAt = [&](StringRef k) {
          SmallVector<std::string> i(idx.begin(), idx.end());
          if (o.getKeepdims())
            i[size_t(axis)] = k.str();
          else
            i.insert(i.begin() + axis, k.str());
          return at(o.getInput(), i);
        };
        // The interpreter's scan: the first (or last) largest, NaN above
        // every number.
        bool last = o.getSelectLastIndex();
        std::string ct = values[o.getInput()].ctype;
        std::string take =
            in.getElementType().isF32()
                ? std::string("qc_v != qc_v ? ") +
                      (last ? "true" : "!(qc_m != qc_m)") +
                      " : (qc_m != qc_m ? false : qc_v " + (last ? ">=" : ">") +
                      " qc_m)"
                : std::string("qc_v > qc_m") + (last ? " || qc_v == qc_m" : "");
        body << "int64_t qc_best = 0;\n"
             << "for (int k = 1; k < " << in.getDimSize(axis) << "; ++k) {\n";
        body.indent();
        body << "#pragma HLS PIPELINE II=1\n"
             << ct << " qc_v = " << inputAt("k")
             << ", qc_m = " << inputAt("qc_best") << ";\n"
             << "if (" << take << ")\n  qc_best = k;\n";
        body.unindent();
        body << "}\n" << at(o.getResult(), idx) << " = qc_best;\n";
        closeLoops(loopCount(shape));
        return success();
      })
      .Case([&](LayerNormOp o) {
        return emitNorm(o, o.getInput(), o.getScale(), o.getBias(), o.getAxis(),
                        o.getEpsilon().convertToFloat(), false);
      })
      .Case([&](RMSNormOp o) {
        return emitNorm(o, o.getInput(), o.getScale(), Value(), o.getAxis(),
                        o.getEpsilon().convertToFloat(), true);
      })
      .Case([&](MinOp o) { return minMax(o, "minimum", "<"); })
      .Case([&](SliceOp o) {
        ArrayRef<int64_t> starts = o.getStarts(), steps = o.getSteps();
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          SmallVector<std::string> in;
          for (auto [d, i] : llvm::enumerate(idx)) {
            std::string e = i;
            if (steps[d] != 1)
              e = "(" + e + ") * " + intLiteral(steps[d]);
            if (starts[d] != 0)
              e = intLiteral(starts[d]) + " + " + e;
            in.push_back(e);
          }
          return at(o.getInput(), in);
        });
      })
      .Case([&](GatherOp o) -> LogicalResult {
        auto xt = llvm::cast<RankedTensorType>(o.getInput().getType());
        int64_t rank = xt.getRank();
        int64_t axis = *normalizeAxis(o.getAxis(), rank);
        int64_t dim = xt.getShape()[size_t(axis)];
        int64_t ri =
            llvm::cast<RankedTensorType>(o.getIndices().getType()).getRank();
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          SmallVector<std::string> in(idx.begin(), idx.begin() + axis);
          std::string ix = asI64(
              at(o.getIndices(), ArrayRef<std::string>(idx).slice(axis, ri)));
          in.push_back("qc_hls::index_along(" + ix + ", " + intLiteral(dim) +
                       ")");
          in.append(idx.begin() + axis + ri, idx.end());
          return at(o.getInput(), in);
        });
      })
      .Case([&](GatherElementsOp o) -> LogicalResult {
        // y[idx] = x[idx with idx[axis] = indices[idx]] (negative indices
        // from the end; the design clamps one out of range, which the
        // interpreter rejects).
        auto xt = llvm::cast<RankedTensorType>(o.getInput().getType());
        int64_t axis = *normalizeAxis(o.getAxis(), xt.getRank());
        int64_t dim = xt.getShape()[size_t(axis)];
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          SmallVector<std::string> in(idx.begin(), idx.end());
          in[size_t(axis)] = "qc_hls::index_along(" +
                             asI64(at(o.getIndices(), idx)) + ", " +
                             intLiteral(dim) + ")";
          return at(o.getInput(), in);
        });
      })
      .Case([&](MatMulIntegerOp o) {
        return emitMatMul(o, o.getA(), o.getB(), o.getAZeroPoint(),
                          o.getBZeroPoint());
      })
      .Case([&](qc::CodesOp o) {
        // Codes of integer formats (the op's only ones) are held as the
        // integers they stand for already.
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          return at(o.getInput(), idx);
        });
      })
      .Case([&](RoundOp o) {
        // Ties to even, as the interpreter (the default rounding mode).
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          return "std::rint(" + at(o.getInput(), idx) + ")";
        });
      })
      .Case([&](ClipOp o) {
        std::string lo = o.getMin() ? floatLiteral(o.getMin()->convertToFloat())
                                    : std::string("(-INFINITY)");
        std::string hi = o.getMax() ? floatLiteral(o.getMax()->convertToFloat())
                                    : std::string("INFINITY");
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          std::string x = at(o.getInput(), idx);
          return "(" + x + " != " + x + " ? " + x + " : std::min(std::max(" +
                 x + ", " + lo + "), " + hi + "))";
        });
      })
      .Case([&](SoftmaxOp o) { return emitSoftmax(o, /*log=*/false); })
      .Case([&](LogSoftmaxOp o) { return emitSoftmax(o, /*log=*/true); })
      .Case([&](ConcatOp o) { return emitConcat(o); })
      .Case([&](SplitOp o) { return emitSplit(o); })
      .Case([&](ExpandOp o) {
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          return broadcastAt(o.getInput(), idx);
        });
      })
      .Case([&](WhereOp o) -> LogicalResult {
        // Both branches in the result's type (an ap_int and an integer
        // literal would make the conditional ambiguous).
        auto ct = elementCType(o, o.getType());
        if (failed(ct))
          return failure();
        return emitElementwise(o, [&](ArrayRef<std::string> idx) {
          return "(" + broadcastAt(o.getCondition(), idx) + " ? " + *ct + "(" +
                 broadcastAt(o.getLhs(), idx) + ") : " + *ct + "(" +
                 broadcastAt(o.getRhs(), idx) + "))";
        });
      })
      .Case([&](LessOp o) { return binary(o, "<"); })
      .Case([&](GreaterOp o) { return binary(o, ">"); })
      .Case([&](EqualOp o) { return binary(o, "=="); })
      .Case([&](AndOp o) { return binary(o, "&"); })
      .Case([&](OrOp o) { return binary(o, "|"); })
      .Case([&](XorOp o) { return binary(o, "^"); })
      .Case([&](NotOp o) {
        bool boolean = getElementTypeOrSelf(o.getType()).isInteger(1);
        return unary(o, boolean ? "!qc_x" : "~qc_x");
      })
      .Case([&](NegOp o) { return unary(o, "-qc_x"); })
      .Case([&](AbsOp o) {
        if (isFloat(o.getInput()))
          return unary(o, "std::fabs(qc_x)");
        // Integers wrap (the most negative value stays), as the
        // interpreter's.
        std::string ct = values[o.getInput()].ctype;
        return unary(o, "(qc_x < 0 ? " + ct + "(-qc_x) : qc_x)");
      })
      // One float operation each, as the interpreter's (std:: functions on
      // float: the host's libm in C simulation, HLS math in synthesis).
      .Case([&](ExpOp o) { return unary(o, "std::exp(qc_x)"); })
      .Case([&](LogOp o) { return unary(o, "std::log(qc_x)"); })
      .Case([&](SqrtOp o) { return unary(o, "std::sqrt(qc_x)"); })
      .Case([&](ReciprocalOp o) { return unary(o, "1.0f / qc_x"); })
      .Case([&](TanhOp o) { return unary(o, "std::tanh(qc_x)"); })
      .Case([&](ErfOp o) { return unary(o, "std::erf(qc_x)"); })
      .Case([&](FloorOp o) { return unary(o, "std::floor(qc_x)"); })
      .Case([&](CeilOp o) { return unary(o, "std::ceil(qc_x)"); })
      .Case([&](SigmoidOp o) {
        return unary(o, "(qc_x >= 0 ? 1.0f / (1.0f + std::exp(-qc_x)) : "
                        "std::exp(qc_x) / (1.0f + std::exp(qc_x)))");
      })
      .Case([&](LeakyReluOp o) {
        return unary(o, "(qc_x >= 0 ? qc_x : " +
                            floatLiteral(o.getAlpha().convertToFloat()) +
                            " * qc_x)");
      })
      .Case([&](GeluOp o) {
        if (o.getApproximate() == "tanh")
          return unary(o,
                       "0.5f * qc_x * (1.0f + std::tanh(0.7978845608028654f * "
                       "(qc_x + 0.044715f * qc_x * qc_x * qc_x)))");
        return unary(
            o, "0.5f * qc_x * (1.0f + std::erf(qc_x * 0.7071067811865476f))");
      })
      .Case([&](TransposeOp o) { return emitTranspose(o); })
      .Case([&](ReshapeOp o) -> LogicalResult {
        // Row-major arrays: the same elements under another shape.
        auto shape = staticShape(o, o.getType());
        if (failed(shape))
          return failure();
        ValueInfo info = values[o.getInput()];
        info.shape = *shape;
        values[o.getResult()] = info;
        return success();
      })
      .Case([&](func::ReturnOp o) { return emitReturn(o); })
      .Default([&](Operation *o) {
        return o->emitOpError(
            "unable to emit HLS C++ for this op (docs/HLS.md lists the "
            "supported ops)");
      });
}

/// The helpers every emitted design uses: the same integer arithmetic as
/// the numerics library and qc.rescale.
constexpr const char *kHelpers = R"cpp(namespace qc_hls {
/// round-half-to-even(v) + zp saturated to [lo, hi]; NaN gives zp
/// (saturated). The quantization of every integer format.
inline int64_t encode_int(float v, int64_t zp, int64_t lo, int64_t hi) {
  if (v != v)
    return zp < lo ? lo : (zp > hi ? hi : zp);
  double r = double(std::rint(v)) + double(zp);
  return r <= double(lo) ? lo : (r >= double(hi) ? hi : int64_t(r));
}

/// Fixed point: fl32 v * 2^frac (`up`, exact in double) rounded half to
/// even, then saturated to [lo, hi] or, with `wrap_bits` > 0, wrapped
/// modulo 2^wrap_bits into it (0 beyond 9.2e18 or for infinity); NaN
/// gives 0. The integer code.
inline int64_t encode_fixed(float v, double up, int64_t lo, int64_t hi,
                            int wrap_bits) {
  double r = std::rint(double(v) * up);
  if (r != r)
    return 0;
  if (wrap_bits > 0) {
    if (!(std::fabs(r) < 9.2e18))
      return 0;
    uint64_t c = uint64_t(int64_t(r)) & ((uint64_t(1) << wrap_bits) - 1);
    return lo < 0 && (c >> (wrap_bits - 1)) ? int64_t(c) - (int64_t(1) << wrap_bits)
                                            : int64_t(c);
  }
  return r <= double(lo) ? lo : (r >= double(hi) ? hi : int64_t(r));
}

/// a^b in 64-bit two's complement by repeated squaring; a negative
/// exponent gives 0 except for the bases 1 and -1 (0^-n is an error in the
/// interpreter; the design gives 0).
inline int64_t ipow(int64_t a, int64_t b) {
  if (b < 0)
    return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
  uint64_t r = 1, base = uint64_t(a);
  for (uint64_t e = uint64_t(b); e; e >>= 1) {
    if (e & 1)
      r *= base;
    base *= base;
  }
  return int64_t(r);
}

/// The bits of a float32 (minifloat encoders work on them).
inline uint32_t bits_of(float x) {
  union {
    float f;
    uint32_t u;
  } c;
  c.f = x;
  return c.u;
}

/// Float to integer: toward zero, saturated to [lo, hi - 1], NaN to 0.
inline int64_t trunc_sat(float x, int64_t lo, int64_t hi) {
  double t = std::trunc(double(x));
  return t != t ? 0 : (t >= double(hi) ? hi - 1 : (t <= double(lo) ? lo : int64_t(t)));
}

/// IEEE 754-2019 maximum and minimum: NaN if either is NaN, +0 above -0.
template <typename T> inline T maximum(T a, T b) {
  if (a != a || b != b)
    return NAN;
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <typename T> inline T minimum(T a, T b) {
  if (a != a || b != b)
    return NAN;
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

/// An index along a dimension of `dim` elements, negative ones counting
/// from the end. The interpreter rejects one out of range; the design
/// clamps it.
inline int64_t index_along(int64_t i, int64_t dim) {
  i = i < 0 ? i + dim : i;
  return i < 0 ? 0 : (i >= dim ? dim - 1 : i);
}

/// qc.rescale: sat(((x - zin) * m + 2^(shift - 1)) >> shift + zout), in
/// 64-bit two's complement, shift clamped to [0, 62].
inline int64_t rescale(int64_t x, int64_t zin, int64_t m, int64_t shift,
                       int64_t zout, int64_t lo, int64_t hi) {
  shift = shift < 0 ? 0 : (shift > 62 ? 62 : shift);
  uint64_t v = uint64_t(x - zin) * uint64_t(m);
  if (shift > 0)
    v += uint64_t(1) << (shift - 1);
  int64_t r = int64_t(v) >> shift;
  r += zout;
  return r < lo ? lo : (r > hi ? hi : r);
}
} // namespace qc_hls
)cpp";

LogicalResult HLSCppEmitter::emitSource(raw_ostream &out) {
  if (failed(collectPorts()))
    return failure();
  body.indent();
  for (Operation &op : func.getBody().front())
    if (failed(emitOp(&op)))
      return failure();
  body.unindent();
  out << "// Generated by quant-translate --emit-hls from @"
      << func.getSymName() << ".\n"
      << "// Vitis HLS C++: top function " << topName
      << ". C simulation: any C++17 compiler with the\n"
      << "// ap_int headers on the include path and -ffp-contract=off "
         "(docs/HLS.md).\n"
      << "#include <ap_fixed.h>\n#include <ap_int.h>\n#include <algorithm>\n"
      << "#include <cfloat>\n#include <cmath>\n"
      << "#include <cstdint>\n\n"
      << kHelpers << "\n"
      << formatsText;
  out << constantsText << (constantsText.empty() ? "" : "\n");
  printSignature(out);
  out << " {\n" << bodyText << "}\n";
  return success();
}

void HLSCppEmitter::printSignature(raw_ostream &out) {
  out << "void " << topName << "(";
  llvm::ListSeparator sep;
  for (size_t i = 0; i < inputNames.size(); ++i)
    out << sep << "const " << inputTypes[i] << " " << inputNames[i] << "["
        << std::max<int64_t>(1, numElements(inputShapes[i])) << "]";
  for (size_t i = 0; i < outputNames.size(); ++i)
    out << sep << outputTypes[i] << " " << outputNames[i] << "["
        << std::max<int64_t>(1, numElements(outputShapes[i])) << "]";
  out << ")";
}

LogicalResult HLSCppEmitter::emitTestbench(raw_ostream &out) {
  if (failed(collectPorts()))
    return failure();
  out << "// Generated by quant-translate --emit-hls-testbench from @"
      << func.getSymName() << ".\n"
      << "// Usage: tb IN_DIR OUT_DIR. Reads IN_DIR/<input>.bin "
         "(float32 or int32, row major),\n"
      << "// calls " << topName
      << " and writes OUT_DIR/<output>.bin in the same encoding.\n"
      << "#include <ap_int.h>\n#include <cstdint>\n#include <cstdio>\n"
      << "#include <string>\n#include <vector>\n\n";
  printSignature(out);
  out << ";\n\n";
  out << R"cpp(template <typename T>
static bool readFile(const std::string &path, std::vector<T> &data) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "tb: cannot open %s\n", path.c_str());
    return false;
  }
  size_t got = std::fread(data.data(), sizeof(T), data.size(), f);
  bool extra = std::fgetc(f) != EOF;
  std::fclose(f);
  if (got != data.size() || extra) {
    std::fprintf(stderr, "tb: %s holds %s values than the %zu expected\n",
                 path.c_str(), extra ? "more" : "fewer", data.size());
    return false;
  }
  return true;
}

template <typename T>
static bool writeFile(const std::string &path, const std::vector<T> &data) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data.data(), sizeof(T), data.size(), f) != data.size()) {
    std::fprintf(stderr, "tb: cannot write %s\n", path.c_str());
    if (f)
      std::fclose(f);
    return false;
  }
  return std::fclose(f) == 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  std::string in = argv[1], out = argv[2];
)cpp";
  auto fileType = [](const std::string &ct) {
    return ct == "float" ? "float" : "int32_t";
  };
  for (size_t i = 0; i < inputNames.size(); ++i) {
    int64_t n = std::max<int64_t>(1, numElements(inputShapes[i]));
    out << "  std::vector<" << fileType(inputTypes[i]) << "> raw_"
        << inputNames[i] << "(" << n << ");\n"
        << "  if (!readFile(in + \"/" << inputNames[i] << ".bin\", raw_"
        << inputNames[i] << "))\n    return 1;\n"
        << "  static " << inputTypes[i] << " " << inputNames[i] << "[" << n
        << "];\n"
        << "  for (int i = 0; i < " << n << "; ++i)\n    " << inputNames[i]
        << "[i] = raw_" << inputNames[i] << "[i];\n";
  }
  for (size_t i = 0; i < outputNames.size(); ++i)
    out << "  static " << outputTypes[i] << " " << outputNames[i] << "["
        << std::max<int64_t>(1, numElements(outputShapes[i])) << "];\n";
  out << "  " << topName << "(";
  llvm::ListSeparator sep;
  for (auto &n : llvm::concat<std::string>(inputNames, outputNames))
    out << sep << n;
  out << ");\n";
  for (size_t i = 0; i < outputNames.size(); ++i) {
    int64_t n = std::max<int64_t>(1, numElements(outputShapes[i]));
    std::string ft = fileType(outputTypes[i]);
    out << "  std::vector<" << ft << "> raw_" << outputNames[i] << "(" << n
        << ");\n"
        << "  for (int i = 0; i < " << n << "; ++i)\n    raw_" << outputNames[i]
        << "[i] = "
        << (ft == "float" ? outputNames[i] + "[i]"
                          : "(int32_t)(int64_t)(" + outputNames[i] + "[i])")
        << ";\n"
        << "  if (!writeFile(out + \"/" << outputNames[i] << ".bin\", raw_"
        << outputNames[i] << "))\n    return 1;\n";
  }
  out << "  return 0;\n}\n";
  return success();
}

/// The module's one function with a body.
FailureOr<func::FuncOp> topFunction(ModuleOp module) {
  func::FuncOp top;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    if (top)
      return module.emitError("--emit-hls: expected one function with a "
                              "body, found @")
                 << top.getSymName() << " and @" << f.getSymName(),
             failure();
    top = f;
  }
  if (!top)
    return module.emitError("--emit-hls: no function with a body"), failure();
  if (!llvm::hasSingleElement(top.getBody()))
    return top.emitOpError("unable to emit HLS C++ for a function with more "
                           "than one block"),
           failure();
  return top;
}

} // namespace

/// Runs `emit` on the module's top function into a buffer: nothing
/// reaches `os` unless the whole file does.
static LogicalResult
emitBuffered(ModuleOp module, raw_ostream &os,
             LogicalResult (HLSCppEmitter::*emit)(raw_ostream &)) {
  auto top = topFunction(module);
  if (failed(top))
    return failure();
  HLSCppEmitter emitter(*top);
  std::string text;
  llvm::raw_string_ostream buffer(text);
  if (failed((emitter.*emit)(buffer)))
    return failure();
  os << text;
  return success();
}

LogicalResult qc::translateToHLSCpp(ModuleOp module, raw_ostream &os) {
  return emitBuffered(module, os, &HLSCppEmitter::emitSource);
}

LogicalResult qc::translateToHLSTestbench(ModuleOp module, raw_ostream &os) {
  return emitBuffered(module, os, &HLSCppEmitter::emitTestbench);
}

void qc::registerHLSCppTranslations() {
  auto dialects = [](DialectRegistry &registry) {
    registry.insert<qc::QCDialect, qc::nn::NNDialect, func::FuncDialect,
                    arith::ArithDialect>();
  };
  auto onModule = [](LogicalResult (*translate)(ModuleOp, raw_ostream &)) {
    return [translate](Operation *op, raw_ostream &os) -> LogicalResult {
      auto module = llvm::dyn_cast<ModuleOp>(op);
      if (!module)
        return op->emitError("expected a module");
      return translate(module, os);
    };
  };
  TranslateFromMLIRRegistration source(
      "emit-hls",
      "Write a quantized nn + qc model as Vitis HLS C++ (ap_int / ap_fixed "
      "codes, minifloat encoders, bit-exact C simulation; docs/HLS.md)",
      onModule(translateToHLSCpp), dialects);
  TranslateFromMLIRRegistration testbench(
      "emit-hls-testbench",
      "Write a C++ testbench (main reading and writing .bin files) for the "
      "design --emit-hls writes",
      onModule(translateToHLSTestbench), dialects);
}

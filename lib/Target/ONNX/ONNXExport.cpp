//===- ONNXExport.cpp - nn + qc to ONNX -----------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Writes a func.func of nn and qc ops as a standard ONNX model (opset 21)
// that onnxruntime runs: nn ops map back to their ONNX operators, qc
// quantization to QuantizeLinear / DequantizeLinear (per tensor, per axis,
// blocked) with quantized constants stored as integer / float8
// initializers, and online rotations to a MatMul by the dense rotation
// matrix. Anything without an ONNX form is a diagnostic naming the op.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/ONNX/ONNXExport.h"

#include "qc/Dialect/NN/IR/NN.h"
#include "qc/Dialect/QC/IR/QC.h"
#include "qc/Support/Numerics/Hadamard.h"
#include "qc/Support/Numerics/Quantize.h"
#include "qc/Target/ONNX/ModelLoader.h"

#include "QuantTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>

using namespace mlir;
using namespace qc;

static llvm::cl::opt<std::string> clExternalData(
    "onnx-external-data",
    llvm::cl::desc("With --export-onnx: write initializers of 1 KiB or more "
                   "to this file as ONNX external data (the model refers to "
                   "it by file name: keep both in one directory)"),
    llvm::cl::init(""));

namespace {

constexpr int64_t kOpset = 21;
constexpr size_t kExternalThreshold = 1024;

/// ONNX element type of an MLIR element type, or 0.
int32_t onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF16())
    return onnx::TensorProto::FLOAT16;
  if (t.isBF16())
    return onnx::TensorProto::BFLOAT16;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  if (auto i = llvm::dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8:
      return u ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
    case 16:
      return u ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
    case 32:
      return u ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
    case 64:
      return u ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
    default:
      return 0;
    }
  }
  return 0;
}

/// ONNX storage type of a qc format in opset 21, or 0 when it has none
/// (narrow integers; FLOAT4E2M1 is opset 23).
int32_t onnxQuantType(const num::Format &f) {
  int32_t t = f.isNarrow() ? 0 : onnx_types::onnxTypeOf(f);
  return t == 23 ? 0 : t;
}

class Exporter {
public:
  Exporter(func::FuncOp func, llvm::raw_fd_ostream *external = nullptr,
           std::string externalName = "")
      : func(func), external(external), externalName(std::move(externalName)) {}

  LogicalResult run(onnx::ModelProto &model);

private:
  func::FuncOp func;
  /// The external-data file, streamed as initializers are produced.
  llvm::raw_fd_ostream *external;
  std::string externalName;
  onnx::GraphProto *graph = nullptr;
  llvm::DenseMap<Value, std::string> names;
  int counter = 0;

  std::string fresh(StringRef base) {
    return (base + "_" + Twine(counter++)).str();
  }
  std::string nameOf(Value v) { return names.lookup(v); }

  onnx::NodeProto *node(StringRef opType, ArrayRef<std::string> inputs,
                        ArrayRef<std::string> outputs, Operation *op) {
    onnx::NodeProto *n = graph->add_node();
    n->set_op_type(opType.str());
    n->set_name(fresh(opType));
    if (auto loc = llvm::dyn_cast<NameLoc>(op->getLoc()))
      n->set_name(loc.getName().str() + "/" + n->name());
    for (const std::string &i : inputs)
      n->add_input(i);
    for (const std::string &o : outputs)
      n->add_output(o);
    return n;
  }
  static void attrInt(onnx::NodeProto *n, StringRef name, int64_t v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attrFloat(onnx::NodeProto *n, StringRef name, float v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attrInts(onnx::NodeProto *n, StringRef name,
                       ArrayRef<int64_t> v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }
  static void attrString(onnx::NodeProto *n, StringRef name, StringRef v) {
    auto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v.str());
  }

  /// Adds an initializer with raw little-endian data.
  std::string initializer(StringRef base, int32_t type, ArrayRef<int64_t> shape,
                          std::string raw) {
    onnx::TensorProto *t = graph->add_initializer();
    std::string name = fresh(base);
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : shape)
      t->add_dims(d);
    if (external && raw.size() >= kExternalThreshold) {
      uint64_t offset = external->tell();
      *external << raw;
      t->set_data_location(onnx::TensorProto::EXTERNAL);
      for (auto [k, v] :
           {std::pair<std::string, std::string>("location", externalName),
            {"offset", std::to_string(offset)},
            {"length", std::to_string(raw.size())}}) {
        auto *e = t->add_external_data();
        e->set_key(k);
        e->set_value(v);
      }
      return name;
    }
    t->set_raw_data(std::move(raw));
    return name;
  }
  std::string i64Initializer(ArrayRef<int64_t> v) {
    std::string raw(reinterpret_cast<const char *>(v.data()), v.size() * 8);
    return initializer("shape", onnx::TensorProto::INT64, {int64_t(v.size())},
                       raw);
  }
  std::string f32Initializer(ArrayRef<float> v, ArrayRef<int64_t> shape) {
    std::string raw(reinterpret_cast<const char *>(v.data()), v.size() * 4);
    return initializer("const", onnx::TensorProto::FLOAT, shape, raw);
  }
  std::string f64Initializer(ArrayRef<double> v, ArrayRef<int64_t> shape) {
    std::string raw(reinterpret_cast<const char *>(v.data()), v.size() * 8);
    return initializer("const", onnx::TensorProto::DOUBLE, shape, raw);
  }

  /// rows x n doubles times D H / sqrt(n) (signs from `seed`, H of order n =
  /// K 2^m), as qc's HadamardAttr applies itself: the signs, the
  /// Walsh-Hadamard butterflies (a + b, a - b) at distances 1, 2, 4, ... in
  /// every length-2^m segment, the segments mixed by H_K, the scale.
  std::string signedHadamard(const std::string &x, int64_t rows, int64_t n,
                             uint64_t seed, Operation *op) {
    std::string cur = x;
    if (seed) {
      std::vector<double> signs(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        signs[size_t(i)] =
            (num::stochasticBits(seed, uint64_t(i)) & 1) ? -1.0 : 1.0;
      std::string t = fresh("v");
      node("Mul", {cur, f64Initializer(signs, {n})}, {t}, op);
      cur = t;
    }
    auto [k, m] = *num::factorHadamardOrder(n);
    int64_t p = int64_t(1) << m, segments = rows * k;
    for (int64_t h = 1; h < p; h <<= 1) {
      std::string v = fresh("v"), a = fresh("v"), b = fresh("v"),
                  sum = fresh("v"), diff = fresh("v"), both = fresh("v"),
                  next = fresh("v");
      node("Reshape", {cur, i64Initializer({segments, p / (2 * h), 2, h})}, {v},
           op);
      attrInt(node("Split", {v, i64Initializer({1, 1})}, {a, b}, op), "axis",
              2);
      node("Add", {a, b}, {sum}, op);
      node("Sub", {a, b}, {diff}, op);
      attrInt(node("Concat", {sum, diff}, {both}, op), "axis", 2);
      node("Reshape", {both, i64Initializer({segments, p})}, {next}, op);
      cur = next;
    }
    if (k > 1) {
      // y[c, :] = sum_a H_K[a][c] z[a, :]: H_K^T times each [k, 2^m]
      // block. (A MatMul of z transposed would be fused by onnxruntime into
      // a FusedMatMul, which has no double kernel.)
      const std::vector<int8_t> &hk = num::hadamardBase(k);
      std::vector<double> mt(static_cast<size_t>(k * k));
      for (int64_t a = 0; a < k; ++a)
        for (int64_t c = 0; c < k; ++c)
          mt[size_t(c * k + a)] = double(hk[size_t(a * k + c)]);
      std::string z = fresh("v"), prod = fresh("v"), y = fresh("v");
      node("Reshape", {cur, i64Initializer({rows, k, p})}, {z}, op);
      node("MatMul", {f64Initializer(mt, {k, k}), z}, {prod}, op);
      node("Reshape", {prod, i64Initializer({rows, n})}, {y}, op);
      cur = y;
    }
    std::string scaled = fresh("v");
    node("Mul", {cur, f64Initializer({1.0 / std::sqrt(double(n))}, {})},
         {scaled}, op);
    return scaled;
  }

  /// The window attributes of nn.conv / nn.conv_integer on an ONNX Conv /
  /// ConvInteger node.
  template <typename ConvLike> void convAttrs(onnx::NodeProto *n, ConvLike o) {
    auto w = llvm::cast<RankedTensorType>(o.getWeight().getType());
    attrInts(n, "kernel_shape", w.getShape().drop_front(2));
    attrInts(n, "strides", o.getStrides());
    attrInts(n, "pads", o.getPads());
    attrInts(n, "dilations", o.getDilations());
    attrInt(n, "group", o.getGroup());
  }

  LogicalResult constant(arith::ConstantOp op);
  LogicalResult quantizedConstant(qc::ConstantOp op);
  LogicalResult emit(Operation *op);
  /// Scale and zero-point initializer names of a Q/DQ pair.
  FailureOr<std::pair<std::string, std::string>>
  qdqParams(Operation *op, QTensorType qt, Value scales, Value zp,
            Value global);
  void qdqAttrs(onnx::NodeProto *n, QTensorType qt, bool quantize);
  /// A per-block scheme whose one block covers the tensor (exported as
  /// per-tensor Q/DQ).
  static bool singleBlock(QTensorType qt);
};

LogicalResult Exporter::constant(arith::ConstantOp op) {
  if (op->use_empty())
    return success(); // Dead constants would become unused initializers.
  auto attr = llvm::dyn_cast<DenseElementsAttr>(op.getValue());
  auto type = llvm::dyn_cast<RankedTensorType>(op.getType());
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(op.getValue())) {
    // Weights imported from external data: written inline.
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    int32_t t = type ? onnxType(type.getElementType()) : 0;
    if (!blob || !t || type.getElementType().isInteger(1))
      return op.emitOpError("cannot export this resource constant");
    ArrayRef<char> raw = blob->getData();
    names[op.getResult()] = initializer("const", t, type.getShape(),
                                        std::string(raw.data(), raw.size()));
    return success();
  }
  if (!attr || !type)
    return op.emitOpError("cannot export a non-dense constant to ONNX");
  int32_t t = onnxType(type.getElementType());
  if (!t)
    return op.emitOpError("element type ")
           << type.getElementType() << " has no ONNX equivalent";
  std::string raw;
  int64_t n = type.getNumElements();
  if (type.getElementType().isInteger(1)) {
    for (bool b : attr.getValues<bool>())
      raw.push_back(char(b));
  } else if (attr.isSplat()) {
    ArrayRef<char> one = attr.getRawData();
    for (int64_t i = 0; i < n; ++i)
      raw.append(one.data(), one.size());
  } else {
    raw.assign(attr.getRawData().data(), attr.getRawData().size());
  }
  names[op.getResult()] = initializer("const", t, type.getShape(), raw);
  return success();
}

LogicalResult Exporter::quantizedConstant(qc::ConstantOp op) {
  QTensorType qt = op.getType();
  num::Format f = qt.getNumericFormat();
  int32_t t = onnxQuantType(f);
  if (!t)
    return op.emitOpError("format ")
           << qt.getFormat() << " has no ONNX storage type";
  std::vector<uint32_t> codes;
  for (const APInt &v : op.getValue().getValues<APInt>())
    codes.push_back(uint32_t(v.getZExtValue()));
  std::string raw;
  if (f.bits() == 4) {
    raw.resize(num::packedBytes(codes.size(), 4));
    num::packBits(codes.data(), codes.size(), 4,
                  reinterpret_cast<uint8_t *>(raw.data()));
  } else {
    size_t es = f.bits() / 8;
    raw.resize(codes.size() * es);
    for (size_t i = 0; i < codes.size(); ++i)
      std::memcpy(raw.data() + i * es, &codes[i], es);
  }
  names[op.getResult()] = initializer("qconst", t, qt.getShape(), raw);
  return success();
}

FailureOr<std::pair<std::string, std::string>>
Exporter::qdqParams(Operation *op, QTensorType qt, Value scales, Value zp,
                    Value global) {
  num::Format f = qt.getNumericFormat();
  int32_t t = onnxQuantType(f);
  if (!t)
    return op->emitOpError("format ")
               << qt.getFormat() << " has no ONNX QuantizeLinear type",
           failure();
  if (qt.getScheme().getScaleFormat() || global)
    return op->emitOpError("scales in a minifloat format (MX, NVFP4) have no "
                           "ONNX opset 21 form"),
           failure();
  // Zero point: an initializer of the quantized type (all zeros if absent),
  // which also fixes QuantizeLinear's output type.
  auto scaleShape = qt.getScaleShape();
  int64_t n = 1;
  for (int64_t d : scaleShape)
    n *= d;
  std::vector<uint32_t> zps(size_t(n), 0);
  if (zp) {
    auto c = zp.getDefiningOp<arith::ConstantOp>();
    auto attr = c ? llvm::dyn_cast<DenseElementsAttr>(c.getValue())
                  : DenseElementsAttr();
    if (!attr)
      return op->emitOpError("zero points must be constant to export"),
             failure();
    size_t i = 0;
    for (const APInt &v : attr.getValues<APInt>())
      zps[i++] = f.intToCode(v.getSExtValue());
  }
  std::string raw;
  if (f.bits() == 4) {
    raw.resize(num::packedBytes(zps.size(), 4));
    num::packBits(zps.data(), zps.size(), 4,
                  reinterpret_cast<uint8_t *>(raw.data()));
  } else {
    size_t es = f.bits() / 8;
    raw.resize(zps.size() * es);
    for (size_t i = 0; i < zps.size(); ++i)
      std::memcpy(raw.data() + i * es, &zps[i], es);
  }
  if (singleBlock(qt)) {
    // One block covers the tensor: the same per-tensor Q/DQ, with scalar
    // parameters (onnxruntime 1.23's graph optimizer rejects a blocked
    // zero point of one element: "x_zero_point must be null or have the
    // same rank as x").
    std::string scalar = fresh("scale");
    node("Reshape", {nameOf(scales), i64Initializer({})}, {scalar}, op);
    return std::make_pair(scalar, initializer("zero_point", t, {}, raw));
  }
  std::string zpName = initializer("zero_point", t, scaleShape, raw);
  return std::make_pair(nameOf(scales), zpName);
}

bool Exporter::singleBlock(QTensorType qt) {
  if (qt.getScheme().getGranularity() != Granularity::per_block)
    return false;
  return llvm::all_of(qt.getScaleShape(), [](int64_t d) { return d == 1; });
}

void Exporter::qdqAttrs(onnx::NodeProto *n, QTensorType qt, bool quantize) {
  SchemeAttr s = qt.getScheme();
  if (s.getGranularity() != Granularity::per_tensor && !singleBlock(qt))
    attrInt(n, "axis", s.getAxis());
  if (s.getGranularity() == Granularity::per_block && !singleBlock(qt))
    attrInt(n, "block_size", s.getBlock());
  num::Format f = qt.getNumericFormat();
  if (quantize && f.kind() == num::Format::Kind::Float)
    attrInt(n, "saturate", f.floatFormat().saturate ? 1 : 0);
}

LogicalResult Exporter::emit(Operation *op) {
  auto in = [&](unsigned i) { return nameOf(op->getOperand(i)); };
  auto out = [&](unsigned i = 0) {
    std::string name = fresh("v");
    names[op->getResult(i)] = name;
    return name;
  };
  auto simple = [&](StringRef opType) {
    SmallVector<std::string> ins;
    for (Value v : op->getOperands())
      ins.push_back(nameOf(v));
    return node(opType, ins, {out()}, op);
  };
  using namespace qc::nn;
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::ConstantOp c) { return constant(c); })
      .Case([&](qc::ConstantOp c) { return quantizedConstant(c); })
      .Case<AndOp, OrOp, XorOp, NotOp, NegOp, AbsOp, ExpOp, LogOp, SqrtOp,
            ReciprocalOp, TanhOp, SigmoidOp, ErfOp, ReluOp, CosOp, SinOp, TanOp,
            AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp, AtanhOp,
            FloorOp, CeilOp, RoundOp, SignOp, AddOp, SubOp, MulOp, DivOp, PowOp,
            MaxOp, MinOp, EqualOp, LessOp, GreaterOp, WhereOp, MatMulOp,
            GlobalAveragePoolOp>([&](Operation *o) {
        static const llvm::StringMap<StringRef> types = {
            {"nn.neg", "Neg"},
            {"nn.abs", "Abs"},
            {"nn.exp", "Exp"},
            {"nn.log", "Log"},
            {"nn.sqrt", "Sqrt"},
            {"nn.reciprocal", "Reciprocal"},
            {"nn.tanh", "Tanh"},
            {"nn.sigmoid", "Sigmoid"},
            {"nn.erf", "Erf"},
            {"nn.relu", "Relu"},
            {"nn.cos", "Cos"},
            {"nn.sin", "Sin"},
            {"nn.tan", "Tan"},
            {"nn.asin", "Asin"},
            {"nn.acos", "Acos"},
            {"nn.atan", "Atan"},
            {"nn.sinh", "Sinh"},
            {"nn.cosh", "Cosh"},
            {"nn.asinh", "Asinh"},
            {"nn.acosh", "Acosh"},
            {"nn.atanh", "Atanh"},
            {"nn.floor", "Floor"},
            {"nn.and", "And"},
            {"nn.or", "Or"},
            {"nn.xor", "Xor"},
            {"nn.not", "Not"},
            {"nn.ceil", "Ceil"},
            {"nn.round", "Round"},
            {"nn.sign", "Sign"},
            {"nn.add", "Add"},
            {"nn.sub", "Sub"},
            {"nn.mul", "Mul"},
            {"nn.div", "Div"},
            {"nn.pow", "Pow"},
            {"nn.max", "Max"},
            {"nn.min", "Min"},
            {"nn.equal", "Equal"},
            {"nn.less", "Less"},
            {"nn.greater", "Greater"},
            {"nn.where", "Where"},
            {"nn.matmul", "MatMul"},
            {"nn.global_average_pool", "GlobalAveragePool"}};
        StringRef type = types.lookup(o->getName().getStringRef());
        // And / Or / Xor / Not on integers are ONNX's Bitwise* ops.
        if (isa<AndOp, OrOp, XorOp, NotOp>(o) &&
            !getElementTypeOrSelf(o->getResult(0).getType()).isInteger(1)) {
          simple(("Bitwise" + type).str());
          return success();
        }
        simple(type);
        return success();
      })
      .Case([&](qc::CodesOp) {
        // A quantized tensor already is its codes in ONNX.
        simple("Identity");
        return success();
      })
      .Case([&](MatMulIntegerOp o) {
        // ONNX writes the per-row zero point of a 2-D `a` as [M].
        SmallVector<std::string> ins{in(0), in(1)};
        auto zeroPoint = [&](Value zp, unsigned operandRank) -> std::string {
          if (!zp)
            return "";
          auto zt = llvm::cast<RankedTensorType>(zp.getType());
          if (operandRank == 2 && zt.getRank() == 2 && zt.getDimSize(1) == 1) {
            std::string flat = fresh("v");
            node("Reshape", {nameOf(zp), i64Initializer({zt.getDimSize(0)})},
                 {flat}, op);
            return flat;
          }
          return nameOf(zp);
        };
        unsigned ra = unsigned(o.getA().getType().getRank());
        ins.push_back(zeroPoint(o.getAZeroPoint(), ra));
        ins.push_back(zeroPoint(o.getBZeroPoint(), 0));
        while (!ins.empty() && ins.back().empty())
          ins.pop_back();
        node("MatMulInteger", ins, {out()}, op);
        return success();
      })
      .Case([&](BitShiftOp o) {
        attrString(simple("BitShift"), "direction",
                   o.getDirection() == "left" ? "LEFT" : "RIGHT");
        return success();
      })
      .Case([&](FModOp) {
        attrInt(simple("Mod"), "fmod", 1);
        return success();
      })
      .Case([&](LeakyReluOp o) {
        attrFloat(simple("LeakyRelu"), "alpha", o.getAlpha().convertToFloat());
        return success();
      })
      .Case([&](ClipOp o) {
        std::string lo =
            o.getMin() ? f32Initializer(o.getMin()->convertToFloat(), {}) : "";
        std::string hi =
            o.getMax() ? f32Initializer(o.getMax()->convertToFloat(), {}) : "";
        node("Clip", {in(0), lo, hi}, {out()}, op);
        return success();
      })
      .Case([&](GeluOp o) {
        attrString(simple("Gelu"), "approximate", o.getApproximate());
        return success();
      })
      .Case([&](CastOp o) -> LogicalResult {
        int32_t t = onnxType(o.getTo());
        if (!t)
          return o.emitOpError("cast target has no ONNX type");
        attrInt(simple("Cast"), "to", t);
        return success();
      })
      .Case([&](GemmOp o) {
        auto *n = simple("Gemm");
        attrFloat(n, "alpha", o.getAlpha().convertToFloat());
        attrFloat(n, "beta", o.getBeta().convertToFloat());
        attrInt(n, "transA", o.getTransA());
        attrInt(n, "transB", o.getTransB());
        return success();
      })
      .Case([&](nn::ConvOp o) {
        convAttrs(simple("Conv"), o);
        return success();
      })
      .Case([&](ConvIntegerOp o) {
        // onnxruntime's ConvInteger takes uint8 only: an int8 operand and
        // its zero point are moved up by 128 ((x + 128) - (zx + 128) =
        // x - zx), through int32 (constant-folded for initializers).
        std::string c128;
        auto offset = [&](const std::string &name) {
          if (c128.empty()) {
            int32_t v = 128;
            c128 = initializer("c", onnx::TensorProto::INT32, {},
                               std::string(reinterpret_cast<char *>(&v), 4));
          }
          std::string wide = fresh("v"), sum = fresh("v"), u8 = fresh("v");
          attrInt(node("Cast", {name}, {wide}, op), "to",
                  onnx::TensorProto::INT32);
          node("Add", {wide, c128}, {sum}, op);
          attrInt(node("Cast", {sum}, {u8}, op), "to",
                  onnx::TensorProto::UINT8);
          return u8;
        };
        // A per-channel weight zero point with one value throughout (what
        // symmetric per-channel quantization writes) becomes a scalar:
        // onnxruntime takes scalar zero points only.
        Value zw = o.getWZeroPoint();
        std::optional<std::string> uniform;
        DenseIntElementsAttr zwValues;
        if (zw && matchPattern(zw, m_Constant(&zwValues)) &&
            zwValues.getNumElements() > 1 && zwValues.isSplat()) {
          Type e = zwValues.getElementType();
          auto byte = uint8_t(zwValues.getSplatValue<APInt>().getZExtValue());
          uniform =
              initializer("zero_point",
                          e.isSignlessInteger(8) ? onnx::TensorProto::INT8
                                                 : onnx::TensorProto::UINT8,
                          {}, std::string(1, char(byte)));
        }
        SmallVector<std::string> data, zeroPoints;
        for (auto [v, zp] : {std::pair{o.getInput(), o.getXZeroPoint()},
                             std::pair{o.getWeight(), o.getWZeroPoint()}}) {
          std::string zpName;
          if (zp)
            zpName = zp == zw && uniform ? *uniform : nameOf(zp);
          if (!getElementTypeOrSelf(v.getType()).isSignlessInteger(8)) {
            data.push_back(nameOf(v));
            zeroPoints.push_back(zpName);
            continue;
          }
          data.push_back(offset(nameOf(v)));
          zeroPoints.push_back(zp ? offset(zpName)
                                  : initializer("zero_point",
                                                onnx::TensorProto::UINT8, {},
                                                std::string(1, char(128))));
        }
        SmallVector<std::string> ins{data[0], data[1], zeroPoints[0],
                                     zeroPoints[1]};
        while (ins.back().empty())
          ins.pop_back();
        convAttrs(node("ConvInteger", ins, {out()}, op), o);
        return success();
      })
      .Case([&](LayerNormOp o) {
        auto *n = simple("LayerNormalization");
        attrInt(n, "axis", o.getAxis());
        attrFloat(n, "epsilon", o.getEpsilon().convertToFloat());
        return success();
      })
      .Case([&](RMSNormOp o) {
        // RMSNormalization is opset 23: write the decomposition.
        int64_t rank =
            llvm::cast<RankedTensorType>(o.getInput().getType()).getRank();
        int64_t axis = *normalizeAxis(o.getAxis(), rank);
        SmallVector<int64_t> axes;
        for (int64_t a = axis; a < rank; ++a)
          axes.push_back(a);
        std::string sq = fresh("v"), mean = fresh("v"), var = fresh("v"),
                    root = fresh("v"), norm = fresh("v");
        node("Mul", {in(0), in(0)}, {sq}, op);
        attrInt(node("ReduceMean", {sq, i64Initializer(axes)}, {mean}, op),
                "keepdims", 1);
        node("Add", {mean, f32Initializer(o.getEpsilon().convertToFloat(), {})},
             {var}, op);
        node("Sqrt", {var}, {root}, op);
        node("Div", {in(0), root}, {norm}, op);
        node("Mul", {norm, in(1)}, {out()}, op);
        return success();
      })
      .Case([&](BatchNormOp o) {
        attrFloat(simple("BatchNormalization"), "epsilon",
                  o.getEpsilon().convertToFloat());
        return success();
      })
      .Case([&](SoftmaxOp o) {
        attrInt(simple("Softmax"), "axis", o.getAxis());
        return success();
      })
      .Case([&](LogSoftmaxOp o) {
        attrInt(simple("LogSoftmax"), "axis", o.getAxis());
        return success();
      })
      .Case([&](ArgMaxOp o) {
        auto *n = node("ArgMax", {in(0)}, {out()}, op);
        attrInt(n, "axis", o.getAxis());
        attrInt(n, "keepdims", o.getKeepdims());
        attrInt(n, "select_last_index", o.getSelectLastIndex());
        return success();
      })
      .Case<ReduceMeanOp, ReduceSumOp, ReduceMaxOp, ReduceProdOp>(
          [&](Operation *o) {
            StringRef t = llvm::isa<ReduceMeanOp>(o)   ? "ReduceMean"
                          : llvm::isa<ReduceSumOp>(o)  ? "ReduceSum"
                          : llvm::isa<ReduceProdOp>(o) ? "ReduceProd"
                                                       : "ReduceMax";
            auto axes = o->getAttrOfType<DenseI64ArrayAttr>("axes");
            auto keep = o->getAttrOfType<BoolAttr>("keepdims");
            SmallVector<std::string> ins{in(0)};
            if (axes && !axes.empty())
              ins.push_back(i64Initializer(axes.asArrayRef()));
            attrInt(node(t, ins, {out()}, op), "keepdims",
                    keep ? keep.getValue() : 1);
            return success();
          })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *o) {
        bool isMax = llvm::isa<MaxPoolOp>(o);
        auto *n = simple(isMax ? "MaxPool" : "AveragePool");
        auto get = [&](StringRef name, ArrayRef<int64_t> def) {
          auto a = o->getAttrOfType<DenseI64ArrayAttr>(name);
          return a ? SmallVector<int64_t>(a.asArrayRef())
                   : SmallVector<int64_t>(def);
        };
        attrInts(n, "kernel_shape", get("kernel_shape", {}));
        attrInts(n, "strides", get("strides", {1, 1}));
        attrInts(n, "pads", get("pads", {0, 0, 0, 0}));
        attrInts(n, "dilations", get("dilations", {1, 1}));
        auto ceil = o->getAttrOfType<BoolAttr>("ceil_mode");
        attrInt(n, "ceil_mode", ceil && ceil.getValue());
        if (!isMax) {
          auto cip = o->getAttrOfType<BoolAttr>("count_include_pad");
          attrInt(n, "count_include_pad", cip && cip.getValue());
        }
        return success();
      })
      .Case([&](ReshapeOp o) {
        node("Reshape", {in(0), i64Initializer(o.getShape())}, {out()}, op);
        return success();
      })
      .Case([&](TransposeOp o) {
        attrInts(simple("Transpose"), "perm", o.getPerm());
        return success();
      })
      .Case([&](ExpandOp o) {
        node("Expand", {in(0), i64Initializer(o.getShape())}, {out()}, op);
        return success();
      })
      .Case([&](ConcatOp o) {
        attrInt(simple("Concat"), "axis", o.getAxis());
        return success();
      })
      .Case([&](SplitOp o) {
        SmallVector<std::string> outs;
        for (unsigned i = 0; i < o.getNumResults(); ++i)
          outs.push_back(out(i));
        attrInt(node("Split", {in(0), i64Initializer(o.getSizes())}, outs, op),
                "axis", o.getAxis());
        return success();
      })
      .Case([&](SliceOp o) {
        auto shape =
            llvm::cast<RankedTensorType>(o.getInput().getType()).getShape();
        SmallVector<int64_t> starts, ends, axes, steps;
        for (size_t d = 0; d < shape.size(); ++d) {
          int64_t st = o.getStarts()[d], sp = o.getSteps()[d],
                  sz = o.getSizes()[d];
          int64_t end = st + sz * sp;
          // An exclusive end before index 0 (negative steps) is -(dim + 1).
          if (end < 0)
            end = -(shape[d] + 1);
          starts.push_back(sz ? st : 0);
          ends.push_back(sz ? end : 0);
          axes.push_back(int64_t(d));
          steps.push_back(sp);
        }
        node("Slice",
             {in(0), i64Initializer(starts), i64Initializer(ends),
              i64Initializer(axes), i64Initializer(steps)},
             {out()}, op);
        return success();
      })
      .Case([&](GatherOp o) {
        attrInt(simple("Gather"), "axis", o.getAxis());
        return success();
      })
      .Case([&](TopKOp o) {
        auto *t = node("TopK", {in(0), i64Initializer({int64_t(o.getK())})},
                       {out(0), out(1)}, op);
        attrInt(t, "axis", o.getAxis());
        attrInt(t, "largest", o.getLargest());
        attrInt(t, "sorted", o.getSorted());
        return success();
      })
      .Case([&](GatherElementsOp o) {
        attrInt(simple("GatherElements"), "axis", o.getAxis());
        return success();
      })
      .Case([&](ScatterElementsOp o) {
        auto *n = simple("ScatterElements");
        attrInt(n, "axis", o.getAxis());
        if (o.getReduction() != "none")
          attrString(n, "reduction", o.getReduction());
        return success();
      })
      .Case([&](ScatterNDOp o) {
        auto *n = simple("ScatterND");
        if (o.getReduction() != "none")
          attrString(n, "reduction", o.getReduction());
        return success();
      })
      .Case([&](CumSumOp o) {
        int64_t axis = o.getAxis();
        std::string aname =
            initializer("axis", onnx::TensorProto::INT64, {},
                        std::string(reinterpret_cast<const char *>(&axis), 8));
        auto *c = node("CumSum", {in(0), aname}, {out()}, op);
        attrInt(c, "exclusive", o.getExclusive());
        attrInt(c, "reverse", o.getReverse());
        return success();
      })
      .Case([&](TriluOp o) {
        SmallVector<int64_t> k{int64_t(o.getK())};
        std::string kname = initializer(
            "k", onnx::TensorProto::INT64, {},
            std::string(reinterpret_cast<const char *>(k.data()), 8));
        attrInt(node("Trilu", {in(0), kname}, {out()}, op), "upper",
                o.getUpper());
        return success();
      })
      .Case([&](qc::QuantizeOp o) -> LogicalResult {
        auto p = qdqParams(op, o.getType(), o.getScales(), o.getZeroPoints(),
                           o.getGlobalScale());
        if (failed(p))
          return failure();
        if (o.getRounding() != RoundingMode::nearest_even)
          return o.emitOpError("ONNX QuantizeLinear rounds to nearest even "
                               "only");
        qdqAttrs(
            node("QuantizeLinear", {in(0), p->first, p->second}, {out()}, op),
            o.getType(), true);
        return success();
      })
      .Case([&](qc::DequantizeOp o) -> LogicalResult {
        auto p = qdqParams(op, o.getInput().getType(), o.getScales(),
                           o.getZeroPoints(), o.getGlobalScale());
        if (failed(p))
          return failure();
        qdqAttrs(
            node("DequantizeLinear", {in(0), p->first, p->second}, {out()}, op),
            o.getInput().getType(), false);
        return success();
      })
      .Case([&](qc::FakeQuantOp o) -> LogicalResult {
        auto qt = llvm::cast<QTensorType>(o.getQuantType());
        auto p = qdqParams(op, qt, o.getScales(), o.getZeroPoints(),
                           o.getGlobalScale());
        if (failed(p))
          return failure();
        if (o.getRounding() != RoundingMode::nearest_even)
          return o.emitOpError("ONNX QuantizeLinear rounds to nearest even "
                               "only");
        std::string q = fresh("v");
        qdqAttrs(node("QuantizeLinear", {in(0), p->first, p->second}, {q}, op),
                 qt, true);
        qdqAttrs(
            node("DequantizeLinear", {q, p->first, p->second}, {out()}, op), qt,
            false);
        return success();
      })
      .Case([&](qc::LinearOp o) -> LogicalResult {
        // MatMulInteger(x, transpose(w), zx): exact int32 sums of the codes,
        // then + bias.
        auto xt = llvm::cast<QTensorType>(o.getInput().getType());
        auto wt = llvm::cast<QTensorType>(o.getWeight().getType());
        auto rt = llvm::cast<RankedTensorType>(o.getType());
        if (!rt.getElementType().isInteger(32))
          return o.emitOpError("only an i32 accumulator has an ONNX form "
                               "(MatMulInteger); got ")
                 << rt.getElementType();
        num::Format xf = xt.getNumericFormat(), wf = wt.getNumericFormat();
        if (xf.bits() != 8 || !onnxQuantType(xf))
          return o.emitOpError("MatMulInteger takes 8-bit inputs; the input "
                               "format is ")
                 << xt.getFormat();
        if (wf.bits() != 8 && wf.bits() != 4)
          return o.emitOpError("MatMulInteger takes 8-bit weights (4-bit "
                               "ones are cast); the weight format is ")
                 << wt.getFormat();
        if (wt.getRank() != 2)
          return o.emitOpError("the weight must be 2-D to export");
        std::string w = in(1);
        if (wf.bits() == 4) {
          std::string w8 = fresh("v");
          attrInt(node("Cast", {w}, {w8}, op), "to", onnx::TensorProto::INT8);
          w = w8;
        }
        std::string wT = fresh("v");
        attrInts(node("Transpose", {w}, {wT}, op), "perm", {1, 0});
        SmallVector<std::string> ins{in(0), wT};
        if (Value zp = o.getInputZeroPoint()) {
          auto c = zp.getDefiningOp<arith::ConstantOp>();
          auto attr = c ? llvm::dyn_cast<DenseElementsAttr>(c.getValue())
                        : DenseElementsAttr();
          if (!attr)
            return o.emitOpError("the input zero point must be constant to "
                                 "export");
          uint32_t code =
              xf.intToCode((*attr.getValues<APInt>().begin()).getSExtValue());
          ins.push_back(initializer("zero_point", onnxQuantType(xf), {},
                                    std::string(1, char(code))));
        }
        if (!o.getBias()) {
          node("MatMulInteger", ins, {out()}, op);
          return success();
        }
        std::string acc = fresh("v");
        node("MatMulInteger", ins, {acc}, op);
        node("Add", {acc, nameOf(o.getBias())}, {out()}, op);
        return success();
      })
      .Case([&](qc::ConvOp o) -> LogicalResult {
        // ConvInteger, which onnxruntime runs on uint8 operands only: the
        // weight codes are written moved up by 128 with zero point 128, an
        // int8 input is moved up at run time (through int32) with its zero
        // point; then + bias[m].
        QTensorType xt = o.getInput().getType(), wt = o.getWeight().getType();
        auto rt = llvm::cast<RankedTensorType>(o.getType());
        if (!rt.getElementType().isInteger(32))
          return o.emitOpError("only an i32 accumulator has an ONNX form "
                               "(ConvInteger); got ")
                 << rt.getElementType();
        num::Format xf = xt.getNumericFormat(), wf = wt.getNumericFormat();
        if (xf.bits() != 8 || !onnxQuantType(xf))
          return o.emitOpError("ConvInteger takes 8-bit inputs; the input "
                               "format is ")
                 << xt.getFormat();
        auto wc = o.getWeight().getDefiningOp<qc::ConstantOp>();
        if (!wc || !wf.isSigned() || wf.bits() > 8)
          return o.emitOpError("the weight must be constant signed codes of "
                               "at most 8 bits to export; got ")
                 << wt.getFormat();
        int64_t zx = 0;
        if (Value zp = o.getInputZeroPoint()) {
          DenseIntElementsAttr z;
          if (!matchPattern(zp, m_Constant(&z)))
            return o.emitOpError("the input zero point must be constant to "
                                 "export");
          zx = (*z.getValues<APInt>().begin()).getSExtValue();
        }
        auto codes = llvm::cast<DenseIntElementsAttr>(wc.getValue());
        std::string raw;
        int64_t count = wt.getStorageType().getNumElements();
        raw.reserve(size_t(count));
        for (int64_t i = 0; i < count; ++i) {
          APInt a = codes.isSplat() ? codes.getSplatValue<APInt>()
                                    : codes.getValues<APInt>()[i];
          raw.push_back(char(wf.codeToInt(uint32_t(a.getZExtValue())) + 128));
        }
        auto u8 = [&](int64_t v) {
          return initializer("zero_point", onnx::TensorProto::UINT8, {},
                             std::string(1, char(uint8_t(v))));
        };
        std::string x = in(0);
        if (xf.isSigned()) {
          int32_t v = 128;
          std::string c128 =
              initializer("c", onnx::TensorProto::INT32, {},
                          std::string(reinterpret_cast<char *>(&v), 4));
          std::string wide = fresh("v"), sum = fresh("v"), moved = fresh("v");
          attrInt(node("Cast", {x}, {wide}, op), "to",
                  onnx::TensorProto::INT32);
          node("Add", {wide, c128}, {sum}, op);
          attrInt(node("Cast", {sum}, {moved}, op), "to",
                  onnx::TensorProto::UINT8);
          x = moved;
          zx += 128;
        }
        std::string w = initializer("const", onnx::TensorProto::UINT8,
                                    wt.getShape(), std::move(raw));
        SmallVector<std::string> ins{x, w, u8(zx), u8(128)};
        std::string acc = o.getBias() ? fresh("v") : out();
        convAttrs(node("ConvInteger", ins, {acc}, op), o);
        if (Value bias = o.getBias()) {
          std::string b3 = fresh("v");
          node("Reshape",
               {nameOf(bias), i64Initializer({rt.getDimSize(1), 1, 1})}, {b3},
               op);
          node("Add", {acc, b3}, {out()}, op);
        }
        return success();
      })
      .Case([&](qc::RescaleOp o) -> LogicalResult {
        // In int64, as qc.rescale defines it:
        //   v = (x - zin) * M;  r = floor((v + R) / D);  q = clip(r + zout)
        // with D = 2^shift, R = 2^(shift - 1) (0 for shift 0) per channel,
        // constants shaped to broadcast along the axis. ONNX has no
        // arithmetic shift (BitShift is unsigned), and integer Div may
        // truncate: the floor subtracts 1 where the remainder is negative.
        DenseIntElementsAttr mult, shift;
        if (!matchPattern(o.getMultiplier(), m_Constant(&mult)) ||
            !matchPattern(o.getShift(), m_Constant(&shift)))
          return o.emitOpError("the multiplier and the shift must be "
                               "constants to export");
        QTensorType rt = o.getType();
        num::Format rf = rt.getNumericFormat();
        int32_t rtype = onnxQuantType(rf);
        if (!rtype)
          return o.emitOpError("the result format has no ONNX type: ")
                 << rt.getFormat();
        Type inType = o.getInput().getType();
        ArrayRef<int64_t> inShape =
            llvm::isa<QTensorType>(inType)
                ? llvm::cast<QTensorType>(inType).getShape()
                : llvm::cast<RankedTensorType>(inType).getShape();
        int64_t rank = int64_t(inShape.size());
        SmallVector<int64_t> shape;
        if (std::optional<int64_t> axis = o.getAxis()) {
          // [C, 1, ..., 1]: broadcasts along `axis` of the input.
          shape.push_back(inShape[size_t(*axis)]);
          shape.append(size_t(rank - 1 - *axis), 1);
        }
        std::vector<int64_t> m, d, r;
        for (APInt v : mult.getValues<APInt>())
          m.push_back(v.getSExtValue());
        for (APInt v : shift.getValues<APInt>()) {
          int64_t sh = std::clamp<int64_t>(v.getSExtValue(), 0, 62);
          d.push_back(int64_t(1) << sh);
          r.push_back(sh ? int64_t(1) << (sh - 1) : 0);
        }
        auto i64 = [&](ArrayRef<int64_t> v, ArrayRef<int64_t> dims) {
          return initializer(
              "const", onnx::TensorProto::INT64, dims,
              std::string(reinterpret_cast<const char *>(v.data()),
                          v.size() * 8));
        };
        auto step = [&](StringRef type, ArrayRef<std::string> ins) {
          std::string v = fresh("v");
          node(type, ins, {v}, op);
          return v;
        };
        auto toI64 = [&](const std::string &x) {
          std::string v = fresh("v");
          attrInt(node("Cast", {x}, {v}, op), "to", onnx::TensorProto::INT64);
          return v;
        };
        std::string x = toI64(in(0));
        if (Value zin = o.getInputZeroPoint())
          x = step("Sub", {x, toI64(nameOf(zin))});
        std::string dn = i64(d, shape);
        std::string a =
            step("Add", {step("Mul", {x, i64(m, shape)}), i64(r, shape)});
        std::string q = step("Div", {a, dn});
        std::string rem = step("Sub", {a, step("Mul", {q, dn})});
        std::string neg =
            toI64(step("Less", {rem, i64(ArrayRef<int64_t>{0}, {})}));
        q = step("Sub", {q, neg});
        if (Value zout = o.getOutputZeroPoint())
          q = step("Add", {q, toI64(nameOf(zout))});
        // Saturation by Less / Greater + Where: onnxruntime 1.23's int64 Clip,
        // Max and Min compare in 32 bits (Max(2^31 + 2, 255) = 255).
        std::string lo = i64(ArrayRef<int64_t>{rf.minInt()}, {});
        std::string hi = i64(ArrayRef<int64_t>{rf.maxInt()}, {});
        q = step("Where", {step("Less", {q, lo}), lo, q});
        std::string c = step("Where", {step("Greater", {q, hi}), hi, q});
        attrInt(node("Cast", {c}, {out()}, op), "to", rtype);
        return success();
      })
      .Case([&](qc::ComputeScalesOp o) -> LogicalResult {
        // Dynamic symmetric f32 scales: absmax over each scale group divided
        // by the format's largest value, 1 for an all-zero group; exactly
        // the float32 arithmetic of qc.compute_scales.
        auto qt = llvm::cast<QTensorType>(o.getQuantType());
        SchemeAttr scheme = qt.getScheme();
        if (scheme.getScaleFormat() || scheme.getAsymmetric())
          return o.emitOpError("only symmetric f32 dynamic scales have an "
                               "ONNX form (got ")
                 << qt << ")";
        auto type = llvm::cast<RankedTensorType>(o.getInput().getType());
        if (!type.hasStaticShape())
          return o.emitOpError("dynamic scales need a static shape to export");
        SmallVector<int64_t> shape(type.getShape());
        int64_t rank = type.getRank();
        std::string a = fresh("v");
        node("Abs", {in(0)}, {a}, op);
        std::string amax = fresh("v");
        SmallVector<int64_t> axes;
        if (scheme.getGranularity() == Granularity::per_block) {
          // Split the axis into (blocks, block) and reduce the block.
          int64_t axis = scheme.getAxis(), block = scheme.getBlock();
          if (shape[size_t(axis)] % block != 0)
            return o.emitOpError("a partial last block has no ONNX form");
          SmallVector<int64_t> split;
          for (int64_t d = 0; d < rank; ++d) {
            if (d == axis) {
              split.push_back(shape[size_t(d)] / block);
              split.push_back(block);
            } else {
              split.push_back(shape[size_t(d)]);
            }
          }
          std::string r = fresh("v");
          node("Reshape", {a, i64Initializer(split)}, {r}, op);
          a = r;
          axes.push_back(axis + 1);
        } else {
          for (int64_t d = 0; d < rank; ++d)
            if (scheme.getGranularity() == Granularity::per_tensor ||
                d != scheme.getAxis())
              axes.push_back(d);
        }
        attrInt(node("ReduceMax", {a, i64Initializer(axes)}, {amax}, op),
                "keepdims", 0);
        if (float clip = float(o.getClipRatio()); clip != 1.0f) {
          std::string c = fresh("v");
          node("Mul", {amax, f32Initializer({clip}, {})}, {c}, op);
          amax = c;
        }
        float top = float(qt.getNumericFormat().maxValue());
        std::string div = fresh("v"), isZero = fresh("v");
        node("Div", {amax, f32Initializer({top}, {})}, {div}, op);
        node("Equal", {amax, f32Initializer({0.0f}, {})}, {isZero}, op);
        node("Where", {isZero, f32Initializer({1.0f}, {}), div}, {out(0)}, op);
        return success();
      })
      .Case([&](qc::RotateOp o) -> LogicalResult {
        // Online rotation y = x R along the axis, computed in double and
        // rounded once to f32, as the interpreter and the CPU code compute
        // it (a float MatMul by R rounds differently, and a quantizer after
        // the rotation then flips codes): Hadamards by their butterflies
        // (O(n log n), no n x n matrix), others by a double MatMul.
        auto type = llvm::cast<RankedTensorType>(o.getType());
        int64_t rank = type.getRank(), axis = o.getAxis();
        int64_t n = o.getRotation().getOrder();
        int64_t rows = type.getNumElements() / n;
        SmallVector<int64_t> perm, moved;
        for (int64_t i = 0; i < rank; ++i)
          perm.push_back(i);
        std::swap(perm[size_t(axis)], perm[size_t(rank - 1)]);
        for (int64_t i : perm)
          moved.push_back(type.getDimSize(i));
        std::string x = in(0);
        if (axis != rank - 1) {
          std::string t = fresh("v");
          attrInts(node("Transpose", {x}, {t}, op), "perm", perm);
          x = t;
        }
        std::string wide = fresh("v"), flat = fresh("v");
        attrInt(node("Cast", {x}, {wide}, op), "to", onnx::TensorProto::DOUBLE);
        node("Reshape", {wide, i64Initializer({rows, n})}, {flat}, op);
        std::string y;
        Attribute rot = o.getRotation();
        if (auto h = llvm::dyn_cast<qc::HadamardAttr>(rot)) {
          y = signedHadamard(flat, rows, n, h.getSeed(), op);
        } else if (auto bh = llvm::dyn_cast<qc::BlockHadamardAttr>(rot)) {
          int64_t b = bh.getBlock(), blocks = rows * (n / b);
          std::string v = fresh("v");
          node("Reshape", {flat, i64Initializer({blocks, b})}, {v}, op);
          std::string z = signedHadamard(v, blocks, b, bh.getSeed(), op);
          y = fresh("v");
          node("Reshape", {z, i64Initializer({rows, n})}, {y}, op);
        } else {
          y = fresh("v");
          node("MatMul",
               {flat, f64Initializer(rotationMatrix(o.getRotation()), {n, n})},
               {y}, op);
        }
        std::string narrow = fresh("v"), shaped = fresh("v");
        attrInt(node("Cast", {y}, {narrow}, op), "to",
                onnx::TensorProto::FLOAT);
        if (axis == rank - 1) {
          node("Reshape", {narrow, i64Initializer(moved)}, {out()}, op);
          return success();
        }
        node("Reshape", {narrow, i64Initializer(moved)}, {shaped}, op);
        attrInts(node("Transpose", {shaped}, {out()}, op), "perm", perm);
        return success();
      })
      .Default([&](Operation *o) {
        return o->emitOpError("unable to export to ONNX (no ONNX form)");
      });
}

LogicalResult Exporter::run(onnx::ModelProto &model) {
  model.set_ir_version(10);
  model.set_producer_name("quantc");
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  graph = model.mutable_graph();
  graph->set_name(func.getSymName().str());
  auto inNames = func->getAttrOfType<ArrayAttr>("onnx.input_names");
  auto outNames = func->getAttrOfType<ArrayAttr>("onnx.output_names");
  auto valueInfo = [&](onnx::ValueInfoProto *vi, StringRef name,
                       Type t) -> LogicalResult {
    // Quantized tensors cross the interface as their codes (the ONNX type
    // of their integer or minifloat format).
    auto rt = llvm::dyn_cast<RankedTensorType>(t);
    auto qt = llvm::dyn_cast<QTensorType>(t);
    int32_t et = rt   ? onnxType(rt.getElementType())
                 : qt ? onnxQuantType(qt.getNumericFormat())
                      : 0;
    if (!et)
      return func.emitOpError("interface type ")
             << t << " has no ONNX equivalent";
    vi->set_name(name.str());
    auto *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(et);
    auto *shape = tt->mutable_shape();
    for (int64_t d : rt ? rt.getShape() : qt.getShape())
      shape->add_dim()->set_dim_value(d);
    return success();
  };
  for (BlockArgument arg : func.getArguments()) {
    std::string name =
        inNames && arg.getArgNumber() < inNames.size()
            ? llvm::cast<StringAttr>(inNames[arg.getArgNumber()]).str()
            : "input_" + std::to_string(arg.getArgNumber());
    names[arg] = name;
    if (failed(valueInfo(graph->add_input(), name, arg.getType())))
      return failure();
  }
  for (Operation &op : func.getBody().front()) {
    if (auto ret = llvm::dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        std::string name = outNames && i < outNames.size()
                               ? llvm::cast<StringAttr>(outNames[i]).str()
                               : "output_" + std::to_string(i);
        // Graph outputs need their own names: add an Identity.
        node("Identity", {nameOf(v)}, {name}, &op);
        if (failed(valueInfo(graph->add_output(), name, v.getType())))
          return failure();
      }
      continue;
    }
    if (failed(emit(&op)))
      return failure();
  }
  // Constants that only parameterized an export (e.g. qc.linear's i32 zero
  // point, re-emitted in the input's type) are referenced by no node: drop
  // their initializers (onnxruntime warns about unused ones).
  llvm::StringSet<> used;
  for (const onnx::NodeProto &n : graph->node())
    for (const std::string &i : n.input())
      used.insert(i);
  auto *inits = graph->mutable_initializer();
  int kept = 0;
  for (int i = 0; i < inits->size(); ++i)
    if (used.contains(inits->Get(i).name())) {
      if (kept != i)
        inits->SwapElements(kept, i);
      ++kept;
    }
  inits->DeleteSubrange(kept, inits->size() - kept);
  return success();
}
} // namespace

LogicalResult qc::exportONNX(func::FuncOp func, llvm::raw_ostream &os,
                             llvm::StringRef externalDataPath) {
  onnx::ModelProto model;
  std::unique_ptr<llvm::raw_fd_ostream> external;
  if (!externalDataPath.empty()) {
    std::error_code ec;
    external = std::make_unique<llvm::raw_fd_ostream>(externalDataPath, ec);
    if (ec)
      return func.emitError("cannot open '")
             << externalDataPath << "': " << ec.message();
  }
  Exporter exporter(func, external.get(),
                    llvm::sys::path::filename(externalDataPath).str());
  if (failed(exporter.run(model))) {
    if (external) {
      external->close();
      llvm::sys::fs::remove(externalDataPath);
    }
    return failure();
  }
  if (external) {
    external->close();
    if (external->has_error())
      return func.emitError("failed writing '") << externalDataPath << "'";
  }
  std::string bytes;
  std::string error;
  if (!onnx_import::serializeModel(model, bytes, error))
    return func.emitError(error);
  os << bytes;
  return success();
}

void qc::registerONNXExportTranslation() {
  static TranslateFromMLIRRegistration exporter(
      "export-onnx", "Export a module to ONNX (opset 21)",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = llvm::dyn_cast<ModuleOp>(op);
        func::FuncOp func;
        if (module)
          module.walk([&](func::FuncOp f) {
            if (!func || f.getSymName() == "main")
              func = f;
          });
        if (!func)
          return op->emitError("no function to export");
        return exportONNX(func, os, clExternalData);
      },
      [](DialectRegistry &registry) {
        registry.insert<func::FuncDialect, arith::ArithDialect, nn::NNDialect,
                        QCDialect>();
      });
}

//===- ModelLoader.cpp - Reading ONNX model files -------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions: every exception of protobuf or the ONNX text
// parser is caught here and turned into an error string.
//
//===----------------------------------------------------------------------===//

#include "qc/Target/ONNX/ModelLoader.h"

#include "onnx/defs/parser.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/version_converter/convert.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstring>
#include <fstream>
#include <set>

std::unique_ptr<onnx::ModelProto>
qc::onnx_import::parseModel(const char *data, size_t size, std::string &error) {
  try {
    auto model = std::make_unique<onnx::ModelProto>();
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' ||
                        data[i] == '\r'))
      ++i;
    if (i < size && data[i] == '<') {
      std::string text(data, size);
      onnx::OnnxParser parser(text.c_str());
      auto status = parser.Parse(*model);
      if (!status.IsOK()) {
        error = "invalid ONNX text syntax: " + status.ErrorMessage();
        return nullptr;
      }
      return model;
    }
    google::protobuf::io::ArrayInputStream raw(
        data, int(std::min<size_t>(size, INT32_MAX)));
    google::protobuf::io::CodedInputStream coded(&raw);
    coded.SetTotalBytesLimit(INT32_MAX);
    if (size > size_t(INT32_MAX)) {
      error = "model file is larger than 2 GiB: store the weights as ONNX "
              "external data";
      return nullptr;
    }
    if (!model->ParseFromCodedStream(&coded) ||
        !coded.ConsumedEntireMessage()) {
      error = "not a valid ONNX model (protobuf parse failed: truncated or "
              "corrupt file)";
      return nullptr;
    }
    return model;
  } catch (const std::exception &e) {
    error = std::string("error reading the ONNX model: ") + e.what();
  } catch (...) {
    error = "error reading the ONNX model";
  }
  return nullptr;
}

bool qc::onnx_import::convertOpset(onnx::ModelProto &model, int version,
                                   std::string &error) {
  try {
    // The converter assumes a well-formed graph (a graph output nothing
    // produces crashes it): every value a node reads and every graph output
    // must be defined, with the importer's messages.
    const onnx::GraphProto &graph = model.graph();
    std::set<std::string> defined;
    for (const auto &v : graph.input())
      defined.insert(v.name());
    for (const auto &t : graph.initializer())
      defined.insert(t.name());
    for (const auto &n : graph.node())
      defined.insert(n.output().begin(), n.output().end());
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &node = graph.node(i);
      for (const std::string &in : node.input())
        if (!in.empty() && !defined.count(in)) {
          error =
              "node '" +
              (node.name().empty() ? "#" + std::to_string(i) : node.name()) +
              "' (" + node.op_type() + "): input '" + in +
              "' is neither a graph input, an initializer nor the output "
              "of a node";
          return false;
        }
    }
    for (const auto &v : graph.output())
      if (!defined.count(v.name())) {
        error = "graph output '" + v.name() + "' is not produced by any node";
        return false;
      }
    // The converter looks every node up in the schema registry and fails
    // with an opaque exception for one it does not know: name it first.
    int opset = 0;
    for (const auto &imp : model.opset_import())
      if (imp.domain().empty() || imp.domain() == "ai.onnx")
        opset = int(imp.version());
    const auto &nodes = model.graph().node();
    for (int i = 0; i < nodes.size(); ++i) {
      const onnx::NodeProto &node = nodes[i];
      if (!node.domain().empty() && node.domain() != "ai.onnx")
        continue;
      if (onnx::OpSchemaRegistry::Schema(node.op_type(), opset, ""))
        continue;
      std::string name =
          node.name().empty() ? "#" + std::to_string(i) : node.name();
      error = "node '" + name + "' (" + node.op_type() +
              "): no ONNX operator of this name at opset " +
              std::to_string(opset);
      return false;
    }
    model = onnx::version_conversion::ConvertVersion(model, version);
    return true;
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "unknown error";
  }
  return false;
}

bool qc::onnx_import::serializeModel(const onnx::ModelProto &model,
                                     std::string &out, std::string &error) {
  try {
    if (!model.SerializeToString(&out)) {
      error = "failed to serialize the ONNX model (over 2 GiB? use external "
              "data)";
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "error serializing the ONNX model";
  }
  return false;
}

bool qc::onnx_import::writeModel(const onnx::ModelProto &model,
                                 const std::string &path, std::string &error) {
  try {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = "cannot open '" + path + "' for writing";
      return false;
    }
    if (!model.SerializeToOstream(&out)) {
      error = "failed to serialize the model to '" + path + "'";
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "error writing the ONNX model";
  }
  return false;
}

bool qc::onnx_import::readTensorProto(const std::string &path,
                                      std::string &dtype,
                                      std::vector<int64_t> &shape,
                                      std::vector<char> &data,
                                      std::string &name, std::string &error) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = "cannot open '" + path + "'";
      return false;
    }
    onnx::TensorProto t;
    if (!t.ParseFromIstream(&in)) {
      error = "'" + path + "' is not a valid ONNX TensorProto";
      return false;
    }
    name = t.name();
    shape.assign(t.dims().begin(), t.dims().end());
    int64_t n = 1;
    for (int64_t d : shape)
      if (d < 0 || __builtin_mul_overflow(n, d, &n)) {
        error = "'" + path + "' has an invalid shape";
        return false;
      }
    // Stores the tensor as Ts: raw data as is, else each value of the typed
    // field `values` converted to T.
    auto fill = [&](auto zero, const auto &values) {
      using T = decltype(zero);
      // Checked before sizing `data`, so a corrupt shape allocates nothing.
      size_t bytes;
      if (__builtin_mul_overflow(size_t(n), sizeof(T), &bytes) ||
          (t.has_raw_data() ? t.raw_data().size() != bytes
                            : values.size() != n))
        return false;
      data.resize(bytes);
      if (t.has_raw_data()) {
        std::memcpy(data.data(), t.raw_data().data(), data.size());
        return true;
      }
      for (int64_t i = 0; i < n; ++i) {
        T v = static_cast<T>(values.Get(int(i)));
        std::memcpy(data.data() + size_t(i) * sizeof(T), &v, sizeof(T));
      }
      return true;
    };
    bool ok = false;
    // The 8- and 4-bit formats (FLOAT8E4M3FN 17 ... FLOAT4E2M1 23,
    // FLOAT8E8M0 24; numbered, as this ONNX library's enum predates some):
    // one code per element, as unsigned bytes ("u1"), 4-bit codes unpacked
    // (low nibble first).
    int32_t dt = t.data_type();
    if (dt >= 17 && dt <= 24) {
      bool nibbles = dt >= 21 && dt <= 23;
      dtype = "u1";
      size_t stored = t.has_raw_data() ? t.raw_data().size()
                                       : size_t(t.int32_data_size());
      size_t want = nibbles ? (size_t(n) + 1) / 2 : size_t(n);
      if (stored != want) {
        error = "'" + path + "': data size does not match the shape";
        return false;
      }
      data.resize(size_t(n));
      for (int64_t i = 0; i < n; ++i) {
        size_t at = nibbles ? size_t(i / 2) : size_t(i);
        uint32_t word = t.has_raw_data() ? uint8_t(t.raw_data()[at])
                                         : uint32_t(t.int32_data(int(at)));
        data[size_t(i)] = char(nibbles ? (word >> (4 * (i % 2))) & 0xF : word);
      }
      return true;
    }
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      dtype = "f4";
      ok = fill(float(), t.float_data());
      break;
    case onnx::TensorProto::DOUBLE:
      dtype = "f8";
      ok = fill(double(), t.double_data());
      break;
    case onnx::TensorProto::INT64:
      dtype = "i8";
      ok = fill(int64_t(), t.int64_data());
      break;
    case onnx::TensorProto::INT32:
      dtype = "i4";
      ok = fill(int32_t(), t.int32_data());
      break;
    case onnx::TensorProto::BOOL:
      dtype = "b1";
      ok = fill(bool(), t.int32_data());
      break;
    case onnx::TensorProto::INT8:
      dtype = "i1";
      ok = fill(int8_t(), t.int32_data());
      break;
    case onnx::TensorProto::UINT8:
      dtype = "u1";
      ok = fill(uint8_t(), t.int32_data());
      break;
    case onnx::TensorProto::BFLOAT16: {
      // Widened exactly to float32 (.npy has no bfloat16).
      dtype = "f4";
      std::vector<uint16_t> bits(static_cast<size_t>(n));
      if (t.has_raw_data() && t.raw_data().size() == size_t(n) * 2)
        std::memcpy(bits.data(), t.raw_data().data(), size_t(n) * 2);
      else if (t.int32_data_size() == n)
        for (int64_t i = 0; i < n; ++i)
          bits[size_t(i)] = uint16_t(t.int32_data(int(i)));
      else
        break;
      data.resize(size_t(n) * 4);
      for (int64_t i = 0; i < n; ++i) {
        uint32_t w = uint32_t(bits[size_t(i)]) << 16;
        std::memcpy(data.data() + i * 4, &w, 4);
      }
      ok = true;
      break;
    }
    case onnx::TensorProto::INT16:
      dtype = "i2";
      ok = fill(int16_t(), t.int32_data());
      break;
    case onnx::TensorProto::UINT16:
      dtype = "u2";
      ok = fill(uint16_t(), t.int32_data());
      break;
    case onnx::TensorProto::UINT32:
      dtype = "u4";
      ok = fill(uint32_t(), t.uint64_data());
      break;
    case onnx::TensorProto::UINT64:
      dtype = "u8";
      ok = fill(uint64_t(), t.uint64_data());
      break;
    case onnx::TensorProto::FLOAT16:
      dtype = "f2";
      ok = fill(uint16_t(), t.int32_data());
      break;
    default:
      error = "'" + path + "': tensor element type " +
              std::to_string(t.data_type()) + " is not supported";
      return false;
    }
    if (!ok) {
      error = "'" + path + "': data size does not match the shape";
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    error = e.what();
  } catch (...) {
    error = "error reading '" + path + "'";
  }
  return false;
}

bool qc::onnx_import::lookupOpArity(const std::string &opType,
                                    const std::string &domain, int opset,
                                    OpArity &arity) {
  try {
    // Past the newest opset this ONNX library knows, its latest schema may
    // be older than the operator the model means (ReduceMax took its axes
    // as an input from opset 18): no answer then.
    const auto &ranges =
        onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto range = ranges.find(domain);
    if (range == ranges.end() || opset > range->second.second)
      return false;
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Schema(opType, opset, domain);
    if (!schema)
      return false;
    arity = {schema->max_input(), schema->max_output(),
             schema->since_version()};
    return true;
  } catch (...) {
    return false;
  }
}

bool qc::onnx_import::lookupMinInputs(const std::string &opType,
                                      const std::string &domain, int opset,
                                      int &minInputs) {
  try {
    const auto &ranges =
        onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto range = ranges.find(domain);
    if (range == ranges.end())
      return false;
    const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
        opType, std::min(opset, range->second.second), domain);
    // An operator newer than the opset the model declares: its first
    // schema.
    if (!schema)
      schema = onnx::OpSchemaRegistry::Schema(opType, range->second.second,
                                              domain);
    if (!schema)
      return false;
    minInputs = schema->min_input();
    return true;
  } catch (...) {
    return false;
  }
}

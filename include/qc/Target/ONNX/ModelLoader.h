//===- ModelLoader.h - Reading ONNX model files -----------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Parses an ONNX ModelProto from the binary protobuf encoding or from the
// ONNX text syntax. Lives in its own library compiled with exceptions
// (protobuf and the ONNX parser may throw); nothing escapes it.
//
//===----------------------------------------------------------------------===//

#ifndef QC_TARGET_ONNX_MODELLOADER_H
#define QC_TARGET_ONNX_MODELLOADER_H

#include <memory>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace qc::onnx_import {

/// Parses `size` bytes at `data`: the ONNX text syntax when the first
/// non-blank character is '<', binary protobuf otherwise. On failure returns
/// null and sets `error`.
std::unique_ptr<onnx::ModelProto> parseModel(const char *data, size_t size,
                                             std::string &error);

/// Reads an ONNX TensorProto file (the node tests' .pb inputs) into a NumPy
/// style dtype ("f4", "i8", ...), shape and little-endian bytes.
bool readTensorProto(const std::string &path, std::string &dtype,
                     std::vector<int64_t> &shape, std::vector<char> &data,
                     std::string &name, std::string &error);

/// The most inputs and outputs an ONNX operator's schema allows.
struct OpArity {
  int maxInputs, maxOutputs;
  int sinceVersion; // the schema's version, for messages
};

/// The arity of `opType` in `domain` ("" for the default one) at `opset`
/// from the schemas ONNX registers, or false when it has none (contrib
/// domains such as com.microsoft, or an opset newer than the library's).
bool lookupOpArity(const std::string &opType, const std::string &domain,
                   int opset, OpArity &arity);

/// The fewest inputs `opType` in `domain` takes at `opset`, from the schema
/// of min(opset, the newest opset this ONNX library knows) (inputs that
/// ONNX made optional after that opset would be counted as required), or
/// false when there is no schema (contrib domains).
bool lookupMinInputs(const std::string &opType, const std::string &domain,
                     int opset, int &minInputs);

/// Rewrites `model` for default-domain opset `version` with ONNX's version
/// converter (onnx::version_conversion::ConvertVersion); false with `error`
/// set when the converter has no adapter for one of its nodes or fails.
bool convertOpset(onnx::ModelProto &model, int version, std::string &error);

/// Serializes `model` (binary protobuf) into `out`.
bool serializeModel(const onnx::ModelProto &model, std::string &out,
                    std::string &error);

/// Writes `model` in binary protobuf form to `path`; false with `error` set
/// on failure.
bool writeModel(const onnx::ModelProto &model, const std::string &path,
                std::string &error);

} // namespace qc::onnx_import

#endif // QC_TARGET_ONNX_MODELLOADER_H

//===- NPY.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Reading and writing NumPy .npy files (format 1.0/2.0, C order, little
// endian) as raw arrays for quant-run and the tests.
//
//===----------------------------------------------------------------------===//

#ifndef QC_INTERPRETER_NPY_H
#define QC_INTERPRETER_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace qc::interp {

/// A host array: `dtype` is a NumPy descr without byte order ("f4", "f8",
/// "i8", "i4", "i2", "i1", "u1", "b1", "f2").
struct HostArray {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// Element `i` of `a` as a double (any dtype above).
double readAsDouble(const HostArray &a, int64_t i);

/// Whether `a` holds integers or bools (not floats).
bool isIntegerArray(const HostArray &a);

/// Element `i` of an integer or bool array, exactly (u8 values above
/// INT64_MAX wrap, as a 64-bit signless integer holds them).
int64_t readAsInt64(const HostArray &a, int64_t i);

/// Reads an .npy file; false with `error` set on failure.
bool readNpy(const std::string &path, HostArray &out, std::string &error);

/// Writes an .npy file; false with `error` set on failure.
bool writeNpy(const std::string &path, const HostArray &array,
              std::string &error);

} // namespace qc::interp

#endif // QC_INTERPRETER_NPY_H

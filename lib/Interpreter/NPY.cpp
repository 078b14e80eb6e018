//===- NPY.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// A minimal, strict parser of the .npy header dictionary.
//
//===----------------------------------------------------------------------===//

#include "qc/Interpreter/NPY.h"

#include "qc/Support/Numerics/Format.h"

#include <cstring>
#include <fstream>
#include <sstream>

using namespace qc::interp;

static size_t dtypeSize(const std::string &d) {
  if (d.size() < 2)
    return 0;
  return size_t(std::atoi(d.c_str() + 1));
}

bool qc::interp::readNpy(const std::string &path, HostArray &out,
                         std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not an .npy file";
    return false;
  }
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    uint16_t h;
    in.read(reinterpret_cast<char *>(&h), 2);
    headerLen = h;
  } else {
    in.read(reinterpret_cast<char *>(&headerLen), 4);
  }
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen)) {
    error = "'" + path + "': truncated header";
    return false;
  }
  auto field = [&](const std::string &key) -> std::string {
    size_t p = header.find("'" + key + "'");
    if (p == std::string::npos)
      return "";
    p = header.find(':', p);
    size_t q = p + 1;
    while (q < header.size() && header[q] == ' ')
      ++q;
    if (header[q] == '\'') {
      size_t e = header.find('\'', q + 1);
      return header.substr(q + 1, e - q - 1);
    }
    if (header[q] == '(') {
      size_t e = header.find(')', q);
      return header.substr(q, e - q + 1);
    }
    size_t e = header.find_first_of(",}", q);
    return header.substr(q, e - q);
  };
  std::string descr = field("descr");
  if (field("fortran_order").find("True") != std::string::npos) {
    error = "'" + path + "': Fortran-order arrays are not supported";
    return false;
  }
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|')) {
    error = "'" + path + "': unsupported dtype '" + descr + "'";
    return false;
  }
  out.dtype = descr.substr(1);
  static const char *known[] = {"f4", "f8", "f2", "i8", "i4", "i2",
                                "i1", "u1", "u2", "u4", "u8", "b1"};
  bool ok = false;
  for (const char *k : known)
    ok = ok || out.dtype == k;
  if (!ok) {
    error = "'" + path + "': unsupported dtype '" + descr + "'";
    return false;
  }
  out.shape.clear();
  std::string shape = field("shape");
  std::stringstream ss(shape.substr(1, shape.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos)
      continue;
    out.shape.push_back(std::stoll(item));
  }
  int64_t n = 1;
  for (int64_t d : out.shape)
    n *= d;
  out.data.resize(size_t(n) * dtypeSize(out.dtype));
  if (!in.read(out.data.data(), std::streamsize(out.data.size()))) {
    error = "'" + path + "': truncated data";
    return false;
  }
  return true;
}

bool qc::interp::writeNpy(const std::string &path, const HostArray &array,
                          std::string &error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open '" + path + "' for writing";
    return false;
  }
  std::string shape = "(";
  for (int64_t d : array.shape)
    shape += std::to_string(d) + ", ";
  if (array.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (array.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  char order = array.dtype == "b1" || array.dtype == "i1" || array.dtype == "u1"
                   ? '|'
                   : '<';
  std::string header = "{'descr': '" + std::string(1, order) + array.dtype +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  uint16_t len = uint16_t(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.write(reinterpret_cast<const char *>(&len), 2);
  out.write(header.data(), std::streamsize(header.size()));
  out.write(array.data.data(), std::streamsize(array.data.size()));
  if (!out) {
    error = "failed writing '" + path + "'";
    return false;
  }
  return true;
}

double qc::interp::readAsDouble(const HostArray &a, int64_t i) {
  const char *p = a.data.data();
  const std::string &d = a.dtype;
  if (d == "f4") {
    float v;
    std::memcpy(&v, p + i * 4, 4);
    return v;
  }
  if (d == "f8") {
    double v;
    std::memcpy(&v, p + i * 8, 8);
    return v;
  }
  if (d == "f2") {
    uint16_t v;
    std::memcpy(&v, p + i * 2, 2);
    return qc::num::decodeFloat(v, qc::num::FloatFormat::fp16());
  }
  // Integers: the exact value, then one rounding (u8 above 2^63 read as
  // unsigned).
  int64_t v = readAsInt64(a, i);
  return d == "u8" ? double(uint64_t(v)) : double(v);
}

bool qc::interp::isIntegerArray(const HostArray &a) {
  return a.dtype[0] == 'i' || a.dtype[0] == 'u' || a.dtype[0] == 'b';
}

int64_t qc::interp::readAsInt64(const HostArray &a, int64_t i) {
  const char *p = a.data.data();
  const std::string &d = a.dtype;
  auto load = [&](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, p + i * int64_t(sizeof(v)), sizeof(v));
    return int64_t(v);
  };
  if (d == "i8")
    return load(int64_t());
  if (d == "u8")
    return load(uint64_t());
  if (d == "i4")
    return load(int32_t());
  if (d == "u4")
    return load(uint32_t());
  if (d == "i2")
    return load(int16_t());
  if (d == "u2")
    return load(uint16_t());
  if (d == "i1")
    return load(int8_t());
  return load(uint8_t()); // u1, b1
}

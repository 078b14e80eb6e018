//===- QCRotations.cpp - Applying qc rotations ----------------------------===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// RotationAttrInterface implementations: every rotation applies itself to row
// vectors with its fast algorithm (Hadamard butterflies from Numerics,
// gathers for permutations) and only dense matrices use a dense product.
//
//===----------------------------------------------------------------------===//

#include "qc/Dialect/QC/IR/QC.h"

#include "qc/Support/Numerics/Hadamard.h"

#include <cmath>

using namespace mlir;
using namespace qc;

namespace {
/// rows * D * H / sqrt(n), or rows * (D H / sqrt(n))^T, on rows of length n.
void applySignedHadamard(double *rows, int64_t count, int64_t n, uint64_t seed,
                         bool transposed) {
  auto flipSigns = [&] {
    if (!seed)
      return;
    std::vector<bool> neg(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      neg[size_t(i)] = num::stochasticBits(seed, uint64_t(i)) & 1;
    for (int64_t r = 0; r < count; ++r)
      for (int64_t i = 0; i < n; ++i)
        if (neg[size_t(i)])
          rows[r * n + i] = -rows[r * n + i];
  };
  double scale = 1.0 / std::sqrt(double(n));
  if (!transposed)
    flipSigns();
  num::hadamardTransformRows(rows, count, n, transposed, scale);
  if (transposed)
    flipSigns();
}
} // namespace

int64_t HadamardAttr::getOrder() const { return getSize(); }

void HadamardAttr::applyToRows(double *rows, int64_t count,
                               bool transposed) const {
  applySignedHadamard(rows, count, getSize(), getSeed(), transposed);
}

int64_t BlockHadamardAttr::getOrder() const { return getSize(); }

void BlockHadamardAttr::applyToRows(double *rows, int64_t count,
                                    bool transposed) const {
  // Blocks are contiguous within a row: treat them as shorter rows.
  applySignedHadamard(rows, count * (getSize() / getBlock()), getBlock(),
                      getSeed(), transposed);
}

int64_t PermutationAttr::getOrder() const { return int64_t(getPerm().size()); }

void PermutationAttr::applyToRows(double *rows, int64_t count,
                                  bool transposed) const {
  ArrayRef<int64_t> perm = getPerm();
  int64_t n = int64_t(perm.size());
  std::vector<double> tmp(static_cast<size_t>(n));
  for (int64_t r = 0; r < count; ++r) {
    double *row = rows + r * n;
    for (int64_t j = 0; j < n; ++j) {
      if (transposed)
        tmp[size_t(perm[size_t(j)])] = row[j];
      else
        tmp[size_t(j)] = row[perm[size_t(j)]];
    }
    std::copy(tmp.begin(), tmp.end(), row);
  }
}

int64_t OrthogonalAttr::getOrder() const {
  return getMatrix().getType().getDimSize(0);
}

void OrthogonalAttr::applyToRows(double *rows, int64_t count,
                                 bool transposed) const {
  int64_t n = getOrder();
  std::vector<double> m;
  m.reserve(size_t(n * n));
  if (getMatrix().getElementType().isF32()) {
    for (float v : getMatrix().getValues<float>())
      m.push_back(v);
  } else {
    for (APFloat v : getMatrix().getValues<APFloat>())
      m.push_back(v.convertToDouble());
  }
  std::vector<double> tmp(static_cast<size_t>(n));
  for (int64_t r = 0; r < count; ++r) {
    double *row = rows + r * n;
    std::fill(tmp.begin(), tmp.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      double xi = row[i];
      for (int64_t j = 0; j < n; ++j)
        tmp[size_t(j)] +=
            xi * (transposed ? m[size_t(j * n + i)] : m[size_t(i * n + j)]);
    }
    std::copy(tmp.begin(), tmp.end(), row);
  }
}

int64_t TransposeAttr::getOrder() const {
  return llvm::cast<RotationAttrInterface>(getRotation()).getOrder();
}

void TransposeAttr::applyToRows(double *rows, int64_t count,
                                bool transposed) const {
  llvm::cast<RotationAttrInterface>(getRotation())
      .applyToRows(rows, count, !transposed);
}

int64_t RotationSeqAttr::getOrder() const {
  return llvm::cast<RotationAttrInterface>(getRotations().front()).getOrder();
}

void RotationSeqAttr::applyToRows(double *rows, int64_t count,
                                  bool transposed) const {
  ArrayRef<Attribute> seq = getRotations();
  // (R1 R2 ... Rk)^T = Rk^T ... R1^T.
  if (!transposed) {
    for (Attribute a : seq)
      llvm::cast<RotationAttrInterface>(a).applyToRows(rows, count, false);
  } else {
    for (Attribute a : llvm::reverse(seq))
      llvm::cast<RotationAttrInterface>(a).applyToRows(rows, count, true);
  }
}

std::vector<double> qc::rotationMatrix(RotationAttrInterface rotation) {
  int64_t n = rotation.getOrder();
  std::vector<double> m(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    m[size_t(i * n + i)] = 1.0;
  rotation.applyToRows(m.data(), n, false);
  return m;
}

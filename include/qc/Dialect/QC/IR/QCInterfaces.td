//===- QCInterfaces.td - qc attribute interfaces -----------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Interfaces shared by the number-format and rotation attributes.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCINTERFACES_TD
#define QC_DIALECT_QC_IR_QCINTERFACES_TD

include "mlir/IR/OpBase.td"

def QC_FormatAttrInterface : AttrInterface<"FormatAttrInterface"> {
  let cppNamespace = "::qc";
  let description = [{
    A number format of tensor elements: maps real values to codes of
    `getNumericFormat().bits()` bits and back, as defined by
    `qc::num::Format`.
  }];
  let methods = [
    InterfaceMethod<"Returns the numeric format this attribute denotes.",
                    "::qc::num::Format", "getNumericFormat">,
  ];
  let extraSharedClassDeclaration = [{
    /// Width of one code in bits.
    unsigned getBitWidth() { return $_attr.getNumericFormat().bits(); }
  }];
}

def QC_RotationAttrInterface : AttrInterface<"RotationAttrInterface"> {
  let cppNamespace = "::qc";
  let description = [{
    An orthogonal n x n matrix R applied to row vectors: y = x * R. Rotations
    apply themselves with their fast algorithm (Walsh-Hadamard butterflies,
    gathers for permutations) instead of a dense product where one exists.
  }];
  let methods = [
    InterfaceMethod<"Returns n, the order of the matrix.", "int64_t",
                    "getOrder">,
    InterfaceMethod<[{
        Replaces each of `count` contiguous rows of length n with row * R,
        or row * R^T (= row * R^-1) when `transposed`.
      }], "void", "applyToRows",
      (ins "double *":$rows, "int64_t":$count, "bool":$transposed)>,
  ];
}

#endif // QC_DIALECT_QC_IR_QCINTERFACES_TD

//===- QCDialect.td - The qc quantization dialect ----------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declares the `qc` dialect: number formats, quantization schemes, quantized
// tensors and rotations.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCDIALECT_TD
#define QC_DIALECT_QC_IR_QCDIALECT_TD

include "mlir/IR/OpBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::qc";
  let summary = "Quantized tensors, number formats and rotations.";
  let description = [{
    The `qc` dialect expresses low-precision tensors exactly. Number formats
    (integers of any width, fixed point, minifloats eXmY including FP8, FP6,
    FP4 and E8M0) are attributes implementing `FormatAttrInterface`; a
    `#qc.scheme` says how scales are shared (per tensor, per axis, per block)
    and in which format they are stored; `!qc.qtensor` holds the codes.
    Scales are ordinary SSA values (one per scale group), so OCP MX block
    scales are data, not type constants. Rotations (Hadamard of order
    K * 2^m, block Hadamard, permutations, dense orthogonal matrices and
    their compositions) are attributes implementing `RotationAttrInterface`.

    Every numeric semantic is defined by, and computed with, the project's
    `Support/Numerics` library (see docs/Spec.md).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

#endif // QC_DIALECT_QC_IR_QCDIALECT_TD

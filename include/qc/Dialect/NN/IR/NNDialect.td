//===- NNDialect.td - The nn graph dialect -----------------*- tablegen -*-===//
//
// Part of the QuantC project.
//
//===----------------------------------------------------------------------===//
//
// Declares the `nn` dialect: the network graph as imported from ONNX.
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_NN_IR_NNDIALECT_TD
#define QC_DIALECT_NN_IR_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::qc::nn";
  let summary = "The network graph as imported, one op per ONNX-level operator.";
  let description = [{
    `nn` keeps the structure quantization passes must see: linear layers
    (`nn.matmul`, `nn.gemm`, `nn.conv`) whose weights are constants,
    normalizations, residual adds, softmax and attention building blocks.
    Ops follow the semantics of the ONNX operator of the same name (opset
    13-23) on statically shaped tensors; attributes keep their ONNX names.
    Result types are inferred from operands and attributes, so the verifier
    checks every shape. Shape computations (Shape, ConstantOfShape, Range,
    constant Reshape targets) are folded at import.
  }];
}

#endif // QC_DIALECT_NN_IR_NNDIALECT_TD

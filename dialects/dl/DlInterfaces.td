//===- DlInterfaces.td - Per-op knowledge the passes ask for -*- tablegen -*-===//

#ifndef DL_INTERFACES_TD
#define DL_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Dl_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::dl";
  let description = [{
    An op that reverse-mode autodiff can propagate gradients through. The op
    builds, at the builder's insertion point, the gradient of every operand
    from the gradients of its results; the autodiff pass is generic over it.
  }];
  let methods = [
    InterfaceMethod<[{
        Sets `operandGradients[i]` to the gradient of operand `i`, given
        `resultGradients[j]` for result `j` (null when nothing depends on that
        result). An operand that takes no gradient (integer labels, indices,
        masks) gets a null value. Each gradient has its operand's type.
      }],
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
  ];
}

def Dl_Differentiable
    : DeclareOpInterfaceMethods<Dl_DifferentiableOpInterface>;

#endif // DL_INTERFACES_TD

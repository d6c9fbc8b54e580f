//===- DlBase.td - The dl dialect, its types and enums ----*- tablegen -*-===//
//
// The dl dialect is the graph level of dlc: ops on ranked tensors with static
// shapes, as a user thinks of a model. Every frontend targets it and every
// graph pass (shape checks, autodiff, fusion) transforms it.
//
//===----------------------------------------------------------------------===//

#ifndef DL_BASE_TD
#define DL_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Dl_Dialect : Dialect {
  let name = "dl";
  let summary = "Graph-level deep-learning ops on statically shaped tensors";
  let description = [{
    Ops of a deep-learning model on ranked tensors whose shapes are all known
    at compile time. Elementwise ops broadcast their operands the numpy way.
    Parameters are module-level symbols (`dl.param`) read with
    `dl.load_param`; inputs and outputs are the arguments and results of the
    entry function.
  }];
  let cppNamespace = "::mlir::dl";
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Dl_FloatElement : AnyTypeOf<[F32, F64, F16, BF16]>;
def Dl_IntElement : AnyTypeOf<[I32, I64]>;
def Dl_Element : AnyTypeOf<[F32, F64, F16, BF16, I32, I64, I1]>;

def Dl_Tensor : StaticShapeTensorOf<[F32, F64, F16, BF16, I32, I64, I1]>;
def Dl_FloatTensor : StaticShapeTensorOf<[F32, F64, F16, BF16]>;
def Dl_NumericTensor : StaticShapeTensorOf<[F32, F64, F16, BF16, I32, I64]>;
def Dl_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Dl_BoolTensor : StaticShapeTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Dl_CompareDirection : I32EnumAttr<"CompareDirection",
    "comparison of two tensors", [
      I32EnumAttrCase<"EQ", 0, "eq">, I32EnumAttrCase<"NE", 1, "ne">,
      I32EnumAttrCase<"LT", 2, "lt">, I32EnumAttrCase<"LE", 3, "le">,
      I32EnumAttrCase<"GT", 4, "gt">, I32EnumAttrCase<"GE", 5, "ge">]> {
  let cppNamespace = "::mlir::dl";
}
def Dl_LossReduction : I32EnumAttr<"LossReduction",
    "how a loss reduces over the batch", [
      I32EnumAttrCase<"Mean", 0, "mean">, I32EnumAttrCase<"Sum", 1, "sum">]> {
  let cppNamespace = "::mlir::dl";
}
def Dl_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "which formula gelu uses", [
      I32EnumAttrCase<"Erf", 0, "erf">, I32EnumAttrCase<"Tanh", 1, "tanh">]> {
  let cppNamespace = "::mlir::dl";
}
def Dl_InitKind : I32EnumAttr<"InitKind", "how a parameter is initialized", [
      I32EnumAttrCase<"Zeros", 0, "zeros">,
      I32EnumAttrCase<"Ones", 1, "ones">,
      I32EnumAttrCase<"Constant", 2, "constant">,
      I32EnumAttrCase<"Normal", 3, "normal">,
      I32EnumAttrCase<"Uniform", 4, "uniform">,
      I32EnumAttrCase<"XavierUniform", 5, "xavier_uniform">,
      I32EnumAttrCase<"XavierNormal", 6, "xavier_normal">,
      I32EnumAttrCase<"KaimingUniform", 7, "kaiming_uniform">,
      I32EnumAttrCase<"KaimingNormal", 8, "kaiming_normal">]> {
  let cppNamespace = "::mlir::dl";
  let genSpecializedAttr = 0;
}

def Dl_ParamRole : I32EnumAttr<"ParamRole", "what a stored tensor is for", [
      I32EnumAttrCase<"Parameter", 0, "parameter">,
      I32EnumAttrCase<"Buffer", 1, "buffer">,
      I32EnumAttrCase<"OptimizerState", 2, "optimizer_state">]> {
  let cppNamespace = "::mlir::dl";
}
#endif // DL_BASE_TD

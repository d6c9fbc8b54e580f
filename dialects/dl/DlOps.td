//===- DlOps.td - Ops of the dl dialect -------------------*- tablegen -*-===//
//
// One file per op family, all generated into one DlOps.{h,cpp}.inc.
//
//===----------------------------------------------------------------------===//

#ifndef DL_OPS_TD
#define DL_OPS_TD

include "dialects/dl/DlBase.td"
include "dialects/dl/DlAttributes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// Every result of a dl op has at most kMaxTensorElements elements, so
/// sizes computed from shapes (bytes, strides, offsets) never overflow.
def Dl_BoundedTensors : NativeOpTrait<"BoundedTensors"> {
  let cppNamespace = "::mlir::dl";
}

class Dl_Op<string mnemonic, list<Trait> traits = []>
    : Op<Dl_Dialect, mnemonic, !listconcat(traits, [Dl_BoundedTensors])>;

/// Marks ops that apply one scalar function per element after broadcasting
/// their operands to the result shape (what elementwise fusion may merge).
def Dl_BroadcastElementwise : NativeOpTrait<"BroadcastElementwise"> {
  let cppNamespace = "::mlir::dl";
}

// Ops whose kernel can pass its one result through an elementwise
// epilogue before storing it (a dl.fused marked `epilogue` reading it).
def Dl_ElementwiseEpilogue : NativeOpTrait<"ElementwiseEpilogue"> {
  let cppNamespace = "::mlir::dl";
}

include "dialects/dl/DlInterfaces.td"
include "dialects/dl/DlElementwiseOps.td"
include "dialects/dl/DlShapeOps.td"
include "dialects/dl/DlNNOps.td"
include "dialects/dl/DlModelOps.td"
include "dialects/dl/DlFusionOps.td"

#endif // DL_OPS_TD

//===- DlOps.h - Ops, attributes and enums of the dl dialect ----*- C++ -*-===//

#ifndef DLC_DIALECTS_DL_DLOPS_H
#define DLC_DIALECTS_DL_DLOPS_H

#include "dialects/dl/DlDialect.h"
#include "dialects/dl/DlShapeInference.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/dl/DlEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dl/DlAttributes.h.inc"

namespace mlir::dl {
/// Marker for ops that compute one scalar function per element of their
/// operands broadcast to the result shape; elementwise fusion keys on it.
template <typename ConcreteType>
class BroadcastElementwise
    : public OpTrait::TraitBase<ConcreteType, BroadcastElementwise> {};

/// Marker for ops whose kernel can apply an elementwise epilogue to its
/// one result (dl-fuse-kernel-epilogue keys on it).
template <typename ConcreteType>
class ElementwiseEpilogue
    : public OpTrait::TraitBase<ConcreteType, ElementwiseEpilogue> {};

template <typename ConcreteType>
class BoundedTensors : public OpTrait::TraitBase<ConcreteType, BoundedTensors> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
      if (failed(checkTensorSize(op->getLoc(), type,
                                 "result #" + llvm::Twine(i))))
        return failure();
    return success();
  }
};
} // namespace mlir::dl

#include "dialects/dl/DlInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/dl/DlOps.h.inc"

#endif // DLC_DIALECTS_DL_DLOPS_H

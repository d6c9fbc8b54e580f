//===- DlModelOps.cpp - Parameters and their users ------------------------===//

#include "dialects/dl/DlOps.h"

using namespace mlir;
using namespace mlir::dl;

LogicalResult ParamOp::verify() {
  RankedTensorType type = getTensorType();
  if (getInitAttr() && getValueAttr())
    return emitOpError("has both an initializer and a value");
  if (!getInitAttr() && !getValueAttr())
    return emitOpError("needs an initializer or a value");
  if (ElementsAttr value = getValueAttr()) {
    if (value.getType() != type)
      return emitOpError("value has type ")
             << value.getType() << " but the parameter is " << type;
    return success();
  }
  InitKind kind = getInitAttr().getKind();
  bool random = kind != InitKind::Zeros && kind != InitKind::Ones &&
                kind != InitKind::Constant;
  if (random && !isa<FloatType>(type.getElementType()))
    return emitOpError("initializer '")
           << stringifyInitKind(kind) << "' needs a float element type, got "
           << type.getElementType();
  bool fanBased = kind >= InitKind::XavierUniform;
  if (fanBased && type.getRank() < 1)
    return emitOpError("initializer '")
           << stringifyInitKind(kind)
           << "' takes its fans from the shape and needs rank >= 1";
  return success();
}

/// Finds the dl.param `name` refers to and checks it has type `type`.
static LogicalResult verifyParamUse(Operation *user,
                                    SymbolTableCollection &symbolTable,
                                    FlatSymbolRefAttr name, Type type) {
  auto param = symbolTable.lookupNearestSymbolFrom<ParamOp>(user, name);
  if (!param)
    return user->emitOpError("refers to ")
           << name << ", which is not a dl.param of the module";
  if (param.getType() != type)
    return user->emitOpError("has type ")
           << type << " but " << name << " is declared as " << param.getType();
  return success();
}

LogicalResult
LoadParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyParamUse(*this, symbolTable, getNameAttr(), getType());
}

LogicalResult
StoreParamOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyParamUse(*this, symbolTable, getNameAttr(),
                        getValue().getType());
}

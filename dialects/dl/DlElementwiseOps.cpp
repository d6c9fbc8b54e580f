//===- DlElementwiseOps.cpp - Type inference of elementwise ops -----------===//

#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlShapeInference.h"

using namespace mlir;
using namespace mlir::dl;

/// The broadcast shape of `operands`, whose element types must agree.
static LogicalResult inferBroadcast(std::optional<Location> loc,
                                    ArrayRef<NamedTensor> operands,
                                    Type resultElement,
                                    SmallVectorImpl<Type> &inferred) {
  for (const NamedTensor &operand : operands)
    if (!operand.type)
      return emitOptionalError(loc, operand.name, " must be a ranked tensor");
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(loc, operands, shape)))
    return failure();
  if (!resultElement) {
    if (failed(checkSameElementType(loc, operands)))
      return failure();
    resultElement = operands[0].type.getElementType();
  }
  inferred.push_back(RankedTensorType::get(shape, resultElement));
  return success();
}

template <typename Adaptor>
static LogicalResult inferBinary(std::optional<Location> loc, Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  NamedTensor operands[] = {
      {"lhs", dyn_cast<RankedTensorType>(adaptor.getLhs().getType())},
      {"rhs", dyn_cast<RankedTensorType>(adaptor.getRhs().getType())}};
  return inferBroadcast(loc, operands, Type(), inferred);
}

#define DL_BINARY_INFERENCE(OP)                                                \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                           \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &inferred) {        \
    return inferBinary(loc, adaptor, inferred);                                \
  }
DL_BINARY_INFERENCE(AddOp)
DL_BINARY_INFERENCE(SubOp)
DL_BINARY_INFERENCE(MulOp)
DL_BINARY_INFERENCE(DivOp)
DL_BINARY_INFERENCE(PowOp)
DL_BINARY_INFERENCE(MaxOp)
DL_BINARY_INFERENCE(MinOp)
#undef DL_BINARY_INFERENCE

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  NamedTensor operands[] = {
      {"lhs", dyn_cast<RankedTensorType>(adaptor.getLhs().getType())},
      {"rhs", dyn_cast<RankedTensorType>(adaptor.getRhs().getType())}};
  if (operands[0].type && operands[1].type &&
      failed(checkSameElementType(loc, operands)))
    return failure();
  return inferBroadcast(loc, operands, IntegerType::get(context, 1), inferred);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  NamedTensor operands[] = {
      {"condition", dyn_cast<RankedTensorType>(adaptor.getCondition().getType())},
      {"on_true", dyn_cast<RankedTensorType>(adaptor.getOnTrue().getType())},
      {"on_false", dyn_cast<RankedTensorType>(adaptor.getOnFalse().getType())}};
  if (operands[1].type && operands[2].type &&
      failed(checkSameElementType(loc, ArrayRef(operands).drop_front())))
    return failure();
  Type element = operands[1].type ? operands[1].type.getElementType() : Type();
  return inferBroadcast(loc, operands, element, inferred);
}

//===- DlShapeInference.cpp - Shape rules shared by dl ops ----------------===//

#include "dialects/dl/DlShapeInference.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string dl::formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

LogicalResult dl::broadcastShapes(std::optional<Location> loc,
                                  ArrayRef<NamedTensor> operands,
                                  SmallVectorImpl<int64_t> &result) {
  int64_t rank = 0;
  for (const NamedTensor &operand : operands)
    rank = std::max(rank, operand.type.getRank());
  result.assign(rank, 1);
  // For each result dimension, the first operand that set it to a size > 1.
  SmallVector<const NamedTensor *> owner(rank, nullptr);
  for (const NamedTensor &operand : operands) {
    ArrayRef<int64_t> shape = operand.type.getShape();
    int64_t offset = rank - static_cast<int64_t>(shape.size());
    for (auto [i, size] : llvm::enumerate(shape)) {
      int64_t dim = offset + static_cast<int64_t>(i);
      if (size == 1 || size == result[dim])
        continue;
      if (result[dim] == 1) {
        result[dim] = size;
        owner[dim] = &operand;
        continue;
      }
      const NamedTensor &other = *owner[dim];
      int64_t otherDim = dim - (rank - other.type.getRank());
      return emitOptionalError(
          loc, "operands do not broadcast: ", other.name, " dimension ",
          otherDim, " has size ", result[dim], " but ", operand.name,
          " dimension ", i, " has size ", size, " (shapes ",
          formatShape(other.type.getShape()), " and ", formatShape(shape),
          ")");
    }
  }
  return success();
}

LogicalResult dl::checkSameElementType(std::optional<Location> loc,
                                       ArrayRef<NamedTensor> operands) {
  for (const NamedTensor &operand : operands.drop_front()) {
    if (operand.type.getElementType() != operands[0].type.getElementType())
      return emitOptionalError(loc, "element types differ: ", operands[0].name,
                               " is ", operands[0].type.getElementType(), " but ",
                               operand.name, " is ",
                               operand.type.getElementType());
  }
  return success();
}

LogicalResult dl::checkAxis(std::optional<Location> loc, StringRef what,
                            int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, what, " ", axis, " is out of range for rank ",
                             rank, " (valid: 0 to ", rank - 1, ")");
  return success();
}

LogicalResult dl::checkTensorSize(std::optional<Location> loc, Type type,
                                  const llvm::Twine &what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return success();
  int64_t count = 1;
  for (int64_t d : tensor.getShape()) {
    // Dynamic dimensions included: dl tensors have static shapes.
    if (d < 0)
      return emitOptionalError(loc, what, " ", tensor,
                               " has a negative or unknown dimension");
    if (d != 0 && count > kMaxTensorElements / d)
      return emitOptionalError(loc, what, " ", tensor,
                               " has more than 2^38 elements, the most a "
                               "tensor may have");
    count *= d;
  }
  return success();
}

//===- DlShapeOps.cpp - Verifiers and type inference of shape ops ---------===//

#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlShapeInference.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::dl;

LogicalResult IotaOp::verify() {
  return checkAxis(getLoc(), "dimension",
                   getDimension(), getResult().getType().getRank());
}

LogicalResult ReshapeOp::verify() {
  auto input = getInput().getType(), result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << input.getElementType() << " to " << result.getElementType();
  if (input.getNumElements() != result.getNumElements())
    return emitOpError("cannot reshape ")
           << formatShape(input.getShape()) << " (" << input.getNumElements()
           << " elements) to " << formatShape(result.getShape()) << " ("
           << result.getNumElements() << " elements)";
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return emitOptionalError(loc, "input must be a ranked tensor");
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return emitOptionalError(loc, "permutation has ", permutation.size(),
                             " entries but the input has rank ", rank);
  llvm::SmallBitVector seen(rank);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (failed(checkAxis(loc, "permutation entry", dim, rank)))
      return failure();
    if (seen.test(dim))
      return emitOptionalError(loc, "permutation names dimension ", dim,
                               " twice");
    seen.set(dim);
    shape.push_back(input.getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto input = getInput().getType(), result = getResult().getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << input.getElementType() << " to " << result.getElementType();
  int64_t offset = result.getRank() - input.getRank();
  if (offset < 0)
    return emitOpError("cannot broadcast rank ")
           << input.getRank() << " to the lower rank " << result.getRank();
  for (auto [i, size] : llvm::enumerate(input.getShape())) {
    int64_t target = result.getDimSize(offset + i);
    if (size != 1 && size != target)
      return emitOpError("input dimension ")
             << i << " has size " << size << " but result dimension "
             << offset + i << " has size " << target
             << "; only size-1 dimensions stretch";
  }
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "needs at least one input");
  auto first = dyn_cast<RankedTensorType>(inputs[0].getType());
  if (!first)
    return emitOptionalError(loc, "input 0 must be a ranked tensor");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, "axis", axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, value] : llvm::enumerate(inputs.drop_front())) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    int64_t index = i + 1;
    if (!type)
      return emitOptionalError(loc, "input ", index,
                               " must be a ranked tensor");
    if (type.getElementType() != first.getElementType())
      return emitOptionalError(loc, "element types differ: input 0 is ",
                               first.getElementType(), " but input ", index,
                               " is ", type.getElementType());
    if (type.getRank() != first.getRank())
      return emitOptionalError(loc, "ranks differ: input 0 has rank ",
                               first.getRank(), " but input ", index,
                               " has rank ", type.getRank());
    for (int64_t dim = 0; dim < first.getRank(); ++dim) {
      if (dim == axis) {
        shape[dim] += type.getDimSize(dim);
      } else if (type.getDimSize(dim) != first.getDimSize(dim)) {
        return emitOptionalError(
            loc, "input ", index, " dimension ", dim, " has size ",
            type.getDimSize(dim), " but input 0 has size ",
            first.getDimSize(dim), "; only the axis ", axis, " may differ");
      }
    }
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!input)
    return emitOptionalError(loc, "input must be a ranked tensor");
  ArrayRef<int64_t> start = adaptor.getStart(), limit = adaptor.getLimit(),
                    step = adaptor.getStep();
  int64_t rank = input.getRank();
  for (auto [name, list] : {std::pair{"start", start}, std::pair{"limit", limit},
                            std::pair{"step", step}})
    if (static_cast<int64_t>(list.size()) != rank)
      return emitOptionalError(loc, name, " has ", list.size(),
                               " entries but the input has rank ", rank);
  SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t size = input.getDimSize(dim);
    if (step[dim] < 1)
      return emitOptionalError(loc, "step ", step[dim], " of dimension ", dim,
                               " must be at least 1");
    if (start[dim] < 0 || start[dim] > limit[dim] || limit[dim] > size)
      return emitOptionalError(loc, "dimension ", dim, " of size ", size,
                               " cannot be sliced from ", start[dim], " to ",
                               limit[dim], " (need 0 <= start <= limit <= ",
                               size, ")");
    shape.push_back((limit[dim] - start[dim] + step[dim] - 1) / step[dim]);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto indices = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!input || !indices)
    return emitOptionalError(loc, "operands must be ranked tensors");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, "axis", axis, input.getRank())))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(axis + 1));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ScatterAddOp::verify() {
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getType());
  int64_t axis = getAxis();
  if (failed(checkAxis(getLoc(), "axis", axis, result.getRank())))
    return failure();
  if (updates.getElementType() != result.getElementType())
    return emitOpError("updates and result differ in element type");
  // The updates have the shape gathering from the result would produce.
  SmallVector<int64_t> expected(result.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, result.getShape().drop_front(axis + 1));
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("updates have shape ")
           << formatShape(updates.getShape()) << ", expected "
           << formatShape(expected)
           << " (the result's shape with the axis replaced by the indices')";
  return success();
}

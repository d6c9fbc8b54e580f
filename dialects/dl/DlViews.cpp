//===- DlViews.cpp - Slices, transposes and reshapes as strided reads -----===//

#include "dialects/dl/DlViews.h"
#include "dialects/dl/DlOps.h"

using namespace mlir;
using namespace mlir::dl;

StridedView StridedView::contiguous(ArrayRef<int64_t> shape) {
  StridedView view;
  view.shape.assign(shape.begin(), shape.end());
  view.strides.assign(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    view.strides[d - 1] = view.strides[d] * shape[d];
  return view;
}

std::optional<SmallVector<int64_t>>
StridedView::broadcastStrides(ArrayRef<int64_t> target) const {
  if (shape.size() > target.size())
    return std::nullopt;
  SmallVector<int64_t> result(target.size(), 0);
  size_t lead = target.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == target[lead + d])
      result[lead + d] = strides[d];
    else if (shape[d] != 1)
      return std::nullopt;
  }
  return result;
}

bool mlir::dl::isViewOp(Operation *op) {
  return op && isa<SliceOp, TransposeOp, ReshapeOp, BroadcastToOp>(op);
}

/// numpy's reshape without a copy: the new dimensions are cut into groups
/// whose extents multiply to those of groups of old dimensions; each old
/// group must be one stretch of memory (stride[k] = stride[k+1] * size[k+1])
/// and its new dimensions take row-major strides inside it.
static std::optional<StridedView> reshapeView(const StridedView &view,
                                              ArrayRef<int64_t> to) {
  StridedView result = StridedView::contiguous(to);
  result.offset = view.offset;
  if (llvm::is_contained(to, 0))
    return result;
  SmallVector<int64_t> sizes, strides; // the old dimensions but extent 1
  for (auto [size, stride] : llvm::zip(view.shape, view.strides))
    if (size != 1) {
      sizes.push_back(size);
      strides.push_back(stride);
    }
  size_t oi = 0, ni = 0;
  while (ni < to.size()) {
    if (to[ni] == 1) {
      result.strides[ni++] = 0;
      continue;
    }
    if (oi == sizes.size())
      return std::nullopt;
    size_t oj = oi + 1, nj = ni + 1;
    int64_t oldExtent = sizes[oi], newExtent = to[ni];
    while (oldExtent != newExtent) {
      if (newExtent < oldExtent) {
        if (nj == to.size())
          return std::nullopt;
        newExtent *= to[nj++];
      } else {
        if (oj == sizes.size())
          return std::nullopt;
        oldExtent *= sizes[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k)
      if (strides[k] != strides[k + 1] * sizes[k + 1])
        return std::nullopt;
    int64_t stride = strides[oj - 1];
    for (size_t k = nj; k-- > ni;) {
      result.strides[k] = stride;
      stride *= to[k];
    }
    oi = oj;
    ni = nj;
  }
  if (oi != sizes.size())
    return std::nullopt;
  return result;
}

std::optional<StridedView> mlir::dl::applyView(const StridedView &view,
                                               Operation *op) {
  auto resultShape = cast<RankedTensorType>(op->getResult(0).getType())
                         .getShape();
  if (auto slice = dyn_cast<SliceOp>(op)) {
    StridedView result = view;
    for (size_t d = 0; d < view.shape.size(); ++d) {
      result.offset += slice.getStart()[d] * view.strides[d];
      result.strides[d] *= slice.getStep()[d];
    }
    result.shape.assign(resultShape.begin(), resultShape.end());
    return result;
  }
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    StridedView result;
    result.offset = view.offset;
    for (int64_t d : transpose.getPermutation()) {
      result.shape.push_back(view.shape[d]);
      result.strides.push_back(view.strides[d]);
    }
    return result;
  }
  if (isa<ReshapeOp>(op))
    return reshapeView(view, resultShape);
  if (isa<BroadcastToOp>(op)) {
    std::optional<SmallVector<int64_t>> strides =
        view.broadcastStrides(resultShape);
    if (!strides)
      return std::nullopt;
    StridedView result;
    result.shape.assign(resultShape.begin(), resultShape.end());
    result.strides = std::move(*strides);
    result.offset = view.offset;
    return result;
  }
  return std::nullopt;
}

std::optional<StridedView> mlir::dl::viewChainOf(Value value, Value &root,
                                                 Block *inside) {
  Operation *def = value.getDefiningOp();
  if (!isViewOp(def) || (inside && def->getBlock() != inside)) {
    root = value;
    return StridedView::contiguous(
        cast<RankedTensorType>(value.getType()).getShape());
  }
  std::optional<StridedView> operand =
      viewChainOf(def->getOperand(0), root, inside);
  if (!operand)
    return std::nullopt;
  return applyView(*operand, def);
}

bool mlir::dl::readsElementForElement(Operation *op, unsigned index) {
  auto fused = dyn_cast<FusedOp>(op);
  if (!fused)
    return true;
  BlockArgument arg = fused.getBody().front().getArgument(index);
  return llvm::none_of(arg.getUsers(),
                       [](Operation *user) { return isViewOp(user); });
}

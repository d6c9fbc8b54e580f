//===- DlViews.h - Slices, transposes and reshapes as strided reads -*- C++ -*-===//
//
// Ops that only move elements (slice, transpose, reshape, broadcast_to)
// applied one after another to a tensor read it at an affine offset: element
// `idx` of the chain's result is element `offset + sum(idx[d] * strides[d])`
// of the tensor. Elementwise fusion folds such chains into a kernel's loads
// instead of running a kernel that copies the elements first.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_DIALECTS_DL_DLVIEWS_H
#define DLC_DIALECTS_DL_DLVIEWS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::dl {

struct StridedView {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> strides; // in elements; 0 repeats (broadcast)
  int64_t offset = 0;

  /// A whole tensor of `shape` in row-major order.
  static StridedView contiguous(ArrayRef<int64_t> shape);
  /// The strides over the dimensions of `target` when the view is broadcast
  /// to it numpy-style (trailing dimensions line up, extent 1 repeats);
  /// nullopt when it does not broadcast.
  std::optional<SmallVector<int64_t>>
  broadcastStrides(ArrayRef<int64_t> target) const;
};

/// Slice, transpose, reshape and broadcast_to.
bool isViewOp(Operation *op);

/// `view` seen through the view op `op`; nullopt when `op` is a reshape that
/// merges dimensions the view does not keep adjacent in memory (a transposed
/// view flattened), which only a copy can do.
std::optional<StridedView> applyView(const StridedView &view, Operation *op);

/// The view `value` reads of the value at the root of its chain of view ops
/// (`root` is set to it): stops at the first value not produced by a view
/// op or, with `inside`, at values defined outside that block. Nullopt when
/// a reshape in the chain cannot be a view.
std::optional<StridedView> viewChainOf(Value value, Value &root,
                                       Block *inside = nullptr);

/// Whether the elementwise `op` reads element i of operand `index` only to
/// compute element i of its results (and before writing it): false for an
/// operand a dl.fused region reads through a view. What in-place writes
/// need.
bool readsElementForElement(Operation *op, unsigned index);

} // namespace mlir::dl

#endif // DLC_DIALECTS_DL_DLVIEWS_H

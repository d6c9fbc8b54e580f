//===- DlShapeInference.h - Shape rules shared by dl ops --------*- C++ -*-===//
//
// The shape rules several ops share (broadcasting, axis checks), written once
// so that every op reports a mismatch the same way: which operand, which
// dimension, which sizes.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_DIALECTS_DL_DLSHAPEINFERENCE_H
#define DLC_DIALECTS_DL_DLSHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include <optional>
#include <string>

namespace mlir::dl {

/// A tensor operand together with the name diagnostics call it by.
struct NamedTensor {
  llvm::StringRef name;
  RankedTensorType type;
};

/// "4x8" for a shape, "scalar" for rank 0.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// The most elements a tensor may have: 2^38 (1 TiB of f32), beyond any
/// device's memory, and small enough that byte counts, strides and arena
/// offsets computed from it fit in 64 bits.
constexpr int64_t kMaxTensorElements = int64_t(1) << 38;

/// Checks that `type` has no negative dimension and at most
/// kMaxTensorElements elements (with overflow-safe arithmetic); the error
/// names `what`.
LogicalResult checkTensorSize(std::optional<Location> loc, Type type,
                              const llvm::Twine &what);

/// Broadcasts the operands' shapes numpy-style into `result`; on a mismatch
/// names both operands and dimensions (emitted at `loc` when it is given).
LogicalResult broadcastShapes(std::optional<Location> loc,
                              llvm::ArrayRef<NamedTensor> operands,
                              llvm::SmallVectorImpl<int64_t> &result);

/// Checks that all operands have one element type.
LogicalResult checkSameElementType(std::optional<Location> loc,
                                   llvm::ArrayRef<NamedTensor> operands);

/// Checks `0 <= axis < rank`, naming the attribute.
LogicalResult checkAxis(std::optional<Location> loc, llvm::StringRef what,
                        int64_t axis, int64_t rank);

} // namespace mlir::dl

#endif // DLC_DIALECTS_DL_DLSHAPEINFERENCE_H

//===- FusionSupport.h - Pieces the fusion passes share ----------*- C++ -*-===//

#ifndef DLC_COMPILER_TRANSFORMS_FUSIONSUPPORT_H
#define DLC_COMPILER_TRANSFORMS_FUSIONSUPPORT_H

#include "mlir/IR/Builders.h"

namespace mlir::dl {

class FusedOp;

/// True when `value` can be read just before `op`: a block argument of its
/// block or the result of an earlier op there.
bool availableBefore(Value value, Operation *op);

/// Fills the empty `region` with one block whose arguments are `inputs` and
/// whose body computes, element by element, the one result of
/// `computation` (a dl.fused, whose body is cloned, or one elementwise op),
/// ending in dl.yield. The operands of `computation` are among `inputs`.
void buildElementwiseBody(OpBuilder &builder, Region &region,
                          ArrayRef<Value> inputs, Operation *computation);

/// True when `op` is a dl.fused copy of its one input ([..., X, Y, E]) with
/// the two dimensions before the last swapped: a multi-head layer's move
/// between [..., T, H, E] (heads merged) and [..., H, T, E] (split).
bool isHeadSwap(Operation *op);

/// The head-swapping copy (isHeadSwap) that reads `value` ([..., H, T, E])
/// when it is its only reader: a multi-head layer merging the heads.
FusedOp headMergingReader(Value value);

} // namespace mlir::dl

#endif // DLC_COMPILER_TRANSFORMS_FUSIONSUPPORT_H

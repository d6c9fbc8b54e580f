//===- FusionSupport.cpp - Pieces the fusion passes share -----------------===//

#include "compiler/transforms/FusionSupport.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::dl;

bool mlir::dl::availableBefore(Value value, Operation *op) {
  if (Operation *producer = value.getDefiningOp())
    return producer->getBlock() == op->getBlock() &&
           producer->isBeforeInBlock(op);
  return cast<BlockArgument>(value).getOwner() == op->getBlock();
}

void mlir::dl::buildElementwiseBody(OpBuilder &builder, Region &region,
                                    ArrayRef<Value> inputs,
                                    Operation *computation) {
  OpBuilder::InsertionGuard guard(builder);
  Block *block = builder.createBlock(&region);
  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, block->addArgument(input.getType(), input.getLoc()));
  Value yielded;
  if (auto fused = dyn_cast<FusedOp>(computation)) {
    Block &body = fused.getBody().front();
    for (auto [arg, input] : llvm::zip(body.getArguments(), fused.getInputs()))
      mapping.map(arg, mapping.lookup(input));
    for (Operation &op : body.without_terminator())
      builder.clone(op, mapping);
    yielded = mapping.lookup(body.getTerminator()->getOperand(0));
  } else {
    yielded = builder.clone(*computation, mapping)->getResult(0);
  }
  YieldOp::create(builder, computation->getLoc(), yielded);
}

bool mlir::dl::isHeadSwap(Operation *op) {
  auto fused = dyn_cast_or_null<FusedOp>(op);
  if (!fused || fused.getEpilogue() || fused.getNumResults() != 1 ||
      fused.getInputs().size() != 1)
    return false;
  Block &body = fused.getBody().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return false;
  auto transpose = dyn_cast<TransposeOp>(body.front());
  if (!transpose || transpose.getInput() != body.getArgument(0) ||
      body.getTerminator()->getOperand(0) != transpose.getResult())
    return false;
  int64_t rank = cast<RankedTensorType>(transpose.getType()).getRank();
  if (rank < 3)
    return false;
  SmallVector<int64_t> swapped = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(swapped[rank - 3], swapped[rank - 2]);
  return transpose.getPermutation() == ArrayRef<int64_t>(swapped);
}

FusedOp mlir::dl::headMergingReader(Value value) {
  if (!value.hasOneUse() || !isHeadSwap(*value.getUsers().begin()))
    return {};
  return cast<FusedOp>(*value.getUsers().begin());
}

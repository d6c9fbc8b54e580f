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

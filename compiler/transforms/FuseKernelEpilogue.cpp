//===- FuseKernelEpilogue.cpp - Elementwise ops inside the kernel before -===//
//
// After elementwise fusion: a region (or a lone elementwise op) that reads
// the one result of an op whose kernel can apply an epilogue, its only
// reader, moves right after that op as a dl.fused marked `epilogue`, its
// first input that result. The plan writer then gives the op's kernel the
// region as its epilogue and the region no kernel of its own.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/FusionSupport.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlViews.h"


namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEKERNELEPILOGUE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

struct DlFuseKernelEpiloguePass
    : public mlir::dl::impl::DlFuseKernelEpilogueBase<
          DlFuseKernelEpiloguePass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    for (Operation &op : getOperation().getBody().front()) {
      auto fused = dyn_cast<FusedOp>(op);
      bool region = fused && !fused.getEpilogue();
      bool single = !fused && op.hasTrait<BroadcastElementwise>();
      if ((region || single) && op.getNumResults() == 1)
        candidates.push_back(&op);
    }
    for (Operation *op : candidates)
      fuse(op);
  }

  /// The input of `op` its epilogue would be: the result of an op that can
  /// apply one, read by `op` only, of `op`'s result type, element for
  /// element; the other inputs readable before that producer.
  static std::optional<unsigned> anchorInput(Operation *op) {
    for (OpOperand &use : op->getOpOperands()) {
      Value value = use.get();
      Operation *producer = value.getDefiningOp();
      if (!producer || !producer->hasTrait<ElementwiseEpilogue>() ||
          !value.hasOneUse() || value.getType() != op->getResult(0).getType() ||
          !readsElementForElement(op, use.getOperandNumber()))
        continue;
      if (llvm::all_of(op->getOperands(), [&](Value other) {
            return other == value || availableBefore(other, producer);
          }))
        return use.getOperandNumber();
    }
    return std::nullopt;
  }

  static void fuse(Operation *op) {
    std::optional<unsigned> anchor = anchorInput(op);
    if (!anchor)
      return;
    Value value = op->getOperand(*anchor);
    SmallVector<Value> inputs = {value};
    for (Value operand : op->getOperands())
      if (operand != value && !llvm::is_contained(inputs, operand))
        inputs.push_back(operand);

    OpBuilder builder(op->getContext());
    builder.setInsertionPointAfter(value.getDefiningOp());
    auto epilogue = FusedOp::create(builder, op->getLoc(),
                                    op->getResultTypes(), inputs,
                                    /*epilogue=*/true);
    buildElementwiseBody(builder, epilogue.getBody(), inputs, op);
    op->getResult(0).replaceAllUsesWith(epilogue.getResult(0));
    op->erase();
  }
};

} // namespace

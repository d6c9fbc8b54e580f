//===- FuseLoss.cpp - The loss and its gradient in one kernel -------------===//
//
// The cross-entropy's gradient rule emits dl.cross_entropy_with_grad, which
// computes the loss too. The forward dl.cross_entropy of the same logits,
// labels and reduction then computes nothing new: its readers take the
// fused op's loss instead, when they all come after it.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSELOSS
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

struct DlFuseLossPass : public mlir::dl::impl::DlFuseLossBase<DlFuseLossPass> {
  void runOnOperation() override {
    SmallVector<CrossEntropyOp> losses;
    getOperation().walk([&](CrossEntropyOp op) { losses.push_back(op); });
    for (CrossEntropyOp loss : losses) {
      for (Operation *user : loss.getLogits().getUsers()) {
        auto fused = dyn_cast<CrossEntropyWithGradOp>(user);
        if (!fused || fused.getLabels() != loss.getLabels() ||
            fused.getReduction() != loss.getReduction() ||
            fused->getBlock() != loss->getBlock())
          continue;
        bool after = llvm::all_of(loss->getUsers(), [&](Operation *reader) {
          return fused->isBeforeInBlock(reader);
        });
        if (!after)
          continue;
        loss.getResult().replaceAllUsesWith(fused.getLoss());
        loss->erase();
        break;
      }
    }
  }
};

} // namespace

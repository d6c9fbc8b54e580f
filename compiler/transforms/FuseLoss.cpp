//===- FuseLoss.cpp - The loss and its gradient in one kernel -------------===//
//
// The cross-entropy's gradient rule emits dl.cross_entropy_with_grad, which
// computes the loss too. The forward dl.cross_entropy of the same logits,
// labels and reduction then computes nothing new: its readers take the
// fused op's loss instead, when they all come after it. A dl.accuracy of the
// same logits and labels becomes the fused op's third result the same way:
// the row maximum the loss needs is the argmax the metric needs.
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

    SmallVector<AccuracyOp> metrics;
    getOperation().walk([&](AccuracyOp op) { metrics.push_back(op); });
    for (AccuracyOp metric : metrics)
      for (Operation *user : metric.getLogits().getUsers()) {
        auto fused = dyn_cast<CrossEntropyWithGradOp>(user);
        if (!fused || fused.getAccuracy() ||
            fused.getLabels() != metric.getLabels() ||
            fused->getBlock() != metric->getBlock() ||
            !llvm::all_of(metric->getUsers(), [&](Operation *reader) {
              return fused->isBeforeInBlock(reader);
            }))
          continue;
        OpBuilder b(fused);
        auto withMetric = CrossEntropyWithGradOp::create(
            b, fused.getLoc(), fused.getLoss().getType(),
            fused.getDlogits().getType(), metric.getType(), fused.getLogits(),
            fused.getLabels(), fused.getDloss(), fused.getReduction());
        fused.getLoss().replaceAllUsesWith(withMetric.getLoss());
        fused.getDlogits().replaceAllUsesWith(withMetric.getDlogits());
        metric.getResult().replaceAllUsesWith(withMetric.getAccuracy());
        fused->erase();
        metric->erase();
        break;
      }
  }
};

} // namespace

//===- FuseSoftmaxPrologue.cpp - A softmax's input computed in its kernel -===//
//
// After elementwise fusion: the op or dl.fused region that computes a
// softmax's input, when the softmax is its only reader, moves into a
// dl.fused_softmax as the body the kernel evaluates at each read.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/FusionSupport.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSESOFTMAXPROLOGUE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

struct DlFuseSoftmaxProloguePass
    : public mlir::dl::impl::DlFuseSoftmaxPrologueBase<
          DlFuseSoftmaxProloguePass> {
  using DlFuseSoftmaxPrologueBase::DlFuseSoftmaxPrologueBase;

  void runOnOperation() override {
    SmallVector<Operation *> softmaxes;
    getOperation().walk([&](Operation *op) {
      if (isa<SoftmaxOp, LogSoftmaxOp>(op))
        softmaxes.push_back(op);
    });
    for (Operation *softmax : softmaxes)
      fuse(softmax);
  }

  /// Whether the ops of a prologue may run three times per element: few,
  /// and no dropout (its mask would be drawn three times).
  bool isCheapToRepeat(ArrayRef<Operation *> ops) const {
    unsigned computing = 0;
    for (Operation *op : ops) {
      if (isa<DropoutOp>(op))
        return false;
      computing += op->hasTrait<BroadcastElementwise>();
    }
    return computing <= maxOps;
  }

  void fuse(Operation *softmax) {
    Value input = softmax->getOperand(0);
    Operation *producer = input.getDefiningOp();
    if (!producer || !input.hasOneUse() || producer->getNumResults() != 1)
      return;
    auto fused = dyn_cast<FusedOp>(producer);
    bool elementwise = producer->hasTrait<BroadcastElementwise>() && !fused &&
                       !isa<BroadcastToOp>(producer);
    if (!fused && !elementwise)
      return;
    SmallVector<Operation *> body;
    if (fused)
      for (Operation &op : fused.getBody().front().without_terminator())
        body.push_back(&op);
    else
      body.push_back(producer);
    if (!isCheapToRepeat(body))
      return;

    OpBuilder builder(softmax);
    llvm::SetVector<Value> inputs(producer->operand_begin(),
                                  producer->operand_end());
    auto axis = softmax->getAttrOfType<IntegerAttr>("axis");
    auto result = FusedSoftmaxOp::create(
        builder, softmax->getLoc(), softmax->getResult(0).getType(),
        inputs.getArrayRef(), axis.getInt(), isa<LogSoftmaxOp>(softmax));
    buildElementwiseBody(builder, result.getBody(), inputs.getArrayRef(),
                         producer);
    softmax->getResult(0).replaceAllUsesWith(result.getResult());
    softmax->erase();
    producer->erase();
  }
};

} // namespace

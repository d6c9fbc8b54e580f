//===- LegalizeForPlan.cpp - Ops into the forms plan steps execute --------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLLEGALIZEFORPLAN
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// True when `operand`'s batch dimensions (all but the last two, aligned at
/// the right) either equal `batch` or are all 1: a GEMM step then walks it
/// with one batch stride, or 0.
bool hasGemmBatchLayout(RankedTensorType operand, ArrayRef<int64_t> batch) {
  ArrayRef<int64_t> own = operand.getShape().drop_back(2);
  if (llvm::all_of(own, [](int64_t d) { return d == 1; }))
    return true;
  if (own.size() > batch.size())
    return false;
  // Leading dimensions missing from the operand count as 1.
  ArrayRef<int64_t> aligned = batch.take_back(own.size());
  ArrayRef<int64_t> extra = batch.drop_back(own.size());
  return own == aligned &&
         llvm::all_of(extra, [](int64_t d) { return d == 1; });
}

struct DlLegalizeForPlanPass
    : public mlir::dl::impl::DlLegalizeForPlanBase<DlLegalizeForPlanPass> {
  void runOnOperation() override {
    getOperation().walk([](MatmulOp op) {
      auto result = cast<RankedTensorType>(op.getType());
      ArrayRef<int64_t> batch = result.getShape().drop_back(2);
      for (OpOperand &operand : op->getOpOperands()) {
        auto type = cast<RankedTensorType>(operand.get().getType());
        if (hasGemmBatchLayout(type, batch))
          continue;
        SmallVector<int64_t> shape(batch);
        llvm::append_range(shape, type.getShape().take_back(2));
        OpBuilder builder(op);
        auto full = BroadcastToOp::create(
            builder, op.getLoc(),
            RankedTensorType::get(shape, type.getElementType()),
            operand.get());
        operand.set(full);
      }
    });
  }
};

} // namespace

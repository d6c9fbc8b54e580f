//===- FuseEpilogue.cpp - Bias and ReLU into the GEMM ---------------------===//
//
// add(matmul(a, b), bias) and relu of it become one dl.matmul_bias, which
// the plan writer lowers to a GEMM with the Bias or BiasRelu epilogue.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEEPILOGUE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// The matmul and bias of `add` when it adds a bias vector of the product's
/// last dimension to a product nothing else reads.
std::optional<std::pair<MatmulOp, Value>> biasAdd(AddOp add) {
  for (unsigned i = 0; i < 2; ++i) {
    auto matmul = add.getOperand(i).getDefiningOp<MatmulOp>();
    Value bias = add.getOperand(1 - i);
    if (!matmul || !matmul->hasOneUse())
      continue;
    auto product = cast<RankedTensorType>(matmul.getType());
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (!isa<FloatType>(product.getElementType()) ||
        add.getType() != product || biasType.getRank() != 1 ||
        biasType.getDimSize(0) != product.getShape().back() ||
        biasType.getElementType() != product.getElementType())
      continue;
    return std::make_pair(matmul, bias);
  }
  return std::nullopt;
}

struct DlFuseEpiloguePass
    : public mlir::dl::impl::DlFuseEpilogueBase<DlFuseEpiloguePass> {
  void runOnOperation() override {
    SmallVector<AddOp> adds;
    getOperation().walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds) {
      std::optional<std::pair<MatmulOp, Value>> found = biasAdd(add);
      if (!found)
        continue;
      auto [matmul, bias] = *found;
      // The ReLU joins when it is the sum's only reader.
      Operation *last = add;
      ReluOp relu;
      if (add->hasOneUse())
        relu = dyn_cast<ReluOp>(*add->getUsers().begin());
      if (relu)
        last = relu;
      OpBuilder builder(last);
      auto fused = MatmulBiasOp::create(
          builder, last->getLoc(), add.getType(), matmul.getLhs(),
          matmul.getRhs(), bias, matmul.getTransposeLhs(),
          matmul.getTransposeRhs(), static_cast<bool>(relu));
      last->getResult(0).replaceAllUsesWith(fused.getResult());
      if (relu)
        relu->erase();
      add->erase();
      matmul->erase();
    }
  }
};

} // namespace

//===- FuseEpilogue.cpp - Bias and ReLU into the GEMM ---------------------===//
//
// add(matmul(a, b), bias) and relu of it become one dl.matmul_bias, which
// the plan writer lowers to a GEMM with the Bias or BiasRelu epilogue. In
// the backward pass, the bias gradient reduce_sum(dy, [0]) joins the weight
// gradient matmul(x^T, dy) as dl.matmul_bias_grad: a GEMM with the
// BiasGradB epilogue, which reduces dy while the product reads it.
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

/// Folds `sum` (a reduce_sum over dimension 0 of a matrix) into a matmul
/// that reads the same matrix as its untransposed right operand, when the
/// sum's readers all come after that matmul, where the fused op stands.
bool fuseBiasGradient(ReduceSumOp sum) {
  auto input = cast<RankedTensorType>(sum.getInput().getType());
  if (input.getRank() != 2 || sum.getAxes() != ArrayRef<int64_t>{0} ||
      sum.getKeepdims() || !isa<FloatType>(input.getElementType()))
    return false;
  for (Operation *user : sum.getInput().getUsers()) {
    auto matmul = dyn_cast<MatmulOp>(user);
    if (!matmul || matmul.getRhs() != sum.getInput() ||
        matmul.getTransposeRhs() ||
        cast<RankedTensorType>(matmul.getLhs().getType()).getRank() != 2 ||
        matmul->getBlock() != sum->getBlock() ||
        !llvm::all_of(sum->getUsers(), [&](Operation *reader) {
          return matmul->isBeforeInBlock(reader);
        }))
      continue;
    OpBuilder builder(matmul);
    auto fused = MatmulBiasGradOp::create(
        builder, matmul.getLoc(), matmul.getType(), sum.getType(),
        matmul.getLhs(), matmul.getRhs(), matmul.getTransposeLhs());
    matmul.getResult().replaceAllUsesWith(fused.getResult());
    sum.getResult().replaceAllUsesWith(fused.getBiasGrad());
    matmul->erase();
    sum->erase();
    return true;
  }
  return false;
}

struct DlFuseEpiloguePass
    : public mlir::dl::impl::DlFuseEpilogueBase<DlFuseEpiloguePass> {
  void runOnOperation() override {
    SmallVector<ReduceSumOp> sums;
    getOperation().walk([&](ReduceSumOp sum) { sums.push_back(sum); });
    for (ReduceSumOp sum : sums)
      fuseBiasGradient(sum);

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

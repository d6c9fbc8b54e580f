//===- InferenceMode.cpp - The entry function as used after training ------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLINFERENCEMODE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// The result names the train section added: the loss and every metric.
llvm::StringSet<> trainingResultNames(ModuleOp module) {
  llvm::StringSet<> names;
  auto train = module->getAttrOfType<DictionaryAttr>("dl.train");
  if (!train)
    return names;
  if (auto loss = train.getAs<StringAttr>("loss"))
    names.insert(loss.getValue());
  if (auto metrics = train.getAs<ArrayAttr>("metrics"))
    for (auto metric : metrics.getAsRange<StringAttr>())
      names.insert(metric.getValue());
  return names;
}

/// Dropout is the identity and batch normalization uses the running
/// statistics, which it therefore no longer updates.
void useEvaluationForms(func::FuncOp func) {
  func.walk([](DropoutOp op) {
    op.getResult().replaceAllUsesWith(op.getInput());
    op.erase();
  });
  func.walk([](BatchNormTrainingOp op) {
    OpBuilder builder(op);
    auto inference = BatchNormInferenceOp::create(
        builder, op.getLoc(), op.getInput(), op.getScale(), op.getBias(),
        op.getRunningMean(), op.getRunningVariance(), op.getEpsilonAttr());
    op.getResult().replaceAllUsesWith(inference.getResult());
    op.getNewRunningMean().replaceAllUsesWith(op.getRunningMean());
    op.getNewRunningVariance().replaceAllUsesWith(op.getRunningVariance());
    op.erase();
  });
  // Storing a parameter's own value, with no other store in between, changes
  // nothing.
  llvm::StringMap<Operation *> lastStore;
  SmallVector<StoreParamOp> noOps;
  for (Operation &op : func.getBody().front()) {
    auto store = dyn_cast<StoreParamOp>(op);
    if (!store)
      continue;
    auto load = store.getValue().getDefiningOp<LoadParamOp>();
    StringRef name = store.getName();
    if (load && load.getName() == name &&
        (!lastStore.count(name) || lastStore[name]->isBeforeInBlock(load)))
      noOps.push_back(store);
    lastStore[name] = store;
  }
  for (StoreParamOp store : noOps)
    store.erase();
}

void eraseDeadOps(func::FuncOp func) {
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

struct DlInferenceModePass
    : public mlir::dl::impl::DlInferenceModeBase<DlInferenceModePass> {
  using DlInferenceModeBase::DlInferenceModeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(function);
    if (!func) {
      module.emitError("the module has no function @") << function;
      return signalPassFailure();
    }
    // Only inputs that this pass leaves unused go (the labels); an input the
    // model never read stays part of its interface.
    llvm::BitVector usedBefore(func.getNumArguments());
    for (BlockArgument arg : func.getArguments())
      usedBefore[arg.getArgNumber()] = !arg.use_empty();
    useEvaluationForms(func);
    if (!keepMetrics) {
      llvm::StringSet<> dropped = trainingResultNames(module);
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      llvm::BitVector erase(func.getNumResults());
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        if (auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name"))
          erase[i] = dropped.contains(name.getValue());
      for (int i = func.getNumResults() - 1; i >= 0; --i)
        if (erase[i])
          ret->eraseOperand(i);
      if (failed(func.eraseResults(erase)))
        return signalPassFailure();
    }
    eraseDeadOps(func);
    llvm::BitVector unused(func.getNumArguments());
    for (BlockArgument arg : func.getArguments())
      unused[arg.getArgNumber()] =
          usedBefore[arg.getArgNumber()] && arg.use_empty();
    if (failed(func.eraseArguments(unused)))
      return signalPassFailure();
  }
};

} // namespace

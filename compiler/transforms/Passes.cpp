//===- Passes.cpp - Pipelines of the dlc compiler -------------------------===//

#include "compiler/transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

static void addBackEnd(mlir::OpPassManager &pm, bool fuse) {
  using namespace mlir;
  using namespace mlir::dl;
  pm.addNestedPass<func::FuncOp>(createDlLegalizeForPlan());
  if (fuse) {
    pm.addNestedPass<func::FuncOp>(createDlFuseLoss());
    pm.addNestedPass<func::FuncOp>(createDlFuseEpilogue());
    pm.addNestedPass<func::FuncOp>(createDlFuseElementwise());
    pm.addNestedPass<func::FuncOp>(createDlFuseSoftmaxPrologue());
    pm.addNestedPass<func::FuncOp>(createDlFuseAttention());
    pm.addNestedPass<func::FuncOp>(createDlFuseKernelEpilogue());
    pm.addNestedPass<func::FuncOp>(createDlFuseAttentionGrad());
  }
  pm.addNestedPass<func::FuncOp>(createDlPlanMemory());
}

void mlir::dl::buildPlanPipeline(OpPassManager &pm, bool inference,
                                 bool fuse) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (inference) {
    pm.addPass(createDlInferenceMode());
    pm.addPass(createCanonicalizerPass());
  }
  addBackEnd(pm, fuse);
}

mlir::LogicalResult mlir::dl::prepareForPlan(ModuleOp module, PlanKind kind) {
  using namespace mlir;
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return module.emitError("the module has no entry function @forward");
  if (kind == PlanKind::Training) {
    func::FuncOp copy = forward.clone();
    copy.setSymName("inference");
    module.push_back(copy);
  }
  return success();
}

void mlir::dl::buildPipeline(OpPassManager &pm, PlanKind kind, bool fuse,
                             bool convGemm) {
  using namespace mlir;
  // Before autodiff, so the gradients are GEMMs too.
  if (convGemm)
    pm.addNestedPass<func::FuncOp>(createDlConvToGemm());
  switch (kind) {
  case PlanKind::Inference:
    return buildPlanPipeline(pm, /*inference=*/true, fuse);
  case PlanKind::Training:
    return buildTrainPipeline(pm, fuse);
  case PlanKind::Gradients:
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(createDlAutodiff());
    return buildPlanPipeline(pm, /*inference=*/false, fuse);
  }
}

void mlir::dl::buildTrainPipeline(OpPassManager &pm, bool fuse) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createDlAutodiff());
  pm.addPass(createDlOptimizer());
  pm.addPass(createDlInferenceMode({/*keepMetrics=*/true, "forward"}));
  pm.addPass(createDlInferenceMode({/*keepMetrics=*/false, "inference"}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBackEnd(pm, fuse);
}

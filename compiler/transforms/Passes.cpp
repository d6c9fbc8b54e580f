//===- Passes.cpp - Pipelines of the dlc compiler -------------------------===//

#include "compiler/transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

void mlir::dl::buildPlanPipeline(OpPassManager &pm, bool inference) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (inference) {
    pm.addPass(createDlInferenceMode());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addNestedPass<func::FuncOp>(createDlLegalizeForPlan());
  pm.addNestedPass<func::FuncOp>(createDlFuseElementwise());
  pm.addNestedPass<func::FuncOp>(createDlPlanMemory());
}

void mlir::dl::buildTrainPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createDlAutodiff());
  pm.addPass(createDlOptimizer());
  pm.addPass(createDlInferenceMode({/*keepMetrics=*/true, "forward"}));
  pm.addPass(createDlInferenceMode({/*keepMetrics=*/false, "inference"}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createDlLegalizeForPlan());
  pm.addNestedPass<func::FuncOp>(createDlFuseElementwise());
  pm.addNestedPass<func::FuncOp>(createDlPlanMemory());
}

//===- CompileModule.h - A frontend's module through the compiler -*- C++ -*-===//
//
// The DSL and ONNX fuzz targets hand what their frontend accepts to the
// rest of the compiler, as dlc would: the training pipeline when the model
// trains, the inference one otherwise, then the plan writer and the
// runtime's loader. Any of it may reject the module with a diagnostic;
// none of it may crash.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TEST_FUZZ_COMPILEMODULE_H
#define DLC_TEST_FUZZ_COMPILEMODULE_H

#include "compiler/codegen/PlanWriter.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlDialect.h"
#include "dlc/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

namespace dlc::fuzz {

/// One context for the whole run, with every diagnostic swallowed: the
/// fuzzer judges crashes, not messages.
inline mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registry.insert<mlir::dl::DlDialect, mlir::func::FuncDialect>();
    auto *c = new mlir::MLIRContext(registry,
                                    mlir::MLIRContext::Threading::DISABLED);
    c->loadAllAvailableDialects();
    c->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    return c;
  }();
  return *ctx;
}

/// The steps of dlc -o model.dlp (with --train when the model trains),
/// through the same functions dlc calls.
inline void compileModule(mlir::ModuleOp module) {
  using mlir::dl::PlanKind;
  PlanKind kind = module->hasAttr("dl.train") ? PlanKind::Training
                                              : PlanKind::Inference;
  if (mlir::failed(mlir::dl::prepareForPlan(module, kind)))
    return;
  mlir::PassManager pm(module.getContext());
  mlir::dl::buildPipeline(pm, kind);
  if (mlir::failed(pm.run(module)))
    return;
  auto programs = planPrograms(module, kind);
  if (mlir::failed(programs))
    return;
  auto bytes = writePlan(module, *programs);
  if (mlir::succeeded(bytes))
    (void)rt::Plan::fromBytes(*bytes, "fuzz");
}

} // namespace dlc::fuzz

#endif // DLC_TEST_FUZZ_COMPILEMODULE_H

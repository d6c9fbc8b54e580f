//===- Passes.h - The dlc compiler passes -----------------------*- C++ -*-===//

#ifndef DLC_COMPILER_TRANSFORMS_PASSES_H
#define DLC_COMPILER_TRANSFORMS_PASSES_H

#include "dialects/dl/DlDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dl {

#define GEN_PASS_DECL
#include "compiler/transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/transforms/Passes.h.inc"

/// What `dlc -o model.dlp` runs before writing a plan: canonicalization and
/// CSE, the inference form (for an inference plan), legalization, fusion
/// (unless `fuse` is false) and memory planning.
void buildPlanPipeline(OpPassManager &pm, bool inference, bool fuse = true);

/// What `dlc --train` runs: @forward differentiated and updated by the
/// optimizer into @train, @forward itself in evaluation form (loss and
/// metrics, no update) and @inference (a copy of @forward made beforehand)
/// in inference form; then legalization, fusion and memory planning of all
/// three.
void buildTrainPipeline(OpPassManager &pm, bool fuse = true);

/// What a plan is compiled for: inference (dlc), training (dlc --train) or
/// the gradients alone (dlc --gradients).
enum class PlanKind { Inference, Training, Gradients };

/// Prepares `module` for the pipeline of `kind`: a training plan's
/// @inference starts as a copy of @forward. Fails, with a diagnostic, when
/// there is no @forward.
LogicalResult prepareForPlan(ModuleOp module, PlanKind kind);

/// The pipeline of `kind`, after prepareForPlan; `convGemm` writes
/// convolutions as im2col and a GEMM first (dl-conv-to-gemm).
void buildPipeline(OpPassManager &pm, PlanKind kind, bool fuse = true,
                   bool convGemm = false);

} // namespace mlir::dl

#endif // DLC_COMPILER_TRANSFORMS_PASSES_H

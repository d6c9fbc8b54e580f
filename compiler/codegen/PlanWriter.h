//===- PlanWriter.h - The dl dialect to a plan file -------------*- C++ -*-===//
//
// Serializes memory-planned entry functions (after `dl-plan-memory`) into the
// FlatBuffers plan that dlrun executes: tensors with their arenas and
// offsets, parameter initializers, constant data and one program of steps per
// function.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_CODEGEN_PLANWRITER_H
#define DLC_COMPILER_CODEGEN_PLANWRITER_H

#include "compiler/transforms/Passes.h"
#include "dlc/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace dlc {

/// One program of the plan: a planned function and the name dlrun knows it by
/// ("inference", "train", "eval").
struct PlanProgram {
  std::string name;
  mlir::func::FuncOp func;
};

/// The programs a plan of `kind` holds, from the module its pipeline
/// compiled: `train`, `eval` and `inference` for training, `gradients`, or
/// `inference`. Fails, with a diagnostic, when a function is missing.
mlir::FailureOr<std::vector<PlanProgram>>
planPrograms(mlir::ModuleOp module, mlir::dl::PlanKind kind);

/// Choices the plan writer makes.
struct PlanOptions {
  /// Launch consecutive elementwise kernels that touch disjoint bytes as
  /// one kernel (horizontal fusion).
  bool groupKernels = true;
  /// When set, parameters with values (imported initializers) start from
  /// zeros in the plan and their values go here instead, for a safetensors
  /// file that dlrun --params loads: large models keep small plans.
  rt::TensorFile *externalValues = nullptr;
};

/// The bytes of the plan, or failure after a diagnostic at the op that has
/// no plan step.
mlir::FailureOr<std::vector<uint8_t>>
writePlan(mlir::ModuleOp module, llvm::ArrayRef<PlanProgram> programs,
          const PlanOptions &options = {});

} // namespace dlc

#endif // DLC_COMPILER_CODEGEN_PLANWRITER_H

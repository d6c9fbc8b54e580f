//===- MLIRGen.h - From the DSL syntax tree to the dl dialect ---*- C++ -*-===//

#ifndef DLC_FRONTENDS_DSL_MLIRGEN_H
#define DLC_FRONTENDS_DSL_MLIRGEN_H

#include "frontends/dsl/AST.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include <optional>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace dlc::dsl {

struct MLIRGenOptions {
  /// Replaces the value of the model's `const batch` (`dlc --batch N`).
  std::optional<int64_t> batch;
};

/// Lowers a parsed model to a module of dl ops: `dl.param` symbols, one
/// `func.func @forward` whose arguments are the inputs and whose results are
/// the outputs (then the loss and metrics when there is a `train` section),
/// and the training settings as the module attribute `dl.train`. Errors are
/// emitted as MLIR diagnostics at file:line:col; returns null after any.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const Module &module,
                                          const MLIRGenOptions &options);

} // namespace dlc::dsl

#endif // DLC_FRONTENDS_DSL_MLIRGEN_H

//===- Passes.td - The dlc compiler passes -----------------*- tablegen -*-===//

#ifndef DLC_COMPILER_TRANSFORMS_PASSES_TD
#define DLC_COMPILER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DlInferenceMode : Pass<"dl-inference-mode", "::mlir::ModuleOp"> {
  let summary = "turns the entry function into its inference form";
  let description = [{
    Evaluates the model the way it is used after training: `dl.dropout`
    passes its input through, `dl.batch_norm_training` becomes
    `dl.batch_norm_inference` on the running statistics (which are then no
    longer written), and, unless `keep-metrics` is set, the loss and metric
    results named by the `dl.train` attribute are dropped together with the
    inputs only they used (the labels).
  }];
  let options = [
    Option<"keepMetrics", "keep-metrics", "bool", "false",
           "keep the loss and metric results (the evaluation step)">,
  ];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlAutodiff : Pass<"dl-autodiff", "::mlir::ModuleOp"> {
  let summary = "adds @train: the forward pass and every parameter's gradient";
  let description = [{
    Clones the entry function `@forward` into `@train` and appends the
    reverse-mode derivative of the loss (the result the `dl.train` attribute
    names) with respect to every trainable parameter (`dl.param` with the
    role `parameter`). Each op's gradient rule comes from its
    `DifferentiableOpInterface`; the pass visits the ops in reverse and adds
    up the gradients of values used more than once. `@train` returns what
    `@forward` returns followed by one gradient per parameter, named
    `grad:<parameter>`. An op without a gradient rule between the loss and a
    parameter is an error at that op.
  }];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlLegalizeForPlan : Pass<"dl-legalize-for-plan", "::mlir::func::FuncOp"> {
  let summary = "rewrites ops into the forms the plan's steps execute";
  let description = [{
    A plan's GEMM step broadcasts a whole operand over the batch or not at
    all. A `dl.matmul` operand whose batch dimensions broadcast only in part
    (`[4, 1, 8, 8]` against `[4, 3, 8, 8]`) is first materialized with
    `dl.broadcast_to`.
  }];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlPlanMemory : Pass<"dl-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "assigns every activation an offset in one arena";
  let description = [{
    Computes when each tensor the function makes is alive (from the op that
    defines it to its last use; inputs from the start, results to the end),
    lets an elementwise op write into an operand of the same size that dies
    there, and places the rest in one arena with `planArena` (greedy by size,
    best fit). `dl.reshape` is a view: it shares its operand's bytes.

    Results are annotated with `dl.offsets` (one offset per result),
    arguments with `dl.offset`, and the function with `dl.arena_size` and
    `dl.naive_size` (the bytes one buffer per tensor would need). Values read
    from parameters or constants are not in this arena and get no offset.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "256",
           "the alignment of every offset in bytes">,
  ];
}

#endif // DLC_COMPILER_TRANSFORMS_PASSES_TD

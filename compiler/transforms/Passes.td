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
    Option<"function", "function", "std::string", "\"forward\"",
           "the function to transform">,
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

def DlOptimizer : Pass<"dl-optimizer", "::mlir::ModuleOp"> {
  let summary = "turns @train's gradients into parameter updates";
  let description = [{
    Reads the optimizer, the learning-rate schedule and `clip_norm` from the
    `dl.train` attribute and replaces each `grad:<parameter>` result of
    `@train` (from `dl-autodiff`) by the update of that parameter, written
    with `dl.store_param` at the end of the step:

    - `sgd(lr, momentum, nesterov, weight_decay)`: PyTorch's SGD (the
      momentum buffer starts at the first gradient, no dampening);
    - `adam(lr, beta1, beta2, eps, weight_decay)`: Adam with bias correction
      and L2 weight decay added to the gradient;
    - `adamw(...)`: Adam with decoupled weight decay, `p -= lr wd p`.

    The schedule is computed in the graph from a step counter
    (`@optimizer.step`, counting from 1 at the first update): `constant`,
    `step(step_size, gamma)` (`lr gamma^floor((t-1)/step_size)`) and
    `cosine(warmup, total_steps, min_lr)` (linear warm-up to `lr`, then a
    half cosine to `min_lr` at `total_steps`). With `clip_norm` every
    gradient is scaled by `min(1, clip_norm / (global norm + 1e-6))` first.
    Optimizer state (`<parameter>.momentum`, `<parameter>.m`,
    `<parameter>.v`) is added as `dl.param`s with the role
    `optimizer_state`, zero-initialized, so the memory planner and
    checkpoints see it like any parameter.
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

def DlConvToGemm : Pass<"dl-conv-to-gemm", "::mlir::func::FuncOp"> {
  let summary = "writes convolutions as im2col and one GEMM";
  let description = [{
    `dl.conv2d` with one group becomes `dl.im2col` of the input (a row per
    output pixel, `[N * Ho * Wo, C * kH * kW]`), a `dl.matmul` with the
    weight viewed as `[O, C * kH * kW]` (transposed), the bias added to the
    `[N * Ho * Wo, O]` product (a GEMM epilogue after dl-fuse-epilogue), and
    a transpose back to NCHW. Before autodiff, the gradients follow: the
    weight gradient is one GEMM over all pixels of the batch, the input
    gradient a GEMM and `dl.col2im`. `dlc --conv=gemm` runs it.
  }];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseEpilogue : Pass<"dl-fuse-epilogue", "::mlir::func::FuncOp"> {
  let summary = "folds bias adds and activations into the GEMM or convolution before them";
  let description = [{
    `dl.add(dl.matmul(a, b), bias)`, with `bias` a vector of the product's
    last dimension and the product read by nothing else, becomes
    `dl.matmul_bias a, b, bias`; a `dl.relu` that is the sum's only reader
    joins as the `relu` epilogue. The plan writer lowers it to one GEMM step
    with the Bias or BiasRelu epilogue (cuBLASLt's on the GPU), so neither
    the product nor the sum makes a round trip through memory. In the
    backward pass, `dl.reduce_sum(dy, [0])` joins a `dl.matmul` reading `dy`
    as its untransposed right operand as `dl.matmul_bias_grad` (the bias
    gradient beside the weight gradient), and an add of a
    `dl.layer_norm_grad`'s input gradient and a value that exists before it
    (a residual branch's gradient) becomes that op's `addend`; so does a
    residual added to a `dl.matmul_bias` when it exists before the GEMM,
    which reads it as cuBLASLt's C. A `dl.relu` that is a `dl.conv2d`'s only
    reader becomes the convolution's `relu` epilogue, and a convolution's
    bias gradient (`dl.reduce_sum(dy, [0, 2, 3])`) joins the
    `dl.conv2d_grad_weight` of the same `dy` as
    `dl.conv2d_grad_weight_bias`. Runs before
    `dl-fuse-elementwise`, which would otherwise take the adds.
  }];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseLoss : Pass<"dl-fuse-loss", "::mlir::func::FuncOp"> {
  let summary = "computes a loss and its gradient in one kernel";
  let description = [{
    `dl.cross_entropy_with_grad` (what the cross-entropy's gradient rule
    emits) computes the loss as well as the gradient. A `dl.cross_entropy`
    of the same logits, labels and reduction whose readers all come after it
    is replaced by that loss, so the forward loss, the softmax and the
    gradient are one kernel.
  }];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseElementwise : Pass<"dl-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "merges chains and DAGs of elementwise ops into dl.fused";
  let description = [{
    Walks the function in order and puts each elementwise op (an op with the
    `BroadcastElementwise` trait, or a `dl.broadcast_to` of a value from
    outside) into the group of the ops that produce its operands, when those
    have its result shape: producer into consumer, and several producers at
    once, so a DAG becomes one region. Each group of two or more ops becomes
    a `dl.fused` whose body computes them element by element: one kernel,
    intermediate values never stored.

    Nothing is computed twice: a value used outside its group becomes one of
    the region's results. A group joins a consumer only if every op outside
    the group that reads the group's values comes after the consumer (where
    the region will stand), which keeps the function acyclic, and only while
    the region stays within the size limits (`max-ops` ops, `max-inputs`
    inputs): beyond them register pressure and launch arguments cost more
    than the saved memory traffic. Values of another shape stay outside and
    are read with broadcasting, so a bias or a scalar joins as an input.

    View ops (`dl.slice`, `dl.transpose`, `dl.reshape`, `dl.broadcast_to`)
    of a value in memory start a chain that each next view of the chain's
    end (its only reader) extends while the chain stays a strided read; a
    consumer joins a chain like any group, and the chain becomes a strided
    load of the region's input. A chain with a slice or a transpose that no
    elementwise op joins is outlined alone: one copy kernel where there was
    one per view op. A view never applies to a value the region computes.
  }];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", "64",
           "the most ops one region may hold">,
    Option<"maxInputs", "max-inputs", "unsigned", "16",
           "the most inputs one region may read">,
  ];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseSoftmaxPrologue
    : Pass<"dl-fuse-softmax-prologue", "::mlir::func::FuncOp"> {
  let summary = "computes a softmax's input inside the softmax kernel";
  let description = [{
    A `dl.softmax` or `dl.log_softmax` whose input an elementwise op or a
    `dl.fused` region computes, read by nothing else, becomes one
    `dl.fused_softmax` whose body is that computation: the kernel evaluates
    it wherever the softmax reads an input element, so the input is never
    written (attention's scaled and masked scores). The softmax reads each
    element three times (maximum, sum, result), so the body runs three
    times: regions over `max-ops` ops, and ones that draw dropout masks,
    stay apart.
  }];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", "8",
           "the most ops a softmax's prologue may hold">,
  ];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseAttention : Pass<"dl-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "attention's two products and softmax as one kernel";
  let description = [{
    `dl.matmul %q, %k {transpose_rhs}`, a `dl.softmax` over the last axis
    of the scores (or a `dl.fused_softmax` reading them, whose body then
    modifies each score: scale, causal mask) and `dl.matmul` of the
    probabilities by `%v` become one `dl.fused_attention` when nothing else
    reads the scores, the three share their leading dimensions, and the
    kernel's shared memory (`max-shared-bytes`) holds a head's keys and
    values, or else a tile of them beside a block's query rows (long
    contexts: the kernel then sweeps the keys tile by tile with an online
    softmax). Probabilities that others read too (training's
    backward pass) become the op's second result, which the kernel writes.
    A copy of the result with its heads and rows swapped, its only reader
    (a multi-head layer merging its heads), becomes `merge_heads`: the
    kernel stores each row where the copy would.
  }];
  let options = [
    Option<"maxSharedBytes", "max-shared-bytes", "unsigned", "40960",
           "the most shared memory the kernel's keys, values and rows may "
           "take">,
  ];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseAttentionGrad
    : Pass<"dl-fuse-attention-grad", "::mlir::func::FuncOp"> {
  let summary = "attention's backward pass as one kernel";
  let description = [{
    The backward pass of a `dl.fused_attention` that returns its
    probabilities `%p`: `%dp = dl.matmul %g, %v {transpose_rhs}`,
    `dl.softmax_grad %p, %dp` over the last axis (and the `dl.fused`
    epilogue after it: the mask's and scale's gradient), the products of
    that gradient by `%k` and (transposed) by `%q`, and `%p` transposed by
    `%g`, become one `dl.fused_attention_grad` when nothing else reads the
    intermediate values and a head's rows fit the kernel's shared memory
    (`max-shared-bytes`). Where `%g` is a copy with its heads and rows
    swapped and each gradient's one reader such a copy back (a multi-head
    layer), the op takes `merge_heads` and reads and writes the merged
    layout; where the three merged gradients, reshaped to rows, are then
    concatenated in the order q, k, v (the gradient of one projection split
    into q, k and v), the op writes that concatenation itself.
  }];
  let options = [
    Option<"maxSharedBytes", "max-shared-bytes", "unsigned", "40960",
           "the most shared memory a head's rows and gradients may take">,
  ];
  let dependentDialects = ["::mlir::dl::DlDialect"];
}

def DlFuseKernelEpilogue
    : Pass<"dl-fuse-kernel-epilogue", "::mlir::func::FuncOp"> {
  let summary = "runs elementwise ops inside the kernel before them";
  let description = [{
    An elementwise op or `dl.fused` region with one result that reads the
    result of an op whose kernel can apply an epilogue (the
    `ElementwiseEpilogue` trait: softmax's, pooling's and convolution's
    input gradients), when nothing else reads that result and the region's
    other inputs exist before that op, becomes a `dl.fused` marked
    `epilogue` standing right after the op: its kernel passes each element
    through the region before storing it, in the same buffer. Attention's
    mask and scale after softmax's backward pass, and a ReLU's gradient after
    a pooling's or convolution's input gradient, are such regions.
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

    An elementwise result whose only use is a `dl.store_param`, into a
    parameter no later op reads, is written straight into the parameter: it
    gets the offset -1 and the store needs no copy.

    Results are annotated with `dl.offsets` (one offset per result),
    arguments with `dl.offset`, and the function with `dl.arena_size` and
    `dl.naive_size` (the bytes one buffer per tensor would need). Values read
    from parameters or constants are not in this arena and get no offset,
    except constants of one repeated value with more than 64 elements, which
    get a buffer and are filled at run time instead of stored in the plan.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "256",
           "the alignment of every offset in bytes">,
  ];
}

#endif // DLC_COMPILER_TRANSFORMS_PASSES_TD

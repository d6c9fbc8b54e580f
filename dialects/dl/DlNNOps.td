//===- DlNNOps.td - Contractions, reductions, normalization, losses ---*-===//

#ifndef DL_NN_OPS_TD
#define DL_NN_OPS_TD

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Dl_MatmulOp : Dl_Op<"matmul",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "batched matrix product with optional transposes";
  let description = [{
    Multiplies the last two dimensions of `lhs` (`[..., M, K]`, or
    `[..., K, M]` with `transpose_lhs`) and `rhs` (`[..., K, N]`, or
    `[..., N, K]` with `transpose_rhs`). Leading batch dimensions broadcast.

    ```mlir
    %y = dl.matmul %x, %w : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
    %s = dl.matmul %q, %k {transpose_rhs}
        : (tensor<4x16x8xf32>, tensor<4x16x8xf32>) -> tensor<4x16x16xf32>
    ```
  }];
  let arguments = (ins Dl_NumericTensor:$lhs, Dl_NumericTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Dl_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasCanonicalizer = 1;
}

def Dl_Conv2dOp : Dl_Op<"conv2d",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable, Dl_ElementwiseEpilogue]> {
  let summary = "2-D convolution (cross-correlation), NCHW";
  let description = [{
    `input` is `[N, C, H, W]`, `weight` `[O, C/groups, kH, kW]`, the optional
    `bias` `[O]`. `padding` is `[top, left, bottom, right]` (the ONNX order).
    The output is `[N, O, Ho, Wo]` with
    `Ho = (H + top + bottom - dilation[0]*(kH-1) - 1) / stride[0] + 1`.
    With `relu`, the result is clamped at 0 after the bias is added (the
    kernel's epilogue; `dl-fuse-epilogue` folds a `dl.relu` in).

    ```mlir
    %y = dl.conv2d %x, %w, %b padding = [1, 1, 1, 1]
        : (tensor<64x1x28x28xf32>, tensor<16x1x3x3xf32>, tensor<16xf32>)
        -> tensor<64x16x28x28xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$weight,
      Optional<Dl_FloatTensor>:$bias,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
      DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation,
      DefaultValuedAttr<I64Attr, "1">:$groups, UnitAttr:$relu);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`stride` `=` $stride^)?
    (`padding` `=` $padding^)? (`dilation` `=` $dilation^)?
    (`groups` `=` $groups^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_Im2ColOp : Dl_Op<"im2col",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "a convolution's input windows as the rows of a matrix";
  let description = [{
    For an NCHW `input` and a `kernel` of `[kH, kW]` with the stride,
    padding (top, left, bottom, right) and dilation of `dl.conv2d`: row
    `(n * Ho + y) * Wo + x` holds the window of output pixel `(y, x)` of
    image `n`, element `(c * kH + i) * kW + j` the input at channel `c`, row
    `y * stride[0] - top + i * dilation[0]` and column likewise (zero
    outside). A convolution is then this matrix times its weight viewed as
    `[O, C * kH * kW]`: `dl-conv-to-gemm` rewrites `dl.conv2d` so.

    ```mlir
    %cols = dl.im2col %x kernel = [3, 3] padding = [1, 1, 1, 1]
        : tensor<64x16x28x28xf32> -> tensor<50176x144xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
      DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` `=` $kernel (`stride` `=` $stride^)?
    (`padding` `=` $padding^)? (`dilation` `=` $dilation^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

def Dl_Col2ImOp : Dl_Op<"col2im", [Pure, Dl_Differentiable]> {
  let summary = "the sum of a matrix of windows back into an image";
  let description = [{
    The adjoint of `dl.im2col` with the same attributes: each element of
    `input` (`[N * Ho * Wo, C * kH * kW]`) is added to the image pixel its
    window position reads; the result has the image's NCHW type. The input
    gradient of a convolution written as a GEMM.

    ```mlir
    %dx = dl.col2im %dcols kernel = [3, 3] padding = [1, 1, 1, 1]
        : tensor<50176x144xf32> -> tensor<64x16x28x28xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
      DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
      DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` `=` $kernel (`stride` `=` $stride^)?
    (`padding` `=` $padding^)? (`dilation` `=` $dilation^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

class Dl_Pool2dOp<string mnemonic, string what, dag extraArgs,
                  string extraFormat>
    : Dl_Op<mnemonic, [Pure, InferTypeOpAdaptor, Dl_Differentiable,
                       Dl_ElementwiseEpilogue]> {
  let summary = "2-D " # what # " pooling, NCHW";
  let description = "Pools windows of `kernel` over `[N, C, H, W]`. `stride` "
    "defaults to the kernel; `padding` is `[top, left, bottom, right]`; with "
    "`ceil_mode` a partial window at the end counts.\n\n"
    "```mlir\n%y = dl." # mnemonic # " %x kernel = [2, 2] : "
    "tensor<64x32x28x28xf32> -> tensor<64x32x14x14xf32>\n```";
  let arguments = !con((ins Dl_FloatTensor:$input,
      DenseI64ArrayAttr:$kernel,
      OptionalAttr<DenseI64ArrayAttr>:$stride,
      DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
      UnitAttr:$ceil_mode), extraArgs);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = "$input `kernel` `=` $kernel (`stride` `=` $stride^)? "
    "(`padding` `=` $padding^)? " # extraFormat #
    " attr-dict `:` type($input) `->` type($result)";
  let extraClassDeclaration = [{
    /// The stride, defaulted to the kernel size.
    SmallVector<int64_t, 2> getEffectiveStride() {
      if (auto stride = getStride())
        return SmallVector<int64_t, 2>(*stride);
      return SmallVector<int64_t, 2>(getKernel());
    }
  }];
}

def Dl_MaxPool2dOp : Dl_Pool2dOp<"max_pool2d", "max", (ins), "">;
def Dl_AvgPool2dOp : Dl_Pool2dOp<"avg_pool2d", "average",
    (ins UnitAttr:$count_include_pad), "">;

//===----------------------------------------------------------------------===//
// Gradients of convolution and pooling
//===----------------------------------------------------------------------===//

class Dl_ConvGradOp<string mnemonic, string what, list<Trait> traits = []>
    : Dl_Op<mnemonic, !listconcat([Pure], traits)> {
  let summary = "gradient of dl.conv2d with respect to its " # what;
  let description = "From the gradient of a `dl.conv2d` result (`grad`, "
    "`[N, O, Ho, Wo]`) and the convolution's other operand, the gradient of "
    "its " # what # ", whose type is the result type. The attributes are the "
    "convolution's.";
  let arguments = (ins Dl_FloatTensor:$grad, Dl_FloatTensor:$other,
      DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
      DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $other `stride` `=` $stride `padding` `=` $padding
    `dilation` `=` $dilation `groups` `=` $groups attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Dl_Conv2dGradInputOp
    : Dl_ConvGradOp<"conv2d_grad_input", "input", [Dl_ElementwiseEpilogue]>;
def Dl_Conv2dGradWeightOp
    : Dl_ConvGradOp<"conv2d_grad_weight", "weight">;

def Dl_MaxPool2dGradOp : Dl_Op<"max_pool2d_grad",
    [Pure, Dl_ElementwiseEpilogue]> {
  let summary = "gradient of dl.max_pool2d";
  let description = [{
    Sends each window's gradient to the element the forward pass chose (the
    first maximum in row-major order). `input` is the pooling's input; the
    result has its type.
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$grad,
      DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
      DenseI64ArrayAttr:$padding);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad `kernel` `=` $kernel `stride` `=` $stride
    `padding` `=` $padding attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Dl_AvgPool2dGradOp : Dl_Op<"avg_pool2d_grad",
    [Pure, Dl_ElementwiseEpilogue]> {
  let summary = "gradient of dl.avg_pool2d";
  let description = [{
    Spreads each window's gradient evenly over the window (divided as the
    forward pass divided). The result type is the pooling input's.
  }];
  let arguments = (ins Dl_FloatTensor:$grad, DenseI64ArrayAttr:$kernel,
      DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
      UnitAttr:$count_include_pad);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `kernel` `=` $kernel `stride` `=` $stride `padding` `=` $padding
    attr-dict `:` type($grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Dl_ReduceOp<string mnemonic, string what, Type tensorType>
    : Dl_Op<mnemonic, [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = what # " over a set of axes";
  let description = "Reduces `axes` (distinct, in `[0, rank)`); with "
    "`keepdims` they stay as size 1.\n\n"
    "```mlir\n%s = dl." # mnemonic # " %x axes = [1] keepdims : "
    "tensor<64x10xf32> -> tensor<64x1xf32>\n```";
  let arguments = (ins tensorType:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs tensorType:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

def Dl_ReduceSumOp : Dl_ReduceOp<"reduce_sum", "sum", Dl_NumericTensor> {
  let hasCanonicalizer = 1;
}
def Dl_ReduceMeanOp : Dl_ReduceOp<"reduce_mean", "mean", Dl_FloatTensor>;
def Dl_ReduceMaxOp : Dl_ReduceOp<"reduce_max", "maximum", Dl_NumericTensor>;
def Dl_ReduceProdOp : Dl_ReduceOp<"reduce_prod", "product", Dl_NumericTensor>;

def Dl_SumSquaresOp : Dl_Op<"sum_squares", [Pure]> {
  let summary = "the sum of the squares of every element of several tensors";
  let description = [{
    `result = sum over i of sum(inputs[i]^2)`, accumulated in double and
    rounded once: the squared global norm of a set of gradients, which
    norm clipping needs, as one op instead of a square and a sum per
    tensor. The inputs are taken one after the other as one sequence, cut
    into `partials` (f64) equal stretches; each stretch's sum is a partial
    and the result their sum in order: two kernels on a GPU (a thread block
    per stretch, then one block), deterministic, without atomics. The
    builder picks about one partial per 4096 elements, at most 1024.

    ```mlir
    %s, %p = dl.sum_squares %w, %b
        : (tensor<784x128xf32>, tensor<128xf32>) -> (tensor<f32>, tensor<25xf64>)
    ```
  }];
  let arguments = (ins Variadic<Dl_FloatTensor>:$inputs);
  let results = (outs Dl_FloatTensor:$result, Dl_FloatTensor:$partials);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type(operands, results)
  }];
  let builders = [OpBuilder<(ins "::mlir::ValueRange":$inputs)>];
  let hasVerifier = 1;
}

def Dl_ArgmaxOp : Dl_Op<"argmax", [Pure, InferTypeOpAdaptor]> {
  let summary = "index of the largest element along an axis";
  let description = [{
    The first index of the maximum; the result is `i64`. Accuracy metrics
    compare it with the labels.

    ```mlir
    %p = dl.argmax %logits axis = 1 : tensor<64x10xf32> -> tensor<64xi64>
    ```
  }];
  let arguments = (ins Dl_NumericTensor:$input, I64Attr:$axis,
                       UnitAttr:$keepdims);
  let results = (outs TensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis (`keepdims` $keepdims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

class Dl_SoftmaxLikeOp<string mnemonic, string formula>
    : Dl_Op<mnemonic, [Pure, SameOperandsAndResultType, Dl_Differentiable]> {
  let summary = formula # " along an axis";
  let description = "Computes `" # formula # "` along `axis`, subtracting "
    "the maximum first so large inputs do not overflow.\n\n"
    "```mlir\n%p = dl." # mnemonic # " %x axis = 1 : tensor<64x10xf32>\n```";
  let arguments = (ins Dl_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Dl_SoftmaxOp : Dl_SoftmaxLikeOp<"softmax", "exp(x_i) / sum_j exp(x_j)">;
def Dl_LogSoftmaxOp : Dl_SoftmaxLikeOp<"log_softmax",
                                       "x_i - log(sum_j exp(x_j))">;

def Dl_SoftmaxGradOp : Dl_Op<"softmax_grad",
    [Pure, SameOperandsAndResultType, Dl_ElementwiseEpilogue]> {
  let summary = "the input gradient of softmax or log-softmax";
  let description = [{
    From the forward result `y` and its gradient `grad` along `axis`:
    `y * (grad - sum(grad * y))` for `dl.softmax`, and with `log`,
    `grad - exp(y) * sum(grad)` for `dl.log_softmax`. Their gradient rules
    emit it: one kernel (a pass for the sum, one for the result) where the
    formula was a product, a reduction and an elementwise kernel.

    ```mlir
    %dx = dl.softmax_grad %y, %dy axis = 3 : tensor<32x4x64x64xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$result, Dl_FloatTensor:$grad,
                       I64Attr:$axis, UnitAttr:$log);
  let results = (outs Dl_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result `,` $grad `axis` `=` $axis attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

def Dl_LayerNormOp : Dl_Op<"layer_norm",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "layer normalization over the trailing dimensions";
  let description = [{
    Normalizes over dimensions `[axis, rank)` to zero mean and unit (biased)
    variance, then scales by `gamma` and shifts by `beta`, whose shape is
    `input.shape[axis:]`.

    ```mlir
    %y = dl.layer_norm %x, %g, %b axis = 2 epsilon = 1.0e-05
        : (tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<4x16x32xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$gamma,
                       Dl_FloatTensor:$beta, I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta `axis` `=` $axis `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_LayerNormGradOp : Dl_Op<"layer_norm_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "the input gradient of layer normalization";
  let description = [{
    For `dl.layer_norm %input, %gamma, ...` and its result's gradient
    `grad`: `input_grad = rstd * (dxhat - mean(dxhat) - xhat *
    mean(dxhat * xhat))` with `dxhat = grad * gamma`, `xhat = (input -
    mean) * rstd` and the means over the normalized dimensions `[axis,
    rank)`. Each row's `mean` and `rstd = 1 / sqrt(variance + epsilon)`
    (shaped `input.shape[:axis]`) come out too, for
    `dl.layer_norm_param_grad`. Layer norm's gradient rule emits it: one
    kernel in place of the dozen ops of the formula. With `addend`, the
    result is `addend + input_grad`: `dl-fuse-epilogue` folds the add of a
    residual branch's gradient into the kernel.

    ```mlir
    %dx, %mean, %rstd = dl.layer_norm_grad %x, %dy, %g axis = 2 epsilon = 1.0e-05
        : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<32xf32>)
        -> (tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$grad,
                       Dl_FloatTensor:$gamma, Optional<Dl_FloatTensor>:$addend,
                       I64Attr:$axis, F64Attr:$epsilon);
  let results = (outs Dl_FloatTensor:$input_grad, Dl_FloatTensor:$mean,
                      Dl_FloatTensor:$rstd);
  let assemblyFormat = [{
    $input `,` $grad `,` $gamma (`addend` $addend^)? `axis` `=` $axis
    `epsilon` `=` $epsilon attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_LayerNormParamGradOp : Dl_Op<"layer_norm_param_grad",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "the gradients of layer normalization's gamma and beta";
  let description = [{
    The sums over the rows (dimensions `[0, axis)`) of `grad * xhat` and of
    `grad`, with `xhat = (input - mean) * rstd` from the statistics
    `dl.layer_norm_grad` returned: the gradients of `gamma` and `beta`, one
    column reduction.

    ```mlir
    %dg, %db = dl.layer_norm_param_grad %x, %dy, %mean, %rstd axis = 2
        : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
        -> (tensor<32xf32>, tensor<32xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$grad,
                       Dl_FloatTensor:$mean, Dl_FloatTensor:$rstd,
                       I64Attr:$axis);
  let results = (outs Dl_FloatTensor:$gamma_grad, Dl_FloatTensor:$beta_grad);
  let assemblyFormat = [{
    $input `,` $grad `,` $mean `,` $rstd `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dl_BatchNormInferenceOp : Dl_Op<"batch_norm_inference",
                                    [Pure, InferTypeOpAdaptor]> {
  let summary = "batch normalization with stored statistics";
  let description = [{
    `(x - mean) / sqrt(variance + epsilon) * scale + bias` per channel
    (dimension 1 of `[N, C, ...]`); the four vectors are `[C]`.

    ```mlir
    %y = dl.batch_norm_inference %x, %scale, %bias, %mean, %var epsilon = 1.0e-05
        : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> tensor<8x16x4x4xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$scale,
                       Dl_FloatTensor:$bias, Dl_FloatTensor:$mean,
                       Dl_FloatTensor:$variance, F64Attr:$epsilon);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance `epsilon` `=` $epsilon
    attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_BatchNormTrainingOp : Dl_Op<"batch_norm_training",
                                   [Pure, InferTypeOpAdaptor,
                                    Dl_Differentiable]> {
  let summary = "batch normalization with batch statistics";
  let description = [{
    Normalizes with the batch's own mean and biased variance per channel and
    returns, beside the result, the running statistics updated the PyTorch
    way: `new = (1 - momentum) * old + momentum * batch`, with the unbiased
    batch variance.

    ```mlir
    %y, %rm, %rv = dl.batch_norm_training %x, %scale, %bias, %mean, %var
        epsilon = 1.0e-05 momentum = 1.0e-01
        : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, Dl_FloatTensor:$scale,
                       Dl_FloatTensor:$bias, Dl_FloatTensor:$running_mean,
                       Dl_FloatTensor:$running_variance, F64Attr:$epsilon,
                       F64Attr:$momentum);
  let results = (outs Dl_FloatTensor:$result, Dl_FloatTensor:$new_running_mean,
                      Dl_FloatTensor:$new_running_variance);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $running_mean `,` $running_variance
    `epsilon` `=` $epsilon `momentum` `=` $momentum attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dl_DropoutOp : Dl_Op<"dropout",
    [Pure, SameOperandsAndResultType, Dl_BroadcastElementwise,
     Dl_Differentiable]> {
  let summary = "zeroes elements at random, scaling the rest by 1/(1-rate)";
  let description = [{
    Element `i` is kept when a counter-based random number drawn from
    `(seed, step, i)` is at least `rate`; `step` is the training step counter
    the runtime keeps. The mask is therefore a pure function of the op's
    attributes within a step: the gradient is `dl.dropout` of the incoming
    gradient with the same seed, which reproduces the forward mask without
    storing it.

    ```mlir
    %y = dl.dropout %x rate = 2.000000e-01 seed = 7 : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input, F64Attr:$rate, I64Attr:$seed);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input `rate` `=` $rate `seed` `=` $seed attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Dl_CrossEntropyOp : Dl_Op<"cross_entropy",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "softmax cross-entropy with integer class labels";
  let description = [{
    `-log softmax(logits)[n, labels[n]]` for `logits` `[N, C]` and `labels`
    `[N]`, reduced over the batch by `mean` (the default) or `sum`. The result
    is a scalar of the logits' element type.

    ```mlir
    %l = dl.cross_entropy %logits, %labels
        : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$logits, Dl_IndexTensor:$labels,
      DefaultValuedAttr<Dl_LossReduction, "LossReduction::Mean">:$reduction);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dl_CrossEntropyWithGradOp : Dl_Op<"cross_entropy_with_grad", [Pure]> {
  let summary = "cross-entropy and its gradient with respect to the logits";
  let description = [{
    The loss `dl.cross_entropy` computes and `dlogits = (softmax(logits) -
    onehot(labels)) * dloss` (divided by the batch for `mean`), in one pass
    over the logits: what the cross-entropy's gradient rule emits. When the
    forward `dl.cross_entropy` of the same logits and labels is still there,
    `dl-fuse-loss` drops it and reads the loss from here, so the loss, the
    softmax and the gradient are one kernel; a `dl.accuracy` of the same
    operands becomes the optional third result the same way.

    ```mlir
    %l, %d = dl.cross_entropy_with_grad %logits, %labels, %one
        : (tensor<64x10xf32>, tensor<64xi32>, tensor<f32>) -> (tensor<f32>, tensor<64x10xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$logits, Dl_IndexTensor:$labels,
      Dl_FloatTensor:$dloss,
      DefaultValuedAttr<Dl_LossReduction, "LossReduction::Mean">:$reduction);
  let results = (outs Dl_FloatTensor:$loss, Dl_FloatTensor:$dlogits,
                      Optional<Dl_FloatTensor>:$accuracy);
  let assemblyFormat = [{
    $logits `,` $labels `,` $dloss (`reduction` `=` $reduction^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Dl_AccuracyOp : Dl_Op<"accuracy", [Pure, InferTypeOpAdaptor]> {
  let summary = "the fraction of rows whose largest logit is the label";
  let description = [{
    For `logits` `[N, C]` and integer `labels` `[N]`: the mean over rows of
    `argmax(logits[n]) == labels[n]`, as a scalar of the logits' element
    type. The argmax is `dl.argmax`'s: the first maximum, a NaN counting as
    the maximum. A metric, not differentiable. When a
    `dl.cross_entropy_with_grad` of the same logits and labels is there,
    `dl-fuse-loss` makes it the third result of that op: the loss, its
    gradient and the metric are one kernel.

    ```mlir
    %a = dl.accuracy %logits, %labels
        : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$logits, Dl_IndexTensor:$labels);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_MseOp : Dl_Op<"mse", [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "mean squared error";
  let description = [{
    `(prediction - target)^2` over all elements, reduced by `mean` (the
    default) or `sum` to a scalar. Both operands have the same type.

    ```mlir
    %l = dl.mse %y, %t : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$prediction, Dl_FloatTensor:$target,
      DefaultValuedAttr<Dl_LossReduction, "LossReduction::Mean">:$reduction);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $prediction `,` $target (`reduction` `=` $reduction^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // DL_NN_OPS_TD

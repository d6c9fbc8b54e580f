//===- DlFusionOps.td - Fused regions ---------------------*- tablegen -*-===//
//
// What the fusion passes produce: a region of ops that runs as one kernel.
//
//===----------------------------------------------------------------------===//

#ifndef DL_FUSION_OPS_TD
#define DL_FUSION_OPS_TD

def Dl_FusedOp : Dl_Op<"fused",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects,
     Dl_BroadcastElementwise]> {
  let summary = "elementwise ops that run as one kernel";
  let description = [{
    The body computes, for every element of the result shape, a chain or DAG
    of elementwise ops; it becomes one kernel that reads each input once and
    writes each result once, so the values inside never reach memory. The
    block arguments are the inputs, each broadcast numpy-style to the result
    shape; every value computed inside has the result shape (only inputs
    broadcast), and every result has it too. View ops (`dl.slice`,
    `dl.transpose`, `dl.reshape`, `dl.broadcast_to`) may apply to the
    inputs, one after another: the kernel then loads each element where the
    view finds it (a strided read), without a copy first; a region of views
    alone is one copy kernel. A reshape must keep the dimensions it merges
    adjacent in memory. `dl-fuse-elementwise` builds these regions.

    With `epilogue`, the region runs inside the kernel of the op that
    produces its first input (an op with the `ElementwiseEpilogue` trait,
    read by nothing else): that kernel passes each element of its result
    through the body before storing it, into the same buffer, so the value
    is written once. Its other inputs exist before that op.
    `dl-fuse-kernel-epilogue` marks them.

    ```mlir
    %y = dl.fused(%x, %b) : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32> {
    ^bb0(%a: tensor<64x128xf32>, %c: tensor<128xf32>):
      %s = dl.add %a, %c : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
      %r = dl.relu %s : tensor<64x128xf32>
      dl.yield %r : tensor<64x128xf32>
    }
    // Columns [128, 256) of each row, split into 4 heads of 32 columns:
    %q = dl.fused(%qkv) : (tensor<64x384xf32>) -> tensor<4x64x32xf32> {
    ^bb0(%a: tensor<64x384xf32>):
      %s = dl.slice %a start = [0, 128] limit = [64, 256] step = [1, 1]
          : tensor<64x384xf32> -> tensor<64x128xf32>
      %r = dl.reshape %s : tensor<64x128xf32> to tensor<64x4x32xf32>
      %t = dl.transpose %r permutation = [1, 0, 2]
          : tensor<64x4x32xf32> -> tensor<4x64x32xf32>
      dl.yield %t : tensor<4x64x32xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Dl_Tensor>:$inputs, UnitAttr:$epilogue);
  let results = (outs Variadic<Dl_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
}

def Dl_FusedSoftmaxOp : Dl_Op<"fused_softmax",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "softmax of values an elementwise region computes";
  let description = [{
    The body computes, element by element as in `dl.fused`, the tensor whose
    softmax along `axis` (with `log`, log-softmax) is the result: one kernel
    that evaluates the body wherever the softmax reads its input, so the
    input never reaches memory. Attention's scaling and causal mask before
    its softmax are such a body. `dl-fuse-softmax-prologue` builds it.

    ```mlir
    %p = dl.fused_softmax(%mask, %s, %low) axis = 3
        : (tensor<8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>)
        -> tensor<2x4x8x8xf32> {
    ^bb0(%m: tensor<8x8xi1>, %a: tensor<2x4x8x8xf32>, %c: tensor<f32>):
      %x = dl.select %m, %a, %c
          : (tensor<8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>)
          -> tensor<2x4x8x8xf32>
      dl.yield %x : tensor<2x4x8x8xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Dl_Tensor>:$inputs, I64Attr:$axis,
                       UnitAttr:$log);
  let results = (outs Dl_FloatTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` `axis` `=` $axis attr-dict `:`
    functional-type($inputs, $result) $body
  }];
  let hasVerifier = 1;
}

def Dl_FusedAttentionOp : Dl_Op<"fused_attention",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "attention's scores, softmax and weighted sum in one kernel";
  let description = [{
    `softmax(body(query @ key^T, inputs...), axis = -1) @ value`: `query`
    is `[..., T, E]`, `key` `[..., S, E]`, `value` `[..., S, E2]` and the
    result `[..., T, E2]`, with the same leading dimensions (no
    broadcasting). The body computes, element by element as in `dl.fused`,
    the softmax's input from the scores (its first argument, `[..., T, S]`)
    and `inputs` (its other arguments): attention's scale and causal mask.
    One kernel keeps a head's keys and values in shared memory and each
    query row's scores in registers, so the scores never reach memory, nor
    the probabilities unless the op returns them as its second result
    (`[..., T, S]`: training keeps them for the backward pass). With
    `merge_heads` (query `[..., H, T, E]`), the result is laid out
    `[..., T, H, E2]`: the transpose a multi-head layer applies before
    merging the heads, done by the kernel's stores.
    `dl-fuse-attention` builds it where nothing else reads the scores.

    ```mlir
    %o = dl.fused_attention %q, %k, %v inputs(%scale, %mask, %low)
        : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>,
           tensor<f32>, tensor<8x8xi1>, tensor<f32>) -> tensor<2x4x8x16xf32> {
    ^bb0(%s: tensor<2x4x8x8xf32>, %c: tensor<f32>, %m: tensor<8x8xi1>,
         %l: tensor<f32>):
      %x = dl.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>)
          -> tensor<2x4x8x8xf32>
      %y = dl.select %m, %x, %l
          : (tensor<8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>)
          -> tensor<2x4x8x8xf32>
      dl.yield %y : tensor<2x4x8x8xf32>
    }
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$query, Dl_FloatTensor:$key,
                       Dl_FloatTensor:$value, Variadic<Dl_Tensor>:$inputs,
                       UnitAttr:$merge_heads);
  let results = (outs Dl_FloatTensor:$result,
                      Optional<Dl_FloatTensor>:$probabilities);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`inputs` `(` $inputs^ `)`)? attr-dict `:`
    functional-type(operands, results) $body
  }];
  let extraClassDeclaration = [{
    /// The scores' type, `[..., T, S]`: the body's first argument.
    ::mlir::RankedTensorType getScoresType();
  }];
  let hasVerifier = 1;
}

def Dl_FusedAttentionGradOp : Dl_Op<"fused_attention_grad",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects]> {
  let summary = "attention's backward pass in one kernel";
  let description = [{
    The gradients of `query`, `key` and `value` for `dl.fused_attention`
    from `grad`, the gradient of its result, and `probabilities`, its
    second result:

        dp = grad @ value^T
        ds = body(probabilities * (dp - sum(dp * probabilities, -1)), inputs...)
        query_grad = ds @ key,  key_grad = ds^T @ query
        value_grad = probabilities^T @ grad

    The body maps the softmax's input gradient `[..., T, S]` element by
    element (its first argument) to the scores' gradient, as in `dl.fused`:
    the gradient of attention's mask and scale. One kernel takes a head: the
    scores' gradients stay in shared memory.

    With `merge_heads` (query `[..., H, T, E]`), `grad` is read laid out
    `[..., T, H, E2]` as `dl.fused_attention` wrote the result, and the
    three gradients are written `[..., T, H, E]`, `[..., S, H, E]` and
    `[..., S, H, E2]`; with one result instead of three, they are written
    side by side, each row `[query_grad | key_grad | value_grad]`, as
    `[..., T, 3 * H * E]` (self-attention, the gradient of one projection
    split into q, k and v). `dl-fuse-attention-grad` builds it.

    ```mlir
    %dq, %dk, %dv = dl.fused_attention_grad %g, %p, %q, %k, %v
        inputs(%mask, %zero, %scale)
        : (tensor<2x4x8x16xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x16xf32>,
           tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<8x8xi1>,
           tensor<f32>, tensor<f32>)
        -> (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) {
    ^bb0(%ds: tensor<2x4x8x8xf32>, %m: tensor<8x8xi1>, %z: tensor<f32>,
         %c: tensor<f32>):
      %x = dl.select %m, %ds, %z
          : (tensor<8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>)
          -> tensor<2x4x8x8xf32>
      %y = dl.mul %x, %c : (tensor<2x4x8x8xf32>, tensor<f32>)
          -> tensor<2x4x8x8xf32>
      dl.yield %y : tensor<2x4x8x8xf32>
    }
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$grad, Dl_FloatTensor:$probabilities,
                       Dl_FloatTensor:$query, Dl_FloatTensor:$key,
                       Dl_FloatTensor:$value, Variadic<Dl_Tensor>:$inputs,
                       UnitAttr:$merge_heads);
  let results = (outs Variadic<Dl_FloatTensor>:$gradients);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $grad `,` $probabilities `,` $query `,` $key `,` $value
    (`inputs` `(` $inputs^ `)`)? attr-dict `:`
    functional-type(operands, results) $body
  }];
  let extraClassDeclaration = [{
    /// The scores' type, `[..., T, S]`: the body's first argument.
    ::mlir::RankedTensorType getScoresType();
    /// Whether the three gradients are one `[..., T, 3 * H * E]` result.
    bool isPacked() { return getGradients().size() == 1; }
  }];
  let hasVerifier = 1;
}

def Dl_Conv2dGradWeightBiasOp : Dl_Op<"conv2d_grad_weight_bias", [Pure]> {
  let summary = "a convolution's weight and bias gradients in one kernel";
  let description = [{
    `dl.conv2d_grad_weight %grad, %input` and the bias gradient
    `dl.reduce_sum %grad axes = [0, 2, 3]` (in double, as that sum is),
    both reductions of `grad` over the batch and the output pixels: one
    kernel reads `grad` once for both. `dl-fuse-epilogue` builds it.

    ```mlir
    %dw, %db = dl.conv2d_grad_weight_bias %dy, %x stride = [1, 1]
        padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1
        : (tensor<64x16x28x28xf32>, tensor<64x1x28x28xf32>)
        -> (tensor<16x1x3x3xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$grad, Dl_FloatTensor:$other,
      DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
      DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Dl_FloatTensor:$result, Dl_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $grad `,` $other `stride` `=` $stride `padding` `=` $padding
    `dilation` `=` $dilation `groups` `=` $groups attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Dl_YieldOp : Dl_Op<"yield",
    [Pure, Terminator,
     ParentOneOf<["FusedOp", "FusedSoftmaxOp", "FusedAttentionOp",
                 "FusedAttentionGradOp"]>]> {
  let summary = "the results of a fused region";
  let arguments = (ins Variadic<Dl_Tensor>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

def Dl_MatmulBiasOp : Dl_Op<"matmul_bias", [Pure]> {
  let summary = "matmul, bias add and optional ReLU as one GEMM";
  let description = [{
    `dl.matmul` followed by adding `bias` (`[N]`, the result's last
    dimension) and, with `relu`, `dl.relu` (with `gelu_tanh`, `dl.gelu`'s
    tanh form): one GEMM whose epilogue adds the bias and applies the
    activation, so the product never makes a round trip through memory.
    With `addend` (the result's type; not with `relu`), the result is
    `addend + (lhs @ rhs + bias)`: a residual connection, read by the GEMM
    as its C. `dl-fuse-epilogue` builds it from the ops.

    ```mlir
    %y = dl.matmul_bias %x, %w, %b {relu}
        : (tensor<64x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
    %z = dl.matmul_bias %x, %v, %c addend %r
        : (tensor<64x784xf32>, tensor<784x128xf32>, tensor<128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$lhs, Dl_FloatTensor:$rhs,
                       Dl_FloatTensor:$bias, Optional<Dl_FloatTensor>:$addend,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       UnitAttr:$relu, UnitAttr:$gelu_tanh);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $bias (`addend` $addend^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Dl_MatmulBiasGradOp : Dl_Op<"matmul_bias_grad", [Pure]> {
  let summary = "a weight gradient and the bias gradient as one GEMM";
  let description = [{
    `dl.matmul %lhs, %rhs` together with the column sums of `rhs` (its
    `reduce_sum` over dimension 0, which is the product's reduction
    dimension): in a dense layer's backward pass, the weight gradient
    `x^T @ dy` and the bias gradient `sum(dy, 0)`. One GEMM whose epilogue
    reduces its right operand while it reads it (cuBLASLt's bias-gradient
    epilogue), so `dy` is read once. `dl-fuse-epilogue` builds it; operands
    are matrices and `rhs` is not transposed. With `bias_of_lhs` the sums
    are those of `lhs` (transposed, its dimension 0 the reduction one): the
    weight gradient `dy^T @ x` of a layer that stores its weight as
    `[out, in]` (PyTorch's Linear, an im2col convolution).

    ```mlir
    %dw, %db = dl.matmul_bias_grad %x, %dy {transpose_lhs}
        : (tensor<64x128xf32>, tensor<64x10xf32>) -> (tensor<128x10xf32>, tensor<10xf32>)
    %dw2, %db2 = dl.matmul_bias_grad %dy, %x {bias_of_lhs, transpose_lhs}
        : (tensor<64x10xf32>, tensor<64x128xf32>) -> (tensor<10x128xf32>, tensor<10xf32>)
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$lhs, Dl_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$bias_of_lhs);
  let results = (outs Dl_FloatTensor:$result, Dl_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DL_FUSION_OPS_TD

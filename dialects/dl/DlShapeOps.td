//===- DlShapeOps.td - Ops that move or make data ---------*- tablegen -*-===//

#ifndef DL_SHAPE_OPS_TD
#define DL_SHAPE_OPS_TD

def Dl_ConstantOp : Dl_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a tensor whose value is known at compile time";
  let description = [{
    ```mlir
    %c = dl.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Dl_FillOp : Dl_Op<"fill", [Pure]> {
  let summary = "a tensor with every element set to one value";
  let description = [{
    Folds to a splat `dl.constant`; frontends use it to avoid spelling the
    value in the element type. Integer and `i1` results truncate the value.

    ```mlir
    %c = dl.fill 5.000000e-01 : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Dl_IotaOp : Dl_Op<"iota", [Pure]> {
  let summary = "a tensor counting 0, 1, 2... along one dimension";
  let description = [{
    Element `[i0, ..., in]` holds `i_dimension`. Position ids of a
    transformer and causal masks are built from it.

    ```mlir
    %pos = dl.iota dimension = 1 : tensor<4x16xi64>
    ```
  }];
  let arguments = (ins I64Attr:$dimension);
  let results = (outs Dl_NumericTensor:$result);
  let assemblyFormat = "`dimension` `=` $dimension attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dl_ReshapeOp : Dl_Op<"reshape", [Pure, Dl_Differentiable]> {
  let summary = "the same elements, in row-major order, with a new shape";
  let description = [{
    ```mlir
    %y = dl.reshape %x : tensor<64x32x7x7xf32> to tensor<64x1568xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dl_TransposeOp : Dl_Op<"transpose",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "permutes the dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %y = dl.transpose %x permutation = [0, 2, 1]
        : tensor<4x8x16xf32> -> tensor<4x16x8xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasFolder = 1;
}

def Dl_BroadcastToOp : Dl_Op<"broadcast_to", [Pure, Dl_Differentiable]> {
  let summary = "stretches a tensor to a larger shape, numpy-style";
  let description = [{
    ```mlir
    %y = dl.broadcast_to %b : tensor<10xf32> to tensor<64x10xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Dl_ConcatOp : Dl_Op<"concat",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "joins tensors along one dimension";
  let description = [{
    All operands have the same element type, rank and sizes except along
    `axis`.

    ```mlir
    %y = dl.concat %a, %b axis = 1
        : (tensor<4x3xf32>, tensor<4x5xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Dl_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, results)
  }];
  let hasFolder = 1;
}

def Dl_SliceOp : Dl_Op<"slice",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable]> {
  let summary = "a strided box of a tensor";
  let description = [{
    Along dimension `d` takes indices `start[d], start[d] + step[d], ...`
    below `limit[d]`; `0 <= start <= limit <= size` and `step >= 1`.

    ```mlir
    %y = dl.slice %x start = [0, 2] limit = [4, 8] step = [1, 2]
        : tensor<4x8xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$limit, DenseI64ArrayAttr:$step);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = [{
    $input `start` `=` $start `limit` `=` $limit `step` `=` $step attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Dl_GatherOp : Dl_Op<"gather",
    [Pure, InferTypeOpAdaptor, Dl_Differentiable, Dl_ElementwiseEpilogue]> {
  let summary = "picks slices of a tensor by index (embedding lookup)";
  let description = [{
    The ONNX `Gather`: the result's shape is `input.shape[:axis] +
    indices.shape + input.shape[axis+1:]`. An embedding lookup is a gather
    on axis 0 of the table. Indices outside `[0, size)` are a run-time error.

    ```mlir
    %e = dl.gather %table, %tokens axis = 0
        : (tensor<65x32xf32>, tensor<4x16xi32>) -> tensor<4x16x32xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input, Dl_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

def Dl_ScatterAddOp : Dl_Op<"scatter_add", [Pure]> {
  let summary = "adds slices into a zero tensor by index (gather's gradient)";
  let description = [{
    The transpose of `dl.gather` on the same axis: the result (its shape
    given by the result type, the gathered tensor's) starts at zero and
    `updates[o, j, i]` is added to `result[o, indices[j], i]`. Repeated
    indices accumulate, in index order, so the result is deterministic.

    ```mlir
    %g = dl.scatter_add %grads, %tokens axis = 0
        : (tensor<4x16x32xf32>, tensor<4x16xi32>) -> tensor<65x32xf32>
    ```
  }];
  let arguments = (ins Dl_NumericTensor:$updates, Dl_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Dl_NumericTensor:$result);
  let assemblyFormat = [{
    $updates `,` $indices `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // DL_SHAPE_OPS_TD

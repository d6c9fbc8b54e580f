//===- DlModelOps.td - Parameters and other stored tensors -*- tablegen -*-===//
//
// A model's parameters outlive a call of its entry function, so they are
// module-level symbols, read and written by ops inside the functions. Inputs
// and outputs are the entry function's arguments and results (named by the
// `dl.name` argument and result attributes).
//
//===----------------------------------------------------------------------===//

#ifndef DL_MODEL_OPS_TD
#define DL_MODEL_OPS_TD

def Dl_ParamOp : Dl_Op<"param", [Symbol]> {
  let summary = "a tensor that persists between steps, with its initializer";
  let description = [{
    Declares a trainable parameter, a buffer that is updated but not trained
    (batch-norm running statistics), or optimizer state, with its first
    value: drawn by an initializer, or given as data (the weights of an
    imported model).

    ```mlir
    dl.param @fc1.weight : tensor<784x128xf32> init<kaiming_uniform, seed = 1>
    dl.param @bn.running_var : tensor<16xf32> init<ones> role = buffer
    dl.param @fc.bias : tensor<2xf32> = dense<[0.5, -1.0]>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
      TypeAttrOf<Dl_Tensor>:$type, OptionalAttr<Dl_InitAttr>:$init,
      OptionalAttr<ElementsAttr>:$value,
      DefaultValuedAttr<Dl_ParamRole, "ParamRole::Parameter">:$role);
  let assemblyFormat = [{
    $sym_name `:` $type (`init` `` $init^)? (`=` $value^)?
    (`role` `=` $role^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    RankedTensorType getTensorType() {
      return ::llvm::cast<RankedTensorType>(getType());
    }
  }];
}

def Dl_LoadParamOp : Dl_Op<"load_param",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemRead]>]> {
  let summary = "reads the current value of a dl.param";
  let description = [{
    ```mlir
    %w = dl.load_param @fc1.weight : tensor<784x128xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Dl_StoreParamOp : Dl_Op<"store_param",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>,
     MemoryEffects<[MemWrite]>]> {
  let summary = "replaces the value of a dl.param (an optimizer update)";
  let description = [{
    Later `dl.load_param`s of the same step see the new value.

    ```mlir
    dl.store_param %w_next, @fc1.weight : tensor<784x128xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$value, FlatSymbolRefAttr:$name);
  let assemblyFormat = "$value `,` $name attr-dict `:` type($value)";
}

#endif // DL_MODEL_OPS_TD

//===- DlAttributes.td - Attributes of the dl dialect -----*- tablegen -*-===//

#ifndef DL_ATTRIBUTES_TD
#define DL_ATTRIBUTES_TD

include "dialects/dl/DlBase.td"

def Dl_InitAttr : AttrDef<Dl_Dialect, "Init"> {
  let mnemonic = "init";
  let summary = "How a parameter's initial value is drawn";
  let description = [{
    A parameter initializer: the distribution, its arguments and the seed of
    the random stream. The fan-based kinds (xavier/glorot, kaiming/he) take
    their fans from the parameter's shape: for a rank-2 `[in, out]` weight
    fan_in = in and fan_out = out; for a conv weight `[O, I, kH, kW]`
    fan_in = I*kH*kW and fan_out = O*kH*kW.

    ```mlir
    #dl.init<zeros>
    #dl.init<constant(0.1)>
    #dl.init<normal(0.0, 0.02), seed = 7>       // mean, std
    #dl.init<uniform(-0.1, 0.1), seed = 3>      // low, high
    #dl.init<kaiming_uniform, seed = 1>
    ```
  }];
  let parameters = (ins
    "InitKind":$kind,
    "::mlir::DenseF64ArrayAttr":$args,
    DefaultValuedParameter<"uint64_t", "0">:$seed);
  let builders = [
    AttrBuilder<(ins "InitKind":$kind, "::llvm::ArrayRef<double>":$args,
                     CArg<"uint64_t", "0">:$seed), [{
      return $_get($_ctxt, kind, ::mlir::DenseF64ArrayAttr::get($_ctxt, args),
                   seed);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of arguments `kind` takes (mean/std, low/high, value...).
    static unsigned getNumArgs(InitKind kind);
  }];
}

#endif // DL_ATTRIBUTES_TD

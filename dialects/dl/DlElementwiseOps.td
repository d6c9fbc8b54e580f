//===- DlElementwiseOps.td - Elementwise ops --------------*- tablegen -*-===//
//
// Unary ops keep their operand's type. Binary ops broadcast numpy-style: shapes
// are aligned at the trailing dimension and a dimension of 1 stretches.
//
//===----------------------------------------------------------------------===//

#ifndef DL_ELEMENTWISE_OPS_TD
#define DL_ELEMENTWISE_OPS_TD

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

class Dl_UnaryOp<string mnemonic, Type tensorType, string formula,
                 list<Trait> traits = []>
    : Dl_Op<mnemonic, !listconcat(traits,
          [Pure, SameOperandsAndResultType, Dl_BroadcastElementwise,
           Dl_Differentiable])> {
  let summary = "elementwise " # formula;
  let description = "Computes `" # formula # "` for every element.\n\n"
    "```mlir\n%y = dl." # mnemonic # " %x : tensor<4x8xf32>\n```";
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Dl_NegOp : Dl_UnaryOp<"neg", Dl_NumericTensor, "-x"> {
  let hasFolder = 1;
}
def Dl_AbsOp : Dl_UnaryOp<"abs", Dl_NumericTensor, "|x|">;
def Dl_ExpOp : Dl_UnaryOp<"exp", Dl_FloatTensor, "e^x">;
def Dl_LogOp : Dl_UnaryOp<"log", Dl_FloatTensor, "ln(x)"> {
  let hasCanonicalizer = 1;
}
def Dl_SqrtOp : Dl_UnaryOp<"sqrt", Dl_FloatTensor, "sqrt(x)">;
def Dl_RsqrtOp : Dl_UnaryOp<"rsqrt", Dl_FloatTensor, "1/sqrt(x)">;
def Dl_TanhOp : Dl_UnaryOp<"tanh", Dl_FloatTensor, "tanh(x)">;
def Dl_SigmoidOp : Dl_UnaryOp<"sigmoid", Dl_FloatTensor, "1/(1+e^-x)">;
def Dl_ReluOp : Dl_UnaryOp<"relu", Dl_NumericTensor, "max(x, 0)"> {
  let hasCanonicalizer = 1;
}

// Without gradient rules: optimizers use them on the step counter
// (learning-rate schedules), where nothing is differentiated.
class Dl_UnaryNonDiffOp<string mnemonic, string formula>
    : Dl_Op<mnemonic, [Pure, SameOperandsAndResultType,
                       Dl_BroadcastElementwise]> {
  let summary = "elementwise " # formula # " (no gradient)";
  let description = "Computes `" # formula # "` for every element.\n\n"
    "```mlir\n%y = dl." # mnemonic # " %x : tensor<f32>\n```";
  let arguments = (ins Dl_FloatTensor:$input);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}
def Dl_FloorOp : Dl_UnaryNonDiffOp<"floor", "the largest integer <= x">;
def Dl_CosOp : Dl_UnaryNonDiffOp<"cos", "cos(x)">;
def Dl_SinOp : Dl_UnaryNonDiffOp<"sin", "sin(x)">;
def Dl_TanOp : Dl_UnaryNonDiffOp<"tan", "tan(x)">;
def Dl_AsinOp : Dl_UnaryNonDiffOp<"asin", "asin(x)">;
def Dl_AcosOp : Dl_UnaryNonDiffOp<"acos", "acos(x)">;
def Dl_AtanOp : Dl_UnaryNonDiffOp<"atan", "atan(x)">;
def Dl_SinhOp : Dl_UnaryNonDiffOp<"sinh", "sinh(x)">;
def Dl_CoshOp : Dl_UnaryNonDiffOp<"cosh", "cosh(x)">;
def Dl_AsinhOp : Dl_UnaryNonDiffOp<"asinh", "asinh(x)">;
def Dl_AcoshOp : Dl_UnaryNonDiffOp<"acosh", "acosh(x)">;
def Dl_AtanhOp : Dl_UnaryNonDiffOp<"atanh", "atanh(x)">;
def Dl_ErfOp : Dl_UnaryNonDiffOp<"erf", "erf(x)">;
def Dl_RoundOp : Dl_UnaryNonDiffOp<"round",
    "x rounded to the nearest integer, ties to even">;

class Dl_FloatClassOp<string mnemonic, string what>
    : Dl_Op<mnemonic, [Pure, SameOperandsAndResultShape,
                       Dl_BroadcastElementwise]> {
  let summary = "elementwise test whether x is " # what;
  let description = "`true` where the element is " # what # ".\n\n"
    "```mlir\n%m = dl." # mnemonic # " %x : tensor<4xf32> -> tensor<4xi1>\n```";
  let arguments = (ins Dl_FloatTensor:$input);
  let results = (outs Dl_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}
def Dl_IsNanOp : Dl_FloatClassOp<"is_nan", "NaN">;
def Dl_IsInfOp : Dl_FloatClassOp<"is_inf", "infinite (either sign)">;

def Dl_GeluOp : Dl_Op<"gelu",
    [Pure, SameOperandsAndResultType, Dl_BroadcastElementwise,
     Dl_Differentiable]> {
  let summary = "elementwise Gaussian error linear unit";
  let description = [{
    `x * Phi(x)` with the exact erf form (the default) or the tanh
    approximation `0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))` used by GPT-2.

    ```mlir
    %y = dl.gelu %x : tensor<4x8xf32>
    %z = dl.gelu %x approximation = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Dl_FloatTensor:$input,
      DefaultValuedAttr<Dl_GeluApproximation, "GeluApproximation::Erf">:
        $approximation);
  let results = (outs Dl_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximation` `=` $approximation^)? attr-dict `:` type($input)
  }];
}

def Dl_CastOp : Dl_Op<"cast", [Pure, SameOperandsAndResultShape,
                                Dl_BroadcastElementwise, Dl_Differentiable]> {
  let summary = "elementwise conversion to another element type";
  let description = [{
    Converts every element: floats to integers truncate toward zero, any
    value to `i1` is `x != 0`, `i1` to a number is 0 or 1.

    ```mlir
    %y = dl.cast %x : tensor<4xi1> to tensor<4xf32>
    ```
  }];
  let arguments = (ins Dl_Tensor:$input);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Binary, with broadcasting
//===----------------------------------------------------------------------===//

class Dl_BinaryOp<string mnemonic, Type tensorType, string formula,
                  list<Trait> traits = []>
    : Dl_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor,
                                           Dl_BroadcastElementwise,
                                           Dl_Differentiable])> {
  let summary = "elementwise " # formula # " with broadcasting";
  let description = "Computes `" # formula # "` on the operands broadcast to "
    "a common shape. Both have the same element type.\n\n"
    "```mlir\n%z = dl." # mnemonic # " %x, %y : (tensor<4x8xf32>, "
    "tensor<8xf32>) -> tensor<4x8xf32>\n```";
  let arguments = (ins tensorType:$lhs, tensorType:$rhs);
  let results = (outs tensorType:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Dl_AddOp : Dl_BinaryOp<"add", Dl_NumericTensor, "x + y", [Commutative]> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Dl_SubOp : Dl_BinaryOp<"sub", Dl_NumericTensor, "x - y"> {
  let hasFolder = 1;
}
def Dl_MulOp : Dl_BinaryOp<"mul", Dl_NumericTensor, "x * y", [Commutative]> {
  let hasFolder = 1;
}
def Dl_DivOp : Dl_BinaryOp<"div", Dl_NumericTensor, "x / y"> {
  let hasFolder = 1;
}
def Dl_PowOp : Dl_BinaryOp<"pow", Dl_FloatTensor, "x ^ y">;
def Dl_MaxOp : Dl_BinaryOp<"max", Dl_NumericTensor, "max(x, y)",
                           [Commutative]>;
def Dl_MinOp : Dl_BinaryOp<"min", Dl_NumericTensor, "min(x, y)",
                           [Commutative]>;

def Dl_CompareOp : Dl_Op<"compare", [Pure, InferTypeOpAdaptor,
                                      Dl_BroadcastElementwise]> {
  let summary = "elementwise comparison with broadcasting, giving i1";
  let description = [{
    Compares the operands broadcast to a common shape with `eq`, `ne`, `lt`,
    `le`, `gt` or `ge`. Floats compare ordered: any comparison with NaN is
    false except `ne`.

    ```mlir
    %m = dl.compare lt, %x, %y : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
    ```
  }];
  let arguments = (ins Dl_CompareDirection:$direction, Dl_Tensor:$lhs,
                       Dl_Tensor:$rhs);
  let results = (outs Dl_BoolTensor:$result);
  let assemblyFormat = [{
    $direction `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Dl_SelectOp : Dl_Op<"select", [Pure, InferTypeOpAdaptor,
                                    Dl_BroadcastElementwise, Dl_Differentiable]> {
  let summary = "elementwise choice between two tensors";
  let description = [{
    `cond ? on_true : on_false`, with all three broadcast to a common shape.

    ```mlir
    %z = dl.select %m, %x, %y
        : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Dl_BoolTensor:$condition, Dl_Tensor:$on_true,
                       Dl_Tensor:$on_false);
  let results = (outs Dl_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // DL_ELEMENTWISE_OPS_TD

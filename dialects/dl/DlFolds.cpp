//===- DlFolds.cpp - Folders and canonicalization patterns of dl ops ------===//
//
// Folds only what is exact in IEEE arithmetic: x*1 and x/1 fold, x+0 does not
// (it turns -0 into +0) but x + (-0) does.
//
//===----------------------------------------------------------------------===//

#include "dialects/dl/DlOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::dl;

namespace {
#include "dialects/dl/DlCanonicalize.inc"
} // namespace

void LogOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *context) {
  patterns.add<LogOfSoftmax>(context);
}

/// True when `attr` is a splat whose every element is `value`; for floats,
/// `negativeZero` asks for -0 rather than +0 when `value` is 0.
static bool isSplatOf(Attribute attr, int64_t value, bool negativeZero = false) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  if (isa<FloatType>(splat.getElementType())) {
    APFloat element = splat.getSplatValue<APFloat>();
    if (value == 0)
      return element.isZero() && element.isNegative() == negativeZero;
    return element.isExactlyValue(static_cast<double>(value));
  }
  return splat.getSplatValue<APInt>().getSExtValue() == value;
}

/// Folds to `keep` when broadcasting leaves its type unchanged.
static OpFoldResult keepIfSameType(Value keep, Value result) {
  return keep.getType() == result.getType() ? keep : Value();
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  bool isFloat = isa<FloatType>(getType().getElementType());
  if (isSplatOf(adaptor.getRhs(), 0, /*negativeZero=*/isFloat))
    return keepIfSameType(getLhs(), getResult());
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    return keepIfSameType(getLhs(), getResult());
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    return keepIfSameType(getLhs(), getResult());
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    return keepIfSameType(getLhs(), getResult());
  return {};
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult FillOp::fold(FoldAdaptor) {
  auto type = getType();
  Type element = type.getElementType();
  double value = getValue().convertToDouble();
  if (auto floatType = dyn_cast<FloatType>(element)) {
    APFloat converted(value);
    bool lostInfo;
    converted.convert(floatType.getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &lostInfo);
    return DenseElementsAttr::get(type, converted);
  }
  unsigned width = element.getIntOrFloatBitWidth();
  APInt integer = width == 1 ? APInt(1, value != 0)
                             : APInt(width, static_cast<int64_t>(value),
                                     /*isSigned=*/true);
  return DenseElementsAttr::get(type, integer);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return getInput();
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    // Result dim i = inner result dim perm[i] = input dim innerPerm[perm[i]].
    SmallVector<int64_t> composed;
    for (int64_t dim : permutation)
      composed.push_back(inner.getPermutation()[dim]);
    setPermutation(composed);
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return splat.resizeSplat(getType());
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  return {};
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // Unit steps from 0 that keep every size take everything.
  if (getInput().getType() == getType() &&
      llvm::all_of(getStep(), [](int64_t step) { return step == 1; }))
    return getInput();
  return {};
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  if (getRate().isZero())
    return getInput();
  return {};
}

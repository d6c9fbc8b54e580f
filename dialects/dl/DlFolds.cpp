//===- DlFolds.cpp - Folders and canonicalization patterns of dl ops ------===//
//
// Folds only what is exact in IEEE arithmetic: x*1 and x/1 fold, x+0 does not
// (it turns -0 into +0) but x + (-0) does.
//
//===----------------------------------------------------------------------===//

#include "dialects/dl/DlOps.h"
#include "mlir/IR/IRMapping.h"
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

namespace {

/// `x @ w` with `x` of rank > 2 and `w` a matrix is one matrix product over
/// the rows of all of `x`'s leading dimensions: [B, T, K] @ [K, N] is
/// [B*T, K] @ [K, N], viewed back as [B, T, N]. One large GEMM instead of a
/// batch of small ones, and the weight's gradient becomes a single product
/// over all rows (with the bias gradient beside it) instead of B products
/// and a sum. The reshapes are views.
struct MatmulOfMatrix : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    auto result = cast<RankedTensorType>(op.getType());
    if (lhs.getRank() <= 2 || rhs.getRank() != 2 || op.getTransposeLhs() ||
        !lhs.hasStaticShape() || !result.hasStaticShape())
      return failure();
    int64_t rows = 1;
    for (int64_t d : lhs.getShape().drop_back())
      rows *= d;
    Location loc = op.getLoc();
    auto rowsType = RankedTensorType::get({rows, lhs.getShape().back()},
                                          lhs.getElementType());
    Value flat = ReshapeOp::create(rewriter, loc, rowsType, op.getLhs());
    auto productType = RankedTensorType::get(
        {rows, result.getShape().back()}, result.getElementType());
    Value product = MatmulOp::create(rewriter, loc, productType, flat,
                                     op.getRhs(), false,
                                     op.getTransposeRhs());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, result, product);
    return success();
  }
};

/// A sum over the leading dimensions [0, k) of a tensor, k >= 2, is a sum
/// over dimension 0 of its view with those dimensions merged. The bias
/// gradient of a rank-3 activation then reads the same [B*T, N] view as the
/// weight gradient's product, and dl-fuse-epilogue joins the two.
struct ReduceSumOfLeadingDims : OpRewritePattern<ReduceSumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceSumOp op,
                                PatternRewriter &rewriter) const override {
    auto input = cast<RankedTensorType>(op.getInput().getType());
    ArrayRef<int64_t> axes = op.getAxes();
    if (op.getKeepdims() || axes.size() < 2 || !input.hasStaticShape())
      return failure();
    for (auto [i, axis] : llvm::enumerate(axes))
      if (axis != int64_t(i))
        return failure();
    SmallVector<int64_t> shape{1};
    for (int64_t d = 0; d < input.getRank(); ++d) {
      if (d < int64_t(axes.size()))
        shape.front() *= input.getDimSize(d);
      else
        shape.push_back(input.getDimSize(d));
    }
    Value merged = ReshapeOp::create(
        rewriter, op.getLoc(),
        RankedTensorType::get(shape, input.getElementType()), op.getInput());
    rewriter.replaceOpWithNewOp<ReduceSumOp>(op, op.getType(), merged,
                                             ArrayRef<int64_t>{0}, false);
    return success();
  }
};

} // namespace

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<MatmulOfMatrix>(context);
}

void ReduceSumOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ReduceSumOfLeadingDims>(context);
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

/// Folding makes constants of the plan, computed once instead of by a
/// kernel at every run; past this many elements a kernel is cheaper than
/// the plan's bytes.
static constexpr int64_t kMaxFoldedElements = 1 << 16;

OpFoldResult IotaOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldedElements)
    return {};
  int64_t dimension = getDimension(), inner = 1;
  for (int64_t d = dimension + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  int64_t size = type.getDimSize(dimension);
  Type element = type.getElementType();
  auto count = [&](int64_t i) { return (i / inner) % size; };
  if (auto floatType = dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < type.getNumElements(); ++i) {
      APFloat value(double(count(i)));
      bool lost;
      value.convert(floatType.getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &lost);
      values.push_back(value);
    }
    return DenseElementsAttr::get(type, values);
  }
  SmallVector<APInt> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i)
    values.push_back(APInt(element.getIntOrFloatBitWidth(), count(i),
                           /*isSigned=*/true, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(adaptor.getLhs());
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(adaptor.getRhs());
  auto type = cast<RankedTensorType>(getType());
  // Operands of the result's shape, or splats; no other broadcasting.
  auto fits = [&](DenseElementsAttr attr) {
    return attr && (attr.isSplat() || attr.getType().getShape() == type.getShape());
  };
  if (!fits(lhs) || !fits(rhs) || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldedElements)
    return {};
  bool isFloat = isa<FloatType>(lhs.getElementType());
  // i1 counts 0, 1 (signed, 1 would be -1).
  bool isUnsigned = lhs.getElementType().isUnsignedInteger() ||
                    lhs.getElementType().isInteger(1);
  CompareDirection direction = getDirection();
  auto decide = [&](int order, bool unordered) {
    if (unordered)
      return direction == CompareDirection::NE;
    switch (direction) {
    case CompareDirection::EQ: return order == 0;
    case CompareDirection::NE: return order != 0;
    case CompareDirection::LT: return order < 0;
    case CompareDirection::LE: return order <= 0;
    case CompareDirection::GT: return order > 0;
    case CompareDirection::GE: return order >= 0;
    }
    return false;
  };
  auto at = [&](DenseElementsAttr attr, int64_t i) {
    return attr.isSplat() ? 0 : i;
  };
  SmallVector<bool> values;
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    if (isFloat) {
      APFloat a = lhs.getValues<APFloat>()[at(lhs, i)];
      APFloat b = rhs.getValues<APFloat>()[at(rhs, i)];
      APFloat::cmpResult c = a.compare(b);
      values.push_back(decide(c == APFloat::cmpLessThan      ? -1
                              : c == APFloat::cmpGreaterThan ? 1
                                                             : 0,
                              c == APFloat::cmpUnordered));
    } else {
      APInt a = lhs.getValues<APInt>()[at(lhs, i)];
      APInt b = rhs.getValues<APInt>()[at(rhs, i)];
      int order = a == b ? 0
                  : (isUnsigned ? a.ult(b) : a.slt(b)) ? -1
                                                       : 1;
      values.push_back(decide(order, false));
    }
  }
  return DenseElementsAttr::get(type, values);
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

namespace {

/// True when `value` is a splat constant zero of either sign.
bool isZeros(Value value) {
  Attribute attr;
  return matchPattern(value, m_Constant(&attr)) &&
         (isSplatOf(attr, 0) || isSplatOf(attr, 0, /*negativeZero=*/true));
}

/// A stretch [begin, end) along a concat's axis, and what fills it (null:
/// zeros).
struct Piece {
  int64_t begin, end;
  Value value;
};

/// The stretches of `concat` along its axis.
SmallVector<Piece> piecesOf(ConcatOp concat) {
  SmallVector<Piece> pieces;
  int64_t at = 0;
  for (Value input : concat.getInputs()) {
    int64_t size =
        cast<RankedTensorType>(input.getType()).getDimSize(concat.getAxis());
    pieces.push_back({at, at + size, isZeros(input) ? Value() : input});
    at += size;
  }
  return pieces;
}

/// True when `pieces` is zero over all of [begin, end).
bool zeroOver(ArrayRef<Piece> pieces, int64_t begin, int64_t end) {
  return llvm::all_of(pieces, [&](const Piece &p) {
    return !p.value || p.end <= begin || p.begin >= end;
  });
}

/// The sum of two concatenations along one axis in which, everywhere, one
/// side is zeros is a single concatenation: what the gradients of slices
/// that partition a tensor add up to (attention's split into q, k and v,
/// whose gradients are each padded with zeros to the whole width).
struct AddOfPaddedConcats : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    auto lhs = add.getLhs().getDefiningOp<ConcatOp>();
    auto rhs = add.getRhs().getDefiningOp<ConcatOp>();
    auto type = cast<RankedTensorType>(add.getType());
    if (!lhs || !rhs || lhs.getAxis() != rhs.getAxis() ||
        lhs.getType() != type || rhs.getType() != type ||
        !type.hasStaticShape())
      return failure();
    SmallVector<Piece> left = piecesOf(lhs), right = piecesOf(rhs);
    SmallVector<Piece> values;
    for (auto [mine, other] : {std::pair{&left, &right}, {&right, &left}})
      for (const Piece &piece : *mine)
        if (piece.value) {
          if (!zeroOver(*other, piece.begin, piece.end))
            return failure();
          values.push_back(piece);
        }
    llvm::sort(values, [](const Piece &a, const Piece &b) {
      return a.begin < b.begin;
    });
    // The values in order, zeros in the gaps.
    int64_t axis = lhs.getAxis(), at = 0;
    SmallVector<Value> inputs;
    auto zeros = [&](int64_t size) {
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = size;
      auto zeroType = RankedTensorType::get(shape, type.getElementType());
      return ConstantOp::create(
          rewriter, add.getLoc(), zeroType,
          cast<ElementsAttr>(rewriter.getZeroAttr(zeroType)));
    };
    for (const Piece &piece : values) {
      if (piece.begin > at)
        inputs.push_back(zeros(piece.begin - at));
      inputs.push_back(piece.value);
      at = piece.end;
    }
    if (at < type.getDimSize(axis))
      inputs.push_back(zeros(type.getDimSize(axis) - at));
    if (inputs.size() == 1)
      rewriter.replaceOp(add, inputs.front());
    else
      rewriter.replaceOpWithNewOp<ConcatOp>(add, type, inputs, axis);
    return success();
  }
};

} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *context) {
  patterns.add<AddOfPaddedConcats>(context);
}

namespace {

/// relu(transpose(x)) is transpose(relu(x)), and relu(reshape(x))
/// reshape(relu(x)): moved towards its producer, a ReLU can meet the GEMM
/// whose epilogue applies it (a convolution written as a GEMM is viewed
/// and transposed to NCHW before its ReLU). Only when the view or
/// transpose has no other reader, so nothing is computed twice.
struct ReluBeforeLayoutChange : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp relu,
                                PatternRewriter &rewriter) const override {
    Operation *layout = relu.getInput().getDefiningOp();
    if (!layout || !isa<TransposeOp, ReshapeOp>(layout) ||
        !layout->hasOneUse())
      return failure();
    Value source = layout->getOperand(0);
    Value inner = ReluOp::create(rewriter, relu.getLoc(), source.getType(),
                                 source);
    IRMapping mapping;
    mapping.map(source, inner);
    Operation *moved = rewriter.clone(*layout, mapping);
    rewriter.replaceOp(relu, moved->getResults());
    rewriter.eraseOp(layout);
    return success();
  }
};

} // namespace

void ReluOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                         MLIRContext *context) {
  patterns.add<ReluBeforeLayoutChange>(context);
}

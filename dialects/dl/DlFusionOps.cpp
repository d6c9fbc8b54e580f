//===- DlFusionOps.cpp - Fused regions ------------------------------------===//

#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlViews.h"

using namespace mlir;
using namespace mlir::dl;

/// The body of an elementwise region (dl.fused, dl.fused_softmax) of
/// `inputs`: it computes `shape` element by element. Every value computed
/// inside has that shape; inputs are read with broadcasting, directly or
/// through view ops (slices, transposes, reshapes, broadcasts), which apply
/// to inputs only and become the kernel's loads.
static LogicalResult verifyElementwiseBody(Operation *owner, Block &block,
                                           TypeRange inputs,
                                           ArrayRef<int64_t> shape) {
  if (block.getNumArguments() != inputs.size())
    return owner->emitOpError("has ")
           << inputs.size() << " inputs but its body "
           << block.getNumArguments() << " arguments";
  for (auto [input, arg] : llvm::zip(inputs, block.getArguments()))
    if (input != arg.getType())
      return owner->emitOpError("input type ")
             << input << " differs from its argument's " << arg.getType();
  if (!isa<YieldOp>(block.getTerminator()))
    return owner->emitOpError("body must end with dl.yield");
  for (Operation &op : block.without_terminator()) {
    if (isViewOp(&op)) {
      Value source = op.getOperand(0);
      if (!isa<BlockArgument>(source) && !isViewOp(source.getDefiningOp()))
        return op.emitOpError("reads a value computed in the region; views "
                              "apply to its inputs only");
      Value root;
      if (!viewChainOf(op.getResult(0), root, &block))
        return op.emitOpError("merges dimensions that are not adjacent in "
                              "memory; that takes a copy, not a view");
      continue;
    }
    if (!op.hasTrait<BroadcastElementwise>() || isa<FusedOp>(op))
      return op.emitOpError("cannot be part of an elementwise region");
    for (Type type : op.getResultTypes())
      if (cast<RankedTensorType>(type).getShape() != shape)
        return op.emitOpError("has another shape than the region's results");
  }
  return success();
}

LogicalResult FusedOp::verify() {
  if (getNumResults() == 0)
    return emitOpError("has no results");
  Block &block = getBody().front();
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(getResult(0).getType()).getShape();
  if (failed(verifyElementwiseBody(*this, block, getInputs().getTypes(),
                                   shape)))
    return failure();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ")
           << yield.getValues().getTypes() << " but its results are "
           << getResultTypes();
  for (Type type : getResultTypes())
    if (cast<RankedTensorType>(type).getShape() != shape)
      return emitOpError("results of different shapes");
  if (getEpilogue()) {
    Value first = getInputs().empty() ? Value() : getInputs().front();
    Operation *producer = first ? first.getDefiningOp() : nullptr;
    if (!producer || !producer->hasTrait<ElementwiseEpilogue>() ||
        !first.hasOneUse() || getNumResults() != 1 ||
        first.getType() != getResult(0).getType())
      return emitOpError("an epilogue reads, as its first input, the one "
                         "result (of its own type) of an op that can apply "
                         "it, and nothing else reads that result");
    if (!readsElementForElement(*this, 0))
      return emitOpError("an epilogue reads its kernel's result element for "
                         "element, not through a view");
    // The kernel reads the other inputs while it runs.
    for (Value input : getInputs().drop_front())
      if (Operation *def = input.getDefiningOp();
          def && def->getBlock() == producer->getBlock() &&
          !def->isBeforeInBlock(producer))
        return emitOpError("an epilogue's other inputs must exist before "
                           "its kernel runs");
  }
  return success();
}

LogicalResult FusedSoftmaxOp::verify() {
  RankedTensorType type = getResult().getType();
  Block &block = getBody().front();
  if (failed(verifyElementwiseBody(*this, block, getInputs().getTypes(),
                                   type.getShape())))
    return failure();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != 1 || yield.getValues()[0].getType() != type)
    return emitOpError("must yield one value of its result type ") << type;
  if (getAxis() >= uint64_t(type.getRank()))
    return emitOpError("axis ") << getAxis() << " is out of range for rank "
                                << type.getRank();
  return success();
}

/// The scores of attention over `query` [..., T, E] and `key` [..., S, E]:
/// [..., T, S].
static RankedTensorType attentionScoresType(Value query, Value key) {
  auto q = cast<RankedTensorType>(query.getType());
  auto k = cast<RankedTensorType>(key.getType());
  SmallVector<int64_t> shape(q.getShape().drop_back());
  shape.push_back(k.getShape().end()[-2]);
  return RankedTensorType::get(shape, q.getElementType());
}

/// Attention's `query` [..., T, E], `key` [..., S, E] and `value`
/// [..., S, E2]: one rank of 2 or more, the same leading dimensions.
static LogicalResult verifyAttentionOperands(Operation *op, Value query,
                                             Value key, Value value) {
  auto q = cast<RankedTensorType>(query.getType());
  auto k = cast<RankedTensorType>(key.getType());
  auto v = cast<RankedTensorType>(value.getType());
  int64_t rank = q.getRank();
  if (rank < 2 || k.getRank() != rank || v.getRank() != rank)
    return op->emitOpError(
        "query, key and value must have one rank, 2 or more");
  ArrayRef<int64_t> batch = q.getShape().drop_back(2);
  if (k.getShape().drop_back(2) != batch || v.getShape().drop_back(2) != batch)
    return op->emitOpError("query, key and value must share their leading "
                           "dimensions");
  int64_t e = q.getDimSize(rank - 1), s = k.getDimSize(rank - 2);
  if (k.getDimSize(rank - 1) != e)
    return op->emitOpError("query and key rows differ in length: ")
           << e << " and " << k.getDimSize(rank - 1);
  if (v.getDimSize(rank - 2) != s)
    return op->emitOpError("key and value differ in rows: ")
           << s << " and " << v.getDimSize(rank - 2);
  return success();
}

/// The body of an attention op: an elementwise region over the `scores`
/// (its first argument) and `inputs` that yields one value of their type.
static LogicalResult verifyScoresBody(Operation *op, Block &block,
                                      RankedTensorType scores,
                                      ValueRange inputs) {
  SmallVector<Type> arguments{scores};
  llvm::append_range(arguments, inputs.getTypes());
  if (failed(verifyElementwiseBody(op, block, arguments, scores.getShape())))
    return failure();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != 1 || yield.getValues()[0].getType() != scores)
    return op->emitOpError("must yield one value of the scores' type ")
           << scores;
  return success();
}

RankedTensorType FusedAttentionOp::getScoresType() {
  return attentionScoresType(getQuery(), getKey());
}

LogicalResult FusedAttentionOp::verify() {
  if (failed(verifyAttentionOperands(*this, getQuery(), getKey(), getValue())))
    return failure();
  auto query = cast<RankedTensorType>(getQuery().getType());
  auto key = cast<RankedTensorType>(getKey().getType());
  auto value = cast<RankedTensorType>(getValue().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t rank = query.getRank();
  SmallVector<int64_t> shape(query.getShape().drop_back(2));
  shape.append({query.getDimSize(rank - 2), value.getDimSize(rank - 1)});
  if (getMergeHeads()) {
    if (rank < 3)
      return emitOpError("merges heads of a query [..., H, T, E] only");
    std::swap(shape[rank - 3], shape[rank - 2]);
  }
  if (result.getShape() != ArrayRef<int64_t>(shape))
    return emitOpError("result must be ")
           << RankedTensorType::get(shape, result.getElementType());
  for (Type type : {key, value})
    if (cast<RankedTensorType>(type).getElementType() !=
            query.getElementType() ||
        result.getElementType() != query.getElementType())
      return emitOpError("query, key, value and result must share one "
                         "element type");
  RankedTensorType scores = getScoresType();
  if (Value probabilities = getProbabilities();
      probabilities && probabilities.getType() != scores)
    return emitOpError("probabilities must be the scores' type ") << scores;
  return verifyScoresBody(*this, getBody().front(), scores, getInputs());
}

RankedTensorType FusedAttentionGradOp::getScoresType() {
  return attentionScoresType(getQuery(), getKey());
}

LogicalResult FusedAttentionGradOp::verify() {
  if (failed(verifyAttentionOperands(*this, getQuery(), getKey(), getValue())))
    return failure();
  auto query = cast<RankedTensorType>(getQuery().getType());
  int64_t rank = query.getRank();
  int64_t t = query.getDimSize(rank - 2), e = query.getDimSize(rank - 1);
  int64_t s = cast<RankedTensorType>(getKey().getType()).getDimSize(rank - 2);
  int64_t e2 =
      cast<RankedTensorType>(getValue().getType()).getDimSize(rank - 1);
  Type element = query.getElementType();
  for (Value operand : getOperands().take_front(5))
    if (cast<RankedTensorType>(operand.getType()).getElementType() != element)
      return emitOpError("grad, probabilities, query, key and value must "
                         "share one element type");
  RankedTensorType scores = getScoresType();
  if (getProbabilities().getType() != scores)
    return emitOpError("probabilities must be the scores' type ") << scores;
  if (getMergeHeads() && rank < 3)
    return emitOpError("merges heads of a query [..., H, T, E] only");
  // [..., rows, width] laid out as the gradients are written.
  auto laidOut = [&](int64_t rows, int64_t width) {
    SmallVector<int64_t> shape(query.getShape().drop_back(2));
    shape.append({rows, width});
    if (getMergeHeads())
      std::swap(shape[rank - 3], shape[rank - 2]);
    return RankedTensorType::get(shape, element);
  };
  if (getGrad().getType() != laidOut(t, e2))
    return emitOpError("grad must be ") << laidOut(t, e2);
  SmallVector<Type> expected;
  if (isPacked()) {
    if (!getMergeHeads() || t != s || e != e2)
      return emitOpError("writes one result only with merged heads, as many "
                         "keys as queries and values as wide as keys");
    SmallVector<int64_t> shape(query.getShape().drop_back(3));
    shape.append({t, 3 * query.getDimSize(rank - 3) * e});
    expected.push_back(RankedTensorType::get(shape, element));
  } else {
    expected = {laidOut(t, e), laidOut(s, e), laidOut(s, e2)};
  }
  if (TypeRange(getGradients().getTypes()) != TypeRange(expected)) {
    InFlightDiagnostic diag = emitOpError("gradients must be ");
    llvm::interleaveComma(expected, diag);
    return diag;
  }
  return verifyScoresBody(*this, getBody().front(), scores, getInputs());
}

LogicalResult MatmulBiasGradOp::verify() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  auto rhs = cast<RankedTensorType>(getRhs().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  auto biasGrad = cast<RankedTensorType>(getBiasGrad().getType());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOpError("operands must be matrices");
  int64_t m = lhs.getDimSize(getTransposeLhs() ? 1 : 0);
  int64_t k = lhs.getDimSize(getTransposeLhs() ? 0 : 1);
  if (rhs.getDimSize(0) != k)
    return emitOpError("the operands' inner dimensions differ: ")
           << k << " and " << rhs.getDimSize(0);
  int64_t n = rhs.getDimSize(1);
  if (getBiasOfLhs() && !getTransposeLhs())
    return emitOpError("sums a transposed lhs only");
  int64_t sums = getBiasOfLhs() ? m : n;
  if (result.getShape() != ArrayRef<int64_t>{m, n} ||
      biasGrad.getShape() != ArrayRef<int64_t>{sums})
    return emitOpError("results must be [")
           << m << ", " << n << "] and [" << sums << "]";
  for (Type type : {lhs, rhs, biasGrad})
    if (cast<RankedTensorType>(type).getElementType() !=
        result.getElementType())
      return emitOpError("operands and results must share one element type");
  return success();
}

LogicalResult MatmulBiasOp::verify() {
  auto result = cast<RankedTensorType>(getResult().getType());
  auto bias = cast<RankedTensorType>(getBias().getType());
  if (result.getRank() < 2)
    return emitOpError("result must have rank 2 or more");
  if (bias.getRank() != 1 || bias.getDimSize(0) != result.getShape().back())
    return emitOpError("bias must have shape [")
           << result.getShape().back() << "] (the result's last dimension)";
  for (Value operand : {getLhs(), getRhs(), getBias()})
    if (cast<RankedTensorType>(operand.getType()).getElementType() !=
        result.getElementType())
      return emitOpError("operands and result must share one element type");
  if (getRelu() && getGeluTanh())
    return emitOpError("takes one activation, relu or gelu_tanh");
  if (Value addend = getAddend()) {
    if (addend.getType() != result)
      return emitOpError("addend must have the result's type ") << result;
    // cuBLASLt applies the activation after adding C.
    if (getRelu() || getGeluTanh())
      return emitOpError("takes an addend or an activation, not both");
  }
  return success();
}

LogicalResult Conv2dGradWeightBiasOp::verify() {
  auto grad = cast<RankedTensorType>(getGrad().getType());
  auto weight = cast<RankedTensorType>(getResult().getType());
  auto bias = cast<RankedTensorType>(getBiasGrad().getType());
  if (grad.getRank() != 4 || weight.getRank() != 4)
    return emitOpError("grad and the weight gradient must have rank 4");
  if (bias.getShape() != ArrayRef<int64_t>{grad.getDimSize(1)} ||
      bias.getElementType() != grad.getElementType())
    return emitOpError("bias gradient must be [")
           << grad.getDimSize(1) << "] of the gradient's element type";
  return success();
}

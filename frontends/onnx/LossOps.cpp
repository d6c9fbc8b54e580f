//===- LossOps.cpp - ONNX NegativeLogLikelihoodLoss and SoftmaxCrossEntropy ===//
//
// Both take class scores [N, C, d1...] and integer targets [N, d1...], with
// optional class weights and an ignored target value. The target's score is
// picked with a one-hot mask (a comparison with an iota) and a sum over the
// class axis, which fuses into one kernel and needs no gather on data.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

/// The loss of log-probabilities `logProb` ([N, C, d...]) against the
/// targets in input `targetIndex`, weights (optional) in `weightIndex`.
LogicalResult negativeLogLikelihood(NodeContext &ctx, Value logProb,
                                    unsigned targetIndex,
                                    unsigned weightIndex) {
  auto type = cast<RankedTensorType>(logProb.getType());
  if (type.getRank() < 2)
    return ctx.error() << "the scores must be [N, C, ...]", failure();
  Value target = ctx.in(targetIndex);
  auto targetType = ctx.type(targetIndex);
  SmallVector<int64_t> expected(type.getShape());
  expected.erase(expected.begin() + 1);
  if (targetType.getShape() != ArrayRef<int64_t>(expected))
    return ctx.error() << "the target's shape must be the scores' without "
                          "the class dimension",
           failure();
  Type idx = targetType.getElementType();
  Type elt = type.getElementType();
  std::string reduction = ctx.getString("reduction", "mean");
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    return ctx.unsupported("reduction='" + reduction + "'");

  // Ignored targets count as class 0 with weight 0.
  Value valid;
  if (ctx.hasAttr("ignore_index")) {
    valid = ctx.make<CompareOp>(
        CompareDirection::NE, target,
        ctx.scalarOf(idx, double(ctx.getInt("ignore_index", 0))));
    target = ctx.make<SelectOp>(valid, target, ctx.scalarOf(idx, 0));
  }
  SmallVector<int64_t> targetShape(targetType.getShape());
  targetShape.insert(targetShape.begin() + 1, 1);
  Value classes = ctx.iota(type.getShape(), 1, idx);
  Value mask = ctx.make<CompareOp>(CompareDirection::EQ, classes,
                                   ctx.reshape(target, targetShape));
  Value picked = ctx.make<SelectOp>(mask, logProb, ctx.scalarOf(elt, 0));
  Value loss = NegOp::create(
      ctx.b, ctx.loc,
      ctx.make<ReduceSumOp>(picked, ArrayRef<int64_t>{1}, false));

  Value weight;
  if (ctx.has(weightIndex))
    weight = ctx.make<GatherOp>(ctx.in(weightIndex), target, uint64_t(0));
  if (valid)
    weight = ctx.make<SelectOp>(valid, weight ? weight : ctx.scalarOf(elt, 1),
                                ctx.scalarOf(elt, 0));
  if (weight)
    loss = ctx.make<MulOp>(loss, weight);
  if (!loss)
    return failure();

  SmallVector<int64_t> all;
  for (int64_t i = 0; i < targetType.getRank(); ++i)
    all.push_back(i);
  if (reduction == "sum") {
    loss = ctx.make<ReduceSumOp>(loss, ArrayRef<int64_t>(all), false);
  } else if (reduction == "mean") {
    if (weight) {
      Value total =
          ctx.make<ReduceSumOp>(ctx.broadcastTo(weight, targetType.getShape()),
                                ArrayRef<int64_t>(all), false);
      loss = ctx.make<DivOp>(
          ctx.make<ReduceSumOp>(loss, ArrayRef<int64_t>(all), false), total);
    } else {
      loss = ctx.make<ReduceMeanOp>(loss, ArrayRef<int64_t>(all), false);
    }
  }
  ctx.set(0, loss);
  return success(loss != nullptr);
}

LogicalResult convertNegativeLogLikelihoodLoss(NodeContext &ctx) {
  return negativeLogLikelihood(ctx, ctx.in(0), 1, 2);
}

LogicalResult convertSoftmaxCrossEntropyLoss(NodeContext &ctx) {
  if (ctx.rank(0) < 2)
    return ctx.error() << "the scores must be [N, C, ...]", failure();
  Value logProb = LogSoftmaxOp::create(ctx.b, ctx.loc, ctx.in(0), 1);
  if (failed(negativeLogLikelihood(ctx, logProb, 1, 2)))
    return failure();
  if (ctx.wants(1))
    ctx.set(1, logProb);
  return success();
}

} // namespace

void dlc::onnx::registerLossOps(ConverterTable &t) {
  t.add("NegativeLogLikelihoodLoss", 12, convertNegativeLogLikelihoodLoss);
  t.add("SoftmaxCrossEntropyLoss", 12, convertSoftmaxCrossEntropyLoss);
}

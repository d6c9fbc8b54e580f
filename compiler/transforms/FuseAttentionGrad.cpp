//===- FuseAttentionGrad.cpp - Attention's backward pass as one kernel ----===//
//
// The gradient rules leave attention's backward pass as five products and
// the softmax's gradient (with the mask's and scale's gradient as its
// epilogue): dp = g @ v^T, ds = softmax_grad(p, dp), dq = ds @ k,
// dk = ds^T @ q, dv = p^T @ g. Each writes a [..., T, S] or [..., T, E]
// tensor that the next reads back. One dl.fused_attention_grad computes
// them per head with the scores' gradients in shared memory. In a
// multi-head layer the gradient arrives through a copy that splits the
// heads, and the three results leave through copies that merge them and
// a concatenation that joins them into the projection's gradient: the op
// reads and writes those layouts itself.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/FusionSupport.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEATTENTIONGRAD
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// The one user of `value` that is an `OpTy`, if that is its only use.
template <typename OpTy> OpTy onlyUser(Value value) {
  if (!value.hasOneUse())
    return {};
  return dyn_cast<OpTy>(*value.getUsers().begin());
}

/// The product `lhs @ rhs` among the users of `lhs`, transposed as asked.
MatmulOp productOf(Value lhs, Value rhs, bool transposeLhs) {
  for (Operation *user : lhs.getUsers())
    if (auto matmul = dyn_cast<MatmulOp>(user);
        matmul && matmul.getLhs() == lhs && matmul.getRhs() == rhs &&
        matmul.getTransposeLhs() == transposeLhs && !matmul.getTransposeRhs())
      return matmul;
  return {};
}

/// What the backward pass of one attention op is made of.
struct Backward {
  MatmulOp scoresGrad;   // dp = g @ v^T
  MatmulOp valueGrad;    // dv = p^T @ g
  SoftmaxGradOp softmax; // softmax_grad(p, dp)
  FusedOp epilogue;      // the mask's and scale's gradient, if any
  MatmulOp queryGrad;    // dq = ds @ k
  MatmulOp keyGrad;      // dk = ds^T @ q
  Value grad;            // g

  /// The op every other one comes after.
  Operation *first() const {
    return valueGrad->isBeforeInBlock(scoresGrad) ? valueGrad : scoresGrad;
  }
};

/// The backward pass of `attention`, if the gradient rules made it and
/// nothing else reads what it computes on the way.
std::optional<Backward> matchBackward(FusedAttentionOp attention) {
  Value p = attention.getProbabilities();
  if (!p)
    return std::nullopt;
  Backward b;
  int64_t rank = cast<RankedTensorType>(p.getType()).getRank();
  for (Operation *user : p.getUsers())
    if (auto softmax = dyn_cast<SoftmaxGradOp>(user);
        softmax && softmax.getResult() == p && !softmax.getLog() &&
        int64_t(softmax.getAxis()) == rank - 1)
      b.softmax = softmax;
  if (!b.softmax)
    return std::nullopt;
  Value dp = b.softmax.getGrad();
  b.scoresGrad = dp.getDefiningOp<MatmulOp>();
  if (!b.scoresGrad || !dp.hasOneUse() || b.scoresGrad.getTransposeLhs() ||
      !b.scoresGrad.getTransposeRhs() ||
      b.scoresGrad.getRhs() != attention.getValue())
    return std::nullopt;
  b.grad = b.scoresGrad.getLhs();
  b.valueGrad = productOf(p, b.grad, /*transposeLhs=*/true);
  Value ds = b.softmax.getInputGrad();
  if (auto epilogue = onlyUser<FusedOp>(ds);
      epilogue && epilogue.getEpilogue() && epilogue.getNumResults() == 1 &&
      epilogue.getInputs().front() == ds) {
    b.epilogue = epilogue;
    ds = epilogue.getResult(0);
  }
  b.queryGrad = productOf(ds, attention.getKey(), /*transposeLhs=*/false);
  b.keyGrad = productOf(ds, attention.getQuery(), /*transposeLhs=*/true);
  if (!b.valueGrad || !b.queryGrad || !b.keyGrad ||
      std::distance(ds.use_begin(), ds.use_end()) != 2)
    return std::nullopt;
  Block *block = attention->getBlock();
  for (Operation *op : {b.scoresGrad.getOperation(), b.valueGrad.getOperation(),
                        b.softmax.getOperation(), b.queryGrad.getOperation(),
                        b.keyGrad.getOperation()})
    if (op->getBlock() != block)
      return std::nullopt;
  if (b.epilogue)
    for (Value input : b.epilogue.getInputs().drop_front())
      if (!availableBefore(input, b.first()))
        return std::nullopt;
  return b;
}

/// The concatenation along the last axis of `parts` in this order, each
/// reshaped to rows ([..., T, H, E] -> [..., T, H * E]) by its only reader.
ConcatOp joined(ArrayRef<Value> parts, SmallVectorImpl<Operation *> &reshapes) {
  ConcatOp concat;
  for (auto [i, part] : llvm::enumerate(parts)) {
    auto reshape = onlyUser<ReshapeOp>(part);
    if (!reshape)
      return {};
    auto type = cast<RankedTensorType>(part.getType());
    auto rows = cast<RankedTensorType>(reshape.getType());
    if (rows.getShape().drop_back() != type.getShape().drop_back(2))
      return {};
    auto user = onlyUser<ConcatOp>(reshape.getResult());
    if (!user || (concat && user != concat) ||
        user.getInputs().size() != parts.size() ||
        user.getInputs()[i] != reshape.getResult() ||
        int64_t(user.getAxis()) != rows.getRank() - 1)
      return {};
    concat = user;
    reshapes.push_back(reshape);
  }
  return concat;
}

struct DlFuseAttentionGradPass
    : public mlir::dl::impl::DlFuseAttentionGradBase<DlFuseAttentionGradPass> {
  using DlFuseAttentionGradBase::DlFuseAttentionGradBase;

  void runOnOperation() override {
    SmallVector<FusedAttentionOp> attentions;
    getOperation().walk([&](FusedAttentionOp op) { attentions.push_back(op); });
    for (FusedAttentionOp attention : attentions)
      if (std::optional<Backward> backward = matchBackward(attention))
        fuse(attention, *backward);
  }

  /// Whether the kernel's shared memory holds a head's keys and values
  /// (later its queries and gradient rows, each padded by a column), a
  /// gradient row per warp (8 warps) and the head's scores' gradients
  /// (padded by a column): the layout the CUDA emitter declares.
  bool fits(FusedAttentionOp attention) const {
    auto q = cast<RankedTensorType>(attention.getQuery().getType());
    auto v = cast<RankedTensorType>(attention.getValue().getType());
    auto k = cast<RankedTensorType>(attention.getKey().getType());
    int64_t rank = q.getRank();
    int64_t t = q.getDimSize(rank - 2), e = q.getDimSize(rank - 1);
    int64_t s = k.getDimSize(rank - 2), e2 = v.getDimSize(rank - 1);
    if (t == 0 || s == 0)
      return false;
    int64_t rows = std::max(s, t) * (e + e2 + 2);
    int64_t elements = rows + 8 * e2 + t * (s + 1);
    return elements * (q.getElementTypeBitWidth() / 8) <=
           int64_t(maxSharedBytes);
  }

  void fuse(FusedAttentionOp attention, Backward &b) {
    if (!fits(attention))
      return;
    Value grad = b.grad;
    SmallVector<Value> gradients{b.queryGrad.getResult(), b.keyGrad.getResult(),
                                 b.valueGrad.getResult()};
    // The multi-head layouts: the gradient read through a copy that split
    // its heads, the gradients written where the copies merging them put
    // them, and those joined in one projection's gradient.
    auto split = grad.getDefiningOp<FusedOp>();
    SmallVector<FusedOp> merges;
    for (Value gradient : gradients)
      if (FusedOp merge = headMergingReader(gradient))
        merges.push_back(merge);
    bool merged = split && isHeadSwap(split) && merges.size() == 3;
    SmallVector<Operation *> reshapes;
    ConcatOp concat;
    if (merged) {
      SmallVector<Value> parts;
      for (FusedOp merge : merges)
        parts.push_back(merge.getResult(0));
      concat = joined(parts, reshapes);
      auto q = cast<RankedTensorType>(attention.getQuery().getType());
      auto k = cast<RankedTensorType>(attention.getKey().getType());
      auto v = cast<RankedTensorType>(attention.getValue().getType());
      if (q.getShape() != k.getShape() || k.getShape() != v.getShape())
        concat = {};
    }

    OpBuilder builder(b.first());
    SmallVector<Value> inputs;
    if (b.epilogue)
      llvm::append_range(inputs, b.epilogue.getInputs().drop_front());
    SmallVector<Type> types;
    if (concat)
      types.push_back(concat.getType());
    else if (merged)
      for (FusedOp merge : merges)
        types.push_back(merge.getResult(0).getType());
    else
      for (Value gradient : gradients)
        types.push_back(gradient.getType());
    auto fused = FusedAttentionGradOp::create(
        builder, b.softmax.getLoc(), types,
        merged ? split.getInputs().front() : grad, attention.getProbabilities(),
        attention.getQuery(), attention.getKey(), attention.getValue(), inputs);
    fused.setMergeHeads(merged);
    Block *body = builder.createBlock(&fused.getBody());
    RankedTensorType scores = fused.getScoresType();
    Value ds = body->addArgument(scores, b.softmax.getLoc());
    for (Value input : inputs)
      body->addArgument(input.getType(), input.getLoc());
    if (b.epilogue) {
      Block &old = b.epilogue.getBody().front();
      IRMapping mapping;
      for (auto [arg, now] :
           llvm::zip(old.getArguments(), body->getArguments()))
        mapping.map(arg, now);
      for (Operation &op : old)
        builder.clone(op, mapping);
    } else {
      YieldOp::create(builder, b.softmax.getLoc(), ds);
    }

    // Users go before what they read.
    SmallVector<Operation *> dead;
    if (concat) {
      concat.getResult().replaceAllUsesWith(fused.getGradients()[0]);
      dead.push_back(concat);
      llvm::append_range(dead, reshapes);
    }
    for (auto [i, merge] : llvm::enumerate(merges)) {
      if (!merged)
        break;
      if (!concat)
        merge.getResult(0).replaceAllUsesWith(fused.getGradients()[i]);
      dead.push_back(merge);
    }
    if (!merged)
      for (auto [gradient, now] : llvm::zip(gradients, fused.getGradients()))
        gradient.replaceAllUsesWith(now);
    dead.append({b.queryGrad, b.keyGrad});
    if (b.epilogue)
      dead.push_back(b.epilogue);
    dead.append({b.softmax, b.scoresGrad, b.valueGrad});
    for (Operation *op : dead)
      op->erase();
    if (merged && split->use_empty())
      split->erase();
  }
};

} // namespace

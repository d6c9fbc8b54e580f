//===- FuseAttention.cpp - Scores, softmax and weighted sum as one kernel -===//
//
// After the softmax prologues: q @ k^T, the softmax of the (modified)
// scores and the product of the probabilities with v become one
// dl.fused_attention when the scores have no other reader (a head too long
// for shared memory goes through it in tiles of keys). Probabilities
// read elsewhere too (by the backward pass) become its second result. The
// softmax's prologue body, if any, becomes the attention's body, its
// scores argument moved to the front. A copy that swaps the result's heads
// and rows (before the heads are merged) becomes the kernel's store order.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/FusionSupport.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlViews.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEATTENTION
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// `value` as `q @ k^T` (batched, no broadcasting), read only by its user.
MatmulOp scoresProduct(Value value) {
  auto matmul = value.getDefiningOp<MatmulOp>();
  if (!matmul || !value.hasOneUse() || matmul.getTransposeLhs() ||
      !matmul.getTransposeRhs())
    return {};
  return matmul;
}

struct DlFuseAttentionPass
    : public mlir::dl::impl::DlFuseAttentionBase<DlFuseAttentionPass> {
  using DlFuseAttentionBase::DlFuseAttentionBase;

  void runOnOperation() override {
    SmallVector<Operation *> softmaxes;
    getOperation().walk([&](Operation *op) {
      if (isa<SoftmaxOp>(op) ||
          (isa<FusedSoftmaxOp>(op) && !cast<FusedSoftmaxOp>(op).getLog()))
        softmaxes.push_back(op);
    });
    for (Operation *softmax : softmaxes)
      fuse(softmax);
  }

  /// Whether the kernel's shared memory holds a head's keys (padded by a
  /// column), values, and a query row and a probability row per warp (4
  /// warps); or else, for the kernel that takes the keys in tiles, one key
  /// and its value, the block's 16 query rows and a score per warp.
  bool fits(RankedTensorType query, RankedTensorType key,
            RankedTensorType value) const {
    int64_t rank = query.getRank();
    int64_t e = query.getDimSize(rank - 1), s = key.getDimSize(rank - 2);
    int64_t e2 = value.getDimSize(rank - 1);
    int64_t bytes = query.getElementTypeBitWidth() / 8;
    int64_t whole = s * (e + 1) + s * e2 + 4 * (e + s);
    int64_t tiled = (e + 1) + e2 + 16 * e + 4;
    return std::min(whole, tiled) * bytes <= int64_t(maxSharedBytes);
  }

  void fuse(Operation *softmax) {
    auto scoresType = cast<RankedTensorType>(softmax->getResult(0).getType());
    int64_t axis = softmax->getAttrOfType<IntegerAttr>("axis").getInt();
    Value probabilities = softmax->getResult(0);
    if (axis != scoresType.getRank() - 1)
      return;
    // The weighted sum: the first product of the probabilities by v.
    MatmulOp weighted;
    for (Operation *user : probabilities.getUsers()) {
      auto matmul = dyn_cast<MatmulOp>(user);
      if (matmul && matmul.getLhs() == probabilities &&
          matmul.getRhs() != probabilities && !matmul.getTransposeLhs() &&
          !matmul.getTransposeRhs() &&
          matmul->getBlock() == softmax->getBlock() &&
          (!weighted || matmul->isBeforeInBlock(weighted)))
        weighted = matmul;
    }
    if (!weighted)
      return;
    // The scores: the softmax's input, or the prologue's one input that
    // is q @ k^T of the scores' own type.
    auto fusedSoftmax = dyn_cast<FusedSoftmaxOp>(softmax);
    std::optional<unsigned> scoresIndex;
    MatmulOp product;
    if (fusedSoftmax) {
      for (auto [i, input] : llvm::enumerate(fusedSoftmax.getInputs()))
        if (MatmulOp found = scoresProduct(input);
            found && input.getType() == scoresType && !product)
          product = found, scoresIndex = i;
    } else {
      product = scoresProduct(softmax->getOperand(0));
    }
    if (!product)
      return;
    // The kernel has each score alone: the body reads it as it is.
    if (fusedSoftmax) {
      BlockArgument arg = fusedSoftmax.getBody().getArgument(*scoresIndex);
      if (arg.use_empty() || llvm::any_of(arg.getUsers(), isViewOp))
        return;
    }
    Value query = product.getLhs(), key = product.getRhs(),
          value = weighted.getRhs();
    auto q = cast<RankedTensorType>(query.getType());
    auto k = cast<RankedTensorType>(key.getType());
    auto v = cast<RankedTensorType>(value.getType());
    int64_t rank = scoresType.getRank();
    ArrayRef<int64_t> batch = scoresType.getShape().drop_back(2);
    if (q.getRank() != rank || k.getRank() != rank || v.getRank() != rank ||
        q.getShape().drop_back(2) != batch ||
        k.getShape().drop_back(2) != batch ||
        v.getShape().drop_back(2) != batch || !fits(q, k, v))
      return;

    // The op goes after the softmax and v; the probabilities' other
    // readers (training's backward pass), which then read its second
    // result, must all come later.
    Operation *point = softmax;
    if (Operation *def = value.getDefiningOp();
        def && def->getBlock() == softmax->getBlock() &&
        point->isBeforeInBlock(def))
      point = def;
    else if (def && def->getBlock() != softmax->getBlock())
      return;
    bool keep = !probabilities.hasOneUse();
    for (Operation *user : probabilities.getUsers())
      if (user->getBlock() != softmax->getBlock() ||
          !point->isBeforeInBlock(user))
        return;

    OpBuilder builder(point->getContext());
    builder.setInsertionPointAfter(point);
    SmallVector<Value> inputs;
    if (fusedSoftmax)
      for (auto [i, input] : llvm::enumerate(fusedSoftmax.getInputs()))
        if (i != *scoresIndex)
          inputs.push_back(input);
    SmallVector<Type> results{weighted.getResult().getType()};
    if (keep)
      results.push_back(scoresType);
    auto attention = FusedAttentionOp::create(
        builder, weighted.getLoc(), results, query, key, value, inputs);
    Block *body = builder.createBlock(&attention.getBody());
    Value scores = body->addArgument(scoresType, product.getLoc());
    for (Value input : inputs)
      body->addArgument(input.getType(), input.getLoc());
    if (fusedSoftmax) {
      // The prologue, its scores argument first.
      Block &old = fusedSoftmax.getBody().front();
      IRMapping mapping;
      unsigned next = 1;
      for (auto [i, arg] : llvm::enumerate(old.getArguments()))
        mapping.map(arg, i == *scoresIndex ? scores
                                           : body->getArgument(next++));
      for (Operation &op : old)
        builder.clone(op, mapping);
    } else {
      YieldOp::create(builder, softmax->getLoc(), scores);
    }
    weighted.getResult().replaceAllUsesWith(attention.getResult());
    weighted.erase();
    // The heads' merge: the kernel stores each row where it goes.
    if (FusedOp merge = headMergingReader(attention.getResult())) {
      attention.setMergeHeads(true);
      attention.getResult().setType(
          cast<RankedTensorType>(merge.getResult(0).getType()));
      merge.getResult(0).replaceAllUsesWith(attention.getResult());
      merge.erase();
    }
    if (keep)
      probabilities.replaceAllUsesWith(attention.getProbabilities());
    softmax->erase();
    product.erase();
  }
};

} // namespace

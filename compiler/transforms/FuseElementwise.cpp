//===- FuseElementwise.cpp - Elementwise ops into dl.fused regions --------===//
//
// Greedy and in program order: an op joins the groups of its operands'
// producers when they have its shape, the order stays valid and the group
// stays within the limits. View ops (slices, transposes, reshapes,
// broadcasts) of a value read from memory start a chain that the next view
// of the chain's end extends; elementwise ops join such chains like any
// group, and the chain becomes the region's strided load of its input. Each
// group of two or more ops, or with a slice or transpose, is outlined into a
// dl.fused placed where its last op was: a chain alone is one copy kernel
// instead of one per view op.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlViews.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEELEMENTWISE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// Ops a region may hold: one-result elementwise ops, and views.
bool isFusible(Operation &op) {
  if (op.getNumResults() != 1 || isa<FusedOp>(op))
    return false;
  return op.hasTrait<BroadcastElementwise>() || isViewOp(&op);
}

struct Group {
  SmallVector<Operation *> ops; // in program order
  SmallVector<int64_t> shape;
  bool viewsOnly = true; // a chain of views, each reading the one before
};

struct DlFuseElementwisePass
    : public mlir::dl::impl::DlFuseElementwiseBase<DlFuseElementwisePass> {
  using DlFuseElementwiseBase::DlFuseElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();

    std::vector<Group> groups;
    DenseMap<Operation *, unsigned> groupOf;
    for (Operation &op : body) {
      if (!isFusible(op))
        continue;
      ArrayRef<int64_t> shape = shapeOf(op.getResult(0));
      if (isViewOp(&op)) {
        addView(op, groups, groupOf);
        continue;
      }
      // Other ops may join the groups of producers of their own shape.
      SmallVector<unsigned> candidates;
      for (Value operand : op.getOperands()) {
        Operation *def = operand.getDefiningOp();
        auto it = def ? groupOf.find(def) : groupOf.end();
        if (it != groupOf.end() && groups[it->second].shape == shape &&
            !llvm::is_contained(candidates, it->second))
          candidates.push_back(it->second);
      }
      std::optional<unsigned> target;
      if (!candidates.empty() && canMerge(op, candidates, groups))
        target = mergeInto(candidates, groups, groupOf);
      else
        for (unsigned candidate : candidates)
          if (canMerge(op, {candidate}, groups)) {
            target = candidate;
            break;
          }
      if (!target) {
        target = groups.size();
        groups.push_back({{}, SmallVector<int64_t>(shape)});
      }
      groups[*target].ops.push_back(&op);
      groups[*target].viewsOnly = false;
      groupOf[&op] = *target;
    }

    for (Group &group : groups)
      if (group.ops.size() >= 2 ||
          (group.ops.size() == 1 &&
           isa<SliceOp, TransposeOp>(group.ops.front())))
        outline(group);
  }

  /// Whether `views`, each reading the one before and the first a value
  /// from memory, compose into one strided read of that value (a reshape
  /// may not merge what a transpose separated).
  static bool isStridedRead(ArrayRef<Operation *> views) {
    std::optional<StridedView> strided =
        StridedView::contiguous(shapeOf(views.front()->getOperand(0)));
    for (Operation *op : views)
      if (!(strided = applyView(*strided, op)))
        return false;
    return true;
  }

  /// Whether the views among `members` that lead to `view` compose into
  /// one strided read of the value at their root.
  static bool composes(Operation *view,
                       const llvm::SmallPtrSetImpl<Operation *> &members) {
    SmallVector<Operation *> chain = {view};
    while (Operation *def = chain.back()->getOperand(0).getDefiningOp()) {
      if (!members.contains(def) || !isViewOp(def))
        break;
      chain.push_back(def);
    }
    std::reverse(chain.begin(), chain.end());
    return isStridedRead(chain);
  }

  /// A view op extends the chain that ends at its operand when it is that
  /// end's only reader and the chain stays a strided read; otherwise it
  /// starts a chain reading its operand from memory. A reshape of a value in
  /// memory starts none: the plan makes it a view of the same bytes.
  static void addView(Operation &op, std::vector<Group> &groups,
                      DenseMap<Operation *, unsigned> &groupOf) {
    Value source = op.getOperand(0);
    Operation *def = source.getDefiningOp();
    auto it = def ? groupOf.find(def) : groupOf.end();
    if (it != groupOf.end() && groups[it->second].viewsOnly &&
        groups[it->second].ops.back() == def && source.hasOneUse()) {
      Group &chain = groups[it->second];
      chain.ops.push_back(&op);
      if (isStridedRead(chain.ops)) {
        chain.shape.assign(shapeOf(op.getResult(0)).begin(),
                           shapeOf(op.getResult(0)).end());
        groupOf[&op] = it->second;
        return;
      }
      chain.ops.pop_back();
    }
    if (isa<ReshapeOp>(op))
      return;
    groupOf[&op] = groups.size();
    groups.push_back({{&op}, SmallVector<int64_t>(shapeOf(op.getResult(0)))});
  }

  /// Whether `op` may join the union of `candidates`: every reader outside
  /// comes after `op`, and the limits hold.
  bool canMerge(Operation &op, ArrayRef<unsigned> candidates,
                const std::vector<Group> &groups) {
    llvm::SmallPtrSet<Operation *, 32> members;
    members.insert(&op);
    for (unsigned candidate : candidates)
      members.insert(groups[candidate].ops.begin(),
                     groups[candidate].ops.end());
    if (members.size() > maxOps)
      return false;
    // A view reads an input of the region, never a value computed in it,
    // and chains of views joined from two groups must still compose.
    for (Operation *member : members)
      if (isViewOp(member)) {
        Operation *def = member->getOperand(0).getDefiningOp();
        if (def && members.contains(def) && !isViewOp(def))
          return false;
        if (!composes(member, members))
          return false;
      }
    llvm::SmallSetVector<Value, 16> inputs;
    for (Operation *member : members) {
      for (Value operand : member->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def || !members.contains(def))
          inputs.insert(operand);
      }
      for (Operation *user : member->getUsers())
        if (!members.contains(user) && user->isBeforeInBlock(&op))
          return false;
    }
    return inputs.size() <= maxInputs;
  }

  static unsigned mergeInto(ArrayRef<unsigned> candidates,
                            std::vector<Group> &groups,
                            DenseMap<Operation *, unsigned> &groupOf) {
    unsigned target = candidates.front();
    for (unsigned other : candidates.drop_front()) {
      for (Operation *op : groups[other].ops) {
        groups[target].ops.push_back(op);
        groupOf[op] = target;
      }
      groups[other].ops.clear();
    }
    llvm::sort(groups[target].ops, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    return target;
  }

  /// Replaces the group's ops by one dl.fused where the last one stood.
  static void outline(Group &group) {
    llvm::SmallPtrSet<Operation *, 32> members(group.ops.begin(),
                                                group.ops.end());
    llvm::SetVector<Value> inputs, results;
    for (Operation *op : group.ops) {
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def || !members.contains(def))
          inputs.insert(operand);
      }
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!members.contains(user))
            results.insert(result);
    }

    Operation *last = group.ops.back();
    OpBuilder builder(last);
    SmallVector<Type> resultTypes;
    for (Value result : results)
      resultTypes.push_back(result.getType());
    auto fused = FusedOp::create(builder, last->getLoc(), TypeRange(resultTypes),
                                 ValueRange(inputs.getArrayRef()),
                                 /*epilogue=*/false);
    Block *block = builder.createBlock(&fused.getBody());
    IRMapping mapping;
    for (Value input : inputs)
      mapping.map(input, block->addArgument(input.getType(), input.getLoc()));
    for (Operation *op : group.ops)
      builder.clone(*op, mapping);
    SmallVector<Value> yielded;
    for (Value result : results)
      yielded.push_back(mapping.lookup(result));
    YieldOp::create(builder, last->getLoc(), yielded);

    for (auto [original, replacement] :
         llvm::zip(results.getArrayRef(), fused.getResults()))
      Value(original).replaceUsesWithIf(replacement, [&](OpOperand &use) {
        return !members.contains(use.getOwner());
      });
    for (Operation *op : llvm::reverse(group.ops))
      op->erase();
  }
};

} // namespace

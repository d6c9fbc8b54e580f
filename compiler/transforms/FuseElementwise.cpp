//===- FuseElementwise.cpp - Elementwise ops into dl.fused regions --------===//
//
// Greedy and in program order: an op joins the groups of its operands'
// producers when they have its shape, the order stays valid and the group
// stays within the limits. Each group of two or more ops is outlined into a
// dl.fused placed where its last op was.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

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

/// Ops a region may hold: one-result elementwise ops, and broadcasts of a
/// value from outside (a broadcast input is read with broadcasting anyway).
bool isFusible(Operation &op) {
  if (op.getNumResults() != 1 || isa<FusedOp>(op))
    return false;
  return op.hasTrait<BroadcastElementwise>() || isa<BroadcastToOp>(op);
}

struct Group {
  SmallVector<Operation *> ops; // in program order
  SmallVector<int64_t> shape;
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
      // A broadcast's operand is outside by definition; other ops may join
      // the groups of producers of their own shape.
      SmallVector<unsigned> candidates;
      if (!isa<BroadcastToOp>(op))
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
      groupOf[&op] = *target;
    }

    for (Group &group : groups)
      if (group.ops.size() >= 2)
        outline(group);
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
    auto fused = FusedOp::create(builder, last->getLoc(), resultTypes,
                                 inputs.getArrayRef());
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

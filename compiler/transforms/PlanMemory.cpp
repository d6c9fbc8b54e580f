//===- PlanMemory.cpp - Offsets of activations in one arena ---------------===//

#include "compiler/memory/ArenaPlanner.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlViews.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLPLANMEMORY
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;
using dlc::ArenaLayout;
using dlc::BufferLifetime;
using dlc::planArena;

namespace {

/// The offset of a result that is written straight into a parameter.
constexpr int64_t kStoredInParameter = -1;

uint64_t byteSize(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  unsigned bits = type.getElementTypeBitWidth();
  uint64_t elementBytes = bits == 1 ? 1 : bits / 8;
  return static_cast<uint64_t>(type.getNumElements()) * elementBytes;
}

/// A constant of one repeated value is cheaper to fill at run time than to
/// store in the plan, once it has more than a few elements.
bool isFilledAtRunTime(Operation *op) {
  auto constant = dyn_cast<ConstantOp>(op);
  if (!constant)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.isSplat() && dense.getNumElements() > 64;
}

/// True for ops whose result is stored outside the activation arena:
/// parameter reads and constants kept in the plan.
bool readsStoredTensor(Operation *op) {
  return isa<LoadParamOp>(op) ||
         (isa<ConstantOp>(op) && !isFilledAtRunTime(op));
}

/// True for values that live outside the activation arena: parameters and
/// constants, and views of them.
bool isStoredElsewhere(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (readsStoredTensor(def))
    return true;
  if (auto reshape = dyn_cast<ReshapeOp>(def))
    return isStoredElsewhere(reshape.getInput());
  return false;
}

/// One buffer of the arena: the tensor that allocated it and every later
/// tensor that shares its bytes (views, results written in place).
struct Allocation {
  BufferLifetime lifetime;
  bool pinned = false; // an input or a result: never written in place
};

struct DlPlanMemoryPass : public mlir::dl::impl::DlPlanMemoryBase<DlPlanMemoryPass> {
  using DlPlanMemoryBase::DlPlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.getBody().hasOneBlock()) {
      func.emitError("memory planning needs a function with one block");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    unsigned end = 0;
    DenseMap<Operation *, unsigned> position;
    for (Operation &op : body)
      position[&op] = end++;

    // The last position at which each value is read; results live to the end.
    DenseMap<Value, unsigned> lastUse;
    auto noteUses = [&](Value value) {
      unsigned last = 0;
      for (Operation *user : value.getUsers())
        last = std::max(last, position.lookup(user));
      lastUse[value] = last;
    };
    for (BlockArgument arg : func.getArguments())
      noteUses(arg);
    for (Operation &op : body)
      for (Value result : op.getResults())
        noteUses(result);

    std::vector<Allocation> allocations;
    DenseMap<Value, unsigned> allocationOf;
    uint64_t naiveSize = 0;
    auto align = [&](uint64_t bytes) {
      return (bytes + alignment - 1) / alignment * alignment;
    };
    auto allocate = [&](Value value, unsigned first, bool pinned) {
      allocationOf[value] = allocations.size();
      allocations.push_back(
          {{byteSize(value), first, std::max(first, lastUse[value])}, pinned});
      naiveSize += align(byteSize(value));
    };
    auto share = [&](Value value, unsigned index) {
      allocationOf[value] = index;
      BufferLifetime &lifetime = allocations[index].lifetime;
      lifetime.last = std::max(lifetime.last, lastUse[value]);
    };

    for (BlockArgument arg : func.getArguments())
      allocate(arg, 0, /*pinned=*/true);
    llvm::SmallPtrSet<Value, 16> direct = findDirectStores(body);
    for (Operation &op : body) {
      unsigned here = position[&op];
      if (auto reshape = dyn_cast<ReshapeOp>(op)) {
        if (!isStoredElsewhere(reshape.getInput()))
          share(reshape.getResult(), allocationOf[reshape.getInput()]);
        continue;
      }
      if (readsStoredTensor(&op))
        continue;
      // An epilogue rewrites its kernel's result where it lies.
      if (auto fused = dyn_cast<FusedOp>(op); fused && fused.getEpilogue()) {
        share(fused.getResult(0), allocationOf[fused.getInputs().front()]);
        naiveSize += align(byteSize(fused.getResult(0)));
        continue;
      }
      // Elementwise kernels (fused ones too) read every input element before
      // writing that element of any result, so a result may take the buffer
      // of an input that dies here. A donor, once shared, lives on with the
      // result and is not given twice.
      bool inPlace = op.hasTrait<BroadcastElementwise>();
      for (Value result : op.getResults()) {
        if (direct.contains(result))
          continue; // written straight into its parameter
        std::optional<unsigned> donor;
        if (inPlace)
          donor = findInPlaceDonor(op, result, here, allocations, allocationOf);
        if (donor) {
          share(result, *donor);
          naiveSize += align(byteSize(result));
        } else {
          allocate(result, here, /*pinned=*/false);
        }
      }
    }
    // Results are read by the caller after the last step.
    for (Value returned : body.getTerminator()->getOperands()) {
      auto it = allocationOf.find(returned);
      if (it == allocationOf.end())
        continue;
      allocations[it->second].lifetime.last = end;
      allocations[it->second].pinned = true;
    }

    std::vector<BufferLifetime> lifetimes;
    for (const Allocation &allocation : allocations)
      lifetimes.push_back(allocation.lifetime);
    ArenaLayout layout = planArena(lifetimes, alignment);

    Builder builder(&getContext());
    for (BlockArgument arg : func.getArguments())
      func.setArgAttr(
          arg.getArgNumber(), "dl.offset",
          builder.getI64IntegerAttr(layout.offsets[allocationOf[arg]]));
    for (Operation &op : body) {
      SmallVector<int64_t> offsets;
      for (Value result : op.getResults()) {
        auto it = allocationOf.find(result);
        if (it != allocationOf.end())
          offsets.push_back(layout.offsets[it->second]);
        else if (direct.contains(result))
          offsets.push_back(kStoredInParameter);
        else
          break;
      }
      if (!offsets.empty() && offsets.size() == op.getNumResults())
        op.setAttr("dl.offsets", builder.getDenseI64ArrayAttr(offsets));
    }
    func->setAttr("dl.arena_size", builder.getI64IntegerAttr(layout.size));
    func->setAttr("dl.naive_size", builder.getI64IntegerAttr(naiveSize));
  }

  /// Values an elementwise op can write straight into the parameter that
  /// `dl.store_param` would copy them to: the value is stored once (other
  /// readers then read the parameter, which holds it from the producer on),
  /// the parameter is stored once, and every reader of its current value
  /// comes before the producer, or is the producer reading it element for
  /// element (an elementwise kernel reads element i of its inputs before it
  /// writes element i). The copy step and the arena buffer both go away.
  static unsigned storesOf(Value value) {
    return llvm::count_if(value.getUsers(), [](Operation *user) {
      return isa<StoreParamOp>(user);
    });
  }

  static llvm::SmallPtrSet<Value, 16> findDirectStores(Block &body) {
    llvm::StringMap<SmallVector<StoreParamOp>> stores;
    llvm::StringMap<SmallVector<LoadParamOp>> loads;
    for (Operation &op : body) {
      if (auto store = dyn_cast<StoreParamOp>(op))
        stores[store.getName()].push_back(store);
      if (auto load = dyn_cast<LoadParamOp>(op))
        loads[load.getName()].push_back(load);
    }
    llvm::SmallPtrSet<Value, 16> direct;
    for (auto &[name, list] : stores) {
      if (list.size() != 1)
        continue;
      Value value = list.front().getValue();
      Operation *producer = value.getDefiningOp();
      auto fused = dyn_cast_or_null<FusedOp>(producer);
      if (!producer || !producer->hasTrait<BroadcastElementwise>() ||
          storesOf(value) != 1 || (fused && fused.getEpilogue()))
        continue;
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(value.getType()).getShape();
      bool safe = true;
      SmallVector<Value> reads;
      for (LoadParamOp load : loads.lookup(name))
        reads.push_back(load.getResult());
      while (safe && !reads.empty()) {
        Value read = reads.pop_back_val();
        for (OpOperand &use : read.getUses()) {
          Operation *user = use.getOwner();
          if (auto view = dyn_cast<ReshapeOp>(user)) {
            reads.push_back(view.getResult());
            continue;
          }
          bool sameElement =
              user == producer &&
              cast<RankedTensorType>(read.getType()).getShape() == shape &&
              readsElementForElement(producer, use.getOperandNumber());
          if (!sameElement && !user->isBeforeInBlock(producer))
            safe = false;
        }
      }
      if (safe)
        direct.insert(value);
    }
    return direct;
  }

  /// An operand whose buffer `result` of the elementwise `op` may overwrite:
  /// same shape and byte size, read element for element (not through a
  /// view), a temporary, and read by nothing after `op`.
  static std::optional<unsigned>
  findInPlaceDonor(Operation &op, Value result, unsigned here,
                   const std::vector<Allocation> &allocations,
                   const DenseMap<Value, unsigned> &allocationOf) {
    auto resultType = cast<RankedTensorType>(result.getType());
    for (OpOperand &use : op.getOpOperands()) {
      Value operand = use.get();
      auto type = cast<RankedTensorType>(operand.getType());
      if (type.getShape() != resultType.getShape() ||
          byteSize(operand) != byteSize(result) ||
          !readsElementForElement(&op, use.getOperandNumber()))
        continue;
      auto it = allocationOf.find(operand);
      if (it == allocationOf.end())
        continue;
      const Allocation &allocation = allocations[it->second];
      // The bytes may reach the op as another operand too (a reshape):
      // read through a view there, they are not read element for element.
      bool viewed = llvm::any_of(op.getOpOperands(), [&](OpOperand &other) {
        auto shared = allocationOf.find(other.get());
        return shared != allocationOf.end() && shared->second == it->second &&
               !readsElementForElement(&op, other.getOperandNumber());
      });
      if (!allocation.pinned && allocation.lifetime.last == here && !viewed)
        return it->second;
    }
    return std::nullopt;
  }
};

} // namespace

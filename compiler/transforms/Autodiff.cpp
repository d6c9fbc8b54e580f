//===- Autodiff.cpp - Reverse-mode differentiation of the entry function --===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLAUTODIFF
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

struct DlAutodiffPass : public mlir::dl::impl::DlAutodiffBase<DlAutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    auto train = module->getAttrOfType<DictionaryAttr>("dl.train");
    auto lossName = train ? train.getAs<StringAttr>("loss") : StringAttr();
    if (!forward || !lossName) {
      module.emitError("differentiation needs an entry function @forward and "
                       "a train section naming the loss");
      return signalPassFailure();
    }
    if (module.lookupSymbol("train")) {
      module.emitError("the module already has a symbol @train");
      return signalPassFailure();
    }
    func::FuncOp func = forward.clone();
    func.setSymName("train");
    module.push_back(func);

    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value loss;
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name"))
        if (name == lossName)
          loss = ret.getOperand(i);
    if (!loss || !isFloatTensor(loss) ||
        cast<RankedTensorType>(loss.getType()).getNumElements() != 1) {
      func.emitError("the loss '") << lossName.getValue()
                                   << "' is not a float scalar result";
      return signalPassFailure();
    }

    // Trainable parameters, in declaration order, and which values depend on
    // one of them (only those need gradients).
    SmallVector<ParamOp> trainable;
    for (auto param : module.getOps<ParamOp>())
      if (param.getRole() == ParamRole::Parameter)
        trainable.push_back(param);
    llvm::DenseSet<Value> dependsOnParams;
    SmallVector<Operation *> forwardOps;
    for (Operation &op : body.without_terminator()) {
      forwardOps.push_back(&op);
      bool depends = false;
      if (auto load = dyn_cast<LoadParamOp>(op)) {
        auto param = module.lookupSymbol<ParamOp>(load.getName());
        depends = param && param.getRole() == ParamRole::Parameter;
      }
      for (Value operand : op.getOperands())
        depends |= dependsOnParams.contains(operand);
      if (depends)
        for (Value result : op.getResults())
          if (isFloatTensor(result))
            dependsOnParams.insert(result);
    }

    OpBuilder builder(ret);
    DenseMap<Value, Value> grads;
    auto accumulate = [&](Value value, Value grad) {
      Value &slot = grads[value];
      slot = slot ? AddOp::create(builder, grad.getLoc(), slot, grad).getResult()
                  : grad;
    };
    accumulate(loss, FillOp::create(builder, loss.getLoc(), loss.getType(),
                                    builder.getF64FloatAttr(1.0)));
    for (Operation *op : llvm::reverse(forwardOps)) {
      SmallVector<Value> resultGrads;
      bool any = false;
      for (Value result : op->getResults()) {
        resultGrads.push_back(grads.lookup(result));
        any |= static_cast<bool>(resultGrads.back());
      }
      bool feedsParams = llvm::any_of(op->getOperands(), [&](Value operand) {
        return dependsOnParams.contains(operand);
      });
      if (!any || !feedsParams)
        continue;
      auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
      if (!differentiable) {
        op->emitError("'") << op->getName()
                           << "' has no gradient rule, but the loss depends "
                              "on a trained parameter through it";
        return signalPassFailure();
      }
      SmallVector<Value> operandGrads;
      if (failed(differentiable.buildGradients(builder, resultGrads,
                                               operandGrads)))
        return signalPassFailure();
      for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
        if (grad && dependsOnParams.contains(operand))
          accumulate(operand, grad);
    }

    // One gradient per trainable parameter: the sum over its loads, or zero
    // when the loss does not depend on it.
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> resultTypes(func.getResultTypes());
    SmallVector<std::string> names;
    for (ParamOp param : trainable) {
      Value total;
      for (Operation *op : forwardOps)
        if (auto load = dyn_cast<LoadParamOp>(op))
          if (load.getName() == param.getSymName())
            if (Value grad = grads.lookup(load.getResult()))
              total = total ? AddOp::create(builder, load.getLoc(), total, grad)
                                  .getResult()
                            : grad;
      if (!total)
        total = FillOp::create(builder, param.getLoc(), param.getType(),
                               builder.getF64FloatAttr(0.0));
      results.push_back(total);
      resultTypes.push_back(param.getType());
      names.push_back(("grad:" + param.getSymName()).str());
    }
    SmallVector<DictionaryAttr> resultAttrs;
    func.getAllResultAttrs(resultAttrs);
    for (const std::string &name : names)
      resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          "dl.name", builder.getStringAttr(name))));
    ret->setOperands(results);
    func.setFunctionType(
        builder.getFunctionType(func.getArgumentTypes(), resultTypes));
    func.setAllResultAttrs(resultAttrs);
  }
};

} // namespace

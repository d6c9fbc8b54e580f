//===- Optimizer.cpp - Parameter updates from gradients -------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

namespace mlir::dl {
#define GEN_PASS_DEF_DLOPTIMIZER
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// Builds the update arithmetic; every scalar is a rank-0 tensor of one
/// element type that broadcasts against the parameters.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value scalar(Type element, double value) {
    return FillOp::create(b, loc, RankedTensorType::get({}, element),
                          b.getF64FloatAttr(value));
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value mul(Value x, double c) { return mul(x, scalar(elementOf(x), c)); }
  Value add(Value x, double c) { return add(x, scalar(elementOf(x), c)); }
  Value pow(Value x, Value y) { return PowOp::create(b, loc, x, y); }
  Value sqrt(Value x) { return SqrtOp::create(b, loc, x); }
  Value min(Value x, Value y) { return MinOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return MaxOp::create(b, loc, x, y); }
  /// `x` in `element`, for scalars computed in f32.
  Value as(Value x, Type element) {
    if (elementOf(x) == element)
      return x;
    return CastOp::create(b, loc, RankedTensorType::get({}, element), x);
  }
  static Type elementOf(Value x) {
    return cast<RankedTensorType>(x.getType()).getElementType();
  }

  OpBuilder &b;
  Location loc;
};

double number(DictionaryAttr dict, StringRef key, double fallback) {
  if (auto attr = dict ? dict.getAs<FloatAttr>(key) : FloatAttr())
    return attr.getValueAsDouble();
  return fallback;
}

struct DlOptimizerPass
    : public mlir::dl::impl::DlOptimizerBase<DlOptimizerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto train = module->getAttrOfType<DictionaryAttr>("dl.train");
    auto func = module.lookupSymbol<func::FuncOp>("train");
    if (!train || !func) {
      module.emitError("the optimizer needs @train (from dl-autodiff) and a "
                       "train section");
      return signalPassFailure();
    }
    auto optimizer = train.getAs<DictionaryAttr>("optimizer");
    auto schedule = train.getAs<DictionaryAttr>("schedule");
    auto nameOf = [](DictionaryAttr dict, StringRef fallback) {
      auto name = dict ? dict.getAs<StringAttr>("name") : StringAttr();
      return name ? name.getValue() : fallback;
    };
    StringRef kind = nameOf(optimizer, "sgd");
    StringRef scheduleKind = nameOf(schedule, "constant");
    if (!llvm::is_contained({"sgd", "adam", "adamw"}, kind) ||
        !llvm::is_contained({"constant", "step", "cosine"}, scheduleKind)) {
      module.emitError("unknown optimizer '")
          << kind << "' or schedule '" << scheduleKind << "'";
      return signalPassFailure();
    }
    if (scheduleKind == "cosine" && number(schedule, "total_steps", 0) <= 0) {
      module.emitError("the cosine schedule needs total_steps > 0");
      return signalPassFailure();
    }

    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    // The gradients, and the parameters they belong to.
    SmallVector<std::pair<ParamOp, Value>> gradients;
    llvm::BitVector gradientResults(func.getNumResults());
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name");
      if (!name || !name.getValue().starts_with("grad:"))
        continue;
      auto param = module.lookupSymbol<ParamOp>(name.getValue().drop_front(5));
      if (!param) {
        func.emitError("no parameter for result ") << name;
        return signalPassFailure();
      }
      gradients.emplace_back(param, ret.getOperand(i));
      gradientResults.set(i);
    }

    OpBuilder moduleBuilder(func);
    auto declare = [&](StringRef name, RankedTensorType type,
                       double value = 0.0) {
      auto init =
          value == 0.0
              ? InitAttr::get(&getContext(), InitKind::Zeros,
                              DenseF64ArrayAttr::get(&getContext(), {}), 0)
              : InitAttr::get(&getContext(), InitKind::Constant,
                              DenseF64ArrayAttr::get(&getContext(), {value}),
                              0);
      return ParamOp::create(moduleBuilder, func.getLoc(), name, type, init,
                             /*value=*/nullptr, ParamRole::OptimizerState);
    };
    OpBuilder b(ret);
    UpdateBuilder u(b, func.getLoc());
    SmallVector<std::pair<Value, StringRef>> stores;
    auto load = [&](ParamOp param) -> Value {
      return LoadParamOp::create(b, func.getLoc(), param.getType(),
                                 param.getSymName());
    };

    // The step counter t (1 at the first update) and the learning rate at t.
    Type f32 = b.getF32Type();
    ParamOp stepParam =
        declare("optimizer.step", RankedTensorType::get({}, f32));
    Value t = u.add(load(stepParam), 1.0);
    stores.emplace_back(t, stepParam.getSymName());
    // The base learning rate is state too, so a run can override it
    // (dlrun --lr) without recompiling.
    ParamOp lrParam = declare("optimizer.lr", RankedTensorType::get({}, f32),
                              number(optimizer, "lr", 0.01));
    Value lr = load(lrParam);
    Value rate = lr;
    if (scheduleKind == "step") {
      double stepSize = std::max(1.0, number(schedule, "step_size", 1000));
      Value periods = FloorOp::create(
          b, func.getLoc(), u.mul(u.add(t, -1.0), 1.0 / stepSize));
      rate = u.mul(u.pow(u.scalar(f32, number(schedule, "gamma", 0.1)),
                         periods),
                   lr);
    } else if (scheduleKind == "cosine") {
      double warmup = number(schedule, "warmup", 0);
      double total = number(schedule, "total_steps", 0);
      double minLr = number(schedule, "min_lr", 0);
      Value progress = u.mul(u.add(t, -warmup),
                             1.0 / std::max(1.0, total - warmup));
      progress = u.min(u.max(progress, u.scalar(f32, 0)), u.scalar(f32, 1));
      Value cosine = CosOp::create(b, func.getLoc(), u.mul(progress, M_PI));
      rate = u.add(u.mul(u.mul(u.add(cosine, 1.0), 0.5), u.add(lr, -minLr)),
                   minLr);
      if (warmup > 0) {
        Value warm = u.mul(u.mul(t, lr), 1.0 / warmup);
        Value warming = CompareOp::create(b, func.getLoc(),
                                          CompareDirection::LE, t,
                                          u.scalar(f32, warmup));
        rate = SelectOp::create(b, func.getLoc(), warming, warm, rate);
      }
    }

    // Global-norm clipping scales every gradient by one factor. The
    // squared norm is one dl.sum_squares per element type (two kernels for
    // all gradients), in groups small enough for a kernel's arguments.
    auto clip = train.getAs<FloatAttr>("clip_norm");
    if (clip && !gradients.empty()) {
      Value sumSquares;
      llvm::MapVector<Type, SmallVector<Value>> byType;
      for (auto &[param, grad] : gradients)
        byType[param.getTensorType().getElementType()].push_back(grad);
      constexpr size_t kGroup = 128;
      for (auto &[element, grads] : byType)
        for (size_t i = 0; i < grads.size(); i += kGroup) {
          ValueRange group = ArrayRef<Value>(grads).slice(
              i, std::min(kGroup, grads.size() - i));
          Value sum = u.as(
              SumSquaresOp::create(b, func.getLoc(), group).getResult(), f32);
          sumSquares = sumSquares ? u.add(sumSquares, sum) : sum;
        }
      Value norm = u.add(u.sqrt(sumSquares), 1e-6);
      Value factor = u.min(u.scalar(f32, 1.0),
                           u.div(u.scalar(f32, clip.getValueAsDouble()), norm));
      for (auto &[param, grad] : gradients)
        grad = u.mul(grad, u.as(factor, UpdateBuilder::elementOf(grad)));
    }

    double weightDecay = number(optimizer, "weight_decay", 0);
    for (auto &[param, grad] : gradients) {
      RankedTensorType type = param.getTensorType();
      Type element = type.getElementType();
      Value p = load(param);
      Value lrHere = u.as(rate, element);
      Value g = grad;
      Value update;
      std::string base = param.getSymName().str();
      if (kind == "sgd") {
        if (weightDecay)
          g = u.add(g, u.mul(p, weightDecay));
        double momentum = number(optimizer, "momentum", 0);
        update = g;
        if (momentum) {
          ParamOp buffer = declare(base + ".momentum", type);
          Value v = u.add(u.mul(load(buffer), momentum), g);
          stores.emplace_back(v, buffer.getSymName());
          update = number(optimizer, "nesterov", 0) ? u.add(g, u.mul(v, momentum))
                                                    : v;
        }
      } else {
        double beta1 = number(optimizer, "beta1", 0.9);
        double beta2 = number(optimizer, "beta2", 0.999);
        double eps = number(optimizer, "eps", 1e-8);
        if (kind == "adam" && weightDecay)
          g = u.add(g, u.mul(p, weightDecay));
        if (kind == "adamw" && weightDecay)
          p = u.sub(p, u.mul(u.mul(p, lrHere), weightDecay));
        ParamOp mParam = declare(base + ".m", type);
        ParamOp vParam = declare(base + ".v", type);
        Value m = u.add(u.mul(load(mParam), beta1), u.mul(g, 1 - beta1));
        Value v = u.add(u.mul(load(vParam), beta2), u.mul(u.mul(g, g), 1 - beta2));
        stores.emplace_back(m, mParam.getSymName());
        stores.emplace_back(v, vParam.getSymName());
        // Bias corrections 1 - beta^t, computed in f32 from the counter.
        Value tHere = u.as(t, element);
        Value c1 = u.sub(u.scalar(element, 1.0),
                         u.pow(u.scalar(element, beta1), tHere));
        Value c2 = u.sub(u.scalar(element, 1.0),
                         u.pow(u.scalar(element, beta2), tHere));
        update = u.div(u.div(m, c1), u.add(u.sqrt(u.div(v, c2)), eps));
      }
      stores.emplace_back(u.sub(p, u.mul(update, lrHere)), param.getSymName());
    }
    // Every new value is computed before any parameter is written, so no
    // read sees a half-updated state.
    for (auto &[value, name] : stores)
      StoreParamOp::create(b, func.getLoc(), value, name);

    // The gradients are consumed; @train returns the forward results.
    for (int i = func.getNumResults() - 1; i >= 0; --i)
      if (gradientResults.test(i))
        ret->eraseOperand(i);
    if (failed(func.eraseResults(gradientResults)))
      return signalPassFailure();
  }
};

} // namespace

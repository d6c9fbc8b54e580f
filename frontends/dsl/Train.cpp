//===- Train.cpp - Lowering the `train { ... }` section -------------------===//
//
// The loss and metrics become extra results of @forward (named `loss` and by
// their metric names); the optimizer, schedule and clipping become the module
// attribute `dl.train`, with every hyperparameter spelled out (defaults
// filled in) so that the training passes read one explicit dictionary.
//
//===----------------------------------------------------------------------===//

#include "frontends/dsl/MLIRGenImpl.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace dlc::dsl;

namespace {

/// One hyperparameter and its default.
struct Setting {
  StringRef name;
  double fallback;
};

/// Settings each optimizer and schedule takes, PyTorch's defaults where
/// PyTorch has one.
const llvm::StringMap<std::vector<Setting>> &optimizers() {
  static const llvm::StringMap<std::vector<Setting>> table = {
      {"sgd",
       {{"lr", 0.01}, {"momentum", 0}, {"nesterov", 0}, {"weight_decay", 0}}},
      {"adam",
       {{"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
        {"weight_decay", 0}}},
      {"adamw",
       {{"lr", 1e-3}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8},
        {"weight_decay", 0.01}}},
  };
  return table;
}

const llvm::StringMap<std::vector<Setting>> &schedules() {
  static const llvm::StringMap<std::vector<Setting>> table = {
      {"constant", {}},
      {"step", {{"step_size", 1000}, {"gamma", 0.1}}},
      {"cosine", {{"warmup", 0}, {"total_steps", 0}, {"min_lr", 0}}},
  };
  return table;
}

} // namespace

/// `name(key = value, ...)` against a table of settings; returns the
/// dictionary `{name = "...", key = value : f64, ...}`.
static DictionaryAttr lowerSettings(
    MLIRGen &gen, const CallExpr &call, StringRef what,
    const llvm::StringMap<std::vector<Setting>> &table,
    llvm::function_ref<Val(const Expr &)> eval) {
  auto it = table.find(call.callee);
  if (it == table.end()) {
    SmallVector<StringRef> names;
    for (const auto &entry : table)
      names.push_back(entry.getKey());
    llvm::sort(names);
    gen.error(call.pos) << "unknown " << what << " '" << call.callee
                        << "' (expected " << llvm::join(names, ", ") << ")";
    return {};
  }
  const std::vector<Setting> &settings = it->second;
  if (call.args.size() > 1 || (call.args.size() == 1 && settings.empty())) {
    gen.error(call.pos) << what << " settings are keyword arguments, like "
                        << call.callee << "(lr = 0.001)";
    return {};
  }
  llvm::StringMap<double> values;
  for (const Setting &setting : settings)
    values[setting.name] = setting.fallback;
  // One positional argument is the first setting (the learning rate).
  if (call.args.size() == 1) {
    Val v = eval(*call.args[0]);
    if (v.kind != Val::Kind::Number) {
      if (v.ok())
        gen.error(call.args[0]->pos) << settings[0].name << " must be a number";
      return {};
    }
    values[settings[0].name] = v.number;
  }
  for (const KeywordArg &kwarg : call.kwargs) {
    if (!values.count(kwarg.name)) {
      SmallVector<StringRef> names;
      for (const Setting &setting : settings)
        names.push_back(setting.name);
      gen.error(kwarg.pos) << call.callee << " has no setting '" << kwarg.name
                           << "' (it takes: " << llvm::join(names, ", ")
                           << ")";
      return {};
    }
    Val v = eval(*kwarg.value);
    if (v.kind != Val::Kind::Number) {
      if (v.ok())
        gen.error(kwarg.pos) << kwarg.name << " must be a number";
      return {};
    }
    if (v.number < 0) {
      gen.error(kwarg.pos) << kwarg.name << " must not be negative";
      return {};
    }
    values[kwarg.name] = v.number;
  }
  Builder b(gen.getContext());
  SmallVector<NamedAttribute> entries{
      b.getNamedAttr("name", b.getStringAttr(call.callee))};
  for (const Setting &setting : settings)
    entries.push_back(b.getNamedAttr(setting.name,
                                     b.getF64FloatAttr(values[setting.name])));
  return b.getDictionaryAttr(entries);
}

bool MLIRGen::lowerTrain(const TrainStmt &stmt) {
  if (!trainResults.empty() || module->hasAttr("dl.train")) {
    error(stmt.pos) << "a model has one 'train' section";
    return false;
  }
  if (!stmt.loss) {
    error(stmt.pos) << "the 'train' section needs a 'loss'";
    return false;
  }
  auto eval = [&](const Expr &expr) { return evalExpr(expr); };
  auto scalar = [&](const Val &v, StringRef what, SrcPos pos) {
    if (!v.ok())
      return false;
    if (!v.isTensor() || v.type().getRank() != 0 ||
        !isa<FloatType>(v.type().getElementType())) {
      auto diag = error(pos) << what << " must be a float scalar";
      if (v.isTensor())
        diag << ", got " << v.type();
      return false;
    }
    return true;
  };
  Val loss = evalExpr(*stmt.loss);
  if (!scalar(loss, "the loss", stmt.loss->pos))
    return false;
  trainResults.emplace_back("loss", loss);
  SmallVector<Attribute> metricNames;
  Builder b(&context);
  for (const auto &[name, expr] : stmt.metrics) {
    Val metric = evalExpr(*expr);
    if (!scalar(metric, "metric '" + name + "'", expr->pos))
      return false;
    trainResults.emplace_back(name, metric);
    metricNames.push_back(b.getStringAttr(name));
  }

  SmallVector<NamedAttribute> train{
      b.getNamedAttr("loss", b.getStringAttr("loss")),
      b.getNamedAttr("metrics", b.getArrayAttr(metricNames))};
  CallExpr defaultOptimizer(stmt.pos, "sgd");
  DictionaryAttr optimizer = lowerSettings(
      *this, stmt.optimizer ? *stmt.optimizer : defaultOptimizer, "optimizer",
      optimizers(), eval);
  CallExpr defaultSchedule(stmt.pos, "constant");
  DictionaryAttr schedule = lowerSettings(
      *this, stmt.schedule ? *stmt.schedule : defaultSchedule,
      "learning-rate schedule", schedules(), eval);
  if (!optimizer || !schedule)
    return false;
  train.push_back(b.getNamedAttr("optimizer", optimizer));
  train.push_back(b.getNamedAttr("schedule", schedule));
  if (stmt.clipNorm) {
    Val clip = evalExpr(*stmt.clipNorm);
    if (clip.kind != Val::Kind::Number || clip.number <= 0) {
      if (clip.ok())
        error(stmt.clipNorm->pos) << "clip_norm must be a positive number";
      return false;
    }
    train.push_back(b.getNamedAttr("clip_norm", b.getF64FloatAttr(clip.number)));
  }
  module->setAttr("dl.train", b.getDictionaryAttr(train));
  return true;
}

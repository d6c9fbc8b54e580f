//===- Train.cpp - Lowering the `train { ... }` section -------------------===//
//
// The loss and metrics become extra results of @forward (named `loss` and by
// their metric names); the optimizer, schedule and clipping become the module
// attribute `dl.train`, with every hyperparameter spelled out (defaults
// filled in) so that the training passes read one explicit dictionary.
//
//===----------------------------------------------------------------------===//

#include "frontends/common/TrainSettings.h"
#include "frontends/dsl/MLIRGenImpl.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace dlc::dsl;

/// `name(key = value, ...)` against a table of settings; returns the
/// dictionary `{name = "...", key = value : f64, ...}`.
static DictionaryAttr lowerSettings(
    MLIRGen &gen, const CallExpr &call, StringRef what,
    const dlc::SettingsTable &table,
    llvm::function_ref<Val(const Expr &)> eval) {
  std::string error;
  const std::vector<dlc::TrainSetting> *found =
      dlc::findSettings(table, what, call.callee, error);
  if (!found) {
    gen.error(call.pos) << error;
    return {};
  }
  const std::vector<dlc::TrainSetting> &settings = *found;
  if (call.args.size() > 1 || (call.args.size() == 1 && settings.empty())) {
    gen.error(call.pos) << what << " settings are keyword arguments, like "
                        << call.callee << "(lr = 0.001)";
    return {};
  }
  llvm::StringMap<double> values;
  for (const dlc::TrainSetting &setting : settings)
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
    if (std::string unknown =
            dlc::unknownSetting(call.callee, settings, kwarg.name);
        !unknown.empty()) {
      gen.error(kwarg.pos) << unknown;
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
  return dlc::settingsAttr(gen.getContext(), call.callee, settings, values);
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
  std::vector<std::string> metricNames;
  for (const auto &[name, expr] : stmt.metrics) {
    Val metric = evalExpr(*expr);
    if (!scalar(metric, "metric '" + name + "'", expr->pos))
      return false;
    trainResults.emplace_back(name, metric);
    metricNames.push_back(name);
  }

  CallExpr defaultOptimizer(stmt.pos, "sgd");
  DictionaryAttr optimizer = lowerSettings(
      *this, stmt.optimizer ? *stmt.optimizer : defaultOptimizer, "optimizer",
      dlc::optimizerSettings(), eval);
  CallExpr defaultSchedule(stmt.pos, "constant");
  DictionaryAttr schedule = lowerSettings(
      *this, stmt.schedule ? *stmt.schedule : defaultSchedule,
      "learning-rate schedule", dlc::scheduleSettings(), eval);
  if (!optimizer || !schedule)
    return false;
  std::optional<double> clipNorm;
  if (stmt.clipNorm) {
    Val clip = evalExpr(*stmt.clipNorm);
    if (clip.kind != Val::Kind::Number || clip.number <= 0) {
      if (clip.ok())
        error(stmt.clipNorm->pos) << "clip_norm must be a positive number";
      return false;
    }
    clipNorm = clip.number;
  }
  module->setAttr("dl.train", dlc::trainAttr(&context, metricNames, optimizer,
                                             schedule, clipNorm));
  return true;
}

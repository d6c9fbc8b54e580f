//===- TrainSettings.cpp - What the frontends put in `dl.train` -----------===//

#include "frontends/common/TrainSettings.h"

#include "dialects/dl/DlOps.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace dlc {

const SettingsTable &optimizerSettings() {
  static const SettingsTable table = {
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

const SettingsTable &scheduleSettings() {
  static const SettingsTable table = {
      {"constant", {}},
      {"step", {{"step_size", 1000}, {"gamma", 0.1}}},
      {"cosine", {{"warmup", 0}, {"total_steps", 0}, {"min_lr", 0}}},
  };
  return table;
}

const std::vector<TrainSetting> *findSettings(const SettingsTable &table,
                                              llvm::StringRef what,
                                              llvm::StringRef name,
                                              std::string &error) {
  auto it = table.find(name);
  if (it != table.end())
    return &it->second;
  llvm::SmallVector<llvm::StringRef> names;
  for (const auto &entry : table)
    names.push_back(entry.getKey());
  llvm::sort(names);
  error = ("unknown " + what + " '" + name + "' (expected " +
           llvm::join(names, ", ") + ")")
              .str();
  return nullptr;
}

std::string unknownSetting(llvm::StringRef owner,
                           llvm::ArrayRef<TrainSetting> settings,
                           llvm::StringRef key) {
  llvm::SmallVector<llvm::StringRef> names;
  for (const TrainSetting &setting : settings) {
    if (setting.name == key)
      return "";
    names.push_back(setting.name);
  }
  return (owner + " has no setting '" + key + "' (it takes: " +
          llvm::join(names, ", ") + ")")
      .str();
}

DictionaryAttr settingsAttr(MLIRContext *context, llvm::StringRef name,
                            llvm::ArrayRef<TrainSetting> settings,
                            const llvm::StringMap<double> &values) {
  Builder b(context);
  llvm::SmallVector<NamedAttribute> entries{
      b.getNamedAttr("name", b.getStringAttr(name))};
  for (const TrainSetting &setting : settings) {
    auto it = values.find(setting.name);
    double value = it == values.end() ? setting.fallback : it->second;
    entries.push_back(
        b.getNamedAttr(setting.name, b.getF64FloatAttr(value)));
  }
  return b.getDictionaryAttr(entries);
}

DictionaryAttr trainAttr(MLIRContext *context,
                         llvm::ArrayRef<std::string> metrics,
                         DictionaryAttr optimizer, DictionaryAttr schedule,
                         std::optional<double> clipNorm) {
  Builder b(context);
  llvm::SmallVector<Attribute> metricNames;
  for (const std::string &metric : metrics)
    metricNames.push_back(b.getStringAttr(metric));
  llvm::SmallVector<NamedAttribute> entries{
      b.getNamedAttr("loss", b.getStringAttr("loss")),
      b.getNamedAttr("metrics", b.getArrayAttr(metricNames)),
      b.getNamedAttr("optimizer", optimizer),
      b.getNamedAttr("schedule", schedule)};
  if (clipNorm)
    entries.push_back(
        b.getNamedAttr("clip_norm", b.getF64FloatAttr(*clipNorm)));
  return b.getDictionaryAttr(entries);
}

Value buildAccuracy(OpBuilder &b, Location loc, Value logits, Value labels) {
  // The generated builder aborts on operands type inference rejects; here
  // that is an error at `loc`.
  SmallVector<Type> inferred;
  if (failed(dl::AccuracyOp::inferReturnTypes(
          b.getContext(), loc, ValueRange{logits, labels},
          b.getDictionaryAttr({}), nullptr, {}, inferred)))
    return nullptr;
  return dl::AccuracyOp::create(b, loc, logits, labels);
}

} // namespace dlc

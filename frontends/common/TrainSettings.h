//===- TrainSettings.h - What the frontends put in `dl.train` -*- C++ -*-===//
//
// Both frontends describe training the same way: extra results of @forward
// (the loss, then the metrics) and the module attribute `dl.train`, which
// spells out every optimizer and schedule setting so the training passes
// read one explicit dictionary. The tables of settings and the builders of
// that attribute live here, once.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_COMMON_TRAINSETTINGS_H
#define DLC_FRONTENDS_COMMON_TRAINSETTINGS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace dlc {

/// One hyperparameter and its default.
struct TrainSetting {
  llvm::StringRef name;
  double fallback;
};

/// Optimizers or schedules by name, each with its settings in order (the
/// first is the one a lone positional argument sets).
using SettingsTable = llvm::StringMap<std::vector<TrainSetting>>;

/// sgd, adam, adamw, with PyTorch's defaults.
const SettingsTable &optimizerSettings();
/// constant, step, cosine.
const SettingsTable &scheduleSettings();

/// The settings of entry `name` of `table`, or null with `error` set to
/// "unknown <what> 'name' (expected a, b, c)".
const std::vector<TrainSetting> *findSettings(const SettingsTable &table,
                                              llvm::StringRef what,
                                              llvm::StringRef name,
                                              std::string &error);
/// Empty when `owner` (an optimizer or schedule) takes the setting `key`,
/// else "<owner> has no setting 'key' (it takes: lr, momentum, ...)".
std::string unknownSetting(llvm::StringRef owner,
                           llvm::ArrayRef<TrainSetting> settings,
                           llvm::StringRef key);

/// `{name = "adam", lr = ..., ...}` with every setting present: `values`
/// where given, the defaults elsewhere.
mlir::DictionaryAttr settingsAttr(mlir::MLIRContext *context,
                                  llvm::StringRef name,
                                  llvm::ArrayRef<TrainSetting> settings,
                                  const llvm::StringMap<double> &values);

/// The module attribute `dl.train`: the loss result is named "loss".
mlir::DictionaryAttr trainAttr(mlir::MLIRContext *context,
                               llvm::ArrayRef<std::string> metrics,
                               mlir::DictionaryAttr optimizer,
                               mlir::DictionaryAttr schedule,
                               std::optional<double> clipNorm);

/// The fraction of rows of `logits` [N, C] whose argmax is the integer label
/// in `labels` [N], as a scalar of the logits' element type (dl.accuracy);
/// null after an error at `loc` when the shapes do not fit.
mlir::Value buildAccuracy(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value logits, mlir::Value labels);

} // namespace dlc

#endif // DLC_FRONTENDS_COMMON_TRAINSETTINGS_H

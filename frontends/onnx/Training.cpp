//===- Training.cpp - A loss and optimizer for an imported model ----------===//
//
// An ONNX graph computes predictions; training it needs what the DSL's
// `train` section adds: a label input, a loss result named "loss" (and
// metrics), and the module attribute `dl.train`. After that an imported
// model goes through the same autodiff and optimizer passes as a DSL model.
//
//===----------------------------------------------------------------------===//

#include "frontends/common/TrainSettings.h"
#include "frontends/onnx/OnnxImport.h"

#include "dialects/dl/DlOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {

LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "dlc: error: " << message << "\n";
  return failure();
}

std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

} // namespace

LogicalResult dlc::onnx::addTraining(ModuleOp module,
                                     const TrainOptions &options) {
  auto func = module.lookupSymbol<func::FuncOp>("forward");
  if (!func)
    return fail("the module has no entry function @forward");
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // The output the loss reads.
  int output = -1;
  std::string outputs;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name");
    StringRef text = name ? name.getValue() : "";
    outputs += (outputs.empty() ? "'" : ", '") + text.str() + "'";
    if (options.output.empty() ? func.getNumResults() == 1
                               : text == options.output)
      output = i;
  }
  if (output < 0)
    return fail(options.output.empty()
                    ? "the model has " + llvm::Twine(func.getNumResults()) +
                          " outputs (" + outputs +
                          "): name the one the loss reads with --train-output"
                    : "--train-output '" + options.output +
                          "' is not an output of the model (it has " +
                          outputs + ")");
  Value prediction = ret.getOperand(output);
  auto predictionType = cast<RankedTensorType>(prediction.getType());
  if (!isa<FloatType>(predictionType.getElementType()))
    return fail("the loss reads output #" + llvm::Twine(output) +
                ", which is " + typeText(predictionType) +
                "; it needs a float tensor");

  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto name = func.getArgAttrOfType<StringAttr>(i, "dl.name");
        name && name.getValue() == options.label)
      return fail("--label '" + options.label +
                  "' is already an input of the model; choose another name");
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (auto name = func.getResultAttrOfType<StringAttr>(i, "dl.name");
        name && (name.getValue() == "loss" || name.getValue() == "accuracy"))
      return fail("the model already has an output named '" +
                  name.getValue().str() +
                  "', which training adds; rename it in the model");

  std::string error;
  const std::vector<TrainSetting> *optimizer = findSettings(
      optimizerSettings(), "optimizer", options.optimizer, error);
  if (!optimizer)
    return fail(error);
  for (const auto &setting : options.settings) {
    if (std::string unknown =
            unknownSetting(options.optimizer, *optimizer, setting.getKey());
        !unknown.empty())
      return fail(unknown);
    if (setting.getValue() < 0)
      return fail("--" + setting.getKey() + " must not be negative");
  }

  OpBuilder b(ret);
  Location loc = ret.getLoc();
  MLIRContext *context = module.getContext();
  Type labelType;
  std::vector<std::string> metrics;
  if (options.loss == "cross_entropy") {
    if (predictionType.getRank() != 2)
      return fail("cross_entropy reads logits [batch, classes]; the output "
                  "is " + typeText(predictionType));
    labelType = RankedTensorType::get({predictionType.getDimSize(0)},
                                      b.getI32Type());
    metrics.push_back("accuracy");
  } else if (options.loss == "mse") {
    labelType = predictionType;
  } else {
    return fail("unknown loss '" + options.loss +
                "' (expected cross_entropy, mse)");
  }

  // The label goes last: dlrun feeds a training plan's first input the
  // samples and its second the labels.
  unsigned labelIndex = func.getNumArguments();
  if (failed(func.insertArgument(labelIndex, labelType,
                                 b.getDictionaryAttr(b.getNamedAttr(
                                     "dl.name",
                                     b.getStringAttr(options.label))),
                                 loc)))
    return fail("cannot add the label input");
  Value label = func.getArgument(labelIndex);
  auto reduction =
      dl::LossReductionAttr::get(context, dl::LossReduction::Mean);
  SmallVector<Value> extra;
  if (options.loss == "cross_entropy") {
    extra.push_back(
        dl::CrossEntropyOp::create(b, loc, prediction, label, reduction));
    extra.push_back(buildAccuracy(b, loc, prediction, label));
  } else {
    extra.push_back(dl::MseOp::create(b, loc, prediction, label, reduction));
  }

  SmallVector<Value> results(ret.getOperands());
  results.append(extra);
  ret->setOperands(results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  SmallVector<DictionaryAttr> resultAttrs;
  func.getAllResultAttrs(resultAttrs);
  func.setType(b.getFunctionType(func.getArgumentTypes(), resultTypes));
  resultAttrs.push_back(
      b.getDictionaryAttr(b.getNamedAttr("dl.name", b.getStringAttr("loss"))));
  for (const std::string &metric : metrics)
    resultAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr("dl.name", b.getStringAttr(metric))));
  func.setAllResultAttrs(resultAttrs);

  DictionaryAttr settings =
      settingsAttr(context, options.optimizer, *optimizer,
                   options.settings);
  DictionaryAttr schedule = settingsAttr(
      context, "constant", scheduleSettings().lookup("constant"), {});
  module->setAttr("dl.train", trainAttr(context, metrics, settings, schedule,
                                         std::nullopt));
  return success();
}

//===- dlc.cpp - The dlc compiler driver ----------------------------------===//
//
// Reads a model, lowers it to the dl dialect and runs the compiler pipeline,
// printing or writing the stage `--emit` asks for. Exit status 0 on success,
// 1 on any user error (bad model, bad flag); diagnostics go to stderr as
// file:line:col with the source line and a caret.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/PlanWriter.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlDialect.h"
#include "dlc/Plan.h"
#include "plan_generated.h"
#include "frontends/dsl/MLIRGen.h"
#include "frontends/dsl/Parser.h"
#include "frontends/onnx/OnnxImport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { Ast, Mlir, MlirOpt, PlanMlir, Plan, Cuda };

cl::OptionCategory dlcCategory("dlc options");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.dl, model.onnx or module.mlir>"),
                               cl::Required, cl::cat(dlcCategory));
cl::opt<std::string> outputFile("o", cl::desc("Write the output to <file> "
                                              "(written whole or not at all)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(dlcCategory));
cl::opt<Emit> emit(
    "emit", cl::desc("The stage to output"), cl::init(Emit::MlirOpt),
    cl::values(clEnumValN(Emit::Ast, "ast", "the syntax tree of the model"),
               clEnumValN(Emit::Mlir, "mlir",
                          "the dl dialect as the frontend produced it"),
               clEnumValN(Emit::MlirOpt, "mlir-opt",
                          "the dl dialect after canonicalization and CSE "
                          "(the default, unless -o names a .dlp file)"),
               clEnumValN(Emit::PlanMlir, "plan-mlir",
                          "the dl dialect after memory planning, with "
                          "every activation's arena offset"),
               clEnumValN(Emit::Plan, "plan",
                          "the plan for dlrun (the default for -o *.dlp)"),
               clEnumValN(Emit::Cuda, "cuda",
                          "the CUDA C++ of the plan's kernels, each once")),
    cl::cat(dlcCategory));
cl::opt<std::string> dumpDir(
    "dump-dir",
    cl::desc("Write every stage to <dir>: 00-ast.txt, 01-mlir.mlir, then "
             "one NN-<pass>.mlir after each pass"),
    cl::value_desc("dir"), cl::cat(dlcCategory));
cl::opt<bool> report(
    "report",
    cl::desc("Print the plan's memory per arena (and without reuse), FLOPs, "
             "steps and launches per program, and its kernels"),
    cl::cat(dlcCategory));
cl::opt<bool> noFusion(
    "no-fusion",
    cl::desc("Do not fuse elementwise ops: one kernel per op (to compare, "
             "or to debug a fused kernel)"),
    cl::cat(dlcCategory));
enum class ConvAlgorithm { Direct, Gemm };
cl::opt<ConvAlgorithm> convAlgorithm(
    "conv", cl::desc("How convolutions run"),
    cl::values(clEnumValN(ConvAlgorithm::Direct, "direct",
                          "a kernel per convolution and per gradient "
                          "(the default)"),
               clEnumValN(ConvAlgorithm::Gemm, "gemm",
                          "im2col and one GEMM (cuBLASLt on the GPU), the "
                          "gradients GEMMs and col2im")),
    cl::init(ConvAlgorithm::Direct), cl::cat(dlcCategory));
cl::opt<bool> train(
    "train",
    cl::desc("Compile a training plan: programs 'train' (forward, backward "
             "and optimizer update), 'eval' (loss and metrics) and "
             "'inference'"),
    cl::cat(dlcCategory));
cl::opt<bool> gradients(
    "gradients",
    cl::desc("Compile the program 'gradients' instead of 'inference': the "
             "forward results followed by the gradient of the loss with "
             "respect to every parameter (grad:<name>)"),
    cl::cat(dlcCategory));
cl::opt<int64_t> batch(
    "batch",
    cl::desc("Override the model's 'const batch' (ONNX: the size of every "
             "input's symbolic leading dimension)"),
    cl::value_desc("N"), cl::init(0), cl::cat(dlcCategory));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("ONNX: the shape of an input whose dimensions the model leaves "
             "symbolic, e.g. --input-shape images=1x3x224x224"),
    cl::value_desc("NAME=DIMxDIM..."), cl::cat(dlcCategory));
cl::list<std::string> inputValues(
    "input-value",
    cl::desc("ONNX: the value of an input that decides shapes (a Reshape's "
             "target, a Slice's bounds), from a .npy or TensorProto .pb "
             "file; the input becomes a constant of the plan"),
    cl::value_desc("NAME=FILE"), cl::cat(dlcCategory));

cl::OptionCategory onnxTrainCategory(
    "ONNX training options (a .dl model says these in its train section)");
cl::opt<bool> paramsFromInitializers(
    "params-from-initializers",
    cl::desc("ONNX: float initializers become parameters with their values "
             "(loadable with dlrun --params; implied by --train)"),
    cl::cat(onnxTrainCategory));
cl::opt<std::string> externalParams(
    "external-params",
    cl::desc("ONNX: as --params-from-initializers, but the values go to "
             "FILE.safetensors, not into the plan (the parameters start from "
             "zeros there; dlrun --params FILE loads them): large models, "
             "small plans"),
    cl::value_desc("FILE"), cl::cat(onnxTrainCategory));
cl::opt<std::string> loss(
    "loss", cl::desc("ONNX --train: the loss, cross_entropy (logits "
                     "[batch, classes], integer labels) or mse"),
    cl::value_desc("name"), cl::init("cross_entropy"),
    cl::cat(onnxTrainCategory));
cl::opt<std::string> label(
    "label", cl::desc("ONNX --train: the name of the label input the loss "
                      "adds (default: label)"),
    cl::value_desc("name"), cl::init("label"), cl::cat(onnxTrainCategory));
cl::opt<std::string> trainOutput(
    "train-output",
    cl::desc("ONNX --train: the output the loss reads (needed when the "
             "model has several)"),
    cl::value_desc("name"), cl::cat(onnxTrainCategory));
cl::opt<std::string> optimizer(
    "optimizer", cl::desc("ONNX --train: sgd, adam or adamw (default sgd)"),
    cl::value_desc("name"), cl::init("sgd"), cl::cat(onnxTrainCategory));
cl::opt<double> learningRate(
    "lr", cl::desc("ONNX --train: the learning rate (default: the "
                   "optimizer's, 0.01 for sgd, 1e-3 for adam and adamw)"),
    cl::value_desc("x"), cl::cat(onnxTrainCategory));
cl::list<std::string> optimizerSettings(
    "optimizer-setting",
    cl::desc("ONNX --train: another optimizer setting, e.g. "
             "weight_decay=0.05 or momentum=0.9"),
    cl::value_desc("KEY=VALUE"), cl::cat(onnxTrainCategory));

/// Writes `text` to `path` through a temporary file and a rename, so a
/// failed run never leaves half a file behind.
bool writeFile(StringRef path, llvm::function_ref<void(llvm::raw_ostream &)> write) {
  if (path == "-") {
    write(llvm::outs());
    return true;
  }
  if (llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        write(os);
        return llvm::Error::success();
      })) {
    llvm::errs() << "dlc: error: cannot write '" << path
                 << "': " << llvm::toString(std::move(err)) << "\n";
    return false;
  }
  return true;
}

/// Writes the IR after each pass into the dump directory.
class DumpAfterEachPass : public PassInstrumentation {
public:
  DumpAfterEachPass(std::string dir, unsigned first)
      : dir(std::move(dir)), index(first) {}
  void runAfterPass(Pass *pass, Operation *op) override {
    // Pass adaptors have no name and print nothing new.
    if (pass->getArgument().empty())
      return;
    // Function passes show the whole module around the function.
    if (!isa<ModuleOp>(op))
      op = op->getParentOfType<ModuleOp>();
    if (!op)
      return;
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, llvm::formatv("{0:d2}-{1}.mlir", index++,
                                                pass->getArgument())
                                      .str());
    writeFile(path, [&](llvm::raw_ostream &os) { op->print(os); });
  }

private:
  std::string dir;
  unsigned index;
};

/// The importer's options from --input-shape and --input-value.
std::optional<dlc::onnx::ImportOptions> onnxOptions() {
  dlc::onnx::ImportOptions options;
  for (StringRef spec : inputShapes) {
    auto [name, dims] = spec.rsplit('=');
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    std::vector<int64_t> shape;
    for (StringRef part : parts) {
      int64_t d;
      if (part.getAsInteger(10, d) || d < 0) {
        shape.clear();
        break;
      }
      shape.push_back(d);
    }
    if (name.empty() || dims.empty() || shape.empty() ||
        !options.inputShapes.emplace(name.str(), shape).second) {
      llvm::errs() << "dlc: error: --input-shape " << spec
                   << ": expected NAME=DIMxDIM... (each input once)\n";
      return std::nullopt;
    }
  }
  for (StringRef spec : inputValues) {
    auto [name, file] = spec.rsplit('=');
    if (name.empty() || file.empty() ||
        !options.inputValues.emplace(name.str(), file.str()).second) {
      llvm::errs() << "dlc: error: --input-value " << spec
                   << ": expected NAME=FILE (each input once)\n";
      return std::nullopt;
    }
  }
  if (batch.getNumOccurrences()) {
    if (batch < 1) {
      llvm::errs() << "dlc: error: --batch must be at least 1\n";
      return std::nullopt;
    }
    options.batch = batch;
  }
  options.training = train || gradients;
  options.paramsFromInitializers =
      paramsFromInitializers || gradients || !externalParams.empty();
  return options;
}

/// How an imported model trains, from --loss, --label, --optimizer...
std::optional<dlc::onnx::TrainOptions> onnxTrainOptions() {
  dlc::onnx::TrainOptions options;
  options.loss = loss;
  options.label = label;
  options.output = trainOutput;
  options.optimizer = optimizer;
  if (learningRate.getNumOccurrences())
    options.settings["lr"] = learningRate;
  for (StringRef spec : optimizerSettings) {
    auto [key, text] = spec.split('=');
    double value;
    if (key.empty() || text.getAsDouble(value) ||
        !options.settings.try_emplace(key, value).second) {
      llvm::errs() << "dlc: error: --optimizer-setting " << spec
                   << ": expected KEY=NUMBER (each key once; the learning "
                      "rate is --lr)\n";
      return std::nullopt;
    }
  }
  return options;
}

/// Parses the model (DSL, or dl dialect IR for .mlir files) into a module;
/// null after diagnostics. Sets `done` when --emit=ast already wrote output.
OwningOpRef<ModuleOp> loadModel(MLIRContext &context,
                                llvm::SourceMgr &sourceMgr, bool &done,
                                bool &failedOutput) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  StringRef filename = buffer->getBufferIdentifier();
  if (filename.ends_with(".onnx")) {
    if (emit == Emit::Ast) {
      llvm::errs() << "dlc: error: --emit=ast needs a .dl model\n";
      return nullptr;
    }
    auto options = onnxOptions();
    if (!options)
      return nullptr;
    OwningOpRef<ModuleOp> module =
        dlc::onnx::importModel(context, inputFile, *options);
    if (!module || !(train || gradients))
      return module;
    auto training = onnxTrainOptions();
    if (!training || failed(dlc::onnx::addTraining(*module, *training)))
      return nullptr;
    return module;
  }
  if (!inputShapes.empty() || !inputValues.empty()) {
    llvm::errs() << "dlc: error: --input-shape and --input-value apply to "
                    "ONNX models\n";
    return nullptr;
  }
  // cl::list overloads operator&, hence std::addressof.
  for (const cl::Option *option : std::initializer_list<const cl::Option *>{
           &paramsFromInitializers, &externalParams, &loss, &label,
           &trainOutput, &optimizer,
           &learningRate, std::addressof(optimizerSettings)})
    if (option->getNumOccurrences()) {
      llvm::errs() << "dlc: error: --" << option->ArgStr
                   << " applies to ONNX models (a .dl model says how it "
                      "trains in its train section)\n";
      return nullptr;
    }
  if (filename.ends_with(".mlir")) {
    if (emit == Emit::Ast) {
      llvm::errs() << "dlc: error: --emit=ast needs a .dl model\n";
      return nullptr;
    }
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  auto ast = dlc::dsl::parseModule(
      buffer->getBuffer(), filename,
      [&](dlc::dsl::SrcPos pos, const llvm::Twine &message) {
        emitError(FileLineColLoc::get(&context, filename, pos.line, pos.col),
                  message);
      });
  if (!ast)
    return nullptr;
  if (ast->name.empty())
    ast->name = llvm::sys::path::stem(filename).str();
  if (!dumpDir.empty())
    writeFile(dumpDir + "/00-ast.txt",
              [&](llvm::raw_ostream &os) { dlc::dsl::dump(*ast, os); });
  if (emit == Emit::Ast) {
    done = true;
    failedOutput = !writeFile(
        outputFile, [&](llvm::raw_ostream &os) { dlc::dsl::dump(*ast, os); });
    return nullptr;
  }
  dlc::dsl::MLIRGenOptions options;
  if (batch.getNumOccurrences()) {
    if (batch < 1) {
      llvm::errs() << "dlc: error: --batch must be at least 1\n";
      return nullptr;
    }
    options.batch = batch;
  }
  return dlc::dsl::mlirGen(context, *ast, options);
}

int compile(MLIRContext &context, llvm::SourceMgr &sourceMgr) {
  if (!dumpDir.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dumpDir)) {
      llvm::errs() << "dlc: error: cannot create '" << dumpDir
                   << "': " << ec.message() << "\n";
      return 1;
    }
  // -o model.dlp asks for a plan unless --emit says otherwise.
  if (!emit.getNumOccurrences() && StringRef(outputFile).ends_with(".dlp"))
    emit = Emit::Plan;
  bool done = false, failedOutput = false;
  OwningOpRef<ModuleOp> module =
      loadModel(context, sourceMgr, done, failedOutput);
  if (done)
    return failedOutput ? 1 : 0;
  if (!module)
    return 1;
  if (!dumpDir.empty())
    writeFile(dumpDir + "/01-mlir.mlir",
              [&](llvm::raw_ostream &os) { module->print(os); });
  if (emit == Emit::Mlir)
    return writeFile(outputFile,
                     [&](llvm::raw_ostream &os) { module->print(os); })
               ? 0
               : 1;

  bool wantPlan = emit == Emit::Plan || emit == Emit::PlanMlir ||
                  emit == Emit::Cuda || report;
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  applyDefaultTimingPassManagerCLOptions(pm);
  if (!dumpDir.empty()) {
    // Each dump prints the whole module, which function passes running on
    // other threads would be changing meanwhile: one thread, in order.
    context.disableMultithreading();
    pm.addInstrumentation(std::make_unique<DumpAfterEachPass>(dumpDir, 2));
  }
  dl::PlanKind kind = train       ? dl::PlanKind::Training
                      : gradients ? dl::PlanKind::Gradients
                                  : dl::PlanKind::Inference;
  if (wantPlan) {
    if (failed(dl::prepareForPlan(*module, kind)))
      return 1;
    dl::buildPipeline(pm, kind, !noFusion,
                      convAlgorithm == ConvAlgorithm::Gemm);
  } else {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (failed(pm.run(*module)))
    return 1;
  // `dlc model.dl --report` prints the report alone.
  bool onlyReport = report && !emit.getNumOccurrences() && emit != Emit::Plan;
  if (emit == Emit::PlanMlir || (emit == Emit::MlirOpt && !onlyReport)) {
    if (!writeFile(outputFile,
                   [&](llvm::raw_ostream &os) { module->print(os); }))
      return 1;
    if (!report)
      return 0;
  }

  FailureOr<std::vector<dlc::PlanProgram>> programs =
      dlc::planPrograms(*module, kind);
  if (failed(programs))
    return 1;
  dlc::PlanOptions planOptions;
  planOptions.groupKernels = !noFusion;
  dlc::rt::TensorFile external;
  if (!externalParams.empty())
    planOptions.externalValues = &external;
  FailureOr<std::vector<uint8_t>> bytes =
      dlc::writePlan(*module, *programs, planOptions);
  if (failed(bytes))
    return 1;
  // The runtime's own loader checks what was written, so dlc never hands
  // dlrun a plan it would reject.
  auto plan = dlc::rt::Plan::fromBytes(*bytes, "the generated plan");
  if (!plan) {
    llvm::errs() << "dlc: internal error: " << plan.status().message() << "\n";
    return 1;
  }
  bool planToStdout = emit == Emit::Plan && outputFile == "-";
  if (report)
    (planToStdout ? llvm::errs() : llvm::outs()) << (*plan)->report();
  const dlc::plan::Plan &root = *dlc::plan::GetSizePrefixedPlan(bytes->data());
  if (!dumpDir.empty()) {
    writeFile(dumpDir + "/plan.txt",
              [&](llvm::raw_ostream &os) { os << (*plan)->describe(); });
    llvm::sys::fs::create_directories(dumpDir + "/kernels");
    for (const dlc::plan::KernelSource *kernel : *root.kernels())
      writeFile(dumpDir + "/kernels/" + kernel->name()->str() + ".cu",
                [&](llvm::raw_ostream &os) { os << kernel->source()->str(); });
  }
  if (emit == Emit::Cuda)
    return writeFile(outputFile,
                     [&](llvm::raw_ostream &os) {
                       for (const dlc::plan::KernelSource *kernel :
                            *root.kernels())
                         os << kernel->source()->str() << "\n";
                     })
               ? 0
               : 1;
  if (emit != Emit::Plan)
    return 0;
  if (!externalParams.empty())
    if (auto status = dlc::rt::writeSafetensors(externalParams, external);
        !status) {
      llvm::errs() << "dlc: error: " << status.message() << "\n";
      return 1;
    }
  if (planToStdout && !report && llvm::outs().is_displayed()) {
    llvm::errs() << "dlc: error: not writing a binary plan to a terminal "
                    "(use -o FILE.dlp)\n";
    return 1;
  }
  return writeFile(outputFile,
                   [&](llvm::raw_ostream &os) {
                     os.write(reinterpret_cast<const char *>(bytes->data()),
                              bytes->size());
                   })
             ? 0
             : 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  // Show our flags and MLIR's, not the hundreds libLLVM registers.
  static cl::OptionCategory mlirCategory("MLIR options");
  for (auto &option : cl::getRegisteredOptions())
    if (option.first.starts_with("mlir-"))
      option.second->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&dlcCategory, &onnxTrainCategory, &mlirCategory});
  cl::SetVersionPrinter([](llvm::raw_ostream &os) { os << "dlc 0.1.0\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "dlc: compile a model (.dl or .onnx) for dlrun\n\n"
      "  dlc model.dl                  print the optimized dl dialect\n"
      "  dlc model.dl -o model.dlp     compile a plan for dlrun\n"
      "  dlc model.onnx -o model.dlp   import an ONNX model and compile it\n"
      "  dlc model.onnx --train --batch 64 --optimizer adamw -o train.dlp\n"
      "                                train an imported classifier\n"
      "  dlc model.dl --report         print the plan's memory, FLOPs, kernels\n"
      "  dlc model.dl --emit=ast       print the syntax tree\n"
      "  dlc model.dl --dump-dir=out   write every stage to out/\n");

  auto file = llvm::MemoryBuffer::getFileOrSTDIN(inputFile, /*IsText=*/true);
  if (std::error_code ec = file.getError()) {
    llvm::errs() << "dlc: error: cannot read '" << inputFile
                 << "': " << ec.message() << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  // An ONNX model is binary: the importer reads it itself, and diagnostics
  // name its nodes rather than quoting lines of it.
  if (StringRef(inputFile).ends_with(".onnx"))
    file = llvm::MemoryBuffer::getMemBufferCopy("", inputFile);
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  DialectRegistry registry;
  registry.insert<dl::DlDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics point into the model's source; the IR dump adds nothing there.
  context.printOpOnDiagnostic(false);
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  return compile(context, sourceMgr);
}

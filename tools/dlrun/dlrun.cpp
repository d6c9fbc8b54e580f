//===- dlrun.cpp - Runs dlc plans -----------------------------------------===//
//
// The command-line face of the runtime. It links no LLVM or MLIR, so it
// builds and runs on machines that have CUDA but no compiler toolchain.
//
//===----------------------------------------------------------------------===//

#include "Profile.h"

#include "dlc/Kernels.h"
#include "dlc/Npy.h"
#include "dlc/Plan.h"
#include "dlc/Safetensors.h"
#include "dlc/Session.h"
#include "dlc/Train.h"
#include "dlc/runtime.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unistd.h>

using namespace dlc::rt;

namespace {

const char *const kUsage = R"(USAGE: dlrun PLAN.dlp [options]
       dlrun --list-devices | --version | --help

Runs plans compiled by dlc on the GPU or on the CPU reference backend.

INFERENCE:
  --input NAME=@FILE.npy     Feed an input (every input of the model needs one).
  --output NAME=@FILE.npy    Write an output to a .npy file; without any
                             --output, every output is printed.
  --expected-output NAME=@FILE.npy
                             Compare an output with a reference; the exit
                             status is 1 when they differ. Tolerances default
                             per dtype (f32: rtol 1e-4, atol 1e-5; integers
                             exact) and --rtol/--atol override them.
  --params FILE.safetensors  Load parameters (names as in the model); without
                             it, parameters take their initializers' values.
  --program NAME             The program to run (default: inference; a
                             training plan also has 'train' and 'eval').
  --save FILE.safetensors    After the run, write the parameters, buffers and
                             optimizer state (written whole or not at all).
  --repeat N                 Then run the program N more times on the same
                             inputs (after one warm-up run) and print the
                             median and fastest time of a run.
  --profile                  Then time each step on its own (the median of
                             --repeat runs, default 10; on a GPU with events
                             between the steps, no graph) and print a table
                             of steps and of kernels by time, with FLOP
                             rates.
  --device auto|cpu|cuda     Where to run (default: auto, the GPU when there
                             is one).
  --precision fp32|tf32      f32 GEMMs and convolutions on the GPU: strict
                             fp32 (default) or TF32 tensor cores (faster,
                             ~1e-3 relative; --compile-only compiles that
                             variant).

TRAINING (plans compiled with dlc --train):
  --train                    Train: epochs of shuffled batches through the
                             program 'train', then the whole test set through
                             'eval'; prints loss, metrics and samples/s per
                             epoch (a progress bar on a terminal).
  --data DIR                 IDX files train-{images,labels}-idx*-ubyte[.gz]
                             and t10k-... (default: the Debian Fashion-MNIST
                             package, /usr/share/datasets/fashion-mnist), or
                             NumPy arrays train-x.npy, train-y.npy, test-x.npy,
                             test-y.npy (samples first).
  --corpus FILE              Train a language model on a text file: byte
                             ids, windows of the model's context, the last
                             tenth held out for the test loss (the Debian
                             fortunes text is a fine one:
                             /usr/share/games/fortunes/fortunes).
  --epochs N                 Epochs to train (default 1); 0 with --save
                             writes the initial state and trains nothing.
  --lr X                     The base learning rate, instead of the model's
                             (schedules scale it as they would the model's).
  --seed S                   Shuffling seed (default 0); the same seed on the
                             same device gives the same loss curve.
  --metrics-json FILE        Write the per-epoch curve as JSON.
  --limit N                  Use only the first N training and test samples
                             (quick runs).
  --save FILE                Write a checkpoint at the end: parameters,
                             optimizer state, and the epoch, step and seed.
  --resume FILE              Continue from a checkpoint up to --epochs (the
                             total): N epochs straight and N/2, save, resume
                             give the same parameters bit for bit.
  --check-numerics           Stop when a step's loss is NaN or infinite
                             (without --train: when any step writes one),
                             naming the step and the first tensor that went
                             non-finite (the step is re-run step by step from
                             the state before it; costs a copy of the
                             parameters per step).
  --skip-nonfinite           Undo and skip a step whose loss is NaN or
                             infinite (with a warning naming the first
                             non-finite tensor) and go on.

CUDA KERNELS:
  --compile-only             Compile the plan's CUDA kernels with NVRTC and
                             exit; needs no GPU (with --arch).
  --arch sm_XY               The architecture to compile for (default: the
                             GPU's; --compile-only without a GPU needs it).
  --kernel-cache DIR         Where compiled kernels are kept (default:
                             $DLC_KERNEL_CACHE, else ~/.cache/dlc/kernels).
  --no-kernel-cache          Compile every kernel, keep nothing.

INSPECTION:
  --describe                 Print what the plan holds (inputs, outputs,
                             parameters, arenas, steps, kernels) and exit.
  --list-devices             List this machine's devices and exit.
  --version                  Print the runtime version and exit.
  -h, --help                 Print this help and exit.

Exit status: 0 on success, 1 on any error (bad plan, bad input, mismatch).
)";

int fail(const std::string &message) {
  std::fprintf(stderr, "dlrun: error: %s\n", message.c_str());
  return 1;
}

int printDevices() {
  std::string cudaStatus;
  for (const DeviceInfo &device : dlc::rt::listDevices(&cudaStatus))
    std::printf("%s\n", describe(device).c_str());
  if (!cudaStatus.empty())
    std::printf("cuda: unavailable: %s\n", cudaStatus.c_str());
  return 0;
}

/// "NAME=@PATH" into its two parts.
bool splitBinding(const std::string &text, std::string &name,
                  std::string &path) {
  size_t eq = text.find("=@");
  if (eq == std::string::npos || eq == 0 || eq + 2 >= text.size())
    return false;
  name = text.substr(0, eq);
  path = text.substr(eq + 2);
  return true;
}

/// numpy-like text: rows of the last dimension, long tensors elided.
void printTensor(const std::string &name, const HostTensor &tensor) {
  std::printf("%s: %s%s\n", name.c_str(), dtypeName(tensor.dtype),
              formatShape(tensor.shape).c_str());
  uint64_t count = tensor.numElements();
  uint64_t row = tensor.shape.empty() ? 1 : uint64_t(tensor.shape.back());
  if (row == 0 || count == 0) {
    std::printf("  []\n");
    return;
  }
  uint64_t rows = count / row;
  const uint64_t kRows = 8, kCols = 10;
  for (uint64_t r = 0; r < rows; ++r) {
    if (rows > kRows && r == kRows / 2) {
      std::printf("  ... (%llu rows)\n", (unsigned long long)(rows - kRows));
      r = rows - kRows / 2 - 1;
      continue;
    }
    std::printf(" ");
    for (uint64_t c = 0; c < row; ++c) {
      if (row > kCols && c == kCols / 2) {
        std::printf(" ...");
        c = row - kCols / 2 - 1;
        continue;
      }
      double v = tensor.at(r * row + c);
      if (isFloat(tensor.dtype))
        std::printf(" %10.5g", v);
      else
        std::printf(" %lld", (long long)v);
    }
    std::printf("\n");
  }
}

struct Options;
int runTraining(const Options &options, Session &session);

struct Options {
  std::string plan;
  std::vector<std::pair<std::string, std::string>> inputs, outputs, expected;
  std::string params, save, program = "inference", device = "auto";
  double rtol = -1, atol = -1;
  bool describe = false, train = false, compileOnly = false,
       noKernelCache = false, checkNumerics = false, skipNonFinite = false,
       profile = false;
  std::string arch, kernelCache = defaultKernelCacheDir(), precision = "fp32";
  std::string data = "/usr/share/datasets/fashion-mnist", metricsJson, resume,
      corpus;
  uint64_t epochs = 1, seed = 0, limit = 0, repeat = 0;
  double lr = -1;
};

/// --compile-only: every kernel through NVRTC, no GPU needed.
int compileOnly(const Options &options, const Plan &plan) {
  int arch = 0;
  if (!options.arch.empty()) {
    arch = parseArch(options.arch);
    if (!arch)
      return fail("--arch takes sm_XY (sm_90 for H100), not '" + options.arch +
                  "'");
  } else {
    for (const DeviceInfo &device : listDevices())
      if (device.kind == DeviceKind::Cuda) {
        arch = device.computeMajor * 10 + device.computeMinor;
        break;
      }
    if (!arch)
      return fail("--compile-only: no GPU to take the architecture from; "
                  "give --arch sm_XY");
  }
  Expected<KernelBuild> build = compileKernels(
      plan, arch, options.noKernelCache ? "" : options.kernelCache,
      options.precision == "tf32");
  if (!build)
    return fail(build.status().message());
  std::printf("compiled %u kernels for sm_%d with NVRTC %s in %.2f s "
              "(%u compiled, %u from the cache)\n",
              build->kernels, arch, build->nvrtc.c_str(), build->seconds,
              build->compiled, build->fromCache);
  // Training also launches the runtime's own kernels.
  if (plan.findProgram("train")) {
    Expected<KernelBuild> own = compileRuntimeKernels(
        arch, options.noKernelCache ? "" : options.kernelCache);
    if (!own)
      return fail(own.status().message());
    std::printf("compiled the runtime's %u training kernels in %.2f s (%u "
                "compiled, %u from the cache)\n",
                own->kernels, own->seconds, own->compiled, own->fromCache);
  }
  return 0;
}

/// When the process started, for the time to the first step.
const auto processStart = std::chrono::steady_clock::now();

int run(const Options &options) {
  Expected<std::shared_ptr<const Plan>> plan = Plan::load(options.plan);
  if (!plan)
    return fail(plan.status().message());
  if (options.describe) {
    std::fputs((*plan)->describe().c_str(), stdout);
    return 0;
  }

  if (options.precision != "fp32" && options.precision != "tf32")
    return fail("--precision must be fp32 or tf32, not '" + options.precision +
                "'");
  if (options.compileOnly)
    return compileOnly(options, **plan);

  if (Expected<uint32_t> program = (*plan)->program(options.program);
      !program)
    return fail(program.status().message());

  DeviceKind device = DeviceKind::Cpu;
  std::string cudaStatus;
  std::vector<DeviceInfo> devices = dlc::rt::listDevices(&cudaStatus);
  bool haveGpu = devices.size() > 1;
  if (options.device == "cuda") {
    if (!haveGpu)
      return fail("--device cuda: no usable GPU: " + cudaStatus);
    device = DeviceKind::Cuda;
  } else if (options.device == "auto" && haveGpu) {
    device = DeviceKind::Cuda;
  } else if (options.device != "auto" && options.device != "cpu") {
    return fail("--device must be auto, cpu or cuda, not '" + options.device +
                "'");
  }
  std::string where = describe(devices[device == DeviceKind::Cuda ? 1 : 0]);
  if (options.train)
    std::fprintf(stderr, "dlrun: training on %s\n", where.c_str());
  else
    std::fprintf(stderr, "dlrun: running '%s' on %s\n",
                 options.program.c_str(), where.c_str());

  SessionOptions sessionOptions;
  sessionOptions.tf32 = options.precision == "tf32";
  sessionOptions.kernelCache = options.noKernelCache ? "" : options.kernelCache;
  Expected<std::unique_ptr<Session>> session =
      Session::create(*plan, device, sessionOptions);
  if (!session)
    return fail(session.status().message());
  if (!options.params.empty()) {
    Expected<TensorFile> params = readSafetensors(options.params);
    if (!params)
      return fail(params.status().message());
    if (Status status = (*session)->loadParameters(*params); !status)
      return fail(options.params + ": " + status.message());
  }
  // Plan, device, kernels (compiled or from the cache), memory: everything
  // before the first step.
  std::fprintf(stderr, "dlrun: ready in %.2f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             processStart)
                   .count());

  if (options.train)
    return runTraining(options, **session);

  std::map<std::string, HostTensor> fed;
  for (const auto &[name, path] : options.inputs) {
    Expected<HostTensor> value = readNpy(path);
    if (!value)
      return fail(value.status().message());
    if (Status status = (*session)->setInput(options.program, name, *value);
        !status)
      return fail(path + ": " + status.message());
    fed[name] = std::move(*value);
  }
  // A run may overwrite its inputs' buffers with later values; each
  // repeated run gets them again, outside the time measured.
  auto feed = [&]() -> Status {
    for (const auto &[name, value] : fed)
      if (Status s = (*session)->setInput(options.program, name, value); !s)
        return s;
    return Status::ok();
  };
  // Every input must be given: a run on stale arena bytes is never right.
  for (const std::string &name : (*plan)->inputNames(options.program))
    if (!fed.count(name))
      return fail("input '" + name + "' was not given (--input " + name +
                  "=@FILE.npy)");
  if (options.checkNumerics) {
    // Step by step, stopping at the first step that writes a NaN or Inf.
    auto found = (*session)->findNonFinite(options.program);
    if (!found)
      return fail(found.status().message());
    if (*found)
      return fail("'" + options.program + "': " + (*found)->describe());
  } else if (Status status = (*session)->run(options.program); !status) {
    return fail(status.message());
  } else if (options.profile) {
    // After the warm-up run above, each step timed on its own (the
    // session gives each run the inputs it has now).
    if (Status s = feed(); !s)
      return fail(s.message());
    unsigned runs = options.repeat ? unsigned(options.repeat) : 10;
    auto steps = (*session)->profile(options.program, runs);
    if (!steps)
      return fail(steps.status().message());
    std::fputs(profileTable(options.program, where, runs, *steps).c_str(),
               stderr);
  } else if (options.repeat) {
    // Timed runs on the same inputs, after a warm-up one (the first run
    // above; on a GPU a second captures the graph the rest replay).
    Status warm = feed();
    if (warm)
      warm = (*session)->run(options.program);
    if (!warm)
      return fail(warm.message());
    std::vector<double> times;
    for (uint64_t i = 0; i < options.repeat; ++i) {
      if (Status s = feed(); !s)
        return fail(s.message());
      auto start = std::chrono::steady_clock::now();
      if (Status s = (*session)->run(options.program); !s)
        return fail(s.message());
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    std::sort(times.begin(), times.end());
    std::fprintf(stderr, "dlrun: ran '%s' %llu times: median %.3f ms, min "
                         "%.3f ms\n",
                 options.program.c_str(), (unsigned long long)options.repeat,
                 times[times.size() / 2], times.front());
  }

  int exitCode = 0;
  if (!options.save.empty())
    if (Status status = writeSafetensors(
            options.save, (*session)->saveParameters(/*withOptimizerState=*/true));
        !status)
      return fail(status.message());
  for (const auto &[name, path] : options.outputs) {
    Expected<HostTensor> value = (*session)->output(options.program, name);
    if (!value)
      return fail(value.status().message());
    if (Status status = writeNpy(path, *value); !status)
      return fail(status.message());
  }
  for (const auto &[name, path] : options.expected) {
    Expected<HostTensor> value = (*session)->output(options.program, name);
    if (!value)
      return fail(value.status().message());
    Expected<HostTensor> reference = readNpy(path);
    if (!reference)
      return fail(reference.status().message());
    if (Status status =
            compareTensors(*value, *reference, options.rtol, options.atol);
        !status) {
      std::fprintf(stderr, "dlrun: output '%s' differs from %s: %s\n",
                   name.c_str(), path.c_str(), status.message().c_str());
      exitCode = 1;
    } else {
      std::fprintf(stderr, "dlrun: output '%s' matches %s\n", name.c_str(),
                   path.c_str());
    }
  }
  if (options.outputs.empty() && options.expected.empty())
    for (const std::string &name : (*plan)->outputNames(options.program)) {
      Expected<HostTensor> value = (*session)->output(options.program, name);
      if (value)
        printTensor(name, *value);
    }
  return exitCode;
}

/// Keeps the first `count` samples.
void truncate(Dataset &data, uint64_t count) {
  if (count >= data.size())
    return;
  auto keep = [&](HostTensor &tensor) {
    uint64_t perSample = tensor.numElements() / uint64_t(tensor.shape[0]);
    tensor.shape[0] = int64_t(count);
    tensor.data.resize(count * perSample * dtypeSize(tensor.dtype));
  };
  keep(data.inputs);
  keep(data.labels);
}

std::string metricsText(const EpochMetrics &m) {
  std::string text = format("epoch %d: train loss %.4f", m.epoch, m.trainLoss);
  for (const auto &[name, value] : m.test)
    text += format(", test %s %.4f", name.c_str(), value);
  if (m.skippedSteps)
    text += format(", %llu step(s) skipped", (unsigned long long)m.skippedSteps);
  return text + format(", %.0f samples/s (%.1f s)", m.samplesPerSecond,
                       m.seconds);
}

/// Writes a training checkpoint: parameters, buffers, optimizer state, and
/// where training stands.
int saveCheckpoint(const Options &options, Session &session, int epoch,
                   uint64_t seed) {
  TensorFile checkpoint = session.saveParameters(/*withOptimizerState=*/true);
  checkpoint.metadata["epoch"] = std::to_string(epoch);
  checkpoint.metadata["step"] = std::to_string(session.stepCounter());
  checkpoint.metadata["seed"] = std::to_string(seed);
  if (Status status = writeSafetensors(options.save, checkpoint); !status)
    return fail(status.message());
  return 0;
}

int runTraining(const Options &options, Session &session) {
  if (options.epochs == 0) {
    // The initial state, for another framework to start from the same
    // parameters, or to resume from.
    if (options.save.empty() || !options.resume.empty())
      return fail("--epochs 0 trains nothing: it writes the initial state "
                  "with --save (and takes no --resume)");
    return saveCheckpoint(options, session, 0, options.seed);
  }
  // A text corpus, NumPy arrays when the directory has them, IDX files
  // otherwise.
  std::function<Expected<Dataset>(bool)> load;
  if (!options.corpus.empty()) {
    std::vector<std::string> inputs = session.plan().inputNames("train");
    // The context is the token input's second dimension; the vocabulary is
    // the model's (its logits' last dimension).
    std::vector<int64_t> tokens = session.plan().inputShape(
        "train", inputs.empty() ? std::string() : inputs[0]);
    std::vector<std::string> outputs = session.plan().outputNames("inference");
    std::vector<int64_t> logits = session.plan().outputShape(
        "inference", outputs.empty() ? std::string() : outputs[0]);
    if (tokens.size() != 2 || logits.empty())
      return fail("--corpus needs a language model with tokens [batch, "
                  "context] and logits [..., vocabulary]");
    load = [&, context = tokens[1], vocabulary = logits.back()](bool train) {
      return loadTextCorpus(options.corpus, context, vocabulary, train,
                            options.seed);
    };
  } else if (access((options.data + "/train-x.npy").c_str(), R_OK) == 0) {
    load = [&](bool train) { return loadNpyDataset(options.data, train); };
  } else {
    load = [&](bool train) { return loadIdxDataset(options.data, train); };
  }
  Expected<Dataset> trainSet = load(true);
  if (!trainSet)
    return fail(trainSet.status().message());
  Expected<Dataset> testSet = load(false);
  if (!testSet)
    return fail(testSet.status().message());
  if (options.limit) {
    truncate(*trainSet, options.limit);
    truncate(*testSet, options.limit);
  }
  std::fprintf(stderr, "dlrun: training on %llu samples, testing on %llu, "
                       "%d epoch(s)\n",
               (unsigned long long)trainSet->size(),
               (unsigned long long)testSet->size(), int(options.epochs));
  bool terminal = isatty(fileno(stderr));
  TrainOptions train;
  train.epochs = int(options.epochs);
  train.seed = options.seed;
  if (options.checkNumerics && options.skipNonFinite)
    return fail("--check-numerics stops at a non-finite loss and "
                "--skip-nonfinite skips the step: choose one");
  train.nonFinite = options.skipNonFinite   ? NonFinitePolicy::Skip
                    : options.checkNumerics ? NonFinitePolicy::Stop
                                            : NonFinitePolicy::Ignore;
  train.onWarning = [&](const std::string &message) {
    std::fprintf(stderr, "%sdlrun: warning: %s\n", terminal ? "\r" : "",
                 message.c_str());
  };
  if (!options.resume.empty()) {
    Expected<TensorFile> checkpoint = readSafetensors(options.resume);
    if (!checkpoint)
      return fail(checkpoint.status().message());
    if (Status status = session.loadParameters(*checkpoint); !status)
      return fail(options.resume + ": " + status.message());
    auto number = [&](const char *key, uint64_t &out) {
      auto it = checkpoint->metadata.find(key);
      if (it == checkpoint->metadata.end())
        return false;
      char *end = nullptr;
      out = std::strtoull(it->second.c_str(), &end, 10);
      return end && !*end;
    };
    uint64_t epoch = 0, step = 0, seed = 0;
    if (!number("epoch", epoch) || !number("step", step) ||
        !number("seed", seed))
      return fail(options.resume + ": not a training checkpoint (no epoch, "
                                   "step and seed; write one with --save)");
    train.firstEpoch = int(epoch) + 1;
    train.seed = seed;
    session.setStepCounter(step);
    std::fprintf(stderr, "dlrun: resuming after epoch %llu (step %llu)\n",
                 (unsigned long long)epoch, (unsigned long long)step);
  }
  // After a resume, so the flag wins over the checkpoint.
  if (options.lr >= 0) {
    HostTensor lr;
    lr.dtype = DType::F32;
    lr.data.resize(4);
    lr.set(0, options.lr);
    if (Status status = session.setPersistent("optimizer.lr", lr); !status)
      return fail("--lr: " + status.message());
  }
  train.onStep = [&](int epoch, uint64_t step, uint64_t steps, double loss) {
    if (!terminal || (step % 16 && step != steps))
      return;
    int filled = int(30 * step / steps);
    std::fprintf(stderr, "\repoch %d [%.*s%*s] %llu/%llu", epoch, filled,
                 "==============================", 30 - filled, "",
                 (unsigned long long)step, (unsigned long long)steps);
    // The running loss, where each step's is read (--check-numerics).
    if (!std::isnan(loss))
      std::fprintf(stderr, " loss %.4f", loss);
    if (step == steps)
      std::fprintf(stderr, "\r%*s\r", 70, "");
  };
  std::string json = "[";
  train.onEpoch = [&](const EpochMetrics &m) {
    std::printf("%s\n", metricsText(m).c_str());
    std::fflush(stdout);
    json += format("%s{\"epoch\": %d, \"train_loss\": %.9g, "
                   "\"samples_per_second\": %.6g, \"seconds\": %.6g",
                   m.epoch > 1 ? ", " : "", m.epoch, m.trainLoss,
                   m.samplesPerSecond, m.seconds);
    if (m.skippedSteps)
      json += format(", \"skipped_steps\": %llu",
                     (unsigned long long)m.skippedSteps);
    for (const auto &[name, value] : m.test)
      json += format(", \"test_%s\": %.9g", name.c_str(), value);
    json += "}";
  };
  Expected<std::vector<EpochMetrics>> history =
      dlc::rt::train(session, *trainSet, *testSet, train);
  if (!history)
    return fail(history.status().message());
  if (!options.metricsJson.empty()) {
    std::string text = json + "]\n";
    if (Status status = writeFileAtomic(
            options.metricsJson, std::vector<uint8_t>(text.begin(), text.end()));
        !status)
      return fail(status.message());
  }
  if (!options.save.empty())
    return saveCheckpoint(options, session,
                          std::max(train.firstEpoch - 1, int(options.epochs)),
                          train.seed);
  return 0;
}

} // namespace

// The options by kind: switches, strings, counts (with their largest
// value) and non-negative numbers.
const std::map<std::string, bool Options::*> kSwitches = {
    {"--describe", &Options::describe},
    {"--train", &Options::train},
    {"--compile-only", &Options::compileOnly},
    {"--no-kernel-cache", &Options::noKernelCache},
    {"--check-numerics", &Options::checkNumerics},
    {"--skip-nonfinite", &Options::skipNonFinite},
    {"--profile", &Options::profile},
};
const std::map<std::string, std::string Options::*> kStrings = {
    {"--data", &Options::data},         {"--metrics-json", &Options::metricsJson},
    {"--resume", &Options::resume},     {"--corpus", &Options::corpus},
    {"--arch", &Options::arch},         {"--kernel-cache", &Options::kernelCache},
    {"--precision", &Options::precision}, {"--params", &Options::params},
    {"--save", &Options::save},         {"--program", &Options::program},
    {"--device", &Options::device},
};
const std::map<std::string, std::pair<uint64_t Options::*, long long>> kCounts =
    {
        {"--epochs", {&Options::epochs, 1 << 20}},
        {"--seed", {&Options::seed, std::numeric_limits<long long>::max()}},
        {"--limit", {&Options::limit, std::numeric_limits<long long>::max()}},
        {"--repeat", {&Options::repeat, 1 << 24}},
};
const std::map<std::string, double Options::*> kNumbers = {
    {"--rtol", &Options::rtol},
    {"--atol", &Options::atol},
    {"--lr", &Options::lr},
};

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
      size_t eq = arg.find('=');
      if (arg.rfind("--", 0) == 0 && eq != std::string::npos &&
          arg.find("=@") != eq) {
        out = arg.substr(eq + 1);
        return true;
      }
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    auto flagName = arg.substr(0, arg.find('=') == std::string::npos ||
                                          arg.find("=@") == arg.find('=')
                                      ? arg.size()
                                      : arg.find('='));
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("dlrun %s (plan format %u)\n", version(),
                  kPlanFormatVersion);
      return 0;
    }
    if (arg == "--list-devices")
      return printDevices();
    if (auto it = kSwitches.find(arg); it != kSwitches.end()) {
      options.*(it->second) = true;
      continue;
    }
    std::string text;
    if (flagName == "--input" || flagName == "--output" ||
        flagName == "--expected-output") {
      if (!value(text))
        return fail(flagName + " needs NAME=@FILE.npy");
      std::string name, path;
      if (!splitBinding(text, name, path))
        return fail(flagName + " takes NAME=@FILE.npy, not '" + text + "'");
      auto &list = flagName == "--input"    ? options.inputs
                   : flagName == "--output" ? options.outputs
                                            : options.expected;
      list.emplace_back(name, path);
      continue;
    }
    if (auto it = kStrings.find(flagName); it != kStrings.end()) {
      if (!value(text))
        return fail(flagName + " needs a value");
      options.*(it->second) = text;
      continue;
    }
    if (auto it = kCounts.find(flagName); it != kCounts.end()) {
      if (!value(text))
        return fail(flagName + " needs a value");
      char *end = nullptr;
      long long number = std::strtoll(text.c_str(), &end, 10);
      if (!end || *end || number < 0)
        return fail(flagName + " needs a non-negative integer, not '" + text +
                    "'");
      auto [field, most] = it->second;
      options.*field = uint64_t(std::min<long long>(number, most));
      continue;
    }
    if (auto it = kNumbers.find(flagName); it != kNumbers.end()) {
      if (!value(text))
        return fail(flagName + " needs a value");
      char *end = nullptr;
      double number = std::strtod(text.c_str(), &end);
      if (!end || *end || number < 0)
        return fail(flagName + " needs a non-negative number");
      options.*(it->second) = number;
      continue;
    }
    if (arg.rfind("-", 0) == 0)
      return fail("unknown option '" + arg + "' (see --help)");
    if (!options.plan.empty())
      return fail("more than one plan given ('" + options.plan + "', '" +
                  arg + "')");
    options.plan = arg;
  }
  if (options.plan.empty())
    return fail("no plan given (see --help)");
  return run(options);
}

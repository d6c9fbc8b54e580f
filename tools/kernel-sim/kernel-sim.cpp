//===- kernel-sim.cpp - A plan's CUDA kernels run on the CPU, checked -----===//
//
// CI has no GPU, yet every CUDA kernel dlc emits should be seen computing
// the right thing before one is at hand. kernel-sim compiles a plan's
// kernels as host C++ (CudaSim.h), runs each program on the CPU backend one
// step at a time, and before each kernel step runs that step's CUDA kernel,
// with the plan's grid and block, on a copy of the arenas as they are then;
// what the kernel writes must match what the CPU backend's step writes.
// Every kernel starts from the CPU backend's state, so one kernel's error
// does not spread to the next.
//
// GEMM steps (cuBLASLt), copies and fills are the CPU backend's alone. The
// runtime's own training kernels are checked against a host gather.
//
//===----------------------------------------------------------------------===//

#include "KernelLibrary.h"

#include "Backend.h"
#include "Init.h"
#include "PlanAccess.h"
#include "PlanOperands.h"
#include "cuda/KernelCompiler.h"
#include "dlc/Npy.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

using namespace dlc::rt;
namespace plan = dlc::plan;

namespace {

const char *kUsage =
    "usage: kernel-sim PLAN... [--program NAME]... [--cxx COMPILER] "
    "[--keep DIR] [--tf32] [--verbose]\n"
    "\n"
    "Runs every CUDA kernel of each PLAN on the CPU (each CUDA thread a\n"
    "fiber) and compares what each kernel step writes with the CPU backend's\n"
    "step on the same inputs. The kernels of all plans are compiled by one\n"
    "run of the host C++ compiler. Input NAME of DIR/BASE.dlp is read from\n"
    "DIR/BASE.in.NAME.npy when that file exists (as the numerics tests write\n"
    "them), else drawn at random: floats N(0, 1), integers in [0, 10).\n"
    "Parameters come from their initializers.\n"
    "\n"
    "  --program NAME  only this program (repeatable; default: all)\n"
    "  --cxx COMPILER  the host C++ compiler (default: $CXX, else c++)\n"
    "  --keep DIR      build the kernels in DIR and keep them\n"
    "  --tf32          build the kernels as --precision tf32 runs them\n"
    "                  (f32 GEMMs on tensor cores; tolerance 3e-3)\n"
    "  --verbose       one line per kernel step with its largest error\n";

// Kernel steps checked, over all plans.
unsigned checkedSteps = 0;

/// Tolerance of a float element: |sim - cpu| <= rtol * |cpu| + atol * the
/// largest |cpu| of the tensor. The CPU backend accumulates in double, the
/// kernels mostly in float and in another order; with --tf32 the products
/// of the kernels' GEMMs round their operands to 10 mantissa bits.
double relativeTolerance = 1e-4, absoluteTolerance = 1e-5;

struct Options {
  std::vector<std::string> plans;
  std::string compiler, keep;
  std::vector<std::string> programs;
  bool verbose = false, tf32 = false;
};

struct Arenas {
  std::vector<std::vector<uint8_t>> bytes;

  void readFrom(const Backend &backend, const plan::Plan &root) {
    bytes.resize(root.arenas()->size());
    for (uint32_t i = 0; i < bytes.size(); ++i) {
      bytes[i].resize(std::max<uint64_t>(root.arenas()->Get(i)->size(), 8));
      backend.read(i, 0, bytes[i].data(), root.arenas()->Get(i)->size());
    }
  }
  uint8_t *address(const plan::Plan &root, uint32_t tensor) {
    const plan::Tensor *t = root.tensors()->Get(tensor);
    return bytes[t->arena()].data() + t->offset();
  }
};

/// The worst element of one tensor: how far past its tolerance (<= 1 is
/// within), where, and both values.
struct Mismatch {
  double ratio = 0;
  uint64_t index = 0;
  double simulated = 0, expected = 0;
  uint64_t bad = 0; // elements beyond the tolerance
};

Mismatch compare(const uint8_t *simulated, const uint8_t *expected,
                 DType dtype, uint64_t count) {
  Mismatch worst;
  uint64_t size = dtypeSize(dtype);
  double scale = 0;
  for (uint64_t i = 0; i < count; ++i) {
    double e = loadElement(expected + i * size, dtype);
    if (std::isfinite(e))
      scale = std::max(scale, std::fabs(e));
  }
  for (uint64_t i = 0; i < count; ++i) {
    double s = loadElement(simulated + i * size, dtype);
    double e = loadElement(expected + i * size, dtype);
    double ratio;
    if (std::isnan(e) || std::isnan(s))
      ratio = std::isnan(e) == std::isnan(s) ? 0 : INFINITY;
    else if (!isFloat(dtype) || std::isinf(e) || std::isinf(s))
      ratio = s == e ? 0 : INFINITY;
    else
      ratio = std::fabs(s - e) / std::max(relativeTolerance * std::fabs(e) +
                                              absoluteTolerance * scale,
                                          1e-30);
    worst.bad += ratio > 1;
    if (i == 0 || ratio > worst.ratio)
      worst = {ratio, i, s, e, worst.bad};
  }
  return worst;
}

HostTensor randomInput(const plan::Tensor &tensor, std::mt19937_64 &random) {
  HostTensor value;
  value.dtype = toDType(tensor.dtype());
  value.shape = toShape(tensor.shape());
  value.data.resize(tensor.bytes());
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int> small(0, 9);
  for (uint64_t i = 0; i < value.numElements(); ++i)
    value.set(i, isFloat(value.dtype)            ? normal(random)
                 : value.dtype == DType::Bool ? small(random) % 2
                                              : small(random));
  return value;
}

class Checker {
public:
  /// `entries[i]` is the library's entry for the plan's kernel i.
  Checker(const plan::Plan &root, std::string label,
          dlc_sim::KernelLibrary &library, dlc_sim::BlockScheduler &scheduler,
          std::vector<dlc_sim::Entry> entries, bool verbose)
      : root(root), label(std::move(label)), library(library),
        scheduler(scheduler), entries(std::move(entries)), verbose(verbose) {}

  /// Runs `program` on the CPU backend step by step, each kernel step also
  /// simulated; the number of failed kernel steps (or -1 if the run failed).
  int check(Backend &backend, uint32_t index) {
    const plan::Program &program = *root.programs()->Get(index);
    std::string name = label + program.name()->str();
    Arenas before, after;
    before.readFrom(backend, root);
    int failed = 0, kernels = 0;
    double worstRatio = 0;
    std::string worstStep;
    Status run = backend.runStepwise(index, kCounter, [&](uint32_t s) {
      const plan::Step &step = *program.steps()->Get(s);
      after.readFrom(backend, root);
      if (step.step_type() == plan::StepKind::Kernel) {
        ++kernels;
        ++checkedSteps;
        double ratio = 0;
        std::string error = simulate(step, before, after, ratio);
        std::string label = stepLabel(step, s);
        if (!error.empty()) {
          ++failed;
          std::printf("FAIL %s %s: %s\n", name.c_str(), label.c_str(),
                      error.c_str());
        } else if (verbose) {
          std::printf("ok   %s %s: largest error %.3g of the tolerance\n",
                      name.c_str(), label.c_str(), ratio);
        }
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worstStep = label;
        }
      }
      std::swap(before, after);
      return true;
    });
    if (!run) {
      std::printf("FAIL %s: the CPU backend's run failed: %s\n", name.c_str(),
                  run.message().c_str());
      return -1;
    }
    std::printf("%s: %d of %d kernel steps match the CPU backend", name.c_str(),
                kernels - failed, kernels);
    if (!worstStep.empty())
      std::printf(" (largest error %.3g of the tolerance, %s)", worstRatio,
                  worstStep.c_str());
    std::printf("\n");
    return failed;
  }

private:
  // A step counter other than 0, so dropout's masks depend on it.
  static constexpr uint64_t kCounter = 5;

  /// Runs the step's kernel on `before` and compares what it wrote with the
  /// CPU backend's `after`; an empty string when they match.
  std::string simulate(const plan::Step &step, Arenas &before, Arenas &after,
                       double &worstRatio) {
    const plan::Kernel &kernel = *step.step_as_Kernel();
    const auto *grid = kernel.grid();
    const auto *block = kernel.block();
    if (!grid->Get(0) || !grid->Get(1) || !grid->Get(2))
      return ""; // an empty tensor: CUDA launches nothing either
    std::vector<void *> pointers;
    for (uint32_t tensor : plan::kernelOperands(kernel))
      pointers.push_back(before.address(root, tensor));
    uint64_t counter = kCounter, errorWord = 0;
    pointers.push_back(&counter);
    pointers.push_back(&errorWord);
    // Zeroed, as the CUDA backend's scratch is when a plan is loaded.
    std::vector<unsigned char> scratch(kernel.scratch());
    if (kernel.scratch())
      pointers.push_back(scratch.data());
    std::vector<void *> args;
    for (void *&pointer : pointers)
      args.push_back(&pointer);
    std::string error = scheduler.launch(
        entries[kernel.kernel()], args.data(),
        {grid->Get(0), grid->Get(1), grid->Get(2)},
        {block->Get(0), block->Get(1), block->Get(2)});
    if (!error.empty())
      return error;
    if (errorWord)
      return "the kernel set error bits " + std::to_string(errorWord) +
             " on valid data";
    std::string mismatches;
    for (uint32_t tensor : stepWrites(step)) {
      const plan::Tensor &t = *root.tensors()->Get(tensor);
      DType dtype = toDType(t.dtype());
      uint64_t count = t.bytes() / std::max<uint64_t>(dtypeSize(dtype), 1);
      Mismatch m = compare(before.address(root, tensor),
                           after.address(root, tensor), dtype, count);
      worstRatio = std::max(worstRatio, m.ratio);
      if (m.ratio > 1)
        mismatches += format("\n  '%s' (%s%s): %llu of %llu elements differ; "
                             "element %llu is %.9g, the CPU backend's %.9g",
                             t.name()->c_str(), dtypeName(dtype),
                             formatShape(toShape(t.shape())).c_str(),
                             (unsigned long long)m.bad,
                             (unsigned long long)count,
                             (unsigned long long)m.index, m.simulated,
                             m.expected);
    }
    return mismatches.empty() ? "" : "results differ:" + mismatches;
  }

  const plan::Plan &root;
  std::string label; // "plan.dlp: " when several plans are checked
  dlc_sim::KernelLibrary &library;
  dlc_sim::BlockScheduler &scheduler;
  std::vector<dlc_sim::Entry> entries;
  bool verbose;
};

bool parse(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &into) {
      if (i + 1 >= argc)
        return false;
      into = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--program") {
      std::string name;
      if (!value(name))
        return false;
      options.programs.push_back(name);
    } else if (arg == "--cxx") {
      if (!value(options.compiler))
        return false;
    } else if (arg == "--keep") {
      if (!value(options.keep))
        return false;
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--tf32") {
      options.tf32 = true;
    } else if (!arg.empty() && arg[0] != '-') {
      options.plans.push_back(arg);
    } else {
      std::fprintf(stderr, "kernel-sim: unknown argument '%s'\n", arg.c_str());
      return false;
    }
  }
  return !options.plans.empty();
}


/// dlc_gather_rows and dlc_add_sums against the host: a batch of rows by
/// a shuffled order, for row sizes in words and in bytes.
int checkTrainingKernels(dlc_sim::KernelLibrary &library,
                         dlc_sim::BlockScheduler &scheduler,
                         size_t gatherIndex, size_t addSumsIndex) {
  int failed = 0;
  std::mt19937_64 random(1);
  for (uint64_t sampleRow : {12ull, 7ull}) {
    const uint64_t count = 50, rows = 16, labelRow = 4;
    std::vector<uint8_t> samples(count * sampleRow), labels(count * labelRow);
    for (uint8_t &b : samples)
      b = uint8_t(random());
    for (uint8_t &b : labels)
      b = uint8_t(random());
    std::vector<unsigned long long> order(count);
    for (uint64_t i = 0; i < count; ++i)
      order[i] = (i * 17 + 3) % count;
    std::vector<uint8_t> sampleBatch(rows * sampleRow),
        labelBatch(rows * labelRow);
    unsigned long long first = 20;
    void *samplePtr = samples.data(), *labelPtr = labels.data();
    void *sampleBatchPtr = sampleBatch.data(),
         *labelBatchPtr = labelBatch.data(), *orderPtr = order.data(),
         *positionPtr = &first;
    unsigned long long sampleBytes = sampleRow, labelBytes = labelRow,
                       rowCount = rows;
    void *args[] = {&samplePtr,  &sampleBatchPtr, &sampleBytes,
                    &labelPtr,   &labelBatchPtr,  &labelBytes,
                    &orderPtr,   &positionPtr,    &rowCount};
    std::string error = scheduler.launch(library.entry(gatherIndex), args,
                                         {3, 2, 1}, {256, 1, 1});
    bool same = error.empty();
    for (uint64_t r = 0; r < rows && same; ++r)
      same = !std::memcmp(&sampleBatch[r * sampleRow],
                          &samples[order[first + r] * sampleRow],
                          sampleRow) &&
             !std::memcmp(&labelBatch[r * labelRow],
                          &labels[order[first + r] * labelRow], labelRow);
    std::printf("%s dlc_gather_rows (%llu-byte rows)%s%s\n",
                same ? "ok  " : "FAIL", (unsigned long long)sampleRow,
                error.empty() ? "" : ": ", error.c_str());
    failed += !same;
  }
  // Two scalars, a float and a double, into sums; a training step's
  // counter and position advance, an evaluation's counter (null) does not.
  double sums[2] = {1.5, 10};
  float loss = 2.25f;
  double accuracy = 0.5;
  unsigned long long counter = 7, position = 128, rows = 64;
  void *lossPtr = &loss, *accuracyPtr = &accuracy, *none = nullptr,
       *sumsPtr = sums, *counterPtr = &counter, *positionPtr = &position;
  int count = 2;
  unsigned f64 = 2;
  void *args[] = {&lossPtr, &accuracyPtr, &none,       &none,
                  &count,   &f64,         &sumsPtr,    &counterPtr,
                  &positionPtr, &rows};
  std::string error = scheduler.launch(library.entry(addSumsIndex), args,
                                       {1, 1, 1}, {32, 1, 1});
  bool same = error.empty() && sums[0] == 3.75 && sums[1] == 10.5 &&
              counter == 8 && position == 192;
  counterPtr = nullptr;
  if (same)
    error = scheduler.launch(library.entry(addSumsIndex), args, {1, 1, 1},
                             {32, 1, 1});
  same = same && error.empty() && sums[0] == 6 && position == 256;
  std::printf("%s dlc_add_sums%s%s\n", same ? "ok  " : "FAIL",
              error.empty() ? "" : ": ", error.c_str());
  return failed + !same;
}

/// The harness's input file for `input` of `planPath`, if there is one.
std::string harnessInput(const std::string &planPath, const std::string &input) {
  std::filesystem::path path(planPath);
  std::filesystem::path file = path.parent_path() /
                               (path.stem().string() + ".in." + input + ".npy");
  return std::filesystem::exists(file) ? file.string() : std::string();
}

/// Checks every selected program of one plan; the number of failures.
int checkPlan(const std::string &path, const plan::Plan &root,
              const std::string &label, dlc_sim::KernelLibrary &library,
              dlc_sim::BlockScheduler &scheduler,
              const std::vector<dlc_sim::Entry> &entries,
              const Options &options) {
  std::unique_ptr<Backend> backend = createCpuBackend(root);
  if (Status s = backend->allocate(); !s) {
    std::printf("FAIL %s%s\n", label.c_str(), s.message().c_str());
    return 1;
  }
  writeInitialValues(root, *backend);
  const auto &tensors = *root.tensors();
  Checker checker(root, label, library, scheduler, entries, options.verbose);
  std::mt19937_64 random(0);
  int failed = 0;
  for (uint32_t p = 0; p < root.programs()->size(); ++p) {
    const plan::Program &program = *root.programs()->Get(p);
    if (!options.programs.empty() &&
        std::find(options.programs.begin(), options.programs.end(),
                  program.name()->str()) == options.programs.end())
      continue;
    for (const plan::Binding *input : *program.inputs()) {
      const plan::Tensor &t = *tensors.Get(input->tensor());
      HostTensor value;
      std::string file = harnessInput(path, input->name()->str());
      if (!file.empty()) {
        Expected<HostTensor> read = readNpy(file);
        if (!read || read->data.size() != t.bytes() ||
            read->dtype != toDType(t.dtype())) {
          std::printf("FAIL %s%s: %s does not fit input '%s'\n",
                      label.c_str(), program.name()->c_str(), file.c_str(),
                      input->name()->c_str());
          ++failed;
          continue;
        }
        value = std::move(*read);
      } else {
        value = randomInput(t, random);
      }
      backend->write(t.arena(), t.offset(), value.data.data(),
                     value.data.size());
    }
    int result = checker.check(*backend, p);
    failed += result < 0 ? 1 : result;
  }
  return failed;
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress lines, even when piped
  Options options;
  if (!parse(argc, argv, options)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (options.compiler.empty())
    options.compiler = std::getenv("CXX") ? std::getenv("CXX") : "c++";

  std::vector<std::shared_ptr<const Plan>> plans;
  for (const std::string &path : options.plans) {
    Expected<std::shared_ptr<const Plan>> loaded = Plan::load(path);
    if (!loaded) {
      std::fprintf(stderr, "kernel-sim: %s\n",
                   loaded.status().message().c_str());
      return 1;
    }
    plans.push_back(*loaded);
  }

  // One library for all plans: a kernel's name ends in its source's hash,
  // so kernels of the same name are the same kernel.
  std::vector<dlc_sim::KernelSource> sources;
  std::map<std::string, size_t> byName;
  std::vector<std::vector<size_t>> planEntries;
  auto add = [&](const cuda::KernelText &kernel) {
    auto [it, added] = byName.emplace(kernel.name, sources.size());
    if (added)
      sources.push_back({kernel.name, kernel.source});
    return it->second;
  };
  for (const auto &loaded : plans) {
    planEntries.emplace_back();
    for (const cuda::KernelText &kernel : cuda::planKernels(planRoot(*loaded)))
      planEntries.back().push_back(add(kernel));
  }
  std::vector<cuda::KernelText> runtime = cuda::trainingKernels();
  size_t gatherRows = add(runtime[0]), addSums = add(runtime[1]);

  std::string dir = options.keep;
  if (dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kernel-sim.XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::perror("kernel-sim: mkdtemp");
      return 1;
    }
    dir = pattern;
  } else {
    std::filesystem::create_directories(dir);
  }
  dlc_sim::KernelLibrary library;
  std::vector<std::string> defines;
  if (options.tf32) {
    defines.push_back("DLC_TF32");
    relativeTolerance = absoluteTolerance = 3e-3;
  }
  std::string built = library.build(sources, options.compiler, dir, defines);
  if (options.keep.empty())
    std::filesystem::remove_all(dir);
  if (!built.empty()) {
    std::fprintf(stderr, "kernel-sim: %s\n", built.c_str());
    return 1;
  }

  dlc_sim::BlockScheduler scheduler(library.hooks());
  int failed = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    std::vector<dlc_sim::Entry> entries;
    for (size_t index : planEntries[i])
      entries.push_back(library.entry(index));
    std::string label =
        plans.size() > 1
            ? std::filesystem::path(options.plans[i]).filename().string() +
                  ": "
            : "";
    failed += checkPlan(options.plans[i], planRoot(*plans[i]), label, library,
                        scheduler, entries, options);
  }
  failed += checkTrainingKernels(library, scheduler, gatherRows, addSums);
  if (failed) {
    std::printf("kernel-sim: %d failures\n", failed);
    return 1;
  }
  std::printf("kernel-sim: %u kernel steps of %zu plans (%zu kernels%s) "
              "match the CPU backend\n",
              checkedSteps, plans.size(), sources.size() - 2,
              options.tf32 ? ", built as --precision tf32 runs them" : "");
  return 0;
}

//===- CudaBackend.cpp - Running plans on an NVIDIA GPU -------------------===//
//
// At creation: the plan's kernels are compiled for the device (NVRTC, with
// the on-disk cache) and loaded, every GEMM gets its cuBLASLt descriptors and
// algorithm, and the arenas are allocated once after checking the plan's
// size against the device's free memory. A program's first run executes its
// steps one by one on a stream; the second run captures them into a CUDA
// graph, and later runs replay the graph. Kernels read the step counter from
// device memory, so a replay draws fresh dropout masks.
//
// Kernels that meet bad data (an index out of range) set a bit in their
// step's error word instead of failing; the words are read after each run
// and the first one set is reported with the step and kernel that set it.
//
// Training and evaluation keep their data sets on the GPU: a batch step is
// the runtime's gather kernel (the batch out of the set, by an order, from a
// position in device memory), the program's steps and a kernel adding the
// step's scalars (loss, metrics) to sums and advancing the position (and,
// training, the step counter). Once the program has run twice, the whole
// step is captured as one graph, so a step is one graph launch with no
// arguments; the host returns without waiting. The error words collect over
// the steps and are read with the sums at the end (an epoch, an evaluation).
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "CublasLt.h"
#include "Driver.h"
#include "KernelCompiler.h"
#include "PlanOperands.h"

#include <cstring>
#include <map>

namespace dlc::rt {

namespace {

using namespace cuda;

class CudaBackend final : public Backend {
  static constexpr uint64_t kUnknown = ~uint64_t(0);
  // A data set's words: the sums (doubles), then the batch's position.
  static constexpr uint64_t kPositionOffset = BatchStep::kMaxSums * 8;
  static constexpr uint64_t kWordsBytes = kPositionOffset + 8;
  /// A data set on the device, for batch steps.
  struct DeviceData {
    CUdeviceptr samples = 0, labels = 0, order = 0, words = 0;
    uint64_t sampleRowBytes = 0, labelRowBytes = 0, orderCapacity = 0;
    /// Where the position is after the steps queued so far (kUnknown when
    /// not known).
    uint64_t nextFirst = kUnknown;
    /// Per program: a whole batch step (gather, steps, sums) as a graph,
    /// and kStepsPerGraph of them one after another as another.
    std::vector<std::pair<CUgraphExec, CUgraph>> graphs, chunks;
    /// Batch steps of `pendingProgram` whose graph is due but not launched
    /// yet: they go kStepsPerGraph at a time, and the rest before anything
    /// else uses the stream (flushPending).
    mutable uint32_t pending = 0;
    uint32_t pendingProgram = 0;
    void destroy(CudaBackend &backend) {
      backend.destroyGraphs(graphs);
      backend.destroyGraphs(chunks);
    }
  };
  /// One graph launch for this many batch steps: the GPU goes from step to
  /// step inside a graph, and the host launches once per this many.
  static constexpr uint32_t kStepsPerGraph = 32;

public:
  CudaBackend(const plan::Plan &plan, const DriverApi &api)
      : plan(plan), api(api) {}

  ~CudaBackend() override {
    for (DeviceData &set : data)
      set.destroy(*this);
    destroyGraphs(graphs);
    gemms.clear();
    cublas.reset();
    for (CUmodule module : modules)
      if (module)
        api.cuModuleUnload(module);
    for (CUdeviceptr arena : arenas)
      if (arena)
        api.cuMemFree(arena);
    for (DeviceData &set : data)
      for (CUdeviceptr buffer : {set.samples, set.labels, set.order, set.words})
        if (buffer)
          api.cuMemFree(buffer);
    if (errorWords)
      api.cuMemFree(errorWords);
    if (scratch)
      api.cuMemFree(scratch);
    if (stream)
      api.cuStreamDestroy(stream);
  }

  /// Context, stream, kernels and GEMM descriptors; the arenas come in
  /// allocate().
  Status prepare(int ordinal, Precision precision, const std::string &cache) {
    CUdevice device;
    if (CUresult r = api.cuDeviceGet(&device, ordinal))
      return Status::error(errorMessage(api, "cuDeviceGet", r));
    CUcontext context;
    if (CUresult r = api.cuDevicePrimaryCtxRetain(&context, device))
      return Status::error(errorMessage(api, "cuDevicePrimaryCtxRetain", r));
    if (CUresult r = api.cuCtxSetCurrent(context))
      return Status::error(errorMessage(api, "cuCtxSetCurrent", r));
    if (CUresult r = api.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING))
      return Status::error(errorMessage(api, "cuStreamCreate", r));
    int major = 0, minor = 0, driverVersion = 0;
    api.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                             device);
    api.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                             device);
    api.cuDriverGetVersion(&driverVersion);
    arch = major * 10 + minor;
    driver = driverVersion;
    cacheDir = cache;

    std::vector<std::vector<char>> cubins;
    if (Status s = compileCubins(planKernels(plan), major * 10 + minor,
                                 precision == Precision::Tf32, cache,
                                 driverVersion, cubins, build);
        !s)
      return s;
    const auto *sources = plan.kernels();
    for (size_t i = 0; i < cubins.size(); ++i) {
      CUmodule module = nullptr;
      CUfunction function = nullptr;
      std::string name = sources->Get(i)->name()->str();
      if (CUresult r = api.cuModuleLoadData(&module, cubins[i].data()))
        return Status::error(errorMessage(api, "cuModuleLoadData", r) +
                             " for kernel '" + name + "'");
      modules.push_back(module);
      if (CUresult r = api.cuModuleGetFunction(&function, module, name.c_str()))
        return Status::error(errorMessage(api, "cuModuleGetFunction", r) +
                             " for kernel '" + name + "'");
      functions.push_back(function);
    }

    // Every GEMM is planned once: shapes never change.
    size_t maxSteps = 1;
    for (const plan::Program *program : *plan.programs()) {
      maxSteps = std::max<size_t>(maxSteps, program->steps()->size());
      for (const plan::Step *step : *program->steps()) {
        if (step->step_type() == plan::StepKind::Kernel &&
            step->step_as_Kernel()->kernel() < 0)
          return Status::error("kernel step '" +
                               step->step_as_Kernel()->name()->str() +
                               "' has no CUDA kernel in the plan "
                               "(compile it with a newer dlc)");
        if (step->step_type() != plan::StepKind::Gemm)
          continue;
        if (!cublas) {
          Expected<std::unique_ptr<Cublas>> library = Cublas::create(api);
          if (!library)
            return library.status();
          cublas = std::move(*library);
        }
        const plan::Gemm &g = *step->step_as_Gemm();
        plan::DType dtype = plan.tensors()->Get(g.a())->dtype();
        Expected<std::unique_ptr<GemmCall>> call =
            cublas->prepare(g, dtype, precision);
        if (!call)
          return call.status();
        gemms[step] = std::move(*call);
      }
    }
    errorCount = maxSteps + 1; // the last word holds the step counter
    scratchBytes = kernelScratch(plan);
    if (CUresult r = api.cuMemAlloc(&errorWords, errorCount * 8))
      return Status::error(errorMessage(api, "cuMemAlloc", r));
    graphs.assign(plan.programs()->size(), {nullptr, nullptr});
    for (DeviceData &set : data) {
      set.graphs.assign(plan.programs()->size(), {nullptr, nullptr});
      set.chunks.assign(plan.programs()->size(), {nullptr, nullptr});
    }
    runs.assign(plan.programs()->size(), 0);
    return Status::ok();
  }

  Status allocate() override {
    uint64_t total = 0;
    for (const plan::Arena *arena : *plan.arenas())
      total += arena->size();
    total += scratchBytes;
    size_t freeBytes = 0, totalBytes = 0;
    if (CUresult r = api.cuMemGetInfo(&freeBytes, &totalBytes))
      return Status::error(errorMessage(api, "cuMemGetInfo", r));
    if (total > freeBytes)
      return Status::error(format("the plan needs %s of device memory, the "
                                  "GPU has %s free (of %s)",
                                  formatBytes(total).c_str(),
                                  formatBytes(freeBytes).c_str(),
                                  formatBytes(totalBytes).c_str()));
    for (const plan::Arena *arena : *plan.arenas()) {
      CUdeviceptr memory = 0;
      uint64_t bytes = std::max<uint64_t>(arena->size(), 256);
      if (CUresult r = api.cuMemAlloc(&memory, bytes))
        return Status::error(errorMessage(api, "cuMemAlloc", r) + " for " +
                             formatBytes(bytes) + " (arena '" +
                             arena->name()->str() + "')");
      arenas.push_back(memory);
      if (CUresult r = api.cuMemsetD8Async(memory, 0, bytes, stream))
        return Status::error(errorMessage(api, "cuMemsetD8Async", r));
    }
    // The kernels' scratch starts zeroed: the counters kept in it must.
    if (scratchBytes) {
      if (CUresult r = api.cuMemAlloc(&scratch, scratchBytes))
        return Status::error(errorMessage(api, "cuMemAlloc", r) + " for " +
                             formatBytes(scratchBytes) + " of kernel scratch");
      if (CUresult r = api.cuMemsetD8Async(scratch, 0, scratchBytes, stream))
        return Status::error(errorMessage(api, "cuMemsetD8Async", r));
    }
    // The stream does not wait for the synchronous copies below: the zeros
    // must land first.
    if (Status s = sync("clearing the arenas"); !s)
      return s;
    for (uint32_t i = 0; i < plan.arenas()->size(); ++i) {
      const plan::Arena *arena = plan.arenas()->Get(i);
      if (arena->image() && arena->image()->size())
        if (CUresult r = api.cuMemcpyHtoD(arenas[i], arena->image()->data(),
                                          arena->image()->size()))
          return Status::error(errorMessage(api, "cuMemcpyHtoD", r));
    }
    return Status::ok();
  }

  void write(uint32_t arena, uint64_t offset, const void *source,
             uint64_t bytes) override {
    if (!bytes || !sticky)
      return;
    if (Status s = flushPending(); !s) {
      sticky = s;
      return;
    }
    if (Status s = sync("before a write"); !s) {
      sticky = s;
      return;
    }
    if (CUresult r = api.cuMemcpyHtoD(arenas[arena] + offset, source, bytes))
      sticky = Status::error(errorMessage(api, "cuMemcpyHtoD", r));
  }

  void read(uint32_t arena, uint64_t offset, void *destination,
            uint64_t bytes) const override {
    if (!bytes)
      return;
    if (Status s = flushPending(); !s) {
      sticky = s;
      return;
    }
    api.cuStreamSynchronize(stream);
    if (CUresult r = api.cuMemcpyDtoH(destination, arenas[arena] + offset,
                                      bytes))
      sticky = Status::error(errorMessage(api, "cuMemcpyDtoH", r));
  }

  Status runStepwise(uint32_t programIndex, uint64_t step,
                     const std::function<bool(uint32_t)> &afterStep) override {
    if (!sticky)
      return sticky;
    const plan::Program &program = *plan.programs()->Get(programIndex);
    if (Status s = prepare(step); !s)
      return s;
    if (Status s = enqueueSteps(program, /*synchronizeEach=*/true, afterStep);
        !s)
      return s;
    return checkErrorWords(program);
  }

  /// Events between the steps on the stream; the host waits once, at the
  /// end, so launch overhead is not counted as the steps'.
  Expected<std::vector<double>> timeSteps(uint32_t programIndex,
                                          uint64_t step) override {
    if (!sticky)
      return sticky;
    const plan::Program &program = *plan.programs()->Get(programIndex);
    uint32_t count = program.steps()->size();
    std::vector<CUevent> events(count + 1, nullptr);
    struct Destroy {
      const DriverApi &api;
      std::vector<CUevent> &events;
      ~Destroy() {
        for (CUevent event : events)
          if (event)
            api.cuEventDestroy(event);
      }
    } destroy{api, events};
    for (CUevent &event : events)
      if (CUresult r = api.cuEventCreate(&event, 0))
        return Status::error(errorMessage(api, "cuEventCreate", r));
    if (Status s = prepare(step); !s)
      return s;
    if (CUresult r = api.cuEventRecord(events[0], stream))
      return Status::error(errorMessage(api, "cuEventRecord", r));
    Status recorded = Status::ok();
    if (Status s = enqueueSteps(program, /*synchronizeEach=*/false,
                                [&](uint32_t i) {
                                  if (CUresult r = api.cuEventRecord(
                                          events[i + 1], stream))
                                    recorded = Status::error(errorMessage(
                                        api, "cuEventRecord", r));
                                  return bool(recorded);
                                });
        !s)
      return s;
    if (!recorded)
      return recorded;
    if (CUresult r = api.cuEventSynchronize(events[count]))
      return Status::error(errorMessage(api, "cuEventSynchronize", r) +
                           " timing '" + program.name()->str() + "'");
    std::vector<double> seconds;
    for (uint32_t i = 0; i < count; ++i) {
      float milliseconds = 0;
      if (CUresult r = api.cuEventElapsedTime(&milliseconds, events[i],
                                              events[i + 1]))
        return Status::error(errorMessage(api, "cuEventElapsedTime", r));
      seconds.push_back(milliseconds / 1e3);
    }
    if (Status s = checkErrorWords(program); !s)
      return s;
    return seconds;
  }

  Status run(uint32_t programIndex, uint64_t step) override {
    if (!sticky)
      return sticky;
    const plan::Program &program = *plan.programs()->Get(programIndex);
    if (Status s = prepare(step); !s)
      return s;

    auto &[exec, graph] = graphs[programIndex];
    if (exec) {
      if (CUresult r = api.cuGraphLaunch(exec, stream))
        return Status::error(errorMessage(api, "cuGraphLaunch", r) +
                             " for program '" + program.name()->str() + "'");
    } else if (runs[programIndex] == 0) {
      // The first run goes step by step, so a failure names its step.
      if (Status s = enqueueSteps(program, /*synchronizeEach=*/true); !s)
        return s;
    } else {
      if (Status s = capture(graphs[programIndex],
                             [&] { return enqueueSteps(program, false); });
          !s)
        return s;
      if (CUresult r = api.cuGraphLaunch(exec, stream))
        return Status::error(errorMessage(api, "cuGraphLaunch", r));
    }
    ++runs[programIndex];
    if (Status s = sync("running '" + program.name()->str() + "'"); !s)
      return s;
    return checkErrorWords(program);
  }

  Status setBatchData(DataSet which, HostTensor samples,
                      HostTensor labels) override {
    if (!sticky)
      return sticky;
    if (Status s = loadBatchKernels(); !s)
      return s;
    if (Status s = sync("before copying a data set"); !s)
      return s;
    DeviceData &set = data[uint32_t(which)];
    const char *what = which == DataSet::Training ? "the training set"
                                                  : "the evaluation set";
    if (Status s = flushPending(); !s)
      return s;
    set.destroy(*this); // they name the buffers replaced here
    for (CUdeviceptr *buffer : {&set.samples, &set.labels})
      if (*buffer) {
        api.cuMemFree(*buffer);
        *buffer = 0;
      }
    uint64_t bytes = samples.data.size() + labels.data.size();
    size_t freeBytes = 0, totalBytes = 0;
    if (CUresult r = api.cuMemGetInfo(&freeBytes, &totalBytes))
      return Status::error(errorMessage(api, "cuMemGetInfo", r));
    if (bytes > freeBytes)
      return Status::error(format("%s needs %s of device memory, the GPU has "
                                  "%s free (of %s)",
                                  what, formatBytes(bytes).c_str(),
                                  formatBytes(freeBytes).c_str(),
                                  formatBytes(totalBytes).c_str()));
    auto upload = [&](const HostTensor &from, CUdeviceptr &buffer) -> Status {
      if (CUresult r = api.cuMemAlloc(&buffer,
                                      std::max<size_t>(from.data.size(), 256)))
        return Status::error(errorMessage(api, "cuMemAlloc", r) + " for " +
                             formatBytes(from.data.size()) + " (" + what + ")");
      if (CUresult r = api.cuMemcpyHtoD(buffer, from.data.data(),
                                        from.data.size()))
        return Status::error(errorMessage(api, "cuMemcpyHtoD", r) + " (" +
                             what + ")");
      return Status::ok();
    };
    if (Status s = upload(samples, set.samples); !s)
      return s;
    if (Status s = upload(labels, set.labels); !s)
      return s;
    uint64_t count = samples.shape.empty() ? 1 : uint64_t(samples.shape[0]);
    set.sampleRowBytes = samples.data.size() / std::max<uint64_t>(count, 1);
    set.labelRowBytes = labels.data.size() / std::max<uint64_t>(count, 1);
    // The sums (doubles), then the batch's position in the order.
    if (!set.words)
      if (CUresult r = api.cuMemAlloc(&set.words, kWordsBytes))
        return Status::error(errorMessage(api, "cuMemAlloc", r));
    set.nextFirst = kUnknown;
    if (CUresult r = api.cuMemsetD32Async(set.words, 0, kWordsBytes / 4,
                                          stream))
      return Status::error(errorMessage(api, "cuMemsetD32Async", r));
    return sync("clearing the sums");
  }

  Status setBatchOrder(DataSet which,
                       const std::vector<uint64_t> &order) override {
    if (!sticky)
      return sticky;
    DeviceData &set = data[uint32_t(which)];
    // Steps still queued may read the order being replaced.
    if (Status s = flushPending(); !s)
      return s;
    if (Status s = sync("before the next order"); !s)
      return s;
    if (order.size() > set.orderCapacity) {
      set.destroy(*this); // they name the order's buffer
      if (set.order)
        api.cuMemFree(set.order);
      set.order = 0;
      if (CUresult r = api.cuMemAlloc(&set.order, order.size() * 8))
        return Status::error(errorMessage(api, "cuMemAlloc", r));
      set.orderCapacity = order.size();
    }
    if (!order.empty())
      if (CUresult r = api.cuMemcpyHtoD(set.order, order.data(),
                                        order.size() * 8))
        return Status::error(errorMessage(api, "cuMemcpyHtoD", r));
    return Status::ok();
  }

  Status runBatch(DataSet which, uint32_t programIndex, uint64_t step,
                  uint64_t first, const BatchStep &where) override {
    if (!sticky)
      return sticky;
    DeviceData &set = data[uint32_t(which)];
    if (!set.samples || !set.order)
      return Status::error("no data set on the GPU for these steps");
    if (where.sums.size() > BatchStep::kMaxSums)
      return Status::error("a batch step sums at most 4 scalars");
    const plan::Program &program = *plan.programs()->Get(programIndex);
    // Training steps advance the step counter (dropout's); evaluation
    // leaves it alone and does not mind its value.
    bool training = which == DataSet::Training;
    // The device's step counter and position are where the last step left
    // them, unless something else ran since or the caller skips.
    bool counterInPlace = !training || step == nextStep;
    bool inPlace = counterInPlace && first == set.nextFirst;
    // Steps still pending go first: other programs' and other sets', and
    // all of them before the words below change.
    if (!inPlace || set.pendingProgram != programIndex ||
        data[1 - uint32_t(which)].pending)
      if (Status s = flushPending(); !s)
        return s;
    auto &[exec, graph] = set.graphs[programIndex];
    if (!inPlace) {
      if (!counterInPlace)
        if (Status s = setWord(errorWords + (errorCount - 1) * 8, step); !s)
          return s;
      if (Status s = setWord(set.words + kPositionOffset, first); !s)
        return s;
    }
    if (exec || graphs[programIndex].first) {
      // The program has run twice (checked, then captured): the whole step
      // becomes one graph.
      if (!exec)
        if (Status s = capture(set.graphs[programIndex],
                               [&] {
                                 return enqueueBatchStep(set, program, where,
                                                         training);
                               });
            !s)
          return s;
      // Launched kStepsPerGraph at a time, as one graph.
      set.pendingProgram = programIndex;
      if (++set.pending == kStepsPerGraph) {
        auto &[chunkExec, chunkGraph] = set.chunks[programIndex];
        if (!chunkExec)
          if (Status s = capture(set.chunks[programIndex],
                                 [&]() -> Status {
                                   for (uint32_t i = 0; i < kStepsPerGraph;
                                        ++i)
                                     if (Status s = enqueueBatchStep(
                                             set, program, where, training);
                                         !s)
                                       return s;
                                   return Status::ok();
                                 });
              !s)
            return s;
        if (CUresult r = api.cuGraphLaunch(chunkExec, stream))
          return Status::error(errorMessage(api, "cuGraphLaunch", r) +
                               " for batch steps of '" +
                               program.name()->str() + "'");
        set.pending = 0;
      }
    } else {
      // The program's first runs, step by step and then captured, wait and
      // check. run() sets the counter to `step` itself.
      if (Status s = gatherBatch(set, where); !s)
        return s;
      if (Status s = run(programIndex, step); !s)
        return s;
      if (Status s = addSums(set, where, training); !s)
        return s;
    }
    if (training)
      nextStep = step + 1;
    set.nextFirst = first + where.batch;
    return Status::ok();
  }

  Expected<std::vector<double>> finishBatches(DataSet which,
                                              uint32_t programIndex) override {
    if (!sticky)
      return sticky;
    DeviceData &set = data[uint32_t(which)];
    if (Status s = flushPending(); !s)
      return s;
    if (Status s = sync("running batch steps"); !s)
      return s;
    // The words collected every queued step's errors.
    Status words = checkErrorWords(*plan.programs()->Get(programIndex));
    if (CUresult r = api.cuMemsetD32Async(errorWords, 0, errorCount * 2, stream))
      return Status::error(errorMessage(api, "cuMemsetD32Async", r));
    if (!words)
      return words;
    std::vector<double> sums(BatchStep::kMaxSums);
    if (set.words) {
      if (CUresult r = api.cuMemcpyDtoH(sums.data(), set.words,
                                        sums.size() * 8))
        return Status::error(errorMessage(api, "cuMemcpyDtoH", r));
      if (CUresult r = api.cuMemsetD32Async(set.words, 0,
                                            BatchStep::kMaxSums * 2, stream))
        return Status::error(errorMessage(api, "cuMemsetD32Async", r));
    }
    if (Status s = sync("clearing the sums"); !s)
      return s;
    return sums;
  }

private:
  /// The runtime's gather and sum kernels, compiled (or found in the kernel
  /// cache) and loaded on first use.
  Status loadBatchKernels() {
    if (gatherRowsKernel)
      return Status::ok();
    std::vector<KernelText> kernels = trainingKernels();
    std::vector<std::vector<char>> cubins;
    KernelBuild ownBuild;
    if (Status s = compileCubins(kernels, arch, false, cacheDir, driver, cubins,
                                 ownBuild);
        !s)
      return s;
    CUfunction loaded[2] = {nullptr, nullptr};
    for (size_t i = 0; i < kernels.size() && i < 2; ++i) {
      CUmodule module = nullptr;
      if (CUresult r = api.cuModuleLoadData(&module, cubins[i].data()))
        return Status::error(errorMessage(api, "cuModuleLoadData", r) +
                             " for kernel '" + kernels[i].name + "'");
      modules.push_back(module);
      if (CUresult r = api.cuModuleGetFunction(&loaded[i], module,
                                               kernels[i].name.c_str()))
        return Status::error(errorMessage(api, "cuModuleGetFunction", r) +
                             " for kernel '" + kernels[i].name + "'");
    }
    gatherRowsKernel = loaded[0];
    addSumsKernel = loaded[1];
    return Status::ok();
  }

  /// Samples and labels order[position, position + batch) into the step's
  /// batch tensors, one launch: blocks (x, 0) copy samples, (x, 1) labels.
  Status gatherBatch(DeviceData &set, const BatchStep &where) {
    CUdeviceptr samples = set.samples, labels = set.labels, order = set.order;
    CUdeviceptr sampleBatch =
        arenas[where.samples.arena] + where.samples.offset;
    CUdeviceptr labelBatch = arenas[where.labels.arena] + where.labels.offset;
    CUdeviceptr position = set.words + kPositionOffset;
    unsigned long long sampleRow = set.sampleRowBytes,
                       labelRow = set.labelRowBytes;
    unsigned long long rows = where.batch;
    uint64_t units = sampleRow % 4 ? rows * sampleRow : rows * sampleRow / 4;
    unsigned blocks = unsigned(std::min<uint64_t>((units + 255) / 256, 4096));
    if (!blocks)
      return Status::ok();
    void *params[] = {&samples,   &sampleBatch, &sampleRow, &labels, &labelBatch,
                      &labelRow, &order,       &position,  &rows};
    if (CUresult r = api.cuLaunchKernel(gatherRowsKernel, blocks, 2, 1, 256, 1,
                                        1, 0, stream, params, nullptr))
      return Status::error(errorMessage(api, "cuLaunchKernel", r) +
                           " for kernel 'dlc_gather_rows'");
    return Status::ok();
  }

  /// The step's scalars into the sums; the position (and the step counter,
  /// for training) on to the next step.
  Status addSums(DeviceData &set, const BatchStep &where, bool training) {
    CUdeviceptr scalars[BatchStep::kMaxSums] = {0, 0, 0, 0};
    unsigned f64 = 0;
    for (size_t i = 0; i < where.sums.size(); ++i) {
      const BatchStep::Sum &sum = where.sums[i];
      scalars[i] = arenas[sum.place.arena] + sum.place.offset;
      f64 |= unsigned(sum.f64) << i;
    }
    int count = int(where.sums.size());
    CUdeviceptr counter = training ? errorWords + (errorCount - 1) * 8 : 0;
    CUdeviceptr sums = set.words, position = set.words + kPositionOffset;
    unsigned long long rows = where.batch;
    void *params[] = {&scalars[0], &scalars[1], &scalars[2], &scalars[3],
                      &count,      &f64,        &sums,       &counter,
                      &position,   &rows};
    if (CUresult r = api.cuLaunchKernel(addSumsKernel, 1, 1, 1, 32, 1, 1, 0,
                                        stream, params, nullptr))
      return Status::error(errorMessage(api, "cuLaunchKernel", r) +
                           " for kernel 'dlc_add_sums'");
    return Status::ok();
  }

  /// Gather, the program's steps and the sums, on the stream.
  Status enqueueBatchStep(DeviceData &set, const plan::Program &program,
                          const BatchStep &where, bool training) {
    if (Status s = gatherBatch(set, where); !s)
      return s;
    if (Status s = enqueueSteps(program, false); !s)
      return s;
    return addSums(set, where, training);
  }

  /// What `enqueue` puts on the stream, captured and instantiated as a
  /// graph into `slot`.
  Status capture(std::pair<CUgraphExec, CUgraph> &slot,
                 const std::function<Status()> &enqueue) {
    auto &[exec, graph] = slot;
    if (CUresult r = api.cuStreamBeginCapture(
            stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL))
      return Status::error(errorMessage(api, "cuStreamBeginCapture", r));
    Status enqueued = enqueue();
    CUresult ended = api.cuStreamEndCapture(stream, &graph);
    if (!enqueued)
      return enqueued;
    if (ended)
      return Status::error(errorMessage(api, "cuStreamEndCapture", ended));
    if (CUresult r = api.cuGraphInstantiate(&exec, graph, 0))
      return Status::error(errorMessage(api, "cuGraphInstantiate", r));
    return Status::ok();
  }

  void destroyGraphs(std::vector<std::pair<CUgraphExec, CUgraph>> &list) {
    for (auto &[exec, graph] : list) {
      if (exec)
        api.cuGraphExecDestroy(exec);
      if (graph)
        api.cuGraphDestroy(graph);
      exec = nullptr;
      graph = nullptr;
    }
  }

  /// Launches the batch steps still pending, one graph each.
  Status flushPending() const {
    for (const DeviceData &set : data) {
      for (; set.pending; --set.pending)
        if (CUresult r = api.cuGraphLaunch(
                set.graphs[set.pendingProgram].first, stream))
          return Status::error(errorMessage(api, "cuGraphLaunch", r) +
                               " for a batch step");
    }
    return Status::ok();
  }

  /// Clears the error words and sets the step counter on the stream, before
  /// the steps (or their graph).
  Status prepare(uint64_t step) {
    if (Status s = flushPending(); !s)
      return s;
    nextStep = kUnknown; // the counter is this run's now
    if (CUresult r = api.cuMemsetD32Async(errorWords, 0, errorCount * 2, stream))
      return Status::error(errorMessage(api, "cuMemsetD32Async", r));
    return setWord(errorWords + (errorCount - 1) * 8, step);
  }

  /// A 64-bit word of device memory, on the stream (both halves: the word
  /// may hold anything before).
  Status setWord(CUdeviceptr word, uint64_t value) {
    uint32_t halves[2] = {uint32_t(value), uint32_t(value >> 32)};
    for (int i = 0; i < 2; ++i)
      if (CUresult r = api.cuMemsetD32Async(word + 4 * i, halves[i], 1,
                                            stream))
        return Status::error(errorMessage(api, "cuMemsetD32Async", r));
    return Status::ok();
  }

  Status sync(const std::string &what) const {
    if (CUresult r = api.cuStreamSynchronize(stream))
      return Status::error(errorMessage(api, "cuStreamSynchronize", r) + " " +
                           what);
    return Status::ok();
  }

  CUdeviceptr address(uint32_t tensor) const {
    const plan::Tensor *t = plan.tensors()->Get(tensor);
    return arenas[t->arena()] + t->offset();
  }

  Status enqueueSteps(const plan::Program &program, bool synchronizeEach,
                      const std::function<bool(uint32_t)> &afterStep = {}) {
    for (uint32_t i = 0; i < program.steps()->size(); ++i) {
      const plan::Step &step = *program.steps()->Get(i);
      Status s = enqueue(step, i);
      if (s && synchronizeEach)
        s = sync("");
      if (s && afterStep && !afterStep(i))
        return Status::ok();
      if (!s) {
        std::string where = step.location() && step.location()->size()
                                ? " at " + step.location()->str()
                                : "";
        return Status::error(format("step %u (%s%s) of '%s' on cuda: ", i,
                                    stepName(step).c_str(), where.c_str(),
                                    program.name()->c_str()) +
                             s.message());
      }
    }
    return Status::ok();
  }

  Status enqueue(const plan::Step &step, uint32_t index) {
    switch (step.step_type()) {
    case plan::StepKind::Gemm: {
      const plan::Gemm &g = *step.step_as_Gemm();
      return gemms.at(&step)->enqueue(
          stream, address(g.a()), address(g.b()), address(g.c()),
          g.epilogue() != plan::Epilogue::None ? address(g.bias()) : 0,
          g.with_addend() ? address(g.addend()) : 0);
    }
    case plan::StepKind::Copy: {
      const plan::Copy &copy = *step.step_as_Copy();
      uint64_t bytes = plan.tensors()->Get(copy.src())->bytes();
      if (!bytes)
        return Status::ok();
      if (CUresult r = api.cuMemcpyDtoDAsync(address(copy.dst()),
                                             address(copy.src()), bytes, stream))
        return Status::error(errorMessage(api, "cuMemcpyDtoDAsync", r));
      return Status::ok();
    }
    case plan::StepKind::Fill:
      return fill(*step.step_as_Fill());
    case plan::StepKind::Kernel:
      return launch(*step.step_as_Kernel(), index);
    default:
      return Status::error("unknown step kind");
    }
  }

  /// A constant fill: memset of the value's bit pattern, in words of the
  /// element's size (8-byte elements as two interleaved 4-byte memsets).
  Status fill(const plan::Fill &fill) {
    const plan::Tensor *t = plan.tensors()->Get(fill.dst());
    HostTensor one;
    one.dtype = toDType(t->dtype());
    size_t size = dtypeSize(one.dtype);
    one.data.resize(size);
    one.set(0, fill.value());
    uint64_t count = size ? t->bytes() / size : 0;
    if (!count)
      return Status::ok();
    CUdeviceptr dst = address(fill.dst());
    CUresult r = 0;
    if (size == 1) {
      r = api.cuMemsetD8Async(dst, one.data[0], count, stream);
    } else if (size == 2) {
      uint16_t v;
      std::memcpy(&v, one.data.data(), 2);
      r = api.cuMemsetD16Async(dst, v, count, stream);
    } else if (size == 4) {
      uint32_t v;
      std::memcpy(&v, one.data.data(), 4);
      r = api.cuMemsetD32Async(dst, v, count, stream);
    } else {
      uint32_t halves[2];
      std::memcpy(halves, one.data.data(), 8);
      for (int i = 0; i < 2 && !r; ++i)
        r = api.cuMemsetD2D32Async(dst + 4 * i, 8, halves[i], 1, count, stream);
    }
    if (r)
      return Status::error(errorMessage(api, "cuMemset", r));
    return Status::ok();
  }

  Status launch(const plan::Kernel &kernel, uint32_t index) {
    const auto *grid = kernel.grid();
    const auto *block = kernel.block();
    if (grid->Get(0) == 0 || grid->Get(1) == 0 || grid->Get(2) == 0)
      return Status::ok(); // an empty tensor: nothing to compute
    std::vector<CUdeviceptr> pointers;
    for (uint32_t tensor : plan::kernelOperands(kernel))
      pointers.push_back(address(tensor));
    CUdeviceptr counter = errorWords + (errorCount - 1) * 8;
    CUdeviceptr word = errorWords + index * 8;
    pointers.push_back(counter);
    pointers.push_back(word);
    if (kernel.scratch())
      pointers.push_back(scratch);
    std::vector<void *> params;
    for (CUdeviceptr &pointer : pointers)
      params.push_back(&pointer);
    CUfunction function = functions[kernel.kernel()];
    if (CUresult r = api.cuLaunchKernel(
            function, grid->Get(0), grid->Get(1), grid->Get(2), block->Get(0),
            block->Get(1), block->Get(2), 0, stream, params.data(), nullptr))
      return Status::error(errorMessage(api, "cuLaunchKernel", r) +
                           " for kernel '" +
                           plan.kernels()->Get(kernel.kernel())->name()->str() +
                           "'");
    return Status::ok();
  }

  Status checkErrorWords(const plan::Program &program) {
    std::vector<uint64_t> words(errorCount - 1);
    if (CUresult r = api.cuMemcpyDtoH(words.data(), errorWords,
                                      words.size() * 8))
      return Status::error(errorMessage(api, "cuMemcpyDtoH", r));
    for (uint32_t i = 0; i < program.steps()->size(); ++i) {
      uint32_t bits = uint32_t(words[i]);
      if (!bits)
        continue;
      const char *what = bits & plan::kIndexOutOfRange ? "an index is out of range"
                         : bits & plan::kLabelOutOfRange
                             ? "a label is out of range of the classes"
                             : "integer division by zero";
      return Status::error(format("step %u (%s) of '%s' on cuda: %s", i,
                                  stepName(*program.steps()->Get(i)).c_str(),
                                  program.name()->c_str(), what));
    }
    return Status::ok();
  }

  const plan::Plan &plan;
  const DriverApi &api;
  CUstream stream = nullptr;
  KernelBuild build;
  std::vector<CUmodule> modules;
  std::vector<CUfunction> functions;
  std::unique_ptr<Cublas> cublas;
  std::map<const plan::Step *, std::unique_ptr<GemmCall>> gemms;
  std::vector<CUdeviceptr> arenas;
  CUdeviceptr errorWords = 0; // one 8-byte word per step, then the counter
  size_t errorCount = 0;
  CUdeviceptr scratch = 0; // the largest Kernel.scratch, shared by all
  uint64_t scratchBytes = 0;
  std::vector<std::pair<CUgraphExec, CUgraph>> graphs;
  std::vector<uint64_t> runs;
  mutable Status sticky = Status::ok(); // a failed read or write
  // What compiling the runtime's own kernels needs.
  int arch = 0, driver = 0;
  std::string cacheDir;
  // Batch steps with the data on the GPU.
  CUfunction gatherRowsKernel = nullptr, addSumsKernel = nullptr;
  DeviceData data[2]; // by DataSet
  /// The step counter after the steps queued so far (kUnknown when a run set
  /// it since).
  uint64_t nextStep = kUnknown;
};

} // namespace

Expected<std::unique_ptr<Backend>> createCudaBackend(const plan::Plan &plan,
                                                     int ordinal, bool tf32,
                                                     const std::string &cache) {
  std::string status;
  const DriverApi *api = driver(&status);
  if (!api)
    return Status::error("no usable GPU: " + status);
  auto backend = std::make_unique<CudaBackend>(plan, *api);
  if (Status s = backend->prepare(ordinal,
                                  tf32 ? Precision::Tf32 : Precision::Fp32,
                                  cache);
      !s)
    return s;
  return std::unique_ptr<Backend>(std::move(backend));
}

} // namespace dlc::rt

//===- Backend.h - What a device must do to run plans -----------*- C++ -*-===//

#ifndef DLC_RUNTIME_BACKEND_H
#define DLC_RUNTIME_BACKEND_H

#include "PlanAccess.h"
#include "dlc/Tensor.h"

#include <functional>
#include <vector>

namespace dlc::rt {

/// The data sets a backend keeps where it runs programs: the training set,
/// in a new order each epoch, whose steps advance the step counter dropout
/// draws from, and the evaluation set, whose steps leave it alone.
enum class DataSet : uint32_t { Training = 0, Evaluation = 1 };

/// Where a batch step's samples and labels go and the scalars it sums come
/// from: a training step's loss, an evaluation's metrics.
struct BatchStep {
  /// A tensor's place in the arenas.
  struct Place {
    uint32_t arena = 0;
    uint64_t offset = 0;
    uint64_t bytes = 0;
  };
  /// A float scalar the steps add up (in double).
  struct Sum {
    Place place;
    bool f64 = false;
  };
  static constexpr size_t kMaxSums = 4;
  Place samples, labels; // the batch inputs
  std::vector<Sum> sums; // at most kMaxSums
  uint64_t batch = 0;
};

/// A device's copy of a plan's arenas and the means to run its programs.
class Backend {
public:
  virtual ~Backend() = default;
  /// Allocates every arena (failing with the sizes when memory is short).
  virtual Status allocate() = 0;
  virtual void write(uint32_t arena, uint64_t offset, const void *source,
                     uint64_t bytes) = 0;
  virtual void read(uint32_t arena, uint64_t offset, void *destination,
                    uint64_t bytes) const = 0;
  /// Runs the steps of `program`; `step` is the counter dropout draws from.
  virtual Status run(uint32_t program, uint64_t step) = 0;
  /// Runs `program` one step at a time, synchronously and without graphs,
  /// calling `afterStep` with each step's index once its results can be
  /// read; stops when it returns false. For diagnosis, not speed.
  virtual Status
  runStepwise(uint32_t program, uint64_t step,
              const std::function<bool(uint32_t)> &afterStep) = 0;

  /// Runs `program` once, timing each step, one after another and without
  /// graphs: the seconds of each. This implementation times runStepwise's
  /// steps on the host clock, which is right where a step runs to
  /// completion before the next; the CUDA backend records events between
  /// the steps on its stream.
  virtual Expected<std::vector<double>> timeSteps(uint32_t program,
                                                  uint64_t step);
  /// Batches with the data where the program runs: a data set once
  /// (`samples` and `labels`, first dimension the sample, in the dtypes of
  /// the batch tensors), an order of its samples (an epoch's), then per step
  /// the batch gathered, the program run and its scalars added to sums,
  /// without waiting for the step; finishBatches() waits, reports any step's
  /// error and returns the sums since its last call (at least as many as a
  /// step sums; any more are 0). This implementation
  /// gathers on the host and runs each step to completion; the CUDA backend
  /// keeps the data, the gathering and the sums on the GPU.
  virtual Status setBatchData(DataSet set, HostTensor samples,
                              HostTensor labels);
  virtual Status setBatchOrder(DataSet set, const std::vector<uint64_t> &order);
  virtual Status runBatch(DataSet set, uint32_t program, uint64_t step,
                          uint64_t first, const BatchStep &where);
  virtual Expected<std::vector<double>> finishBatches(DataSet set,
                                                      uint32_t program);

protected:
  /// The host's copy of a data set, for the implementation above.
  struct HostData {
    HostTensor samples, labels;
    std::vector<uint64_t> order;
    std::vector<uint8_t> staging;
    std::vector<double> sums;
  } host[2];
};

std::unique_ptr<Backend> createCpuBackend(const plan::Plan &plan);
/// The plan on CUDA device `ordinal`: kernels compiled and loaded, GEMMs
/// planned; allocate() comes next.
Expected<std::unique_ptr<Backend>> createCudaBackend(const plan::Plan &plan,
                                                     int ordinal, bool tf32,
                                                     const std::string &cache);

} // namespace dlc::rt

#endif // DLC_RUNTIME_BACKEND_H

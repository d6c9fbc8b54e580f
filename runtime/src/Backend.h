//===- Backend.h - What a device must do to run plans -----------*- C++ -*-===//

#ifndef DLC_RUNTIME_BACKEND_H
#define DLC_RUNTIME_BACKEND_H

#include "PlanAccess.h"
#include "dlc/Tensor.h"

#include <functional>
#include <vector>

namespace dlc::rt {

/// Where a training step's batch goes and its loss comes from.
struct TrainingStep {
  /// A tensor's place in the arenas.
  struct Place {
    uint32_t arena = 0;
    uint64_t offset = 0;
    uint64_t bytes = 0;
  };
  Place samples, labels, loss; // the batch inputs and the scalar loss
  uint64_t batch = 0;
  bool lossIsF64 = false;
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

  /// Training with the data where the program runs: the training set once
  /// (`samples` and `labels`, first dimension the sample, in the dtypes of
  /// the batch tensors), each epoch's order once, then per step the batch
  /// gathered, the program run and its loss added to a sum, without waiting
  /// for the step; finishTrainingSteps() waits, reports any step's error
  /// and returns the sum since its last call. This implementation gathers on
  /// the host and runs each step to completion; the CUDA backend keeps the
  /// data, the gathering and the sum on the GPU.
  virtual Status setTrainingData(HostTensor samples, HostTensor labels);
  virtual Status setTrainingOrder(const std::vector<uint64_t> &order);
  virtual Status runTrainingStep(uint32_t program, uint64_t step,
                                 uint64_t first, const TrainingStep &where);
  virtual Expected<double> finishTrainingSteps(uint32_t program);

protected:
  /// The host's copy of the training data, for the implementation above.
  struct HostTraining {
    HostTensor samples, labels;
    std::vector<uint64_t> order;
    std::vector<uint8_t> staging;
    double lossSum = 0;
  } host;
};

std::unique_ptr<Backend> createCpuBackend(const plan::Plan &plan);
/// The plan on CUDA device `ordinal`: kernels compiled and loaded, GEMMs
/// planned; allocate() comes next.
Expected<std::unique_ptr<Backend>> createCudaBackend(const plan::Plan &plan,
                                                     int ordinal, bool tf32,
                                                     const std::string &cache);

} // namespace dlc::rt

#endif // DLC_RUNTIME_BACKEND_H

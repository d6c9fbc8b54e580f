//===- Backend.h - What a device must do to run plans -----------*- C++ -*-===//

#ifndef DLC_RUNTIME_BACKEND_H
#define DLC_RUNTIME_BACKEND_H

#include "PlanAccess.h"

#include <functional>

namespace dlc::rt {

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
};

std::unique_ptr<Backend> createCpuBackend(const plan::Plan &plan);
/// The plan on CUDA device `ordinal`: kernels compiled and loaded, GEMMs
/// planned; allocate() comes next.
Expected<std::unique_ptr<Backend>> createCudaBackend(const plan::Plan &plan,
                                                     int ordinal, bool tf32,
                                                     const std::string &cache);

} // namespace dlc::rt

#endif // DLC_RUNTIME_BACKEND_H

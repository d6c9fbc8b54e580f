//===- Backend.cpp - Training steps with the data on the host -------------===//
//
// The portable form of the backend's training-step interface: batches are
// gathered on the host and written into the arenas, and each step runs to
// completion before its loss is read and summed (in double, in step order,
// which is what the training loop did before the interface existed, so
// curves stay bit for bit the same).
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include <cstring>

namespace dlc::rt {

Status Backend::setTrainingData(HostTensor samples, HostTensor labels) {
  host.samples = std::move(samples);
  host.labels = std::move(labels);
  host.lossSum = 0;
  return Status::ok();
}

Status Backend::setTrainingOrder(const std::vector<uint64_t> &order) {
  host.order = order;
  return Status::ok();
}

Status Backend::runTrainingStep(uint32_t program, uint64_t step,
                                uint64_t first, const TrainingStep &where) {
  auto gather = [&](const HostTensor &data, const TrainingStep::Place &to) {
    uint64_t rowBytes = to.bytes / where.batch;
    host.staging.resize(to.bytes);
    for (uint64_t r = 0; r < where.batch; ++r)
      std::memcpy(host.staging.data() + r * rowBytes,
                  data.data.data() + host.order[first + r] * rowBytes,
                  rowBytes);
    write(to.arena, to.offset, host.staging.data(), to.bytes);
  };
  gather(host.samples, where.samples);
  gather(host.labels, where.labels);
  if (Status s = run(program, step); !s)
    return s;
  if (where.lossIsF64) {
    double loss = 0;
    read(where.loss.arena, where.loss.offset, &loss, 8);
    host.lossSum += loss;
  } else {
    float loss = 0;
    read(where.loss.arena, where.loss.offset, &loss, 4);
    host.lossSum += loss;
  }
  return Status::ok();
}

Expected<double> Backend::finishTrainingSteps(uint32_t) {
  double sum = host.lossSum;
  host.lossSum = 0;
  return sum;
}

} // namespace dlc::rt

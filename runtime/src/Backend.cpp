//===- Backend.cpp - Batch steps with the data on the host ----------------===//
//
// The portable form of the backend's batch interface: batches are gathered
// on the host and written into the arenas, and each step runs to completion
// before its scalars are read and summed (in double, in step order, which is
// what the training loop did before the interface existed, so curves stay
// bit for bit the same).
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include <cstring>

namespace dlc::rt {

Status Backend::setBatchData(DataSet set, HostTensor samples,
                             HostTensor labels) {
  HostData &data = host[uint32_t(set)];
  data.samples = std::move(samples);
  data.labels = std::move(labels);
  data.sums.clear();
  return Status::ok();
}

Status Backend::setBatchOrder(DataSet set, const std::vector<uint64_t> &order) {
  host[uint32_t(set)].order = order;
  return Status::ok();
}

Status Backend::runBatch(DataSet set, uint32_t program, uint64_t step,
                         uint64_t first, const BatchStep &where) {
  HostData &data = host[uint32_t(set)];
  auto gather = [&](const HostTensor &from, const BatchStep::Place &to) {
    uint64_t rowBytes = to.bytes / where.batch;
    data.staging.resize(to.bytes);
    for (uint64_t r = 0; r < where.batch; ++r)
      std::memcpy(data.staging.data() + r * rowBytes,
                  from.data.data() + data.order[first + r] * rowBytes,
                  rowBytes);
    write(to.arena, to.offset, data.staging.data(), to.bytes);
  };
  gather(data.samples, where.samples);
  gather(data.labels, where.labels);
  if (Status s = run(program, step); !s)
    return s;
  data.sums.resize(where.sums.size(), 0.0);
  for (size_t i = 0; i < where.sums.size(); ++i) {
    const BatchStep::Sum &sum = where.sums[i];
    if (sum.f64) {
      double value = 0;
      read(sum.place.arena, sum.place.offset, &value, 8);
      data.sums[i] += value;
    } else {
      float value = 0;
      read(sum.place.arena, sum.place.offset, &value, 4);
      data.sums[i] += value;
    }
  }
  return Status::ok();
}

Expected<std::vector<double>> Backend::finishBatches(DataSet set, uint32_t) {
  std::vector<double> sums = std::move(host[uint32_t(set)].sums);
  host[uint32_t(set)].sums.clear();
  return sums;
}

} // namespace dlc::rt

//===- TimeSteps.cpp - Each step's time, on the host clock ----------------===//

#include "Backend.h"

#include <chrono>

namespace dlc::rt {

Expected<std::vector<double>> Backend::timeSteps(uint32_t program,
                                                 uint64_t step) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> seconds;
  // A step ends when its callback comes; the next starts then.
  Clock::time_point last = Clock::now();
  Status s = runStepwise(program, step, [&](uint32_t) {
    Clock::time_point now = Clock::now();
    seconds.push_back(std::chrono::duration<double>(now - last).count());
    last = Clock::now();
    return true;
  });
  if (!s)
    return s;
  return seconds;
}

} // namespace dlc::rt

//===- Profile.cpp - dlrun --profile: where a run's time goes -------------===//

#include "Profile.h"

#include <algorithm>
#include <map>

namespace dlc::rt {

namespace {

/// "12.3 us", "4.56 ms", "1.20 s".
std::string duration(double seconds) {
  if (seconds < 1e-3)
    return format("%.1f us", seconds * 1e6);
  if (seconds < 1)
    return format("%.2f ms", seconds * 1e3);
  return format("%.2f s", seconds);
}

std::string rate(uint64_t flops, double seconds) {
  return flops && seconds > 0 ? format("%.1f", flops / seconds / 1e9) : "-";
}

} // namespace

std::string profileTable(const std::string &program, const std::string &device,
                         unsigned repeats,
                         const std::vector<Session::StepTime> &steps) {
  double total = 0;
  uint64_t flops = 0;
  for (const Session::StepTime &step : steps)
    total += step.seconds, flops += step.flops;
  auto share = [&](double seconds) {
    return format("%5.1f%%", total > 0 ? 100 * seconds / total : 0.0);
  };
  std::string out = format(
      "profile of '%s' on %s: median of %u runs, the steps one after another "
      "(no graph)\n",
      program.c_str(), device.c_str(), repeats);
  out += format("%5s  %-36s %10s %6s %8s  %s\n", "step", "kernel", "time",
                "share", "GFLOP/s", "from");
  for (size_t i = 0; i < steps.size(); ++i) {
    const Session::StepTime &step = steps[i];
    out += format("%5zu  %-36s %10s %6s %8s  %s\n", i, step.kernel.c_str(),
                  duration(step.seconds).c_str(), share(step.seconds).c_str(),
                  rate(step.flops, step.seconds).c_str(),
                  step.location.c_str());
  }
  out += format("%5s  %-36s %10s %6s %8s\n", "", "total",
                duration(total).c_str(), "", rate(flops, total).c_str());

  // The same time by kernel, the largest first: where to look.
  struct Kernel {
    double seconds = 0;
    unsigned steps = 0;
  };
  std::map<std::string, Kernel> kernels;
  for (const Session::StepTime &step : steps) {
    kernels[step.kernel].seconds += step.seconds;
    ++kernels[step.kernel].steps;
  }
  std::vector<std::pair<std::string, Kernel>> ranked(kernels.begin(),
                                                     kernels.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto &a, const auto &b) {
                     return a.second.seconds > b.second.seconds;
                   });
  out += "by kernel:\n";
  for (const auto &[name, kernel] : ranked)
    out += format("       %-36s %10s %6s  %u step%s\n", name.c_str(),
                  duration(kernel.seconds).c_str(),
                  share(kernel.seconds).c_str(), kernel.steps,
                  kernel.steps == 1 ? "" : "s");
  return out;
}

} // namespace dlc::rt

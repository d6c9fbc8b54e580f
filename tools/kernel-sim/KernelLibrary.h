//===- KernelLibrary.h - A plan's CUDA kernels built for the host -*- C++ -*-===//
//
// The kernels' CUDA C++, each in a namespace of its own (kernels repeat
// helper functions), after CudaSim.h, with an entry per kernel taking
// cuLaunchKernel's argument array; compiled by the host's C++ compiler into
// a shared library and loaded.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_KERNELLIBRARY_H
#define DLC_KERNEL_SIM_KERNELLIBRARY_H

#include "BlockScheduler.h"

#include <string>
#include <vector>

namespace dlc_sim {

struct KernelSource {
  std::string name, source;
};

class KernelLibrary {
public:
  ~KernelLibrary();
  /// Compiles `kernels` with `compiler` in `workDir` (which must exist);
  /// an empty string on success, else the error (with the compiler's
  /// output).
  std::string build(const std::vector<KernelSource> &kernels,
                    const std::string &compiler, const std::string &workDir);
  /// The entry of kernels[i].
  Entry entry(size_t i) const { return entries[i]; }
  Hooks &hooks() { return *hooks_; }

private:
  void *handle = nullptr;
  Hooks *hooks_ = nullptr;
  std::vector<Entry> entries;
};

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_KERNELLIBRARY_H

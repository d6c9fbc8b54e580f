//===- KernelLibrary.h - CUDA kernels built for the host --------*- C++ -*-===//
//
// The kernels' CUDA C++, each in a namespace of its own (kernels repeat
// helper functions), after CudaSim.h, with an entry per kernel taking
// cuLaunchKernel's argument array and a table of its parameters' sizes;
// compiled by the host's C++ compiler into a shared library and loaded.
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

/// Compiles `kernels` into the shared library `library`, working in
/// `workDir`, with the macros `defines` ("DLC_TF32") defined; an empty
/// string on success, else the error with the compiler's output.
std::string compileKernels(const std::vector<KernelSource> &kernels,
                           const std::string &compiler,
                           const std::string &workDir,
                           const std::string &library,
                           const std::vector<std::string> &defines = {});

/// The host's C++ compiler: $CXX, else c++.
std::string defaultCompiler();

class KernelLibrary {
public:
  KernelLibrary() = default;
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// compileKernels() into `workDir`, then load().
  std::string build(const std::vector<KernelSource> &kernels,
                    const std::string &compiler, const std::string &workDir,
                    const std::vector<std::string> &defines = {});
  /// Loads a library compileKernels() wrote, of `count` kernels.
  std::string load(const std::string &path, size_t count);

  /// The entry of kernels[i].
  Entry entry(size_t i) const { return entries[i]; }
  /// The sizes of kernels[i]'s parameters, in order.
  const std::vector<size_t> &parameterSizes(size_t i) const {
    return sizes[i];
  }
  const std::string &name(size_t i) const { return names[i]; }
  Hooks &hooks() { return *hooks_; }

private:
  void *handle = nullptr;
  Hooks *hooks_ = nullptr;
  std::vector<Entry> entries;
  std::vector<std::vector<size_t>> sizes;
  std::vector<std::string> names;
};

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_KERNELLIBRARY_H

//===- Kernels.h - Compiling a plan's CUDA kernels --------------*- C++ -*-===//
//
// A plan carries its kernels as CUDA C++; NVRTC compiles them for the GPU's
// architecture when a CUDA session starts, in parallel, and keeps each CUBIN
// in an on-disk cache keyed by everything that affects it (source, options,
// architecture, NVRTC and driver versions), so a warm start compiles nothing.
// Compiling needs NVRTC only: no driver, no GPU.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNELS_H
#define DLC_KERNELS_H

#include "dlc/Plan.h"
#include "dlc/Status.h"

#include <string>

namespace dlc::rt {

/// What compiling a plan's kernels did.
struct KernelBuild {
  unsigned kernels = 0;   ///< kernels in the plan
  unsigned compiled = 0;  ///< compiled by NVRTC now
  unsigned fromCache = 0; ///< found in the cache
  double seconds = 0;
  std::string nvrtc;      ///< NVRTC's version
};

/// The cache directory: $DLC_KERNEL_CACHE, else $XDG_CACHE_HOME/dlc/kernels,
/// else ~/.cache/dlc/kernels; empty when none can be named.
std::string defaultKernelCacheDir();

/// Parses "sm_90" (or "90") into 90; 0 when it is not an architecture.
int parseArch(const std::string &text);

/// Compiles every kernel of `plan` for `arch` (90 for sm_90), as
/// `--precision tf32` runs them when `tf32`. `cacheDir` empty disables the
/// cache. A kernel that fails to compile is an error naming it, with
/// NVRTC's log.
Expected<KernelBuild> compileKernels(const Plan &plan, int arch,
                                     const std::string &cacheDir,
                                     bool tf32 = false);

/// Compiles the runtime's own kernels (batch gathering and loss sums for
/// training with the data on the GPU) the same way.
Expected<KernelBuild> compileRuntimeKernels(int arch,
                                            const std::string &cacheDir);

} // namespace dlc::rt

#endif // DLC_KERNELS_H

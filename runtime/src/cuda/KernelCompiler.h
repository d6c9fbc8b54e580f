//===- KernelCompiler.h - A plan's kernels to CUBINs ------------*- C++ -*-===//

#ifndef DLC_RUNTIME_CUDA_KERNELCOMPILER_H
#define DLC_RUNTIME_CUDA_KERNELCOMPILER_H

#include "PlanAccess.h"
#include "dlc/Kernels.h"

#include <string>
#include <vector>

namespace dlc::rt::cuda {

/// A kernel to compile: its name and its CUDA C++.
struct KernelText {
  std::string name, source;
};

/// The kernels of Plan.kernels, in order.
std::vector<KernelText> planKernels(const plan::Plan &plan);

/// The runtime's own kernels, which training with the data on the GPU
/// launches besides the plan's: dlc_gather_rows and dlc_add_sums.
std::vector<KernelText> trainingKernels();

/// One CUBIN per kernel, from the cache or NVRTC, compiled on up to
/// `threads` threads (0: one per core). `driverVersion` is part of the
/// cache key (0 when compiling without a driver), as are the options
/// (`tf32`: nvrtcOptions').
Status compileCubins(const std::vector<KernelText> &kernels, int arch,
                     bool tf32, const std::string &cacheDir, int driverVersion,
                     std::vector<std::vector<char>> &cubins, KernelBuild &build,
                     unsigned threads = 0);

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDA_KERNELCOMPILER_H

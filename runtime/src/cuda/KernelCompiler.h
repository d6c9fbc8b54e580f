//===- KernelCompiler.h - A plan's kernels to CUBINs ------------*- C++ -*-===//

#ifndef DLC_RUNTIME_CUDA_KERNELCOMPILER_H
#define DLC_RUNTIME_CUDA_KERNELCOMPILER_H

#include "PlanAccess.h"
#include "dlc/Kernels.h"

namespace dlc::rt::cuda {

/// One CUBIN per entry of Plan.kernels, from the cache or NVRTC, compiled on
/// up to `threads` threads (0: one per core). `driverVersion` is part of the
/// cache key (0 when compiling without a driver).
Status compileCubins(const plan::Plan &plan, int arch,
                     const std::string &cacheDir, int driverVersion,
                     std::vector<std::vector<char>> &cubins,
                     KernelBuild &build, unsigned threads = 0);

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDA_KERNELCOMPILER_H

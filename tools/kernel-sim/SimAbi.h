//===- SimAbi.h - What kernel-sim and the kernels it runs share -*- C++ -*-===//
//
// The grid indices of a running CUDA thread and the scheduler's callbacks:
// kernel-sim fills a `dlc_sim_hooks` in each library of kernels it loads.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_SIMABI_H
#define DLC_KERNEL_SIM_SIMABI_H

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
};

namespace dlc_sim {

/// The running thread's place in the grid.
struct Thread {
  uint3 index, blockIndex;   // threadIdx, blockIdx
  dim3 blockSize, gridSize;  // blockDim, gridDim
  unsigned lane;             // within the warp
};

/// Filled by kernel-sim after loading the kernels.
struct Hooks {
  const Thread *current;
  /// __syncthreads().
  void (*syncthreads)();
  /// Every lane of the calling thread's warp in `mask` posts `value`; on
  /// return `lanes[i]` holds lane i's (0 for lanes outside the mask).
  void (*exchange)(unsigned mask, unsigned long long value,
                   unsigned long long *lanes);
};

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_SIMABI_H

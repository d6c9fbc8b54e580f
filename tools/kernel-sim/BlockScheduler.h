//===- BlockScheduler.h - CUDA threads as fibers ----------------*- C++ -*-===//
//
// Runs a kernel's grid on the calling thread: the blocks one after another,
// each block's threads as fibers that switch only where CUDA threads wait
// for each other (the block barrier and the warp's exchanges). A fiber runs
// until it waits; when every live thread waits, the scheduler releases the
// warps whose live lanes all reached an exchange, else the block barrier if
// every live thread reached it, else the kernel has deadlocked (threads wait
// at different barriers: undefined on a GPU) and the launch fails.
//
// A full-mask exchange in a warp some of whose lanes have exited is also an
// error: on a GPU it hangs or reads garbage.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_BLOCKSCHEDULER_H
#define DLC_KERNEL_SIM_BLOCKSCHEDULER_H

#include "SimAbi.h"

#include <memory>
#include <string>
#include <vector>

namespace dlc_sim {

/// A loaded kernel: takes cuLaunchKernel's argument array.
using Entry = void (*)(void **args);

class BlockScheduler {
public:
  /// `hooks` is the kernel library's dlc_sim_hooks; its functions are set
  /// here.
  explicit BlockScheduler(Hooks &hooks);
  ~BlockScheduler();
  BlockScheduler(const BlockScheduler &) = delete;
  BlockScheduler &operator=(const BlockScheduler &) = delete;

  /// Runs `entry` over `grid` blocks of `block` threads; an empty string on
  /// success, else what went wrong.
  std::string launch(Entry entry, void **args, dim3 grid, dim3 block);

  struct Fiber;

private:
  std::string runBlock(uint3 blockIdx);
  void resume(Fiber &fiber);
  std::string release();
  static void fiberMain();
  static void syncthreads();
  static void exchange(unsigned mask, unsigned long long value,
                       unsigned long long *lanes);
  void yieldToScheduler();

  Hooks &hooks;
  std::vector<std::unique_ptr<Fiber>> fibers;
  void *schedulerContext = nullptr;
  Fiber *running = nullptr;
  Entry entry = nullptr;
  void **args = nullptr;
  dim3 grid{}, block{};
};

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_BLOCKSCHEDULER_H

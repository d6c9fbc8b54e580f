//===- BlockScheduler.cpp - CUDA threads as fibers ------------------------===//
//
// Fibers switch with a few instructions of assembly on x86-64 (the callee-
// saved registers and the stack pointer; a syscall per switch, as ucontext's
// swapcontext makes, would be most of the run time) and with ucontext
// elsewhere. Under AddressSanitizer each switch is announced to it.
//
//===----------------------------------------------------------------------===//

#include "BlockScheduler.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define DLC_START_SWITCH(save, bottom, size)                                   \
  __sanitizer_start_switch_fiber(save, bottom, size)
#define DLC_FINISH_SWITCH(save, bottom, size)                                  \
  __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define DLC_START_SWITCH(save, bottom, size) ((void)(save))
#define DLC_FINISH_SWITCH(save, bottom, size) ((void)(save))
#endif

#if defined(__x86_64__)
// dlc_sim_switch(save, load): pushes the callee-saved registers, stores the
// stack pointer in *save, then does the reverse from `load`. The SSE and x87
// control words are left alone: kernels do not change them.
extern "C" void dlc_sim_switch(void **save, void *load);
asm(R"(
  .text
  .globl dlc_sim_switch
  .type dlc_sim_switch, @function
dlc_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size dlc_sim_switch, .-dlc_sim_switch
)");
#else
#include <ucontext.h>
#endif

namespace dlc_sim {

namespace {
constexpr size_t kStackBytes = 256 << 10;
BlockScheduler *active = nullptr; // the scheduler whose fibers run
} // namespace

struct BlockScheduler::Fiber {
  enum class State { Ready, Barrier, Exchange, Done };

  Fiber() {
    stack = static_cast<char *>(mmap(nullptr, kStackBytes,
                                     PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS |
                                         MAP_NORESERVE | MAP_STACK,
                                     -1, 0));
    if (stack == MAP_FAILED)
      stack = nullptr;
  }
  ~Fiber() {
    if (stack)
      munmap(stack, kStackBytes);
  }

  /// Makes the next switch to this fiber start fiberMain afresh.
  void restart() {
#if defined(__x86_64__)
    auto top = reinterpret_cast<uintptr_t>(stack + kStackBytes) & ~uintptr_t(15);
    auto *slot = reinterpret_cast<uint64_t *>(top);
    *--slot = 0;                                         // fiberMain's caller
    *--slot = reinterpret_cast<uint64_t>(&fiberMain);    // dlc_sim_switch's ret
    for (int i = 0; i < 6; ++i)
      *--slot = 0;                                       // rbp rbx r12-r15
    context = slot;
#else
    getcontext(&ucontext);
    ucontext.uc_stack.ss_sp = stack;
    ucontext.uc_stack.ss_size = kStackBytes;
    ucontext.uc_link = nullptr;
    makecontext(&ucontext, &fiberMain, 0);
#endif
    state = State::Ready;
  }

  char *stack = nullptr;
  void *context = nullptr; // the saved stack pointer
#if !defined(__x86_64__)
  ucontext_t ucontext;
#endif
  void *fakeStack = nullptr; // AddressSanitizer's, while switched away
  Thread thread{};
  State state = State::Done;
  unsigned mask = 0;
  unsigned long long posted = 0, lanes[32] = {};
};

namespace {

#if !defined(__x86_64__)
ucontext_t schedulerUcontext;
#endif
// The scheduler's stack, for AddressSanitizer.
[[maybe_unused]] const void *schedulerBottom = nullptr;
[[maybe_unused]] size_t schedulerSize = 0;

} // namespace

BlockScheduler::BlockScheduler(Hooks &hooks) : hooks(hooks) {
  hooks.syncthreads = &BlockScheduler::syncthreads;
  hooks.exchange = &BlockScheduler::exchange;
}

BlockScheduler::~BlockScheduler() = default;

std::string BlockScheduler::launch(Entry kernel, void **arguments, dim3 g,
                                   dim3 b) {
  unsigned threads = b.x * b.y * b.z;
  if (!threads || threads > 1024)
    return "a block of " + std::to_string(threads) + " threads";
  while (fibers.size() < threads) {
    fibers.push_back(std::make_unique<Fiber>());
    if (!fibers.back()->stack)
      return "no memory for a fiber's stack";
  }
  entry = kernel;
  args = arguments;
  grid = g;
  block = b;
  BlockScheduler *outer = active;
  active = this;
  std::string error;
  for (unsigned z = 0; z < g.z && error.empty(); ++z)
    for (unsigned y = 0; y < g.y && error.empty(); ++y)
      for (unsigned x = 0; x < g.x && error.empty(); ++x)
        error = runBlock({x, y, z});
  active = outer;
  return error;
}

std::string BlockScheduler::runBlock(uint3 blockIdx) {
  unsigned threads = block.x * block.y * block.z;
  for (unsigned t = 0; t < threads; ++t) {
    Fiber &fiber = *fibers[t];
    fiber.thread.index = {t % block.x, t / block.x % block.y,
                          t / (block.x * block.y)};
    fiber.thread.blockIndex = blockIdx;
    fiber.thread.blockSize = block;
    fiber.thread.gridSize = grid;
    fiber.thread.lane = t % 32;
    fiber.restart();
  }
  while (true) {
    bool live = false;
    for (unsigned t = 0; t < threads; ++t) {
      Fiber &fiber = *fibers[t];
      if (fiber.state == Fiber::State::Ready)
        resume(fiber);
      live |= fiber.state != Fiber::State::Done;
    }
    if (!live)
      return "";
    if (std::string error = release(); !error.empty())
      return error;
  }
}

void BlockScheduler::resume(Fiber &fiber) {
  running = &fiber;
  hooks.current = &fiber.thread;
  void *fakeStack = nullptr;
  DLC_START_SWITCH(&fakeStack, fiber.stack, kStackBytes);
#if defined(__x86_64__)
  dlc_sim_switch(&schedulerContext, fiber.context);
#else
  swapcontext(&schedulerUcontext, &fiber.ucontext);
#endif
  DLC_FINISH_SWITCH(fakeStack, nullptr, nullptr);
  running = nullptr;
}

void BlockScheduler::yieldToScheduler() {
  Fiber &fiber = *running;
  bool done = fiber.state == Fiber::State::Done;
  // A finished fiber's stack is dropped: it starts afresh next time.
  DLC_START_SWITCH(done ? nullptr : &fiber.fakeStack, schedulerBottom,
                   schedulerSize);
#if defined(__x86_64__)
  dlc_sim_switch(&fiber.context, schedulerContext);
#else
  swapcontext(&fiber.ucontext, &schedulerUcontext);
#endif
  DLC_FINISH_SWITCH(fiber.fakeStack, &schedulerBottom, &schedulerSize);
}

void BlockScheduler::fiberMain() {
  DLC_FINISH_SWITCH(nullptr, &schedulerBottom, &schedulerSize);
  BlockScheduler &self = *active;
  self.entry(self.args);
  self.running->state = Fiber::State::Done;
  self.yieldToScheduler();
  // Never resumed: restart() builds a new start.
  __builtin_trap();
}

void BlockScheduler::syncthreads() {
  active->running->state = Fiber::State::Barrier;
  active->yieldToScheduler();
}

void BlockScheduler::exchange(unsigned mask, unsigned long long value,
                              unsigned long long *lanes) {
  Fiber &fiber = *active->running;
  fiber.state = Fiber::State::Exchange;
  fiber.mask = mask;
  fiber.posted = value;
  active->yieldToScheduler();
  for (int i = 0; i < 32; ++i)
    lanes[i] = fiber.lanes[i];
}

std::string BlockScheduler::release() {
  using State = Fiber::State;
  unsigned threads = block.x * block.y * block.z;
  bool released = false;
  unsigned atBarrier = 0, atExchange = 0, live = 0;
  for (unsigned first = 0; first < threads; first += 32) {
    unsigned end = std::min(first + 32, threads);
    bool waiting = false, allExchange = true;
    for (unsigned t = first; t < end; ++t) {
      State state = fibers[t]->state;
      if (state == State::Done)
        continue;
      waiting = true;
      allExchange &= state == State::Exchange;
      ++live;
      atBarrier += state == State::Barrier;
      atExchange += state == State::Exchange;
    }
    if (!waiting || !allExchange)
      continue;
    unsigned long long values[32] = {};
    unsigned exited = 0;
    for (unsigned t = first; t < end; ++t) {
      const Fiber &fiber = *fibers[t];
      if (fiber.state == State::Exchange)
        values[t - first] = fiber.posted;
      else
        exited |= 1u << (t - first);
    }
    // A lane the mask names must take part.
    for (unsigned t = first; t < end; ++t) {
      const Fiber &fiber = *fibers[t];
      if (fiber.state == State::Exchange && (fiber.mask & exited))
        return "warp " + std::to_string(first / 32) + ": lane " +
               std::to_string(__builtin_ctz(fiber.mask & exited)) +
               " has exited, but a shuffle or vote of lane " +
               std::to_string(t - first) + " names it in its mask";
    }
    for (unsigned t = first; t < end; ++t) {
      Fiber &fiber = *fibers[t];
      if (fiber.state != State::Exchange)
        continue;
      for (unsigned lane = 0; lane < 32; ++lane)
        fiber.lanes[lane] = fiber.mask >> lane & 1 ? values[lane] : 0;
      fiber.state = State::Ready;
    }
    released = true;
  }
  if (released)
    return "";
  if (atBarrier == live) {
    for (unsigned t = 0; t < threads; ++t)
      if (fibers[t]->state == State::Barrier)
        fibers[t]->state = State::Ready;
    return "";
  }
  return "deadlock: of " + std::to_string(live) + " live threads " +
         std::to_string(atBarrier) + " wait at __syncthreads() and " +
         std::to_string(atExchange) +
         " at a warp shuffle or vote whose warp waits elsewhere";
}

} // namespace dlc_sim

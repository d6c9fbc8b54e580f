//===- ArenaPlanner.h - Offsets for buffers with known lifetimes -*- C++ -*-===//
//
// Assigns each buffer an offset in one arena so that no two buffers alive at
// the same time overlap, keeping the arena small. Plain C++ (no MLIR), so it
// is tested on random lifetimes on its own.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_MEMORY_ARENAPLANNER_H
#define DLC_COMPILER_MEMORY_ARENAPLANNER_H

#include <cstdint>
#include <vector>

namespace dlc {

/// A buffer alive from step `first` to step `last`, both included.
struct BufferLifetime {
  uint64_t bytes = 0;
  unsigned first = 0;
  unsigned last = 0;
};

struct ArenaLayout {
  std::vector<uint64_t> offsets; // one per buffer, multiples of the alignment
  uint64_t size = 0;             // the arena's size: the highest end
  uint64_t naiveSize = 0;        // what one aligned buffer each would take
};

/// Greedy by size with best fit: the largest buffers are placed first, each
/// in the smallest gap between the buffers already placed that overlap it in
/// time, or above them all. Deterministic for equal inputs.
ArenaLayout planArena(const std::vector<BufferLifetime> &buffers,
                      uint64_t alignment);

/// True when `a` and `b` are alive at a common step.
inline bool livesOverlap(const BufferLifetime &a, const BufferLifetime &b) {
  return a.first <= b.last && b.first <= a.last;
}

} // namespace dlc

#endif // DLC_COMPILER_MEMORY_ARENAPLANNER_H

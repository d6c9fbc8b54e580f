//===- ArenaPlanner.cpp - Offsets for buffers with known lifetimes --------===//

#include "compiler/memory/ArenaPlanner.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace dlc {

static uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

ArenaLayout planArena(const std::vector<BufferLifetime> &buffers,
                      uint64_t alignment) {
  if (alignment == 0)
    alignment = 1;
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  // Large buffers first: they are the hardest to fit into gaps later.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].first < buffers[b].first;
  });

  std::vector<size_t> placed; // kept sorted by offset
  std::vector<size_t> overlapping;
  for (size_t index : order) {
    const BufferLifetime &buffer = buffers[index];
    uint64_t bytes = alignUp(buffer.bytes, alignment);
    layout.naiveSize += bytes;
    if (bytes == 0)
      continue;
    overlapping.clear();
    for (size_t other : placed)
      if (buffers[other].bytes != 0 && livesOverlap(buffer, buffers[other]))
        overlapping.push_back(other);
    // `placed` is sorted by offset, so the gaps come out in address order.
    uint64_t gapStart = 0;
    uint64_t best = std::numeric_limits<uint64_t>::max();
    uint64_t bestGap = std::numeric_limits<uint64_t>::max();
    for (size_t other : overlapping) {
      uint64_t otherOffset = layout.offsets[other];
      if (otherOffset > gapStart) {
        uint64_t gap = otherOffset - gapStart;
        if (gap >= bytes && gap < bestGap) {
          best = gapStart;
          bestGap = gap;
        }
      }
      gapStart = std::max(gapStart, otherOffset + alignUp(buffers[other].bytes,
                                                          alignment));
    }
    if (best == std::numeric_limits<uint64_t>::max())
      best = gapStart;
    layout.offsets[index] = best;
    layout.size = std::max(layout.size, best + bytes);
    auto position = std::upper_bound(
        placed.begin(), placed.end(), best,
        [&](uint64_t offset, size_t other) {
          return offset < layout.offsets[other];
        });
    placed.insert(position, index);
  }
  return layout;
}

} // namespace dlc

//===- ArenaPlannerTest.cpp - No two live buffers overlap -----------------===//

#include "compiler/memory/ArenaPlanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using dlc::ArenaLayout;
using dlc::BufferLifetime;

namespace {

/// Every pair of buffers alive at a common step occupies disjoint bytes, all
/// offsets are aligned and the arena holds every buffer.
void expectValid(const std::vector<BufferLifetime> &buffers,
                 const ArenaLayout &layout, uint64_t alignment) {
  ASSERT_EQ(layout.offsets.size(), buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(layout.offsets[i] % alignment, 0u) << "buffer " << i;
    EXPECT_LE(layout.offsets[i] + buffers[i].bytes, layout.size)
        << "buffer " << i;
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!buffers[i].bytes || !buffers[j].bytes ||
          !dlc::livesOverlap(buffers[i], buffers[j]))
        continue;
      bool disjoint =
          layout.offsets[i] + buffers[i].bytes <= layout.offsets[j] ||
          layout.offsets[j] + buffers[j].bytes <= layout.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j
                            << " are alive together and overlap";
    }
  }
  EXPECT_LE(layout.size, layout.naiveSize);
}

/// Lifetimes of the values of a random dataflow graph: op i defines value i
/// and reads up to three earlier values; a value lives from its definition to
/// its last reader.
std::vector<BufferLifetime> randomGraph(std::mt19937 &rng, unsigned ops) {
  std::vector<BufferLifetime> values(ops);
  std::uniform_int_distribution<uint64_t> bytes(1, 1 << 16);
  for (unsigned i = 0; i < ops; ++i) {
    values[i] = {bytes(rng), i, i};
    if (i == 0)
      continue;
    std::uniform_int_distribution<unsigned> operand(0, i - 1);
    for (int k = 0; k < 3; ++k) {
      unsigned read = operand(rng);
      values[read].last = std::max(values[read].last, i);
    }
  }
  return values;
}

TEST(ArenaPlanner, RandomGraphsNeverOverlapLiveBuffers) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    auto buffers = randomGraph(rng, 1 + trial % 60);
    uint64_t alignment = trial % 2 ? 256 : 64;
    ArenaLayout layout = dlc::planArena(buffers, alignment);
    expectValid(buffers, layout, alignment);
  }
}

TEST(ArenaPlanner, RandomIntervalsNeverOverlapLiveBuffers) {
  std::mt19937 rng(777);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<BufferLifetime> buffers(1 + trial % 40);
    for (auto &buffer : buffers) {
      unsigned a = rng() % 50, b = rng() % 50;
      buffer = {rng() % 5000, std::min(a, b), std::max(a, b)};
    }
    ArenaLayout layout = dlc::planArena(buffers, 16);
    expectValid(buffers, layout, 16);
  }
}

TEST(ArenaPlanner, ReusesMemoryOfDeadBuffers) {
  // A chain a -> b -> c: a is dead when c is made, so c takes a's place.
  std::vector<BufferLifetime> chain = {{1024, 0, 1}, {1024, 1, 2}, {1024, 2, 3}};
  ArenaLayout layout = dlc::planArena(chain, 256);
  EXPECT_EQ(layout.size, 2048u);
  EXPECT_EQ(layout.naiveSize, 3072u);
  EXPECT_EQ(layout.offsets[0], layout.offsets[2]);
  EXPECT_NE(layout.offsets[0], layout.offsets[1]);
}

TEST(ArenaPlanner, BestFitPicksTheSmallestGap) {
  // Short-lived buffers (at time 0 only) space out the long-lived ones at 0,
  // 750 and 1210; once they are dead, x (100 bytes, later) sees gaps of 350
  // and 120 bytes and takes the smaller.
  std::vector<BufferLifetime> buffers = {{400, 0, 5}, {350, 0, 0},
                                         {340, 0, 5}, {120, 0, 0},
                                         {110, 0, 5}, {100, 1, 2}};
  ArenaLayout layout = dlc::planArena(buffers, 1);
  expectValid(buffers, layout, 1);
  EXPECT_EQ(layout.offsets[3], 1090u);
  EXPECT_EQ(layout.offsets[5], 1090u);
  EXPECT_EQ(layout.size, 1320u);
}

TEST(ArenaPlanner, EmptyBuffersTakeNoSpace) {
  ArenaLayout layout = dlc::planArena({{0, 0, 3}, {0, 1, 2}}, 256);
  EXPECT_EQ(layout.size, 0u);
}

} // namespace

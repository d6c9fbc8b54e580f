//===- AttentionSizes.h - The sizes of an attention step --------*- C++ -*-===//
//
// Part of the plan format: how Attention and AttentionGrad steps read the
// sizes of their heads off their operands. The CUDA emitter and the CPU
// backend both take them from here.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PLAN_ATTENTIONSIZES_H
#define DLC_PLAN_ATTENTIONSIZES_H

#include <cstdint>
#include <vector>

namespace dlc::plan {

/// Attention over query [..., T, E], key [..., S, E] and value [..., S, E2]:
/// `heads` is the product of the leading dimensions, `merged` H when rows
/// are laid out with the heads merged ([..., T, H, *]), else 0.
struct AttentionSizes {
  int64_t heads = 1, t, e, s, e2, merged;
};

inline AttentionSizes attentionSizes(const std::vector<int64_t> &query,
                                     const std::vector<int64_t> &key,
                                     const std::vector<int64_t> &value,
                                     bool mergeHeads) {
  size_t rank = query.size();
  AttentionSizes sizes{1,
                       query[rank - 2],
                       query[rank - 1],
                       key[rank - 2],
                       value[rank - 1],
                       mergeHeads ? query[rank - 3] : 0};
  for (size_t d = 0; d + 2 < rank; ++d)
    sizes.heads *= query[d];
  return sizes;
}

} // namespace dlc::plan

#endif // DLC_PLAN_ATTENTIONSIZES_H

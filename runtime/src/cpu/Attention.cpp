//===- Attention.cpp - Scores, softmax and weighted sum -------------------===//
//
// What the unfused steps compute, with the same GEMMs: the scores q @ k^T
// into scratch (or the probabilities' tensor), the prologue over them,
// each row's softmax as the Softmax step computes it, and the
// probabilities times v.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <algorithm>
#include <vector>

namespace dlc::rt::cpu {

namespace {

/// One head after another: the scores by the GEMM the unfused step would
/// run, the prologue over all of them, then per head each row's softmax
/// (as the Softmax step computes it) and the GEMM by v, whose rows go
/// where the output keeps them.
template <typename T>
Status attentionTyped(const plan::Attention &op, Context &ctx, View scores) {
  View q = ctx.view(op.query()), k = ctx.view(op.key());
  View v = ctx.view(op.value()), out = ctx.view(op.output());
  size_t rank = q.shape.size();
  int64_t t = q.shape[rank - 2], e = q.shape[rank - 1];
  int64_t s = k.shape[rank - 2], e2 = v.shape[rank - 1];
  int64_t heads = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    heads *= q.shape[d];
  const T *qp = q.as<T>(), *kp = k.as<T>(), *vp = v.as<T>();
  T *sp = scores.as<T>(), *op_ = out.as<T>();
  for (int64_t h = 0; h < heads; ++h)
    gemm<T>(false, true, t, s, e, T(1), qp + h * t * e, kp + h * s * e, T(0),
            sp + h * t * s);
  if (const plan::Elementwise *prologue = op.prologue())
    if (Status status = runProgram(*prologue, ctx, {scores}, &scores); !status)
      return status;
  // Row i of head h: with the heads merged ([..., T, H, E2]), the heads of
  // one row lie together.
  int64_t merged = op.merge_heads() ? q.shape[rank - 3] : 0;
  auto rowAt = [&](int64_t h, int64_t i) {
    return merged ? ((h / merged) * t + i) * merged + h % merged : h * t + i;
  };
  std::vector<T> rows(static_cast<size_t>(t * e2));
  for (int64_t h = 0; h < heads; ++h) {
    T *p = sp + h * t * s;
    for (int64_t i = 0; i < t; ++i)
      softmaxLine(p + i * s, p + i * s, s, 1, /*log=*/false);
    gemm<T>(false, false, t, e2, s, T(1), p, vp + h * s * e2, T(0),
            rows.data());
    for (int64_t i = 0; i < t; ++i)
      std::copy(rows.begin() + i * e2, rows.begin() + (i + 1) * e2,
                op_ + rowAt(h, i) * e2);
  }
  return Status::ok();
}

} // namespace

Status runAttention(const plan::Attention &op, Context &ctx) {
  View q = ctx.view(op.query()), k = ctx.view(op.key());
  View out = ctx.view(op.output());
  // The scores, [..., T, S], in scratch, or where the probabilities they
  // become go.
  View scores = out;
  scores.shape = q.shape;
  scores.shape.back() = k.shape[k.shape.size() - 2];
  scores.count = *checkedNumElements(scores.shape);
  std::vector<uint8_t> scratch;
  if (op.with_probabilities()) {
    scores.data = ctx.view(op.probabilities()).data;
  } else {
    scratch.resize(scores.count * dtypeSize(out.dtype));
    scores.data = scratch.data();
  }
  if (out.dtype == DType::F64)
    return attentionTyped<double>(op, ctx, scores);
  return attentionTyped<float>(op, ctx, scores);
}

} // namespace dlc::rt::cpu

//===- Attention.cpp - Scores, softmax and weighted sum; their gradient ---===//
//
// What the unfused steps compute, with the same GEMMs: the scores q @ k^T
// into scratch (or the probabilities' tensor), the prologue over them,
// each row's softmax as the Softmax step computes it, and the
// probabilities times v. The backward pass likewise: the GEMMs of the
// gradient rules, the softmax's gradient as the SoftmaxGrad step computes
// it, and the epilogue over all of it in scratch.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include "AttentionSizes.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace dlc::rt::cpu {

namespace {

/// Rows [0, n) of one head's [n, width] matrix, laid out as the step keeps
/// them: head after head, or with the heads merged ([..., n, H, width]), or
/// packed (each row [q | k | v] of H heads), `part` naming which third.
struct HeadRows {
  int64_t n, width, heads = 0; // heads: 0 unless merged
  int64_t stride, offset = 0;  // of a merged row, and of its third

  int64_t at(int64_t head, int64_t row) const {
    if (!heads)
      return (head * n + row) * width;
    return (head / heads * n + row) * stride + offset + head % heads * width;
  }
};

/// One head after another: the scores by the GEMM the unfused step would
/// run, the prologue over all of them, then per head each row's softmax
/// (as the Softmax step computes it) and the GEMM by v, whose rows go
/// where the output keeps them.
template <typename T>
Status attentionTyped(const plan::Attention &op, Context &ctx, View scores) {
  View q = ctx.view(op.query()), k = ctx.view(op.key());
  View v = ctx.view(op.value()), out = ctx.view(op.output());
  plan::AttentionSizes sizes =
      plan::attentionSizes(q.shape, k.shape, v.shape, op.merge_heads());
  int64_t heads = sizes.heads, t = sizes.t, e = sizes.e, s = sizes.s,
          e2 = sizes.e2, merged = sizes.merged;
  const T *qp = q.as<T>(), *kp = k.as<T>(), *vp = v.as<T>();
  T *sp = scores.as<T>(), *op_ = out.as<T>();
  for (int64_t h = 0; h < heads; ++h)
    gemm<T>(false, true, t, s, e, T(1), qp + h * t * e, kp + h * s * e, T(0),
            sp + h * t * s);
  if (const plan::Elementwise *prologue = op.prologue())
    if (Status status = runProgram(*prologue, ctx, {scores}, &scores); !status)
      return status;
  // With the heads merged ([..., T, H, E2]), the heads of one row lie
  // together.
  HeadRows outRows{t, e2, merged, merged * e2};
  std::vector<T> rows(static_cast<size_t>(t * e2));
  for (int64_t h = 0; h < heads; ++h) {
    T *p = sp + h * t * s;
    for (int64_t i = 0; i < t; ++i)
      softmaxLine(p + i * s, p + i * s, s, 1, /*log=*/false);
    gemm<T>(false, false, t, e2, s, T(1), p, vp + h * s * e2, T(0),
            rows.data());
    for (int64_t i = 0; i < t; ++i)
      std::copy(rows.begin() + i * e2, rows.begin() + (i + 1) * e2,
                op_ + outRows.at(h, i));
  }
  return Status::ok();
}

template <typename T>
Status attentionGradTyped(const plan::AttentionGrad &op, Context &ctx) {
  View q = ctx.view(op.query()), k = ctx.view(op.key());
  View v = ctx.view(op.value());
  plan::AttentionSizes sizes =
      plan::attentionSizes(q.shape, k.shape, v.shape, op.merge_heads());
  int64_t heads = sizes.heads, t = sizes.t, e = sizes.e, s = sizes.s,
          e2 = sizes.e2, h = sizes.merged;
  // `part`: which third of a packed row, if the rows are the gradients'.
  auto rows = [&](int64_t n, int64_t width, std::optional<int64_t> part) {
    HeadRows r{n, width, h, h * width};
    if (op.packed() && part) {
      r.stride = 3 * h * width;
      r.offset = *part * h * width;
    }
    return r;
  };
  HeadRows gradRows = rows(t, e2, std::nullopt), queryRows = rows(t, e, 0),
           keyRows = rows(s, e, 1), valueRows = rows(s, e2, 2);
  const T *g = ctx.view(op.grad()).as<T>();
  const T *p = ctx.view(op.probabilities()).as<T>();
  T *dq = ctx.view(op.query_grad()).as<T>();
  T *dk = op.packed() ? dq : ctx.view(op.key_grad()).as<T>();
  T *dv = op.packed() ? dq : ctx.view(op.value_grad()).as<T>();

  // The softmax's input gradient of every head, in scratch for the
  // epilogue, as the unfused steps would write it.
  View scores = ctx.view(op.query_grad());
  scores.shape = q.shape;
  scores.shape.back() = s;
  scores.count = *checkedNumElements(scores.shape);
  std::vector<T> ds(static_cast<size_t>(scores.count));
  scores.data = reinterpret_cast<uint8_t *>(ds.data());
  std::vector<T> gh(static_cast<size_t>(t * e2)),
      dp(static_cast<size_t>(t * s));
  auto gather = [&](const T *from, HeadRows at, int64_t head, T *to) {
    for (int64_t i = 0; i < at.n; ++i)
      std::copy(from + at.at(head, i), from + at.at(head, i) + at.width,
                to + i * at.width);
  };
  auto scatter = [&](const T *from, HeadRows at, int64_t head, T *to) {
    for (int64_t i = 0; i < at.n; ++i)
      std::copy(from + i * at.width, from + (i + 1) * at.width,
                to + at.at(head, i));
  };
  for (int64_t hd = 0; hd < heads; ++hd) {
    gather(g, gradRows, hd, gh.data());
    gemm<T>(false, true, t, s, e2, T(1), gh.data(), v.as<T>() + hd * s * e2,
            T(0), dp.data());
    const T *ph = p + hd * t * s;
    T *dsh = ds.data() + hd * t * s;
    for (int64_t i = 0; i < t; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < s; ++j)
        sum += double(dp[i * s + j]) * ph[i * s + j];
      for (int64_t j = 0; j < s; ++j)
        dsh[i * s + j] = T(ph[i * s + j] * (dp[i * s + j] - sum));
    }
  }
  if (const plan::Elementwise *epilogue = op.epilogue())
    if (Status status = runProgram(*epilogue, ctx, {scores}, &scores); !status)
      return status;
  std::vector<T> out(static_cast<size_t>(std::max(t, s) * std::max(e, e2)));
  for (int64_t hd = 0; hd < heads; ++hd) {
    const T *dsh = ds.data() + hd * t * s;
    gather(g, gradRows, hd, gh.data());
    gemm<T>(false, false, t, e, s, T(1), dsh, k.as<T>() + hd * s * e, T(0),
            out.data());
    scatter(out.data(), queryRows, hd, dq);
    gemm<T>(true, false, s, e, t, T(1), dsh, q.as<T>() + hd * t * e, T(0),
            out.data());
    scatter(out.data(), keyRows, hd, dk);
    gemm<T>(true, false, s, e2, t, T(1), p + hd * t * s, gh.data(), T(0),
            out.data());
    scatter(out.data(), valueRows, hd, dv);
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

Status runAttentionGrad(const plan::AttentionGrad &op, Context &ctx) {
  if (ctx.view(op.query()).dtype == DType::F64)
    return attentionGradTyped<double>(op, ctx);
  return attentionGradTyped<float>(op, ctx);
}

} // namespace dlc::rt::cpu

//===- Attention.cpp - Scores, softmax and weighted sum -------------------===//
//
// What the unfused steps compute, one head at a time: the scores q @ k^T
// (summed in double, stored in their type as the GEMM stores them) into
// scratch (or the probabilities' tensor), the prologue over them, each
// row's softmax as the Softmax step computes it, and the probabilities
// times v, summed in double.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

namespace {

template <typename T>
void scoresTyped(const View &q, const View &k, const View &scores,
                 int64_t heads) {
  size_t rank = q.shape.size();
  int64_t t = q.shape[rank - 2], e = q.shape[rank - 1], s = k.shape[rank - 2];
  const T *qp = q.as<T>(), *kp = k.as<T>();
  T *sp = scores.as<T>();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < s; ++j) {
        double sum = 0;
        for (int64_t c = 0; c < e; ++c)
          sum += double(qp[(h * t + i) * e + c]) * kp[(h * s + j) * e + c];
        sp[(h * t + i) * s + j] = T(sum);
      }
}

/// Softmax of each row of `scores` in place, then the rows times v.
template <typename T>
void weightedSumTyped(const View &scores, const View &v, const View &out,
                      int64_t heads, int64_t t, int64_t merged) {
  size_t rank = v.shape.size();
  int64_t s = v.shape[rank - 2], e2 = v.shape[rank - 1];
  // Row i of head h: with `merged` heads, [..., T, H, E2] puts the heads
  // of one row together.
  auto rowAt = [&](int64_t h, int64_t i) {
    return merged ? ((h / merged) * t + i) * merged + h % merged : h * t + i;
  };
  T *sp = scores.as<T>(), *op = out.as<T>();
  const T *vp = v.as<T>();
  std::vector<double> row(static_cast<size_t>(e2));
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < t; ++i) {
      T *p = sp + (h * t + i) * s;
      double max = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < s; ++j)
        max = std::max(max, double(p[j]));
      double sum = 0;
      for (int64_t j = 0; j < s; ++j)
        sum += std::exp(double(p[j]) - max);
      for (int64_t j = 0; j < s; ++j)
        p[j] = T(std::exp(double(p[j]) - max) / sum);
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t j = 0; j < s; ++j)
        for (int64_t c = 0; c < e2; ++c)
          row[c] += double(p[j]) * vp[(h * s + j) * e2 + c];
      for (int64_t c = 0; c < e2; ++c)
        op[rowAt(h, i) * e2 + c] = T(row[c]);
    }
}

} // namespace

Status runAttention(const plan::Attention &op, Context &ctx) {
  View q = ctx.view(op.query()), k = ctx.view(op.key());
  View v = ctx.view(op.value()), out = ctx.view(op.output());
  size_t rank = q.shape.size();
  int64_t heads = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    heads *= q.shape[d];
  // The scores, [..., T, S], in scratch, or where the probabilities they
  // become go.
  View scores = out;
  scores.shape = q.shape;
  scores.shape.back() = k.shape[rank - 2];
  scores.count = *checkedNumElements(scores.shape);
  std::vector<uint8_t> scratch;
  if (op.with_probabilities()) {
    scores.data = ctx.view(op.probabilities()).data;
  } else {
    scratch.resize(scores.count * dtypeSize(out.dtype));
    scores.data = scratch.data();
  }
  bool f64 = out.dtype == DType::F64;
  if (f64)
    scoresTyped<double>(q, k, scores, heads);
  else
    scoresTyped<float>(q, k, scores, heads);
  if (const plan::Elementwise *prologue = op.prologue())
    if (Status s = runProgram(*prologue, ctx, {scores}, &scores); !s)
      return s;
  int64_t t = q.shape[rank - 2];
  int64_t merged = op.merge_heads() ? q.shape[rank - 3] : 0;
  if (f64)
    weightedSumTyped<double>(scores, v, out, heads, t, merged);
  else
    weightedSumTyped<float>(scores, v, out, heads, t, merged);
  return Status::ok();
}

} // namespace dlc::rt::cpu

//===- Losses.cpp - Cross-entropy and mean squared error ------------------===//

#include "CpuKernels.h"

#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

/// dl.argmax of one row: the first maximum, a NaN counting as the maximum.
template <typename T> static int64_t rowArgmax(const T *row, int64_t classes) {
  int64_t best = 0;
  for (int64_t k = 1; k < classes; ++k)
    if (!std::isnan(row[best]) && (row[k] > row[best] || std::isnan(row[k])))
      best = k;
  return best;
}

static int64_t labelAt(const View &labels, int64_t i) {
  return labels.dtype == DType::I32 ? labels.as<int32_t>()[i]
                                    : labels.as<int64_t>()[i];
}

/// Writes to `out` the fraction of rows whose argmax is the label
/// (out-of-range labels never match).
template <typename T>
static void accuracyTyped(const View &logits, const View &labels,
                          const View &out) {
  int64_t n = logits.shape[0], classes = logits.shape[1];
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i)
    hits += rowArgmax(logits.as<T>() + i * classes, classes) ==
            labelAt(labels, i);
  *out.as<T>() = T(n ? double(hits) / double(n) : NAN);
}

static void accuracy(const View &logits, const View &labels,
                     const View &out) {
  if (logits.dtype == DType::F64)
    accuracyTyped<double>(logits, labels, out);
  else
    accuracyTyped<float>(logits, labels, out);
}

template <typename T>
static Status crossEntropyTyped(const plan::CrossEntropy &op, Context &ctx) {
  View logits = ctx.view(op.logits()), labels = ctx.view(op.labels());
  int64_t n = logits.shape[0], classes = logits.shape[1];
  const T *x = logits.as<T>();
  double total = 0;
  // With the gradient: d = (softmax - onehot) * dloss (/ N for the mean).
  T *d = op.with_grad() ? ctx.view(op.dlogits()).as<T>() : nullptr;
  double scale = 0;
  if (d) {
    scale = double(*ctx.view(op.dloss()).as<T>());
    if (op.reduction() == plan::LossReduction::Mean)
      scale = n ? scale / double(n) : NAN;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t label = labelAt(labels, i);
    if (label < 0 || label >= classes)
      return Status::error(format("label %lld of sample %lld is out of range "
                                  "[0, %lld)",
                                  (long long)label, (long long)i,
                                  (long long)classes));
    const T *row = x + i * classes;
    double max = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < classes; ++k)
      max = std::max(max, double(row[k]));
    double sum = 0;
    for (int64_t k = 0; k < classes; ++k)
      sum += std::exp(double(row[k]) - max);
    total += std::log(sum) + max - double(row[label]);
    if (d)
      for (int64_t k = 0; k < classes; ++k)
        d[i * classes + k] =
            T((std::exp(double(row[k]) - max) / sum - (k == label ? 1.0 : 0.0)) *
              scale);
  }
  if (op.reduction() == plan::LossReduction::Mean)
    total = n ? total / double(n) : NAN;
  *ctx.view(op.output()).as<T>() = T(total);
  return Status::ok();
}

Status runCrossEntropy(const plan::CrossEntropy &op, Context &ctx) {
  View logits = ctx.view(op.logits());
  // Before the loss, whose gradient may overwrite the logits in place.
  if (op.with_accuracy())
    accuracy(logits, ctx.view(op.labels()), ctx.view(op.accuracy()));
  return logits.dtype == DType::F64 ? crossEntropyTyped<double>(op, ctx)
                                    : crossEntropyTyped<float>(op, ctx);
}

Status runAccuracy(const plan::Accuracy &op, Context &ctx) {
  accuracy(ctx.view(op.logits()), ctx.view(op.labels()),
           ctx.view(op.output()));
  return Status::ok();
}

template <typename T>
static void mseTyped(const plan::Mse &op, Context &ctx) {
  View p = ctx.view(op.prediction());
  const T *a = p.as<T>(), *b = ctx.view(op.target()).as<T>();
  double total = 0;
  for (uint64_t i = 0; i < p.count; ++i) {
    double d = double(a[i]) - double(b[i]);
    total += d * d;
  }
  if (op.reduction() == plan::LossReduction::Mean)
    total = p.count ? total / double(p.count) : NAN;
  *ctx.view(op.output()).as<T>() = T(total);
}

Status runMse(const plan::Mse &op, Context &ctx) {
  if (ctx.view(op.prediction()).dtype == DType::F64)
    mseTyped<double>(op, ctx);
  else
    mseTyped<float>(op, ctx);
  return Status::ok();
}

} // namespace dlc::rt::cpu

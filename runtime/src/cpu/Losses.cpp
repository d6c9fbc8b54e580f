//===- Losses.cpp - Cross-entropy and mean squared error ------------------===//

#include "CpuKernels.h"

#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

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
    int64_t label = labels.dtype == DType::I32 ? labels.as<int32_t>()[i]
                                               : labels.as<int64_t>()[i];
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
  if (ctx.view(op.logits()).dtype == DType::F64)
    return crossEntropyTyped<double>(op, ctx);
  return crossEntropyTyped<float>(op, ctx);
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

//===- Normalization.cpp - Layer and batch normalization ------------------===//
//
// Statistics in double with two passes (mean, then squared deviations), the
// numerically careful way.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <cmath>
#include <vector>

namespace dlc::rt::cpu {

/// A row-major tensor split at `axis`: rows of the leading dimensions,
/// columns of the normalized ones.
static std::pair<int64_t, int64_t> rowsAndColumns(const View &in,
                                                  int64_t axis) {
  int64_t rows = 1, cols = 1;
  for (size_t d = 0; d < in.shape.size(); ++d)
    (int64_t(d) < axis ? rows : cols) *= in.shape[d];
  return {rows, cols};
}

/// A row's mean and 1 / sqrt(variance + epsilon), in double, two passes.
template <typename T>
static std::pair<double, double> rowStatistics(const T *row, int64_t cols,
                                               double epsilon) {
  double mean = 0, var = 0;
  for (int64_t c = 0; c < cols; ++c)
    mean += row[c];
  mean /= double(cols);
  for (int64_t c = 0; c < cols; ++c)
    var += (row[c] - mean) * (row[c] - mean);
  var /= double(cols);
  return {mean, 1.0 / std::sqrt(var + epsilon)};
}

template <typename T>
static void layerNormTyped(const plan::LayerNorm &op, Context &ctx) {
  View in = ctx.view(op.input());
  const T *x = in.as<T>();
  const T *gamma = ctx.view(op.gamma()).as<T>();
  const T *beta = ctx.view(op.beta()).as<T>();
  T *y = ctx.view(op.output()).as<T>();
  auto [rows, cols] = rowsAndColumns(in, op.axis());
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = x + r * cols;
    auto [mean, rstd] = rowStatistics(row, cols, op.epsilon());
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = T((row[c] - mean) * rstd * gamma[c] + beta[c]);
  }
}

Status runLayerNorm(const plan::LayerNorm &op, Context &ctx) {
  if (ctx.view(op.input()).count == 0)
    return Status::ok();
  if (ctx.view(op.input()).dtype == DType::F64)
    layerNormTyped<double>(op, ctx);
  else
    layerNormTyped<float>(op, ctx);
  return Status::ok();
}

template <typename T>
static void layerNormGradTyped(const plan::LayerNormGrad &op, Context &ctx) {
  View in = ctx.view(op.input());
  auto [rows, cols] = rowsAndColumns(in, op.axis());
  const T *x = in.as<T>();
  const T *dy = ctx.view(op.grad()).as<T>();
  const T *gamma = ctx.view(op.gamma()).as<T>();
  T *dx = ctx.view(op.output()).as<T>();
  const T *addend = op.with_addend() ? ctx.view(op.addend()).as<T>() : nullptr;
  T *means = ctx.view(op.mean()).as<T>();
  T *rstds = ctx.view(op.rstd()).as<T>();
  for (int64_t r = 0; r < rows; ++r) {
    const T *row = x + r * cols, *g = dy + r * cols;
    auto [mean, rstd] = rowStatistics(row, cols, op.epsilon());
    // The means over the row of dxhat = dy * gamma and of dxhat * xhat.
    double dxhatMean = 0, dxhatXhatMean = 0;
    for (int64_t c = 0; c < cols; ++c) {
      double dxhat = double(g[c]) * gamma[c];
      dxhatMean += dxhat;
      dxhatXhatMean += dxhat * (row[c] - mean) * rstd;
    }
    dxhatMean /= double(cols);
    dxhatXhatMean /= double(cols);
    for (int64_t c = 0; c < cols; ++c) {
      double xhat = (row[c] - mean) * rstd;
      double value =
          rstd * (double(g[c]) * gamma[c] - dxhatMean - xhat * dxhatXhatMean);
      // Rounded as the two kernels it replaces round: the gradient to the
      // dtype, then the sum in the dtype.
      dx[r * cols + c] =
          addend ? T(addend[r * cols + c] + T(value)) : T(value);
    }
    means[r] = T(mean);
    rstds[r] = T(rstd);
  }
}

template <typename T>
static void layerNormParamGradTyped(const plan::LayerNormParamGrad &op,
                                    Context &ctx) {
  View in = ctx.view(op.input());
  auto [rows, cols] = rowsAndColumns(in, op.axis());
  const T *x = in.as<T>();
  const T *dy = ctx.view(op.grad()).as<T>();
  const T *means = ctx.view(op.mean()).as<T>();
  const T *rstds = ctx.view(op.rstd()).as<T>();
  std::vector<double> dgamma(cols, 0.0), dbeta(cols, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double g = dy[r * cols + c];
      dgamma[c] += g * ((x[r * cols + c] - double(means[r])) * rstds[r]);
      dbeta[c] += g;
    }
  T *gammaGrad = ctx.view(op.gamma_grad()).as<T>();
  T *betaGrad = ctx.view(op.beta_grad()).as<T>();
  for (int64_t c = 0; c < cols; ++c) {
    gammaGrad[c] = T(dgamma[c]);
    betaGrad[c] = T(dbeta[c]);
  }
}

Status runLayerNormGrad(const plan::LayerNormGrad &op, Context &ctx) {
  if (ctx.view(op.input()).count == 0)
    return Status::ok();
  if (ctx.view(op.input()).dtype == DType::F64)
    layerNormGradTyped<double>(op, ctx);
  else
    layerNormGradTyped<float>(op, ctx);
  return Status::ok();
}

Status runLayerNormParamGrad(const plan::LayerNormParamGrad &op,
                             Context &ctx) {
  // With no rows the sums are zero, and the outputs still need writing.
  if (ctx.view(op.input()).dtype == DType::F64)
    layerNormParamGradTyped<double>(op, ctx);
  else
    layerNormParamGradTyped<float>(op, ctx);
  return Status::ok();
}

template <typename T>
static void batchNormTyped(const plan::BatchNorm &op, Context &ctx) {
  View in = ctx.view(op.input());
  int64_t batch = in.shape[0], channels = in.shape[1];
  int64_t spatial = channels ? int64_t(in.count) / (batch * channels) : 0;
  const T *x = in.as<T>();
  const T *scale = ctx.view(op.scale()).as<T>();
  const T *bias = ctx.view(op.bias()).as<T>();
  const T *runningMean = ctx.view(op.mean()).as<T>();
  const T *runningVar = ctx.view(op.variance()).as<T>();
  T *y = ctx.view(op.output()).as<T>();
  int64_t perChannel = batch * spatial;
  for (int64_t c = 0; c < channels; ++c) {
    auto at = [&](int64_t b, int64_t s) {
      return (b * channels + c) * spatial + s;
    };
    double mean = runningMean[c], var = runningVar[c];
    if (op.training()) {
      mean = 0;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t s = 0; s < spatial; ++s)
          mean += x[at(b, s)];
      mean /= double(perChannel);
      var = 0;
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t s = 0; s < spatial; ++s)
          var += (x[at(b, s)] - mean) * (x[at(b, s)] - mean);
      double unbiased = var / double(perChannel - 1);
      var /= double(perChannel);
      // PyTorch's update: the running variance takes the unbiased estimate.
      double momentum = op.momentum();
      ctx.view(op.new_mean()).as<T>()[c] =
          T((1 - momentum) * runningMean[c] + momentum * mean);
      ctx.view(op.new_variance()).as<T>()[c] =
          T((1 - momentum) * runningVar[c] + momentum * unbiased);
    }
    double inv = 1.0 / std::sqrt(var + op.epsilon());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t s = 0; s < spatial; ++s)
        y[at(b, s)] = T((x[at(b, s)] - mean) * inv * scale[c] + bias[c]);
  }
}

Status runBatchNorm(const plan::BatchNorm &op, Context &ctx) {
  View in = ctx.view(op.input());
  if (in.count == 0)
    return Status::ok();
  if (in.dtype == DType::F64)
    batchNormTyped<double>(op, ctx);
  else
    batchNormTyped<float>(op, ctx);
  return Status::ok();
}

} // namespace dlc::rt::cpu

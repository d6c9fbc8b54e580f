//===- Reductions.cpp - Sums, maxima, argmax and softmax ------------------===//
//
// Float sums and products accumulate in double, so the oracle's rounding
// error is far below any kernel's it is compared with; integer ones wrap in
// 64 bits as the GPU's do.
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

namespace {

double loadNumber(const View &v, uint64_t i) {
  switch (v.dtype) {
  case DType::F32: return v.as<float>()[i];
  case DType::F64: return v.as<double>()[i];
  case DType::I32: return v.as<int32_t>()[i];
  case DType::I64: return double(v.as<int64_t>()[i]);
  default: return 0;
  }
}

void storeNumber(const View &v, uint64_t i, double x) {
  switch (v.dtype) {
  case DType::F32: v.as<float>()[i] = float(x); return;
  case DType::F64: v.as<double>()[i] = x; return;
  case DType::I32: v.as<int32_t>()[i] = int32_t(x); return;
  case DType::I64: v.as<int64_t>()[i] = int64_t(x); return;
  default: return;
  }
}

} // namespace

Status runReduce(const plan::Reduce &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  size_t rank = in.shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t axis : *op.axes())
    reduced[axis] = true;
  // The output index of an input element: its kept coordinates, row-major.
  std::vector<int64_t> outStrides(rank, 0);
  int64_t stride = 1, reducedCount = 1;
  for (size_t d = rank; d-- > 0;) {
    if (reduced[d]) {
      reducedCount *= in.shape[d];
      continue;
    }
    outStrides[d] = stride;
    stride *= in.shape[d];
  }
  // Calls visit(i, o) for each input element i, in order, with the output
  // element o it reduces into.
  auto forEachElement = [&](auto &&visit) {
    std::vector<int64_t> idx(rank, 0);
    int64_t target = 0;
    for (uint64_t i = 0; i < in.count; ++i) {
      visit(i, target);
      for (size_t d = rank; d-- > 0;) {
        target += outStrides[d];
        if (++idx[d] < in.shape[d])
          break;
        target -= outStrides[d] * in.shape[d];
        idx[d] = 0;
      }
    }
  };
  bool isMax = op.kind() == plan::ReduceKind::Max;
  bool isProd = op.kind() == plan::ReduceKind::Prod;
  // Integer sums and products wrap in 64 bits, as the GPU's do, and are
  // then cut to the element type.
  bool integer = in.dtype == DType::I32 || in.dtype == DType::I64;
  if (integer && !isMax) {
    std::vector<uint64_t> accI(out.count, isProd ? 1 : 0);
    forEachElement([&](uint64_t i, int64_t o) {
      uint64_t x = in.dtype == DType::I32
                       ? uint64_t(int64_t(in.as<int32_t>()[i]))
                       : uint64_t(in.as<int64_t>()[i]);
      accI[o] = isProd ? accI[o] * x : accI[o] + x;
    });
    for (uint64_t i = 0; i < out.count; ++i) {
      if (out.dtype == DType::I32)
        out.as<int32_t>()[i] = int32_t(uint32_t(accI[i]));
      else
        out.as<int64_t>()[i] = int64_t(accI[i]);
    }
    return Status::ok();
  }
  std::vector<double> acc(out.count,
                          isMax    ? -std::numeric_limits<double>::infinity()
                          : isProd ? 1.0
                                   : 0.0);
  forEachElement([&](uint64_t i, int64_t o) {
    double x = loadNumber(in, i);
    if (isMax)
      acc[o] = std::isnan(x) || std::isnan(acc[o]) ? NAN : std::max(acc[o], x);
    else if (isProd)
      acc[o] *= x;
    else
      acc[o] += x;
  });
  for (uint64_t i = 0; i < out.count; ++i) {
    double value = acc[i];
    if (op.kind() == plan::ReduceKind::Mean)
      value = reducedCount ? value / double(reducedCount) : NAN;
    storeNumber(out, i, value);
  }
  return Status::ok();
}

Status runArgmax(const plan::Argmax &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(in.shape, op.axis(), outer, n, inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      double bestValue = loadNumber(in, o * n * inner + i);
      for (int64_t k = 1; k < n; ++k) {
        double x = loadNumber(in, (o * n + k) * inner + i);
        // The first maximum wins; a NaN counts as the maximum (numpy).
        if (!std::isnan(bestValue) && (x > bestValue || std::isnan(x))) {
          best = k;
          bestValue = x;
        }
      }
      storeNumber(out, o * inner + i, double(best));
    }
  return Status::ok();
}

template <typename T>
void softmaxLine(const T *x, T *y, int64_t n, int64_t stride, bool log) {
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < n; ++k)
    max = std::max(max, double(x[k * stride]));
  double sum = 0;
  for (int64_t k = 0; k < n; ++k)
    sum += std::exp(double(x[k * stride]) - max);
  double logSum = std::log(sum);
  for (int64_t k = 0; k < n; ++k) {
    double shifted = double(x[k * stride]) - max;
    y[k * stride] = T(log ? shifted - logSum : std::exp(shifted) / sum);
  }
}
template void softmaxLine<float>(const float *, float *, int64_t, int64_t,
                                 bool);
template void softmaxLine<double>(const double *, double *, int64_t, int64_t,
                                  bool);

template <typename T>
static void softmaxTyped(const plan::Softmax &op, const View &in,
                         const View &out) {
  int64_t outer, n, inner;
  splitAtAxis(in.shape, op.axis(), outer, n, inner);
  const T *x = in.as<T>();
  T *y = out.as<T>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      softmaxLine(x + o * n * inner + i, y + o * n * inner + i, n, inner,
                  op.log());
}

Status runSoftmax(const plan::Softmax &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  // The CPU computes a prologue's values into a scratch tensor first; the
  // GPU evaluates it at each read.
  std::vector<uint8_t> scratch;
  if (op.prologue()) {
    scratch.resize(out.count * dtypeSize(out.dtype));
    in = out;
    in.data = scratch.data();
    if (Status status = runProgram(*op.prologue(), ctx, {in}); !status)
      return status;
  }
  if (in.dtype == DType::F64)
    softmaxTyped<double>(op, in, out);
  else
    softmaxTyped<float>(op, in, out);
  return Status::ok();
}

template <typename T>
static void softmaxGradTyped(const plan::SoftmaxGrad &op, Context &ctx) {
  View out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(out.shape, op.axis(), outer, n, inner);
  const T *y = out.as<T>();
  const T *g = ctx.view(op.grad()).as<T>();
  T *dx = ctx.view(op.input_grad()).as<T>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      // softmax: sum(g y); log-softmax: sum(g).
      double sum = 0;
      for (int64_t k = 0; k < n; ++k)
        sum += op.log() ? double(g[at(k)]) : double(g[at(k)]) * y[at(k)];
      for (int64_t k = 0; k < n; ++k)
        dx[at(k)] = T(op.log() ? g[at(k)] - std::exp(double(y[at(k)])) * sum
                               : y[at(k)] * (g[at(k)] - sum));
    }
}

Status runSoftmaxGrad(const plan::SoftmaxGrad &op, Context &ctx) {
  if (ctx.view(op.output()).dtype == DType::F64)
    softmaxGradTyped<double>(op, ctx);
  else
    softmaxGradTyped<float>(op, ctx);
  return Status::ok();
}

Status runSquarePartials(const plan::SquarePartials &op, Context &ctx) {
  View partials = ctx.view(op.partials());
  double *out = partials.as<double>();
  uint64_t total = 0;
  for (uint32_t input : *op.inputs())
    total += ctx.view(input).count;
  uint64_t count = partials.count;
  uint64_t stretch = (total + count - 1) / count;
  std::fill(out, out + count, 0.0);
  // The same stretches as the GPU's blocks; within one, in order.
  uint64_t at = 0;
  for (uint32_t input : *op.inputs()) {
    View v = ctx.view(input);
    for (uint64_t i = 0; i < v.count; ++i, ++at) {
      double x = v.dtype == DType::F64 ? v.as<double>()[i] : v.as<float>()[i];
      out[at / stretch] += x * x;
    }
  }
  return Status::ok();
}

Status runSumPartials(const plan::SumPartials &op, Context &ctx) {
  View partials = ctx.view(op.partials());
  double sum = 0;
  for (uint64_t p = 0; p < partials.count; ++p)
    sum += partials.as<double>()[p];
  View out = ctx.view(op.output());
  if (out.dtype == DType::F64)
    out.as<double>()[0] = sum;
  else
    out.as<float>()[0] = float(sum);
  return Status::ok();
}

} // namespace dlc::rt::cpu

//===- Conv.cpp - Convolution and pooling ---------------------------------===//
//
// Convolution as im2col + GEMM per image and group: the column matrix holds,
// for each output pixel, the input patch it sees (zeros in the padding).
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

template <typename T>
static void conv2dTyped(const plan::Conv2d &op, Context &ctx) {
  View xv = ctx.view(op.input()), wv = ctx.view(op.weight());
  View yv = ctx.view(op.output());
  const T *x = xv.as<T>(), *w = wv.as<T>();
  T *y = yv.as<T>();
  int64_t n = xv.shape[0], c = xv.shape[1], h = xv.shape[2], wd = xv.shape[3];
  int64_t o = wv.shape[0], cg = wv.shape[1], kh = wv.shape[2], kw = wv.shape[3];
  int64_t ho = yv.shape[2], wo = yv.shape[3];
  int64_t sh = op.stride()->Get(0), sw = op.stride()->Get(1);
  int64_t pt = op.padding()->Get(0), pl = op.padding()->Get(1);
  int64_t dh = op.dilation()->Get(0), dw = op.dilation()->Get(1);
  int64_t groups = op.groups(), og = o / groups;
  int64_t patch = cg * kh * kw, pixels = ho * wo;
  std::vector<T> columns(size_t(patch * pixels));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t g = 0; g < groups; ++g) {
      // columns[(ci, i, j), (oy, ox)]
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            T *row = &columns[((ci * kh + i) * kw + j) * pixels];
            const T *plane = x + ((b * c) + g * cg + ci) * h * wd;
            for (int64_t oy = 0; oy < ho; ++oy) {
              int64_t iy = oy * sh - pt + i * dh;
              for (int64_t ox = 0; ox < wo; ++ox) {
                int64_t ix = ox * sw - pl + j * dw;
                row[oy * wo + ox] = iy >= 0 && iy < h && ix >= 0 && ix < wd
                                        ? plane[iy * wd + ix]
                                        : T(0);
              }
            }
          }
      // y[b, g*og:(g+1)*og, :] = w[g] (og x patch) * columns (patch x pixels)
      gemm<T>(false, false, og, pixels, patch, T(1), w + g * og * patch,
              columns.data(), T(0), y + (b * o + g * og) * pixels);
    }
  if (op.has_bias()) {
    const T *bias = ctx.view(op.bias()).as<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oc = 0; oc < o; ++oc)
        for (int64_t p = 0; p < pixels; ++p)
          y[(b * o + oc) * pixels + p] += bias[oc];
  }
}

Status runConv2d(const plan::Conv2d &op, Context &ctx) {
  View y = ctx.view(op.output()), w = ctx.view(op.weight());
  if (y.count == 0)
    return Status::ok();
  if (w.count == 0) { // no input channels: only the bias remains
    for (uint64_t i = 0; i < y.count; ++i)
      y.dtype == DType::F64 ? (void)(y.as<double>()[i] = 0)
                            : (void)(y.as<float>()[i] = 0);
  } else if (y.dtype == DType::F64) {
    conv2dTyped<double>(op, ctx);
  } else {
    conv2dTyped<float>(op, ctx);
  }
  if (w.count == 0 && op.has_bias()) {
    View bias = ctx.view(op.bias());
    uint64_t pixels = y.count / uint64_t(y.shape[0] * y.shape[1]);
    for (uint64_t i = 0; i < y.count; ++i) {
      uint64_t channel = (i / pixels) % uint64_t(y.shape[1]);
      if (y.dtype == DType::F64)
        y.as<double>()[i] = bias.as<double>()[channel];
      else
        y.as<float>()[i] = bias.as<float>()[channel];
    }
  }
  return Status::ok();
}

template <typename T>
static void pool2dTyped(const plan::Pool2d &op, Context &ctx) {
  View xv = ctx.view(op.input()), yv = ctx.view(op.output());
  const T *x = xv.as<T>();
  T *y = yv.as<T>();
  int64_t planes = xv.shape[0] * xv.shape[1];
  int64_t h = xv.shape[2], w = xv.shape[3], ho = yv.shape[2], wo = yv.shape[3];
  int64_t kh = op.kernel()->Get(0), kw = op.kernel()->Get(1);
  int64_t sh = op.stride()->Get(0), sw = op.stride()->Get(1);
  int64_t pt = op.padding()->Get(0), pl = op.padding()->Get(1);
  int64_t pb = op.padding()->Get(2), pr = op.padding()->Get(3);
  bool isMax = op.kind() == plan::PoolKind::Max;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        // The window, first clipped to the padded input (its size is the
        // divisor with count_include_pad), then to the input itself.
        int64_t y0 = oy * sh - pt, x0 = ox * sw - pl;
        int64_t y1 = std::min(y0 + kh, h + pb), x1 = std::min(x0 + kw, w + pr);
        int64_t padded = (y1 - y0) * (x1 - x0);
        y0 = std::max<int64_t>(y0, 0);
        x0 = std::max<int64_t>(x0, 0);
        y1 = std::min(y1, h);
        x1 = std::min(x1, w);
        double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix) {
            double v = x[(p * h + iy) * w + ix];
            acc = isMax ? (std::isnan(v) || v > acc ? v : acc) : acc + v;
          }
        if (!isMax) {
          int64_t count = op.count_include_pad() ? padded : (y1 - y0) * (x1 - x0);
          acc /= double(std::max<int64_t>(count, 1));
        }
        y[(p * ho + oy) * wo + ox] = T(acc);
      }
}

Status runPool2d(const plan::Pool2d &op, Context &ctx) {
  if (ctx.view(op.output()).count == 0)
    return Status::ok();
  if (ctx.view(op.input()).dtype == DType::F64)
    pool2dTyped<double>(op, ctx);
  else
    pool2dTyped<float>(op, ctx);
  return Status::ok();
}

} // namespace dlc::rt::cpu

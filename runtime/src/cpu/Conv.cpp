//===- Conv.cpp - Convolution and pooling ---------------------------------===//
//
// Convolution as im2col + GEMM per image and group: the column matrix holds,
// for each output pixel, the input patch it sees (zeros in the padding).
//
//===----------------------------------------------------------------------===//

#include "CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc::rt::cpu {

namespace {

/// The geometry of one convolution, from the plan's attributes and shapes.
struct ConvShape {
  int64_t n, c, h, w, o, cg, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, groups;
  int64_t og() const { return o / groups; }
  int64_t patch() const { return cg * kh * kw; }
  int64_t pixels() const { return ho * wo; }
};

template <typename Op>
ConvShape convShape(const Op &op, const std::vector<int64_t> &x,
                    const std::vector<int64_t> &weight,
                    const std::vector<int64_t> &y) {
  return {x[0], x[1], x[2], x[3], weight[0], weight[1], weight[2], weight[3],
          y[2], y[3], op.stride()->Get(0), op.stride()->Get(1),
          op.padding()->Get(0), op.padding()->Get(1), op.dilation()->Get(0),
          op.dilation()->Get(1), op.groups()};
}

/// columns[(ci, i, j), (oy, ox)] = x[b, g*cg + ci, oy*sh - pt + i*dh,
/// ox*sw - pl + j*dw], zero in the padding.
template <typename T>
void im2col(const ConvShape &s, const T *x, int64_t b, int64_t g, T *columns) {
  for (int64_t ci = 0; ci < s.cg; ++ci)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        T *row = &columns[((ci * s.kh + i) * s.kw + j) * s.pixels()];
        const T *plane = x + ((b * s.c) + g * s.cg + ci) * s.h * s.w;
        for (int64_t oy = 0; oy < s.ho; ++oy) {
          int64_t iy = oy * s.sh - s.pt + i * s.dh;
          for (int64_t ox = 0; ox < s.wo; ++ox) {
            int64_t ix = ox * s.sw - s.pl + j * s.dw;
            row[oy * s.wo + ox] = iy >= 0 && iy < s.h && ix >= 0 && ix < s.w
                                      ? plane[iy * s.w + ix]
                                      : T(0);
          }
        }
      }
}

/// The transpose of im2col: adds each column entry back to its pixel.
template <typename T>
void col2im(const ConvShape &s, const T *columns, int64_t b, int64_t g, T *x) {
  for (int64_t ci = 0; ci < s.cg; ++ci)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        const T *row = &columns[((ci * s.kh + i) * s.kw + j) * s.pixels()];
        T *plane = x + ((b * s.c) + g * s.cg + ci) * s.h * s.w;
        for (int64_t oy = 0; oy < s.ho; ++oy) {
          int64_t iy = oy * s.sh - s.pt + i * s.dh;
          if (iy < 0 || iy >= s.h)
            continue;
          for (int64_t ox = 0; ox < s.wo; ++ox) {
            int64_t ix = ox * s.sw - s.pl + j * s.dw;
            if (ix >= 0 && ix < s.w)
              plane[iy * s.w + ix] += row[oy * s.wo + ox];
          }
        }
      }
}

} // namespace

template <typename T>
static void conv2dTyped(const plan::Conv2d &op, Context &ctx) {
  View xv = ctx.view(op.input()), wv = ctx.view(op.weight());
  View yv = ctx.view(op.output());
  const T *x = xv.as<T>(), *w = wv.as<T>();
  T *y = yv.as<T>();
  ConvShape s = convShape(op, xv.shape, wv.shape, yv.shape);
  std::vector<T> columns(size_t(s.patch() * s.pixels()));
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t g = 0; g < s.groups; ++g) {
      im2col(s, x, b, g, columns.data());
      // y[b, g*og:(g+1)*og, :] = w[g] (og x patch) * columns (patch x pixels)
      gemm<T>(false, false, s.og(), s.pixels(), s.patch(), T(1),
              w + g * s.og() * s.patch(), columns.data(), T(0),
              y + (b * s.o + g * s.og()) * s.pixels());
    }
  if (op.has_bias()) {
    const T *bias = ctx.view(op.bias()).as<T>();
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t oc = 0; oc < s.o; ++oc)
        for (int64_t p = 0; p < s.pixels(); ++p)
          y[(b * s.o + oc) * s.pixels() + p] += bias[oc];
  }
  if (op.relu())
    for (uint64_t i = 0; i < yv.count; ++i)
      y[i] = y[i] > 0 ? y[i] : T(0);
}

/// dl.im2col and dl.col2im: the windows as rows [N*Ho*Wo, C*kH*kW], or
/// the rows added back into the image.
template <typename T>
static void windowsTyped(const plan::Im2Col &op, const View &image,
                         const View &cols) {
  int64_t n = image.shape[0], c = image.shape[1], h = image.shape[2],
          w = image.shape[3];
  int64_t kh = op.kernel()->Get(0), kw = op.kernel()->Get(1);
  int64_t sh = op.stride()->Get(0), sw = op.stride()->Get(1);
  int64_t pt = op.padding()->Get(0), pl = op.padding()->Get(1);
  int64_t dh = op.dilation()->Get(0), dw = op.dilation()->Get(1);
  int64_t patch = c * kh * kw;
  int64_t pixels = n ? cols.shape[0] / n : 0;
  int64_t wo = (w + pl + op.padding()->Get(3) - dw * (kw - 1) - 1) / sw + 1;
  int64_t ho = wo ? pixels / wo : 0;
  T *x = image.as<T>(), *m = cols.as<T>();
  if (op.col2im())
    std::fill(x, x + image.count, T(0));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        T *row = m + ((b * ho + oy) * wo + ox) * patch;
        for (int64_t ci = 0; ci < c; ++ci)
          for (int64_t i = 0; i < kh; ++i) {
            int64_t iy = oy * sh - pt + i * dh;
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ix = ox * sw - pl + j * dw;
              T &entry = row[(ci * kh + i) * kw + j];
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                if (!op.col2im())
                  entry = T(0);
                continue;
              }
              T &pixel = x[((b * c + ci) * h + iy) * w + ix];
              if (op.col2im())
                pixel += entry;
              else
                entry = pixel;
            }
          }
      }
}

Status runIm2Col(const plan::Im2Col &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  const View &image = op.col2im() ? out : in;
  const View &cols = op.col2im() ? in : out;
  if (image.dtype == DType::F64)
    windowsTyped<double>(op, image, cols);
  else
    windowsTyped<float>(op, image, cols);
  return Status::ok();
}

Status runConv2d(const plan::Conv2d &op, Context &ctx) {
  // Empty shapes need no special case: gemm makes an empty sum zero.
  if (ctx.view(op.output()).dtype == DType::F64)
    conv2dTyped<double>(op, ctx);
  else
    conv2dTyped<float>(op, ctx);
  return Status::ok();
}

template <typename T>
static void conv2dGradTyped(const plan::Conv2dGrad &op, Context &ctx) {
  View gv = ctx.view(op.grad()), other = ctx.view(op.other());
  View out = ctx.view(op.output());
  const View &xv = op.wrt_weight() ? other : out;
  const View &wv = op.wrt_weight() ? out : other;
  ConvShape s = convShape(op, xv.shape, wv.shape, gv.shape);
  const T *grad = gv.as<T>();
  T *result = out.as<T>();
  std::fill(result, result + out.count, T(0));
  std::vector<T> columns(size_t(s.patch() * s.pixels()));
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t g = 0; g < s.groups; ++g) {
      const T *gy = grad + (b * s.o + g * s.og()) * s.pixels();
      if (op.wrt_weight()) {
        // dW[g] (og x patch) += dY (og x pixels) * columns^T
        im2col(s, xv.as<T>(), b, g, columns.data());
        gemm<T>(false, true, s.og(), s.patch(), s.pixels(), T(1), gy,
                columns.data(), T(1), result + g * s.og() * s.patch());
      } else {
        // columns (patch x pixels) = W[g]^T (patch x og) * dY (og x pixels)
        gemm<T>(true, false, s.patch(), s.pixels(), s.og(), T(1),
                wv.as<T>() + g * s.og() * s.patch(), gy, T(0), columns.data());
        col2im(s, columns.data(), b, g, result);
      }
    }
  if (op.with_bias_grad()) {
    // In double and in input order, as a Reduce step sums.
    std::vector<double> sums(size_t(s.o), 0.0);
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t oc = 0; oc < s.o; ++oc)
        for (int64_t p = 0; p < s.pixels(); ++p)
          sums[oc] += double(grad[(b * s.o + oc) * s.pixels() + p]);
    T *bias = ctx.view(op.bias_grad()).as<T>();
    for (int64_t oc = 0; oc < s.o; ++oc)
      bias[oc] = T(sums[oc]);
  }
}

Status runConv2dGrad(const plan::Conv2dGrad &op, Context &ctx) {
  if (ctx.view(op.output()).dtype == DType::F64)
    conv2dGradTyped<double>(op, ctx);
  else
    conv2dGradTyped<float>(op, ctx);
  return Status::ok();
}

/// One pooling window: clipped first to the padded input (its size is the
/// divisor with count_include_pad), then to the input itself.
struct PoolWindow {
  int64_t y0, y1, x0, x1; // clipped to the input
  int64_t padded;         // the size clipped to the padded input only
};

static PoolWindow poolWindow(int64_t oy, int64_t ox, int64_t h, int64_t w,
                             const int64_t k[2], const int64_t s[2],
                             const int64_t pad[4]) {
  int64_t y0 = oy * s[0] - pad[0], x0 = ox * s[1] - pad[1];
  int64_t y1 = std::min(y0 + k[0], h + pad[2]), x1 = std::min(x0 + k[1], w + pad[3]);
  PoolWindow window;
  window.padded = (y1 - y0) * (x1 - x0);
  window.y0 = std::max<int64_t>(y0, 0);
  window.x0 = std::max<int64_t>(x0, 0);
  window.y1 = std::min(y1, h);
  window.x1 = std::min(x1, w);
  return window;
}

template <typename T>
static void pool2dGradTyped(const plan::Pool2dGrad &op, Context &ctx) {
  View xv = ctx.view(op.input()), gv = ctx.view(op.grad());
  View dv = ctx.view(op.output());
  const T *x = xv.as<T>(), *g = gv.as<T>();
  T *dx = dv.as<T>();
  int64_t planes = dv.shape[0] * dv.shape[1];
  int64_t h = dv.shape[2], w = dv.shape[3], ho = gv.shape[2], wo = gv.shape[3];
  int64_t k[2] = {op.kernel()->Get(0), op.kernel()->Get(1)};
  int64_t s[2] = {op.stride()->Get(0), op.stride()->Get(1)};
  int64_t pad[4] = {op.padding()->Get(0), op.padding()->Get(1),
                    op.padding()->Get(2), op.padding()->Get(3)};
  bool isMax = op.kind() == plan::PoolKind::Max;
  // Max pooling reads the input, which may share bytes with nothing else;
  // the result is written only after each plane's windows are read.
  std::vector<T> plane(size_t(h * w));
  for (int64_t p = 0; p < planes; ++p) {
    std::fill(plane.begin(), plane.end(), T(0));
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        PoolWindow win = poolWindow(oy, ox, h, w, k, s, pad);
        T grad = g[(p * ho + oy) * wo + ox];
        if (isMax) {
          // The same choice as the forward pass: the first maximum, or the
          // last NaN.
          double best = -std::numeric_limits<double>::infinity();
          int64_t where = win.y0 * w + win.x0;
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix) {
              double v = x[(p * h + iy) * w + ix];
              if (std::isnan(v) || v > best) {
                best = v;
                where = iy * w + ix;
              }
            }
          plane[where] += grad;
        } else {
          int64_t count = op.count_include_pad()
                              ? win.padded
                              : (win.y1 - win.y0) * (win.x1 - win.x0);
          T share = grad / T(std::max<int64_t>(count, 1));
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix)
              plane[iy * w + ix] += share;
        }
      }
    std::copy(plane.begin(), plane.end(), dx + p * h * w);
  }
}

Status runPool2dGrad(const plan::Pool2dGrad &op, Context &ctx) {
  View out = ctx.view(op.output());
  if (out.count == 0)
    return Status::ok();
  if (out.dtype == DType::F64)
    pool2dGradTyped<double>(op, ctx);
  else
    pool2dGradTyped<float>(op, ctx);
  return Status::ok();
}

template <typename T>
static void pool2dTyped(const plan::Pool2d &op, Context &ctx) {
  View xv = ctx.view(op.input()), yv = ctx.view(op.output());
  const T *x = xv.as<T>();
  T *y = yv.as<T>();
  int64_t planes = xv.shape[0] * xv.shape[1];
  int64_t h = xv.shape[2], w = xv.shape[3], ho = yv.shape[2], wo = yv.shape[3];
  int64_t k[2] = {op.kernel()->Get(0), op.kernel()->Get(1)};
  int64_t s[2] = {op.stride()->Get(0), op.stride()->Get(1)};
  int64_t pad[4] = {op.padding()->Get(0), op.padding()->Get(1),
                    op.padding()->Get(2), op.padding()->Get(3)};
  bool isMax = op.kind() == plan::PoolKind::Max;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < ho; ++oy)
      for (int64_t ox = 0; ox < wo; ++ox) {
        PoolWindow win = poolWindow(oy, ox, h, w, k, s, pad);
        double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) {
            double v = x[(p * h + iy) * w + ix];
            acc = isMax ? (std::isnan(v) || v > acc ? v : acc) : acc + v;
          }
        if (!isMax) {
          // count_include_pad divides by the window clipped to the padded
          // input only.
          int64_t count = op.count_include_pad()
                              ? win.padded
                              : (win.y1 - win.y0) * (win.x1 - win.x0);
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

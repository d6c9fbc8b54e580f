//===- ResampleOps.cpp - ONNX Resize, Upsample, GridSample, AffineGrid ----===//
//
// Resize interpolates each axis on its own (ONNX's reference nests 1-D
// interpolations, and every mode is linear in the data), so an N-D resize
// is a sequence of 1-D ones, one per axis whose size or sample positions
// change. Shapes are static, so the taps of every output position (input
// indices and weights, from the coordinate transform, the neighbour choice,
// edge padding and exclude_outside as the reference computes them) are
// worked out here: an axis becomes one gather per tap, weighted by a
// constant broadcast along the other axes and summed. Nearest sampling, and
// any axis whose positions land on input pixels, is a single gather.
//
// GridSample's positions are data, so its taps are computed by elementwise
// ops at run time and gathered from the image laid out as rows of channels;
// AffineGrid, which makes such grids, is a constant times theta.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include <algorithm>
#include <array>
#include <cmath>

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

struct ResizeMode {
  std::string mode = "nearest";         // nearest, linear, cubic
  std::string transform = "half_pixel"; // coordinate_transformation_mode
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false, antialias = false;
  double extrapolation = 0;
};

/// One axis: `count` taps per output position, tap-major.
struct Taps {
  int64_t out = 0, count = 0;
  std::vector<int64_t> index;  // [count][out], clamped into [0, in)
  std::vector<double> weight;  // [count][out]
  std::vector<double> outside; // [out]: 1 where the extrapolation value goes
};

/// The input coordinate of output position `x`; false when it falls outside
/// the crop (tf_crop_and_resize), where the extrapolation value goes.
bool sourceCoordinate(const ResizeMode &m, double x, double scale, int64_t in,
                      int64_t outInt, double roiStart, double roiEnd,
                      double &source) {
  double outWidth = scale * double(in);
  const std::string &t = m.transform;
  if (t == "align_corners") {
    source = outWidth == 1 ? 0.0 : x * double(in - 1) / (outWidth - 1);
  } else if (t == "asymmetric") {
    source = x / scale;
  } else if (t == "tf_crop_and_resize") {
    source = outWidth == 1
                 ? (roiEnd - roiStart) * double(in - 1) / 2
                 : x * (roiEnd - roiStart) * double(in - 1) / (outWidth - 1);
    source += roiStart * double(in - 1);
    if (source < 0 || source > double(in - 1))
      return false;
  } else if (t == "pytorch_half_pixel") {
    source = outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  } else if (t == "half_pixel_symmetric") {
    double adjustment = double(outInt) / outWidth;
    double offset = double(in) / 2 * (1 - adjustment);
    source = offset + (x + 0.5) / scale - 0.5;
  } else { // half_pixel
    source = (x + 0.5) / scale - 0.5;
  }
  return true;
}

/// The weights of the taps around a coordinate `ratio` (in (0, 1]) past
/// the tap before it.
std::vector<double> coefficients(const ResizeMode &m, double ratio,
                                 double scale) {
  if (m.mode == "nearest") {
    if (ratio == 1)
      return {0, 1};
    const std::string &n = m.nearest;
    bool up = n == "ceil" || (n == "round_prefer_ceil" && ratio >= 0.5) ||
              (n == "round_prefer_floor" && ratio > 0.5);
    return {up ? 0.0 : 1.0, up ? 1.0 : 0.0};
  }
  std::vector<double> c;
  if (m.mode == "linear" && !m.antialias)
    return {1 - ratio, ratio};
  if (m.mode == "cubic" && !m.antialias) {
    double a = m.cubicA, r = ratio, s = 1 - ratio;
    return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
  }
  // Antialiasing widens the filter by the downsampling factor.
  double s = std::min(scale, 1.0), sum = 0;
  if (m.mode == "linear") {
    int64_t start = int64_t(std::floor(-1 / s) + 1);
    for (int64_t i = start; i < start + 2 - 2 * start; ++i)
      c.push_back(std::clamp(1 - std::abs((double(i) - ratio) * s), 0.0, 1.0));
  } else {
    double a = m.cubicA;
    int64_t start = int64_t(std::floor(-2 / s) + 1);
    for (int64_t i = start; i < 2 - start; ++i) {
      double x = std::abs(s * (double(i) - ratio)), x2 = x * x, x3 = x2 * x;
      c.push_back(x <= 1  ? (a + 2) * x3 - (a + 3) * x2 + 1
                  : x < 2 ? a * x3 - 5 * a * x2 + 8 * a * x - 4 * a
                          : 0.0);
    }
  }
  for (double v : c)
    sum += v;
  for (double &v : c)
    v /= sum;
  return c;
}

Taps tapsOf(const ResizeMode &m, int64_t in, int64_t out, double scale,
            double roiStart, double roiEnd) {
  Taps taps;
  taps.out = out;
  taps.outside.assign(out, 0);
  std::vector<std::vector<std::pair<int64_t, double>>> perOutput(out);
  for (int64_t o = 0; o < out; ++o) {
    double source;
    if (!sourceCoordinate(m, double(o), scale, in, out, roiStart, roiEnd,
                          source)) {
      taps.outside[o] = 1;
      continue;
    }
    double floorSource = std::floor(source);
    double ratio = source == floorSource ? 1.0 : source - floorSource;
    std::vector<double> c = coefficients(m, ratio, scale);
    int64_t n = c.size(), pad = (n + 1) / 2, limit = in + 2 * pad;
    // The n positions of the edge-padded axis nearest to the coordinate,
    // the smaller one on a tie.
    double x = source + double(pad);
    int64_t s = std::clamp<int64_t>(int64_t(std::floor(x)) - n / 2 + 1, 0,
                                    std::max<int64_t>(limit - n, 0));
    while (s > 0 && x - double(s - 1) <= double(s + n - 1) - x)
      --s;
    while (s + n < limit && double(s + n) - x < x - double(s))
      ++s;
    double kept = 0;
    for (int64_t j = 0; j < n; ++j) {
      int64_t i = s + j - pad;
      if (m.excludeOutside && (i < 0 || i >= in))
        c[j] = 0;
      kept += c[j];
    }
    for (int64_t j = 0; j < n; ++j) {
      int64_t i = std::clamp<int64_t>(s + j - pad, 0, in - 1);
      perOutput[o].push_back({i, m.excludeOutside ? c[j] / kept : c[j]});
    }
    taps.count = std::max<int64_t>(taps.count, n);
  }
  taps.index.assign(taps.count * out, 0);
  taps.weight.assign(taps.count * out, 0);
  for (int64_t o = 0; o < out; ++o)
    for (auto [j, tap] : llvm::enumerate(perOutput[o])) {
      taps.index[j * out + o] = tap.first;
      taps.weight[j * out + o] = tap.second;
    }
  return taps;
}

/// The index each output position copies when every position has one tap
/// of weight 1 and the rest 0 (and none is extrapolated); empty otherwise.
std::vector<int64_t> copiedIndices(const Taps &taps) {
  std::vector<int64_t> copied(taps.out, -1);
  for (int64_t o = 0; o < taps.out; ++o) {
    if (taps.outside[o] != 0)
      return {};
    for (int64_t j = 0; j < taps.count; ++j) {
      double w = taps.weight[j * taps.out + o];
      if (w == 1 && copied[o] < 0)
        copied[o] = taps.index[j * taps.out + o];
      else if (w != 0)
        return {};
    }
    if (copied[o] < 0)
      return {};
  }
  return copied;
}

/// Resamples `x` along `axis` by `taps`.
Value resampleAxis(NodeContext &ctx, Value x, int64_t axis, const Taps &taps,
                   const ResizeMode &m) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t in = type.getDimSize(axis);
  std::vector<int64_t> copied = copiedIndices(taps);
  if (!copied.empty()) {
    bool identity = taps.out == in;
    for (int64_t o = 0; o < taps.out && identity; ++o)
      identity = copied[o] == o;
    if (identity)
      return x;
    Value idx = ctx.intConstant({taps.out}, ctx.b.getIntegerType(64), copied);
    return ctx.make<GatherOp>(x, idx, uint64_t(axis));
  }
  auto elt = dyn_cast<FloatType>(type.getElementType());
  if (!elt) {
    ctx.error() << m.mode << " resizing of " << type.getElementType()
                << " is not supported (nearest is)";
    return nullptr;
  }
  // The weights broadcast along every axis but this one.
  SmallVector<int64_t> along(type.getRank(), 1);
  along[axis] = taps.out;
  Value sum;
  auto add = [&](Value term) {
    sum = !term ? nullptr : !sum ? term : ctx.make<AddOp>(sum, term);
  };
  for (int64_t j = 0; j < taps.count; ++j) {
    ArrayRef<double> w(taps.weight.data() + j * taps.out, taps.out);
    if (llvm::all_of(w, [](double v) { return v == 0; }))
      continue;
    Value idx = ctx.intConstant(
        {taps.out}, ctx.b.getIntegerType(64),
        ArrayRef<int64_t>(taps.index.data() + j * taps.out, taps.out));
    Value gathered = ctx.make<GatherOp>(x, idx, uint64_t(axis));
    if (!gathered)
      return nullptr;
    add(ctx.make<MulOp>(gathered, ctx.floatConstant(along, elt, w)));
    if (!sum)
      return nullptr;
  }
  if (m.extrapolation != 0 &&
      llvm::any_of(taps.outside, [](double v) { return v != 0; })) {
    std::vector<double> fill;
    for (double v : taps.outside)
      fill.push_back(v * m.extrapolation);
    Value constant = ctx.floatConstant(along, elt, fill);
    if (!sum) {
      SmallVector<int64_t> shape(type.getShape());
      shape[axis] = taps.out;
      return ctx.broadcastTo(constant, shape);
    }
    add(constant);
  }
  if (!sum) { // every position extrapolated with 0
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = taps.out;
    return ctx.broadcastTo(ctx.floatConstant(along, elt, taps.outside), shape);
  }
  return sum;
}

/// The values of an optional input needed at compile time; none when it
/// is absent or empty (Resize passes an empty `scales` next to `sizes`).
FailureOr<SmallVector<double>> optionalFloats(NodeContext &ctx, unsigned i,
                                              StringRef what) {
  if (!ctx.has(i))
    return SmallVector<double>();
  return ctx.numbers(i, what);
}

LogicalResult resize(NodeContext &ctx, const ResizeMode &m,
                     ArrayRef<double> scalesIn, ArrayRef<int64_t> sizesIn,
                     ArrayRef<double> roiIn, ArrayRef<int64_t> axes,
                     StringRef policy) {
  int64_t rank = ctx.rank(0);
  ArrayRef<int64_t> shape = ctx.type(0).getShape();
  SmallVector<int64_t> out(shape);
  SmallVector<double> scales(rank, 1.0), roi(2 * rank);
  for (int64_t d = 0; d < rank; ++d)
    roi[d] = 0, roi[rank + d] = 1;
  if (!roiIn.empty()) {
    if (int64_t(roiIn.size()) != 2 * int64_t(axes.size()))
      return ctx.error() << "roi has " << roiIn.size() << " values, expected "
                         << 2 * axes.size(),
             failure();
    for (auto [i, d] : llvm::enumerate(axes))
      roi[d] = roiIn[i], roi[rank + d] = roiIn[axes.size() + i];
  }
  if (!scalesIn.empty()) {
    if (scalesIn.size() != axes.size())
      return ctx.error() << "scales has " << scalesIn.size() << " values for "
                         << axes.size() << " axes",
             failure();
    for (auto [i, d] : llvm::enumerate(axes)) {
      if (!(scalesIn[i] > 0))
        return ctx.error() << "scale " << scalesIn[i] << " of axis " << d
                           << " is not positive",
               failure();
      scales[d] = scalesIn[i];
      out[d] = int64_t(scalesIn[i] * double(shape[d]));
    }
  } else {
    if (sizesIn.size() != axes.size())
      return ctx.error() << "sizes has " << sizesIn.size() << " values for "
                         << axes.size() << " axes",
             failure();
    for (auto [i, d] : llvm::enumerate(axes)) {
      if (sizesIn[i] <= 0)
        return ctx.error() << "size " << sizesIn[i] << " of axis " << d
                           << " is not positive",
               failure();
      out[d] = sizesIn[i];
      scales[d] = double(sizesIn[i]) / double(shape[d]);
    }
    if (policy != "stretch") {
      if (policy != "not_larger" && policy != "not_smaller")
        return ctx.error() << "keep_aspect_ratio_policy '" << policy
                           << "' is not stretch, not_larger or not_smaller",
               failure();
      double scale = scales[axes.front()];
      for (int64_t d : axes)
        scale = policy == "not_larger" ? std::min(scale, scales[d])
                                       : std::max(scale, scales[d]);
      for (int64_t d : axes) {
        scales[d] = scale;
        out[d] = int64_t(scale * double(shape[d]) + 0.5);
      }
    }
  }
  Value y = ctx.in(0);
  for (int64_t d = 0; d < rank && y; ++d) {
    if (out[d] <= 0)
      return ctx.error() << "axis " << d << " of size " << shape[d]
                         << " resized to " << out[d] << " elements",
             failure();
    if (shape[d] == 0)
      return ctx.error() << "axis " << d << " is empty", failure();
    y = resampleAxis(
        ctx, y, d,
        tapsOf(m, shape[d], out[d], scales[d], roi[d], roi[rank + d]), m);
  }
  if (!y)
    return failure();
  ctx.set(0, y);
  return success();
}

LogicalResult convertResize(NodeContext &ctx) {
  ResizeMode m;
  m.mode = ctx.getString("mode", "nearest");
  if (m.mode != "nearest" && m.mode != "linear" && m.mode != "cubic")
    return ctx.error() << "mode '" << m.mode
                       << "' is not nearest, linear or cubic",
           failure();
  int64_t rank = ctx.rank(0);
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d)
    axes.push_back(d);
  SmallVector<double> scales, roi;
  SmallVector<int64_t> sizes;
  std::string policy = "stretch";
  if (ctx.opset < 11) {
    // Resize-10 samples as Upsample did: asymmetric coordinates.
    m.transform = "asymmetric";
    auto s = optionalFloats(ctx, 1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  } else {
    m.transform = ctx.getString("coordinate_transformation_mode", "half_pixel");
    static const char *transforms[] = {
        "half_pixel",    "half_pixel_symmetric", "pytorch_half_pixel",
        "align_corners", "asymmetric",           "tf_crop_and_resize"};
    if (!llvm::is_contained(transforms, m.transform))
      return ctx.error() << "coordinate_transformation_mode '" << m.transform
                         << "' is not one ONNX defines",
             failure();
    m.nearest = ctx.getString("nearest_mode", "round_prefer_floor");
    static const char *nearest[] = {"round_prefer_floor", "round_prefer_ceil",
                                    "floor", "ceil"};
    if (!llvm::is_contained(nearest, m.nearest))
      return ctx.error() << "nearest_mode '" << m.nearest
                         << "' is not one ONNX defines",
             failure();
    m.cubicA = ctx.getFloat("cubic_coeff_a", -0.75);
    m.excludeOutside = ctx.getInt("exclude_outside", 0) != 0;
    m.extrapolation = ctx.getFloat("extrapolation_value", 0);
    m.antialias = ctx.getInt("antialias", 0) != 0 && m.mode != "nearest";
    policy = ctx.getString("keep_aspect_ratio_policy", "stretch");
    if (auto a = ctx.getInts("axes")) {
      axes.clear();
      for (int64_t v : *a) {
        auto axis = ctx.axis(v, rank, "axes");
        if (failed(axis))
          return failure();
        if (llvm::is_contained(axes, *axis))
          return ctx.error() << "axis " << *axis << " is repeated", failure();
        axes.push_back(*axis);
      }
    }
    auto r = optionalFloats(ctx, 1, "roi");
    auto s = optionalFloats(ctx, 2, "scales");
    if (failed(r) || failed(s))
      return failure();
    if (m.transform == "tf_crop_and_resize")
      roi = *r;
    scales = *s;
    if (ctx.has(3)) {
      auto values = ctx.ints(3, "sizes");
      if (failed(values))
        return failure();
      sizes = *values;
    }
  }
  if (scales.empty() == sizes.empty())
    return ctx.error() << "exactly one of scales and sizes must be given",
           failure();
  return resize(ctx, m, scales, sizes, roi, axes, policy);
}

/// Upsample (opsets 7-9): Resize with asymmetric coordinates, nearest
/// rounding down.
LogicalResult convertUpsample(NodeContext &ctx) {
  ResizeMode m;
  m.mode = ctx.getString("mode", "nearest");
  if (m.mode == "bilinear")
    m.mode = "linear";
  if (m.mode != "nearest" && m.mode != "linear")
    return ctx.error() << "mode '" << m.mode << "' is not nearest or linear",
           failure();
  m.transform = "asymmetric";
  m.nearest = "floor";
  SmallVector<double> scales;
  if (ctx.opset < 9) {
    for (float v : ctx.getFloats("scales").value_or(SmallVector<float>()))
      scales.push_back(v);
  } else {
    auto s = optionalFloats(ctx, 1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  }
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < ctx.rank(0); ++d)
    axes.push_back(d);
  return resize(ctx, m, scales, {}, {}, axes, "stretch");
}

/// Elementwise helpers over the sample positions of GridSample.
class Positions {
public:
  Positions(NodeContext &ctx, Type elt) : ctx(ctx), elt(elt) {}

  Value c(double v) { return ctx.scalarOf(elt, v); }
  Value add(Value a, Value b) { return ctx.make<AddOp>(a, b); }
  Value sub(Value a, Value b) { return ctx.make<SubOp>(a, b); }
  Value mul(Value a, Value b) { return ctx.make<MulOp>(a, b); }
  Value floor(Value v) { return FloorOp::create(ctx.b, ctx.loc, v); }
  Value less(Value a, Value b) {
    return ctx.make<CompareOp>(CompareDirection::LT, a, b);
  }
  Value select(Value p, Value a, Value b) {
    return ctx.make<SelectOp>(p, a, b);
  }
  Value clamp(Value v, double lo, double hi) {
    return ctx.make<MinOp>(ctx.make<MaxOp>(v, c(lo)), c(hi));
  }
  /// `v` reflected off lo and hi until inside them (ONNX's _gs_reflect).
  Value reflect(Value v, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0)
      return ctx.broadcastTo(c(lo),
                             cast<RankedTensorType>(v.getType()).getShape());
    auto bounce = [&](Value past, Value from, Value to, bool below) {
      // past >= 0 beyond the bound; n whole ranges and r left.
      Value n = floor(mul(past, c(1 / range)));
      Value r = sub(past, mul(n, c(range)));
      Value even = ctx.make<CompareOp>(
          CompareDirection::EQ, sub(n, mul(floor(mul(n, c(0.5))), c(2))), c(0));
      return below ? select(even, add(from, r), sub(to, r))
                   : select(even, sub(from, r), add(to, r));
    };
    Value low = bounce(sub(c(lo), v), c(lo), c(hi), true);
    Value high = bounce(sub(v, c(hi)), c(hi), c(lo), false);
    return select(less(v, c(lo)), low, select(less(c(hi), v), high, v));
  }

  NodeContext &ctx;
  Type elt;
};

/// Cubic convolution weights (Keys, a = -0.75) of the taps at -1, 0, 1, 2
/// for a fraction t, as ONNX's GridSample computes them.
std::array<Value, 4> cubicWeights(Positions &p, Value t) {
  double a = -0.75;
  auto far = [&](Value x) { // |x| in [1, 2]
    return p.sub(
        p.mul(p.add(p.mul(p.sub(p.mul(p.c(a), x), p.c(5 * a)), x), p.c(8 * a)),
              x),
        p.c(4 * a));
  };
  auto near = [&](Value x) { // |x| in [0, 1]
    return p.add(p.mul(p.mul(p.sub(p.mul(p.c(a + 2), x), p.c(a + 3)), x), x),
                 p.c(1));
  };
  Value s = p.sub(p.c(1), t);
  return {far(p.add(t, p.c(1))), near(t), near(s), far(p.add(s, p.c(1)))};
}

/// GridSample (2-D): each output pixel samples the image at the grid's
/// normalized (x, y), nearest, bilinear or bicubic, outside the image
/// zeros, the border or its reflection, as ONNX's reference computes it.
/// The taps are gathers of pixels (all channels at once) from the image
/// laid out [N * H * W, C], weighted and summed.
LogicalResult convertGridSample(NodeContext &ctx) {
  if (ctx.rank(0) != 4 || ctx.rank(1) != 4)
    return ctx.unsupported("GridSample of other than 4-D input");
  auto xType = ctx.type(0), gType = ctx.type(1);
  int64_t n = xType.getDimSize(0), channels = xType.getDimSize(1),
          h = xType.getDimSize(2), w = xType.getDimSize(3);
  int64_t ho = gType.getDimSize(1), wo = gType.getDimSize(2);
  if (gType.getDimSize(0) != n || gType.getDimSize(3) != 2)
    return ctx.error() << "the grid must be [" << n << ", H, W, 2], it is "
                       << formatShape(gType.getShape()),
           failure();
  auto elt = dyn_cast<FloatType>(xType.getElementType());
  if (!elt || gType.getElementType() != elt)
    return ctx.unsupported("GridSample of other than one float type");
  std::string mode =
      ctx.getString("mode", ctx.opset < 20 ? "bilinear" : "linear");
  if (mode == "bilinear")
    mode = "linear";
  if (mode == "bicubic")
    mode = "cubic";
  std::string padding = ctx.getString("padding_mode", "zeros");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return ctx.error() << "mode '" << mode << "' is not one ONNX defines",
           failure();
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return ctx.error() << "padding_mode '" << padding
                       << "' is not zeros, border or reflection",
           failure();
  bool corners = ctx.getInt("align_corners", 0) != 0;
  Positions p(ctx, elt);

  // Denormalized positions, [N, Ho, Wo] each; out of bounds moved in for
  // border and reflection padding.
  auto coordinate = [&](int64_t index, int64_t size) -> Value {
    Value g = ctx.reshape(
        ctx.make<SliceOp>(ctx.in(1), ArrayRef<int64_t>{0, 0, 0, index},
                          ArrayRef<int64_t>{n, ho, wo, index + 1},
                          ArrayRef<int64_t>{1, 1, 1, 1}),
        {n, ho, wo});
    Value v =
        corners
            ? p.mul(p.add(g, p.c(1)), p.c(0.5 * double(size - 1)))
            : p.mul(p.sub(p.mul(p.add(g, p.c(1)), p.c(double(size))), p.c(1)),
                    p.c(0.5));
    if (mode == "nearest")
      v = RoundOp::create(ctx.b, ctx.loc, v);
    double lo = corners ? 0 : -0.5, hi = corners ? size - 1 : size - 0.5;
    // Bicubic border padding clamps only the taps (PyTorch and
    // onnxruntime do; ONNX's reference clamps the position first).
    if (padding == "border" && mode != "cubic")
      v = p.select(
          p.less(v, p.c(lo)), p.clamp(v, 0, double(size - 1)),
          p.select(p.less(p.c(hi), v), p.clamp(v, 0, double(size - 1)), v));
    else if (padding == "reflection")
      v = p.reflect(v, lo, hi);
    return v;
  };
  Value x = coordinate(0, w), y = coordinate(1, h);
  if (!x || !y)
    return failure();

  // A tap at integer position i of an axis of `size`: the index to read
  // and, for zero padding, whether it lies inside.
  double lo = corners ? 0 : -0.5;
  auto tap = [&](Value i, int64_t size, Value &inside) -> Value {
    if (padding == "zeros") {
      Value below = p.less(i, p.c(0)), above = p.less(p.c(double(size - 1)), i);
      Value out = p.select(below, below, above);
      inside = out;
      return p.clamp(i, 0, double(size - 1));
    }
    if (padding == "reflection") {
      Value r = p.reflect(i, lo, corners ? size - 1 : size - 0.5);
      // int() of the reflected position: toward zero.
      Value whole =
          p.select(p.less(r, p.c(0)),
                   ctx.make<NegOp>(p.floor(ctx.make<NegOp>(r))), p.floor(r));
      return p.clamp(whole, 0, double(size - 1));
    }
    return p.clamp(i, 0, double(size - 1));
  };

  // The image as rows of channels, [N * H * W, C].
  Value image = ctx.reshape(
      ctx.make<TransposeOp>(ctx.in(0), ArrayRef<int64_t>{0, 2, 3, 1}),
      {n * h * w, channels});
  Type i64 = ctx.b.getIntegerType(64);
  Value base = ctx.make<MulOp>(ctx.iota({n, ho, wo}, 0),
                               ctx.scalarOf(i64, double(h * w)));
  Value zero = ctx.scalarOf(elt, 0);
  Value sum;
  auto addTap = [&](Value ty, Value tx, Value weight) {
    Value outY, outX;
    Value iy = tap(ty, h, outY), ix = tap(tx, w, outX);
    Value row = ctx.make<AddOp>(
        base, ctx.castTo(p.add(p.mul(iy, p.c(double(w))), ix), i64));
    Value pixels = ctx.make<GatherOp>(image, row, uint64_t(0));
    if (padding == "zeros") {
      Value out = p.select(outY, outY, outX);
      weight =
          weight ? p.select(out, zero, weight) : p.select(out, zero, p.c(1));
    }
    Value term =
        weight ? ctx.make<MulOp>(pixels, ctx.reshape(weight, {n, ho, wo, 1}))
               : pixels;
    sum = !sum ? term : ctx.make<AddOp>(sum, term);
  };
  if (mode == "nearest") {
    addTap(y, x, Value());
  } else {
    Value x0 = p.floor(x), y0 = p.floor(y);
    Value fx = p.sub(x, x0), fy = p.sub(y, y0);
    SmallVector<std::pair<double, Value>> wx, wy; // (offset, weight)
    if (mode == "linear") {
      wx = {{0, p.sub(p.c(1), fx)}, {1, fx}};
      wy = {{0, p.sub(p.c(1), fy)}, {1, fy}};
    } else {
      auto cx = cubicWeights(p, fx), cy = cubicWeights(p, fy);
      for (int k = 0; k < 4; ++k) {
        wx.push_back({double(k - 1), cx[k]});
        wy.push_back({double(k - 1), cy[k]});
      }
    }
    for (auto &[dy, weightY] : wy)
      for (auto &[dx, weightX] : wx)
        addTap(p.add(y0, p.c(dy)), p.add(x0, p.c(dx)), p.mul(weightY, weightX));
  }
  if (!sum)
    return failure();
  Value result = ctx.make<TransposeOp>(sum, ArrayRef<int64_t>{0, 3, 1, 2});
  ctx.set(0, result);
  return success(result != nullptr);
}

/// AffineGrid: the normalized positions of every output pixel (x first,
/// then y, then z; pixel centres, or the corners with align_corners) as a
/// homogeneous constant [pixels, k + 1], times each theta [k, k + 1]
/// transposed: the grid GridSample reads, [N, spatial..., k].
LogicalResult convertAffineGrid(NodeContext &ctx) {
  auto size = ctx.ints(1, "size");
  if (failed(size))
    return failure();
  int64_t k = int64_t(size->size()) - 2;
  if (k != 2 && k != 3)
    return ctx.error() << "size must have 4 or 5 values, it has "
                       << size->size(),
           failure();
  auto theta = ctx.type(0);
  int64_t n = (*size)[0];
  if (theta.getRank() != 3 || theta.getDimSize(0) != n ||
      theta.getDimSize(1) != k || theta.getDimSize(2) != k + 1)
    return ctx.error() << "theta is " << formatShape(theta.getShape())
                       << ", expected [" << n << ", " << k << ", " << k + 1
                       << "]",
           failure();
  auto elt = dyn_cast<FloatType>(theta.getElementType());
  if (!elt)
    return ctx.unsupported("AffineGrid of integers");
  bool corners = ctx.getInt("align_corners", 0) != 0;
  SmallVector<int64_t> spatial(size->begin() + 2, size->end());
  int64_t pixels = 1;
  for (int64_t d : spatial) {
    if (d <= 0)
      return ctx.error() << "size has a dimension of " << d, failure();
    pixels *= d;
  }
  auto position = [&](int64_t i, int64_t extent) {
    if (corners)
      return extent == 1 ? -1.0 : -1.0 + 2.0 * double(i) / double(extent - 1);
    return -1.0 + (2.0 * double(i) + 1.0) / double(extent);
  };
  std::vector<double> base;
  for (int64_t p = 0; p < pixels; ++p) {
    // Row-major over spatial; the homogeneous coordinates start with the
    // last (fastest) dimension: (x, y[, z], 1).
    SmallVector<int64_t> index(k);
    for (int64_t d = k - 1, rest = p; d >= 0; --d)
      index[d] = rest % spatial[d], rest /= spatial[d];
    for (int64_t d = k - 1; d >= 0; --d)
      base.push_back(position(index[d], spatial[d]));
    base.push_back(1.0);
  }
  Value grid = ctx.make<MatmulOp>(ctx.floatConstant({pixels, k + 1}, elt, base),
                                  ctx.in(0), false, true);
  if (!grid)
    return failure();
  SmallVector<int64_t> shape{n};
  shape.append(spatial);
  shape.push_back(k);
  ctx.set(0, ctx.reshape(grid, shape));
  return success();
}

} // namespace

void dlc::onnx::registerResampleOps(ConverterTable &t) {
  t.add("AffineGrid", 20, convertAffineGrid);
  t.add("GridSample", 16, convertGridSample);
  t.add("Resize", 10, convertResize);
  t.add("Upsample", 7, convertUpsample);
}

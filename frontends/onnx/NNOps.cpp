//===- NNOps.cpp - ONNX matrix products, convolution, pooling, norms ------===//
//
// dl's convolution and pooling are 2-D (NCHW); 1-D ones run as 2-D with a
// height of 1. Normalizations without a dl op (instance, group and
// mean-variance normalization, LRN) are written with reductions and
// elementwise ops.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

LogicalResult convertMatMul(NodeContext &ctx) {
  Value a = ctx.in(0), b = ctx.in(1);
  if (ctx.rank(0) == 0 || ctx.rank(1) == 0)
    return ctx.unsupported("MatMul of a scalar");
  // numpy's rules for vectors: [K] is [1, K] on the left, [K, 1] on the
  // right, and the added dimension is dropped from the result.
  bool aVector = ctx.rank(0) == 1, bVector = ctx.rank(1) == 1;
  if (aVector)
    a = ctx.reshape(a, {1, ctx.type(0).getDimSize(0)});
  if (bVector)
    b = ctx.reshape(b, {ctx.type(1).getDimSize(0), 1});
  Value r = ctx.make<MatmulOp>(a, b, false, false);
  if (!r)
    return failure();
  SmallVector<int64_t> shape(cast<RankedTensorType>(r.getType()).getShape());
  if (bVector)
    shape.erase(shape.end() - 1);
  if (aVector)
    shape.erase(shape.end() - (bVector ? 1 : 2));
  ctx.set(0, ctx.reshape(r, shape));
  return success();
}

LogicalResult convertGemm(NodeContext &ctx) {
  if (ctx.rank(0) != 2 || ctx.rank(1) != 2)
    return ctx.error() << "A and B must be matrices", failure();
  Value y = ctx.make<MatmulOp>(ctx.in(0), ctx.in(1),
                               ctx.getInt("transA", 0) != 0,
                               ctx.getInt("transB", 0) != 0);
  if (!y)
    return failure();
  Type elt = ctx.type(0).getElementType();
  double alpha = ctx.getFloat("alpha", 1.0), beta = ctx.getFloat("beta", 1.0);
  if (alpha != 1.0)
    y = ctx.make<MulOp>(y, ctx.scalarOf(elt, alpha));
  if (y && ctx.has(2) && beta != 0.0) {
    Value c = ctx.in(2);
    if (beta != 1.0)
      c = ctx.make<MulOp>(c, ctx.scalarOf(elt, beta));
    auto yType = cast<RankedTensorType>(y.getType());
    y = ctx.make<AddOp>(y, c);
    // C broadcasts to Y, never the other way.
    if (y && cast<RankedTensorType>(y.getType()) != yType)
      return ctx.error() << "C does not broadcast to the result's shape",
             failure();
  }
  ctx.set(0, y);
  return success(y != nullptr);
}

/// The spatial attributes of Conv and the pools, normalized to 2-D.
struct Window {
  SmallVector<int64_t, 2> kernel, stride, dilation;
  SmallVector<int64_t, 4> padding; // top, left, bottom, right
  bool oneD = false;
};

/// strides and dilations (default 1) and pads (default 0) of a node with
/// `spatial` spatial dimensions, as the attributes give them (sizes unchecked).
struct SpatialAttrs {
  SmallVector<int64_t> strides, dilations, pads;
};

SpatialAttrs readSpatialAttrs(NodeContext &ctx, int64_t spatial) {
  return {ctx.getInts("strides").value_or(SmallVector<int64_t>(spatial, 1)),
          ctx.getInts("dilations").value_or(SmallVector<int64_t>(spatial, 1)),
          ctx.getInts("pads").value_or(SmallVector<int64_t>(2 * spatial, 0))};
}

/// Reads kernel_shape (or `kernel` from the weight), strides, dilations,
/// pads and auto_pad for an input of rank 3 (1-D) or 4 (2-D).
FailureOr<Window> readWindow(NodeContext &ctx, ArrayRef<int64_t> kernelFromWeight) {
  Window w;
  int64_t rank = ctx.rank(0);
  if (rank != 3 && rank != 4)
    return (void)ctx.unsupported(Twine(rank - 2) + "-D " + ctx.node.op_type()),
           failure();
  int64_t spatial = rank - 2;
  w.oneD = spatial == 1;
  SmallVector<int64_t> kernel(kernelFromWeight);
  if (auto attr = ctx.getInts("kernel_shape"))
    kernel = *attr;
  auto [strides, dilations, pads] = readSpatialAttrs(ctx, spatial);
  if (int64_t(kernel.size()) != spatial || int64_t(strides.size()) != spatial ||
      int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial)
    return ctx.error() << "kernel_shape, strides, dilations and pads must "
                          "match the input's "
                       << spatial << " spatial dimension(s)",
           failure();
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t in = ctx.type(0).getDimSize(2 + i);
      int64_t out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in);
      int64_t small = total / 2, large = total - small;
      pads[i] = autoPad == "SAME_UPPER" ? small : large;
      pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad != "NOTSET") {
    return (void)ctx.unsupported("auto_pad='" + autoPad + "'"), failure();
  }
  if (w.oneD) {
    w.kernel = {1, kernel[0]};
    w.stride = {1, strides[0]};
    w.dilation = {1, dilations[0]};
    w.padding = {0, pads[0], 0, pads[1]};
  } else {
    w.kernel.assign(kernel.begin(), kernel.end());
    w.stride.assign(strides.begin(), strides.end());
    w.dilation.assign(dilations.begin(), dilations.end());
    w.padding = {pads[0], pads[1], pads[2], pads[3]};
  }
  return w;
}

/// [N, C, W] as [N, C, 1, W].
Value as2d(NodeContext &ctx, Value v) {
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  return ctx.reshape(v, {shape[0], shape[1], 1, shape[2]});
}

Value from2d(NodeContext &ctx, Value v) {
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  return ctx.reshape(v, {shape[0], shape[1], shape[3]});
}

LogicalResult convertConv(NodeContext &ctx) {
  if (ctx.rank(1) != ctx.rank(0))
    return ctx.error() << "W must have the input's rank", failure();
  auto weightShape = ctx.type(1).getShape();
  auto window = readWindow(ctx, weightShape.drop_front(2));
  if (failed(window))
    return failure();
  Value x = ctx.in(0), w = ctx.in(1);
  if (window->oneD) {
    x = as2d(ctx, x);
    w = as2d(ctx, w);
  }
  Value bias = ctx.has(2) ? ctx.in(2) : Value();
  Value y = ctx.make<Conv2dOp>(x, w, bias, window->stride, window->padding,
                               window->dilation,
                               uint64_t(ctx.getInt("group", 1)));
  if (y && window->oneD)
    y = from2d(ctx, y);
  ctx.set(0, y);
  return success(y != nullptr);
}

template <bool isMax> LogicalResult convertPool(NodeContext &ctx) {
  auto window = readWindow(ctx, {});
  if (failed(window))
    return failure();
  if (llvm::any_of(window->dilation, [](int64_t d) { return d != 1; }))
    return ctx.unsupported("dilations other than 1");
  if (ctx.wants(1))
    return ctx.unsupported("the Indices output");
  Value x = ctx.in(0);
  if (window->oneD)
    x = as2d(ctx, x);
  auto stride = DenseI64ArrayAttr::get(ctx.b.getContext(), window->stride);
  bool ceil = ctx.getInt("ceil_mode", 0) != 0;
  Value y;
  if (isMax)
    y = ctx.make<MaxPool2dOp>(x, ArrayRef<int64_t>(window->kernel), stride,
                              ArrayRef<int64_t>(window->padding), ceil);
  else
    y = ctx.make<AvgPool2dOp>(x, ArrayRef<int64_t>(window->kernel), stride,
                              ArrayRef<int64_t>(window->padding), ceil,
                              ctx.getInt("count_include_pad", 0) != 0);
  if (y && window->oneD)
    y = from2d(ctx, y);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// (sum of |x|^p over the window)^(1/p): an average pool counting the
/// padding, times the window's size.
LogicalResult convertLpPool(NodeContext &ctx) {
  auto window = readWindow(ctx, {});
  if (failed(window))
    return failure();
  if (llvm::any_of(window->dilation, [](int64_t d) { return d != 1; }))
    return ctx.unsupported("dilations other than 1");
  Value x = ctx.in(0);
  if (window->oneD)
    x = as2d(ctx, x);
  Type elt = ctx.type(0).getElementType();
  double p = double(ctx.getInt("p", 2));
  Value powered = ctx.make<PowOp>(AbsOp::create(ctx.b, ctx.loc, x),
                                  ctx.scalarOf(elt, p));
  auto stride = DenseI64ArrayAttr::get(ctx.b.getContext(), window->stride);
  Value y = ctx.make<AvgPool2dOp>(powered, ArrayRef<int64_t>(window->kernel),
                                  stride, ArrayRef<int64_t>(window->padding),
                                  ctx.getInt("ceil_mode", 0) != 0, true);
  double area = double(window->kernel[0] * window->kernel[1]);
  y = ctx.make<MulOp>(y, ctx.scalarOf(elt, area));
  y = ctx.make<PowOp>(y, ctx.scalarOf(elt, 1.0 / p));
  if (y && window->oneD)
    y = from2d(ctx, y);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// The transposed convolution is the input gradient of the convolution
/// whose weight it shares.
LogicalResult convertConvTranspose(NodeContext &ctx) {
  if (ctx.rank(1) != ctx.rank(0))
    return ctx.error() << "W must have the input's rank", failure();
  auto weightShape = ctx.type(1).getShape();
  int64_t rank = ctx.rank(0);
  if (rank != 3 && rank != 4)
    return ctx.unsupported(Twine(rank - 2) + "-D ConvTranspose");
  int64_t spatial = rank - 2, group = ctx.getInt("group", 1);
  SmallVector<int64_t> kernel(weightShape.drop_front(2));
  auto [strides, dilations, pads] = readSpatialAttrs(ctx, spatial);
  SmallVector<int64_t> extra = ctx.getInts("output_padding").value_or(
      SmallVector<int64_t>(spatial, 0));
  if (int64_t(strides.size()) != spatial || int64_t(dilations.size()) != spatial ||
      int64_t(pads.size()) != 2 * spatial || int64_t(extra.size()) != spatial)
    return ctx.error() << "strides, dilations, pads and output_padding must "
                          "match the spatial dimensions",
           failure();
  std::string autoPad = ctx.getString("auto_pad", "NOTSET");
  auto outputShape = ctx.getInts("output_shape");
  SmallVector<int64_t> out(spatial);
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = ctx.type(0).getDimSize(2 + i);
    int64_t span = (kernel[i] - 1) * dilations[i] + 1;
    int64_t full = strides[i] * (in - 1) + extra[i] + span;
    if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t target = outputShape ? (*outputShape)[outputShape->size() -
                                                    spatial + i]
                                   : in * strides[i];
      int64_t total = full - target;
      if (total < 0)
        return ctx.unsupported("an output_shape larger than the full output");
      bool lower = autoPad == "SAME_LOWER";
      pads[i] = lower ? total - total / 2 : total / 2;
      pads[i + spatial] = total - pads[i];
    } else if (autoPad == "VALID") {
      pads[i] = pads[i + spatial] = 0;
    }
    out[i] = full - pads[i] - pads[i + spatial];
  }
  Value x = ctx.in(0), w = ctx.in(1);
  Window window;
  if (spatial == 1) {
    x = as2d(ctx, x);
    w = as2d(ctx, w);
    window.stride = {1, strides[0]};
    window.dilation = {1, dilations[0]};
    window.padding = {0, pads[0], 0, pads[1]};
    out.insert(out.begin(), 1);
  } else {
    window.stride.assign(strides.begin(), strides.end());
    window.dilation.assign(dilations.begin(), dilations.end());
    window.padding = {pads[0], pads[1], pads[2], pads[3]};
  }
  auto type = RankedTensorType::get(
      {ctx.type(0).getDimSize(0), weightShape[1] * group, out[0], out[1]},
      ctx.type(0).getElementType());
  Value y = Conv2dGradInputOp::create(ctx.b, ctx.loc, type, x, w,
                                      window.stride, window.padding,
                                      window.dilation, group);
  if (ctx.has(2)) {
    SmallVector<int64_t> biasShape{type.getDimSize(1), 1, 1};
    y = ctx.make<AddOp>(y, ctx.reshape(ctx.in(2), biasShape));
  }
  if (y && spatial == 1)
    y = from2d(ctx, y);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// Col2Im (2-D): the input [N, C * kH * kW, L] holds one window per column;
/// dl.col2im sums one window per row, [N * L, C * kH * kW], into the image.
LogicalResult convertCol2Im(NodeContext &ctx) {
  auto image = ctx.ints(1, "the image shape");
  auto block = ctx.ints(2, "the block shape");
  if (failed(image) || failed(block))
    return failure();
  if (image->size() != 2 || block->size() != 2)
    return ctx.unsupported("Col2Im of other than 2-D images");
  if (ctx.rank(0) != 3)
    return ctx.error() << "input must be [N, C * block size, L]", failure();
  auto [strides, dilations, pads] = readSpatialAttrs(ctx, 2);
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return ctx.error() << "strides, dilations and pads must match the 2 "
                          "image dimensions",
           failure();
  ArrayRef<int64_t> in = ctx.type(0).getShape();
  int64_t windowSize = (*block)[0] * (*block)[1];
  // Windows along each image dimension, as dl.col2im counts them.
  int64_t windows = 1;
  for (int i = 0; i < 2; ++i) {
    int64_t span = ((*block)[i] - 1) * dilations[i] + 1;
    int64_t room = (*image)[i] + pads[i] + pads[i + 2] - span;
    if ((*block)[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0 || room < 0)
      return ctx.error() << "the block does not fit the padded image",
             failure();
    windows *= room / strides[i] + 1;
  }
  if (in[1] % windowSize || in[2] != windows)
    return ctx.error() << "input must be [N, C * " << windowSize << ", "
                       << windows << "] for this image and block, not "
                       << ctx.type(0),
           failure();
  Value rows =
      ctx.reshape(ctx.make<TransposeOp>(ctx.in(0), ArrayRef<int64_t>{0, 2, 1}),
                  {in[0] * in[2], in[1]});
  auto type = RankedTensorType::get(
      {in[0], in[1] / windowSize, (*image)[0], (*image)[1]},
      ctx.type(0).getElementType());
  ctx.set(0, Col2ImOp::create(ctx.b, ctx.loc, type, rows, *block, strides, pads,
                              dilations));
  return success();
}

template <bool isMax> LogicalResult convertGlobalPool(NodeContext &ctx) {
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < ctx.rank(0); ++i)
    axes.push_back(i);
  Value y = isMax ? ctx.make<ReduceMaxOp>(ctx.in(0), axes, true)
                  : ctx.make<ReduceMeanOp>(ctx.in(0), axes, true);
  ctx.set(0, y);
  return success(y != nullptr);
}

LogicalResult convertBatchNorm(NodeContext &ctx) {
  if (ctx.getInt("training_mode", 0) || ctx.wants(1) || ctx.wants(2))
    return ctx.unsupported("training mode");
  if (ctx.rank(0) < 2)
    return ctx.error() << "the input needs a channel dimension", failure();
  Value y = ctx.make<BatchNormInferenceOp>(
      ctx.in(0), ctx.in(1), ctx.in(2), ctx.in(3), ctx.in(4),
      APFloat(ctx.getFloat("epsilon", 1e-5)));
  // Training turns this into batch statistics with running ones updated at
  // the node's rate; ONNX weighs the old value by `momentum`, PyTorch (and
  // dl) the new one. The attribute is a float: rounding to 7 decimals gives
  // back the 0.1 that PyTorch exported as 0.9f.
  if (y && ctx.training)
    y.getDefiningOp()->setAttr(
        "dl.momentum",
        ctx.b.getF64FloatAttr(
            std::round((1.0 - ctx.getFloat("momentum", 0.9)) * 1e7) / 1e7));
  ctx.set(0, y);
  return success(y != nullptr);
}

/// Layer norm written out, for when the Mean and InvStdDev outputs are read:
/// statistics in the stash type (f32 unless stash_type says otherwise).
LogicalResult layerNormWithStatistics(NodeContext &ctx, int64_t axis) {
  auto type = ctx.type(0);
  Type elt = type.getElementType();
  Type stash = ctx.getInt("stash_type", 1) == 1 ? ctx.b.getF32Type() : elt;
  SmallVector<int64_t> axes;
  for (int64_t i = axis; i < type.getRank(); ++i)
    axes.push_back(i);
  Value x = ctx.castTo(ctx.in(0), stash);
  Value mean = ctx.make<ReduceMeanOp>(x, ArrayRef<int64_t>(axes), true);
  Value centered = ctx.make<SubOp>(x, mean);
  Value var = ctx.make<ReduceMeanOp>(ctx.make<MulOp>(centered, centered),
                                     ArrayRef<int64_t>(axes), true);
  Value inv = RsqrtOp::create(
      ctx.b, ctx.loc,
      ctx.make<AddOp>(var, ctx.scalarOf(stash, ctx.getFloat("epsilon", 1e-5))));
  Value y = ctx.castTo(ctx.make<MulOp>(centered, inv), elt);
  y = ctx.make<MulOp>(y, ctx.in(1));
  if (y && ctx.has(2))
    y = ctx.make<AddOp>(y, ctx.in(2));
  if (!y)
    return failure();
  ctx.set(0, y);
  ctx.set(1, mean);
  ctx.set(2, inv);
  return success();
}

LogicalResult convertLayerNorm(NodeContext &ctx) {
  auto type = ctx.type(0);
  auto axis = ctx.axis(ctx.getInt("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  if (ctx.wants(1) || ctx.wants(2))
    return layerNormWithStatistics(ctx, *axis);
  auto normalized = type.getShape().drop_front(*axis);
  Value gamma = ctx.broadcastTo(ctx.in(1), normalized);
  Value beta = ctx.has(2) ? ctx.broadcastTo(ctx.in(2), normalized)
                          : ctx.broadcastTo(ctx.scalarOf(type.getElementType(), 0),
                                            normalized);
  Value y = ctx.make<LayerNormOp>(ctx.in(0), gamma, beta, uint64_t(*axis),
                                  APFloat(ctx.getFloat("epsilon", 1e-5)));
  ctx.set(0, y);
  return success(y != nullptr);
}

LogicalResult convertInstanceNorm(NodeContext &ctx) {
  auto type = ctx.type(0);
  int64_t rank = type.getRank();
  if (rank < 3)
    return ctx.error() << "the input needs spatial dimensions", failure();
  SmallVector<int64_t> axes, channelShape(rank, 1);
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  channelShape[1] = type.getDimSize(1);
  Value x = ctx.in(0);
  Type elt = type.getElementType();
  Value mean = ctx.make<ReduceMeanOp>(x, axes, true);
  Value centered = ctx.make<SubOp>(x, mean);
  Value var = ctx.make<ReduceMeanOp>(ctx.make<MulOp>(centered, centered), axes,
                                     true);
  Value eps = ctx.scalarOf(elt, ctx.getFloat("epsilon", 1e-5));
  Value inv = RsqrtOp::create(ctx.b, ctx.loc, ctx.make<AddOp>(var, eps));
  Value scale = ctx.reshape(ctx.in(1), channelShape);
  Value bias = ctx.reshape(ctx.in(2), channelShape);
  Value y = ctx.make<AddOp>(
      ctx.make<MulOp>(ctx.make<MulOp>(centered, inv), scale), bias);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// GroupNormalization: the channels in `num_groups` groups, each group of
/// each sample normalized over its channels and pixels, then scaled and
/// shifted per channel (opset 21) or per group (18).
LogicalResult convertGroupNorm(NodeContext &ctx) {
  auto type = ctx.type(0);
  int64_t rank = type.getRank();
  if (rank < 3)
    return ctx.error() << "the input needs spatial dimensions", failure();
  int64_t groups = ctx.getInt("num_groups", 0), n = type.getDimSize(0),
          c = type.getDimSize(1);
  if (groups <= 0 || c % groups)
    return ctx.error() << "num_groups = " << groups << " does not divide the "
                       << c << " channels",
           failure();
  int64_t perGroup = type.getNumElements() / std::max<int64_t>(n * groups, 1);
  int64_t affine = ctx.opset >= 21 ? c : groups;
  for (unsigned i = 1; i <= 2; ++i)
    if (ctx.type(i).getNumElements() != affine || ctx.rank(i) != 1)
      return ctx.error() << (i == 1 ? "scale" : "bias") << " must be ["
                         << affine << "], it is "
                         << formatShape(ctx.type(i).getShape()),
             failure();
  Type elt = type.getElementType();
  Value x = ctx.reshape(ctx.in(0), {n, groups, perGroup});
  Value mean = ctx.make<ReduceMeanOp>(x, ArrayRef<int64_t>{2}, true);
  Value centered = ctx.make<SubOp>(x, mean);
  Value var = ctx.make<ReduceMeanOp>(ctx.make<MulOp>(centered, centered),
                                     ArrayRef<int64_t>{2}, true);
  Value eps = ctx.scalarOf(elt, ctx.getFloat("epsilon", 1e-5));
  Value inv = RsqrtOp::create(ctx.b, ctx.loc, ctx.make<AddOp>(var, eps));
  Value y = ctx.make<MulOp>(centered, inv);
  if (!y)
    return failure();
  // Per group: applied before the channels come back; per channel after.
  Value scale = ctx.in(1), bias = ctx.in(2);
  if (affine == groups) {
    y = ctx.make<AddOp>(ctx.make<MulOp>(y, ctx.reshape(scale, {1, groups, 1})),
                        ctx.reshape(bias, {1, groups, 1}));
    y = y ? ctx.reshape(y, type.getShape()) : y;
  } else {
    SmallVector<int64_t> channelShape(rank, 1);
    channelShape[1] = c;
    y = ctx.reshape(y, type.getShape());
    y = ctx.make<AddOp>(ctx.make<MulOp>(y, ctx.reshape(scale, channelShape)),
                        ctx.reshape(bias, channelShape));
  }
  ctx.set(0, y);
  return success(y != nullptr);
}

/// MeanVarianceNormalization: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9)
/// over `axes`, as ONNX's function body computes it.
LogicalResult convertMvn(NodeContext &ctx) {
  int64_t rank = ctx.rank(0);
  SmallVector<int64_t> axes;
  for (int64_t a :
       ctx.getInts("axes").value_or(SmallVector<int64_t>{0, 2, 3})) {
    auto axis = ctx.axis(a, rank, "axes");
    if (failed(axis))
      return failure();
    axes.push_back(*axis);
  }
  llvm::sort(axes);
  Value x = ctx.in(0);
  Value mean = ctx.make<ReduceMeanOp>(x, axes, true);
  Value meanOfSquares =
      ctx.make<ReduceMeanOp>(ctx.make<MulOp>(x, x), axes, true);
  if (!mean || !meanOfSquares)
    return failure();
  Value std = SqrtOp::create(
      ctx.b, ctx.loc,
      ctx.make<SubOp>(meanOfSquares, ctx.make<MulOp>(mean, mean)));
  Type elt = ctx.type(0).getElementType();
  Value y = ctx.make<DivOp>(ctx.make<SubOp>(x, mean),
                            ctx.make<AddOp>(std, ctx.scalarOf(elt, 1e-9)));
  ctx.set(0, y);
  return success(y != nullptr);
}

/// LRN: x / (bias + alpha / size * s)^beta, s the sum of squares over the
/// `size` channels around each (those that exist): one zero-padded window
/// per offset, summed.
LogicalResult convertLrn(NodeContext &ctx) {
  if (ctx.rank(0) < 3)
    return ctx.error() << "the input needs channels and spatial dimensions",
           failure();
  int64_t size = ctx.getInt("size", 0);
  if (size <= 0)
    return ctx.error() << "size must be positive, it is " << size, failure();
  double alpha = ctx.getFloat("alpha", 1e-4), beta = ctx.getFloat("beta", 0.75),
         bias = ctx.getFloat("bias", 1.0);
  Value x = ctx.in(0);
  Type elt = ctx.type(0).getElementType();
  Value squares = ctx.make<MulOp>(x, x), sum;
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (int64_t d = -lo; d <= hi && squares; ++d) {
    Value window = d == 0 ? squares
                          : padAxis(ctx, squares, 1, -d, d, "constant",
                                    ctx.scalarOf(elt, 0));
    if (!window)
      return failure();
    sum = sum ? ctx.make<AddOp>(sum, window) : window;
  }
  Value scaled = ctx.make<AddOp>(
      ctx.scalarOf(elt, bias),
      ctx.make<MulOp>(sum, ctx.scalarOf(elt, alpha / double(size))));
  Value y =
      ctx.make<DivOp>(x, ctx.make<PowOp>(scaled, ctx.scalarOf(elt, beta)));
  ctx.set(0, y);
  return success(y != nullptr);
}

LogicalResult convertDropout(NodeContext &ctx) {
  // Inference: the identity. Training mode would draw a mask per call.
  if (ctx.opset >= 12 && ctx.has(2)) {
    auto training = ctx.scalar(2, "training_mode");
    if (failed(training))
      return failure();
    if (*training != 0) {
      auto ratio = ctx.has(1) ? ctx.scalar(1, "ratio") : FailureOr<double>(0.5);
      if (failed(ratio))
        return failure();
      if (*ratio != 0)
        return ctx.unsupported("training mode");
    }
  }
  ctx.set(0, ctx.in(0));
  if (ctx.wants(1)) {
    auto shape = ctx.type(0).getShape();
    ctx.set(1, ctx.broadcastTo(ctx.scalarOf(ctx.b.getI1Type(), 1), shape));
  }
  return success();
}

} // namespace

void dlc::onnx::registerNNOps(ConverterTable &t) {
  t.add("MatMul", 1, convertMatMul);
  t.add("Gemm", 7, convertGemm);
  t.add("Conv", 1, convertConv);
  t.add("Col2Im", 18, convertCol2Im);
  t.add("MaxPool", 1, convertPool<true>);
  t.add("AveragePool", 1, convertPool<false>);
  t.add("LpPool", 2, convertLpPool);
  t.add("ConvTranspose", 1, convertConvTranspose);
  t.add("GlobalMaxPool", 1, convertGlobalPool<true>);
  t.add("GlobalAveragePool", 1, convertGlobalPool<false>);
  t.add("BatchNormalization", 9, convertBatchNorm);
  t.add("LayerNormalization", 17, convertLayerNorm);
  t.add("InstanceNormalization", 6, convertInstanceNorm);
  t.add("GroupNormalization", 18, convertGroupNorm);
  t.add("MeanVarianceNormalization", 9, convertMvn);
  t.add("LRN", 1, convertLrn);
  t.add("Dropout", 1, convertDropout);
}

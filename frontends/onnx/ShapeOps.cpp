//===- ShapeOps.cpp - ONNX ops that move, select or make data -------------===//
//
// Shapes are static in dl, so Shape, Size and the integer arithmetic real
// models do on them fold here at import: a value computed from constants
// stays a dl.constant, and a Reshape that reads it knows its target.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "dialects/dl/DlShapeInference.h"

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

/// Pads (or, by negative amounts, crops) `x` along `axis`: a gather of the
/// source positions, and for constant padding a select of `value` where no
/// source is. Null after an error.
Value dlc::onnx::padAxis(NodeContext &ctx, Value x, int64_t axis,
                         int64_t before, int64_t after, StringRef mode,
                         Value value) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = shape.size();
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  int64_t dim = shape[axis], length = dim + before + after;
  if (length < 0 || dim == 0)
    return ctx.error() << "cannot pad dimension " << axis << " of size " << dim
                       << " by " << before << ", " << after,
           nullptr;
  if (mode == "reflect" && (before >= dim || after >= dim))
    return ctx.error() << "reflect pads must be smaller than the dimension",
           nullptr;
  SmallVector<int64_t> sources;
  SmallVector<bool> inside;
  for (int64_t p = 0; p < length; ++p) {
    int64_t src = p - before;
    inside.push_back(src >= 0 && src < dim);
    if (mode == "wrap")
      src = ((src % dim) + dim) % dim;
    else if (mode == "reflect" && dim > 1) {
      int64_t period = 2 * (dim - 1);
      src = ((src % period) + period) % period;
      if (src >= dim)
        src = period - src;
    } else
      src = std::clamp<int64_t>(src, 0, dim - 1);
    sources.push_back(src);
  }
  x = ctx.make<GatherOp>(
      x, ctx.intConstant({length}, ctx.b.getIntegerType(64), sources),
      uint64_t(axis));
  if (x && mode == "constant" && llvm::is_contained(inside, false)) {
    SmallVector<int64_t> maskShape(rank, 1);
    maskShape[axis] = length;
    auto maskType = RankedTensorType::get(maskShape, ctx.b.getI1Type());
    Value mask = ctx.constantOf(
        DenseElementsAttr::get(maskType, ArrayRef<bool>(inside)));
    x = ctx.make<SelectOp>(mask, x, ctx.castTo(value, elt));
  }
  return x;
}

namespace {

bool isInts(DenseElementsAttr value) {
  return value && isIndexLike(value.getElementType());
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

LogicalResult convertIdentity(NodeContext &ctx) {
  ctx.set(0, ctx.in(0));
  return success();
}

LogicalResult convertReshape(NodeContext &ctx) {
  SmallVector<int64_t> target;
  if (ctx.opset < 5) {
    target = ctx.getInts("shape").value_or(SmallVector<int64_t>());
  } else {
    auto values = ctx.ints(1, "the shape");
    if (failed(values))
      return failure();
    target = *values;
  }
  auto in = ctx.type(0).getShape();
  bool allowZero = ctx.getInt("allowzero", 0) != 0;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return ctx.error() << "shape[" << i << "] = 0 copies a dimension the "
                              "input does not have",
               failure();
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return ctx.error() << "the shape has more than one -1", failure();
      inferred = i;
      continue;
    }
    if (d < 0)
      return ctx.error() << "shape[" << i << "] = " << d << " is negative",
             failure();
    known *= d;
  }
  int64_t total = product(in);
  if (inferred >= 0) {
    if (known == 0 || total % known)
      return ctx.error() << "cannot reshape " << formatShape(in) << " to "
                         << formatShape(target),
             failure();
    target[inferred] = total / known;
  }
  if (product(target) != total)
    return ctx.error() << "cannot reshape " << formatShape(in) << " ("
                       << total << " elements) to " << formatShape(target),
           failure();
  ctx.set(0, ctx.reshape(ctx.in(0), target));
  return success();
}

LogicalResult convertFlatten(NodeContext &ctx) {
  auto shape = ctx.type(0).getShape();
  int64_t rank = shape.size();
  int64_t axis = ctx.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return ctx.error() << "axis " << ctx.getInt("axis", 1)
                       << " is out of range for rank " << rank,
           failure();
  ctx.set(0, ctx.reshape(ctx.in(0), {product(shape.take_front(axis)),
                                     product(shape.drop_front(axis))}));
  return success();
}

/// The axes of Squeeze/Unsqueeze: an attribute before opset 13, then input 1.
FailureOr<SmallVector<int64_t>> squeezeAxes(NodeContext &ctx) {
  SmallVector<int64_t> axes;
  if (ctx.opset < 13)
    return ctx.getInts("axes").value_or(axes);
  if (failed(ctx.optionalInts(1, "the axes", axes)))
    return failure();
  return axes;
}

LogicalResult convertSqueeze(NodeContext &ctx) {
  auto axes = squeezeAxes(ctx);
  if (failed(axes))
    return failure();
  auto shape = ctx.type(0).getShape();
  SmallVector<bool> drop(shape.size(), false);
  if (axes->empty()) {
    for (auto [i, d] : llvm::enumerate(shape))
      drop[i] = d == 1;
  }
  for (int64_t a : *axes) {
    auto axis = ctx.axis(a, shape.size());
    if (failed(axis))
      return failure();
    if (shape[*axis] != 1)
      return ctx.error() << "dimension " << *axis << " has size "
                         << shape[*axis] << ", not 1",
             failure();
    drop[*axis] = true;
  }
  SmallVector<int64_t> result;
  for (auto [i, d] : llvm::enumerate(shape))
    if (!drop[i])
      result.push_back(d);
  ctx.set(0, ctx.reshape(ctx.in(0), result));
  return success();
}

LogicalResult convertUnsqueeze(NodeContext &ctx) {
  auto axes = squeezeAxes(ctx);
  if (failed(axes))
    return failure();
  auto shape = ctx.type(0).getShape();
  int64_t rank = shape.size() + axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    auto axis = ctx.axis(a, rank);
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return ctx.error() << "axes repeat " << *axis, failure();
    inserted[*axis] = true;
  }
  SmallVector<int64_t> result;
  unsigned next = 0;
  for (int64_t i = 0; i < rank; ++i)
    result.push_back(inserted[i] ? 1 : shape[next++]);
  ctx.set(0, ctx.reshape(ctx.in(0), result));
  return success();
}

LogicalResult convertTranspose(NodeContext &ctx) {
  int64_t rank = ctx.rank(0);
  SmallVector<int64_t> perm;
  if (auto attr = ctx.getInts("perm"))
    perm = *attr;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  Value r = ctx.make<TransposeOp>(ctx.in(0), ArrayRef<int64_t>(perm));
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertConcat(NodeContext &ctx) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < ctx.numInputs(); ++i)
    if (ctx.has(i))
      inputs.push_back(ctx.in(i));
  if (inputs.empty())
    return ctx.error() << "needs at least one input", failure();
  auto axis = ctx.axis(ctx.getInt("axis", 0), ctx.rank(0));
  if (failed(axis))
    return failure();
  // Shape vectors built from pieces stay constants.
  if (ctx.rank(0) == 1 && llvm::all_of(llvm::seq(ctx.numInputs()), [&](unsigned i) {
        return isInts(ctx.constant(i));
      })) {
    SmallVector<int64_t> values;
    for (unsigned i = 0; i < ctx.numInputs(); ++i)
      llvm::append_range(values, intsOf(ctx.constant(i)));
    ctx.set(0, ctx.intConstant({int64_t(values.size())},
                           ctx.type(0).getElementType(), values));
    return success();
  }
  if (inputs.size() == 1) {
    ctx.set(0, inputs[0]);
    return success();
  }
  Value r = ctx.make<ConcatOp>(ValueRange(inputs), uint64_t(*axis));
  ctx.set(0, r);
  return success(r != nullptr);
}

/// Elements [start, start + step, ...) of one axis after ONNX's clamping.
struct AxisRange {
  int64_t start, end, step;
  int64_t count() const {
    if (step > 0)
      return end > start ? (end - start + step - 1) / step : 0;
    return start > end ? (start - end - step - 1) / -step : 0;
  }
};

AxisRange clampRange(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  return {start, end, step};
}

/// Takes `ranges` (one per dimension) of `x`: dl.slice for the positive
/// steps, then a gather with the index list for each negative one.
Value sliceRanges(NodeContext &ctx, Value x, ArrayRef<AxisRange> ranges) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> start, limit, step;
  bool identity = true;
  for (auto [d, r] : llvm::enumerate(ranges)) {
    if (r.step > 0) {
      start.push_back(r.start);
      limit.push_back(std::max(r.start, r.end));
      step.push_back(r.step);
    } else {
      start.push_back(0);
      limit.push_back(shape[d]);
      step.push_back(1);
    }
    identity &= start.back() == 0 && limit.back() == shape[d] &&
                step.back() == 1;
  }
  if (!identity)
    x = ctx.make<SliceOp>(x, ArrayRef<int64_t>(start), ArrayRef<int64_t>(limit),
                          ArrayRef<int64_t>(step));
  for (auto [d, r] : llvm::enumerate(ranges)) {
    if (r.step > 0 || !x)
      continue;
    SmallVector<int64_t> indices;
    for (int64_t i = 0, n = r.count(); i < n; ++i)
      indices.push_back(r.start + i * r.step);
    Value idx = ctx.intConstant({int64_t(indices.size())},
                            ctx.b.getIntegerType(64), indices);
    x = ctx.make<GatherOp>(x, idx, uint64_t(d));
  }
  return x;
}

LogicalResult convertSlice(NodeContext &ctx) {
  auto shape = ctx.type(0).getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.getInts("starts").value_or(SmallVector<int64_t>());
    ends = ctx.getInts("ends").value_or(SmallVector<int64_t>());
    axes = ctx.getInts("axes").value_or(SmallVector<int64_t>());
  } else {
    auto s = ctx.ints(1, "starts");
    auto e = succeeded(s) ? ctx.ints(2, "ends") : FailureOr<SmallVector<int64_t>>();
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (failed(ctx.optionalInts(3, "axes", axes)) ||
        failed(ctx.optionalInts(4, "steps", steps)))
      return failure();
  }
  if (axes.empty())
    for (int64_t i = 0; i < int64_t(starts.size()); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ctx.error() << "starts, ends, axes and steps differ in length",
           failure();
  SmallVector<AxisRange> ranges;
  for (int64_t d = 0; d < rank; ++d)
    ranges.push_back({0, shape[d], 1});
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = ctx.axis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return ctx.error() << "axes repeat " << *axis, failure();
    seen[*axis] = true;
    if (steps[i] == 0)
      return ctx.error() << "a step is 0", failure();
    ranges[*axis] = clampRange(starts[i], ends[i], steps[i], shape[*axis]);
  }
  // 1-D integer constants (pieces of shapes) fold.
  if (DenseElementsAttr c = ctx.constant(0); rank == 1 && isInts(c)) {
    SmallVector<int64_t> all = intsOf(c), picked;
    for (int64_t i = 0, n = ranges[0].count(); i < n; ++i)
      picked.push_back(all[ranges[0].start + i * ranges[0].step]);
    ctx.set(0, ctx.intConstant({int64_t(picked.size())}, c.getElementType(),
                           picked));
    return success();
  }
  Value r = sliceRanges(ctx, ctx.in(0), ranges);
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertGather(NodeContext &ctx) {
  int64_t rank = ctx.rank(0);
  auto axis = ctx.axis(ctx.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t dim = ctx.type(0).getDimSize(*axis);
  DenseElementsAttr data = ctx.constant(0), indices = ctx.constant(1);
  if (indices) {
    // Negative indices count from the end; out of range is the user's bug.
    SmallVector<int64_t> values = intsOf(indices);
    for (int64_t &v : values) {
      if (v < -dim || v >= dim)
        return ctx.error() << "index " << v << " is out of range for size "
                           << dim,
               failure();
      if (v < 0)
        v += dim;
    }
    auto indexShape = ctx.type(1).getShape();
    if (rank == 1 && isInts(data)) {
      SmallVector<int64_t> all = intsOf(data), picked;
      for (int64_t v : values)
        picked.push_back(all[v]);
      ctx.set(0, ctx.intConstant(indexShape, data.getElementType(), picked));
      return success();
    }
    Value idx = ctx.intConstant(indexShape, ctx.type(1).getElementType(),
                            values);
    Value r = ctx.make<GatherOp>(ctx.in(0), idx, uint64_t(*axis));
    ctx.set(0, r);
    return success(r != nullptr);
  }
  // Run-time indices: wrap the negative ones (fused into one kernel).
  Value idx = wrapIndices(ctx, ctx.in(1), dim);
  Value r = idx ? ctx.make<GatherOp>(ctx.in(0), idx, uint64_t(*axis)) : idx;
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertExpand(NodeContext &ctx) {
  auto target = ctx.ints(1, "the shape");
  if (failed(target))
    return failure();
  // Expand broadcasts both ways: the result has the larger of each pair.
  auto shape = ctx.type(0).getShape();
  size_t rank = std::max(shape.size(), target->size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - shape.size() ? 1 : shape[i - (rank - shape.size())];
    int64_t b = i < rank - target->size()
                    ? 1
                    : (*target)[i - (rank - target->size())];
    if (a != b && a != 1 && b != 1)
      return ctx.error() << "cannot expand " << formatShape(shape) << " to "
                         << formatShape(*target),
             failure();
    result[i] = a == 1 ? b : a;
  }
  ctx.set(0, ctx.broadcastTo(ctx.in(0), result));
  return success();
}

LogicalResult convertShape(NodeContext &ctx) {
  auto shape = ctx.type(0).getShape();
  int64_t rank = shape.size();
  int64_t start = ctx.getInt("start", 0), end = ctx.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  ctx.set(0, ctx.intConstant({int64_t(dims.size())}, ctx.b.getIntegerType(64),
                         dims));
  return success();
}

LogicalResult convertSize(NodeContext &ctx) {
  ctx.set(0, ctx.intConstant({}, ctx.b.getIntegerType(64),
                         {product(ctx.type(0).getShape())}));
  return success();
}

LogicalResult convertConstant(NodeContext &ctx) {
  MLIRContext &context = *ctx.b.getContext();
  if (const auto *a = ctx.attr("value")) {
    std::string error;
    auto value = readTensor(a->t(), "", context, error);
    if (failed(value))
      return ctx.error() << "value: " << error, failure();
    ctx.set(0, ctx.constantOf(*value));
    return success();
  }
  if (ctx.hasAttr("value_float")) {
    ctx.set(0, ctx.scalarOf(ctx.b.getF32Type(), ctx.getFloat("value_float", 0)));
    return success();
  }
  if (ctx.hasAttr("value_int")) {
    ctx.set(0, ctx.intConstant({}, ctx.b.getIntegerType(64),
                           {ctx.getInt("value_int", 0)}));
    return success();
  }
  if (auto ints = ctx.getInts("value_ints")) {
    ctx.set(0, ctx.intConstant({int64_t(ints->size())},
                           ctx.b.getIntegerType(64), *ints));
    return success();
  }
  if (auto floats = ctx.getFloats("value_floats")) {
    auto type = RankedTensorType::get({int64_t(floats->size())},
                                      ctx.b.getF32Type());
    ctx.set(0, ctx.constantOf(
                   DenseElementsAttr::get(type, ArrayRef<float>(*floats))));
    return success();
  }
  return ctx.unsupported("this kind of Constant (sparse or string)");
}

LogicalResult convertConstantOfShape(NodeContext &ctx) {
  auto shape = ctx.ints(0, "the shape");
  if (failed(shape))
    return failure();
  DenseElementsAttr value;
  if (const auto *a = ctx.attr("value")) {
    std::string error;
    auto attr = readTensor(a->t(), "", *ctx.b.getContext(), error);
    if (failed(attr))
      return ctx.error() << "value: " << error, failure();
    if (attr->getNumElements() != 1)
      return ctx.error() << "value must have one element", failure();
    value = *attr;
  } else {
    value = DenseElementsAttr::get(RankedTensorType::get({1}, ctx.b.getF32Type()),
                                   0.0f);
  }
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.error() << "the shape has a negative dimension", failure();
  auto type = RankedTensorType::get(*shape, value.getElementType());
  ctx.set(0, ctx.constantOf(DenseElementsAttr::get(
                 type, *value.getValues<Attribute>().begin())));
  return success();
}

LogicalResult convertTile(NodeContext &ctx) {
  auto repeats = ctx.ints(1, "the repeats");
  if (failed(repeats))
    return failure();
  auto shape = ctx.type(0).getShape();
  if (repeats->size() != shape.size())
    return ctx.error() << "repeats has " << repeats->size()
                       << " elements for rank " << shape.size(),
           failure();
  // [d0, d1] tiled [r0, r1] is [1, d0, 1, d1] broadcast to [r0, d0, r1, d1].
  SmallVector<int64_t> spread, broadcast, result;
  for (auto [d, r] : llvm::zip(shape, *repeats)) {
    if (r < 0)
      return ctx.error() << "a repeat is negative", failure();
    spread.append({1, d});
    broadcast.append({r, d});
    result.push_back(r * d);
  }
  Value x = ctx.reshape(ctx.in(0), spread);
  x = ctx.broadcastTo(x, broadcast);
  ctx.set(0, ctx.reshape(x, result));
  return success();
}

LogicalResult convertSplit(NodeContext &ctx) {
  auto shape = ctx.type(0).getShape();
  auto axis = ctx.axis(ctx.getInt("axis", 0), shape.size());
  if (failed(axis))
    return failure();
  int64_t dim = shape[*axis];
  SmallVector<int64_t> sizes;
  if (ctx.opset < 13) {
    sizes = ctx.getInts("split").value_or(SmallVector<int64_t>());
  } else if (failed(ctx.optionalInts(1, "the split sizes", sizes))) {
    return failure();
  }
  unsigned parts = ctx.numOutputs();
  if (sizes.empty()) {
    if (ctx.opset >= 18 && ctx.hasAttr("num_outputs"))
      parts = ctx.getInt("num_outputs", parts);
    if (parts == 0)
      return ctx.error() << "no outputs", failure();
    int64_t chunk = (dim + parts - 1) / parts;
    for (unsigned i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - chunk * i)));
  }
  if (int64_t(sizes.size()) != ctx.numOutputs() ||
      llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
    return ctx.error() << "the split sizes do not match the outputs",
           failure();
  // A shape split into its dimensions stays known at compile time.
  DenseElementsAttr known = ctx.constant(0);
  SmallVector<int64_t> values;
  if (known && isInts(known) && shape.size() == 1)
    values = intsOf(known);
  int64_t start = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    if (!values.empty() && start + size <= dim) {
      ctx.set(i, ctx.intConstant({size}, known.getElementType(),
                                 ArrayRef<int64_t>(values).slice(start, size)));
      start += size;
      continue;
    }
    SmallVector<AxisRange> ranges;
    for (auto [d, n] : llvm::enumerate(shape))
      ranges.push_back(int64_t(d) == *axis ? AxisRange{start, start + size, 1}
                                           : AxisRange{0, n, 1});
    start += size;
    Value part = sliceRanges(ctx, ctx.in(0), ranges);
    if (!part)
      return failure();
    ctx.set(i, part);
  }
  if (start != dim)
    return ctx.error() << "the split sizes add up to " << start
                       << ", the axis has " << dim,
           failure();
  return success();
}

LogicalResult convertRange(NodeContext &ctx) {
  auto start = ctx.scalar(0, "start");
  auto limit = succeeded(start) ? ctx.scalar(1, "limit") : FailureOr<double>();
  auto delta = succeeded(limit) ? ctx.scalar(2, "delta") : FailureOr<double>();
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0)
    return ctx.error() << "delta is 0", failure();
  int64_t n = std::max<int64_t>(
      0, int64_t(std::ceil((*limit - *start) / *delta)));
  Type elt = ctx.type(0).getElementType();
  auto type = RankedTensorType::get({n}, elt);
  if (isa<FloatType>(elt)) {
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < n; ++i) {
      // numpy's arange: start + i * delta, rounded to the element type.
      APFloat v(*start + double(i) * *delta);
      bool lost;
      v.convert(cast<FloatType>(elt).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      values.push_back(v);
    }
    ctx.set(0, ctx.constantOf(DenseElementsAttr::get(type, values)));
  } else {
    SmallVector<int64_t> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(int64_t(*start) + i * int64_t(*delta));
    ctx.set(0, ctx.intConstant({n}, elt, values));
  }
  return success();
}

/// Pads (or, with negative pads, crops) each axis by gathering a list of
/// source positions: clamped for edge, mirrored for reflect, modulo for
/// wrap; constant mode then selects the value where the position is outside.
LogicalResult convertPad(NodeContext &ctx) {
  auto shape = ctx.type(0).getShape();
  int64_t rank = shape.size();
  Type elt = ctx.type(0).getElementType();
  std::string mode = ctx.getString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      mode != "wrap")
    return ctx.unsupported("mode='" + mode + "'");
  SmallVector<int64_t> pads, axes;
  Value value;
  if (ctx.opset < 11) {
    pads = ctx.getInts(ctx.opset < 2 ? "paddings" : "pads")
               .value_or(SmallVector<int64_t>());
    value = ctx.scalarOf(elt, ctx.getFloat("value", 0));
  } else {
    auto p = ctx.ints(1, "the pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (ctx.has(2)) {
      if (ctx.type(2).getNumElements() != 1)
        return ctx.error() << "constant_value must have one element",
               failure();
      value = ctx.reshape(ctx.in(2), {});
    } else {
      value = ctx.scalarOf(elt, 0);
    }
    if (failed(ctx.optionalInts(3, "the axes", axes)))
      return failure();
  }
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  if (pads.size() != 2 * axes.size())
    return ctx.error() << "pads has " << pads.size() << " values for "
                       << axes.size() << " axes",
           failure();
  Value x = ctx.in(0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    auto axis = ctx.axis(a, rank);
    if (failed(axis))
      return failure();
    int64_t before = pads[i], after = pads[i + axes.size()];
    if (before == 0 && after == 0)
      continue;
    x = padAxis(ctx, x, *axis, before, after, mode, value);
    if (!x)
      return failure();
  }
  ctx.set(0, x);
  return success();
}

/// CenterCropPad: each of `axes` cropped or zero-padded to the target size
/// around its centre (the extra element, when the difference is odd, goes
/// after).
LogicalResult convertCenterCropPad(NodeContext &ctx) {
  int64_t rank = ctx.rank(0);
  auto target = ctx.ints(1, "the shape");
  if (failed(target))
    return failure();
  SmallVector<int64_t> axes;
  if (auto a = ctx.getInts("axes"))
    axes = *a;
  else
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  if (target->size() != axes.size())
    return ctx.error() << "the shape has " << target->size() << " values for "
                       << axes.size() << " axes",
           failure();
  Value x = ctx.in(0), zero = ctx.scalarOf(ctx.type(0).getElementType(), 0);
  for (auto [i, a] : llvm::enumerate(axes)) {
    auto axis = ctx.axis(a, rank, "axes");
    if (failed(axis))
      return failure();
    int64_t dim = ctx.type(0).getDimSize(*axis), want = (*target)[i];
    if (want < 0)
      return ctx.error() << "target size " << want << " is negative", failure();
    int64_t before = want >= dim ? (want - dim) / 2 : -((dim - want) / 2);
    x = padAxis(ctx, x, *axis, before, want - dim - before, "constant", zero);
    if (!x)
      return failure();
  }
  ctx.set(0, x);
  return success();
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth: a reshape, a transpose and a
/// reshape.
template <bool toSpace> LogicalResult convertDepthSpace(NodeContext &ctx) {
  if (ctx.rank(0) != 4)
    return ctx.error() << "the input must be NCHW", failure();
  int64_t bs = ctx.getInt("blocksize", 0);
  auto s = ctx.type(0).getShape();
  int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  if (bs <= 0)
    return ctx.error() << "blocksize must be positive", failure();
  Value x = ctx.in(0);
  Value y;
  if (toSpace) {
    if (c % (bs * bs))
      return ctx.error() << "channels " << c << " are not a multiple of "
                         << bs * bs,
             failure();
    bool crd = ctx.getString("mode", "DCR") == "CRD";
    int64_t oc = c / (bs * bs);
    SmallVector<int64_t> split =
        crd ? SmallVector<int64_t>{n, oc, bs, bs, h, w}
            : SmallVector<int64_t>{n, bs, bs, oc, h, w};
    SmallVector<int64_t> perm = crd ? SmallVector<int64_t>{0, 1, 4, 2, 5, 3}
                                    : SmallVector<int64_t>{0, 3, 4, 1, 5, 2};
    y = ctx.make<TransposeOp>(ctx.reshape(x, split), ArrayRef<int64_t>(perm));
    if (y)
      y = ctx.reshape(y, {n, oc, h * bs, w * bs});
  } else {
    if (h % bs || w % bs)
      return ctx.error() << "height and width must be multiples of " << bs,
             failure();
    SmallVector<int64_t> split{n, c, h / bs, bs, w / bs, bs};
    y = ctx.make<TransposeOp>(ctx.reshape(x, split),
                              ArrayRef<int64_t>{0, 3, 5, 1, 2, 4});
    if (y)
      y = ctx.reshape(y, {n, c * bs * bs, h / bs, w / bs});
  }
  ctx.set(0, y);
  return success(y != nullptr);
}

} // namespace

void dlc::onnx::registerShapeOps(ConverterTable &t) {
  t.add("Identity", 1, convertIdentity);
  t.add("Reshape", 1, convertReshape);
  t.add("Flatten", 1, convertFlatten);
  t.add("Squeeze", 1, convertSqueeze);
  t.add("Unsqueeze", 1, convertUnsqueeze);
  t.add("Transpose", 1, convertTranspose);
  t.add("Concat", 4, convertConcat);
  t.add("Split", 2, convertSplit);
  t.add("Slice", 1, convertSlice);
  t.add("Gather", 1, convertGather);
  t.add("Expand", 8, convertExpand);
  t.add("Shape", 1, convertShape);
  t.add("Size", 1, convertSize);
  t.add("Constant", 1, convertConstant);
  t.add("ConstantOfShape", 9, convertConstantOfShape);
  t.add("Tile", 6, convertTile);
  t.add("Pad", 1, convertPad);
  t.add("CenterCropPad", 18, convertCenterCropPad);
  t.add("Range", 11, convertRange);
  t.add("DepthToSpace", 1, convertDepthSpace<true>);
  t.add("SpaceToDepth", 1, convertDepthSpace<false>);
}

//===- ReductionOps.cpp - ONNX reductions, arg-extrema, TopK, softmax -----===//
//
// dl reduces with sum, mean, max and product; the other ONNX reductions are
// written
// around those (min as -max(-x), L2 as sqrt(sum(x*x)), log-sum-exp with the
// maximum subtracted first so it does not overflow). Integer sums,
// products and extrema of small constants (shape arithmetic: the element
// count of a shape) fold, so the shapes they feed stay known. TopK is
// rounds of argmax.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

enum class Reduction {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp,
  SumSquare
};

/// The axes to reduce, from the attribute (older opsets) or the second input
/// (ReduceSum from 13, the others from 18). Empty means "all" unless
/// noop_with_empty_axes asks for the identity (then nullopt).
FailureOr<std::optional<SmallVector<int64_t>>> reductionAxes(NodeContext &ctx,
                                                             bool axesInput) {
  int64_t rank = ctx.rank(0);
  SmallVector<int64_t> axes;
  if (axesInput) {
    if (failed(ctx.optionalInts(1, "the axes", axes)))
      return failure();
  } else if (auto attr = ctx.getInts("axes")) {
    axes = *attr;
  }
  if (axes.empty()) {
    if (axesInput && ctx.getInt("noop_with_empty_axes", 0))
      return std::optional<SmallVector<int64_t>>();
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes) {
    auto normalized = ctx.axis(a, rank, "axis");
    if (failed(normalized))
      return failure();
    a = *normalized;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    ctx.error() << "axes repeat an axis";
    return failure();
  }
  return std::optional<SmallVector<int64_t>>(axes);
}

/// `kind` over `axes` of the integer constant `value`, kept dimensions as
/// size 1 with `keep`: null unless it is small and the kind folds.
Value foldIntegerReduction(NodeContext &ctx, Reduction kind,
                           DenseElementsAttr value, ArrayRef<int64_t> axes,
                           bool keep) {
  if (!value || !isa<IntegerType>(value.getElementType()) ||
      value.getElementType().isInteger(1) || value.getNumElements() > 4096 ||
      !llvm::is_contained(
          {Reduction::Sum, Reduction::Prod, Reduction::Max, Reduction::Min},
          kind))
    return nullptr;
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> in = type.getShape();
  SmallVector<int64_t> shape, strides(in.size(), 0);
  int64_t count = 1;
  for (int64_t d = int64_t(in.size()) - 1; d >= 0; --d)
    if (!llvm::is_contained(axes, d)) {
      strides[d] = count;
      count *= in[d];
    }
  for (auto [d, size] : llvm::enumerate(in))
    if (!llvm::is_contained(axes, int64_t(d)))
      shape.push_back(size);
    else if (keep)
      shape.push_back(1);
  if ((kind == Reduction::Max || kind == Reduction::Min) &&
      value.getNumElements() == 0)
    return nullptr;
  std::optional<int64_t> identity;
  if (kind == Reduction::Sum)
    identity = 0;
  else if (kind == Reduction::Prod)
    identity = 1;
  SmallVector<std::optional<int64_t>> result(count, identity);
  int64_t i = 0;
  for (const APInt &element : value.getValues<APInt>()) {
    int64_t x = element.getSExtValue(), at = 0, rest = i++;
    for (int64_t d = int64_t(in.size()) - 1; d >= 0; --d) {
      at += rest % in[d] * strides[d];
      rest /= in[d];
    }
    std::optional<int64_t> &r = result[at];
    // Wrapping, as the kernels do.
    switch (kind) {
    case Reduction::Sum:
      r = int64_t(uint64_t(*r) + uint64_t(x));
      break;
    case Reduction::Prod:
      r = int64_t(uint64_t(*r) * uint64_t(x));
      break;
    case Reduction::Max:
      r = r ? std::max(*r, x) : x;
      break;
    default:
      r = r ? std::min(*r, x) : x;
      break;
    }
  }
  // Cut to the element type's width, as the kernels store it.
  unsigned bits = value.getElementType().getIntOrFloatBitWidth();
  SmallVector<int64_t> values;
  for (std::optional<int64_t> r : result)
    values.push_back(llvm::SignExtend64(uint64_t(*r), bits));
  return ctx.intConstant(shape, value.getElementType(), values);
}

template <Reduction kind, int axesInputSince>
LogicalResult convertReduce(NodeContext &ctx) {
  auto axes = reductionAxes(ctx, ctx.opset >= axesInputSince);
  if (failed(axes))
    return failure();
  Value x = ctx.in(0);
  if (!*axes) {
    ctx.set(0, x);
    return success();
  }
  bool keep = ctx.getInt("keepdims", 1) != 0;
  if (Value folded =
          foldIntegerReduction(ctx, kind, ctx.constant(0), **axes, keep)) {
    ctx.set(0, folded);
    return success();
  }
  Type elt = ctx.type(0).getElementType();
  ArrayRef<int64_t> in = ctx.type(0).getShape();
  if ((kind == Reduction::Max || kind == Reduction::Min ||
       kind == Reduction::LogSumExp) &&
      llvm::any_of(**axes, [&](int64_t a) { return in[a] == 0; })) {
    // Over no elements: the maximum is -inf, the minimum +inf, as ONNX
    // defines them (from opset 18).
    if (!isa<FloatType>(elt))
      return ctx.unsupported("an integer " + ctx.node.op_type() +
                             " over no elements");
    SmallVector<int64_t> shape;
    for (auto [i, d] : llvm::enumerate(in))
      if (!llvm::is_contained(**axes, int64_t(i)))
        shape.push_back(d);
      else if (keep)
        shape.push_back(1);
    double inf = std::numeric_limits<double>::infinity();
    ctx.set(0,
            ctx.broadcastTo(
                ctx.scalarOf(elt, kind == Reduction::Min ? inf : -inf), shape));
    return success();
  }
  // The maximum of booleans is "any", the minimum "all": reduced as i32.
  bool boolean =
      elt.isInteger(1) && (kind == Reduction::Max || kind == Reduction::Min);
  if (boolean)
    x = ctx.castTo(x, ctx.b.getI32Type());
  auto sum = [&](Value v, bool keepdims) {
    return ctx.make<ReduceSumOp>(v, **axes, keepdims);
  };
  auto max = [&](Value v, bool keepdims) {
    return ctx.make<ReduceMaxOp>(v, **axes, keepdims);
  };
  Value r;
  switch (kind) {
  case Reduction::Sum: r = sum(x, keep); break;
  case Reduction::Mean: r = ctx.make<ReduceMeanOp>(x, **axes, keep); break;
  case Reduction::Max: r = max(x, keep); break;
  case Reduction::Prod:
    r = ctx.make<ReduceProdOp>(x, **axes, keep);
    break;
  case Reduction::Min:
    r = max(NegOp::create(ctx.b, ctx.loc, x), keep);
    r = r ? NegOp::create(ctx.b, ctx.loc, r) : r;
    break;
  case Reduction::L1: r = sum(AbsOp::create(ctx.b, ctx.loc, x), keep); break;
  case Reduction::SumSquare: r = sum(ctx.make<MulOp>(x, x), keep); break;
  case Reduction::L2:
    r = sum(ctx.make<MulOp>(x, x), keep);
    if (r && isa<FloatType>(elt))
      r = SqrtOp::create(ctx.b, ctx.loc, r);
    else if (r) // Integer L2 rounds the root, as the reference does.
      return ctx.unsupported("ReduceL2 of integers");
    break;
  case Reduction::LogSum:
    r = sum(x, keep);
    r = r ? LogOp::create(ctx.b, ctx.loc, r) : r;
    break;
  case Reduction::LogSumExp: {
    Value m = max(x, /*keepdims=*/true);
    if (!m)
      return failure();
    Value e = ExpOp::create(ctx.b, ctx.loc, ctx.make<SubOp>(x, m));
    Value s = LogOp::create(ctx.b, ctx.loc, sum(e, /*keepdims=*/true));
    r = ctx.make<AddOp>(s, m);
    if (r && !keep) {
      SmallVector<int64_t> shape;
      for (auto [i, d] : llvm::enumerate(ctx.type(0).getShape()))
        if (!llvm::is_contained(**axes, int64_t(i)))
          shape.push_back(d);
      r = ctx.reshape(r, shape);
    }
    break;
  }
  }
  if (r && boolean)
    r = ctx.castTo(r, elt);
  ctx.set(0, r);
  return success(r != nullptr);
}

template <bool isMin> LogicalResult convertArgExtreme(NodeContext &ctx) {
  auto axis = ctx.axis(ctx.getInt("axis", 0), ctx.rank(0));
  if (failed(axis))
    return failure();
  Value x = ctx.in(0);
  if (isMin)
    x = NegOp::create(ctx.b, ctx.loc, x);
  // The last extreme is the first one of the reversed axis.
  bool last = ctx.getInt("select_last_index", 0) != 0;
  int64_t dim = ctx.type(0).getDimSize(*axis);
  if (last) {
    SmallVector<int64_t> reversed;
    for (int64_t i = dim - 1; i >= 0; --i)
      reversed.push_back(i);
    Value idx = ctx.intConstant({dim}, ctx.b.getIntegerType(64), reversed);
    x = ctx.make<GatherOp>(x, idx, uint64_t(*axis));
  }
  Value r = ctx.make<ArgmaxOp>(x, uint64_t(*axis),
                               ctx.getInt("keepdims", 1) != 0);
  if (r && last)
    r = ctx.make<SubOp>(ctx.scalarOf(ctx.b.getIntegerType(64), double(dim - 1)),
                        r);
  ctx.set(0, r);
  return success(r != nullptr);
}

/// TopK: k rounds along the axis, each taking the first largest element
/// left (argmax) and its value, then ruling it out; the results come
/// sorted, the smaller index first among equal values, as ONNX asks. The
/// smallest k are the largest of -x. k is known at compile time and each
/// round reads the axis once, which suits the small k of a classifier's
/// top-5 or a sampler's candidates.
LogicalResult convertTopK(NodeContext &ctx) {
  int64_t rank = ctx.rank(0);
  auto axis = ctx.axis(ctx.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t k;
  if (ctx.opset < 10) {
    k = ctx.getInt("k", -1);
  } else {
    auto value = ctx.ints(1, "K");
    if (failed(value))
      return failure();
    if (value->size() != 1)
      return ctx.error() << "K must have one element", failure();
    k = value->front();
  }
  int64_t dim = ctx.type(0).getDimSize(*axis);
  if (k < 0 || k > dim)
    return ctx.error() << "k = " << k << " is outside [0, " << dim << "]",
           failure();
  if (k == 0)
    return ctx.unsupported("k = 0 (empty results)");
  Type elt = ctx.type(0).getElementType();
  if (!isa<FloatType>(elt))
    return ctx.unsupported("TopK of integers");
  Value x = ctx.in(0);
  Value keys = ctx.getInt("largest", 1) ? x : NegOp::create(ctx.b, ctx.loc, x);
  SmallVector<int64_t> shape(ctx.type(0).getShape());
  Value positions = ctx.iota(shape, *axis);
  Value gone = ctx.scalarOf(elt, -std::numeric_limits<double>::infinity());
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value index = ctx.make<ArgmaxOp>(keys, uint64_t(*axis), true);
    if (!index)
      return failure();
    Value picked = ctx.make<CompareOp>(CompareDirection::EQ, positions, index);
    Value value = ctx.make<ReduceSumOp>(
        ctx.make<SelectOp>(picked, x, ctx.scalarOf(elt, 0)),
        ArrayRef<int64_t>{*axis}, true);
    if (!value)
      return failure();
    values.push_back(value);
    indices.push_back(index);
    if (round + 1 < k)
      keys = ctx.make<SelectOp>(picked, gone, keys);
  }
  auto join = [&](ArrayRef<Value> parts) {
    return parts.size() == 1
               ? parts.front()
               : ctx.make<ConcatOp>(ValueRange(parts), uint64_t(*axis));
  };
  Value v = join(values), i = join(indices);
  if (!v || !i)
    return failure();
  ctx.set(0, v);
  ctx.set(1, i);
  return success();
}

/// Before opset 13, Softmax, LogSoftmax and Hardmax view the input as a
/// matrix [prod(shape[:axis]), prod(shape[axis:])] and work along its rows
/// (the axis defaults to 1); from 13 on they work along one axis (default
/// -1).
bool coercesToRows(NodeContext &ctx) { return ctx.opset < 13; }

FailureOr<int64_t> rowsAxis(NodeContext &ctx) {
  return ctx.axis(ctx.getInt("axis", coercesToRows(ctx) ? 1 : -1), ctx.rank(0));
}

Value asRows(NodeContext &ctx, Value x, int64_t axis) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t outer = 1, inner = 1;
  for (auto [i, d] : llvm::enumerate(shape))
    (int64_t(i) < axis ? outer : inner) *= d;
  return ctx.reshape(x, {outer, inner});
}

/// 1 at the first maximum along the axis, 0 elsewhere.
LogicalResult convertHardmax(NodeContext &ctx) {
  auto type = ctx.type(0);
  auto axis = rowsAxis(ctx);
  if (failed(axis))
    return failure();
  Value x = ctx.in(0);
  int64_t a = *axis;
  if (coercesToRows(ctx)) {
    x = asRows(ctx, x, a);
    a = 1;
  }
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  Value index = ctx.make<ArgmaxOp>(x, uint64_t(a), true);
  Value positions = ctx.iota(shape, a);
  Value mask = ctx.make<CompareOp>(CompareDirection::EQ, positions, index);
  Value y = mask ? ctx.castTo(mask, type.getElementType()) : mask;
  y = y ? ctx.reshape(y, type.getShape()) : y;
  ctx.set(0, y);
  return success(y != nullptr);
}

/// Softmax, LogSoftmax (rows of a matrix before opset 13, see asRows).
template <typename OpTy> LogicalResult convertSoftmax(NodeContext &ctx) {
  auto type = ctx.type(0);
  auto axis = rowsAxis(ctx);
  if (failed(axis))
    return failure();
  Value x = ctx.in(0);
  if (!coercesToRows(ctx) || *axis == type.getRank() - 1) {
    ctx.set(0, OpTy::create(ctx.b, ctx.loc, x, *axis));
    return success();
  }
  Value y = OpTy::create(ctx.b, ctx.loc, asRows(ctx, x, *axis), 1);
  ctx.set(0, ctx.reshape(y, type.getShape()));
  return success();
}

} // namespace

void dlc::onnx::registerReductionOps(ConverterTable &t) {
  t.add("ReduceSum", 1, convertReduce<Reduction::Sum, 13>);
  t.add("ReduceMean", 1, convertReduce<Reduction::Mean, 18>);
  t.add("ReduceMax", 1, convertReduce<Reduction::Max, 18>);
  t.add("ReduceMin", 1, convertReduce<Reduction::Min, 18>);
  t.add("ReduceProd", 1, convertReduce<Reduction::Prod, 18>);
  t.add("ReduceL1", 1, convertReduce<Reduction::L1, 18>);
  t.add("ReduceL2", 1, convertReduce<Reduction::L2, 18>);
  t.add("ReduceLogSum", 1, convertReduce<Reduction::LogSum, 18>);
  t.add("ReduceLogSumExp", 1, convertReduce<Reduction::LogSumExp, 18>);
  t.add("ReduceSumSquare", 1, convertReduce<Reduction::SumSquare, 18>);
  t.add("ArgMax", 1, convertArgExtreme<false>);
  t.add("ArgMin", 1, convertArgExtreme<true>);
  t.add("Hardmax", 1, convertHardmax);
  t.add("TopK", 1, convertTopK);
  t.add("Softmax", 1, convertSoftmax<SoftmaxOp>);
  t.add("LogSoftmax", 1, convertSoftmax<LogSoftmaxOp>);
}

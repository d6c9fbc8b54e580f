//===- IndexOps.cpp - ONNX ops built from index masks ---------------------===//
//
// Trilu, EyeLike, OneHot, GatherElements and CumSum compare an iota (the
// position along a dimension) with something: a diagonal offset, an index,
// another position. The resulting masks select or sum, all elementwise or
// reductions that the backends already run (and fuse). The window
// functions (Hann, Hamming, Blackman) are constants of a known length.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

/// Whether (column - row) of the last two dimensions compares with k.
Value diagonalMask(NodeContext &ctx, int64_t rows, int64_t cols, int64_t k,
                   CompareDirection direction) {
  Value diff = ctx.make<SubOp>(ctx.iota({rows, cols}, 1),
                               ctx.iota({rows, cols}, 0));
  return ctx.make<CompareOp>(direction, diff,
                             ctx.scalarOf(ctx.b.getIntegerType(64), double(k)));
}

LogicalResult convertTrilu(NodeContext &ctx) {
  auto type = ctx.type(0);
  if (type.getRank() < 2)
    return ctx.error() << "the input must have rank 2 or more", failure();
  int64_t k = 0;
  if (ctx.has(1)) {
    auto value = ctx.scalar(1, "k");
    if (failed(value))
      return failure();
    k = int64_t(*value);
  }
  bool upper = ctx.getInt("upper", 1) != 0;
  auto shape = type.getShape();
  Value mask = diagonalMask(ctx, shape[shape.size() - 2], shape.back(), k,
                            upper ? CompareDirection::GE : CompareDirection::LE);
  Value y = ctx.make<SelectOp>(mask, ctx.in(0),
                               ctx.scalarOf(type.getElementType(), 0));
  ctx.set(0, y);
  return success(y != nullptr);
}

LogicalResult convertEyeLike(NodeContext &ctx) {
  auto type = ctx.type(0);
  if (type.getRank() != 2)
    return ctx.error() << "the input must be a matrix", failure();
  Type elt = type.getElementType();
  if (ctx.hasAttr("dtype")) {
    elt = elementTypeOf(*ctx.b.getContext(), int32_t(ctx.getInt("dtype", 1)));
    if (!elt)
      return ctx.unsupported("dtype " +
                             onnxTypeName(int32_t(ctx.getInt("dtype", 1))));
  }
  Value mask = diagonalMask(ctx, type.getDimSize(0), type.getDimSize(1),
                            ctx.getInt("k", 0), CompareDirection::EQ);
  Value y = ctx.make<SelectOp>(mask, ctx.scalarOf(elt, 1), ctx.scalarOf(elt, 0));
  ctx.set(0, y);
  return success(y != nullptr);
}

LogicalResult convertOneHot(NodeContext &ctx) {
  auto depth = ctx.scalar(1, "depth");
  if (failed(depth))
    return failure();
  int64_t n = int64_t(*depth);
  if (n <= 0)
    return ctx.error() << "depth must be positive", failure();
  if (ctx.rank(2) != 1 || ctx.type(2).getDimSize(0) != 2)
    return ctx.error() << "values must be [off, on]", failure();
  auto indexShape = ctx.type(0).getShape();
  int64_t rank = indexShape.size() + 1;
  auto axis = ctx.axis(ctx.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  // Indices may be any numeric type; negative ones count from the end.
  Type i64 = ctx.b.getIntegerType(64);
  Value idx = wrapIndices(ctx, ctx.castTo(ctx.in(0), i64), n);
  SmallVector<int64_t> shape(indexShape), spread(indexShape);
  shape.insert(shape.begin() + *axis, n);
  spread.insert(spread.begin() + *axis, 1);
  Value mask = ctx.make<CompareOp>(CompareDirection::EQ, ctx.iota(shape, *axis),
                                   ctx.reshape(idx, spread));
  Value values = ctx.in(2);
  Value off = ctx.reshape(ctx.make<SliceOp>(values, ArrayRef<int64_t>{0},
                                            ArrayRef<int64_t>{1},
                                            ArrayRef<int64_t>{1}),
                          {});
  Value on = ctx.reshape(ctx.make<SliceOp>(values, ArrayRef<int64_t>{1},
                                           ArrayRef<int64_t>{2},
                                           ArrayRef<int64_t>{1}),
                         {});
  Value y = ctx.make<SelectOp>(mask, on, off);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// The permutation that moves `axis` to the end, and its inverse.
std::pair<SmallVector<int64_t>, SmallVector<int64_t>> axisLast(int64_t axis,
                                                               int64_t rank) {
  SmallVector<int64_t> perm, inverse(rank);
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      perm.push_back(i);
  perm.push_back(axis);
  for (int64_t i = 0; i < rank; ++i)
    inverse[perm[i]] = i;
  return {perm, inverse};
}

Value transpose(NodeContext &ctx, Value v, ArrayRef<int64_t> perm) {
  bool identity = llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()));
  return identity ? v : ctx.make<TransposeOp>(v, perm);
}

LogicalResult convertGatherElements(NodeContext &ctx) {
  auto type = ctx.type(0), idxType = ctx.type(1);
  int64_t rank = type.getRank();
  if (idxType.getRank() != rank)
    return ctx.error() << "the indices must have the data's rank", failure();
  auto axis = ctx.axis(ctx.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (type.getElementType().isInteger(1))
    return ctx.unsupported("GatherElements of booleans");
  int64_t dim = type.getDimSize(*axis);
  // Out[..., j] (axis last) = sum_d x[..., d] * (d == idx[..., j]).
  Value x = ctx.in(0);
  SmallVector<int64_t> limit(idxType.getShape());
  limit[*axis] = dim;
  for (int64_t d = 0; d < rank; ++d)
    if (limit[d] > type.getDimSize(d))
      return ctx.error() << "the indices are larger than the data in "
                            "dimension "
                         << d,
             failure();
  if (ArrayRef<int64_t>(limit) != type.getShape())
    x = ctx.make<SliceOp>(x, ArrayRef<int64_t>(SmallVector<int64_t>(rank, 0)),
                          ArrayRef<int64_t>(limit),
                          ArrayRef<int64_t>(SmallVector<int64_t>(rank, 1)));
  auto [perm, inverse] = axisLast(*axis, rank);
  Type i64 = ctx.b.getIntegerType(64);
  Value idx = wrapIndices(ctx, ctx.castTo(ctx.in(1), i64), dim);
  Value xt = transpose(ctx, x, perm), it = transpose(ctx, idx, perm);
  if (!xt || !it)
    return failure();
  SmallVector<int64_t> itShape(cast<RankedTensorType>(it.getType()).getShape());
  SmallVector<int64_t> xSpread(cast<RankedTensorType>(xt.getType()).getShape());
  xSpread.insert(xSpread.end() - 1, 1);
  SmallVector<int64_t> iSpread(itShape), full(itShape);
  iSpread.push_back(1);
  full.push_back(dim);
  Value mask = ctx.make<CompareOp>(CompareDirection::EQ,
                                   ctx.iota(full, rank),
                                   ctx.reshape(it, iSpread));
  Value picked = ctx.make<SelectOp>(mask, ctx.reshape(xt, xSpread),
                                    ctx.scalarOf(type.getElementType(), 0));
  Value y = ctx.make<ReduceSumOp>(picked, ArrayRef<int64_t>{rank}, false);
  y = y ? transpose(ctx, y, inverse) : y;
  ctx.set(0, y);
  return success(y != nullptr);
}

enum class Window { Hann, Hamming, Blackman };

/// HannWindow, HammingWindow, BlackmanWindow: constants of the size known
/// at compile time, periodic (the period is the size) or symmetric (the
/// size less one), in output_datatype.
template <Window kind> LogicalResult convertWindow(NodeContext &ctx) {
  auto size = ctx.scalar(0, "the size");
  if (failed(size))
    return failure();
  int64_t n = int64_t(*size);
  if (n < 1 || double(n) != *size)
    return ctx.error() << "the size must be a positive integer, it is "
                       << *size,
           failure();
  auto type = dyn_cast_or_null<FloatType>(
      elementTypeOf(*ctx.b.getContext(), ctx.getInt("output_datatype", 1)));
  if (!type)
    return ctx.unsupported("output_datatype " +
                           std::to_string(ctx.getInt("output_datatype", 1)));
  double period = ctx.getInt("periodic", 1) ? double(n) : double(n - 1);
  std::vector<double> values;
  for (int64_t i = 0; i < n; ++i) {
    double x = 2 * M_PI * double(i) / period;
    switch (kind) {
    case Window::Hann: {
      double s = std::sin(M_PI * double(i) / period);
      values.push_back(s * s);
      break;
    }
    case Window::Hamming:
      values.push_back(25.0 / 46.0 - (21.0 / 46.0) * std::cos(x));
      break;
    case Window::Blackman:
      values.push_back(0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x));
      break;
    }
  }
  ctx.set(0, ctx.floatConstant({n}, type, values));
  return success();
}

LogicalResult convertCumSum(NodeContext &ctx) {
  auto type = ctx.type(0);
  int64_t rank = type.getRank();
  auto axisValue = ctx.scalar(1, "the axis");
  if (failed(axisValue))
    return failure();
  auto axis = ctx.axis(int64_t(*axisValue), rank);
  if (failed(axis))
    return failure();
  if (!isa<FloatType>(type.getElementType()))
    return ctx.unsupported("CumSum of integers");
  int64_t dim = type.getDimSize(*axis);
  bool exclusive = ctx.getInt("exclusive", 0), reverse = ctx.getInt("reverse", 0);
  // y = x @ M with M[k, j] = 1 where x[k] counts towards y[j].
  Value diff = ctx.make<SubOp>(ctx.iota({dim, dim}, 1), ctx.iota({dim, dim}, 0));
  CompareDirection direction =
      reverse ? (exclusive ? CompareDirection::LT : CompareDirection::LE)
              : (exclusive ? CompareDirection::GT : CompareDirection::GE);
  Value mask = ctx.make<CompareOp>(direction, diff,
                                   ctx.scalarOf(ctx.b.getIntegerType(64), 0));
  Value m = ctx.castTo(mask, type.getElementType());
  auto [perm, inverse] = axisLast(*axis, rank);
  Value x = ctx.in(0);
  if (rank == 1) // dl.matmul wants a matrix on the left.
    x = ctx.reshape(x, {1, dim});
  Value xt = transpose(ctx, x, perm);
  Value y = ctx.make<MatmulOp>(xt, m, false, false);
  y = y ? transpose(ctx, y, inverse) : y;
  if (y && rank == 1)
    y = ctx.reshape(y, {dim});
  ctx.set(0, y);
  return success(y != nullptr);
}

} // namespace

void dlc::onnx::registerIndexOps(ConverterTable &t) {
  t.add("Trilu", 14, convertTrilu);
  t.add("EyeLike", 9, convertEyeLike);
  t.add("OneHot", 9, convertOneHot);
  t.add("GatherElements", 11, convertGatherElements);
  t.add("CumSum", 11, convertCumSum);
  t.add("HannWindow", 17, convertWindow<Window::Hann>);
  t.add("HammingWindow", 17, convertWindow<Window::Hamming>);
  t.add("BlackmanWindow", 17, convertWindow<Window::Blackman>);
}

//===- ScatterOps.cpp - ONNX GatherND, ScatterND and ScatterElements ------===//
//
// Each indexes a tensor by tuples of coordinates. The tuples become linear
// offsets into the data flattened over the indexed dimensions (integer
// arithmetic on the index tensor), and the op a dl.gather or dl.scatter_add
// along that one dimension. A scatter that replaces (reduction "none")
// selects the scattered rows where any index hit and the data elsewhere;
// ONNX leaves repeated indices undefined there, and here they add up.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

/// The offsets of the index tuples along the last axis of `indices` into
/// dims[0, k) of a tensor of `shape`: [indices.shape[:-1]] of i64.
Value tupleOffsets(NodeContext &ctx, Value indices, ArrayRef<int64_t> dims) {
  auto type = cast<RankedTensorType>(indices.getType());
  int64_t rank = type.getRank(), k = dims.size();
  SmallVector<int64_t> outer(type.getShape().drop_back());
  Type i64 = ctx.b.getIntegerType(64);
  Value all = ctx.castTo(indices, i64), offset;
  int64_t stride = ShapedType::getNumElements(dims);
  for (int64_t j = 0; j < k; ++j) {
    stride /= dims[j];
    SmallVector<int64_t> start(rank, 0), limit(type.getShape()), step(rank, 1);
    start[rank - 1] = j, limit[rank - 1] = j + 1;
    Value part = ctx.reshape(ctx.make<SliceOp>(all, ArrayRef<int64_t>(start),
                                               ArrayRef<int64_t>(limit),
                                               ArrayRef<int64_t>(step)),
                             outer);
    Value term = ctx.make<MulOp>(wrapIndices(ctx, part, dims[j]),
                                 ctx.scalarOf(i64, double(stride)));
    offset = offset ? ctx.make<AddOp>(offset, term) : term;
  }
  return offset;
}

LogicalResult convertGatherND(NodeContext &ctx) {
  auto data = ctx.type(0), idx = ctx.type(1);
  int64_t b = ctx.getInt("batch_dims", 0), r = data.getRank(),
          q = idx.getRank();
  if (q < 1 || b < 0 || b >= std::min(r, q))
    return ctx.error() << "batch_dims " << b
                       << " must be below the ranks of "
                          "the data and the indices",
           failure();
  int64_t k = idx.getDimSize(q - 1);
  if (k < 1 || b + k > r)
    return ctx.error() << "index tuples of " << k << " coordinates do not fit "
                       << "the data's " << r - b << " non-batch dimensions",
           failure();
  for (int64_t i = 0; i < b; ++i)
    if (data.getDimSize(i) != idx.getDimSize(i))
      return ctx.error() << "batch dimension " << i
                         << " differs: " << data.getDimSize(i) << " and "
                         << idx.getDimSize(i),
             failure();
  ArrayRef<int64_t> shape = data.getShape();
  int64_t per = ShapedType::getNumElements(shape.slice(b, k));
  Value offset = tupleOffsets(ctx, ctx.in(1), shape.slice(b, k));
  if (!offset)
    return failure();
  // The batch's own block of the flattened data.
  SmallVector<int64_t> outer(idx.getShape().drop_back());
  Type i64 = ctx.b.getIntegerType(64);
  int64_t stride = per;
  for (int64_t i = b - 1; i >= 0; --i) {
    offset = ctx.make<AddOp>(
        offset,
        ctx.make<MulOp>(ctx.iota(outer, i), ctx.scalarOf(i64, double(stride))));
    stride *= shape[i];
  }
  SmallVector<int64_t> flat{ShapedType::getNumElements(shape.take_front(b)) *
                            per};
  flat.append(shape.begin() + b + k, shape.end());
  Value y =
      ctx.make<GatherOp>(ctx.reshape(ctx.in(0), flat), offset, uint64_t(0));
  ctx.set(0, y);
  return success(y != nullptr);
}

/// data with `updates` ([n, rest...]) scattered into its rows by `rows`
/// ([n]) of the data flattened to [count, rest...], by `reduction`.
Value scatterRows(NodeContext &ctx, Value data, Value updates, Value rows,
                  int64_t count, StringRef reduction) {
  auto type = cast<RankedTensorType>(data.getType());
  auto upType = cast<RankedTensorType>(updates.getType());
  SmallVector<int64_t> flat{count};
  flat.append(upType.getShape().begin() + 1, upType.getShape().end());
  Value flatData = ctx.reshape(data, flat);
  auto resultType = RankedTensorType::get(flat, type.getElementType());
  Value scattered =
      ScatterAddOp::create(ctx.b, ctx.loc, resultType, updates, rows, 0);
  Value y;
  if (reduction == "add") {
    y = ctx.make<AddOp>(flatData, scattered);
  } else {
    // Which rows an index hit: the scattered count of ones.
    int64_t n = upType.getDimSize(0);
    Type f32 = ctx.b.getF32Type();
    Value ones = ctx.broadcastTo(ctx.scalarOf(f32, 1), {n});
    Value hits = ScatterAddOp::create(
        ctx.b, ctx.loc, RankedTensorType::get({count}, f32), ones, rows, 0);
    SmallVector<int64_t> column(flat.size(), 1);
    column[0] = count;
    Value hit = ctx.reshape(
        ctx.make<CompareOp>(CompareDirection::GT, hits, ctx.scalarOf(f32, 0)),
        column);
    y = ctx.make<SelectOp>(hit, scattered, flatData);
  }
  return y ? ctx.reshape(y, type.getShape()) : y;
}

FailureOr<std::string> reductionOf(NodeContext &ctx) {
  std::string reduction = ctx.getString("reduction", "none");
  if (reduction != "none" && reduction != "add")
    return (void)ctx.unsupported("reduction '" + reduction + "'"),
           FailureOr<std::string>(failure());
  return reduction;
}

LogicalResult convertScatterND(NodeContext &ctx) {
  auto reduction = reductionOf(ctx);
  if (failed(reduction))
    return failure();
  auto data = ctx.type(0), idx = ctx.type(1), up = ctx.type(2);
  int64_t r = data.getRank(), q = idx.getRank();
  int64_t k = q ? idx.getDimSize(q - 1) : 0;
  if (q < 1 || k < 1 || k > r)
    return ctx.error() << "index tuples of " << k
                       << " coordinates do not fit data of rank " << r,
           failure();
  ArrayRef<int64_t> shape = data.getShape();
  SmallVector<int64_t> expected(idx.getShape().drop_back());
  expected.append(shape.begin() + k, shape.end());
  if (up.getShape() != ArrayRef<int64_t>(expected))
    return ctx.error() << "updates are " << formatShape(up.getShape())
                       << ", expected " << formatShape(expected),
           failure();
  Value offset = tupleOffsets(ctx, ctx.in(1), shape.take_front(k));
  if (!offset)
    return failure();
  int64_t n = ShapedType::getNumElements(idx.getShape().drop_back());
  SmallVector<int64_t> rowsShape{n};
  rowsShape.append(shape.begin() + k, shape.end());
  Value y =
      scatterRows(ctx, ctx.in(0), ctx.reshape(ctx.in(2), rowsShape),
                  ctx.reshape(offset, {n}),
                  ShapedType::getNumElements(shape.take_front(k)), *reduction);
  ctx.set(0, y);
  return success(y != nullptr);
}

/// ScatterElements (and the Scatter it replaced): updates[i...] goes to
/// data at i... with coordinate `axis` replaced by indices[i...].
LogicalResult convertScatterElements(NodeContext &ctx) {
  auto reduction = reductionOf(ctx);
  if (failed(reduction))
    return failure();
  auto data = ctx.type(0), idx = ctx.type(1), up = ctx.type(2);
  int64_t r = data.getRank();
  if (idx.getRank() != r || up.getShape() != idx.getShape())
    return ctx.error() << "the indices must have the data's rank and the "
                          "updates their shape",
           failure();
  auto axis = ctx.axis(ctx.getInt("axis", 0), r);
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> shape = data.getShape(), idxShape = idx.getShape();
  for (int64_t d = 0; d < r; ++d)
    if (idxShape[d] > shape[d])
      return ctx.error() << "the indices are larger than the data in "
                            "dimension "
                         << d,
             failure();
  Type i64 = ctx.b.getIntegerType(64);
  Value offset;
  int64_t stride = ShapedType::getNumElements(shape);
  for (int64_t d = 0; d < r; ++d) {
    stride /= shape[d];
    Value coordinate =
        d == *axis ? wrapIndices(ctx, ctx.castTo(ctx.in(1), i64), shape[d])
                   : ctx.iota(idxShape, d);
    Value term = ctx.make<MulOp>(coordinate, ctx.scalarOf(i64, double(stride)));
    offset = offset ? ctx.make<AddOp>(offset, term) : term;
  }
  if (!offset)
    return failure();
  int64_t n = ShapedType::getNumElements(idxShape);
  Value y = scatterRows(ctx, ctx.in(0), ctx.reshape(ctx.in(2), {n}),
                        ctx.reshape(offset, {n}),
                        ShapedType::getNumElements(shape), *reduction);
  ctx.set(0, y);
  return success(y != nullptr);
}

} // namespace

void dlc::onnx::registerScatterOps(ConverterTable &t) {
  t.add("GatherND", 11, convertGatherND);
  t.add("ScatterND", 11, convertScatterND);
  t.add("ScatterElements", 11, convertScatterElements);
  t.add("Scatter", 9, convertScatterElements);
}

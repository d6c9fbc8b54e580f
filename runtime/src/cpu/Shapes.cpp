//===- Shapes.cpp - Data movement: transpose, concat, slice, gather, iota -===//

#include "CpuKernels.h"

#include <algorithm>
#include <cstring>

namespace dlc::rt::cpu {

std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

void splitAtAxis(const std::vector<int64_t> &shape, int64_t axis,
                 int64_t &outer, int64_t &n, int64_t &inner) {
  outer = 1;
  inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  n = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
}

/// Calls `visit(outputIndex, inputOffset)` for every output element of a
/// strided view of the input.
template <typename Visit>
static void forEachStrided(const std::vector<int64_t> &outShape,
                           const std::vector<int64_t> &inStrides,
                           int64_t base, Visit visit) {
  uint64_t total = 1;
  for (int64_t d : outShape)
    total *= uint64_t(d);
  std::vector<int64_t> idx(outShape.size(), 0);
  int64_t offset = base;
  for (uint64_t i = 0; i < total; ++i) {
    visit(i, offset);
    for (size_t d = outShape.size(); d-- > 0;) {
      offset += inStrides[d];
      if (++idx[d] < outShape[d])
        break;
      offset -= inStrides[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

Status runTranspose(const plan::Transpose &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  std::vector<int64_t> strides = stridesOf(in.shape), permuted;
  for (int64_t axis : *op.perm())
    permuted.push_back(strides[axis]);
  size_t bytes = dtypeSize(in.dtype);
  forEachStrided(out.shape, permuted, 0, [&](uint64_t i, int64_t offset) {
    std::memcpy(out.data + i * bytes, in.data + offset * bytes, bytes);
  });
  return Status::ok();
}

Status runConcat(const plan::Concat &op, Context &ctx) {
  View out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(out.shape, op.axis(), outer, n, inner);
  size_t bytes = dtypeSize(out.dtype);
  int64_t position = 0;
  for (uint32_t index : *op.inputs()) {
    View in = ctx.view(index);
    int64_t length = in.shape[op.axis()];
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(out.data + ((o * n + position) * inner) * bytes,
                  in.data + (o * length * inner) * bytes,
                  length * inner * bytes);
    position += length;
  }
  return Status::ok();
}

Status runSlice(const plan::Slice &op, Context &ctx) {
  View in = ctx.view(op.input()), out = ctx.view(op.output());
  std::vector<int64_t> strides = stridesOf(in.shape), stepped;
  int64_t base = 0;
  for (size_t d = 0; d < in.shape.size(); ++d) {
    base += op.start()->Get(d) * strides[d];
    stepped.push_back(op.step()->Get(d) * strides[d]);
  }
  size_t bytes = dtypeSize(in.dtype);
  if (out.count == 0)
    return Status::ok();
  forEachStrided(out.shape, stepped, base, [&](uint64_t i, int64_t offset) {
    std::memcpy(out.data + i * bytes, in.data + offset * bytes, bytes);
  });
  return Status::ok();
}

/// Index `j` of an i32 or i64 tensor, which must lie in [0, n): indices are
/// data, checked as they are read.
static Status readIndex(const View &indices, uint64_t j, int64_t n,
                        int64_t &k) {
  k = indices.dtype == DType::I32 ? indices.as<int32_t>()[j]
                                  : indices.as<int64_t>()[j];
  if (k < 0 || k >= n)
    return Status::error(format("index %lld at position %llu is out of range "
                                "[0, %lld)",
                                (long long)k, (unsigned long long)j,
                                (long long)n));
  return Status::ok();
}

Status runGather(const plan::Gather &op, Context &ctx) {
  View in = ctx.view(op.input()), indices = ctx.view(op.indices());
  View out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(in.shape, op.axis(), outer, n, inner);
  size_t rowBytes = inner * dtypeSize(in.dtype);
  for (int64_t o = 0; o < outer; ++o)
    for (uint64_t j = 0; j < indices.count; ++j) {
      int64_t k;
      if (Status status = readIndex(indices, j, n, k); !status)
        return status;
      std::memcpy(out.data + (o * indices.count + j) * rowBytes,
                  in.data + (o * n + k) * rowBytes, rowBytes);
    }
  return Status::ok();
}

template <typename T>
static Status scatterAddTyped(const plan::ScatterAdd &op, Context &ctx) {
  View updates = ctx.view(op.updates()), indices = ctx.view(op.indices());
  View out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(out.shape, op.axis(), outer, n, inner);
  T *y = out.as<T>();
  const T *u = updates.as<T>();
  std::fill(y, y + out.count, T(0));
  for (int64_t o = 0; o < outer; ++o)
    for (uint64_t j = 0; j < indices.count; ++j) {
      int64_t k;
      if (Status status = readIndex(indices, j, n, k); !status)
        return status;
      T *row = y + (o * n + k) * inner;
      const T *from = u + (o * int64_t(indices.count) + int64_t(j)) * inner;
      for (int64_t i = 0; i < inner; ++i)
        row[i] += from[i];
    }
  return Status::ok();
}

Status runScatterAdd(const plan::ScatterAdd &op, Context &ctx) {
  if (ctx.view(op.output()).dtype == DType::F64)
    return scatterAddTyped<double>(op, ctx);
  return scatterAddTyped<float>(op, ctx);
}

Status runIota(const plan::Iota &op, Context &ctx) {
  View out = ctx.view(op.output());
  int64_t outer, n, inner;
  splitAtAxis(out.shape, op.axis(), outer, n, inner);
  HostTensor values;
  values.dtype = out.dtype;
  values.shape = {int64_t(out.count)};
  values.data.resize(out.count * dtypeSize(out.dtype));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < inner; ++i)
        values.set((o * n + k) * inner + i, double(k));
  // An empty tensor has no buffer to copy into (or from).
  if (!values.data.empty())
    std::memcpy(out.data, values.data.data(), values.data.size());
  return Status::ok();
}

} // namespace dlc::rt::cpu

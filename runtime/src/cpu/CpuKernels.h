//===- CpuKernels.h - The CPU reference backend's kernels -------*- C++ -*-===//
//
// Plain C++ for every step kind, the oracle the GPU backend is held to.
// Kernels run on plans that passed checkPlan, so shapes and indices are
// consistent; what only the data can break (a label out of range) comes back
// as a Status.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_CPU_CPUKERNELS_H
#define DLC_RUNTIME_CPU_CPUKERNELS_H

#include "PlanAccess.h"

namespace dlc::rt::cpu {

/// A tensor of the plan, resolved to host memory.
struct View {
  uint8_t *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t count = 0;

  template <typename T> T *as() const { return reinterpret_cast<T *>(data); }
};

class Context {
public:
  Context(const plan::Plan &plan, std::vector<uint8_t *> arenas, uint64_t step)
      : plan(plan), arenas(std::move(arenas)), step(step) {}

  View view(uint32_t index) const {
    const plan::Tensor *tensor = plan.tensors()->Get(index);
    View v;
    v.data = arenas[tensor->arena()] + tensor->offset();
    v.dtype = toDType(tensor->dtype());
    v.shape = toShape(tensor->shape());
    v.count = *checkedNumElements(v.shape);
    return v;
  }

  const plan::Plan &plan;
  std::vector<uint8_t *> arenas;
  uint64_t step;
};

/// Row-major strides of `shape`.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape);
/// The size of [0, axis), [axis], (axis, rank) of `shape`.
void splitAtAxis(const std::vector<int64_t> &shape, int64_t axis,
                 int64_t &outer, int64_t &n, int64_t &inner);

Status runGemm(const plan::Gemm &gemm, Context &context);
Status runElementwise(const plan::Elementwise &op, Context &context);
/// The program of `op` with its results stored into `outputs` (the first
/// gives the shape): a softmax's prologue writes a scratch tensor.
/// With `first`, input 0 is read from it rather than from the tensor the
/// program names (attention's scores).
Status runProgram(const plan::Elementwise &op, Context &context,
                  const std::vector<View> &outputs,
                  const View *first = nullptr);
Status runReduce(const plan::Reduce &op, Context &context);
Status runIm2Col(const plan::Im2Col &op, Context &context);
/// GELU's tanh form, as the elementwise kernels compute it (in double).
double geluTanh(double x);
Status runSoftmaxGrad(const plan::SoftmaxGrad &op, Context &context);
Status runSquarePartials(const plan::SquarePartials &op, Context &context);
Status runSumPartials(const plan::SumPartials &op, Context &context);
Status runArgmax(const plan::Argmax &op, Context &context);
Status runSoftmax(const plan::Softmax &op, Context &context);
/// The softmax (with `log`, log-softmax) of x[0], x[stride], ... x[(n - 1) *
/// stride] into y at the same offsets (y may be x), computed in double:
/// the Softmax step's, for f32 and f64.
template <typename T>
void softmaxLine(const T *x, T *y, int64_t n, int64_t stride, bool log);
Status runAttention(const plan::Attention &op, Context &context);
Status runAttentionGrad(const plan::AttentionGrad &op, Context &context);
Status runLayerNorm(const plan::LayerNorm &op, Context &context);
Status runLayerNormGrad(const plan::LayerNormGrad &op, Context &context);
Status runLayerNormParamGrad(const plan::LayerNormParamGrad &op,
                             Context &context);
Status runBatchNorm(const plan::BatchNorm &op, Context &context);
Status runConv2d(const plan::Conv2d &op, Context &context);
Status runPool2d(const plan::Pool2d &op, Context &context);
Status runTranspose(const plan::Transpose &op, Context &context);
Status runConcat(const plan::Concat &op, Context &context);
Status runSlice(const plan::Slice &op, Context &context);
Status runGather(const plan::Gather &op, Context &context);
Status runIota(const plan::Iota &op, Context &context);
Status runScatterAdd(const plan::ScatterAdd &op, Context &context);
Status runConv2dGrad(const plan::Conv2dGrad &op, Context &context);
Status runPool2dGrad(const plan::Pool2dGrad &op, Context &context);
Status runCrossEntropy(const plan::CrossEntropy &op, Context &context);
Status runAccuracy(const plan::Accuracy &op, Context &context);
Status runMse(const plan::Mse &op, Context &context);

/// C = alpha * op(A) * op(B) + beta * C for one row-major matrix each.
template <typename T>
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, T alpha,
          const T *a, const T *b, T beta, T *c);

} // namespace dlc::rt::cpu

#endif // DLC_RUNTIME_CPU_CPUKERNELS_H

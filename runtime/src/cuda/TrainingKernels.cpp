//===- TrainingKernels.cpp - The runtime's own kernels --------------------===//
//
// Batches with the data on the GPU (training steps and evaluation) need two
// kernels no plan has: copying the next batch out of a data set by an order
// (an epoch's shuffle), and adding a step's scalars (the loss; evaluation's
// metrics) to sums. Where the batch starts and the step counter (which
// dropout draws from) live in device memory, and the second kernel advances
// them, so a step is the same work every time: one CUDA graph, launched
// with no arguments and no host synchronisation.
//
//===----------------------------------------------------------------------===//

#include "KernelCompiler.h"

namespace dlc::rt::cuda {

namespace {

const char *kGatherRows = R"(// Rows order[first + r] (r < rows) of a row-major dataset into a batch,
// by the threads [0, threads) of the grid.
__device__ void dlc_gather(const unsigned char *data, unsigned char *batch,
                           const unsigned long long *order,
                           unsigned long long first, unsigned long long rows,
                           unsigned long long rowBytes,
                           unsigned long long thread,
                           unsigned long long threads) {
  if (rowBytes % 4 == 0) {
    // Words, when every row starts on one.
    const unsigned long long words = rowBytes / 4;
    for (unsigned long long i = thread; i < rows * words; i += threads) {
      const unsigned long long r = i / words;
      reinterpret_cast<unsigned int *>(batch)[i] =
          reinterpret_cast<const unsigned int *>(
              data + order[first + r] * rowBytes)[i - r * words];
    }
    return;
  }
  for (unsigned long long i = thread; i < rows * rowBytes; i += threads) {
    const unsigned long long r = i / rowBytes;
    batch[i] = data[order[first + r] * rowBytes + (i - r * rowBytes)];
  }
}

// A step's samples and labels in one launch: the grid's y index picks which.
// The batch's first row is order[*position].
extern "C" __global__ void __launch_bounds__(256)
dlc_gather_rows(const unsigned char *samples, unsigned char *sampleBatch,
                unsigned long long sampleRowBytes, const unsigned char *labels,
                unsigned char *labelBatch, unsigned long long labelRowBytes,
                const unsigned long long *order,
                const unsigned long long *position, unsigned long long rows) {
  const unsigned long long thread = blockIdx.x * 256ull + threadIdx.x;
  const unsigned long long threads = (unsigned long long)gridDim.x * 256;
  const unsigned long long first = *position;
  if (blockIdx.y == 0)
    dlc_gather(samples, sampleBatch, order, first, rows, sampleRowBytes,
               thread, threads);
  else
    dlc_gather(labels, labelBatch, order, first, rows, labelRowBytes, thread,
               threads);
}
)";

const char *kAddSums = R"(// sums[i] += scalar i (a float, or a double where bit i of f64 is set), in
// double, for i < count; then the next step: the position advances by the
// batch, and the step counter by one where there is one (training steps).
__device__ double dlc_scalar(const void *p, unsigned f64, int i) {
  return (f64 >> i & 1) ? *static_cast<const double *>(p)
                        : (double)*static_cast<const float *>(p);
}
extern "C" __global__ void __launch_bounds__(32)
dlc_add_sums(const void *s0, const void *s1, const void *s2, const void *s3,
             int count, unsigned f64, double *sums,
             unsigned long long *counter, unsigned long long *position,
             unsigned long long rows) {
  if (threadIdx.x != 0)
    return;
  const void *scalars[4] = {s0, s1, s2, s3};
  for (int i = 0; i < count && i < 4; ++i)
    sums[i] += dlc_scalar(scalars[i], f64, i);
  if (counter)
    *counter += 1;
  *position += rows;
}
)";

} // namespace

std::vector<KernelText> trainingKernels() {
  return {{"dlc_gather_rows", kGatherRows}, {"dlc_add_sums", kAddSums}};
}

} // namespace dlc::rt::cuda

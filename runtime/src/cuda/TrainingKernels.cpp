//===- TrainingKernels.cpp - The runtime's own kernels --------------------===//
//
// Training with the data on the GPU needs two kernels no plan has: copying
// an epoch's next batch out of the training set by the shuffled order, and
// adding a step's loss to the epoch's sum. They are launched on the stream
// around the program's graph, so a step needs no host synchronisation.
//
//===----------------------------------------------------------------------===//

#include "KernelCompiler.h"

namespace dlc::rt::cuda {

namespace {

const char *kGatherRows = R"(// Rows order[first + r] (r < rows) of a row-major dataset into a batch.
extern "C" __global__ void __launch_bounds__(256)
dlc_gather_rows(const unsigned char *data, unsigned char *batch,
                const unsigned long long *order, unsigned long long first,
                unsigned long long rows, unsigned long long rowBytes) {
  const unsigned long long stride = (unsigned long long)gridDim.x * 256;
  if (rowBytes % 4 == 0) {
    // Words, when every row starts on one.
    const unsigned long long words = rowBytes / 4;
    for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x;
         i < rows * words; i += stride) {
      const unsigned long long r = i / words;
      reinterpret_cast<unsigned int *>(batch)[i] =
          reinterpret_cast<const unsigned int *>(
              data + order[first + r] * rowBytes)[i - r * words];
    }
    return;
  }
  for (unsigned long long i = blockIdx.x * 256ull + threadIdx.x;
       i < rows * rowBytes; i += stride) {
    const unsigned long long r = i / rowBytes;
    batch[i] = data[order[first + r] * rowBytes + (i - r * rowBytes)];
  }
}
)";

const char *kAddLoss = R"(// sum += loss, a float or double scalar, in double.
extern "C" __global__ void __launch_bounds__(32)
dlc_add_loss(const void *loss, int isDouble, double *sum) {
  if (threadIdx.x == 0)
    *sum += isDouble ? *static_cast<const double *>(loss)
                     : (double)*static_cast<const float *>(loss);
}
)";

} // namespace

std::vector<KernelText> trainingKernels() {
  return {{"dlc_gather_rows", kGatherRows}, {"dlc_add_loss", kAddLoss}};
}

} // namespace dlc::rt::cuda

//===- ImplicitGemm.h - Tiled GEMMs over operands read in place -*- C++ -*-===//
//
// A convolution, its input gradient and its weight gradient are each a GEMM
// per group, C[m][n] = sum over k of A[m][k] * B[k][n], whose A and B are
// windows of tensors rather than stored matrices. The kernel written here
// computes one tile of C per thread block: it stages A and B a slice of k
// at a time in shared memory, loading each element through the caller's
// index arithmetic (zero where a window leaves the image), and keeps the
// tile's sums in registers, 16 x 16 threads of up to 8 x 4 each. The loads
// of the next slice are issued before the block multiplies the current one
// and land in a second buffer, so their latency hides behind the sums and a
// slice costs one barrier; a thread reads its operands from shared memory
// 16 bytes at a time.
//
// When the tiles alone would leave most of the device idle (a weight
// gradient sums over every pixel of the batch into a few thousand weights)
// the sum over k is split between blocks. Each block writes its partial
// tile to the kernel's scratch; the last block of a tile to arrive (a
// counter in the scratch says which) adds the partial tiles in split order
// and stores the result, so the sum does not depend on the order the blocks
// ran in, and resets the counter for the next launch.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_CODEGEN_CUDA_IMPLICITGEMM_H
#define DLC_COMPILER_CODEGEN_CUDA_IMPLICITGEMM_H

#include "compiler/codegen/cuda/KernelWriter.h"

#include <functional>

namespace dlc::cuda {

struct ImplicitGemm {
  /// The GEMM of one group; the groups are independent.
  int64_t m = 0, n = 0, k = 0, groups = 1;
  /// The compute type ("float", "double").
  std::string type;
  /// Statements that set `v` (zero before them) to A[m][k], resp. B[k][n],
  /// of group `g`; `m`, `n`, `k` and `g` are in range. Elements that are
  /// zero (padding) may leave `v` alone.
  std::function<void(KernelWriter &)> loadA, loadB;
  /// Whether consecutive threads load consecutive k (true) or consecutive
  /// m / n (false): the index that walks memory contiguously.
  bool aAlongK = false, bAlongK = true;
  /// Statements that store `value` as C[m][n] of group `g`.
  std::function<void(KernelWriter &, const std::string &value)> store;
};

/// How the GEMM is cut into thread blocks.
struct GemmTiling {
  int64_t tm = 16, tn = 16, tk = 16; // the tile of C and the slice of k
  int64_t tilesM = 0, tilesN = 0;
  int64_t splits = 1, kPerSplit = 16; // the sum over k, cut between blocks
  int64_t blocks = 0;                 // tiles x splits x groups
  uint64_t scratch = 0;               // counters and partial tiles, bytes

  static constexpr int64_t kThreads = 256;
};

/// Chooses tiles that fit the GEMM's shape and the split of k that gives
/// the device enough blocks, and sets the kernel's launch (with
/// `extraBlocks` after the GEMM's, for work of the caller's own) and
/// scratch.
GemmTiling launchImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                              int64_t extraBlocks = 0);

/// Writes the kernel body for blocks [0, tiling.blocks).
void writeImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                       const GemmTiling &tiling);

} // namespace dlc::cuda

#endif // DLC_COMPILER_CODEGEN_CUDA_IMPLICITGEMM_H

//===- ImplicitGemm.cpp - Tiled GEMMs over operands read in place ---------===//

#include "compiler/codegen/cuda/ImplicitGemm.h"

#include <algorithm>

namespace dlc::cuda {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The power of two at least `v`, within [lo, hi].
int64_t powerOfTwoIn(int64_t v, int64_t lo, int64_t hi) {
  int64_t p = lo;
  while (p < v && p < hi)
    p *= 2;
  return p;
}

std::string I(int64_t v) { return integer(v); }

/// Stages one operand's slice of k in shared memory: `tile` is its array,
/// `row` the name of its other index (m or n; the tile's own is `row` twice,
/// its first `row` 0), `rows` the tile's extent along it and `extent` the
/// GEMM's; `alongK` says which index consecutive threads take.
void writeStage(KernelWriter &w, const GemmTiling &t, const std::string &tile,
                const std::string &row, int64_t rows, int64_t extent,
                bool alongK, const std::function<void(KernelWriter &)> &load,
                const std::string &type) {
  std::string local = row + row, first = row + "0";
  w.line("#pragma unroll");
  w.open("for (int slot = 0; slot < " +
         I(rows * t.tk / GemmTiling::kThreads) + "; ++slot)");
  w.line("int e = threadIdx.x + slot * " + I(GemmTiling::kThreads) + ";");
  if (alongK)
    w.line("int kk = e % " + I(t.tk) + ", " + local + " = e / " + I(t.tk) +
           ";");
  else
    w.line("int " + local + " = e % " + I(rows) + ", kk = e / " + I(rows) +
           ";");
  w.line("int " + row + " = " + first + " + " + local + ", k = k0 + kk;");
  w.line(type + " v = 0;");
  w.open("if (" + row + " < " + I(extent) + " && k < kEnd)");
  load(w);
  w.close();
  w.line(tile + "[kk][" + local + "] = v;");
  w.close();
}

} // namespace

GemmTiling launchImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                              int64_t extraBlocks) {
  GemmTiling t;
  int64_t elementBytes = gemm.type == "double" ? 8 : 4;
  t.tn = powerOfTwoIn(gemm.n, 16, 64);
  // Narrow tiles are taller: each thread keeps up to 8 x 2 sums.
  t.tm = powerOfTwoIn(gemm.m, 16, t.tn <= 32 ? 128 : 64);
  t.tilesM = ceilDiv(gemm.m, t.tm);
  t.tilesN = ceilDiv(gemm.n, t.tn);
  int64_t tiles = t.tilesM * t.tilesN * gemm.groups;
  // Two blocks per SM of an H100 (132 SMs) keep it busy. With fewer tiles
  // than that, the sum over k is split, each part at least 4 slices long
  // so that the partial tiles' traffic stays small next to the sums.
  constexpr int64_t kTargetBlocks = 264, kMinSlices = 4;
  int64_t splits = 1;
  if (tiles > 0 && tiles < kTargetBlocks)
    splits = std::max<int64_t>(
        1, std::min(ceilDiv(kTargetBlocks, tiles),
                    gemm.k / (kMinSlices * t.tk)));
  t.kPerSplit = std::max<int64_t>(t.tk, ceilDiv(ceilDiv(gemm.k, splits), t.tk) *
                                            t.tk);
  t.splits = std::max<int64_t>(1, ceilDiv(gemm.k, t.kPerSplit));
  t.blocks = tiles * t.splits;
  // A counter per tile at the start of the scratch (fewer tiles than
  // kTargetBlocks fit), the partial tiles after the counters.
  static_assert(kTargetBlocks * 4 <= KernelWriter::kScratchCounters);
  if (t.splits > 1)
    t.scratch = KernelWriter::kScratchCounters +
                uint64_t(t.blocks * t.tm * t.tn * elementBytes);
  w.launch({uint32_t(t.blocks + extraBlocks), 1, 1},
           {GemmTiling::kThreads, 1, 1});
  w.useScratch(t.scratch);
  return t;
}

void writeImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                       const GemmTiling &t) {
  const std::string &T = gemm.type;
  int64_t tiles = t.tilesM * t.tilesN, rm = t.tm / 16, rn = t.tn / 16;
  std::string tileSize = I(t.tm * t.tn);
  w.line("int tile = blockIdx.x % " + I(tiles) + ", split = blockIdx.x / " +
         I(tiles) + " % " + I(t.splits) + ";");
  w.line("int g = blockIdx.x / " + I(tiles * t.splits) + ";");
  w.line("int m0 = tile % " + I(t.tilesM) + " * " + I(t.tm) + ", n0 = tile / " +
         I(t.tilesM) + " * " + I(t.tn) + ";");
  w.line("int kBegin = split * " + I(t.kPerSplit) + ", kEnd = min(kBegin + " +
         I(t.kPerSplit) + ", " + I(gemm.k) + ");");
  w.line("int tx = threadIdx.x % 16, ty = threadIdx.x / 16;");
  // One column of padding keeps loads along k from hitting one bank.
  w.line("__shared__ " + T + " As[" + I(t.tk) + "][" + I(t.tm + 1) + "];");
  w.line("__shared__ " + T + " Bs[" + I(t.tk) + "][" + I(t.tn + 1) + "];");
  w.line(T + " acc[" + I(rm) + "][" + I(rn) + "] = {};");
  w.open("for (int k0 = kBegin; k0 < kEnd; k0 += " + I(t.tk) + ")");
  writeStage(w, t, "As", "m", t.tm, gemm.m, gemm.aAlongK, gemm.loadA, T);
  writeStage(w, t, "Bs", "n", t.tn, gemm.n, gemm.bAlongK, gemm.loadB, T);
  w.line("__syncthreads();");
  w.line("#pragma unroll");
  w.open("for (int kk = 0; kk < " + I(t.tk) + "; ++kk)");
  w.line(T + " a[" + I(rm) + "], b[" + I(rn) + "];");
  w.line("#pragma unroll");
  w.line("for (int i = 0; i < " + I(rm) + "; ++i) a[i] = As[kk][tx + 16 * i];");
  w.line("#pragma unroll");
  w.line("for (int j = 0; j < " + I(rn) + "; ++j) b[j] = Bs[kk][ty + 16 * j];");
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(rm) + "; ++i)");
  w.line("#pragma unroll");
  w.line("for (int j = 0; j < " + I(rn) + "; ++j) acc[i][j] += a[i] * b[j];");
  w.close();
  w.close();
  w.line("__syncthreads();");
  w.close();

  if (t.splits > 1) {
    // The partial tiles of one output tile lie next to each other, split
    // by split, after the arrival counters (a counter per tile).
    w.line(T + " *partials = (" + T + " *)(scratch + " +
           I(KernelWriter::kScratchCounters) + ") + (long long)(g * " +
           I(tiles) + " + tile) * " + I(t.splits * t.tm * t.tn) + ";");
    w.line(T + " *mine = partials + split * " + tileSize + ";");
    w.line("#pragma unroll");
    w.open("for (int i = 0; i < " + I(rm) + "; ++i)");
    w.line("#pragma unroll");
    w.line("for (int j = 0; j < " + I(rn) + "; ++j) mine[(ty + 16 * j) * " +
           I(t.tm) + " + tx + 16 * i] = acc[i][j];");
    w.close();
    // Publish the partial tile before counting in; the last block to count
    // in sees every other block's.
    w.line("__threadfence();");
    w.line("__syncthreads();");
    w.line("__shared__ bool last;");
    w.open("if (threadIdx.x == 0)");
    w.line("unsigned int *arrived = (unsigned int *)scratch + g * " +
           I(tiles) + " + tile;");
    w.line("last = atomicAdd(arrived, 1u) == " + I(t.splits - 1) + ";");
    w.line("if (last) *arrived = 0; // every split has arrived: reset");
    w.close();
    w.line("__syncthreads();");
    w.line("if (!last) return;");
    w.line("__threadfence();");
    // Volatile: the other blocks' tiles are read from memory, not from a
    // cache line this SM may hold.
    w.line("const volatile " + T + " *all = partials;");
    w.open("for (int i = 0; i < " + I(rm) + "; ++i)");
    w.open("for (int j = 0; j < " + I(rn) + "; ++j)");
    w.line(T + " sum = 0;");
    w.line("for (int s = 0; s < " + I(t.splits) + "; ++s) sum += all[s * " +
           tileSize + " + (ty + 16 * j) * " + I(t.tm) + " + tx + 16 * i];");
    w.line("acc[i][j] = sum;");
    w.close();
    w.close();
  }

  // The store's own names (i, b, ...) may be anything but these.
  w.line("#pragma unroll");
  w.open("for (int ti = 0; ti < " + I(rm) + "; ++ti)");
  w.line("#pragma unroll");
  w.open("for (int tj = 0; tj < " + I(rn) + "; ++tj)");
  w.line("int m = m0 + tx + 16 * ti, n = n0 + ty + 16 * tj;");
  w.open("if (m < " + I(gemm.m) + " && n < " + I(gemm.n) + ")");
  w.line(T + " result = acc[ti][tj];");
  gemm.store(w, "result");
  w.close();
  w.close();
  w.close();
}

} // namespace dlc::cuda

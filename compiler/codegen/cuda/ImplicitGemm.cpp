//===- ImplicitGemm.cpp - Tiled GEMMs over operands read in place ---------===//

#include "compiler/codegen/cuda/ImplicitGemm.h"

#include <algorithm>

namespace dlc::cuda {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The tile extent for a GEMM extent `v`: a power of two in [16, hi] that
/// weighs the padding of the last tile against the reuse of a larger one
/// (a tile of t reloads the other operand once per t rows).
int64_t tileExtent(int64_t v, int64_t hi) {
  int64_t best = 16;
  double bestCost = 0;
  for (int64_t t = 16; t <= hi; t *= 2) {
    double cost = double(ceilDiv(v, t) * t) * (1.0 + 16.0 / double(t));
    if (t == 16 || cost <= bestCost)
      best = t, bestCost = cost;
  }
  return best;
}

std::string I(int64_t v) { return integer(v); }

/// The size of the compute type ("float", "double").
int64_t elementBytes(const std::string &type) {
  return type == "double" ? 8 : 4;
}

/// A thread's sums along one side of the tile (m or n) come in groups of
/// `vector` neighbours, the 16 threads' groups side by side, so that one
/// 16-byte shared-memory load fetches a group.
struct Side {
  int64_t count;  // sums per thread
  int64_t vector; // neighbours per group
  /// The tile-local index of sum `i` of thread `thread`.
  std::string local(const std::string &thread, const std::string &i) const {
    if (vector == 1)
      return thread + " + 16 * " + i;
    return i + " / " + I(vector) + " * " + I(16 * vector) + " + " + thread +
           " * " + I(vector) + " + " + i + " % " + I(vector);
  }
};

Side side(int64_t tileExtent, const std::string &type) {
  int64_t count = tileExtent / 16;
  return {count, std::min(count, 16 / elementBytes(type))};
}

/// The slots of one operand a thread loads per slice of k: `row` names its
/// other index (m or n; the tile's own is `row` twice, its first `row` 0),
/// `rows` the tile's extent along it; `alongK` says which index consecutive
/// threads take.
void writeSlotIndices(KernelWriter &w, const GemmTiling &t,
                      const std::string &row, int64_t rows, bool alongK) {
  std::string local = row + row;
  w.line("int e = threadIdx.x + slot * " + I(GemmTiling::kThreads) + ";");
  if (alongK)
    w.line("int kk = e % " + I(t.tk) + ", " + local + " = e / " + I(t.tk) +
           ";");
  else
    w.line("int " + local + " = e % " + I(rows) + ", kk = e / " + I(rows) +
           ";");
}

int64_t slots(const GemmTiling &t, int64_t rows) {
  return rows * t.tk / GemmTiling::kThreads;
}

/// Loads one operand's slice of k from k0 into the registers `staged`.
void writeLoad(KernelWriter &w, const GemmTiling &t, const std::string &staged,
               const std::string &row, int64_t rows, int64_t extent,
               bool alongK, const std::function<void(KernelWriter &)> &load,
               const std::string &type) {
  w.line("#pragma unroll");
  w.open("for (int slot = 0; slot < " + I(slots(t, rows)) + "; ++slot)");
  writeSlotIndices(w, t, row, rows, alongK);
  w.line("int " + row + " = " + row + "0 + " + row + row + ", k = k0 + kk;");
  w.line(type + " v = 0;");
  w.open("if (" + row + " < " + I(extent) + " && k < kEnd)");
  load(w);
  w.close();
  w.line(staged + "[slot] = v;");
  w.close();
}

/// Stores the registers `staged` in shared memory, `tile`[buffer].
void writeStore(KernelWriter &w, const GemmTiling &t, const std::string &tile,
                const std::string &staged, const std::string &row, int64_t rows,
                bool alongK) {
  w.line("#pragma unroll");
  w.open("for (int slot = 0; slot < " + I(slots(t, rows)) + "; ++slot)");
  writeSlotIndices(w, t, row, rows, alongK);
  w.line(tile + "[buffer][kk][" + row + row + "] = " + staged + "[slot];");
  w.close();
}

/// Reads a thread's operands of step kk from shared memory into `regs`, a
/// group of neighbours per 16-byte load.
void writeFetch(KernelWriter &w, const std::string &regs,
                const std::string &tile, const std::string &thread,
                const Side &s, const std::string &type) {
  static const char *fields[] = {"x", "y", "z", "w"};
  std::string vec = s.vector == 1 ? type : type + I(s.vector);
  w.line("#pragma unroll");
  w.open("for (int q = 0; q < " + I(s.count / s.vector) + "; ++q)");
  if (s.vector == 1) {
    w.line(regs + "[q] = " + tile + "[computing][kk][" + thread +
           " + 16 * q];");
  } else {
    w.line(vec + " part = *reinterpret_cast<const " + vec + " *>(&" + tile +
           "[computing][kk][q * " + I(16 * s.vector) + " + " + thread + " * " +
           I(s.vector) + "]);");
    for (int64_t f = 0; f < s.vector; ++f)
      w.line(regs + "[q * " + I(s.vector) + " + " + I(f) + "] = part." +
             fields[f] + ";");
  }
  w.close();
}

/// How the 8 warps share a tile on tensor cores: wm x wn warps, each
/// multiplying fm x fn pieces of 16 x 8 (mma.sync's m16n8k8). Warps past
/// wm * wn idle in small tiles.
struct TensorCoreTiling {
  int64_t wm, wn, fm, fn;
};

TensorCoreTiling tensorCoreTiling(const GemmTiling &t) {
  int64_t mTiles = t.tm / 16, nTiles = t.tn / 8;
  TensorCoreTiling tc;
  tc.wm = std::min<int64_t>(mTiles, nTiles >= 2 ? 4 : 8);
  tc.wn = std::min<int64_t>(nTiles, 8 / tc.wm);
  tc.fm = mTiles / tc.wm;
  tc.fn = nTiles / tc.wn;
  return tc;
}

/// One staged slice of k multiplied on TF32 tensor cores, 8 deep at a
/// time: each warp loads its operands from shared memory as mma.sync lays
/// them out (dlc_mma_tf32) and adds into its tiles' sums `tc`.
void writeTensorCoreSlice(KernelWriter &w, const GemmTiling &t,
                          const TensorCoreTiling &tc) {
  w.open("if (warp < " + I(tc.wm * tc.wn) + ")");
  w.line("#pragma unroll");
  w.open("for (int k8 = 0; k8 < " + I(t.tk) + "; k8 += 8)");
  w.line("unsigned fa[" + I(tc.fm) + "][4], fb[" + I(tc.fn) + "][2];");
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(tc.fm) + "; ++i)");
  w.line("int m = wy * " + I(16 * tc.fm) + " + i * 16 + lg;");
  w.line("fa[i][0] = dlc_tf32(As[computing][k8 + lq][m]);");
  w.line("fa[i][1] = dlc_tf32(As[computing][k8 + lq][m + 8]);");
  w.line("fa[i][2] = dlc_tf32(As[computing][k8 + lq + 4][m]);");
  w.line("fa[i][3] = dlc_tf32(As[computing][k8 + lq + 4][m + 8]);");
  w.close();
  w.line("#pragma unroll");
  w.open("for (int j = 0; j < " + I(tc.fn) + "; ++j)");
  w.line("int n = wx * " + I(8 * tc.fn) + " + j * 8 + lg;");
  w.line("fb[j][0] = dlc_tf32(Bs[computing][k8 + lq][n]);");
  w.line("fb[j][1] = dlc_tf32(Bs[computing][k8 + lq + 4][n]);");
  w.close();
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(tc.fm) + "; ++i)");
  w.line("#pragma unroll");
  w.line("for (int j = 0; j < " + I(tc.fn) +
         "; ++j) dlc_mma_tf32(tc[i][j], fa[i], fb[j]);");
  w.close();
  w.close();
  w.close();
}

} // namespace

GemmTiling launchImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                              int64_t extraBlocks) {
  GemmTiling t;
  int64_t bytes = elementBytes(gemm.type);
  // Up to 128 x 64 in float, 8 x 4 sums a thread: a larger tile's sums
  // and staged loads take more than 128 registers a thread, leaving one
  // block per SM. Double's tiles stay within 48 KiB of shared memory (two
  // slices of each operand): narrow ones are taller, up to 128 x 32.
  t.tn = tileExtent(gemm.n, 64);
  t.tm = tileExtent(gemm.m, bytes == 4 || t.tn <= 32 ? 128 : 64);
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
                uint64_t(t.blocks * t.tm * t.tn * bytes);
  // Two blocks an SM: one block's barrier leaves the other's warps to run.
  // Up to 128 registers a thread; the largest tiles spill a few bytes of
  // their loads' index arithmetic.
  w.launch({uint32_t(t.blocks + extraBlocks), 1, 1},
           {GemmTiling::kThreads, 1, 1}, 2);
  w.useScratch(t.scratch);
  return t;
}

void writeImplicitGemm(KernelWriter &w, const ImplicitGemm &gemm,
                       const GemmTiling &t) {
  const std::string &T = gemm.type;
  int64_t tiles = t.tilesM * t.tilesN;
  Side ms = side(t.tm, T), ns = side(t.tn, T);
  int64_t rm = ms.count, rn = ns.count;
  std::string tileSize = I(t.tm * t.tn);
  w.line("int tile = blockIdx.x % " + I(tiles) + ", split = blockIdx.x / " +
         I(tiles) + " % " + I(t.splits) + ";");
  w.line("int g = blockIdx.x / " + I(tiles * t.splits) + ";");
  w.line("int m0 = tile % " + I(t.tilesM) + " * " + I(t.tm) + ", n0 = tile / " +
         I(t.tilesM) + " * " + I(t.tn) + ";");
  w.line("int kBegin = split * " + I(t.kPerSplit) + ", kEnd = min(kBegin + " +
         I(t.kPerSplit) + ", " + I(gemm.k) + ");");
  // The 16 x 16 threads: a warp takes 8 x 4 of them, so that its loads
  // from shared memory touch few distinct addresses (one 16-byte group of
  // A per 8 lanes, of B per 4; the rest are broadcasts).
  w.line("int lane = threadIdx.x % 32, warp = threadIdx.x / 32;");
  w.line("int tx = warp % 2 * 8 + lane % 8, ty = warp / 2 * 4 + lane / 8;");
  // Two buffers of each operand's slice: while the block multiplies one,
  // the next slice's loads are in flight and then stored in the other, so a
  // slice costs one barrier. A row's padding keeps the 16-byte loads
  // aligned and spreads stores along k over the banks. The TF32 path stages
  // its product tile in the same memory once the slices are done with.
  int64_t pad = 16 / elementBytes(T);
  int64_t ldA = t.tm + pad, ldB = t.tn + pad;
  int64_t slices = 2 * t.tk * (ldA + ldB);
  bool tensorCores = T == "float";
  int64_t shared = tensorCores ? std::max(slices, t.tn * ldA) : slices;
  w.line("__shared__ __align__(16) " + T + " smem[" + I(shared) + "];");
  w.line(T + " (*As)[" + I(t.tk) + "][" + I(ldA) + "] = reinterpret_cast<" + T +
         " (*)[" + I(t.tk) + "][" + I(ldA) + "]>(smem);");
  w.line(T + " (*Bs)[" + I(t.tk) + "][" + I(ldB) + "] = reinterpret_cast<" + T +
         " (*)[" + I(t.tk) + "][" + I(ldB) + "]>(smem + " + I(2 * t.tk * ldA) +
         ");");
  w.line(T + " acc[" + I(rm) + "][" + I(rn) + "] = {};");
  w.line(T + " stagedA[" + I(slots(t, t.tm)) + "], stagedB[" +
         I(slots(t, t.tn)) + "];");
  TensorCoreTiling tc = tensorCoreTiling(t);
  if (tensorCores) {
    w.use(kTf32Mma);
    w.line("#ifdef DLC_TF32");
    w.line("// Warp (wy, wx) of " + I(tc.wm) + " x " + I(tc.wn) +
           " multiplies " + I(tc.fm) + " x " + I(tc.fn) +
           " tiles of 16 x 8 on tensor cores.");
    w.line("int wy = warp % " + I(tc.wm) + ", wx = warp / " + I(tc.wm) +
           ", lg = lane / 4, lq = lane % 4;");
    w.line("float tc[" + I(tc.fm) + "][" + I(tc.fn) + "][4] = {};");
    w.line("#endif");
  }
  // Pass s loads slice s, multiplies slice s - 1 (staged by the pass
  // before) and stores slice s: one pass more than there are slices.
  w.open("for (int k0 = kBegin, pass = 0; k0 < kEnd + " + I(t.tk) +
         "; k0 += " + I(t.tk) + ", ++pass)");
  w.line("int buffer = pass & 1, computing = buffer ^ 1;");
  w.open("if (k0 < kEnd)");
  writeLoad(w, t, "stagedA", "m", t.tm, gemm.m, gemm.aAlongK, gemm.loadA, T);
  writeLoad(w, t, "stagedB", "n", t.tn, gemm.n, gemm.bAlongK, gemm.loadB, T);
  w.close();
  w.open("if (pass > 0)");
  if (tensorCores) {
    w.line("#ifdef DLC_TF32");
    writeTensorCoreSlice(w, t, tc);
    w.line("#else");
  }
  w.line("#pragma unroll");
  w.open("for (int kk = 0; kk < " + I(t.tk) + "; ++kk)");
  w.line(T + " a[" + I(rm) + "], b[" + I(rn) + "];");
  writeFetch(w, "a", "As", "tx", ms, T);
  writeFetch(w, "b", "Bs", "ty", ns, T);
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(rm) + "; ++i)");
  w.line("#pragma unroll");
  w.line("for (int j = 0; j < " + I(rn) + "; ++j) acc[i][j] += a[i] * b[j];");
  w.close();
  w.close();
  if (tensorCores)
    w.line("#endif");
  w.close();
  w.open("if (k0 < kEnd)");
  writeStore(w, t, "As", "stagedA", "m", t.tm, gemm.aAlongK);
  writeStore(w, t, "Bs", "stagedB", "n", t.tn, gemm.bAlongK);
  w.line("__syncthreads();");
  w.close();
  w.close();

  if (tensorCores) {
    // The warps' sums, through shared memory, become each thread's acc as
    // the CUDA-core path leaves them.
    w.line("#ifdef DLC_TF32");
    w.line("__syncthreads(); // every warp is done with the slices");
    w.line("float *product = smem; // the tile, (m, n) at n * " + I(ldA) +
           " + m");
    w.open("if (warp < " + I(tc.wm * tc.wn) + ")");
    w.line("#pragma unroll");
    w.open("for (int i = 0; i < " + I(tc.fm) + "; ++i)");
    w.line("#pragma unroll");
    w.open("for (int j = 0; j < " + I(tc.fn) + "; ++j)");
    w.line("#pragma unroll");
    w.open("for (int r = 0; r < 4; ++r)");
    w.line("int m = wy * " + I(16 * tc.fm) + " + i * 16 + lg + 8 * (r / 2);");
    w.line("int n = wx * " + I(8 * tc.fn) + " + j * 8 + 2 * lq + r % 2;");
    w.line("product[n * " + I(ldA) + " + m] = tc[i][j][r];");
    w.close();
    w.close();
    w.close();
    w.close();
    w.line("__syncthreads();");
    w.line("#pragma unroll");
    w.open("for (int i = 0; i < " + I(rm) + "; ++i)");
    w.line("#pragma unroll");
    w.line("for (int j = 0; j < " + I(rn) + "; ++j) acc[i][j] = product[(" +
           ns.local("ty", "j") + ") * " + I(ldA) + " + " + ms.local("tx", "i") +
           "];");
    w.close();
    w.line("#endif");
  }

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
    w.line("for (int j = 0; j < " + I(rn) + "; ++j) mine[(" +
           ns.local("ty", "j") + ") * " + I(t.tm) + " + " +
           ms.local("tx", "i") + "] = acc[i][j];");
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
           tileSize + " + (" + ns.local("ty", "j") + ") * " + I(t.tm) + " + " +
           ms.local("tx", "i") + "];");
    w.line("acc[i][j] = sum;");
    w.close();
    w.close();
  }

  // The store's own names (i, b, ...) may be anything but these.
  w.line("#pragma unroll");
  w.open("for (int ti = 0; ti < " + I(rm) + "; ++ti)");
  w.line("#pragma unroll");
  w.open("for (int tj = 0; tj < " + I(rn) + "; ++tj)");
  w.line("int m = m0 + " + ms.local("tx", "ti") + ", n = n0 + " +
         ns.local("ty", "tj") + ";");
  w.open("if (m < " + I(gemm.m) + " && n < " + I(gemm.n) + ")");
  w.line(T + " result = acc[ti][tj];");
  gemm.store(w, "result");
  w.close();
  w.close();
  w.close();
}

} // namespace dlc::cuda

//===- EmitAttention.cpp - Scores, softmax and weighted sum in one kernel -===//
//
// A block of 4 warps takes 16 query rows of one head: it stages the head's
// keys (a column of padding, so lanes reading one key column each do not
// share a bank) and values in shared memory, then each warp takes a row at
// a time. A lane computes the scores of every 32nd key from the row (in
// shared memory), passes each through the prologue, and the warp shuffles
// out the row's maximum and the sum of exponentials; the probabilities go
// to shared memory, and a lane sums every 32nd output column over them. The
// scores never reach global memory, nor the probabilities unless the
// backward pass needs them.
//
// A head whose keys and values do not fit (long contexts) goes through
// shared memory a tile of keys at a time: the block's 16 query rows stay
// there, and each warp keeps its rows' running maximum, sum of
// exponentials and output columns in registers, rescaling them when a tile
// raises the maximum (the online softmax of FlashAttention). Training,
// which writes the normalized probabilities, takes two sweeps over the
// tiles: the row statistics first, then the probabilities and the sums.
//
// The backward pass takes a whole head per block of 8 warps, since the
// keys' gradients sum over every query row: with the keys and values in
// shared memory, a warp takes a query row at a time and computes the
// softmax's gradient of every 32nd key (the products of the gradient row
// with the values, less their sum weighted by the probabilities), passes
// it through the epilogue into the head's matrix of score gradients in
// shared memory, and sums the query's gradient over it. Then the queries
// and gradient rows replace the keys and values, and a warp takes a key at
// a time: its gradient sums the score gradients' column against the
// queries, its value's gradient the probabilities' column against the
// gradient rows. The score gradients never reach global memory.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

#include "AttentionSizes.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace dlc::cuda {

namespace {

constexpr int64_t kWarps = 4, kRowsPerBlock = 16;
/// The shared memory a block of either attention kernel may take, in bytes:
/// what dl-fuse-attention allows by default.
constexpr int64_t kSharedBytes = 40960;

constexpr int64_t kGradWarps = 8;

std::string I(int64_t v) { return integer(v); }

/// The output row of row `row` of head `head` (of `t`), where merging the
/// heads (`merged` H, or 0) puts it; `unmerged` when they stay apart.
std::string outputRow(int64_t t, int64_t merged, const std::string &unmerged) {
  if (!merged)
    return unmerged;
  return "(head / " + I(merged) + " * " + I(t) + " + row) * " + I(merged) +
         " + head % " + I(merged);
}

/// The element offset of a row of one head's [n, width] matrix, laid out
/// with the heads merged when `heads` (H) is not 0, and with `packed` as
/// one third of [q | k | v] rows: `part` is which (0 query, 1 key, 2 value).
std::string rowStart(const std::string &row, int64_t n, int64_t width,
                     int64_t heads, bool packed = false, int64_t part = 0) {
  if (!heads)
    return "(head * " + I(n) + " + " + row + ") * " + I(width);
  int64_t stride = (packed ? 3 : 1) * heads * width;
  std::string offset = packed ? " + " + I(part * heads * width) : "";
  return "(head / " + I(heads) + " * " + I(n) + " + " + row + ") * " +
         I(stride) + offset + " + head % " + I(heads) + " * " + I(width);
}

/// Keys per tile of the tiled kernel: the most, up to 64, whose keys
/// (padded by a column), values, the block's query rows and a score row
/// per warp fit kSharedBytes; 0 if not even one key does.
int64_t keyTile(int64_t e, int64_t e2, int64_t bytes) {
  for (int64_t tile = 64; tile >= 1; tile /= 2)
    if ((tile * (e + 1) + tile * e2 + kRowsPerBlock * e + kWarps * tile) *
            bytes <=
        kSharedBytes)
      return tile;
  return 0;
}

/// The tiled kernel (see the file comment) for heads of `s` keys whose
/// keys and values do not fit in shared memory at once.
bool emitTiledAttention(KernelWriter &w, const plan::Attention &op,
                        const Operand &q, const plan::AttentionSizes &sizes,
                        std::string &error) {
  int64_t heads = sizes.heads, t = sizes.t, e = sizes.e, s = sizes.s,
          e2 = sizes.e2, merged = sizes.merged;
  bool prologue = op.prologue();
  std::string T = computeType(q.dtype);
  int64_t tile = keyTile(e, e2, q.dtype == plan::DType::F64 ? 8 : 4);
  if (tile == 0) {
    error = "attention's query rows do not fit in shared memory";
    return false;
  }
  int64_t rowBlocks = (t + kRowsPerBlock - 1) / kRowsPerBlock;
  int64_t rowsPerWarp = kRowsPerBlock / kWarps;
  int64_t columns = (e2 + 31) / 32; // output columns per lane
  bool twoSweeps = op.with_probabilities();
  std::string low = literal(-std::numeric_limits<double>::infinity(), q.dtype);
  std::string exp = mathFunction("exp", q.dtype);
  w.launch({uint32_t(heads * rowBlocks), 1, 1}, {uint32_t(kWarps * 32), 1, 1});
  w.line("__shared__ " + T + " Ks[" + I(tile) + "][" + I(e + 1) + "];");
  w.line("__shared__ " + T + " Vs[" + I(tile) + "][" +
         I(std::max<int64_t>(e2, 1)) + "];");
  w.line("__shared__ " + T + " Qs[" + I(kRowsPerBlock) + "][" +
         I(std::max<int64_t>(e, 1)) + "];");
  w.line("__shared__ " + T + " Ps[" + I(kWarps) + "][" + I(tile) + "];");
  w.line("long long head = blockIdx.x / " + I(rowBlocks) + ";");
  w.line("int row0 = blockIdx.x % " + I(rowBlocks) + " * " + I(kRowsPerBlock) +
         ";");
  w.line("int warp = threadIdx.x / 32, lane = threadIdx.x % 32;");
  w.open("for (int x = threadIdx.x; x < " + I(kRowsPerBlock * e) +
         "; x += " + I(kWarps * 32) + ")");
  w.line("int r = row0 + x / " + I(std::max<int64_t>(e, 1)) + ";");
  w.line("Qs[x / " + I(std::max<int64_t>(e, 1)) + "][x % " +
         I(std::max<int64_t>(e, 1)) + "] = r < " + I(t) + " ? q[(head * " +
         I(t) + " + r) * " + I(e) + " + x % " + I(std::max<int64_t>(e, 1)) +
         "] : 0;");
  w.close();
  // Row i of the warp is block row warp + i * kWarps. The loops over rows
  // and columns unroll, so these stay in registers.
  w.line(T + " high[" + I(rowsPerWarp) + "], sum[" + I(rowsPerWarp) +
         "], acc[" + I(rowsPerWarp) + "][" + I(columns) + "];");
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(rowsPerWarp) + "; ++i)");
  w.line("high[i] = " + low + ";");
  w.line("sum[i] = 0;");
  w.line("#pragma unroll");
  w.line("for (int u = 0; u < " + I(columns) + "; ++u) acc[i][u] = 0;");
  w.close();
  // The scores of row `i` of the warp for the tile's keys into Ps[warp],
  // through the prologue; `tileHigh` is their warp-wide maximum.
  auto scores = [&]() {
    w.line(T + " tileHigh = " + low + ";");
    w.open("for (int j = lane; j < n; j += 32)");
    w.line(T + " score = 0;");
    w.line("#pragma unroll 8");
    w.line("for (int c = 0; c < " + I(e) +
           "; ++c) score += Qs[br][c] * Ks[j][c];");
    if (prologue)
      w.line("score = modify(score, (head * " + I(t) + " + row) * " + I(s) +
             " + k0 + j);");
    w.line("Ps[warp][j] = score;");
    w.line("tileHigh = score > tileHigh ? score : tileHigh;");
    w.close();
    w.line("for (int o = 16; o > 0; o /= 2) { " + T +
           " other = __shfl_xor_sync(0xffffffffu, tileHigh, o); tileHigh = "
           "other > tileHigh ? other : tileHigh; }");
  };
  // One sweep over the key tiles; `body` handles row i of the warp (block
  // row br, row `row` of the head) once its scores are in Ps[warp].
  auto sweep = [&](const std::function<void()> &body) {
    w.open("for (int k0 = 0; k0 < " + I(s) + "; k0 += " + I(tile) + ")");
    w.line("int n = min(" + I(tile) + ", " + I(s) + " - k0);");
    w.line("__syncthreads();");
    w.open("for (int x = threadIdx.x; x < n * " + I(e) + "; x += " +
           I(kWarps * 32) + ")");
    w.line("Ks[x / " + I(std::max<int64_t>(e, 1)) + "][x % " +
           I(std::max<int64_t>(e, 1)) + "] = k[(head * " + I(s) + " + k0) * " +
           I(e) + " + x];");
    w.close();
    w.open("for (int x = threadIdx.x; x < n * " + I(e2) + "; x += " +
           I(kWarps * 32) + ")");
    w.line("Vs[x / " + I(std::max<int64_t>(e2, 1)) + "][x % " +
           I(std::max<int64_t>(e2, 1)) + "] = v[(head * " + I(s) + " + k0) * " +
           I(e2) + " + x];");
    w.close();
    w.line("__syncthreads();");
    // Rows are whole warps' work, so the shuffles see every lane.
    w.line("#pragma unroll");
    w.open("for (int i = 0; i < " + I(rowsPerWarp) + "; ++i)");
    w.line("int br = warp + i * " + I(kWarps) + ", row = row0 + br;");
    w.line("if (row >= " + I(t) + ") break;");
    scores();
    body();
    // The next row overwrites this one's scores.
    w.line("__syncwarp();");
    w.close();
    w.close();
  };
  if (twoSweeps) {
    // The rows' maxima and sums of exponentials.
    sweep([&] {
      w.line(T + " top = tileHigh > high[i] ? tileHigh : high[i];");
      w.line("if (top == " + low + ") continue;");
      w.line(T + " part = 0;");
      w.line("for (int j = lane; j < n; j += 32) part += " + exp +
             "(Ps[warp][j] - top);");
      w.line("for (int o = 16; o > 0; o /= 2) part += "
             "__shfl_xor_sync(0xffffffffu, part, o);");
      w.line("sum[i] = sum[i] * " + exp + "(high[i] - top) + part;");
      w.line("high[i] = top;");
    });
    // The probabilities, written, and their products with the values.
    sweep([&] {
      w.open("for (int j = lane; j < n; j += 32)");
      w.line(T + " p = " + exp + "(Ps[warp][j] - high[i]) / sum[i];");
      w.line("Ps[warp][j] = p;");
      w.line("probs[(head * " + I(t) + " + row) * " + I(s) + " + k0 + j] = p;");
      w.close();
      w.line("__syncwarp();");
      w.line("#pragma unroll");
      w.open("for (int u = 0; u < " + I(columns) + "; ++u)");
      w.line("int c = lane + 32 * u;");
      w.line("if (c >= " + I(e2) + ") break;");
      w.line(T + " a = 0;");
      w.line("for (int j = 0; j < n; ++j) a += Ps[warp][j] * Vs[j][c];");
      w.line("acc[i][u] += a;");
      w.close();
    });
  } else {
    // One sweep: a tile that raises a row's maximum rescales what the row
    // summed so far.
    sweep([&] {
      w.line(T + " top = tileHigh > high[i] ? tileHigh : high[i];");
      w.line("if (top == " + low + ") continue;");
      w.line(T + " scale = " + exp + "(high[i] - top), part = 0;");
      w.open("for (int j = lane; j < n; j += 32)");
      w.line(T + " p = " + exp + "(Ps[warp][j] - top);");
      w.line("Ps[warp][j] = p;");
      w.line("part += p;");
      w.close();
      w.line("for (int o = 16; o > 0; o /= 2) part += "
             "__shfl_xor_sync(0xffffffffu, part, o);");
      w.line("sum[i] = sum[i] * scale + part;");
      w.line("high[i] = top;");
      w.line("__syncwarp();");
      w.line("#pragma unroll");
      w.open("for (int u = 0; u < " + I(columns) + "; ++u)");
      w.line("int c = lane + 32 * u;");
      w.line("if (c >= " + I(e2) + ") break;");
      w.line(T + " a = 0;");
      w.line("for (int j = 0; j < n; ++j) a += Ps[warp][j] * Vs[j][c];");
      w.line("acc[i][u] = acc[i][u] * scale + a;");
      w.close();
    });
  }
  // The rows' outputs, where the heads' merge puts them.
  w.line("#pragma unroll");
  w.open("for (int i = 0; i < " + I(rowsPerWarp) + "; ++i)");
  w.line("int row = row0 + warp + i * " + I(kWarps) + ";");
  w.line("if (row >= " + I(t) + ") break;");
  w.line("long long outAt = " +
         outputRow(t, merged, "head * " + I(t) + " + row") + ";");
  w.line("#pragma unroll");
  w.open("for (int u = 0; u < " + I(columns) + "; ++u)");
  w.line("int c = lane + 32 * u;");
  w.line("if (c < " + I(e2) + ") out[outAt * " + I(e2) + " + c] = " +
         (twoSweeps ? std::string("acc[i][u]") : "acc[i][u] / sum[i]") + ";");
  w.close();
  w.close();
  return true;
}

} // namespace

bool emitAttention(KernelWriter &w, const plan::Attention &op,
                   std::string &error) {
  const Operand &q = w.input(op.query(), "q");
  const Operand &k = w.input(op.key(), "k");
  const Operand &v = w.input(op.value(), "v");
  const Operand &out = w.output(op.output(), "out");
  if (op.with_probabilities())
    w.output(op.probabilities(), "probs");
  if (!floatKernelType(q.dtype, "attention", error))
    return false;
  plan::AttentionSizes sizes =
      plan::attentionSizes(q.shape, k.shape, v.shape, op.merge_heads());
  int64_t heads = sizes.heads, t = sizes.t, e = sizes.e, s = sizes.s,
          e2 = sizes.e2, merged = sizes.merged;
  std::string T = computeType(q.dtype);

  // The modified score of element i of [..., T, S].
  std::string prologue;
  if (op.prologue()) {
    Operand scores = out;
    scores.shape = q.shape;
    scores.shape.back() = s;
    if (!writeValueFunction(w, *op.prologue(), scores, "modify", "px",
                            "long long", prologue, error))
      return false;
  }
  if (s == 0) {
    // No keys: every weighted sum is empty.
    w.launchThreads(out.count);
    w.forEach("i", out.count);
    w.line("out[i] = 0;");
    w.close();
    w.summary = "attention over no keys";
    return true;
  }
  int64_t rowBlocks = (t + kRowsPerBlock - 1) / kRowsPerBlock;
  if (heads * rowBlocks > int64_t(std::numeric_limits<int32_t>::max())) {
    error = "attention has more heads and rows than a grid launches";
    return false;
  }
  int64_t bytes = q.dtype == plan::DType::F64 ? 8 : 4;
  if ((s * (e + 1) + s * std::max<int64_t>(e2, 1) + kWarps * (e + s)) * bytes >
      kSharedBytes) {
    if (!emitTiledAttention(w, op, q, sizes, error))
      return false;
    w.summary = "attention over " + std::to_string(s) + " keys of " +
                std::to_string(e) + " in tiles of " +
                std::to_string(keyTile(e, e2, bytes)) + " (" +
                std::to_string(kRowsPerBlock) + " rows a block" +
                (op.with_probabilities() ? ", two sweeps, probabilities written"
                                         : ", online softmax") +
                (op.merge_heads() ? ", heads merged" : "") + ")" +
                (op.prologue() ? ", scores through elementwise " + prologue
                               : std::string());
    return true;
  }
  w.launch({uint32_t(heads * rowBlocks), 1, 1},
           {uint32_t(kWarps * 32), 1, 1});
  w.line("__shared__ " + T + " Ks[" + I(s) + "][" + I(e + 1) + "];");
  w.line("__shared__ " + T + " Vs[" + I(s) + "][" + I(std::max<int64_t>(e2, 1)) +
         "];");
  w.line("__shared__ " + T + " Qs[" + I(kWarps) + "][" +
         I(std::max<int64_t>(e, 1)) + "];");
  w.line("__shared__ " + T + " Ps[" + I(kWarps) + "][" + I(s) + "];");
  w.line("long long head = blockIdx.x / " + I(rowBlocks) + ";");
  w.line("int row0 = blockIdx.x % " + I(rowBlocks) + " * " +
         I(kRowsPerBlock) + ";");
  w.line("const " + T + " *kh = k + head * " + I(s * e) + ";");
  w.line("const " + T + " *vh = v + head * " + I(s * e2) + ";");
  w.open("for (int x = threadIdx.x; x < " + I(s * e) + "; x += " +
         I(kWarps * 32) + ")");
  w.line("Ks[x / " + I(std::max<int64_t>(e, 1)) + "][x % " +
         I(std::max<int64_t>(e, 1)) + "] = kh[x];");
  w.close();
  w.open("for (int x = threadIdx.x; x < " + I(s * e2) + "; x += " +
         I(kWarps * 32) + ")");
  w.line("Vs[x / " + I(std::max<int64_t>(e2, 1)) + "][x % " +
         I(std::max<int64_t>(e2, 1)) + "] = vh[x];");
  w.close();
  w.line("__syncthreads();");
  w.line("int warp = threadIdx.x / 32, lane = threadIdx.x % 32;");
  // Rows are whole warps' work: the loop's condition is the same for all
  // of a warp's lanes, so the shuffles see every lane.
  w.open("for (int row = row0 + warp; row < min(row0 + " + I(kRowsPerBlock) +
         ", " + I(t) + "); row += " + I(kWarps) + ")");
  w.line("long long at = head * " + I(t) + " + row;");
  // With the heads merged, row `row` of every head of one sequence is one
  // row of the output.
  w.line("long long outAt = " + outputRow(t, merged, "at") + ";");
  w.line("for (int c = lane; c < " + I(e) + "; c += 32) Qs[warp][c] = q[at * " +
         I(e) + " + c];");
  w.line("__syncwarp();");
  w.line(T + " high = " +
         literal(-std::numeric_limits<double>::infinity(), q.dtype) + ";");
  w.open("for (int j = lane; j < " + I(s) + "; j += 32)");
  w.line(T + " score = 0;");
  w.line("#pragma unroll 8");
  w.line("for (int c = 0; c < " + I(e) + "; ++c) score += Qs[warp][c] * "
         "Ks[j][c];");
  if (op.prologue())
    w.line("score = modify(score, at * " + I(s) + " + j);");
  w.line("Ps[warp][j] = score;");
  w.line("high = score > high ? score : high;");
  w.close();
  w.line("for (int o = 16; o > 0; o /= 2) { " + T +
         " other = __shfl_xor_sync(0xffffffffu, high, o); high = other > high "
         "? other : high; }");
  w.line(T + " sum = 0;");
  w.open("for (int j = lane; j < " + I(s) + "; j += 32)");
  w.line(T + " p = " + mathFunction("exp", q.dtype) + "(Ps[warp][j] - high);");
  w.line("Ps[warp][j] = p;");
  w.line("sum += p;");
  w.close();
  w.line("for (int o = 16; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, "
         "sum, o);");
  w.open("for (int j = lane; j < " + I(s) + "; j += 32)");
  w.line("Ps[warp][j] /= sum;");
  if (op.with_probabilities())
    w.line("probs[at * " + I(s) + " + j] = Ps[warp][j];");
  w.close();
  w.line("__syncwarp();");
  w.open("for (int c = lane; c < " + I(e2) + "; c += 32)");
  w.line(T + " acc = 0;");
  w.line("for (int j = 0; j < " + I(s) + "; ++j) acc += Ps[warp][j] * "
         "Vs[j][c];");
  w.line("out[outAt * " + I(e2) + " + c] = acc;");
  w.close();
  // The next row overwrites this one's query and probabilities.
  w.line("__syncwarp();");
  w.close();
  w.summary = "attention over " + std::to_string(s) + " keys of " +
              std::to_string(e) + " (" + std::to_string(kRowsPerBlock) +
              " rows a block" +
              (op.with_probabilities() ? ", probabilities written" : "") +
              (op.merge_heads() ? ", heads merged" : "") +
              ")" +
              (op.prologue() ? ", scores through elementwise " + prologue
                             : std::string());
  return true;
}

bool emitAttentionGrad(KernelWriter &w, const plan::AttentionGrad &op,
                       std::string &error) {
  w.input(op.grad(), "grad");
  w.input(op.probabilities(), "probs");
  const Operand &q = w.input(op.query(), "q");
  const Operand &k = w.input(op.key(), "k");
  const Operand &v = w.input(op.value(), "v");
  const Operand &dq = w.output(op.query_grad(), "dq");
  std::string dk = "dq", dv = "dq";
  if (!op.packed()) {
    w.output(op.key_grad(), "dk");
    w.output(op.value_grad(), "dv");
    dk = "dk", dv = "dv";
  }
  if (!floatKernelType(q.dtype, "attention's gradient", error))
    return false;
  plan::AttentionSizes sizes =
      plan::attentionSizes(q.shape, k.shape, v.shape, op.merge_heads());
  int64_t heads = sizes.heads, t = sizes.t, e = sizes.e, s = sizes.s,
          e2 = sizes.e2, h = sizes.merged;
  std::string T = computeType(q.dtype);

  // The softmax's input gradient of element i of [..., T, S], as the
  // scores' gradient.
  std::string epilogue;
  if (op.epilogue()) {
    Operand scores = dq;
    scores.shape = q.shape;
    scores.shape.back() = s;
    if (!writeValueFunction(w, *op.epilogue(), scores, "modify", "ex",
                            "long long", epilogue, error))
      return false;
  }
  // Keys and values, later queries and gradient rows, each row padded by a
  // column so lanes reading a column each use distinct banks; a gradient
  // row per warp; the head's score gradients, padded likewise.
  int64_t rowsArea = std::max(s, t) * (e + e2 + 2);
  int64_t total = rowsArea + kGradWarps * e2 + t * (s + 1);
  uint64_t bytes = uint64_t(total) * (q.dtype == plan::DType::F64 ? 8 : 4);
  if (bytes > 48 * 1024) {
    error = "attention's gradient needs " + std::to_string(bytes) +
            " bytes of shared memory a block, more than 48 KiB";
    return false;
  }
  if (heads > int64_t(std::numeric_limits<int32_t>::max()) || t == 0 ||
      s == 0) {
    error = "attention's gradient needs queries, keys and at most 2^31 heads";
    return false;
  }
  w.launch({uint32_t(heads), 1, 1}, {uint32_t(kGradWarps * 32), 1, 1});
  w.line("__shared__ " + T + " smem[" + I(total) + "];");
  w.line("long long head = blockIdx.x;");
  w.line("int warp = threadIdx.x / 32, lane = threadIdx.x % 32;");
  w.line(T + " *ks = smem, *vs = smem + " + I(s * (e + 1)) + ";");
  w.line(T + " *row = smem + " + I(rowsArea) + " + warp * " + I(e2) + ";");
  w.line(T + " *ds = smem + " + I(rowsArea + kGradWarps * e2) + ";");
  w.line("const " + T + " *ph = probs + head * " + I(t * s) + ";");
  auto stage = [&](const std::string &to, int64_t n, int64_t width,
                   const std::string &from) {
    w.open("for (int x = threadIdx.x; x < " + I(n * width) +
           "; x += " + I(kGradWarps * 32) + ")");
    w.line("int r = x / " + I(width) + ", c = x % " + I(width) + ";");
    w.line(to + "[r * " + I(width + 1) + " + c] = " + from + ";");
    w.close();
  };
  std::string gradRow = rowStart("r", t, e2, h);
  stage("ks", s, e, "k[head * " + I(s * e) + " + x]");
  stage("vs", s, e2, "v[head * " + I(s * e2) + " + x]");
  w.line("__syncthreads();");

  // A query row at a time per warp; the loop's condition is the same for
  // all of a warp's lanes, so the shuffles see every lane.
  w.open("for (int i = warp; i < " + I(t) + "; i += " + I(kGradWarps) + ")");
  w.line("long long gAt = " + rowStart("i", t, e2, h) + ";");
  w.line("for (int c = lane; c < " + I(e2) +
         "; c += 32) row[c] = grad[gAt + c];");
  w.line("__syncwarp();");
  w.line(T + " dot = 0;");
  w.open("for (int j = lane; j < " + I(s) + "; j += 32)");
  w.line(T + " d = 0;");
  w.line("#pragma unroll 8");
  w.line("for (int c = 0; c < " + I(e2) + "; ++c) d += row[c] * vs[j * " +
         I(e2 + 1) + " + c];");
  w.line("ds[i * " + I(s + 1) + " + j] = d;");
  w.line("dot += ph[i * " + I(s) + " + j] * d;");
  w.close();
  w.line("for (int o = 16; o > 0; o /= 2) dot += __shfl_xor_sync(0xffffffffu, "
         "dot, o);");
  w.open("for (int j = lane; j < " + I(s) + "; j += 32)");
  w.line(T + " x = ph[i * " + I(s) + " + j] * (ds[i * " + I(s + 1) +
         " + j] - dot);");
  if (op.epilogue())
    w.line("x = modify(x, (head * " + I(t) + " + i) * " + I(s) + " + j);");
  w.line("ds[i * " + I(s + 1) + " + j] = x;");
  w.close();
  w.line("__syncwarp();");
  w.open("for (int c = lane; c < " + I(e) + "; c += 32)");
  w.line(T + " acc = 0;");
  w.line("for (int j = 0; j < " + I(s) + "; ++j) acc += ds[i * " + I(s + 1) +
         " + j] * ks[j * " + I(e + 1) + " + c];");
  w.line("dq[" + rowStart("i", t, e, h, op.packed(), 0) + " + c] = acc;");
  w.close();
  // The next row overwrites this one's gradient row.
  w.line("__syncwarp();");
  w.close();
  w.line("__syncthreads();");

  // The queries and gradient rows replace the keys and values; a key at a
  // time per warp.
  w.line(T + " *qs = smem, *gs = smem + " + I(t * (e + 1)) + ";");
  stage("qs", t, e, "q[head * " + I(t * e) + " + x]");
  stage("gs", t, e2, "grad[" + gradRow + " + c]");
  w.line("__syncthreads();");
  w.open("for (int j = warp; j < " + I(s) + "; j += " + I(kGradWarps) + ")");
  w.open("for (int c = lane; c < " + I(e) + "; c += 32)");
  w.line(T + " acc = 0;");
  w.line("for (int i = 0; i < " + I(t) + "; ++i) acc += ds[i * " + I(s + 1) +
         " + j] * qs[i * " + I(e + 1) + " + c];");
  w.line(dk + "[" + rowStart("j", s, e, h, op.packed(), 1) + " + c] = acc;");
  w.close();
  w.open("for (int c = lane; c < " + I(e2) + "; c += 32)");
  w.line(T + " acc = 0;");
  w.line("for (int i = 0; i < " + I(t) + "; ++i) acc += ph[i * " + I(s) +
         " + j] * gs[i * " + I(e2 + 1) + " + c];");
  w.line(dv + "[" + rowStart("j", s, e2, h, op.packed(), 2) + " + c] = acc;");
  w.close();
  w.close();
  w.summary =
      "attention's gradient over " + std::to_string(s) + " keys of " +
      std::to_string(e) + " (a head a block" +
      (op.merge_heads() ? ", heads merged" : "") +
      (op.packed() ? ", q, k and v packed" : "") + ")" +
      (op.epilogue() ? ", score gradients through elementwise " + epilogue
                     : std::string());
  return true;
}

} // namespace dlc::cuda

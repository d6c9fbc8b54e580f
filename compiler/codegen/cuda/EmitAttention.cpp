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
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

#include <algorithm>
#include <limits>

namespace dlc::cuda {

namespace {

constexpr int64_t kWarps = 4, kRowsPerBlock = 16;

std::string I(int64_t v) { return integer(v); }

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
  size_t rank = q.shape.size();
  int64_t t = q.shape[rank - 2], e = q.shape[rank - 1];
  int64_t s = k.shape[rank - 2], e2 = v.shape[rank - 1];
  int64_t heads = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    heads *= q.shape[d];
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
  if (op.merge_heads()) {
    int64_t h = q.shape[rank - 3];
    w.line("long long outAt = (head / " + I(h) + " * " + I(t) + " + row) * " +
           I(h) + " + head % " + I(h) + ";");
  } else {
    w.line("long long outAt = at;");
  }
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

} // namespace dlc::cuda

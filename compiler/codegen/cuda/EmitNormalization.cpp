//===- EmitNormalization.cpp - Layer and batch normalization --------------===//
//
// A thread block per normalized group (a row for layer norm, a channel for
// batch norm in training): two passes over the group, the mean and then the
// squared deviations from it, which stays accurate where the one-pass
// E[x^2] - E[x]^2 cancels. The group is small enough to stay in L1/L2
// between the passes. Layer norm's backward pass is two kernels: the input
// gradient by rows, and gamma's and beta's gradients by columns.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

namespace dlc::cuda {

namespace {

/// Rows (the leading dimensions [0, axis)) and columns (the normalized
/// ones) of a layer norm's input.
std::pair<int64_t, int64_t> rowsAndColumns(const Operand &x, int64_t axis) {
  int64_t rows = 1, cols = 1;
  for (size_t d = 0; d < x.shape.size(); ++d)
    (int64_t(d) < axis ? rows : cols) *= x.shape[d];
  return {x.count == 0 ? 0 : rows, cols};
}

/// The statements that give a block's row `row` (of `cols` elements, read
/// by `threads` threads) its `mean` and `rstd` = 1 / sqrt(variance + eps):
/// two passes, the mean and then the squared deviations from it.
void emitRowStatistics(KernelWriter &w, plan::DType d, int64_t cols,
                       uint32_t threads, double epsilon) {
  std::string T = computeType(d), t = std::to_string(threads);
  std::string loop = "for (int k = threadIdx.x; k < " + integer(cols) +
                     "; k += " + t + ")";
  std::string count = literal(double(cols), d);
  w.line(T + " sum = 0;");
  w.line(loop);
  w.line("  sum += row[k];");
  w.line("const " + T + " mean = dlc_block_reduce<" + t +
         ">(sum, dlc_sum()) / " + count + ";");
  w.line(T + " squares = 0;");
  w.line(loop);
  w.line("  squares += (row[k] - mean) * (row[k] - mean);");
  w.line("const " + T + " variance = dlc_block_reduce<" + t +
         ">(squares, dlc_sum()) / " + count + ";");
  w.line("const " + T + " rstd = " + literal(1, d) + " / " +
         mathFunction("sqrt", d) + "(variance + " + literal(epsilon, d) +
         ");");
}

} // namespace

bool emitLayerNorm(KernelWriter &w, const plan::LayerNorm &op,
                   std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  w.input(op.gamma(), "gamma");
  w.input(op.beta(), "beta");
  w.output(op.output(), "y");
  if (!floatKernelType(x.dtype, "layer_norm", error))
    return false;
  auto [rows, cols] = rowsAndColumns(x, op.axis());
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  uint32_t threads = KernelWriter::reductionThreads(cols);
  std::string t = std::to_string(threads), n = integer(cols);
  w.use(kBlockReduce);
  w.launch({uint32_t(rows), 1, 1}, {threads, 1, 1});
  w.line("const " + T + " *row = x + (" + w.index() + ")blockIdx.x * " + n +
         ";");
  w.line(T + " *out = y + (" + w.index() + ")blockIdx.x * " + n + ";");
  emitRowStatistics(w, d, cols, threads, op.epsilon());
  w.line("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
  w.line("  out[k] = (row[k] - mean) * rstd * gamma[k] + beta[k];");
  w.summary = "layer_norm over " + std::to_string(cols) + " elements";
  return true;
}

// A block per row, as in the forward kernel: the statistics again (the
// same statements), then the two row means the input gradient needs, then dx. Four
// block reductions, one read of the row from memory; the rest hits L1.
bool emitLayerNormGrad(KernelWriter &w, const plan::LayerNormGrad &op,
                       std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  w.input(op.grad(), "dy");
  w.input(op.gamma(), "gamma");
  if (op.with_addend())
    w.input(op.addend(), "addend");
  w.output(op.output(), "dx");
  w.output(op.mean(), "mean_out");
  w.output(op.rstd(), "rstd_out");
  if (!floatKernelType(x.dtype, "layer_norm_grad", error))
    return false;
  auto [rows, cols] = rowsAndColumns(x, op.axis());
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  uint32_t threads = KernelWriter::reductionThreads(cols);
  std::string t = std::to_string(threads), n = integer(cols);
  std::string cn = literal(double(cols), d);
  auto reduce = [&](const std::string &value) {
    return "dlc_block_reduce<" + t + ">(" + value + ", dlc_sum())";
  };
  auto loop = [&](const std::string &statement) {
    w.line("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
    w.line("  " + statement);
  };
  w.use(kBlockReduce);
  w.launch({uint32_t(rows), 1, 1}, {threads, 1, 1});
  w.line("const " + w.index() + " base = (" + w.index() + ")blockIdx.x * " +
         n + ";");
  w.line("const " + T + " *row = x + base, *g = dy + base;");
  emitRowStatistics(w, d, cols, threads, op.epsilon());
  // dxhat = dy * gamma; the means of dxhat and of dxhat * xhat.
  w.line(T + " a = 0, b = 0;");
  w.open("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
  w.line("const " + T + " dxhat = g[k] * gamma[k];");
  w.line("a += dxhat;");
  w.line("b += dxhat * (row[k] - mean) * rstd;");
  w.close();
  w.line("const " + T + " mean_dxhat = " + reduce("a") + " / " + cn + ";");
  w.line("const " + T + " mean_dxhat_xhat = " + reduce("b") + " / " + cn +
         ";");
  loop(std::string("dx[base + k] = ") +
       (op.with_addend() ? "addend[base + k] + " : "") +
       "rstd * (g[k] * gamma[k] - mean_dxhat - "
       "(row[k] - mean) * rstd * mean_dxhat_xhat);");
  w.open("if (threadIdx.x == 0)");
  w.line("mean_out[blockIdx.x] = mean;");
  w.line("rstd_out[blockIdx.x] = rstd;");
  w.close();
  w.summary = "layer_norm input gradient over " + std::to_string(cols) +
              " elements";
  return true;
}

// Column sums over all rows, deterministic without atomics: a block of
// 32 x 32 threads owns 32 neighbouring columns (a warp reads 32 neighbouring
// addresses of a row), its 32 thread rows stride over the rows, and a fixed
// tree in shared memory combines them. Sums in double, as reduce_sum does.
bool emitLayerNormParamGrad(KernelWriter &w, const plan::LayerNormParamGrad &op,
                            std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  w.input(op.grad(), "dy");
  w.input(op.mean(), "mean");
  w.input(op.rstd(), "rstd");
  w.output(op.gamma_grad(), "dgamma");
  w.output(op.beta_grad(), "dbeta");
  if (!floatKernelType(x.dtype, "layer_norm_param_grad", error))
    return false;
  auto [rows, cols] = rowsAndColumns(x, op.axis());
  std::string n = integer(cols);
  plan::DType d = x.dtype;
  w.launch({uint32_t((cols + 31) / 32), 1, 1}, {32, 32, 1});
  w.line("__shared__ double partial[2][32][33];");
  w.line("const int c = blockIdx.x * 32 + threadIdx.x;");
  w.line("double dg = 0, db = 0;");
  w.open("if (c < " + n + ")");
  w.open("for (" + w.index() + " r = threadIdx.y; r < " + integer(rows) +
         "; r += 32)");
  w.line("const double g = dy[r * " + n + " + c];");
  w.line("dg += g * (((double)x[r * " + n + " + c] - mean[r]) * rstd[r]);");
  w.line("db += g;");
  w.close();
  w.close();
  w.line("partial[0][threadIdx.y][threadIdx.x] = dg;");
  w.line("partial[1][threadIdx.y][threadIdx.x] = db;");
  w.open("for (int half = 16; half > 0; half /= 2)");
  w.line("__syncthreads();");
  w.open("if (threadIdx.y < half)");
  w.line("partial[0][threadIdx.y][threadIdx.x] += "
         "partial[0][threadIdx.y + half][threadIdx.x];");
  w.line("partial[1][threadIdx.y][threadIdx.x] += "
         "partial[1][threadIdx.y + half][threadIdx.x];");
  w.close();
  w.close();
  w.open("if (threadIdx.y == 0 && c < " + n + ")");
  std::string S = storageType(d);
  w.line("dgamma[c] = (" + S + ")partial[0][0][threadIdx.x];");
  w.line("dbeta[c] = (" + S + ")partial[1][0][threadIdx.x];");
  w.close();
  w.summary = "layer_norm gamma and beta gradients over " +
              std::to_string(rows) + " rows";
  return true;
}

bool emitBatchNorm(KernelWriter &w, const plan::BatchNorm &op,
                   std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  w.input(op.scale(), "scale");
  w.input(op.bias(), "bias");
  w.input(op.mean(), "running_mean");
  w.input(op.variance(), "running_var");
  w.output(op.output(), "y");
  if (op.training()) {
    w.output(op.new_mean(), "new_mean");
    w.output(op.new_variance(), "new_var");
  }
  if (!floatKernelType(x.dtype, "batch_norm", error))
    return false;
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  int64_t batch = x.shape[0], channels = x.shape[1];
  int64_t spatial = batch != 0 && channels != 0 ? x.count / (batch * channels) : 0;
  std::string eps = literal(op.epsilon(), d);
  std::string sqrt = mathFunction("sqrt", d);
  std::string at = "(b * " + integer(channels) + " + c) * " + integer(spatial) +
                   " + s";
  if (!op.training()) {
    w.launchThreads(x.count);
    w.forEach("i", x.count);
    w.line("int c = " + coordinate("i", {batch, channels, spatial}, 1) + ";");
    w.line(T + " inv = " + literal(1, d) + " / " + sqrt +
           "(running_var[c] + " + eps + ");");
    w.line("y[i] = (x[i] - running_mean[c]) * inv * scale[c] + bias[c];");
    w.close();
    w.summary = "batch_norm with running statistics";
    return true;
  }
  int64_t perChannel = batch * spatial;
  uint32_t threads = KernelWriter::reductionThreads(perChannel);
  std::string t = std::to_string(threads), n = integer(perChannel);
  w.use(kBlockReduce);
  w.launch({uint32_t(x.count ? channels : 0), 1, 1}, {threads, 1, 1});
  auto loop = [&](const std::string &statement) {
    w.open("for (" + w.index() + " e = threadIdx.x; e < " + n + "; e += " + t +
           ")");
    w.line(w.index() + " b = e / " + integer(spatial) + ", s = e % " +
           integer(spatial) + ";");
    w.line(statement);
    w.close();
  };
  w.line("const int c = blockIdx.x;");
  w.line(T + " sum = 0;");
  loop("sum += x[" + at + "];");
  w.line("const " + T + " mean = dlc_block_reduce<" + t +
         ">(sum, dlc_sum()) / " + literal(double(perChannel), d) + ";");
  w.line(T + " squares = 0;");
  loop("squares += (x[" + at + "] - mean) * (x[" + at + "] - mean);");
  w.line("const " + T + " deviation = dlc_block_reduce<" + t +
         ">(squares, dlc_sum());");
  w.line("const " + T + " variance = deviation / " +
         literal(double(perChannel), d) + ";");
  // PyTorch's update: the running variance takes the unbiased estimate.
  w.open("if (threadIdx.x == 0)");
  std::string m = literal(op.momentum(), d), keep = literal(1 - op.momentum(), d);
  w.line("new_mean[c] = " + keep + " * running_mean[c] + " + m + " * mean;");
  w.line("new_var[c] = " + keep + " * running_var[c] + " + m +
         " * (deviation / " + literal(double(perChannel - 1), d) + ");");
  w.close();
  w.line("const " + T + " inv = " + literal(1, d) + " / " + sqrt +
         "(variance + " + eps + ");");
  loop("y[" + at + "] = (x[" + at + "] - mean) * inv * scale[c] + bias[c];");
  w.summary = "batch_norm with batch statistics";
  return true;
}

} // namespace dlc::cuda

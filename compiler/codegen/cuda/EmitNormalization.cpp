//===- EmitNormalization.cpp - Layer and batch normalization --------------===//
//
// A thread block per normalized group (a row for layer norm, a channel for
// batch norm in training): two passes over the group, the mean and then the
// squared deviations from it, which stays accurate where the one-pass
// E[x^2] - E[x]^2 cancels. The group is small enough to stay in L1/L2
// between the passes.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

namespace dlc::cuda {

bool emitLayerNorm(KernelWriter &w, const plan::LayerNorm &op,
                   std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  w.input(op.gamma(), "gamma");
  w.input(op.beta(), "beta");
  w.output(op.output(), "y");
  if (!floatKernelType(x.dtype, "layer_norm", error))
    return false;
  int64_t rows = 1, cols = 1;
  for (size_t d = 0; d < x.shape.size(); ++d)
    (int64_t(d) < op.axis() ? rows : cols) *= x.shape[d];
  if (x.count == 0)
    rows = 0;
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  uint32_t threads = KernelWriter::reductionThreads(cols);
  std::string t = std::to_string(threads), n = integer(cols);
  w.use(kBlockReduce);
  w.launch({uint32_t(rows), 1, 1}, {threads, 1, 1});
  w.line("const " + T + " *row = x + (" + w.index() + ")blockIdx.x * " + n +
         ";");
  w.line(T + " *out = y + (" + w.index() + ")blockIdx.x * " + n + ";");
  w.line(T + " sum = 0;");
  w.line("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
  w.line("  sum += row[k];");
  w.line("const " + T + " mean = dlc_block_reduce<" + t +
         ">(sum, dlc_sum()) / " + literal(double(cols), d) + ";");
  w.line(T + " squares = 0;");
  w.line("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
  w.line("  squares += (row[k] - mean) * (row[k] - mean);");
  w.line("const " + T + " variance = dlc_block_reduce<" + t +
         ">(squares, dlc_sum()) / " + literal(double(cols), d) + ";");
  w.line("const " + T + " inv = " + literal(1, d) + " / " +
         mathFunction("sqrt", d) + "(variance + " +
         literal(op.epsilon(), d) + ");");
  w.line("for (int k = threadIdx.x; k < " + n + "; k += " + t + ")");
  w.line("  out[k] = (row[k] - mean) * inv * gamma[k] + beta[k];");
  w.summary = "layer_norm over " + std::to_string(cols) + " elements";
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

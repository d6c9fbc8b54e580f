//===- EmitReductions.cpp - Sums, maxima, argmax, softmax and losses ------===//
//
// Two shapes of reduction. When the reduced elements are contiguous and
// there are enough of them, one thread block reduces each output with a
// warp-shuffle tree (dlc_block_reduce); otherwise one thread walks each
// output's elements, which keeps neighbouring threads on neighbouring
// addresses for column reductions such as bias gradients. Sums accumulate in
// double (in long long for integers) and the order of combination is fixed,
// so results are reproducible run to run. Losses reduce to one number in one
// block, deterministically: no atomics.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

#include <limits>

namespace dlc::cuda {

namespace {

/// The accumulator of sums over `dtype`.
std::string sumType(plan::DType dtype) {
  return isFloat(dtype) ? "double" : "long long";
}

/// The most negative value of `type`, the identity of max.
std::string lowest(const std::string &type) {
  if (type == "double")
    return literal(-std::numeric_limits<double>::infinity(), plan::DType::F64);
  if (type == "float")
    return literal(-std::numeric_limits<double>::infinity(), plan::DType::F32);
  if (type == "int")
    return "(-2147483647 - 1)";
  return "(-9223372036854775807LL - 1)";
}

std::string threadsOf(uint32_t threads) { return std::to_string(threads); }

} // namespace

bool floatKernelType(plan::DType dtype, const char *op, std::string &error) {
  if (dtype == plan::DType::F32 || dtype == plan::DType::F64)
    return true;
  error = std::string("the CUDA emitter runs ") + op + " on f32 and f64 only";
  return false;
}

bool emitReduce(KernelWriter &w, const plan::Reduce &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  size_t rank = x.shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t axis : *op.axes())
    reduced[axis] = true;
  std::vector<int64_t> strides = rowMajorStrides(x.shape);
  std::vector<int64_t> keptShape, keptStrides, redShape, redStrides;
  int64_t reduceCount = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      redShape.push_back(x.shape[d]);
      redStrides.push_back(strides[d]);
      reduceCount *= x.shape[d];
    } else {
      keptShape.push_back(x.shape[d]);
      keptStrides.push_back(strides[d]);
    }
  }
  bool isMax = op.kind() == plan::ReduceKind::Max;
  if (x.dtype == plan::DType::Bool || isHalf(x.dtype)) {
    error = "the CUDA emitter reduces f32, f64, i32 and i64 only";
    return false;
  }
  bool isProd = op.kind() == plan::ReduceKind::Prod;
  std::string acc = isMax ? computeType(x.dtype) : sumType(x.dtype);
  std::string combine = isMax    ? "dlc_max()"
                        : isProd ? "dlc_prod()"
                                 : "dlc_sum()";
  std::string init = isMax ? lowest(acc) : isProd ? "1" : "0";
  w.use(kNanMax);
  auto element = [&](const std::string &o, const std::string &r) {
    std::string offset = offsetOf(o, keptShape, keptStrides);
    std::string inner = offsetOf(r, redShape, redStrides);
    std::string index = offset == "0"  ? inner
                        : inner == "0" ? offset
                                       : offset + " + " + inner;
    return "(" + acc + ")x[" + index + "]";
  };
  auto result = [&]() -> std::string {
    if (op.kind() != plan::ReduceKind::Mean)
      return "acc";
    if (reduceCount == 0)
      return literal(std::numeric_limits<double>::quiet_NaN(), plan::DType::F64);
    return "acc / " + literal(double(reduceCount), plan::DType::F64);
  };
  std::string store = "(" + storageType(y.dtype) + ")(" + result() + ")";

  bool contiguous = rank > 0 && reduced[rank - 1];
  if (contiguous && reduceCount >= 32) {
    uint32_t threads = KernelWriter::reductionThreads(reduceCount);
    w.use(kBlockReduce);
    w.launch({uint32_t(y.count), 1, 1}, {threads, 1, 1});
    w.line(w.index() + " o = blockIdx.x;");
    w.line(acc + " acc = " + init + ";");
    w.open("for (" + w.index() + " r = threadIdx.x; r < " +
           integer(reduceCount) + "; r += " + threadsOf(threads) + ")");
    w.line("acc = " + combine + "(acc, " + element("o", "r") + ");");
    w.close();
    w.line("acc = dlc_block_reduce<" + threadsOf(threads) + ">(acc, " +
           combine + ");");
    w.line("if (threadIdx.x == 0)");
    w.line("  y[o] = " + store + ";");
  } else {
    w.launchThreads(y.count);
    w.forEach("o", y.count);
    w.line(acc + " acc = " + init + ";");
    w.open("for (" + w.index() + " r = 0; r < " + integer(reduceCount) +
           "; ++r)");
    w.line("acc = " + combine + "(acc, " + element("o", "r") + ");");
    w.close();
    w.line("y[o] = " + store + ";");
    w.close();
  }
  w.summary = std::string("reduce ") + plan::EnumNameReduceKind(op.kind());
  return true;
}

// A block per stretch of the inputs taken as one sequence: each input's
// part of the stretch is a strided loop with literal bounds, then a block
// reduction; one double per block.
// As softmax: a block per row when the axis is the last and long, else a
// thread per row; a pass for the sum, one for the gradient.
bool emitSoftmaxGrad(KernelWriter &w, const plan::SoftmaxGrad &op,
                     std::string &error) {
  const Operand &y = w.input(op.output(), "y");
  w.input(op.grad(), "dy");
  const Operand &dx = w.output(op.input_grad(), "dx");
  if (!floatKernelType(y.dtype, "softmax_grad", error) ||
      !writeEpilogue(w, dx, error))
    return false;
  int64_t n = y.shape[op.axis()], inner = 1;
  for (size_t d = op.axis() + 1; d < y.shape.size(); ++d)
    inner *= y.shape[d];
  int64_t rows = n ? y.count / n : 0;
  plan::DType d = y.dtype;
  std::string T = computeType(d);
  std::string exp = mathFunction("exp", d);
  auto term = [&](const std::string &at) {
    return op.log() ? "dy" + at : "dy" + at + " * y" + at;
  };
  auto gradient = [&](const std::string &at) {
    return op.log() ? "dy" + at + " - " + exp + "(y" + at + ") * sum"
                    : "y" + at + " * (dy" + at + " - sum)";
  };
  w.use(kNanMax);
  if (inner == 1 && n >= 32) {
    uint32_t threads = KernelWriter::reductionThreads(n);
    std::string t = threadsOf(threads);
    w.use(kBlockReduce);
    w.launch({uint32_t(rows), 1, 1}, {threads, 1, 1});
    w.line("const " + w.index() + " base = (" + w.index() + ")blockIdx.x * " +
           integer(n) + ";");
    w.line(T + " sum = 0;");
    w.line("for (int k = threadIdx.x; k < " + integer(n) + "; k += " + t + ")");
    w.line("  sum += " + term("[base + k]") + ";");
    w.line("sum = dlc_block_reduce<" + t + ">(sum, dlc_sum());");
    w.line("for (int k = threadIdx.x; k < " + integer(n) + "; k += " + t + ")");
    w.line("  dx[base + k] = " +
           epilogued(w, gradient("[base + k]"), "base + k") + ";");
  } else {
    w.launchThreads(rows);
    w.forEach("p", rows);
    std::string base = inner == 1 ? "p * " + integer(n)
                                  : "(p / " + integer(inner) + ") * " +
                                        integer(n * inner) + " + p % " +
                                        integer(inner);
    std::string at = "[base + k * " + integer(inner) + "]";
    w.line(w.index() + " base = " + base + ";");
    w.line(T + " sum = 0;");
    w.line("for (" + w.index() + " k = 0; k < " + integer(n) + "; ++k)");
    w.line("  sum += " + term(at) + ";");
    w.line("for (" + w.index() + " k = 0; k < " + integer(n) + "; ++k)");
    w.line("  dx" + at + " = " +
           epilogued(w, gradient(at), at.substr(1, at.size() - 2)) + ";");
    w.close();
  }
  w.summary = std::string(op.log() ? "log_softmax" : "softmax") +
              " gradient over " + std::to_string(n) + " elements";
  return true;
}

bool emitSquarePartials(KernelWriter &w, const plan::SquarePartials &op,
                        std::string &error) {
  std::vector<Operand> inputs;
  int64_t total = 0;
  for (uint32_t index : *op.inputs()) {
    const Operand &x = w.input(index, "x" + std::to_string(inputs.size()));
    if (!floatKernelType(x.dtype, "sum_squares", error))
      return false;
    inputs.push_back(x);
    total += x.count;
  }
  const Operand &partials = w.output(op.partials(), "partials");
  int64_t count = partials.count;
  int64_t stretch = (total + count - 1) / count;
  const uint32_t threads = 256;
  w.use(kBlockReduce | kNanMax);
  w.launch({uint32_t(count), 1, 1}, {threads, 1, 1});
  w.line("const long long begin = (long long)blockIdx.x * " + integer(stretch) +
         ";");
  w.line("const long long end = min(begin + " + integer(stretch) + ", " +
         integer(total) + "LL);");
  w.line("double acc = 0;");
  int64_t start = 0;
  for (const Operand &x : inputs) {
    // Elements [start, start + count) of the sequence are this input's.
    std::string s = integer(start), e = integer(start + x.count);
    w.open("for (long long i = max(begin, " + s + "LL) + threadIdx.x; i < min(end, " +
           e + "LL); i += " + std::to_string(threads) + ")");
    w.line("const double v = " + x.name + "[i - " + s + "];");
    w.line("acc += v * v;");
    w.close();
    start += x.count;
  }
  w.line("acc = dlc_block_reduce<" + std::to_string(threads) +
         ">(acc, dlc_sum());");
  w.line("if (threadIdx.x == 0)");
  w.line("  partials[blockIdx.x] = acc;");
  w.summary = "sum of squares of " + std::to_string(inputs.size()) +
              " tensors, " + std::to_string(count) + " partials";
  return true;
}

bool emitSumPartials(KernelWriter &w, const plan::SumPartials &op,
                     std::string &error) {
  const Operand &partials = w.input(op.partials(), "partials");
  const Operand &y = w.output(op.output(), "y");
  if (!floatKernelType(y.dtype, "sum_squares", error))
    return false;
  const uint32_t threads = 256;
  w.use(kBlockReduce | kNanMax);
  w.launch({1, 1, 1}, {threads, 1, 1});
  w.line("double acc = 0;");
  w.line("for (int p = threadIdx.x; p < " + integer(partials.count) +
         "; p += " + std::to_string(threads) + ")");
  w.line("  acc += partials[p];");
  w.line("acc = dlc_block_reduce<" + std::to_string(threads) +
         ">(acc, dlc_sum());");
  w.line("if (threadIdx.x == 0)");
  w.line("  y[0] = (" + storageType(y.dtype) + ")acc;");
  w.summary = "sum of " + std::to_string(partials.count) + " partials";
  return true;
}

bool emitArgmax(KernelWriter &w, const plan::Argmax &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  if (x.dtype == plan::DType::Bool || isHalf(x.dtype)) {
    error = "the CUDA emitter takes argmax of f32, f64, i32 and i64 only";
    return false;
  }
  int64_t n = x.shape[op.axis()], inner = 1;
  for (size_t d = op.axis() + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  std::string T = computeType(x.dtype);
  w.launchThreads(y.count);
  w.forEach("p", y.count);
  if (n == 0) {
    w.line("y[p] = 0;");
  } else {
    // p = o * inner + i; element k of its row is at (o * n + k) * inner + i.
    std::string base = inner == 1 ? "p * " + integer(n)
                                  : "(p / " + integer(inner) + ") * " +
                                        integer(n * inner) + " + p % " +
                                        integer(inner);
    w.line(w.index() + " base = " + base + ";");
    w.line(w.index() + " best = 0;");
    w.line(T + " bestValue = x[base];");
    w.open("for (" + w.index() + " k = 1; k < " + integer(n) + "; ++k)");
    w.line(T + " v = x[base + k * " + integer(inner) + "];");
    // The first maximum wins; a NaN counts as the maximum (numpy).
    w.open("if (bestValue == bestValue && (v > bestValue || v != v))");
    w.line("best = k;");
    w.line("bestValue = v;");
    w.close();
    w.close();
    w.line("y[p] = (" + storageType(y.dtype) + ")best;");
  }
  w.close();
  w.summary = "argmax over axis " + std::to_string(op.axis());
  return true;
}

bool emitSoftmax(KernelWriter &w, const plan::Softmax &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  if (!floatKernelType(x.dtype, "softmax", error))
    return false;
  // Element e of the input: x[e], or the prologue computed at e.
  std::string prologue;
  if (op.prologue() &&
      !writePrologue(w, *op.prologue(), y, "input", prologue, error))
    return false;
  auto in = [&](const std::string &e) {
    return op.prologue() ? "input(" + e + ")" : "x[" + e + "]";
  };
  int64_t n = x.shape[op.axis()], inner = 1;
  for (size_t d = op.axis() + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  int64_t rows = n ? x.count / n : 0;
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  std::string exp = mathFunction("exp", d), log = mathFunction("log", d);
  std::string ninf = literal(-std::numeric_limits<double>::infinity(), d);
  auto finalValue = [&](const std::string &v) {
    return op.log() ? "(" + v + " - m) - logSum" : exp + "(" + v + " - m) / sum";
  };
  w.use(kNanMax);
  if (inner == 1 && n >= 32) {
    // A block per row: max, then the sum of exponentials, then the outputs.
    uint32_t threads = KernelWriter::reductionThreads(n);
    std::string t = threadsOf(threads);
    w.use(kBlockReduce);
    w.launch({uint32_t(rows), 1, 1}, {threads, 1, 1});
    w.line(w.index() + " row = (" + w.index() + ")blockIdx.x * " +
           integer(n) + ";");
    w.line(T + " *out = y + row;");
    w.line(T + " m = " + ninf + ";");
    w.line("for (int k = threadIdx.x; k < " + integer(n) + "; k += " + t + ")");
    w.line("  m = dlc_max()(m, " + in("row + k") + ");");
    w.line("m = dlc_block_reduce<" + t + ">(m, dlc_max());");
    w.line(T + " sum = 0;");
    w.line("for (int k = threadIdx.x; k < " + integer(n) + "; k += " + t + ")");
    w.line("  sum += " + exp + "(" + in("row + k") + " - m);");
    w.line("sum = dlc_block_reduce<" + t + ">(sum, dlc_sum());");
    if (op.log())
      w.line(T + " logSum = " + log + "(sum);");
    w.line("for (int k = threadIdx.x; k < " + integer(n) + "; k += " + t + ")");
    w.line("  out[k] = " + finalValue(in("row + k")) + ";");
  } else {
    // A thread per row (a column when the axis is not the last).
    w.launchThreads(rows);
    w.forEach("p", rows);
    std::string base = inner == 1 ? "p * " + integer(n)
                                  : "(p / " + integer(inner) + ") * " +
                                        integer(n * inner) + " + p % " +
                                        integer(inner);
    std::string at = "base + k * " + integer(inner);
    w.line(w.index() + " base = " + base + ";");
    w.line(T + " m = " + ninf + ";");
    w.line("for (" + w.index() + " k = 0; k < " + integer(n) + "; ++k)");
    w.line("  m = dlc_max()(m, " + in(at) + ");");
    w.line(T + " sum = 0;");
    w.line("for (" + w.index() + " k = 0; k < " + integer(n) + "; ++k)");
    w.line("  sum += " + exp + "(" + in(at) + " - m);");
    if (op.log())
      w.line(T + " logSum = " + log + "(sum);");
    w.line("for (" + w.index() + " k = 0; k < " + integer(n) + "; ++k)");
    w.line("  y[" + at + "] = " + finalValue(in(at)) + ";");
    w.close();
  }
  w.summary = std::string(op.log() ? "log_softmax" : "softmax") +
              " over axis " + std::to_string(op.axis()) +
              (op.prologue() ? " of elementwise " + prologue : "");
  return true;
}

bool emitCrossEntropy(KernelWriter &w, const plan::CrossEntropy &op,
                      std::string &error) {
  const Operand &x = w.input(op.logits(), "logits");
  const Operand &labels = w.input(op.labels(), "labels");
  w.output(op.output(), "loss");
  if (op.with_grad()) {
    w.input(op.dloss(), "dloss");
    w.output(op.dlogits(), "dlogits");
  }
  if (op.with_accuracy())
    w.output(op.accuracy(), "accuracy");
  (void)labels;
  if (!floatKernelType(x.dtype, "cross_entropy", error))
    return false;
  int64_t n = x.shape[0], classes = x.shape[1];
  plan::DType d = x.dtype;
  std::string T = computeType(d);
  uint32_t threads = KernelWriter::reductionThreads(n);
  std::string t = threadsOf(threads);
  w.use(kBlockReduce | kNanMax);
  w.launch({1, 1, 1}, {threads, 1, 1});
  // One block, a thread per sample: log-sum-exp with the row's maximum
  // subtracted, minus the label's logit.
  w.line("double total = 0;");
  if (op.with_accuracy()) {
    w.use(kRowArgmax);
    w.line("double hits = 0;");
  }
  if (op.with_grad()) {
    // d = (softmax - onehot) * dloss, divided by N for the mean.
    std::string scale = "dloss[0]";
    if (op.reduction() == plan::LossReduction::Mean)
      scale += " / " + literal(double(n), d);
    w.line("const " + T + " scale = " + scale + ";");
  }
  w.open("for (" + w.index() + " i = threadIdx.x; i < " + integer(n) +
         "; i += " + t + ")");
  w.line("long long label = labels[i];");
  w.open("if (label < 0 || label >= " + integer(classes) + ")");
  w.line("atomicOr(error, " + std::to_string(plan::kLabelOutOfRange) + "u);");
  w.line("total += " + literal(std::numeric_limits<double>::quiet_NaN(),
                               plan::DType::F64) + ";");
  if (op.with_grad())
    w.line("for (int k = 0; k < " + integer(classes) + "; ++k) dlogits[i * " +
           integer(classes) + " + k] = " +
           literal(std::numeric_limits<double>::quiet_NaN(), d) + ";");
  w.line("continue;");
  w.close();
  w.line("const " + T + " *row = logits + i * " + integer(classes) + ";");
  w.line(T + " m = " + literal(-std::numeric_limits<double>::infinity(), d) +
         ";");
  w.line("for (int k = 0; k < " + integer(classes) + "; ++k)");
  w.line("  m = dlc_max()(m, row[k]);");
  // Before the gradient, which may overwrite the row in place.
  if (op.with_accuracy())
    w.line("hits += dlc_row_argmax(row, " + integer(classes) +
           ") == label;");
  w.line(T + " sum = 0;");
  w.line("for (int k = 0; k < " + integer(classes) + "; ++k)");
  w.line("  sum += " + mathFunction("exp", d) + "(row[k] - m);");
  w.line("total += (double)(" + mathFunction("log", d) +
         "(sum) + m - row[label]);");
  if (op.with_grad()) {
    w.line(T + " *grad = dlogits + i * " + integer(classes) + ";");
    w.line("for (int k = 0; k < " + integer(classes) + "; ++k)");
    w.line("  grad[k] = (" + mathFunction("exp", d) +
           "(row[k] - m) / sum - (k == label ? " + literal(1, d) + " : " +
           literal(0, d) + ")) * scale;");
  }
  w.close();
  w.line("total = dlc_block_reduce<" + t + ">(total, dlc_sum());");
  std::string value = "total";
  if (op.reduction() == plan::LossReduction::Mean)
    value = n ? "total / " + literal(double(n), plan::DType::F64)
              : literal(std::numeric_limits<double>::quiet_NaN(),
                        plan::DType::F64);
  w.line("if (threadIdx.x == 0)");
  w.line("  loss[0] = (" + T + ")(" + value + ");");
  if (op.with_accuracy()) {
    // The label check above skips the row, which counts as a miss.
    w.line("hits = dlc_block_reduce<" + t + ">(hits, dlc_sum());");
    w.line("if (threadIdx.x == 0)");
    w.line("  accuracy[0] = (" + T + ")(hits / " +
           literal(double(n), plan::DType::F64) + ");");
  }
  w.summary = std::string("cross_entropy, ") +
              plan::EnumNameLossReduction(op.reduction()) +
              (op.with_grad() ? ", with its gradient" : "") +
              (op.with_accuracy() ? " and the accuracy" : "");
  return true;
}

bool emitAccuracy(KernelWriter &w, const plan::Accuracy &op,
                  std::string &error) {
  const Operand &x = w.input(op.logits(), "logits");
  w.input(op.labels(), "labels");
  w.output(op.output(), "accuracy");
  if (!floatKernelType(x.dtype, "accuracy", error))
    return false;
  int64_t n = x.shape[0], classes = x.shape[1];
  std::string T = computeType(x.dtype);
  uint32_t threads = KernelWriter::reductionThreads(n);
  std::string t = threadsOf(threads);
  w.use(kBlockReduce | kRowArgmax);
  w.launch({1, 1, 1}, {threads, 1, 1});
  // One block, a thread per row; out-of-range labels never match.
  w.line("double hits = 0;");
  w.line("for (" + w.index() + " i = threadIdx.x; i < " + integer(n) +
         "; i += " + t + ")");
  w.line("  hits += dlc_row_argmax(logits + i * " + integer(classes) + ", " +
         integer(classes) + ") == (long long)labels[i];");
  w.line("hits = dlc_block_reduce<" + t + ">(hits, dlc_sum());");
  w.line("if (threadIdx.x == 0)");
  w.line("  accuracy[0] = (" + T + ")(hits / " +
         literal(double(n), plan::DType::F64) + ");");
  w.summary = "accuracy: argmax of each row against its label";
  return true;
}

bool emitMse(KernelWriter &w, const plan::Mse &op, std::string &error) {
  const Operand &p = w.input(op.prediction(), "prediction");
  w.input(op.target(), "target");
  w.output(op.output(), "loss");
  if (!floatKernelType(p.dtype, "mse", error))
    return false;
  uint32_t threads = KernelWriter::reductionThreads(p.count);
  std::string t = threadsOf(threads);
  w.use(kBlockReduce);
  w.launch({1, 1, 1}, {threads, 1, 1});
  w.line("double total = 0;");
  w.open("for (" + w.index() + " i = threadIdx.x; i < " + integer(p.count) +
         "; i += " + t + ")");
  w.line("double d = (double)prediction[i] - (double)target[i];");
  w.line("total += d * d;");
  w.close();
  w.line("total = dlc_block_reduce<" + t + ">(total, dlc_sum());");
  std::string value = "total";
  if (op.reduction() == plan::LossReduction::Mean)
    value = p.count ? "total / " + literal(double(p.count), plan::DType::F64)
                    : literal(std::numeric_limits<double>::quiet_NaN(),
                              plan::DType::F64);
  w.line("if (threadIdx.x == 0)");
  w.line("  loss[0] = (" + computeType(p.dtype) + ")(" + value + ");");
  w.summary = std::string("mse, ") + plan::EnumNameLossReduction(op.reduction());
  return true;
}

} // namespace dlc::cuda

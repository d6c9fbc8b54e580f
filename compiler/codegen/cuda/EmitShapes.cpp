//===- EmitShapes.cpp - Data movement: transpose, concat, slice, gather ---===//
//
// A thread per output element; every index is a literal-folded expression.
// The scatter-add behind gather's gradient is written in gather form (each
// output element sums the updates whose index names it, in index order), so
// it is deterministic without float atomics.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

namespace dlc::cuda {

namespace {

/// outer, n, inner of `shape` split at `axis`.
void split(const std::vector<int64_t> &shape, int64_t axis, int64_t &outer,
           int64_t &n, int64_t &inner) {
  outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  n = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
}

std::string I(int64_t v) { return integer(v); }

} // namespace

bool emitTranspose(KernelWriter &w, const plan::Transpose &op, std::string &) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  std::vector<int64_t> strides = rowMajorStrides(x.shape), permuted;
  std::string perm;
  for (int64_t axis : *op.perm()) {
    permuted.push_back(strides[axis]);
    perm += (perm.empty() ? "" : ",") + std::to_string(axis);
  }
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  w.line("y[i] = x[" + offsetOf("i", y.shape, permuted) + "];");
  w.close();
  w.summary = "transpose [" + perm + "]";
  return true;
}

bool emitSlice(KernelWriter &w, const plan::Slice &op, std::string &) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &y = w.output(op.output(), "y");
  std::vector<int64_t> strides = rowMajorStrides(x.shape), stepped;
  int64_t base = 0;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    base += op.start()->Get(d) * strides[d];
    stepped.push_back(op.step()->Get(d) * strides[d]);
  }
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  std::string offset = offsetOf("i", y.shape, stepped);
  w.line("y[i] = x[" + (base ? I(base) + " + " + offset : offset) + "];");
  w.close();
  w.summary = "slice";
  return true;
}

bool emitConcat(KernelWriter &w, const plan::Concat &op, std::string &) {
  std::vector<Operand> inputs;
  for (uint32_t i = 0; i < op.inputs()->size(); ++i)
    inputs.push_back(w.input(op.inputs()->Get(i), "x" + std::to_string(i)));
  const Operand &y = w.output(op.output(), "y");
  int64_t outer, n, inner;
  split(y.shape, op.axis(), outer, n, inner);
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  w.line(w.index() + " o = i / " + I(n * inner) + ", r = i % " + I(inner) +
         ";");
  w.line(w.index() + " a = (i / " + I(inner) + ") % " + I(n) + ";");
  int64_t position = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    int64_t length = inputs[k].shape[op.axis()];
    std::string read = "y[i] = " + inputs[k].name + "[(o * " + I(length) +
                       " + a - " + I(position) + ") * " + I(inner) + " + r];";
    position += length;
    if (inputs.size() == 1)
      w.line(read);
    else if (k + 1 == inputs.size())
      w.line("else " + read);
    else
      w.line((k ? "else if (a < " : "if (a < ") + I(position) + ") " + read);
  }
  w.close();
  w.summary = "concat of " + std::to_string(inputs.size()) + " along axis " +
              std::to_string(op.axis());
  return true;
}

bool emitGather(KernelWriter &w, const plan::Gather &op, std::string &error) {
  const Operand &x = w.input(op.input(), "x");
  const Operand &indices = w.input(op.indices(), "indices");
  const Operand &y = w.output(op.output(), "y");
  if (!writeEpilogue(w, y, error))
    return false;
  int64_t outer, n, inner;
  split(x.shape, op.axis(), outer, n, inner);
  int64_t count = indices.count;
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  w.line(w.index() + " r = i % " + I(inner) + ", j = (i / " + I(inner) +
         ") % " + I(count) + ", o = i / " + I(count * inner) + ";");
  w.line("long long k = indices[j];");
  w.open("if (k < 0 || k >= " + I(n) + ")");
  w.line("atomicOr(error, " + std::to_string(plan::kIndexOutOfRange) + "u);");
  w.line("y[i] = 0;");
  w.close();
  w.open("else");
  std::string value = "x[(o * " + I(n) + " + k) * " + I(inner) + " + r]";
  if (w.epilogue())
    value = storeAs(y.dtype,
                    epilogued(w, loadAs(y.dtype, value), "i"));
  w.line("y[i] = " + value + ";");
  w.close();
  w.close();
  w.summary = "gather along axis " + std::to_string(op.axis());
  return true;
}

bool emitScatterAdd(KernelWriter &w, const plan::ScatterAdd &op,
                    std::string &error) {
  const Operand &updates = w.input(op.updates(), "updates");
  const Operand &indices = w.input(op.indices(), "indices");
  const Operand &y = w.output(op.output(), "y");
  if (!floatKernelType(updates.dtype, "scatter_add", error))
    return false;
  int64_t outer, n, inner;
  split(y.shape, op.axis(), outer, n, inner);
  int64_t count = indices.count;
  std::string T = computeType(y.dtype);
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  w.open("if (i == 0)");
  w.line("for (" + w.index() + " j = 0; j < " + I(count) + "; ++j)");
  w.line("  if (indices[j] < 0 || indices[j] >= " + I(n) + ")");
  w.line("    atomicOr(error, " + std::to_string(plan::kIndexOutOfRange) +
         "u);");
  w.close();
  w.line(w.index() + " r = i % " + I(inner) + ", k = (i / " + I(inner) +
         ") % " + I(n) + ", o = i / " + I(n * inner) + ";");
  w.line(T + " acc = 0;");
  w.line("for (" + w.index() + " j = 0; j < " + I(count) + "; ++j)");
  w.line("  if (indices[j] == k)");
  w.line("    acc += updates[(o * " + I(count) + " + j) * " + I(inner) +
         " + r];");
  w.line("y[i] = acc;");
  w.close();
  w.summary = "scatter_add along axis " + std::to_string(op.axis());
  return true;
}

bool emitIota(KernelWriter &w, const plan::Iota &op, std::string &) {
  const Operand &y = w.output(op.output(), "y");
  w.launchThreads(y.count);
  w.forEach("i", y.count);
  std::string value = "(" + computeType(y.dtype) + ")" +
                      coordinate("i", y.shape, op.axis());
  w.line("y[i] = " + storeAs(y.dtype, value) + ";");
  w.close();
  w.summary = "iota along axis " + std::to_string(op.axis());
  return true;
}

} // namespace dlc::cuda

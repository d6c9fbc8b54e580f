//===- EmitElementwise.cpp - Register programs as CUDA kernels ------------===//
//
// One thread per output element (grid-stride): the inputs are loaded at the
// element's broadcast offsets into registers r0.., each instruction defines
// the next register in its own dtype (f16/bf16 values are rounded after every
// instruction, as the CPU backend does), and the outputs are stored.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace dlc::cuda {

namespace {

using E = plan::ElemOp;

struct Reg {
  std::string name;
  plan::DType dtype;
};

/// `reg` as a value of the compute type of `dtype`.
std::string as(const Reg &reg, plan::DType dtype) {
  if (computeType(reg.dtype) == computeType(dtype))
    return reg.name;
  return "(" + computeType(dtype) + ")" + reg.name;
}

/// The expression of one instruction; empty for an unknown opcode.
std::string instruction(KernelWriter &w, const plan::Instr &instr,
                        const Reg &a, const Reg &b, const Reg &c) {
  plan::DType d = instr.dtype();
  std::string T = computeType(d);
  std::string A = as(a, d), B = as(b, d), C = as(c, d);
  bool fp = isFloat(d);
  auto call = [&](const char *name, const std::string &x) {
    return mathFunction(name, d) + "(" + x + ")";
  };
  auto lit = [&](double v) { return literal(v, d); };
  switch (instr.op()) {
  case E::Add: return A + " + " + B;
  case E::Sub: return A + " - " + B;
  case E::Mul: return A + " * " + B;
  case E::Div:
    if (fp)
      return A + " / " + B;
    // Integer division by zero is bad data: flag it, give 0.
    return "(" + B + " == 0 ? (atomicOr(error, " +
           std::to_string(plan::kDivisionByZero) + "u), (" + T + ")0) : " + A +
           " / " + B + ")";
  case E::Pow:
    if (fp)
      return mathFunction("pow", d) + "(" + A + ", " + B + ")";
    return "(" + T + ")pow((double)" + a.name + ", (double)" + b.name + ")";
  case E::Max:
    w.use(kNanMax);
    return "dlc_max()(" + A + ", " + B + ")";
  case E::Min:
    w.use(kNanMax);
    return "dlc_min()(" + A + ", " + B + ")";
  case E::Neg: return "-" + A;
  case E::Abs: return fp ? call("fabs", A) : "(" + A + " < 0 ? -" + A + " : " + A + ")";
  case E::Exp: return call("exp", A);
  case E::Log: return call("log", A);
  case E::Sqrt: return call("sqrt", A);
  case E::Rsqrt: return lit(1) + " / " + call("sqrt", A);
  case E::Tanh: return call("tanh", A);
  case E::Floor: return call("floor", A);
  case E::Cos: return call("cos", A);
  case E::Sin: return call("sin", A);
  case E::Tan: return call("tan", A);
  case E::Asin: return call("asin", A);
  case E::Acos: return call("acos", A);
  case E::Atan: return call("atan", A);
  case E::Sinh: return call("sinh", A);
  case E::Cosh: return call("cosh", A);
  case E::Asinh: return call("asinh", A);
  case E::Acosh: return call("acosh", A);
  case E::Atanh: return call("atanh", A);
  case E::Erf: return call("erf", A);
  case E::Round: return call("rint", A);
  // The result is bool; the operand keeps its own float type (a cast to
  // the result's bool first would make every NaN true).
  case E::IsNan: return "(" + a.name + " != " + a.name + ")";
  // Only +-inf is equal to itself with x - x not 0; no library call.
  case E::IsInf:
    return "(" + a.name + " == " + a.name + " && " + a.name + " - " + a.name +
           " != " + literal(0, a.dtype) + ")";
  case E::Sigmoid: return lit(1) + " / (" + lit(1) + " + " + call("exp", "-" + A) + ")";
  case E::Relu: return "(" + A + " > " + lit(0) + " ? " + A + " : " + lit(0) + ")";
  case E::GeluErf:
    return lit(0.5) + " * " + A + " * (" + lit(1) + " + " +
           call("erf", A + " * " + lit(M_SQRT1_2)) + ")";
  case E::GeluTanh:
    return lit(0.5) + " * " + A + " * (" + lit(1) + " + " +
           call("tanh", lit(std::sqrt(2.0 / M_PI)) + " * (" + A + " + " +
                            lit(0.044715) + " * " + A + " * " + A + " * " + A +
                            ")") +
           ")";
  // Comparisons compare the operands in their own (common) type.
  case E::CmpEq: return "(" + T + ")(" + a.name + " == " + b.name + ")";
  case E::CmpNe: return "(" + T + ")(" + a.name + " != " + b.name + ")";
  case E::CmpLt: return "(" + T + ")(" + a.name + " < " + b.name + ")";
  case E::CmpLe: return "(" + T + ")(" + a.name + " <= " + b.name + ")";
  case E::CmpGt: return "(" + T + ")(" + a.name + " > " + b.name + ")";
  case E::CmpGe: return "(" + T + ")(" + a.name + " >= " + b.name + ")";
  case E::Select: return "(" + a.name + " ? " + B + " : " + C + ")";
  case E::Cast:
    // NaN converts to 0 (false), as the CPU backend's integer rounding does.
    if (d == plan::DType::Bool)
      return isFloat(a.dtype) ? "(" + a.name + " == " + a.name + " && " +
                                    a.name + " != 0)"
                              : "(" + a.name + " != 0)";
    return "(" + T + ")" + a.name;
  case E::Const: return lit(instr.imm());
  case E::Dropout: {
    w.use(kPhilox);
    double rate = instr.imm();
    double scale = rate < 1 ? 1.0 / (1.0 - rate) : 0.0;
    // The product in double, rounded once, as on the CPU.
    return "(dlc_keep(" + std::to_string(uint64_t(instr.iarg())) +
           "ull, *step, i, " + literal(rate, plan::DType::F32) + ") ? (" + T +
           ")((double)" + a.name + " * " + literal(scale, plan::DType::F64) +
           ") : " + lit(0) + ")";
  }
  }
  return "";
}

} // namespace

namespace {

/// Declares the program's tensors (names prefixed for groups).
void declare(KernelWriter &w, const plan::Elementwise &op,
             const std::string &prefix, std::vector<Operand> &inputs,
             std::vector<Operand> &outputs) {
  for (uint32_t i = 0; i < op.inputs()->size(); ++i)
    inputs.push_back(
        w.input(op.inputs()->Get(i), prefix + "x" + std::to_string(i)));
  for (uint32_t i = 0; op.outputs() && i < op.outputs()->size(); ++i)
    outputs.push_back(
        w.output(op.outputs()->Get(i), prefix + "y" + std::to_string(i)));
}

/// The body of the loop over element `i` of `shape`: loads, one register
/// per instruction, then stores to `outputs`, or with `returned` the first
/// result returned as that type (a prologue). Appends the instructions'
/// names to `summary`.
bool writeProgram(KernelWriter &w, const plan::Elementwise &op,
                  const std::vector<Operand> &inputs,
                  const std::vector<Operand> &outputs,
                  const std::vector<int64_t> &shape, std::string &summary,
                  std::string &error,
                  std::optional<plan::DType> returned = std::nullopt,
                  const std::string &firstValue = "") {
  const auto *views = op.views() && op.views()->size() ? op.views() : nullptr;
  std::vector<Reg> regs;
  for (size_t r = 0; r < inputs.size(); ++r) {
    const Operand &in = inputs[r];
    if (r == 0 && !firstValue.empty()) {
      // An epilogue's register 0: the value its kernel computed.
      regs.push_back({firstValue, in.dtype});
      continue;
    }
    const plan::InputView *view = views ? views->Get(r) : nullptr;
    std::vector<int64_t> strides(shape.size(), 0);
    std::string offset;
    if (view && view->strides()) {
      // A slice, transpose or reshape of the input, read in place.
      strides.assign(view->strides()->begin(), view->strides()->end());
      offset = offsetOf("i", shape, strides);
      if (view->offset())
        offset = integer(view->offset()) + " + " + offset;
    } else {
      // numpy broadcasting: trailing dimensions line up, extent 1 repeats.
      std::vector<int64_t> own = rowMajorStrides(in.shape);
      for (size_t d = 0; d < in.shape.size(); ++d) {
        size_t od = shape.size() - in.shape.size() + d;
        strides[od] = in.shape[d] == 1 && shape[od] != 1 ? 0 : own[d];
      }
      offset = offsetOf("i", shape, strides);
    }
    Reg reg{"r" + std::to_string(r), in.dtype};
    w.line(computeType(in.dtype) + " " + reg.name + " = " +
           loadAs(in.dtype, in.name + "[" + offset + "]") + ";");
    regs.push_back(reg);
  }
  std::string names;
  for (const plan::Instr *instr : *op.code()) {
    size_t n = regs.size();
    auto reg = [&](uint16_t index) { return regs[std::min<size_t>(index, n - 1)]; };
    Reg a = reg(instr->a()), b = reg(instr->b()), c = reg(instr->c());
    std::string expr = instruction(w, *instr, a, b, c);
    if (expr.empty()) {
      error = "the CUDA emitter has no elementwise instruction " +
              std::to_string(int(instr->op()));
      return false;
    }
    plan::DType d = instr->dtype();
    if (isHalf(d))
      expr = loadAs(d, storeAs(d, expr));
    Reg result{"r" + std::to_string(n), d};
    w.line(computeType(d) + " " + result.name + " = " + expr + ";");
    regs.push_back(result);
    names += (names.empty() ? "" : ", ") +
             std::string(plan::EnumNameElemOp(instr->op()));
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Reg &reg = regs[op.results()->Get(o)];
    w.line(outputs[o].name + "[i] = " +
           storeAs(outputs[o].dtype, as(reg, outputs[o].dtype)) + ";");
  }
  if (returned)
    w.line("return " + as(regs[op.results()->Get(0)], *returned) + ";");
  summary += names.empty() ? "copy" : names;
  return true;
}

} // namespace

bool writePrologue(KernelWriter &w, const plan::Elementwise &op,
                   const Operand &result, const std::string &name,
                   std::string &summary, std::string &error) {
  std::vector<Operand> inputs, none;
  declare(w, op, "p", inputs, none);
  w.open("auto " + name + " = [&](" + w.index() + " i) -> " +
         computeType(result.dtype));
  if (!writeProgram(w, op, inputs, none, result.shape, summary, error,
                    result.dtype))
    return false;
  w.close(";");
  return true;
}

bool writeValueFunction(KernelWriter &w, const plan::Elementwise &op,
                        const Operand &first, const std::string &name,
                        const std::string &prefix, const std::string &index,
                        std::string &summary, std::string &error) {
  std::vector<Operand> inputs = {first};
  for (uint32_t i = 1; i < op.inputs()->size(); ++i)
    inputs.push_back(w.input(op.inputs()->Get(i), prefix + std::to_string(i)));
  std::string T = computeType(first.dtype);
  w.open("auto " + name + " = [&](" + T + " value, " + index + " i) -> " + T);
  if (!writeProgram(w, op, inputs, {}, first.shape, summary, error,
                    first.dtype, "value"))
    return false;
  w.close(";");
  return true;
}

bool writeEpilogue(KernelWriter &w, const Operand &result,
                   std::string &error) {
  const plan::Elementwise *op = w.epilogue();
  if (!op)
    return true;
  std::string summary;
  if (!writeValueFunction(w, *op, result, "epilogue", "ex", w.index(),
                          summary, error))
    return false;
  w.markEpilogueApplied();
  w.epilogueSummary = ", then elementwise " + summary;
  return true;
}

std::string epilogued(const KernelWriter &w, const std::string &value,
                      const std::string &index) {
  return w.epilogue() ? "epilogue(" + value + ", " + index + ")" : value;
}

bool emitElementwise(KernelWriter &w, const plan::Elementwise &op,
                     std::string &error) {
  std::vector<Operand> inputs, outputs;
  declare(w, op, "", inputs, outputs);
  int64_t count = outputs[0].count;
  w.launchThreads(count);
  w.forEach("i", count);
  std::string summary;
  if (!writeProgram(w, op, inputs, outputs, outputs[0].shape, summary, error))
    return false;
  w.close();
  w.summary = "elementwise " + summary;
  return true;
}

bool emitElementwiseGroup(KernelWriter &w, const plan::ElementwiseGroup &group,
                          std::string &error) {
  // Each part gets its own range of blocks and walks its elements with a
  // grid-stride loop over that range.
  constexpr int64_t kThreads = 256, kMaxBlocks = 1024;
  struct Part {
    std::vector<Operand> inputs, outputs;
    int64_t count, blocks;
  };
  std::vector<Part> parts;
  for (uint32_t k = 0; k < group.parts()->size(); ++k) {
    Part part;
    declare(w, *group.parts()->Get(k), "p" + std::to_string(k) + "_",
            part.inputs, part.outputs);
    part.count = part.outputs[0].count;
    part.blocks = std::min((part.count + kThreads - 1) / kThreads, kMaxBlocks);
    parts.push_back(std::move(part));
  }
  int64_t begin = 0;
  std::vector<std::string> programs;
  for (uint32_t k = 0; k < parts.size(); ++k) {
    const Part &part = parts[k];
    if (part.blocks == 0)
      continue;
    int64_t end = begin + part.blocks;
    w.open(std::string(begin ? "else " : "") + "if (blockIdx.x < " +
           integer(end) + ")");
    std::string block = begin ? "(blockIdx.x - " + integer(begin) + ")"
                              : std::string("blockIdx.x");
    w.open("for (" + w.index() + " i = " + block + " * " +
           integer(kThreads) + " + threadIdx.x; i < " + integer(part.count) +
           "; i += " + integer(part.blocks * kThreads) + ")");
    std::string program;
    if (!writeProgram(w, *group.parts()->Get(k), part.inputs, part.outputs,
                      part.outputs[0].shape, program, error))
      return false;
    programs.push_back(program);
    w.close();
    w.close();
    begin = end;
  }
  w.launch({uint32_t(begin), 1, 1}, {uint32_t(kThreads), 1, 1});
  // "4 x elementwise Mul, Add" when the parts run the same program.
  bool same = std::all_of(programs.begin(), programs.end(),
                          [&](const std::string &p) { return p == programs[0]; });
  std::string summary;
  for (const std::string &program : programs)
    summary += (summary.empty() ? "" : "; ") + program;
  w.summary = std::to_string(parts.size()) + " x elementwise " +
              (same && !programs.empty() ? programs[0] : summary);
  return true;
}

} // namespace dlc::cuda

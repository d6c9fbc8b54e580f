//===- EmitElementwise.cpp - Register programs as CUDA kernels ------------===//
//
// One thread per output element (grid-stride): the inputs are loaded at the
// element's broadcast offsets into registers r0.., each instruction defines
// the next register in its own dtype (f16/bf16 values are rounded after every
// instruction, as the CPU backend does), and the outputs are stored.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/cuda/Emitters.h"

#include <cmath>

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

bool emitElementwise(KernelWriter &w, const plan::Elementwise &op,
                     std::string &error) {
  std::vector<Operand> inputs, outputs;
  for (uint32_t i = 0; i < op.inputs()->size(); ++i)
    inputs.push_back(w.input(op.inputs()->Get(i), "x" + std::to_string(i)));
  for (uint32_t i = 0; i < op.outputs()->size(); ++i)
    outputs.push_back(w.output(op.outputs()->Get(i), "y" + std::to_string(i)));
  const std::vector<int64_t> &shape = outputs[0].shape;
  int64_t count = outputs[0].count;
  w.launchThreads(count);

  std::vector<Reg> regs;
  std::string summary;
  w.forEach("i", count);
  for (size_t r = 0; r < inputs.size(); ++r) {
    const Operand &in = inputs[r];
    // numpy broadcasting: trailing dimensions line up, extent 1 repeats.
    std::vector<int64_t> own = rowMajorStrides(in.shape);
    std::vector<int64_t> strides(shape.size(), 0);
    for (size_t d = 0; d < in.shape.size(); ++d) {
      size_t od = shape.size() - in.shape.size() + d;
      strides[od] = in.shape[d] == 1 && shape[od] != 1 ? 0 : own[d];
    }
    Reg reg{"r" + std::to_string(r), in.dtype};
    w.line(computeType(in.dtype) + " " + reg.name + " = " +
           loadAs(in.dtype, in.name + "[" + offsetOf("i", shape, strides) + "]") +
           ";");
    regs.push_back(reg);
  }
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
    summary += (summary.empty() ? "" : ", ") +
               std::string(plan::EnumNameElemOp(instr->op()));
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Reg &reg = regs[op.results()->Get(o)];
    w.line(outputs[o].name + "[i] = " +
           storeAs(outputs[o].dtype, as(reg, outputs[o].dtype)) + ";");
  }
  w.close();
  w.summary = "elementwise " + (summary.empty() ? "copy" : summary);
  return true;
}

} // namespace dlc::cuda

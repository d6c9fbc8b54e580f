//===- Describe.cpp - Human-readable summaries of a plan ------------------===//

#include "PlanAccess.h"
#include "PlanOperands.h"

#include <algorithm>
#include <map>

namespace dlc::rt {

std::string formatBytes(uint64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = double(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? format("%llu B", (unsigned long long)bytes)
                   : format("%.1f %s", value, units[unit]);
}

std::string formatFlops(uint64_t flops) {
  const char *units[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP"};
  double value = double(flops);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  return unit == 0 ? format("%llu FLOP", (unsigned long long)flops)
                   : format("%.2f %s", value, units[unit]);
}

namespace {

std::string tensorText(const plan::Plan &plan, uint32_t index) {
  const plan::Tensor *tensor = plan.tensors()->Get(index);
  return tensor->name()->str() + " " + dtypeName(toDType(tensor->dtype())) +
         formatShape(toShape(tensor->shape()));
}

std::string initText(const plan::Init *init) {
  if (!init)
    return "";
  switch (init->kind()) {
  case plan::InitKind::Zeros: return "zeros";
  case plan::InitKind::Constant: return format("constant(%g)", init->a());
  case plan::InitKind::Uniform:
    return format("uniform(%.4g, %.4g) seed %llu", init->a(), init->b(),
                  (unsigned long long)init->seed());
  case plan::InitKind::Normal:
    return format("normal(%.4g, %.4g) seed %llu", init->a(), init->b(),
                  (unsigned long long)init->seed());
  case plan::InitKind::Data: return "data";
  }
  return "";
}

/// The tensors a kernel reads and writes.
void kernelOperands(const plan::Kernel &k, std::vector<uint32_t> &ins,
                    std::vector<uint32_t> &outs) {
  plan::forEachKernelOperand(k, [&](uint32_t tensor, plan::Access access) {
    if (access == plan::Access::Read)
      ins.push_back(tensor);
    else if (access == plan::Access::Written)
      outs.push_back(tensor);
  });
}

} // namespace

std::vector<uint32_t> stepWrites(const plan::Step &step) {
  switch (step.step_type()) {
  case plan::StepKind::Gemm: {
    const plan::Gemm &g = *step.step_as_Gemm();
    if (g.epilogue() == plan::Epilogue::BiasGradB ||
        g.epilogue() == plan::Epilogue::BiasGradA)
      return {g.c(), g.bias()};
    return {g.c()};
  }
  case plan::StepKind::Copy:
    return {step.step_as_Copy()->dst()};
  case plan::StepKind::Fill:
    return {step.step_as_Fill()->dst()};
  case plan::StepKind::Kernel: {
    std::vector<uint32_t> ins, outs;
    kernelOperands(*step.step_as_Kernel(), ins, outs);
    return outs;
  }
  default:
    return {};
  }
}

uint64_t kernelScratch(const plan::Plan &plan) {
  uint64_t most = 0;
  for (const plan::Program *program : *plan.programs())
    for (const plan::Step *step : *program->steps())
      if (step->step_type() == plan::StepKind::Kernel)
        most = std::max(most, step->step_as_Kernel()->scratch());
  return most;
}

std::string stepLabel(const plan::Step &step, uint32_t index) {
  std::string where = step.location() && step.location()->size()
                          ? " at " + step.location()->str()
                          : "";
  return format("step %u (%s%s)", index, stepName(step).c_str(),
                where.c_str());
}

namespace {

/// The tensors a step reads and writes, as "out = kind(in, ...)".
std::string stepText(const plan::Plan &plan, const plan::Step &step) {
  auto name = [&](uint32_t index) {
    return plan.tensors()->Get(index)->name()->str();
  };
  switch (step.step_type()) {
  case plan::StepKind::Gemm: {
    const plan::Gemm &g = *step.step_as_Gemm();
    std::string product =
        format("%s%s @ %s%s", name(g.a()).c_str(), g.trans_a() ? "^T" : "",
               name(g.b()).c_str(), g.trans_b() ? "^T" : "");
    std::string results = name(g.c());
    bool gradA = g.epilogue() == plan::Epilogue::BiasGradA;
    if (g.epilogue() == plan::Epilogue::BiasGradB || gradA)
      results += ", " + name(g.bias());
    if (g.epilogue() == plan::Epilogue::BiasGradB)
      product += format(", colsum(%s)", name(g.b()).c_str());
    else if (gradA) // the sums over K of op(A)
      product += format(", %s(%s)", g.trans_a() ? "colsum" : "rowsum",
                        name(g.a()).c_str());
    else if (g.epilogue() != plan::Epilogue::None)
      product = format(g.epilogue() == plan::Epilogue::BiasRelu ? "relu(%s + %s)"
                       : g.epilogue() == plan::Epilogue::BiasGeluTanh
                           ? "gelu_tanh(%s + %s)"
                           : "%s + %s",
                       product.c_str(), name(g.bias()).c_str());
    if (g.with_addend())
      product = name(g.addend()) + " + " + product;
    return format("%s = %s  [%lld x %lldx%lldx%lld]", results.c_str(),
                  product.c_str(), (long long)g.batch(), (long long)g.m(),
                  (long long)g.n(), (long long)g.k());
  }
  case plan::StepKind::Copy:
    return name(step.step_as_Copy()->dst()) + " = " +
           name(step.step_as_Copy()->src());
  case plan::StepKind::Fill:
    return format("%s = %g", name(step.step_as_Fill()->dst()).c_str(),
                  step.step_as_Fill()->value());
  case plan::StepKind::Kernel: {
    const plan::Kernel &k = *step.step_as_Kernel();
    std::vector<uint32_t> ins, outs;
    kernelOperands(k, ins, outs);
    std::string text;
    for (uint32_t out : outs)
      text += (text.empty() ? "" : ", ") + name(out);
    text += " = " + k.name()->str() + "(";
    for (size_t i = 0; i < ins.size(); ++i)
      text += (i ? ", " : "") + name(ins[i]);
    return text + ")";
  }
  default:
    return "?";
  }
}

uint32_t launches(const plan::Program &program) { return program.launches(); }

void appendArenas(const plan::Plan &plan, std::string &out) {
  out += "arenas:\n";
  for (const plan::Arena *arena : *plan.arenas()) {
    out += format("  %-12s %10s", arena->name() ? arena->name()->c_str() : "?",
                  formatBytes(arena->size()).c_str());
    if (arena->kind() == plan::ArenaKind::Activations)
      out += format("  (one buffer per tensor: %s)",
                    formatBytes(arena->naive_size()).c_str());
    out += "\n";
  }
  // Split-K convolutions' partial tiles, on a GPU only.
  if (uint64_t scratch = kernelScratch(plan))
    out += format("  %-12s %10s  (CUDA kernels' partial sums)\n", "scratch",
                  formatBytes(scratch).c_str());
}

void appendKernels(const plan::Plan &plan, std::string &out) {
  std::map<std::string, unsigned> kernels;
  for (const plan::Program *program : *plan.programs())
    for (const plan::Step *step : *program->steps())
      ++kernels[stepName(*step)];
  out += "kernels:\n";
  for (const auto &[name, uses] : kernels)
    out += format("  %-28s x%u\n", name.c_str(), uses);
  out += format("  (%u CUDA kernel sources in the plan)\n",
                plan.kernels() ? plan.kernels()->size() : 0u);
}

std::string header(const plan::Plan &plan) {
  const plan::Metadata *meta = plan.metadata();
  std::string model = meta && meta->model() ? meta->model()->str() : "?";
  std::string text = "plan '" + model + "'";
  if (meta && meta->batch())
    text += format(", batch %lld", (long long)meta->batch());
  if (meta && meta->compiler_version())
    text += ", compiled by " + meta->compiler_version()->str();
  return text + format(", format %u\n", plan.format_version());
}

} // namespace

std::string Plan::report() const {
  const plan::Plan &plan = planRoot(*this);
  std::string out = header(plan);
  appendArenas(plan, out);
  out += "programs:\n";
  for (const plan::Program *program : *plan.programs())
    out += format("  %-10s %4u steps, %4u launches, %s\n",
                  program->name()->c_str(), program->steps()->size(),
                  launches(*program), formatFlops(program->flops()).c_str());
  appendKernels(plan, out);
  return out;
}

std::string Plan::describe() const {
  const plan::Plan &plan = planRoot(*this);
  std::string out = header(plan);
  appendArenas(plan, out);
  for (const plan::Program *program : *plan.programs()) {
    out += format("program '%s': %u steps, %u launches, %s\n",
                  program->name()->c_str(), program->steps()->size(),
                  launches(*program), formatFlops(program->flops()).c_str());
    for (const plan::Binding *input : *program->inputs())
      out += "  input  " + input->name()->str() + ": " +
             tensorText(plan, input->tensor()) + "\n";
    for (const plan::Binding *output : *program->outputs())
      out += "  output " + output->name()->str() + ": " +
             tensorText(plan, output->tensor()) + "\n";
    for (uint32_t i = 0; i < program->steps()->size(); ++i) {
      const plan::Step &step = *program->steps()->Get(i);
      std::string where =
          step.location() ? step.location()->str() : std::string();
      out += format("  %3u %-6s %-60s %12s  %s\n", i,
                    step.step_type() == plan::StepKind::Kernel
                        ? "kernel"
                        : stepName(step).c_str(),
                    stepText(plan, step).c_str(),
                    step.flops() ? formatFlops(step.flops()).c_str() : "",
                    where.c_str());
    }
  }
  uint64_t elements = 0;
  std::string params;
  for (const plan::Tensor *tensor : *plan.tensors()) {
    bool persistent = tensor->role() == plan::Role::Parameter ||
                      tensor->role() == plan::Role::Buffer ||
                      tensor->role() == plan::Role::OptimizerState;
    if (!persistent || tensor->alias_of() >= 0)
      continue;
    if (tensor->role() == plan::Role::Parameter)
      elements += *checkedNumElements(toShape(tensor->shape()));
    params += format("  %-30s %-6s %-16s %-16s %s\n", tensor->name()->c_str(),
                     dtypeName(toDType(tensor->dtype())),
                     formatShape(toShape(tensor->shape())).c_str(),
                     roleName(tensor->role()), initText(tensor->init()).c_str());
  }
  out += format("parameters (%llu trainable elements):\n",
                (unsigned long long)elements);
  out += params;
  appendKernels(plan, out);
  return out;
}

} // namespace dlc::rt

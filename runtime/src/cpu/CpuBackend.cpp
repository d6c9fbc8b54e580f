//===- CpuBackend.cpp - Running plans on the host -------------------------===//

#include "Backend.h"
#include "CpuKernels.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace dlc::rt {

namespace {

class CpuBackend final : public Backend {
public:
  explicit CpuBackend(const plan::Plan &plan) : plan(plan) {}
  ~CpuBackend() override {
    for (uint8_t *arena : arenas)
      std::free(arena);
  }

  Status allocate() override {
    // Refuse plans larger than the machine rather than let the kernel kill
    // the process half-way.
    uint64_t total = 0;
    for (const plan::Arena *arena : *plan.arenas())
      total += arena->size();
    uint64_t physical = uint64_t(sysconf(_SC_PHYS_PAGES)) *
                        uint64_t(sysconf(_SC_PAGE_SIZE));
    if (physical && total > physical)
      return Status::error(format("the plan needs %s of memory, this machine "
                                  "has %s",
                                  formatBytes(total).c_str(),
                                  formatBytes(physical).c_str()));
    for (const plan::Arena *arena : *plan.arenas()) {
      void *memory = nullptr;
      // One byte at least, so every arena has an address.
      size_t bytes = std::max<uint64_t>(arena->size(), 1);
      if (posix_memalign(&memory, 256, bytes) != 0)
        return Status::error(format("cannot allocate %s for arena '%s'",
                                    formatBytes(arena->size()).c_str(),
                                    arena->name() ? arena->name()->c_str()
                                                  : "?"));
      std::memset(memory, 0, bytes);
      if (arena->image())
        std::memcpy(memory, arena->image()->data(), arena->image()->size());
      arenas.push_back(static_cast<uint8_t *>(memory));
    }
    return Status::ok();
  }

  void write(uint32_t arena, uint64_t offset, const void *source,
             uint64_t bytes) override {
    if (bytes) // empty tensors may come with a null pointer
      std::memcpy(arenas[arena] + offset, source, bytes);
  }
  void read(uint32_t arena, uint64_t offset, void *destination,
            uint64_t bytes) const override {
    if (bytes)
      std::memcpy(destination, arenas[arena] + offset, bytes);
  }

  Status run(uint32_t programIndex, uint64_t step) override {
    return runStepwise(programIndex, step, {});
  }

  Status runStepwise(uint32_t programIndex, uint64_t step,
                     const std::function<bool(uint32_t)> &afterStep) override {
    const plan::Program &program = *plan.programs()->Get(programIndex);
    cpu::Context context(plan, arenas, step);
    for (uint32_t i = 0; i < program.steps()->size(); ++i) {
      const plan::Step &s = *program.steps()->Get(i);
      if (Status status = runStep(s, context); !status) {
        std::string where = s.location() && s.location()->size()
                                ? " at " + s.location()->str()
                                : "";
        return Status::error(format("step %u (%s%s) of '%s': ", i,
                                    stepName(s).c_str(), where.c_str(),
                                    program.name()->c_str()) +
                             status.message());
      }
      if (afterStep && !afterStep(i))
        break;
    }
    return Status::ok();
  }

private:
  Status runStep(const plan::Step &step, cpu::Context &ctx) {
    switch (step.step_type()) {
    case plan::StepKind::Gemm:
      return cpu::runGemm(*step.step_as_Gemm(), ctx);
    case plan::StepKind::Copy: {
      const plan::Copy &copy = *step.step_as_Copy();
      cpu::View src = ctx.view(copy.src()), dst = ctx.view(copy.dst());
      std::memmove(dst.data, src.data, src.count * dtypeSize(src.dtype));
      return Status::ok();
    }
    case plan::StepKind::Fill: {
      const plan::Fill &fill = *step.step_as_Fill();
      cpu::View dst = ctx.view(fill.dst());
      HostTensor one;
      one.dtype = dst.dtype;
      one.data.resize(dtypeSize(dst.dtype));
      one.set(0, fill.value());
      for (uint64_t i = 0; i < dst.count; ++i)
        std::memcpy(dst.data + i * one.data.size(), one.data.data(),
                    one.data.size());
      return Status::ok();
    }
    case plan::StepKind::Kernel:
      return runKernel(*step.step_as_Kernel(), ctx);
    default:
      return Status::error("unknown step kind");
    }
  }

  /// The op, then its epilogue over the op's result, in place.
  Status runKernel(const plan::Kernel &kernel, cpu::Context &ctx) {
    if (Status status = runOp(kernel, ctx); !status)
      return status;
    if (const plan::Elementwise *epilogue = kernel.epilogue())
      return cpu::runElementwise(*epilogue, ctx);
    return Status::ok();
  }

  Status runOp(const plan::Kernel &kernel, cpu::Context &ctx) {
    switch (kernel.op_type()) {
    case plan::Op::Elementwise: return cpu::runElementwise(*kernel.op_as_Elementwise(), ctx);
    case plan::Op::ElementwiseGroup:
      for (const plan::Elementwise *part : *kernel.op_as_ElementwiseGroup()->parts())
        if (Status status = cpu::runElementwise(*part, ctx); !status)
          return status;
      return Status::ok();
    case plan::Op::Reduce: return cpu::runReduce(*kernel.op_as_Reduce(), ctx);
    case plan::Op::SquarePartials: return cpu::runSquarePartials(*kernel.op_as_SquarePartials(), ctx);
    case plan::Op::SumPartials: return cpu::runSumPartials(*kernel.op_as_SumPartials(), ctx);
    case plan::Op::Argmax: return cpu::runArgmax(*kernel.op_as_Argmax(), ctx);
    case plan::Op::Softmax: return cpu::runSoftmax(*kernel.op_as_Softmax(), ctx);
    case plan::Op::Attention: return cpu::runAttention(*kernel.op_as_Attention(), ctx);
    case plan::Op::AttentionGrad: return cpu::runAttentionGrad(*kernel.op_as_AttentionGrad(), ctx);
    case plan::Op::SoftmaxGrad: return cpu::runSoftmaxGrad(*kernel.op_as_SoftmaxGrad(), ctx);
    case plan::Op::LayerNorm: return cpu::runLayerNorm(*kernel.op_as_LayerNorm(), ctx);
    case plan::Op::LayerNormGrad: return cpu::runLayerNormGrad(*kernel.op_as_LayerNormGrad(), ctx);
    case plan::Op::LayerNormParamGrad: return cpu::runLayerNormParamGrad(*kernel.op_as_LayerNormParamGrad(), ctx);
    case plan::Op::BatchNorm: return cpu::runBatchNorm(*kernel.op_as_BatchNorm(), ctx);
    case plan::Op::Conv2d: return cpu::runConv2d(*kernel.op_as_Conv2d(), ctx);
    case plan::Op::Pool2d: return cpu::runPool2d(*kernel.op_as_Pool2d(), ctx);
    case plan::Op::Transpose: return cpu::runTranspose(*kernel.op_as_Transpose(), ctx);
    case plan::Op::Concat: return cpu::runConcat(*kernel.op_as_Concat(), ctx);
    case plan::Op::Im2Col: return cpu::runIm2Col(*kernel.op_as_Im2Col(), ctx);
    case plan::Op::Slice: return cpu::runSlice(*kernel.op_as_Slice(), ctx);
    case plan::Op::Gather: return cpu::runGather(*kernel.op_as_Gather(), ctx);
    case plan::Op::Iota: return cpu::runIota(*kernel.op_as_Iota(), ctx);
    case plan::Op::CrossEntropy: return cpu::runCrossEntropy(*kernel.op_as_CrossEntropy(), ctx);
    case plan::Op::Accuracy: return cpu::runAccuracy(*kernel.op_as_Accuracy(), ctx);
    case plan::Op::Mse: return cpu::runMse(*kernel.op_as_Mse(), ctx);
    case plan::Op::ScatterAdd: return cpu::runScatterAdd(*kernel.op_as_ScatterAdd(), ctx);
    case plan::Op::Conv2dGrad: return cpu::runConv2dGrad(*kernel.op_as_Conv2dGrad(), ctx);
    case plan::Op::Pool2dGrad: return cpu::runPool2dGrad(*kernel.op_as_Pool2dGrad(), ctx);
    default: return Status::error("unknown kernel op");
    }
  }

  const plan::Plan &plan;
  std::vector<uint8_t *> arenas;
};

} // namespace

std::unique_ptr<Backend> createCpuBackend(const plan::Plan &plan) {
  return std::make_unique<CpuBackend>(plan);
}

} // namespace dlc::rt

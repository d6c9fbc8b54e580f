//===- CudaEmitter.cpp - CUDA C++ for the kernel steps of a plan ----------===//

#include "compiler/codegen/cuda/CudaEmitter.h"
#include "compiler/codegen/cuda/Emitters.h"

#include <map>

namespace dlc::cuda {

bool emitKernel(const plan::Plan &plan, const plan::Kernel &kernel,
                EmittedKernel &result, std::string &error) {
  KernelWriter w(plan, kernel);
  bool ok = false;
  switch (kernel.op_type()) {
  case plan::Op::Elementwise: ok = emitElementwise(w, *kernel.op_as_Elementwise(), error); break;
  case plan::Op::ElementwiseGroup: ok = emitElementwiseGroup(w, *kernel.op_as_ElementwiseGroup(), error); break;
  case plan::Op::Reduce: ok = emitReduce(w, *kernel.op_as_Reduce(), error); break;
  case plan::Op::SquarePartials: ok = emitSquarePartials(w, *kernel.op_as_SquarePartials(), error); break;
  case plan::Op::SumPartials: ok = emitSumPartials(w, *kernel.op_as_SumPartials(), error); break;
  case plan::Op::Argmax: ok = emitArgmax(w, *kernel.op_as_Argmax(), error); break;
  case plan::Op::Softmax: ok = emitSoftmax(w, *kernel.op_as_Softmax(), error); break;
  case plan::Op::Attention: ok = emitAttention(w, *kernel.op_as_Attention(), error); break;
  case plan::Op::AttentionGrad: ok = emitAttentionGrad(w, *kernel.op_as_AttentionGrad(), error); break;
  case plan::Op::SoftmaxGrad: ok = emitSoftmaxGrad(w, *kernel.op_as_SoftmaxGrad(), error); break;
  case plan::Op::LayerNorm: ok = emitLayerNorm(w, *kernel.op_as_LayerNorm(), error); break;
  case plan::Op::LayerNormGrad: ok = emitLayerNormGrad(w, *kernel.op_as_LayerNormGrad(), error); break;
  case plan::Op::LayerNormParamGrad: ok = emitLayerNormParamGrad(w, *kernel.op_as_LayerNormParamGrad(), error); break;
  case plan::Op::BatchNorm: ok = emitBatchNorm(w, *kernel.op_as_BatchNorm(), error); break;
  case plan::Op::Conv2d: ok = emitConv2d(w, *kernel.op_as_Conv2d(), error); break;
  case plan::Op::Pool2d: ok = emitPool2d(w, *kernel.op_as_Pool2d(), error); break;
  case plan::Op::Transpose: ok = emitTranspose(w, *kernel.op_as_Transpose(), error); break;
  case plan::Op::Concat: ok = emitConcat(w, *kernel.op_as_Concat(), error); break;
  case plan::Op::Im2Col: ok = emitIm2Col(w, *kernel.op_as_Im2Col(), error); break;
  case plan::Op::Slice: ok = emitSlice(w, *kernel.op_as_Slice(), error); break;
  case plan::Op::Gather: ok = emitGather(w, *kernel.op_as_Gather(), error); break;
  case plan::Op::Iota: ok = emitIota(w, *kernel.op_as_Iota(), error); break;
  case plan::Op::CrossEntropy: ok = emitCrossEntropy(w, *kernel.op_as_CrossEntropy(), error); break;
  case plan::Op::Accuracy: ok = emitAccuracy(w, *kernel.op_as_Accuracy(), error); break;
  case plan::Op::Mse: ok = emitMse(w, *kernel.op_as_Mse(), error); break;
  case plan::Op::ScatterAdd: ok = emitScatterAdd(w, *kernel.op_as_ScatterAdd(), error); break;
  case plan::Op::Conv2dGrad: ok = emitConv2dGrad(w, *kernel.op_as_Conv2dGrad(), error); break;
  case plan::Op::Pool2dGrad: ok = emitPool2dGrad(w, *kernel.op_as_Pool2dGrad(), error); break;
  default: error = "the CUDA emitter has no kernel for this op"; break;
  }
  std::string base = kernel.name() ? kernel.name()->str() : "kernel";
  return ok && w.finish(base, result, error);
}

bool emitPlanKernels(const plan::Plan &plan, PlanKernels &result,
                     std::string &error) {
  std::map<std::string, int32_t> bySource;
  for (const plan::Program *program : *plan.programs()) {
    std::vector<int32_t> &indices = result.stepKernel.emplace_back();
    for (uint32_t s = 0; s < program->steps()->size(); ++s) {
      const plan::Step *step = program->steps()->Get(s);
      if (step->step_type() != plan::StepKind::Kernel) {
        indices.push_back(-1);
        continue;
      }
      const plan::Kernel &kernel = *step->step_as_Kernel();
      EmittedKernel emitted;
      if (!emitKernel(plan, kernel, emitted, error)) {
        error = "step " + std::to_string(s) + " (" + kernel.name()->str() +
                ") of '" + program->name()->str() + "': " + error;
        return false;
      }
      auto [it, inserted] =
          bySource.emplace(emitted.source, int32_t(result.kernels.size()));
      if (inserted)
        result.kernels.push_back(std::move(emitted));
      indices.push_back(it->second);
    }
  }
  return true;
}

} // namespace dlc::cuda

//===- PlanOperands.h - The tensors a kernel step passes --------*- C++ -*-===//
//
// Part of the plan format: a CUDA kernel of the plan takes, as pointers, the
// tensors its op names, in the order kernelOperands lists them (each op's
// fields in schema order), then a pointer to the step counter (in device
// memory, so a captured CUDA graph replays with the current step) and one to
// the step's error word. The compiler's emitter declares its parameters from
// this list and the runtime passes arguments from it, so the two cannot
// disagree and the plan need not store the list.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PLAN_PLANOPERANDS_H
#define DLC_PLAN_PLANOPERANDS_H

#include "plan_generated.h"

#include <cstdint>
#include <vector>

namespace dlc::plan {

/// Bits of a step's error word, set by kernels that find bad data.
enum KernelError : uint32_t {
  kIndexOutOfRange = 1,  // a gather or scatter index outside its axis
  kLabelOutOfRange = 2,  // a cross-entropy label outside the classes
  kDivisionByZero = 4,   // an integer division by zero
};

inline std::vector<uint32_t> kernelOperands(const Kernel &kernel) {
  std::vector<uint32_t> list;
  auto add = [&](uint32_t tensor) { list.push_back(tensor); };
  auto addAll = [&](const flatbuffers::Vector<uint32_t> *tensors) {
    if (tensors)
      for (uint32_t tensor : *tensors)
        list.push_back(tensor);
  };
  switch (kernel.op_type()) {
  case Op::Elementwise: {
    const Elementwise *op = kernel.op_as_Elementwise();
    addAll(op->inputs());
    addAll(op->outputs());
    break;
  }
  case Op::ElementwiseGroup:
    for (const Elementwise *part : *kernel.op_as_ElementwiseGroup()->parts()) {
      addAll(part->inputs());
      addAll(part->outputs());
    }
    break;
  case Op::Reduce:
    add(kernel.op_as_Reduce()->input());
    add(kernel.op_as_Reduce()->output());
    break;
  case Op::Argmax:
    add(kernel.op_as_Argmax()->input());
    add(kernel.op_as_Argmax()->output());
    break;
  case Op::Softmax:
    add(kernel.op_as_Softmax()->input());
    add(kernel.op_as_Softmax()->output());
    break;
  case Op::LayerNorm: {
    const LayerNorm *op = kernel.op_as_LayerNorm();
    add(op->input());
    add(op->gamma());
    add(op->beta());
    add(op->output());
    break;
  }
  case Op::BatchNorm: {
    const BatchNorm *op = kernel.op_as_BatchNorm();
    add(op->input());
    add(op->scale());
    add(op->bias());
    add(op->mean());
    add(op->variance());
    add(op->output());
    if (op->training()) {
      add(op->new_mean());
      add(op->new_variance());
    }
    break;
  }
  case Op::Conv2d: {
    const Conv2d *op = kernel.op_as_Conv2d();
    add(op->input());
    add(op->weight());
    if (op->has_bias())
      add(op->bias());
    add(op->output());
    break;
  }
  case Op::Pool2d:
    add(kernel.op_as_Pool2d()->input());
    add(kernel.op_as_Pool2d()->output());
    break;
  case Op::Transpose:
    add(kernel.op_as_Transpose()->input());
    add(kernel.op_as_Transpose()->output());
    break;
  case Op::Concat:
    addAll(kernel.op_as_Concat()->inputs());
    add(kernel.op_as_Concat()->output());
    break;
  case Op::Slice:
    add(kernel.op_as_Slice()->input());
    add(kernel.op_as_Slice()->output());
    break;
  case Op::Gather: {
    const Gather *op = kernel.op_as_Gather();
    add(op->input());
    add(op->indices());
    add(op->output());
    break;
  }
  case Op::Iota:
    add(kernel.op_as_Iota()->output());
    break;
  case Op::CrossEntropy: {
    const CrossEntropy *op = kernel.op_as_CrossEntropy();
    add(op->logits());
    add(op->labels());
    add(op->output());
    if (op->with_grad()) {
      add(op->dloss());
      add(op->dlogits());
    }
    break;
  }
  case Op::Mse: {
    const Mse *op = kernel.op_as_Mse();
    add(op->prediction());
    add(op->target());
    add(op->output());
    break;
  }
  case Op::ScatterAdd: {
    const ScatterAdd *op = kernel.op_as_ScatterAdd();
    add(op->updates());
    add(op->indices());
    add(op->output());
    break;
  }
  case Op::Conv2dGrad: {
    const Conv2dGrad *op = kernel.op_as_Conv2dGrad();
    add(op->grad());
    add(op->other());
    add(op->output());
    break;
  }
  case Op::Pool2dGrad: {
    const Pool2dGrad *op = kernel.op_as_Pool2dGrad();
    add(op->input());
    add(op->grad());
    add(op->output());
    break;
  }
  default:
    break;
  }
  return list;
}

} // namespace dlc::plan

#endif // DLC_PLAN_PLANOPERANDS_H

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

/// How a kernel uses one of its operands.
enum class Access {
  Read,
  Written,
  Unread, // passed to keep the parameter list fixed, never read
};

/// Calls `visit(tensor, access)` for each operand of `kernel`, in parameter
/// order: each op's fields in schema order.
template <typename Visit>
void forEachKernelOperand(const Kernel &kernel, Visit &&visit) {
  auto read = [&](uint32_t tensor) { visit(tensor, Access::Read); };
  auto write = [&](uint32_t tensor) { visit(tensor, Access::Written); };
  auto readAll = [&](const flatbuffers::Vector<uint32_t> *tensors) {
    if (tensors)
      for (uint32_t tensor : *tensors)
        read(tensor);
  };
  auto writeAll = [&](const flatbuffers::Vector<uint32_t> *tensors) {
    if (tensors)
      for (uint32_t tensor : *tensors)
        write(tensor);
  };
  switch (kernel.op_type()) {
  case Op::Elementwise: {
    const Elementwise *op = kernel.op_as_Elementwise();
    readAll(op->inputs());
    writeAll(op->outputs());
    break;
  }
  case Op::ElementwiseGroup:
    for (const Elementwise *part : *kernel.op_as_ElementwiseGroup()->parts()) {
      readAll(part->inputs());
      writeAll(part->outputs());
    }
    break;
  case Op::Reduce:
    read(kernel.op_as_Reduce()->input());
    write(kernel.op_as_Reduce()->output());
    break;
  case Op::Argmax:
    read(kernel.op_as_Argmax()->input());
    write(kernel.op_as_Argmax()->output());
    break;
  case Op::Softmax: {
    const Softmax *op = kernel.op_as_Softmax();
    visit(op->input(), op->prologue() ? Access::Unread : Access::Read);
    write(op->output());
    if (op->prologue())
      readAll(op->prologue()->inputs());
    break;
  }
  case Op::Attention: {
    const Attention *op = kernel.op_as_Attention();
    read(op->query());
    read(op->key());
    read(op->value());
    write(op->output());
    if (op->with_probabilities())
      write(op->probabilities());
    // The prologue's first input is the output, named by convention.
    if (const Elementwise *prologue = op->prologue())
      for (uint32_t i = 1; prologue->inputs() && i < prologue->inputs()->size();
           ++i)
        read(prologue->inputs()->Get(i));
    break;
  }
  case Op::AttentionGrad: {
    const AttentionGrad *op = kernel.op_as_AttentionGrad();
    read(op->grad());
    read(op->probabilities());
    read(op->query());
    read(op->key());
    read(op->value());
    write(op->query_grad());
    if (!op->packed()) {
      write(op->key_grad());
      write(op->value_grad());
    }
    // The epilogue's first input is query_grad, named by convention.
    if (const Elementwise *epilogue = op->epilogue())
      for (uint32_t i = 1; epilogue->inputs() && i < epilogue->inputs()->size();
           ++i)
        read(epilogue->inputs()->Get(i));
    break;
  }
  case Op::Im2Col:
    read(kernel.op_as_Im2Col()->input());
    write(kernel.op_as_Im2Col()->output());
    break;
  case Op::SoftmaxGrad:
    read(kernel.op_as_SoftmaxGrad()->output());
    read(kernel.op_as_SoftmaxGrad()->grad());
    write(kernel.op_as_SoftmaxGrad()->input_grad());
    break;
  case Op::LayerNorm: {
    const LayerNorm *op = kernel.op_as_LayerNorm();
    read(op->input());
    read(op->gamma());
    read(op->beta());
    write(op->output());
    break;
  }
  case Op::LayerNormGrad: {
    const LayerNormGrad *op = kernel.op_as_LayerNormGrad();
    read(op->input());
    read(op->grad());
    read(op->gamma());
    if (op->with_addend())
      read(op->addend());
    write(op->output());
    write(op->mean());
    write(op->rstd());
    break;
  }
  case Op::LayerNormParamGrad: {
    const LayerNormParamGrad *op = kernel.op_as_LayerNormParamGrad();
    read(op->input());
    read(op->grad());
    read(op->mean());
    read(op->rstd());
    write(op->gamma_grad());
    write(op->beta_grad());
    break;
  }
  case Op::SquarePartials:
    readAll(kernel.op_as_SquarePartials()->inputs());
    write(kernel.op_as_SquarePartials()->partials());
    break;
  case Op::SumPartials:
    read(kernel.op_as_SumPartials()->partials());
    write(kernel.op_as_SumPartials()->output());
    break;
  case Op::BatchNorm: {
    const BatchNorm *op = kernel.op_as_BatchNorm();
    read(op->input());
    read(op->scale());
    read(op->bias());
    read(op->mean());
    read(op->variance());
    write(op->output());
    if (op->training()) {
      write(op->new_mean());
      write(op->new_variance());
    }
    break;
  }
  case Op::Conv2d: {
    const Conv2d *op = kernel.op_as_Conv2d();
    read(op->input());
    read(op->weight());
    if (op->has_bias())
      read(op->bias());
    write(op->output());
    break;
  }
  case Op::Pool2d:
    read(kernel.op_as_Pool2d()->input());
    write(kernel.op_as_Pool2d()->output());
    break;
  case Op::Transpose:
    read(kernel.op_as_Transpose()->input());
    write(kernel.op_as_Transpose()->output());
    break;
  case Op::Concat:
    readAll(kernel.op_as_Concat()->inputs());
    write(kernel.op_as_Concat()->output());
    break;
  case Op::Slice:
    read(kernel.op_as_Slice()->input());
    write(kernel.op_as_Slice()->output());
    break;
  case Op::Gather: {
    const Gather *op = kernel.op_as_Gather();
    read(op->input());
    read(op->indices());
    write(op->output());
    break;
  }
  case Op::Iota:
    write(kernel.op_as_Iota()->output());
    break;
  case Op::CrossEntropy: {
    const CrossEntropy *op = kernel.op_as_CrossEntropy();
    read(op->logits());
    read(op->labels());
    write(op->output());
    if (op->with_grad()) {
      read(op->dloss());
      write(op->dlogits());
    }
    if (op->with_accuracy())
      write(op->accuracy());
    break;
  }
  case Op::Accuracy: {
    const Accuracy *op = kernel.op_as_Accuracy();
    read(op->logits());
    read(op->labels());
    write(op->output());
    break;
  }
  case Op::Mse: {
    const Mse *op = kernel.op_as_Mse();
    read(op->prediction());
    read(op->target());
    write(op->output());
    break;
  }
  case Op::ScatterAdd: {
    const ScatterAdd *op = kernel.op_as_ScatterAdd();
    read(op->updates());
    read(op->indices());
    write(op->output());
    break;
  }
  case Op::Conv2dGrad: {
    const Conv2dGrad *op = kernel.op_as_Conv2dGrad();
    read(op->grad());
    read(op->other());
    write(op->output());
    if (op->with_bias_grad())
      write(op->bias_grad());
    break;
  }
  case Op::Pool2dGrad: {
    // Average pooling's gradient does not look at the forward input.
    const Pool2dGrad *op = kernel.op_as_Pool2dGrad();
    visit(op->input(),
          op->kind() == PoolKind::Max ? Access::Read : Access::Unread);
    read(op->grad());
    write(op->output());
    break;
  }
  default:
    break;
  }
  // The epilogue's register 0 is the op's result, declared above.
  if (const Elementwise *epilogue = kernel.epilogue())
    for (uint32_t i = 1; epilogue->inputs() && i < epilogue->inputs()->size(); ++i)
      read(epilogue->inputs()->Get(i));
}

/// The tensors a kernel step passes, in parameter order.
inline std::vector<uint32_t> kernelOperands(const Kernel &kernel) {
  std::vector<uint32_t> list;
  forEachKernelOperand(kernel,
                       [&](uint32_t tensor, Access) { list.push_back(tensor); });
  return list;
}

} // namespace dlc::plan

#endif // DLC_PLAN_PLANOPERANDS_H

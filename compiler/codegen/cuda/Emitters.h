//===- Emitters.h - One CUDA emitter per op family --------------*- C++ -*-===//
//
// Each function declares the kernel's parameters in plan::kernelOperands
// order, writes the body and chooses the launch. They return false with a
// message for what they cannot emit.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_CODEGEN_CUDA_EMITTERS_H
#define DLC_COMPILER_CODEGEN_CUDA_EMITTERS_H

#include "compiler/codegen/cuda/KernelWriter.h"

namespace dlc::cuda {

bool emitElementwise(KernelWriter &w, const plan::Elementwise &op,
                     std::string &error);
bool emitElementwiseGroup(KernelWriter &w, const plan::ElementwiseGroup &group,
                          std::string &error);
/// Declares the inputs of `op`, a prologue, and defines `name`, a lambda
/// that computes its one result at element `i` of `result`'s shape (as
/// `result`'s compute type): a kernel calls it where it would load.
bool writePrologue(KernelWriter &w, const plan::Elementwise &op,
                   const Operand &result, const std::string &name,
                   std::string &summary, std::string &error);
/// Declares the inputs of `op` after its first (params `prefix`1, ...) and
/// defines `name`, a lambda of (value, element index over `first`'s shape
/// as `index`) computing the program with register 0 = value: an epilogue,
/// or attention's modification of a score.
bool writeValueFunction(KernelWriter &w, const plan::Elementwise &op,
                        const Operand &first, const std::string &name,
                        const std::string &prefix, const std::string &index,
                        std::string &summary, std::string &error);
/// With the kernel's epilogue, declares its inputs (after the op's) and
/// defines `epilogue`, a lambda of (value, element index of `result`) that
/// gives what to store; nothing without one.
bool writeEpilogue(KernelWriter &w, const Operand &result, std::string &error);
/// `value`, element `index` of the op's result, as it is stored: through
/// the epilogue when the kernel has one.
std::string epilogued(const KernelWriter &w, const std::string &value,
                      const std::string &index);
bool emitReduce(KernelWriter &w, const plan::Reduce &op, std::string &error);
bool emitSquarePartials(KernelWriter &w, const plan::SquarePartials &op,
                        std::string &error);
bool emitSumPartials(KernelWriter &w, const plan::SumPartials &op,
                     std::string &error);
bool emitArgmax(KernelWriter &w, const plan::Argmax &op, std::string &error);
bool emitSoftmax(KernelWriter &w, const plan::Softmax &op, std::string &error);
bool emitSoftmaxGrad(KernelWriter &w, const plan::SoftmaxGrad &op,
                     std::string &error);
bool emitAttention(KernelWriter &w, const plan::Attention &op,
                   std::string &error);
bool emitAttentionGrad(KernelWriter &w, const plan::AttentionGrad &op,
                       std::string &error);
bool emitAccuracy(KernelWriter &w, const plan::Accuracy &op,
                  std::string &error);
bool emitCrossEntropy(KernelWriter &w, const plan::CrossEntropy &op,
                      std::string &error);
bool emitMse(KernelWriter &w, const plan::Mse &op, std::string &error);
bool emitLayerNorm(KernelWriter &w, const plan::LayerNorm &op,
                   std::string &error);
bool emitLayerNormGrad(KernelWriter &w, const plan::LayerNormGrad &op,
                       std::string &error);
bool emitLayerNormParamGrad(KernelWriter &w, const plan::LayerNormParamGrad &op,
                            std::string &error);
bool emitBatchNorm(KernelWriter &w, const plan::BatchNorm &op,
                   std::string &error);
bool emitConv2d(KernelWriter &w, const plan::Conv2d &op, std::string &error);
bool emitIm2Col(KernelWriter &w, const plan::Im2Col &op, std::string &error);
bool emitConv2dGrad(KernelWriter &w, const plan::Conv2dGrad &op,
                    std::string &error);
bool emitPool2d(KernelWriter &w, const plan::Pool2d &op, std::string &error);
bool emitPool2dGrad(KernelWriter &w, const plan::Pool2dGrad &op,
                    std::string &error);
bool emitTranspose(KernelWriter &w, const plan::Transpose &op,
                   std::string &error);
bool emitConcat(KernelWriter &w, const plan::Concat &op, std::string &error);
bool emitSlice(KernelWriter &w, const plan::Slice &op, std::string &error);
bool emitGather(KernelWriter &w, const plan::Gather &op, std::string &error);
bool emitScatterAdd(KernelWriter &w, const plan::ScatterAdd &op,
                    std::string &error);
bool emitIota(KernelWriter &w, const plan::Iota &op, std::string &error);

/// "float" accumulators for f32, "double" for f64; false (with `error`) for
/// the dtypes numeric kernels do not take.
bool floatKernelType(plan::DType dtype, const char *op, std::string &error);

} // namespace dlc::cuda

#endif // DLC_COMPILER_CODEGEN_CUDA_EMITTERS_H

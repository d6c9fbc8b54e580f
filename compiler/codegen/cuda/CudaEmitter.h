//===- CudaEmitter.h - CUDA C++ for the kernel steps of a plan --*- C++ -*-===//
//
// The emitter reads a finished plan (the same tables the CPU backend runs)
// and writes one CUDA kernel per kernel step: readable source, specialized to
// the step's shapes, compiled by NVRTC when dlrun loads the plan. Identical
// kernels (same source) are stored once. Plain C++: no MLIR here.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_CODEGEN_CUDA_CUDAEMITTER_H
#define DLC_COMPILER_CODEGEN_CUDA_CUDAEMITTER_H

#include "plan_generated.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dlc::cuda {

/// One emitted kernel and how to launch it.
struct EmittedKernel {
  std::string name;   // the extern "C" function: <step name>_<source hash>
  std::string source; // a complete NVRTC translation unit
  std::array<uint32_t, 3> grid{1, 1, 1};
  std::array<uint32_t, 3> block{1, 1, 1};
  uint64_t scratch = 0; // bytes of device scratch, the last parameter
};

/// The kernel that computes `kernel` (a step of `plan`); false with `error`
/// for an op or dtype the emitter does not handle.
bool emitKernel(const plan::Plan &plan, const plan::Kernel &kernel,
                EmittedKernel &result, std::string &error);

/// The kernels of a whole plan: identical kernels (same source) once, and
/// for each program and step the index of its kernel (-1: not a kernel step).
struct PlanKernels {
  std::vector<EmittedKernel> kernels;
  std::vector<std::vector<int32_t>> stepKernel;
};

/// Emits every kernel step of `plan`; false with `error` naming the step.
bool emitPlanKernels(const plan::Plan &plan, PlanKernels &result,
                     std::string &error);

} // namespace dlc::cuda

#endif // DLC_COMPILER_CODEGEN_CUDA_CUDAEMITTER_H

//===- CublasLt.h - GEMMs through cuBLASLt, opened at run time --*- C++ -*-===//
//
// The plan's GEMMs are row-major; cuBLASLt is column-major. A row-major
// C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T, so each call
// passes B before A with the shapes swapped, and no data moves.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_CUDA_CUBLASLT_H
#define DLC_RUNTIME_CUDA_CUBLASLT_H

#include "Driver.h"
#include "PlanAccess.h"

#include <memory>

namespace dlc::rt::cuda {

/// How float GEMMs may round: strict fp32, or TF32 tensor cores.
enum class Precision { Fp32, Tf32 };

/// One GEMM step, its descriptors and algorithm chosen once.
class GemmCall {
public:
  virtual ~GemmCall() = default;
  /// Enqueues the GEMM on `stream` (graph capture allowed). `addend`, when
  /// the step has one, is read as cuBLASLt's C (beta 1) and `c` written as
  /// its D.
  virtual Status enqueue(CUstream stream, CUdeviceptr a, CUdeviceptr b,
                         CUdeviceptr c, CUdeviceptr bias,
                         CUdeviceptr addend) = 0;
};

class Cublas {
public:
  /// Opens cuBLASLt and creates a handle and a workspace.
  static Expected<std::unique_ptr<Cublas>> create(const DriverApi &driver);
  virtual ~Cublas() = default;
  /// Prepares `gemm` (dtype of its tensors: `dtype`).
  virtual Expected<std::unique_ptr<GemmCall>>
  prepare(const plan::Gemm &gemm, plan::DType dtype, Precision precision) = 0;
};

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDA_CUBLASLT_H

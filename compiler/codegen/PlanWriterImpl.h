//===- PlanWriterImpl.h - State shared by the plan writer's parts -*- C++ -*-===//

#ifndef DLC_COMPILER_CODEGEN_PLANWRITERIMPL_H
#define DLC_COMPILER_CODEGEN_PLANWRITERIMPL_H

#include "compiler/codegen/PlanWriter.h"
#include "compiler/codegen/cuda/CudaEmitter.h"
#include "dialects/dl/DlOps.h"

#include "plan_generated.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"

namespace dlc {

namespace fb = ::flatbuffers;

/// Everything the plan says about one tensor, kept until all programs are
/// lowered and the tensor table is written.
struct TensorRecord {
  std::string name;
  plan::DType dtype = plan::DType::F32;
  std::vector<int64_t> shape;
  plan::Role role = plan::Role::Temporary;
  uint32_t arena = 0;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  bool hasInit = false;
  plan::InitKind initKind = plan::InitKind::Zeros;
  double initA = 0, initB = 0;
  uint64_t initSeed = 0;
  std::vector<uint8_t> initData; // InitKind::Data
  int32_t aliasOf = -1;
};

enum ArenaIndex : uint32_t {
  kActivations = 0,
  kParameters = 1,
  kConstants = 2,
};

/// Lowers one planned function into steps; owned by the PlanWriter.
class ProgramLowering {
public:
  ProgramLowering(fb::FlatBufferBuilder &fbb,
                  std::vector<TensorRecord> &tensors,
                  llvm::StringMap<uint32_t> &params,
                  llvm::function_ref<uint32_t(mlir::dl::ConstantOp)> constant)
      : fbb(fbb), tensors(tensors), params(params), constant(constant) {}

  mlir::LogicalResult lower(mlir::func::FuncOp func);

  std::vector<std::pair<std::string, uint32_t>> inputs, outputs;
  std::vector<fb::Offset<plan::Step>> steps;
  uint64_t flops = 0;
  /// The CUDA kernels of the plan and this program's step -> kernel map;
  /// null in the first build, which feeds the emitter.
  const cuda::PlanKernels *kernels = nullptr;
  const std::vector<int32_t> *stepKernels = nullptr;
  /// Consecutive independent elementwise kernels become one launch.
  bool groupKernels = true;

private:
  uint32_t tensorOf(mlir::Value value) const { return valueTensor.at(value); }
  uint32_t newTensor(mlir::Value value, plan::Role role, uint64_t offset,
                     std::string name);
  mlir::LogicalResult lowerOp(mlir::Operation &op);
  void addStep(mlir::Operation &op, plan::StepKind kind, fb::Offset<void> step,
               uint64_t flops);
  void addKernel(mlir::Operation &op, llvm::StringRef name, plan::Op kind,
                 fb::Offset<void> body, uint64_t flops);
  mlir::LogicalResult lowerElementwise(mlir::Operation &op);
  /// The register program of an elementwise region's body over `shape`.
  struct Program {
    std::vector<uint32_t> ins;
    std::vector<plan::Instr> code;
    std::vector<uint16_t> results;
    std::vector<fb::Offset<plan::InputView>> views; // none, or one per input
    std::vector<std::string> names;                 // of the ops, in order
    fb::Offset<plan::Elementwise> write(fb::FlatBufferBuilder &fbb,
                                        const std::vector<uint32_t> &outs) const;
    std::string kernelName() const;
  };
  mlir::FailureOr<Program> buildProgram(mlir::Operation *owner,
                                        mlir::Block &block,
                                        mlir::ValueRange inputs,
                                        llvm::ArrayRef<int64_t> shape);
  mlir::LogicalResult lowerFused(mlir::dl::FusedOp fused);
  mlir::LogicalResult lowerFusedSoftmax(mlir::dl::FusedSoftmaxOp fused);
  /// The body of an attention op as the program its kernel applies to each
  /// score (or score gradient), register 0 holding it and input 0 naming
  /// `first` (unread); a null offset when the body only yields its
  /// argument. `ops` is the program's length; `what` and `argument` name
  /// the body and its argument in errors.
  struct ScoresProgram {
    fb::Offset<plan::Elementwise> program;
    uint64_t ops = 0;
  };
  mlir::FailureOr<ScoresProgram>
  lowerScoresBody(mlir::Operation *owner, mlir::Block &block, mlir::Value first,
                  mlir::ValueRange inputs, llvm::ArrayRef<int64_t> scores,
                  llvm::StringRef what, llvm::StringRef argument,
                  llvm::StringRef element);
  mlir::LogicalResult lowerFusedAttention(mlir::dl::FusedAttentionOp fused);
  mlir::LogicalResult
  lowerFusedAttentionGrad(mlir::dl::FusedAttentionGradOp fused);
  /// Queues an elementwise kernel; consecutive ones that touch disjoint
  /// bytes are launched together (ElementwiseGroup).
  void addElementwise(mlir::Operation &op, llvm::StringRef name,
                      fb::Offset<plan::Elementwise> body,
                      std::vector<uint32_t> ins, std::vector<uint32_t> outs,
                      uint64_t flops);
  void flushElementwise();
  bool overlaps(uint32_t a, uint32_t b) const;

  struct PendingPart {
    mlir::Operation *op;
    std::string name;
    fb::Offset<plan::Elementwise> body;
    std::vector<uint32_t> ins, outs;
    uint64_t flops;
  };
  static constexpr size_t kMaxGroupParts = 16;
  std::vector<PendingPart> pending;
  /// The epilogue regions a kernel step has taken in.
  llvm::SmallPtrSet<mlir::Operation *, 8> epiloguesRun;
  /// A GEMM step for dl.matmul, dl.matmul_bias or dl.matmul_bias_grad
  /// (`bias` read or, for BiasGradB, written; `addend` added if given).
  void lowerMatmul(mlir::Operation &op, mlir::Value lhs, mlir::Value rhs,
                   bool transposeLhs, bool transposeRhs, mlir::Value bias,
                   plan::Epilogue epilogue, mlir::Value addend = {});

  fb::FlatBufferBuilder &fbb;
  std::vector<TensorRecord> &tensors;
  llvm::StringMap<uint32_t> &params;
  llvm::function_ref<uint32_t(mlir::dl::ConstantOp)> constant;
  llvm::DenseMap<mlir::Value, uint32_t> valueTensor;
  unsigned counter = 0;

  friend struct StepBuilder;
};

plan::DType toPlanDType(mlir::Type type);
uint64_t elementBytes(plan::DType dtype);
std::string formatLocation(mlir::Location loc);

} // namespace dlc

#endif // DLC_COMPILER_CODEGEN_PLANWRITERIMPL_H

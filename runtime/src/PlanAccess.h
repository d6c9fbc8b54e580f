//===- PlanAccess.h - The generated plan tables, inside the runtime -*- C++ -*-===//
//
// Only runtime sources see the FlatBuffers types; the public headers stay
// free of them.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_PLANACCESS_H
#define DLC_RUNTIME_PLANACCESS_H

#include "dlc/Plan.h"
#include "plan_generated.h"

namespace dlc::rt {

inline const plan::Plan &planRoot(const Plan &plan) {
  return *static_cast<const plan::Plan *>(plan.root());
}

inline DType toDType(plan::DType dtype) { return DType(uint8_t(dtype)); }

inline std::vector<int64_t> toShape(const flatbuffers::Vector<int64_t> *dims) {
  return dims ? std::vector<int64_t>(dims->begin(), dims->end())
              : std::vector<int64_t>();
}

/// Parameters, buffers and optimizer state: what outlives a run (and is
/// not a view of another tensor).
inline bool isPersistent(const plan::Tensor &tensor) {
  return tensor.alias_of() < 0 && (tensor.role() == plan::Role::Parameter ||
                                   tensor.role() == plan::Role::Buffer ||
                                   tensor.role() == plan::Role::OptimizerState);
}

/// Everything PlanCheck verifies beyond the FlatBuffers verifier.
Status checkPlan(const plan::Plan &plan);

const char *roleName(plan::Role role);
/// The step's kind for messages: "gemm", "copy", "fill" or the kernel name.
std::string stepName(const plan::Step &step);
/// "step 9 (fused_compare_select at examples/mlp.dl:17:9)": a step for
/// messages, with its kernel and its source location.
std::string stepLabel(const plan::Step &step, uint32_t index);
/// The tensors the step writes.
std::vector<uint32_t> stepWrites(const plan::Step &step);
/// The device scratch the CUDA backend allocates: the most any kernel step
/// of any program asks for.
uint64_t kernelScratch(const plan::Plan &plan);

} // namespace dlc::rt

#endif // DLC_RUNTIME_PLANACCESS_H

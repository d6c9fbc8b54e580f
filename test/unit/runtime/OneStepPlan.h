//===- OneStepPlan.h - Tiny plans built by hand for loader tests -*- C++ -*-===//

#ifndef DLC_TEST_UNIT_RUNTIME_ONESTEPPLAN_H
#define DLC_TEST_UNIT_RUNTIME_ONESTEPPLAN_H

#include "dlc/Plan.h"
#include "plan_generated.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dlc::test {

using MakeStep = std::function<flatbuffers::Offset<plan::Step>(
    flatbuffers::FlatBufferBuilder &)>;

/// A plan with one f32[4] tensor 't' at offset 0 of an activation arena of
/// `arenaBytes`, and a program 'inference' whose only step `makeStep` builds
/// (no step when it is empty). `kernels` are (name, CUDA source) pairs.
inline std::vector<uint8_t>
oneStepPlan(const MakeStep &makeStep,
            const std::vector<std::pair<std::string, std::string>> &kernels = {},
            uint64_t arenaBytes = 256) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<int64_t> shape = {4};
  std::vector<flatbuffers::Offset<plan::Tensor>> tensors = {
      plan::CreateTensorDirect(fbb, "t", plan::DType::F32, &shape,
                               plan::Role::Temporary, 0, 0, 16)};
  std::vector<flatbuffers::Offset<plan::Arena>> arenas = {
      plan::CreateArenaDirect(fbb, "activations", plan::ArenaKind::Activations,
                              arenaBytes, 0, 256)};
  std::vector<flatbuffers::Offset<plan::Step>> steps;
  if (makeStep)
    steps.push_back(makeStep(fbb));
  std::vector<flatbuffers::Offset<plan::Binding>> none;
  std::vector<flatbuffers::Offset<plan::Program>> programs = {
      plan::CreateProgramDirect(fbb, "inference", &none, &none, &steps)};
  std::vector<flatbuffers::Offset<plan::KernelSource>> sources;
  for (const auto &[name, source] : kernels)
    sources.push_back(
        plan::CreateKernelSourceDirect(fbb, name.c_str(), source.c_str()));
  auto root = plan::CreatePlanDirect(fbb, rt::kPlanFormatVersion, 0, &arenas,
                                     &tensors, &programs, &sources);
  plan::FinishSizePrefixedPlanBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

} // namespace dlc::test

#endif // DLC_TEST_UNIT_RUNTIME_ONESTEPPLAN_H

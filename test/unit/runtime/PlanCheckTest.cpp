//===- PlanCheckTest.cpp - Plans built by hand that the loader rejects ----===//
//
// Damage the random mutations of MalformedPlans rarely produce: unions whose
// type is set but whose table is missing pass the FlatBuffers verifier.
//
//===----------------------------------------------------------------------===//

#include "dlc/Plan.h"
#include "plan_generated.h"

#include <gtest/gtest.h>

using namespace dlc;

namespace {

/// A one-tensor plan whose only step is made by `makeStep`.
std::vector<uint8_t>
planWithStep(const std::function<flatbuffers::Offset<plan::Step>(
                 flatbuffers::FlatBufferBuilder &)> &makeStep) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<int64_t> shape = {4};
  auto tensor = plan::CreateTensorDirect(fbb, "t", plan::DType::F32, &shape,
                                         plan::Role::Temporary, 0, 0, 16);
  std::vector<flatbuffers::Offset<plan::Tensor>> tensors = {tensor};
  std::vector<flatbuffers::Offset<plan::Arena>> arenas = {
      plan::CreateArenaDirect(fbb, "activations", plan::ArenaKind::Activations,
                              256, 256, 256)};
  std::vector<flatbuffers::Offset<plan::Step>> steps = {makeStep(fbb)};
  std::vector<flatbuffers::Offset<plan::Binding>> none;
  std::vector<flatbuffers::Offset<plan::Program>> programs = {
      plan::CreateProgramDirect(fbb, "inference", &none, &none, &steps)};
  auto root = plan::CreatePlanDirect(fbb, rt::kPlanFormatVersion, 0, &arenas,
                                     &tensors, &programs);
  plan::FinishSizePrefixedPlanBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::string loadError(std::vector<uint8_t> bytes) {
  auto plan = rt::Plan::fromBytes(std::move(bytes), "test");
  return plan ? "loaded" : plan.status().message();
}

TEST(PlanCheck, AcceptsAWellFormedStep) {
  auto bytes = planWithStep([](flatbuffers::FlatBufferBuilder &fbb) {
    return plan::CreateStep(fbb, plan::StepKind::Fill,
                            plan::CreateFill(fbb, 0, 1.0).Union());
  });
  EXPECT_EQ(loadError(bytes), "loaded");
}

TEST(PlanCheck, RejectsAStepKindWithoutBody) {
  auto bytes = planWithStep([](flatbuffers::FlatBufferBuilder &fbb) {
    return plan::CreateStep(fbb, plan::StepKind::Gemm, 0);
  });
  EXPECT_NE(loadError(bytes).find("the step has a kind but no body"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAKernelOpKindWithoutOp) {
  auto bytes = planWithStep([](flatbuffers::FlatBufferBuilder &fbb) {
    auto kernel = plan::CreateKernelDirect(fbb, "k", -1, nullptr, nullptr,
                                           plan::Op::Softmax, 0);
    return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
  });
  EXPECT_NE(loadError(bytes).find("the kernel has an op kind but no op"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAnArenaLargerThanItsTensors) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<int64_t> shape = {4};
  std::vector<flatbuffers::Offset<plan::Tensor>> tensors = {
      plan::CreateTensorDirect(fbb, "t", plan::DType::F32, &shape,
                               plan::Role::Temporary, 0, 0, 16)};
  std::vector<flatbuffers::Offset<plan::Arena>> arenas = {
      plan::CreateArenaDirect(fbb, "activations", plan::ArenaKind::Activations,
                              uint64_t(1) << 40, 0, 256)};
  std::vector<flatbuffers::Offset<plan::Step>> steps;
  std::vector<flatbuffers::Offset<plan::Binding>> none;
  std::vector<flatbuffers::Offset<plan::Program>> programs = {
      plan::CreateProgramDirect(fbb, "inference", &none, &none, &steps)};
  plan::FinishSizePrefixedPlanBuffer(fbb, plan::CreatePlanDirect(fbb, rt::kPlanFormatVersion,
                                                     0, &arenas, &tensors,
                                                     &programs));
  std::vector<uint8_t> bytes(fbb.GetBufferPointer(),
                             fbb.GetBufferPointer() + fbb.GetSize());
  EXPECT_NE(loadError(bytes).find("but its tensors need only 256"),
            std::string::npos);
}

} // namespace

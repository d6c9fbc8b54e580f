//===- PlanCheckTest.cpp - Plans built by hand that the loader rejects ----===//
//
// Damage the random mutations of MalformedPlans rarely produce: unions whose
// type is set but whose table is missing pass the FlatBuffers verifier.
//
//===----------------------------------------------------------------------===//

#include "OneStepPlan.h"

#include <gtest/gtest.h>

using namespace dlc;

namespace {

std::string loadError(std::vector<uint8_t> bytes) {
  auto plan = rt::Plan::fromBytes(std::move(bytes), "test");
  return plan ? "loaded" : plan.status().message();
}

TEST(PlanCheck, AcceptsAWellFormedStep) {
  auto bytes = test::oneStepPlan([](flatbuffers::FlatBufferBuilder &fbb) {
    return plan::CreateStep(fbb, plan::StepKind::Fill,
                            plan::CreateFill(fbb, 0, 1.0).Union());
  });
  EXPECT_EQ(loadError(bytes), "loaded");
}

TEST(PlanCheck, RejectsAStepKindWithoutBody) {
  auto bytes = test::oneStepPlan([](flatbuffers::FlatBufferBuilder &fbb) {
    return plan::CreateStep(fbb, plan::StepKind::Gemm, 0);
  });
  EXPECT_NE(loadError(bytes).find("the step has a kind but no body"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAKernelOpKindWithoutOp) {
  auto bytes = test::oneStepPlan([](flatbuffers::FlatBufferBuilder &fbb) {
    auto kernel = plan::CreateKernelDirect(fbb, "k", -1, nullptr, nullptr,
                                           plan::Op::Softmax, 0);
    return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
  });
  EXPECT_NE(loadError(bytes).find("the kernel has an op kind but no op"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAnArenaLargerThanItsTensors) {
  auto bytes = test::oneStepPlan(nullptr, {}, uint64_t(1) << 40);
  EXPECT_NE(loadError(bytes).find("but its tensors need only 256"),
            std::string::npos);
}

} // namespace

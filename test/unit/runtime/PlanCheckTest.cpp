//===- PlanCheckTest.cpp - Plans built by hand that the loader rejects ----===//
//
// Damage the random mutations of MalformedPlans rarely produce: unions whose
// type is set but whose table is missing pass the FlatBuffers verifier.
//
//===----------------------------------------------------------------------===//

#include "OneStepPlan.h"

#include "dlc/Session.h"

#include <gtest/gtest.h>

#include <cstring>

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

/// A 2 x 2 x 2 GEMM on the plan's one tensor, with an addend.
std::vector<uint8_t> gemmWithAddend(double beta) {
  return test::oneStepPlan([beta](flatbuffers::FlatBufferBuilder &fbb) {
    auto gemm = plan::CreateGemm(fbb, 0, 0, 0, 0, 1, 2, 2, 2, false, false, 0,
                                 0, 4, 1.0, beta, plan::Epilogue::None,
                                 /*addend=*/0, /*with_addend=*/true);
    return plan::CreateStep(fbb, plan::StepKind::Gemm, gemm.Union());
  });
}

TEST(PlanCheck, RejectsAGemmAddendThatIsItsOutput) {
  // cuBLASLt would read C while writing it; the CPU would add C to itself.
  EXPECT_NE(loadError(gemmWithAddend(0.0))
                .find("the addend must not be C itself"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAGemmAddendWithBeta) {
  EXPECT_NE(loadError(gemmWithAddend(1.0))
                .find("an addend needs beta 0 and no epilogue but the bias"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAnArenaLargerThanItsTensors) {
  auto bytes = test::oneStepPlan(nullptr, {}, uint64_t(1) << 40);
  EXPECT_NE(loadError(bytes).find("but its tensors need only 256"),
            std::string::npos);
}

/// A copy of 't' (f32[4]) into itself read through a view of `offset` and
/// `stride`, or without views when `stride` is 0.
std::vector<uint8_t> viewedCopy(int64_t offset, int64_t stride,
                                size_t views = 1) {
  return test::oneStepPlan([=](flatbuffers::FlatBufferBuilder &fbb) {
    std::vector<uint32_t> ins(1, 0), outs = {0};
    std::vector<plan::Instr> code;
    std::vector<uint16_t> results = {0};
    std::vector<int64_t> strides = {stride};
    std::vector<flatbuffers::Offset<plan::InputView>> list(
        views, plan::CreateInputViewDirect(fbb, offset, &strides));
    auto body = plan::CreateElementwiseDirect(fbb, &ins, &outs, &code,
                                              &results, &list);
    auto kernel = plan::CreateKernelDirect(fbb, "copy", -1, nullptr, nullptr,
                                           plan::Op::Elementwise, body.Union());
    return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
  });
}

TEST(PlanCheck, InputViewsStayInsideTheirTensor) {
  EXPECT_EQ(loadError(viewedCopy(0, 1)), "loaded");
  EXPECT_EQ(loadError(viewedCopy(3, -1)), "loaded"); // reversed
  EXPECT_EQ(loadError(viewedCopy(2, 0)), "loaded");  // one element repeated
  EXPECT_NE(loadError(viewedCopy(1, 1)).find("reads outside its tensor"),
            std::string::npos);
  EXPECT_NE(loadError(viewedCopy(0, -1)).find("reads outside its tensor"),
            std::string::npos);
  EXPECT_NE(loadError(viewedCopy(0, 1, 2)).find("views for some inputs"),
            std::string::npos);
}

TEST(PlanCheck, RejectsAnEpilogueTheKernelCannotApply) {
  auto bytes = test::oneStepPlan([](flatbuffers::FlatBufferBuilder &fbb) {
    std::vector<uint32_t> tensors = {0};
    std::vector<plan::Instr> code;
    std::vector<uint16_t> results = {0};
    auto epilogue = plan::CreateElementwiseDirect(fbb, &tensors, &tensors,
                                                  &code, &results);
    auto softmax = plan::CreateSoftmax(fbb, 0, 0, 0, false);
    auto kernel = plan::CreateKernelDirect(fbb, "softmax", -1, nullptr,
                                           nullptr, plan::Op::Softmax,
                                           softmax.Union(), epilogue);
    return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
  });
  EXPECT_NE(loadError(bytes).find("this kernel cannot apply an epilogue"),
            std::string::npos);
}

TEST(PlanCheck, RejectsKernelScratchNoKernelNeeds) {
  auto bytes = test::oneStepPlan(
      [](flatbuffers::FlatBufferBuilder &fbb) {
        std::vector<uint32_t> grid = {1, 1, 1}, block = {32, 1, 1};
        auto softmax = plan::CreateSoftmax(fbb, 0, 0, 0, false);
        auto kernel = plan::CreateKernelDirect(
            fbb, "softmax", 0, &grid, &block, plan::Op::Softmax,
            softmax.Union(), 0, /*scratch=*/uint64_t(1) << 31);
        return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
      },
      {{"softmax_0", "extern \"C\" __global__ void softmax_0() {}"}});
  EXPECT_NE(loadError(bytes).find("more than 1 GiB of scratch"),
            std::string::npos);
}

/// A plan whose only tensor is a parameter f32[4] 'w' with `init`.
std::vector<uint8_t> parameterPlan(plan::InitKind kind,
                                   const std::vector<uint8_t> &data) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<int64_t> shape = {4};
  auto init = plan::CreateInitDirect(fbb, kind, 0, 0, 0,
                                     data.empty() ? nullptr : &data);
  std::vector<flatbuffers::Offset<plan::Tensor>> tensors = {
      plan::CreateTensorDirect(fbb, "w", plan::DType::F32, &shape,
                               plan::Role::Parameter, 0, 0, 16, init)};
  std::vector<flatbuffers::Offset<plan::Arena>> arenas = {
      plan::CreateArenaDirect(fbb, "parameters", plan::ArenaKind::Parameters,
                              256, 0, 256)};
  std::vector<flatbuffers::Offset<plan::Binding>> none;
  std::vector<flatbuffers::Offset<plan::Step>> steps;
  std::vector<flatbuffers::Offset<plan::Program>> programs = {
      plan::CreateProgramDirect(fbb, "inference", &none, &none, &steps)};
  std::vector<flatbuffers::Offset<plan::KernelSource>> sources;
  auto root = plan::CreatePlanDirect(fbb, rt::kPlanFormatVersion, 0, &arenas,
                                     &tensors, &programs, &sources);
  plan::FinishSizePrefixedPlanBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::vector<uint8_t> floatBytes(std::vector<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

TEST(PlanCheck, ParameterDataIsItsFirstValue) {
  auto plan = rt::Plan::fromBytes(
      parameterPlan(plan::InitKind::Data, floatBytes({1, -2, 3.5, 0})), "t");
  ASSERT_TRUE(plan) << plan.status().message();
  auto session = rt::Session::create(*plan, rt::DeviceKind::Cpu);
  ASSERT_TRUE(session) << session.status().message();
  rt::TensorFile saved = (*session)->saveParameters(false);
  const rt::HostTensor &w = saved.tensors.at("w");
  EXPECT_EQ(w.data, floatBytes({1, -2, 3.5, 0}));
}

TEST(PlanCheck, RejectsParameterDataOfTheWrongSize) {
  EXPECT_NE(loadError(parameterPlan(plan::InitKind::Data,
                                    floatBytes({1, 2, 3})))
                .find("initial data of 12 bytes for a tensor of 16"),
            std::string::npos);
  EXPECT_NE(loadError(parameterPlan(plan::InitKind::Data, {}))
                .find("initial data of 0 bytes"),
            std::string::npos);
  // Data beside a drawn initializer is damage too.
  EXPECT_NE(loadError(parameterPlan(plan::InitKind::Uniform,
                                    floatBytes({1, 2, 3, 4})))
                .find("initial data of 16 bytes"),
            std::string::npos);
}

} // namespace

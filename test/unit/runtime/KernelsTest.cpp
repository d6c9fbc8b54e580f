//===- KernelsTest.cpp - NVRTC compilation, its cache and launch checks ---===//
//
// NVRTC needs no GPU, so these run everywhere the CUDA toolkit is installed
// (CI included).
//
//===----------------------------------------------------------------------===//

#include "OneStepPlan.h"
#include "dlc/Kernels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

using namespace dlc;

namespace {

/// A plan with one iota kernel step running `source` (function `name`)
/// with the given block size.
std::vector<uint8_t> planWithKernel(const std::string &name,
                                    const std::string &source,
                                    uint32_t threads = 32) {
  return test::oneStepPlan(
      [&](flatbuffers::FlatBufferBuilder &fbb) {
        std::vector<uint32_t> grid = {1, 1, 1}, block = {threads, 1, 1};
        auto kernel = plan::CreateKernelDirect(
            fbb, "iota", 0, &grid, &block, plan::Op::Iota,
            plan::CreateIota(fbb, 0, 0).Union());
        return plan::CreateStep(fbb, plan::StepKind::Kernel, kernel.Union());
      },
      {{name, source}});
}

const char *kIota = R"(extern "C" __global__ void __launch_bounds__(32)
iota_test(float *y, const unsigned long long *step, unsigned int *error) {
  if (threadIdx.x < 4) y[threadIdx.x] = (float)threadIdx.x;
}
)";

std::string freshCache() {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("dlc-kernels-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(Kernels, ParsesArchitectures) {
  EXPECT_EQ(rt::parseArch("sm_90"), 90);
  EXPECT_EQ(rt::parseArch("80"), 80);
  EXPECT_EQ(rt::parseArch("sm_"), 0);
  EXPECT_EQ(rt::parseArch("compute_90"), 0);
  EXPECT_EQ(rt::parseArch("sm_9x"), 0);
}

TEST(Kernels, CompilesAndAWarmStartCompilesNothing) {
  auto plan = rt::Plan::fromBytes(planWithKernel("iota_test", kIota), "test");
  ASSERT_TRUE(plan) << plan.status().message();
  std::string cache = freshCache();
  auto cold = rt::compileKernels(**plan, 90, cache);
  ASSERT_TRUE(cold) << cold.status().message();
  EXPECT_EQ(cold->kernels, 1u);
  EXPECT_EQ(cold->compiled, 1u);
  auto warm = rt::compileKernels(**plan, 90, cache);
  ASSERT_TRUE(warm) << warm.status().message();
  EXPECT_EQ(warm->compiled, 0u);
  EXPECT_EQ(warm->fromCache, 1u);
  // Another architecture is another cache entry.
  auto other = rt::compileKernels(**plan, 80, cache);
  ASSERT_TRUE(other) << other.status().message();
  EXPECT_EQ(other->compiled, 1u);
  std::filesystem::remove_all(cache);
}

TEST(Kernels, AFailureNamesTheKernelAndShowsTheLog) {
  auto plan = rt::Plan::fromBytes(
      planWithKernel("iota_broken",
                     "extern \"C\" __global__ void iota_broken() { x; }"),
      "test");
  ASSERT_TRUE(plan) << plan.status().message();
  auto build = rt::compileKernels(**plan, 90, "");
  ASSERT_FALSE(build);
  const std::string &message = build.status().message();
  EXPECT_NE(message.find("kernel 'iota_broken' does not compile"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("identifier \"x\" is undefined"), std::string::npos)
      << message;
}

// A kernel step runs the source made for it, whose name starts with the
// step's: a plan that pairs them otherwise does not load.
TEST(Kernels, AStepNamingAnotherKernelIsRefused) {
  auto plan = rt::Plan::fromBytes(planWithKernel("relu_1234", kIota), "test");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.status().message().find(
                "the kernel step 'iota' names CUDA kernel 'relu_1234'"),
            std::string::npos)
      << plan.status().message();
}

TEST(Kernels, AnUnknownArchitectureIsRefused) {
  auto plan = rt::Plan::fromBytes(planWithKernel("iota_test", kIota), "test");
  ASSERT_TRUE(plan);
  auto build = rt::compileKernels(**plan, 12, "");
  ASSERT_FALSE(build);
  EXPECT_NE(build.status().message().find("cannot compile for sm_12"),
            std::string::npos);
}

TEST(Kernels, TheLoaderRefusesLaunchesNoDeviceRuns) {
  auto plan =
      rt::Plan::fromBytes(planWithKernel("iota_test", kIota, 2048), "test");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.status().message().find("more threads than a device runs"),
            std::string::npos);
}

} // namespace

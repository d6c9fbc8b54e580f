//===- DevicesTest.cpp - Device discovery ---------------------------------===//

#include "dlc/runtime.h"

#include <gtest/gtest.h>

using namespace dlc::rt;

// The CPU is always there and comes first, so `--device auto` has a fallback.
TEST(Devices, CpuIsAlwaysListedFirst) {
  std::vector<DeviceInfo> devices = listDevices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices.front().kind, DeviceKind::Cpu);
  EXPECT_EQ(describe(devices.front()).rfind("cpu: CPU (", 0), 0u);
}

// Without a GPU the reason is reported instead of an error or a crash; with
// one, each GPU has a name, a compute capability and memory.
TEST(Devices, CudaIsListedOrExplained) {
  std::string status;
  std::vector<DeviceInfo> devices = listDevices(&status);
  if (devices.size() == 1) {
    EXPECT_FALSE(status.empty());
    return;
  }
  for (size_t i = 1; i < devices.size(); ++i) {
    EXPECT_EQ(devices[i].kind, DeviceKind::Cuda);
    EXPECT_FALSE(devices[i].name.empty());
    EXPECT_GE(devices[i].computeMajor, 3);
    EXPECT_GT(devices[i].memoryBytes, 0u);
  }
}

TEST(Devices, DescribeGpu) {
  DeviceInfo gpu;
  gpu.kind = DeviceKind::Cuda;
  gpu.ordinal = 1;
  gpu.name = "Test GPU";
  gpu.computeMajor = 9;
  gpu.computeMinor = 0;
  gpu.memoryBytes = 80ull << 30;
  EXPECT_EQ(describe(gpu), "cuda:1: Test GPU, sm_90, 80 GiB");
}

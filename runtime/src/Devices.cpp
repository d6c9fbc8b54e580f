//===- Devices.cpp - Finding the devices a plan can run on ----------------===//

#include "cuda/Driver.h"
#include "dlc/runtime.h"

#include <thread>

namespace dlc::rt {

const char *version() { return "0.1.0"; }

std::vector<DeviceInfo> listDevices(std::string *cudaStatus) {
  std::vector<DeviceInfo> devices;
  DeviceInfo cpu;
  cpu.name = "CPU (" + std::to_string(std::thread::hardware_concurrency()) +
             " threads)";
  devices.push_back(cpu);

  std::string status;
  const cuda::DriverApi *api = cuda::driver(&status);
  int count = 0;
  if (api) {
    if (cuda::CUresult result = api->cuDeviceGetCount(&count);
        result != cuda::CUDA_SUCCESS)
      status = cuda::errorMessage(*api, "cuDeviceGetCount", result);
    else if (count == 0)
      status = "the CUDA driver reports no device";
  }
  for (int ordinal = 0; api && ordinal < count; ++ordinal) {
    cuda::CUdevice handle;
    char name[256] = {};
    std::size_t bytes = 0;
    DeviceInfo gpu;
    gpu.kind = DeviceKind::Cuda;
    gpu.ordinal = ordinal;
    if (api->cuDeviceGet(&handle, ordinal) != cuda::CUDA_SUCCESS ||
        api->cuDeviceGetName(name, sizeof(name) - 1, handle) !=
            cuda::CUDA_SUCCESS ||
        api->cuDeviceGetAttribute(
            &gpu.computeMajor,
            cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
            handle) != cuda::CUDA_SUCCESS ||
        api->cuDeviceGetAttribute(
            &gpu.computeMinor,
            cuda::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
            handle) != cuda::CUDA_SUCCESS ||
        api->cuDeviceTotalMem(&bytes, handle) != cuda::CUDA_SUCCESS) {
      status = "cannot query CUDA device " + std::to_string(ordinal);
      continue;
    }
    gpu.name = name;
    gpu.memoryBytes = bytes;
    devices.push_back(gpu);
  }
  if (cudaStatus)
    *cudaStatus = status;
  return devices;
}

std::string describe(const DeviceInfo &device) {
  if (device.kind == DeviceKind::Cpu)
    return "cpu: " + device.name;
  double gib = static_cast<double>(device.memoryBytes) / (1ull << 30);
  char memory[32];
  std::snprintf(memory, sizeof(memory), "%.0f GiB", gib);
  return "cuda:" + std::to_string(device.ordinal) + ": " + device.name +
         ", sm_" + std::to_string(device.computeMajor) +
         std::to_string(device.computeMinor) + ", " + memory;
}

} // namespace dlc::rt

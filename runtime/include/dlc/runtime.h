//===- runtime.h - The dlc runtime's public interface -----------*- C++ -*-===//
//
// What a program needs to run dlc plans. The runtime never includes MLIR or
// LLVM; errors come back as values carrying the context a user needs.
// Thread safety: the free functions here may be called from any thread.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_H
#define DLC_RUNTIME_H

#include <cstdint>
#include <string>
#include <vector>

namespace dlc::rt {

/// The runtime's version, "MAJOR.MINOR.PATCH".
const char *version();

/// Where a plan can run.
enum class DeviceKind { Cpu, Cuda };

/// One device the runtime can use.
struct DeviceInfo {
  DeviceKind kind = DeviceKind::Cpu;
  int ordinal = 0;               ///< Index among devices of this kind.
  std::string name;              ///< "CPU (2 cores)", "NVIDIA H100 80GB HBM3".
  int computeMajor = 0;          ///< CUDA compute capability; 0 on the CPU.
  int computeMinor = 0;
  std::uint64_t memoryBytes = 0; ///< Device memory; 0 on the CPU.
};

/// The devices found on this machine: the CPU always, then every CUDA GPU
/// the driver reports. When there is no usable GPU, `cudaStatus` (if given)
/// says why in one line ("libcuda.so.1 not found", "no CUDA device").
std::vector<DeviceInfo> listDevices(std::string *cudaStatus = nullptr);

/// "cpu" or "cuda:N (name, sm_XY, N GiB)" for messages.
std::string describe(const DeviceInfo &device);

} // namespace dlc::rt

#endif // DLC_RUNTIME_H

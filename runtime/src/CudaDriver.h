//===- CudaDriver.h - The CUDA driver API, opened at run time ---*- C++ -*-===//
//
// One table of the driver entry points the runtime uses, filled by dlopen so
// that dlrun starts on machines without a GPU or a driver. Calls go through
// DLC_CU_CHECK, which turns a CUresult into a message naming the call.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_CUDADRIVER_H
#define DLC_RUNTIME_CUDADRIVER_H

#include <cstddef>
#include <string>

namespace dlc::rt::cuda {

// The few driver types the table needs, with the ABI of cuda.h.
using CUresult = int;
using CUdevice = int;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

struct DriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDeviceTotalMem)(std::size_t *bytes, CUdevice device);
  CUresult (*cuGetErrorString)(CUresult error, const char **text);
};

/// The driver, loaded and initialized once; null when it cannot be, with the
/// reason in `*status` (if given).
const DriverApi *driver(std::string *status = nullptr);

/// "cuDeviceGet failed: CUDA_ERROR_INVALID_DEVICE (invalid device ordinal)".
std::string errorMessage(const DriverApi &api, const char *call,
                         CUresult result);

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDADRIVER_H

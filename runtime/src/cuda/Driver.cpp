//===- Driver.cpp - Opening libcuda at run time ---------------------------===//

#include "Driver.h"
#include "Library.h"

namespace dlc::rt::cuda {
namespace {

struct LoadedDriver {
  DriverApi api{};
  bool ok = false;
  std::string status;
};

/// Resolves every entry of the table; the versioned names (_v2) are the ones
/// current drivers export for the 64-bit size APIs.
LoadedDriver load() {
  LoadedDriver loaded;
  DriverApi &api = loaded.api;
  if (!openLibrary(
          {"libcuda.so.1"},
          {symbol(api.cuInit, "cuInit"),
           symbol(api.cuDriverGetVersion, "cuDriverGetVersion"),
           symbol(api.cuDeviceGetCount, "cuDeviceGetCount"),
           symbol(api.cuDeviceGet, "cuDeviceGet"),
           symbol(api.cuDeviceGetName, "cuDeviceGetName"),
           symbol(api.cuDeviceGetAttribute, "cuDeviceGetAttribute"),
           symbol(api.cuDeviceTotalMem, "cuDeviceTotalMem_v2"),
           symbol(api.cuGetErrorString, "cuGetErrorString"),
           symbol(api.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
           symbol(api.cuCtxSetCurrent, "cuCtxSetCurrent"),
           symbol(api.cuMemGetInfo, "cuMemGetInfo_v2"),
           symbol(api.cuMemAlloc, "cuMemAlloc_v2"),
           symbol(api.cuMemFree, "cuMemFree_v2"),
           symbol(api.cuMemcpyHtoD, "cuMemcpyHtoD_v2"),
           symbol(api.cuMemcpyDtoH, "cuMemcpyDtoH_v2"),
           symbol(api.cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"),
           symbol(api.cuMemsetD8Async, "cuMemsetD8Async"),
           symbol(api.cuMemsetD16Async, "cuMemsetD16Async"),
           symbol(api.cuMemsetD32Async, "cuMemsetD32Async"),
           symbol(api.cuMemsetD2D32Async, "cuMemsetD2D32Async"),
           symbol(api.cuModuleLoadData, "cuModuleLoadData"),
           symbol(api.cuModuleUnload, "cuModuleUnload"),
           symbol(api.cuModuleGetFunction, "cuModuleGetFunction"),
           symbol(api.cuLaunchKernel, "cuLaunchKernel"),
           symbol(api.cuStreamCreate, "cuStreamCreate"),
           symbol(api.cuStreamDestroy, "cuStreamDestroy_v2"),
           symbol(api.cuStreamSynchronize, "cuStreamSynchronize"),
           symbol(api.cuStreamBeginCapture, "cuStreamBeginCapture_v2"),
           symbol(api.cuStreamEndCapture, "cuStreamEndCapture"),
           symbol(api.cuGraphInstantiate, "cuGraphInstantiateWithFlags"),
           symbol(api.cuGraphLaunch, "cuGraphLaunch"),
           symbol(api.cuGraphDestroy, "cuGraphDestroy"),
           symbol(api.cuGraphExecDestroy, "cuGraphExecDestroy"),
           symbol(api.cuEventCreate, "cuEventCreate"),
           symbol(api.cuEventRecord, "cuEventRecord"),
           symbol(api.cuEventSynchronize, "cuEventSynchronize"),
           // The first version: every driver has it (cuda.h maps the name
           // to _v2 from CUDA 12.8 on).
           symbol(api.cuEventElapsedTime, "cuEventElapsedTime"),
           symbol(api.cuEventDestroy, "cuEventDestroy_v2")},
          loaded.status)) {
    if (loaded.status == "libcuda.so.1 not found")
      loaded.status += " (no NVIDIA driver)";
    return loaded;
  }
  if (CUresult result = api.cuInit(0); result != CUDA_SUCCESS) {
    loaded.status = errorMessage(api, "cuInit", result);
    return loaded;
  }
  loaded.ok = true;
  return loaded;
}

} // namespace

const DriverApi *driver(std::string *status) {
  static const LoadedDriver loaded = load();
  if (status)
    *status = loaded.status;
  return loaded.ok ? &loaded.api : nullptr;
}

std::string errorMessage(const DriverApi &api, const char *call,
                         CUresult result) {
  const char *text = nullptr;
  if (api.cuGetErrorString)
    api.cuGetErrorString(result, &text);
  return std::string(call) + " failed: " + (text ? text : "unknown error") +
         " (CUresult " + std::to_string(result) + ")";
}

} // namespace dlc::rt::cuda

//===- CudaDriver.cpp - Opening libcuda at run time -----------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>
#include <mutex>

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
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    loaded.status = "libcuda.so.1 not found (no NVIDIA driver)";
    return loaded;
  }
  DriverApi &api = loaded.api;
  struct Entry {
    void **slot;
    const char *name;
  } entries[] = {
      {reinterpret_cast<void **>(&api.cuInit), "cuInit"},
      {reinterpret_cast<void **>(&api.cuDriverGetVersion), "cuDriverGetVersion"},
      {reinterpret_cast<void **>(&api.cuDeviceGetCount), "cuDeviceGetCount"},
      {reinterpret_cast<void **>(&api.cuDeviceGet), "cuDeviceGet"},
      {reinterpret_cast<void **>(&api.cuDeviceGetName), "cuDeviceGetName"},
      {reinterpret_cast<void **>(&api.cuDeviceGetAttribute),
       "cuDeviceGetAttribute"},
      {reinterpret_cast<void **>(&api.cuDeviceTotalMem), "cuDeviceTotalMem_v2"},
      {reinterpret_cast<void **>(&api.cuGetErrorString), "cuGetErrorString"},
  };
  for (const Entry &entry : entries) {
    *entry.slot = dlsym(handle, entry.name);
    if (!*entry.slot) {
      loaded.status = std::string("libcuda.so.1 lacks ") + entry.name +
                      " (driver too old)";
      return loaded;
    }
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

//===- SimDriver.cpp - The CUDA driver API of the simulated GPU -----------===//
//
// The entry points of libcuda that dlrun uses, declared by the toolkit's
// cuda.h (so their types are the driver's own), on the CPU: device memory is
// host memory, a module is a shared library of kernels built for the host
// (SimNvrtc.cpp makes them), a launch runs the grid on the BlockScheduler,
// and a graph is the list of work its capture recorded.
//
//===----------------------------------------------------------------------===//

#include "BlockScheduler.h"
#include "KernelLibrary.h"
#include "SimImage.h"
#include "SimStreams.h"

#include <cuda.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

struct CUctx_st {};
struct CUfunc_st {
  CUmod_st *module;
};
struct CUmod_st {
  /// The library's file, open while it is loaded: dlopen knows a library
  /// by its path (/proc/self/fd/N), so N must not name another meanwhile.
  struct File {
    int fd = -1;
    ~File() {
      if (fd >= 0)
        close(fd);
    }
  } file;
  dlc_sim::KernelLibrary library;
  std::unique_ptr<dlc_sim::BlockScheduler> scheduler;
  CUfunc_st function{this}; // a module holds one kernel
};
struct CUgraph_st {
  std::vector<dlc_sim::Work> work;
};
struct CUgraphExec_st {
  std::vector<dlc_sim::Work> work;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point at; // when the stream reached it
};

namespace dlc_sim {
namespace {

constexpr size_t kDeviceBytes = size_t(16) << 30; // what the device claims

/// What the host asked of the device outside captures; written to the file
/// $DLC_CUDA_SIM_STATS names when the process ends, so a test can see what
/// a training step costs the host (one graph launch, nothing else).
struct Calls {
  unsigned long long kernels = 0, graphs = 0, memsets = 0, copies = 0;
  ~Calls() {
    const char *path = std::getenv("DLC_CUDA_SIM_STATS");
    if (!path || !*path)
      return;
    if (FILE *file = std::fopen(path, "w")) {
      std::fprintf(file, "kernels %llu\ngraphs %llu\nmemsets %llu\ncopies %llu\n",
                   kernels, graphs, memsets, copies);
      std::fclose(file);
    }
  }
} calls;

bool capturing(CUstream_st *stream) { return stream && stream->capturing; }
CUctx_st context;
std::map<uintptr_t, size_t> allocations; // device memory: host memory
size_t allocated = 0;
bool failed = false;

CUresult launchFailed() { return CUDA_ERROR_LAUNCH_FAILED; }

} // namespace

/// A memset of `height` rows of `width` values, rows `pitch` bytes apart.
template <typename T>
CUresult fill(CUdeviceptr dst, size_t pitch, T value, size_t width,
                     size_t height, CUstream stream) {
  calls.memsets += !capturing(stream);
  enqueue(stream, [=] {
    for (size_t row = 0; row < height; ++row) {
      auto *p = reinterpret_cast<T *>(dst + row * pitch);
      for (size_t i = 0; i < width; ++i)
        p[i] = value;
    }
    return std::string();
  });
  return CUDA_SUCCESS;
}

bool enqueue(CUstream_st *stream, Work work) {
  if (stream && stream->capturing) {
    stream->captured.push_back(std::move(work));
    return true;
  }
  std::string error = work();
  if (error.empty())
    return true;
  std::fprintf(stderr, "simulated GPU: %s\n", error.c_str());
  failed = true;
  return false;
}

bool takeFailure() {
  bool was = failed;
  failed = false;
  return was;
}

} // namespace dlc_sim

using namespace dlc_sim;

extern "C" {

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }

// 0: no real driver's version, so no real driver's cached kernels match.
CUresult cuDriverGetVersion(int *version) {
  *version = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (ordinal != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int length, CUdevice) {
  std::snprintf(name, size_t(length), "simulated GPU (kernels on the CPU)");
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attribute,
                              CUdevice) {
  switch (attribute) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 9; break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = 1; break;
  case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = 1024; break;
  case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
  default: *value = 0; break;
  }
  return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = kDeviceBytes;
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
  switch (error) {
  case CUDA_SUCCESS: *text = "no error"; break;
  case CUDA_ERROR_INVALID_VALUE: *text = "invalid argument"; break;
  case CUDA_ERROR_OUT_OF_MEMORY: *text = "out of memory"; break;
  case CUDA_ERROR_INVALID_DEVICE: *text = "invalid device ordinal"; break;
  case CUDA_ERROR_INVALID_IMAGE: *text = "device kernel image is invalid"; break;
  case CUDA_ERROR_NOT_FOUND: *text = "named symbol not found"; break;
  case CUDA_ERROR_LAUNCH_FAILED:
    *text = "unspecified launch failure (the simulated GPU said why on "
            "stderr)";
    break;
  case CUDA_ERROR_STREAM_CAPTURE_INVALIDATED:
    *text = "operation failed due to a previous error during capture";
    break;
  default: *text = "unknown error"; break;
  }
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *result, CUdevice) {
  *result = &context;
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }

CUresult cuMemGetInfo(size_t *free, size_t *total) {
  *total = kDeviceBytes;
  *free = kDeviceBytes - std::min(allocated, kDeviceBytes);
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc(CUdeviceptr *pointer, size_t bytes) {
  if (!bytes)
    return CUDA_ERROR_INVALID_VALUE;
  size_t rounded = (bytes + 255) / 256 * 256;
  if (allocated + rounded > kDeviceBytes)
    return CUDA_ERROR_OUT_OF_MEMORY;
  void *memory = std::aligned_alloc(256, rounded);
  if (!memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  // A GPU's fresh memory holds whatever it held; NaNs make reads of
  // memory nothing wrote visible.
  std::memset(memory, 0xff, rounded);
  allocations[reinterpret_cast<uintptr_t>(memory)] = rounded;
  allocated += rounded;
  *pointer = reinterpret_cast<uintptr_t>(memory);
  return CUDA_SUCCESS;
}

CUresult cuMemFree(CUdeviceptr pointer) {
  auto it = allocations.find(pointer);
  if (it == allocations.end())
    return CUDA_ERROR_INVALID_VALUE;
  allocated -= it->second;
  allocations.erase(it);
  std::free(reinterpret_cast<void *>(pointer));
  return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes) {
  ++calls.copies;
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoH(void *dst, CUdeviceptr src, size_t bytes) {
  ++calls.copies;
  std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
  return takeFailure() ? launchFailed() : CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                           CUstream stream) {
  enqueue(stream, [=] {
    std::memmove(reinterpret_cast<void *>(dst),
                 reinterpret_cast<const void *>(src), bytes);
    return std::string();
  });
  return CUDA_SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count,
                         CUstream stream) {
  return fill(dst, 0, value, count, 1, stream);
}

CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count,
                          CUstream stream) {
  return fill(dst, 0, value, count, 1, stream);
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count,
                          CUstream stream) {
  return fill(dst, 0, value, count, 1, stream);
}

CUresult cuMemsetD2D32Async(CUdeviceptr dst, size_t pitch, unsigned int value,
                            size_t width, size_t height, CUstream stream) {
  return fill(dst, pitch, value, width, height, stream);
}

CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  std::string name;
  std::vector<char> library;
  if (!readImage(image, name, library))
    return CUDA_ERROR_INVALID_IMAGE;
  // dlopen needs a file: an anonymous one.
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0 || write(fd, library.data(), library.size()) !=
                    ssize_t(library.size())) {
    if (fd >= 0)
      close(fd);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  auto loaded = std::make_unique<CUmod_st>();
  loaded->file.fd = fd;
  std::string error = loaded->library.load(
      "/proc/self/fd/" + std::to_string(fd), 1);
  if (!error.empty()) {
    std::fprintf(stderr, "simulated GPU: kernel '%s': %s\n", name.c_str(),
                 error.c_str());
    return CUDA_ERROR_INVALID_IMAGE;
  }
  loaded->scheduler =
      std::make_unique<BlockScheduler>(loaded->library.hooks());
  *module = loaded.release();
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule module) {
  delete module;
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  if (module->library.name(0) != name)
    return CUDA_ERROR_NOT_FOUND;
  *function = &module->function;
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction function, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned, CUstream stream,
                        void **params, void **extra) {
  if (extra || !params)
    return CUDA_ERROR_INVALID_VALUE;
  if (!gridX || !gridY || !gridZ || !blockX || !blockY || !blockZ ||
      blockX * blockY * blockZ > 1024)
    return CUDA_ERROR_INVALID_VALUE;
  CUmod_st *module = function->module;
  // The arguments are copied now, as the driver copies them.
  std::vector<std::vector<char>> values;
  for (size_t i = 0; i < module->library.parameterSizes(0).size(); ++i) {
    size_t size = module->library.parameterSizes(0)[i];
    const char *value = static_cast<const char *>(params[i]);
    values.emplace_back(value, value + size);
  }
  dim3 grid{gridX, gridY, gridZ}, block{blockX, blockY, blockZ};
  calls.kernels += !capturing(stream);
  bool ok = enqueue(stream, [module, values, grid, block]() mutable {
    std::vector<void *> args;
    for (std::vector<char> &value : values)
      args.push_back(value.data());
    std::string error = module->scheduler->launch(
        module->library.entry(0), args.data(), grid, block);
    return error.empty() ? error
                         : "kernel '" + module->library.name(0) + "': " + error;
  });
  return ok ? CUDA_SUCCESS : launchFailed();
}

CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  *stream = new CUstream_st();
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy(CUstream stream) {
  delete stream;
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream) {
  return takeFailure() ? launchFailed() : CUDA_SUCCESS;
}

CUresult cuStreamBeginCapture(CUstream stream, CUstreamCaptureMode) {
  if (stream->capturing)
    return CUDA_ERROR_ILLEGAL_STATE;
  stream->capturing = true;
  stream->captured.clear();
  return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph *graph) {
  if (!stream->capturing)
    return CUDA_ERROR_ILLEGAL_STATE;
  stream->capturing = false;
  *graph = new CUgraph_st{std::move(stream->captured)};
  stream->captured.clear();
  return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *exec, CUgraph graph,
                                     unsigned long long) {
  *exec = new CUgraphExec_st{graph->work};
  return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  calls.graphs += !capturing(stream);
  bool ok = enqueue(stream, [exec] {
    for (Work &work : exec->work)
      if (std::string error = work(); !error.empty())
        return "in a graph: " + error;
    return std::string();
  });
  return ok ? CUDA_SUCCESS : launchFailed();
}

CUresult cuGraphDestroy(CUgraph graph) {
  delete graph;
  return CUDA_SUCCESS;
}

CUresult cuGraphExecDestroy(CUgraphExec exec) {
  delete exec;
  return CUDA_SUCCESS;
}

// Events are stamped when the stream reaches them: work runs as it is
// enqueued, so the time between two is that of the work between them.
CUresult cuEventCreate(CUevent *event, unsigned int) {
  *event = new CUevent_st();
  return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
  bool ok = enqueue(stream, [event] {
    event->at = std::chrono::steady_clock::now();
    return std::string();
  });
  return ok ? CUDA_SUCCESS : launchFailed();
}

CUresult cuEventSynchronize(CUevent) {
  return takeFailure() ? launchFailed() : CUDA_SUCCESS;
}

// dlrun asks for the first version, which every driver exports; cuda.h
// names the second.
#undef cuEventElapsedTime
CUresult cuEventElapsedTime(float *milliseconds, CUevent start, CUevent end) {
  *milliseconds =
      std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy(CUevent event) {
  delete event;
  return CUDA_SUCCESS;
}

} // extern "C"

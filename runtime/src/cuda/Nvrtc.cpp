//===- Nvrtc.cpp - NVRTC, opened at run time ------------------------------===//

#include "Nvrtc.h"
#include "Library.h"

namespace dlc::rt::cuda {

namespace {

using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram *;

struct NvrtcApi {
  const char *(*nvrtcGetErrorString)(nvrtcResult result);
  nvrtcResult (*nvrtcVersion)(int *major, int *minor);
  nvrtcResult (*nvrtcGetNumSupportedArchs)(int *count);
  nvrtcResult (*nvrtcGetSupportedArchs)(int *archs);
  nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram *program, const char *source,
                                    const char *name, int headers,
                                    const char *const *contents,
                                    const char *const *includeNames);
  nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *program);
  nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int count,
                                     const char *const *options);
  nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, size_t *size);
  nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char *log);
  nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram program, size_t *size);
  nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram program, char *cubin);
};

struct LoadedNvrtc {
  NvrtcApi api{};
  bool ok = false;
  std::string status, version;
  std::vector<int> archs;
};

const LoadedNvrtc &nvrtc() {
  static const LoadedNvrtc loaded = [] {
    LoadedNvrtc l;
    NvrtcApi &api = l.api;
    l.ok = openLibrary(
        {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
         "/usr/local/cuda/lib64/libnvrtc.so"},
        {symbol(api.nvrtcGetErrorString, "nvrtcGetErrorString"),
         symbol(api.nvrtcVersion, "nvrtcVersion"),
         symbol(api.nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs"),
         symbol(api.nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs"),
         symbol(api.nvrtcCreateProgram, "nvrtcCreateProgram"),
         symbol(api.nvrtcDestroyProgram, "nvrtcDestroyProgram"),
         symbol(api.nvrtcCompileProgram, "nvrtcCompileProgram"),
         symbol(api.nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize"),
         symbol(api.nvrtcGetProgramLog, "nvrtcGetProgramLog"),
         symbol(api.nvrtcGetCUBINSize, "nvrtcGetCUBINSize"),
         symbol(api.nvrtcGetCUBIN, "nvrtcGetCUBIN")},
        l.status);
    if (!l.ok) {
      l.status = "NVRTC: " + l.status;
      return l;
    }
    int major = 0, minor = 0, count = 0;
    api.nvrtcVersion(&major, &minor);
    l.version = std::to_string(major) + "." + std::to_string(minor);
    if (api.nvrtcGetNumSupportedArchs(&count) == 0 && count > 0) {
      l.archs.resize(count);
      api.nvrtcGetSupportedArchs(l.archs.data());
    }
    return l;
  }();
  return loaded;
}

} // namespace

std::string nvrtcVersion(std::string *status) {
  const LoadedNvrtc &l = nvrtc();
  if (status)
    *status = l.status;
  return l.ok ? l.version : "";
}

std::vector<std::string> nvrtcOptions(int arch, bool tf32) {
  std::vector<std::string> options = {"--gpu-architecture=sm_" +
                                          std::to_string(arch),
                                      "--std=c++17",
                                      "--ftz=false",
                                      "--prec-div=true",
                                      "--prec-sqrt=true",
                                      "--fmad=true"};
  if (tf32)
    options.push_back("-DDLC_TF32");
  return options;
}

bool nvrtcSupportsArch(int arch) {
  const LoadedNvrtc &l = nvrtc();
  for (int supported : l.archs)
    if (supported == arch)
      return true;
  return false;
}

Expected<std::vector<char>> compileToCubin(const std::string &name,
                                           const std::string &source, int arch,
                                           bool tf32) {
  const LoadedNvrtc &l = nvrtc();
  if (!l.ok)
    return Status::error(l.status);
  const NvrtcApi &api = l.api;
  nvrtcProgram program = nullptr;
  std::string file = name + ".cu";
  if (nvrtcResult r = api.nvrtcCreateProgram(&program, source.c_str(),
                                             file.c_str(), 0, nullptr, nullptr))
    return Status::error(std::string("nvrtcCreateProgram: ") +
                         api.nvrtcGetErrorString(r));
  std::vector<std::string> options = nvrtcOptions(arch, tf32);
  std::vector<const char *> pointers;
  for (const std::string &option : options)
    pointers.push_back(option.c_str());
  nvrtcResult result =
      api.nvrtcCompileProgram(program, int(pointers.size()), pointers.data());
  size_t logSize = 0;
  std::string log;
  if (api.nvrtcGetProgramLogSize(program, &logSize) == 0 && logSize > 1) {
    log.resize(logSize);
    api.nvrtcGetProgramLog(program, log.data());
    log.resize(logSize - 1);
  }
  std::vector<char> cubin;
  size_t size = 0;
  if (result == 0 && api.nvrtcGetCUBINSize(program, &size) == 0) {
    cubin.resize(size);
    result = api.nvrtcGetCUBIN(program, cubin.data());
  }
  api.nvrtcDestroyProgram(&program);
  if (result != 0)
    return Status::error(std::string(api.nvrtcGetErrorString(result)) +
                         (log.empty() ? "" : "\n" + log));
  return cubin;
}

} // namespace dlc::rt::cuda

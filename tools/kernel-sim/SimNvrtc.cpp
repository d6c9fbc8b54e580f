//===- SimNvrtc.cpp - NVRTC of the simulated GPU --------------------------===//
//
// "Compiling" a kernel builds it for the host (KernelLibrary, after
// CudaSim.h) into a shared library, which becomes the CUBIN the driver
// loads (SimImage.h). Of the options only macros (-DNAME) matter: the
// architecture changes nothing.
// dlrun compiles on several threads: each program works in a directory of
// its own.
//
//===----------------------------------------------------------------------===//

#include "KernelLibrary.h"
#include "SimImage.h"

#include <nvrtc.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

struct _nvrtcProgram {
  std::string name, source, log;
  std::vector<char> image;
};

extern "C" {

const char *nvrtcGetErrorString(nvrtcResult result) {
  switch (result) {
  case NVRTC_SUCCESS: return "NVRTC_SUCCESS";
  case NVRTC_ERROR_COMPILATION: return "NVRTC_ERROR_COMPILATION";
  case NVRTC_ERROR_INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
  default: return "NVRTC_ERROR_INTERNAL_ERROR";
  }
}

// 0.0: no real NVRTC's version, so no real CUBIN in a cache matches.
nvrtcResult nvrtcVersion(int *major, int *minor) {
  *major = 0;
  *minor = 0;
  return NVRTC_SUCCESS;
}

static const int kArchs[] = {75, 80, 86, 89, 90, 100};

nvrtcResult nvrtcGetNumSupportedArchs(int *count) {
  *count = int(std::size(kArchs));
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetSupportedArchs(int *archs) {
  for (size_t i = 0; i < std::size(kArchs); ++i)
    archs[i] = kArchs[i];
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcCreateProgram(nvrtcProgram *program, const char *source,
                               const char *name, int, const char *const *,
                               const char *const *) {
  if (!program || !source)
    return NVRTC_ERROR_INVALID_INPUT;
  std::string file = name ? name : "kernel.cu";
  // dlrun names the file after the kernel: "<kernel>.cu".
  if (file.size() > 3 && file.compare(file.size() - 3, 3, ".cu") == 0)
    file.resize(file.size() - 3);
  *program = new _nvrtcProgram{file, source, "", {}};
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcDestroyProgram(nvrtcProgram *program) {
  delete *program;
  *program = nullptr;
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcCompileProgram(nvrtcProgram program, int count,
                                const char *const *options) {
  namespace fs = std::filesystem;
  std::string pattern =
      (fs::temp_directory_path() / "dlc-cuda-sim.XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    return NVRTC_ERROR_INTERNAL_ERROR;
  std::string library = pattern + "/kernel.so";
  std::vector<std::string> defines;
  for (int i = 0; i < count; ++i)
    if (std::string option = options[i]; option.rfind("-D", 0) == 0)
      defines.push_back(option.substr(2));
  std::string error = dlc_sim::compileKernels(
      {{program->name, program->source}}, dlc_sim::defaultCompiler(), pattern,
      library, defines);
  if (error.empty()) {
    std::ifstream in(library, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    program->image = dlc_sim::writeImage(program->name, bytes);
  }
  fs::remove_all(pattern);
  program->log = error;
  return error.empty() ? NVRTC_SUCCESS : NVRTC_ERROR_COMPILATION;
}

nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram program, size_t *size) {
  *size = program->log.size() + 1;
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetProgramLog(nvrtcProgram program, char *log) {
  std::copy(program->log.begin(), program->log.end(), log);
  log[program->log.size()] = '\0';
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetCUBINSize(nvrtcProgram program, size_t *size) {
  *size = program->image.size();
  return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetCUBIN(nvrtcProgram program, char *cubin) {
  std::copy(program->image.begin(), program->image.end(), cubin);
  return NVRTC_SUCCESS;
}

} // extern "C"

//===- Library.cpp - Opening a shared library's entry points --------------===//

#include "Library.h"

#include <dlfcn.h>

#include <cstdlib>

namespace dlc::rt::cuda {

bool openLibrary(std::initializer_list<const char *> names,
                 std::initializer_list<Symbol> symbols, std::string &status) {
  void *handle = nullptr;
  const char *opened = nullptr;
  // $DLC_CUDA_SIM names one library that stands in for all three: the
  // simulated GPU of the tests (tools/kernel-sim), which runs kernels on the
  // CPU.
  const char *simulated = std::getenv("DLC_CUDA_SIM");
  if (simulated && *simulated) {
    if (!(handle = dlopen(simulated, RTLD_NOW | RTLD_LOCAL))) {
      status = std::string(simulated) + " (DLC_CUDA_SIM) not loaded: " +
               dlerror();
      return false;
    }
    opened = simulated;
  }
  for (const char *name : names) {
    if (handle)
      break;
    if ((handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)))
      opened = name;
  }
  if (!handle) {
    status = std::string(*names.begin()) + " not found";
    return false;
  }
  for (const Symbol &entry : symbols) {
    *entry.slot = dlsym(handle, entry.name);
    if (!*entry.slot) {
      status = std::string(opened) + " lacks " + entry.name + " (too old)";
      return false;
    }
  }
  return true;
}

} // namespace dlc::rt::cuda

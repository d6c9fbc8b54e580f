//===- Library.cpp - Opening a shared library's entry points --------------===//

#include "Library.h"

#include <dlfcn.h>

namespace dlc::rt::cuda {

bool openLibrary(std::initializer_list<const char *> names,
                 std::initializer_list<Symbol> symbols, std::string &status) {
  void *handle = nullptr;
  const char *opened = nullptr;
  for (const char *name : names)
    if ((handle = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
      opened = name;
      break;
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

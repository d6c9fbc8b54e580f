//===- KernelLibrary.cpp - A plan's CUDA kernels built for the host -------===//

#include "KernelLibrary.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef DLC_KERNEL_SIM_DIR
#error "DLC_KERNEL_SIM_DIR names the directory of CudaSim.h"
#endif

namespace dlc_sim {

KernelLibrary::~KernelLibrary() {
  if (handle)
    dlclose(handle);
}

std::string KernelLibrary::build(const std::vector<KernelSource> &kernels,
                                 const std::string &compiler,
                                 const std::string &workDir) {
  std::ostringstream unit;
  unit << "#include \"CudaSim.h\"\n"
       << "extern \"C\" dlc_sim::Hooks dlc_sim_hooks = {};\n";
  for (size_t i = 0; i < kernels.size(); ++i)
    unit << "namespace dlc_kernel_" << i << " {\n"
         << "#line 1 \"" << kernels[i].name << ".cu\"\n"
         << kernels[i].source << "\n} // namespace dlc_kernel_" << i << "\n";
  for (size_t i = 0; i < kernels.size(); ++i)
    unit << "extern \"C\" void dlc_sim_entry_" << i << "(void **args) {\n"
         << "  dlc_sim::call(&dlc_kernel_" << i << "::" << kernels[i].name
         << ", args);\n}\n";
  std::string source = workDir + "/kernels.cpp";
  std::string library = workDir + "/kernels.so";
  std::string log = workDir + "/compile.log";
  {
    std::ofstream out(source);
    out << unit.str();
    if (!out)
      return "cannot write " + source;
  }
  std::string command = compiler +
                        " -std=c++17 -O2 -fPIC -shared -w -I" DLC_KERNEL_SIM_DIR
                        " -o '" + library + "' '" + source + "' > '" + log +
                        "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return "compiling the kernels for the host failed (" + command + "):\n" +
           text.str();
  }
  handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return std::string("dlopen: ") + dlerror();
  hooks_ = static_cast<Hooks *>(dlsym(handle, "dlc_sim_hooks"));
  if (!hooks_)
    return "the kernel library has no dlc_sim_hooks";
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string name = "dlc_sim_entry_" + std::to_string(i);
    auto *entry = reinterpret_cast<Entry>(dlsym(handle, name.c_str()));
    if (!entry)
      return "the kernel library has no " + name;
    entries.push_back(entry);
  }
  return "";
}

} // namespace dlc_sim

//===- KernelLibrary.cpp - CUDA kernels built for the host ----------------===//

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

std::string defaultCompiler() {
  const char *cxx = std::getenv("CXX");
  return cxx && *cxx ? cxx : "c++";
}

std::string compileKernels(const std::vector<KernelSource> &kernels,
                           const std::string &compiler,
                           const std::string &workDir,
                           const std::string &library,
                           const std::vector<std::string> &defines) {
  std::ostringstream unit;
  unit << "#include \"CudaSim.h\"\n"
       << "extern \"C\" dlc_sim::Hooks dlc_sim_hooks = {};\n";
  for (size_t i = 0; i < kernels.size(); ++i)
    unit << "namespace dlc_kernel_" << i << " {\n"
         << "#line 1 \"" << kernels[i].name << ".cu\"\n"
         << kernels[i].source << "\n} // namespace dlc_kernel_" << i << "\n";
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string kernel = "&dlc_kernel_" + std::to_string(i) +
                         "::" + kernels[i].name;
    unit << "extern \"C\" void dlc_sim_entry_" << i << "(void **args) {\n"
         << "  dlc_sim::call(" << kernel << ", args);\n}\n"
         << "extern \"C\" const char dlc_sim_name_" << i << "[] = \""
         << kernels[i].name << "\";\n"
         << "extern \"C\" int dlc_sim_parameters_" << i
         << "(unsigned long *sizes, int capacity) {\n"
         << "  return dlc_sim::parameterSizes(" << kernel
         << ", sizes, capacity);\n}\n";
  }
  std::string source = workDir + "/kernels.cpp";
  std::string log = workDir + "/compile.log";
  {
    std::ofstream out(source);
    out << unit.str();
    if (!out)
      return "cannot write " + source;
  }
  std::string macros;
  for (const std::string &define : defines)
    macros += " '-D" + define + "'";
  std::string command =
      compiler + " -std=c++17 -O2 -fPIC -shared -w -I" DLC_KERNEL_SIM_DIR +
      macros + " -o '" + library + "' '" + source + "' > '" + log + "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return "compiling the kernels for the host failed (" + command + "):\n" +
           text.str();
  }
  return "";
}

KernelLibrary::~KernelLibrary() {
  if (handle)
    dlclose(handle);
}

std::string KernelLibrary::build(const std::vector<KernelSource> &kernels,
                                 const std::string &compiler,
                                 const std::string &workDir,
                                 const std::vector<std::string> &defines) {
  std::string library = workDir + "/kernels.so";
  if (std::string error =
          compileKernels(kernels, compiler, workDir, library, defines);
      !error.empty())
    return error;
  return load(library, kernels.size());
}

std::string KernelLibrary::load(const std::string &path, size_t count) {
  handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return std::string("dlopen: ") + dlerror();
  hooks_ = static_cast<Hooks *>(dlsym(handle, "dlc_sim_hooks"));
  if (!hooks_)
    return "the kernel library has no dlc_sim_hooks";
  for (size_t i = 0; i < count; ++i) {
    std::string name = "dlc_sim_entry_" + std::to_string(i);
    auto *entry = reinterpret_cast<Entry>(dlsym(handle, name.c_str()));
    name = "dlc_sim_parameters_" + std::to_string(i);
    auto *parameters = reinterpret_cast<int (*)(unsigned long *, int)>(
        dlsym(handle, name.c_str()));
    if (!entry || !parameters)
      return "the kernel library lacks kernel " + std::to_string(i);
    entries.push_back(entry);
    std::vector<unsigned long> list(size_t(parameters(nullptr, 0)));
    parameters(list.data(), int(list.size()));
    sizes.emplace_back(list.begin(), list.end());
    name = "dlc_sim_name_" + std::to_string(i);
    const char *kernel = static_cast<const char *>(dlsym(handle, name.c_str()));
    names.push_back(kernel ? kernel : "");
  }
  return "";
}

} // namespace dlc_sim

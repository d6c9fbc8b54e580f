//===- dlrun.cpp - Runs dlc plans -----------------------------------------===//
//
// The command-line face of the runtime. It links no LLVM or MLIR, so it
// builds and runs on machines that have CUDA but no compiler toolchain.
//
//===----------------------------------------------------------------------===//

#include "dlc/runtime.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

const char *const kUsage = R"(USAGE: dlrun [options]

Runs plans compiled by dlc on the GPU or on the CPU reference backend.

OPTIONS:
  --list-devices   List the devices this machine offers (the CPU always; CUDA
                   GPUs when an NVIDIA driver is present) and exit.
  --version        Print the runtime version and exit.
  -h, --help       Print this help and exit.

Exit status: 0 on success, 1 on a usage error.
)";

int listDevices() {
  std::string cudaStatus;
  for (const dlc::rt::DeviceInfo &device : dlc::rt::listDevices(&cudaStatus))
    std::printf("%s\n", dlc::rt::describe(device).c_str());
  if (!cudaStatus.empty())
    std::printf("cuda: unavailable: %s\n", cudaStatus.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!std::strcmp(arg, "-h") || !std::strcmp(arg, "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(arg, "--version")) {
      std::printf("dlrun %s\n", dlc::rt::version());
      return 0;
    }
    if (!std::strcmp(arg, "--list-devices"))
      return listDevices();
    std::fprintf(stderr, "dlrun: error: unknown argument '%s' (see --help)\n",
                 arg);
    return 1;
  }
  return 0;
}

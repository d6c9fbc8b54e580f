//===- KernelCompiler.cpp - A plan's kernels to CUBINs --------------------===//

#include "KernelCompiler.h"
#include "Nvrtc.h"
#include "dlc/Npy.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <sys/stat.h>
#include <thread>

namespace dlc::rt {

namespace {

/// Two FNV-1a streams with different seeds: a 128-bit key, as hex.
std::string cacheKey(const std::string &text) {
  uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
  for (unsigned char c : text) {
    a = (a ^ c) * 0x100000001b3ull;
    b = (b ^ c) * 0x100000001b3ull;
    b ^= b >> 29;
  }
  return format("%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/// mkdir -p; failures show up when the cache is written.
void makeDirectories(const std::string &path) {
  for (size_t at = 1; at <= path.size(); ++at)
    if (at == path.size() || path[at] == '/')
      mkdir(path.substr(0, at).c_str(), 0755);
}

} // namespace

std::string defaultKernelCacheDir() {
  if (const char *dir = std::getenv("DLC_KERNEL_CACHE"))
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/dlc/kernels";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/dlc/kernels";
  return "";
}

int parseArch(const std::string &text) {
  std::string digits = text.rfind("sm_", 0) == 0 ? text.substr(3) : text;
  if (digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::atoi(digits.c_str());
}

std::vector<cuda::KernelText> cuda::planKernels(const plan::Plan &plan) {
  std::vector<KernelText> kernels;
  if (plan.kernels())
    for (const plan::KernelSource *kernel : *plan.kernels())
      kernels.push_back({kernel->name()->str(), kernel->source()->str()});
  return kernels;
}

Status cuda::compileCubins(const std::vector<KernelText> &kernels, int arch,
                           bool tf32, const std::string &cacheDir,
                           int driverVersion,
                           std::vector<std::vector<char>> &cubins,
                           KernelBuild &build, unsigned threads) {
  auto start = std::chrono::steady_clock::now();
  std::string nvrtcStatus;
  build.nvrtc = nvrtcVersion(&nvrtcStatus);
  if (build.nvrtc.empty())
    return Status::error(nvrtcStatus);
  if (!nvrtcSupportsArch(arch))
    return Status::error(format("NVRTC %s cannot compile for sm_%d",
                                build.nvrtc.c_str(), arch));
  size_t count = kernels.size();
  build.kernels = unsigned(count);
  cubins.assign(count, {});
  if (!cacheDir.empty())
    makeDirectories(cacheDir);

  // Everything that changes the CUBIN is in the key.
  std::string salt = "arch=" + std::to_string(arch) + " nvrtc=" + build.nvrtc +
                     " driver=" + std::to_string(driverVersion);
  for (const std::string &option : cuda::nvrtcOptions(arch, tf32))
    salt += " " + option;

  std::atomic<size_t> next{0};
  std::atomic<unsigned> compiled{0}, cached{0};
  std::mutex errorMutex;
  Status firstError = Status::ok();
  auto work = [&] {
    for (size_t i; (i = next++) < count;) {
      const std::string &name = kernels[i].name;
      const std::string &source = kernels[i].source;
      std::string path;
      if (!cacheDir.empty()) {
        path = cacheDir + "/" + cacheKey(salt + "\n" + name + "\n" + source) +
               ".cubin";
        if (Expected<std::vector<uint8_t>> bytes = readFile(path);
            bytes && !bytes->empty()) {
          cubins[i].assign(bytes->begin(), bytes->end());
          ++cached;
          continue;
        }
      }
      Expected<std::vector<char>> cubin =
          cuda::compileToCubin(name, source, arch, tf32);
      if (!cubin) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (firstError)
          firstError = Status::error("kernel '" + name + "' does not compile: " +
                                     cubin.status().message());
        continue;
      }
      cubins[i] = std::move(*cubin);
      ++compiled;
      // A cache that cannot be written only costs the next start time.
      if (!path.empty())
        (void)writeFileAtomic(path, std::vector<uint8_t>(cubins[i].begin(),
                                                         cubins[i].end()));
    }
  };
  unsigned workers = threads ? threads : std::thread::hardware_concurrency();
  workers = unsigned(std::max<size_t>(1, std::min<size_t>(workers, count)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < workers; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &thread : pool)
    thread.join();
  build.compiled = compiled;
  build.fromCache = cached;
  build.seconds = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  return firstError;
}

Expected<KernelBuild> compileKernels(const Plan &plan, int arch,
                                     const std::string &cacheDir, bool tf32) {
  KernelBuild build;
  std::vector<std::vector<char>> cubins;
  if (Status status =
          cuda::compileCubins(cuda::planKernels(planRoot(plan)), arch, tf32,
                              cacheDir, 0, cubins, build);
      !status)
    return status;
  return build;
}

Expected<KernelBuild> compileRuntimeKernels(int arch,
                                            const std::string &cacheDir) {
  KernelBuild build;
  std::vector<std::vector<char>> cubins;
  if (Status status = cuda::compileCubins(cuda::trainingKernels(), arch, false,
                                          cacheDir, 0, cubins, build);
      !status)
    return status;
  return build;
}

} // namespace dlc::rt

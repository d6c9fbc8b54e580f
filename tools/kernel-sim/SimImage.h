//===- SimImage.h - The simulated GPU's "CUBIN" -----------------*- C++ -*-===//
//
// What the simulated NVRTC returns as a kernel's CUBIN and the simulated
// driver loads: a magic word, the size, the kernel's name and the shared
// library of the kernel built for the host. dlrun caches it like a CUBIN.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_SIMIMAGE_H
#define DLC_KERNEL_SIM_SIMIMAGE_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace dlc_sim {

constexpr char kImageMagic[8] = {'D', 'L', 'C', 'S', 'I', 'M', '1', '\n'};

/// magic, u64 total size, name, NUL, the library's bytes.
inline std::vector<char> writeImage(const std::string &name,
                                    const std::vector<char> &library) {
  std::vector<char> image(kImageMagic, kImageMagic + 8);
  uint64_t size = 16 + name.size() + 1 + library.size();
  image.resize(16);
  std::memcpy(image.data() + 8, &size, 8);
  image.insert(image.end(), name.begin(), name.end());
  image.push_back('\0');
  image.insert(image.end(), library.begin(), library.end());
  return image;
}

/// False when `image` is not one writeImage() made.
inline bool readImage(const void *image, std::string &name,
                      std::vector<char> &library) {
  const char *bytes = static_cast<const char *>(image);
  if (std::memcmp(bytes, kImageMagic, 8) != 0)
    return false;
  uint64_t size;
  std::memcpy(&size, bytes + 8, 8);
  name = bytes + 16;
  const char *begin = bytes + 16 + name.size() + 1;
  if (size < 16 + name.size() + 1)
    return false;
  library.assign(begin, bytes + size);
  return true;
}

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_SIMIMAGE_H

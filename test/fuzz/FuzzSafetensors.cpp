//===- FuzzSafetensors.cpp - Checkpoints and parameter files --------------===//
//
// Whatever parses must encode and parse back to the same tensors.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"

#include "dlc/Safetensors.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace dlc::rt;
  auto file = parseSafetensors(std::vector<uint8_t>(data, data + size));
  if (!file)
    return 0;
  auto again = parseSafetensors(encodeSafetensors(*file));
  if (!again || again->tensors.size() != file->tensors.size() ||
      again->metadata != file->metadata)
    std::abort();
  for (const auto &[name, tensor] : file->tensors) {
    auto it = again->tensors.find(name);
    if (it == again->tensors.end() || it->second.dtype != tensor.dtype ||
        it->second.shape != tensor.shape || it->second.data != tensor.data)
      std::abort();
  }
  return 0;
}

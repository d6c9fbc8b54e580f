//===- FuzzIdx.cpp - IDX dataset files ------------------------------------===//

#include "FuzzTarget.h"

#include "dlc/Data.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tensor = dlc::rt::parseIdx(std::vector<uint8_t>(data, data + size));
  if (tensor && tensor->data.size() !=
                    tensor->numElements() * dlc::rt::dtypeSize(tensor->dtype))
    std::abort();
  return 0;
}

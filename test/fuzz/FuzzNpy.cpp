//===- FuzzNpy.cpp - .npy files -------------------------------------------===//

#include "FuzzTarget.h"

#include "dlc/Npy.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto tensor = dlc::rt::parseNpy(std::vector<uint8_t>(data, data + size));
  // What parses holds exactly the bytes its shape needs.
  if (tensor && tensor->data.size() !=
                    tensor->numElements() * dlc::rt::dtypeSize(tensor->dtype))
    std::abort();
  return 0;
}

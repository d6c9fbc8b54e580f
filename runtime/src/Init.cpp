//===- Init.cpp - First values of persistent tensors ----------------------===//

#include "Init.h"

#include "Backend.h"
#include "Philox.h"

#include <algorithm>

namespace dlc::rt {

HostTensor initialValue(const plan::Tensor &tensor) {
  HostTensor value;
  value.dtype = toDType(tensor.dtype());
  value.shape = toShape(tensor.shape());
  value.data.assign(tensor.bytes(), 0);
  const plan::Init *init = tensor.init();
  if (!init || init->kind() == plan::InitKind::Zeros)
    return value;
  // The loader checked that the bytes are exactly the tensor's.
  if (init->kind() == plan::InitKind::Data) {
    std::copy(init->data()->begin(), init->data()->end(), value.data.begin());
    return value;
  }
  uint64_t count = value.numElements();
  for (uint64_t i = 0; i < count; ++i) {
    double x = init->a();
    if (init->kind() == plan::InitKind::Uniform) {
      auto words = philoxDraw(init->seed(), 0, i);
      x = init->a() + (init->b() - init->a()) * double(uniformFloat(words[0]));
    } else if (init->kind() == plan::InitKind::Normal) {
      auto words = philoxDraw(init->seed(), 0, i);
      x = init->a() + init->b() * standardNormal(words[0], words[1]);
    }
    value.set(i, x);
  }
  return value;
}

void writeInitialValues(const plan::Plan &plan, Backend &backend) {
  const auto &tensors = *plan.tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (isPersistent(*tensors.Get(i))) {
      HostTensor value = initialValue(*tensors.Get(i));
      backend.write(tensors.Get(i)->arena(), tensors.Get(i)->offset(),
                    value.data.data(), value.data.size());
    }
}

} // namespace dlc::rt

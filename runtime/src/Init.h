//===- Init.h - First values of persistent tensors --------------*- C++ -*-===//

#ifndef DLC_RUNTIME_INIT_H
#define DLC_RUNTIME_INIT_H

#include "PlanAccess.h"

namespace dlc::rt {

/// The tensor's initial value as its initializer draws it: element i takes
/// Philox word(s) at counter i of the tensor's seed, so the values depend on
/// nothing but the plan.
HostTensor initialValue(const plan::Tensor &tensor);

class Backend;
/// Every persistent tensor of `plan` set to its initial value on `backend`.
void writeInitialValues(const plan::Plan &plan, Backend &backend);

} // namespace dlc::rt

#endif // DLC_RUNTIME_INIT_H

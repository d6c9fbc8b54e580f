//===- FuzzPlan.cpp - The plan loader, and running what it accepts --------===//
//
// A plan the loader accepts must describe, report and, when it is small,
// run on the CPU backend without a crash: the loader's checks are what
// stands between a file and the kernels' pointer arithmetic.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"

#include "dlc/Plan.h"
#include "dlc/Session.h"
#include "plan_generated.h"

using namespace dlc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto plan = rt::Plan::fromBytes(std::vector<uint8_t>(data, data + size),
                                  "fuzz");
  if (!plan)
    return 0;
  (void)(*plan)->describe();
  (void)(*plan)->report();
  // Running is for plans small enough to run thousands of times a second.
  const auto &root = *static_cast<const plan::Plan *>((*plan)->root());
  uint64_t bytes = 0, flops = 0;
  for (const plan::Arena *arena : *root.arenas())
    bytes += arena->size();
  for (const plan::Program *program : *root.programs())
    flops += program->flops();
  if (bytes > (8u << 20) || flops > 20'000'000)
    return 0;
  auto session = rt::Session::create(*plan, rt::DeviceKind::Cpu);
  if (!session)
    return 0;
  for (const std::string &program : (*plan)->programNames())
    (void)(*session)->run(program);
  return 0;
}

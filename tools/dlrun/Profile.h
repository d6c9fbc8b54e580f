//===- Profile.h - dlrun --profile: where a run's time goes -----*- C++ -*-===//

#ifndef DLC_TOOLS_DLRUN_PROFILE_H
#define DLC_TOOLS_DLRUN_PROFILE_H

#include "dlc/Session.h"

#include <string>
#include <vector>

namespace dlc::rt {

/// The table --profile prints: each step's median time, share of the run
/// and FLOP rate in step order, then the kernels by the time they take.
std::string profileTable(const std::string &program, const std::string &device,
                         unsigned repeats,
                         const std::vector<Session::StepTime> &steps);

} // namespace dlc::rt

#endif // DLC_TOOLS_DLRUN_PROFILE_H

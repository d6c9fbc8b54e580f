//===- SimStreams.h - The simulated GPU's streams and graphs ----*- C++ -*-===//
//
// The simulated GPU (libdlc-cuda-sim.so: the driver, NVRTC and cuBLASLt
// entry points dlrun uses, on the CPU) runs work as it is enqueued, so a
// stream is only where a capture records it. Work that fails is reported on
// stderr and leaves an error the next synchronising call returns, as a GPU's
// asynchronous errors do.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_SIMSTREAMS_H
#define DLC_KERNEL_SIM_SIMSTREAMS_H

#include <functional>
#include <string>
#include <vector>

struct CUstream_st {
  bool capturing = false;
  std::vector<std::function<std::string()>> captured;
};

namespace dlc_sim {

/// One piece of work: an empty string on success, else what failed.
using Work = std::function<std::string()>;

/// Runs `work` now, or records it when `stream` captures; false when it
/// ran and failed.
bool enqueue(CUstream_st *stream, Work work);

/// The failure left by work that ran, cleared by the call.
bool takeFailure();

} // namespace dlc_sim

#endif // DLC_KERNEL_SIM_SIMSTREAMS_H

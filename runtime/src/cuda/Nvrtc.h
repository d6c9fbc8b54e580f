//===- Nvrtc.h - NVRTC, opened at run time ----------------------*- C++ -*-===//
//
// Compiles one kernel's CUDA C++ to a CUBIN for a real architecture. NVRTC
// needs no driver and no GPU, which is how the test suite proves that every
// kernel the compiler emits compiles.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_CUDA_NVRTC_H
#define DLC_RUNTIME_CUDA_NVRTC_H

#include "dlc/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc::rt::cuda {

/// NVRTC's version ("13.0"), or empty with the reason in `status`.
std::string nvrtcVersion(std::string *status = nullptr);

/// The options every kernel is compiled with for `arch` (90 for sm_90):
/// IEEE division and square root, denormals kept, C++17; with `tf32`,
/// DLC_TF32 defined, which lets kernels multiply f32 on TF32 tensor cores
/// (the --precision tf32 of the GEMMs).
std::vector<std::string> nvrtcOptions(int arch, bool tf32 = false);

/// Whether NVRTC can target `arch`.
bool nvrtcSupportsArch(int arch);

/// `source` compiled to a CUBIN. A failure carries NVRTC's whole log.
Expected<std::vector<char>> compileToCubin(const std::string &name,
                                           const std::string &source, int arch,
                                           bool tf32 = false);

} // namespace dlc::rt::cuda

#endif // DLC_RUNTIME_CUDA_NVRTC_H

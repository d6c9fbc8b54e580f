//===- Philox.h - The Philox4x32-10 counter-based generator -----*- C++ -*-===//
//
// Random numbers as a pure function of (key, counter): parameter
// initialization and dropout masks come out the same on every backend and
// every run, and a GPU thread can draw its element's number without state.
// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011.)
//
//===----------------------------------------------------------------------===//

#ifndef DLC_RUNTIME_PHILOX_H
#define DLC_RUNTIME_PHILOX_H

#include <array>
#include <cmath>
#include <cstdint>

namespace dlc::rt {

inline std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter,
                                          std::array<uint32_t, 2> key) {
  constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(kMul0) * counter[0];
    uint64_t p1 = uint64_t(kMul1) * counter[2];
    counter = {uint32_t(p1 >> 32) ^ counter[1] ^ key[0], uint32_t(p1),
               uint32_t(p0 >> 32) ^ counter[3] ^ key[1], uint32_t(p0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

/// The four words for element `index` of stream `seed` at step `step`.
inline std::array<uint32_t, 4> philoxDraw(uint64_t seed, uint64_t step,
                                          uint64_t index) {
  return philox4x32({uint32_t(index), uint32_t(index >> 32), uint32_t(step),
                     uint32_t(step >> 32)},
                    {uint32_t(seed), uint32_t(seed >> 32)});
}

/// A uniform number in [0, 1) with 24 random bits (exact in float).
inline float uniformFloat(uint32_t bits) {
  return float(bits >> 8) * (1.0f / 16777216.0f);
}

/// A standard normal number (Box-Muller on two words).
inline double standardNormal(uint32_t a, uint32_t b) {
  double u1 = (double(a) + 1.0) * (1.0 / 4294967296.0); // (0, 1]
  double u2 = double(b) * (1.0 / 4294967296.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// Dropout keeps element `index` when its uniform number is at least `rate`.
inline bool dropoutKeeps(uint64_t seed, uint64_t step, uint64_t index,
                         double rate) {
  return uniformFloat(philoxDraw(seed, step, index)[0]) >= float(rate);
}

} // namespace dlc::rt

#endif // DLC_RUNTIME_PHILOX_H

//===- CudaSim.h - CUDA C++ kernels compiled as host C++ --------*- C++ -*-===//
//
// kernel-sim compiles a plan's CUDA kernels with the host's C++ compiler,
// this header included first, and runs them on the CPU: every CUDA thread of
// a block is a fiber, blocks run one after another. What the kernels use of
// CUDA is defined here; the block barrier and the warp's exchanges (shuffles,
// votes) call back into kernel-sim's scheduler through `dlc_sim_hooks`, which
// also points at the running thread's indices.
//
// Blocks run one at a time, so `__shared__` is `static`: one copy shared by
// the block's threads. Fibers switch only at barriers and exchanges, so an
// atomic read-modify-write is a plain one.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_KERNEL_SIM_CUDASIM_H
#define DLC_KERNEL_SIM_CUDASIM_H

#include "SimAbi.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <type_traits>
#include <utility>

namespace dlc_sim {

template <typename T> unsigned long long toBits(T value) {
  static_assert(sizeof(T) <= 8, "a shuffle moves at most 8 bytes");
  unsigned long long bits = 0;
  memcpy(&bits, &value, sizeof(T));
  return bits;
}

template <typename T> T fromBits(unsigned long long bits) {
  T value;
  memcpy(&value, &bits, sizeof(T));
  return value;
}

/// Calls `kernel` with arguments laid out as cuLaunchKernel takes them: one
/// pointer to each argument's value.
template <typename... Args, size_t... I>
void invoke(void (*kernel)(Args...), void **args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_reference_t<Args> *>(args[I])...);
}
template <typename... Args> void call(void (*kernel)(Args...), void **args) {
  invoke(kernel, args, std::index_sequence_for<Args...>{});
}
/// The sizes of `kernel`'s parameters, which a launch recorded in a graph
/// copies: up to `capacity` of them into `sizes`; returns how many there are.
template <typename... Args>
int parameterSizes(void (*)(Args...), unsigned long *sizes, int capacity) {
  unsigned long list[] = {sizeof(Args)..., 0};
  for (int i = 0; i < int(sizeof...(Args)) && i < capacity; ++i)
    sizes[i] = list[i];
  return int(sizeof...(Args));
}

} // namespace dlc_sim

extern "C" dlc_sim::Hooks dlc_sim_hooks;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __shared__ static
#define __constant__ static const
// Kernels leave their inline PTX to the real compiler.
#define DLC_KERNEL_SIM 1
#define __align__(n) __attribute__((aligned(n)))

// The vector types the kernels load 16 bytes at a time with.
struct __align__(8) float2 {
  float x, y;
};
struct __align__(16) float4 {
  float x, y, z, w;
};
struct __align__(16) double2 {
  double x, y;
};

#define threadIdx (dlc_sim_hooks.current->index)
#define blockIdx (dlc_sim_hooks.current->blockIndex)
#define blockDim (dlc_sim_hooks.current->blockSize)
#define gridDim (dlc_sim_hooks.current->gridSize)
#define warpSize 32

inline void __syncthreads() { dlc_sim_hooks.syncthreads(); }

// Blocks run one after another: every write is seen by the next block.
inline void __threadfence() {}

inline unsigned dlc_sim_lane() { return dlc_sim_hooks.current->lane; }

inline void __syncwarp(unsigned mask = 0xffffffffu) {
  unsigned long long lanes[32];
  dlc_sim_hooks.exchange(mask, 0, lanes);
}

/// `value` of lane source(lane) of the warp; every lane of `mask` posts.
template <typename T, typename Source>
T dlc_sim_shuffle(unsigned mask, T value, Source source) {
  unsigned long long lanes[32];
  dlc_sim_hooks.exchange(mask, dlc_sim::toBits(value), lanes);
  return dlc_sim::fromBits<T>(lanes[source(dlc_sim_lane())]);
}
// A source outside the lane's segment of `width` lanes reads its own.
template <typename T>
T __shfl_sync(unsigned mask, T value, int source, int width = 32) {
  return dlc_sim_shuffle(mask, value, [&](unsigned lane) {
    return lane - lane % width + unsigned(source) % width;
  });
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int laneMask, int width = 32) {
  return dlc_sim_shuffle(mask, value, [&](unsigned lane) {
    unsigned source = lane ^ unsigned(laneMask);
    return source / width == lane / width ? source : lane;
  });
}
template <typename T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = 32) {
  return dlc_sim_shuffle(mask, value, [&](unsigned lane) {
    unsigned source = lane + delta;
    return source / width == lane / width ? source : lane;
  });
}
template <typename T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = 32) {
  return dlc_sim_shuffle(mask, value, [&](unsigned lane) {
    return lane % width >= delta ? lane - delta : lane;
  });
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  unsigned long long lanes[32];
  dlc_sim_hooks.exchange(mask, predicate != 0, lanes);
  unsigned bits = 0;
  for (unsigned i = 0; i < 32; ++i)
    bits |= unsigned(lanes[i] != 0 && (mask >> i & 1)) << i;
  return bits;
}
inline int __any_sync(unsigned mask, int predicate) {
  return __ballot_sync(mask, predicate) != 0;
}
inline int __all_sync(unsigned mask, int predicate) {
  return __ballot_sync(mask, predicate) == __ballot_sync(mask, 1);
}

// Atomics: no other fiber runs between the read and the write.
/// *address = update(*address); returns the old value.
template <typename T, typename Update> T dlc_sim_atomic(T *address, Update update) {
  T old = *address;
  *address = update(old);
  return old;
}
template <typename T, typename U> T atomicAdd(T *address, U value) {
  return dlc_sim_atomic(address, [&](T old) { return T(old + T(value)); });
}
template <typename T, typename U> T atomicOr(T *address, U value) {
  return dlc_sim_atomic(address, [&](T old) { return T(old | T(value)); });
}
template <typename T, typename U> T atomicAnd(T *address, U value) {
  return dlc_sim_atomic(address, [&](T old) { return T(old & T(value)); });
}
template <typename T, typename U> T atomicMax(T *address, U value) {
  return dlc_sim_atomic(address,
                        [&](T old) { return old > T(value) ? old : T(value); });
}
template <typename T, typename U> T atomicMin(T *address, U value) {
  return dlc_sim_atomic(address,
                        [&](T old) { return old < T(value) ? old : T(value); });
}
template <typename T, typename U> T atomicExch(T *address, U value) {
  return dlc_sim_atomic(address, [&](T) { return T(value); });
}
template <typename T, typename U, typename V>
T atomicCAS(T *address, U compare, V value) {
  return dlc_sim_atomic(
      address, [&](T old) { return old == T(compare) ? T(value) : old; });
}

// TF32 tensor cores (kernels compiled with DLC_TF32). cvt.rna.tf32.f32
// rounds to 10 mantissa bits, ties away from zero.
inline unsigned dlc_tf32(float v) {
  unsigned bits = unsigned(dlc_sim::toBits(v));
  if ((bits & 0x7f800000u) != 0x7f800000u) // not inf or NaN
    bits = (bits + 0x1000u) & ~0x1fffu;
  return bits;
}
/// mma.sync.m16n8k8 of one lane: every lane posts its fragments of A
/// (a[r] = A[g + 8 (r % 2)][t + 4 (r / 2)]), B (b[r] = B[t + 4 r][g]) and
/// gets back the whole matrices, then adds into its D elements
/// (d[r] at row g + 8 (r / 2), column 2 t + r % 2), lane = 4 g + t.
inline void dlc_mma_tf32(float *d, const unsigned *a, const unsigned *b) {
  unsigned long long lanes[32];
  float A[16][8], B[8][8];
  for (int r = 0; r < 4; ++r) {
    dlc_sim_hooks.exchange(0xffffffffu, a[r], lanes);
    for (int l = 0; l < 32; ++l)
      A[l / 4 + 8 * (r % 2)][l % 4 + 4 * (r / 2)] =
          dlc_sim::fromBits<float>(unsigned(lanes[l]));
  }
  for (int r = 0; r < 2; ++r) {
    dlc_sim_hooks.exchange(0xffffffffu, b[r], lanes);
    for (int l = 0; l < 32; ++l)
      B[l % 4 + 4 * r][l / 4] = dlc_sim::fromBits<float>(unsigned(lanes[l]));
  }
  unsigned lane = dlc_sim_lane(), g = lane / 4, t = lane % 4;
  for (int r = 0; r < 4; ++r) {
    unsigned row = g + 8 * (r / 2), col = 2 * t + r % 2;
    float sum = 0;
    for (int k = 0; k < 8; ++k)
      sum += A[row][k] * B[k][col];
    d[r] += sum;
  }
}

// Bit casts and integer intrinsics.
inline float __int_as_float(int v) { return dlc_sim::fromBits<float>(unsigned(v)); }
inline float __uint_as_float(unsigned v) { return dlc_sim::fromBits<float>(v); }
inline int __float_as_int(float v) { return int(dlc_sim::toBits(v)); }
inline unsigned __float_as_uint(float v) { return unsigned(dlc_sim::toBits(v)); }
inline double __longlong_as_double(long long v) {
  return dlc_sim::fromBits<double>((unsigned long long)v);
}
inline long long __double_as_longlong(double v) {
  return (long long)dlc_sim::toBits(v);
}
inline unsigned __umulhi(unsigned a, unsigned b) {
  return unsigned((unsigned long long)a * b >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a,
                                     unsigned long long b) {
  return (unsigned long long)((unsigned __int128)a * b >> 64);
}
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __clz(int v) { return v ? __builtin_clz(unsigned(v)) : 32; }
inline int __ffs(int v) { return __builtin_ffs(v); }

// Math: CUDA's fast and reciprocal forms as their exact ones, and the
// global min/max CUDA declares for every arithmetic pair.
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
template <typename A, typename B> std::common_type_t<A, B> min(A a, B b) {
  using T = std::common_type_t<A, B>;
  return T(b) < T(a) ? T(b) : T(a);
}
template <typename A, typename B> std::common_type_t<A, B> max(A a, B b) {
  using T = std::common_type_t<A, B>;
  return T(a) < T(b) ? T(b) : T(a);
}

template <typename T> T __ldg(const T *p) { return *p; }

// The conversions the kernels' f16 and bf16 helpers make with PTX on a GPU,
// rounding to nearest even as cvt.rn does.
inline float dlc_host_h2f(unsigned short h) {
  return float(dlc_sim::fromBits<_Float16>(h));
}
inline unsigned short dlc_host_f2h(float f) {
  return (unsigned short)dlc_sim::toBits(_Float16(f));
}
inline unsigned short dlc_host_f2b(float f) {
  unsigned bits = unsigned(dlc_sim::toBits(f));
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN stays NaN
    return (unsigned short)(bits >> 16 | 0x40);
  return (unsigned short)((bits + 0x7fffu + (bits >> 16 & 1)) >> 16);
}

#endif // DLC_KERNEL_SIM_CUDASIM_H

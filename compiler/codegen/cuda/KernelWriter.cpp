//===- KernelWriter.cpp - Building the source of one CUDA kernel ----------===//

#include "compiler/codegen/cuda/KernelWriter.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dlc::cuda {

namespace {

// NVRTC is given no include path: the kernels are self-contained, and f16
// and bf16 convert with the PTX instructions cuda_fp16.h would use. Built as
// host C++ (tools/kernel-sim), the kernels convert with the host's helpers.
const char *kHalfHelpers = R"(__device__ __forceinline__ float dlc_h2f(unsigned short h) {
#ifdef __CUDA_ARCH__
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#else
  return dlc_host_h2f(h);
#endif
}
__device__ __forceinline__ unsigned short dlc_f2h(float f) {
#ifdef __CUDA_ARCH__
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
  return dlc_host_f2h(f);
#endif
}
__device__ __forceinline__ float dlc_b2f(unsigned short b) {
  return __uint_as_float((unsigned)b << 16);
}
__device__ __forceinline__ unsigned short dlc_f2b(float f) {
#ifdef __CUDA_ARCH__
  unsigned short b;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(b) : "f"(f));
  return b;
#else
  return dlc_host_f2b(f);
#endif
}
)";

// The same Philox4x32-10 draw as the runtime's Philox.h: the first word for
// element `index` of stream `seed` at step `step`.
const char *kPhiloxHelper = R"(__device__ __forceinline__ unsigned dlc_philox(unsigned long long seed,
                                               unsigned long long step,
                                               unsigned long long index) {
  unsigned c0 = (unsigned)index, c1 = (unsigned)(index >> 32);
  unsigned c2 = (unsigned)step, c3 = (unsigned)(step >> 32);
  unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    unsigned hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    unsigned hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c0;
}
// Dropout keeps an element when its uniform number (24 bits) is >= rate.
__device__ __forceinline__ bool dlc_keep(unsigned long long seed,
                                         unsigned long long step,
                                         unsigned long long index, float rate) {
  return (float)(dlc_philox(seed, step, index) >> 8) * (1.0f / 16777216.0f) >= rate;
}
)";

const char *kNanMaxHelper = R"(// max that propagates NaN in either operand.
struct dlc_max {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const {
    return a != a ? a : (b != b || b > a) ? b : a;
  }
};
struct dlc_min {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const {
    return a != a ? a : (b != b || b < a) ? b : a;
  }
};
struct dlc_sum {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const {
    return a + b;
  }
};
struct dlc_prod {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const {
    return a * b;
  }
};
)";

// The CPU backend's argmax: the first maximum, a NaN counting as the maximum.
const char *kRowArgmaxHelper = R"(template <typename T>
__device__ __forceinline__ long long dlc_row_argmax(const T *row, int n) {
  int best = 0;
  for (int k = 1; k < n; ++k)
    if (row[best] == row[best] && (row[k] > row[best] || row[k] != row[k]))
      best = k;
  return best;
}
)";

// f32 rounded to TF32 and the warp-wide 16 x 8 x 8 TF32 product of
// mma.sync, whose operands each lane holds as PTX lays them out: A's
// (g + 8 (r % 2), t + 4 (r / 2)) in a[r], B's (t + 4 r, g) in b[r], D's
// (g + 8 (r / 2), 2 t + r % 2) in d[r], for lane 4 g + t. Defined only when
// the runtime compiles for --precision tf32 (kernel-sim has its own).
const char *kTf32MmaHelper =
    R"(#if defined(DLC_TF32) && !defined(DLC_KERNEL_SIM)
__device__ __forceinline__ unsigned dlc_tf32(float v) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
  return r;
}
__device__ __forceinline__ void dlc_mma_tf32(float *d, const unsigned *a,
                                             const unsigned *b) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}
#endif
)";

// Every thread gets the result; the order of combination is fixed, so the
// result is the same on every run.
const char *kBlockReduceHelper = R"(template <int Threads, typename T, typename Op>
__device__ __forceinline__ T dlc_block_reduce(T value, Op op) {
  __shared__ T partial[Threads / 32];
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2)
    value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  if (Threads == 32)
    return value;
  __syncthreads(); // the previous reduction has read `partial`
  if ((threadIdx.x & 31) == 0)
    partial[threadIdx.x / 32] = value;
  __syncthreads();
  value = partial[0];
#pragma unroll
  for (int w = 1; w < Threads / 32; ++w)
    value = op(value, partial[w]);
  return value;
}
)";

const char *dtypeName(plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F32: return "f32";
  case plan::DType::F64: return "f64";
  case plan::DType::F16: return "f16";
  case plan::DType::BF16: return "bf16";
  case plan::DType::I32: return "i32";
  case plan::DType::I64: return "i64";
  case plan::DType::Bool: return "bool";
  }
  return "?";
}

/// FNV-1a: stable across compilers and runs, so kernel names are too.
uint64_t fnv1a(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

} // namespace

KernelWriter::KernelWriter(const plan::Plan &plan, const plan::Kernel &kernel)
    : plan(plan), expected(plan::kernelOperands(kernel)),
      kernelEpilogue(kernel.epilogue()) {
  int64_t largest = 0;
  for (uint32_t tensor : expected)
    largest = std::max(largest, describe(tensor).count);
  // Grid-stride loops add up to gridDim * blockDim past the end.
  if (largest >= (int64_t(1) << 30))
    indexType = "long long";
}

Operand KernelWriter::describe(uint32_t tensor) const {
  const plan::Tensor *t = plan.tensors()->Get(tensor);
  Operand operand;
  operand.tensor = tensor;
  operand.dtype = t->dtype();
  if (t->shape())
    operand.shape.assign(t->shape()->begin(), t->shape()->end());
  for (int64_t d : operand.shape)
    operand.count *= d;
  return operand;
}

const Operand &KernelWriter::declare(uint32_t tensor, const std::string &name,
                                     bool written) {
  Operand operand = describe(tensor);
  operand.name = name;
  operand.written = written;
  params.push_back(std::move(operand));
  return params.back();
}

const Operand &KernelWriter::input(uint32_t tensor, const std::string &name) {
  return declare(tensor, name, false);
}

const Operand &KernelWriter::output(uint32_t tensor, const std::string &name) {
  return declare(tensor, name, true);
}

void KernelWriter::line(const std::string &text) {
  body.append(size_t(depth) * 2, ' ');
  body += text;
  body += '\n';
}

void KernelWriter::forEach(const std::string &var, int64_t count) {
  open("for (" + indexType + " " + var + " = blockIdx.x * blockDim.x + " +
       "threadIdx.x; " + var + " < " + integer(count) + "; " + var +
       " += gridDim.x * blockDim.x)");
}

void KernelWriter::launchThreads(int64_t count, uint32_t threads) {
  // Small launches use fewer threads, in whole warps.
  int64_t perBlock = std::min<int64_t>(threads, std::max<int64_t>(
                                                    32, (count + 31) / 32 * 32));
  // A grid-stride loop covers the rest; 4096 blocks keep every SM busy.
  int64_t blocks = std::min<int64_t>((count + perBlock - 1) / perBlock, 4096);
  launch({uint32_t(blocks), 1, 1}, {uint32_t(perBlock), 1, 1});
}

uint32_t KernelWriter::reductionThreads(int64_t n) {
  uint32_t threads = 32;
  while (threads < 256 && threads < n)
    threads *= 2;
  return threads;
}

bool KernelWriter::finish(const std::string &base, EmittedKernel &result,
                          std::string &error) {
  if (kernelEpilogue && !epilogueApplied) {
    error = "the kernel for '" + base + "' cannot apply an epilogue";
    return false;
  }
  std::vector<uint32_t> declared;
  for (const Operand &operand : params)
    declared.push_back(operand.tensor);
  if (declared != expected) {
    error = "the kernel for '" + base +
            "' declares its tensors in another order than the plan's";
    return false;
  }
  for (const Operand &operand : params)
    if (operand.dtype == plan::DType::F16 || operand.dtype == plan::DType::BF16)
      helpersUsed |= kHalf;

  std::string signature;
  for (const Operand &operand : params) {
    signature += operand.written ? "" : "const ";
    signature += storageType(operand.dtype) + " *" + operand.name + ", ";
  }
  signature += "const unsigned long long *step, unsigned int *error";
  if (scratchBytes)
    signature += ", unsigned char *scratch";

  std::string helpers;
  if (helpersUsed & kHalf)
    helpers += kHalfHelpers;
  if (helpersUsed & kPhilox)
    helpers += kPhiloxHelper;
  if (helpersUsed & (kNanMax | kBlockReduce))
    helpers += kNanMaxHelper;
  if (helpersUsed & kBlockReduce)
    helpers += kBlockReduceHelper;
  if (helpersUsed & kRowArgmax)
    helpers += kRowArgmaxHelper;
  if (helpersUsed & kTf32Mma)
    helpers += kTf32MmaHelper;

  uint32_t threads = block[0] * block[1] * block[2];
  std::string text =
      helpers + "extern \"C\" __global__ void __launch_bounds__(" +
      std::to_string(threads) +
      (minBlocksPerSM ? ", " + std::to_string(minBlocksPerSM) : std::string()) +
      ")\n@NAME@(" + signature + ") {\n" + body + "}\n";
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%08" PRIx64, fnv1a(text) >> 32);
  result.name = base + "_" + hash;
  std::string header = "// " + result.name + ": " + summary +
                       epilogueSummary + "\n//";
  for (const Operand &operand : params) {
    header += std::string(" ") + operand.name + ": " + dtypeName(operand.dtype) + "[";
    for (size_t d = 0; d < operand.shape.size(); ++d)
      header += (d ? "," : "") + std::to_string(operand.shape[d]);
    header += "]";
  }
  header += "\n";
  size_t at = text.find("@NAME@");
  text.replace(at, 6, result.name);
  result.source = header + text;
  result.grid = grid;
  result.block = block;
  result.scratch = scratchBytes;
  return true;
}

//===----------------------------------------------------------------------===//
// Types, literals and expressions
//===----------------------------------------------------------------------===//

std::string storageType(plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F32: return "float";
  case plan::DType::F64: return "double";
  case plan::DType::F16:
  case plan::DType::BF16: return "unsigned short";
  case plan::DType::I32: return "int";
  case plan::DType::I64: return "long long";
  case plan::DType::Bool: return "bool";
  }
  return "float";
}

std::string computeType(plan::DType dtype) {
  return isHalf(dtype) ? "float" : storageType(dtype);
}

bool isFloat(plan::DType dtype) {
  return dtype == plan::DType::F32 || dtype == plan::DType::F64 ||
         isHalf(dtype);
}

bool isHalf(plan::DType dtype) {
  return dtype == plan::DType::F16 || dtype == plan::DType::BF16;
}

std::string loadAs(plan::DType dtype, const std::string &expr) {
  if (dtype == plan::DType::F16)
    return "dlc_h2f(" + expr + ")";
  if (dtype == plan::DType::BF16)
    return "dlc_b2f(" + expr + ")";
  return expr;
}

std::string storeAs(plan::DType dtype, const std::string &value) {
  if (dtype == plan::DType::F16)
    return "dlc_f2h(" + value + ")";
  if (dtype == plan::DType::BF16)
    return "dlc_f2b(" + value + ")";
  return value;
}

/// The shortest decimal that reads back as exactly `value` (in float when
/// `single`), with a point so it stays floating; negatives in parentheses.
static std::string decimal(double value, bool single) {
  char text[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    double back = std::strtod(text, nullptr);
    if (single ? float(back) == float(value) : back == value)
      break;
  }
  std::string result = text;
  if (result.find_first_of(".e") == std::string::npos)
    result += ".0";
  if (single)
    result += "f";
  return value < 0 ? "(" + result + ")" : result;
}

std::string literal(double value, plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F64:
    if (std::isnan(value))
      return "__longlong_as_double(0x7ff8000000000000LL)";
    if (std::isinf(value))
      return value > 0 ? "__longlong_as_double(0x7ff0000000000000LL)"
                       : "__longlong_as_double(0xfff0000000000000LL)";
    return decimal(value, false);
  case plan::DType::I32:
    return std::to_string(int64_t(value));
  case plan::DType::I64:
    return std::to_string(int64_t(value)) + "LL";
  case plan::DType::Bool:
    return value != 0 ? "true" : "false";
  default: {
    float f = float(value);
    if (std::isnan(f))
      return "__int_as_float(0x7fc00000)";
    if (std::isinf(f))
      return f > 0 ? "__int_as_float(0x7f800000)"
                   : "__int_as_float(0xff800000)";
    return decimal(f, true);
  }
  }
}

std::string integer(int64_t value) {
  std::string text = std::to_string(value);
  return value > INT32_MAX || value < INT32_MIN ? text + "LL" : text;
}

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::string offsetOf(const std::string &linear,
                     const std::vector<int64_t> &shape,
                     const std::vector<int64_t> &strides) {
  // Drop extent-1 dimensions, then merge a dimension into the one before it
  // when together they are one contiguous run.
  std::vector<int64_t> dims, steps;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    if (!dims.empty() && steps.back() == strides[d] * shape[d]) {
      dims.back() *= shape[d];
      steps.back() = strides[d];
      continue;
    }
    dims.push_back(shape[d]);
    steps.push_back(strides[d]);
  }
  if (dims.empty())
    return "0";
  if (dims.size() == 1 && steps[0] == 1)
    return linear;
  std::string expr;
  int64_t inner = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    if (steps[d] != 0) {
      std::string coord = inner == 1 ? linear
                                     : "(" + linear + " / " + integer(inner) + ")";
      if (d > 0)
        coord = "(" + coord + " % " + integer(dims[d]) + ")";
      std::string term = steps[d] == 1 ? coord : coord + " * " + integer(steps[d]);
      expr = expr.empty() ? term : term + " + " + expr;
    }
    inner *= dims[d];
  }
  return expr.empty() ? "0" : expr;
}

std::string coordinate(const std::string &linear,
                       const std::vector<int64_t> &shape, size_t dim) {
  int64_t inner = 1;
  for (size_t d = dim + 1; d < shape.size(); ++d)
    inner *= shape[d];
  std::string coord =
      inner == 1 ? linear : "(" + linear + " / " + integer(inner) + ")";
  if (dim > 0)
    coord = "(" + coord + " % " + integer(shape[dim]) + ")";
  return coord;
}

std::string mathFunction(const char *name, plan::DType dtype) {
  return dtype == plan::DType::F64 ? std::string(name)
                                   : std::string(name) + "f";
}

} // namespace dlc::cuda

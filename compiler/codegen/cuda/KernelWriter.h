//===- KernelWriter.h - Building the source of one CUDA kernel --*- C++ -*-===//
//
// The shared vocabulary of the CUDA emitter: C types of plan dtypes, exact
// literals, index expressions for strided and broadcast reads, the helper
// functions a kernel needs (half conversions, Philox, block reductions) and
// the kernel signature, whose parameters follow plan::kernelOperands.
//
// Kernels are specialized to their shapes: every extent and stride is a
// literal, so the CUDA compiler turns index divisions into multiplications
// and unrolls what it can.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_COMPILER_CODEGEN_CUDA_KERNELWRITER_H
#define DLC_COMPILER_CODEGEN_CUDA_KERNELWRITER_H

#include "compiler/codegen/cuda/CudaEmitter.h"

#include "PlanOperands.h"

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace dlc::cuda {

/// One tensor the kernel receives.
struct Operand {
  uint32_t tensor = 0;
  plan::DType dtype = plan::DType::F32;
  std::vector<int64_t> shape;
  int64_t count = 1;
  std::string name;
  bool written = false;
};

/// Helper functions emitted once before the kernel when it uses them.
enum Helper : unsigned {
  kHalf = 1,        // f16 and bf16 conversions
  kPhilox = 2,      // the counter-based generator of dropout masks
  kBlockReduce = 4, // warp-shuffle reductions over a thread block
  kNanMax = 8,      // max that propagates NaN, as the CPU backend does
  kRowArgmax = 16,  // dl.argmax of one row, for accuracy
  kTf32Mma = 32,    // TF32 tensor-core products (under DLC_TF32)
};

class KernelWriter {
public:
  KernelWriter(const plan::Plan &plan, const plan::Kernel &kernel);

  /// Declares the next parameter: `tensor` must be the next entry of
  /// kernelOperands. Returns its description.
  const Operand &input(uint32_t tensor, const std::string &name);
  const Operand &output(uint32_t tensor, const std::string &name);

  /// The tensor's description without declaring a parameter.
  Operand describe(uint32_t tensor) const;

  void use(unsigned helpers) { helpersUsed |= helpers; }
  /// Appends a line of the kernel body at the current depth.
  void line(const std::string &text);
  void open(const std::string &text) { line(text + " {"), ++depth; }
  void close(const std::string &suffix = "") { --depth, line("}" + suffix); }

  /// A grid-stride loop over `count` with variable `var`; close() ends it.
  void forEach(const std::string &var, int64_t count);

  /// `minBlocksPerSM` (the second __launch_bounds__ argument, when not 0)
  /// caps the registers a thread may take so that that many blocks fit an
  /// SM together.
  void launch(std::array<uint32_t, 3> grid, std::array<uint32_t, 3> block,
              uint32_t minBlocksPerSM = 0) {
    this->grid = grid;
    this->block = block;
    this->minBlocksPerSM = minBlocksPerSM;
  }
  /// Asks for `bytes` of device scratch, a parameter `unsigned char
  /// *scratch` after the others. One allocation serves all kernels, zero
  /// when the plan is loaded: its first kScratchCounters bytes hold
  /// counters, which every kernel leaves at zero; a launch may use the rest
  /// as it likes.
  void useScratch(uint64_t bytes) { scratchBytes = bytes; }
  static constexpr uint64_t kScratchCounters = 4096;
  /// A 1-D launch of `count` threads in blocks of up to `threads`.
  void launchThreads(int64_t count, uint32_t threads = 256);
  /// Block size for a reduction over `n` elements: a power of two between
  /// 32 and 256.
  static uint32_t reductionThreads(int64_t n);

  /// What the kernel computes, for the comment at the top of its source
  /// (the epilogue's part is added after it).
  std::string summary, epilogueSummary;

  /// The index type: int when every tensor fits, else long long.
  const std::string &index() const { return indexType; }

  /// The kernel's epilogue, if it has one; the emitter that applies it
  /// marks it so (finishing a kernel that left it out is an error).
  const plan::Elementwise *epilogue() const { return kernelEpilogue; }
  void markEpilogueApplied() { epilogueApplied = true; }

  /// Finishes: the kernel named `<base>_<hash>` with its launch, or an error
  /// when the parameters do not match the plan's operand order.
  bool finish(const std::string &base, EmittedKernel &result,
              std::string &error);

private:
  const Operand &declare(uint32_t tensor, const std::string &name,
                         bool written);

  const plan::Plan &plan;
  std::vector<uint32_t> expected;
  std::deque<Operand> params; // stable references for the emitters
  std::string body;
  int depth = 1;
  unsigned helpersUsed = 0;
  std::string indexType = "int";
  const plan::Elementwise *kernelEpilogue = nullptr;
  bool epilogueApplied = false;
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  uint32_t minBlocksPerSM = 0;
  uint64_t scratchBytes = 0;
};

//===----------------------------------------------------------------------===//
// Types, literals and expressions
//===----------------------------------------------------------------------===//

/// The C type a tensor's elements are stored as (unsigned short for f16 and
/// bf16, which convert through helpers).
std::string storageType(plan::DType dtype);
/// The type arithmetic on the dtype happens in: float for f16 and bf16.
std::string computeType(plan::DType dtype);
bool isFloat(plan::DType dtype);
bool isHalf(plan::DType dtype);
/// `expr` (a stored element) as the compute type, and back.
std::string loadAs(plan::DType dtype, const std::string &expr);
std::string storeAs(plan::DType dtype, const std::string &value);
/// `value` exactly, as a literal of the compute type of `dtype`.
std::string literal(double value, plan::DType dtype);
std::string integer(int64_t value);

/// The element offset that `linear`, a row-major index over `shape`, has in
/// a tensor read with `strides` (0 where it broadcasts). Adjacent dimensions
/// that stay contiguous are merged; a plain walk comes back as `linear`.
std::string offsetOf(const std::string &linear,
                     const std::vector<int64_t> &shape,
                     const std::vector<int64_t> &strides);
/// Coordinate `dim` of `linear` over `shape`.
std::string coordinate(const std::string &linear,
                       const std::vector<int64_t> &shape, size_t dim);
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape);

/// The library functions for the compute type of `dtype`: "expf" for f32.
std::string mathFunction(const char *name, plan::DType dtype);

} // namespace dlc::cuda

#endif // DLC_COMPILER_CODEGEN_CUDA_KERNELWRITER_H

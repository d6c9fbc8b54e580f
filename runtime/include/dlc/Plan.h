//===- Plan.h - Loading and inspecting plans --------------------*- C++ -*-===//
//
// A plan (.dlp) is checked in full when it is loaded: the FlatBuffers
// verifier first, then everything the verifier cannot know (indices in range,
// tensors inside their arenas, shapes matching byte sizes, every step's
// operands consistent with what the step computes). A Plan that loaded is
// safe to execute; one that did not load says what is wrong.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PLAN_H
#define DLC_PLAN_H

#include "dlc/Tensor.h"

#include <memory>

namespace dlc::rt {

/// The plan format version this runtime reads.
constexpr uint32_t kPlanFormatVersion = 5;

class Plan {
public:
  static Expected<std::shared_ptr<const Plan>> load(const std::string &path);
  static Expected<std::shared_ptr<const Plan>>
  fromBytes(std::vector<uint8_t> bytes, const std::string &origin);

  /// The root table (dlc::plan::Plan from plan_generated.h).
  const void *root() const { return root_; }
  const std::string &origin() const { return origin_; }

  /// Index of the program called `name` ("inference", "train", "eval").
  std::optional<uint32_t> findProgram(const std::string &name) const;
  /// The same, or an error naming the programs the plan has.
  Expected<uint32_t> program(const std::string &name) const;
  std::vector<std::string> programNames() const;
  /// The names of a program's inputs and outputs (empty if it does not
  /// exist).
  std::vector<std::string> inputNames(const std::string &program) const;
  std::vector<std::string> outputNames(const std::string &program) const;
  /// The shape of a program's input or output (empty if there is none).
  std::vector<int64_t> inputShape(const std::string &program,
                                  const std::string &name) const;
  std::vector<int64_t> outputShape(const std::string &program,
                                   const std::string &name) const;

  /// What `dlrun --describe` prints: metadata, arenas, every program's
  /// inputs, outputs and steps, the parameters and the kernels.
  std::string describe() const;
  /// What `dlc --report` prints: memory per arena against the naive sum,
  /// FLOPs, steps and launches per program, and the kernels.
  std::string report() const;

private:
  Plan() = default;
  std::vector<uint8_t> bytes_;
  const void *root_ = nullptr;
  std::string origin_;
};

/// "1.5 MiB", "512 B".
std::string formatBytes(uint64_t bytes);
/// "13.2 MFLOP".
std::string formatFlops(uint64_t flops);

} // namespace dlc::rt

#endif // DLC_PLAN_H

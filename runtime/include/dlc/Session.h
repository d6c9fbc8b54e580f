//===- Session.h - Running a plan on a device -------------------*- C++ -*-===//
//
// A Session owns a plan's memory on one device: the arenas, with parameters
// drawn from their initializers (or loaded from a file) and constants copied
// in. Programs then run any number of times; inputs are copied in before a
// run and outputs read after it.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_SESSION_H
#define DLC_SESSION_H

#include "dlc/Plan.h"
#include "dlc/Safetensors.h"
#include "dlc/runtime.h"

#include <optional>

namespace dlc::rt {

class Backend;
enum class DataSet : uint32_t;

/// How a session runs on a GPU.
struct SessionOptions {
  int ordinal = 0;   ///< which CUDA device
  bool tf32 = false; ///< f32 GEMMs on TF32 tensor cores (default: strict fp32)
  /// Where compiled kernels are kept (dlc/Kernels.h); empty: no cache.
  std::string kernelCache;
};

class Session {
public:
  /// Allocates the arenas on `device` and initializes every persistent
  /// tensor from its initializer. On CUDA, first compiles the plan's kernels
  /// (or finds them in the kernel cache).
  static Expected<std::unique_ptr<Session>>
  create(std::shared_ptr<const Plan> plan, DeviceKind device,
         const SessionOptions &options = {});
  ~Session();

  const Plan &plan() const { return *plan_; }
  DeviceKind device() const { return device_; }

  /// Replaces parameters and buffers with the tensors of `file`. Names must
  /// match the plan's; a missing, extra or mis-shaped tensor is an error
  /// naming it, and then nothing is changed.
  Status loadParameters(const TensorFile &file);
  /// Replaces one persistent tensor (a parameter, buffer or optimizer
  /// state such as `optimizer.lr`); the dtype and shape must match.
  Status setPersistent(const std::string &name, const HostTensor &value);
  /// Parameters and buffers (and optimizer state when `withOptimizerState`).
  TensorFile saveParameters(bool withOptimizerState) const;

  /// Copies `value` into the input `name` of `program`; dtype and shape must
  /// match.
  Status setInput(const std::string &program, const std::string &name,
                  const HostTensor &value);
  /// Runs every step of `program`; an error names the step and its kernel.
  Status run(const std::string &program);
  Expected<HostTensor> output(const std::string &program,
                              const std::string &name) const;
  /// Where a run first met a value that is not finite.
  struct NonFinite {
    /// "input 'x'", "parameter 'fc1.w'" or "step 9 (fused_compare_select at
    /// examples/mlp.dl:17:9)".
    std::string where;
    std::string tensor; ///< the tensor holding it
    uint64_t index = 0; ///< its first non-finite element, flat
    double value = 0;   ///< NaN or an infinity
    /// "the first non-finite value is 'fused.10' element 37 (nan), written
    /// by step 9 (...)", or "input 'x' is not finite (element 3 is inf)".
    std::string describe() const;
  };
  /// Runs `program` one step at a time (slowly, for diagnosis) and returns
  /// the first non-finite float it finds: in an input or a persistent tensor
  /// before the run, else in the results of the earliest step; nullopt when
  /// every value is finite.
  Expected<std::optional<NonFinite>> findNonFinite(const std::string &program);
  /// One step's share of a run, from profile().
  struct StepTime {
    std::string kernel;   ///< "gemm", "copy", "fill" or the kernel's name
    std::string location; ///< where in the model it comes from
    uint64_t flops = 0;
    double seconds = 0;   ///< the median over the runs
  };
  /// Runs `program` `repeats` times one step after another (no graph) and
  /// times each step: on a GPU with events between the steps on its stream.
  /// Training programs train meanwhile, as repeated runs do.
  Expected<std::vector<StepTime>> profile(const std::string &program,
                                          unsigned repeats);
  /// A copy of every persistent tensor (parameters, buffers, optimizer
  /// state), and putting it back: undoing a training step.
  std::vector<uint8_t> snapshotPersistent() const;
  void restorePersistent(const std::vector<uint8_t> &snapshot);

  /// Training with the data where the session runs. On a GPU the whole
  /// training set is copied there once, each step's batch is gathered there
  /// and the losses are summed there, so a step needs no host
  /// synchronisation; on the CPU the same happens on the host.
  /// `samples` and `labels` (first dimension the sample) feed the inputs
  /// `sampleInput` and `labelInput` of `program`, converted to their dtypes;
  /// `lossOutput` is the program's scalar loss.
  Status setTrainingData(const std::string &program,
                         const std::string &sampleInput,
                         const std::string &labelInput,
                         const std::string &lossOutput,
                         const HostTensor &samples, const HostTensor &labels);
  /// The order of the samples for the steps that follow (an epoch's).
  Status setTrainingOrder(const std::vector<uint64_t> &order);
  /// One step on samples order[first, first + batch): gathers them, runs
  /// the program at the current step counter and adds its loss to the sum;
  /// may return before the step has finished.
  Status runTrainingStep(uint64_t first);
  /// Waits for the steps run since the last call and returns the sum of
  /// their losses; an error any of them met is reported here.
  Expected<double> finishTrainingSteps();

  /// Evaluation with the data where the session runs, as training: the
  /// evaluation set (first dimension the sample) once, then batches of it
  /// in order. `metrics` (at most four f32 or f64 scalar outputs of
  /// `program`) are summed over the batches on the device; the step
  /// counter does not move.
  Status setEvaluationData(const std::string &program,
                           const std::string &sampleInput,
                           const std::string &labelInput,
                           const std::vector<std::string> &metrics,
                           const HostTensor &samples, const HostTensor &labels);
  bool hasEvaluationData() const { return evaluation_ != nullptr; }
  /// Runs the program on samples [first, first + batch) of the evaluation
  /// set; may return before it has finished.
  Status runEvaluationBatch(uint64_t first);
  /// Waits for the batches run since the last call and returns each
  /// metric's sum over them.
  Expected<std::vector<double>> finishEvaluation();

  /// The step counter that seeds dropout; training advances it.
  void setStepCounter(uint64_t step) { step_ = step; }
  uint64_t stepCounter() const { return step_; }

private:
  Session() = default;
  Expected<uint32_t> program(const std::string &name) const;
  HostTensor readTensor(uint32_t tensor) const;
  void writeTensor(uint32_t tensor, const HostTensor &value);

  std::shared_ptr<const Plan> plan_;
  DeviceKind device_ = DeviceKind::Cpu;
  std::unique_ptr<Backend> backend_;
  uint64_t step_ = 0;
  struct Batches;
  Expected<std::unique_ptr<Batches>>
  prepareBatches(DataSet set, const std::string &program,
                 const std::string &sampleInput, const std::string &labelInput,
                 const std::vector<std::string> &sumOutputs,
                 const HostTensor &samples, const HostTensor &labels);
  /// A step of `batches`, and the sums since the last finish (one per
  /// summed output).
  Status runBatch(const Batches *batches, uint64_t first);
  Expected<std::vector<double>> finishBatches(const Batches *batches);
  std::unique_ptr<Batches> training_;   // set by setTrainingData
  std::unique_ptr<Batches> evaluation_; // set by setEvaluationData
};

} // namespace dlc::rt

#endif // DLC_SESSION_H

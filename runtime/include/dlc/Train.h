//===- Train.h - The training loop ------------------------------*- C++ -*-===//
//
// Trains a plan compiled with `dlc --train` on an in-memory dataset: epochs of
// shuffled batches through the program `train`, then the whole test set
// through `eval`. Every test sample counts exactly once (see evaluate()).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TRAIN_H
#define DLC_TRAIN_H

#include "dlc/Session.h"

#include <functional>
#include <map>

namespace dlc::rt {

/// Samples and their labels or targets, both [N, ...]; values convert to the
/// types of the plan's two inputs (samples first, as the model declares).
struct Dataset {
  HostTensor inputs;
  HostTensor labels;
  uint64_t size() const { return inputs.shape.empty() ? 0 : inputs.shape[0]; }
};

/// Fashion-MNIST style IDX files in `dir` (train-images-idx3-ubyte[.gz],
/// train-labels-idx1-ubyte[.gz], t10k-...): pixels scaled to [0, 1] as f32,
/// labels as i32.
Expected<Dataset> loadIdxDataset(const std::string &dir, bool trainSplit);

/// A plain text file as a character-level corpus for a language model with
/// context `context` and `vocabulary` token ids: the ids are the file's
/// distinct bytes in byte order (at most `vocabulary` of them). The last
/// tenth of the text is held out: the test split is its consecutive windows,
/// the training split as many windows at offsets drawn from `seed` as fit in
/// the rest. Samples are `context` ids, targets the same shifted by one.
Expected<Dataset> loadTextCorpus(const std::string &path, int64_t context,
                                 int64_t vocabulary, bool trainSplit,
                                 uint64_t seed);

/// NumPy arrays in `dir`: train-x.npy, train-y.npy, test-x.npy and
/// test-y.npy, samples along the first dimension (for regression targets or
/// data that is not images).
Expected<Dataset> loadNpyDataset(const std::string &dir, bool trainSplit);

struct EpochMetrics {
  int epoch = 0;
  double trainLoss = 0;                 ///< mean over the epoch's steps
  uint64_t skippedSteps = 0;            ///< non-finite losses skipped
  std::map<std::string, double> test;   ///< loss and every metric, test set
  double samplesPerSecond = 0;          ///< training throughput
  double seconds = 0;
};

/// What a training step whose loss is NaN or infinite does.
enum class NonFinitePolicy {
  Ignore, ///< nothing: the loss is averaged in (no checks, no cost)
  Stop,   ///< stop with an error naming the step and the first tensor that
          ///< went non-finite (found by re-running the step step by step)
  Skip,   ///< undo the step (parameters and optimizer state) and go on
};

struct TrainOptions {
  int firstEpoch = 1; ///< > 1 when resuming: epochs before it are done
  int epochs = 1;     ///< the last epoch to train
  uint64_t seed = 0;
  /// Checking costs a copy of the persistent tensors before every step.
  NonFinitePolicy nonFinite = NonFinitePolicy::Ignore;
  /// Told about every skipped step (NonFinitePolicy::Skip).
  std::function<void(const std::string &)> onWarning;
  /// Called after every step (for progress bars) and after every epoch.
  /// The step's running mean loss is NaN where the steps run without the
  /// host reading each loss (unless checking numerics, the losses are summed
  /// where the program runs and read once per epoch).
  std::function<void(int epoch, uint64_t step, uint64_t steps, double loss)>
      onStep;
  std::function<void(const EpochMetrics &)> onEpoch;
};

/// Runs the loop. Shuffling draws from the seed alone, so the same seed on
/// the same device gives the same loss curve bit for bit.
Expected<std::vector<EpochMetrics>> train(Session &session,
                                          const Dataset &train,
                                          const Dataset &test,
                                          const TrainOptions &options);

/// The eval program over every sample of `data`. A last partial batch is
/// padded with copies of one sample s and run twice (padded, and all s);
/// since eval metrics are batch means, the real samples' share is
/// batch * mean1 - (batch - r) * mean2, exact up to rounding.
Expected<std::map<std::string, double>> evaluate(Session &session,
                                                 const Dataset &data);

} // namespace dlc::rt

#endif // DLC_TRAIN_H

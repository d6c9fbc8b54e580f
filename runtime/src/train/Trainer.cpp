//===- Trainer.cpp - The training loop ------------------------------------===//

#include "dlc/Train.h"

#include "Json.h"
#include "PlanAccess.h"
#include "dlc/Data.h"
#include "dlc/Npy.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

namespace dlc::rt {

namespace {

/// What the loop needs to know about a training plan.
struct Layout {
  std::string dataInput, labelInput;
  HostTensor dataTemplate, labelTemplate; // shape and dtype of one batch
  int64_t batch = 0;
  std::string loss;
  std::vector<std::string> metrics; // the loss first, then the metrics
};

Expected<Layout> layoutOf(const Plan &plan) {
  const plan::Plan &root = planRoot(plan);
  for (const char *program : {"train", "eval"})
    if (!plan.findProgram(program))
      return Status::error(std::string("the plan has no program '") + program +
                           "' (compile it with dlc --train)");
  Layout layout;
  const plan::Program &train = *root.programs()->Get(*plan.findProgram("train"));
  if (train.inputs()->size() != 2)
    return Status::error(format("training needs a model with two inputs (the "
                                "samples, then their labels or targets), this "
                                "one has %u",
                                train.inputs()->size()));
  // The model declares the samples first, then the labels or targets.
  for (int k = 0; k < 2; ++k) {
    const plan::Binding *binding = train.inputs()->Get(k);
    const plan::Tensor &tensor = *root.tensors()->Get(binding->tensor());
    HostTensor shapeOnly;
    shapeOnly.dtype = toDType(tensor.dtype());
    shapeOnly.shape = toShape(tensor.shape());
    (k ? layout.labelInput : layout.dataInput) = binding->name()->str();
    (k ? layout.labelTemplate : layout.dataTemplate) = shapeOnly;
  }
  if (layout.dataTemplate.shape.empty() || layout.labelTemplate.shape.empty() ||
      layout.dataTemplate.shape[0] != layout.labelTemplate.shape[0])
    return Status::error("training needs two inputs with the batch as their "
                         "first dimension");
  layout.batch = layout.dataTemplate.shape[0];

  const plan::Metadata *meta = root.metadata();
  Expected<json::Value> config =
      json::parse(meta && meta->train_config() ? meta->train_config()->str()
                                               : "null");
  const json::Value *loss = config ? config->find("loss") : nullptr;
  if (!loss || loss->kind != json::Value::Kind::String)
    return Status::error("the plan has no train section naming its loss");
  layout.loss = loss->string;
  layout.metrics.push_back(layout.loss);
  if (const json::Value *metrics = config->find("metrics"))
    for (const json::Value &metric : metrics->array)
      layout.metrics.push_back(metric.string);
  return layout;
}

/// Copies samples `order[begin..begin+count)` of `data` into `batch`
/// (already shaped), converting element types where they differ.
void gather(const HostTensor &data, const std::vector<uint64_t> &order,
            uint64_t begin, uint64_t count, HostTensor &batch) {
  uint64_t perSample = batch.numElements() / uint64_t(batch.shape[0]);
  size_t from = dtypeSize(data.dtype), to = dtypeSize(batch.dtype);
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t sample = order[begin + k];
    if (data.dtype == batch.dtype) {
      std::memcpy(&batch.data[k * perSample * to],
                  &data.data[sample * perSample * from], perSample * to);
      continue;
    }
    for (uint64_t e = 0; e < perSample; ++e)
      batch.set(k * perSample + e, data.at(sample * perSample + e));
  }
}

HostTensor allocate(const HostTensor &shapeOnly) {
  HostTensor tensor = shapeOnly;
  tensor.data.assign(tensor.numElements() * dtypeSize(tensor.dtype), 0);
  return tensor;
}

Status checkFits(const Dataset &data, const Layout &layout) {
  uint64_t perSample =
      layout.dataTemplate.numElements() / uint64_t(layout.batch);
  uint64_t perLabel =
      layout.labelTemplate.numElements() / uint64_t(layout.batch);
  if (data.size() == 0 || data.inputs.numElements() / data.size() != perSample)
    return Status::error(format("each sample has %llu values but the model's "
                                "input '%s' takes %llu per sample",
                                (unsigned long long)(data.size()
                                    ? data.inputs.numElements() / data.size()
                                    : 0),
                                layout.dataInput.c_str(),
                                (unsigned long long)perSample));
  if (data.labels.shape.empty() || uint64_t(data.labels.shape[0]) != data.size() ||
      data.labels.numElements() != data.size() * perLabel)
    return Status::error(format("the labels or targets must be [%llu] times "
                                "%llu values, as the model's input '%s'",
                                (unsigned long long)data.size(),
                                (unsigned long long)perLabel,
                                layout.labelInput.c_str()));
  return Status::ok();
}

Expected<double> readScalar(Session &session, const std::string &program,
                            const std::string &name) {
  Expected<HostTensor> value = session.output(program, name);
  if (!value)
    return value.status();
  return value->at(0);
}

} // namespace

Expected<Dataset> loadNpyDataset(const std::string &dir, bool trainSplit) {
  std::string prefix = dir + "/" + (trainSplit ? "train" : "test");
  Expected<HostTensor> x = readNpy(prefix + "-x.npy");
  if (!x)
    return x.status();
  Expected<HostTensor> y = readNpy(prefix + "-y.npy");
  if (!y)
    return y.status();
  if (x->shape.empty() || y->shape.empty() || x->shape[0] != y->shape[0])
    return Status::error(prefix + "-x.npy and -y.npy differ in sample count");
  Dataset data;
  data.inputs = std::move(*x);
  data.labels = std::move(*y);
  return data;
}

Expected<Dataset> loadTextCorpus(const std::string &path, int64_t context,
                                 int64_t vocabulary, bool trainSplit,
                                 uint64_t seed) {
  Expected<std::vector<uint8_t>> text = readFile(path);
  if (!text)
    return text.status();
  int32_t ids[256];
  std::fill(std::begin(ids), std::end(ids), -1);
  for (uint8_t byte : *text)
    ids[byte] = 0;
  int32_t count = 0;
  for (int32_t &id : ids)
    if (id == 0)
      id = count++;
  if (count > vocabulary)
    return Status::error(format("%s has %d distinct bytes, more than the "
                                "model's vocabulary of %lld",
                                path.c_str(), count, (long long)vocabulary));
  uint64_t size = text->size(), held = size / 10;
  uint64_t window = uint64_t(context) + 1;
  if (context < 1 || held < window || size - held < window)
    return Status::error(format("%s has %llu bytes, too few for windows of "
                                "%llu in both splits",
                                path.c_str(), (unsigned long long)size,
                                (unsigned long long)window));
  std::vector<uint64_t> starts;
  if (trainSplit) {
    uint64_t span = size - held;
    std::mt19937_64 rng(seed * 1000003u + 7919);
    for (uint64_t k = 0; k < span / uint64_t(context); ++k)
      starts.push_back(rng() % (span - window + 1));
  } else {
    for (uint64_t s = size - held; s + window <= size; s += uint64_t(context))
      starts.push_back(s);
  }
  Dataset data;
  for (HostTensor *t : {&data.inputs, &data.labels}) {
    t->dtype = DType::I32;
    t->shape = {int64_t(starts.size()), context};
    t->data.resize(starts.size() * uint64_t(context) * 4);
  }
  int32_t *x = reinterpret_cast<int32_t *>(data.inputs.data.data());
  int32_t *y = reinterpret_cast<int32_t *>(data.labels.data.data());
  for (uint64_t k = 0; k < starts.size(); ++k)
    for (int64_t i = 0; i < context; ++i) {
      x[k * context + i] = ids[(*text)[starts[k] + i]];
      y[k * context + i] = ids[(*text)[starts[k] + i + 1]];
    }
  return data;
}

Expected<Dataset> loadIdxDataset(const std::string &dir, bool trainSplit) {
  std::string prefix = dir + "/" + (trainSplit ? "train" : "t10k");
  auto open = [&](const std::string &stem) -> Expected<HostTensor> {
    Expected<HostTensor> plain = readIdx(prefix + stem);
    if (plain || plain.status().message().find("cannot open") != 0)
      return plain;
    return readIdx(prefix + stem + ".gz");
  };
  Expected<HostTensor> images = open("-images-idx3-ubyte");
  if (!images)
    return images.status();
  Expected<HostTensor> labels = open("-labels-idx1-ubyte");
  if (!labels)
    return labels.status();
  if (images->shape.empty() || labels->shape.size() != 1 ||
      images->shape[0] != labels->shape[0])
    return Status::error(prefix + ": images and labels differ in count");
  Dataset data;
  data.inputs.dtype = DType::F32;
  data.inputs.shape = images->shape;
  uint64_t count = images->numElements();
  data.inputs.data.resize(count * 4);
  const int32_t *pixels = reinterpret_cast<const int32_t *>(images->data.data());
  float *scaled = reinterpret_cast<float *>(data.inputs.data.data());
  for (uint64_t i = 0; i < count; ++i)
    scaled[i] = float(pixels[i]) / 255.0f;
  data.labels = std::move(*labels);
  return data;
}

Expected<std::map<std::string, double>> evaluate(Session &session,
                                                 const Dataset &data) {
  Expected<Layout> layout = layoutOf(session.plan());
  if (!layout)
    return layout.status();
  if (Status status = checkFits(data, *layout); !status)
    return status;
  uint64_t batch = layout->batch, n = data.size();
  HostTensor inputs = allocate(layout->dataTemplate);
  HostTensor labels = allocate(layout->labelTemplate);
  std::vector<uint64_t> order(n);
  for (uint64_t i = 0; i < n; ++i)
    order[i] = i;
  std::map<std::string, double> sums; // sum over samples of each metric
  auto runBatch = [&](std::map<std::string, double> &means) -> Status {
    if (Status s = session.setInput("eval", layout->dataInput, inputs); !s)
      return s;
    if (Status s = session.setInput("eval", layout->labelInput, labels); !s)
      return s;
    if (Status s = session.run("eval"); !s)
      return s;
    for (const std::string &name : layout->metrics) {
      Expected<double> value = readScalar(session, "eval", name);
      if (!value)
        return value.status();
      means[name] = *value;
    }
    return Status::ok();
  };
  uint64_t full = n / batch * batch;
  if (session.hasEvaluationData()) {
    // The set is on the device (setEvaluationData): the full batches run
    // without waiting, their metrics summed there and read once.
    for (uint64_t begin = 0; begin < full; begin += batch)
      if (Status s = session.runEvaluationBatch(begin); !s)
        return s;
    Expected<std::vector<double>> means = session.finishEvaluation();
    if (!means)
      return means.status();
    for (size_t i = 0; i < layout->metrics.size() && i < means->size(); ++i)
      sums[layout->metrics[i]] += (*means)[i] * double(batch);
  } else {
    for (uint64_t begin = 0; begin < full; begin += batch) {
      gather(data.inputs, order, begin, batch, inputs);
      gather(data.labels, order, begin, batch, labels);
      std::map<std::string, double> means;
      if (Status s = runBatch(means); !s)
        return s;
      for (const auto &[name, mean] : means)
        sums[name] += mean * double(batch);
    }
  }
  if (uint64_t rest = n - full) {
    // Pad with copies of the first remaining sample, then run a batch of
    // that sample alone to take its share back out.
    std::vector<uint64_t> padded(order.begin() + full, order.end());
    padded.resize(batch, order[full]);
    gather(data.inputs, padded, 0, batch, inputs);
    gather(data.labels, padded, 0, batch, labels);
    std::map<std::string, double> mixed, single;
    if (Status s = runBatch(mixed); !s)
      return s;
    std::vector<uint64_t> same(batch, order[full]);
    gather(data.inputs, same, 0, batch, inputs);
    gather(data.labels, same, 0, batch, labels);
    if (Status s = runBatch(single); !s)
      return s;
    for (const auto &[name, mean] : mixed)
      sums[name] += mean * double(batch) - single[name] * double(batch - rest);
  }
  for (auto &[name, sum] : sums)
    sum /= double(n);
  return sums;
}

/// Why the step just run gave a non-finite loss: re-runs it step by step
/// from the state before it (same inputs, which the run may have overwritten
/// in place, and the same dropout counter), then puts that state back.
static std::string diagnose(Session &session,
                            const std::vector<uint8_t> &before,
                            uint64_t counter,
                            const std::function<Status()> &feedInputs) {
  session.restorePersistent(before);
  if (Status s = feedInputs(); !s)
    return s.message();
  uint64_t next = session.stepCounter();
  session.setStepCounter(counter);
  Expected<std::optional<Session::NonFinite>> found =
      session.findNonFinite("train");
  session.restorePersistent(before);
  session.setStepCounter(next);
  if (!found)
    return "re-running it step by step failed: " + found.status().message();
  if (!*found)
    return "re-running it step by step found every value finite (a "
           "non-deterministic step?)";
  return (*found)->describe();
}

Expected<std::vector<EpochMetrics>> train(Session &session,
                                          const Dataset &trainSet,
                                          const Dataset &testSet,
                                          const TrainOptions &options) {
  Expected<Layout> layout = layoutOf(session.plan());
  if (!layout)
    return layout.status();
  if (Status status = checkFits(trainSet, *layout); !status)
    return status.withContext("training set");
  uint64_t batch = layout->batch, n = trainSet.size();
  if (n < batch)
    return Status::error(format("the training set has %llu samples, fewer "
                                "than one batch of %llu",
                                (unsigned long long)n,
                                (unsigned long long)batch));
  HostTensor inputs = allocate(layout->dataTemplate);
  HostTensor labels = allocate(layout->labelTemplate);
  // Without checks of each step's loss, the data lives where the program
  // runs and a step needs no host synchronisation (on a GPU: the batch is
  // gathered there and the losses summed there, read once per epoch).
  bool checking = options.nonFinite != NonFinitePolicy::Ignore;
  if (!checking)
    if (Status s = session.setTrainingData("train", layout->dataInput,
                                           layout->labelInput, layout->loss,
                                           trainSet.inputs, trainSet.labels);
        !s)
      return s;
  // The test set goes where the session runs too, once; a model whose
  // metrics the device cannot sum (not float scalars) is evaluated on the
  // host.
  if (testSet.size() >= uint64_t(batch))
    (void)session.setEvaluationData("eval", layout->dataInput,
                                    layout->labelInput, layout->metrics,
                                    testSet.inputs, testSet.labels);
  // Each epoch's order is a Fisher-Yates shuffle from a generator seeded by
  // (seed, epoch): the same on every platform, unlike std::shuffle.
  std::vector<uint64_t> order(n);
  std::vector<EpochMetrics> history;
  uint64_t stepsPerEpoch = n / batch;
  for (int epoch = options.firstEpoch; epoch <= options.epochs; ++epoch) {
    for (uint64_t i = 0; i < n; ++i)
      order[i] = i;
    std::mt19937_64 rng(options.seed * 1000003u + uint64_t(epoch));
    for (uint64_t i = n - 1; i > 0; --i)
      std::swap(order[i], order[rng() % (i + 1)]);
    auto start = std::chrono::steady_clock::now();
    double lossSum = 0;
    uint64_t skipped = 0;
    std::vector<uint8_t> before;
    if (!checking) {
      if (Status s = session.setTrainingOrder(order); !s)
        return s;
      for (uint64_t step = 0; step < stepsPerEpoch; ++step) {
        if (Status s = session.runTrainingStep(step * batch); !s)
          return s.withContext(format("epoch %d, step %llu", epoch,
                                      (unsigned long long)step + 1));
        session.setStepCounter(session.stepCounter() + 1);
        if (options.onStep)
          options.onStep(epoch, step + 1, stepsPerEpoch, std::nan(""));
      }
      Expected<double> sum = session.finishTrainingSteps();
      if (!sum)
        return sum.status().withContext(format("epoch %d", epoch));
      lossSum = *sum;
    }
    // Feeds the batch; again when a step is diagnosed, since a run may
    // overwrite its inputs in place.
    auto feed = [&] {
      Status s = session.setInput("train", layout->dataInput, inputs);
      return s ? session.setInput("train", layout->labelInput, labels) : s;
    };
    for (uint64_t step = 0; checking && step < stepsPerEpoch; ++step) {
      gather(trainSet.inputs, order, step * batch, batch, inputs);
      gather(trainSet.labels, order, step * batch, batch, labels);
      if (Status s = feed(); !s)
        return s;
      if (checking)
        before = session.snapshotPersistent();
      if (Status s = session.run("train"); !s)
        return s.withContext(format("epoch %d, step %llu", epoch,
                                    (unsigned long long)step + 1));
      session.setStepCounter(session.stepCounter() + 1);
      Expected<double> loss = readScalar(session, "train", layout->loss);
      if (!loss)
        return loss.status();
      if (checking && !std::isfinite(*loss)) {
        std::string where = format(
            "epoch %d, step %llu: the loss is %s", epoch,
            (unsigned long long)step + 1,
            std::isnan(*loss) ? "nan" : *loss > 0 ? "inf" : "-inf");
        std::string why =
            diagnose(session, before, session.stepCounter() - 1, feed);
        if (options.nonFinite == NonFinitePolicy::Stop)
          return Status::error(where + "; " + why);
        // The state before the step is back; its dropout counter stays used.
        ++skipped;
        if (options.onWarning)
          options.onWarning(where + ", step skipped; " + why);
        continue;
      }
      lossSum += *loss;
      if (options.onStep)
        options.onStep(epoch, step + 1, stepsPerEpoch,
                       lossSum / double(step + 1 - skipped));
    }
    if (skipped == stepsPerEpoch)
      return Status::error(format("epoch %d: every step's loss was not "
                                  "finite; nothing trained",
                                  epoch));
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    EpochMetrics metrics;
    metrics.epoch = epoch;
    metrics.trainLoss = lossSum / double(stepsPerEpoch - skipped);
    metrics.skippedSteps = skipped;
    metrics.seconds = seconds;
    metrics.samplesPerSecond = double(stepsPerEpoch * batch) / seconds;
    Expected<std::map<std::string, double>> test = evaluate(session, testSet);
    if (!test)
      return test.status().withContext("evaluation");
    metrics.test = *test;
    history.push_back(metrics);
    if (options.onEpoch)
      options.onEpoch(metrics);
  }
  return history;
}

} // namespace dlc::rt

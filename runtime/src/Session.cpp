//===- Session.cpp - Running a plan on a device ---------------------------===//

#include "dlc/Session.h"

#include "Backend.h"
#include "Init.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace dlc::rt {

/// What setTrainingData or setEvaluationData fixed for the steps that
/// follow.
struct Session::Batches {
  DataSet set = DataSet::Training;
  uint32_t program = 0;
  BatchStep where;
  uint64_t samples = 0; // in the data set
  uint64_t orderSize = 0;
};

Session::~Session() = default;

Expected<std::unique_ptr<Session>>
Session::create(std::shared_ptr<const Plan> plan, DeviceKind device,
                const SessionOptions &options) {
  std::unique_ptr<Session> session(new Session());
  session->plan_ = std::move(plan);
  session->device_ = device;
  if (device == DeviceKind::Cuda) {
    Expected<std::unique_ptr<Backend>> backend = createCudaBackend(
        planRoot(*session->plan_), options.ordinal, options.tf32,
        options.kernelCache);
    if (!backend)
      return backend.status();
    session->backend_ = std::move(*backend);
  } else {
    session->backend_ = createCpuBackend(planRoot(*session->plan_));
  }
  if (Status status = session->backend_->allocate(); !status)
    return status;
  writeInitialValues(planRoot(*session->plan_), *session->backend_);
  return session;
}

HostTensor Session::readTensor(uint32_t index) const {
  const plan::Tensor &tensor = *planRoot(*plan_).tensors()->Get(index);
  HostTensor value;
  value.dtype = toDType(tensor.dtype());
  value.shape = toShape(tensor.shape());
  value.data.resize(tensor.bytes());
  backend_->read(tensor.arena(), tensor.offset(), value.data.data(),
                 tensor.bytes());
  return value;
}

void Session::writeTensor(uint32_t index, const HostTensor &value) {
  const plan::Tensor &tensor = *planRoot(*plan_).tensors()->Get(index);
  backend_->write(tensor.arena(), tensor.offset(), value.data.data(),
                  tensor.bytes());
}

Status Session::loadParameters(const TensorFile &file) {
  const auto &tensors = *planRoot(*plan_).tensors();
  std::vector<std::pair<uint32_t, const HostTensor *>> updates;
  std::set<std::string> known;
  unsigned stateInFile = 0, stateInPlan = 0;
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const plan::Tensor &tensor = *tensors.Get(i);
    if (!isPersistent(tensor))
      continue;
    std::string name = tensor.name()->str();
    known.insert(name);
    bool isState = tensor.role() == plan::Role::OptimizerState;
    stateInPlan += isState;
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) {
      // Optimizer state is optional: a file of trained weights starts a new
      // optimizer.
      if (isState)
        continue;
      return Status::error("parameter '" + name + "' is missing from the file");
    }
    stateInFile += isState;
    const HostTensor &value = it->second;
    std::vector<int64_t> shape = toShape(tensor.shape());
    if (value.dtype != toDType(tensor.dtype()) || value.shape != shape)
      return Status::error(format("%s '%s' is %s%s in the file, but the "
                                  "model has %s%s",
                                  isState ? "optimizer state" : "parameter",
                                  name.c_str(), dtypeName(value.dtype),
                                  formatShape(value.shape).c_str(),
                                  dtypeName(toDType(tensor.dtype())),
                                  formatShape(shape).c_str()));
    updates.emplace_back(i, &value);
  }
  for (const auto &[name, value] : file.tensors)
    if (!known.count(name))
      return Status::error("the file has a tensor '" + name +
                           "' that the model does not");
  if (stateInFile && stateInFile != stateInPlan)
    return Status::error(format("the file holds %u of the model's %u "
                                "optimizer state tensors (all or none)",
                                stateInFile, stateInPlan));
  for (const auto &[index, value] : updates)
    writeTensor(index, *value);
  return Status::ok();
}

Status Session::setPersistent(const std::string &name,
                              const HostTensor &value) {
  const auto &tensors = *planRoot(*plan_).tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const plan::Tensor &tensor = *tensors.Get(i);
    if (!isPersistent(tensor) || tensor.name()->str() != name)
      continue;
    if (value.dtype != toDType(tensor.dtype()) ||
        value.shape != toShape(tensor.shape()))
      return Status::error(format("'%s' is %s%s, not %s%s", name.c_str(),
                                  dtypeName(toDType(tensor.dtype())),
                                  formatShape(toShape(tensor.shape())).c_str(),
                                  dtypeName(value.dtype),
                                  formatShape(value.shape).c_str()));
    writeTensor(i, value);
    return Status::ok();
  }
  return Status::error("the plan has no parameter or state '" + name + "'");
}

TensorFile Session::saveParameters(bool withOptimizerState) const {
  TensorFile file;
  const auto &tensors = *planRoot(*plan_).tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const plan::Tensor &tensor = *tensors.Get(i);
    if (!isPersistent(tensor) ||
        (tensor.role() == plan::Role::OptimizerState && !withOptimizerState))
      continue;
    file.tensors[tensor.name()->str()] = readTensor(i);
  }
  return file;
}

Expected<uint32_t> Session::program(const std::string &name) const {
  return plan_->program(name);
}

Status Session::setInput(const std::string &programName,
                         const std::string &name, const HostTensor &value) {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  const plan::Program &p = *planRoot(*plan_).programs()->Get(*index);
  for (const plan::Binding *binding : *p.inputs()) {
    if (binding->name()->str() != name)
      continue;
    const plan::Tensor &tensor =
        *planRoot(*plan_).tensors()->Get(binding->tensor());
    std::vector<int64_t> shape = toShape(tensor.shape());
    if (value.dtype != toDType(tensor.dtype()) || value.shape != shape)
      return Status::error(format("input '%s' must be %s%s, got %s%s",
                                  name.c_str(),
                                  dtypeName(toDType(tensor.dtype())),
                                  formatShape(shape).c_str(),
                                  dtypeName(value.dtype),
                                  formatShape(value.shape).c_str()));
    writeTensor(binding->tensor(), value);
    return Status::ok();
  }
  std::string known;
  for (const plan::Binding *binding : *p.inputs())
    known += (known.empty() ? "" : ", ") + binding->name()->str();
  return Status::error("the model has no input '" + name + "' (its inputs: " +
                       known + ")");
}

Status Session::run(const std::string &programName) {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  return backend_->run(*index, step_);
}

namespace {

/// `data` in `dtype`, converted element by element where it differs.
HostTensor converted(const HostTensor &data, DType dtype) {
  if (data.dtype == dtype)
    return data;
  HostTensor result;
  result.dtype = dtype;
  result.shape = data.shape;
  result.data.resize(data.numElements() * dtypeSize(dtype));
  for (uint64_t i = 0, n = data.numElements(); i < n; ++i)
    result.set(i, data.at(i));
  return result;
}

} // namespace

Expected<std::unique_ptr<Session::Batches>>
Session::prepareBatches(DataSet set, const std::string &programName,
                        const std::string &sampleInput,
                        const std::string &labelInput,
                        const std::vector<std::string> &sumOutputs,
                        const HostTensor &samples, const HostTensor &labels) {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  const plan::Plan &root = planRoot(*plan_);
  const plan::Program &p = *root.programs()->Get(*index);
  auto place = [&](uint32_t tensor) {
    const plan::Tensor &t = *root.tensors()->Get(tensor);
    return BatchStep::Place{t.arena(), t.offset(), t.bytes()};
  };
  auto batches = std::make_unique<Batches>();
  batches->set = set;
  batches->program = *index;
  BatchStep &where = batches->where;
  const plan::Tensor *sampleTensor = nullptr, *labelTensor = nullptr;
  for (const plan::Binding *binding : *p.inputs()) {
    const plan::Tensor *tensor = root.tensors()->Get(binding->tensor());
    if (binding->name()->str() == sampleInput) {
      sampleTensor = tensor;
      where.samples = place(binding->tensor());
    } else if (binding->name()->str() == labelInput) {
      labelTensor = tensor;
      where.labels = place(binding->tensor());
    }
  }
  if (!sampleTensor || !labelTensor)
    return Status::error("'" + programName + "' has no input '" + sampleInput +
                         "' and input '" + labelInput + "'");
  if (sumOutputs.size() > BatchStep::kMaxSums)
    return Status::error(format("at most %zu outputs are summed over batches",
                                BatchStep::kMaxSums));
  for (const std::string &name : sumOutputs) {
    const plan::Binding *found = nullptr;
    for (const plan::Binding *binding : *p.outputs())
      if (binding->name()->str() == name)
        found = binding;
    if (!found)
      return Status::error("'" + programName + "' has no output '" + name +
                           "'");
    const plan::Tensor &tensor = *root.tensors()->Get(found->tensor());
    if (!isFloat(toDType(tensor.dtype())) || tensor.bytes() == 0 ||
        toShape(tensor.shape()).size() != 0 ||
        (toDType(tensor.dtype()) != DType::F32 &&
         toDType(tensor.dtype()) != DType::F64))
      return Status::error("'" + name + "' is not an f32 or f64 scalar");
    where.sums.push_back({place(found->tensor()),
                          toDType(tensor.dtype()) == DType::F64});
  }
  std::vector<int64_t> shape = toShape(sampleTensor->shape());
  where.batch = shape.empty() ? 0 : uint64_t(shape[0]);
  uint64_t count = samples.shape.empty() ? 0 : uint64_t(samples.shape[0]);
  // Each sample and label must be one row of its batch tensor.
  auto fits = [&](const HostTensor &data, const plan::Tensor &tensor) {
    uint64_t elements = tensor.bytes() / dtypeSize(toDType(tensor.dtype()));
    return !data.shape.empty() && uint64_t(data.shape[0]) == count &&
           elements % where.batch == 0 &&
           data.numElements() == count * (elements / where.batch);
  };
  if (!where.batch || !count || !fits(samples, *sampleTensor) ||
      !fits(labels, *labelTensor))
    return Status::error("the samples and labels do not match the inputs '" +
                         sampleInput + "' and '" + labelInput +
                         "' row for row");
  batches->samples = count;
  if (Status s = backend_->setBatchData(
          set, converted(samples, toDType(sampleTensor->dtype())),
          converted(labels, toDType(labelTensor->dtype())));
      !s)
    return s;
  return batches;
}

Status Session::setTrainingData(const std::string &programName,
                                const std::string &sampleInput,
                                const std::string &labelInput,
                                const std::string &lossOutput,
                                const HostTensor &samples,
                                const HostTensor &labels) {
  Expected<std::unique_ptr<Batches>> batches =
      prepareBatches(DataSet::Training, programName, sampleInput, labelInput,
                     {lossOutput}, samples, labels);
  if (!batches)
    return batches.status();
  training_ = std::move(*batches);
  return Status::ok();
}

Status Session::setTrainingOrder(const std::vector<uint64_t> &order) {
  if (!training_)
    return Status::error("no training data (setTrainingData comes first)");
  for (uint64_t sample : order)
    if (sample >= training_->samples)
      return Status::error(format("sample %llu of the order is outside the "
                                  "%llu training samples",
                                  (unsigned long long)sample,
                                  (unsigned long long)training_->samples));
  training_->orderSize = order.size();
  return backend_->setBatchOrder(DataSet::Training, order);
}

Status Session::runBatch(const Batches *batches, uint64_t first) {
  if (first + batches->where.batch > batches->orderSize)
    return Status::error(batches->set == DataSet::Training
                             ? "the step's batch runs past the order's end"
                             : "the batch runs past the evaluation set's end");
  return backend_->runBatch(batches->set, batches->program, step_, first,
                            batches->where);
}

Expected<std::vector<double>> Session::finishBatches(const Batches *batches) {
  Expected<std::vector<double>> sums =
      backend_->finishBatches(batches->set, batches->program);
  if (sums)
    sums->resize(batches->where.sums.size(), 0.0);
  return sums;
}

Status Session::runTrainingStep(uint64_t first) {
  if (!training_)
    return Status::error("no training data (setTrainingData comes first)");
  return runBatch(training_.get(), first);
}

Expected<double> Session::finishTrainingSteps() {
  if (!training_)
    return Status::error("no training data (setTrainingData comes first)");
  Expected<std::vector<double>> sums = finishBatches(training_.get());
  if (!sums)
    return sums.status();
  return (*sums)[0]; // the loss's
}

Status Session::setEvaluationData(const std::string &programName,
                                  const std::string &sampleInput,
                                  const std::string &labelInput,
                                  const std::vector<std::string> &metrics,
                                  const HostTensor &samples,
                                  const HostTensor &labels) {
  Expected<std::unique_ptr<Batches>> batches =
      prepareBatches(DataSet::Evaluation, programName, sampleInput, labelInput,
                     metrics, samples, labels);
  if (!batches)
    return batches.status();
  // Evaluation goes through the set in order.
  std::vector<uint64_t> order((*batches)->samples);
  for (uint64_t i = 0; i < order.size(); ++i)
    order[i] = i;
  if (Status s = backend_->setBatchOrder(DataSet::Evaluation, order); !s)
    return s;
  (*batches)->orderSize = order.size();
  evaluation_ = std::move(*batches);
  return Status::ok();
}

Status Session::runEvaluationBatch(uint64_t first) {
  if (!evaluation_)
    return Status::error("no evaluation data (setEvaluationData comes first)");
  return runBatch(evaluation_.get(), first);
}

Expected<std::vector<double>> Session::finishEvaluation() {
  if (!evaluation_)
    return Status::error("no evaluation data (setEvaluationData comes first)");
  return finishBatches(evaluation_.get());
}

Expected<HostTensor> Session::output(const std::string &programName,
                                     const std::string &name) const {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  const plan::Program &p = *planRoot(*plan_).programs()->Get(*index);
  for (const plan::Binding *binding : *p.outputs())
    if (binding->name()->str() == name)
      return readTensor(binding->tensor());
  return Status::error("the model has no output '" + name + "'");
}

} // namespace dlc::rt

namespace dlc::rt {

namespace {

/// The first non-finite element of a float tensor.
std::optional<std::pair<uint64_t, double>> firstNonFinite(const HostTensor &t) {
  if (!isFloat(t.dtype))
    return std::nullopt;
  for (uint64_t i = 0, n = t.numElements(); i < n; ++i)
    if (double v = t.at(i); !std::isfinite(v))
      return std::make_pair(i, v);
  return std::nullopt;
}

} // namespace

std::string Session::NonFinite::describe() const {
  std::string text = std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf";
  if (where.rfind("step ", 0) == 0)
    return format("the first non-finite value is '%s' element %llu (%s), "
                  "written by %s",
                  tensor.c_str(), (unsigned long long)index, text.c_str(),
                  where.c_str());
  return format("%s is not finite (element %llu is %s)", where.c_str(),
                (unsigned long long)index, text.c_str());
}

Expected<std::vector<Session::StepTime>>
Session::profile(const std::string &programName, unsigned repeats) {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  const plan::Plan &root = planRoot(*plan_);
  const plan::Program &p = *root.programs()->Get(*index);
  // A run may reuse its inputs' memory for later values: each run gets
  // them back.
  std::vector<std::pair<uint32_t, HostTensor>> inputs;
  for (const plan::Binding *binding : *p.inputs())
    inputs.emplace_back(binding->tensor(), readTensor(binding->tensor()));
  uint32_t count = p.steps()->size();
  std::vector<std::vector<double>> samples(count);
  for (unsigned run = 0; run < std::max(repeats, 1u); ++run) {
    for (const auto &[tensor, value] : inputs)
      writeTensor(tensor, value);
    Expected<std::vector<double>> seconds = backend_->timeSteps(*index, step_);
    if (!seconds)
      return seconds.status();
    for (uint32_t i = 0; i < count && i < seconds->size(); ++i)
      samples[i].push_back((*seconds)[i]);
  }
  std::vector<StepTime> steps;
  for (uint32_t i = 0; i < count; ++i) {
    const plan::Step &step = *p.steps()->Get(i);
    std::vector<double> &times = samples[i];
    std::sort(times.begin(), times.end());
    steps.push_back({stepName(step),
                     step.location() ? step.location()->str() : "",
                     step.flops(), times.empty() ? 0.0 : times[times.size() / 2]});
  }
  return steps;
}

Expected<std::optional<Session::NonFinite>>
Session::findNonFinite(const std::string &programName) {
  Expected<uint32_t> index = program(programName);
  if (!index)
    return index.status();
  const plan::Plan &root = planRoot(*plan_);
  const plan::Program &p = *root.programs()->Get(*index);
  std::optional<NonFinite> found;
  auto check = [&](uint32_t tensor, const std::string &where) {
    if (auto bad = firstNonFinite(readTensor(tensor)))
      found = NonFinite{where, root.tensors()->Get(tensor)->name()->str(),
                        bad->first, bad->second};
    return !found;
  };
  for (const plan::Binding *input : *p.inputs())
    if (!check(input->tensor(), "input '" + input->name()->str() + "'"))
      return found;
  const auto &tensors = *root.tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (isPersistent(*tensors.Get(i)) &&
        !check(i, std::string(roleName(tensors.Get(i)->role())) + " '" +
                      tensors.Get(i)->name()->str() + "'"))
      return found;
  Status status = backend_->runStepwise(*index, step_, [&](uint32_t s) {
    const plan::Step &step = *p.steps()->Get(s);
    for (uint32_t tensor : stepWrites(step))
      if (!check(tensor, stepLabel(step, s)))
        return false;
    return true;
  });
  if (!status)
    return status;
  return found;
}

/// The parameter arena holds every persistent tensor and nothing else.
static int32_t parameterArena(const plan::Plan &root) {
  for (uint32_t i = 0; i < root.arenas()->size(); ++i)
    if (root.arenas()->Get(i)->kind() == plan::ArenaKind::Parameters)
      return int32_t(i);
  return -1;
}

std::vector<uint8_t> Session::snapshotPersistent() const {
  const plan::Plan &root = planRoot(*plan_);
  int32_t arena = parameterArena(root);
  if (arena < 0)
    return {};
  std::vector<uint8_t> bytes(root.arenas()->Get(arena)->size());
  backend_->read(arena, 0, bytes.data(), bytes.size());
  return bytes;
}

void Session::restorePersistent(const std::vector<uint8_t> &snapshot) {
  int32_t arena = parameterArena(planRoot(*plan_));
  if (arena >= 0)
    backend_->write(arena, 0, snapshot.data(), snapshot.size());
}

} // namespace dlc::rt

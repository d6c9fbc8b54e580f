//===- Session.cpp - Running a plan on a device ---------------------------===//

#include "dlc/Session.h"

#include "Backend.h"
#include "Init.h"

#include <set>

namespace dlc::rt {

Session::~Session() = default;

static bool isPersistent(const plan::Tensor &tensor) {
  return tensor.alias_of() < 0 && (tensor.role() == plan::Role::Parameter ||
                                   tensor.role() == plan::Role::Buffer ||
                                   tensor.role() == plan::Role::OptimizerState);
}

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
  const auto &tensors = *planRoot(*session->plan_).tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i)
    if (isPersistent(*tensors.Get(i)))
      session->writeTensor(i, initialValue(*tensors.Get(i)));
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

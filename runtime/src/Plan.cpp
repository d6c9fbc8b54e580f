//===- Plan.cpp - Loading plans -------------------------------------------===//

#include "PlanAccess.h"
#include "dlc/Npy.h"

namespace dlc::rt {

Expected<std::shared_ptr<const Plan>> Plan::load(const std::string &path) {
  Expected<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes)
    return bytes.status();
  return fromBytes(std::move(*bytes), path);
}

Expected<std::shared_ptr<const Plan>>
Plan::fromBytes(std::vector<uint8_t> bytes, const std::string &origin) {
  auto fail = [&](const std::string &what) {
    return Status::error(origin + ": not a valid plan: " + what);
  };
  if (bytes.size() < 12)
    return fail("the file is too short");
  // A plan starts with its own length, so a truncated file is always caught
  // (FlatBuffers alone cannot tell a cut-off end that held only padding).
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), plan::PlanIdentifier(),
                                        /*size_prefixed=*/true)) {
    if (flatbuffers::BufferHasIdentifier(bytes.data(), plan::PlanIdentifier()))
      return fail(format("format version 1 (no length prefix), but this dlrun "
                         "reads version %u (recompile the model with a "
                         "matching dlc)",
                         kPlanFormatVersion));
    return fail("no plan identifier 'DLCP' (is this a file dlc wrote?)");
  }
  uint32_t length = flatbuffers::ReadScalar<flatbuffers::uoffset_t>(bytes.data());
  if (uint64_t(length) + sizeof(flatbuffers::uoffset_t) != bytes.size())
    return fail(format("the plan says it has %llu bytes, the file has %llu "
                       "(truncated or extended)",
                       (unsigned long long)length + 4,
                       (unsigned long long)bytes.size()));
  // The verifier bounds-checks every offset before anything is read.
  flatbuffers::Verifier::Options options;
  options.max_depth = 64;
  options.max_tables = 10'000'000;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), options);
  if (!plan::VerifySizePrefixedPlanBuffer(verifier))
    return fail("the FlatBuffers verifier rejects it (truncated or corrupt)");
  const plan::Plan *root = plan::GetSizePrefixedPlan(bytes.data());
  if (root->format_version() != kPlanFormatVersion)
    return fail(format("format version %u, but this dlrun reads version %u "
                       "(recompile the model with a matching dlc)",
                       root->format_version(), kPlanFormatVersion));
  if (Status status = checkPlan(*root); !status)
    return fail(status.message());
  std::shared_ptr<Plan> result(new Plan());
  result->bytes_ = std::move(bytes);
  result->root_ = plan::GetSizePrefixedPlan(result->bytes_.data());
  result->origin_ = origin;
  return std::shared_ptr<const Plan>(std::move(result));
}

std::optional<uint32_t> Plan::findProgram(const std::string &name) const {
  const auto *programs = planRoot(*this).programs();
  for (uint32_t i = 0; i < programs->size(); ++i)
    if (programs->Get(i)->name()->str() == name)
      return i;
  return std::nullopt;
}

Expected<uint32_t> Plan::program(const std::string &name) const {
  if (std::optional<uint32_t> index = findProgram(name))
    return *index;
  std::string known;
  for (const std::string &program : programNames())
    known += (known.empty() ? "" : ", ") + program;
  return Status::error("the plan has no program '" + name + "' (it has " +
                       known + ")");
}

std::vector<std::string> Plan::programNames() const {
  std::vector<std::string> names;
  for (const plan::Program *program : *planRoot(*this).programs())
    names.push_back(program->name()->str());
  return names;
}

static std::vector<std::string>
bindingNames(const Plan &plan, const std::string &program, bool inputs) {
  std::vector<std::string> names;
  std::optional<uint32_t> index = plan.findProgram(program);
  if (!index)
    return names;
  const plan::Program *p = planRoot(plan).programs()->Get(*index);
  for (const plan::Binding *binding : *(inputs ? p->inputs() : p->outputs()))
    names.push_back(binding->name()->str());
  return names;
}

static std::vector<int64_t> bindingShape(const Plan &plan,
                                         const std::string &program,
                                         const std::string &name, bool inputs) {
  std::optional<uint32_t> index = plan.findProgram(program);
  if (!index)
    return {};
  const plan::Program *p = planRoot(plan).programs()->Get(*index);
  for (const plan::Binding *binding : *(inputs ? p->inputs() : p->outputs()))
    if (binding->name()->str() == name)
      return toShape(planRoot(plan).tensors()->Get(binding->tensor())->shape());
  return {};
}

std::vector<int64_t> Plan::inputShape(const std::string &program,
                                      const std::string &name) const {
  return bindingShape(*this, program, name, true);
}

std::vector<int64_t> Plan::outputShape(const std::string &program,
                                       const std::string &name) const {
  return bindingShape(*this, program, name, false);
}

std::vector<std::string> Plan::inputNames(const std::string &program) const {
  return bindingNames(*this, program, true);
}

std::vector<std::string> Plan::outputNames(const std::string &program) const {
  return bindingNames(*this, program, false);
}

} // namespace dlc::rt

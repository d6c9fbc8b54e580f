//===- PlanWriter.cpp - Tensors, arenas and programs of a plan ------------===//

#include "compiler/codegen/PlanWriterImpl.h"
#include "compiler/codegen/cuda/CudaEmitter.h"
#include "dlc/Plan.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <cmath>

using namespace mlir;

namespace dlc {

static constexpr uint64_t kAlignment = 256;

static uint64_t alignUp(uint64_t value) {
  return (value + kAlignment - 1) / kAlignment * kAlignment;
}

plan::DType toPlanDType(Type type) {
  if (type.isF32())
    return plan::DType::F32;
  if (type.isF64())
    return plan::DType::F64;
  if (type.isF16())
    return plan::DType::F16;
  if (type.isBF16())
    return plan::DType::BF16;
  if (type.isInteger(32))
    return plan::DType::I32;
  if (type.isInteger(64))
    return plan::DType::I64;
  return plan::DType::Bool;
}

uint64_t elementBytes(plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F64:
  case plan::DType::I64:
    return 8;
  case plan::DType::F32:
  case plan::DType::I32:
    return 4;
  case plan::DType::F16:
  case plan::DType::BF16:
    return 2;
  case plan::DType::Bool:
    return 1;
  }
  return 1;
}

std::string formatLocation(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return formatLocation(fused.getLocations().front());
  if (auto named = dyn_cast<NameLoc>(loc)) {
    // ONNX nodes have no source line: name the node in its model.
    auto file = dyn_cast<FileLineColLoc>(named.getChildLoc());
    if (file && file.getLine() == 0)
      return llvm::formatv("{0} node '{1}'", file.getFilename().getValue(),
                           named.getName().getValue())
          .str();
    return formatLocation(named.getChildLoc());
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                         file.getLine(), file.getColumn())
        .str();
  return "";
}

/// Fan-in and fan-out the way the initializers define them: `[in, out]` for
/// a dense weight, `[O, I, k...]` for a convolution weight.
static std::pair<double, double> fans(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2)
    return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (int64_t d : shape.drop_front(2))
    receptive *= double(d);
  return {double(shape[1]) * receptive, double(shape[0]) * receptive};
}

/// Resolves a #dl.init to the four kinds the runtime draws from.
static void resolveInit(dl::InitAttr init, ArrayRef<int64_t> shape,
                        TensorRecord &record) {
  record.hasInit = true;
  record.initSeed = init.getSeed();
  ArrayRef<double> args = init.getArgs() ? init.getArgs().asArrayRef()
                                         : ArrayRef<double>();
  auto [fanIn, fanOut] = fans(shape);
  auto set = [&](plan::InitKind kind, double a, double b) {
    record.initKind = kind;
    record.initA = a;
    record.initB = b;
  };
  switch (init.getKind()) {
  case dl::InitKind::Zeros:
    return set(plan::InitKind::Zeros, 0, 0);
  case dl::InitKind::Ones:
    return set(plan::InitKind::Constant, 1, 0);
  case dl::InitKind::Constant:
    return set(plan::InitKind::Constant, args.empty() ? 0 : args[0], 0);
  case dl::InitKind::Normal:
    return set(plan::InitKind::Normal, args.size() > 0 ? args[0] : 0,
               args.size() > 1 ? args[1] : 1);
  case dl::InitKind::Uniform:
    return set(plan::InitKind::Uniform, args.size() > 0 ? args[0] : 0,
               args.size() > 1 ? args[1] : 1);
  case dl::InitKind::XavierUniform: {
    double bound = std::sqrt(6.0 / (fanIn + fanOut));
    return set(plan::InitKind::Uniform, -bound, bound);
  }
  case dl::InitKind::XavierNormal:
    return set(plan::InitKind::Normal, 0, std::sqrt(2.0 / (fanIn + fanOut)));
  case dl::InitKind::KaimingUniform: {
    double bound = std::sqrt(6.0 / fanIn);
    return set(plan::InitKind::Uniform, -bound, bound);
  }
  case dl::InitKind::KaimingNormal:
    return set(plan::InitKind::Normal, 0, std::sqrt(2.0 / fanIn));
  }
}

/// The runtime's name for a plan dtype.
static rt::DType runtimeDType(plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F32: return rt::DType::F32;
  case plan::DType::F64: return rt::DType::F64;
  case plan::DType::F16: return rt::DType::F16;
  case plan::DType::BF16: return rt::DType::BF16;
  case plan::DType::I32: return rt::DType::I32;
  case plan::DType::I64: return rt::DType::I64;
  case plan::DType::Bool: return rt::DType::Bool;
  }
  return rt::DType::F32;
}

/// Little-endian bytes of a constant, element by element.
static std::vector<uint8_t> constantBytes(DenseElementsAttr attr,
                                          uint64_t elementSize) {
  std::vector<uint8_t> bytes;
  auto put = [&](const llvm::APInt &bits) {
    for (uint64_t i = 0; i < elementSize; ++i)
      bytes.push_back(
          static_cast<uint8_t>(bits.extractBitsAsZExtValue(8, i * 8)));
  };
  Type element = attr.getElementType();
  if (element.isInteger(1)) {
    for (bool value : attr.getValues<bool>())
      bytes.push_back(value ? 1 : 0);
  } else if (isa<FloatType>(element)) {
    for (const llvm::APFloat &value : attr.getValues<llvm::APFloat>())
      put(value.bitcastToAPInt());
  } else {
    for (const llvm::APInt &value : attr.getValues<llvm::APInt>())
      put(value);
  }
  return bytes;
}

static llvm::json::Value toJson(Attribute attr) {
  if (auto dict = dyn_cast<DictionaryAttr>(attr)) {
    llvm::json::Object object;
    for (NamedAttribute entry : dict)
      object[entry.getName().getValue()] = toJson(entry.getValue());
    return object;
  }
  if (auto array = dyn_cast<ArrayAttr>(attr)) {
    llvm::json::Array list;
    for (Attribute element : array)
      list.push_back(toJson(element));
    return list;
  }
  if (auto string = dyn_cast<StringAttr>(attr))
    return string.getValue().str();
  if (auto number = dyn_cast<FloatAttr>(attr))
    return number.getValueAsDouble();
  if (auto boolean = dyn_cast<BoolAttr>(attr))
    return boolean.getValue();
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return integer.getInt();
  return nullptr;
}

/// The plan's bytes; with `kernels`, each kernel step names its CUDA kernel
/// and the plan carries their sources.
static FailureOr<std::vector<uint8_t>>
buildPlan(ModuleOp module, ArrayRef<PlanProgram> programs,
          const PlanOptions &options, const cuda::PlanKernels *kernels) {
  fb::FlatBufferBuilder fbb;
  std::vector<TensorRecord> tensors;
  llvm::StringMap<uint32_t> params;

  // Kernel sources first: FlatBuffers fills the buffer from the back, so the
  // bulky text ends up last and the tables a loader checks come first.
  std::vector<fb::Offset<plan::KernelSource>> sources;
  if (kernels)
    for (const cuda::EmittedKernel &kernel : kernels->kernels)
      sources.push_back(plan::CreateKernelSourceDirect(
          fbb, kernel.name.c_str(), kernel.source.c_str()));

  // Parameters, buffers and optimizer state, one after the other.
  uint64_t paramBytes = 0;
  for (auto param : module.getOps<dl::ParamOp>()) {
    RankedTensorType type = param.getTensorType();
    TensorRecord record;
    record.name = param.getSymName().str();
    record.dtype = toPlanDType(type.getElementType());
    record.shape.assign(type.getShape().begin(), type.getShape().end());
    switch (param.getRole()) {
    case dl::ParamRole::Parameter:
      record.role = plan::Role::Parameter;
      break;
    case dl::ParamRole::Buffer:
      record.role = plan::Role::Buffer;
      break;
    case dl::ParamRole::OptimizerState:
      record.role = plan::Role::OptimizerState;
      break;
    }
    record.arena = kParameters;
    record.offset = paramBytes;
    record.bytes = type.getNumElements() * elementBytes(record.dtype);
    paramBytes += alignUp(record.bytes);
    if (dl::InitAttr init = param.getInitAttr()) {
      resolveInit(init, type.getShape(), record);
    } else {
      auto value = dyn_cast<DenseElementsAttr>(param.getValueAttr());
      if (!value)
        return param.emitError("the plan stores dense parameter values only");
      record.hasInit = true;
      record.initKind = plan::InitKind::Data;
      record.initData = constantBytes(value, elementBytes(record.dtype));
      if (options.externalValues) {
        rt::HostTensor external;
        external.dtype = runtimeDType(record.dtype);
        external.shape = record.shape;
        external.data = std::move(record.initData);
        options.externalValues->tensors[record.name] = std::move(external);
        record.initData.clear();
        record.initKind = plan::InitKind::Zeros;
      }
    }
    params[record.name] = tensors.size();
    tensors.push_back(std::move(record));
  }

  // Constants go into the image of their arena, each once.
  std::vector<uint8_t> constantImage;
  llvm::DenseMap<Attribute, uint32_t> constants;
  auto constant = [&](dl::ConstantOp op) -> uint32_t {
    auto value = cast<DenseElementsAttr>(op.getValue());
    auto it = constants.find(value);
    if (it != constants.end())
      return it->second;
    auto type = cast<RankedTensorType>(value.getType());
    TensorRecord record;
    record.name = llvm::formatv("constant.{0}", constants.size()).str();
    record.dtype = toPlanDType(type.getElementType());
    record.shape.assign(type.getShape().begin(), type.getShape().end());
    record.role = plan::Role::Constant;
    record.arena = kConstants;
    record.offset = constantImage.size();
    std::vector<uint8_t> bytes =
        constantBytes(value, elementBytes(record.dtype));
    record.bytes = bytes.size();
    constantImage.insert(constantImage.end(), bytes.begin(), bytes.end());
    constantImage.resize(alignUp(constantImage.size()), 0);
    uint32_t index = tensors.size();
    tensors.push_back(std::move(record));
    constants[value] = index;
    return index;
  };
  for (PlanProgram program : programs)
    for (auto op : program.func.getOps<dl::ConstantOp>())
      if (!isa<DenseElementsAttr>(op.getValue()))
        return op.emitError("a plan holds dense constants only"), failure();

  // The programs share the activation arena: they never run at once.
  uint64_t activationBytes = 0, activationNaive = 0;
  std::vector<fb::Offset<plan::Program>> programOffsets;
  for (const PlanProgram &program : programs) {
    func::FuncOp func = program.func;
    auto size = func->getAttrOfType<IntegerAttr>("dl.arena_size");
    auto naive = func->getAttrOfType<IntegerAttr>("dl.naive_size");
    if (!size || !naive)
      return func.emitError("the function has no memory plan "
                            "(run dl-plan-memory first)"),
             failure();
    activationBytes = std::max<uint64_t>(activationBytes, size.getInt());
    activationNaive = std::max<uint64_t>(activationNaive, naive.getInt());

    ProgramLowering lowering(fbb, tensors, params, constant);
    if (kernels)
      lowering.stepKernels = &kernels->stepKernel[programOffsets.size()];
    lowering.kernels = kernels;
    lowering.groupKernels = options.groupKernels;
    if (failed(lowering.lower(func)))
      return failure();
    auto bindings = [&](const std::vector<std::pair<std::string, uint32_t>>
                            &list) {
      std::vector<fb::Offset<plan::Binding>> result;
      for (const auto &[name, tensor] : list)
        result.push_back(
            plan::CreateBindingDirect(fbb, name.c_str(), tensor));
      return result;
    };
    auto inputs = bindings(lowering.inputs);
    auto outputs = bindings(lowering.outputs);
    uint32_t launches = lowering.steps.size();
    programOffsets.push_back(plan::CreateProgramDirect(
        fbb, program.name.c_str(), &inputs, &outputs, &lowering.steps,
        lowering.flops, launches));
  }

  std::vector<fb::Offset<plan::Tensor>> tensorOffsets;
  for (const TensorRecord &record : tensors) {
    fb::Offset<plan::Init> init = 0;
    if (record.hasInit)
      init = plan::CreateInitDirect(
          fbb, record.initKind, record.initA, record.initB, record.initSeed,
          record.initData.empty() ? nullptr : &record.initData);
    tensorOffsets.push_back(plan::CreateTensorDirect(
        fbb, record.name.c_str(), record.dtype, &record.shape, record.role,
        record.arena, record.offset, record.bytes, init, record.aliasOf));
  }

  std::vector<fb::Offset<plan::Arena>> arenas = {
      plan::CreateArenaDirect(fbb, "activations", plan::ArenaKind::Activations,
                              activationBytes, activationNaive, kAlignment),
      plan::CreateArenaDirect(fbb, "parameters", plan::ArenaKind::Parameters,
                              paramBytes, paramBytes, kAlignment),
      plan::CreateArenaDirect(fbb, "constants", plan::ArenaKind::Constants,
                              constantImage.size(), constantImage.size(),
                              kAlignment, &constantImage),
  };

  std::string trainConfig;
  if (auto train = module->getAttrOfType<DictionaryAttr>("dl.train"))
    trainConfig = llvm::formatv("{0}", toJson(train)).str();
  int64_t batch = 0;
  if (auto attr = module->getAttrOfType<IntegerAttr>("dl.batch"))
    batch = attr.getInt();
  std::string model = module.getSymName() ? module.getSymName()->str() : "";
  auto metadata = plan::CreateMetadataDirect(
      fbb, model.c_str(), batch, "dlc 0.1.0",
      trainConfig.empty() ? nullptr : trainConfig.c_str());
  auto root = plan::CreatePlanDirect(fbb, rt::kPlanFormatVersion, metadata, &arenas,
                                     &tensorOffsets, &programOffsets,
                                     &sources);
  plan::FinishSizePrefixedPlanBuffer(fbb, root);
  return std::vector<uint8_t>(fbb.GetBufferPointer(),
                              fbb.GetBufferPointer() + fbb.GetSize());
}

FailureOr<std::vector<PlanProgram>> planPrograms(ModuleOp module,
                                                 dl::PlanKind kind) {
  std::vector<std::pair<const char *, const char *>> names; // program, func
  switch (kind) {
  case dl::PlanKind::Training:
    names = {{"train", "train"}, {"eval", "forward"}, {"inference", "inference"}};
    break;
  case dl::PlanKind::Gradients:
    names = {{"gradients", "train"}};
    break;
  case dl::PlanKind::Inference:
    names = {{"inference", "forward"}};
    break;
  }
  std::vector<PlanProgram> programs;
  for (auto [program, function] : names) {
    auto func = module.lookupSymbol<func::FuncOp>(function);
    if (!func)
      return module.emitError("the module has no function @") << function,
             failure();
    programs.push_back({program, func});
  }
  return programs;
}

// The CUDA emitter reads the plan's own tables, which exist only once the
// plan is built: a first build without kernels feeds it, a second one (the
// same lowering, so the same tensors and steps) records what it emitted.
FailureOr<std::vector<uint8_t>>
writePlan(ModuleOp module, ArrayRef<PlanProgram> programs,
          const PlanOptions &options) {
  FailureOr<std::vector<uint8_t>> draft =
      buildPlan(module, programs, options, nullptr);
  if (failed(draft))
    return failure();
  cuda::PlanKernels kernels;
  std::string error;
  if (!cuda::emitPlanKernels(*plan::GetSizePrefixedPlan(draft->data()), kernels, error))
    return module.emitError("CUDA code generation: ") << error, failure();
  return buildPlan(module, programs, options, &kernels);
}

} // namespace dlc

//===- Importer.cpp - An ONNX graph into a dl function --------------------===//
//
// Walks the graph once in its (topological) node order. Each node goes
// through its op's converter; a node that cannot be converted is recorded
// and its outputs are marked poisoned, so that the nodes reading them are
// skipped quietly and the user gets one list of every unsupported node
// before any compilation starts.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImport.h"
#include "frontends/onnx/Importer.h"
#include "frontends/onnx/Schema.h"

#include "dlc/Npy.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>

using namespace mlir;
using namespace dlc::onnx;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

bool dlc::onnx::isIndexLike(Type type) {
  return isa<IntegerType>(type) && !type.isInteger(1);
}

SmallVector<int64_t> dlc::onnx::intsOf(DenseElementsAttr value) {
  SmallVector<int64_t> result;
  for (const APInt &v : value.getValues<APInt>())
    result.push_back(v.getSExtValue());
  return result;
}

DenseElementsAttr NodeContext::constant(unsigned i) const {
  if (!has(i))
    return nullptr;
  if (auto c = in(i).getDefiningOp<dl::ConstantOp>())
    return dyn_cast<DenseElementsAttr>(c.getValue());
  return nullptr;
}

/// The error for an input that must be known at compile time; suggests
/// binding it when it is a graph input.
static void reportNotConstant(NodeContext &ctx, unsigned i, StringRef what) {
  if (!ctx.has(i)) {
    ctx.error() << what << " (input " << i << ") is missing";
    return;
  }
  auto diag = ctx.error() << what << " (input '" << ctx.node.input(i)
                          << "') must be known at compile time";
  if (isa<BlockArgument>(ctx.in(i))) {
    diag << ": make it an initializer, or give its value with --input-value "
         << ctx.node.input(i) << "=FILE";
    return;
  }
  diag << ", but it is computed from run-time data";
  // Name the integer graph inputs it is computed from (shape arithmetic
  // reads them): known values for those make it a constant.
  SmallVector<std::string> sources;
  SmallVector<Value> work{ctx.in(i)};
  llvm::DenseSet<Value> seen;
  while (!work.empty() && seen.size() < 10000) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto name = dyn_cast<NameLoc>(arg.getLoc());
      Type elt = cast<RankedTensorType>(arg.getType()).getElementType();
      if (name && isIndexLike(elt))
        sources.push_back(name.getName().str());
      continue;
    }
    if (Operation *op = v.getDefiningOp())
      work.append(op->operand_begin(), op->operand_end());
  }
  llvm::sort(sources);
  for (const std::string &source : sources)
    diag << "; give input '" << source << "' with --input-value " << source
         << "=FILE";
}

FailureOr<SmallVector<int64_t>> NodeContext::ints(unsigned i, StringRef what) {
  DenseElementsAttr value = constant(i);
  if (!value) {
    reportNotConstant(*this, i, what);
    return failure();
  }
  if (!isIndexLike(value.getElementType())) {
    error() << what << " must be integers";
    return failure();
  }
  return intsOf(value);
}

FailureOr<SmallVector<double>> NodeContext::numbers(unsigned i,
                                                    StringRef what) {
  DenseElementsAttr value = constant(i);
  if (!value) {
    reportNotConstant(*this, i, what);
    return failure();
  }
  SmallVector<double> values;
  if (isa<FloatType>(value.getElementType())) {
    for (const APFloat &v : value.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else if (isIndexLike(value.getElementType())) {
    for (int64_t v : intsOf(value))
      values.push_back(double(v));
  } else {
    error() << what << " must be numbers";
    return failure();
  }
  return values;
}

LogicalResult NodeContext::optionalInts(unsigned i, StringRef what,
                                        SmallVectorImpl<int64_t> &values) {
  if (!has(i))
    return success();
  auto read = ints(i, what);
  if (failed(read))
    return failure();
  values.assign(read->begin(), read->end());
  return success();
}

FailureOr<double> NodeContext::scalar(unsigned i, StringRef what) {
  DenseElementsAttr value = constant(i);
  if (!value) {
    reportNotConstant(*this, i, what);
    return failure();
  }
  if (value.getNumElements() != 1) {
    error() << what << " must have one element, it has "
            << value.getNumElements();
    return failure();
  }
  Type t = value.getElementType();
  if (isa<FloatType>(t))
    return (*value.getValues<APFloat>().begin()).convertToDouble();
  APInt v = *value.getValues<APInt>().begin();
  return t.isInteger(1) ? double(v.getZExtValue()) : double(v.getSExtValue());
}

const ::onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::getInt(StringRef name, int64_t otherwise) const {
  const auto *a = attr(name);
  return a ? a->i() : otherwise;
}

double NodeContext::getFloat(StringRef name, double otherwise) const {
  const auto *a = attr(name);
  return a ? a->f() : otherwise;
}

std::string NodeContext::getString(StringRef name, StringRef otherwise) const {
  const auto *a = attr(name);
  return a ? a->s() : otherwise.str();
}

std::optional<SmallVector<int64_t>>
NodeContext::getInts(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<SmallVector<float>> NodeContext::getFloats(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<float>(a->floats().begin(), a->floats().end());
}

Value NodeContext::constantOf(DenseElementsAttr value) {
  return dl::ConstantOp::create(b, loc, value);
}

Value NodeContext::intConstant(ArrayRef<int64_t> shape, Type elementType,
                               ArrayRef<int64_t> values) {
  SmallVector<APInt> bits;
  for (int64_t v : values)
    bits.emplace_back(elementType.getIntOrFloatBitWidth(), v,
                      /*isSigned=*/true);
  return constantOf(DenseElementsAttr::get(
      RankedTensorType::get(shape, elementType), bits));
}

Value NodeContext::floatConstant(ArrayRef<int64_t> shape, FloatType type,
                                 ArrayRef<double> values) {
  SmallVector<APFloat> elements;
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    elements.push_back(f);
  }
  return constantOf(
      DenseElementsAttr::get(RankedTensorType::get(shape, type), elements));
}

Value dlc::onnx::wrapIndices(NodeContext &ctx, Value idx, int64_t dim) {
  if (!idx)
    return idx;
  Type type = cast<RankedTensorType>(idx.getType()).getElementType();
  Value negative = ctx.make<dl::CompareOp>(dl::CompareDirection::LT, idx,
                                           ctx.scalarOf(type, 0));
  return ctx.make<dl::SelectOp>(
      negative, ctx.make<dl::AddOp>(idx, ctx.scalarOf(type, double(dim))), idx);
}

/// A splat of `value` in `type`'s element type.
static DenseElementsAttr splatOf(RankedTensorType type, double value) {
  Type t = type.getElementType();
  if (auto f = dyn_cast<FloatType>(t)) {
    APFloat v(value);
    bool lost;
    v.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return DenseElementsAttr::get(type, v);
  }
  if (t.isInteger(1))
    return DenseElementsAttr::get(type, value != 0);
  return DenseElementsAttr::get(
      type, APInt(t.getIntOrFloatBitWidth(), static_cast<int64_t>(value),
                  /*isSigned=*/true));
}

Value NodeContext::scalarOf(Type elementType, double value) {
  return constantOf(splatOf(RankedTensorType::get({}, elementType), value));
}

Value NodeContext::iota(ArrayRef<int64_t> shape, int64_t dimension,
                         Type elementType) {
  if (!elementType)
    elementType = b.getIntegerType(64);
  return dl::IotaOp::create(b, loc, RankedTensorType::get(shape, elementType),
                            b.getI64IntegerAttr(dimension));
}

Value NodeContext::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto result = RankedTensorType::get(shape, type.getElementType());
  // Integer constants stay constants, so shape computations keep folding.
  // Float ones (weights) stay ops until canonicalization: an initializer
  // that becomes a parameter must keep its uses.
  if (auto c = value.getDefiningOp<dl::ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        dense && !isa<FloatType>(type.getElementType()))
      return constantOf(dense.reshape(result));
  return dl::ReshapeOp::create(b, loc, result, value);
}

Value NodeContext::castTo(Value value, Type elementType) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  // Integer constants (shape pieces) convert here and stay constants.
  if (auto c = value.getDefiningOp<dl::ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        dense && isIndexLike(type.getElementType()) &&
        isIndexLike(elementType)) {
      unsigned bits = elementType.getIntOrFloatBitWidth();
      SmallVector<APInt> values;
      for (const APInt &v : dense.getValues<APInt>())
        values.push_back(v.sextOrTrunc(bits));
      return constantOf(DenseElementsAttr::get(type.clone(elementType), values));
    }
  return dl::CastOp::create(b, loc, type.clone(elementType), value);
}

Value NodeContext::broadcastTo(Value value, ArrayRef<int64_t> shape) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return dl::BroadcastToOp::create(b, loc, type.clone(shape), value);
}

FailureOr<int64_t> NodeContext::axis(int64_t axis, int64_t rank,
                                     StringRef what) {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= std::max<int64_t>(rank, 1)) {
    error() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return normalized;
}

//===----------------------------------------------------------------------===//
// ConverterTable
//===----------------------------------------------------------------------===//

void ConverterTable::add(StringRef opType, int64_t sinceVersion,
                         Converter convert) {
  auto &entries = table[opType];
  entries.emplace_back(sinceVersion, convert);
  llvm::sort(entries, [](const auto &x, const auto &y) {
    return x.first < y.first;
  });
}

Converter ConverterTable::lookup(StringRef opType, int64_t opset) const {
  auto it = table.find(opType);
  if (it == table.end())
    return nullptr;
  Converter found = nullptr;
  for (const auto &[since, convert] : it->second)
    if (since <= opset)
      found = convert;
  return found;
}

std::vector<std::pair<std::string, int64_t>> ConverterTable::entries() const {
  std::vector<std::pair<std::string, int64_t>> result;
  for (const auto &entry : table)
    for (const auto &version : entry.second)
      result.emplace_back(entry.first().str(), version.first);
  llvm::sort(result);
  return result;
}

const ConverterTable &dlc::onnx::converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    registerElementwiseOps(t);
    registerReductionOps(t);
    registerNNOps(t);
    registerShapeOps(t);
    registerLossOps(t);
    registerIndexOps(t);
    registerResampleOps(t);
    registerEinsumOps(t);
    registerRecurrentOps(t);
    registerScatterOps(t);
    return t;
  }();
  return table;
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, StringRef path,
                const ImportOptions &options)
      : context(context), builder(&context), path(path.str()),
        modelDir(llvm::sys::path::parent_path(path).str()), options(options) {}

  OwningOpRef<ModuleOp> run();

private:
  bool readModel();
  Location fileLoc() { return FileLineColLoc::get(&context, path, 0, 0); }
  void problem(const Twine &message) { problems.push_back(message.str()); }
  bool importInputs(func::FuncOp func, Block *body);
  void importNode(const ::onnx::NodeProto &node, int index);
  void importIf(const ::onnx::NodeProto &node, int index, Value condition,
                const std::string &where);
  LogicalResult readInputValue(StringRef name, StringRef file,
                               DenseElementsAttr &value);
  void makeParams(ModuleOp module, func::FuncOp func);

  MLIRContext &context;
  OpBuilder builder;
  std::string path, modelDir;
  const ImportOptions &options;
  ::onnx::ModelProto model;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  /// The constants made from initializers, by name, in the graph's order.
  llvm::MapVector<StringRef, dl::ConstantOp> initializerOps;
  llvm::StringSet<> poisoned;
  std::vector<std::string> problems;
};

} // namespace

bool GraphImporter::readModel() {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    llvm::errs() << "dlc: error: cannot read '" << path
                 << "': " << file.getError().message() << "\n";
    return false;
  }
  if ((*file)->getBufferSize() > INT_MAX) {
    llvm::errs() << path << ": error: the model is over 2 GiB; keep large "
                    "tensors as external data beside it\n";
    return false;
  }
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>((*file)->getBufferStart()),
      static_cast<int>((*file)->getBufferSize()));
  stream.SetRecursionLimit(64);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    llvm::errs() << path << ": error: not an ONNX model (the protobuf does "
                            "not parse as a ModelProto)\n";
    return false;
  }
  if (!model.has_graph()) {
    llvm::errs() << path << ": error: the model has no graph\n";
    return false;
  }
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  if (opset == 0) {
    // IR version 2 and older models predate opset_import and mean opset 1.
    if (model.opset_import_size() == 0 && model.ir_version() <= 2)
      opset = 1;
    else {
      llvm::errs() << path << ": error: the model imports no default-domain "
                              "opset (only";
      for (const auto &import : model.opset_import())
        llvm::errs() << " " << import.domain();
      llvm::errs() << "); dlc imports the default ONNX domain\n";
      return false;
    }
  }
  if (opset > kMaxOpset) {
    llvm::errs() << path << ": error: the model uses opset " << opset
                 << "; dlc knows opsets 1 to " << kMaxOpset << "\n";
    return false;
  }
  return true;
}

LogicalResult GraphImporter::readInputValue(StringRef name, StringRef file,
                                            DenseElementsAttr &value) {
  std::string error;
  if (file.ends_with(".npy")) {
    auto tensor = dlc::rt::readNpy(file.str());
    if (!tensor) {
      problem("input '" + name + "': " + tensor.status().message());
      return failure();
    }
    ::onnx::TensorProto proto;
    static const int32_t kOnnxType[] = {
        ::onnx::TensorProto::FLOAT,    ::onnx::TensorProto::DOUBLE,
        ::onnx::TensorProto::FLOAT16,  ::onnx::TensorProto::BFLOAT16,
        ::onnx::TensorProto::INT32,    ::onnx::TensorProto::INT64,
        ::onnx::TensorProto::BOOL};
    proto.set_data_type(kOnnxType[static_cast<int>((*tensor).dtype)]);
    for (int64_t d : (*tensor).shape)
      proto.add_dims(d);
    proto.set_raw_data((*tensor).data.data(), (*tensor).data.size());
    auto attr = readTensor(proto, modelDir, context, error);
    if (failed(attr)) {
      problem("input '" + name + "' from '" + file + "': " + error);
      return failure();
    }
    value = *attr;
    return success();
  }
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false);
  ::onnx::TensorProto proto;
  if (!buffer || !proto.ParseFromArray((*buffer)->getBufferStart(),
                                       (*buffer)->getBufferSize())) {
    problem("input '" + name + "': cannot read '" + file +
            "' as .npy or an ONNX TensorProto");
    return failure();
  }
  auto attr = readTensor(proto, llvm::sys::path::parent_path(file), context,
                         error);
  if (failed(attr)) {
    problem("input '" + name + "' from '" + file + "': " + error);
    return failure();
  }
  value = *attr;
  return success();
}

bool GraphImporter::importInputs(func::FuncOp func, Block *body) {
  const ::onnx::GraphProto &graph = model.graph();
  llvm::StringSet<> initializers;
  builder.setInsertionPointToEnd(body);
  for (const auto &init : graph.initializer()) {
    initializers.insert(init.name());
    std::string error;
    auto value = readTensor(init, modelDir, context, error);
    if (failed(value)) {
      problem("initializer '" + init.name() + "': " + error);
      poisoned.insert(init.name());
      continue;
    }
    auto op = dl::ConstantOp::create(
        builder, NameLoc::get(builder.getStringAttr(init.name()), fileLoc()),
        *value);
    values[init.name()] = op;
    initializerOps[init.name()] = op;
  }

  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  llvm::StringSet<> seen;
  for (const auto &input : graph.input()) {
    // Models of IR version < 4 list initializers among the inputs too.
    if (initializers.contains(input.name()))
      continue;
    seen.insert(input.name());
    if (auto it = options.inputValues.find(input.name());
        it != options.inputValues.end()) {
      DenseElementsAttr value;
      if (failed(readInputValue(input.name(), it->second, value))) {
        poisoned.insert(input.name());
        continue;
      }
      values[input.name()] = dl::ConstantOp::create(
          builder,
          NameLoc::get(builder.getStringAttr(input.name()), fileLoc()), value);
      continue;
    }
    if (!input.type().has_tensor_type()) {
      problem("input '" + input.name() +
              "' is not a tensor (sequences, maps and optionals are not "
              "supported)");
      poisoned.insert(input.name());
      continue;
    }
    const auto &tensorType = input.type().tensor_type();
    Type elementType = elementTypeOf(context, tensorType.elem_type());
    if (!elementType) {
      problem("input '" + input.name() + "' has element type " +
              onnxTypeName(tensorType.elem_type()) + ", which is not supported");
      poisoned.insert(input.name());
      continue;
    }
    SmallVector<int64_t> shape;
    auto symbolic = [](const ::onnx::TensorShapeProto::Dimension &dim) {
      return !dim.has_dim_value() || dim.dim_value() < 0;
    };
    if (auto it = options.inputShapes.find(input.name());
        it != options.inputShapes.end()) {
      shape.assign(it->second.begin(), it->second.end());
      if (tensorType.has_shape() &&
          tensorType.shape().dim_size() != static_cast<int>(shape.size())) {
        problem("--input-shape " + input.name() + " has rank " +
                Twine(shape.size()) + ", the model says " +
                Twine(tensorType.shape().dim_size()));
        poisoned.insert(input.name());
        continue;
      }
    } else if (!tensorType.has_shape()) {
      problem("input '" + input.name() +
              "' has no shape: give one with --input-shape " + input.name() +
              "=DIMxDIM...");
      poisoned.insert(input.name());
      continue;
    } else {
      bool known = true;
      std::string dims;
      for (const auto &[d, dim] : llvm::enumerate(tensorType.shape().dim())) {
        if (!dims.empty())
          dims += "x";
        if (d == 0 && options.batch && symbolic(dim)) {
          shape.push_back(*options.batch);
          dims += std::to_string(*options.batch);
        } else if (!symbolic(dim)) {
          shape.push_back(dim.dim_value());
          dims += std::to_string(dim.dim_value());
        } else {
          known = false;
          dims += dim.has_dim_param() ? dim.dim_param() : "?";
        }
      }
      if (!known) {
        problem("input '" + input.name() + "' has dynamic shape " + dims +
                ": fix it with --input-shape " + input.name() +
                "=DIMxDIM..." +
                (symbolic(tensorType.shape().dim(0)) && !options.batch
                     ? " (or --batch N for the leading dimension)"
                     : ""));
        poisoned.insert(input.name());
        continue;
      }
    }
    auto argType = RankedTensorType::get(shape, elementType);
    std::string sizeError;
    {
      ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) {
        sizeError = diag.str();
        return success();
      });
      (void)dl::checkTensorSize(fileLoc(), argType, "its shape");
    }
    if (!sizeError.empty()) {
      problem("input '" + input.name() + "': " + sizeError);
      poisoned.insert(input.name());
      continue;
    }
    argTypes.push_back(argType);
    argNames.push_back(input.name());
  }
  for (const auto &entry : options.inputShapes)
    if (!seen.contains(entry.first))
      problem("--input-shape names '" + entry.first +
              "', which is not an input of the graph");
  for (const auto &entry : options.inputValues)
    if (!seen.contains(entry.first))
      problem("--input-value names '" + entry.first +
              "', which is not an input of the graph");

  func.setType(builder.getFunctionType(argTypes, {}));
  for (auto [i, name] : llvm::enumerate(argNames)) {
    Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc());
    values[name] = body->addArgument(argTypes[i], loc);
    func.setArgAttr(i, "dl.name", builder.getStringAttr(name));
  }
  return true;
}

void GraphImporter::importNode(const ::onnx::NodeProto &node, int index) {
  std::string label = node.name().empty() ? "#" + std::to_string(index)
                                          : "'" + node.name() + "'";
  std::string where = "node " + label + " (" + node.op_type();
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  if (!defaultDomain)
    where += ", domain " + node.domain();
  else
    where += ", opset " + std::to_string(opset);
  where += ")";

  auto poison = [&] {
    for (const std::string &output : node.output())
      if (!output.empty())
        poisoned.insert(output);
  };
  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(nullptr);
      continue;
    }
    if (poisoned.contains(name))
      return poison();
    auto it = values.find(name);
    if (it == values.end()) {
      problem(where + ": input '" + name +
              "' is not defined before the node (the graph must be "
              "topologically sorted)");
      return poison();
    }
    inputs.push_back(it->second);
  }
  // Trailing empty names mean absent optional inputs.
  while (!inputs.empty() && !inputs.back())
    inputs.pop_back();

  if (defaultDomain)
    if (std::string arity = checkArity(node, opset); !arity.empty()) {
      problem(where + ": " + arity);
      return poison();
    }
  if (defaultDomain && node.op_type() == "If")
    return importIf(node, index, inputs.empty() ? Value() : inputs[0], where);
  Converter convert =
      defaultDomain ? converters().lookup(node.op_type(), opset) : nullptr;
  if (!convert) {
    problem(where + ": no conversion for this op" +
            (defaultDomain ? "" : " (only the default domain is supported)"));
    return poison();
  }

  Location loc = NameLoc::get(
      builder.getStringAttr(node.name().empty() ? node.op_type() + "#" +
                                                      std::to_string(index)
                                                : node.name()),
      fileLoc());
  Block *block = builder.getInsertionBlock();
  Operation *last = block->empty() ? nullptr : &block->back();
  std::vector<std::string> messages;
  LogicalResult converted = success();
  {
    // Shape errors of the ops built here (type inference, verifiers) are
    // reported as this node's.
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        messages.push_back(diag.str());
      return success();
    });
    NodeContext ctx(node, opset, builder, loc, inputs);
    ctx.training = options.training;
    converted = convert(ctx);
    if (succeeded(converted)) {
      Operation *first = last ? last->getNextNode()
                              : (block->empty() ? nullptr : &block->front());
      for (Operation *op = first; op; op = op->getNextNode())
        if (failed(verify(op)))
          converted = failure();
      ArrayRef<Value> results = ctx.getResults();
      for (int i = 0; i < node.output_size() && succeeded(converted); ++i) {
        if (node.output(i).empty())
          continue;
        if (i >= static_cast<int>(results.size()) || !results[i]) {
          messages.push_back("output " + std::to_string(i) + " ('" +
                             node.output(i) + "') is not supported");
          converted = failure();
          break;
        }
        values[node.output(i)] = results[i];
      }
    }
  }
  if (failed(converted)) {
    if (messages.empty())
      messages.push_back("conversion failed");
    // Each op of the node may report the same problem (a Gemm's matmul and
    // add); the user reads it once.
    llvm::StringSet<> said;
    for (const std::string &message : messages)
      if (said.insert(message).second)
        problem(where + ": " + message);
    // Leave no half-built ops behind.
    while (!block->empty() && &block->back() != last)
      block->back().erase();
    return poison();
  }
}

/// If: with a condition known at compile time (shape logic, exported
/// flags) the taken branch's nodes are imported in place, seeing the
/// enclosing graph's values, and its outputs become the node's. A branch
/// chosen at run time would need control flow in the plan.
void GraphImporter::importIf(const ::onnx::NodeProto &node, int index,
                             Value condition, const std::string &where) {
  auto poison = [&] {
    for (const std::string &output : node.output())
      if (!output.empty())
        poisoned.insert(output);
  };
  DenseElementsAttr value;
  if (condition)
    if (auto c = condition.getDefiningOp<dl::ConstantOp>())
      value = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!value || value.getNumElements() != 1 ||
      !isa<IntegerType>(value.getElementType())) {
    problem(where + ": the condition must be known at compile time (a "
                    "branch chosen at run time is not supported)");
    return poison();
  }
  bool taken = !(*value.getValues<APInt>().begin()).isZero();
  const ::onnx::GraphProto *branch = nullptr;
  for (const auto &attr : node.attribute())
    if (attr.name() == (taken ? "then_branch" : "else_branch") && attr.has_g())
      branch = &attr.g();
  if (!branch) {
    problem(where + ": the " + (taken ? "then" : "else") +
            " branch is missing");
    return poison();
  }
  if (branch->initializer_size() || branch->sparse_initializer_size()) {
    problem(where + ": initializers inside a branch are not supported");
    return poison();
  }
  if (branch->output_size() != node.output_size()) {
    problem(where + ": the branch has " +
            std::to_string(branch->output_size()) + " outputs, the node " +
            std::to_string(node.output_size()));
    return poison();
  }
  for (const auto &inner : branch->node())
    importNode(inner, index);
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &name = branch->output(i).name();
    if (node.output(i).empty())
      continue;
    if (poisoned.contains(name)) {
      poisoned.insert(node.output(i));
      continue;
    }
    auto it = values.find(name);
    if (it == values.end()) {
      problem(where + ": the branch's output '" + name + "' is not computed");
      poisoned.insert(node.output(i));
      continue;
    }
    values[node.output(i)] = it->second;
  }
}

/// Initializers still read after the import become parameters with their
/// values, batch-norm running statistics buffers. For training, batch
/// normalization then normalizes with the batch's statistics and updates
/// those buffers, as PyTorch's train() mode does.
void GraphImporter::makeParams(ModuleOp module, func::FuncOp func) {
  llvm::DenseSet<Value> statistics;
  func.walk([&](dl::BatchNormInferenceOp op) {
    statistics.insert(op.getMean());
    statistics.insert(op.getVariance());
  });
  OpBuilder moduleBuilder(func);
  for (auto &[name, op] : initializerOps) {
    auto type = cast<RankedTensorType>(op.getType());
    // Scalars are hyperparameters of the graph (an epsilon, a scale), and
    // integer tensors shapes or indices: neither trains.
    if (!isa<FloatType>(type.getElementType()) || type.getRank() == 0 ||
        op->use_empty())
      continue;
    dl::ParamRole role = statistics.contains(op.getResult())
                             ? dl::ParamRole::Buffer
                             : dl::ParamRole::Parameter;
    dl::ParamOp::create(moduleBuilder, op.getLoc(), name, type,
                        /*init=*/nullptr, op.getValue(), role);
    builder.setInsertionPoint(op);
    Value load = dl::LoadParamOp::create(builder, op.getLoc(), type, name);
    op.getResult().replaceAllUsesWith(load);
    op.erase();
  }
  if (!options.training)
    return;
  func.walk([&](dl::BatchNormInferenceOp op) {
    auto mean = op.getMean().getDefiningOp<dl::LoadParamOp>();
    auto variance = op.getVariance().getDefiningOp<dl::LoadParamOp>();
    // Statistics computed by the graph itself have nothing to update.
    if (!mean || !variance)
      return;
    auto momentum = op->getAttrOfType<FloatAttr>("dl.momentum");
    builder.setInsertionPoint(op);
    auto trained = dl::BatchNormTrainingOp::create(
        builder, op.getLoc(), op.getInput(), op.getScale(), op.getBias(),
        op.getMean(), op.getVariance(), op.getEpsilonAttr(),
        momentum ? momentum : builder.getF64FloatAttr(0.1));
    dl::StoreParamOp::create(builder, op.getLoc(),
                             trained.getNewRunningMean(), mean.getNameAttr());
    dl::StoreParamOp::create(builder, op.getLoc(),
                             trained.getNewRunningVariance(),
                             variance.getNameAttr());
    op.getResult().replaceAllUsesWith(trained.getResult());
    op.erase();
  });
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (!readModel())
    return nullptr;
  const ::onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  std::string name = graph.name().empty()
                         ? llvm::sys::path::stem(path).str()
                         : graph.name();
  module->setSymName(name);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), "forward",
                                   builder.getFunctionType({}, {}));
  Block *body = func.addEntryBlock();
  importInputs(func, body);
  builder.setInsertionPointToEnd(body);
  for (const auto &[index, node] : llvm::enumerate(graph.node()))
    importNode(node, static_cast<int>(index));

  SmallVector<Value> results;
  SmallVector<std::string> resultNames;
  for (const auto &output : graph.output()) {
    if (poisoned.contains(output.name()))
      continue;
    auto it = values.find(output.name());
    if (it == values.end()) {
      problem("output '" + output.name() + "' is not computed by any node");
      continue;
    }
    if (output.type().has_tensor_type()) {
      Type want = elementTypeOf(context, output.type().tensor_type().elem_type());
      Type have = cast<RankedTensorType>(it->second.getType()).getElementType();
      if (want && want != have) {
        std::string haveName;
        llvm::raw_string_ostream(haveName) << have;
        problem("output '" + output.name() + "' is declared " +
                onnxTypeName(output.type().tensor_type().elem_type()) +
                " but computes " + haveName);
        continue;
      }
    }
    results.push_back(it->second);
    resultNames.push_back(output.name());
  }
  if (graph.output_size() == 0)
    problem("the graph has no outputs");

  if (!problems.empty()) {
    llvm::errs() << path << ": error: cannot import the model ("
                 << problems.size()
                 << (problems.size() == 1 ? " problem" : " problems")
                 << "):\n";
    for (const std::string &p : problems)
      llvm::errs() << "  " << p << "\n";
    return nullptr;
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  if (options.paramsFromInitializers || options.training)
    makeParams(*module, func);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  func.setType(builder.getFunctionType(func.getArgumentTypes(), resultTypes));
  for (auto [i, name] : llvm::enumerate(resultNames))
    func.setResultAttr(i, "dl.name", builder.getStringAttr(name));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> dlc::onnx::importModel(MLIRContext &context,
                                             StringRef path,
                                             const ImportOptions &options) {
  context.loadDialect<dl::DlDialect, func::FuncDialect>();
  return GraphImporter(context, path, options).run();
}

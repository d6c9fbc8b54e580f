//===- Builtins.cpp - The DSL's builtin functions and the dl ops they make ===//
//
// One table entry per builtin: it checks the call's arguments and emits the
// dl op(s). Shapes are checked by the ops themselves (their verifiers and type
// inference), so the entries only translate arguments into attributes.
//
//===----------------------------------------------------------------------===//

#include "frontends/common/TrainSettings.h"
#include "frontends/dsl/MLIRGenImpl.h"

#include "dialects/dl/DlOps.h"
#include "llvm/ADT/StringExtras.h"

#include <functional>

using namespace mlir;
using namespace dlc::dsl;

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool CallArgs::check(unsigned min, unsigned max,
                     std::initializer_list<StringRef> keywords) {
  if (args.size() < min || args.size() > max) {
    auto diag = gen.error(call.pos) << "'" << call.callee << "' takes ";
    if (min == max)
      diag << min;
    else
      diag << min << " to " << max;
    diag << " positional argument(s), got " << args.size();
    reported = true;
    return false;
  }
  for (const KeywordArg &kwarg : call.kwargs) {
    if (llvm::is_contained(keywords, kwarg.name))
      continue;
    auto diag = gen.error(kwarg.pos) << "'" << call.callee
                                     << "' has no argument '" << kwarg.name
                                     << "'";
    if (keywords.size())
      diag << " (it takes: " << llvm::join(keywords, ", ") << ")";
    reported = true;
    return false;
  }
  return true;
}

const Val *CallArgs::find(StringRef name, int index) const {
  if (auto it = kwargs.find(name); it != kwargs.end())
    return &it->second;
  if (index >= 0 && static_cast<size_t>(index) < args.size())
    return &args[index];
  return nullptr;
}

bool CallArgs::has(StringRef name, int index) const {
  return find(name, index) != nullptr;
}

SrcPos CallArgs::posOf(StringRef name, int index) const {
  const Val *v = find(name, index);
  return v ? v->pos : call.pos;
}

Value CallArgs::tensor(unsigned index, StringRef what) {
  if (index >= args.size()) {
    gen.error(call.pos) << "'" << call.callee << "' needs " << what
                        << " as argument " << index + 1;
    reported = true;
    return {};
  }
  if (!args[index].isTensor()) {
    gen.error(args[index].pos) << "argument " << index + 1 << " of '"
                               << call.callee << "' (" << what
                               << ") must be a tensor";
    reported = true;
    return {};
  }
  return args[index].tensor;
}

std::optional<double> CallArgs::number(StringRef name, int index) {
  const Val *v = find(name, index);
  if (!v)
    return std::nullopt;
  if (v->kind != Val::Kind::Number) {
    gen.error(v->pos) << "'" << name << "' must be a number";
    reported = true;
    return std::nullopt;
  }
  return v->number;
}

std::optional<int64_t> CallArgs::integer(StringRef name, int index) {
  const Val *v = find(name, index);
  if (!v)
    return std::nullopt;
  if (v->kind != Val::Kind::Number || !v->isInteger) {
    gen.error(v->pos) << "'" << name << "' must be an integer";
    reported = true;
    return std::nullopt;
  }
  return static_cast<int64_t>(v->number);
}

std::optional<bool> CallArgs::flag(StringRef name) {
  std::optional<int64_t> value = integer(name);
  if (!value)
    return std::nullopt;
  return *value != 0;
}

std::optional<std::string> CallArgs::string(StringRef name) {
  const Val *v = find(name, -1);
  if (!v)
    return std::nullopt;
  if (v->kind != Val::Kind::String) {
    gen.error(v->pos) << "'" << name << "' must be a string";
    reported = true;
    return std::nullopt;
  }
  return v->string;
}

std::optional<SmallVector<int64_t>> CallArgs::ints(StringRef name, int index,
                                                   unsigned repeat) {
  const Val *v = find(name, index);
  if (!v)
    return std::nullopt;
  if (v->kind == Val::Kind::Number && v->isInteger && repeat)
    return SmallVector<int64_t>(repeat, static_cast<int64_t>(v->number));
  SmallVector<int64_t> values;
  if (v->kind == Val::Kind::List) {
    for (const Val &item : v->list) {
      if (item.kind != Val::Kind::Number || !item.isInteger)
        break;
      values.push_back(static_cast<int64_t>(item.number));
    }
    if (values.size() == v->list.size())
      return values;
  }
  gen.error(v->pos) << "'" << name << "' must be a list of integers"
                    << (repeat ? " or one integer" : "");
  reported = true;
  return std::nullopt;
}

std::optional<int64_t> CallArgs::axis(int64_t axis, int64_t rank, SrcPos pos) {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) {
    gen.error(pos) << "axis " << axis << " is out of range for rank " << rank;
    reported = true;
    return std::nullopt;
  }
  return normalized;
}

std::optional<int64_t> CallArgs::axisArg(StringRef name, int index,
                                         int64_t fallback, int64_t rank) {
  return axis(integer(name, index).value_or(fallback), rank,
              posOf(name, index));
}

std::optional<SmallVector<int64_t>>
CallArgs::axisList(StringRef name, int index, int64_t rank, unsigned repeat) {
  auto given = ints(name, index, repeat);
  if (!given)
    return std::nullopt;
  for (int64_t &axis : *given) {
    auto normalized = this->axis(axis, rank, posOf(name, index));
    if (!normalized)
      return std::nullopt;
    axis = *normalized;
  }
  return given;
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

namespace {

using Lowering = std::function<Value(CallArgs &, MLIRGen &, SrcPos)>;

NamedAttribute attr(MLIRGen &gen, StringRef name, Attribute value) {
  return NamedAttribute(StringAttr::get(gen.getContext(), name), value);
}
Attribute i64(MLIRGen &gen, int64_t value) {
  return gen.getBuilder().getI64IntegerAttr(value);
}
Attribute f64(MLIRGen &gen, double value) {
  return gen.getBuilder().getF64FloatAttr(value);
}
Attribute i64s(MLIRGen &gen, ArrayRef<int64_t> values) {
  return gen.getBuilder().getDenseI64ArrayAttr(values);
}

Lowering unary(StringRef opName) {
  return [opName](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    if (!a.check(1, 1, {}))
      return {};
    return gen.emit(opName, pos, a.tensor(0, "x"));
  };
}

/// Elementwise binary: either side may be a number, promoted to a scalar
/// tensor of the other side's element type.
Lowering binary(StringRef opName) {
  return [opName](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    if (!a.check(2, 2, {}))
      return {};
    const Val &lhs = a.args[0], &rhs = a.args[1];
    if (!lhs.isTensor() && !rhs.isTensor()) {
      gen.error(pos) << "'" << a.call.callee << "' needs a tensor operand";
      a.reported = true;
      return {};
    }
    Type element = (lhs.isTensor() ? lhs : rhs).type().getElementType();
    return gen.emit(opName, pos,
                    {gen.asTensor(lhs, element), gen.asTensor(rhs, element)});
  };
}

template <typename OpTy>
Lowering reduction() {
  return [](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    if (!a.check(1, 2, {"axes", "axis", "keepdims"}))
      return {};
    Value x = a.tensor(0, "x");
    if (!x)
      return {};
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    SmallVector<int64_t> axes;
    if (a.has("axis") || a.has("axes", 1)) {
      auto given = a.has("axis") ? a.axisList("axis", -1, rank, 1)
                                 : a.axisList("axes", 1, rank, 1);
      if (!given)
        return {};
      axes = *given;
    } else {
      axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    }
    SmallVector<NamedAttribute> attrs{attr(gen, "axes", i64s(gen, axes))};
    if (a.flag("keepdims").value_or(false))
      attrs.push_back(attr(gen, "keepdims", UnitAttr::get(gen.getContext())));
    return gen.emit(OpTy::getOperationName(), pos, x, attrs);
  };
}

template <typename OpTy>
Lowering softmaxLike() {
  return [](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    if (!a.check(1, 2, {"axis"}))
      return {};
    Value x = a.tensor(0, "x");
    if (!x)
      return {};
    auto axis = a.axisArg("axis", 1, -1,
                          cast<RankedTensorType>(x.getType()).getRank());
    if (!axis)
      return {};
    return gen.emit(OpTy::getOperationName(), pos, x,
                    {attr(gen, "axis", i64(gen, *axis))});
  };
}

/// Pooling and convolution windows: `padding` is one number, [h, w] or
/// [top, left, bottom, right].
std::optional<SmallVector<int64_t>> padding(CallArgs &a) {
  if (!a.has("padding"))
    return SmallVector<int64_t>{0, 0, 0, 0};
  auto pads = a.ints("padding", -1, 4);
  if (pads && pads->size() == 2)
    pads = SmallVector<int64_t>{(*pads)[0], (*pads)[1], (*pads)[0], (*pads)[1]};
  return pads;
}

template <typename OpTy>
Lowering pooling(bool average) {
  return [average](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    std::initializer_list<StringRef> maxKeys = {"kernel", "stride", "padding",
                                                "ceil_mode"};
    std::initializer_list<StringRef> avgKeys = {
        "kernel", "stride", "padding", "ceil_mode", "count_include_pad"};
    if (!a.check(1, 2, average ? avgKeys : maxKeys))
      return {};
    Value x = a.tensor(0, "x");
    auto kernel = a.ints("kernel", 1, 2);
    if (!kernel) {
      if (!a.reported)
        gen.error(pos) << "'" << a.call.callee << "' needs a kernel size";
      return {};
    }
    auto pads = padding(a);
    if (!x || !pads)
      return {};
    SmallVector<NamedAttribute> attrs{attr(gen, "kernel", i64s(gen, *kernel)),
                                      attr(gen, "padding", i64s(gen, *pads))};
    if (a.has("stride")) {
      auto stride = a.ints("stride", -1, 2);
      if (!stride)
        return {};
      attrs.push_back(attr(gen, "stride", i64s(gen, *stride)));
    }
    for (StringRef flag : {"ceil_mode", "count_include_pad"})
      if (a.kwargs.count(flag) && a.flag(flag).value_or(false))
        attrs.push_back(attr(gen, flag, UnitAttr::get(gen.getContext())));
    return gen.emit(OpTy::getOperationName(), pos, x, attrs);
  };
}

Value conv2d(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 3, {"stride", "padding", "dilation", "groups"}))
    return {};
  SmallVector<Value> operands{a.tensor(0, "input"), a.tensor(1, "weight")};
  if (a.size() == 3)
    operands.push_back(a.tensor(2, "bias"));
  auto pads = padding(a);
  auto stride = a.has("stride") ? a.ints("stride", -1, 2)
                                : SmallVector<int64_t>{1, 1};
  auto dilation = a.has("dilation") ? a.ints("dilation", -1, 2)
                                    : SmallVector<int64_t>{1, 1};
  auto groups = a.has("groups") ? a.integer("groups") : 1;
  if (!pads || !stride || !dilation || !groups ||
      llvm::is_contained(operands, Value()))
    return {};
  return gen.emit(dl::Conv2dOp::getOperationName(), pos, operands,
                  {attr(gen, "stride", i64s(gen, *stride)),
                   attr(gen, "padding", i64s(gen, *pads)),
                   attr(gen, "dilation", i64s(gen, *dilation)),
                   attr(gen, "groups", i64(gen, *groups))});
}

Value matmul(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {"transpose_a", "transpose_b"}))
    return {};
  SmallVector<NamedAttribute> attrs;
  if (a.flag("transpose_a").value_or(false))
    attrs.push_back(attr(gen, "transpose_lhs", UnitAttr::get(gen.getContext())));
  if (a.flag("transpose_b").value_or(false))
    attrs.push_back(attr(gen, "transpose_rhs", UnitAttr::get(gen.getContext())));
  return gen.emit(dl::MatmulOp::getOperationName(), pos,
                  {a.tensor(0, "a"), a.tensor(1, "b")}, attrs);
}

/// `reshape(x, [64, -1])`: one -1 takes what the others leave.
Value reshape(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {}))
    return {};
  Value x = a.tensor(0, "x");
  auto shape = a.ints("shape", 1);
  if (!x || !shape)
    return {};
  auto type = cast<RankedTensorType>(x.getType());
  int64_t known = 1, inferred = -1;
  for (auto [i, dim] : llvm::enumerate(*shape)) {
    if (dim == -1 && inferred < 0) {
      inferred = i;
    } else if (dim < 1) {
      gen.error(a.posOf("shape", 1))
          << "reshape sizes must be positive (one may be -1), got " << dim;
      return {};
    } else {
      known *= dim;
    }
  }
  if (inferred >= 0) {
    if (type.getNumElements() % known != 0) {
      gen.error(pos) << "cannot reshape " << type << " ("
                     << type.getNumElements() << " elements) into rows of "
                     << known;
      return {};
    }
    (*shape)[inferred] = type.getNumElements() / known;
  }
  return gen.emit(dl::ReshapeOp::getOperationName(), pos, x, {},
                  RankedTensorType::get(*shape, type.getElementType()));
}

/// `flatten(x)`: `[N, everything else]`, what a CNN does before its dense
/// layers.
Value flatten(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 1, {}))
    return {};
  Value x = a.tensor(0, "x");
  if (!x)
    return {};
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 1) {
    gen.error(pos) << "cannot flatten a scalar";
    return {};
  }
  int64_t batch = type.getDimSize(0);
  return gen.emit(dl::ReshapeOp::getOperationName(), pos, x, {},
                  RankedTensorType::get({batch, type.getNumElements() / batch},
                                        type.getElementType()));
}

Value transpose(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 2, {"perm"}))
    return {};
  Value x = a.tensor(0, "x");
  if (!x)
    return {};
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> perm;
  if (a.has("perm", 1)) {
    auto given = a.axisList("perm", 1, rank);
    if (!given)
      return {};
    perm = *given;
  } else {
    perm = llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank)));
  }
  return gen.emit(dl::TransposeOp::getOperationName(), pos, x,
                  {attr(gen, "permutation", i64s(gen, perm))});
}

Value broadcastTo(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {}))
    return {};
  Value x = a.tensor(0, "x");
  auto shape = a.ints("shape", 1);
  if (!x || !shape)
    return {};
  return gen.emit(dl::BroadcastToOp::getOperationName(), pos, x, {},
                  RankedTensorType::get(
                      *shape,
                      cast<RankedTensorType>(x.getType()).getElementType()));
}

Value concat(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 2, {"axis"}))
    return {};
  const Val &list = a.args[0];
  SmallVector<Value> inputs;
  for (const Val &item : list.list)
    if (item.isTensor())
      inputs.push_back(item.tensor);
  if (list.kind != Val::Kind::List || inputs.size() != list.list.size() ||
      inputs.empty()) {
    gen.error(list.pos) << "'concat' takes a list of tensors, like [a, b]";
    return {};
  }
  auto axis = a.axisArg("axis", 1, 0,
                        cast<RankedTensorType>(inputs[0].getType()).getRank());
  if (!axis)
    return {};
  return gen.emit(dl::ConcatOp::getOperationName(), pos, inputs,
                  {attr(gen, "axis", i64(gen, *axis))});
}

/// `slice(x, start = [...], limit = [...], step = [...])`; negative bounds
/// count from the end, as in Python.
Value slice(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 1, {"start", "limit", "step"}))
    return {};
  Value x = a.tensor(0, "x");
  if (!x)
    return {};
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> start(type.getRank(), 0), limit(type.getShape()),
      step(type.getRank(), 1);
  for (auto [name, list] : {std::pair{"start", &start},
                            std::pair{"limit", &limit},
                            std::pair{"step", &step}}) {
    if (!a.has(name))
      continue;
    auto given = a.ints(name);
    if (!given)
      return {};
    if (given->size() != static_cast<size_t>(type.getRank())) {
      gen.error(a.posOf(name)) << "'" << name << "' needs " << type.getRank()
                               << " entries, one per dimension of " << type;
      return {};
    }
    *list = *given;
  }
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (start[d] < 0)
      start[d] += type.getDimSize(d);
    if (limit[d] < 0)
      limit[d] += type.getDimSize(d);
  }
  return gen.emit(dl::SliceOp::getOperationName(), pos, x,
                  {attr(gen, "start", i64s(gen, start)),
                   attr(gen, "limit", i64s(gen, limit)),
                   attr(gen, "step", i64s(gen, step))});
}

Value gather(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  bool embedding = a.call.callee == "embedding";
  if (!a.check(2, 2, embedding ? std::initializer_list<StringRef>{}
                               : std::initializer_list<StringRef>{"axis"}))
    return {};
  Value x = a.tensor(0, embedding ? "table" : "x");
  Value indices = a.tensor(1, embedding ? "ids" : "indices");
  if (!x || !indices)
    return {};
  auto axis =
      a.axisArg("axis", -1, 0, cast<RankedTensorType>(x.getType()).getRank());
  if (!axis)
    return {};
  return gen.emit(dl::GatherOp::getOperationName(), pos, {x, indices},
                  {attr(gen, "axis", i64(gen, *axis))});
}

/// Shape and dtype arguments of the ops that make tensors from nothing.
std::optional<RankedTensorType> madeType(CallArgs &a, MLIRGen &gen,
                                         StringRef defaultType) {
  auto shape = a.ints("shape", 0);
  if (!shape)
    return std::nullopt;
  const Val *dtype = a.find("dtype", -1);
  std::string name = dtype ? dtype->string : defaultType.str();
  Type element = gen.parseDtype(name, dtype ? dtype->pos : a.call.pos);
  if (!element)
    return std::nullopt;
  return RankedTensorType::get(*shape, element);
}

Value iota(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 1, {"dim", "dtype"}))
    return {};
  auto type = madeType(a, gen, "i64");
  if (!type)
    return {};
  auto dim = a.axisArg("dim", -1, 0, type->getRank());
  if (!dim)
    return {};
  return gen.emit(dl::IotaOp::getOperationName(), pos, {},
                  {attr(gen, "dimension", i64(gen, *dim))}, *type);
}

Value fill(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {"dtype"}))
    return {};
  auto type = madeType(a, gen, "f32");
  auto value = a.number("value", 1);
  if (!type || !value)
    return {};
  return gen.emit(dl::FillOp::getOperationName(), pos, {},
                  {attr(gen, "value", f64(gen, *value))}, *type);
}

Value layerNorm(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(3, 3, {"axis", "eps"}))
    return {};
  Value x = a.tensor(0, "x");
  Value gamma = a.tensor(1, "gamma"), beta = a.tensor(2, "beta");
  if (!x || !gamma || !beta)
    return {};
  auto axis =
      a.axisArg("axis", -1, -1, cast<RankedTensorType>(x.getType()).getRank());
  if (!axis)
    return {};
  return gen.emit(dl::LayerNormOp::getOperationName(), pos, {x, gamma, beta},
                  {attr(gen, "axis", i64(gen, *axis)),
                   attr(gen, "epsilon",
                        f64(gen, a.number("eps").value_or(1e-5)))});
}

/// `batch_norm(x, scale, bias, mean, variance, training = false)`. In
/// training mode the batch's statistics normalize and the running ones, which
/// must be params (`param m: f32[C] = zeros buffer`), are updated in place.
Value batchNorm(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(5, 5, {"eps", "momentum", "training"}))
    return {};
  SmallVector<Value> operands{a.tensor(0, "x"), a.tensor(1, "scale"),
                              a.tensor(2, "bias"), a.tensor(3, "mean"),
                              a.tensor(4, "variance")};
  if (llvm::is_contained(operands, Value()))
    return {};
  Attribute eps = f64(gen, a.number("eps").value_or(1e-5));
  if (!a.flag("training").value_or(false))
    return gen.emit(dl::BatchNormInferenceOp::getOperationName(), pos,
                    operands, {attr(gen, "epsilon", eps)});
  SmallVector<dl::LoadParamOp, 2> stats;
  for (unsigned i : {3u, 4u}) {
    auto load = operands[i].getDefiningOp<dl::LoadParamOp>();
    if (!load) {
      gen.error(a.args[i].pos) << "in training mode the running statistics "
                                  "must be params, so they can be updated";
      return {};
    }
    stats.push_back(load);
  }
  Operation *op = gen.emitOp(
      dl::BatchNormTrainingOp::getOperationName(), pos, operands,
      {attr(gen, "epsilon", eps),
       attr(gen, "momentum", f64(gen, a.number("momentum").value_or(0.1)))},
      /*numResults=*/3);
  if (!op)
    return {};
  for (auto [load, updated] : llvm::zip(stats, op->getResults().drop_front()))
    dl::StoreParamOp::create(gen.getBuilder(), gen.loc(pos), updated,
                             load.getNameAttr());
  return op->getResult(0);
}

Value dropout(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 2, {"rate", "seed"}))
    return {};
  Value x = a.tensor(0, "x");
  auto rate = a.number("rate", 1);
  if (!x)
    return {};
  if (!rate) {
    if (!a.reported)
      gen.error(pos) << "'dropout' needs a rate, like dropout(x, 0.2)";
    return {};
  }
  int64_t seed = a.integer("seed").value_or(gen.nextDropoutSeed());
  return gen.emit(dl::DropoutOp::getOperationName(), pos, x,
                  {attr(gen, "rate", f64(gen, *rate)),
                   attr(gen, "seed", i64(gen, seed))});
}

std::optional<dl::LossReduction> lossReduction(CallArgs &a) {
  std::string name = a.string("reduction").value_or("mean");
  auto reduction = dl::symbolizeLossReduction(name);
  if (!reduction) {
    a.gen.error(a.posOf("reduction"))
        << "reduction must be \"mean\" or \"sum\", got \"" << name << "\"";
    a.reported = true;
  }
  return reduction;
}

template <typename OpTy>
Lowering loss() {
  return [](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
    if (!a.check(2, 2, {"reduction"}))
      return {};
    Value x = a.tensor(0, "prediction"), y = a.tensor(1, "target");
    auto reduction = lossReduction(a);
    if (!x || !y || !reduction)
      return {};
    return gen.emit(OpTy::getOperationName(), pos, {x, y},
                    {attr(gen, "reduction",
                          dl::LossReductionAttr::get(gen.getContext(),
                                                     *reduction))});
  };
}

/// `accuracy(logits, labels)`: the fraction of rows whose argmax is the label.
Value accuracy(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {}))
    return {};
  Value logits = a.tensor(0, "logits"), labels = a.tensor(1, "labels");
  if (!logits || !labels)
    return {};
  auto logitsType = cast<RankedTensorType>(logits.getType());
  auto labelsType = cast<RankedTensorType>(labels.getType());
  if (logitsType.getRank() != 2 || labelsType.getRank() != 1) {
    gen.error(pos) << "'accuracy' takes logits [batch, classes] and labels "
                      "[batch], got "
                   << logitsType << " and " << labelsType;
    return {};
  }
  return dlc::buildAccuracy(gen.getBuilder(), gen.loc(pos), logits, labels);
}

Value gelu(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(1, 1, {"approximation"}))
    return {};
  std::string name = a.string("approximation").value_or("erf");
  auto approximation = dl::symbolizeGeluApproximation(name);
  if (!approximation) {
    gen.error(a.posOf("approximation"))
        << "approximation must be \"erf\" or \"tanh\", got \"" << name << "\"";
    return {};
  }
  return gen.emit(dl::GeluOp::getOperationName(), pos, a.tensor(0, "x"),
                  {attr(gen, "approximation",
                        dl::GeluApproximationAttr::get(gen.getContext(),
                                                       *approximation))});
}

Value castTo(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(2, 2, {}))
    return {};
  Value x = a.tensor(0, "x");
  const Val &dtype = a.args[1];
  if (!x)
    return {};
  if (dtype.kind != Val::Kind::String) {
    gen.error(dtype.pos) << "'cast' needs an element type, like cast(x, f16)";
    return {};
  }
  Type element = gen.parseDtype(dtype.string, dtype.pos);
  if (!element)
    return {};
  return gen.emit(dl::CastOp::getOperationName(), pos, x, {},
                  RankedTensorType::get(
                      cast<RankedTensorType>(x.getType()).getShape(), element));
}

Value where(CallArgs &a, MLIRGen &gen, SrcPos pos) {
  if (!a.check(3, 3, {}))
    return {};
  Value cond = a.tensor(0, "condition");
  const Val &t = a.args[1], &f = a.args[2];
  if (!cond)
    return {};
  if (!t.isTensor() && !f.isTensor()) {
    gen.error(pos) << "'where' needs a tensor in one of its branches";
    return {};
  }
  Type element = (t.isTensor() ? t : f).type().getElementType();
  return gen.emit(dl::SelectOp::getOperationName(), pos,
                  {cond, gen.asTensor(t, element), gen.asTensor(f, element)});
}

const llvm::StringMap<Lowering> &table() {
  static const llvm::StringMap<Lowering> builtins = [] {
    llvm::StringMap<Lowering> t;
    t["neg"] = unary(dl::NegOp::getOperationName());
    t["abs"] = unary(dl::AbsOp::getOperationName());
    t["exp"] = unary(dl::ExpOp::getOperationName());
    t["log"] = unary(dl::LogOp::getOperationName());
    t["sqrt"] = unary(dl::SqrtOp::getOperationName());
    t["rsqrt"] = unary(dl::RsqrtOp::getOperationName());
    t["tanh"] = unary(dl::TanhOp::getOperationName());
    t["sigmoid"] = unary(dl::SigmoidOp::getOperationName());
    t["relu"] = unary(dl::ReluOp::getOperationName());
    t["gelu"] = gelu;
    t["cast"] = castTo;
    t["add"] = binary(dl::AddOp::getOperationName());
    t["sub"] = binary(dl::SubOp::getOperationName());
    t["mul"] = binary(dl::MulOp::getOperationName());
    t["div"] = binary(dl::DivOp::getOperationName());
    t["pow"] = binary(dl::PowOp::getOperationName());
    t["maximum"] = binary(dl::MaxOp::getOperationName());
    t["minimum"] = binary(dl::MinOp::getOperationName());
    t["where"] = where;
    t["matmul"] = matmul;
    t["conv2d"] = conv2d;
    t["max_pool2d"] = pooling<dl::MaxPool2dOp>(false);
    t["avg_pool2d"] = pooling<dl::AvgPool2dOp>(true);
    t["sum"] = reduction<dl::ReduceSumOp>();
    t["mean"] = reduction<dl::ReduceMeanOp>();
    t["max"] = reduction<dl::ReduceMaxOp>();
    t["prod"] = reduction<dl::ReduceProdOp>();
    t["argmax"] = [](CallArgs &a, MLIRGen &gen, SrcPos pos) -> Value {
      if (!a.check(1, 2, {"axis", "keepdims"}))
        return {};
      Value x = a.tensor(0, "x");
      if (!x)
        return {};
      auto axis = a.axisArg("axis", 1, -1,
                            cast<RankedTensorType>(x.getType()).getRank());
      if (!axis)
        return {};
      SmallVector<NamedAttribute> attrs{attr(gen, "axis", i64(gen, *axis))};
      if (a.flag("keepdims").value_or(false))
        attrs.push_back(attr(gen, "keepdims", UnitAttr::get(gen.getContext())));
      return gen.emit(dl::ArgmaxOp::getOperationName(), pos, x, attrs);
    };
    t["softmax"] = softmaxLike<dl::SoftmaxOp>();
    t["log_softmax"] = softmaxLike<dl::LogSoftmaxOp>();
    t["reshape"] = reshape;
    t["flatten"] = flatten;
    t["transpose"] = transpose;
    t["broadcast_to"] = broadcastTo;
    t["concat"] = concat;
    t["slice"] = slice;
    t["gather"] = gather;
    t["embedding"] = gather;
    t["iota"] = iota;
    t["fill"] = fill;
    t["layer_norm"] = layerNorm;
    t["batch_norm"] = batchNorm;
    t["dropout"] = dropout;
    t["cross_entropy"] = loss<dl::CrossEntropyOp>();
    t["mse"] = loss<dl::MseOp>();
    t["accuracy"] = accuracy;
    return t;
  }();
  return builtins;
}

} // namespace

std::optional<Val> dlc::dsl::lowerBuiltin(StringRef name, CallArgs &args) {
  const auto &builtins = table();
  auto it = builtins.find(name);
  if (it == builtins.end())
    return std::nullopt;
  Value result = it->second(args, args.gen, args.call.pos);
  return Val::of(result, args.call.pos);
}

ArrayRef<StringRef> dlc::dsl::builtinNames() {
  static const std::vector<StringRef> names = [] {
    std::vector<StringRef> all;
    for (const auto &entry : table())
      all.push_back(entry.getKey());
    llvm::sort(all);
    return all;
  }();
  return names;
}

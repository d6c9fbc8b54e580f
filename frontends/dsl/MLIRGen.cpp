//===- MLIRGen.cpp - From the DSL syntax tree to the dl dialect -----------===//
//
// Walks the statements in order. Constants are evaluated at compile time;
// tensors become SSA values of `func.func @forward`; a `def` block is inlined
// at each call with its params named after the call's scope. Errors are MLIR
// diagnostics at the DSL position; lowering goes on after an error where it
// can, so one run reports several.
//
//===----------------------------------------------------------------------===//

#include "frontends/dsl/MLIRGenImpl.h"

#include "dialects/dl/DlOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace dlc::dsl;

MLIRGen::MLIRGen(MLIRContext &context, const Module &module,
                 const MLIRGenOptions &options)
    : context(context), ast(module), options(options), builder(&context) {}

Location MLIRGen::loc(SrcPos pos) {
  return FileLineColLoc::get(&context, ast.filename, pos.line, pos.col);
}

InFlightDiagnostic MLIRGen::error(SrcPos pos) {
  failed = true;
  return mlir::emitError(loc(pos));
}

Type MLIRGen::parseDtype(StringRef name, SrcPos pos) {
  Type type = llvm::StringSwitch<Type>(name)
                  .Case("f32", builder.getF32Type())
                  .Case("f64", builder.getF64Type())
                  .Case("f16", builder.getF16Type())
                  .Case("bf16", builder.getBF16Type())
                  .Case("i32", builder.getI32Type())
                  .Case("i64", builder.getI64Type())
                  .Case("i1", builder.getI1Type())
                  .Default(Type());
  if (!type)
    error(pos) << "unknown element type '" << name
               << "' (expected f32, f64, f16, bf16, i32, i64 or i1)";
  return type;
}

//===----------------------------------------------------------------------===//
// Emitting ops
//===----------------------------------------------------------------------===//

Location MLIRGen::originOf(Value value) {
  if (Operation *op = value.getDefiningOp())
    return op->getLoc();
  return value.getLoc();
}

Operation *MLIRGen::emitOp(StringRef name, SrcPos pos, ValueRange operands,
                           ArrayRef<NamedAttribute> attributes,
                           unsigned numResults, TypeRange resultTypes) {
  Location location = loc(pos);
  // Say where each operand came from, so a shape error shows both shapes and
  // the lines that made them.
  ScopedDiagnosticHandler notes(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    SmallVector<Location> noted{location};
    for (auto [i, operand] : llvm::enumerate(operands)) {
      Location origin = originOf(operand);
      if (llvm::is_contained(noted, origin))
        continue;
      noted.push_back(origin);
      auto type = dyn_cast<RankedTensorType>(operand.getType());
      auto &note = diag.attachNote(origin) << "operand " << i;
      if (type)
        note << " (" << type << ")";
      note << " comes from here";
    }
    return failure();
  });

  OperationState state(location, name);
  state.addOperands(operands);
  state.addAttributes(attributes);
  if (!resultTypes.empty())
    state.addTypes(resultTypes);
  else
    state.addTypes(SmallVector<Type>(numResults, builder.getNoneType()));
  Operation *op = builder.create(state);
  if (resultTypes.empty()) {
    auto inference = dyn_cast<InferTypeOpInterface>(op);
    SmallVector<Type> inferred;
    if (!inference ||
        mlir::failed(inference.inferReturnTypes(
            &context, location, op->getOperands(), op->getRawDictionaryAttrs(),
            op->getPropertiesStorage(), op->getRegions(), inferred))) {
      if (!inference)
        mlir::emitError(location) << "'" << name << "' needs a result type";
      op->erase();
      failed = true;
      return nullptr;
    }
    for (auto [result, type] : llvm::zip(op->getResults(), inferred))
      result.setType(type);
  }
  if (mlir::failed(mlir::verify(op))) {
    op->erase();
    failed = true;
    return nullptr;
  }
  return op;
}

Value MLIRGen::emit(StringRef name, SrcPos pos, ValueRange operands,
                    ArrayRef<NamedAttribute> attributes, Type resultType) {
  for (Value operand : operands)
    if (!operand)
      return {};
  Operation *op =
      emitOp(name, pos, operands, attributes, 1,
             resultType ? TypeRange(resultType) : TypeRange());
  return op ? op->getResult(0) : Value();
}

Value MLIRGen::asTensor(const Val &value, Type element) {
  if (value.isTensor())
    return value.tensor;
  if (value.kind != Val::Kind::Number) {
    error(value.pos) << "expected a tensor or a number here";
    return {};
  }
  auto type = RankedTensorType::get({}, element);
  Attribute scalar;
  if (auto floatType = dyn_cast<FloatType>(element))
    scalar = builder.getFloatAttr(floatType, value.number);
  else if (element.isInteger(1))
    scalar = builder.getIntegerAttr(element, value.number != 0);
  else
    scalar = builder.getIntegerAttr(element,
                                    static_cast<int64_t>(value.number));
  return emit(dl::ConstantOp::getOperationName(), value.pos, {},
              {builder.getNamedAttr("value",
                                    DenseElementsAttr::get(type, scalar))},
              type);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Val MLIRGen::lookup(const std::string &name, SrcPos pos) {
  for (auto scope = scopes.rbegin(); scope != scopes.rend(); ++scope)
    if (auto it = scope->find(name); it != scope->end())
      return it->second;
  if (auto it = constants.find(name); it != constants.end())
    return it->second;
  if (name == "true" || name == "false")
    return Val::num(name == "true", true, pos);
  error(pos) << "unknown name '" << name << "'";
  return {};
}

Val MLIRGen::evalExpr(const Expr &expr) {
  if (auto *number = dyn_cast<NumberExpr>(&expr))
    return Val::num(number->value, number->isInteger, number->pos);
  if (auto *string = dyn_cast<StringExpr>(&expr)) {
    Val v;
    v.kind = Val::Kind::String;
    v.string = string->value;
    v.pos = string->pos;
    return v;
  }
  if (auto *name = dyn_cast<NameExpr>(&expr)) {
    // Element type names are reserved and stand for themselves
    // (`cast(x, f16)`).
    if (llvm::is_contained({"f32", "f64", "f16", "bf16", "i32", "i64", "i1"},
                           name->name)) {
      Val v;
      v.kind = Val::Kind::String;
      v.string = name->name;
      v.pos = name->pos;
      return v;
    }
    Val v = lookup(name->name, name->pos);
    if (v.ok())
      v.pos = name->pos;
    return v;
  }
  if (auto *list = dyn_cast<ListExpr>(&expr)) {
    Val v;
    v.kind = Val::Kind::List;
    v.pos = list->pos;
    for (const ExprPtr &item : list->items) {
      Val element = evalExpr(*item);
      if (!element.ok())
        return {};
      v.list.push_back(std::move(element));
    }
    return v;
  }
  if (auto *unary = dyn_cast<UnaryExpr>(&expr)) {
    Val operand = evalExpr(*unary->operand);
    if (operand.kind == Val::Kind::Number)
      return Val::num(-operand.number, operand.isInteger, unary->pos);
    if (!operand.isTensor()) {
      if (operand.ok())
        error(unary->pos) << "'-' needs a number or a tensor";
      return {};
    }
    return Val::of(emit(dl::NegOp::getOperationName(), unary->pos,
                        operand.tensor),
                   unary->pos);
  }
  if (auto *binary = dyn_cast<BinaryExpr>(&expr))
    return evalBinary(*binary);
  return evalCall(cast<CallExpr>(expr));
}

Val MLIRGen::evalBinary(const BinaryExpr &expr) {
  Val lhs = evalExpr(*expr.lhs);
  Val rhs = evalExpr(*expr.rhs);
  if (!lhs.ok() || !rhs.ok())
    return {};
  // Compile-time arithmetic on constants (`n_in * 2`).
  if (lhs.kind == Val::Kind::Number && rhs.kind == Val::Kind::Number) {
    bool integer = lhs.isInteger && rhs.isInteger;
    double a = lhs.number, b = rhs.number;
    switch (expr.op) {
    case Tok::Plus: return Val::num(a + b, integer, expr.pos);
    case Tok::Minus: return Val::num(a - b, integer, expr.pos);
    case Tok::Star: return Val::num(a * b, integer, expr.pos);
    case Tok::Slash:
      if (b == 0) {
        error(expr.pos) << "division by zero in a constant expression";
        return {};
      }
      // Integers divide exactly or not at all: shapes must not round.
      if (integer && std::fmod(a, b) != 0) {
        error(expr.pos) << static_cast<int64_t>(a) << " / "
                        << static_cast<int64_t>(b)
                        << " is not an integer; write a float to divide";
        return {};
      }
      return Val::num(a / b, integer, expr.pos);
    default:
      error(expr.pos) << "this operator needs a tensor operand";
      return {};
    }
  }
  if (lhs.kind != Val::Kind::Number && !lhs.isTensor()) {
    error(lhs.pos) << "expected a tensor or a number";
    return {};
  }
  if (rhs.kind != Val::Kind::Number && !rhs.isTensor()) {
    error(rhs.pos) << "expected a tensor or a number";
    return {};
  }
  Type element = (lhs.isTensor() ? lhs : rhs).type().getElementType();
  Value a = asTensor(lhs, element), b = asTensor(rhs, element);
  if (!a || !b)
    return {};
  auto compare = [&](dl::CompareDirection direction) {
    return emit(dl::CompareOp::getOperationName(), expr.pos, {a, b},
                {builder.getNamedAttr("direction",
                                      dl::CompareDirectionAttr::get(
                                          &context, direction))});
  };
  Value result;
  switch (expr.op) {
  case Tok::Plus: result = emit(dl::AddOp::getOperationName(), expr.pos, {a, b}); break;
  case Tok::Minus: result = emit(dl::SubOp::getOperationName(), expr.pos, {a, b}); break;
  case Tok::Star: result = emit(dl::MulOp::getOperationName(), expr.pos, {a, b}); break;
  case Tok::Slash: result = emit(dl::DivOp::getOperationName(), expr.pos, {a, b}); break;
  case Tok::At: result = emit(dl::MatmulOp::getOperationName(), expr.pos, {a, b}); break;
  case Tok::Less: result = compare(dl::CompareDirection::LT); break;
  case Tok::LessEq: result = compare(dl::CompareDirection::LE); break;
  case Tok::Greater: result = compare(dl::CompareDirection::GT); break;
  case Tok::GreaterEq: result = compare(dl::CompareDirection::GE); break;
  case Tok::EqEq: result = compare(dl::CompareDirection::EQ); break;
  case Tok::NotEq: result = compare(dl::CompareDirection::NE); break;
  default: break;
  }
  return Val::of(result, expr.pos);
}

Val MLIRGen::evalCall(const CallExpr &call) {
  if (auto it = blocks.find(call.callee); it != blocks.end())
    return callBlock(*it->second, call);
  if (call.scope) {
    error(call.pos) << "'as " << *call.scope
                    << "' names the params of a 'def' block, but '"
                    << call.callee << "' is a builtin";
    return {};
  }
  std::vector<Val> args;
  llvm::StringMap<Val> kwargs;
  bool ok = true;
  for (const ExprPtr &arg : call.args) {
    args.push_back(evalExpr(*arg));
    ok &= args.back().ok();
  }
  for (const KeywordArg &kwarg : call.kwargs) {
    Val value = evalExpr(*kwarg.value);
    ok &= value.ok();
    if (!kwargs.try_emplace(kwarg.name, std::move(value)).second) {
      error(kwarg.pos) << "keyword argument '" << kwarg.name
                       << "' is given twice";
      ok = false;
    }
  }
  if (!ok)
    return {};
  CallArgs callArgs(*this, call, std::move(args), std::move(kwargs));
  std::optional<Val> result = lowerBuiltin(call.callee, callArgs);
  if (!result) {
    auto diag = error(call.pos) << "unknown function '" << call.callee << "'";
    // The closest builtin or block, when one is a typo away.
    StringRef best;
    unsigned bestDistance = 3;
    auto consider = [&](StringRef candidate) {
      unsigned distance = StringRef(call.callee).edit_distance(candidate);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate;
      }
    };
    for (StringRef name : builtinNames())
      consider(name);
    for (const auto &block : blocks)
      consider(block.getKey());
    if (!best.empty())
      diag << "; did you mean '" << best << "'?";
    return {};
  }
  if (result->ok())
    result->pos = call.pos;
  else
    failed = true;
  return *result;
}

Val MLIRGen::callBlock(const DefStmt &def, const CallExpr &call) {
  if (!call.kwargs.empty()) {
    error(call.kwargs.front().pos) << "blocks take positional arguments only";
    return {};
  }
  if (call.args.size() != def.params.size()) {
    error(call.pos) << "'" << def.name << "' takes " << def.params.size()
                    << " argument(s), got " << call.args.size();
    return {};
  }
  if (blockDepth > 64) {
    error(call.pos) << "blocks nest more than 64 deep (recursion?)";
    return {};
  }
  llvm::StringMap<Val> scope;
  for (auto [param, arg] : llvm::zip(def.params, call.args)) {
    Val value = evalExpr(*arg);
    if (!value.ok())
      return {};
    scope[param.first] = std::move(value);
  }
  std::string name = call.scope
                         ? *call.scope
                         : def.name + "_" +
                               std::to_string(autoScopeCounts[def.name]++);
  paramPrefix.push_back(name + ".");
  scopes.push_back(std::move(scope));
  ++blockDepth;
  returned = false;
  bool ok = true;
  for (const StmtPtr &stmt : def.body) {
    ok &= runStmt(*stmt);
    if (returned)
      break;
  }
  --blockDepth;
  scopes.pop_back();
  paramPrefix.pop_back();
  bool didReturn = returned;
  Val result = returned ? returnValue : Val();
  returned = false;
  if (ok && !didReturn)
    error(call.pos) << "block '" << def.name << "' ends without 'return'";
  if (!ok)
    return {};
  result.pos = call.pos;
  return result;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool MLIRGen::evalShape(const TensorTypeSpec &spec, RankedTensorType &type) {
  Type element = parseDtype(spec.dtype, spec.pos);
  SmallVector<int64_t> shape;
  bool ok = static_cast<bool>(element);
  for (const ExprPtr &dim : spec.dims) {
    Val v = evalExpr(*dim);
    if (!v.ok()) {
      ok = false;
    } else if (v.kind != Val::Kind::Number || !v.isInteger || v.number < 1 ||
               v.number > (1ll << 40)) {
      error(dim->pos) << "a dimension must be a positive integer constant";
      ok = false;
    } else {
      shape.push_back(static_cast<int64_t>(v.number));
    }
  }
  if (!ok)
    return false;
  type = RankedTensorType::get(shape, element);
  return succeeded(dl::checkTensorSize(loc(spec.pos), type, "the shape"));
}

bool MLIRGen::declareInput(const InputStmt &stmt, Type &type) {
  RankedTensorType tensorType;
  if (!evalShape(stmt.type, tensorType))
    return false;
  type = tensorType;
  return true;
}

bool MLIRGen::declareParam(const ParamStmt &stmt) {
  RankedTensorType type;
  if (!evalShape(stmt.type, type))
    return false;
  std::string name;
  for (const std::string &prefix : paramPrefix)
    name += prefix;
  name += stmt.name;
  if (auto [it, inserted] = paramDecls.try_emplace(name, stmt.pos); !inserted) {
    auto diag = error(stmt.pos) << "param '" << name << "' is already declared";
    diag.attachNote(loc(it->second)) << "first declared here";
    return false;
  }

  // The initializer: `kind` or `kind(args, seed = N)`.
  const CallExpr &init = *stmt.init;
  std::optional<dl::InitKind> kind = dl::symbolizeInitKind(init.callee);
  // Friendly aliases from the PyTorch world.
  if (!kind)
    kind = llvm::StringSwitch<std::optional<dl::InitKind>>(init.callee)
               .Case("glorot_uniform", dl::InitKind::XavierUniform)
               .Case("glorot_normal", dl::InitKind::XavierNormal)
               .Case("he_uniform", dl::InitKind::KaimingUniform)
               .Case("he_normal", dl::InitKind::KaimingNormal)
               .Default(std::nullopt);
  if (!kind) {
    error(init.pos) << "unknown initializer '" << init.callee
                    << "' (expected zeros, ones, constant, normal, uniform, "
                       "xavier_uniform, xavier_normal, kaiming_uniform, "
                       "kaiming_normal)";
    return false;
  }
  // Each random param gets its own stream unless the model fixes the seed.
  bool random = *kind != dl::InitKind::Zeros && *kind != dl::InitKind::Ones &&
                *kind != dl::InitKind::Constant;
  uint64_t seed = random ? ++paramCount : 0;
  SmallVector<double> args;
  llvm::StringMap<double> named;
  for (const ExprPtr &arg : init.args) {
    Val v = evalExpr(*arg);
    if (v.kind != Val::Kind::Number) {
      if (v.ok())
        error(arg->pos) << "initializer arguments must be numbers";
      return false;
    }
    args.push_back(v.number);
  }
  for (const KeywordArg &kwarg : init.kwargs) {
    Val v = evalExpr(*kwarg.value);
    if (v.kind != Val::Kind::Number) {
      if (v.ok())
        error(kwarg.pos) << "initializer arguments must be numbers";
      return false;
    }
    if (kwarg.name == "seed") {
      if (!v.isInteger || v.number < 0) {
        error(kwarg.pos) << "seed must be a non-negative integer";
        return false;
      }
      seed = static_cast<uint64_t>(v.number);
      continue;
    }
    named[kwarg.name] = v.number;
  }
  // Keyword forms: normal(mean, std), uniform(low, high), constant(value).
  auto takeNamed = [&](std::initializer_list<std::pair<StringRef, double>>
                           names) {
    if (!args.empty())
      return;
    for (auto [key, fallback] : names) {
      auto it = named.find(key);
      args.push_back(it == named.end() ? fallback : it->second);
      if (it != named.end())
        named.erase(it);
    }
  };
  if (*kind == dl::InitKind::Normal)
    takeNamed({{"mean", 0.0}, {"std", 1.0}});
  else if (*kind == dl::InitKind::Uniform)
    takeNamed({{"low", 0.0}, {"high", 1.0}});
  else if (*kind == dl::InitKind::Constant)
    takeNamed({{"value", 0.0}});
  if (!named.empty()) {
    error(init.pos) << "initializer '" << init.callee
                    << "' has no argument '" << named.begin()->getKey() << "'";
    return false;
  }
  auto initAttr = dl::InitAttr::getChecked(
      [&] { return error(init.pos); }, &context, *kind,
      DenseF64ArrayAttr::get(&context, args), seed);
  if (!initAttr)
    return false;

  // The symbol goes before @forward; reading it happens here.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(paramInsertion->getParentOp());
  dl::ParamRole role = stmt.role == "buffer" ? dl::ParamRole::Buffer
                                             : dl::ParamRole::Parameter;
  auto param = dl::ParamOp::create(builder, loc(stmt.pos), name, type,
                                   initAttr, /*value=*/nullptr, role);
  if (mlir::failed(mlir::verify(param))) {
    param.erase();
    failed = true;
    return false;
  }
  builder.setInsertionPointToEnd(body);
  Value value = dl::LoadParamOp::create(builder, loc(stmt.pos), type, name);
  scopes.back()[stmt.name] = Val::of(value, stmt.pos);
  return true;
}

bool MLIRGen::runStmt(const Stmt &stmt) {
  auto bindNew = [&](const std::string &name, Val value, SrcPos pos) {
    // A name whose definition failed stays bound to an invalid value, so its
    // uses fail quietly instead of repeating "unknown name".
    if (!value.ok()) {
      scopes.back()[name] = Val();
      return false;
    }
    if ((scopes.back().count(name) && scopes.back()[name].ok()) ||
        (scopes.size() == 1 && constants.count(name))) {
      error(pos) << "'" << name << "' is already defined";
      return false;
    }
    scopes.back()[name] = std::move(value);
    return true;
  };
  if (auto *s = dyn_cast<ConstStmt>(&stmt)) {
    if (blockDepth == 0)
      return true; // Evaluated before the function was built.
    Val v = evalExpr(*s->value);
    if (v.ok() && v.kind != Val::Kind::Number) {
      error(s->value->pos) << "a constant must be a number";
      return false;
    }
    return bindNew(s->name, v, s->pos);
  }
  if (isa<InputStmt, DefStmt>(stmt))
    return true; // Handled before the function was built.
  if (auto *s = dyn_cast<ParamStmt>(&stmt)) {
    if (declareParam(*s))
      return true;
    scopes.back().try_emplace(s->name, Val()); // Uses fail quietly.
    return false;
  }
  if (auto *s = dyn_cast<LetStmt>(&stmt))
    return bindNew(s->name, evalExpr(*s->value), s->pos);
  if (auto *s = dyn_cast<ReturnStmt>(&stmt)) {
    returnValue = evalExpr(*s->value);
    returned = true;
    return returnValue.ok();
  }
  if (auto *s = dyn_cast<OutputStmt>(&stmt)) {
    Val v = evalExpr(*s->value);
    if (!v.ok())
      return false;
    if (!v.isTensor()) {
      error(s->pos) << "output '" << s->name << "' must be a tensor";
      return false;
    }
    for (const auto &output : outputs)
      if (output.first == s->name) {
        error(s->pos) << "output '" << s->name << "' is already defined";
        return false;
      }
    outputs.emplace_back(s->name, v);
    return true;
  }
  return lowerTrain(cast<TrainStmt>(stmt));
}

mlir::OwningOpRef<ModuleOp> MLIRGen::run() {
  module = ModuleOp::create(loc({1, 1}));
  if (!ast.name.empty())
    module.setSymName(ast.name);
  scopes.emplace_back();

  // Constants, inputs and blocks first: the function's signature needs them.
  SmallVector<Type> inputTypes;
  SmallVector<const InputStmt *> inputs;
  for (const StmtPtr &stmt : ast.stmts) {
    if (auto *s = dyn_cast<ConstStmt>(stmt.get())) {
      Val v = evalExpr(*s->value);
      if (v.ok() && s->name == "batch" && options.batch)
        v = Val::num(static_cast<double>(*options.batch), true, s->pos);
      if (v.ok() && v.kind != Val::Kind::Number)
        error(s->value->pos) << "a constant must be a number";
      else if (v.ok() && !constants.try_emplace(s->name, v).second)
        error(s->pos) << "constant '" << s->name << "' is already defined";
    } else if (auto *s = dyn_cast<InputStmt>(stmt.get())) {
      Type type;
      if (declareInput(*s, type)) {
        inputTypes.push_back(type);
        inputs.push_back(s);
      } else {
        scopes.back()[s->name] = Val(); // Uses fail quietly.
      }
    } else if (auto *s = dyn_cast<DefStmt>(stmt.get())) {
      if (!blocks.try_emplace(s->name, s).second)
        error(s->pos) << "block '" << s->name << "' is already defined";
    }
  }
  if (options.batch && !constants.count("batch"))
    error({1, 1}) << "--batch was given but the model declares no "
                     "'const batch'";
  // The batch size travels to the plan's metadata.
  if (auto it = constants.find("batch");
      it != constants.end() && it->second.ok())
    module->setAttr("dl.batch",
                    builder.getI64IntegerAttr(int64_t(it->second.number)));

  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder, loc({1, 1}), "forward",
                                   builder.getFunctionType(inputTypes, {}));
  body = func.addEntryBlock();
  paramInsertion = body;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    body->getArgument(i).setLoc(loc(input->pos));
    func.setArgAttr(i, "dl.name", builder.getStringAttr(input->name));
    if (scopes.back().count(input->name) || constants.count(input->name))
      error(input->pos) << "'" << input->name << "' is already defined";
    scopes.back()[input->name] = Val::of(body->getArgument(i), input->pos);
  }
  builder.setInsertionPointToEnd(body);
  for (const StmtPtr &stmt : ast.stmts)
    runStmt(*stmt);

  if (outputs.empty() && trainResults.empty() && !failed)
    error({1, 1}) << "the model has no 'output' and no 'train' section "
                     "(nothing to compute)";
  for (const auto &result : trainResults) {
    for (const auto &output : outputs)
      if (output.first == result.first)
        error(output.second.pos)
            << "output '" << result.first
            << "' has the name of a training result";
  }
  llvm::append_range(outputs, trainResults);
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : outputs) {
    results.push_back(output.second.tensor);
    resultTypes.push_back(output.second.tensor.getType());
  }
  func::ReturnOp::create(builder, loc({1, 1}), results);
  func.setType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(outputs))
    func.setResultAttr(i, "dl.name", builder.getStringAttr(output.first));
  if (failed || mlir::failed(mlir::verify(module))) {
    module.erase();
    return nullptr;
  }
  return module;
}

mlir::OwningOpRef<ModuleOp> dlc::dsl::mlirGen(MLIRContext &context,
                                              const Module &module,
                                              const MLIRGenOptions &options) {
  context.loadDialect<dl::DlDialect, func::FuncDialect>();
  return MLIRGen(context, module, options).run();
}

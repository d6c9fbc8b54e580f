//===- ElementwiseOps.cpp - ONNX elementwise ops --------------------------===//
//
// Arithmetic, activations, comparisons, logic, Where, Clip and Cast. ONNX
// broadcasting is numpy's, which dl's binary ops implement, so most ops map
// one to one; activations dl has no op for are written with the ops it has
// (the fusion pass makes each one kernel again).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"

#include "dialects/dl/DlShapeInference.h"

using namespace mlir;
using namespace mlir::dl;
using namespace dlc::onnx;

namespace {

Type elementType(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// An elementwise node whose inputs are all small integer or boolean
/// constants (shape computations: Equal, Where, Add on shapes) folds to a
/// constant of `resultElement`, so the shapes stay known at compile time.
/// Null when it does not apply.
Value foldIntegers(NodeContext &ctx, Type resultElement,
                   llvm::function_ref<int64_t(ArrayRef<int64_t>)> fn) {
  SmallVector<DenseElementsAttr> operands;
  SmallVector<NamedTensor> named;
  for (unsigned i = 0; i < ctx.numInputs(); ++i) {
    DenseElementsAttr value = ctx.constant(i);
    if (!value || !isa<IntegerType>(value.getElementType()))
      return nullptr;
    operands.push_back(value);
    named.push_back({"operand", ctx.type(i)});
  }
  SmallVector<int64_t> shape;
  if (operands.empty() || failed(broadcastShapes(std::nullopt, named, shape)))
    return nullptr;
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  if (count > 4096)
    return nullptr;
  // Booleans read as 0 and 1, integers sign-extended.
  SmallVector<SmallVector<int64_t>> values;
  for (DenseElementsAttr value : operands) {
    SmallVector<int64_t> &v = values.emplace_back();
    bool boolean = value.getElementType().isInteger(1);
    for (const APInt &x : value.getValues<APInt>())
      v.push_back(boolean ? int64_t(x.getZExtValue()) : x.getSExtValue());
  }
  // The flat index of result element `i` in an operand of `opShape`.
  auto index = [&](ArrayRef<int64_t> opShape, int64_t i) {
    int64_t flat = 0, stride = 1;
    for (int64_t d = int64_t(shape.size()) - 1, o = int64_t(opShape.size()) - 1;
         d >= 0; --d, --o) {
      int64_t coord = i % shape[d];
      i /= shape[d];
      if (o >= 0) {
        if (opShape[o] != 1)
          flat += coord * stride;
        stride *= opShape[o];
      }
    }
    return flat;
  };
  unsigned bits = resultElement.getIntOrFloatBitWidth();
  SmallVector<APInt> result;
  SmallVector<int64_t> args(operands.size());
  for (int64_t i = 0; i < count; ++i) {
    for (auto [k, value] : llvm::enumerate(values))
      args[k] = value[index(ctx.type(k).getShape(), i)];
    result.emplace_back(bits, fn(args), /*isSigned=*/bits > 1);
  }
  return ctx.constantOf(DenseElementsAttr::get(
      RankedTensorType::get(shape, resultElement), result));
}

template <typename OpTy> int64_t (*integerFold())(ArrayRef<int64_t>) {
  if constexpr (std::is_same_v<OpTy, AddOp>) // Sum adds any number
    return [](ArrayRef<int64_t> x) {
      int64_t sum = 0;
      for (int64_t v : x)
        sum += v;
      return sum;
    };
  if constexpr (std::is_same_v<OpTy, SubOp>)
    return [](ArrayRef<int64_t> x) { return x[0] - x[1]; };
  if constexpr (std::is_same_v<OpTy, MulOp>)
    return [](ArrayRef<int64_t> x) { return x[0] * x[1]; };
  // ONNX divides integers truncating, as C++ does.
  if constexpr (std::is_same_v<OpTy, DivOp>)
    return [](ArrayRef<int64_t> x) { return x[0] / x[1]; };
  if constexpr (std::is_same_v<OpTy, MaxOp>)
    return [](ArrayRef<int64_t> x) { return *llvm::max_element(x); };
  if constexpr (std::is_same_v<OpTy, MinOp>)
    return [](ArrayRef<int64_t> x) { return *llvm::min_element(x); };
  if constexpr (std::is_same_v<OpTy, NegOp>)
    return [](ArrayRef<int64_t> x) { return -x[0]; };
  if constexpr (std::is_same_v<OpTy, AbsOp>)
    return [](ArrayRef<int64_t> x) { return x[0] < 0 ? -x[0] : x[0]; };
  return nullptr;
}

template <typename OpTy> LogicalResult unary(NodeContext &ctx) {
  if (auto fn = integerFold<OpTy>())
    if (Value folded = foldIntegers(ctx, elementType(ctx.in(0)), fn)) {
      ctx.set(0, folded);
      return success();
    }
  ctx.set(0, OpTy::create(ctx.b, ctx.loc, ctx.in(0)));
  return success();
}

/// Whether a constant integer divisor has a zero, which a fold must leave
/// to run time.
bool hasZero(DenseElementsAttr value) {
  return value && isa<IntegerType>(value.getElementType()) &&
         llvm::any_of(value.getValues<APInt>(),
                      [](const APInt &v) { return v.isZero(); });
}

template <typename OpTy> LogicalResult binary(NodeContext &ctx) {
  if (auto fn = integerFold<OpTy>();
      fn && !(std::is_same_v<OpTy, DivOp> && hasZero(ctx.constant(1))))
    if (Value folded = foldIntegers(ctx, elementType(ctx.in(0)), fn)) {
      ctx.set(0, folded);
      return success();
    }
  Value r = ctx.make<OpTy>(ctx.in(0), ctx.in(1));
  ctx.set(0, r);
  return success(r != nullptr);
}

/// Max, Min, Sum, Mean: a variadic fold of a binary op.
template <typename OpTy> LogicalResult variadic(NodeContext &ctx) {
  if (ctx.numInputs() == 0)
    return ctx.error() << "needs at least one input", failure();
  if (auto fn = integerFold<OpTy>(); fn && ctx.node.op_type() != "Mean")
    if (Value folded = foldIntegers(ctx, elementType(ctx.in(0)), fn)) {
      ctx.set(0, folded);
      return success();
    }
  Value acc = ctx.in(0);
  for (unsigned i = 1; i < ctx.numInputs() && acc; ++i)
    acc = ctx.make<OpTy>(acc, ctx.in(i));
  if (acc && ctx.node.op_type() == "Mean")
    acc = ctx.make<DivOp>(
        acc, ctx.scalarOf(elementType(acc), double(ctx.numInputs())));
  if (acc && ctx.numInputs() == 1)
    acc = ctx.broadcastTo(acc, ctx.type(0).getShape());
  ctx.set(0, acc);
  return success(acc != nullptr);
}

template <CompareDirection direction> LogicalResult compare(NodeContext &ctx) {
  if (Value folded =
          foldIntegers(ctx, ctx.b.getI1Type(), [](ArrayRef<int64_t> x) {
            int64_t a = x[0], b = x[1];
            switch (direction) {
            case CompareDirection::EQ: return int64_t(a == b);
            case CompareDirection::NE: return int64_t(a != b);
            case CompareDirection::LT: return int64_t(a < b);
            case CompareDirection::LE: return int64_t(a <= b);
            case CompareDirection::GT: return int64_t(a > b);
            case CompareDirection::GE: return int64_t(a >= b);
            }
            return int64_t(0);
          })) {
    ctx.set(0, folded);
    return success();
  }
  Value r = ctx.make<CompareOp>(direction, ctx.in(0), ctx.in(1));
  ctx.set(0, r);
  return success(r != nullptr);
}

Value scalarLike(NodeContext &ctx, Value like, double value) {
  return ctx.scalarOf(elementType(like), value);
}

/// x where x > 0, else f(x): Elu, Selu, LeakyRelu, PRelu, ThresholdedRelu.
Value positiveOr(NodeContext &ctx, Value x, Value negative,
                 CompareDirection direction = CompareDirection::GT,
                 double threshold = 0) {
  Value cond = ctx.make<CompareOp>(direction, x, scalarLike(ctx, x, threshold));
  return cond ? ctx.make<SelectOp>(cond, x, negative) : nullptr;
}

/// alpha * (exp(x) - 1), the negative branch of Elu and Selu.
Value expm1Scaled(NodeContext &ctx, Value x, double alpha) {
  Value e = ExpOp::create(ctx.b, ctx.loc, x);
  Value m = ctx.make<SubOp>(e, scalarLike(ctx, x, 1));
  return ctx.make<MulOp>(m, scalarLike(ctx, x, alpha));
}

LogicalResult convertElu(NodeContext &ctx) {
  Value x = ctx.in(0);
  ctx.set(0, positiveOr(ctx, x,
                        expm1Scaled(ctx, x, ctx.getFloat("alpha", 1.0))));
  return success();
}

LogicalResult convertSelu(NodeContext &ctx) {
  Value x = ctx.in(0);
  double alpha = ctx.getFloat("alpha", 1.67326319217681884765625);
  double gamma = ctx.getFloat("gamma", 1.05070102214813232421875);
  Value inner = positiveOr(ctx, x, expm1Scaled(ctx, x, alpha));
  ctx.set(0, ctx.make<MulOp>(inner, scalarLike(ctx, x, gamma)));
  return success();
}

LogicalResult convertCelu(NodeContext &ctx) {
  // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  Value x = ctx.in(0);
  double alpha = ctx.getFloat("alpha", 1.0);
  Value scaled = ctx.make<DivOp>(x, scalarLike(ctx, x, alpha));
  Value neg = ctx.make<MinOp>(expm1Scaled(ctx, scaled, alpha),
                              scalarLike(ctx, x, 0));
  Value pos = ctx.make<MaxOp>(x, scalarLike(ctx, x, 0));
  ctx.set(0, ctx.make<AddOp>(pos, neg));
  return success();
}

LogicalResult convertLeakyRelu(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value scaled =
      ctx.make<MulOp>(x, scalarLike(ctx, x, ctx.getFloat("alpha", 0.01)));
  ctx.set(0, positiveOr(ctx, x, scaled, CompareDirection::GE));
  return success();
}

LogicalResult convertPRelu(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value scaled = ctx.make<MulOp>(x, ctx.in(1));
  if (!scaled)
    return failure();
  // The slope may broadcast x to a larger shape; ONNX keeps x's.
  Value r = positiveOr(ctx, x, scaled, CompareDirection::GE);
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertThresholdedRelu(NodeContext &ctx) {
  Value x = ctx.in(0);
  ctx.set(0, positiveOr(ctx, x, scalarLike(ctx, x, 0), CompareDirection::GT,
                        ctx.getFloat("alpha", 1.0)));
  return success();
}

Value hardSigmoid(NodeContext &ctx, Value x, double alpha, double beta) {
  Value y = ctx.make<AddOp>(ctx.make<MulOp>(x, scalarLike(ctx, x, alpha)),
                            scalarLike(ctx, x, beta));
  y = ctx.make<MinOp>(y, scalarLike(ctx, x, 1));
  return ctx.make<MaxOp>(y, scalarLike(ctx, x, 0));
}

LogicalResult convertHardSigmoid(NodeContext &ctx) {
  ctx.set(0, hardSigmoid(ctx, ctx.in(0), ctx.getFloat("alpha", 0.2),
                         ctx.getFloat("beta", 0.5)));
  return success();
}

LogicalResult convertHardSwish(NodeContext &ctx) {
  Value x = ctx.in(0);
  ctx.set(0, ctx.make<MulOp>(x, hardSigmoid(ctx, x, 1.0 / 6, 0.5)));
  return success();
}

Value softplus(NodeContext &ctx, Value x) {
  Value e = ExpOp::create(ctx.b, ctx.loc, x);
  return LogOp::create(ctx.b, ctx.loc,
                       ctx.make<AddOp>(e, scalarLike(ctx, x, 1)));
}

LogicalResult convertSoftplus(NodeContext &ctx) {
  ctx.set(0, softplus(ctx, ctx.in(0)));
  return success();
}

LogicalResult convertSoftsign(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value d = ctx.make<AddOp>(AbsOp::create(ctx.b, ctx.loc, x),
                            scalarLike(ctx, x, 1));
  ctx.set(0, ctx.make<DivOp>(x, d));
  return success();
}

LogicalResult convertMish(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value t = TanhOp::create(ctx.b, ctx.loc, softplus(ctx, x));
  ctx.set(0, ctx.make<MulOp>(x, t));
  return success();
}

LogicalResult convertGelu(NodeContext &ctx) {
  std::string approximate = ctx.getString("approximate", "none");
  GeluApproximation kind;
  if (approximate == "none")
    kind = GeluApproximation::Erf;
  else if (approximate == "tanh")
    kind = GeluApproximation::Tanh;
  else
    return ctx.unsupported("approximate='" + approximate + "'");
  ctx.set(0, GeluOp::create(ctx.b, ctx.loc, ctx.in(0), kind));
  return success();
}

LogicalResult convertReciprocal(NodeContext &ctx) {
  Value x = ctx.in(0);
  ctx.set(0, ctx.make<DivOp>(scalarLike(ctx, x, 1), x));
  return success();
}

LogicalResult convertSign(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value zero = scalarLike(ctx, x, 0);
  Value neg = ctx.make<SelectOp>(
      ctx.make<CompareOp>(CompareDirection::LT, x, zero),
      scalarLike(ctx, x, -1), zero);
  Value r = ctx.make<SelectOp>(
      ctx.make<CompareOp>(CompareDirection::GT, x, zero),
      scalarLike(ctx, x, 1), neg);
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertCeil(NodeContext &ctx) {
  // ceil(x) = -floor(-x), exact in IEEE arithmetic.
  Value neg = NegOp::create(ctx.b, ctx.loc, ctx.in(0));
  Value f = FloorOp::create(ctx.b, ctx.loc, neg);
  ctx.set(0, NegOp::create(ctx.b, ctx.loc, f));
  return success();
}

LogicalResult convertPow(NodeContext &ctx) {
  // ONNX lets the exponent have another type; dl wants the base's, and a
  // float. An integer base is raised in f64 (exact below 2^53) and the
  // result truncated back to its type, as the reference does.
  Type base = elementType(ctx.in(0));
  Type compute = isa<FloatType>(base) ? base : ctx.b.getF64Type();
  Value r = ctx.make<PowOp>(ctx.castTo(ctx.in(0), compute),
                            ctx.castTo(ctx.in(1), compute));
  if (r && compute != base)
    r = ctx.castTo(r, base);
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertIsInf(NodeContext &ctx) {
  Value x = ctx.in(0);
  Type i1 = ctx.b.getI1Type();
  Value inf = IsInfOp::create(ctx.b, ctx.loc, ctx.type(0).clone(i1), x);
  bool positive = ctx.getInt("detect_positive", 1) != 0;
  bool negative = ctx.getInt("detect_negative", 1) != 0;
  if (!positive || !negative) {
    // Keep the infinities of the wanted sign (none when neither is).
    Value zero = scalarLike(ctx, x, 0);
    Value wanted =
        positive   ? ctx.make<CompareOp>(CompareDirection::GT, x, zero)
        : negative ? ctx.make<CompareOp>(CompareDirection::LT, x, zero)
                   : ctx.scalarOf(i1, 0);
    inf = ctx.make<SelectOp>(inf, wanted, ctx.scalarOf(i1, 0));
  }
  ctx.set(0, inf);
  return success(inf != nullptr);
}

LogicalResult convertIsNaN(NodeContext &ctx) {
  ctx.set(0, IsNanOp::create(ctx.b, ctx.loc,
                             ctx.type(0).clone(ctx.b.getI1Type()), ctx.in(0)));
  return success();
}

//===--- logic ------------------------------------------------------------===//

LogicalResult convertNot(NodeContext &ctx) {
  Value x = ctx.in(0);
  ctx.set(0, ctx.make<CompareOp>(CompareDirection::EQ, x,
                                 scalarLike(ctx, x, 0)));
  return success();
}

LogicalResult convertAnd(NodeContext &ctx) {
  Value r = ctx.make<SelectOp>(ctx.in(0), ctx.in(1),
                               scalarLike(ctx, ctx.in(0), 0));
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertOr(NodeContext &ctx) {
  Value r = ctx.make<SelectOp>(ctx.in(0), scalarLike(ctx, ctx.in(0), 1),
                               ctx.in(1));
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertWhere(NodeContext &ctx) {
  if (ctx.numInputs() == 3 && ctx.type(0).getElementType().isInteger(1) &&
      isIndexLike(ctx.type(1).getElementType()))
    if (Value folded = foldIntegers(
            ctx, ctx.type(1).getElementType(),
            [](ArrayRef<int64_t> x) { return x[0] ? x[1] : x[2]; })) {
      ctx.set(0, folded);
      return success();
    }
  Value r = ctx.make<SelectOp>(ctx.in(0), ctx.in(1), ctx.in(2));
  ctx.set(0, r);
  return success(r != nullptr);
}

//===--- Clip, Cast -------------------------------------------------------===//

/// Shrink: x + bias below -lambd, x - bias above lambd, 0 between.
LogicalResult convertShrink(NodeContext &ctx) {
  Value x = ctx.in(0);
  double lambd = ctx.getFloat("lambd", 0.5), bias = ctx.getFloat("bias", 0);
  Value below =
      ctx.make<CompareOp>(CompareDirection::LT, x, scalarLike(ctx, x, -lambd));
  Value above =
      ctx.make<CompareOp>(CompareDirection::GT, x, scalarLike(ctx, x, lambd));
  Value y = ctx.make<SelectOp>(
      below, ctx.make<AddOp>(x, scalarLike(ctx, x, bias)),
      ctx.make<SelectOp>(above, ctx.make<SubOp>(x, scalarLike(ctx, x, bias)),
                         scalarLike(ctx, x, 0)));
  ctx.set(0, y);
  return success(y != nullptr);
}

/// Mod: the remainder with the divisor's sign (fmod = 0, Python's %) or the
/// dividend's (fmod = 1, C's fmod). Integers fold when known; floats take
/// a - b * floor(a / b), resp. a - b * trunc(a / b).
LogicalResult convertMod(NodeContext &ctx) {
  bool cFmod = ctx.getInt("fmod", 0) != 0;
  Type elt = elementType(ctx.in(0));
  if (!isa<FloatType>(elt)) {
    if (!hasZero(ctx.constant(1)))
      if (Value folded = foldIntegers(ctx, elt, [&](ArrayRef<int64_t> x) {
            int64_t r = x[0] % x[1];
            if (!cFmod && r != 0 && (r < 0) != (x[1] < 0))
              r += x[1];
            return r;
          })) {
        ctx.set(0, folded);
        return success();
      }
    // a - b * (a / b) with C's truncating division (a zero divisor is the
    // runtime's error), then moved to the divisor's sign for Python's %.
    Value a = ctx.in(0), b = ctx.in(1);
    Value r = ctx.make<SubOp>(a, ctx.make<MulOp>(b, ctx.make<DivOp>(a, b)));
    if (r && !cFmod) {
      Value zero = scalarLike(ctx, r, 0);
      Value signsDiffer = ctx.make<CompareOp>(
          CompareDirection::NE,
          ctx.make<CompareOp>(CompareDirection::LT, r, zero),
          ctx.make<CompareOp>(CompareDirection::LT, b, zero));
      Value move =
          ctx.make<SelectOp>(ctx.make<CompareOp>(CompareDirection::NE, r, zero),
                             signsDiffer, ctx.scalarOf(ctx.b.getI1Type(), 0));
      r = ctx.make<SelectOp>(move, ctx.make<AddOp>(r, b), r);
    }
    ctx.set(0, r);
    return success(r != nullptr);
  }
  Value a = ctx.in(0), b = ctx.in(1);
  Value q = ctx.make<DivOp>(a, b);
  if (!q)
    return failure();
  Value whole = FloorOp::create(ctx.b, ctx.loc, q);
  if (cFmod) { // toward zero: -floor(-q) for negative q
    Value negative =
        ctx.make<CompareOp>(CompareDirection::LT, q, scalarLike(ctx, q, 0));
    Value up = NegOp::create(
        ctx.b, ctx.loc,
        FloorOp::create(ctx.b, ctx.loc, NegOp::create(ctx.b, ctx.loc, q)));
    whole = ctx.make<SelectOp>(negative, up, whole);
  }
  Value r = ctx.make<SubOp>(a, ctx.make<MulOp>(b, whole));
  ctx.set(0, r);
  return success(r != nullptr);
}

LogicalResult convertClip(NodeContext &ctx) {
  Value x = ctx.in(0);
  Value lo, hi;
  if (ctx.opset < 11) {
    if (ctx.hasAttr("min"))
      lo = scalarLike(ctx, x, ctx.getFloat("min", 0));
    if (ctx.hasAttr("max"))
      hi = scalarLike(ctx, x, ctx.getFloat("max", 0));
  } else {
    if (ctx.has(1))
      lo = ctx.in(1);
    if (ctx.has(2))
      hi = ctx.in(2);
  }
  if (lo)
    x = ctx.make<MaxOp>(x, lo);
  if (x && hi)
    x = ctx.make<MinOp>(x, hi);
  ctx.set(0, x);
  return success(x != nullptr);
}

/// A small constant cast at import, so that shape arithmetic done in
/// floats (a window's length, a scale) stays known: integers and booleans
/// to floats, integers, booleans; floats to floats. Null when it does not
/// apply (floats to integers keep the run-time cast's rounding).
Value foldCast(NodeContext &ctx, Type to) {
  DenseElementsAttr value = ctx.constant(0);
  if (!value || value.getNumElements() > 4096)
    return nullptr;
  Type from = value.getElementType();
  auto type = RankedTensorType::get(value.getType().getShape(), to);
  if (auto f = dyn_cast<FloatType>(to)) {
    SmallVector<APFloat> out;
    bool lost;
    if (isa<FloatType>(from)) {
      for (APFloat v : value.getValues<APFloat>()) {
        v.convert(f.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        out.push_back(v);
      }
    } else {
      bool boolean = from.isInteger(1);
      for (const APInt &v : value.getValues<APInt>()) {
        APFloat x(f.getFloatSemantics());
        x.convertFromAPInt(v, /*IsSigned=*/!boolean,
                           APFloat::rmNearestTiesToEven);
        out.push_back(x);
      }
    }
    return ctx.constantOf(DenseElementsAttr::get(type, out));
  }
  if (!isa<IntegerType>(from))
    return nullptr;
  unsigned bits = to.getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (const APInt &v : value.getValues<APInt>())
    out.push_back(bits == 1           ? APInt(1, !v.isZero())
                  : from.isInteger(1) ? v.zext(bits)
                                      : v.sextOrTrunc(bits));
  return ctx.constantOf(DenseElementsAttr::get(type, out));
}

LogicalResult convertCast(NodeContext &ctx) {
  int64_t to = ctx.getInt("to", 0);
  Type t = elementTypeOf(*ctx.b.getContext(), static_cast<int32_t>(to));
  if (!t)
    return ctx.unsupported("cast to " + onnxTypeName(static_cast<int32_t>(to)));
  if (ctx.getInt("saturate", 1) != 1 && ctx.opset >= 19)
    return ctx.unsupported("saturate=0");
  Value folded = foldCast(ctx, t);
  ctx.set(0, folded ? folded : ctx.castTo(ctx.in(0), t));
  return success();
}

LogicalResult convertCastLike(NodeContext &ctx) {
  Type t = elementType(ctx.in(1));
  Value folded = foldCast(ctx, t);
  ctx.set(0, folded ? folded : ctx.castTo(ctx.in(0), t));
  return success();
}

} // namespace

void dlc::onnx::registerElementwiseOps(ConverterTable &t) {
  t.add("Neg", 1, unary<NegOp>);
  t.add("Abs", 1, unary<AbsOp>);
  t.add("Exp", 1, unary<ExpOp>);
  t.add("Log", 1, unary<LogOp>);
  t.add("Sqrt", 1, unary<SqrtOp>);
  t.add("Tanh", 1, unary<TanhOp>);
  t.add("Sigmoid", 1, unary<SigmoidOp>);
  t.add("Relu", 1, unary<ReluOp>);
  t.add("Floor", 1, unary<FloorOp>);
  t.add("Cos", 7, unary<CosOp>);
  t.add("Sin", 7, unary<SinOp>);
  t.add("Tan", 7, unary<TanOp>);
  t.add("Asin", 7, unary<AsinOp>);
  t.add("Acos", 7, unary<AcosOp>);
  t.add("Atan", 7, unary<AtanOp>);
  t.add("Sinh", 9, unary<SinhOp>);
  t.add("Cosh", 9, unary<CoshOp>);
  t.add("Asinh", 9, unary<AsinhOp>);
  t.add("Acosh", 9, unary<AcoshOp>);
  t.add("Atanh", 9, unary<AtanhOp>);
  t.add("Erf", 9, unary<ErfOp>);
  t.add("Round", 11, unary<RoundOp>);
  t.add("IsNaN", 9, convertIsNaN);
  t.add("IsInf", 10, convertIsInf);
  t.add("Ceil", 1, convertCeil);
  t.add("Reciprocal", 1, convertReciprocal);
  t.add("Sign", 9, convertSign);
  t.add("Elu", 1, convertElu);
  t.add("Selu", 1, convertSelu);
  t.add("Celu", 12, convertCelu);
  t.add("LeakyRelu", 1, convertLeakyRelu);
  t.add("PRelu", 1, convertPRelu);
  t.add("ThresholdedRelu", 10, convertThresholdedRelu);
  t.add("HardSigmoid", 1, convertHardSigmoid);
  t.add("HardSwish", 14, convertHardSwish);
  t.add("Softplus", 1, convertSoftplus);
  t.add("Softsign", 1, convertSoftsign);
  t.add("Mish", 18, convertMish);
  t.add("Gelu", 20, convertGelu);

  // Opsets before 7 had explicit broadcast attributes; from 7 on numpy's.
  t.add("Add", 7, binary<AddOp>);
  t.add("Sub", 7, binary<SubOp>);
  t.add("Mul", 7, binary<MulOp>);
  t.add("Div", 7, binary<DivOp>);
  t.add("Pow", 7, convertPow);
  t.add("Max", 8, variadic<MaxOp>);
  t.add("Min", 8, variadic<MinOp>);
  t.add("Sum", 8, variadic<AddOp>);
  t.add("Mean", 8, variadic<AddOp>);

  t.add("Equal", 7, compare<CompareDirection::EQ>);
  t.add("Less", 7, compare<CompareDirection::LT>);
  t.add("LessOrEqual", 12, compare<CompareDirection::LE>);
  t.add("Greater", 7, compare<CompareDirection::GT>);
  t.add("GreaterOrEqual", 12, compare<CompareDirection::GE>);
  t.add("Not", 1, convertNot);
  t.add("And", 7, convertAnd);
  t.add("Or", 7, convertOr);
  t.add("Xor", 7, compare<CompareDirection::NE>);
  t.add("Where", 9, convertWhere);

  t.add("Clip", 6, convertClip);
  t.add("Shrink", 9, convertShrink);
  t.add("Mod", 10, convertMod);
  t.add("Cast", 6, convertCast);
  t.add("CastLike", 15, convertCastLike);
}

//===- DlGradients.cpp - Gradient rules of the differentiable ops ---------===//
//
// Each rule builds, from the gradient of an op's result, the gradients of its
// operands out of ordinary dl ops, so the backward pass is itself a dl graph
// that fusion and memory planning treat like the forward one. Operands that
// were broadcast get their gradient summed back to their own shape.
//
//===----------------------------------------------------------------------===//

#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dl;

namespace {

RankedTensorType typeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// A scalar of `like`'s element type broadcast by the consumer.
Value scalar(OpBuilder &b, Location loc, Value like, double value) {
  auto type = RankedTensorType::get({}, typeOf(like).getElementType());
  return FillOp::create(b, loc, type, b.getF64FloatAttr(value));
}

/// Sums `grad` over the dimensions along which a tensor of `target`'s type
/// was broadcast to produce it, giving a gradient of `target`'s type.
Value sumToShape(OpBuilder &b, Location loc, Value grad,
                 RankedTensorType target) {
  RankedTensorType type = typeOf(grad);
  if (type.getShape() == target.getShape())
    return grad;
  int64_t extra = type.getRank() - target.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d < extra ||
        (target.getDimSize(d - extra) == 1 && type.getDimSize(d) != 1))
      axes.push_back(d);
  Value sum = grad;
  if (!axes.empty())
    sum = ReduceSumOp::create(b, loc, grad, axes, /*keepdims=*/false);
  if (typeOf(sum).getShape() == target.getShape())
    return sum;
  return ReshapeOp::create(b, loc, target, sum);
}

/// `grad` where `condition` holds, else 0.
Value maskGrad(OpBuilder &b, Location loc, Value condition, Value grad) {
  return SelectOp::create(b, loc, condition, grad, scalar(b, loc, grad, 0.0));
}

/// The reduced result's gradient with the reduced axes restored as size 1,
/// broadcast back to `input`'s shape.
Value expandReduced(OpBuilder &b, Location loc, Value grad,
                    ArrayRef<int64_t> axes, RankedTensorType input) {
  SmallVector<int64_t> kept(input.getShape());
  for (int64_t axis : axes)
    kept[axis] = 1;
  auto keptType = RankedTensorType::get(kept, input.getElementType());
  Value reshaped = grad;
  if (typeOf(grad).getShape() != ArrayRef<int64_t>(kept))
    reshaped = ReshapeOp::create(b, loc, keptType, grad);
  return BroadcastToOp::create(b, loc, input, reshaped);
}

template <typename Op>
Value binary(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return Op::create(b, loc, lhs, rhs);
}

Value compare(OpBuilder &b, Location loc, CompareDirection direction,
              Value lhs, Value rhs) {
  return CompareOp::create(b, loc, direction, lhs, rhs);
}

/// Gradients of a binary op's operands from d(result)/d(lhs) and
/// d(result)/d(rhs) already multiplied by the result's gradient.
LogicalResult setBinary(OpBuilder &b, Location loc, Operation *op,
                        Value lhsGrad, Value rhsGrad,
                        SmallVectorImpl<Value> &grads) {
  grads.assign(2, Value());
  if (lhsGrad)
    grads[0] = sumToShape(b, loc, lhsGrad, typeOf(op->getOperand(0)));
  if (rhsGrad)
    grads[1] = sumToShape(b, loc, rhsGrad, typeOf(op->getOperand(1)));
  return success();
}

bool isFloat(Value value) {
  return isa<FloatType>(typeOf(value).getElementType());
}

} // namespace

//===----------------------------------------------------------------------===//
// Unary elementwise
//===----------------------------------------------------------------------===//

#define DL_UNARY_GRADIENT(OP, BODY)                                            \
  LogicalResult OP::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,  \
                                   SmallVectorImpl<Value> &grads) {            \
    Location loc = getLoc();                                                   \
    Value g = resultGrads[0], x = getInput(), y = getResult();                 \
    (void)x;                                                                   \
    (void)y;                                                                   \
    grads.assign(1, Value());                                                  \
    if (g)                                                                     \
      grads[0] = BODY;                                                         \
    return success();                                                          \
  }

DL_UNARY_GRADIENT(NegOp, NegOp::create(b, loc, g))
DL_UNARY_GRADIENT(ExpOp, binary<MulOp>(b, loc, g, y))
DL_UNARY_GRADIENT(LogOp, binary<DivOp>(b, loc, g, x))
// d sqrt(x) = 1 / (2 sqrt(x))
DL_UNARY_GRADIENT(SqrtOp, binary<DivOp>(b, loc, g,
                                        binary<MulOp>(b, loc, y,
                                                      scalar(b, loc, y, 2.0))))
// d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
DL_UNARY_GRADIENT(RsqrtOp,
                  binary<MulOp>(b, loc, g,
                                binary<MulOp>(b, loc,
                                              binary<MulOp>(b, loc, y,
                                                            binary<MulOp>(b, loc, y, y)),
                                              scalar(b, loc, y, -0.5))))
// d tanh = 1 - y^2
DL_UNARY_GRADIENT(TanhOp,
                  binary<MulOp>(b, loc, g,
                                binary<SubOp>(b, loc, scalar(b, loc, y, 1.0),
                                              binary<MulOp>(b, loc, y, y))))
// d sigmoid = y (1 - y)
DL_UNARY_GRADIENT(SigmoidOp,
                  binary<MulOp>(b, loc, g,
                                binary<MulOp>(b, loc, y,
                                              binary<SubOp>(b, loc,
                                                            scalar(b, loc, y, 1.0),
                                                            y))))
// relu(x) > 0 exactly where x > 0: the mask reads the result, so the
// pre-activation need not outlive the forward pass (a GEMM epilogue may then
// compute bias and ReLU together).
DL_UNARY_GRADIENT(ReluOp,
                  maskGrad(b, loc,
                           compare(b, loc, CompareDirection::GT, y,
                                   scalar(b, loc, y, 0.0)),
                           g))
// d |x| = sign(x), 0 at 0 (as PyTorch).
DL_UNARY_GRADIENT(AbsOp,
                  binary<SubOp>(b, loc,
                                maskGrad(b, loc,
                                         compare(b, loc, CompareDirection::GT, x,
                                                 scalar(b, loc, x, 0.0)),
                                         g),
                                maskGrad(b, loc,
                                         compare(b, loc, CompareDirection::LT, x,
                                                 scalar(b, loc, x, 0.0)),
                                         g)))

#undef DL_UNARY_GRADIENT

LogicalResult GeluOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  Value x = getInput();
  auto c = [&](double v) { return scalar(b, loc, x, v); };
  Value derivative;
  if (getApproximation() == GeluApproximation::Tanh) {
    // y = x/2 (1 + tanh u), u = k (x + a x^3):
    // dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) k (1 + 3 a x^2)
    const double k = std::sqrt(2.0 / M_PI), a = 0.044715;
    Value x2 = binary<MulOp>(b, loc, x, x);
    Value u = binary<MulOp>(
        b, loc, binary<MulOp>(b, loc, x,
                              binary<AddOp>(b, loc, c(1.0),
                                            binary<MulOp>(b, loc, x2, c(a)))),
        c(k));
    Value th = TanhOp::create(b, loc, u);
    Value left = binary<MulOp>(b, loc, binary<AddOp>(b, loc, th, c(1.0)),
                               c(0.5));
    Value sech2 = binary<SubOp>(b, loc, c(1.0), binary<MulOp>(b, loc, th, th));
    Value du = binary<MulOp>(
        b, loc, binary<AddOp>(b, loc, c(1.0), binary<MulOp>(b, loc, x2, c(3 * a))),
        c(k));
    Value right = binary<MulOp>(
        b, loc, binary<MulOp>(b, loc, binary<MulOp>(b, loc, x, c(0.5)), sech2),
        du);
    derivative = binary<AddOp>(b, loc, left, right);
  } else {
    // y = x Phi(x): dy/dx = Phi(x) + x phi(x). Without an erf op, Phi(x) is
    // y / x (1/2 at 0), exact to rounding since y was x Phi(x).
    Value zero = compare(b, loc, CompareDirection::EQ, x, c(0.0));
    Value safe = SelectOp::create(b, loc, zero, c(1.0), x);
    Value cdf = SelectOp::create(b, loc, zero, c(0.5),
                                 binary<DivOp>(b, loc, getResult(), safe));
    Value pdf = binary<MulOp>(
        b, loc,
        ExpOp::create(b, loc, binary<MulOp>(b, loc, binary<MulOp>(b, loc, x, x),
                                            c(-0.5))),
        c(1.0 / std::sqrt(2.0 * M_PI)));
    derivative = binary<AddOp>(b, loc, cdf, binary<MulOp>(b, loc, x, pdf));
  }
  grads[0] = binary<MulOp>(b, loc, g, derivative);
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  // Only float-to-float casts carry a gradient.
  if (resultGrads[0] && isFloat(getInput()) && isFloat(getResult()))
    grads[0] = CastOp::create(b, getLoc(), getInput().getType(), resultGrads[0]);
  return success();
}

LogicalResult DropoutOp::buildGradients(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  // The same seed draws the same mask within the step.
  if (resultGrads[0])
    grads[0] = DropoutOp::create(b, getLoc(), resultGrads[0], getRateAttr(),
                                 getSeedAttr());
  return success();
}

//===----------------------------------------------------------------------===//
// Binary elementwise
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  return setBinary(b, getLoc(), *this, g, g, grads);
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  return setBinary(b, getLoc(), *this, g,
                   g ? NegOp::create(b, getLoc(), g).getResult() : Value(),
                   grads);
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  if (!g)
    return setBinary(b, getLoc(), *this, {}, {}, grads);
  Location loc = getLoc();
  return setBinary(b, loc, *this, binary<MulOp>(b, loc, g, getRhs()),
                   binary<MulOp>(b, loc, g, getLhs()), grads);
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  if (!g)
    return setBinary(b, getLoc(), *this, {}, {}, grads);
  Location loc = getLoc();
  Value lhsGrad = binary<DivOp>(b, loc, g, getRhs());
  // d(x/y)/dy = -(x/y)/y
  Value rhsGrad = NegOp::create(
      b, loc, binary<DivOp>(b, loc, binary<MulOp>(b, loc, g, getResult()),
                            getRhs()));
  return setBinary(b, loc, *this, lhsGrad, rhsGrad, grads);
}

LogicalResult PowOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = resultGrads[0];
  if (!g)
    return setBinary(b, getLoc(), *this, {}, {}, grads);
  Location loc = getLoc();
  Value x = getLhs(), p = getRhs();
  // d x^p / dx = p x^(p-1); d x^p / dp = x^p ln x.
  Value lhsGrad = binary<MulOp>(
      b, loc, g,
      binary<MulOp>(b, loc, p,
                    binary<PowOp>(b, loc, x,
                                  binary<SubOp>(b, loc, p,
                                                scalar(b, loc, p, 1.0)))));
  Value rhsGrad = binary<MulOp>(
      b, loc, g,
      binary<MulOp>(b, loc, getResult(), LogOp::create(b, loc, x)));
  return setBinary(b, loc, *this, lhsGrad, rhsGrad, grads);
}

/// max and min send the gradient to the operand they chose (the left one on
/// ties).
template <typename Op>
static LogicalResult extremumGradients(Op op, OpBuilder &b, Value g,
                                       CompareDirection lhsWins,
                                       SmallVectorImpl<Value> &grads) {
  if (!g)
    return setBinary(b, op.getLoc(), op, {}, {}, grads);
  Location loc = op.getLoc();
  Value chooseLhs = compare(b, loc, lhsWins, op.getLhs(), op.getRhs());
  Value lhsGrad = maskGrad(b, loc, chooseLhs, g);
  Value rhsGrad = binary<SubOp>(b, loc, g, lhsGrad);
  return setBinary(b, loc, op, lhsGrad, rhsGrad, grads);
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, resultGrads[0], CompareDirection::GE,
                           grads);
}

LogicalResult MinOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, resultGrads[0], CompareDirection::LE,
                           grads);
}

LogicalResult SelectOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(3, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  Value onTrue = maskGrad(b, loc, getCondition(), g);
  grads[1] = sumToShape(b, loc, onTrue, typeOf(getOnTrue()));
  grads[2] = sumToShape(b, loc, binary<SubOp>(b, loc, g, onTrue),
                        typeOf(getOnFalse()));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(2, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  Value a = getLhs(), w = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  // With A' = op(A), B' = op(B) and C = A' B': dA' = g B'^T, dB' = A'^T g,
  // then undo op() on each.
  Value da, db;
  if (!ta && !tb) {
    da = MatmulOp::create(b, loc, g, w, false, true);
    db = MatmulOp::create(b, loc, a, g, true, false);
  } else if (!ta && tb) {
    da = MatmulOp::create(b, loc, g, w, false, false);
    db = MatmulOp::create(b, loc, g, a, true, false);
  } else if (ta && !tb) {
    da = MatmulOp::create(b, loc, w, g, false, true);
    db = MatmulOp::create(b, loc, a, g, false, false);
  } else {
    da = MatmulOp::create(b, loc, w, g, true, true);
    db = MatmulOp::create(b, loc, g, a, true, true);
  }
  grads[0] = sumToShape(b, loc, da, typeOf(a));
  grads[1] = sumToShape(b, loc, db, typeOf(w));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

LogicalResult Im2ColOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (Value g = resultGrads[0])
    grads[0] = Col2ImOp::create(b, getLoc(), getInput().getType(), g,
                                getKernelAttr(), getStrideAttr(),
                                getPaddingAttr(), getDilationAttr());
  return success();
}

LogicalResult Col2ImOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (Value g = resultGrads[0])
    grads[0] = Im2ColOp::create(b, getLoc(), g, getKernelAttr(),
                                getStrideAttr(), getPaddingAttr(),
                                getDilationAttr());
  return success();
}

LogicalResult Conv2dOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(getNumOperands(), Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  // The ReLU epilogue's mask reads the result, as dl.relu's gradient does.
  if (getRelu())
    g = maskGrad(b, loc,
                 compare(b, loc, CompareDirection::GT, getResult(),
                         scalar(b, loc, getResult(), 0.0)),
                 g);
  grads[0] = Conv2dGradInputOp::create(
      b, loc, getInput().getType(), g, getWeight(), getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr());
  grads[1] = Conv2dGradWeightOp::create(
      b, loc, getWeight().getType(), g, getInput(), getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr());
  if (getBias())
    grads[2] = ReduceSumOp::create(b, loc, g, ArrayRef<int64_t>{0, 2, 3},
                                   /*keepdims=*/false);
  return success();
}

LogicalResult MaxPool2dOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (resultGrads[0])
    grads[0] = MaxPool2dGradOp::create(
        b, getLoc(), getInput().getType(), getInput(), resultGrads[0],
        getKernelAttr(), b.getDenseI64ArrayAttr(getEffectiveStride()),
        getPaddingAttr());
  return success();
}

LogicalResult AvgPool2dOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (resultGrads[0])
    grads[0] = AvgPool2dGradOp::create(
        b, getLoc(), getInput().getType(), resultGrads[0], getKernelAttr(),
        b.getDenseI64ArrayAttr(getEffectiveStride()), getPaddingAttr(),
        getCountIncludePadAttr());
  return success();
}

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (resultGrads[0])
    grads[0] = expandReduced(b, getLoc(), resultGrads[0], getAxes(),
                             typeOf(getInput()));
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b,
                                           ArrayRef<Value> resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (!resultGrads[0])
    return success();
  RankedTensorType input = typeOf(getInput());
  int64_t count = 1;
  for (int64_t axis : getAxes())
    count *= input.getDimSize(axis);
  Location loc = getLoc();
  Value spread = expandReduced(b, loc, resultGrads[0], getAxes(), input);
  grads[0] = binary<MulOp>(b, loc, spread,
                           scalar(b, loc, spread, 1.0 / double(count)));
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (!resultGrads[0] || !isFloat(getInput()))
    return success();
  // Every element equal to the maximum receives the gradient.
  Location loc = getLoc();
  RankedTensorType input = typeOf(getInput());
  Value max = expandReduced(b, loc, getResult(), getAxes(), input);
  Value spread = expandReduced(b, loc, resultGrads[0], getAxes(), input);
  grads[0] = maskGrad(
      b, loc, compare(b, loc, CompareDirection::EQ, getInput(), max), spread);
  return success();
}

LogicalResult ReduceProdOp::buildGradients(OpBuilder &b,
                                           ArrayRef<Value> resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (!resultGrads[0] || !isFloat(getInput()))
    return success();
  // Each element's gradient is the product of the others: the product of
  // the nonzero elements divided by it where none is zero; where one is,
  // that product for the zero and 0 for the rest; 0 everywhere past one.
  Location loc = getLoc();
  Value x = getInput();
  RankedTensorType input = typeOf(x);
  Value zero = scalar(b, loc, x, 0.0), one = scalar(b, loc, x, 1.0);
  Value isZero = compare(b, loc, CompareDirection::EQ, x, zero);
  Value nonzero = SelectOp::create(b, loc, isZero, one, x);
  auto spread = [&](Value reduced) {
    return expandReduced(b, loc, reduced, getAxes(), input);
  };
  Value others = spread(
      ReduceProdOp::create(b, loc, nonzero, getAxes(), /*keepdims=*/false));
  Value zeros = spread(ReduceSumOp::create(
      b, loc, SelectOp::create(b, loc, isZero, one, zero), getAxes(),
      /*keepdims=*/false));
  Value none = compare(b, loc, CompareDirection::EQ, zeros, zero);
  Value single = compare(b, loc, CompareDirection::EQ, zeros, one);
  Value ofOthers = SelectOp::create(
      b, loc, none, binary<DivOp>(b, loc, others, nonzero),
      SelectOp::create(b, loc, single, maskGrad(b, loc, isZero, others), zero));
  grads[0] = binary<MulOp>(b, loc, spread(resultGrads[0]), ofOthers);
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // dx = y (g - sum(g y)), one kernel.
  grads[0] = SoftmaxGradOp::create(b, getLoc(), getType(), getResult(), g,
                                   getAxis(), /*log=*/false);
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b,
                                           ArrayRef<Value> resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // dx = g - softmax(x) sum(g), one kernel.
  grads[0] = SoftmaxGradOp::create(b, getLoc(), getType(), getResult(), g,
                                   getAxis(), /*log=*/true);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization and losses
//===----------------------------------------------------------------------===//

namespace {

/// The backward pass shared by layer and batch normalization, which differ
/// only in the axes their statistics reduce over: y = x̂ scale + shift with
/// x̂ = (x - mean) rstd. Recomputes the statistics as the forward pass did and
/// returns dx = rstd (gs - mean(gs) - x̂ mean(gs x̂)) with gs = g scale, and
/// x̂ (for the scale's gradient). `scale` broadcasts against `x`.
std::pair<Value, Value> normalizationBackward(OpBuilder &b, Location loc,
                                              Value x, Value g, Value scale,
                                              ArrayRef<int64_t> axes,
                                              double epsilon) {
  auto mean = [&](Value v) {
    return ReduceMeanOp::create(b, loc, v, axes, /*keepdims=*/true).getResult();
  };
  Value centered = binary<SubOp>(b, loc, x, mean(x));
  Value variance = mean(binary<MulOp>(b, loc, centered, centered));
  Value rstd = RsqrtOp::create(
      b, loc, binary<AddOp>(b, loc, variance, scalar(b, loc, x, epsilon)));
  Value xhat = binary<MulOp>(b, loc, centered, rstd);
  Value gs = binary<MulOp>(b, loc, g, scale);
  Value dx = binary<MulOp>(
      b, loc, rstd,
      binary<SubOp>(b, loc, binary<SubOp>(b, loc, gs, mean(gs)),
                    binary<MulOp>(b, loc, xhat,
                                  mean(binary<MulOp>(b, loc, gs, xhat)))));
  return {dx, xhat};
}

} // namespace

LogicalResult LayerNormOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(3, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // Two kernels: the input gradient by rows (which also returns each row's
  // statistics), then gamma's and beta's by columns.
  Location loc = getLoc();
  auto input = LayerNormGradOp::create(b, loc, getInput(), g, getGamma(),
                                       /*addend=*/Value(), getAxisAttr(),
                                       getEpsilonAttr());
  auto params = LayerNormParamGradOp::create(b, loc, getInput(), g,
                                             input.getMean(), input.getRstd(),
                                             getAxisAttr());
  grads[0] = input.getInputGrad();
  grads[1] = params.getGammaGrad();
  grads[2] = params.getBetaGrad();
  return success();
}

LogicalResult BatchNormTrainingOp::buildGradients(
    OpBuilder &b, ArrayRef<Value> resultGrads,
    SmallVectorImpl<Value> &grads) {
  grads.assign(5, Value());
  // Only the normalized result carries a gradient; the running statistics
  // are buffers, neither trained nor differentiated.
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  Value x = getInput();
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> axes, channelShape(type.getRank(), 1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != 1)
      axes.push_back(d);
  channelShape[1] = type.getDimSize(1);
  Value scale = ReshapeOp::create(
      b, loc, RankedTensorType::get(channelShape, type.getElementType()),
      getScale());
  auto [dx, xhat] = normalizationBackward(b, loc, x, g, scale, axes,
                                          getEpsilon().convertToDouble());
  grads[0] = dx;
  grads[1] = ReduceSumOp::create(b, loc, binary<MulOp>(b, loc, g, xhat), axes,
                                 /*keepdims=*/false);
  grads[2] = ReduceSumOp::create(b, loc, g, axes, /*keepdims=*/false);
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b,
                                             ArrayRef<Value> resultGrads,
                                             SmallVectorImpl<Value> &grads) {
  grads.assign(2, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // d/dlogits = (softmax(logits) - onehot(labels)) g / N (for the mean),
  // one op that also gives the loss again: dl-fuse-loss then drops the
  // forward cross-entropy and the whole loss is one kernel.
  auto fused = CrossEntropyWithGradOp::create(
      b, getLoc(), getResult().getType(), getLogits().getType(),
      /*accuracy=*/Type(), getLogits(),
      getLabels(), g, getReduction());
  grads[0] = fused.getDlogits();
  return success();
}

LogicalResult MseOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  grads.assign(2, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  Location loc = getLoc();
  double factor = 2.0;
  if (getReduction() == LossReduction::Mean)
    factor /= double(typeOf(getPrediction()).getNumElements());
  Value diff = binary<SubOp>(b, loc, getPrediction(), getTarget());
  Value grad = binary<MulOp>(b, loc, binary<MulOp>(b, loc, diff, g),
                             scalar(b, loc, g, factor));
  grads[0] = grad;
  grads[1] = NegOp::create(b, loc, grad);
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradients(OpBuilder &b,
                                        ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (resultGrads[0])
    grads[0] = ReshapeOp::create(b, getLoc(), getInput().getType(),
                                 resultGrads[0]);
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b,
                                          ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (!resultGrads[0])
    return success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  grads[0] = TransposeOp::create(b, getLoc(), resultGrads[0], inverse);
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(getInputs().size(), Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // Each input's gradient is its stretch of the result's along the axis.
  RankedTensorType type = typeOf(g);
  int64_t axis = getAxis(), offset = 0;
  SmallVector<int64_t> start(type.getRank(), 0), step(type.getRank(), 1);
  SmallVector<int64_t> limit(type.getShape());
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    int64_t size = typeOf(input).getDimSize(axis);
    start[axis] = offset;
    limit[axis] = offset + size;
    grads[i] = SliceOp::create(b, getLoc(), g, start, limit, step);
    offset += size;
  }
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  Value g = resultGrads[0];
  if (!g)
    return success();
  // Per dimension: spread the gradient out to the step with zeros between
  // (viewed as [..., m, 1, ...] beside zeros [..., m, step-1, ...]), then
  // put zeros before the start and after the last element read.
  Location loc = getLoc();
  RankedTensorType input = typeOf(getInput());
  Type element = input.getElementType();
  auto zeros = [&](ArrayRef<int64_t> shape) -> Value {
    return FillOp::create(b, loc, RankedTensorType::get(shape, element),
                          b.getF64FloatAttr(0.0));
  };
  Value grad = g;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    SmallVector<int64_t> shape(typeOf(grad).getShape());
    int64_t count = shape[d], step = getStep()[d], start = getStart()[d];
    int64_t span = count;
    if (step > 1 && count > 0) {
      SmallVector<int64_t> column(shape);
      column.insert(column.begin() + d + 1, 1);
      Value lifted = ReshapeOp::create(
          b, loc, RankedTensorType::get(column, element), grad);
      SmallVector<int64_t> gap(column);
      gap[d + 1] = step - 1;
      Value spread = ConcatOp::create(
          b, loc, ValueRange{lifted, zeros(gap)}, d + 1);
      span = count * step;
      shape[d] = span;
      grad = ReshapeOp::create(b, loc, RankedTensorType::get(shape, element),
                               spread);
    }
    // The spread may run past the input's end; keep what lies inside.
    int64_t size = input.getDimSize(d);
    if (start + span > size) {
      SmallVector<int64_t> from(shape.size(), 0), to(shape), steps(shape.size(), 1);
      to[d] = size - start;
      grad = SliceOp::create(b, loc, grad, from, to, steps);
      span = size - start;
      shape[d] = span;
    }
    int64_t after = size - start - span;
    if (!start && !after)
      continue;
    SmallVector<Value> parts;
    SmallVector<int64_t> pad(shape);
    if (start) {
      pad[d] = start;
      parts.push_back(zeros(pad));
    }
    parts.push_back(grad);
    if (after) {
      pad[d] = after;
      parts.push_back(zeros(pad));
    }
    grad = ConcatOp::create(b, loc, parts, d);
  }
  grads[0] = grad;
  return success();
}

LogicalResult GatherOp::buildGradients(OpBuilder &b,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &grads) {
  grads.assign(2, Value());
  // The rows picked get the gradient back, summed where picked repeatedly.
  if (resultGrads[0])
    grads[0] = ScatterAddOp::create(b, getLoc(), getInput().getType(),
                                    resultGrads[0], getIndices(), getAxis());
  return success();
}

LogicalResult BroadcastToOp::buildGradients(OpBuilder &b,
                                            ArrayRef<Value> resultGrads,
                                            SmallVectorImpl<Value> &grads) {
  grads.assign(1, Value());
  if (resultGrads[0])
    grads[0] = sumToShape(b, getLoc(), resultGrads[0], typeOf(getInput()));
  return success();
}

//===- DlNNOps.cpp - Verifiers and type inference of the NN ops -----------===//

#include "dialects/dl/DlOps.h"
#include "dialects/dl/DlShapeInference.h"
#include "llvm/ADT/SmallBitVector.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::dl;

static RankedTensorType rankedOf(Value value) {
  return value ? dyn_cast<RankedTensorType>(value.getType()) : nullptr;
}

/// Fails unless `type` has rank `rank`, naming the operand.
static LogicalResult checkRank(std::optional<Location> loc, StringRef name,
                               RankedTensorType type, int64_t rank,
                               StringRef layout) {
  if (!type)
    return emitOptionalError(loc, name, " must be a ranked tensor");
  if (type.getRank() != rank)
    return emitOptionalError(loc, name, " must have rank ", rank, " (", layout,
                             "), got shape ", formatShape(type.getShape()));
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  NamedTensor lhs{"lhs", rankedOf(adaptor.getLhs())};
  NamedTensor rhs{"rhs", rankedOf(adaptor.getRhs())};
  for (const NamedTensor &operand : {lhs, rhs}) {
    if (!operand.type || operand.type.getRank() < 2)
      return emitOptionalError(loc, operand.name,
                               " must have rank 2 or more, got shape ",
                               operand.type ? formatShape(operand.type.getShape())
                                            : "unranked");
  }
  if (failed(checkSameElementType(loc, {lhs, rhs})))
    return failure();
  int64_t lr = lhs.type.getRank(), rr = rhs.type.getRank();
  bool tl = adaptor.getTransposeLhs(), tr = adaptor.getTransposeRhs();
  int64_t m = lhs.type.getDimSize(tl ? lr - 1 : lr - 2);
  int64_t lhsK = tl ? lr - 2 : lr - 1, rhsK = tr ? rr - 1 : rr - 2;
  int64_t n = rhs.type.getDimSize(tr ? rr - 2 : rr - 1);
  if (lhs.type.getDimSize(lhsK) != rhs.type.getDimSize(rhsK))
    return emitOptionalError(
        loc, "contracting dimensions differ: lhs dimension ", lhsK,
        " has size ", lhs.type.getDimSize(lhsK), " but rhs dimension ", rhsK,
        " has size ", rhs.type.getDimSize(rhsK), " (shapes ",
        formatShape(lhs.type.getShape()), " and ",
        formatShape(rhs.type.getShape()), ")");
  // Batch dimensions broadcast like elementwise operands.
  auto batchOf = [](NamedTensor t) {
    return NamedTensor{t.name, RankedTensorType::get(
                                   t.type.getShape().drop_back(2),
                                   t.type.getElementType())};
  };
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(loc, {batchOf(lhs), batchOf(rhs)}, shape)))
    return failure();
  shape.append({m, n});
  inferred.push_back(RankedTensorType::get(shape, lhs.type.getElementType()));
  return success();
}

/// Output size of a sliding window: `(in + pads - span) / stride + 1`, with
/// `ceil` rounding up but never starting a window inside the end padding.
static int64_t windowOutputSize(int64_t in, int64_t padBegin, int64_t padEnd,
                                int64_t span, int64_t stride, bool ceil) {
  int64_t room = in + padBegin + padEnd - span;
  if (room < 0)
    return 0;
  int64_t out = (ceil ? (room + stride - 1) / stride : room / stride) + 1;
  if (ceil && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

/// Checks the window attributes shared by conv and pooling.
static LogicalResult checkWindow(std::optional<Location> loc,
                                 ArrayRef<int64_t> stride,
                                 ArrayRef<int64_t> padding,
                                 ArrayRef<int64_t> dilation) {
  if (stride.size() != 2 || llvm::any_of(stride, [](int64_t s) { return s < 1; }))
    return emitOptionalError(loc, "stride must be 2 values >= 1");
  if (padding.size() != 4 ||
      llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(
        loc, "padding must be 4 values >= 0 (top, left, bottom, right)");
  if (dilation.size() != 2 ||
      llvm::any_of(dilation, [](int64_t d) { return d < 1; }))
    return emitOptionalError(loc, "dilation must be 2 values >= 1");
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  auto weight = rankedOf(adaptor.getWeight());
  if (failed(checkRank(loc, "input", input, 4, "N, C, H, W")) ||
      failed(checkRank(loc, "weight", weight, 4, "O, C/groups, kH, kW")))
    return failure();
  if (failed(checkSameElementType(loc, {{"input", input}, {"weight", weight}})))
    return failure();
  ArrayRef<int64_t> stride = adaptor.getStride(), padding = adaptor.getPadding(),
                    dilation = adaptor.getDilation();
  if (failed(checkWindow(loc, stride, padding, dilation)))
    return failure();
  int64_t groups = adaptor.getGroups();
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (groups < 1 || channels % groups != 0 || outChannels % groups != 0)
    return emitOptionalError(loc, "groups ", groups,
                             " must be >= 1 and divide the input channels (",
                             channels, ") and output channels (", outChannels,
                             ")");
  if (weight.getDimSize(1) * groups != channels)
    return emitOptionalError(
        loc, "weight dimension 1 has size ", weight.getDimSize(1),
        " but the input has ", channels, " channels in ", groups,
        " group(s), which needs ", channels / groups);
  if (auto bias = rankedOf(adaptor.getBias())) {
    if (bias.getRank() != 1 || bias.getDimSize(0) != outChannels)
      return emitOptionalError(loc, "bias must have shape ", outChannels,
                               " (the output channels), got ",
                               formatShape(bias.getShape()));
    if (bias.getElementType() != input.getElementType())
      return emitOptionalError(loc, "element types differ: input is ",
                               input.getElementType(), " but bias is ",
                               bias.getElementType());
  }
  SmallVector<int64_t> shape{input.getDimSize(0), outChannels};
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilation[i] * (weight.getDimSize(2 + i) - 1) + 1;
    int64_t out = windowOutputSize(input.getDimSize(2 + i), padding[i],
                                   padding[2 + i], span, stride[i], false);
    if (out < 1)
      return emitOptionalError(loc, "the ", span, "-wide kernel does not fit ",
                               i ? "width " : "height ", input.getDimSize(2 + i),
                               " with padding ", padding[i], "+",
                               padding[2 + i]);
    shape.push_back(out);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

/// The im2col matrix of an NCHW image: [N * Ho * Wo, C * kH * kW]; null
/// after an error at `loc`.
static RankedTensorType im2colType(std::optional<Location> loc,
                                   RankedTensorType image,
                                   ArrayRef<int64_t> kernel,
                                   ArrayRef<int64_t> stride,
                                   ArrayRef<int64_t> padding,
                                   ArrayRef<int64_t> dilation) {
  if (failed(checkRank(loc, "image", image, 4, "N, C, H, W")) ||
      failed(checkWindow(loc, stride, padding, dilation)))
    return {};
  if (kernel.size() != 2 || kernel[0] < 1 || kernel[1] < 1) {
    (void)emitOptionalError(loc, "kernel must be 2 sizes >= 1");
    return {};
  }
  int64_t pixels = image.getDimSize(0);
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilation[i] * (kernel[i] - 1) + 1;
    int64_t out = windowOutputSize(image.getDimSize(2 + i), padding[i],
                                   padding[2 + i], span, stride[i], false);
    if (out < 1) {
      (void)emitOptionalError(loc, "the ", span, "-wide kernel does not fit ",
                              i ? "width " : "height ", image.getDimSize(2 + i));
      return {};
    }
    pixels *= out;
  }
  return RankedTensorType::get(
      {pixels, image.getDimSize(1) * kernel[0] * kernel[1]},
      image.getElementType());
}

LogicalResult Im2ColOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType cols =
      im2colType(loc, rankedOf(adaptor.getInput()), adaptor.getKernel(),
                 adaptor.getStride(), adaptor.getPadding(),
                 adaptor.getDilation());
  if (!cols)
    return failure();
  inferred.push_back(cols);
  return success();
}

LogicalResult Col2ImOp::verify() {
  auto image = cast<RankedTensorType>(getType());
  RankedTensorType cols = im2colType(getLoc(), image, getKernel(), getStride(),
                                     getPadding(), getDilation());
  if (!cols)
    return failure();
  if (getInput().getType() != cols)
    return emitOpError("input must be ") << cols << " for an image " << image;
  return success();
}

template <typename PoolOp>
static LogicalResult inferPool(std::optional<Location> loc,
                               typename PoolOp::Adaptor adaptor,
                               SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  if (failed(checkRank(loc, "input", input, 4, "N, C, H, W")))
    return failure();
  ArrayRef<int64_t> kernel = adaptor.getKernel();
  if (kernel.size() != 2 || llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return emitOptionalError(loc, "kernel must be 2 values >= 1");
  ArrayRef<int64_t> stride = kernel;
  if (auto explicitStride = adaptor.getStride())
    stride = *explicitStride;
  ArrayRef<int64_t> padding = adaptor.getPadding();
  int64_t dilation[] = {1, 1};
  if (failed(checkWindow(loc, stride, padding, dilation)))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  for (int i = 0; i < 2; ++i) {
    // A window made only of padding has no element to pool.
    if (padding[i] >= kernel[i] || padding[2 + i] >= kernel[i])
      return emitOptionalError(loc, "padding ", padding[i], "+", padding[2 + i],
                               " must be smaller than the kernel ", kernel[i]);
    int64_t out = windowOutputSize(input.getDimSize(2 + i), padding[i],
                                   padding[2 + i], kernel[i], stride[i],
                                   adaptor.getCeilMode());
    if (out < 1)
      return emitOptionalError(loc, "the kernel ", kernel[i], " does not fit ",
                               i ? "width " : "height ", input.getDimSize(2 + i));
    shape.push_back(out);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferPool<MaxPool2dOp>(loc, adaptor, inferred);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferPool<AvgPool2dOp>(loc, adaptor, inferred);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The shape left after reducing `axes` (kept as 1 with `keepdims`).
static LogicalResult inferReduced(std::optional<Location> loc, Value value,
                                  ArrayRef<int64_t> axes, bool keepdims,
                                  Type element,
                                  SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(value);
  if (!input)
    return emitOptionalError(loc, "input must be a ranked tensor");
  int64_t rank = input.getRank();
  llvm::SmallBitVector reduced(rank);
  for (int64_t axis : axes) {
    if (failed(checkAxis(loc, "axis", axis, rank)))
      return failure();
    if (reduced.test(axis))
      return emitOptionalError(loc, "axis ", axis, " is listed twice");
    reduced.set(axis);
  }
  SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (!reduced.test(dim))
      shape.push_back(input.getDimSize(dim));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(
      RankedTensorType::get(shape, element ? element : input.getElementType()));
  return success();
}

/// A maximum over no elements has no value: an axis of size 0 among `axes`
/// is an error. (A sum over none is 0, a product 1, a mean NaN.)
static LogicalResult checkNotEmpty(std::optional<Location> loc, StringRef op,
                                   Value input, ArrayRef<int64_t> axes) {
  if (op != ReduceMaxOp::getOperationName())
    return success();
  auto type = cast<RankedTensorType>(input.getType());
  for (int64_t axis : axes)
    if (axis >= 0 && axis < type.getRank() && type.getDimSize(axis) == 0)
      return emitOptionalError(loc, "reduces axis ", axis,
                               " of size 0: the maximum of no elements");
  return success();
}

#define DL_REDUCE_INFERENCE(OP)                                                \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    if (adaptor.getAxes().empty())                                             \
      return emitOptionalError(loc, "needs at least one axis");                \
    if (failed(checkNotEmpty(loc, OP::getOperationName(), adaptor.getInput(),  \
                             adaptor.getAxes())))                              \
      return failure();                                                        \
    return inferReduced(loc, adaptor.getInput(), adaptor.getAxes(),            \
                        adaptor.getKeepdims(), Type(), inferred);              \
  }
DL_REDUCE_INFERENCE(ReduceSumOp)
DL_REDUCE_INFERENCE(ReduceMeanOp)
DL_REDUCE_INFERENCE(ReduceMaxOp)
DL_REDUCE_INFERENCE(ReduceProdOp)
#undef DL_REDUCE_INFERENCE

/// About one partial per 4096 elements, at most 1024: enough blocks to use
/// the GPU, few enough for one block to add them.
static int64_t partialCount(ValueRange inputs) {
  int64_t elements = 0;
  for (Value input : inputs)
    elements += cast<RankedTensorType>(input.getType()).getNumElements();
  return std::clamp<int64_t>((elements + 4095) / 4096, 1, 1024);
}

void SumSquaresOp::build(OpBuilder &builder, OperationState &state,
                         ValueRange inputs) {
  Type element = inputs.empty()
                     ? builder.getF32Type()
                     : cast<RankedTensorType>(inputs[0].getType())
                           .getElementType();
  state.addOperands(inputs);
  state.addTypes({RankedTensorType::get({}, element),
                  RankedTensorType::get({partialCount(inputs)},
                                        builder.getF64Type())});
}

LogicalResult SumSquaresOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  auto result = cast<RankedTensorType>(getResult().getType());
  for (Value input : getInputs())
    if (cast<RankedTensorType>(input.getType()).getElementType() !=
        result.getElementType())
      return emitOpError("inputs and result must share one element type");
  if (result.getRank() != 0)
    return emitOpError("result must be a scalar");
  auto partials = cast<RankedTensorType>(getPartials().getType());
  if (partials.getRank() != 1 || partials.getDimSize(0) < 1 ||
      !partials.getElementType().isF64())
    return emitOpError("partials must be a non-empty f64 vector");
  return success();
}

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  int64_t axis = adaptor.getAxis();
  return inferReduced(loc, adaptor.getInput(), axis, adaptor.getKeepdims(),
                      IntegerType::get(context, 64), inferred);
}

LogicalResult SoftmaxGradOp::verify() {
  return checkAxis(getLoc(), "axis", getAxis(),
                   cast<RankedTensorType>(getResult().getType()).getRank());
}

LogicalResult SoftmaxOp::verify() {
  return checkAxis(getLoc(), "axis", getAxis(), getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return checkAxis(getLoc(), "axis", getAxis(), getInput().getType().getRank());
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

/// Checks that each named vector has shape `expected`.
static LogicalResult checkParamShapes(std::optional<Location> loc,
                                      RankedTensorType input,
                                      ArrayRef<NamedTensor> params,
                                      ArrayRef<int64_t> expected,
                                      StringRef why) {
  for (const NamedTensor &param : params) {
    if (!param.type)
      return emitOptionalError(loc, param.name, " must be a ranked tensor");
    if (param.type.getShape() != expected)
      return emitOptionalError(loc, param.name, " has shape ",
                               formatShape(param.type.getShape()),
                               " but needs ", formatShape(expected), " (", why,
                               " of input ", formatShape(input.getShape()),
                               ")");
  }
  SmallVector<NamedTensor> all{{"input", input}};
  all.append(params.begin(), params.end());
  return checkSameElementType(loc, all);
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  if (!input)
    return emitOptionalError(loc, "input must be a ranked tensor");
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, "axis", axis, input.getRank())))
    return failure();
  NamedTensor params[] = {{"gamma", rankedOf(adaptor.getGamma())},
                          {"beta", rankedOf(adaptor.getBeta())}};
  if (failed(checkParamShapes(loc, input, params,
                              input.getShape().drop_front(axis),
                              "the normalized dimensions")))
    return failure();
  if (adaptor.getEpsilon().convertToDouble() <= 0)
    return emitOptionalError(loc, "epsilon must be positive");
  inferred.push_back(input);
  return success();
}

/// The input and its gradient of a layer norm's backward ops: one type,
/// with `axis` inside it.
static LogicalResult checkLayerNormGradInputs(std::optional<Location> loc,
                                              RankedTensorType input,
                                              RankedTensorType grad,
                                              int64_t axis) {
  if (!input || !grad)
    return emitOptionalError(loc, "input and grad must be ranked tensors");
  if (input != grad)
    return emitOptionalError(loc, "grad ", grad, " must have the input's type ",
                             input);
  return checkAxis(loc, "axis", axis, input.getRank());
}

/// The type of the per-row statistics: the input's leading dimensions.
static RankedTensorType rowStatisticsType(RankedTensorType input,
                                          int64_t axis) {
  return RankedTensorType::get(input.getShape().take_front(axis),
                               input.getElementType());
}

LogicalResult LayerNormGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (failed(checkLayerNormGradInputs(loc, input, rankedOf(adaptor.getGrad()),
                                      axis)))
    return failure();
  NamedTensor params[] = {{"gamma", rankedOf(adaptor.getGamma())}};
  if (failed(checkParamShapes(loc, input, params,
                              input.getShape().drop_front(axis),
                              "the normalized dimensions")))
    return failure();
  if (adaptor.getEpsilon().convertToDouble() <= 0)
    return emitOptionalError(loc, "epsilon must be positive");
  if (Value addend = adaptor.getAddend(); addend && addend.getType() != input)
    return emitOptionalError(loc, "addend ", addend.getType(),
                             " must have the input's type ", input);
  RankedTensorType stats = rowStatisticsType(input, axis);
  inferred.append({input, stats, stats});
  return success();
}

LogicalResult LayerNormParamGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (failed(checkLayerNormGradInputs(loc, input, rankedOf(adaptor.getGrad()),
                                      axis)))
    return failure();
  RankedTensorType stats = rowStatisticsType(input, axis);
  NamedTensor params[] = {{"mean", rankedOf(adaptor.getMean())},
                          {"rstd", rankedOf(adaptor.getRstd())}};
  if (failed(checkParamShapes(loc, input, params, stats.getShape(),
                              "the rows")))
    return failure();
  auto tail = RankedTensorType::get(input.getShape().drop_front(axis),
                                    input.getElementType());
  inferred.append({tail, tail});
  return success();
}

/// The checks both batch-norm forms share; `input` is `[N, C, ...]`.
static LogicalResult checkBatchNorm(std::optional<Location> loc,
                                    RankedTensorType input,
                                    ArrayRef<NamedTensor> vectors,
                                    double epsilon) {
  if (!input || input.getRank() < 2)
    return emitOptionalError(loc, "input must have rank 2 or more (N, C, ...)");
  if (epsilon <= 0)
    return emitOptionalError(loc, "epsilon must be positive");
  return checkParamShapes(loc, input, vectors, input.getDimSize(1),
                          "the channels, dimension 1");
}

LogicalResult BatchNormInferenceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  NamedTensor vectors[] = {{"scale", rankedOf(adaptor.getScale())},
                           {"bias", rankedOf(adaptor.getBias())},
                           {"mean", rankedOf(adaptor.getMean())},
                           {"variance", rankedOf(adaptor.getVariance())}};
  if (failed(checkBatchNorm(loc, input, vectors,
                            adaptor.getEpsilon().convertToDouble())))
    return failure();
  inferred.push_back(input);
  return success();
}

LogicalResult BatchNormTrainingOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto input = rankedOf(adaptor.getInput());
  NamedTensor vectors[] = {
      {"scale", rankedOf(adaptor.getScale())},
      {"bias", rankedOf(adaptor.getBias())},
      {"running_mean", rankedOf(adaptor.getRunningMean())},
      {"running_variance", rankedOf(adaptor.getRunningVariance())}};
  if (failed(checkBatchNorm(loc, input, vectors,
                            adaptor.getEpsilon().convertToDouble())))
    return failure();
  double momentum = adaptor.getMomentum().convertToDouble();
  if (!(momentum >= 0 && momentum <= 1))
    return emitOptionalError(loc, "momentum must be in [0, 1], got ", momentum);
  inferred.push_back(input);
  inferred.push_back(vectors[2].type);
  inferred.push_back(vectors[3].type);
  return success();
}

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0 && rate < 1))
    return emitOpError("rate must be in [0, 1), got ") << rate;
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto logits = rankedOf(adaptor.getLogits());
  auto labels = rankedOf(adaptor.getLabels());
  if (failed(checkRank(loc, "logits", logits, 2, "batch, classes")) ||
      failed(checkRank(loc, "labels", labels, 1, "batch")))
    return failure();
  if (logits.getDimSize(0) != labels.getDimSize(0))
    return emitOptionalError(loc, "logits have a batch of ",
                             logits.getDimSize(0), " but labels have ",
                             labels.getDimSize(0));
  inferred.push_back(RankedTensorType::get({}, logits.getElementType()));
  return success();
}

LogicalResult AccuracyOp::inferReturnTypes(MLIRContext *context,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  // The same operands as the cross-entropy, the same scalar result.
  return CrossEntropyOp::inferReturnTypes(
      context, loc, CrossEntropyOp::Adaptor(adaptor.getOperands()), inferred);
}

LogicalResult CrossEntropyWithGradOp::verify() {
  auto logits = cast<RankedTensorType>(getLogits().getType());
  auto labels = cast<RankedTensorType>(getLabels().getType());
  if (logits.getRank() != 2 || labels.getRank() != 1 ||
      logits.getDimSize(0) != labels.getDimSize(0))
    return emitOpError("needs logits [N, C] and labels [N], got ")
           << logits << " and " << labels;
  auto scalar = RankedTensorType::get({}, logits.getElementType());
  if (getLoss().getType() != scalar || getDloss().getType() != scalar)
    return emitOpError("loss and dloss must be ") << scalar;
  if (getDlogits().getType() != logits)
    return emitOpError("dlogits must have the logits' type ") << logits;
  if (getAccuracy() && getAccuracy().getType() != scalar)
    return emitOpError("accuracy must be ") << scalar;
  return success();
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  auto prediction = rankedOf(adaptor.getPrediction());
  auto target = rankedOf(adaptor.getTarget());
  if (!prediction || !target)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (prediction != target)
    return emitOptionalError(loc, "prediction ", prediction,
                             " and target ", target, " must have one type");
  inferred.push_back(RankedTensorType::get({}, prediction.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Gradients of convolution and pooling
//===----------------------------------------------------------------------===//

/// The shared checks of the gradient ops: NCHW ranks, window attributes, and
/// that a window of `kernel` over `input`'s spatial size gives `grad`'s.
static LogicalResult verifyWindowGrad(Operation *op, RankedTensorType input,
                                      RankedTensorType grad,
                                      ArrayRef<int64_t> kernel,
                                      ArrayRef<int64_t> stride,
                                      ArrayRef<int64_t> padding,
                                      ArrayRef<int64_t> dilation) {
  std::optional<Location> loc = op->getLoc();
  if (failed(checkRank(loc, "input", input, 4, "N, C, H, W")) ||
      failed(checkRank(loc, "grad", grad, 4, "N, C, Ho, Wo")) ||
      failed(checkWindow(loc, stride, padding, dilation)))
    return failure();
  if (kernel.size() != 2)
    return op->emitOpError("needs a 2-D kernel");
  if (input.getDimSize(0) != grad.getDimSize(0))
    return op->emitOpError("batch sizes differ");
  for (int i = 0; i < 2; ++i) {
    int64_t span = dilation[i] * (kernel[i] - 1) + 1;
    int64_t floorSize = windowOutputSize(input.getDimSize(2 + i), padding[i],
                                         padding[2 + i], span, stride[i], false);
    int64_t ceilSize = windowOutputSize(input.getDimSize(2 + i), padding[i],
                                        padding[2 + i], span, stride[i], true);
    int64_t size = grad.getDimSize(2 + i);
    if (size < 1 || (size != floorSize && size != ceilSize))
      return op->emitOpError("the gradient's spatial size ")
             << size << " does not match the window over "
             << input.getDimSize(2 + i);
  }
  return success();
}

static LogicalResult verifyConvGrad(Operation *op, RankedTensorType input,
                                    RankedTensorType weight,
                                    RankedTensorType grad,
                                    ArrayRef<int64_t> stride,
                                    ArrayRef<int64_t> padding,
                                    ArrayRef<int64_t> dilation, int64_t groups) {
  if (weight.getRank() != 4)
    return op->emitOpError("the weight must be [O, C/groups, kH, kW]");
  if (groups < 1 || input.getRank() != 4 ||
      weight.getDimSize(1) * groups != input.getDimSize(1) ||
      grad.getRank() != 4 || grad.getDimSize(1) != weight.getDimSize(0) ||
      weight.getDimSize(0) % groups)
    return op->emitOpError("channels of input, weight and gradient do not "
                           "match with ")
           << groups << " group(s)";
  int64_t kernel[] = {weight.getDimSize(2), weight.getDimSize(3)};
  return verifyWindowGrad(op, input, grad, kernel, stride, padding, dilation);
}

LogicalResult Conv2dGradInputOp::verify() {
  return verifyConvGrad(*this, cast<RankedTensorType>(getType()),
                        cast<RankedTensorType>(getOther().getType()),
                        cast<RankedTensorType>(getGrad().getType()),
                        getStride(), getPadding(), getDilation(), getGroups());
}

LogicalResult Conv2dGradWeightOp::verify() {
  return verifyConvGrad(*this, cast<RankedTensorType>(getOther().getType()),
                        cast<RankedTensorType>(getType()),
                        cast<RankedTensorType>(getGrad().getType()),
                        getStride(), getPadding(), getDilation(), getGroups());
}

/// Pooling gradients: the result has the pooling input's type, the window
/// over it gives the gradient's spatial size and the channels agree.
static LogicalResult verifyPoolGrad(Operation *op, Type result, Value grad,
                                    ArrayRef<int64_t> kernel,
                                    ArrayRef<int64_t> stride,
                                    ArrayRef<int64_t> padding) {
  auto input = cast<RankedTensorType>(result);
  auto gradType = cast<RankedTensorType>(grad.getType());
  int64_t dilation[] = {1, 1};
  if (failed(verifyWindowGrad(op, input, gradType, kernel, stride, padding,
                              dilation)))
    return failure();
  if (gradType.getDimSize(1) != input.getDimSize(1))
    return op->emitOpError("channel counts differ");
  return success();
}

LogicalResult MaxPool2dGradOp::verify() {
  if (getInput().getType() != getType())
    return emitOpError("the result must have the input's type");
  return verifyPoolGrad(*this, getType(), getGrad(), getKernel(), getStride(),
                        getPadding());
}

LogicalResult AvgPool2dGradOp::verify() {
  return verifyPoolGrad(*this, getType(), getGrad(), getKernel(), getStride(),
                        getPadding());
}

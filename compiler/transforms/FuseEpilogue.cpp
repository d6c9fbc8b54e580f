//===- FuseEpilogue.cpp - Adds and activations into the op before them ----===//
//
// add(matmul(a, b), bias) and a ReLU or tanh-form GELU of it become one
// dl.matmul_bias, which the plan writer lowers to a GEMM with the Bias,
// BiasRelu or BiasGeluTanh epilogue. In
// the backward pass, the bias gradient reduce_sum(dy, [0]) joins the weight
// gradient matmul(x^T, dy) as dl.matmul_bias_grad: a GEMM with the
// BiasGradB epilogue, which reduces dy while the product reads it. A
// residual connection added to such a GEMM's result is read by the GEMM as
// its C; a residual branch's gradient added to a layer norm's input
// gradient is added by the kernel that computes the latter. A ReLU of a
// convolution is the convolution kernel's epilogue, and a convolution's
// bias gradient joins its weight gradient.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/FusionSupport.h"
#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLFUSEEPILOGUE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

/// The bias add `fuseBiasAdd` folds into a GEMM: the product, the bias,
/// and the view of the product the add reads, if it reads one.
struct BiasAdd {
  MatmulOp matmul;
  Value bias;
  ReshapeOp view;
};

/// `value`'s producer as an op of type `Producer` read by nothing else,
/// seen through a reshape (a view) that nothing else reads either; the view
/// is set when there is one.
template <typename Producer>
Producer producerThroughView(Value value, ReshapeOp &view) {
  view = value.getDefiningOp<ReshapeOp>();
  if (view && view->hasOneUse())
    value = view.getInput();
  else
    view = {};
  auto producer = value.getDefiningOp<Producer>();
  return producer && producer->hasOneUse() ? producer : Producer();
}

/// The matmul and bias of `add` when it adds a bias vector of the product's
/// last dimension to a product nothing else reads. The product may be
/// viewed with other leading dimensions first (a rank-3 activation's
/// product is computed as a matrix; see dl.matmul's canonicalization).
std::optional<BiasAdd> biasAdd(AddOp add) {
  auto sum = cast<RankedTensorType>(add.getType());
  for (unsigned i = 0; i < 2; ++i) {
    Value bias = add.getOperand(1 - i);
    ReshapeOp view;
    auto matmul = producerThroughView<MatmulOp>(add.getOperand(i), view);
    if (!matmul)
      continue;
    auto productType = cast<RankedTensorType>(matmul.getType());
    auto biasType = cast<RankedTensorType>(bias.getType());
    int64_t columns = productType.getShape().back();
    if (!isa<FloatType>(productType.getElementType()) ||
        add.getOperand(i).getType() != sum || sum.getShape().back() != columns ||
        biasType.getRank() != 1 || biasType.getDimSize(0) != columns ||
        biasType.getElementType() != productType.getElementType())
      continue;
    return BiasAdd{matmul, bias, view};
  }
  return std::nullopt;
}

/// Replaces `add` (and the activation that is its only reader: a ReLU, or
/// GELU's tanh form, which cuBLASLt's GELU epilogue computes) by one
/// dl.matmul_bias, viewed as the add's shape again where it was viewed.
void fuseBiasAdd(AddOp add, const BiasAdd &found) {
  Operation *activation = nullptr;
  if (add->hasOneUse()) {
    Operation *user = *add->getUsers().begin();
    auto gelu = dyn_cast<GeluOp>(user);
    if (isa<ReluOp>(user) ||
        (gelu && gelu.getApproximation() == GeluApproximation::Tanh))
      activation = user;
  }
  Operation *last = activation ? activation : add.getOperation();
  MatmulOp matmul = found.matmul;
  OpBuilder builder(last);
  Value fused = MatmulBiasOp::create(
      builder, last->getLoc(), matmul.getType(), matmul.getLhs(),
      matmul.getRhs(), found.bias, /*addend=*/Value(),
      matmul.getTransposeLhs(), matmul.getTransposeRhs(),
      isa_and_nonnull<ReluOp>(activation), isa_and_nonnull<GeluOp>(activation));
  if (found.view)
    fused = ReshapeOp::create(builder, last->getLoc(), add.getType(), fused);
  last->getResult(0).replaceAllUsesWith(fused);
  if (activation)
    activation->erase();
  add->erase();
  if (found.view)
    found.view->erase();
  matmul->erase();
}

/// Replaces a weight gradient and the bias gradient `sum` by `fused`,
/// which computes both (results: the weight's, then the bias's).
void replaceWithBiasGradient(Operation *weightGrad, ReduceSumOp sum,
                             Operation *fused) {
  weightGrad->getResult(0).replaceAllUsesWith(fused->getResult(0));
  sum.getResult().replaceAllUsesWith(fused->getResult(1));
  weightGrad->erase();
  sum->erase();
}

/// Folds `sum` (a reduce_sum over dimension 0 of a matrix) into a matmul
/// that reads the same matrix as its untransposed right operand, when the
/// sum's readers all come after that matmul, where the fused op stands.
bool fuseBiasGradient(ReduceSumOp sum) {
  auto input = cast<RankedTensorType>(sum.getInput().getType());
  if (input.getRank() != 2 || sum.getAxes() != ArrayRef<int64_t>{0} ||
      sum.getKeepdims() || !isa<FloatType>(input.getElementType()))
    return false;
  for (Operation *user : sum.getInput().getUsers()) {
    auto matmul = dyn_cast<MatmulOp>(user);
    // dy is the untransposed right operand (x^T @ dy), or the transposed
    // left one (dy^T @ x): either way the product reduces over its rows.
    bool ofRhs = matmul && matmul.getRhs() == sum.getInput();
    bool ofLhs = matmul && !ofRhs && matmul.getLhs() == sum.getInput() &&
                 matmul.getTransposeLhs();
    if ((!ofRhs && !ofLhs) || matmul.getTransposeRhs() ||
        cast<RankedTensorType>(matmul.getLhs().getType()).getRank() != 2 ||
        cast<RankedTensorType>(matmul.getRhs().getType()).getRank() != 2 ||
        matmul->getBlock() != sum->getBlock() ||
        !llvm::all_of(sum->getUsers(), [&](Operation *reader) {
          return matmul->isBeforeInBlock(reader);
        }))
      continue;
    OpBuilder builder(matmul);
    auto fused = MatmulBiasGradOp::create(
        builder, matmul.getLoc(), matmul.getType(), sum.getType(),
        matmul.getLhs(), matmul.getRhs(), matmul.getTransposeLhs(), ofLhs);
    replaceWithBiasGradient(matmul, sum, fused);
    return true;
  }
  return false;
}

/// A convolution's bias gradient, reduce_sum(dy, [0, 2, 3]), joins the
/// weight gradient that reads the same dy: one kernel, placed where the
/// earlier of the two was (both operands exist by then).
bool fuseConvBiasGradient(ReduceSumOp sum) {
  auto input = cast<RankedTensorType>(sum.getInput().getType());
  if (input.getRank() != 4 || sum.getAxes() != ArrayRef<int64_t>{0, 2, 3} ||
      sum.getKeepdims() || !isa<FloatType>(input.getElementType()))
    return false;
  for (Operation *user : sum.getInput().getUsers()) {
    auto weightGrad = dyn_cast<Conv2dGradWeightOp>(user);
    if (!weightGrad || weightGrad.getGrad() != sum.getInput() ||
        weightGrad->getBlock() != sum->getBlock())
      continue;
    Operation *first =
        weightGrad->isBeforeInBlock(sum) ? weightGrad.getOperation() : sum;
    OpBuilder builder(first);
    auto fused = Conv2dGradWeightBiasOp::create(
        builder, weightGrad.getLoc(), weightGrad.getType(), sum.getType(),
        weightGrad.getGrad(), weightGrad.getOther(),
        weightGrad.getStrideAttr(), weightGrad.getPaddingAttr(),
        weightGrad.getDilationAttr(), weightGrad.getGroupsAttr());
    replaceWithBiasGradient(weightGrad, sum, fused);
    return true;
  }
  return false;
}

/// Folds `add(residual, matmul_bias(...))` (the product possibly viewed with
/// other leading dimensions, and read by nothing else) into the GEMM as its
/// addend, when the residual exists before the GEMM: the GEMM reads it as C.
bool fuseResidual(AddOp add) {
  for (unsigned i = 0; i < 2; ++i) {
    Value residual = add.getOperand(1 - i);
    ReshapeOp view;
    auto gemm = producerThroughView<MatmulBiasOp>(add.getOperand(i), view);
    if (!gemm || gemm.getRelu() || gemm.getGeluTanh() ||
        gemm.getAddend() ||
        add.getOperand(i).getType() != add.getType() ||
        residual.getType() != add.getType() ||
        !availableBefore(residual, gemm))
      continue;
    OpBuilder builder(gemm);
    Value addend = residual;
    if (view) {
      // A view of a view is a view of the original.
      if (auto inner = residual.getDefiningOp<ReshapeOp>())
        residual = inner.getInput();
      addend = residual.getType() == gemm.getType()
                   ? residual
                   : ReshapeOp::create(builder, add.getLoc(), gemm.getType(),
                                       residual);
    }
    gemm.getAddendMutable().assign(addend);
    Value result = gemm.getResult();
    if (view) {
      builder.setInsertionPoint(add);
      result = ReshapeOp::create(builder, add.getLoc(), add.getType(), result);
    }
    add.getResult().replaceAllUsesWith(result);
    add->erase();
    if (view)
      view->erase();
    return true;
  }
  return false;
}

/// Folds `add` of a layer norm's input gradient (read by nothing else) and
/// another value of its type into the dl.layer_norm_grad as its addend: the
/// residual connection around a normalized block sums the gradients of both
/// branches, and the kernel that writes one of them adds the other. The
/// other value must exist where the layer norm's gradient is computed.
bool fuseGradientSum(AddOp add) {
  for (unsigned i = 0; i < 2; ++i) {
    auto grad = add.getOperand(i).getDefiningOp<LayerNormGradOp>();
    Value other = add.getOperand(1 - i);
    if (!grad || grad.getAddend() || add.getOperand(i) != grad.getInputGrad() ||
        !grad.getInputGrad().hasOneUse() || other.getType() != add.getType() ||
        grad.getInputGrad().getType() != add.getType())
      continue;
    if (!availableBefore(other, grad))
      continue;
    grad.getAddendMutable().assign(other);
    add.getResult().replaceAllUsesWith(grad.getInputGrad());
    add->erase();
    return true;
  }
  return false;
}

struct DlFuseEpiloguePass
    : public mlir::dl::impl::DlFuseEpilogueBase<DlFuseEpiloguePass> {
  void runOnOperation() override {
    SmallVector<ReduceSumOp> sums;
    getOperation().walk([&](ReduceSumOp sum) { sums.push_back(sum); });
    for (ReduceSumOp sum : sums)
      if (!fuseBiasGradient(sum))
        fuseConvBiasGradient(sum);

    SmallVector<AddOp> adds;
    getOperation().walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds) {
      if (fuseGradientSum(add))
        continue;
      if (std::optional<BiasAdd> found = biasAdd(add))
        fuseBiasAdd(add, *found);
    }
    // Residual adds next, once the bias adds they follow have become GEMMs.
    adds.clear();
    getOperation().walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds)
      fuseResidual(add);

    SmallVector<ReluOp> relus;
    getOperation().walk([&](ReluOp relu) { relus.push_back(relu); });
    for (ReluOp relu : relus)
      fuseConvRelu(relu);
  }

  /// A ReLU that is a convolution's only reader becomes the convolution's
  /// epilogue. In training too: the ReLU's gradient reads its result, which
  /// the convolution now returns.
  static void fuseConvRelu(ReluOp relu) {
    auto conv = relu.getInput().getDefiningOp<Conv2dOp>();
    if (!conv || conv.getRelu() || !conv->hasOneUse())
      return;
    conv.setRelu(true);
    relu.getResult().replaceAllUsesWith(conv.getResult());
    relu.erase();
  }
};

} // namespace

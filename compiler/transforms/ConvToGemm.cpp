//===- ConvToGemm.cpp - Convolutions as im2col and one GEMM ---------------===//
//
// A convolution of an NCHW image is, window by window, a matrix product:
// the windows as rows (dl.im2col), times the weight viewed as
// [O, C * kH * kW] transposed, plus the bias, viewed back as NCHW. On a GPU
// the products go to cuBLASLt, and the weight gradient, which a direct
// kernel reduces over the whole batch element by element, is one GEMM.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "dialects/dl/DlOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::dl {
#define GEN_PASS_DEF_DLCONVTOGEMM
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::dl

using namespace mlir;
using namespace mlir::dl;

namespace {

void rewrite(Conv2dOp conv) {
  auto weight = cast<RankedTensorType>(conv.getWeight().getType());
  auto result = cast<RankedTensorType>(conv.getType());
  int64_t outChannels = weight.getDimSize(0);
  int64_t window = weight.getDimSize(1) * weight.getDimSize(2) *
                   weight.getDimSize(3);
  Type element = result.getElementType();
  OpBuilder b(conv);
  Location loc = conv.getLoc();
  Value cols = Im2ColOp::create(
      b, loc, conv.getInput(),
      b.getDenseI64ArrayAttr({weight.getDimSize(2), weight.getDimSize(3)}),
      conv.getStrideAttr(), conv.getPaddingAttr(), conv.getDilationAttr());
  int64_t pixels = cast<RankedTensorType>(cols.getType()).getDimSize(0);
  Value filters = ReshapeOp::create(
      b, loc, RankedTensorType::get({outChannels, window}, element),
      conv.getWeight());
  Value product = MatmulOp::create(
      b, loc, RankedTensorType::get({pixels, outChannels}, element), cols,
      filters, /*transpose_lhs=*/false, /*transpose_rhs=*/true);
  if (Value bias = conv.getBias())
    product = AddOp::create(b, loc, product.getType(), product, bias);
  if (conv.getRelu())
    product = ReluOp::create(b, loc, product.getType(), product);
  // [N, Ho, Wo, O] viewed, then NCHW.
  ArrayRef<int64_t> shape = result.getShape();
  Value nhwc = ReshapeOp::create(
      b, loc,
      RankedTensorType::get({shape[0], shape[2], shape[3], shape[1]}, element),
      product);
  Value nchw = TransposeOp::create(b, loc, nhwc,
                                   b.getDenseI64ArrayAttr({0, 3, 1, 2}));
  conv.getResult().replaceAllUsesWith(nchw);
  conv->erase();
}

struct DlConvToGemmPass
    : public mlir::dl::impl::DlConvToGemmBase<DlConvToGemmPass> {
  void runOnOperation() override {
    SmallVector<Conv2dOp> convs;
    getOperation().walk([&](Conv2dOp conv) {
      if (conv.getGroups() == 1 &&
          cast<RankedTensorType>(conv.getType()).hasStaticShape())
        convs.push_back(conv);
    });
    for (Conv2dOp conv : convs)
      rewrite(conv);
  }
};

} // namespace

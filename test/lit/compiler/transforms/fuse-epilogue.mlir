// RUN: dl-opt %s --split-input-file --dl-fuse-epilogue | FileCheck %s

// A dense layer: the bias add and the ReLU go into the GEMM.
// CHECK-LABEL: func.func @dense_relu
// CHECK-NEXT: %[[Y:.*]] = dl.matmul_bias %arg0, %arg1, %arg2 {relu} : (tensor<64x784xf32>, tensor<784x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
// CHECK-NEXT: return %[[Y]]
func.func @dense_relu(%x: tensor<64x784xf32>, %w: tensor<784x128xf32>,
                      %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %0 = dl.matmul %x, %w : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  %1 = dl.add %b, %0 : (tensor<128xf32>, tensor<64x128xf32>) -> tensor<64x128xf32>
  %2 = dl.relu %1 : tensor<64x128xf32>
  return %2 : tensor<64x128xf32>
}

// -----

// The sum is read besides the ReLU: only the bias joins, transposes kept.
// CHECK-LABEL: func.func @sum_escapes
// CHECK: %[[S:.*]] = dl.matmul_bias %arg0, %arg1, %arg2 {transpose_rhs} :
// CHECK: dl.relu %[[S]]
// CHECK: return
func.func @sum_escapes(%x: tensor<8x16xf32>, %w: tensor<4x16xf32>,
                       %b: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %0 = dl.matmul %x, %w {transpose_rhs} : (tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<8x4xf32>
  %1 = dl.add %0, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %2 = dl.relu %1 : tensor<8x4xf32>
  return %1, %2 : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// A rank-3 activation's product, computed as a matrix and viewed back (see
// dl.matmul's canonicalization): the bias and the ReLU still join, the view
// moves after the GEMM.
// CHECK-LABEL: func.func @viewed_product
// CHECK-NEXT: %[[Y:.*]] = dl.matmul_bias %arg0, %arg1, %arg2 {relu} : (tensor<6x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<6x5xf32>
// CHECK-NEXT: %[[V:.*]] = dl.reshape %[[Y]] : tensor<6x5xf32> to tensor<2x3x5xf32>
// CHECK-NEXT: return %[[V]]
func.func @viewed_product(%x: tensor<6x4xf32>, %w: tensor<4x5xf32>,
                          %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %0 = dl.matmul %x, %w : (tensor<6x4xf32>, tensor<4x5xf32>) -> tensor<6x5xf32>
  %1 = dl.reshape %0 : tensor<6x5xf32> to tensor<2x3x5xf32>
  %2 = dl.add %1, %b : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %3 = dl.relu %2 : tensor<2x3x5xf32>
  return %3 : tensor<2x3x5xf32>
}

// -----

// GELU's tanh form joins the GEMM (cuBLASLt's GELU epilogue); the exact
// (erf) form, or a GELU whose input is read again (a gradient), does not.
// CHECK-LABEL: func.func @dense_gelu
// CHECK: %[[T:.*]] = dl.matmul_bias %arg0, %arg1, %arg2 {gelu_tanh}
// CHECK: %[[S:.*]] = dl.matmul_bias %arg0, %arg1, %arg2 :
// CHECK: %[[E:.*]] = dl.gelu %[[S]] :
// CHECK: return %[[T]], %[[E]]
func.func @dense_gelu(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>,
                      %b: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %0 = dl.matmul %x, %w : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %1 = dl.add %0, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %2 = dl.gelu %1 approximation = tanh : tensor<4x3xf32>
  %3 = dl.matmul %x, %w : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %4 = dl.add %3, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %5 = dl.gelu %4 : tensor<4x3xf32>
  return %2, %5 : tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// A view that changes the last dimension is not a row-wise bias add.
// CHECK-LABEL: func.func @view_of_other_columns
// CHECK: dl.matmul %arg0, %arg1
// CHECK: dl.add
func.func @view_of_other_columns(%x: tensor<6x4xf32>, %w: tensor<4x6xf32>,
                                 %b: tensor<3xf32>) -> tensor<12x3xf32> {
  %0 = dl.matmul %x, %w : (tensor<6x4xf32>, tensor<4x6xf32>) -> tensor<6x6xf32>
  %1 = dl.reshape %0 : tensor<6x6xf32> to tensor<12x3xf32>
  %2 = dl.add %1, %b : (tensor<12x3xf32>, tensor<3xf32>) -> tensor<12x3xf32>
  return %2 : tensor<12x3xf32>
}

// -----

// Not a bias: the product is read twice, or the addend is a matrix.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: dl.matmul_bias
func.func @not_fused(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>,
                     %b: tensor<4xf32>, %m: tensor<8x4xf32>)
    -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  %0 = dl.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %1 = dl.add %0, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %2 = dl.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %3 = dl.add %2, %m : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  return %0, %1, %3 : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// The bias gradient (the column sums of dy) joins the weight gradient
// x^T @ dy as one GEMM that reduces its right operand.
// CHECK-LABEL: func.func @bias_grad
// CHECK: %[[W:.*]], %[[B:.*]] = dl.matmul_bias_grad %arg0, %arg1 {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
// CHECK-NOT: dl.reduce_sum
// CHECK: return %[[W]], %[[B]]
func.func @bias_grad(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>)
    -> (tensor<4x3xf32>, tensor<3xf32>) {
  %db = dl.reduce_sum %dy axes = [0] : tensor<8x3xf32> -> tensor<3xf32>
  %dw = dl.matmul %x, %dy {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %dw, %db : tensor<4x3xf32>, tensor<3xf32>
}

// -----

// A residual connection around a dense layer: the GEMM reads the residual
// as its C, through the views of a rank-3 activation. A residual computed
// after the GEMM, or one added after a ReLU, stays a separate add.
// CHECK-LABEL: func.func @residual
// CHECK: %[[R:.*]] = dl.reshape %arg0 : tensor<2x3x4xf32> to tensor<6x4xf32>
// CHECK: %[[C:.*]] = dl.reshape %arg0 : tensor<2x3x4xf32> to tensor<6x4xf32>
// CHECK: %[[Y:.*]] = dl.matmul_bias %[[R]], %arg1, %arg2 addend %[[C]] : (tensor<6x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
// CHECK: %[[V:.*]] = dl.reshape %[[Y]] : tensor<6x4xf32> to tensor<2x3x4xf32>
// CHECK: %[[Z:.*]] = dl.matmul_bias %[[R]], %arg1, %arg2 : (
// CHECK: %[[LATE:.*]] = dl.neg %arg0
// CHECK: dl.add %[[LATE]]
// CHECK: %[[U:.*]] = dl.matmul_bias %[[R]], %arg1, %arg2 {relu}
// CHECK: dl.add %arg0
// CHECK: return %[[V]]
func.func @residual(%x: tensor<2x3x4xf32>, %w: tensor<4x4xf32>,
                    %b: tensor<4xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %rows = dl.reshape %x : tensor<2x3x4xf32> to tensor<6x4xf32>
  %0 = dl.matmul %rows, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %1 = dl.reshape %0 : tensor<6x4xf32> to tensor<2x3x4xf32>
  %2 = dl.add %1, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %3 = dl.add %x, %2 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %4 = dl.matmul %rows, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %5 = dl.reshape %4 : tensor<6x4xf32> to tensor<2x3x4xf32>
  %6 = dl.add %5, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %late = dl.neg %x : tensor<2x3x4xf32>
  %7 = dl.add %late, %6 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %8 = dl.matmul %rows, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %9 = dl.reshape %8 : tensor<6x4xf32> to tensor<2x3x4xf32>
  %10 = dl.add %9, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %11 = dl.relu %10 : tensor<2x3x4xf32>
  %12 = dl.add %x, %11 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %3, %7, %12 : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

// -----

// A residual branch's gradient added to a layer norm's input gradient: the
// layer norm's kernel adds it. A value computed after the kernel, or a
// gradient read elsewhere too, stays a separate add.
// CHECK-LABEL: func.func @layer_norm_grad_sum
// CHECK: %[[DX:.*]], %{{.*}}, %{{.*}} = dl.layer_norm_grad %arg0, %arg1, %arg2 addend %arg3 axis = 1
// CHECK: %[[DX2:.*]], %{{.*}}, %{{.*}} = dl.layer_norm_grad %arg0, %arg1, %arg2 axis = 1
// CHECK: %[[LATE:.*]] = dl.neg %arg3
// CHECK: %[[S:.*]] = dl.add %[[DX2]], %[[LATE]]
// CHECK: %[[DX3:.*]], %{{.*}}, %{{.*}} = dl.layer_norm_grad %arg0, %arg3, %arg2 axis = 1
// CHECK: %[[T:.*]] = dl.add %arg1, %[[DX3]]
// CHECK: return %[[DX]], %[[S]], %[[T]], %[[DX3]]
func.func @layer_norm_grad_sum(%x: tensor<4x8xf32>, %dy: tensor<4x8xf32>,
                               %g: tensor<8xf32>, %r: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %dx, %m, %s = dl.layer_norm_grad %x, %dy, %g axis = 1 epsilon = 1.0e-05 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>)
  %0 = dl.add %r, %dx : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %dx2, %m2, %s2 = dl.layer_norm_grad %x, %dy, %g axis = 1 epsilon = 1.0e-05 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>)
  %late = dl.neg %r : tensor<4x8xf32>
  %1 = dl.add %dx2, %late : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %dx3, %m3, %s3 = dl.layer_norm_grad %x, %r, %g axis = 1 epsilon = 1.0e-05 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>)
  %2 = dl.add %dy, %dx3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0, %1, %2, %dx3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Another axis, a transposed right operand, or a reader of the sum before
// the GEMM: kept apart.
// CHECK-LABEL: func.func @bias_grad_kept
// CHECK: dl.reduce_sum %arg1 axes = [1]
// CHECK: dl.reduce_sum %arg1 axes = [0]
// CHECK: dl.neg
// CHECK: dl.matmul %arg0, %arg1 {transpose_lhs}
// CHECK: dl.matmul %arg2, %arg1 {transpose_rhs}
func.func @bias_grad_kept(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>,
                          %z: tensor<5x3xf32>)
    -> (tensor<8xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<5x8xf32>) {
  %rows = dl.reduce_sum %dy axes = [1] : tensor<8x3xf32> -> tensor<8xf32>
  %db = dl.reduce_sum %dy axes = [0] : tensor<8x3xf32> -> tensor<3xf32>
  %n = dl.neg %db : tensor<3xf32>
  %dw = dl.matmul %x, %dy {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %t = dl.matmul %z, %dy {transpose_rhs} : (tensor<5x3xf32>, tensor<8x3xf32>) -> tensor<5x8xf32>
  return %rows, %n, %dw, %t : tensor<8xf32>, tensor<3xf32>, tensor<4x3xf32>, tensor<5x8xf32>
}

// -----

// A ReLU that is a convolution's only reader is its epilogue.
// CHECK-LABEL: func.func @conv_relu
// CHECK: %[[Y:.*]] = dl.conv2d %arg0, %arg1, %arg2 padding = [1, 1, 1, 1] {relu}
// CHECK-NOT: dl.relu
// CHECK: return %[[Y]]
func.func @conv_relu(%x: tensor<2x1x5x5xf32>, %w: tensor<3x1x3x3xf32>,
                     %b: tensor<3xf32>) -> tensor<2x3x5x5xf32> {
  %0 = dl.conv2d %x, %w, %b padding = [1, 1, 1, 1] : (tensor<2x1x5x5xf32>, tensor<3x1x3x3xf32>, tensor<3xf32>) -> tensor<2x3x5x5xf32>
  %1 = dl.relu %0 : tensor<2x3x5x5xf32>
  return %1 : tensor<2x3x5x5xf32>
}

// -----

// The convolution's result is read by more than the ReLU: both stay.
// CHECK-LABEL: func.func @conv_relu_kept
// CHECK: dl.conv2d %arg0, %arg1 :
// CHECK: dl.relu
func.func @conv_relu_kept(%x: tensor<2x1x5x5xf32>, %w: tensor<3x1x3x3xf32>)
    -> (tensor<2x3x3x3xf32>, tensor<2x3x3x3xf32>) {
  %0 = dl.conv2d %x, %w : (tensor<2x1x5x5xf32>, tensor<3x1x3x3xf32>) -> tensor<2x3x3x3xf32>
  %1 = dl.relu %0 : tensor<2x3x3x3xf32>
  return %0, %1 : tensor<2x3x3x3xf32>, tensor<2x3x3x3xf32>
}

// -----

// A convolution's bias gradient joins its weight gradient (which reads the
// same dy) where the earlier of the two stood.
// CHECK-LABEL: func.func @conv_bias_grad
// CHECK: %[[DW:.*]], %[[DB:.*]] = dl.conv2d_grad_weight_bias %arg1, %arg0 stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<2x3x5x5xf32>, tensor<2x1x5x5xf32>) -> (tensor<3x1x3x3xf32>, tensor<3xf32>)
// CHECK-NEXT: dl.neg %[[DB]]
// CHECK-NOT: dl.reduce_sum
// CHECK: return %[[DW]]
func.func @conv_bias_grad(%x: tensor<2x1x5x5xf32>, %dy: tensor<2x3x5x5xf32>)
    -> (tensor<3x1x3x3xf32>, tensor<3xf32>) {
  %db = dl.reduce_sum %dy axes = [0, 2, 3] : tensor<2x3x5x5xf32> -> tensor<3xf32>
  %n = dl.neg %db : tensor<3xf32>
  %dw = dl.conv2d_grad_weight %dy, %x stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<2x3x5x5xf32>, tensor<2x1x5x5xf32>) -> tensor<3x1x3x3xf32>
  return %dw, %n : tensor<3x1x3x3xf32>, tensor<3xf32>
}

// -----

// A weight stored as [out, in] (PyTorch's Linear, an im2col convolution):
// its gradient is dy^T @ x, and the bias gradient sums the same dy, the
// product's transposed left operand.
// CHECK-LABEL: func.func @bias_grad_of_lhs
// CHECK: %[[DW:.*]], %[[DB:.*]] = dl.matmul_bias_grad %arg1, %arg0 {bias_of_lhs, transpose_lhs} : (tensor<8x3xf32>, tensor<8x4xf32>) -> (tensor<3x4xf32>, tensor<3xf32>)
// CHECK-NOT: dl.reduce_sum
// CHECK: return %[[DW]], %[[DB]]
func.func @bias_grad_of_lhs(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>)
    -> (tensor<3x4xf32>, tensor<3xf32>) {
  %db = dl.reduce_sum %dy axes = [0] : tensor<8x3xf32> -> tensor<3xf32>
  %dw = dl.matmul %dy, %x {transpose_lhs} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  return %dw, %db : tensor<3x4xf32>, tensor<3xf32>
}

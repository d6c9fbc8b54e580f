// Every dl op parses, prints and re-parses to the same IR, in the custom and
// in the generic form, with the result types its inference computes.
// RUN: dl-opt %s | dl-opt | FileCheck %s
// RUN: dl-opt %s --mlir-print-op-generic | dl-opt | FileCheck %s

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<4x8xf32>, %i: tensor<4xi32>) -> tensor<4x8xf32> {
  // CHECK: dl.neg %{{.*}} : tensor<4xi32>
  %0 = dl.neg %i : tensor<4xi32>
  // CHECK: dl.abs %{{.*}} : tensor<4xi32>
  %1 = dl.abs %0 : tensor<4xi32>
  // CHECK: dl.exp %{{.*}} : tensor<4x8xf32>
  %2 = dl.exp %x : tensor<4x8xf32>
  // CHECK: dl.log
  %3 = dl.log %2 : tensor<4x8xf32>
  // CHECK: dl.sqrt
  %4 = dl.sqrt %3 : tensor<4x8xf32>
  // CHECK: dl.rsqrt
  %5 = dl.rsqrt %4 : tensor<4x8xf32>
  // CHECK: dl.tanh
  %6 = dl.tanh %5 : tensor<4x8xf32>
  // CHECK: dl.sigmoid
  %7 = dl.sigmoid %6 : tensor<4x8xf32>
  // CHECK: dl.relu
  %8 = dl.relu %7 : tensor<4x8xf32>
  // CHECK: dl.gelu %{{.*}} : tensor<4x8xf32>
  %9 = dl.gelu %8 : tensor<4x8xf32>
  // CHECK: dl.gelu %{{.*}} approximation = tanh : tensor<4x8xf32>
  %10 = dl.gelu %9 approximation = tanh : tensor<4x8xf32>
  // CHECK: dl.cast %{{.*}} : tensor<4x8xf32> to tensor<4x8xbf16>
  %11 = dl.cast %10 : tensor<4x8xf32> to tensor<4x8xbf16>
  // CHECK: dl.cast %{{.*}} : tensor<4x8xbf16> to tensor<4x8xf32>
  %12 = dl.cast %11 : tensor<4x8xbf16> to tensor<4x8xf32>
  // CHECK: dl.floor %{{.*}} : tensor<4x8xf32>
  %13 = dl.floor %12 : tensor<4x8xf32>
  // CHECK: dl.cos %{{.*}} : tensor<4x8xf32>
  %14 = dl.cos %13 : tensor<4x8xf32>
  return %14 : tensor<4x8xf32>
}

// CHECK-LABEL: func @binary
func.func @binary(%x: tensor<4x8xf32>, %b: tensor<8xf32>, %s: tensor<f32>,
                  %c: tensor<4x1xf16>, %d: tensor<1x8xf16>) -> tensor<4x8xf32> {
  // CHECK: dl.add %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %0 = dl.add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dl.sub %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %1 = dl.sub %0, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: dl.mul
  %2 = dl.mul %1, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: dl.div
  %3 = dl.div %2, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: dl.pow
  %4 = dl.pow %3, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: dl.max
  %5 = dl.max %4, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: dl.min
  %6 = dl.min %5, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // Both operands stretch: 4x1 and 1x8 give 4x8.
  // CHECK: dl.add %{{.*}}, %{{.*}} : (tensor<4x1xf16>, tensor<1x8xf16>) -> tensor<4x8xf16>
  %7 = dl.add %c, %d : (tensor<4x1xf16>, tensor<1x8xf16>) -> tensor<4x8xf16>
  // CHECK: dl.compare lt, %{{.*}}, %{{.*}} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  %m = dl.compare lt, %6, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  // CHECK: dl.compare ge
  %n = dl.compare ge, %6, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: dl.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %8 = dl.select %m, %6, %s : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %8 : tensor<4x8xf32>
}

// CHECK-LABEL: func @shape_ops
func.func @shape_ops(%x: tensor<4x8x16xf32>, %t: tensor<65x32xf32>,
                     %ids: tensor<4x16xi32>) -> tensor<4x16x32xf32> {
  // CHECK: dl.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %c = dl.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: dl.fill 5.000000e-01 : tensor<4x8xf32>
  %f = dl.fill 5.000000e-01 : tensor<4x8xf32>
  // CHECK: dl.iota dimension = 1 : tensor<4x16xi64>
  %i = dl.iota dimension = 1 : tensor<4x16xi64>
  // CHECK: dl.reshape %{{.*}} : tensor<4x8x16xf32> to tensor<32x16xf32>
  %r = dl.reshape %x : tensor<4x8x16xf32> to tensor<32x16xf32>
  // CHECK: dl.transpose %{{.*}} permutation = [0, 2, 1] : tensor<4x8x16xf32> -> tensor<4x16x8xf32>
  %p = dl.transpose %x permutation = [0, 2, 1] : tensor<4x8x16xf32> -> tensor<4x16x8xf32>
  // CHECK: dl.broadcast_to %{{.*}} : tensor<2xf32> to tensor<3x2xf32>
  %b = dl.broadcast_to %c : tensor<2xf32> to tensor<3x2xf32>
  // CHECK: dl.concat %{{.*}}, %{{.*}} axis = 1 : (tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x16x16xf32>
  %cc = dl.concat %x, %x axis = 1 : (tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x16x16xf32>
  // CHECK: dl.slice %{{.*}} start = [0, 2, 0] limit = [4, 8, 16] step = [1, 2, 4] : tensor<4x8x16xf32> -> tensor<4x3x4xf32>
  %s = dl.slice %x start = [0, 2, 0] limit = [4, 8, 16] step = [1, 2, 4] : tensor<4x8x16xf32> -> tensor<4x3x4xf32>
  // CHECK: dl.gather %{{.*}}, %{{.*}} axis = 0 : (tensor<65x32xf32>, tensor<4x16xi32>) -> tensor<4x16x32xf32>
  %e = dl.gather %t, %ids axis = 0 : (tensor<65x32xf32>, tensor<4x16xi32>) -> tensor<4x16x32xf32>
  // Gathering along a middle axis keeps the dimensions on both sides.
  // CHECK: dl.gather %{{.*}}, %{{.*}} axis = 1 : (tensor<4x8x16xf32>, tensor<3xi64>) -> tensor<4x3x16xf32>
  %ix = dl.constant dense<[0, 2, 7]> : tensor<3xi64>
  %g = dl.gather %x, %ix axis = 1 : (tensor<4x8x16xf32>, tensor<3xi64>) -> tensor<4x3x16xf32>
  // CHECK: dl.scatter_add %{{.*}}, %{{.*}} axis = 0 : (tensor<4x16x32xf32>, tensor<4x16xi32>) -> tensor<65x32xf32>
  %sa = dl.scatter_add %e, %ids axis = 0 : (tensor<4x16x32xf32>, tensor<4x16xi32>) -> tensor<65x32xf32>
  return %e : tensor<4x16x32xf32>
}

// CHECK-LABEL: func @contractions
func.func @contractions(%x: tensor<64x784xf32>, %w: tensor<784x128xf32>,
                        %q: tensor<2x4x16x8xf32>, %k: tensor<4x16x8xf32>,
                        %img: tensor<8x3x28x28xf32>, %cw: tensor<16x3x3x3xf32>,
                        %cb: tensor<16xf32>, %gw: tensor<16x1x3x3xf32>)
    -> tensor<64x128xf32> {
  // CHECK: dl.matmul %{{.*}}, %{{.*}} : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  %0 = dl.matmul %x, %w : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  // Batch dimensions broadcast; transpose_rhs contracts the last dims.
  // CHECK: dl.matmul %{{.*}}, %{{.*}} {transpose_rhs} : (tensor<2x4x16x8xf32>, tensor<4x16x8xf32>) -> tensor<2x4x16x16xf32>
  %1 = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x16x8xf32>, tensor<4x16x8xf32>) -> tensor<2x4x16x16xf32>
  // CHECK: dl.matmul %{{.*}}, %{{.*}} {transpose_lhs} : (tensor<64x784xf32>, tensor<64x128xf32>) -> tensor<784x128xf32>
  %2 = dl.matmul %x, %0 {transpose_lhs} : (tensor<64x784xf32>, tensor<64x128xf32>) -> tensor<784x128xf32>
  // CHECK: dl.conv2d %{{.*}}, %{{.*}}, %{{.*}} padding = [1, 1, 1, 1] : (tensor<8x3x28x28xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<8x16x28x28xf32>
  %3 = dl.conv2d %img, %cw, %cb padding = [1, 1, 1, 1] : (tensor<8x3x28x28xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<8x16x28x28xf32>
  // CHECK: dl.conv2d %{{.*}}, %{{.*}} stride = [2, 2] dilation = [2, 2] : (tensor<8x3x28x28xf32>, tensor<16x3x3x3xf32>) -> tensor<8x16x12x12xf32>
  %4 = dl.conv2d %img, %cw stride = [2, 2] dilation = [2, 2] : (tensor<8x3x28x28xf32>, tensor<16x3x3x3xf32>) -> tensor<8x16x12x12xf32>
  // Depthwise: 16 groups of one channel each.
  // CHECK: dl.conv2d %{{.*}}, %{{.*}} groups = 16 : (tensor<8x16x28x28xf32>, tensor<16x1x3x3xf32>) -> tensor<8x16x26x26xf32>
  %5 = dl.conv2d %3, %gw groups = 16 : (tensor<8x16x28x28xf32>, tensor<16x1x3x3xf32>) -> tensor<8x16x26x26xf32>
  // CHECK: dl.max_pool2d %{{.*}} kernel = [2, 2] : tensor<8x16x28x28xf32> -> tensor<8x16x14x14xf32>
  %6 = dl.max_pool2d %3 kernel = [2, 2] : tensor<8x16x28x28xf32> -> tensor<8x16x14x14xf32>
  // The gradient ops autodiff emits for convolution and pooling.
  // CHECK: dl.conv2d_grad_input %{{.*}}, %{{.*}} stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<8x16x28x28xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x28x28xf32>
  %gi = dl.conv2d_grad_input %3, %cw stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<8x16x28x28xf32>, tensor<16x3x3x3xf32>) -> tensor<8x3x28x28xf32>
  // CHECK: dl.conv2d_grad_weight %{{.*}}, %{{.*}} stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<8x16x28x28xf32>, tensor<8x3x28x28xf32>) -> tensor<16x3x3x3xf32>
  %gcw = dl.conv2d_grad_weight %3, %img stride = [1, 1] padding = [1, 1, 1, 1] dilation = [1, 1] groups = 1 : (tensor<8x16x28x28xf32>, tensor<8x3x28x28xf32>) -> tensor<16x3x3x3xf32>
  // CHECK: dl.max_pool2d_grad %{{.*}}, %{{.*}} kernel = [2, 2] stride = [2, 2] padding = [0, 0, 0, 0] : (tensor<8x16x28x28xf32>, tensor<8x16x14x14xf32>) -> tensor<8x16x28x28xf32>
  %gm = dl.max_pool2d_grad %3, %6 kernel = [2, 2] stride = [2, 2] padding = [0, 0, 0, 0] : (tensor<8x16x28x28xf32>, tensor<8x16x14x14xf32>) -> tensor<8x16x28x28xf32>
  // CHECK: dl.avg_pool2d_grad %{{.*}} kernel = [2, 2] stride = [2, 2] padding = [0, 0, 0, 0] {count_include_pad} : tensor<8x16x14x14xf32> -> tensor<8x16x28x28xf32>
  %ga = dl.avg_pool2d_grad %6 kernel = [2, 2] stride = [2, 2] padding = [0, 0, 0, 0] {count_include_pad} : tensor<8x16x14x14xf32> -> tensor<8x16x28x28xf32>
  // CHECK: dl.max_pool2d %{{.*}} kernel = [3, 3] stride = [2, 2] padding = [1, 1, 1, 1] : tensor<8x16x28x28xf32> -> tensor<8x16x14x14xf32>
  %7 = dl.max_pool2d %3 kernel = [3, 3] stride = [2, 2] padding = [1, 1, 1, 1] : tensor<8x16x28x28xf32> -> tensor<8x16x14x14xf32>
  // ceil_mode keeps the partial window at the end: 26 -> 9 instead of 8.
  // CHECK: dl.avg_pool2d %{{.*}} kernel = [3, 3] {ceil_mode, count_include_pad} : tensor<8x16x26x26xf32> -> tensor<8x16x9x9xf32>
  %8 = dl.avg_pool2d %5 kernel = [3, 3] {ceil_mode, count_include_pad} : tensor<8x16x26x26xf32> -> tensor<8x16x9x9xf32>
  return %0 : tensor<64x128xf32>
}

// CHECK-LABEL: func @reductions
func.func @reductions(%x: tensor<64x10xf32>, %i: tensor<4x5x6xi32>) -> tensor<64xi64> {
  // CHECK: dl.reduce_sum %{{.*}} axes = [1] keepdims : tensor<64x10xf32> -> tensor<64x1xf32>
  %0 = dl.reduce_sum %x axes = [1] keepdims : tensor<64x10xf32> -> tensor<64x1xf32>
  // CHECK: dl.reduce_mean %{{.*}} axes = [0, 1] : tensor<64x10xf32> -> tensor<f32>
  %1 = dl.reduce_mean %x axes = [0, 1] : tensor<64x10xf32> -> tensor<f32>
  // CHECK: dl.reduce_max %{{.*}} axes = [0, 2] : tensor<4x5x6xi32> -> tensor<5xi32>
  %2 = dl.reduce_max %i axes = [0, 2] : tensor<4x5x6xi32> -> tensor<5xi32>
  // CHECK: dl.argmax %{{.*}} axis = 1 : tensor<64x10xf32> -> tensor<64xi64>
  %3 = dl.argmax %x axis = 1 : tensor<64x10xf32> -> tensor<64xi64>
  // CHECK: dl.argmax %{{.*}} axis = 1 keepdims : tensor<64x10xf32> -> tensor<64x1xi64>
  %4 = dl.argmax %x axis = 1 keepdims : tensor<64x10xf32> -> tensor<64x1xi64>
  // CHECK: dl.softmax %{{.*}} axis = 1 : tensor<64x10xf32>
  %5 = dl.softmax %x axis = 1 : tensor<64x10xf32>
  // CHECK: dl.log_softmax %{{.*}} axis = 0 : tensor<64x10xf32>
  %6 = dl.log_softmax %x axis = 0 : tensor<64x10xf32>
  return %3 : tensor<64xi64>
}

// CHECK-LABEL: func @normalization
func.func @normalization(%x: tensor<4x16x32xf32>, %g: tensor<32xf32>,
                         %img: tensor<8x16x4x4xf32>, %v: tensor<16xf32>)
    -> tensor<4x16x32xf32> {
  // CHECK: dl.layer_norm %{{.*}}, %{{.*}}, %{{.*}} axis = 2 epsilon = 1.000000e-05 : (tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<4x16x32xf32>
  %0 = dl.layer_norm %x, %g, %g axis = 2 epsilon = 1.0e-05 : (tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<4x16x32xf32>
  // CHECK: dl.layer_norm_grad %{{.*}}, %{{.*}}, %{{.*}} axis = 2 epsilon = 1.000000e-05 : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<32xf32>) -> (tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
  %dx:3 = dl.layer_norm_grad %x, %0, %g axis = 2 epsilon = 1.0e-05 : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<32xf32>) -> (tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
  // CHECK: dl.layer_norm_grad %{{.*}}, %{{.*}}, %{{.*}} addend %{{.*}} axis = 2 epsilon = 1.000000e-05
  %dr:3 = dl.layer_norm_grad %x, %0, %g addend %x axis = 2 epsilon = 1.0e-05 : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<32xf32>, tensor<4x16x32xf32>) -> (tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
  // CHECK: dl.im2col %{{.*}} kernel = [2, 2] stride = [2, 2] : tensor<8x16x4x4xf32> -> tensor<32x64xf32>
  %cols = dl.im2col %img kernel = [2, 2] stride = [2, 2] : tensor<8x16x4x4xf32> -> tensor<32x64xf32>
  // CHECK: dl.col2im %{{.*}} kernel = [2, 2] stride = [2, 2] : tensor<32x64xf32> -> tensor<8x16x4x4xf32>
  %back = dl.col2im %cols kernel = [2, 2] stride = [2, 2] : tensor<32x64xf32> -> tensor<8x16x4x4xf32>
  // CHECK: dl.softmax_grad %{{.*}}, %{{.*}} axis = 2 {log} : tensor<4x16x32xf32>
  %sg = dl.softmax_grad %x, %x axis = 2 {log} : tensor<4x16x32xf32>
  // CHECK: dl.sum_squares %{{.*}}, %{{.*}} : (tensor<4x16x32xf32>, tensor<32xf32>) -> (tensor<f32>, tensor<1xf64>)
  %ss:2 = dl.sum_squares %x, %g : (tensor<4x16x32xf32>, tensor<32xf32>) -> (tensor<f32>, tensor<1xf64>)
  // CHECK: dl.layer_norm_param_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} axis = 2 : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) -> (tensor<32xf32>, tensor<32xf32>)
  %dg:2 = dl.layer_norm_param_grad %x, %0, %dx#1, %dx#2 axis = 2 : (tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) -> (tensor<32xf32>, tensor<32xf32>)
  // CHECK: dl.batch_norm_inference %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epsilon = 1.000000e-05
  %1 = dl.batch_norm_inference %img, %v, %v, %v, %v epsilon = 1.0e-05 : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<8x16x4x4xf32>
  // CHECK: dl.batch_norm_training %{{.*}} epsilon = 1.000000e-05 momentum = 1.000000e-01 : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  %2:3 = dl.batch_norm_training %img, %v, %v, %v, %v epsilon = 1.0e-05 momentum = 0.1 : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>)
  // CHECK: dl.dropout %{{.*}} rate = 2.000000e-01 seed = 7 : tensor<4x16x32xf32>
  %3 = dl.dropout %0 rate = 0.2 seed = 7 : tensor<4x16x32xf32>
  return %3 : tensor<4x16x32xf32>
}

// CHECK-LABEL: func @losses
func.func @losses(%logits: tensor<64x10xf32>, %labels: tensor<64xi32>,
                  %y: tensor<8x2xf32>) -> tensor<f32> {
  // CHECK: dl.cross_entropy %{{.*}}, %{{.*}} : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
  %0 = dl.cross_entropy %logits, %labels : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
  // CHECK: dl.cross_entropy %{{.*}}, %{{.*}} reduction = sum
  %1 = dl.cross_entropy %logits, %labels reduction = sum : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
  // CHECK: dl.mse %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<f32>
  %2 = dl.mse %y, %y : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

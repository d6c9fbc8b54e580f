// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise --dl-fuse-kernel-epilogue | FileCheck %s

// Attention's backward pass: the mask and scale after softmax's gradient
// run in the softmax_grad kernel, on its result, before it is stored. The
// region moves right after the kernel; the gradient is its first input.
// CHECK-LABEL: func.func @masked_softmax_grad
// CHECK: %[[DX:.*]] = dl.softmax_grad %arg0, %arg1 axis = 1
// CHECK-NEXT: %[[E:.*]] = dl.fused(%[[DX]], %arg2, %arg3, %arg4) {epilogue}
// CHECK-NEXT: ^bb0(%[[V:.*]]: tensor<4x4xf32>, %[[M:.*]]: tensor<4x4xi1>, %[[Z:.*]]: tensor<f32>, %[[S:.*]]: tensor<f32>):
// CHECK-NEXT:   %[[W:.*]] = dl.select %[[M]], %[[V]], %[[Z]]
// CHECK-NEXT:   %[[R:.*]] = dl.mul %[[W]], %[[S]]
// CHECK-NEXT:   dl.yield %[[R]]
// CHECK: dl.neg
// CHECK: dl.matmul %[[E]]
func.func @masked_softmax_grad(%y: tensor<4x4xf32>, %dy: tensor<4x4xf32>,
                               %mask: tensor<4x4xi1>, %zero: tensor<f32>,
                               %scale: tensor<f32>, %k: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %dx = dl.softmax_grad %y, %dy axis = 1 : tensor<4x4xf32>
  %n = dl.neg %k : tensor<4x4xf32>
  %0 = dl.select %mask, %dx, %zero : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %1 = dl.mul %0, %scale : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %2 = dl.matmul %1, %k : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2, %n : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A ReLU's gradient after a pooling's input gradient: one lone op (no
// region) is an epilogue too.
// CHECK-LABEL: func.func @relu_grad_after_pool_grad
// CHECK: %[[G:.*]] = dl.max_pool2d_grad
// CHECK-NEXT: dl.fused(%[[G]], %arg2) {epilogue}
// CHECK: dl.mul
func.func @relu_grad_after_pool_grad(%x: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>,
                                     %m: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %0 = dl.max_pool2d_grad %x, %dy kernel = [2, 2] stride = [2, 2] padding = [0, 0, 0, 0] : (tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  %1 = dl.mul %0, %m : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %1 : tensor<1x1x4x4xf32>
}

// -----

// Not an epilogue: the kernel's result is read twice, or another input is
// computed only after the kernel (it could not be read in it).
// CHECK-LABEL: func.func @kept_apart
// CHECK-NOT: epilogue
func.func @kept_apart(%y: tensor<4x4xf32>, %dy: tensor<4x4xf32>, %k: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %dx = dl.softmax_grad %y, %dy axis = 1 : tensor<4x4xf32>
  %0 = dl.exp %dx : tensor<4x4xf32>
  %dx2 = dl.softmax_grad %y, %k axis = 1 : tensor<4x4xf32>
  %late = dl.matmul %k, %k : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = dl.mul %dx2, %late : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0, %dx, %1 : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A residual block's end, relu(conv(x) + r): the add and the ReLU run in
// the convolution kernel. Of two convolutions added, the later one takes
// the add (the earlier's result exists when it runs).
// CHECK-LABEL: func.func @residual
// CHECK: %[[A:.*]] = dl.conv2d %arg0, %arg1
// CHECK-NEXT: %[[B:.*]] = dl.conv2d %arg0, %arg2
// CHECK-NEXT: dl.fused(%[[B]], %[[A]]) {epilogue}
// CHECK: dl.add
// CHECK-NEXT: dl.relu
func.func @residual(%x: tensor<1x2x4x4xf32>, %w1: tensor<2x2x1x1xf32>,
                    %w2: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %0 = dl.conv2d %x, %w1 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dl.conv2d %x, %w2 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = dl.add %0, %1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = dl.relu %2 : tensor<1x2x4x4xf32>
  return %3 : tensor<1x2x4x4xf32>
}

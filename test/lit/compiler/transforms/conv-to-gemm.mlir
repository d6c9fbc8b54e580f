// RUN: dl-opt %s --split-input-file --dl-conv-to-gemm | FileCheck %s

// A convolution with bias: the windows as rows, one GEMM with the weight
// viewed as [O, C*kH*kW] (transposed), the bias added to the [pixels, O]
// product, and the result viewed as [N, Ho, Wo, O] and transposed to NCHW.
// CHECK-LABEL: func.func @conv
// CHECK: %[[C:.*]] = dl.im2col %arg0 kernel = [3, 3] padding = [1, 1, 1, 1] : tensor<2x3x8x8xf32> -> tensor<128x27xf32>
// CHECK: %[[W:.*]] = dl.reshape %arg1 : tensor<4x3x3x3xf32> to tensor<4x27xf32>
// CHECK: %[[P:.*]] = dl.matmul %[[C]], %[[W]] {transpose_rhs} : (tensor<128x27xf32>, tensor<4x27xf32>) -> tensor<128x4xf32>
// CHECK: %[[B:.*]] = dl.add %[[P]], %arg2 : (tensor<128x4xf32>, tensor<4xf32>) -> tensor<128x4xf32>
// CHECK: %[[V:.*]] = dl.reshape %[[B]] : tensor<128x4xf32> to tensor<2x8x8x4xf32>
// CHECK: %[[Y:.*]] = dl.transpose %[[V]] permutation = [0, 3, 1, 2]
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                %b: tensor<4xf32>) -> tensor<2x4x8x8xf32> {
  %y = dl.conv2d %x, %w, %b padding = [1, 1, 1, 1] : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32>
  return %y : tensor<2x4x8x8xf32>
}

// -----

// Grouped convolutions keep their kernel.
// CHECK-LABEL: func.func @grouped
// CHECK: dl.conv2d
// CHECK-NOT: dl.im2col
func.func @grouped(%x: tensor<1x4x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %y = dl.conv2d %x, %w groups = 2 : (tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

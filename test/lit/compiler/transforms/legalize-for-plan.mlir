// RUN: dl-opt %s --dl-legalize-for-plan | FileCheck %s

// A GEMM step walks an operand with one batch stride or broadcasts all of it.
// CHECK-LABEL: func.func @partial
// CHECK: %[[B:.*]] = dl.broadcast_to %arg0 : tensor<4x1x8x8xf32> to tensor<4x3x8x8xf32>
// CHECK: dl.matmul %[[B]], %arg1
func.func @partial(%a: tensor<4x1x8x8xf32>, %b: tensor<4x3x8x8xf32>) -> tensor<4x3x8x8xf32> {
  %0 = dl.matmul %a, %b : (tensor<4x1x8x8xf32>, tensor<4x3x8x8xf32>) -> tensor<4x3x8x8xf32>
  return %0 : tensor<4x3x8x8xf32>
}

// Whole-batch and fully broadcast operands stay as they are.
// CHECK-LABEL: func.func @direct
// CHECK-NOT: dl.broadcast_to
// CHECK: dl.matmul %arg0, %arg1
// CHECK: dl.matmul %arg0, %arg2
func.func @direct(%a: tensor<2x3x8x4xf32>, %w: tensor<4x5xf32>, %v: tensor<1x1x4x5xf32>)
    -> (tensor<2x3x8x5xf32>, tensor<2x3x8x5xf32>) {
  %0 = dl.matmul %a, %w : (tensor<2x3x8x4xf32>, tensor<4x5xf32>) -> tensor<2x3x8x5xf32>
  %1 = dl.matmul %a, %v : (tensor<2x3x8x4xf32>, tensor<1x1x4x5xf32>) -> tensor<2x3x8x5xf32>
  return %0, %1 : tensor<2x3x8x5xf32>, tensor<2x3x8x5xf32>
}

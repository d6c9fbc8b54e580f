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

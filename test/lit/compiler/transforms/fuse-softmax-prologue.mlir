// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise --dl-fuse-softmax-prologue | FileCheck %s

// Attention's scores, scaled and masked, go straight into the softmax
// kernel: the mul and the select are its prologue, never written.
// CHECK-LABEL: func.func @masked_scores
// CHECK-NOT: dl.fused(
// CHECK: %[[P:.*]] = dl.fused_softmax(%arg0, %arg1, %arg2, %arg3) axis = 3 : (tensor<2x2x4x4xf32>, tensor<f32>, tensor<4x4xi1>, tensor<f32>) -> tensor<2x2x4x4xf32> {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<2x2x4x4xf32>, %[[C:.*]]: tensor<f32>, %[[M:.*]]: tensor<4x4xi1>, %[[L:.*]]: tensor<f32>):
// CHECK-NEXT:   %[[X:.*]] = dl.mul %[[S]], %[[C]]
// CHECK-NEXT:   %[[W:.*]] = dl.select %[[M]], %[[X]], %[[L]]
// CHECK-NEXT:   dl.yield %[[W]] : tensor<2x2x4x4xf32>
// CHECK: return %[[P]]
func.func @masked_scores(%s: tensor<2x2x4x4xf32>, %scale: tensor<f32>,
                         %mask: tensor<4x4xi1>, %low: tensor<f32>) -> tensor<2x2x4x4xf32> {
  %0 = dl.mul %s, %scale : (tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %1 = dl.select %mask, %0, %low : (tensor<4x4xi1>, tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %2 = dl.softmax %1 axis = 3 : tensor<2x2x4x4xf32>
  return %2 : tensor<2x2x4x4xf32>
}

// -----

// One elementwise op (no region) is a prologue too; log-softmax keeps its
// flag.
// CHECK-LABEL: func.func @one_op
// CHECK: dl.fused_softmax(%arg0) axis = 1 {log}
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<8x10xf32>):
// CHECK-NEXT:   %[[N:.*]] = dl.neg %[[A]]
// CHECK-NEXT:   dl.yield %[[N]]
func.func @one_op(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %0 = dl.neg %x : tensor<8x10xf32>
  %1 = dl.log_softmax %0 axis = 1 : tensor<8x10xf32>
  return %1 : tensor<8x10xf32>
}

// -----

// The softmax's input is read elsewhere too: it is written anyway, so the
// softmax reads it from memory.
// CHECK-LABEL: func.func @input_also_returned
// CHECK-NOT: dl.fused_softmax
// CHECK: dl.neg
// CHECK: dl.softmax
func.func @input_also_returned(%x: tensor<8x10xf32>) -> (tensor<8x10xf32>, tensor<8x10xf32>) {
  %0 = dl.neg %x : tensor<8x10xf32>
  %1 = dl.softmax %0 axis = 1 : tensor<8x10xf32>
  return %0, %1 : tensor<8x10xf32>, tensor<8x10xf32>
}

// -----

// A dropout mask would be drawn at each of the softmax's three reads.
// CHECK-LABEL: func.func @dropout_stays
// CHECK-NOT: dl.fused_softmax
// CHECK: dl.dropout
// CHECK: dl.softmax
func.func @dropout_stays(%x: tensor<8x10xf32>) -> tensor<8x10xf32> {
  %0 = dl.dropout %x rate = 0.5 seed = 3 : tensor<8x10xf32>
  %1 = dl.softmax %0 axis = 1 : tensor<8x10xf32>
  return %1 : tensor<8x10xf32>
}

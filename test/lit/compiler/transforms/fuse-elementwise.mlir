// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise | FileCheck %s

// A bias add and a relu after a matmul: the bias is an input read with
// broadcasting, the add's result never leaves the region.
// CHECK-LABEL: func.func @bias_relu
// CHECK: %[[MM:.*]] = dl.matmul
// CHECK: %[[F:.*]] = dl.fused(%[[MM]], %arg2) : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<64x128xf32>, %[[B:.*]]: tensor<128xf32>):
// CHECK-NEXT:   %[[S:.*]] = dl.add %[[A]], %[[B]]
// CHECK-NEXT:   %[[R:.*]] = dl.relu %[[S]]
// CHECK-NEXT:   dl.yield %[[R]] : tensor<64x128xf32>
// CHECK: return %[[F]]
func.func @bias_relu(%x: tensor<64x784xf32>, %w: tensor<784x128xf32>,
                     %b: tensor<128xf32>) -> tensor<64x128xf32> {
  %0 = dl.matmul %x, %w : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  %1 = dl.add %0, %b : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %2 = dl.relu %1 : tensor<64x128xf32>
  return %2 : tensor<64x128xf32>
}

// -----

// A DAG: two chains meet in a mul; a value also read after the region is a
// second result, computed once.
// CHECK-LABEL: func.func @dag
// CHECK: %[[F:.*]]:2 = dl.fused(%arg0, %arg1) : (tensor<8x4xf32>, tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>)
// CHECK: dl.exp
// CHECK: dl.tanh
// CHECK: dl.mul
// CHECK: dl.yield
// CHECK: %[[SUM:.*]] = dl.reduce_sum %[[F]]#0
// CHECK: return %[[F]]#1, %[[SUM]]
func.func @dag(%a: tensor<8x4xf32>, %b: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<f32>) {
  %0 = dl.exp %a : tensor<8x4xf32>
  %1 = dl.tanh %b : tensor<8x4xf32>
  %2 = dl.mul %0, %1 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %3 = dl.reduce_sum %0 axes = [0, 1] : tensor<8x4xf32> -> tensor<f32>
  return %2, %3 : tensor<8x4xf32>, tensor<f32>
}

// -----

// The exp is read by a reduction whose result the add needs: fusing exp
// into the add would put the region after its own reader, so they stay
// apart.
// CHECK-LABEL: func.func @no_cycle
// CHECK-NOT: dl.fused
// CHECK: dl.exp
// CHECK: dl.reduce_sum
// CHECK: dl.add
func.func @no_cycle(%a: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %0 = dl.exp %a : tensor<8x4xf32>
  %1 = dl.reduce_sum %0 axes = [1] : tensor<8x4xf32> -> tensor<8xf32>
  %2 = dl.reshape %1 : tensor<8xf32> to tensor<8x1xf32>
  %3 = dl.add %0, %2 : (tensor<8x4xf32>, tensor<8x1xf32>) -> tensor<8x4xf32>
  return %3 : tensor<8x4xf32>
}

// -----

// Ops of another shape do not join: the scalar chain is its own region and
// its result an input of the big one.
// CHECK-LABEL: func.func @shapes
// CHECK: %[[S:.*]] = dl.fused(%arg1) : (tensor<f32>) -> tensor<f32>
// CHECK: dl.fused(%arg0, %[[S]]) : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
func.func @shapes(%a: tensor<8x4xf32>, %s: tensor<f32>) -> tensor<8x4xf32> {
  %0 = dl.neg %s : tensor<f32>
  %1 = dl.exp %0 : tensor<f32>
  %2 = dl.mul %a, %1 : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
  %3 = dl.relu %2 : tensor<8x4xf32>
  return %3 : tensor<8x4xf32>
}

// -----

// max-ops bounds a region: with 2, a chain of three ops makes a region of
// two and one op left alone.
// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise="max-ops=2" | FileCheck %s --check-prefix=LIMIT
// LIMIT-LABEL: func.func @limit
// LIMIT: dl.fused
// LIMIT: dl.exp
// LIMIT: dl.neg
// LIMIT: dl.yield
// LIMIT: dl.tanh
func.func @limit(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.exp %a : tensor<4xf32>
  %1 = dl.neg %0 : tensor<4xf32>
  %2 = dl.tanh %1 : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Attention's split into heads: each slice -> reshape -> transpose chain of
// the projection becomes one copy region reading its columns in place (the
// strided load the plan writer makes of the chain), not a slice kernel and a
// transpose kernel.
// CHECK-LABEL: func.func @split_heads
// CHECK: %[[Q:.*]] = dl.fused(%arg0) : (tensor<2x4x24xf32>) -> tensor<2x2x4x4xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x4x24xf32>):
// CHECK-NEXT:   %[[S:.*]] = dl.slice %[[A]] start = [0, 0, 0] limit = [2, 4, 8]
// CHECK-NEXT:   %[[R:.*]] = dl.reshape %[[S]]
// CHECK-NEXT:   %[[T:.*]] = dl.transpose %[[R]] permutation = [0, 2, 1, 3]
// CHECK-NEXT:   dl.yield %[[T]] : tensor<2x2x4x4xf32>
// CHECK: %[[K:.*]] = dl.fused(%arg0)
// CHECK: dl.slice {{.*}} start = [0, 0, 8] limit = [2, 4, 16]
// CHECK: dl.matmul %[[Q]], %[[K]]
func.func @split_heads(%qkv: tensor<2x4x24xf32>) -> tensor<2x2x4x4xf32> {
  %0 = dl.slice %qkv start = [0, 0, 0] limit = [2, 4, 8] step = [1, 1, 1] : tensor<2x4x24xf32> -> tensor<2x4x8xf32>
  %1 = dl.reshape %0 : tensor<2x4x8xf32> to tensor<2x4x2x4xf32>
  %q = dl.transpose %1 permutation = [0, 2, 1, 3] : tensor<2x4x2x4xf32> -> tensor<2x2x4x4xf32>
  %2 = dl.slice %qkv start = [0, 0, 8] limit = [2, 4, 16] step = [1, 1, 1] : tensor<2x4x24xf32> -> tensor<2x4x8xf32>
  %3 = dl.reshape %2 : tensor<2x4x8xf32> to tensor<2x4x2x4xf32>
  %k = dl.transpose %3 permutation = [0, 2, 1, 3] : tensor<2x4x2x4xf32> -> tensor<2x2x4x4xf32>
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  return %s : tensor<2x2x4x4xf32>
}

// -----

// A transposed input of an elementwise op is read in place: one region, the
// transpose applied to the block argument.
// CHECK-LABEL: func.func @transposed_operand
// CHECK: %[[F:.*]] = dl.fused(%arg0, %arg1) : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<8x4xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8x4xf32>):
// CHECK-NEXT:   %[[T:.*]] = dl.transpose %[[A]] permutation = [1, 0]
// CHECK-NEXT:   %[[S:.*]] = dl.add %[[T]], %[[B]]
// CHECK-NEXT:   %[[E:.*]] = dl.exp %[[S]]
// CHECK-NEXT:   dl.yield %[[E]]
// CHECK: return %[[F]]
func.func @transposed_operand(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %0 = dl.transpose %a permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %1 = dl.add %0, %b : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %2 = dl.exp %1 : tensor<8x4xf32>
  return %2 : tensor<8x4xf32>
}

// -----

// Flattening a transposed tensor is no view: the transpose is copied once
// (a region of its own) and the reshape stays a view of the copy.
// CHECK-LABEL: func.func @flatten_transposed
// CHECK: %[[F:.*]] = dl.fused(%arg0) : (tensor<4x8xf32>) -> tensor<8x4xf32> {
// CHECK: dl.transpose
// CHECK-NEXT: dl.yield
// CHECK: %[[R:.*]] = dl.reshape %[[F]] : tensor<8x4xf32> to tensor<32xf32>
// CHECK: dl.exp %[[R]]
func.func @flatten_transposed(%a: tensor<4x8xf32>) -> tensor<32xf32> {
  %0 = dl.transpose %a permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %1 = dl.reshape %0 : tensor<8x4xf32> to tensor<32xf32>
  %2 = dl.exp %1 : tensor<32xf32>
  return %2 : tensor<32xf32>
}

// -----

// A view of a value the region computes would need that value in memory
// first: the exp stays apart, and the transpose and the add are one region
// that reads the exp's result twice, as it is and transposed.
// CHECK-LABEL: func.func @view_of_computed
// CHECK: %[[E:.*]] = dl.exp %arg0
// CHECK: dl.fused(%[[E]])
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x4xf32>):
// CHECK-NEXT:   %[[T:.*]] = dl.transpose %[[A]]
// CHECK-NEXT:   dl.add %[[A]], %[[T]]
func.func @view_of_computed(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = dl.exp %a : tensor<4x4xf32>
  %1 = dl.transpose %0 permutation = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  %2 = dl.add %0, %1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Two groups whose views, joined, would no longer be one strided read (the
// reshape to [3, 8] merges what the transpose separated): the add takes
// one of them only, and the pass leaves no region the verifier refuses.
// CHECK-LABEL: func.func @views_that_do_not_compose
// CHECK-COUNT-2: dl.fused
// CHECK: return
func.func @views_that_do_not_compose(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  %t = dl.transpose %x permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %y = dl.exp %t : tensor<3x2x4xf32>
  %u = dl.broadcast_to %t : tensor<3x2x4xf32> to tensor<1x3x2x4xf32>
  %r = dl.reshape %u : tensor<1x3x2x4xf32> to tensor<3x8xf32>
  %r2 = dl.reshape %r : tensor<3x8xf32> to tensor<3x2x4xf32>
  %z = dl.add %y, %r2 : (tensor<3x2x4xf32>, tensor<3x2x4xf32>) -> tensor<3x2x4xf32>
  return %z : tensor<3x2x4xf32>
}

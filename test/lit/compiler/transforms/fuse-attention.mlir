// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise --dl-fuse-softmax-prologue --dl-fuse-attention | FileCheck %s
// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise --dl-fuse-softmax-prologue --dl-fuse-attention=max-shared-bytes=256 | FileCheck %s --check-prefix=SMALL
// RUN: dl-opt %s --split-input-file --dl-fuse-elementwise --dl-fuse-softmax-prologue --dl-fuse-attention=max-shared-bytes=400 | FileCheck %s --check-prefix=TILED

// Inference attention: the scores, their scale and causal mask, the
// softmax and the weighted sum are one op; its body is the softmax's
// prologue with the scores first.
// CHECK-LABEL: func.func @causal
// CHECK-NOT: dl.matmul
// CHECK-NOT: dl.fused_softmax
// CHECK: %[[O:.*]] = dl.fused_attention %arg0, %arg1, %arg2 inputs(%arg3, %arg4, %arg5) : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<f32>, tensor<8x8xi1>, tensor<f32>) -> tensor<2x2x8x4xf32> {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<2x2x8x8xf32>, %[[C:.*]]: tensor<f32>, %[[M:.*]]: tensor<8x8xi1>, %[[L:.*]]: tensor<f32>):
// CHECK-NEXT:   %[[X:.*]] = dl.mul %[[S]], %[[C]]
// CHECK-NEXT:   %[[W:.*]] = dl.select %[[M]], %[[X]], %[[L]]
// CHECK-NEXT:   dl.yield %[[W]] : tensor<2x2x8x8xf32>
// CHECK: return %[[O]]
// A head's keys and values (8 x 4 each) do not fit in 256 bytes with the
// rows, nor does a tile of one key beside the block's 16 query rows: the
// ops stay. In 400 bytes the tile fits (the kernel sweeps the keys).
// SMALL-LABEL: func.func @causal
// SMALL-NOT: dl.fused_attention
// SMALL: dl.fused_softmax
// TILED-LABEL: func.func @causal
// TILED: dl.fused_attention %arg0, %arg1, %arg2 inputs(%arg3, %arg4, %arg5)
func.func @causal(%q: tensor<2x2x8x4xf32>, %k: tensor<2x2x8x4xf32>,
                  %v: tensor<2x2x8x4xf32>, %scale: tensor<f32>,
                  %mask: tensor<8x8xi1>, %low: tensor<f32>) -> tensor<2x2x8x4xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x8xf32>
  %0 = dl.mul %s, %scale : (tensor<2x2x8x8xf32>, tensor<f32>) -> tensor<2x2x8x8xf32>
  %1 = dl.select %mask, %0, %low : (tensor<8x8xi1>, tensor<2x2x8x8xf32>, tensor<f32>) -> tensor<2x2x8x8xf32>
  %p = dl.softmax %1 axis = 3 : tensor<2x2x8x8xf32>
  %o = dl.matmul %p, %v : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  return %o : tensor<2x2x8x4xf32>
}

// -----

// A plain softmax of the scores: the body only yields them. Keys and
// queries may differ in number, values in width.
// CHECK-LABEL: func.func @plain
// CHECK: dl.fused_attention %arg0, %arg1, %arg2 : (tensor<3x5x4xf32>, tensor<3x6x4xf32>, tensor<3x6x2xf32>) -> tensor<3x5x2xf32> {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<3x5x6xf32>):
// CHECK-NEXT:   dl.yield %[[S]] : tensor<3x5x6xf32>
func.func @plain(%q: tensor<3x5x4xf32>, %k: tensor<3x6x4xf32>,
                 %v: tensor<3x6x2xf32>) -> tensor<3x5x2xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<3x5x4xf32>, tensor<3x6x4xf32>) -> tensor<3x5x6xf32>
  %p = dl.softmax %s axis = 2 : tensor<3x5x6xf32>
  %o = dl.matmul %p, %v : (tensor<3x5x6xf32>, tensor<3x6x2xf32>) -> tensor<3x5x2xf32>
  return %o : tensor<3x5x2xf32>
}

// -----

// Training reads the probabilities again (for the gradients): they become
// the op's second result, which every other reader reads.
// CHECK-LABEL: func.func @probabilities_kept
// CHECK-NOT: dl.matmul
// CHECK: %[[O:.*]], %[[P:.*]] = dl.fused_attention %arg0, %arg1, %arg2 : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>)
// CHECK: %[[N:.*]] = dl.neg %[[P]]
// CHECK: return %[[O]], %[[N]]
func.func @probabilities_kept(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>,
                              %v: tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = dl.softmax %s axis = 2 : tensor<2x4x4xf32>
  %o = dl.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %n = dl.neg %p : tensor<2x4x4xf32>
  return %o, %n : tensor<2x4x4xf32>, tensor<2x4x4xf32>
}

// -----

// A reader of the probabilities before v exists would not see the op's
// second result: nothing fuses.
// CHECK-LABEL: func.func @read_before_v
// CHECK-NOT: dl.fused_attention
func.func @read_before_v(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>,
                         %w: tensor<2x4x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = dl.softmax %s axis = 2 : tensor<2x4x4xf32>
  %n = dl.neg %p : tensor<2x4x4xf32>
  %v = dl.exp %w : tensor<2x4x4xf32>
  %o = dl.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %o, %n : tensor<2x4x4xf32>, tensor<2x4x4xf32>
}

// -----

// The heads' merge (a copy swapping heads and rows, its only reader) is
// the kernel's store order: the result is [B, T, H, E2].
// CHECK-LABEL: func.func @merged_heads
// CHECK: %[[O:.*]] = dl.fused_attention %arg0, %arg1, %arg2 {merge_heads} : (tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>) -> tensor<2x5x3x4xf32>
// CHECK-NOT: dl.transpose
// CHECK: dl.reshape %[[O]]
func.func @merged_heads(%q: tensor<2x3x5x4xf32>, %k: tensor<2x3x5x4xf32>,
                        %v: tensor<2x3x5x4xf32>) -> tensor<2x5x12xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>) -> tensor<2x3x5x5xf32>
  %p = dl.softmax %s axis = 3 : tensor<2x3x5x5xf32>
  %o = dl.matmul %p, %v : (tensor<2x3x5x5xf32>, tensor<2x3x5x4xf32>) -> tensor<2x3x5x4xf32>
  %t = dl.transpose %o permutation = [0, 2, 1, 3] : tensor<2x3x5x4xf32> -> tensor<2x5x3x4xf32>
  %r = dl.reshape %t : tensor<2x5x3x4xf32> to tensor<2x5x12xf32>
  return %r : tensor<2x5x12xf32>
}

// -----

// A softmax over another axis than the keys', or keys broadcast over the
// heads, is not attention's shape.
// CHECK-LABEL: func.func @other_axis
// CHECK-NOT: dl.fused_attention
// CHECK-LABEL: func.func @broadcast_keys
// CHECK-NOT: dl.fused_attention
func.func @other_axis(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>,
                      %v: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = dl.softmax %s axis = 1 : tensor<2x4x4xf32>
  %o = dl.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %o : tensor<2x4x4xf32>
}
func.func @broadcast_keys(%q: tensor<2x4x4xf32>, %k: tensor<4x4xf32>,
                          %v: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x4xf32>, tensor<4x4xf32>) -> tensor<2x4x4xf32>
  %p = dl.softmax %s axis = 2 : tensor<2x4x4xf32>
  %o = dl.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %o : tensor<2x4x4xf32>
}

// -----

// The prologue reads the scores transposed: each score is not alone.
// CHECK-LABEL: func.func @scores_through_a_view
// CHECK-NOT: dl.fused_attention
func.func @scores_through_a_view(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>,
                                 %v: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> {
  %s = dl.matmul %q, %k {transpose_rhs} : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %t = dl.transpose %s permutation = [0, 2, 1] : tensor<2x4x4xf32> -> tensor<2x4x4xf32>
  %n = dl.neg %t : tensor<2x4x4xf32>
  %p = dl.softmax %n axis = 2 : tensor<2x4x4xf32>
  %o = dl.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %o : tensor<2x4x4xf32>
}

// RUN: dl-opt %s --split-input-file --dl-fuse-attention-grad | FileCheck %s
// RUN: dl-opt %s --split-input-file --dl-fuse-attention-grad=max-shared-bytes=256 | FileCheck %s --check-prefix=SMALL

// The gradient rules' backward pass of one attention op: the five products
// and the softmax's gradient become one op, whose body is the mask's and
// scale's gradient (the epilogue after the softmax's gradient).
// CHECK-LABEL: func.func @masked
// CHECK-NOT: dl.matmul
// CHECK-NOT: dl.softmax_grad
// CHECK: %[[G:.*]]:3 = dl.fused_attention_grad %arg3, %probabilities, %arg0, %arg1, %arg2 inputs(%arg4, %arg5, %arg6) : (tensor<2x8x2xf32>, tensor<2x8x8xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>, tensor<8x8xi1>, tensor<f32>, tensor<f32>) -> (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<2x8x8xf32>, %[[M:.*]]: tensor<8x8xi1>, %[[Z:.*]]: tensor<f32>, %[[C:.*]]: tensor<f32>):
// CHECK-NEXT:   %[[X:.*]] = dl.select %[[M]], %[[S]], %[[Z]]
// CHECK-NEXT:   %[[Y:.*]] = dl.mul %[[X]], %[[C]]
// CHECK-NEXT:   dl.yield %[[Y]] : tensor<2x8x8xf32>
// CHECK: return %result, %[[G]]#0, %[[G]]#1, %[[G]]#2
// A head's rows and score gradients do not fit in 256 bytes: the ops stay.
// SMALL-LABEL: func.func @masked
// SMALL-NOT: dl.fused_attention_grad
// SMALL: dl.softmax_grad
func.func @masked(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>,
                  %v: tensor<2x8x2xf32>, %g: tensor<2x8x2xf32>,
                  %mask: tensor<8x8xi1>, %zero: tensor<f32>,
                  %scale: tensor<f32>)
    -> (tensor<2x8x2xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>) {
  %o, %p = dl.fused_attention %q, %k, %v : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>) -> (tensor<2x8x2xf32>, tensor<2x8x8xf32>) {
  ^bb0(%s: tensor<2x8x8xf32>):
    dl.yield %s : tensor<2x8x8xf32>
  }
  %dp = dl.matmul %g, %v {transpose_rhs} : (tensor<2x8x2xf32>, tensor<2x8x2xf32>) -> tensor<2x8x8xf32>
  %dv = dl.matmul %p, %g {transpose_lhs} : (tensor<2x8x8xf32>, tensor<2x8x2xf32>) -> tensor<2x8x2xf32>
  %dx = dl.softmax_grad %p, %dp axis = 2 : tensor<2x8x8xf32>
  %ds = dl.fused(%dx, %mask, %zero, %scale) {epilogue} : (tensor<2x8x8xf32>, tensor<8x8xi1>, tensor<f32>, tensor<f32>) -> tensor<2x8x8xf32> {
  ^bb0(%a: tensor<2x8x8xf32>, %m: tensor<8x8xi1>, %z: tensor<f32>, %c: tensor<f32>):
    %0 = dl.select %m, %a, %z : (tensor<8x8xi1>, tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
    %1 = dl.mul %0, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
    dl.yield %1 : tensor<2x8x8xf32>
  }
  %dq = dl.matmul %ds, %k : (tensor<2x8x8xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %dk = dl.matmul %ds, %q {transpose_lhs} : (tensor<2x8x8xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %o, %dq, %dk, %dv : tensor<2x8x2xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>
}

// -----

// A multi-head layer: the gradient arrives through a copy splitting its
// heads, the three gradients leave through copies merging theirs and are
// joined, as rows, into the gradient of one q|k|v projection. The op reads
// the merged gradient and writes the joined rows; the copies, reshapes
// and concatenation are gone.
// CHECK-LABEL: func.func @packed
// CHECK-NOT: dl.fused(
// CHECK: %[[G:.*]] = dl.fused_attention_grad %arg3, %probabilities, %arg0, %arg1, %arg2 {merge_heads} : (tensor<2x8x2x4xf32>, tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> tensor<2x8x24xf32> {
// CHECK-NEXT: ^bb0(%[[S:.*]]: tensor<2x2x8x8xf32>):
// CHECK-NEXT:   dl.yield %[[S]] : tensor<2x2x8x8xf32>
// CHECK-NOT: dl.concat
// CHECK: return %result, %[[G]]
func.func @packed(%q: tensor<2x2x8x4xf32>, %k: tensor<2x2x8x4xf32>,
                  %v: tensor<2x2x8x4xf32>, %g: tensor<2x8x2x4xf32>)
    -> (tensor<2x8x2x4xf32>, tensor<2x8x24xf32>) {
  %o, %p = dl.fused_attention %q, %k, %v {merge_heads} : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> (tensor<2x8x2x4xf32>, tensor<2x2x8x8xf32>) {
  ^bb0(%s: tensor<2x2x8x8xf32>):
    dl.yield %s : tensor<2x2x8x8xf32>
  }
  %gs = dl.fused(%g) : (tensor<2x8x2x4xf32>) -> tensor<2x2x8x4xf32> {
  ^bb0(%a: tensor<2x8x2x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x8x2x4xf32> -> tensor<2x2x8x4xf32>
    dl.yield %0 : tensor<2x2x8x4xf32>
  }
  %dp = dl.matmul %gs, %v {transpose_rhs} : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x8xf32>
  %dv = dl.matmul %p, %gs {transpose_lhs} : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %ds = dl.softmax_grad %p, %dp axis = 3 : tensor<2x2x8x8xf32>
  %dq = dl.matmul %ds, %k : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %dk = dl.matmul %ds, %q {transpose_lhs} : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %mq = dl.fused(%dq) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  %mk = dl.fused(%dk) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  %mv = dl.fused(%dv) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  %rq = dl.reshape %mq : tensor<2x8x2x4xf32> to tensor<2x8x8xf32>
  %rk = dl.reshape %mk : tensor<2x8x2x4xf32> to tensor<2x8x8xf32>
  %rv = dl.reshape %mv : tensor<2x8x2x4xf32> to tensor<2x8x8xf32>
  %qkv = dl.concat %rq, %rk, %rv axis = 2 : (tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<2x8x24xf32>
  return %o, %qkv : tensor<2x8x2x4xf32>, tensor<2x8x24xf32>
}

// -----

// Separate q, k and v projections: the gradients are written with their
// heads merged, three results.
// CHECK-LABEL: func.func @merged
// CHECK: %[[G:.*]]:3 = dl.fused_attention_grad %arg3, %probabilities, %arg0, %arg1, %arg2 {merge_heads} : {{.*}} -> (tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>)
// CHECK: return %[[G]]#2, %[[G]]#0, %[[G]]#1
func.func @merged(%q: tensor<2x2x8x4xf32>, %k: tensor<2x2x8x4xf32>,
                  %v: tensor<2x2x8x4xf32>, %g: tensor<2x8x2x4xf32>)
    -> (tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>) {
  %o, %p = dl.fused_attention %q, %k, %v {merge_heads} : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> (tensor<2x8x2x4xf32>, tensor<2x2x8x8xf32>) {
  ^bb0(%s: tensor<2x2x8x8xf32>):
    dl.yield %s : tensor<2x2x8x8xf32>
  }
  %gs = dl.fused(%g) : (tensor<2x8x2x4xf32>) -> tensor<2x2x8x4xf32> {
  ^bb0(%a: tensor<2x8x2x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x8x2x4xf32> -> tensor<2x2x8x4xf32>
    dl.yield %0 : tensor<2x2x8x4xf32>
  }
  %dp = dl.matmul %gs, %v {transpose_rhs} : (tensor<2x2x8x4xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x8xf32>
  %dv = dl.matmul %p, %gs {transpose_lhs} : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %ds = dl.softmax_grad %p, %dp axis = 3 : tensor<2x2x8x8xf32>
  %dq = dl.matmul %ds, %k : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %dk = dl.matmul %ds, %q {transpose_lhs} : (tensor<2x2x8x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x8x4xf32>
  %mq = dl.fused(%dq) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  %mk = dl.fused(%dk) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  %mv = dl.fused(%dv) : (tensor<2x2x8x4xf32>) -> tensor<2x8x2x4xf32> {
  ^bb0(%a: tensor<2x2x8x4xf32>):
    %0 = dl.transpose %a permutation = [0, 2, 1, 3] : tensor<2x2x8x4xf32> -> tensor<2x8x2x4xf32>
    dl.yield %0 : tensor<2x8x2x4xf32>
  }
  return %mv, %mq, %mk : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>
}

// -----

// The softmax's gradient is read elsewhere too: nothing fuses.
// CHECK-LABEL: func.func @shared
// CHECK-NOT: dl.fused_attention_grad
// CHECK: dl.softmax_grad
func.func @shared(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>,
                  %v: tensor<2x8x4xf32>, %g: tensor<2x8x4xf32>)
    -> (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x8xf32>) {
  %o, %p = dl.fused_attention %q, %k, %v : (tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x8xf32>) {
  ^bb0(%s: tensor<2x8x8xf32>):
    dl.yield %s : tensor<2x8x8xf32>
  }
  %dp = dl.matmul %g, %v {transpose_rhs} : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x8xf32>
  %dv = dl.matmul %p, %g {transpose_lhs} : (tensor<2x8x8xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %ds = dl.softmax_grad %p, %dp axis = 2 : tensor<2x8x8xf32>
  %dq = dl.matmul %ds, %k : (tensor<2x8x8xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %dk = dl.matmul %ds, %q {transpose_lhs} : (tensor<2x8x8xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %dq, %dk, %dv, %ds : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x8xf32>
}

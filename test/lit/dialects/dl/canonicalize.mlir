// Folders and canonicalization patterns of the dl dialect.
// RUN: dl-opt %s --canonicalize --split-input-file | FileCheck %s

// Double negation cancels.
// CHECK-LABEL: func @neg_neg
// CHECK-NEXT: return %arg0
func.func @neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.neg %x : tensor<4xf32>
  %1 = dl.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A cast to the type it already has is a no-op.
// CHECK-LABEL: func @cast_same_type
// CHECK-NEXT: return %arg0
func.func @cast_same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dl.cast %x : tensor<4xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x + (-0.0) is x for every float; x + 0.0 is not (-0.0 + 0.0 = +0.0).
// CHECK-LABEL: func @add_zero
// CHECK: %[[Z:.*]] = dl.constant dense<0.000000e+00>
// CHECK: %[[S:.*]] = dl.add %arg0, %[[Z]]
// CHECK: return %arg0, %[[S]], %arg1
func.func @add_zero(%x: tensor<4xf32>, %i: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %nz = dl.constant dense<-0.0> : tensor<4xf32>
  %z = dl.constant dense<0.0> : tensor<4xf32>
  %iz = dl.constant dense<0> : tensor<4xi32>
  %0 = dl.add %x, %nz : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = dl.add %x, %z : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = dl.add %i, %iz : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}

// -----

// x - 0, x * 1 and x / 1 fold; the constant on the left of a commutative op
// moves right first.
// CHECK-LABEL: func @identities
// CHECK-NEXT: return %arg0, %arg0, %arg0, %arg0
func.func @identities(%x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %z = dl.constant dense<0.0> : tensor<f32>
  %one = dl.constant dense<1.0> : tensor<4xf32>
  %0 = dl.sub %x, %z : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = dl.mul %x, %one : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = dl.mul %one, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = dl.div %x, %one : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Multiplying by a larger ones tensor broadcasts, so it must stay.
// CHECK-LABEL: func @mul_one_broadcasts
// CHECK: dl.mul
func.func @mul_one_broadcasts(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %one = dl.constant dense<1.0> : tensor<2x4xf32>
  %0 = dl.mul %x, %one : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// fill becomes a splat constant of the element type.
// CHECK-LABEL: func @fill
// CHECK-DAG: dl.constant dense<5.000000e-01> : tensor<2x3xf32>
// CHECK-DAG: dl.constant dense<3> : tensor<2xi64>
// CHECK-DAG: dl.constant dense<true> : tensor<2xi1>
func.func @fill() -> (tensor<2x3xf32>, tensor<2xi64>, tensor<2xi1>) {
  %0 = dl.fill 5.000000e-01 : tensor<2x3xf32>
  %1 = dl.fill 3.0 : tensor<2xi64>
  %2 = dl.fill 1.0 : tensor<2xi1>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2xi64>, tensor<2xi1>
}

// -----

// Reshapes of reshapes collapse into one; a reshape to the same type vanishes.
// CHECK-LABEL: func @reshape_chain
// CHECK-NEXT: %[[R:.*]] = dl.reshape %arg0 : tensor<2x3x4xf32> to tensor<24xf32>
// CHECK-NEXT: return %[[R]], %arg0
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> (tensor<24xf32>, tensor<2x3x4xf32>) {
  %0 = dl.reshape %x : tensor<2x3x4xf32> to tensor<6x4xf32>
  %1 = dl.reshape %0 : tensor<6x4xf32> to tensor<24xf32>
  %2 = dl.reshape %x : tensor<2x3x4xf32> to tensor<2x3x4xf32>
  return %1, %2 : tensor<24xf32>, tensor<2x3x4xf32>
}

// -----

// A reshaped constant is a constant.
// CHECK-LABEL: func @reshape_constant
// CHECK-NEXT: dl.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi32>
func.func @reshape_constant() -> tensor<2x2xi32> {
  %c = dl.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
  %0 = dl.reshape %c : tensor<4xi32> to tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// Transposes compose; the identity permutation vanishes.
// CHECK-LABEL: func @transpose_chain
// CHECK-NEXT: %[[T:.*]] = dl.transpose %arg0 permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[T]], %arg0
func.func @transpose_chain(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %0 = dl.transpose %x permutation = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = dl.transpose %0 permutation = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  %2 = dl.transpose %x permutation = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return %1, %2 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// Broadcasting a splat makes a bigger splat; broadcasting to the same type is
// a no-op.
// CHECK-LABEL: func @broadcast
// CHECK-NEXT: %[[C:.*]] = dl.constant dense<2.000000e+00> : tensor<3x4xf32>
// CHECK-NEXT: return %[[C]], %arg0
func.func @broadcast(%x: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<4xf32>) {
  %c = dl.constant dense<2.0> : tensor<4xf32>
  %0 = dl.broadcast_to %c : tensor<4xf32> to tensor<3x4xf32>
  %1 = dl.broadcast_to %x : tensor<4xf32> to tensor<4xf32>
  return %0, %1 : tensor<3x4xf32>, tensor<4xf32>
}

// -----

// One-input concat, a full slice and dropout at rate 0 are all the input.
// CHECK-LABEL: func @no_ops
// CHECK-NEXT: return %arg0, %arg0, %arg0
func.func @no_ops(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = dl.concat %x axis = 0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = dl.slice %x start = [0, 0] limit = [4, 8] step = [1, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = dl.dropout %x rate = 0.0 seed = 1 : tensor<4x8xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A strided slice picks elements, so it stays.
// CHECK-LABEL: func @strided_slice_stays
// CHECK: dl.slice
func.func @strided_slice_stays(%x: tensor<4x8xf32>) -> tensor<2x8xf32> {
  %0 = dl.slice %x start = [0, 0] limit = [4, 8] step = [2, 1] : tensor<4x8xf32> -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// log(softmax(x)) becomes the numerically stable log_softmax(x).
// CHECK-LABEL: func @log_of_softmax
// CHECK-NEXT: %[[L:.*]] = dl.log_softmax %arg0 axis = 1 : tensor<4x10xf32>
// CHECK-NEXT: return %[[L]]
func.func @log_of_softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = dl.softmax %x axis = 1 : tensor<4x10xf32>
  %1 = dl.log %0 : tensor<4x10xf32>
  return %1 : tensor<4x10xf32>
}

// -----

// A rank-3 activation times a matrix is one matrix product over all rows,
// viewed back; a transposed left operand or a batched right one is not.
// CHECK-LABEL: func @matmul_of_matrix
// CHECK: %[[ROWS:.*]] = dl.reshape %arg0 : tensor<2x3x4xf32> to tensor<6x4xf32>
// CHECK: %[[P:.*]] = dl.matmul %[[ROWS]], %arg1 {transpose_rhs} : (tensor<6x4xf32>, tensor<5x4xf32>) -> tensor<6x5xf32>
// CHECK: %[[Y:.*]] = dl.reshape %[[P]] : tensor<6x5xf32> to tensor<2x3x5xf32>
// CHECK: %[[T:.*]] = dl.matmul %arg0, %arg2 {transpose_lhs} : (tensor<2x3x4xf32>, tensor<3x5xf32>) -> tensor<2x4x5xf32>
// CHECK: %[[B:.*]] = dl.matmul %arg0, %arg3 : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
// CHECK: return %[[Y]], %[[T]], %[[B]]
func.func @matmul_of_matrix(%x: tensor<2x3x4xf32>, %w: tensor<5x4xf32>,
                            %v: tensor<3x5xf32>, %u: tensor<2x4x5xf32>)
    -> (tensor<2x3x5xf32>, tensor<2x4x5xf32>, tensor<2x3x5xf32>) {
  %0 = dl.matmul %x, %w {transpose_rhs} : (tensor<2x3x4xf32>, tensor<5x4xf32>) -> tensor<2x3x5xf32>
  %1 = dl.matmul %x, %v {transpose_lhs} : (tensor<2x3x4xf32>, tensor<3x5xf32>) -> tensor<2x4x5xf32>
  %2 = dl.matmul %x, %u : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %0, %1, %2 : tensor<2x3x5xf32>, tensor<2x4x5xf32>, tensor<2x3x5xf32>
}

// -----

// A sum over leading dimensions is a sum over dimension 0 of the view that
// merges them; other axes, or kept dimensions, stay.
// CHECK-LABEL: func @reduce_sum_of_leading_dims
// CHECK: %[[V:.*]] = dl.reshape %arg0 : tensor<2x3x4x5xf32> to tensor<6x4x5xf32>
// CHECK: %[[S:.*]] = dl.reduce_sum %[[V]] axes = [0] : tensor<6x4x5xf32> -> tensor<4x5xf32>
// CHECK: %[[M:.*]] = dl.reduce_sum %arg0 axes = [0, 2] : tensor<2x3x4x5xf32> -> tensor<3x5xf32>
// CHECK: %[[K:.*]] = dl.reduce_sum %arg0 axes = [0, 1] keepdims : tensor<2x3x4x5xf32> -> tensor<1x1x4x5xf32>
// CHECK: return %[[S]], %[[M]], %[[K]]
func.func @reduce_sum_of_leading_dims(%x: tensor<2x3x4x5xf32>)
    -> (tensor<4x5xf32>, tensor<3x5xf32>, tensor<1x1x4x5xf32>) {
  %0 = dl.reduce_sum %x axes = [0, 1] : tensor<2x3x4x5xf32> -> tensor<4x5xf32>
  %1 = dl.reduce_sum %x axes = [0, 2] : tensor<2x3x4x5xf32> -> tensor<3x5xf32>
  %2 = dl.reduce_sum %x axes = [0, 1] keepdims : tensor<2x3x4x5xf32> -> tensor<1x1x4x5xf32>
  return %0, %1, %2 : tensor<4x5xf32>, tensor<3x5xf32>, tensor<1x1x4x5xf32>
}

// -----

// The gradients of slices that partition a tensor, each padded with zeros
// to the whole width, add up to one concatenation; overlapping values do
// not.
// CHECK-LABEL: func @add_of_padded_concats
// CHECK-DAG: %[[Z:.*]] = dl.constant dense<0.000000e+00> : tensor<2x1xf32>
// CHECK-DAG: %[[ABC:.*]] = dl.concat %arg2, %[[Z]], %arg1, %arg0 axis = 1 : (tensor<2x2xf32>, tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x8xf32>
// CHECK-DAG: %[[O:.*]] = dl.add
// CHECK: return %[[ABC]], %[[O]]
func.func @add_of_padded_concats(%a: tensor<2x3xf32>, %b: tensor<2x2xf32>,
                                 %c: tensor<2x2xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %z5 = dl.fill 0.0 : tensor<2x5xf32>
  %z3 = dl.fill 0.0 : tensor<2x3xf32>
  %z4 = dl.fill 0.0 : tensor<2x4xf32>
  %z6 = dl.fill 0.0 : tensor<2x6xf32>
  %pa = dl.concat %z5, %a axis = 1 : (tensor<2x5xf32>, tensor<2x3xf32>) -> tensor<2x8xf32>
  %pb2 = dl.concat %z3, %b, %z3 axis = 1 : (tensor<2x3xf32>, tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x8xf32>
  %pc = dl.concat %c, %z6 axis = 1 : (tensor<2x2xf32>, tensor<2x6xf32>) -> tensor<2x8xf32>
  %0 = dl.add %pa, %pb2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = dl.add %0, %pc : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %z2 = dl.fill 0.0 : tensor<2x2xf32>
  %ov = dl.concat %a, %z5 axis = 1 : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  %qc = dl.concat %z2, %c, %z4 axis = 1 : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  %2 = dl.add %ov, %qc : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %1, %2 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Iotas and comparisons of constants fold: a causal mask is a constant of
// the plan, not three kernels at every run.
// CHECK-LABEL: func @causal_mask
// CHECK-NEXT: %[[M:.*]] = dl.constant dense<{{\[}}[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
// CHECK-NEXT: %[[P:.*]] = dl.constant dense<{{\[}}[0.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[M]], %[[P]]
func.func @causal_mask() -> (tensor<3x3xi1>, tensor<2x2xf32>) {
  %c = dl.iota dimension = 1 : tensor<3x3xi64>
  %r = dl.iota dimension = 0 : tensor<3x3xi64>
  %m = dl.compare le, %c, %r : (tensor<3x3xi64>, tensor<3x3xi64>) -> tensor<3x3xi1>
  %p = dl.iota dimension = 1 : tensor<2x2xf32>
  return %m, %p : tensor<3x3xi1>, tensor<2x2xf32>
}

// -----

// Floats compare ordered (NaN is unequal to everything); a splat operand
// broadcasts.
// CHECK-LABEL: func @compare_constants
// CHECK-NEXT: %[[A:.*]] = dl.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-NEXT: %[[B:.*]] = dl.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @compare_constants() -> (tensor<3xi1>, tensor<3xi1>) {
  %x = dl.constant dense<[1.0, 2.0, 0x7FC00000]> : tensor<3xf32>
  %y = dl.constant dense<2.0> : tensor<3xf32>
  %eq = dl.compare eq, %x, %y : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %ne = dl.compare ne, %x, %y : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  return %eq, %ne : tensor<3xi1>, tensor<3xi1>
}

// -----

// A ReLU moves before a transpose or a view that nothing else reads, towards
// the GEMM whose epilogue can apply it.
// CHECK-LABEL: func @relu_before_layout_change
// CHECK-NEXT: %[[R:.*]] = dl.relu %arg0 : tensor<6x4xf32>
// CHECK-NEXT: %[[V:.*]] = dl.reshape %[[R]] : tensor<6x4xf32> to tensor<2x3x4xf32>
// CHECK-NEXT: %[[T:.*]] = dl.transpose %[[V]] permutation = [0, 2, 1]
// CHECK-NEXT: %[[K:.*]] = dl.transpose %arg0 permutation = [1, 0]
// CHECK-NEXT: %[[S:.*]] = dl.relu %[[K]]
// CHECK-NEXT: return %[[T]], %[[S]], %[[K]]
func.func @relu_before_layout_change(%x: tensor<6x4xf32>)
    -> (tensor<2x4x3xf32>, tensor<4x6xf32>, tensor<4x6xf32>) {
  %0 = dl.reshape %x : tensor<6x4xf32> to tensor<2x3x4xf32>
  %1 = dl.transpose %0 permutation = [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %2 = dl.relu %1 : tensor<2x4x3xf32>
  %3 = dl.transpose %x permutation = [1, 0] : tensor<6x4xf32> -> tensor<4x6xf32>
  %4 = dl.relu %3 : tensor<4x6xf32>
  return %2, %4, %3 : tensor<2x4x3xf32>, tensor<4x6xf32>, tensor<4x6xf32>
}

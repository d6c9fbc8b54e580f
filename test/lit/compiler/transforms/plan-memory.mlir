// RUN: dl-opt %s --split-input-file --dl-plan-memory | FileCheck %s

// A chain of 32 KiB activations. Largest first: w (64 KiB) at 0, x after
// it; add and relu write in place into the first matmul's buffer; the second
// matmul takes x's bytes, dead after the first matmul. The naive size counts
// one buffer per tensor.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: dl.name = "x", dl.offset = 65536
// CHECK-SAME: dl.name = "w", dl.offset = 0
// CHECK-SAME: dl.name = "b", dl.offset = 131072
// CHECK-SAME: dl.arena_size = 131584 : i64, dl.naive_size = 229888 : i64
// CHECK: dl.matmul {{.*}}dl.offsets = array<i64: 98304>
// CHECK: dl.add {{.*}}dl.offsets = array<i64: 98304>
// CHECK: dl.relu {{.*}}dl.offsets = array<i64: 98304>
// CHECK: dl.matmul {{.*}}dl.offsets = array<i64: 65536>
func.func @chain(%x: tensor<64x128xf32> {dl.name = "x"}, %w: tensor<128x128xf32> {dl.name = "w"},
                 %b: tensor<128xf32> {dl.name = "b"}) -> tensor<64x128xf32> {
  %0 = dl.matmul %x, %w : (tensor<64x128xf32>, tensor<128x128xf32>) -> tensor<64x128xf32>
  %1 = dl.add %0, %b : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %2 = dl.relu %1 : tensor<64x128xf32>
  %3 = dl.matmul %2, %w : (tensor<64x128xf32>, tensor<128x128xf32>) -> tensor<64x128xf32>
  return %3 : tensor<64x128xf32>
}

// -----

// exp cannot write over x (an input is never overwritten in place) and neg
// not over %0 (read again by add); neg reuses x's bytes once x is dead; add
// and tanh write in place.
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: dl.offset = 0
// CHECK-SAME: dl.arena_size = 2048 : i64, dl.naive_size = 5120 : i64
// CHECK: dl.exp %arg0 {dl.offsets = array<i64: 1024>}
// CHECK: dl.neg %0 {dl.offsets = array<i64: 0>}
// CHECK: dl.add %0, %1 {dl.offsets = array<i64: 1024>}
// CHECK: dl.tanh %2 {dl.offsets = array<i64: 1024>}
func.func @reuse(%x: tensor<256xf32> {dl.name = "x"}) -> tensor<256xf32> {
  %0 = dl.exp %x : tensor<256xf32>
  %1 = dl.neg %0 : tensor<256xf32>
  %2 = dl.add %0, %1 : (tensor<256xf32>, tensor<256xf32>) -> tensor<256xf32>
  %3 = dl.tanh %2 : tensor<256xf32>
  return %3 : tensor<256xf32>
}

// -----

// A reshape is a view: it shares its operand's offset. Parameters live in
// their own arena and get no offset.
// CHECK-LABEL: func.func @views
// CHECK: dl.load_param @w : tensor<4x4xf32>
// CHECK-NOT: dl.offsets
// CHECK: dl.reshape %arg0 {dl.offsets = array<i64: 0>}
// CHECK: dl.matmul {{.*}}dl.offsets = array<i64: [[M:[0-9]+]]>}
// CHECK: dl.reshape %{{.*}} {dl.offsets = array<i64: [[M]]>}
dl.param @w : tensor<4x4xf32> init<zeros>
func.func @views(%x: tensor<16xf32> {dl.name = "x"}) -> tensor<16xf32> {
  %w = dl.load_param @w : tensor<4x4xf32>
  %0 = dl.reshape %x : tensor<16xf32> to tensor<4x4xf32>
  %1 = dl.matmul %0, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = dl.reshape %1 : tensor<4x4xf32> to tensor<16xf32>
  return %2 : tensor<16xf32>
}

// -----

// Ops with several results get one offset each; results are never written
// in place.
// CHECK-LABEL: func.func @results
// CHECK: dl.batch_norm_training {{.*}}dl.offsets = array<i64: 512, 1280, 1536>
// CHECK: dl.relu %{{.*}} {dl.offsets = array<i64: 512>}
// CHECK: dl.relu %{{.*}} {dl.offsets = array<i64: 0>}
func.func @results(%x: tensor<2x4x3x3xf32> {dl.name = "x"}, %v: tensor<4xf32> {dl.name = "v"})
    -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>) {
  %y, %m, %s = dl.batch_norm_training %x, %v, %v, %v, %v epsilon = 1.0e-05 momentum = 1.0e-01
      : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
      -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  %r = dl.relu %y : tensor<2x4x3x3xf32>
  %t = dl.relu %r : tensor<2x4x3x3xf32>
  return %r, %t, %m : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>
}

// -----

// A splat constant of more than 64 elements gets a buffer (the plan fills it
// at run time); a small one stays in the constant arena.
// CHECK-LABEL: func.func @splats
// CHECK: dl.constant {dl.offsets = array<i64: {{[0-9]+}}>} dense<0.000000e+00> : tensor<16x16xf32>
// CHECK: dl.constant dense<1.000000e+00> : tensor<4xf32>
func.func @splats(%x: tensor<16x16xf32> {dl.name = "x"}, %y: tensor<4xf32> {dl.name = "y"})
    -> (tensor<16x16xf32>, tensor<4xf32>) {
  %z = dl.constant dense<0.0> : tensor<16x16xf32>
  %o = dl.constant dense<1.0> : tensor<4xf32>
  %0 = dl.add %x, %z : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %1 = dl.add %y, %o : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<16x16xf32>, tensor<4xf32>
}

// -----

// An update stored into a parameter nothing reads afterwards is written
// there directly (offset -1, no buffer), even when it is read again (the
// exp reads it in the parameter). The second store's parameter is read
// after its producer, so that value keeps a buffer and a copy.
// CHECK-LABEL: func.func @stores
// CHECK: dl.sub {{.*}}dl.offsets = array<i64: -1>
// CHECK: dl.mul {{.*}}dl.offsets = array<i64: 256>
// CHECK: dl.matmul
dl.param @p : tensor<4x4xf32> init<zeros>
dl.param @q : tensor<4x4xf32> init<zeros>
func.func @stores(%g: tensor<4x4xf32> {dl.name = "g"}) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %p = dl.load_param @p : tensor<4x4xf32>
  %q = dl.load_param @q : tensor<4x4xf32>
  %0 = dl.sub %p, %g : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = dl.mul %q, %g : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = dl.matmul %q, %g : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %3 = dl.exp %0 : tensor<4x4xf32>
  dl.store_param %0, @p : tensor<4x4xf32>
  dl.store_param %1, @q : tensor<4x4xf32>
  return %2, %3 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A region that reads an input through a view (here transposed) reads other
// elements than the one it writes: the input, dead after the region, does not
// give it its bytes (it takes x's, dead by then). The exp writes in place
// (it reads element for element).
// CHECK-LABEL: func.func @viewed_input
// CHECK: dl.neg %arg0 {dl.offsets = array<i64: 1024>}
// CHECK: dl.fused(%0) {dl.offsets = array<i64: 0>}
// CHECK: dl.exp %1 {dl.offsets = array<i64: 0>}
func.func @viewed_input(%x: tensor<16x16xf32> {dl.name = "x"}) -> tensor<16x16xf32> {
  %0 = dl.neg %x : tensor<16x16xf32>
  %1 = dl.fused(%0) : (tensor<16x16xf32>) -> tensor<16x16xf32> {
  ^bb0(%a: tensor<16x16xf32>):
    %t = dl.transpose %a permutation = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
    %s = dl.add %a, %t : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
    dl.yield %s : tensor<16x16xf32>
  }
  %2 = dl.exp %1 : tensor<16x16xf32>
  return %2 : tensor<16x16xf32>
}

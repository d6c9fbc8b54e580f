// RUN: dl-opt %s --split-input-file --dl-autodiff --canonicalize --cse --verify-diagnostics | FileCheck %s

// y = relu(x w + b), loss = mean squared error. @train returns the forward
// results and one gradient per parameter; the bias gradient sums the
// broadcast rows, w's is x^T times the gradient at the matmul. The ReLU's
// mask reads its result, not its input.
// CHECK-LABEL: func.func @train
// CHECK-SAME: -> (tensor<f32> {dl.name = "loss"}, tensor<3x2xf32> {dl.name = "grad:w"}, tensor<2xf32> {dl.name = "grad:b"})
// CHECK: %[[H:.*]] = dl.add
// CHECK: %[[Y:.*]] = dl.relu %[[H]]
// CHECK: dl.mse %[[Y]], %arg1
// CHECK: %[[D:.*]] = dl.sub %[[Y]], %arg1
// CHECK: %[[MASK:.*]] = dl.compare gt, %[[Y]]
// CHECK: %[[G:.*]] = dl.select %[[MASK]]
// CHECK: %[[GB:.*]] = dl.reduce_sum %[[G]] axes = [0]
// CHECK: %[[GW:.*]] = dl.matmul %arg0, %[[G]] {transpose_lhs}
// CHECK: return %{{.*}}, %[[GW]], %[[GB]]
module attributes {dl.train = {loss = "loss"}} {
  dl.param @w : tensor<3x2xf32> init<zeros>
  dl.param @b : tensor<2xf32> init<zeros>
  dl.param @count : tensor<2xf32> init<zeros> role = buffer
  func.func @forward(%x: tensor<4x3xf32> {dl.name = "x"}, %t: tensor<4x2xf32> {dl.name = "t"})
      -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3x2xf32>
    %b = dl.load_param @b : tensor<2xf32>
    %0 = dl.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
    %1 = dl.add %0, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    %2 = dl.relu %1 : tensor<4x2xf32>
    %3 = dl.mse %2, %t : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
    return %3 : tensor<f32>
  }
}

// -----

// A parameter used twice gets the sum of both gradients; one the loss does
// not depend on gets zeros.
// CHECK-LABEL: func.func @train
// CHECK: %[[ZERO:.*]] = dl.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: %[[E:.*]] = dl.exp
// CHECK: dl.reduce_sum
// CHECK: %[[A:.*]] = dl.add %[[E]], %arg0
// CHECK: return %{{.*}}, %[[A]], %[[ZERO]]
module attributes {dl.train = {loss = "loss"}} {
  dl.param @p : tensor<2xf32> init<zeros>
  dl.param @unused : tensor<2xf32> init<zeros>
  func.func @forward(%x: tensor<2xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %p = dl.load_param @p : tensor<2xf32>
    %0 = dl.mul %p, %x : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %1 = dl.exp %p : tensor<2xf32>
    %2 = dl.add %0, %1 : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    %3 = dl.reduce_sum %2 axes = [0] : tensor<2xf32> -> tensor<f32>
    return %3 : tensor<f32>
  }
}

// -----

// Layer norm's gradient is two ops (two kernels): the input gradient with
// each row's statistics, then gamma's and beta's from those statistics.
// CHECK-LABEL: func.func @train
// CHECK: %[[H:.*]] = dl.add %arg0
// CHECK: dl.layer_norm %[[H]], %[[G:.*]], %{{.*}} axis = 1
// CHECK: %[[DX:.*]], %[[M:.*]], %[[R:.*]] = dl.layer_norm_grad %[[H]], %{{.*}}, %[[G]] axis = 1 epsilon = 1.000000e-05 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[DG:.*]], %[[DB:.*]] = dl.layer_norm_param_grad %[[H]], %{{.*}}, %[[M]], %[[R]] axis = 1
// CHECK: %[[DS:.*]] = dl.reduce_sum %[[DX]] axes = [0]
// CHECK: return %{{.*}}, %[[DS]], %[[DG]], %[[DB]]
module attributes {dl.train = {loss = "loss"}} {
  dl.param @s : tensor<8xf32> init<zeros>
  dl.param @g : tensor<8xf32> init<ones>
  dl.param @b : tensor<8xf32> init<zeros>
  func.func @forward(%x: tensor<4x8xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %s = dl.load_param @s : tensor<8xf32>
    %g = dl.load_param @g : tensor<8xf32>
    %b = dl.load_param @b : tensor<8xf32>
    %h = dl.add %x, %s : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %0 = dl.layer_norm %h, %g, %b axis = 1 epsilon = 1.0e-05 : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %1 = dl.mul %0, %0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
    %2 = dl.reduce_sum %1 axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
    return %2 : tensor<f32>
  }
}

// -----

// An op without a gradient rule between the loss and a parameter.
module attributes {dl.train = {loss = "loss"}} {
  dl.param @w : tensor<3xf32> init<zeros>
  func.func @forward(%x: tensor<3xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3xf32>
    %0 = dl.mul %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    // expected-error @+1 {{'dl.floor' has no gradient rule, but the loss depends on a trained parameter through it}}
    %1 = dl.floor %0 : tensor<3xf32>
    %2 = dl.reduce_sum %1 axes = [0] : tensor<3xf32> -> tensor<f32>
    return %2 : tensor<f32>
  }
}

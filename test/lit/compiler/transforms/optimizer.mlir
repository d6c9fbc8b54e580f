// RUN: dl-opt %s --split-input-file --dl-autodiff --dl-optimizer --verify-diagnostics | FileCheck %s

// SGD with momentum: a step counter and one momentum buffer per parameter
// join the module as optimizer state; @train ends by writing them and the
// parameter, and no longer returns the gradient.
// CHECK-DAG: dl.param @optimizer.step : tensor<f32> init<zeros> role = optimizer_state
// CHECK-DAG: dl.param @w.momentum : tensor<3xf32> init<zeros> role = optimizer_state
// CHECK-LABEL: func.func @train
// CHECK-SAME: -> (tensor<f32> {dl.name = "loss"})
// CHECK: %[[T:.*]] = dl.add %{{.*}}, %{{.*}} : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK: %[[V:.*]] = dl.add
// CHECK: %[[P:.*]] = dl.sub
// CHECK: dl.store_param %[[T]], @optimizer.step
// CHECK-NEXT: dl.store_param %[[V]], @w.momentum
// CHECK-NEXT: dl.store_param %[[P]], @w
// CHECK-NEXT: return %{{.*}} : tensor<f32>
module attributes {dl.train = {loss = "loss", optimizer = {name = "sgd", lr = 1.0e-01 : f64, momentum = 9.0e-01 : f64}}} {
  dl.param @w : tensor<3xf32> init<zeros>
  func.func @forward(%x: tensor<3xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3xf32>
    %0 = dl.mul %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %1 = dl.reduce_sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// -----

// Norm clipping: the squared norm of all gradients is one dl.sum_squares,
// and every gradient is scaled by min(1, clip / (norm + 1e-6)).
// CHECK-LABEL: func.func @train
// CHECK: %[[S:.*]], %{{.*}} = dl.sum_squares %{{.*}}, %{{.*}} : (tensor<3xf32>, tensor<2x2xf32>) -> (tensor<f32>, tensor<1xf64>)
// CHECK: dl.sqrt
// CHECK: dl.min
// CHECK-NOT: dl.reduce_sum
// CHECK: dl.store_param %{{.*}}, @w
// CHECK: dl.store_param %{{.*}}, @u
module attributes {dl.train = {loss = "loss", clip_norm = 1.0 : f64, optimizer = {name = "sgd", lr = 1.0e-01 : f64}}} {
  dl.param @w : tensor<3xf32> init<zeros>
  dl.param @u : tensor<2x2xf32> init<zeros>
  func.func @forward(%x: tensor<3xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3xf32>
    %u = dl.load_param @u : tensor<2x2xf32>
    %0 = dl.mul %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %1 = dl.reduce_sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
    %2 = dl.reduce_sum %u axes = [0, 1] : tensor<2x2xf32> -> tensor<f32>
    %3 = dl.add %1, %2 : (tensor<f32>, tensor<f32>) -> tensor<f32>
    return %3 : tensor<f32>
  }
}

// -----

// Adam keeps two moments per parameter; a cosine schedule reads the counter.
// CHECK-DAG: dl.param @w.m : tensor<3xf32> init<zeros> role = optimizer_state
// CHECK-DAG: dl.param @w.v : tensor<3xf32> init<zeros> role = optimizer_state
// CHECK-LABEL: func.func @train
// CHECK: dl.cos
// CHECK: dl.pow
// CHECK: dl.sqrt
// CHECK: dl.store_param %{{.*}}, @w.m
// CHECK: dl.store_param %{{.*}}, @w.v
module attributes {dl.train = {loss = "loss", optimizer = {name = "adam", lr = 1.0e-03 : f64}, schedule = {name = "cosine", total_steps = 1.0e+02 : f64}}} {
  dl.param @w : tensor<3xf32> init<zeros>
  func.func @forward(%x: tensor<3xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3xf32>
    %0 = dl.mul %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %1 = dl.reduce_sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// -----

// expected-error @+1 {{the cosine schedule needs total_steps > 0}}
module attributes {dl.train = {loss = "loss", optimizer = {name = "adam"}, schedule = {name = "cosine"}}} {
  dl.param @w : tensor<3xf32> init<zeros>
  func.func @forward(%x: tensor<3xf32> {dl.name = "x"}) -> (tensor<f32> {dl.name = "loss"}) {
    %w = dl.load_param @w : tensor<3xf32>
    %0 = dl.mul %w, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    %1 = dl.reduce_sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

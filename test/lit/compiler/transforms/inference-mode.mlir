// RUN: dl-opt %s --split-input-file --dl-inference-mode | FileCheck %s
// RUN: dl-opt %s --split-input-file --dl-inference-mode=keep-metrics | FileCheck %s --check-prefix=EVAL

// The loss and the metric go, and with them the labels; dropout passes its
// input through.
// CHECK-LABEL: module @classifier
// CHECK: func.func @forward(%arg0: tensor<4x8xf32> {dl.name = "x"}) -> (tensor<4x8xf32> {dl.name = "logits"})
// CHECK-NOT: dl.dropout
// CHECK-NOT: dl.cross_entropy
// CHECK: %[[R:.*]] = dl.relu %arg0
// CHECK: return %[[R]]

// With keep-metrics (the evaluation step) the loss stays, dropout still goes.
// EVAL-LABEL: module @classifier
// EVAL: func.func @forward(%arg0: tensor<4x8xf32> {dl.name = "x"}, %arg1: tensor<4xi32> {dl.name = "y"})
// EVAL-SAME: {dl.name = "logits"}, tensor<f32> {dl.name = "loss"}, tensor<f32> {dl.name = "accuracy"})
// EVAL-NOT: dl.dropout
// EVAL: dl.cross_entropy
module @classifier attributes {dl.train = {loss = "loss", metrics = ["accuracy"]}} {
  func.func @forward(%x: tensor<4x8xf32> {dl.name = "x"}, %y: tensor<4xi32> {dl.name = "y"})
      -> (tensor<4x8xf32> {dl.name = "logits"}, tensor<f32> {dl.name = "loss"},
          tensor<f32> {dl.name = "accuracy"}) {
    %0 = dl.relu %x : tensor<4x8xf32>
    %1 = dl.dropout %0 rate = 5.000000e-01 seed = 3 : tensor<4x8xf32>
    %2 = dl.cross_entropy %1, %y : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<f32>
    %3 = dl.argmax %1 axis = 1 : tensor<4x8xf32> -> tensor<4xi64>
    %4 = dl.cast %y : tensor<4xi32> to tensor<4xi64>
    %5 = dl.compare eq, %3, %4 : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
    %6 = dl.cast %5 : tensor<4xi1> to tensor<4xf32>
    %7 = dl.reduce_mean %6 axes = [0] : tensor<4xf32> -> tensor<f32>
    return %1, %2, %7 : tensor<4x8xf32>, tensor<f32>, tensor<f32>
  }
}

// -----

// Batch normalization uses and keeps the running statistics.
// CHECK-LABEL: module @bn
// CHECK: %[[M:.*]] = dl.load_param @bn.mean
// CHECK: %[[V:.*]] = dl.load_param @bn.var
// CHECK: dl.batch_norm_inference %arg0, %{{.*}}, %{{.*}}, %[[M]], %[[V]] epsilon = 1.000000e-05
// CHECK-NOT: dl.store_param
// CHECK-NOT: dl.batch_norm_training
module @bn {
  dl.param @bn.scale : tensor<4xf32> init<ones>
  dl.param @bn.bias : tensor<4xf32> init<zeros>
  dl.param @bn.mean : tensor<4xf32> init<zeros> role = buffer
  dl.param @bn.var : tensor<4xf32> init<ones> role = buffer
  func.func @forward(%x: tensor<2x4x3x3xf32> {dl.name = "x"}) -> (tensor<2x4x3x3xf32> {dl.name = "y"}) {
    %s = dl.load_param @bn.scale : tensor<4xf32>
    %b = dl.load_param @bn.bias : tensor<4xf32>
    %m = dl.load_param @bn.mean : tensor<4xf32>
    %v = dl.load_param @bn.var : tensor<4xf32>
    %y, %nm, %nv = dl.batch_norm_training %x, %s, %b, %m, %v epsilon = 1.0e-05 momentum = 1.0e-01
        : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
    dl.store_param %nm, @bn.mean : tensor<4xf32>
    dl.store_param %nv, @bn.var : tensor<4xf32>
    return %y : tensor<2x4x3x3xf32>
  }
}

// -----

// An input the model never read stays part of its interface.
// CHECK-LABEL: module @unused
// CHECK: func.func @forward(%arg0: tensor<2xf32> {dl.name = "a"}, %arg1: tensor<2xf32> {dl.name = "b"})
module @unused {
  func.func @forward(%a: tensor<2xf32> {dl.name = "a"}, %b: tensor<2xf32> {dl.name = "b"})
      -> (tensor<2xf32> {dl.name = "y"}) {
    %0 = dl.exp %a : tensor<2xf32>
    return %0 : tensor<2xf32>
  }
}

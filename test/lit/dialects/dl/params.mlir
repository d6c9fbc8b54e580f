// Parameters are module symbols with initializers; functions read and write
// them by name.
// RUN: dl-opt %s | dl-opt | FileCheck %s
// RUN: dl-opt %s --mlir-print-op-generic | dl-opt | FileCheck %s

// CHECK: dl.param @fc1.weight : tensor<784x128xf32> init<kaiming_uniform, seed = 1>
dl.param @fc1.weight : tensor<784x128xf32> init<kaiming_uniform, seed = 1>
// CHECK: dl.param @fc1.bias : tensor<128xf32> init<zeros>
dl.param @fc1.bias : tensor<128xf32> init<zeros>
// CHECK: dl.param @emb : tensor<65x32xf32> init<normal(0.000000e+00, 2.000000e-02), seed = 7>
dl.param @emb : tensor<65x32xf32> init<normal(0.0, 0.02), seed = 7>
// CHECK: dl.param @u : tensor<4xf32> init<uniform(-1.000000e-01, 1.000000e-01), seed = 3>
dl.param @u : tensor<4xf32> init<uniform(-0.1, 0.1), seed = 3>
// CHECK: dl.param @scale : tensor<4xf32> init<constant(5.000000e-01)>
dl.param @scale : tensor<4xf32> init<constant(0.5)>
// CHECK: dl.param @bn.var : tensor<16xf32> init<ones> role = buffer
dl.param @bn.var : tensor<16xf32> init<ones> role = buffer
// CHECK: dl.param @imported.bias : tensor<2xf32> = dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
dl.param @imported.bias : tensor<2xf32> = dense<[0.5, -1.0]> : tensor<2xf32>
// CHECK: dl.param @imported.var : tensor<2xf32> = dense<1.000000e+00> : tensor<2xf32> role = buffer
dl.param @imported.var : tensor<2xf32> = dense<1.0> : tensor<2xf32> role = buffer
// CHECK: dl.param @adam.m : tensor<128xf32> init<zeros> role = optimizer_state
dl.param @adam.m : tensor<128xf32> init<zeros> role = optimizer_state

// CHECK-LABEL: func @forward
// CHECK-SAME: dl.name = "x"
// CHECK-SAME: dl.name = "hidden"
func.func @forward(%x: tensor<64x784xf32> {dl.name = "x"})
    -> (tensor<64x128xf32> {dl.name = "hidden"}) {
  // CHECK: dl.load_param @fc1.weight : tensor<784x128xf32>
  %w = dl.load_param @fc1.weight : tensor<784x128xf32>
  %b = dl.load_param @fc1.bias : tensor<128xf32>
  %0 = dl.matmul %x, %w : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  %1 = dl.add %0, %b : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  // CHECK: dl.store_param %{{.*}}, @fc1.bias : tensor<128xf32>
  dl.store_param %b, @fc1.bias : tensor<128xf32>
  return %1 : tensor<64x128xf32>
}

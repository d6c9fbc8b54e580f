// The forward pass of a 784-128-10 MLP, written directly in the dl dialect:
// what the DSL frontend produces for examples/mlp.dl, minus the training part.
// Try: build/bin/dl-opt examples/ir/mlp_forward.mlir --canonicalize

dl.param @fc1.weight : tensor<784x128xf32> init<kaiming_uniform, seed = 1>
dl.param @fc1.bias : tensor<128xf32> init<zeros>
dl.param @fc2.weight : tensor<128x10xf32> init<kaiming_uniform, seed = 2>
dl.param @fc2.bias : tensor<10xf32> init<zeros>

func.func @forward(%x: tensor<64x784xf32> {dl.name = "x"})
    -> (tensor<64x10xf32> {dl.name = "logits"}) {
  %w1 = dl.load_param @fc1.weight : tensor<784x128xf32>
  %b1 = dl.load_param @fc1.bias : tensor<128xf32>
  %0 = dl.matmul %x, %w1 : (tensor<64x784xf32>, tensor<784x128xf32>) -> tensor<64x128xf32>
  %1 = dl.add %0, %b1 : (tensor<64x128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
  %2 = dl.relu %1 : tensor<64x128xf32>
  %w2 = dl.load_param @fc2.weight : tensor<128x10xf32>
  %b2 = dl.load_param @fc2.bias : tensor<10xf32>
  %3 = dl.matmul %2, %w2 : (tensor<64x128xf32>, tensor<128x10xf32>) -> tensor<64x10xf32>
  %4 = dl.add %3, %b2 : (tensor<64x10xf32>, tensor<10xf32>) -> tensor<64x10xf32>
  return %4 : tensor<64x10xf32>
}

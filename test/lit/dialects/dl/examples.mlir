// The hand-written IR examples stay valid.
// RUN: dl-opt %dlc_src_root/examples/ir/mlp_forward.mlir --canonicalize | FileCheck %s
// CHECK: dl.param @fc1.weight : tensor<784x128xf32> init<kaiming_uniform, seed = 1>
// CHECK-LABEL: func.func @forward
// CHECK-COUNT-2: dl.matmul

// RUN: dl-opt %s --split-input-file --dl-fuse-loss | FileCheck %s

// The forward loss is read only after the fused loss-and-gradient op: it
// reads the loss from there and the forward cross-entropy goes.
// CHECK-LABEL: func.func @fused
// CHECK-NOT: dl.cross_entropy %
// CHECK: %[[L:.*]], %[[D:.*]] = dl.cross_entropy_with_grad %arg0, %arg1, %arg2
// CHECK: return %[[L]], %[[D]]
func.func @fused(%x: tensor<4x3xf32>, %y: tensor<4xi32>, %g: tensor<f32>)
    -> (tensor<f32>, tensor<4x3xf32>) {
  %l = dl.cross_entropy %x, %y : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  %l2, %d = dl.cross_entropy_with_grad %x, %y, %g
      : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>)
  return %l, %d : tensor<f32>, tensor<4x3xf32>
}

// -----

// Another reduction, or a reader of the loss before the fused op: kept.
// CHECK-LABEL: func.func @kept
// CHECK: dl.cross_entropy %arg0, %arg1 reduction = sum
// CHECK: dl.neg
// CHECK: dl.cross_entropy_with_grad
func.func @kept(%x: tensor<4x3xf32>, %y: tensor<4xi32>, %g: tensor<f32>)
    -> (tensor<f32>, tensor<4x3xf32>) {
  %l = dl.cross_entropy %x, %y reduction = sum : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  %n = dl.neg %l : tensor<f32>
  %l2, %d = dl.cross_entropy_with_grad %x, %y, %n reduction = sum
      : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>)
  return %n, %d : tensor<f32>, tensor<4x3xf32>
}

// -----

// The accuracy of the same logits and labels becomes the fused op's third
// result, when nothing reads it before that op.
// CHECK-LABEL: func.func @metric
// CHECK-NOT: dl.accuracy
// CHECK: %[[L:.*]], %[[D:.*]], %[[A:.*]] = dl.cross_entropy_with_grad %arg0, %arg1, %arg2 : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>, tensor<f32>)
// CHECK: return %[[L]], %[[D]], %[[A]]
func.func @metric(%x: tensor<4x3xf32>, %y: tensor<4xi32>, %g: tensor<f32>)
    -> (tensor<f32>, tensor<4x3xf32>, tensor<f32>) {
  %a = dl.accuracy %x, %y : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  %l, %d = dl.cross_entropy_with_grad %x, %y, %g
      : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>)
  return %l, %d, %a : tensor<f32>, tensor<4x3xf32>, tensor<f32>
}

// -----

// Other labels, or a reader of the metric before the fused op: kept apart.
// CHECK-LABEL: func.func @metric_kept
// CHECK: dl.accuracy %arg0, %arg3
// CHECK: dl.accuracy %arg0, %arg1
// CHECK: dl.neg
// CHECK: %{{.*}}, %{{.*}} = dl.cross_entropy_with_grad %arg0, %arg1, %arg2 :
func.func @metric_kept(%x: tensor<4x3xf32>, %y: tensor<4xi32>, %g: tensor<f32>,
                       %z: tensor<4xi32>)
    -> (tensor<f32>, tensor<f32>, tensor<4x3xf32>) {
  %a = dl.accuracy %x, %z : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  %b = dl.accuracy %x, %y : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  %n = dl.neg %b : tensor<f32>
  %l, %d = dl.cross_entropy_with_grad %x, %y, %g
      : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>)
  return %a, %n, %d : tensor<f32>, tensor<f32>, tensor<4x3xf32>
}

// Every verifier error of the dl dialect, each case naming what it rejects.
// RUN: dl-opt %s --split-input-file --verify-diagnostics

// Broadcasting names both operands and the dimensions that clash.
func.func @add_not_broadcastable(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands do not broadcast: lhs dimension 1 has size 3 but rhs dimension 0 has size 4 (shapes 2x3 and 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @add_mixed_element_types(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error @+2 {{element types differ: lhs is 'f32' but rhs is 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.add %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return
}

// -----

// The written result type must be the inferred one.
func.func @add_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @exp_of_integers(%a: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = dl.exp %a : tensor<3xi32>
  return
}

// -----

func.func @dynamic_shape(%a: tensor<?xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = dl.relu %a : tensor<?xf32>
  return
}

// -----

func.func @compare_mixed_types(%a: tensor<3xf32>, %b: tensor<3xf16>) {
  // expected-error @+2 {{element types differ: lhs is 'f32' but rhs is 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.compare eq, %a, %b : (tensor<3xf32>, tensor<3xf16>) -> tensor<3xi1>
  return
}

// -----

func.func @select_branches_differ(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error @+2 {{element types differ: on_true is 'f32' but on_false is 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.select %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = dl.cast %a : tensor<3xf32> to tensor<4xi32>
  return
}

// -----

func.func @iota_bad_dimension() {
  // expected-error @+1 {{dimension 2 is out of range for rank 2 (valid: 0 to 1)}}
  %0 = dl.iota dimension = 2 : tensor<4x8xi64>
  return
}

// -----

func.func @reshape_element_count(%a: tensor<64x32x7x7xf32>) {
  // expected-error @+1 {{cannot reshape 64x32x7x7 (100352 elements) to 64x1600 (102400 elements)}}
  %0 = dl.reshape %a : tensor<64x32x7x7xf32> to tensor<64x1600xf32>
  return
}

// -----

func.func @reshape_element_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{changes the element type from 'f32' to 'i32'}}
  %0 = dl.reshape %a : tensor<4xf32> to tensor<4xi32>
  return
}

// -----

func.func @transpose_not_permutation(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation names dimension 0 twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.transpose %a permutation = [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @transpose_wrong_length(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries but the input has rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.transpose %a permutation = [0, 1, 2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_to_incompatible(%a: tensor<3xf32>) {
  // expected-error @+1 {{input dimension 0 has size 3 but result dimension 1 has size 4; only size-1 dimensions stretch}}
  %0 = dl.broadcast_to %a : tensor<3xf32> to tensor<2x4xf32>
  return
}

// -----

func.func @broadcast_to_lower_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot broadcast rank 2 to the lower rank 1}}
  %0 = dl.broadcast_to %a : tensor<2x3xf32> to tensor<3xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<4x3xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+2 {{input 1 dimension 0 has size 5 but input 0 has size 4; only the axis 1 may differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.concat %a, %b axis = 1 : (tensor<4x3xf32>, tensor<5x3xf32>) -> tensor<4x6xf32>
  return
}

// -----

func.func @concat_bad_axis(%a: tensor<4x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.concat %a, %a axis = 2 : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_rank_mismatch(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{ranks differ: input 0 has rank 2 but input 1 has rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.concat %a, %b axis = 0 : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_out_of_bounds(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 1 of size 8 cannot be sliced from 2 to 9 (need 0 <= start <= limit <= 8)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.slice %a start = [0, 2] limit = [4, 9] step = [1, 1] : tensor<4x8xf32> -> tensor<4x7xf32>
  return
}

// -----

func.func @slice_zero_step(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{step 0 of dimension 1 must be at least 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.slice %a start = [0, 0] limit = [4, 8] step = [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_wrong_rank(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{limit has 1 entries but the input has rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.slice %a start = [0, 0] limit = [4] step = [1, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @gather_bad_axis(%t: tensor<65x32xf32>, %i: tensor<4xi32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.gather %t, %i axis = 2 : (tensor<65x32xf32>, tensor<4xi32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @conv_grad_bad_size(%g: tensor<1x2x4x4xf32>, %w: tensor<2x1x3x3xf32>) {
  // expected-error @+1 {{'dl.conv2d_grad_input' op the gradient's spatial size 4 does not match the window over 8}}
  %0 = dl.conv2d_grad_input %g, %w stride = [1, 1] padding = [0, 0, 0, 0] dilation = [1, 1] groups = 1 : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x1x8x8xf32>
  return
}

// -----

func.func @scatter_add_bad_updates(%u: tensor<4x31xf32>, %i: tensor<4xi32>) {
  // expected-error @+1 {{'dl.scatter_add' op updates have shape 4x31, expected 4x32 (the result's shape with the axis replaced by the indices')}}
  %0 = dl.scatter_add %u, %i axis = 0 : (tensor<4x31xf32>, tensor<4xi32>) -> tensor<65x32xf32>
  return
}

// -----

func.func @gather_float_indices(%t: tensor<65x32xf32>, %i: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = dl.gather %t, %i axis = 0 : (tensor<65x32xf32>, tensor<4xf32>) -> tensor<4x32xf32>
  return
}

// -----

// The classic mistake: a dense layer whose input size is not the flatten size.
func.func @matmul_contracting(%a: tensor<64x1568xf32>, %w: tensor<6272x256xf32>) {
  // expected-error @+2 {{contracting dimensions differ: lhs dimension 1 has size 1568 but rhs dimension 0 has size 6272 (shapes 64x1568 and 6272x256)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.matmul %a, %w : (tensor<64x1568xf32>, tensor<6272x256xf32>) -> tensor<64x256xf32>
  return
}

// -----

func.func @matmul_rank1(%a: tensor<8xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+2 {{lhs must have rank 2 or more, got shape 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.matmul %a, %w : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<3x2x8xf32>, %w: tensor<4x8x4xf32>) {
  // expected-error @+2 {{operands do not broadcast: lhs dimension 0 has size 3 but rhs dimension 0 has size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.matmul %a, %w : (tensor<3x2x8xf32>, tensor<4x8x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<8x3x28x28xf32>, %w: tensor<16x1x3x3xf32>) {
  // expected-error @+2 {{weight dimension 1 has size 1 but the input has 3 channels in 1 group(s), which needs 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w : (tensor<8x3x28x28xf32>, tensor<16x1x3x3xf32>) -> tensor<8x16x26x26xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x28x28xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+2 {{input must have rank 4 (N, C, H, W), got shape 3x28x28}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w : (tensor<3x28x28xf32>, tensor<16x3x3x3xf32>) -> tensor<16x26x26xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<8x3x28x28xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{bias must have shape 16 (the output channels), got 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w, %b : (tensor<8x3x28x28xf32>, tensor<16x3x3x3xf32>, tensor<8xf32>) -> tensor<8x16x26x26xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<8x6x28x28xf32>, %w: tensor<16x2x3x3xf32>) {
  // expected-error @+2 {{groups 4 must be >= 1 and divide the input channels (6) and output channels (16)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w groups = 4 : (tensor<8x6x28x28xf32>, tensor<16x2x3x3xf32>) -> tensor<8x16x26x26xf32>
  return
}

// -----

func.func @conv_kernel_too_big(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x5x5xf32>) {
  // expected-error @+2 {{the 5-wide kernel does not fit height 4 with padding 0+0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<1x1x5x5xf32>) -> tensor<1x1x1x1xf32>
  return
}

// -----

func.func @conv_bad_stride(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+2 {{stride must be 2 values >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w stride = [0, 1] : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return
}

// -----

func.func @conv_bad_padding(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+2 {{padding must be 4 values >= 0 (top, left, bottom, right)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w padding = [1, 1] : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @conv_bad_dilation(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) {
  // expected-error @+2 {{dilation must be 2 values >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.conv2d %x, %w dilation = [0, 0] : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return
}

// -----

func.func @pool_padding_too_big(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{padding 2+2 must be smaller than the kernel 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.max_pool2d %x kernel = [2, 2] padding = [2, 2, 2, 2] : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @pool_bad_kernel(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{kernel must be 2 values >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.avg_pool2d %x kernel = [2] : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return
}

// -----

func.func @pool_kernel_too_big(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{the kernel 5 does not fit height 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.max_pool2d %x kernel = [5, 5] : tensor<1x1x4x4xf32> -> tensor<1x1x1x1xf32>
  return
}

// -----

func.func @reduce_repeated_axis(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{axis 1 is listed twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.reduce_sum %x axes = [1, 1] : tensor<4x5xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_axis_range(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2 (valid: 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.reduce_max %x axes = [2] : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @reduce_max_of_nothing(%x: tensor<4x0xf32>) {
  // expected-error @+2 {{reduces axis 1 of size 0: the maximum of no elements}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.reduce_max %x axes = [1] : tensor<4x0xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_no_axes(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{needs at least one axis}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.reduce_mean %x axes = [] : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @argmax_axis(%x: tensor<4x5xf32>) {
  // expected-error @+2 {{axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.argmax %x axis = 3 : tensor<4x5xf32> -> tensor<4xi64>
  return
}

// -----

func.func @softmax_axis(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %0 = dl.softmax %x axis = -1 : tensor<4x5xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = dl.log_softmax %x axis = 2 : tensor<4x5xf32>
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<4x16x32xf32>, %g: tensor<16xf32>, %b: tensor<32xf32>) {
  // expected-error @+2 {{gamma has shape 16 but needs 32 (the normalized dimensions of input 4x16x32)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.layer_norm %x, %g, %b axis = 2 epsilon = 1.0e-05 : (tensor<4x16x32xf32>, tensor<16xf32>, tensor<32xf32>) -> tensor<4x16x32xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<4x32xf32>, %g: tensor<32xf32>) {
  // expected-error @+2 {{epsilon must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.layer_norm %x, %g, %g axis = 1 epsilon = 0.0 : (tensor<4x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @layer_norm_grad_type(%x: tensor<4x32xf32>, %dy: tensor<4x16xf32>, %g: tensor<32xf32>) {
  // expected-error @+2 {{grad 'tensor<4x16xf32>' must have the input's type 'tensor<4x32xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = dl.layer_norm_grad %x, %dy, %g axis = 1 epsilon = 1.0e-05 : (tensor<4x32xf32>, tensor<4x16xf32>, tensor<32xf32>) -> (tensor<4x32xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_grad_axis(%x: tensor<4x32xf32>, %g: tensor<32xf32>) {
  // expected-error @+2 {{axis}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = dl.layer_norm_grad %x, %x, %g axis = 2 epsilon = 1.0e-05 : (tensor<4x32xf32>, tensor<4x32xf32>, tensor<32xf32>) -> (tensor<4x32xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_grad_addend(%x: tensor<4x32xf32>, %g: tensor<32xf32>, %a: tensor<4x32xf64>) {
  // expected-error @+2 {{addend 'tensor<4x32xf64>' must have the input's type 'tensor<4x32xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = dl.layer_norm_grad %x, %x, %g addend %a axis = 1 epsilon = 1.0e-05 : (tensor<4x32xf32>, tensor<4x32xf32>, tensor<32xf32>, tensor<4x32xf64>) -> (tensor<4x32xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @col2im_shape(%c: tensor<32x60xf32>) {
  // expected-error @+1 {{input must be 'tensor<32x64xf32>' for an image 'tensor<8x16x4x4xf32>'}}
  %0 = dl.col2im %c kernel = [2, 2] stride = [2, 2] : tensor<32x60xf32> -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @im2col_kernel(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{the 5-wide kernel does not fit height 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.im2col %x kernel = [5, 5] : tensor<1x1x4x4xf32> -> tensor<1x25xf32>
  return
}

// -----

func.func @sum_squares_types(%x: tensor<4xf32>, %y: tensor<4xf64>) {
  // expected-error @+1 {{inputs and result must share one element type}}
  %0:2 = dl.sum_squares %x, %y : (tensor<4xf32>, tensor<4xf64>) -> (tensor<f32>, tensor<1xf64>)
  return
}

// -----

func.func @sum_squares_partials(%x: tensor<4xf32>) {
  // expected-error @+1 {{partials must be a non-empty f64 vector}}
  %0:2 = dl.sum_squares %x : (tensor<4xf32>) -> (tensor<f32>, tensor<1xf32>)
  return
}

// -----

func.func @layer_norm_param_grad_rows(%x: tensor<4x32xf32>, %m: tensor<32xf32>) {
  // expected-error @+2 {{mean has shape 32 but needs 4 (the rows of input 4x32)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = dl.layer_norm_param_grad %x, %x, %m, %m axis = 1 : (tensor<4x32xf32>, tensor<4x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>)
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<8x16x4x4xf32>, %v: tensor<16xf32>, %w: tensor<8xf32>) {
  // expected-error @+2 {{mean has shape 8 but needs 16 (the channels, dimension 1 of input 8x16x4x4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.batch_norm_inference %x, %v, %v, %w, %v epsilon = 1.0e-05 : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<8xf32>, tensor<16xf32>) -> tensor<8x16x4x4xf32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<16xf32>, %v: tensor<16xf32>) {
  // expected-error @+2 {{input must have rank 2 or more (N, C, ...)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.batch_norm_inference %x, %v, %v, %v, %v epsilon = 1.0e-05 : (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<8x16xf32>, %v: tensor<16xf32>) {
  // expected-error @+2 {{momentum must be in [0, 1], got 1.500000e+00}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = dl.batch_norm_training %x, %v, %v, %v, %v epsilon = 1.0e-05 momentum = 1.5 : (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}

// -----

func.func @dropout_rate(%x: tensor<4xf32>) {
  // expected-error @+1 {{rate must be in [0, 1), got 1.000000e+00}}
  %0 = dl.dropout %x rate = 1.0 seed = 1 : tensor<4xf32>
  return
}

// -----

func.func @cross_entropy_batch(%l: tensor<64x10xf32>, %y: tensor<32xi32>) {
  // expected-error @+2 {{logits have a batch of 64 but labels have 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.cross_entropy %l, %y : (tensor<64x10xf32>, tensor<32xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_rank(%l: tensor<64xf32>, %y: tensor<64xi32>) {
  // expected-error @+2 {{logits must have rank 2 (batch, classes), got shape 64}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.cross_entropy %l, %y : (tensor<64xf32>, tensor<64xi32>) -> tensor<f32>
  return
}

// -----

func.func @mse_shapes(%a: tensor<8x2xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+2 {{prediction 'tensor<8x2xf32>' and target 'tensor<8x3xf32>' must have one type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dl.mse %a, %b : (tensor<8x2xf32>, tensor<8x3xf32>) -> tensor<f32>
  return
}

// -----

// expected-error @+1 {{initializer 'normal' takes 2 argument(s), got 1}}
dl.param @w : tensor<4xf32> init<normal(0.1)>

// -----

// expected-error @+1 {{normal initializer needs std >= 0, got -1.000000e+00}}
dl.param @w : tensor<4xf32> init<normal(0.0, -1.0)>

// -----

// expected-error @+1 {{uniform initializer needs low <= high, got [1.000000e+00, 0.000000e+00]}}
dl.param @w : tensor<4xf32> init<uniform(1.0, 0.0)>

// -----

// expected-error @+1 {{unknown initializer 'gaussian'}}
dl.param @w : tensor<4xf32> init<gaussian>

// -----

// expected-error @+1 {{initializer 'xavier_uniform' needs a float element type, got 'i32'}}
dl.param @w : tensor<4x4xi32> init<xavier_uniform>

// -----

// expected-error @+1 {{has both an initializer and a value}}
dl.param @w : tensor<2xf32> init<zeros> = dense<1.0> : tensor<2xf32>

// -----

// expected-error @+1 {{needs an initializer or a value}}
dl.param @w : tensor<2xf32>

// -----

// expected-error @+1 {{value has type 'tensor<3xf32>' but the parameter is 'tensor<2xf32>'}}
dl.param @w : tensor<2xf32> = dense<1.0> : tensor<3xf32>

// -----

// expected-error @+1 {{initializer 'kaiming_normal' takes its fans from the shape and needs rank >= 1}}
dl.param @w : tensor<f32> init<kaiming_normal>

// -----

func.func @load_unknown_param() {
  // expected-error @+1 {{refers to @missing, which is not a dl.param of the module}}
  %0 = dl.load_param @missing : tensor<4xf32>
  return
}

// -----

dl.param @w : tensor<4xf32> init<zeros>
func.func @load_wrong_type() {
  // expected-error @+1 {{has type 'tensor<8xf32>' but @w is declared as 'tensor<4xf32>'}}
  %0 = dl.load_param @w : tensor<8xf32>
  return
}

// -----

dl.param @w : tensor<4xf32> init<zeros>
func.func @store_wrong_type(%v: tensor<4xf16>) {
  // expected-error @+1 {{has type 'tensor<4xf16>' but @w is declared as 'tensor<4xf32>'}}
  dl.store_param %v, @w : tensor<4xf16>
  return
}

// -----

// A fused region computes one shape: only its inputs broadcast.
func.func @fused_shape(%a: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  %0 = dl.fused(%a, %b) : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32> {
  ^bb0(%x: tensor<8x4xf32>, %y: tensor<4xf32>):
    // expected-error @+1 {{has another shape than the region's results}}
    %e = dl.exp %y : tensor<4xf32>
    %s = dl.add %x, %e : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
    dl.yield %s : tensor<8x4xf32>
  }
  return %0 : tensor<8x4xf32>
}

// -----

// Views apply to a fused region's inputs, never to values computed inside.
func.func @fused_view_of_computed(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = dl.fused(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%x: tensor<4x4xf32>):
    %e = dl.exp %x : tensor<4x4xf32>
    // expected-error @+1 {{reads a value computed in the region}}
    %t = dl.transpose %e permutation = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
    dl.yield %t : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// Flattening a transposed input needs a copy.
func.func @fused_view_reshape(%a: tensor<4x8xf32>) -> tensor<32xf32> {
  %0 = dl.fused(%a) : (tensor<4x8xf32>) -> tensor<32xf32> {
  ^bb0(%x: tensor<4x8xf32>):
    %t = dl.transpose %x permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
    // expected-error @+1 {{merges dimensions that are not adjacent in memory}}
    %r = dl.reshape %t : tensor<8x4xf32> to tensor<32xf32>
    %e = dl.exp %r : tensor<32xf32>
    dl.yield %e : tensor<32xf32>
  }
  return %0 : tensor<32xf32>
}

// -----

func.func @fused_softmax_yield(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{must yield one value of its result type 'tensor<4x8xf32>'}}
  %0 = dl.fused_softmax(%a) axis = 1 : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%x: tensor<4x8xf32>):
    %c = dl.cast %x : tensor<4x8xf32> to tensor<4x8xf64>
    dl.yield %c : tensor<4x8xf64>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @fused_attention_rows(%q: tensor<2x4x8xf32>, %k: tensor<2x6x4xf32>,
                                %v: tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{query and key rows differ in length: 8 and 4}}
  %0 = dl.fused_attention %q, %k, %v : (tensor<2x4x8xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  ^bb0(%s: tensor<2x4x6xf32>):
    dl.yield %s : tensor<2x4x6xf32>
  }
  return %0 : tensor<2x4x4xf32>
}

// -----

func.func @fused_attention_heads(%q: tensor<2x4x4xf32>, %k: tensor<3x6x4xf32>,
                                 %v: tensor<3x6x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{query, key and value must share their leading dimensions}}
  %0 = dl.fused_attention %q, %k, %v : (tensor<2x4x4xf32>, tensor<3x6x4xf32>, tensor<3x6x4xf32>) -> tensor<2x4x4xf32> {
  ^bb0(%s: tensor<2x4x6xf32>):
    dl.yield %s : tensor<2x4x6xf32>
  }
  return %0 : tensor<2x4x4xf32>
}

// -----

// The body's first argument is the scores, [..., T, S].
func.func @fused_attention_scores(%q: tensor<2x4x4xf32>, %k: tensor<2x6x4xf32>,
                                  %v: tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{input type 'tensor<2x4x6xf32>' differs from its argument's 'tensor<2x4x4xf32>'}}
  %0 = dl.fused_attention %q, %k, %v : (tensor<2x4x4xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  ^bb0(%s: tensor<2x4x4xf32>):
    dl.yield %s : tensor<2x4x4xf32>
  }
  return %0 : tensor<2x4x4xf32>
}

// -----

// One result packs q, k and v only in merged rows.
func.func @fused_attention_grad_packed(%g: tensor<2x4x4xf32>, %p: tensor<2x4x4xf32>,
                                       %q: tensor<2x4x4xf32>) -> tensor<2x4x12xf32> {
  // expected-error @+1 {{writes one result only with merged heads, as many keys as queries and values as wide as keys}}
  %0 = dl.fused_attention_grad %g, %p, %q, %q, %q : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x12xf32> {
  ^bb0(%s: tensor<2x4x4xf32>):
    dl.yield %s : tensor<2x4x4xf32>
  }
  return %0 : tensor<2x4x12xf32>
}

// -----

// With merged heads the gradient is read [..., T, H, E2].
func.func @fused_attention_grad_layout(%g: tensor<2x3x4x4xf32>, %p: tensor<2x3x4x4xf32>,
                                       %q: tensor<2x3x4x4xf32>) -> (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) {
  // expected-error @+1 {{grad must be 'tensor<2x4x3x4xf32>'}}
  %0:3 = dl.fused_attention_grad %g, %p, %q, %q, %q {merge_heads} : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) {
  ^bb0(%s: tensor<2x3x4x4xf32>):
    dl.yield %s : tensor<2x3x4x4xf32>
  }
  return %0#0, %0#1, %0#2 : tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>
}

// -----

func.func @fused_attention_result(%q: tensor<2x4x4xf32>, %k: tensor<2x6x4xf32>,
                                  %v: tensor<2x6x3xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{result must be 'tensor<2x4x3xf32>'}}
  %0 = dl.fused_attention %q, %k, %v : (tensor<2x4x4xf32>, tensor<2x6x4xf32>, tensor<2x6x3xf32>) -> tensor<2x4x4xf32> {
  ^bb0(%s: tensor<2x4x6xf32>):
    dl.yield %s : tensor<2x4x6xf32>
  }
  return %0 : tensor<2x4x4xf32>
}

// -----

func.func @fused_attention_probabilities(%q: tensor<2x4x4xf32>, %k: tensor<2x6x4xf32>,
                                         %v: tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  // expected-error @+1 {{probabilities must be the scores' type 'tensor<2x4x6xf32>'}}
  %0, %1 = dl.fused_attention %q, %k, %v : (tensor<2x4x4xf32>, tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  ^bb0(%s: tensor<2x4x6xf32>):
    dl.yield %s : tensor<2x4x6xf32>
  }
  return %0 : tensor<2x4x4xf32>
}

// -----

func.func @fused_attention_merge(%q: tensor<4x4xf32>, %k: tensor<6x4xf32>,
                                 %v: tensor<6x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{merges heads of a query [..., H, T, E] only}}
  %0 = dl.fused_attention %q, %k, %v {merge_heads} : (tensor<4x4xf32>, tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%s: tensor<4x6xf32>):
    dl.yield %s : tensor<4x6xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// Only a kernel that can apply an epilogue runs one.
func.func @fused_epilogue_anchor(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %m = dl.matmul %a, %a : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-error @+1 {{an epilogue reads, as its first input, the one result}}
  %0 = dl.fused(%m) {epilogue} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%x: tensor<4x4xf32>):
    %e = dl.exp %x : tensor<4x4xf32>
    dl.yield %e : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

// An epilogue's other inputs must exist when its kernel runs.
func.func @fused_epilogue_late_input(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> {
  %c = dl.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %late = dl.neg %x : tensor<1x1x4x4xf32>
  // expected-error @+1 {{an epilogue's other inputs must exist before its kernel runs}}
  %0 = dl.fused(%c, %late) {epilogue} : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  ^bb0(%a: tensor<1x1x4x4xf32>, %b: tensor<1x1x4x4xf32>):
    %s = dl.add %a, %b : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
    dl.yield %s : tensor<1x1x4x4xf32>
  }
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @fused_matmul(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = dl.fused(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%x: tensor<4x4xf32>):
    // expected-error @+1 {{cannot be part of an elementwise region}}
    %m = dl.matmul %x, %x : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    dl.yield %m : tensor<4x4xf32>
  }
  return %0 : tensor<4x4xf32>
}

// -----

func.func @fused_yield(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{yields 'tensor<4xf64>' but its results are 'tensor<4xf32>'}}
  %0 = dl.fused(%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: tensor<4xf32>):
    %c = dl.cast %x : tensor<4xf32> to tensor<4xf64>
    dl.yield %c : tensor<4xf64>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @ce_grad_shape(%x: tensor<4x3xf32>, %y: tensor<4xi32>, %g: tensor<f32>) {
  // expected-error @+1 {{dlogits must have the logits' type 'tensor<4x3xf32>'}}
  %l, %d = dl.cross_entropy_with_grad %x, %y, %g
      : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> (tensor<f32>, tensor<3x4xf32>)
  return
}

// -----

func.func @matmul_bias_two_activations(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{takes one activation, relu or gelu_tanh}}
  %y = dl.matmul_bias %x, %w, %b {relu, gelu_tanh} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return
}

// -----

func.func @matmul_bias_addend_activation(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>, %r: tensor<8x3xf32>) {
  // expected-error @+1 {{takes an addend or an activation, not both}}
  %y = dl.matmul_bias %x, %w, %b addend %r {gelu_tanh} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  return
}

// -----

func.func @bias_grad_shapes(%x: tensor<8x4xf32>, %dy: tensor<6x3xf32>) {
  // expected-error @+1 {{the operands' inner dimensions differ: 8 and 6}}
  %w, %b = dl.matmul_bias_grad %x, %dy {transpose_lhs} : (tensor<8x4xf32>, tensor<6x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
  return
}

// -----

// A shape past 2^38 elements is refused, so no size computed from it
// overflows (found by fuzzing the ONNX importer).
func.func @too_big(%x: tensor<1xf32>) {
  // expected-error @+1 {{result #0 'tensor<144115291155071232x11779xf32>' has more than 2^38 elements}}
  %y = dl.broadcast_to %x : tensor<1xf32> to tensor<144115291155071232x11779xf32>
  return
}

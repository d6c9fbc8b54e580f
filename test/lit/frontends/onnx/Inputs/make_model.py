"""Writes the small ONNX models the importer's lit tests read.

  make_model.py KIND DIR    writes DIR/model.onnx (and any files beside it)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp():
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((4, 8), np.float32), "w1"),
             numpy_helper.from_array(np.zeros(8, np.float32), "b1"),
             numpy_helper.from_array(rng.standard_normal((8, 3), np.float32), "w2")]
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="act"),
             helper.make_node("MatMul", ["r", "w2"], ["logits"], name="fc2"),
             helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                              axis=-1)]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 3])],
        inits)
    return graph


def classifier():
    """PyTorch's export of Linear-ReLU-Linear: Gemm with transB = 1."""
    rng = np.random.default_rng(1)
    inits = [numpy_helper.from_array(rng.standard_normal((8, 4), np.float32), "fc1.weight"),
             numpy_helper.from_array(np.zeros(8, np.float32), "fc1.bias"),
             numpy_helper.from_array(rng.standard_normal((3, 8), np.float32), "fc2.weight"),
             numpy_helper.from_array(np.zeros(3, np.float32), "fc2.bias")]
    nodes = [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"],
                              name="fc1", transB=1),
             helper.make_node("Relu", ["h"], ["r"], name="act"),
             helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"],
                              ["logits"], name="fc2", transB=1)]
    return helper.make_graph(
        nodes, "classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        inits)


def conv_bn():
    """Conv - BatchNormalization - ReLU - global pool - Gemm, as exported in
    eval mode: the running statistics are initializers."""
    rng = np.random.default_rng(2)
    arrays = {"conv.weight": rng.standard_normal((4, 1, 3, 3)),
              "bn.weight": np.ones(4), "bn.bias": np.zeros(4),
              "bn.running_mean": np.zeros(4), "bn.running_var": np.ones(4),
              "fc.weight": rng.standard_normal((2, 4)), "fc.bias": np.zeros(2)}
    inits = [numpy_helper.from_array(v.astype(np.float32), k)
             for k, v in arrays.items()]
    nodes = [helper.make_node("Conv", ["x", "conv.weight"], ["c"], name="conv",
                              pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization",
                              ["c", "bn.weight", "bn.bias", "bn.running_mean",
                               "bn.running_var"], ["n"], name="bn",
                              momentum=0.9),
             helper.make_node("Relu", ["n"], ["r"], name="act"),
             helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"],
                              name="fc", transB=1)]
    return helper.make_graph(
        nodes, "conv_bn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        inits)


def expand_where():
    """BERT's embeddings as torch exports them: the Expand shape is
    Where(Equal(shape, -1), ones, shape) of constants."""
    c = lambda name, v: helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(v, np.int64)))
    nodes = [c("target", [2, 3]), c("minus_one", [-1, -1]), c("ones", [1, 1]),
             helper.make_node("Equal", ["target", "minus_one"], ["is_auto"]),
             helper.make_node("Where", ["is_auto", "ones", "target"], ["shape"]),
             helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")]
    return helper.make_graph(
        nodes, "expand_where",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])


def flatten_numel():
    """A flatten as exporters write it when the sizes are symbolic: the
    product of the trailing dimensions of Shape(x), by ReduceProd."""
    c = lambda name, v: helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(v, np.int64)))
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             c("one", [1]), c("end", [3]), c("rows", [2]),
             helper.make_node("Slice", ["shape", "one", "end"], ["tail"]),
             helper.make_node("ReduceProd", ["tail"], ["numel"], keepdims=1),
             helper.make_node("Concat", ["rows", "numel"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["y"])]
    return helper.make_graph(
        nodes, "flatten_numel",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 12])])


def col2im_mismatch():
    """Col2Im (opset 18) whose input has 5 windows where a 3x3 image and a
    2x2 block make 4."""
    c = lambda name, v: helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(v, np.int64)))
    nodes = [c("image", [3, 3]), c("block", [2, 2]),
             helper.make_node("Col2Im", ["x", "image", "block"], ["y"], name="fold")]
    return helper.make_graph(
        nodes, "col2im_mismatch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])


def missing_input():
    """Nodes without a required input, or with one too many: the converters
    never see them (found by fuzzing: an Expand without its shape)."""
    nodes = [helper.make_node("Expand", ["x"], ["y"], name="expand"),
             helper.make_node("Relu", ["x", "x"], ["z"], name="relu")]
    return helper.make_graph(
        nodes, "missing_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, None)])


def unsupported():
    nodes = [helper.make_node("Unique", ["x"], ["u"], name="uniq"),
             helper.make_node("MyOp", ["x"], ["m"], name="custom",
                              domain="com.example"),
             helper.make_node("Conv", ["x4", "w"], ["c"], name="conv",
                              auto_pad="WEIRD"),
             helper.make_node("Relu", ["u"], ["y"], name="after_uniq")]
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    graph = helper.make_graph(
        nodes, "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("x4", TensorProto.FLOAT, [1, 1, 5, 5]),
         helper.make_tensor_value_info("s", TensorProto.STRING, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("m", TensorProto.FLOAT, [4]),
         helper.make_tensor_value_info("c", TensorProto.FLOAT, None)],
        [w])
    return graph


def reshape_input():
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="flat")]
    return helper.make_graph(
        nodes, "reshape_input",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])


def resize():
    """A bilinear 2x upsampling (PyTorch's interpolate, half-pixel
    coordinates) and a nearest one of the width only."""
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    sizes = numpy_helper.from_array(np.array([1, 1, 2, 6], np.int64), "sizes")
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up",
                              mode="linear"),
             helper.make_node("Resize", ["x", "", "", "sizes"], ["z"],
                              name="wide", mode="nearest")]
    return helper.make_graph(
        nodes, "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
        [scales, sizes])


def resize_errors():
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    sizes = numpy_helper.from_array(np.array([1, 1, 4, 6], np.int64), "sizes")
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["a"], name="area",
                              mode="area"),
             helper.make_node("Resize", ["x", "", "scales", "sizes"], ["b"],
                              name="both"),
             helper.make_node("Resize", ["x", "", "s"], ["c"], name="runtime"),
             helper.make_node("Resize", ["x", "", "scales"], ["d"],
                              name="crop", coordinate_transformation_mode="crop")]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
               for n in "abcd"]
    return helper.make_graph(
        nodes, "resize_errors",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 3]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [4])],
        outputs, [scales, sizes])


def if_branch(runtime):
    """An If choosing between a ReLU and a negation of x: on whether x has
    rank 2 (known at compile time), or on an input `c`."""
    def branch(op, name):
        return helper.make_graph(
            [helper.make_node(op, ["x"], [name + "_y"], name=name)], name, [],
            [helper.make_tensor_value_info(name + "_y", TensorProto.FLOAT,
                                           None)])
    nodes = [] if runtime else [
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Size", ["shape"], ["rank"], name="rank"),
        helper.make_node("Constant", [], ["two"], name="two",
                         value=numpy_helper.from_array(np.array(2, np.int64))),
        helper.make_node("Equal", ["rank", "two"], ["c"], name="is_2d")]
    nodes.append(helper.make_node("If", ["c"], ["y"], name="choose",
                                  then_branch=branch("Relu", "then"),
                                  else_branch=branch("Neg", "else")))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])]
    if runtime:
        inputs.append(helper.make_tensor_value_info("c", TensorProto.BOOL, []))
    return helper.make_graph(
        nodes, "if_branch", inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])


def external(location):
    """A weight stored beside the model at `location`."""
    t = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "12")):
        e = t.external_data.add()
        e.key, e.value = k, v
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")]
    return helper.make_graph(
        nodes, "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], [t])


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    weights = np.array([1, 2, 3], np.float32).tobytes()
    if kind == "mlp":
        graph = mlp()
    elif kind == "classifier":
        graph = classifier()
    elif kind == "conv_bn":
        graph = conv_bn()
    elif kind == "expand_where":
        graph = expand_where()
    elif kind == "flatten_numel":
        graph = flatten_numel()
    elif kind == "col2im_mismatch":
        graph = col2im_mismatch()
    elif kind == "missing_input":
        graph = missing_input()
    elif kind == "unsupported":
        graph = unsupported()
    elif kind == "if_known":
        graph = if_branch(False)
    elif kind == "if_runtime":
        graph = if_branch(True)
    elif kind == "resize":
        graph = resize()
    elif kind == "resize_errors":
        graph = resize_errors()
    elif kind == "reshape_input":
        graph = reshape_input()
        np.save(os.path.join(out, "shape.npy"), np.array([6, 4], np.int64))
    elif kind == "external_inside":
        graph = external("weights.bin")
        with open(os.path.join(out, "weights.bin"), "wb") as f:
            f.write(weights)
    elif kind == "external_parent":
        graph = external("../weights.bin")
        with open(os.path.join(out, "..", "weights.bin"), "wb") as f:
            f.write(weights)
    elif kind == "external_symlink":
        graph = external("link.bin")
        outside = os.path.join(out, "..", "outside.bin")
        with open(outside, "wb") as f:
            f.write(weights)
        link = os.path.join(out, "link.bin")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(outside), link)
    elif kind == "external_short":
        graph = external("weights.bin")
        with open(os.path.join(out, "weights.bin"), "wb") as f:
            f.write(weights[:8])
    else:
        sys.exit(f"unknown kind {kind}")
    opset = 18 if kind == "col2im_mismatch" else 17
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    main()

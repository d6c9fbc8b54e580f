#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (committed under corpus/):
small valid inputs of every format, and a few nearly valid ones, for the
fuzzer to mutate.

usage: make_seeds.py DLC    (run from anywhere; DLC compiles the plan seeds)
"""
import gzip
import json
import os
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
sys.path.insert(0, os.path.join(root, "test", "numerics"))
sys.path.insert(0, os.path.join(root, "test", "lit", "frontends", "onnx", "Inputs"))


def out(kind, name):
    path = os.path.join(here, "corpus", kind, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def npy_seeds():
    rng = np.random.default_rng(0)
    arrays = {"f32-2x3": rng.random((2, 3), np.float32),
              "f64-scalar": np.array(1.5),
              "i64-vector": np.arange(5, dtype=np.int64),
              "i32-3d": np.zeros((2, 1, 2), np.int32),
              "bool": np.array([True, False]),
              "f16": np.ones(3, np.float16),
              "empty": np.zeros((0, 4), np.float32)}
    for name, array in arrays.items():
        np.save(out("npy", name + ".npy"), array)
    with open(out("npy", "fortran.npy"), "wb") as f:
        np.lib.format.write_array(f, np.asfortranarray(np.ones((2, 3))))
    with open(out("npy", "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.ones(4, np.float32), version=(2, 0))


def safetensors_seeds():
    from harness import write_safetensors
    rng = np.random.default_rng(1)
    write_safetensors(out("safetensors", "two.safetensors"),
                      {"w": rng.random((3, 2), np.float32),
                       "b": np.zeros(2, np.float32)})
    write_safetensors(out("safetensors", "ints.safetensors"),
                      {"step": np.array(3, np.int64),
                       "ids": np.arange(4, dtype=np.int32)})
    # With metadata, as dlrun's checkpoints have.
    header = {"__metadata__": {"epoch": "2", "step": "10", "seed": "0"},
              "x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(out("safetensors", "metadata.safetensors"), "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text +
                np.ones(2, np.float32).tobytes())


def idx_seeds():
    def idx(array, code):
        header = bytes([0, 0, code, array.ndim]) + b"".join(
            int(d).to_bytes(4, "big") for d in array.shape)
        return header + array.tobytes()
    images = (np.arange(2 * 4 * 4) % 256).astype(np.uint8).reshape(2, 4, 4)
    with open(out("idx", "images-idx3-ubyte"), "wb") as f:
        f.write(idx(images, 0x08))
    with open(out("idx", "labels-idx1-ubyte"), "wb") as f:
        f.write(idx(np.array([3, 7], np.uint8), 0x08))
    with open(out("idx", "f32-idx2"), "wb") as f:
        f.write(idx(np.ones((2, 2), ">f4"), 0x0D))


def onnx_seeds():
    import onnx
    from onnx import helper
    import make_model
    graphs = {"mlp": make_model.mlp(), "classifier": make_model.classifier(),
              "conv_bn": make_model.conv_bn(),
              "expand_where": make_model.expand_where(),
              "reshape_input": make_model.reshape_input(),
              "unsupported": make_model.unsupported()}
    for name, graph in graphs.items():
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 17)])
        with open(out("onnx", name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())


def dsl_seeds():
    # The examples are seeds too (the replay test reads examples/); these
    # add the error paths.
    snippets = {
        "shape-error.dl": "model m\ninput x: f32[2, 3]\nparam w: f32[4, 5] = zeros\n"
                          "let y = x @ w\noutput y\n",
        "train-sgd.dl": "model m\nconst batch = 2\ninput x: f32[batch, 3]\n"
                        "input t: f32[batch, 1]\nparam w: f32[3, 1] = xavier_uniform\n"
                        "let y = tanh(x @ w)\noutput y\n"
                        "train {\n  loss mse(y, t)\n  optimizer sgd(lr = 0.1, momentum = 0.9)\n}\n",
        "unknown.dl": "model m\ninput x: f32[2]\nlet y = frobnicate(x)\noutput y\n",
        # A pre-norm residual block with a softmax and norm clipping: the
        # fused kernels of a transformer's training step, in a small plan.
        "tiny-block.dl": "model tiny_block\nconst batch = 2\n"
                         "input x: f32[batch, 4, 8]\ninput t: f32[batch, 8, 4]\n"
                         "param g: f32[8] = ones\nparam c: f32[8] = zeros\n"
                         "param w: f32[8, 8] = normal(0.0, 0.1)\n"
                         "param b: f32[8] = zeros\n"
                         "let h = layer_norm(x, g, c, eps = 1e-5)\n"
                         "let a = x + (h @ w + b)\n"
                         "let u = transpose(a, [0, 2, 1]) * 2.0\n"
                         "let s = softmax(u, axis = -1)\noutput s\n"
                         "train {\n  loss mse(s, t)\n"
                         "  optimizer adamw(lr = 1e-3, weight_decay = 0.1)\n"
                         "  clip_norm 1.0\n}\n",
        # Causal self-attention of two heads from one q|k|v projection:
        # the attention kernels, forward and backward (packed gradients).
        "tiny-attention.dl": "model tiny_attention\nconst batch = 2\n"
                             "input x: f32[batch, 4, 8]\ninput t: f32[batch, 4, 8]\n"
                             "param w: f32[8, 24] = normal(0.0, 0.1)\n"
                             "def heads(qkv, from) {\n"
                             "  let part = slice(qkv, start = [0, 0, from], "
                             "limit = [batch, 4, from + 8])\n"
                             "  return transpose(reshape(part, [batch, 4, 2, 4]), "
                             "[0, 2, 1, 3])\n}\n"
                             "let qkv = x @ w\n"
                             "let causal = iota([4, 4], dim = 1) <= iota([4, 4], dim = 0)\n"
                             "let s = matmul(heads(qkv, 0), heads(qkv, 8), "
                             "transpose_b = true) * 0.5\n"
                             "let p = softmax(where(causal, s, -1e9), axis = -1)\n"
                             "let y = reshape(transpose(matmul(p, heads(qkv, 16)), "
                             "[0, 2, 1, 3]), [batch, 4, 8])\noutput y\n"
                             "train {\n  loss mse(y, t)\n  optimizer sgd(lr = 0.1)\n}\n",
        # Two convolutions with ReLU and pooling: the convolution epilogues
        # (ReLU, bias gradient) and kernel epilogues of their training step.
        "tiny-conv.dl": "model tiny_conv\nconst batch = 2\n"
                        "input x: f32[batch, 1, 6, 6]\ninput y: i32[batch]\n"
                        "param w1: f32[3, 1, 3, 3] = kaiming_uniform\n"
                        "param b1: f32[3] = zeros\n"
                        "param w2: f32[4, 3, 3, 3] = kaiming_uniform\n"
                        "param b2: f32[4] = zeros\n"
                        "param w: f32[36, 3] = xavier_uniform\n"
                        "let c1 = relu(conv2d(x, w1, b1, padding = 1))\n"
                        "let c2 = relu(conv2d(c1, w2, b2, padding = 1))\n"
                        "let p = max_pool2d(c2, kernel = 2)\n"
                        "let logits = flatten(p) @ w\noutput logits\n"
                        "train {\n  loss cross_entropy(logits, y)\n"
                        "  optimizer sgd(lr = 0.1, momentum = 0.9)\n}\n",
    }
    for name, text in snippets.items():
        with open(out("dsl", name), "w") as f:
            f.write(text)


def plan_seeds(dlc):
    for model, flags in (("tiny_regression", ["--train"]), ("mlp", [])):
        subprocess.run([dlc, os.path.join(root, "examples", model + ".dl"),
                        *flags, "-o", out("plan", model + ".dlp")], check=True)
    for name in ("tiny_block", "tiny_conv", "tiny_attention"):
        subprocess.run([dlc, out("dsl", name.replace("_", "-") + ".dl"),
                        "--train", "-o", out("plan", name + ".dlp")],
                       check=True)


def main():
    npy_seeds()
    safetensors_seeds()
    idx_seeds()
    onnx_seeds()
    dsl_seeds()
    plan_seeds(sys.argv[1])


if __name__ == "__main__":
    main()

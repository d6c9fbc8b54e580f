#!/usr/bin/env python3
"""Every example model's forward pass (its inference plan, on the CPU
backend) against a numpy implementation of the same model with the same
random parameters and inputs.

usage: models_test.py DLC DLRUN EXAMPLES_DIR

Tolerances: the references compute in float64, the plan in float32 with
float32 GEMM accumulation over up to 6272 terms, so outputs agree to about
1e-5 relative; the check uses rtol 1e-3, atol 1e-4."""

import math
import os
import re
import subprocess
import sys

import numpy as np

from harness import Runner, write_safetensors

rng = np.random.default_rng(7)


def params_of(dlc, model):
    text = subprocess.run([dlc, model, "--emit=mlir"], check=True,
                          capture_output=True, text=True).stdout
    params = {}
    for name, dims in re.findall(r"dl\.param @([\w.]+) : tensor<([\dx]*)xf32>",
                                 text):
        shape = tuple(int(d) for d in dims.split("x")) if dims else ()
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:] or (1,)))
        bound = 1.0 / math.sqrt(max(fan_in, 1))
        if name.endswith(".g"):
            params[name] = (1 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            params[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return params


def relu(x):
    return np.maximum(x, 0)


def dense(p, scope, x):
    return x @ p[scope + ".w"].astype(np.float64) + p[scope + ".b"]


def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, o, ho, wo))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + ho, j:j + wo],
                           w[:, :, i, j])
    return y + b[None, :, None, None]


def max_pool2(x):
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(
        n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def mlp(p, x):
    return dense(p, "fc2", relu(dense(p, "fc1", x)))


def mlp_dropout(p, x):  # dropout is the identity at inference
    return dense(p, "fc3", relu(dense(p, "fc2", relu(dense(p, "fc1", x)))))


def cnn(p, x):
    c1 = relu(conv2d(x, p["conv1.w"], p["conv1.b"], 1))
    c2 = relu(conv2d(c1, p["conv2.w"], p["conv2.b"], 1))
    h = relu(dense(p, "fc1", max_pool2(c2).reshape(x.shape[0], -1)))
    return dense(p, "fc2", h)


def lenet(p, x):
    c1 = max_pool2(relu(conv2d(x, p["conv1.w"], p["conv1.b"], 2)))
    c2 = max_pool2(relu(conv2d(c1, p["conv2.w"], p["conv2.b"], 0)))
    f1 = relu(dense(p, "fc1", c2.reshape(x.shape[0], -1)))
    return dense(p, "fc3", relu(dense(p, "fc2", f1)))


def tiny_regression(p, x):
    h = np.tanh(x @ p["w1"].astype(np.float64) + p["b1"])
    return h @ p["w2"].astype(np.float64) + p["b2"]


def layer_norm(x, g, b, xp=np):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / xp.sqrt(var + 1e-5) * g + b


def gpt_logits(P, tokens, xp=np):
    """examples/gpt.dl's logits, in numpy or any module with its API
    (jax.numpy for the gradient test)."""
    batch, ctx = tokens.shape
    d, heads = 128, 4
    hd = d // heads
    x = P["wte"][tokens] + P["wpe"][xp.arange(ctx)][None]
    causal = xp.tril(xp.ones((ctx, ctx), dtype=bool))
    for layer in range(4):
        s = f"h{layer}."
        h = layer_norm(x, P[s + "ln1.g"], P[s + "ln1.b"], xp)
        qkv = h @ P[s + "attn.w_qkv"] + P[s + "attn.b_qkv"]
        q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(batch, ctx, heads, hd)
                   .transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) * 0.17677669529663687
        scores = xp.where(causal, scores, -1e9)
        scores = xp.exp(scores - scores.max(axis=-1, keepdims=True))
        weights = scores / scores.sum(axis=-1, keepdims=True)
        y = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, ctx, d)
        x = x + y @ P[s + "attn.w_out"] + P[s + "attn.b_out"]
        h = layer_norm(x, P[s + "ln2.g"], P[s + "ln2.b"], xp)
        u = h @ P[s + "mlp.w1"] + P[s + "mlp.b1"]
        c = math.sqrt(2 / math.pi)
        u = 0.5 * u * (1 + xp.tanh(c * (u + 0.044715 * u ** 3)))
        x = x + u @ P[s + "mlp.w2"] + P[s + "mlp.b2"]
    xf = layer_norm(x, P["ln_f.g"], P["ln_f.b"], xp)
    return xf @ P["wte"].T


def gpt(p, tokens):
    return gpt_logits({k: v.astype(np.float64) for k, v in p.items()}, tokens)


MODELS = {
    "mlp": (mlp, lambda: {"x": rng.random((64, 784), dtype=np.float32)}),
    "mlp_dropout": (mlp_dropout, lambda: {"x": rng.random((64, 784), dtype=np.float32)}),
    "cnn": (cnn, lambda: {"x": rng.random((64, 1, 28, 28), dtype=np.float32)}),
    "lenet": (lenet, lambda: {"x": rng.random((64, 1, 28, 28), dtype=np.float32)}),
    "tiny_regression": (tiny_regression,
                        lambda: {"x": rng.standard_normal((8, 3)).astype(np.float32)}),
    "gpt": (gpt, lambda: {"tokens": rng.integers(0, 128, (32, 64)).astype(np.int32)}),
}


def main():
    dlc, dlrun, examples = sys.argv[1:4]
    runner = Runner(dlc, dlrun)
    for name, (reference, make_inputs) in MODELS.items():
        model = os.path.join(examples, name + ".dl")
        params = params_of(dlc, model)
        path = os.path.join(runner.workdir, name + ".safetensors")
        write_safetensors(path, params)
        inputs = make_inputs()
        expected = reference(params, next(iter(inputs.values())).astype(
            np.float64) if name != "gpt" else inputs["tokens"])
        out = "y" if name == "tiny_regression" else "logits"
        runner.run_model(name, model, inputs,
                         {out: expected.astype(np.float32)}, params=path,
                         rtol=1e-3, atol=1e-4)
    return runner.finish("example models against numpy")


if __name__ == "__main__":
    sys.exit(main())

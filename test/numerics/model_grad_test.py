#!/usr/bin/env python3
"""Whole-model gradients against JAX (CPU): the program `dlc --gradients`
compiles for mlp, lenet, cnn, tiny_regression and gpt, with the same random
parameters and batch, against jax.grad of the same model written in
jax.numpy.

mlp_dropout is left out: its masks come from our Philox stream, which JAX
does not reproduce. Tolerances: float32 on both sides with different
summation orders; rtol 2e-3 and atol 1e-5 relative to the largest gradient
entry of each parameter.

usage: model_grad_test.py DLC DLRUN EXAMPLES_DIR"""

import os
import subprocess
import sys
import tempfile

import numpy as np

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from harness import write_safetensors  # noqa: E402
from models_test import gpt_logits, params_of  # noqa: E402
from optimizer_test import read_safetensors  # noqa: E402

jax.config.update("jax_enable_x64", False)
rng = np.random.default_rng(11)


def dense(p, scope, x):
    return x @ p[scope + ".w"] + p[scope + ".b"]


def conv(x, w, b, pad):
    y = jax.lax.conv_general_dilated(x, w, (1, 1), [(pad, pad), (pad, pad)])
    return y + b[None, :, None, None]


def pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2),
                                 (1, 1, 2, 2), "VALID")


def cross_entropy(logits, labels):
    log_probs = jax.nn.log_softmax(logits, axis=1)
    return -jnp.mean(log_probs[jnp.arange(logits.shape[0]), labels])


def mlp(p, x, y):
    return cross_entropy(dense(p, "fc2", jax.nn.relu(dense(p, "fc1", x))), y)


def lenet(p, x, y):
    c1 = pool(jax.nn.relu(conv(x, p["conv1.w"], p["conv1.b"], 2)))
    c2 = pool(jax.nn.relu(conv(c1, p["conv2.w"], p["conv2.b"], 0)))
    f1 = jax.nn.relu(dense(p, "fc1", c2.reshape(x.shape[0], -1)))
    return cross_entropy(dense(p, "fc3", jax.nn.relu(dense(p, "fc2", f1))), y)


def cnn(p, x, y):
    c1 = jax.nn.relu(conv(x, p["conv1.w"], p["conv1.b"], 1))
    c2 = jax.nn.relu(conv(c1, p["conv2.w"], p["conv2.b"], 1))
    h = jax.nn.relu(dense(p, "fc1", pool(c2).reshape(x.shape[0], -1)))
    return cross_entropy(dense(p, "fc2", h), y)


def tiny_regression(p, x, t):
    y = jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    return jnp.mean((y - t) ** 2)


def gpt(p, tokens, targets):
    logits = gpt_logits(p, tokens, jnp)
    batch, ctx = tokens.shape
    return cross_entropy(logits.reshape(batch * ctx, -1), targets.reshape(-1))


MODELS = {
    "mlp": (mlp, ("x", (64, 784)), ("y", 10)),
    "lenet": (lenet, ("x", (64, 1, 28, 28)), ("y", 10)),
    "cnn": (cnn, ("x", (64, 1, 28, 28)), ("y", 10)),
    "tiny_regression": (tiny_regression, ("x", (8, 3)), ("target", (8, 2))),
    "gpt": (gpt, ("tokens", (32, 64)), ("targets", 128)),
}


def main():
    dlc, dlrun, examples = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="dlc-model-grad-")
    failures = []
    for name, (loss_fn, (x_name, x_shape), (y_name, y_spec)) in MODELS.items():
        model = os.path.join(examples, name + ".dl")
        params = params_of(dlc, model)
        if name == "gpt":  # token ids in and next-token ids out
            x = rng.integers(0, 128, x_shape).astype(np.int32)
            y = rng.integers(0, 128, x_shape).astype(np.int32)
        elif isinstance(y_spec, int):  # images and class labels
            x = rng.random(x_shape, dtype=np.float32)
            y = rng.integers(0, y_spec, x_shape[0]).astype(np.int32)
        else:  # regression inputs and targets
            x = rng.random(x_shape, dtype=np.float32)
            y = rng.standard_normal(y_spec).astype(np.float32)
        base = os.path.join(work, name)
        write_safetensors(base + ".safetensors", params)
        np.save(base + ".x.npy", x)
        np.save(base + ".y.npy", y)
        subprocess.run([dlc, model, "--gradients", "-o", base + ".dlp"],
                       check=True)
        outputs = []
        command = [dlrun, base + ".dlp", "--device", "cpu", "--program",
                   "gradients", "--params", base + ".safetensors",
                   "--input", f"{x_name}=@{base}.x.npy",
                   "--input", f"{y_name}=@{base}.y.npy"]
        for key in params:
            path = f"{base}.grad.{key}.npy"
            command.append(f"--output=grad:{key}=@{path}")
            outputs.append((key, path))
        subprocess.run(command, check=True, capture_output=True)
        expected = jax.grad(loss_fn)({k: jnp.asarray(v) for k, v in params.items()},
                                     jnp.asarray(x), jnp.asarray(y))
        worst = 0.0
        for key, path in outputs:
            got = np.load(path)
            want = np.asarray(expected[key])
            scale = max(float(np.abs(want).max()), 1e-12)
            error = float(np.abs(got - want).max()) / scale
            worst = max(worst, error)
            if not np.allclose(got, want, rtol=2e-3, atol=1e-5 * scale):
                failures.append(f"{name}:{key}")
        status = "ok  " if not any(f.startswith(name + ":") for f in failures) else "FAIL"
        print(f"{status} {name}: {len(outputs)} parameter gradients, largest "
              f"difference {worst:.2e} of the largest entry")
    if failures:
        print("differ: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

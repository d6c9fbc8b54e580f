#!/usr/bin/env python3
"""Training imported ONNX models: `dlc model.onnx --train` end to end.

Two models written the way PyTorch exports them (Gemm with transB = 1,
Conv + BatchNormalization in eval form, Flatten), with random weights as
initializers:

- gradients: `dlc --gradients` of each model, run with the parameters the
  plan takes from the initializers (no --params), against jax.grad of the
  same model in jax.numpy (batch statistics in batch normalization, as in
  training);
- inference with --params-from-initializers equals onnxruntime on the
  original model;
- training: 3 epochs on the first 512 Fashion-MNIST images with adamw; the
  last epoch's loss must be under 0.8 of the first's and the batch-norm
  running statistics must have moved (skipped when the Debian dataset
  package is absent);
- the trained parameters put back into the ONNX file as initializers give,
  in onnxruntime, the outputs dlrun's inference program gives with them.

usage: onnx_train_test.py DLC DLRUN"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from optimizer_test import read_safetensors  # noqa: E402

FASHION = "/usr/share/datasets/fashion-mnist"
rng = np.random.default_rng(5)


def uniform(shape, fan_in):
    bound = 1 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def save(path, name, nodes, weights, image_shape):
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["N", *image_shape])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["N", 10])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def mlp_model(path):
    weights = {"fc1.weight": uniform((64, 784), 784),
               "fc1.bias": uniform(64, 784),
               "fc2.weight": uniform((10, 64), 64),
               "fc2.bias": uniform(10, 64)}
    nodes = [helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "fc1.weight", "fc1.bias"],
                              ["h"], name="fc1", transB=1),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"],
                              ["logits"], name="fc2", transB=1)]
    save(path, "mlp", nodes, weights, (1, 28, 28))
    return weights


def mlp_jax(p, x):
    h = jax.nn.relu(x.reshape(x.shape[0], -1) @ p["fc1.weight"].T + p["fc1.bias"])
    return h @ p["fc2.weight"].T + p["fc2.bias"]


def cnn_model(path):
    weights = {"conv.weight": uniform((6, 1, 3, 3), 9),
               "conv.bias": uniform(6, 9),
               "bn.weight": rng.uniform(0.5, 1.5, 6).astype(np.float32),
               "bn.bias": rng.uniform(-0.1, 0.1, 6).astype(np.float32),
               "bn.running_mean": np.zeros(6, np.float32),
               "bn.running_var": np.ones(6, np.float32),
               "fc.weight": uniform((10, 6 * 14 * 14), 6 * 14 * 14),
               "fc.bias": uniform(10, 6 * 14 * 14)}
    nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"],
                              name="conv", pads=[1, 1, 1, 1],
                              kernel_shape=[3, 3]),
             helper.make_node("BatchNormalization",
                              ["c", "bn.weight", "bn.bias", "bn.running_mean",
                               "bn.running_var"], ["n"], name="bn",
                              epsilon=1e-5, momentum=0.9),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool",
                              kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"],
                              ["logits"], name="fc", transB=1)]
    save(path, "cnn", nodes, weights, (1, 28, 28))
    return weights


def cnn_jax(p, x):
    c = jax.lax.conv_general_dilated(x, p["conv.weight"], (1, 1),
                                     [(1, 1), (1, 1)])
    c = c + p["conv.bias"][None, :, None, None]
    mean = c.mean(axis=(0, 2, 3), keepdims=True)
    var = ((c - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    n = (c - mean) / jnp.sqrt(var + 1e-5)
    n = n * p["bn.weight"][None, :, None, None] + p["bn.bias"][None, :, None, None]
    r = jax.nn.relu(n)
    pooled = jax.lax.reduce_window(r, -jnp.inf, jax.lax.max, (1, 1, 2, 2),
                                   (1, 1, 2, 2), "VALID")
    return pooled.reshape(x.shape[0], -1) @ p["fc.weight"].T + p["fc.bias"]


def cross_entropy(logits, labels):
    log_probs = jax.nn.log_softmax(logits, axis=1)
    return -jnp.mean(log_probs[jnp.arange(logits.shape[0]), labels])


def check_gradients(dlc, dlrun, work, name, model, weights, forward):
    x = rng.random((8, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 8).astype(np.int32)
    base = os.path.join(work, name)
    np.save(base + ".x.npy", x)
    np.save(base + ".y.npy", y)
    subprocess.run([dlc, model, "--gradients", "--batch", "8",
                    "-o", base + ".grad.dlp"], check=True)
    trained = [k for k in weights if "running" not in k]
    command = [dlrun, base + ".grad.dlp", "--device", "cpu", "--program",
               "gradients", "--input", f"x=@{base}.x.npy",
               "--input", f"label=@{base}.y.npy"]
    for key in trained:
        command.append(f"--output=grad:{key}=@{base}.grad.{key}.npy")
    subprocess.run(command, check=True, capture_output=True)
    params = {k: jnp.asarray(weights[k]) for k in trained}
    expected = jax.grad(lambda p: cross_entropy(forward(p, jnp.asarray(x)),
                                                jnp.asarray(y)))(params)
    failures, worst = [], 0.0
    # One scale for the model: a bias before batch normalization has a
    # gradient of zero up to rounding, which no relative test can judge.
    scale = max(float(np.abs(np.asarray(g)).max()) for g in expected.values())
    for key in trained:
        got = np.load(f"{base}.grad.{key}.npy")
        want = np.asarray(expected[key])
        worst = max(worst, float(np.abs(got - want).max()) / scale)
        if not np.allclose(got, want, rtol=2e-3, atol=1e-5 * scale):
            failures.append(f"{name} grad:{key}")
    print(f"{'FAIL' if failures else 'ok  '} {name}: {len(trained)} gradients "
          f"from the initializers' values, largest difference {worst:.2e} of "
          f"the model's largest entry")
    return failures


def onnxruntime_logits(model, x, replace=None):
    proto = onnx.load(model)
    if replace:
        for init in proto.graph.initializer:
            if init.name in replace:
                init.CopyFrom(numpy_helper.from_array(replace[init.name],
                                                      init.name))
    session = onnxruntime.InferenceSession(proto.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def dlrun_logits(dlrun, plan, x_path, out, params=None):
    command = [dlrun, plan, "--device", "cpu", "--input", f"x=@{x_path}",
               "--output", f"logits=@{out}"]
    if params:
        command += ["--params", params]
    subprocess.run(command, check=True, capture_output=True)
    return np.load(out)


def check_inference(dlc, dlrun, work, name, model):
    x = rng.random((4, 1, 28, 28), dtype=np.float32)
    base = os.path.join(work, name)
    np.save(base + ".xi.npy", x)
    subprocess.run([dlc, model, "--params-from-initializers", "--batch", "4",
                    "-o", base + ".inf.dlp"], check=True)
    got = dlrun_logits(dlrun, base + ".inf.dlp", base + ".xi.npy",
                       base + ".inf.npy")
    want = onnxruntime_logits(model, x)
    ok = np.allclose(got, want, rtol=1e-4, atol=1e-5)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: inference with parameters from "
          f"the initializers equals onnxruntime (largest difference "
          f"{float(np.abs(got - want).max()):.2e})")
    return [] if ok else [f"{name} inference"]


def check_training(dlc, dlrun, work, name, model):
    base = os.path.join(work, name)
    subprocess.run([dlc, model, "--train", "--batch", "64", "--optimizer",
                    "adamw", "--lr", "2e-3", "--optimizer-setting",
                    "weight_decay=0.01", "-o", base + ".train.dlp"], check=True)
    subprocess.run([dlrun, base + ".train.dlp", "--device", "cpu", "--train",
                    "--data", FASHION, "--limit", "512", "--epochs", "3",
                    "--metrics-json", base + ".json",
                    "--save", base + ".trained.safetensors"], check=True,
                   capture_output=True)
    with open(base + ".json") as f:
        curve = json.load(f)
    losses = [epoch["train_loss"] for epoch in curve]
    failures = []
    if not losses[-1] < 0.8 * losses[0]:
        failures.append(f"{name} training: loss {losses}")
    trained = read_safetensors(base + ".trained.safetensors")
    if "bn.running_mean" in trained and not np.any(trained["bn.running_mean"]):
        failures.append(f"{name} training: running statistics never updated")
    print(f"{'FAIL' if failures else 'ok  '} {name}: trained 3 epochs, loss "
          + " -> ".join(f"{v:.4f}" for v in losses)
          + f", test accuracy {curve[-1]['test_accuracy']:.3f}")

    # The trained weights, back in the ONNX model, give dlrun's outputs
    # (the checkpoint's optimizer state has no initializer to replace).
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    np.save(base + ".xt.npy", x)
    got = dlrun_logits(dlrun, base + ".train.dlp", base + ".xt.npy",
                       base + ".trained.npy", base + ".trained.safetensors")
    want = onnxruntime_logits(model, x, trained)
    ok = np.allclose(got, want, rtol=1e-4, atol=1e-4)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: the trained parameters in the "
          f"ONNX model give dlrun's inference outputs in onnxruntime (largest "
          f"difference {float(np.abs(got - want).max()):.2e})")
    return failures + ([] if ok else [f"{name} trained inference"])


def main():
    dlc, dlrun = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="dlc-onnx-train-")
    failures = []
    for name, build, forward in (("mlp", mlp_model, mlp_jax),
                                 ("cnn", cnn_model, cnn_jax)):
        model = os.path.join(work, name + ".onnx")
        weights = build(model)
        failures += check_gradients(dlc, dlrun, work, name, model, weights,
                                    forward)
        failures += check_inference(dlc, dlrun, work, name, model)
        if os.path.isdir(FASHION):
            failures += check_training(dlc, dlrun, work, name, model)
        else:
            print(f"skip {name}: training needs {FASHION}")
    if failures:
        print("failed: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

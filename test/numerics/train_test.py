#!/usr/bin/env python3
"""The training loop end to end on a small synthetic problem:

- IDX files (one gzip-compressed) with 30 training and 10 test samples,
  batch 4, so both splits end in a partial batch;
- after `dlrun --train`, the test loss and accuracy it reports equal numpy's
  on all 10 test samples with the parameters it saved (no sample dropped,
  none counted twice);
- the same seed gives an identical curve, another seed a different one;
- resuming from a checkpoint after one epoch gives the same parameters as
  two epochs straight (optimizer state included);
- the loss falls by 20% or more over three epochs;
- --lr overrides the compiled learning rate;
- a regression model trains from NumPy arrays;
- a character-level model trains from a text file (--corpus).

usage: train_test.py DLC DLRUN"""

import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from optimizer_test import read_safetensors

MODEL = """model tiny_classifier
const batch = 4
input x: f32[batch, 6]
input y: i32[batch]
param w: f32[6, 3] = xavier_uniform
param b: f32[3] = zeros
let logits = x @ w + b
output logits
train {
  loss cross_entropy(logits, y)
  metric accuracy = accuracy(logits, y)
  optimizer adam(lr = 0.05)
}
"""


def write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(data)


def main():
    dlc, dlrun = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="dlc-train-")
    rng = np.random.default_rng(3)
    centers = rng.integers(0, 256, (3, 6))
    def split(n):
        labels = rng.integers(0, 3, n)
        images = np.clip(centers[labels] + rng.integers(-60, 60, (n, 6)), 0, 255)
        return images.reshape(n, 2, 3), labels
    train_x, train_y = split(30)
    test_x, test_y = split(10)
    write_idx(f"{work}/train-images-idx3-ubyte.gz", train_x, True)
    write_idx(f"{work}/train-labels-idx1-ubyte", train_y, False)
    write_idx(f"{work}/t10k-images-idx3-ubyte", test_x, False)
    write_idx(f"{work}/t10k-labels-idx1-ubyte.gz", test_y, True)
    with open(f"{work}/model.dl", "w") as f:
        f.write(MODEL)
    subprocess.run([dlc, f"{work}/model.dl", "--train", "-o", f"{work}/m.dlp"],
                   check=True)

    def train(tag, epochs, seed, params=None):
        command = [dlrun, f"{work}/m.dlp", "--device", "cpu", "--train",
                   "--data", work, "--epochs", str(epochs), "--seed", str(seed),
                   "--metrics-json", f"{work}/{tag}.json",
                   "--save", f"{work}/{tag}.safetensors"]
        if params:
            command += ["--params", params]
        subprocess.run(command, check=True, capture_output=True)
        with open(f"{work}/{tag}.json") as f:
            return json.load(f)

    failures = []
    def check(condition, what):
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            failures.append(what)

    curve = train("a", 3, 7)
    params = read_safetensors(f"{work}/a.safetensors")
    logits = (test_x.reshape(10, 6) / 255.0) @ params["w"].astype(np.float64) + params["b"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(10), test_y].mean()
    accuracy = (logits.argmax(axis=1) == test_y).mean()
    last = curve[-1]
    check(abs(last["test_loss"] - loss) < 1e-5,
          f"test loss over all 10 samples: dlrun {last['test_loss']:.6f}, numpy {loss:.6f}")
    check(abs(last["test_accuracy"] - accuracy) < 1e-6,
          f"test accuracy over all 10 samples: dlrun {last['test_accuracy']:.4f}, numpy {accuracy:.4f}")
    check(curve[-1]["train_loss"] < 0.8 * curve[0]["train_loss"],
          f"the training loss falls by 20% or more: {curve[0]['train_loss']:.4f} -> {curve[-1]['train_loss']:.4f}")
    again = train("b", 3, 7)
    check([e["train_loss"] for e in again] == [e["train_loss"] for e in curve],
          "the same seed gives the same curve bit for bit")
    other = train("c", 3, 8)
    check([e["train_loss"] for e in other] != [e["train_loss"] for e in curve],
          "another seed gives another curve")
    frozen = subprocess.run([dlrun, f"{work}/m.dlp", "--device", "cpu", "--train",
                             "--data", work, "--epochs", "3", "--lr", "0",
                             "--metrics-json", f"{work}/frozen.json"],
                            capture_output=True)
    with open(f"{work}/frozen.json") as f:
        frozen_curve = json.load(f)
    check(frozen.returncode == 0 and
          len({e["test_loss"] for e in frozen_curve}) == 1,
          "--lr 0 overrides the model's learning rate: the test loss never moves")
    train("straight", 2, 5)
    train("half", 1, 5)
    subprocess.run([dlrun, f"{work}/m.dlp", "--device", "cpu", "--train",
                    "--data", work, "--epochs", "2",
                    "--resume", f"{work}/half.safetensors",
                    "--save", f"{work}/resumed.safetensors"],
                   check=True, capture_output=True)
    a = read_safetensors(f"{work}/straight.safetensors")
    b = read_safetensors(f"{work}/resumed.safetensors")
    check(all(np.array_equal(a[k], b[k]) for k in a),
          "1 epoch + resume + 1 epoch equals 2 epochs straight, bit for bit "
          "(parameters and optimizer state)")

    # Regression from NumPy arrays: examples/tiny_regression.dl fits a small
    # tanh network; 100 training samples (batch 8, so a partial batch).
    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                            "..", "examples")
    data = os.path.join(work, "regression")
    os.makedirs(data)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    for name, n in (("train", 100), ("test", 20)):
        x = rng.standard_normal((n, 3)).astype(np.float32)
        y = (np.tanh(x @ a) @ b).astype(np.float32)
        np.save(f"{data}/{name}-x.npy", x)
        np.save(f"{data}/{name}-y.npy", y)
    subprocess.run([dlc, os.path.join(examples, "tiny_regression.dl"),
                    "--train", "-o", f"{work}/reg.dlp"], check=True)
    subprocess.run([dlrun, f"{work}/reg.dlp", "--device", "cpu", "--train",
                    "--data", data, "--epochs", "20",
                    "--metrics-json", f"{work}/reg.json"],
                   check=True, capture_output=True)
    with open(f"{work}/reg.json") as f:
        reg = json.load(f)
    check(reg[-1]["test_loss"] < 0.5 * reg[0]["test_loss"],
          f"tiny_regression on NumPy data: the test loss halves in 20 epochs "
          f"({reg[0]['test_loss']:.4f} -> {reg[-1]['test_loss']:.4f})")

    # A character-level corpus from a text file (--corpus).
    lm = """model tiny_lm
const batch = 4
const ctx = 8
input tokens: i32[batch, ctx]
input targets: i32[batch, ctx]
param emb: f32[16, 8] = normal(0.0, 0.1)
param w: f32[8, 16] = xavier_uniform
let logits = embedding(emb, tokens) @ w
output logits
train {
  loss cross_entropy(reshape(logits, [batch * ctx, 16]), reshape(targets, [batch * ctx]))
  optimizer adam(lr = 0.05)
}
"""
    with open(f"{work}/lm.dl", "w") as f:
        f.write(lm)
    with open(f"{work}/text.txt", "w") as f:
        f.write("abcd" * 300)
    subprocess.run([dlc, f"{work}/lm.dl", "--train", "-o", f"{work}/lm.dlp"],
                   check=True)
    subprocess.run([dlrun, f"{work}/lm.dlp", "--device", "cpu", "--train",
                    "--corpus", f"{work}/text.txt", "--epochs", "5",
                    "--metrics-json", f"{work}/lm.json"],
                   check=True, capture_output=True)
    with open(f"{work}/lm.json") as f:
        lm_curve = json.load(f)
    chance = float(np.log(16))
    check(lm_curve[-1]["test_loss"] < 0.1 * chance,
          f"a character model learns a periodic text from --corpus: held-out "
          f"loss {lm_curve[-1]['test_loss']:.4f}, chance is {chance:.4f}")
    with open(f"{work}/wide.txt", "w") as f:
        f.write("".join(chr(ord("a") + i % 20) for i in range(400)))
    result = subprocess.run([dlrun, f"{work}/lm.dlp", "--device", "cpu",
                             "--train", "--corpus", f"{work}/wide.txt"],
                            capture_output=True, text=True)
    check(result.returncode == 1 and
          "has 20 distinct bytes, more than the model's vocabulary of 16"
          in result.stderr,
          "a corpus with more distinct bytes than the vocabulary is an error")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A short training run of every example model: the training loss of the
last epoch must be below a stated fraction of the first epoch's.

- mlp, mlp_dropout, lenet, cnn: 3 epochs on the first 512 Fashion-MNIST
  images (skipped when the Debian dataset package is absent);
- gpt: 4 epochs on 64 windows of a periodic byte sequence (NumPy arrays),
  which a language model learns quickly;
- tiny_regression is covered by train_test.py.

usage: examples_train_test.py DLC DLRUN EXAMPLES_DIR"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
# The fraction of the first epoch's loss the last epoch must stay under.
CASES = {
    "mlp": (3, 0.8),
    "mlp_dropout": (3, 0.9),
    "lenet": (3, 0.8),
    "cnn": (3, 0.9),
    # 8 steps inside the 100-step warm-up of its cosine schedule: the
    # learning rate stays under 3e-5, so the loss falls only a little.
    "gpt": (4, 0.98),
}


def main():
    dlc, dlrun, examples = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="dlc-examples-")
    # A periodic text: every window predicts its own continuation.
    text = np.frombuffer(b"the quick brown fox jumps over the lazy dog. " * 200,
                         dtype=np.uint8).astype(np.int32)
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    starts = np.random.default_rng(0).integers(0, len(text) - 65, 96)
    windows = np.stack([text[s:s + 65] for s in starts])
    for name, rows in (("train", windows[:64]), ("test", windows[64:])):
        np.save(f"{corpus}/{name}-x.npy", rows[:, :64].copy())
        np.save(f"{corpus}/{name}-y.npy", rows[:, 1:].copy())

    failures = []
    for model, (epochs, fraction) in CASES.items():
        if model != "gpt" and not os.path.isdir(FASHION):
            print(f"skip {model}: {FASHION} is missing")
            continue
        plan = os.path.join(work, model + ".dlp")
        curve = os.path.join(work, model + ".json")
        subprocess.run([dlc, os.path.join(examples, model + ".dl"), "--train",
                        "-o", plan], check=True)
        command = [dlrun, plan, "--device", "cpu", "--train", "--epochs",
                   str(epochs), "--seed", "0", "--metrics-json", curve]
        command += (["--data", corpus] if model == "gpt"
                    else ["--data", FASHION, "--limit", "512"])
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            failures.append(model)
            print(f"FAIL {model}: {result.stderr}")
            continue
        with open(curve) as f:
            losses = [epoch["train_loss"] for epoch in json.load(f)]
        ok = losses[-1] < fraction * losses[0]
        print(f"{'ok  ' if ok else 'FAIL'} {model}: train loss {losses[0]:.4f} "
              f"-> {losses[-1]:.4f} over {epochs} epochs (must fall below "
              f"{fraction:.0%} of the first)")
        if not ok:
            failures.append(model)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

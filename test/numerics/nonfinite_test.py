#!/usr/bin/env python3
"""NaN and Inf in training and inference: --check-numerics and
--skip-nonfinite.

A regression model computes sqrt(x) @ w; one training sample has a negative
feature, so the batch holding it gives a NaN loss.

- without a flag, training goes on (the documented default: no checks, no
  cost) and the loss is nan;
- --check-numerics stops at that step with exit status 1, naming the epoch
  and step, the first tensor that went non-finite and the step (kernel and
  source line) that wrote it, and writes no checkpoint;
- --skip-nonfinite undoes that step, warns once per epoch, counts the skip
  in the metrics JSON, and ends with finite parameters and losses;
- a parameter that is already infinite is named as such;
- in inference, --check-numerics names the step that wrote the first NaN,
  and on clean input gives the same outputs as a plain run.

usage: nonfinite_test.py DLC DLRUN"""

import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

from harness import write_safetensors
from optimizer_test import read_safetensors

MODEL = """model nan_probe
const batch = 4
input x: f32[batch, 3]
input t: f32[batch, 1]
param w: f32[3, 1] = xavier_uniform
let y = sqrt(x) @ w
output y
train {
  loss mse(y, t)
  optimizer sgd(lr = 0.01)
}
"""


def main():
    dlc, dlrun = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="dlc-nonfinite-")
    rng = np.random.default_rng(0)
    x = rng.random((16, 3)).astype(np.float32)
    x[9, 1] = -1.0
    np.save(f"{work}/train-x.npy", x)
    np.save(f"{work}/train-y.npy", rng.random((16, 1)).astype(np.float32))
    np.save(f"{work}/test-x.npy", rng.random((8, 3)).astype(np.float32))
    np.save(f"{work}/test-y.npy", rng.random((8, 1)).astype(np.float32))
    with open(f"{work}/m.dl", "w") as f:
        f.write(MODEL)
    subprocess.run([dlc, f"{work}/m.dl", "--train", "-o", f"{work}/m.dlp"],
                   check=True)
    failures = []

    def expect(name, condition, detail=""):
        print(f"{'ok  ' if condition else 'FAIL'} {name}"
              + (f": {detail}" if detail and not condition else ""))
        if not condition:
            failures.append(name)

    def train(*flags, save=None):
        command = [dlrun, f"{work}/m.dlp", "--device", "cpu", "--train",
                   "--data", work, "--epochs", "2",
                   "--metrics-json", f"{work}/curve.json", *flags]
        if save:
            command += ["--save", save]
        return subprocess.run(command, capture_output=True, text=True)

    plain = train()
    expect("no flag: training goes on with a nan loss",
           plain.returncode == 0 and "train loss nan" in plain.stdout.replace(
               "-nan", "nan"), plain.stdout + plain.stderr)

    stopped = train("--check-numerics", save=f"{work}/stopped.safetensors")
    pattern = (r"dlrun: error: epoch 1, step \d+: the loss is nan; the first "
               r"non-finite value is 'sqrt\.0' element \d+ \(nan\), written "
               r"by step 0 \(elementwise_sqrt at \S*m\.dl:6:9\)")
    expect("--check-numerics stops naming the step and tensor",
           stopped.returncode == 1 and re.search(pattern, stopped.stderr),
           stopped.stderr)
    expect("--check-numerics writes no checkpoint",
           not os.path.exists(f"{work}/stopped.safetensors"))

    skipped = train("--skip-nonfinite", save=f"{work}/skipped.safetensors")
    warnings = re.findall(r"warning: epoch (\d), step \d+: the loss is nan, "
                          r"step skipped; the first non-finite value is "
                          r"'sqrt\.0'", skipped.stderr)
    with open(f"{work}/curve.json") as f:
        curve = json.load(f)
    expect("--skip-nonfinite skips the bad step of each epoch",
           skipped.returncode == 0 and warnings == ["1", "2"] and
           [e.get("skipped_steps") for e in curve] == [1, 1],
           skipped.stderr)
    w = read_safetensors(f"{work}/skipped.safetensors")["w"]
    losses = [e["train_loss"] for e in curve]
    expect("--skip-nonfinite leaves finite parameters and losses",
           np.all(np.isfinite(w)) and np.all(np.isfinite(losses)),
           f"w {w.ravel()}, losses {losses}")

    bad_params = dict(read_safetensors(f"{work}/skipped.safetensors"))
    bad_params["w"] = bad_params["w"].copy()
    bad_params["w"][0, 0] = np.inf
    write_safetensors(f"{work}/inf.safetensors",
                      {k: v for k, v in bad_params.items()
                       if not k.startswith("optimizer")})
    infinite = train("--check-numerics", "--params", f"{work}/inf.safetensors")
    expect("an infinite parameter is named",
           infinite.returncode == 1 and
           "parameter 'w' is not finite (element 0 is inf)" in infinite.stderr,
           infinite.stderr)

    np.save(f"{work}/bad.npy", x[8:12])
    inference = subprocess.run(
        [dlrun, f"{work}/m.dlp", "--device", "cpu", "--input",
         f"x=@{work}/bad.npy", "--check-numerics"],
        capture_output=True, text=True)
    expect("inference --check-numerics names the step",
           inference.returncode == 1 and re.search(
               r"'inference': the first non-finite value is 'sqrt\.0' element "
               r"4 \(nan\), written by step 0 \(elementwise_sqrt at "
               r"\S*m\.dl:6:9\)", inference.stderr), inference.stderr)
    np.save(f"{work}/good.npy", np.abs(x[8:12]))
    outputs = []
    for flags in ([], ["--check-numerics"]):
        out = f"{work}/y{len(flags)}.npy"
        subprocess.run([dlrun, f"{work}/m.dlp", "--device", "cpu", "--input",
                        f"x=@{work}/good.npy", "--output", f"y=@{out}", *flags],
                       check=True, capture_output=True)
        outputs.append(np.load(out))
    expect("inference --check-numerics on clean input gives the plain outputs",
           np.array_equal(outputs[0], outputs[1]))

    both = train("--check-numerics", "--skip-nonfinite")
    expect("the two flags together are refused",
           both.returncode == 1 and "choose one" in both.stderr, both.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

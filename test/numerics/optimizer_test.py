#!/usr/bin/env python3
"""The optimizer updates `dlc --train` emits, against numpy: four training
steps of a linear model with an MSE loss for each optimizer, schedule and
clipping setting, chained through `dlrun --program train --params ...
--save ...` (so optimizer state round-trips through safetensors too).
f64 parameters; the learning rate and step counter are f32 in the graph, so
the check uses rtol 1e-6 and atol 1e-7 (an f32 learning rate is off by up
to 1.5e-8 relative, times the size of the update).

usage: optimizer_test.py DLC DLRUN"""

import math
import os
import subprocess
import sys
import tempfile

import numpy as np

from harness import write_safetensors

rng = np.random.default_rng(5)
STEPS = 4
X = rng.standard_normal((4, 3))
T = rng.standard_normal((4, 2))
W0 = rng.standard_normal((3, 2))
B0 = rng.standard_normal(2)


def attr(values):
    parts = []
    for key, value in sorted(values.items()):
        parts.append(f'{key} = "{value}"' if isinstance(value, str)
                     else f"{key} = {float(value):.17e} : f64")
    return "{" + ", ".join(parts) + "}"


def module(optimizer, schedule, clip):
    train = f'loss = "loss", metrics = [], optimizer = {attr(optimizer)}, schedule = {attr(schedule)}'
    if clip:
        train += f", clip_norm = {float(clip):.17e} : f64"
    return f"""module attributes {{dl.train = {{{train}}}}} {{
  dl.param @w : tensor<3x2xf64> init<zeros>
  dl.param @b : tensor<2xf64> init<zeros>
  func.func @forward(%x: tensor<4x3xf64> {{dl.name = "x"}}, %t: tensor<4x2xf64> {{dl.name = "t"}})
      -> (tensor<f64> {{dl.name = "loss"}}) {{
    %w = dl.load_param @w : tensor<3x2xf64>
    %b = dl.load_param @b : tensor<2xf64>
    %0 = dl.matmul %x, %w : (tensor<4x3xf64>, tensor<3x2xf64>) -> tensor<4x2xf64>
    %1 = dl.add %0, %b : (tensor<4x2xf64>, tensor<2xf64>) -> tensor<4x2xf64>
    %2 = dl.mse %1, %t : (tensor<4x2xf64>, tensor<4x2xf64>) -> tensor<f64>
    return %2 : tensor<f64>
  }}
}}
"""


def learning_rate(optimizer, schedule, t):
    lr = optimizer["lr"]
    if schedule["name"] == "step":
        return lr * schedule["gamma"] ** math.floor((t - 1) / schedule["step_size"])
    if schedule["name"] == "cosine":
        warmup, total = schedule.get("warmup", 0), schedule["total_steps"]
        min_lr = schedule.get("min_lr", 0)
        if warmup and t <= warmup:
            return lr * t / warmup
        progress = min(max((t - warmup) / max(1, total - warmup), 0), 1)
        return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * progress))
    return lr


def reference(optimizer, schedule, clip):
    params = {"w": W0.copy(), "b": B0.copy()}
    state = {k: {"buf": np.zeros_like(v), "m": np.zeros_like(v),
                 "v": np.zeros_like(v)} for k, v in params.items()}
    for t in range(1, STEPS + 1):
        d = 2 * (X @ params["w"] + params["b"] - T) / T.size
        grads = {"w": X.T @ d, "b": d.sum(axis=0)}
        if clip:
            norm = math.sqrt(sum((g ** 2).sum() for g in grads.values()))
            grads = {k: g * min(1, clip / (norm + 1e-6)) for k, g in grads.items()}
        lr = learning_rate(optimizer, schedule, t)
        wd = optimizer.get("weight_decay", 0)
        for k in params:
            p, g, s = params[k], grads[k], state[k]
            name = optimizer["name"]
            if name == "sgd":
                g = g + wd * p
                momentum = optimizer.get("momentum", 0)
                update = g
                if momentum:
                    s["buf"] = momentum * s["buf"] + g
                    update = g + momentum * s["buf"] if optimizer.get("nesterov") else s["buf"]
            else:
                b1, b2, eps = optimizer["beta1"], optimizer["beta2"], optimizer["eps"]
                if name == "adam":
                    g = g + wd * p
                else:
                    p = p - lr * wd * p
                s["m"] = b1 * s["m"] + (1 - b1) * g
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                update = (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)
            params[k] = p - lr * update
    return params


ADAM = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
CASES = [
    ("sgd", {"name": "sgd", "lr": 0.1}, {"name": "constant"}, None),
    ("sgd-momentum-wd", {"name": "sgd", "lr": 0.1, "momentum": 0.9,
                         "weight_decay": 0.01}, {"name": "constant"}, None),
    ("sgd-nesterov", {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": 1},
     {"name": "constant"}, None),
    ("adam", dict(ADAM, name="adam", lr=0.01), {"name": "constant"}, None),
    ("adam-wd", dict(ADAM, name="adam", lr=0.01, weight_decay=0.1),
     {"name": "constant"}, None),
    ("adamw", dict(ADAM, name="adamw", lr=0.01, weight_decay=0.1),
     {"name": "constant"}, None),
    ("sgd-step", {"name": "sgd", "lr": 0.1},
     {"name": "step", "step_size": 2, "gamma": 0.5}, None),
    ("adam-cosine", dict(ADAM, name="adam", lr=0.01),
     {"name": "cosine", "warmup": 1, "total_steps": 4, "min_lr": 0.001}, None),
    ("sgd-clip", {"name": "sgd", "lr": 0.1}, {"name": "constant"}, 0.5),
]


def main():
    dlc, dlrun = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="dlc-optimizer-")
    np.save(os.path.join(work, "x.npy"), X)
    np.save(os.path.join(work, "t.npy"), T)
    failures = []
    for name, optimizer, schedule, clip in CASES:
        base = os.path.join(work, name)
        with open(base + ".mlir", "w") as f:
            f.write(module(optimizer, schedule, clip))
        try:
            subprocess.run([dlc, base + ".mlir", "--train", "-o", base + ".dlp"],
                           check=True, capture_output=True, text=True)
            write_safetensors(f"{base}.0.safetensors", {"w": W0, "b": B0})
            for step in range(STEPS):
                subprocess.run([dlrun, base + ".dlp", "--device", "cpu",
                                "--program", "train",
                                "--input", f"x=@{work}/x.npy",
                                "--input", f"t=@{work}/t.npy",
                                "--params", f"{base}.{step}.safetensors",
                                "--save", f"{base}.{step + 1}.safetensors"],
                               check=True, capture_output=True, text=True)
        except subprocess.CalledProcessError as error:
            failures.append(name)
            print(f"FAIL {name}: {error.stderr}", file=sys.stderr)
            continue
        got = read_safetensors(f"{base}.{STEPS}.safetensors")
        expected = reference(optimizer, schedule, clip)
        for key in ("w", "b"):
            if not np.allclose(got[key], expected[key], rtol=1e-6, atol=1e-7):
                failures.append(name)
                print(f"FAIL {name}: {key}\n{got[key]}\nexpected\n{expected[key]}",
                      file=sys.stderr)
                break
    print(f"optimizer updates against numpy: {len(CASES) - len(failures)} of "
          f"{len(CASES)} cases match after {STEPS} steps")
    return 1 if failures else 0


def read_safetensors(path):
    import json
    with open(path, "rb") as f:
        data = f.read()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = {"F64": np.float64, "F32": np.float32}[entry["dtype"]]
        out[name] = np.frombuffer(data[8 + size + begin:8 + size + end],
                                  dtype=dtype).reshape(entry["shape"])
    return out


if __name__ == "__main__":
    sys.exit(main())

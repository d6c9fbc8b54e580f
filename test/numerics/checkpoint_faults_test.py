#!/usr/bin/env python3
"""Checkpoints survive faults: a kill at any moment, and a full disk.

- A good checkpoint is written first. Then dlrun trains and saves to the
  same path again and again, killed (SIGKILL) after a random delay spread
  over the whole run, the save included. After every kill the file at the
  path must be a whole checkpoint, the old one or the new one, and dlrun
  must resume from it; no temporary file may be left once a run ends on
  its own.
- A full disk (a file-size limit, so writes fail with EFBIG) makes --save
  fail with a message naming the file, exit status 1, and the previous
  checkpoint stays as it was, with no temporary file beside it.

usage: checkpoint_faults_test.py DLC DLRUN EXAMPLES_DIR"""

import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from optimizer_test import read_safetensors


def main():
    dlc, dlrun, examples = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="dlc-faults-")
    plan = os.path.join(work, "mlp.dlp")
    subprocess.run([dlc, os.path.join(examples, "mlp.dl"), "--train", "-o",
                    plan], check=True)
    # NumPy arrays stand in for Fashion-MNIST: the test needs no dataset.
    rng = np.random.default_rng(0)
    for split, n in (("train", 256), ("test", 64)):
        np.save(os.path.join(work, f"{split}-x.npy"),
                rng.random((n, 784), np.float32))
        np.save(os.path.join(work, f"{split}-y.npy"),
                rng.integers(0, 10, n).astype(np.int32))
    ckpt = os.path.join(work, "ckpt.safetensors")
    command = [dlrun, plan, "--device", "cpu", "--train", "--data", work,
               "--epochs", "1", "--save", ckpt]
    failures = []

    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.monotonic() - started
    good = read_safetensors(ckpt)

    def whole(path):
        try:
            tensors = read_safetensors(path)
        except Exception as error:  # noqa: BLE001 - any parse failure
            return f"does not parse: {error}"
        if set(tensors) != set(good):
            return "has other tensors"
        return None

    kills = 0
    random.seed(1)
    for attempt in range(80):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0, duration * 1.2))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        problem = whole(ckpt)
        if problem:
            failures.append(f"after kill {attempt}: the checkpoint {problem}")
            break
    resumed = subprocess.run([dlrun, plan, "--device", "cpu", "--train",
                              "--data", work, "--epochs", "2", "--resume",
                              ckpt], capture_output=True, text=True)
    if resumed.returncode:
        failures.append("resuming after the kills failed: " + resumed.stderr)
    print(f"{'ok  ' if not failures else 'FAIL'} {kills} of 80 runs killed "
          f"at random points (a run takes {duration:.2f} s); the checkpoint "
          f"stayed whole and resumes")

    # A clean run leaves no temporary file; killed ones may leave theirs.
    for name in os.listdir(work):
        if ".tmp" in name:
            os.remove(os.path.join(work, name))
    subprocess.run(command, check=True, capture_output=True)
    leftovers = [n for n in os.listdir(work) if ".tmp" in n]
    if leftovers:
        failures.append(f"a clean run left {leftovers}")

    before = open(ckpt, "rb").read()
    size = len(before)

    def small_disk():
        # Writes past half the checkpoint fail with EFBIG instead of SIGXFSZ.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))

    full = subprocess.run(command, capture_output=True, text=True,
                          preexec_fn=small_disk)
    after = open(ckpt, "rb").read()
    leftovers = [n for n in os.listdir(work) if ".tmp" in n]
    ok = (full.returncode == 1 and "cannot write" in full.stderr and
          ckpt in full.stderr and after == before and not leftovers)
    print(f"{'ok  ' if ok else 'FAIL'} a full disk: exit {full.returncode}, "
          f"the previous checkpoint unchanged, no temporary file left")
    if not ok:
        failures.append("full disk: " + full.stderr.strip() +
                        f" (temporary files: {leftovers})")
    if failures:
        print("\n".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

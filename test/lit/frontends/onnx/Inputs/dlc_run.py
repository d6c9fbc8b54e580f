"""What the importer's checking scripts share: compile an ONNX model with
dlc, run it with dlrun on the CPU backend, and compare with an oracle."""
import os
import subprocess

import numpy as np


def compile_and_run(dlc, dlrun, model_path, work, inputs, outputs):
    """dlc compiles `model_path` into `work`, dlrun runs it on `inputs`
    (name -> array); returns the arrays of `outputs` (names), in order."""
    plan = os.path.join(work, "model.dlp")
    subprocess.run([dlc, model_path, "-o", plan], check=True)
    run = [dlrun, plan, "--device", "cpu"]
    for name, value in inputs.items():
        path = os.path.join(work, f"in.{name}.npy")
        np.save(path, value)
        run += ["--input", f"{name}=@{path}"]
    for name in outputs:
        run += ["--output", f"{name}=@{os.path.join(work, f'out.{name}.npy')}"]
    subprocess.run(run, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return [np.load(os.path.join(work, f"out.{name}.npy")) for name in outputs]


def close(got, want):
    """The suite's tolerance: same shape, within rtol 1e-4 / atol 1e-5."""
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-4,
                                                   atol=1e-5)

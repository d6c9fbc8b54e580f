"""Helpers of scripts/gpu-check.sh: make the plans' inputs, and compare a
device's results with the CPU backend's on the same plans, inputs and
parameters.

  gpu_check.py inputs BUNDLE DLRUN
  gpu_check.py compare BUNDLE DLRUN DEVICE [tf32]

Tolerances: outputs rtol 1e-3 / atol 1e-4 (the CPU backend accumulates in
double, the GPU in float with a different order); parameters after three
training steps the same. With tf32 the device runs --precision tf32 (GEMMs
and the convolutions' own kernels on tensor cores), only the plans with
convolutions, at rtol 5e-2 / atol 1e-2, training by its losses alone:
rounded operands flip a few max-pool and ReLU choices, which moves single
gradient elements a lot (and Adam turns a tiny gradient's sign into a whole
step), the losses little; a wrong operand layout moves everything.
"""
import collections
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np

TRAIN_STEPS = 3
# How the device runs (its dlrun flags), how close it must come, and
# whether parameters after training are compared.
Precision = collections.namedtuple(
    "Precision", "flags rtol atol compare_parameters plans")
PRECISIONS = {
    "fp32": Precision([], 1e-3, 1e-4, True, ()),
    "tf32": Precision(["--precision", "tf32"], 5e-2, 1e-2, False,
                      ("cnn", "lenet")),
}
DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32,
          "i64": np.int64, "bool": np.bool_}
SAFETENSORS = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
               "I64": np.int64, "BOOL": np.bool_}


def programs(dlrun, plan):
    """{program: [(input name, dtype, shape)]} from dlrun --describe."""
    text = subprocess.run([dlrun, plan, "--describe"], check=True,
                          capture_output=True, text=True).stdout
    result, current = {}, None
    for line in text.splitlines():
        m = re.match(r"program '(\w+)'", line)
        if m:
            current = result.setdefault(m.group(1), [])
            continue
        m = re.match(r"\s+input\s+(\S+): \S+ (\w+)\[([\d, ]*)\]", line)
        if m and current is not None:
            shape = [int(d) for d in m.group(3).split(",") if d.strip()]
            current.append((m.group(1), m.group(2), shape))
    return result


def input_path(bundle, plan, program, name):
    return os.path.join(bundle, "inputs", f"{plan}.{program}.{name}.npy")


def make_inputs(bundle, dlrun):
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(bundle, "inputs"), exist_ok=True)
    for plan in sorted(os.listdir(os.path.join(bundle, "plans"))):
        path = os.path.join(bundle, "plans", plan)
        for program, inputs in programs(dlrun, path).items():
            for name, dtype, shape in inputs:
                if dtype.startswith("f"):
                    value = rng.standard_normal(shape).astype(DTYPES[dtype])
                else:
                    # Class labels and token ids: small enough for any model.
                    value = rng.integers(0, 10, shape).astype(DTYPES[dtype])
                np.save(input_path(bundle, plan, program, name), value)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + size + begin:8 + size + end]
        tensors[name] = np.frombuffer(raw, SAFETENSORS[entry["dtype"]]).reshape(
            entry["shape"])
    return tensors


def differs(a, b, p):
    """None when close (within precision `p`), else a description of the
    worst element."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return f"shapes {a.shape} and {b.shape}"
    if a.dtype.kind in "iub":
        bad = np.count_nonzero(a != b)
        return f"{bad} of {a.size} differ" if bad else None
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if np.allclose(a64, b64, rtol=p.rtol, atol=p.atol, equal_nan=True):
        return None
    err = np.abs(a64 - b64)
    i = np.unravel_index(np.nanargmax(err), err.shape)
    return f"max |diff| {err[i]:.3g} at {tuple(int(x) for x in i)} ({a64[i]:.6g} vs {b64[i]:.6g})"


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(" ".join(command) + "\n" + result.stderr)


def compare(bundle, dlrun, device, precision="fp32"):
    p = PRECISIONS[precision]
    work = os.path.join(bundle, "results", precision)
    os.makedirs(work, exist_ok=True)
    failures, checked = [], 0
    plans = sorted(os.listdir(os.path.join(bundle, "plans")))
    if p.plans:
        plans = [plan for plan in plans if plan.startswith(p.plans)]
    for plan in plans:
        path = os.path.join(bundle, "plans", plan)
        for program, inputs in programs(dlrun, path).items():
            feeds = [f"--input={name}=@{input_path(bundle, plan, program, name)}"
                     for name, _, _ in inputs]
            label = f"{plan} {program}"
            try:
                if program == "train":
                    problem = compare_training(work, dlrun, path, plan, feeds,
                                               device, p)
                else:
                    problem = compare_outputs(work, dlrun, path, plan, program,
                                              feeds, device, p)
            except RuntimeError as error:
                problem = str(error)
            checked += 1
            print(f"{'FAIL' if problem else 'ok  '} {label}"
                  + (f": {problem}" if problem else ""), flush=True)
            if problem:
                failures.append(label)
    print(f"{device} ({precision}) vs cpu: {checked - len(failures)} of "
          f"{checked} programs match (rtol {p.rtol:g}, atol {p.atol:g})")
    return 1 if failures else 0


def outputs_of(dlrun, plan, program):
    text = subprocess.run([dlrun, plan, "--describe"], check=True,
                          capture_output=True, text=True).stdout
    names, current = [], None
    for line in text.splitlines():
        m = re.match(r"program '(\w+)'", line)
        if m:
            current = m.group(1)
        m = re.match(r"\s+output\s+(\S+):", line)
        if m and current == program:
            names.append(m.group(1))
    return names


def compare_outputs(work, dlrun, path, plan, program, feeds, device, p):
    results = {}
    names = outputs_of(dlrun, path, program)
    for dev in ("cpu", device):
        outs = [f"--output={name}=@{work}/{plan}.{program}.{dev}.{name}.npy"
                for name in names]
        run([dlrun, path, "--program", program, "--device", dev] + feeds + outs
            + (p.flags if dev != "cpu" else []))
        results[dev] = {name: np.load(f"{work}/{plan}.{program}.{dev}.{name}.npy")
                        for name in names}
    for name in results["cpu"]:
        problem = differs(results[device][name], results["cpu"][name], p)
        if problem:
            return f"output {name}: {problem}"
    return None


def compare_training(work, dlrun, path, plan, feeds, device, p):
    """TRAIN_STEPS chained steps from the initializers on each device; the
    losses of every step and the parameters at the end must agree."""
    losses, params = {}, {}
    for dev in ("cpu", device):
        losses[dev] = []
        previous = None
        for step in range(TRAIN_STEPS):
            save = f"{work}/{plan}.{dev}.step{step}.safetensors"
            loss = f"{work}/{plan}.{dev}.step{step}.loss.npy"
            command = [dlrun, path, "--program", "train", "--device", dev,
                       f"--output=loss=@{loss}", "--save", save] + feeds
            if dev != "cpu":
                command += p.flags
            if previous:
                command += ["--params", previous]
            run(command)
            losses[dev].append(float(np.load(loss)))
            previous = save
        params[dev] = read_safetensors(previous)
    problem = differs(np.array(losses[device]), np.array(losses["cpu"]), p)
    if problem:
        return f"losses {losses[device]} vs {losses['cpu']}"
    for name in params["cpu"] if p.compare_parameters else []:
        problem = differs(params[device][name], params["cpu"][name], p)
        if problem:
            return f"parameter {name} after {TRAIN_STEPS} steps: {problem}"
    return None


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "inputs":
        make_inputs(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) in (5, 6) and sys.argv[1] == "compare":
        return compare(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Runs dl-dialect snippets through dlc and dlrun and compares the outputs
with a numpy reference. Shared by the op and model tests."""

import os
import subprocess
import sys
import glob
import tempfile

import numpy as np

MLIR_TYPES = {
    np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
    np.dtype(np.float16): "f16", np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64", np.dtype(np.bool_): "i1",
}


def tensor_type(array):
    array = np.asarray(array)
    dims = "x".join(str(d) for d in array.shape)
    element = MLIR_TYPES[array.dtype]
    return f"tensor<{dims}x{element}>" if dims else f"tensor<{element}>"


class Runner:
    def __init__(self, dlc, dlrun):
        self.dlc, self.dlrun = dlc, dlrun
        self.failures = []
        self.passed = 0
        self.workdir = tempfile.mkdtemp(prefix="dlc-numerics-")

    def run_module(self, name, module, inputs, expected, **kw):
        """Compiles `module` (dl dialect text), feeds `inputs` (name ->
        array), compares the outputs with `expected` (name -> array)."""
        base = os.path.join(self.workdir, name.replace("/", "_"))
        with open(base + ".mlir", "w") as f:
            f.write(module)
        self.run_model(name, base + ".mlir", inputs, expected, **kw)

    def run_model(self, name, model, inputs, expected, params=None,
                  rtol=None, atol=None, dlc_flags=(), kernel=None):
        """Compiles the model file (.dl or .mlir) and checks its outputs;
        with `kernel`, that the plan has a kernel step of that name (that a
        fusion took place)."""
        base = os.path.join(self.workdir, name.replace("/", "_"))
        compile_cmd = [self.dlc, model, "-o", base + ".dlp", *dlc_flags]
        result = subprocess.run(compile_cmd, capture_output=True, text=True)
        module = ""
        if model.endswith(".mlir"):
            with open(model) as f:
                module = f.read()
        if result.returncode != 0:
            self.fail(name, "dlc failed:\n" + result.stderr + module)
            return
        if kernel:
            described = subprocess.run(
                [self.dlrun, base + ".dlp", "--describe"],
                capture_output=True, text=True).stdout
            if f" = {kernel}(" not in described:
                self.fail(name, f"no {kernel} kernel in the plan:\n"
                          + described + module)
                return
        command = [self.dlrun, base + ".dlp", "--device", "cpu"]
        for key, value in inputs.items():
            path = f"{base}.in.{key}.npy"
            np.save(path, np.require(value, requirements="C"))
            command.append(f"--input={key}=@{path}")
        for key, value in expected.items():
            path = f"{base}.ref.{key}.npy"
            np.save(path, np.require(value, requirements="C"))
            command.append(f"--expected-output={key}=@{path}")
        if params:
            command += ["--params", params]
        if rtol is not None:
            command += ["--rtol", str(rtol)]
        if atol is not None:
            command += ["--atol", str(atol)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            self.fail(name, result.stderr + "\n" + module)
        else:
            self.passed += 1

    def check_cuda_kernels(self, kernel_sim):
        return check_cuda_kernels(self.dlrun, kernel_sim, self.workdir)

    def fail(self, name, message):
        self.failures.append(name)
        print(f"FAIL {name}\n{message}", file=sys.stderr)

    def finish(self, what):
        total = self.passed + len(self.failures)
        print(f"{what}: {self.passed} of {total} cases match")
        if self.failures:
            print("failed: " + ", ".join(self.failures))
            return 1
        return 0


def check_cuda_kernels(dlrun, kernel_sim, workdir):
    """The CUDA kernels of every plan in `workdir`: each compiles with NVRTC
    (dlrun --compile-only, no GPU needed), and all run on the CPU
    (tools/kernel-sim) to the CPU backend's results on the same inputs
    (BASE.in.NAME.npy beside BASE.dlp). Returns 1 on any failure."""
    plans = sorted(glob.glob(os.path.join(workdir, "*.dlp")))
    env = dict(os.environ,
               DLC_KERNEL_CACHE=os.path.join(workdir, "kernel-cache"))
    status = 0
    for plan in plans:
        result = subprocess.run(
            [dlrun, plan, "--compile-only", "--arch", "sm_90"],
            capture_output=True, text=True, env=env)
        if result.returncode != 0:
            print(f"FAIL NVRTC {plan}\n{result.stderr}", file=sys.stderr)
            status = 1
    print(f"NVRTC: the kernels of {len(plans)} plans compile for sm_90")
    status |= simulate_kernels(kernel_sim, plans)
    # Convolutions multiply on TF32 tensor cores under --precision tf32:
    # that variant of their kernels compiles and runs too.
    convolutions = [p for p in plans if "conv" in os.path.basename(p)]
    if convolutions:
        for plan in convolutions:
            result = subprocess.run(
                [dlrun, plan, "--compile-only", "--arch", "sm_90",
                 "--precision", "tf32"], capture_output=True, text=True,
                env=env)
            if result.returncode != 0:
                print(f"FAIL NVRTC tf32 {plan}\n{result.stderr}",
                      file=sys.stderr)
                status = 1
        print(f"NVRTC: the tf32 kernels of {len(convolutions)} convolution "
              "plans compile for sm_90")
        status |= simulate_kernels(kernel_sim, convolutions, ["--tf32"])
    return status


def simulate_kernels(kernel_sim, plans, flags=()):
    """Runs the CUDA kernels of `plans` on the CPU (tools/kernel-sim, one
    compiler run for all, with `flags`) against the CPU backend; prints its
    failures and summary, returns 1 on any failure."""
    result = subprocess.run([kernel_sim, *flags, *plans], capture_output=True,
                            text=True)
    for line in result.stdout.splitlines():
        if line.startswith(("FAIL", "  ", "kernel-sim:")):
            print(line)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    return 0


def entry(inputs, outputs, body):
    """A module whose @forward takes `inputs` (name -> array) and returns
    `outputs` (name -> (ssa value, array)) computed by `body`."""
    args = ", ".join(f'%{k}: {tensor_type(v)} {{dl.name = "{k}"}}'
                     for k, v in inputs.items())
    results = ", ".join(f'{tensor_type(v)} {{dl.name = "{k}"}}'
                        for k, (_, v) in outputs.items())
    values = ", ".join(ssa for ssa, _ in outputs.values())
    types = ", ".join(tensor_type(v) for _, v in outputs.values())
    return (f"func.func @forward({args}) -> ({results}) {{\n{body}\n"
            f"  return {values} : {types}\n}}\n")


SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
                      np.dtype(np.int32): "I32", np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors):
    """The safetensors layout, written by hand so the test needs no extra
    package: 8-byte little-endian header size, JSON header, data."""
    import json
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.require(array, requirements="C").tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[array.dtype],
                        "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)

#!/usr/bin/env python3
"""dlrun against PyTorch on the same GPU, model, initial parameters, data
order, batch size and precision, in one run.

  bench/bench.py prepare [--build DIR] [--bundle DIR]
      Here, where dlc is built: compile examples/{mlp,cnn,gpt}.dl training
      plans at each batch size, write each model's initial parameters (dlrun
      --epochs 0 --save), a text corpus for GPT, Fashion-MNIST and the
      headers the runtime build needs into the bundle (git-ignored; carry it
      to the GPU machine).
  bench/bench.py run [--bundle DIR] [--device cuda] [--epochs N] ...
      On the GPU machine (PyTorch installed, no MLIR, no internet): build
      dlrun with the compiler off (or take --dlrun), then for each workload
      and batch size train with dlrun, PyTorch eager, torch.compile and
      torch.compile(mode="reduce-overhead"), and write
      bench/results/<date>-<gpu>.md and .json.

Per runner: time per training step (the median epoch's seconds over its
steps, after the first epoch, which is warm-up, when there are several),
time per epoch, samples/s (tokens/s for GPT), kernel launches per step
(dlrun: the plan's; PyTorch: CUDA kernels the profiler sees over 3 steps),
peak memory (dlrun: the plan's arenas, allocated once; PyTorch:
max_memory_allocated), start-up (dlrun: process start to the first step
with a cold and a warm kernel cache, and NVRTC for all kernels; torch: the
first step, compilation included), the last epoch's train loss and the
test accuracy (GPT: test loss). Then the ratios to dlrun.

`--device cpu --variants dlrun,eager --limit 2048` runs the whole harness
on a machine without a GPU: a check of the harness, and of the models'
equivalence (same initial parameters and batches give the same losses)."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ("mlp", "cnn", "cnn-gemm", "gpt")
# The DSL model and dlc flags of each workload: cnn-gemm is the CNN with
# its convolutions as im2col and GEMMs (dlc --conv=gemm), to measure which
# is faster on the GPU.
WORKLOAD_MODELS = {"mlp": ("mlp", []), "cnn": ("cnn", []),
                   "cnn-gemm": ("cnn", ["--conv=gemm"]), "gpt": ("gpt", [])}
VARIANTS = ("dlrun", "eager", "compile", "reduce-overhead")
FASHION = "/usr/share/datasets/fashion-mnist"
# Dense fp32 (non-tensor-core) peak of the GPUs we run on, FLOP/s, for
# GPT's model FLOPs utilisation under --precision fp32 (TF32 is 8x this on
# these parts, with sparsity not counted).
FP32_PEAK = {"H100 SXM": 67e12, "H100 PCIe": 51e12, "H100 NVL": 60e12,
             "H200": 67e12, "A100": 19.5e12}


def log(text):
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# prepare (here)
# --------------------------------------------------------------------------

def corpus_text(limit=2 << 20):
    """About 2 MiB of ASCII prose and code from this machine: Python's
    standard library sources (readable text, fewer than 128 distinct bytes),
    for GPT at a realistic number of steps per epoch."""
    import sysconfig
    chunks, size = [], 0
    stdlib = sysconfig.get_paths()["stdlib"]
    for directory, _, files in sorted(os.walk(stdlib)):
        if "test" in directory or "site-packages" in directory:
            continue
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            data = open(os.path.join(directory, name), "rb").read()
            data = bytes(b for b in data if b == 10 or 32 <= b < 127)
            chunks.append(data)
            size += len(data)
            if size >= limit:
                return b"".join(chunks)[:limit]
    return b"".join(chunks)


def write_safetensors(path, tensors, metadata=None):
    kinds = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
             np.dtype(np.int32): "I32", np.dtype(np.int64): "I64"}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": kinds[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def prepare(args):
    sys.path.insert(0, HERE)
    from pipeline import read_safetensors
    build, bundle = args.build, args.bundle
    dlc, dlrun = f"{build}/bin/dlc", f"{build}/bin/dlrun"
    shutil.rmtree(bundle, ignore_errors=True)
    for sub in ("include", "plans", "init", "data"):
        os.makedirs(f"{bundle}/{sub}")
    shutil.copy(f"{build}/runtime/generated/plan_generated.h",
                f"{bundle}/include/")
    shutil.copytree("/usr/include/flatbuffers", f"{bundle}/include/flatbuffers")
    for name in os.listdir(FASHION):
        if name.endswith(".gz"):
            shutil.copy(f"{FASHION}/{name}", f"{bundle}/data/")
    with open(f"{bundle}/data/corpus.txt", "wb") as f:
        f.write(corpus_text())
    for workload in WORKLOADS:
        model, flags = WORKLOAD_MODELS[workload]
        for batch in args.batches:
            plan = f"{bundle}/plans/{workload}-{batch}.dlp"
            subprocess.run([dlc, f"{ROOT}/examples/{model}.dl", "--train",
                            "--batch", str(batch), *flags, "-o", plan],
                           check=True)
        if workload != model:
            continue
        # The initial parameters (the same at every batch size), without
        # the optimizer's zeros.
        state = f"{bundle}/init/{model}.full.safetensors"
        subprocess.run([dlrun, f"{bundle}/plans/{model}-{args.batches[0]}.dlp",
                        "--train", "--epochs", "0", "--save", state,
                        "--device", "cpu"], check=True, capture_output=True)
        params = {k: v for k, v in read_safetensors(state).items()
                  if not k.startswith("optimizer.") and
                  not re.search(r"\.(m|v|momentum)$", k)}
        write_safetensors(f"{bundle}/init/{model}.safetensors", params)
        os.remove(state)
    with open(f"{bundle}/bundle.json", "w") as f:
        json.dump({"batches": args.batches, "made": str(datetime.date.today())}, f)
    if args.onnx:
        prepare_onnx(args)
    log(f"bench bundle in {bundle}: "
        + subprocess.run(["du", "-sh", bundle], capture_output=True,
                         text=True).stdout.split()[0])


INFERENCE_BATCHES = (1, 64)


def prepare_onnx(args):
    """ResNet-18 for the inference benchmark, in its own bundle (the
    parameters are 45 MB): exported to ONNX by PyTorch here, compiled at each
    batch size with the parameters in one safetensors file beside the plans.
    The inputs are made where the benchmark runs."""
    import warnings
    import torch
    from models import resnet18_for_inference
    out = args.onnx_bundle
    # The ONNX file (for onnxruntime there) goes beside, to be carried on
    # its own: with the parameters it would pass the 64 MiB a carry takes.
    model_dir = out + "-model"
    for directory in (out, model_dir):
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
    model = resnet18_for_inference()
    onnx_path = f"{model_dir}/resnet18.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), onnx_path,
                          input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
                          opset_version=17, dynamo=False)
    for batch in INFERENCE_BATCHES:
        subprocess.run([f"{args.build}/bin/dlc", onnx_path, "--batch", str(batch),
                        "--external-params", f"{out}/resnet18.safetensors",
                        "-o", f"{out}/resnet18-{batch}.dlp"], check=True)
    log(f"inference bundle in {out}: "
        + subprocess.run(["du", "-sh", out], capture_output=True,
                         text=True).stdout.split()[0])


# --------------------------------------------------------------------------
# run (on the GPU machine)
# --------------------------------------------------------------------------

def build_runtime(bundle):
    subprocess.run(["cmake", "-S", ROOT, "-B", f"{ROOT}/build-bench", "-G",
                    "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DDLC_BUILD_COMPILER=OFF", "-DDLC_BUILD_TESTS=OFF",
                    f"-DDLC_PLAN_GENERATED_DIR={bundle}/include",
                    f"-DDLC_FLATBUFFERS_INCLUDE={bundle}/include"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", f"{ROOT}/build-bench"], check=True,
                   stdout=subprocess.DEVNULL)
    return f"{ROOT}/build-bench/bin/dlrun"


def plan_facts(dlrun, plan):
    """Launches and FLOPs per training step, and the arenas' bytes, from
    dlrun --describe."""
    text = subprocess.run([dlrun, plan, "--describe"], check=True,
                          capture_output=True, text=True).stdout
    facts = {"arena_bytes": 0}
    units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for line in text.splitlines():
        m = re.match(r"program 'train': (\d+) steps, (\d+) launches, ([\d.]+) "
                     r"(k|M|G|T)?FLOP", line)
        if m:
            scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, None: 1}[m.group(4)]
            facts["launches"] = int(m.group(2))
            facts["flops"] = float(m.group(3)) * scale
        m = re.match(r"\s+(activations|parameters|constants)\s+([\d.]+) "
                     r"(B|KiB|MiB|GiB)", line)
        if m:
            facts["arena_bytes"] += float(m.group(2)) * units[m.group(3)]
    return facts


def data_flags(bundle, model, limit):
    flags = (["--corpus", f"{bundle}/data/corpus.txt"] if model == "gpt"
             else ["--data", f"{bundle}/data"])  # model: the DSL model's name
    return flags + (["--limit", str(limit)] if limit else [])


def run_dlrun(args, dlrun, workload, batch, steps):
    bundle = args.bundle
    model = WORKLOAD_MODELS[workload][0]
    plan = f"{bundle}/plans/{workload}-{batch}.dlp"
    facts = plan_facts(dlrun, plan)
    result = {"launches_per_step": facts["launches"],
              "peak_bytes": facts["arena_bytes"], "flops_per_step": facts["flops"]}
    base = [dlrun, plan, "--train", "--device", args.device,
            "--precision", args.precision]
    cache = tempfile.mkdtemp(prefix="dlc-bench-cache-")
    try:
        if args.device == "cuda":
            # NVRTC for every kernel, nothing cached.
            out = subprocess.run([dlrun, plan, "--compile-only",
                                  "--no-kernel-cache"], check=True,
                                 capture_output=True, text=True).stdout
            result["nvrtc_seconds"] = float(re.search(r"in ([\d.]+) s", out).group(1))
        ready = []
        # A short run with the cache cold, then the measured run with it warm.
        for epochs, limit in ((1, 2 * batch), (args.epochs, args.limit)):
            metrics = os.path.join(cache, "metrics.json")
            run = subprocess.run(base + ["--epochs", str(epochs),
                                         "--kernel-cache", cache,
                                         "--metrics-json", metrics]
                                 + data_flags(bundle, model, limit),
                                 capture_output=True, text=True)
            if run.returncode:
                raise RuntimeError(f"dlrun failed on {plan}:\n{run.stderr}")
            ready.append(float(re.search(r"ready in ([\d.]+) s", run.stderr).group(1)))
        result["startup_cold_seconds"], result["startup_warm_seconds"] = ready
        epochs = json.load(open(metrics))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    seconds = [e["seconds"] for e in epochs]
    timed = seconds[1:] if len(seconds) > 1 else seconds
    result["epoch_seconds"] = statistics.median(timed)
    result["step_seconds"] = result["epoch_seconds"] / steps
    result["train_loss"] = epochs[-1]["train_loss"]
    result["test_accuracy"] = epochs[-1].get("test_accuracy")
    result["test_loss"] = epochs[-1].get("test_loss")
    result["epochs"] = epochs
    return result


def load_data(args, model):
    from pipeline import fashion_mnist, text_windows
    bundle = args.bundle
    if model == "gpt":
        train = text_windows(f"{bundle}/data/corpus.txt", 64, "train")
        test = text_windows(f"{bundle}/data/corpus.txt", 64, "test")
    else:
        train = fashion_mnist(f"{bundle}/data", "train")
        test = fashion_mnist(f"{bundle}/data", "test")
        if model == "cnn":
            train = (train[0].reshape(-1, 1, 28, 28), train[1])
            test = (test[0].reshape(-1, 1, 28, 28), test[1])
        else:
            train = (train[0].reshape(-1, 784), train[1])
            test = (test[0].reshape(-1, 784), test[1])
    if args.limit:
        train = tuple(a[:args.limit] for a in train)
        test = tuple(a[:args.limit] for a in test)
    return train, test


def run_torch(args, variant, model_name, batch, data):
    import torch
    import torch.nn.functional as F
    from models import MODELS, Trainer, load_dlc_state
    from pipeline import epoch_order
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    # Strict fp32 unless --precision tf32, as dlrun's GEMMs.
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(0)
    model = MODELS[model_name]().to(device)
    load_dlc_state(model, f"{args.bundle}/init/{model_name}.safetensors")
    model.to(device)
    trainer = Trainer(model, model_name)
    forward = model
    if variant != "eager":
        torch._dynamo.reset()
        forward = torch.compile(model, mode=None if variant == "compile"
                                else "reduce-overhead")
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = (torch.from_numpy(a).to(device) for a in (x_train, y_train))
    x_test, y_test = (torch.from_numpy(a).to(device) for a in (x_test, y_test))
    n = len(x_train)
    steps = n // batch

    def step(x, y):
        logits = forward(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                               y.reshape(-1))
        loss.backward()
        trainer.step()
        return loss.detach()

    def sync():
        if cuda:
            torch.cuda.synchronize()

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    result, epoch_seconds, first_step = {}, [], None
    for epoch in range(1, args.epochs + 1):
        # dlrun's order for (seed 0, epoch), computed before the clock starts.
        order = torch.from_numpy(epoch_order(n, 0, epoch)).to(device)
        sync()
        start = time.perf_counter()
        total = torch.zeros((), device=device)
        for s in range(steps):
            index = order[s * batch:(s + 1) * batch]
            total += step(x_train[index], y_train[index])
            if first_step is None:
                sync()
                first_step = time.perf_counter() - start
        sync()
        epoch_seconds.append(time.perf_counter() - start)
        result["train_loss"] = float(total) / steps
    timed = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    result["epoch_seconds"] = statistics.median(timed)
    result["step_seconds"] = result["epoch_seconds"] / steps
    result["startup_warm_seconds"] = first_step
    result["epoch_seconds_all"] = epoch_seconds
    if cuda:
        result["peak_bytes"] = torch.cuda.max_memory_allocated()
        result["launches_per_step"] = count_launches(step, x_train, y_train,
                                                     batch)
    # The test set in batches, the last one partial.
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for begin in range(0, len(x_test), batch):
            logits = model(x_test[begin:begin + batch])
            y = y_test[begin:begin + batch]
            flat = logits.reshape(-1, logits.shape[-1])
            loss_sum += float(F.cross_entropy(flat, y.reshape(-1),
                                              reduction="sum"))
            correct += int((flat.argmax(1) == y.reshape(-1)).sum())
    count = y_test.numel()
    result["test_loss"] = loss_sum / count
    if model_name != "gpt":
        result["test_accuracy"] = correct / count
    return result


def count_launches(step, x, y, batch, steps=3):
    """CUDA kernels per training step, from the profiler (copies and sets of
    memory are not kernels)."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for s in range(steps):
            step(x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch])
        torch.cuda.synchronize()
    kernels = [e for e in prof.events()
               if e.device_type == torch.autograd.DeviceType.CUDA
               and not e.name.startswith(("Memcpy", "Memset"))]
    return len(kernels) / steps


def time_calls(call, repeat, sync):
    """(first call's seconds, median seconds of `repeat` calls after two
    more warm-up calls)."""
    sync()
    start = time.perf_counter()
    call()
    sync()
    first = time.perf_counter() - start
    for _ in range(2):
        call()
    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        call()
        sync()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def run_inference(args, dlrun):
    """ResNet-18 at each inference batch size: dlrun, PyTorch eager and
    compiled, and onnxruntime where its CUDA provider is there; dlrun's
    output checked against PyTorch's."""
    import torch
    from models import resnet18_for_inference
    out = os.path.abspath(args.onnx_bundle)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    tf32 = args.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    model = resnet18_for_inference().to(device)
    entries = []
    for batch in INFERENCE_BATCHES:
        entry = {"model": "resnet18", "batch": batch, "runs": {}}
        x = np.random.default_rng(batch).standard_normal(
            (batch, 3, 224, 224)).astype(np.float32)
        xt = torch.from_numpy(x).to(device)
        with torch.no_grad():
            reference = model(xt).cpu().numpy()
        with tempfile.TemporaryDirectory() as tmp:
            np.save(f"{tmp}/x.npy", x)
            run = subprocess.run(
                [dlrun, f"{out}/resnet18-{batch}.dlp", "--params",
                 f"{out}/resnet18.safetensors", "--input", f"x=@{tmp}/x.npy",
                 "--output", f"logits=@{tmp}/y.npy", "--repeat", str(args.repeat),
                 "--device", args.device, "--precision", args.precision],
                capture_output=True, text=True)
            if run.returncode:
                entry["runs"]["dlrun"] = {"error": run.stderr.strip()[-300:]}
            else:
                got = np.load(f"{tmp}/y.npy")
                entry["runs"]["dlrun"] = {
                    "latency_seconds": float(re.search(
                        r"median ([\d.]+) ms", run.stderr).group(1)) / 1e3,
                    "startup_warm_seconds": float(re.search(
                        r"ready in ([\d.]+) s", run.stderr).group(1))}
                entry["max_relative_difference"] = float(
                    np.abs(got - reference).max() / max(1.0, np.abs(reference).max()))
        for variant in [v for v in args.variants if v != "dlrun"]:
            forward = model
            if variant != "eager":
                torch._dynamo.reset()
                forward = torch.compile(model, mode=None if variant == "compile"
                                        else "reduce-overhead")
            try:
                with torch.no_grad():
                    first, median = time_calls(lambda: forward(xt), args.repeat, sync)
                entry["runs"][variant] = {"latency_seconds": median,
                                          "startup_warm_seconds": first}
            except Exception as error:
                entry["runs"][variant] = {"error": str(error)[-300:]}
        onnx_path = f"{out}-model/resnet18.onnx"
        try:
            import onnxruntime
            providers = onnxruntime.get_available_providers()
            wanted = "CUDAExecutionProvider" if cuda else "CPUExecutionProvider"
            if os.path.exists(onnx_path) and wanted in providers:
                session = onnxruntime.InferenceSession(onnx_path, providers=[wanted])
                first, median = time_calls(
                    lambda: session.run(None, {"x": x}), args.repeat, lambda: None)
                entry["runs"]["onnxruntime"] = {"latency_seconds": median,
                                                "startup_warm_seconds": first}
        except ImportError:
            pass
        for variant, r in entry["runs"].items():
            log(f"== resnet18, batch {batch}: {variant}: "
                + (f"{r['latency_seconds'] * 1e3:.3f} ms" if "latency_seconds" in r
                   else r["error"][:200]))
        entries.append(entry)
    return entries


def inference_table(entries):
    lines = ["## ResNet-18 inference (ONNX)", "",
             "| batch | runner | latency (ms) | images/s | first call (s) |",
             "| --- | --- | --- | --- | --- |"]
    notes = []
    for entry in entries:
        for variant, r in entry["runs"].items():
            if "error" in r:
                lines.append(f"| {entry['batch']} | {variant} | failed: "
                             f"{r['error'][:60]} | | |")
                continue
            lines.append(f"| {entry['batch']} | {variant} | "
                         f"{r['latency_seconds'] * 1e3:.3f} | "
                         f"{entry['batch'] / r['latency_seconds']:,.0f} | "
                         f"{r['startup_warm_seconds']:.2f} |")
        ours = entry["runs"].get("dlrun", {})
        if "latency_seconds" in ours:
            ratios = [f"{v} {r['latency_seconds'] / ours['latency_seconds']:.2f}x"
                      for v, r in entry["runs"].items()
                      if v != "dlrun" and "latency_seconds" in r]
            notes.append(f"Batch {entry['batch']}: dlrun's speed-up: "
                         + ", ".join(ratios) + "; largest difference from "
                         f"PyTorch {entry.get('max_relative_difference', float('nan')):.2e} "
                         "of the largest logit.")
    return "\n".join(lines + [""] + notes)


def gpu_name(device):
    if device != "cuda":
        return platform.processor() or "cpu"
    import torch
    return torch.cuda.get_device_name(0)


def fp32_peak(name):
    for key, peak in FP32_PEAK.items():
        if all(part in name for part in key.split()):
            return peak
    return None


def table(results, gpu):
    lines = [f"# dlrun against PyTorch on {gpu}", "",
             f"{datetime.datetime.now():%Y-%m-%d %H:%M}, "
             f"{results['settings']['epochs']} epoch(s) per run, "
             f"precision {results['settings']['precision']}, "
             f"torch {results['settings'].get('torch', '?')}.", ""]
    head = ("| workload | batch | runner | step (ms) | epoch (s) | throughput | "
            "launches/step | peak memory (MiB) | start-up (s) | train loss | test |")
    for entry in results["workloads"]:
        lines += [f"## {entry['model']}, batch {entry['batch']}", "", head,
                  "|" + " --- |" * 11]
        unit = "tokens/s" if entry["model"] == "gpt" else "samples/s"
        for variant, r in entry["runs"].items():
            if "error" in r:
                lines.append(f"| {entry['model']} | {entry['batch']} | {variant} "
                             f"| failed: {r['error'][:60]} |" + " |" * 7)
                continue
            per_step = entry["batch"] * (64 if entry["model"] == "gpt" else 1)
            start = r.get("startup_warm_seconds")
            if "startup_cold_seconds" in r:
                start = f"{r['startup_cold_seconds']:.2f} cold, {start:.2f} warm"
            elif start is not None:
                start = f"{start:.2f} (first step)"
            test = (f"acc {r['test_accuracy']:.4f}" if r.get("test_accuracy") is not None
                    else f"loss {r['test_loss']:.4f}")
            peak = r.get("peak_bytes")
            peak = f"{peak / 2**20:.1f}" if peak is not None else "-"
            launches = r.get("launches_per_step")
            launches = f"{launches:g}" if launches is not None else "-"
            lines.append(
                f"| {entry['model']} | {entry['batch']} | {variant} | "
                f"{r['step_seconds'] * 1e3:.3f} | {r['epoch_seconds']:.3f} | "
                f"{per_step / r['step_seconds']:,.0f} {unit} | {launches} | "
                f"{peak} | {start} | {r['train_loss']:.4f} | {test} |")
        ours = entry["runs"].get("dlrun")
        # A workload compiled another way (cnn-gemm) is compared with the
        # PyTorch runs of its model at the same batch size.
        model = WORKLOAD_MODELS.get(entry["model"], (entry["model"],))[0]
        others = next((e["runs"] for e in results["workloads"]
                       if e["model"] == model and e["batch"] == entry["batch"]),
                      entry["runs"])
        if ours and "error" not in ours:
            ratios = []
            for variant, r in others.items():
                if variant != "dlrun" and "error" not in r:
                    ratios.append(f"{variant} {r['step_seconds'] / ours['step_seconds']:.2f}x")
            if ratios:
                lines += ["", "dlrun's speed-up per step: " + ", ".join(ratios) + "."]
            if entry.get("mfu") is not None:
                lines += [f"GPT model FLOPs utilisation (dlrun, fp32 peak): "
                          f"{entry['mfu'] * 100:.1f}%."]
        lines.append("")
    return "\n".join(lines)


def run(args):
    sys.path.insert(0, HERE)
    bundle = args.bundle = os.path.abspath(args.bundle)
    dlrun = args.dlrun or build_runtime(bundle)
    import torch
    gpu = gpu_name(args.device)
    results = {"gpu": gpu, "settings": {
        "epochs": args.epochs, "precision": args.precision, "device": args.device,
        "limit": args.limit, "torch": torch.__version__,
        "variants": args.variants}, "workloads": []}
    for workload in args.workloads:
        model = WORKLOAD_MODELS[workload][0]
        data = load_data(args, model)
        for batch in args.batches:
            steps = len(data[0][0]) // batch
            entry = {"model": workload, "batch": batch, "steps_per_epoch": steps,
                     "runs": {}}
            # PyTorch's runs do not depend on how dlc compiled the model.
            variants = ["dlrun"] if workload != model else args.variants
            for variant in [v for v in variants if v in args.variants]:
                log(f"== {workload}, batch {batch}: {variant}")
                try:
                    if variant == "dlrun":
                        r = run_dlrun(args, dlrun, workload, batch, steps)
                    else:
                        r = run_torch(args, variant, model, batch, data)
                except Exception as error:  # one failure must not end the run
                    r = {"error": str(error)}
                    log(f"   failed: {error}")
                else:
                    log(f"   {r['step_seconds'] * 1e3:.3f} ms/step, train loss "
                        f"{r['train_loss']:.4f}")
                entry["runs"][variant] = r
            ours = entry["runs"].get("dlrun", {})
            peak = fp32_peak(gpu)
            if model == "gpt" and "flops_per_step" in ours and peak:
                entry["mfu"] = ours["flops_per_step"] / ours["step_seconds"] / peak
            results["workloads"].append(entry)
    if "resnet18" in args.inference:
        if os.path.isdir(args.onnx_bundle):
            results["inference"] = run_inference(args, dlrun)
        else:
            log(f"no {args.onnx_bundle}: skipping ResNet-18 (bench.py prepare --onnx)")
    os.makedirs(args.out, exist_ok=True)
    stem = f"{datetime.date.today()}-{re.sub(r'[^A-Za-z0-9]+', '-', gpu).strip('-')}"
    if args.tag:
        stem += "-" + re.sub(r"[^A-Za-z0-9]+", "-", args.tag).strip("-")
    with open(f"{args.out}/{stem}.json", "w") as f:
        json.dump(results, f, indent=1)
    text = table(results, gpu)
    if results.get("inference"):
        text += "\n" + inference_table(results["inference"]) + "\n"
    with open(f"{args.out}/{stem}.md", "w") as f:
        f.write(text)
    print(text)
    log(f"wrote {args.out}/{stem}.md and .json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--build", default=f"{ROOT}/build")
    p.add_argument("--bundle", default=f"{ROOT}/bench-bundle")
    p.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")],
                   default=[64, 512])
    p.add_argument("--onnx", action="store_true",
                   help="also export and compile ResNet-18 (needs torch here)")
    p.add_argument("--onnx-bundle", default=f"{ROOT}/bench-onnx")
    r = sub.add_parser("run")
    r.add_argument("--bundle", default=f"{ROOT}/bench-bundle")
    r.add_argument("--dlrun", help="a built dlrun (default: build one)")
    r.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    r.add_argument("--precision", default="fp32", choices=("fp32", "tf32"))
    r.add_argument("--epochs", type=int, default=3)
    r.add_argument("--limit", type=int, default=0,
                   help="use only the first N training and test samples")
    r.add_argument("--workloads", type=lambda s: [w for w in s.split(",") if w],
                   default=list(WORKLOADS), help="training workloads ('' for none)")
    r.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")],
                   default=[64, 512])
    r.add_argument("--variants", type=lambda s: s.split(","),
                   default=list(VARIANTS))
    r.add_argument("--out", default=f"{HERE}/results")
    r.add_argument("--tag", default="",
                   help="added to the results' file name (a partial run)")
    r.add_argument("--onnx-bundle", default=f"{ROOT}/bench-onnx")
    r.add_argument("--inference", type=lambda s: [w for w in s.split(",") if w],
                   default=["resnet18"], help="inference workloads ('' for none)")
    r.add_argument("--repeat", type=int, default=50,
                   help="timed calls per inference measurement")
    args = parser.parse_args()
    for name in getattr(args, "variants", []):
        if name not in VARIANTS:
            parser.error(f"unknown variant '{name}' (variants: {', '.join(VARIANTS)})")
    for name in getattr(args, "workloads", []):
        if name not in WORKLOADS:
            parser.error(f"unknown workload '{name}' (workloads: {', '.join(WORKLOADS)})")
    prepare(args) if args.mode == "prepare" else run(args)


if __name__ == "__main__":
    main()

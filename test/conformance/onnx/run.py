#!/usr/bin/env python3
"""Runs the ONNX backend node tests through dlc and dlrun (CPU backend).

Every test directory of the onnx package's backend test data holds a
model.onnx with one (or a few) nodes and test_data_set_*/ with input_*.pb and
output_*.pb. For each: dlc imports and compiles the model, dlrun runs it on
the CPU, and the outputs are compared with the expected ones at the suite's
tolerances (rtol 1e-3, atol 1e-7). Inputs the importer needs at compile time
(a Reshape's target, a Slice's bounds) are given to dlc with --input-value
when it asks for them.

Expected failures are data: expected_failures.json maps a test to the reason
it fails. The run fails on a failure not listed there and on a listed test
that passes; --regenerate rewrites the list from this run.

  run.py --dlc build/bin/dlc --dlrun build/bin/dlrun [--regenerate]
         [--filter REGEX] [--log FILE] [--results FILE] [--cuda-arch sm_90]
"""

import argparse
import glob
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "numerics"))
from harness import simulate_kernels  # noqa: E402
EXPECTED = os.path.join(HERE, "expected_failures.json")
RTOL, ATOL = 1e-3, 1e-7
TIMEOUT_S = 120


def node_tests():
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test",
                        "data", "node")
    return root, sorted(os.listdir(root))


def first_line(text, limit=200):
    """The line of a tool's stderr that says what went wrong."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        # The importer lists its problems under a header line.
        if line.endswith(("problem):", "problems):")) and i + 1 < len(lines):
            return lines[i + 1].strip()[:limit]
        if "error" in line:
            return line.strip()[:limit]
    for line in lines:
        line = line.strip()
        if line and not line.endswith("problems):") and \
                not line.endswith("problem):"):
            return line[:limit]
    return text.strip()[:limit]


def read_tensor(path):
    proto = onnx.TensorProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return numpy_helper.to_array(proto)


def compare(actual, expected):
    """None when they match, else why not."""
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if expected.dtype.kind in "fc":
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        same_nan = np.isnan(a) == np.isnan(e)
        close = np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
        bad = ~(close & same_nan)
    else:
        bad = actual != expected
    if bad.any():
        i = np.unravel_index(np.argmax(bad), bad.shape) if bad.shape else ()
        return (f"{int(bad.sum())} of {bad.size} elements differ, first at "
                f"{list(i)}: {actual[i]!r} vs expected {expected[i]!r}")
    return None


def run_test(name, model, root, args, work):
    """(status, reason, log) with status 'pass', 'fail' or 'crash'."""
    test_dir = os.path.join(root, name)
    model_path = os.path.join(test_dir, "model.onnx")
    log = []
    initializers = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in initializers]
    outputs = [o.name for o in model.graph.output]
    data_dir = os.path.join(test_dir, "test_data_set_0")
    input_files = {}
    for i, input_name in enumerate(inputs):
        pb = os.path.join(data_dir, f"input_{i}.pb")
        if os.path.exists(pb):
            input_files[input_name] = pb

    tmp = os.path.join(work, name)
    os.makedirs(tmp, exist_ok=True)
    plan = os.path.join(tmp, "model.dlp")
    bound = []
    for _ in range(6):
        cmd = [args.dlc, model_path, "-o", plan]
        for b in bound:
            cmd += ["--input-value", f"{b}={input_files[b]}"]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
        log.append("$ " + " ".join(cmd) + "\n" + proc.stderr)
        if proc.returncode == 0:
            break
        # Several nodes may ask for the same input: bind it once.
        wanted = list(dict.fromkeys(
            n for n in re.findall(r"--input-value (\S+)=FILE", proc.stderr)
            if n in input_files and n not in bound))
        if proc.returncode < 0:
            return "crash", f"import: dlc crashed (signal {-proc.returncode})", log
        if not wanted:
            return "fail", "import: " + first_line(proc.stderr), log
        bound += wanted
    else:
        return "fail", "import: " + first_line(proc.stderr), log

    cmd = [args.dlrun, plan, "--device", "cpu"]
    for input_name in inputs:
        if input_name in bound:
            continue
        if input_name not in input_files:
            return "fail", f"no test data for input '{input_name}'", log
        npy = os.path.join(tmp, f"in{len(cmd)}.npy")
        array = read_tensor(input_files[input_name])
        if not isinstance(array, np.ndarray):
            return "fail", f"input '{input_name}' is not a tensor", log
        np.save(npy, array)
        cmd += ["--input", f"{input_name}=@{npy}"]
    out_files = []
    for i, output_name in enumerate(outputs):
        npy = os.path.join(tmp, f"out{i}.npy")
        out_files.append(npy)
        cmd += ["--output", f"{output_name}=@{npy}"]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    log.append("$ " + " ".join(cmd) + "\n" + proc.stderr)
    if proc.returncode < 0:
        return "crash", f"run: dlrun crashed (signal {-proc.returncode})", log
    if proc.returncode != 0:
        return "fail", "run: " + first_line(proc.stderr), log
    for i, output_name in enumerate(outputs):
        expected = read_tensor(os.path.join(data_dir, f"output_{i}.pb"))
        actual = np.load(out_files[i])
        why = compare(actual, np.asarray(expected))
        if why:
            return "fail", f"output '{output_name}': {why}", log
    if args.cuda_arch:
        # Every kernel of the plan must also compile for the GPU (no GPU
        # needed: NVRTC only).
        cmd = [args.dlrun, plan, "--compile-only", "--arch", args.cuda_arch,
               "--kernel-cache", args.kernel_cache]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
        log.append("$ " + " ".join(cmd) + "\n" + proc.stderr)
        if proc.returncode != 0:
            return "crash" if proc.returncode < 0 else "fail", \
                "cuda: " + first_line(proc.stderr), log
    if args.kernel_sim and all(SIMPLE_NAME.fullmatch(n) for n in inputs):
        # Kept for kernel-sim, which runs them all at the end: the plan and
        # its inputs named as it looks for them.
        sim_dir = os.path.join(work, "kernel-sim")
        shutil.copy(plan, os.path.join(sim_dir, f"{name}.dlp"))
        for input_name in inputs:
            if input_name not in bound:
                np.save(os.path.join(sim_dir, f"{name}.in.{input_name}.npy"),
                        read_tensor(input_files[input_name]))
    return "pass", "", log


# Input names that can be part of a file name.
SIMPLE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def op_of(name, model_ops):
    """The op a test exercises: its node's type, or the base test's op for
    the function-expanded variants."""
    base = re.sub(r"_expanded.*$", "", name)
    if base in model_ops and len(model_ops[base]) == 1:
        return model_ops[base][0]
    ops = model_ops[name]
    return ops[0] if len(set(ops)) == 1 else "(composite)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dlc", required=True)
    parser.add_argument("--dlrun", required=True)
    parser.add_argument("--filter", default="", help="only tests matching")
    parser.add_argument("--regenerate", action="store_true",
                        help="rewrite expected_failures.json from this run")
    parser.add_argument("--log", default="build/onnx-conformance.log")
    parser.add_argument("--results", default="build/onnx-conformance.json",
                        help="per-test results as JSON (for docs/onnx.md)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--cuda-arch", default="",
                        help="also compile each passing plan's CUDA kernels "
                             "for this arch with NVRTC (e.g. sm_90)")
    parser.add_argument("--kernel-cache", default="build/onnx-kernel-cache")
    parser.add_argument("--kernel-sim", default="",
                        help="also run every passing test's CUDA kernels on "
                             "the CPU with this kernel-sim and compare them "
                             "with the CPU backend")
    args = parser.parse_args()

    root, tests = node_tests()
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t)]
    with open(EXPECTED) as f:
        expected = json.load(f)

    models = {t: onnx.load(os.path.join(root, t, "model.onnx"),
                           load_external_data=False) for t in tests}
    model_ops = {t: [n.op_type for n in m.graph.node]
                 for t, m in models.items()}

    work = tempfile.mkdtemp(prefix="dlc-onnx-conformance-")
    os.makedirs(os.path.join(work, "kernel-sim"))
    results = {}
    sim_failed = False
    start = time.time()
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(run_test, t, models[t], root, args, work): t
                       for t in tests}
            for future in concurrent.futures.as_completed(futures):
                t = futures[future]
                try:
                    results[t] = future.result()
                except subprocess.TimeoutExpired:
                    results[t] = ("fail", f"timed out after {TIMEOUT_S} s", [])
                except Exception as e:  # a test's data we cannot read
                    results[t] = ("fail", f"runner: {type(e).__name__}: {e}",
                                  [])
                shutil.rmtree(os.path.join(work, t), ignore_errors=True)
        if args.kernel_sim:
            plans = sorted(glob.glob(os.path.join(work, "kernel-sim", "*.dlp")))
            sim_failed = simulate_kernels(args.kernel_sim, plans) != 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.time() - start

    passed = [t for t in tests if results[t][0] == "pass"]
    failed = [t for t in tests if results[t][0] != "pass"]
    # A crash is never an acceptable result, listed or not.
    unexpected_failures = [t for t in failed
                           if t not in expected or results[t][0] == "crash"]
    unexpected_passes = [t for t in passed if t in expected]

    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    with open(args.log, "w") as log:
        for t in tests:
            status, reason, lines = results[t]
            log.write(f"=== {t}: {status.upper()}"
                      f"{' (expected)' if t in expected and status == 'fail' else ''}"
                      f"{': ' + reason if reason else ''}\n")
            for line in lines:
                log.write(line.rstrip() + "\n")
    with open(args.results, "w") as f:
        json.dump({t: {"status": results[t][0], "reason": results[t][1],
                       "op": op_of(t, model_ops)} for t in tests},
                  f, indent=1, sort_keys=True)

    if args.regenerate:
        if args.filter:
            kept = {t: r for t, r in expected.items() if t not in results}
        else:
            kept = {}
        kept.update({t: results[t][1] for t in failed
                     if results[t][0] != "crash"})
        with open(EXPECTED, "w") as f:
            json.dump(dict(sorted(kept.items())), f, indent=1)
            f.write("\n")
        print(f"wrote {len(kept)} expected failures to {EXPECTED}")

    total = len(tests)
    print(f"ONNX backend node tests (onnx {onnx.__version__}): "
          f"{len(passed)} passed, {len(failed)} failed, 0 skipped "
          f"of {total} ({100.0 * len(passed) / max(total, 1):.1f}% pass; "
          f"{len(failed) - len(unexpected_failures)} failures expected) "
          f"in {elapsed:.0f} s; log: {args.log}")
    if args.regenerate:
        return 0
    for t in unexpected_failures:
        print(f"UNEXPECTED FAILURE {t}: {results[t][1]}")
    for t in unexpected_passes:
        print(f"UNEXPECTED PASS {t} (remove it from expected_failures.json, "
              f"or run with --regenerate)")
    return 1 if unexpected_failures or unexpected_passes or sim_failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Real models from PyTorch through dlc, against onnxruntime.

Three steps, because they need different machines: PyTorch exports (any
machine with torch, torchvision and transformers, such as the GPU machine),
dlc compiles (it needs MLIR: the development machine), dlrun runs (anywhere,
on the CPU or the GPU).

  onnx-real-models.py export DIR
      ResNet-18 and MobileNetV2 (torchvision, random weights, batch-norm
      statistics randomized so the outputs are not all near zero), a small
      BERT and a small GPT-2 (transformers, built from a config) to
      DIR/<model>.onnx with both of PyTorch's exporters (torch.export as
      <model>, TorchScript as <model>-ts), with a seeded input
      DIR/<model>.input.npy.
  onnx-real-models.py compile DIR --dlc DLC
      dlc imports and compiles each model to DIR/<model>.dlp (timed), and
      onnxruntime (CPU) writes the reference output DIR/<model>.expected.npy.
  onnx-real-models.py compare DIR --dlrun DLRUN [--device cpu|cuda]
      dlrun runs each plan on the input and compares with the reference;
      prints one line per model and a summary, writes DIR/results-<device>.json.
  onnx-real-models.py all DIR --dlc DLC --dlrun DLRUN
      the three in a row (on a machine that has everything).

Tolerance: |dlrun - onnxruntime| <= 1e-4 + 1e-3 * |onnxruntime| elementwise
(float32 with different summation orders; on the GPU, fp32 GEMMs). The exit
status is 1 when a model fails to compile, run, or match.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

MODELS = ("resnet18", "mobilenet_v2", "bert", "gpt2")
RTOL, ATOL = 1e-3, 1e-4


def export(out):
    """Writes the models; needs torch, torchvision and transformers."""
    import torch
    import torchvision
    import transformers

    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    class Output(torch.nn.Module):
        """A transformers model with one tensor output."""

        def __init__(self, model, field):
            super().__init__()
            self.model, self.field = model, field

        def forward(self, ids):
            return getattr(self.model(input_ids=ids), self.field)

    def vision(ctor):
        model = ctor(weights=None).eval()
        # Freshly initialized statistics (mean 0, variance 1) make MobileNet's
        # output vanish; trained-looking ones exercise the numbers.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                with torch.no_grad():
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0, 0.1)
                    m.running_mean.normal_(0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
        return model, x, "input", "output"

    def bert():
        config = transformers.BertConfig(
            vocab_size=1000, hidden_size=128, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=256,
            max_position_embeddings=64)
        model = Output(transformers.BertModel(config),
                       "last_hidden_state").eval()
        ids = rng.integers(0, 1000, (1, 32)).astype(np.int64)
        return model, ids, "input_ids", "last_hidden_state"

    def gpt2():
        config = transformers.GPT2Config(
            vocab_size=1000, n_embd=128, n_layer=2, n_head=4, n_positions=64,
            bos_token_id=0, eos_token_id=0, use_cache=False,
            attn_implementation="eager")
        model = Output(transformers.GPT2LMHeadModel(config), "logits").eval()
        ids = rng.integers(0, 1000, (1, 32)).astype(np.int64)
        return model, ids, "input_ids", "logits"

    builders = {"resnet18": lambda: vision(torchvision.models.resnet18),
                "mobilenet_v2": lambda: vision(torchvision.models.mobilenet_v2),
                "bert": bert, "gpt2": gpt2}
    manifest = {}
    for name in MODELS:
        model, x, input_name, output_name = builders[name]()
        # Both of PyTorch's exporters: torch.export (the default since 2.9,
        # opset 18) as <model>, the TorchScript one (opset 17) as <model>-ts
        # where it can export the model (recent transformers' GPT-2 mask code
        # it cannot).
        for exporter, variant, options in (
                ("torch.export", name, {"dynamo": True}),
                ("torchscript", name + "-ts",
                 {"dynamo": False, "opset_version": 17})):
            path = os.path.join(out, variant + ".onnx")
            started = time.time()
            try:
                torch.onnx.export(model, (torch.from_numpy(x),), path,
                                  input_names=[input_name],
                                  output_names=[output_name], **options)
            except Exception as error:  # noqa: BLE001 - any exporter failure
                print(f"{variant}: the {exporter} exporter failed "
                      f"({type(error).__name__}: {str(error)[:200]})",
                      flush=True)
                continue
            np.save(os.path.join(out, variant + ".input.npy"), x)
            manifest[variant] = {"input": input_name, "output": output_name,
                                 "exporter": exporter,
                                 "torch": torch.__version__}
            print(f"exported {variant} ({exporter}) in "
                  f"{time.time() - started:.1f} s", flush=True)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def load_manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def compile_models(out, dlc):
    import onnxruntime

    manifest = load_manifest(out)
    failed = False
    for name, info in manifest.items():
        model = os.path.join(out, name + ".onnx")
        started = time.time()
        result = subprocess.run([dlc, model, "-o", os.path.join(out, name + ".dlp"),
                                 "--report"], capture_output=True, text=True)
        info["compile_seconds"] = round(time.time() - started, 2)
        info["compiled"] = result.returncode == 0
        if result.returncode:
            failed = True
            info["compile_error"] = result.stderr.strip()
            print(f"FAIL {name}: dlc failed:\n{result.stderr}", flush=True)
            continue
        for line in result.stdout.splitlines():
            parts = line.split()
            if parts[:1] == ["inference"]:
                info["steps"] = int(parts[1])
                info["flops"] = " ".join(parts[-2:])
        session = onnxruntime.InferenceSession(
            model, providers=["CPUExecutionProvider"])
        x = np.load(os.path.join(out, name + ".input.npy"))
        expected = session.run([info["output"]], {info["input"]: x})[0]
        np.save(os.path.join(out, name + ".expected.npy"), expected)
        print(f"compiled {name} in {info['compile_seconds']} s "
              f"({info.get('steps')} steps, {info.get('flops')})", flush=True)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return not failed


def compare(out, dlrun, device):
    manifest = load_manifest(out)
    results, failures = {}, []
    for name, info in manifest.items():
        plan = os.path.join(out, name + ".dlp")
        if not info.get("compiled"):
            failures.append(name)
            print(f"FAIL {name}: not compiled", flush=True)
            continue
        got_path = os.path.join(out, f"{name}.{device}.npy")
        started = time.time()
        result = subprocess.run(
            [dlrun, plan, "--device", device,
             "--input", f"{info['input']}=@{os.path.join(out, name + '.input.npy')}",
             "--output", f"{info['output']}=@{got_path}"],
            capture_output=True, text=True)
        seconds = time.time() - started
        if result.returncode:
            failures.append(name)
            print(f"FAIL {name}: dlrun failed:\n{result.stderr}", flush=True)
            continue
        got = np.load(got_path)
        want = np.load(os.path.join(out, name + ".expected.npy"))
        difference = float(np.abs(got - want).max())
        ok = got.shape == want.shape and np.allclose(got, want, rtol=RTOL,
                                                     atol=ATOL)
        if not ok:
            failures.append(name)
        results[name] = {"ok": ok, "max_abs_difference": difference,
                         "max_abs_reference": float(np.abs(want).max()),
                         "dlrun_seconds": round(seconds, 3),
                         "exporter": info.get("exporter"),
                         "steps": info.get("steps"), "flops": info.get("flops")}
        print(f"{'ok  ' if ok else 'FAIL'} {name:15s} {info.get('exporter', ''):12s} "
              f"output {list(got.shape)}: largest difference {difference:.2e} "
              f"(largest |value| {results[name]['max_abs_reference']:.2f}), "
              f"{info.get('steps')} steps, dlrun {seconds:.2f} s end to end",
              flush=True)
    with open(os.path.join(out, f"results-{device}.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"{len(manifest) - len(failures)} of {len(manifest)} models match "
          f"onnxruntime on {device}")
    return not failures


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("export", "compile", "compare", "all"))
    parser.add_argument("dir")
    parser.add_argument("--dlc")
    parser.add_argument("--dlrun")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    if args.step in ("compile", "all") and not args.dlc:
        parser.error("--dlc is needed to compile")
    if args.step in ("compare", "all") and not args.dlrun:
        parser.error("--dlrun is needed to compare")
    ok = True
    if args.step in ("export", "all"):
        export(args.dir)
    if args.step in ("compile", "all"):
        ok = compile_models(args.dir, args.dlc) and ok
    if args.step in ("compare", "all"):
        ok = compare(args.dir, args.dlrun, args.device) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# The main job `make demo` runs: the MLP of examples/mlp.dl trained on
# Fashion-MNIST (the Debian package's IDX files) on the best device this
# machine offers, printing loss, test accuracy and throughput per epoch.
set -euo pipefail
build=${1:-build}
epochs=${DEMO_EPOCHS:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/demo"
mkdir -p "$out"
# Small GEMMs gain nothing from BLAS threads that spin between calls.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

echo "== devices (dlrun --list-devices)"
"$build/bin/dlrun" --list-devices
echo
echo "== examples/mlp.dl compiled to a training plan (dlc --train --report)"
"$build/bin/dlc" "$root/examples/mlp.dl" --train -o "$out/mlp.dlp" --report
echo
echo "== $epochs epochs on Fashion-MNIST (dlrun mlp.dlp --train --epochs $epochs)"
"$build/bin/dlrun" "$out/mlp.dlp" --train --epochs "$epochs" --seed 0 \
  --metrics-json "$out/mlp-metrics.json" --save "$out/mlp.safetensors"
accuracy=$("$build/venv/bin/python3" -c "
import json, sys
print(f\"{json.load(open(sys.argv[1]))[-1]['test_accuracy']:.4f}\")" \
  "$out/mlp-metrics.json")
echo
echo "test accuracy after $epochs epochs: $accuracy" \
  "(curve in $out/mlp-metrics.json, weights in $out/mlp.safetensors)"

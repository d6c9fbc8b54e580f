#!/usr/bin/env bash
# The main job `make demo` runs: which devices this machine offers, then the
# MLP example compiled into a plan (with its report) and run on one batch.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/demo"
mkdir -p "$out"
echo "== devices (dlrun --list-devices)"
"$build/bin/dlrun" --list-devices
echo
echo "== examples/mlp.dl compiled to a plan (dlc examples/mlp.dl -o mlp.dlp --report)"
"$build/bin/dlc" "$root/examples/mlp.dl" -o "$out/mlp.dlp" --report
echo
echo "== the plan run on one batch (dlrun mlp.dlp --input x=@x.npy)"
"$build/venv/bin/python3" -c "
import numpy as np, sys
np.save(sys.argv[1], np.random.default_rng(0).random((64, 784), dtype=np.float32))" \
  "$out/x.npy"
"$build/bin/dlrun" "$out/mlp.dlp" --input x=@"$out/x.npy"

#!/usr/bin/env bash
# The main job `make demo` runs: which devices this machine offers, then the
# MLP example through the compiler front half.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== devices (dlrun --list-devices)"
"$build/bin/dlrun" --list-devices
echo
echo "== examples/ir/mlp_forward.mlir, verified and canonicalized (dl-opt)"
"$build/bin/dl-opt" "$root/examples/ir/mlp_forward.mlir" --canonicalize

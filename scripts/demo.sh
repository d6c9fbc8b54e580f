#!/usr/bin/env bash
# The main job `make demo` runs: which devices this machine offers, then the
# MLP example compiled by dlc to the optimized dl dialect.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== devices (dlrun --list-devices)"
"$build/bin/dlrun" --list-devices
echo
echo "== examples/mlp.dl compiled to the dl dialect (dlc examples/mlp.dl)"
"$build/bin/dlc" "$root/examples/mlp.dl"

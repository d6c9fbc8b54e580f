#!/usr/bin/env bash
# Proves that the runtime-only dlrun (built with DLC_BUILD_COMPILER=OFF) runs
# and links no LLVM or MLIR library: what a GPU machine without MLIR needs.
set -euo pipefail
dlrun=${1:?usage: check-runtime-only.sh PATH/TO/dlrun}
if ldd "$dlrun" | grep -Ei 'llvm|mlir'; then
  echo "check-runtime-only: FAIL: $dlrun links LLVM/MLIR" >&2
  exit 1
fi
"$dlrun" --version >/dev/null
echo "check-runtime-only: ok: $dlrun runs and links no LLVM/MLIR"

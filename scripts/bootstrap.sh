#!/usr/bin/env bash
# Installs everything the build and the tests need, from Debian packages and PyPI.
# Idempotent: on a ready machine it checks, installs nothing and takes seconds.
#   scripts/bootstrap.sh [--fuzz] [BUILD_DIR]   (the Python environment goes to
#   BUILD_DIR/venv; --fuzz adds clang 22 and its libFuzzer runtime for make fuzz)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=0
if [ "${1:-}" = "--fuzz" ]; then
  fuzz=1
  shift
fi
build_dir=${1:-"$root/build"}

debian_packages=(
  # Compiler: LLVM/MLIR 22, with lit and FileCheck for the tests.
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  # Build tools.
  cmake ninja-build ccache pkg-config
  # Plan format, unit tests, compression, BLAS for the CPU backend.
  flatbuffers-compiler libflatbuffers-dev libgtest-dev zlib1g-dev libopenblas-dev
  # ONNX import.
  libonnx-dev libprotobuf-dev protobuf-compiler
  # Data: Fashion-MNIST (IDX .gz) and a text corpus for the character-level GPT.
  dataset-fashion-mnist fortunes-min
  # Python for the test oracles.
  python3-venv
)

if ((fuzz)); then
  debian_packages+=(clang-22 libclang-rt-22-dev)
fi

missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python oracles (numpy, onnx, onnxruntime, jax on CPU) in a venv under the build tree.
# The stamp holds the requirements file's hash, so a change to it reinstalls.
venv="$build_dir/venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: preparing Python environment in $venv"
  mkdir -p "$build_dir"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Every CUDA kernel dlc emits compiles: each example's training plan (train,
# eval and inference programs) and inference plan go through NVRTC for sm_90
# with a fresh kernel cache, then again to show a warm start compiles
# nothing. Needs NVRTC only, no GPU.
#
#   compile-kernels.sh DLC DLRUN EXAMPLES_DIR
set -euo pipefail
dlc=$1 dlrun=$2 examples=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DLC_KERNEL_CACHE=$work/cache
total=0
for model in mlp mlp_dropout cnn lenet gpt tiny_regression; do
  for mode in train inference; do
    plan=$work/$model-$mode.dlp
    flags=()
    [[ $mode == train ]] && flags=(--train)
    "$dlc" "$examples/$model.dl" "${flags[@]}" -o "$plan"
    cold=$("$dlrun" "$plan" --compile-only --arch sm_90)
    echo "$model $mode: $cold"
    warm=$("$dlrun" "$plan" --compile-only --arch sm_90)
    if [[ $warm != *"(0 compiled,"* ]]; then
      echo "error: a warm start compiled kernels again: $warm" >&2
      exit 1
    fi
    if [[ $mode == train && $warm != *"runtime's 2 training kernels"*"(0 compiled,"* ]]; then
      echo "error: the runtime's training kernels were not compiled once: $warm" >&2
      exit 1
    fi
    kernels=$(head -1 <<<"$cold" | sed -E 's/^compiled ([0-9]+) kernels.*/\1/')
    total=$((total + kernels))
  done
done
# Convolutions as im2col and GEMMs: the window kernels compile too.
"$dlc" "$examples/cnn.dl" --train --conv=gemm -o "$work/cnn-gemm.dlp"
gemm=$("$dlrun" "$work/cnn-gemm.dlp" --compile-only --arch sm_90)
echo "cnn --conv=gemm train: $gemm"
total=$((total + $(head -1 <<<"$gemm" | sed -E 's/^compiled ([0-9]+) kernels.*/\1/')))
# --precision tf32 builds the convolutions' tensor-core variant: it
# compiles, and is cached apart from the strict one.
tf32=$("$dlrun" "$work/cnn-train.dlp" --compile-only --arch sm_90 --precision tf32)
echo "cnn train, --precision tf32: $tf32"
if [[ $(head -1 <<<"$tf32") == *"(0 compiled,"* ]]; then
  echo "error: the tf32 kernels came from the strict ones' cache: $tf32" >&2
  exit 1
fi
# An architecture NVRTC does not know is refused with a message.
if "$dlrun" "$work/mlp-train.dlp" --compile-only --arch sm_1 2>"$work/err"; then
  echo "error: --arch sm_1 was accepted" >&2
  exit 1
fi
grep -q "cannot compile for sm_1" "$work/err"
echo "all $total kernels of 13 plans compile for sm_90"

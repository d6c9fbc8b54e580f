#!/usr/bin/env bash
# Every example's CUDA kernels, run on the CPU by kernel-sim (each CUDA
# thread a fiber, the plan's grid and blocks) and compared step by step with
# the CPU backend: the training plans (train, eval and inference programs)
# and the convolutions as im2col and GEMMs; the convolutions once more as
# --precision tf32 builds them (tensor cores). No GPU needed.
#
#   simulate-kernels.sh DLC KERNEL_SIM EXAMPLES_DIR
set -euo pipefail
dlc=$1 sim=$2 examples=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plans=()
for model in mlp mlp_dropout cnn lenet gpt tiny_regression; do
  "$dlc" "$examples/$model.dl" --train -o "$work/$model.dlp"
  plans+=("$work/$model.dlp")
done
"$dlc" "$examples/cnn.dl" --train --conv=gemm -o "$work/cnn-gemm.dlp"
plans+=("$work/cnn-gemm.dlp")
"$sim" "${plans[@]}"
# Under --precision tf32 the convolutions multiply on TF32 tensor cores.
"$sim" --tf32 "$work/cnn.dlp" "$work/lenet.dlp"

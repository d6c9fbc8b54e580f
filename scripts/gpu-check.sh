#!/usr/bin/env bash
# The GPU check, in two halves because the GPU machine has no MLIR, no
# FlatBuffers headers and no internet:
#
#   scripts/gpu-check.sh prepare   (here) compile every example to training
#                                  and inference plans, make their inputs, and
#                                  gather the generated plan header, the
#                                  FlatBuffers headers and Fashion-MNIST into
#                                  gpu-bundle/ (git-ignored; carry it over)
#   scripts/gpu-check.sh run       (on the GPU machine) build the runtime with
#                                  the compiler off, run every plan on cuda and
#                                  on cpu with the same parameters and inputs
#                                  and compare outputs, losses and parameters
#                                  after training steps (the convolution plans
#                                  again with --precision tf32, looser);
#                                  profile the training
#                                  steps of mlp, cnn (both convolution paths)
#                                  and gpt (dlrun --profile); then train mlp
#                                  and cnn on Fashion-MNIST on the GPU
#
# GPU_CHECK_DEVICE=cpu runs the whole `run` half against the CPU backend
# (a dry run of the script on a machine without a GPU). GPU_BUNDLE puts the
# bundle elsewhere than gpu-bundle/ (the simulated-GPU test does);
# GPU_CHECK_LIMIT=N trains on N samples only (a quick dry run);
# GPU_CHECK_PROFILE_RUNS=N times each profiled step over N runs (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$(realpath -m "${GPU_BUNDLE:-gpu-bundle}")
mode=${1:-}
models="mlp mlp_dropout cnn lenet gpt tiny_regression"

case $mode in
prepare)
  build=${2:-build}
  python=$build/venv/bin/python
  rm -rf "$bundle"
  mkdir -p "$bundle/include" "$bundle/plans" "$bundle/data"
  cp "$build/runtime/generated/plan_generated.h" "$bundle/include/"
  cp -r /usr/include/flatbuffers "$bundle/include/"
  cp /usr/share/datasets/fashion-mnist/*.gz "$bundle/data/"
  for model in $models; do
    "$build/bin/dlc" "examples/$model.dl" -o "$bundle/plans/$model.dlp"
    "$build/bin/dlc" "examples/$model.dl" --train -o "$bundle/plans/$model.train.dlp"
  done
  # The CNN with its convolutions as im2col and GEMMs too (the GEMMs'
  # bias-gradient epilogues of both operands).
  "$build/bin/dlc" examples/cnn.dl --conv=gemm --train \
    -o "$bundle/plans/cnn-gemm.train.dlp"
  "$python" scripts/gpu_check.py inputs "$bundle" "$build/bin/dlrun"
  du -sh "$bundle"
  ;;
run)
  device=${GPU_CHECK_DEVICE:-cuda}
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DDLC_BUILD_COMPILER=OFF -DDLC_BUILD_TESTS=OFF \
    -DDLC_PLAN_GENERATED_DIR="$bundle/include" \
    -DDLC_FLATBUFFERS_INCLUDE="$bundle/include" > /dev/null
  cmake --build build-gpu > /dev/null
  dlrun=build-gpu/bin/dlrun
  "$dlrun" --list-devices
  "${PYTHON:-python3}" scripts/gpu_check.py compare "$bundle" "$dlrun" "$device"
  # The convolutions' tensor-core variant (--precision tf32), whose
  # mma.sync operand layout only a real GPU proves.
  "${PYTHON:-python3}" scripts/gpu_check.py compare "$bundle" "$dlrun" "$device" tf32
  export DLC_KERNEL_CACHE=$bundle/kernel-cache
  # Where a training step's time goes, step by step (dlrun --profile).
  for plan in mlp cnn cnn-gemm gpt; do
    feeds=()
    for input in "$bundle/inputs/$plan.train.dlp.train".*.npy; do
      name=${input%.npy} name=${name##*.}
      feeds+=(--input "$name=@$input")
    done
    echo "== profile of $plan's training step on $device"
    "$dlrun" "$bundle/plans/$plan.train.dlp" --program train --device "$device" \
      "${feeds[@]}" --profile --repeat "${GPU_CHECK_PROFILE_RUNS:-20}" \
      2>&1 > /dev/null | sed -n '/^profile of/,$p'
  done
  for spec in mlp:10 cnn:3; do
    model=${spec%:*} epochs=${spec#*:}
    echo "== training $model on Fashion-MNIST for $epochs epochs on $device"
    "$dlrun" "$bundle/plans/$model.train.dlp" --train --device "$device" \
      --data "$bundle/data" --epochs "$epochs" \
      ${GPU_CHECK_LIMIT:+--limit "$GPU_CHECK_LIMIT"} \
      --metrics-json "$bundle/$model-$device.json" | tail -n 2
  done
  ;;
*)
  echo "usage: scripts/gpu-check.sh prepare [BUILD] | run" >&2
  exit 2
  ;;
esac

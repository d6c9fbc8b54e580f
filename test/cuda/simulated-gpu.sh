#!/usr/bin/env bash
# The CUDA backend end to end without a GPU: dlrun opens the simulated GPU
# (tools/kernel-sim's libdlc-cuda-sim.so: libcuda, NVRTC and cuBLASLt on the
# CPU) instead of the real libraries, so kernel compilation and caching,
# module loading, cuBLASLt descriptors and epilogues, graph capture and
# replay, error words and training with the data on the device all run.
#   1. scripts/gpu_check.py compare: every program of every example plan on
#      the simulated GPU and on the CPU backend, same inputs and parameters;
#      three chained training steps' losses and parameters.
#   2. Training with the data on the device gives the CPU backend's curve.
#   3. Each further training step or evaluation batch costs the host one
#      graph launch and nothing else.
#   4. A bad label is reported with its step and kernel.
#   5. --precision tf32 builds the convolutions for tensor cores.
#
#   simulated-gpu.sh BUILD_DIR SIM_LIBRARY
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1 sim=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GPU_BUNDLE=$work/bundle scripts/gpu-check.sh prepare "$build" > /dev/null
export DLC_CUDA_SIM=$sim DLC_KERNEL_CACHE=$work/kernel-cache
python=$build/venv/bin/python3 dlrun=$build/bin/dlrun plans=$work/bundle/plans

"$python" scripts/gpu_check.py compare "$work/bundle" "$dlrun" cuda | tail -1

# The MLP's 40 steps an epoch run as one 32-step graph and 6 single ones
# (after two checked steps), in each of two epochs.
for spec in mlp:2:2560 cnn:1:128; do
  IFS=: read -r model epochs limit <<<"$spec"
  for device in cuda cpu; do
    "$dlrun" "$plans/$model.train.dlp" --train --device "$device" \
      --data "$work/bundle/data" --epochs "$epochs" --limit "$limit" \
      --metrics-json "$work/$model-$device.json" > /dev/null
  done
  "$python" - "$work/$model-cuda.json" "$work/$model-cpu.json" "$model" <<'PY'
import json, sys
gpu, cpu = (json.load(open(path)) for path in sys.argv[1:3])
for a, b in zip(gpu, cpu):
    for key in ("train_loss", "test_loss", "test_accuracy"):
        if abs(a[key] - b[key]) > 1e-4 * max(1.0, abs(b[key])):
            sys.exit(f"{sys.argv[3]} epoch {a['epoch']}: {key} {a[key]} on "
                     f"the simulated GPU, {b[key]} on the CPU")
last = gpu[-1]
print(f"{sys.argv[3]}: {len(gpu)} epoch(s) on the simulated GPU, train loss "
      f"{last['train_loss']:.4f}, test accuracy {last['test_accuracy']:.4f}: "
      f"the CPU backend's")
PY
done

# --precision tf32: NVRTC builds the convolutions' tensor-core variant
# (the simulated NVRTC passes DLC_TF32 on), whose CNN trains to the CPU
# backend's curve within TF32's rounding.
"$dlrun" "$plans/cnn.train.dlp" --train --device cuda --precision tf32 \
  --data "$work/bundle/data" --epochs 1 --limit 128 \
  --metrics-json "$work/cnn-tf32.json" > /dev/null
"$python" - "$work/cnn-tf32.json" "$work/cnn-cpu.json" <<'PY'
import json, sys
gpu, cpu = (json.load(open(path))[-1] for path in sys.argv[1:3])
for key in ("train_loss", "test_loss"):
    if abs(gpu[key] - cpu[key]) > 1e-2 * max(1.0, abs(cpu[key])):
        sys.exit(f"cnn --precision tf32: {key} {gpu[key]} on the simulated "
                 f"GPU, {cpu[key]} on the CPU")
print(f"cnn --precision tf32: train loss {gpu['train_loss']:.4f} (CPU "
      f"{cpu['train_loss']:.4f}), test loss {gpu['test_loss']:.4f} (CPU "
      f"{cpu['test_loss']:.4f})")
PY

# Each step timed with events on the stream (dlrun --profile).
"$dlrun" "$plans/mlp.train.dlp" --program train --device cuda \
  --input "x=@$work/bundle/inputs/mlp.train.dlp.train.x.npy" \
  --input "y=@$work/bundle/inputs/mlp.train.dlp.train.y.npy" \
  --profile --repeat 2 2> "$work/profile" > /dev/null
grep -q "^profile of 'train' on cuda:0: simulated GPU" "$work/profile"
grep -Eq "^ +total +[0-9.]+ (us|ms|s) " "$work/profile"
echo "profile: $(grep -c '^ *[0-9]\+  ' "$work/profile") steps timed with events"

# 64 more batch steps (32 training, 32 evaluation) cost the host two graph
# launches: each set's 32 steps run as one graph.
for n in 512 2560; do
  DLC_CUDA_SIM_STATS=$work/calls-$n "$dlrun" "$plans/mlp.train.dlp" --train \
    --device cuda --data "$work/bundle/data" --epochs 1 --limit "$n" > /dev/null
done
"$python" - "$work/calls-512" "$work/calls-2560" <<'PY'
import sys
small, large = ({k: int(v) for k, v in (line.split() for line in open(path))}
                for path in sys.argv[1:3])
extra = {k: large[k] - small[k] for k in small}
if extra != {"kernels": 0, "graphs": 2, "memsets": 0, "copies": 0}:
    sys.exit(f"64 more steps cost the host {extra}, not 2 graph launches")
print(f"64 more steps: 2 more graph launches, nothing else ({small} for 512 "
      f"samples)")
PY

# Labels out of range: the cross-entropy kernel sets its error bit, and the
# run fails naming the step and kernel.
"$python" -c "import numpy as np; np.save('$work/x.npy', np.zeros((64, 784), np.float32)); np.save('$work/y.npy', np.full(64, 99, np.int32))"
if "$dlrun" "$plans/mlp.train.dlp" --program train --device cuda \
    --input "x=@$work/x.npy" --input "y=@$work/y.npy" 2> "$work/err"; then
  echo "error: labels out of range were accepted" >&2
  exit 1
fi
grep -q "of 'train' on cuda: a label is out of range of the classes" "$work/err"
echo "a bad label: $(tail -1 "$work/err")"

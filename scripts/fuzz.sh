#!/usr/bin/env bash
# Runs every fuzz target with libFuzzer, ASan and UBSan for SECONDS each
# (default 60), and prints executions and crashes per target.
#   scripts/fuzz.sh [SECONDS [TARGET...]]
#   make fuzz FUZZ_SECONDS=N [FUZZ_TARGETS="plan onnx"]
# The targets are built with clang 22 in BUILD_DIR/fuzzer (BUILD_DIR: $BUILD
# or build). Each keeps its growing corpus in BUILD_DIR/fuzzer/corpus/<target>
# (seeded from test/fuzz/corpus) and writes crashing inputs to
# BUILD_DIR/fuzzer/crashes/<target>/; copy one to test/fuzz/regressions/<target>/
# with the fix, and `make test` replays it from then on.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
all_targets=(npy safetensors idx plan dsl onnx)
shift $(($# > 0 ? 1 : 0))
targets=("${@:-${all_targets[@]}}")
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || {
    echo "fuzz: unknown target '$target' (targets: ${all_targets[*]})" >&2
    exit 2
  }
done
build_dir="$root/${BUILD:-build}"
"$root/scripts/bootstrap.sh" --fuzz "$build_dir"

tree="$build_dir/fuzzer"
if [ ! -f "$tree/build.ninja" ]; then
  # The compiler's own asserts stay on: user input must never reach one.
  CC=clang-22 CXX=clang++-22 cmake -S "$root" -B "$tree" -G Ninja \
    -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_C_FLAGS_FUZZ="-O1 -g" \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -g" \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DLLVM_ENABLE_ASSERTIONS=ON -DDLC_BUILD_FUZZERS=ON > "$tree.configure.log"
fi
cmake --build "$tree" --target "${targets[@]/#/fuzz-}"

# LLVM's headers poison allocator memory in sanitized code that Debian's
# uninstrumented LLVM/MLIR libraries touch legitimately.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
status=0
printf '%-12s %10s %8s %8s  %s\n' target executions seconds crashes corpus
for target in "${targets[@]}"; do
  corpus="$tree/corpus/$target"
  crashes="$tree/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  # Saved crashes go first: each must stay fixed under asserts and sanitizers.
  seeds=("$root/test/fuzz/regressions/$target" "$root/test/fuzz/corpus/$target")
  [ "$target" = dsl ] && seeds+=("$root/examples")
  log="$tree/$target.log"
  # libFuzzer also saves inputs that ran long (slow-unit-*): not failures.
  failures() { ls "$crashes" | grep -cv '^slow-unit-' || true; }
  before=$(failures)
  # -rss_limit_mb: a file that claims gigabytes must not get them.
  "$tree/fuzz/fuzz-$target" -max_total_time="$seconds" -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "${seeds[@]}" > "$log" 2>&1 || status=1
  after=$(failures)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  printf '%-12s %10s %8s %8s  %s\n' "$target" "${runs:-?}" "$seconds" \
    "$((after - before))" "$(ls "$corpus" | wc -l) inputs"
done
if ((status)); then
  echo "fuzz: crashes found; inputs in $tree/crashes/, logs in $tree/*.log"
fi
exit $status

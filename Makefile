# Two commands a newcomer needs: `make demo` and `make test`. Each installs
# what is missing (scripts/bootstrap.sh), configures once, builds incrementally
# and then runs the main job or every test.

BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure build test demo docs onnx-docs runtime-only sanitize test-asan fuzz clean

all: build

bootstrap:
	@scripts/bootstrap.sh $(BUILD)

# Configure only once; later changes to CMakeLists re-run CMake from Ninja.
$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DLLVM_ENABLE_ASSERTIONS=OFF $(CMAKE_FLAGS)

configure: bootstrap $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The runtime and dlrun alone, without LLVM/MLIR: what a GPU machine builds.
runtime-only: bootstrap
	@test -f $(BUILD)/runtime-only/build.ninja || cmake -S . \
	  -B $(BUILD)/runtime-only -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DDLC_BUILD_COMPILER=OFF -DDLC_BUILD_TESTS=OFF
	cmake --build $(BUILD)/runtime-only -j $(JOBS)

test: build runtime-only sanitize
	scripts/check-runtime-only.sh $(BUILD)/runtime-only/bin/dlrun
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The runtime under AddressSanitizer and UndefinedBehaviorSanitizer: damaged
# plans, every op's test and the runtime fuzz targets' seeds and saved
# crashes must run clean (any report aborts).
sanitize: build
	@test -f $(BUILD)/sanitize/build.ninja || cmake -S . -B $(BUILD)/sanitize \
	  -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDLC_BUILD_COMPILER=OFF \
	  -DDLC_BUILD_TESTS=ON -DCMAKE_CXX_FLAGS="-O1 -g \
	  -fsanitize=address,undefined -fno-sanitize-recover=all"
	cmake --build $(BUILD)/sanitize -j $(JOBS)
	$(BUILD)/sanitize/bin/runtime-tests --gtest_brief=1
	$(BUILD)/sanitize/bin/runtime-malformed-plans \
	  --run $(BUILD)/test/plans/tiny_regression.dlp \
	  $(BUILD)/test/plans/lenet.dlp $(BUILD)/test/plans/gpt.dlp
	$(BUILD)/venv/bin/python3 test/numerics/ops_test.py $(BUILD)/bin/dlc \
	  $(BUILD)/sanitize/bin/dlrun
	for t in npy safetensors idx plan; do \
	  $(BUILD)/sanitize/fuzz/fuzz-$$t test/fuzz/corpus/$$t \
	    test/fuzz/regressions/$$t || exit 1; done

# The whole suite, compiler included, built with ASan and UBSan (leaks too):
# every lit, unit, numerics, conformance and fuzz-replay test must pass with
# no report. It shares the Python environment of $(BUILD). LLVM's headers
# poison allocator memory in sanitized code that Debian's uninstrumented
# LLVM/MLIR libraries then touch legitimately, so manual poisoning is off.
# GCC 12's sanitizer runtime takes a dynamic TLS block of a dlopen'ed
# library (NVRTC's) whose address is 16 past a page for a glibc-2.19 header
# and reads a bogus range from it; LeakSanitizer then crashes at exit,
# depending only on where the block lands. intercept_tls_get_addr=0 keeps
# it from tracking those blocks (newer sanitizer runtimes dropped the guess).
ASAN_ENV = ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1:intercept_tls_get_addr=0 \
  UBSAN_OPTIONS=print_stacktrace=1
test-asan: bootstrap
	@test -f $(BUILD)/asan/build.ninja || cmake -S . -B $(BUILD)/asan -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLVM_ENABLE_ASSERTIONS=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
	ln -sfn ../venv $(BUILD)/asan/venv
	$(ASAN_ENV) cmake --build $(BUILD)/asan -j $(JOBS)
	$(ASAN_ENV) ctest --test-dir $(BUILD)/asan --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

# libFuzzer on every reader of user input (clang 22, ASan + UBSan), for
# FUZZ_SECONDS per target; not part of make test (which replays the seeds
# and every saved crash instead).
FUZZ_SECONDS ?= 60
fuzz:
	BUILD=$(BUILD) scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# After importer changes: re-runs the ONNX conformance suite, rewrites its
# expected failures and the supported-ops table in docs/onnx.md.
onnx-docs: build
	$(BUILD)/venv/bin/python3 test/conformance/onnx/run.py --regenerate \
	  --dlc $(BUILD)/bin/dlc --dlrun $(BUILD)/bin/dlrun \
	  --log $(BUILD)/onnx-conformance.log \
	  --results $(BUILD)/onnx-conformance.json --cuda-arch sm_90 \
	  --kernel-cache $(BUILD)/onnx-kernel-cache
	$(BUILD)/venv/bin/python3 test/conformance/onnx/gen_docs.py \
	  $(BUILD)/onnx-conformance.json docs/onnx.md

# Regenerates the op reference from the ODS definitions.
docs: build
	cp $(BUILD)/dialects/dl/DlOps.md docs/dialect-ops.md

clean:
	rm -rf $(BUILD)

# Two commands a newcomer needs: `make demo` and `make test`. Each installs
# what is missing (scripts/bootstrap.sh), configures once, builds incrementally
# and then runs the main job or every test.

BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure build test demo docs runtime-only clean

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

test: build runtime-only
	scripts/check-runtime-only.sh $(BUILD)/runtime-only/bin/dlrun
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

# Regenerates the op reference from the ODS definitions.
docs: build
	cp $(BUILD)/dialects/dl/DlOps.md docs/dialect-ops.md

clean:
	rm -rf $(BUILD)
